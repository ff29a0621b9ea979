"""The sample province, its communes and wards before and after the reform of 1/7/2025, how each one-stop
counter behaves; ``units.xlsx``.

The units are rows of ``isoaudit/data/synthetic_units.csv``: the province, the former district (history
only), the former wards and communes (valid to 30/06/2025), their successors (valid from 01/07/2025, with
their predecessors' codes; a code can name two units, one on each side of the reform) and communes of the
province the reform left as they were (no dates).
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache

from isoaudit.synthetic.sheets import Sheet, static_sheet
from isoaudit.synthetic.words import district_words, unit_table
from isoaudit.text import fold

_WIDTHS = [6, 10, 24, 10, 18, 22, 20, 14, 14, 22, 60]  # of the units workbook's columns


@dataclass(frozen=True)
class UnitProfile:
    """A unit of the sample province (valid from ``valid_from`` to ``valid_to``, open-ended when None) and how
    its one-stop counter behaves.

    ``late_factor`` multiplies the base late share; ``apology_share`` is the share of late dossiers given an
    apology letter with a new appointment; ``appointment_beyond_share`` the share of receipts whose
    appointment is later than the law allows (a nonconformity planted on purpose).
    """

    unit_code: str
    unit_name: str
    level: str
    parent_code: str
    saturday_reception: bool
    officers: int
    dossiers: int
    late_factor: float
    apology_share: float
    appointment_beyond_share: float
    style: str
    index: int
    valid_from: date | None = None
    valid_to: date | None = None
    predecessors: tuple[str, ...] = ()  # codes of the units valid the day before ``valid_from``
    basis: str | None = None  # a key of the district words' ``bases``

    @property
    def lower_name(self) -> str:
        """The name as written inside a sentence or an address: its first letter in lower case."""
        return self.unit_name[:1].lower() + self.unit_name[1:]

    @property
    def slug(self) -> str:
        return fold(self.unit_name).replace(" ", "_")

    def window(self, year: int) -> tuple[date, date] | None:
        """The first and last day of ``year`` on which the unit is valid; None if it is not valid in it."""
        first = max(date(year, 1, 1), self.valid_from or date.min)
        last = min(date(year, 12, 31), self.valid_to or date.max)
        return (first, last) if first <= last else None

    def valid_on(self, day: date) -> bool:
        return (self.valid_from or date.min) <= day <= (self.valid_to or date.max)


def district_units(copies: int = 1) -> list[UnitProfile]:
    """Every unit of the sample province, former ones included (``isoaudit/data/synthetic_units.csv``).

    ``copies`` > 1 adds ``copies - 1`` more sets of look-alike communes and wards (codes plus 100, 200...,
    predecessors' codes likewise, names numbered 2, 3...): a province of realistic size for benchmarks, the
    first set unchanged."""
    units = [
        UnitProfile(
            unit_code=r.unit_code, unit_name=r.unit_name, level=r.level, parent_code=r.parent_code,
            saturday_reception=r.saturday_reception == "true", officers=int(r.officers), dossiers=int(r.dossiers),
            late_factor=float(r.late_factor), apology_share=float(r.apology_share),
            appointment_beyond_share=float(r.appointment_beyond_share), style=r.style or "", index=i,
            valid_from=_date(r.valid_from), valid_to=_date(r.valid_to),
            predecessors=_codes(r.predecessors), basis=r.basis if isinstance(r.basis, str) else None,
        )
        for i, r in enumerate(unit_table().itertuples(index=False))
    ]
    communes = [u for u in units if u.dossiers]
    for copy in range(1, copies):
        shift = lambda code: f"{int(code) + 100 * copy:0{len(code)}d}"  # noqa: E731
        units += [dataclasses.replace(u, unit_code=shift(u.unit_code), unit_name=f"{u.unit_name} {copy + 1}",
                                      predecessors=tuple(shift(c) for c in u.predecessors), index=len(units) + k)
                  for k, u in enumerate(communes)]
    return units


def units_in(units: list[UnitProfile], year: int) -> list[UnitProfile]:
    """The units with dossiers valid on some day of ``year``, in registry order."""
    return [u for u in units if u.dossiers and u.window(year)]


def units_at_end(units: list[UnitProfile], year: int) -> list[UnitProfile]:
    """The units with dossiers valid on 31/12 of ``year``: those whose objectives, feedback, findings and
    audits the year has."""
    return [u for u in units if u.dossiers and u.valid_on(date(year, 12, 31))]


def parent_name(unit: UnitProfile) -> str:
    """The name of the unit above ``unit`` (the district before the reform, the province after it)."""
    table = unit_table()
    names = table.loc[table["unit_code"] == unit.parent_code, "unit_name"]
    return names.iloc[0] if len(names) else province_name()


@cache
def district_name() -> str:
    """The district's name, as its row of ``synthetic_units.csv`` spells it."""
    table = unit_table()
    return table.loc[table["level"] == "district", "unit_name"].iloc[0]


def province_name() -> str:
    return district_words()["district"]["province"]


def reform_day() -> date:
    """The day the successors of the reform took over (the earliest ``valid_from`` of the units table)."""
    return min(d for d in (_date(v) for v in unit_table()["valid_from"]) if d)


def agency(name: str) -> str:
    """The people's committee of the unit called ``name``, as a form's heading names it."""
    return district_words()["form"]["agency"].format(name=name)


def units_sheet(units: list[UnitProfile], year: int) -> Sheet:
    """``units.xlsx``: the unit registry as known at the end of ``year``: levels, parents, Saturday reception,
    one-stop officers, validity dates (empty when open-ended), predecessors' codes and the decision behind them.
    Units that begin after the year are left out, and an end after the year is not known yet."""
    words = district_words()
    sheet_words = words["units_sheet"]
    end = date(year, 12, 31)
    known = [u for u in units if (u.valid_from or date.min) <= end]
    rows = [[i, u.unit_code, u.unit_name, words["levels"][u.level], u.parent_code,
             sheet_words["yes"] if u.saturday_reception else sheet_words["no"], u.officers or None,
             _cell(u.valid_from), _cell(u.valid_to if u.valid_to and u.valid_to <= end else None),
             "; ".join(u.predecessors) or None,
             words["bases"][u.basis] if u.basis and (u.valid_from or u.valid_to or end) <= end else None]
            for i, u in enumerate(known, 1)]
    title = agency(province_name().upper())
    preamble = [([title], "title"), ([sheet_words["title"].format(province=province_name().upper())], "title"),
                ([sheet_words["year"].format(year=year)], "title"), ([], "title"),
                (list(sheet_words["header"]), "header")]
    sheet = static_sheet(sheet_words["sheet"], preamble, rows, _WIDTHS)
    sheet.date_formats = {7: "dd/mm/yyyy", 8: "dd/mm/yyyy"}
    return sheet


def _date(text: str | None) -> date | None:
    return date.fromisoformat(text) if isinstance(text, str) and text else None


def _codes(text: str | None) -> tuple[str, ...]:
    return tuple(c.strip() for c in text.split(";") if c.strip()) if isinstance(text, str) else ()


def _cell(day: date | None) -> datetime | None:
    return datetime(day.year, day.month, day.day) if day else None
