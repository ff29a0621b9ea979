"""A unit's history across a merger: its own figures and those of the units it was formed from, year by year,
so the reports of a commune formed on 1/7/2025 still show a trend (domain brief §6).

Each figure comes from ``measures.UnitYear`` of the unit that held the dossiers: a predecessor's dossiers are
never added to the new unit's own figures. A predecessor split between several new units is shown whole, with
the names of the other units that share it (``shared_with``): the log does not say which part of it went where.
"""
from __future__ import annotations

import pandas as pd

from isoaudit.measures import UnitYear
from isoaudit.records.units_in_time import successors, written_code

HISTORY_FIGURES = ("received_count", "returned_count", "on_time_rate", "late_count", "overdue_count")
HISTORY_COLUMNS = ["unit_code", "code", "unit_name", "generation", "valid_from", "valid_to", "shared_with", "year",
                   *HISTORY_FIGURES]


def lineage(records, unit_code: str) -> list[tuple[str, int]]:
    """``unit_code`` (generation 0) and the units it was formed from, nearest first (``records``: ``Records``)."""
    return [(unit_code, 0), *records.ancestors(unit_code)]


def has_history(records, unit_code: str) -> bool:
    """Whether the unit was formed from others (a merger or a split)."""
    return bool(records.ancestors(unit_code))


def area_previous_year(unit_year: UnitYear) -> UnitYear:
    """The year before ``unit_year``, judged on the same day, of the unit's area: for a commune formed by a
    merger, its own rows and its predecessors' together (the base of every comparison with the year before);
    else the unit's own year before."""
    predecessors = [key for key, _ in unit_year.records.ancestors(unit_year.unit_code)] \
        if unit_year.unit_code is not None else []
    if not predecessors:
        return unit_year.previous()
    return UnitYear(unit_year.records.for_units([unit_year.unit_code, *predecessors]), None, unit_year.year - 1,
                    unit_year.as_of, unit_year.given_calendar)


def unit_history(records, unit_code: str, years, as_of=None, calendar=None,
                 judged: UnitYear | None = None) -> pd.DataFrame:
    """One row per unit of the lineage and year of ``years`` with dossiers received (``HISTORY_COLUMNS``;
    figures missing as <NA>, never 0). Judged as of ``as_of`` (default: the end of the latest year).
    ``judged``: the unit's latest year already judged on that day under ``calendar`` (a review's), used for the
    unit's own rows instead of judging them again; one of another unit, year, day or calendar is not used."""
    units = records.units.set_index("unit_code")
    years = sorted(int(y) for y in years)
    judged_on = None if as_of is None else pd.Timestamp(as_of)
    rows = []
    for key, generation in lineage(records, unit_code):
        if key not in units.index:
            continue
        unit = units.loc[key]
        latest = UnitYear(records, key, years[-1], judged_on, calendar)
        if generation == 0 and judged is not None and judged.records is records and \
                (judged.unit_code, judged.year, judged.as_of) == (key, latest.year, latest.as_of) and \
                (calendar is None or judged.calendar is calendar):
            latest = judged
        shared = [str(units.loc[s, "unit_name"]) for s in successors(records.units, key)
                  if s != unit_code and s in units.index] if generation else []
        for year in years:
            unit_year = latest if year == years[-1] else UnitYear(records, key, year, latest.as_of, calendar,
                                                                 _assessed=latest.assessed, _own=latest.own)
            if unit_year.received.empty:
                continue
            rows.append({"unit_code": key, "code": written_code(key), "unit_name": unit["unit_name"],
                         "generation": generation, "valid_from": unit["valid_from"], "valid_to": unit["valid_to"],
                         "shared_with": ", ".join(shared), "year": year,
                         **{figure: unit_year.figure(figure).value for figure in HISTORY_FIGURES}})
    frame = pd.DataFrame(rows, columns=HISTORY_COLUMNS)
    for figure in HISTORY_FIGURES:
        frame[figure] = pd.to_numeric(frame[figure], errors="coerce").astype("Float64")
    return frame
