"""The one-stop rule sets (cơ chế một cửa) and the dates they apply: a dossier is judged under the rules in
force on the day it was received. Nghị định 61/2018/NĐ-CP as amended by 107/2021/NĐ-CP applies to dossiers
received up to 30/06/2025; Nghị định 118/2025/NĐ-CP (with Thông tư 03/2025/TT-VPCP) from 01/07/2025. The
table, with the legal texts each set rests on and what differs that isoaudit uses (the apology form's name,
whether a "stopped" state exists), is ``data/one_stop_rules.csv``."""
from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from importlib import resources

import numpy as np
import pandas as pd

RULES_FILE = "one_stop_rules.csv"
COLUMNS = ("rule_set", "valid_from", "valid_to", "decree", "decree_date", "decree_issuer", "amended_by",
           "amended_by_date", "amended_by_issuer", "forms_circular", "forms_circular_date", "forms_circular_issuer",
           "name_vi", "name_en", "apology_form_vi", "apology_form_en", "stopped_state", "note")
_REQUIRED = ("rule_set", "decree", "decree_issuer", "name_vi", "name_en", "apology_form_vi", "apology_form_en")
_DATES = ("valid_from", "valid_to", "decree_date", "amended_by_date", "forms_circular_date")
_YES_NO = {"yes": True, "no": False}
PERIODS = ("before", "from", "between", "always")  # how a report words a rule set's dates (rule_set_counts)
COUNT_COLUMNS = ["rule_set", "valid_from", "valid_to", "period", "name_vi", "name_en", "dossiers"]


@dataclass(frozen=True)
class RuleSet:
    """One row of ``data/one_stop_rules.csv``: a rule set in force from ``valid_from`` to ``valid_to``
    (inclusive days; None = no bound: before any date the table knows, or still in force), the legal texts
    it rests on (number, date when known, issuer), its name and apology form in both languages, and whether
    the one-stop software may stop handling a dossier with a notice (``has_stopped_state``)."""

    code: str
    valid_from: date | None
    valid_to: date | None
    decree: str
    decree_date: date | None
    decree_issuer: str
    amended_by: str
    amended_by_date: date | None
    amended_by_issuer: str
    forms_circular: str
    forms_circular_date: date | None
    forms_circular_issuer: str
    name_vi: str
    name_en: str
    apology_form_vi: str
    apology_form_en: str
    has_stopped_state: bool
    note: str = ""

    def name(self, lang: str) -> str:
        """The rule set as a report names it, in ``lang`` ("vi" or "en")."""
        return self.name_en if lang == "en" else self.name_vi

    def apology_form(self, lang: str) -> str:
        """The name of the apology form of this period, in ``lang``."""
        return self.apology_form_en if lang == "en" else self.apology_form_vi


class RuleTableError(ValueError):
    """``data/one_stop_rules.csv`` is malformed (a fault of the installed package, not of the user's records)."""


@lru_cache(maxsize=1)
def rule_sets() -> tuple[RuleSet, ...]:
    """The rule sets of ``data/one_stop_rules.csv`` in date order, checked: every required field given, dates
    dd/mm/yyyy, ``valid_from`` not after ``valid_to``, periods neither overlapping nor leaving a gap."""
    text = resources.files("isoaudit.data").joinpath(RULES_FILE).read_text(encoding="utf-8")
    return check_rule_sets(text, RULES_FILE)


def check_rule_sets(text: str, file_name: str = RULES_FILE) -> tuple[RuleSet, ...]:
    """The rule sets of the CSV ``text``; a bad row raises ``RuleTableError`` naming ``file_name`` and the line."""
    reader = csv.DictReader(text.splitlines())
    missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise RuleTableError(f"{file_name}: missing column(s) {', '.join(missing)}")
    rows = []
    for number, row in enumerate(reader, start=2):
        rows.append(_rule_set(row, f"{file_name} line {number}"))
    if not rows:
        raise RuleTableError(f"{file_name}: no rule set")
    codes = [r.code for r in rows]
    if len(set(codes)) != len(codes):
        raise RuleTableError(f"{file_name}: a rule_set code is given twice ({', '.join(codes)})")
    ordered = sorted(rows, key=lambda r: r.valid_from or date.min)
    for before, after in zip(ordered, ordered[1:]):
        if before.valid_to is None or after.valid_from is None or \
                (after.valid_from - before.valid_to).days != 1:
            raise RuleTableError(f"{file_name}: rule sets {before.code} (to {_dmy(before.valid_to)}) and "
                                 f"{after.code} (from {_dmy(after.valid_from)}) overlap or leave a gap: the next "
                                 "set must start the day after the previous one ends")
    return tuple(ordered)


def rule_set_for(received_at: pd.Series) -> pd.Series:
    """The ``rule_set`` code in force on each receipt date (datetime64; the day counts, not the hour), as a
    categorical of the table's codes in date order; missing where the date is missing or outside every set."""
    sets = rule_sets()
    dtype = pd.CategoricalDtype([s.code for s in sets], ordered=True)
    day = pd.to_datetime(received_at).dt.normalize().to_numpy("datetime64[D]")
    codes = np.full(len(day), -1, dtype=np.int8)
    known = ~np.isnat(day)
    for position, rule_set in enumerate(sets):
        inside = known.copy()
        if rule_set.valid_from is not None:
            inside &= day >= np.datetime64(rule_set.valid_from, "D")
        if rule_set.valid_to is not None:
            inside &= day <= np.datetime64(rule_set.valid_to, "D")
        codes[inside] = position
    return pd.Series(pd.Categorical.from_codes(codes, dtype=dtype), index=received_at.index, name="rule_set")


def apology_forms(received_at: pd.Series, lang: str = "vi") -> list[str]:
    """The apology form each rule set in force on ``received_at`` asks for, named with its rule set
    ("Phiếu xin lỗi và hẹn lại ngày trả kết quả (Nghị định 61/2018/NĐ-CP …)"), in date order."""
    used = set(rule_set_for(received_at).dropna())
    return [f"{s.apology_form(lang)} ({s.name(lang)})" for s in rule_sets() if s.code in used]


def rule_set_counts(dossiers: pd.DataFrame) -> pd.DataFrame:
    """How many of ``dossiers`` (a ``received_at`` column) each rule set judges: one row per rule set in date
    order with ``rule_set``, ``valid_from``, ``valid_to`` (dates or None), ``period`` (how a report words the
    dates: ``before`` the day after ``valid_to``, ``from`` ``valid_from``, ``between`` both, ``always``),
    ``name_vi``, ``name_en`` and ``dossiers`` (count, 0 included); dossiers without a receipt date are not
    counted."""
    sets = rule_sets()
    counts = rule_set_for(dossiers["received_at"]).value_counts(sort=False)
    return pd.DataFrame({
        "rule_set": [s.code for s in sets],
        "valid_from": [s.valid_from for s in sets],
        "valid_to": [s.valid_to for s in sets],
        "period": [_period(s) for s in sets],
        "name_vi": [s.name_vi for s in sets],
        "name_en": [s.name_en for s in sets],
        "dossiers": [int(counts.get(s.code, 0)) for s in sets],
    }, columns=COUNT_COLUMNS)


def rule_set(code: str) -> RuleSet:
    """The rule set of ``code`` (a ``rule_set`` of the table); KeyError when there is none."""
    for candidate in rule_sets():
        if candidate.code == code:
            return candidate
    raise KeyError(code)


def _rule_set(row: dict, where: str) -> RuleSet:
    values = {c: str(row.get(c) or "").strip() for c in COLUMNS}
    empty = [c for c in _REQUIRED if not values[c]]
    if empty:
        raise RuleTableError(f"{where}: {', '.join(empty)} not given")
    dates = {}
    for column in _DATES:
        try:
            dates[column] = datetime.strptime(values[column], "%d/%m/%Y").date() if values[column] else None
        except ValueError:
            raise RuleTableError(f"{where}: {column} {values[column]!r} is not a date dd/mm/yyyy") from None
    if values["stopped_state"] not in _YES_NO:
        raise RuleTableError(f"{where}: stopped_state {values['stopped_state']!r} is not yes or no")
    if dates["valid_from"] and dates["valid_to"] and dates["valid_from"] > dates["valid_to"]:
        raise RuleTableError(f"{where}: valid_from {values['valid_from']} is after valid_to {values['valid_to']}")
    return RuleSet(values["rule_set"], dates["valid_from"], dates["valid_to"], values["decree"], dates["decree_date"],
                   values["decree_issuer"], values["amended_by"], dates["amended_by_date"],
                   values["amended_by_issuer"], values["forms_circular"], dates["forms_circular_date"],
                   values["forms_circular_issuer"], values["name_vi"], values["name_en"], values["apology_form_vi"],
                   values["apology_form_en"], _YES_NO[values["stopped_state"]], values["note"])


def _period(rule_set: RuleSet) -> str:
    if rule_set.valid_from is None:
        return "always" if rule_set.valid_to is None else "before"
    return "from" if rule_set.valid_to is None else "between"


def _dmy(day: date | None) -> str:
    return day.strftime("%d/%m/%Y") if day else "..."
