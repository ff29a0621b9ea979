"""The machine's own 2-core scaling for a unit's work, the ceiling of a batch's speed-up with 2 jobs.

A batch's lanes spend nearly all their time in their kernels, running a unit's two notebooks. The work of
those notebooks (the same calls, from a batch's records cache, writing the same Word report) run here in plain
processes, one process doing 2k units against two side by side doing k each, tells how much faster two cores
make this work on this machine, without papermill, kernels or the batch: what two jobs could reach at best
(a virtual machine's two cores share caches, memory and sometimes one physical core).

    from unit_work import scaling
    alone, pair = scaling(cache, records, 2025, units, work)   # seconds: the same units, 1 process, 2 side by side
"""
from __future__ import annotations

import contextlib
import io
import multiprocessing
import os
import threading
import time
from pathlib import Path

READY_SECONDS = 120  # for a process to import and do its untimed unit
WORK_SECONDS = 900  # for a process to do its share


def scaling(cache: Path, records: Path, year: int, units: list[str], work: Path,
            rounds: int = 2) -> tuple[float, float]:
    """Seconds for ``units`` (an even number of them) of ``year`` in one process, and in two processes each
    doing half, the best of ``rounds`` of each in turn. Each process first does one unit untimed (imports,
    first calls). ``cache``: a batch's records cache; ``records``: its records folder (the saved audits)."""
    half = len(units) // 2
    alone, pair = [], []
    for round_ in range(rounds):
        job = (cache, records, year)
        alone.append(_side_by_side(job, [units], work / f"alone-{round_}"))
        pair.append(_side_by_side(job, [units[:half], units[half:]], work / f"pair-{round_}"))
    return min(alone), min(pair)


def _side_by_side(job: tuple, shares: list[list[str]], work: Path) -> float:
    """Wall seconds from the moment every process is ready until the last one is done with its share."""
    context = multiprocessing.get_context("spawn")
    ready = context.Barrier(len(shares) + 1)
    results = context.Queue()
    processes = [context.Process(target=_do_units, args=(job, share, work / str(n), ready, results))
                 for n, share in enumerate(shares)]
    for process in processes:
        process.start()
    try:
        try:
            ready.wait(timeout=READY_SECONDS)
        except threading.BrokenBarrierError:  # a process failed before its share: its error says why
            raise results.get(timeout=5) from None
        spans = [results.get(timeout=WORK_SECONDS) for _ in processes]
    finally:  # a process that died or hangs must not hold the benchmark
        for process in processes:
            process.join(timeout=5)
            if process.is_alive():
                process.kill()
    if any(isinstance(span, BaseException) for span in spans):
        raise next(span for span in spans if isinstance(span, BaseException))
    return max(end for _, end in spans) - min(start for start, _ in spans)


def _do_units(job: tuple, units: list[str], work: Path, ready, results) -> None:
    """In a process of its own: one unit untimed, then ``units``; sends (start, end) on the system's clock."""
    cache, records, year = job
    os.environ.setdefault("MPLBACKEND", "agg")
    try:
        work.mkdir(parents=True, exist_ok=True)
        with contextlib.redirect_stdout(io.StringIO()):  # display() outside a kernel prints reprs
            unit_notebooks(cache, records, year, units[0], work)
            ready.wait()
            start = time.monotonic()
            for unit in units:
                unit_notebooks(cache, records, year, unit, work)
            results.put((start, time.monotonic()))
    except BaseException as error:  # the benchmark's process says it and stops
        results.put(error)
        ready.abort()
        raise


def unit_notebooks(cache: Path, records: Path, year: int, unit: str, work: Path) -> None:
    """The calls of the audit notebook and of the review notebook for ``unit`` and ``year``, as a batch's kernel
    makes them: the audit (saved in ``records``, read only) rendered, the review's sections shown, its Word
    report and the chair's decisions workbook written in ``work``."""
    from IPython.display import HTML, display

    from isoaudit.notebook import (
        assemble_review,
        audit_screen,
        load_records,
        render_report,
        save_review,
        show_header,
        show_section,
    )
    from isoaudit.review.pack import SECTION_KEYS

    screen = audit_screen(str(cache), unit, None, None, year, interactive=False, lang="vi",
                          audit_dir=str(records), auditor="")
    display(HTML(render_report(screen.form)))
    province = load_records(str(cache), unit=unit)
    pack = assemble_review(province, unit, year, lang="vi")
    show_header(pack)
    for key in SECTION_KEYS:
        show_section(pack.section(key))
    save_review(pack, province, str(Path(work) / f"{unit}.docx"), str(work), None)
