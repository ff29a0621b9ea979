"""A province-sized records folder for ``bench_province.py``, built in well under the minutes ``make-sample``
takes, and cached in ``benchmarks/_data/`` by its parameters.

    from province_build import province_records
    folder = province_records(communes=150, dossiers=1_000_000)   # built once, then reused

The province is the synthetic sample's, its communes repeated as ``make_sample(copies=...)`` repeats them
(codes plus 100, 200..., names numbered 2, 3...; each set with its reform of 1/7/2025: merged wards with
their predecessors, reused codes), cut to ``communes`` units at the end of the last year. What makes it fast:

- every dossier log (one a code and year, both years at full size) is generated with the sample's own
  generator and written as a CSV software export (the sample's three export layouts; official tracking books
  become exports), which the batch reads on its columnar fast path, instead of xlsx written cell by cell;
- the review inputs (objectives, surveys, feedback, decisions, findings) are the sample's, per unit;
- saved audits (slow to write: a workbook answer by answer) only for the first ``AUDITED`` communes, as in a
  province part way through its audit programme; no agency statistics forms (writing them reads the folder).
"""
from __future__ import annotations

import dataclasses
import math
import multiprocessing
import shutil
import time
import uuid
from concurrent.futures import ProcessPoolExecutor
from datetime import date
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd

from isoaudit.synthetic import LOG_STYLES, dossier_sheet, load_catalogue
from isoaudit.synthetic.audits import write_audits
from isoaudit.synthetic.catalogue import procedures_sheet
from isoaudit.synthetic.district_calendar import calendar_decisions, district_calendar, write_calendar
from isoaudit.synthetic.objectives import objectives_sheet
from isoaudit.synthetic.review_inputs import PREVIOUS_SHARE, write_review_inputs
from isoaudit.synthetic.sheets import write_log, write_xlsx
from isoaudit.synthetic.unit_logs import UnitLog, log_dossiers, year_logs
from isoaudit.synthetic.units import UnitProfile, district_units, units_at_end, units_sheet

DATA = Path(__file__).resolve().parent / "_data"
BUILD_VERSION = 1  # bump when the build changes: cached provinces of other versions are not reused
AUDITED = 12  # communes with a saved audit of the year (the first ones of the registry)
REVIEW_SCALE = 0.01  # the review inputs' own scale: their previous-year logs are replaced by full-size ones
EXPORTS = ("export_a", "export_b", "export_c")  # CSV layouts given to units whose sample log is a book


def province_records(communes: int = 150, dossiers: int = 1_000_000, year: int = 2025, seed: int = 2025,
                     rebuild: bool = False) -> Path:
    """The records folder of the province (cached under ``benchmarks/_data``): built when missing (or
    ``rebuild``), in a temporary folder beside it and renamed when complete, so a half-built one is never used."""
    folder = DATA / f"province_v{BUILD_VERSION}_c{communes}_d{dossiers}_y{year}_s{seed}"
    if folder.is_dir() and not rebuild:
        return folder
    building = DATA / f".building-{uuid.uuid4().hex[:8]}"
    try:
        started = time.perf_counter()
        written = build_province(building, communes, dossiers, year, seed)
        print(f"built {folder.name}: {written:,} dossiers in {time.perf_counter() - started:.1f} s")
        shutil.rmtree(folder, ignore_errors=True)
        building.rename(folder)
    finally:
        shutil.rmtree(building, ignore_errors=True)
    return folder


def build_province(out: Path, communes: int, dossiers: int, year: int, seed: int) -> int:
    """Write the province into ``out``: ``communes`` units at the end of ``year`` with about ``dossiers``
    dossiers over ``year - 1`` and ``year``. Returns the dossiers written.

    Two processes share the work (a forked helper, and this one): the logs of each year, half of the year's
    own in each process, then the review inputs, which read the year's rows, and the audits, which read the
    findings, here, while the helper writes the previous year's logs and the objectives. Each log and commune
    draws from its own random stream, numbered as one process would take them in turn, so the province is the
    same whoever writes what."""
    units = province_units(communes, year)
    scale = dossiers / expected_dossiers(units, year)
    catalogue, calendar = load_catalogue(), district_calendar(year)
    write_xlsx(out / "units.xlsx", [units_sheet(units, year)])
    write_xlsx(out / "procedures.xlsx", [procedures_sheet(catalogue, year)])
    write_calendar(out / "calendar.csv", calendar_decisions(year))
    streams = np.random.SeedSequence(seed).spawn(10_000)
    logs, at_end = list(year_logs(units, year)), units_at_end(units, year)
    objectives = streams[2 * len(logs):]  # after the year's logs (two streams each), one a commune
    previous = objectives[len(at_end):]  # then one a log of the year before
    job = _Job(out, units, year, scale)
    mine, helpers = [*range(len(logs))][::2], [*range(len(logs))][1::2]
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("fork")) as helper:
        theirs = helper.submit(job.current_logs, [(logs[i], streams[2 * i], streams[2 * i + 1]) for i in helpers])
        later = helper.submit(job.previous_logs_and_objectives, at_end, objectives[:len(at_end)], previous)
        my_rows, written = job.current_logs([(logs[i], streams[2 * i], streams[2 * i + 1]) for i in mine])
        their_rows, their_written = theirs.result()
        rows_of = dict(zip(mine, my_rows)) | dict(zip(helpers, their_rows))
        current = {}
        for i, log in enumerate(logs):  # in the logs' order, as the review inputs draw their numbers by it
            current[log.owner.unit_code] = rows_of[i]
        # Surveys, feedback, decisions and findings as the sample writes them; its previous-year logs are small
        # xlsx (REVIEW_SCALE), replaced by the helper's full-size CSV logs of the same codes.
        write_review_inputs(out, units, current, catalogue, calendar, seed, year, REVIEW_SCALE)
        for old in (out / "dossiers").glob(f"*_{year - 1}.xlsx"):
            old.unlink()
        write_audits(out, at_end[:AUDITED], year)
        return written + their_written + later.result()


@dataclasses.dataclass
class _Job:
    """What both processes of ``build_province`` write from: the folder, the units, the year and the scale."""

    out: Path
    units: list
    year: int
    scale: float

    @cached_property
    def context(self) -> dict:
        return {"catalogue": load_catalogue(), "calendar": district_calendar(self.year)}

    def current_logs(self, logs: list) -> tuple[list, int]:
        """The year's ``logs`` (each with its two streams) written; the rows of each, and how many in all."""
        every, written = [], 0
        for log, stream, writing in logs:
            rows = log_dossiers(log, self.year, np.random.default_rng(stream), self.units, self.scale,
                                **self.context)
            written += write_csv_log(self.out, log, rows, self.year, np.random.default_rng(writing))
            every.append(rows)
        return every, written

    def previous_logs_and_objectives(self, at_end: list, objectives: list, previous: list) -> int:
        """Each commune's objectives, then the previous year's logs (each from its stream): the dossiers written."""
        year = self.year
        for unit, stream in zip(at_end, objectives):
            write_xlsx(self.out / "objectives" / f"{unit.unit_code}_muc_tieu_{year}.xlsx",
                       [objectives_sheet(unit, year, np.random.default_rng(stream))])
        written = 0
        for log, stream in zip(year_logs(self.units, year - 1), previous):
            rng = np.random.default_rng(stream)
            rows = log_dossiers(log, year - 1, rng, self.units, self.scale, share=PREVIOUS_SHARE, until=year,
                                **self.context)
            rows = rows[rows["returned_date"].notna()].reset_index(drop=True)  # seen a year later: returned
            written += write_csv_log(self.out, log, rows, year - 1, rng)
        return written


def province_units(communes: int, year: int) -> list[UnitProfile]:
    """The sample's units repeated until ``communes`` are units at the end of ``year``, then cut there: the
    first ``communes`` of them, the former units they were formed from, and the province itself."""
    per_set = len(units_at_end(district_units(), year))
    units = district_units(max(1, math.ceil(communes / per_set)))
    kept = units_at_end(units, year)[:communes]
    ancestors = {code for unit in kept for code in unit.predecessors}
    last_day = date(year, 12, 31)
    keep = [u for u in units if not u.dossiers or u in kept
            or (u.unit_code in ancestors and u.valid_to is not None and u.valid_to < last_day)]
    return keep


def expected_dossiers(units: list[UnitProfile], year: int) -> float:
    """The dossiers of ``year - 1`` and ``year`` at scale 1 (the sample's counts), before any minimum."""
    total = 0.0
    for the_year, share in ((year, 1.0), (year - 1, PREVIOUS_SHARE)):
        days = (date(the_year, 12, 31) - date(the_year, 1, 1)).days + 1
        for log in year_logs(units, the_year):
            total += sum(u.dossiers * share * ((last - first).days + 1) / days for u, first, last in log.parts)
    return total


def write_csv_log(out: Path, log: UnitLog, rows: pd.DataFrame, year: int, rng) -> int:
    """``dossiers/<code>_<slug>_<year>.csv``: the log as a software export in CSV (UTF-8 with a BOM), in
    its owner's export layout, or one of the three for a unit whose sample log is an official book."""
    unit = log.owner
    name = unit.style if unit.style in EXPORTS else EXPORTS[unit.index % len(EXPORTS)]
    style = dataclasses.replace(LOG_STYLES[name], suffix=".csv")
    if "submitted_at" not in rows:  # the portal's submission: an export column the generator leaves empty
        rows = rows.assign(submitted_at=pd.Series(pd.NaT, index=rows.index, dtype="datetime64[us]"))
    path = out / "dossiers" / f"{unit.unit_code}_{unit.slug}_{year}.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    write_log(path, dossier_sheet(rows, style, unit, year, rng, last_day=log.last_day))
    return len(rows)
