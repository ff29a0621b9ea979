"""The sample district, its wards and communes and how each one-stop counter behaves; ``units.xlsx``.

The units are rows of ``isoaudit/data/synthetic_units.csv``; the district is its one row of level "district".
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from functools import cache

from isoaudit.synthetic.sheets import Sheet, static_sheet
from isoaudit.synthetic.words import district_words, unit_table
from isoaudit.text import fold

_WIDTHS = [6, 10, 24, 10, 18, 22, 20]  # of the units workbook's columns


@dataclass(frozen=True)
class UnitProfile:
    """A unit of the sample district and how its one-stop counter behaves.

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

    @property
    def lower_name(self) -> str:
        """The name as written inside a sentence or an address: its first letter in lower case."""
        return self.unit_name[:1].lower() + self.unit_name[1:]

    @property
    def slug(self) -> str:
        return fold(self.unit_name).replace(" ", "_")


def district_units(copies: int = 1) -> list[UnitProfile]:
    """The sample district and its wards and communes (``isoaudit/data/synthetic_units.csv``).

    ``copies`` > 1 adds ``copies - 1`` more sets of look-alike communes (codes plus 100, 200..., names
    numbered 2, 3...): a district of realistic size for benchmarks, the first set unchanged."""
    units = [
        UnitProfile(
            unit_code=r.unit_code, unit_name=r.unit_name, level=r.level, parent_code=r.parent_code,
            saturday_reception=r.saturday_reception == "true", officers=int(r.officers), dossiers=int(r.dossiers),
            late_factor=float(r.late_factor), apology_share=float(r.apology_share),
            appointment_beyond_share=float(r.appointment_beyond_share), style=r.style or "", index=i,
        )
        for i, r in enumerate(unit_table().itertuples(index=False))
    ]
    communes = [u for u in units if u.dossiers]
    for copy in range(1, copies):
        units += [dataclasses.replace(u, unit_code=f"{int(u.unit_code) + 100 * copy:0{len(u.unit_code)}d}",
                                      unit_name=f"{u.unit_name} {copy + 1}", index=len(units) + k)
                  for k, u in enumerate(communes)]
    return units


@cache
def district_name() -> str:
    """The district's name, as its row of ``synthetic_units.csv`` spells it."""
    table = unit_table()
    return table.loc[table["level"] == "district", "unit_name"].iloc[0]


def province_name() -> str:
    return district_words()["district"]["province"]


def agency(name: str) -> str:
    """The people's committee of the unit called ``name``, as a form's heading names it."""
    return district_words()["form"]["agency"].format(name=name)


def units_sheet(units: list[UnitProfile], year: int) -> Sheet:
    """``units.xlsx``: the unit registry with levels, parents, Saturday reception and one-stop officers."""
    words = district_words()
    sheet_words = words["units_sheet"]
    rows = [[i, u.unit_code, u.unit_name, words["levels"][u.level], u.parent_code,
             sheet_words["yes"] if u.saturday_reception else sheet_words["no"], u.officers or None]
            for i, u in enumerate(units, 1)]
    preamble = [([agency(district_name().upper())], "title"), ([sheet_words["title"]], "title"),
                ([sheet_words["year"].format(year=year)], "title"), ([], "title"),
                (list(sheet_words["header"]), "header")]
    return static_sheet(sheet_words["sheet"], preamble, rows, _WIDTHS)
