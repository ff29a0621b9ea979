"""Which dossier logs a year has and whose dossiers each holds: one log a code, written by every unit that
held the code in the year (before the reform of 1/7/2025 the former unit, after it its successor: the
one-stop software kept running under the code), named and laid out as the last of them."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from isoaudit.synthetic.dossiers import generate_dossiers, renumber
from isoaudit.synthetic.units import UnitProfile, units_in

MIN_DOSSIERS = 30  # a unit's year log holds at least this many dossiers, a part-year log its share of them


@dataclass(frozen=True)
class UnitLog:
    """One code's log of a year: ``owner`` names it and lays it out; ``parts`` say which unit received
    dossiers from which day to which (in order, within the year)."""

    owner: UnitProfile
    parts: tuple[tuple[UnitProfile, date, date], ...]

    @property
    def last_day(self) -> date:
        return self.parts[-1][2]


def year_logs(units: list[UnitProfile], year: int) -> list[UnitLog]:
    """The logs of ``year``: one per code held by a unit with dossiers on some day of the year, in the
    registry order of the code's first unit."""
    by_code: dict[str, list[UnitProfile]] = {}
    for unit in units_in(units, year):
        by_code.setdefault(unit.unit_code, []).append(unit)
    logs = []
    for holders in by_code.values():
        holders = sorted(holders, key=lambda u: u.valid_from or date.min)
        logs.append(UnitLog(holders[-1], tuple((u, *u.window(year)) for u in holders)))
    return logs


def log_dossiers(log: UnitLog, year: int, rng, units: list[UnitProfile], scale: float = 1.0,
                 share: float = 1.0, until: int | None = None, **context) -> pd.DataFrame:
    """The dossiers of ``log``: each part's unit receives its year's count (times ``scale`` and ``share``)
    in proportion to the days it held the code; one numbering for the whole log. ``context`` goes to
    ``generate_dossiers`` (catalogue, calendar)."""
    days_in_year = (date(year, 12, 31) - date(year, 1, 1)).days + 1
    frames = []
    for unit, first, last in log.parts:
        part = ((last - first).days + 1) / days_in_year
        n = max(int(round(unit.dossiers * scale * share * part)), int(round(MIN_DOSSIERS * part)))
        neighbours = [u for u in units if u.dossiers and u.valid_on(first)]
        frames.append(generate_dossiers(unit, year, rng, n=n, neighbours=neighbours, until=until,
                                        received_from=first, received_to=last, **context))
    if len(frames) == 1:
        return frames[0]
    return renumber(pd.concat(frames, ignore_index=True), log.owner, year)


def part_of(log: UnitLog, dossiers: pd.DataFrame, unit: UnitProfile) -> np.ndarray:
    """Which rows of ``log``'s ``dossiers`` ``unit`` received (by receipt day; rows are sorted by receipt)."""
    for holder, first, last in log.parts:
        if holder is unit:
            day = dossiers["received_at"].dt.normalize()
            return ((day >= pd.Timestamp(first)) & (day <= pd.Timestamp(last))).to_numpy()
    return np.zeros(len(dossiers), dtype=bool)
