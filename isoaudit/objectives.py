"""Quality objectives (clause 6.2): targets as agencies write them, results measured from the records, met or not.

A target is read from its text: ``"≥ 98 %"``, ``"100 %"``, ``"0"``, ``"≤ 2 ngày"``, ``"Không quá 2 ngày
làm việc"``, ``"tối thiểu 90% hài lòng"``. Percentages become fractions 0..1; days are working days. With no
comparison written, the direction comes from the objective's measure (a rate of on-time dossiers is a floor,
a number of late dossiers a ceiling), else a bare 0 is a ceiling and anything else a floor.

An objective with a ``measure`` key (see ``MEASURES``) is measured from the records; one without takes its
``actual`` as written by the agency ("98,5 %", "Đạt", "Không đạt").
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Mapping

import numpy as np
import pandas as pd

from isoaudit.text import clean, fold

PERCENT = "percent"  # a fraction 0..1, written as a percentage
DAYS = "days"  # working days
COUNT = "count"

OBJECTIVE_RESULT_COLUMNS = [
    "unit_code", "objective_id", "objective", "indicator", "target", "measure", "target_op", "target_value",
    "target_unit", "measured", "result_source", "met", "note",
]


@dataclass(frozen=True)
class Measure:
    """A result isoaudit computes from the records: its unit and whether more is better."""

    key: str
    unit: str
    higher_is_better: bool


MEASURES: dict[str, Measure] = {m.key: m for m in (
    Measure("on_time_rate", PERCENT, True),  # (early + on time) / returned dossiers
    Measure("late_rate", PERCENT, False),  # late / returned dossiers
    Measure("late_count", COUNT, False),  # dossiers returned late
    Measure("overdue_count", COUNT, False),  # dossiers past due and not returned at the end of the period
    Measure("late_without_apology_count", COUNT, False),  # late dossiers with no apology letter
    Measure("appointment_beyond_legal_count", COUNT, False),  # appointments later than the legal time allows
    Measure("online_rate", PERCENT, True),  # dossiers received online / received
    Measure("mean_processing_days", DAYS, False),  # working days from receipt to return, on average
    Measure("satisfaction_rate", PERCENT, True),  # satisfied or very satisfied answers / answers
    Measure("feedback_on_time_rate", PERCENT, True),  # feedback answered by its due date / with a due date
    Measure("complaint_count", COUNT, False),  # complaints received
    Measure("process_coverage", PERCENT, True),  # catalogue procedures with an internal process / procedures
    Measure("corrective_actions_overdue_count", COUNT, False),  # corrective actions past deadline, not done
    Measure("review_actions_done_rate", PERCENT, True),  # previous review's decisions done / decided
)}
# Other names agencies (and the audit checklist's evidence keys) use for the same measures.
MEASURE_ALIASES = {
    "late_without_apology": "late_without_apology_count",
    "appointment_beyond_legal": "appointment_beyond_legal_count",
    "overdue_dossiers": "overdue_count",
    "corrective_actions_overdue": "corrective_actions_overdue_count",
    "previous_review_actions": "review_actions_done_rate",
}


def measure_key(text) -> str | None:
    """The ``MEASURES`` key named by ``text`` (case and separators ignored, aliases followed), else the text
    as written (an unknown key), or None when empty."""
    written = _text(text)
    if not written:
        return None
    key = fold(written).replace(" ", "_")
    key = MEASURE_ALIASES.get(key, key)
    return key if key in MEASURES else written


@dataclass(frozen=True)
class Target:
    """``op`` one of >=, >, <=, <, = ; ``value`` a fraction 0..1 for percentages, else as written."""

    op: str
    value: float
    unit: str
    text: str

    def met_by(self, measured: float) -> bool:
        return bool(_compare(np.array([measured]), self.op, self.value)[0])


_NUMBER = re.compile(r"(\d+(?:[.,]\d+)?)")
_SYMBOLS = (("≥", ">="), ("=>", ">="), (">=", ">="), ("≤", "<="), ("=<", "<="), ("<=", "<="),
            (">", ">"), ("<", "<"), ("=", "="))
# Folded words before the number; longer phrases first so "khong duoi" is not read as "duoi".
_WORDS = (("khong vuot qua", "<="), ("khong qua", "<="), ("khong duoi", ">="), ("khong it hon", ">="),
          ("it nhat", ">="), ("toi thieu", ">="), ("tu", ">="), ("tren", ">"), ("hon", ">"), ("toi da", "<="),
          ("duoi", "<"), ("it hon", "<"), ("bang", "="), ("at least", ">="), ("no less than", ">="),
          ("minimum", ">="), ("min", ">="), ("over", ">"), ("above", ">"), ("more than", ">"),
          ("at most", "<="), ("no more than", "<="), ("maximum", "<="), ("max", "<="), ("under", "<"),
          ("below", "<"), ("less than", "<"))
_DAY_WORDS = ("ngay", "day", "days", "working day", "working days")
_MET_WORDS = {"dat": True, "hoan thanh": True, "da dat": True, "vuot": True, "met": True, "achieved": True,
              "done": True, "yes": True, "co": True,
              "khong dat": False, "chua dat": False, "chua hoan thanh": False, "khong hoan thanh": False,
              "not met": False, "missed": False, "no": False, "khong": False}


def parse_target(text, measure: str | None = None) -> Target | None:
    """The target written in ``text``, or None when it holds no number (then met-ness cannot be judged).

    ``measure`` (a ``MEASURES`` key) gives the unit and direction when the text does not say them.
    """
    raw = _text(text)
    match = _NUMBER.search(raw)
    if not match:
        return None
    spec = MEASURES.get(measure_key(measure) or "") if measure else None
    value = float(match.group(1).replace(",", "."))
    before, after = raw[:match.start()], raw[match.end():]
    unit = _unit(after, spec)
    if unit == PERCENT:
        value /= 100
    op = _operator(before)
    if op is None:
        if spec is not None:
            op = ">=" if spec.higher_is_better else "<="
        elif unit == DAYS or value == 0:
            op = "<="
        else:
            op = ">="
    return Target(op, value, unit, raw)


def parse_result(text, unit: str) -> tuple[float | None, bool | None]:
    """A result written by hand: its number in ``unit`` (percentages as 0..1), or a met/not met word."""
    raw = _text(text)
    if not raw:
        return None, None
    match = _NUMBER.search(raw)
    if match:
        value = float(match.group(1).replace(",", "."))
        if unit == PERCENT and ("%" in raw or value > 1):
            value /= 100
        return value, None
    return None, _MET_WORDS.get(fold(raw))


def evaluate_objectives(objectives: pd.DataFrame, measured: Mapping[str, float | None]) -> pd.DataFrame:
    """One row per objective (columns ``OBJECTIVE_RESULT_COLUMNS``): the parsed target, the result and
    whether it was met.

    ``measured`` maps ``MEASURES`` keys (or their aliases) to values computed from the records (see
    ``review``); percentages are fractions 0..1. ``result_source`` is ``computed``, ``manual`` or
    ``missing``; ``met`` is a nullable boolean (<NA> when the target or the result cannot be read); ``note``
    a code when something is off: ``unknown_measure``, ``no_data``, ``target_unreadable``,
    ``result_unreadable``, ``no_result``.
    """
    measured = {MEASURE_ALIASES.get(key, key): value for key, value in measured.items()}
    rows = []
    for objective in objectives.itertuples(index=False):  # a plan has a dozen objectives at most
        rows.append(_evaluate_one(objective, measured))
    frame = pd.DataFrame(rows, columns=OBJECTIVE_RESULT_COLUMNS)
    frame["measured"] = frame["measured"].astype("Float64")
    frame["target_value"] = frame["target_value"].astype("Float64")
    frame["met"] = frame["met"].astype("boolean")
    for column in ("unit_code", "objective_id", "objective", "indicator", "target", "measure", "target_op",
                   "target_unit", "result_source", "note"):
        frame[column] = frame[column].astype("string")
    return frame


def _evaluate_one(objective, measured: Mapping) -> dict:
    key = measure_key(getattr(objective, "measure", None))
    spec = MEASURES.get(key) if key else None
    target = parse_target(objective.target, key)
    row = {
        "unit_code": getattr(objective, "unit_code", None),
        "objective_id": getattr(objective, "objective_id", None),
        "objective": objective.objective,
        "indicator": getattr(objective, "indicator", None),
        "target": objective.target,
        "measure": key,
        "target_op": target.op if target else None,
        "target_value": target.value if target else None,
        "target_unit": target.unit if target else None,
        "measured": None,
        "result_source": "missing",
        "met": None,
        "note": None,
    }
    met_word = None
    if key is not None and spec is None:
        row["note"] = "unknown_measure"
    elif spec is not None:
        value = measured.get(key)
        if value is None or value != value:
            row["note"] = "no_data"
        else:
            row["measured"], row["result_source"] = float(value), "computed"
    if row["result_source"] == "missing" and row["note"] is None:
        unit = target.unit if target else COUNT
        value, met_word = parse_result(getattr(objective, "actual", None), unit)
        if value is not None:
            row["measured"], row["result_source"] = value, "manual"
        elif met_word is not None:
            row["result_source"] = "manual"
        else:
            row["note"] = "no_result" if not _text(getattr(objective, "actual", None)) else "result_unreadable"
    if row["measured"] is not None:
        if target is None:
            row["note"] = "target_unreadable"
        else:
            row["met"] = target.met_by(row["measured"])
    elif met_word is not None:
        row["met"] = met_word
    return row


def _text(value) -> str:
    """``clean`` text, '' for any missing value (None, NaN, <NA>)."""
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return ""
    return clean(value)


def _unit(after: str, spec: Measure | None) -> str:
    tail = after.lstrip()
    if tail.startswith("%"):
        return PERCENT
    if fold(tail).startswith(_DAY_WORDS):
        return DAYS
    if spec is not None:
        return spec.unit
    return COUNT


def _operator(before: str) -> str | None:
    stripped = before.rstrip()
    for symbol, op in _SYMBOLS:
        if stripped.endswith(symbol):
            return op
    folded = fold(before)
    for word, op in _WORDS:
        if folded == word or folded.endswith(" " + word):
            return op
    return None


def _compare(values: np.ndarray, op: str, target: float) -> np.ndarray:
    # Rates computed as fractions carry float noise: 0.98 measured must meet "≥ 98 %".
    tolerance = 1e-9
    if op == ">=":
        return values >= target - tolerance
    if op == ">":
        return values > target + tolerance
    if op == "<=":
        return values <= target + tolerance
    if op == "<":
        return values < target - tolerance
    return np.abs(values - target) <= tolerance
