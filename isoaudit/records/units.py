"""The unit registry: which unit a code names, whatever way the code reached isoaudit."""
from __future__ import annotations

import pandas as pd

from isoaudit.errors import RecordsError
from isoaudit.records.units_in_time import KEY_SEPARATOR, period_text, valid_units
from isoaudit.text import clean

# A ward (phường) and a township answer for the same procedures and checklist items as a commune.
LEVEL_ANSWERS_AS = {"ward": "commune"}
# A code of digits as it may have been stored: as a number (8023, 8023.0) or as text with its zeros (" 08023 ").
_DIGITS = r"^0*(\d+?)(?:\.0*)?$"


def answering_level(level: str) -> str:
    """The level whose procedures and checklist items a unit of ``level`` answers for (a ward: commune)."""
    return LEVEL_ANSWERS_AS.get(level, level)


def default_unit(records) -> str:
    """The first commune of the unit registry (in file order), else its first ward, else the first unit
    with dossiers; among the units that exist on the latest day a dossier was received, when there are any
    (a commune dissolved in a merger is history, not the unit to audit)."""
    units = records.units
    latest = records.dossiers["received_at"].max()
    if pd.notna(latest) and valid_units(units, latest.normalize()).any():
        units = units[valid_units(units, latest.normalize())]
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
    return str(normalise_unit_codes(pd.Series([clean(unit)], dtype="string"), records.units["unit_code"]).iloc[0])


def normalise_unit_codes(codes: pd.Series, registry_codes) -> pd.Series:
    """``codes`` as the registry writes them, whatever way they were stored: a code of digits kept as a number
    (8023 or 8023.0 for "08023"), as text without its zeros ("8023") or with spaces (" 08023 ") is the registry's
    code with the same digits. A code in the registry as written, a code of other characters, and a code whose
    digits two registry codes share ("8023" when both "8023" and "08023" exist) stay as written (trimmed).
    Missing codes stay missing; the result is a string Series on ``codes``' index."""
    text = codes.astype("string").str.strip()
    registry = pd.Series(registry_codes, dtype="string").dropna()
    # A column holds a handful of distinct codes: each is matched once.
    distinct = pd.Series(text.dropna().unique(), dtype="string")
    known = in_registry(distinct, registry)
    if known.all():  # the usual column: every code written as the registry writes it
        return text
    by_digits = registry.groupby(_digits(registry)).agg(lambda same: same.iloc[0] if len(same) == 1 else pd.NA)
    matched = _digits(distinct).map(by_digits).astype("string")
    lookup = dict(zip(distinct, distinct.where(known, matched.fillna(distinct))))
    return text.map(lookup, na_action="ignore").astype("string")


def in_registry(codes: pd.Series, registry_codes: pd.Series) -> pd.Series:
    """Whether each of the string Series ``codes`` is one of ``registry_codes`` as written (a missing code is
    not). The registry is searched for the few codes a column holds: ``isin`` over a registry's hundreds of
    codes would first turn each into a Python object, file after file."""
    present = [code for code in codes.unique() if not pd.isna(code)]
    found = set(registry_codes.to_numpy(dtype=object)[registry_codes.isin(present).to_numpy(bool)])
    return codes.notna() if len(found) == len(present) else codes.isin(found)


def _digits(codes: pd.Series) -> pd.Series:
    """The digits that make a code, without leading zeros or a number's ".0"; <NA> for codes of other characters."""
    return codes.str.extract(_DIGITS, expand=False).astype("string")


def unit_choices(records, codes) -> str:
    """``codes`` (unit keys) as a user can type them, for a "not found" message: a unit whose code a later
    unit reuses is shown with its name and last day ("08011@2025-06-30 (Phường Hùng Vương, đến 30/06/2025)")."""
    units = records.units.drop_duplicates("unit_code").set_index("unit_code")
    shown = []
    for key in sorted(str(c) for c in codes):
        if KEY_SEPARATOR in key and key in units.index:
            shown.append(f"{key} ({units.loc[key, 'unit_name']}, {period_text(units.loc[key])})")
        else:
            shown.append(key)
    return ", ".join(shown) or "-"
