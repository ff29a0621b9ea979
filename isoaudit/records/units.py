"""The unit registry: which unit a code names, whatever way the code reached isoaudit."""
from __future__ import annotations

from isoaudit.errors import RecordsError

# A ward (phường) and a township answer for the same procedures and checklist items as a commune.
LEVEL_ANSWERS_AS = {"ward": "commune"}


def answering_level(level: str) -> str:
    """The level whose procedures and checklist items a unit of ``level`` answers for (a ward: commune)."""
    return LEVEL_ANSWERS_AS.get(level, level)
from isoaudit.text import clean


def default_unit(records) -> str:
    """The first commune of the unit registry (in file order), else its first ward, else the first unit
    with dossiers."""
    units = records.units
    for level in ("commune", "ward"):
        codes = units.loc[(units["level"] == level).fillna(False).to_numpy(bool), "unit_code"].dropna()
        if len(codes):
            return str(codes.iloc[0])
    with_dossiers = sorted(records.dossiers["unit_code"].dropna().unique())
    if with_dossiers:
        return str(with_dossiers[0])
    raise RecordsError("audit.no_unit", folder=str(records.folder))


def known_unit_code(records, unit) -> str:
    """``unit`` as the registry writes it. A number that lost its leading zeros on the way (papermill's
    ``-p unit 02266`` passes the integer 2266) is matched to the registry's code with them."""
    unit = clean(unit)
    codes = records.units["unit_code"].dropna()
    if unit in set(codes) or not unit.isdigit():
        return unit
    padded = codes[codes.str.lstrip("0") == unit.lstrip("0")]
    return str(padded.iloc[0]) if len(padded) == 1 else unit
