"""The machine's own 2-core scaling for a unit's work, the ceiling of a batch's speed-up with 2 jobs.

A batch's lanes spend nearly all their time in their kernels, running a unit's two notebooks. Those notebooks
(their own cells, in IPython, from a batch's records cache, writing the same Word report) run here in plain
processes, one process doing 2k units against two side by side doing k each, tells how much faster two cores
make this work on this machine, without papermill, kernels or the batch: what two jobs could reach at best
(a virtual machine's two cores share caches, memory and sometimes one physical core).

    from unit_work import scaling
    alone, pair = scaling(cache, records, 2025, units, work)   # seconds: the same units, 1 process, 2 side by side
"""
from __future__ import annotations

import contextlib
import copy
import functools
import io
import multiprocessing
import os
import queue
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
    job = (cache, records, year)
    alone, pair = [], []
    for round_ in range(rounds):
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
        except threading.BrokenBarrierError:  # a process failed before its share (its error says why) or hangs
            try:
                raise results.get(timeout=5) from None
            except queue.Empty:
                raise TimeoutError(f"a process was not ready within {READY_SECONDS} s") from None
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
        with contextlib.redirect_stdout(io.StringIO()):  # IPython outside a kernel prints what is displayed
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
    """The audit notebook and the review notebook of ``unit`` and ``year`` (the shipped ones, cell by cell in
    IPython, as a batch's kernel runs them): the audit saved in ``records`` (read only) reported, the review's
    Word report and the chair's decisions workbook written in ``work``."""
    from isoaudit.batch.unit_reports import AUDIT_NOTEBOOK, REVIEW_NOTEBOOK

    common = {"records": str(cache), "unit": unit, "year": year, "lang": "vi"}
    _run_notebook(AUDIT_NOTEBOOK, {**common, "audit_dir": str(records), "interactive": False})
    _run_notebook(REVIEW_NOTEBOOK, {**common, "word_report": str(Path(work) / f"{unit}.docx"),
                                    "decisions_dir": str(work)})


def _run_notebook(notebook: Path, parameters: dict) -> None:
    """``notebook``'s code cells, with ``parameters`` injected by papermill as a batch's run injects them, in a fresh
    namespace of this process's IPython shell; a cell's error is raised."""
    from papermill.parameterize import parameterize_notebook

    shell = _shell()
    shell.reset(new_session=True)  # as the batch's kernel does before each notebook
    for cell in parameterize_notebook(_notebook(notebook), parameters).cells:
        if cell.cell_type == "code":
            shell.run_cell(cell.source, store_history=False).raise_error()


@functools.cache
def _shell():
    from IPython.core.interactiveshell import InteractiveShell
    from traitlets.config import Config

    config = Config()
    config.HistoryManager.enabled = False  # the batch's kernels keep no history either
    return InteractiveShell.instance(config=config)


def _notebook(notebook: Path):
    """A fresh copy of ``notebook`` read once (papermill's parameterising changes the copy it is given)."""
    return copy.deepcopy(_read_notebook(notebook))


@functools.cache
def _read_notebook(notebook: Path):
    from papermill.iorw import load_notebook_node

    return load_notebook_node(str(notebook))
