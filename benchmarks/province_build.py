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
import shutil
import time
import uuid
from datetime import date
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
    dossiers over ``year - 1`` and ``year``. Returns the dossiers written."""
    units = province_units(communes, year)
    scale = dossiers / expected_dossiers(units, year)
    catalogue, calendar = load_catalogue(), district_calendar(year)
    write_xlsx(out / "units.xlsx", [units_sheet(units, year)])
    write_xlsx(out / "procedures.xlsx", [procedures_sheet(catalogue, year)])
    write_calendar(out / "calendar.csv", calendar_decisions(year))
    context = {"catalogue": catalogue, "calendar": calendar}
    streams = iter(np.random.SeedSequence(seed).spawn(10_000))
    current, written = {}, 0
    for log in year_logs(units, year):
        rows = log_dossiers(log, year, np.random.default_rng(next(streams)), units, scale, **context)
        written += write_csv_log(out, log, rows, year, np.random.default_rng(next(streams)))
        current[log.owner.unit_code] = rows
    at_end = units_at_end(units, year)
    for unit in at_end:
        write_xlsx(out / "objectives" / f"{unit.unit_code}_muc_tieu_{year}.xlsx",
                   [objectives_sheet(unit, year, np.random.default_rng(next(streams)))])
    # Surveys, feedback, decisions and findings as the sample writes them; its previous-year logs are small
    # xlsx (REVIEW_SCALE), replaced below by full-size CSV logs of the same codes.
    write_review_inputs(out, units, current, catalogue, calendar, seed, year, REVIEW_SCALE)
    for old in (out / "dossiers").glob(f"*_{year - 1}.xlsx"):
        old.unlink()
    for log in year_logs(units, year - 1):
        rng = np.random.default_rng(next(streams))
        rows = log_dossiers(log, year - 1, rng, units, scale, share=PREVIOUS_SHARE, until=year, **context)
        rows = rows[rows["returned_date"].notna()].reset_index(drop=True)  # seen a year later: returned
        written += write_csv_log(out, log, rows, year - 1, rng)
    write_audits(out, at_end[:AUDITED], year)
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
