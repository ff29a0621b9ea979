"""Quality objectives (clause 6.2): targets as auditors write them, results recomputed from the records and set
against the result the agency reported, met or not.

Targets (``parse_target``)
    ``"≥ 98 %"``, ``"98%"``, ``"100 %"``, ``"tối thiểu 95%"``, ``"không quá 2 ngày"``, ``"tối đa 2 ngày làm
    việc"``, ``"0 hồ sơ quá hạn"``. Percentages become fractions 0..1; days are working days. A percent-formatted
    Excel cell reaches isoaudit as the fraction it stores (a cell showing 98 % is read as ``"0.98"``, 100 % as
    ``"1"``), so on a rate measure a bare number ≤ 1 is that fraction and a bare number above 1 a percentage
    typed without its sign (``"98"``). With no comparison written, the direction comes from the measure (an
    on-time rate is a floor, a count of late dossiers a ceiling), else days and a bare 0 are ceilings and
    anything else a floor.

Relative targets
    ``"tăng 5%"``, ``"tăng ít nhất 5 %"``, ``"giảm 10 % so với năm trước"``, ``"increase by 5%"``, ``"reduce by
    10%"`` compare with the previous year's value of the same measure, and the percentage multiplies it:
    "tăng 5%" is a floor of previous × (1 + 5 %), "giảm 10%" a ceiling of previous × (1 − 10 %). On a rate this
    is a relative change, not percentage points: an online rate of 40 % that must "tăng 5%" must reach 42 %.
    "tăng không quá 5%" makes the floor a ceiling, "giảm tối đa 10%" the ceiling a floor; "tăng lên 30%",
    "giảm xuống/còn 2%" are absolute targets. A relative target is judged only when the previous year's value
    is known.

Unreadable targets are never guessed: no number, a unit that contradicts the measure (``"98 %"`` for a count,
``"2 ngày"`` or ``"0 hồ sơ"`` for a rate, a rate above 100 %, a count that is not whole) or a relative change
that is not a percentage.

Measures
    An objective with a ``measure`` key (``isoaudit.measures.MEASURES`` or an alias) is measured from the
    records. One without is matched on its wording (objective, indicator and target, folded) by the rules of
    ``data/objective_measures.csv`` (``infer_measure``); objectives about what isoaudit cannot compute (training
    staff...) match none and are judged on the result the agency typed in ``actual``.

Judging (``evaluate_objectives``)
    With a measure, the recomputed value is judged (``result_source`` ``computed``) whatever the agency
    reported; when the records cannot support the measure the objective is not judged (``no_data``), even if
    the agency reported a result. Only with no measure is the agency's ``actual`` judged (``manual``: a number,
    or a met word such as "Đạt", "Không đạt"). The agency's own figure is kept in ``reported`` and set against
    the recomputed one within the measure's ``tolerance`` (``discrepancy``).

Note codes (``note``; worded by ``objectives.note.<code>`` in ``data/labels_objectives.toml``):

=====================  ==================================================================================
unknown_measure        the ``measure`` key is not one isoaudit computes; not judged
target_unreadable      the target has no number, or its unit contradicts the measure; not judged
no_data                the records cannot support the measure ("không đo được"); not judged
relative_no_previous   a relative target with no previous-year value of its measure; not judged
no_result              no measure applies and the agency wrote no result
result_unreadable      no measure applies and the result has neither a number nor a met word
=====================  ==================================================================================
"""
from __future__ import annotations

import csv
import re
from dataclasses import dataclass, replace
from functools import lru_cache
from importlib import resources
from typing import Mapping

import numpy as np
import pandas as pd

from isoaudit.measures import (
    COUNT,
    DAYS,
    MEASURE_ALIASES,
    MEASURES,
    PERCENT,
    RATE_PER_DAY,
    Measure,
)
from isoaudit.text import clean, fold

__all__ = [
    "COUNT", "DAYS", "MEASURES", "MEASURE_ALIASES", "NOTES", "OBJECTIVE_RESULT_COLUMNS", "PERCENT", "RATE_PER_DAY",
    "Measure", "MeasureRule", "Target", "evaluate_objectives", "infer_measure", "measure_key", "measure_rules",
    "parse_result", "parse_target",
]

RESULT_SOURCES = ("computed", "manual", "missing")  # where an objective's judged result came from
OBJECTIVE_RESULT_COLUMNS = [
    "unit_code", "objective_id", "objective", "indicator", "target", "measure", "measure_inferred", "target_op",
    "target_value", "target_unit", "reported", "recomputed", "discrepancy", "measured", "result_source", "met",
    "note", "source_file", "source_row",
]
NOTES = ("unknown_measure", "target_unreadable", "no_data", "relative_no_previous", "no_result",
         "result_unreadable")
RULES_FILE = "objective_measures.csv"
_NOISE = 1e-9  # rates computed as fractions carry float noise: 49/50 must meet "≥ 98 %"


def evaluate_objectives(objectives: pd.DataFrame, measured: Mapping[str, float | None],
                        previous: Mapping[str, float | None] | None = None) -> pd.DataFrame:
    """One row per objective (columns ``OBJECTIVE_RESULT_COLUMNS``): the parsed target, the agency's and the
    recomputed result, and whether the objective was met.

    ``measured`` maps ``MEASURES`` keys (or aliases) to the values the records give for the year, None where
    they cannot support a figure; ``previous`` the same for the year before (for relative targets). Rates are
    fractions 0..1, days working days.

    ``measure`` the key judged (explicit or, with ``measure_inferred``, from the wording); ``target_op``,
    ``target_value`` (a relative target resolved against ``previous``; <NA> when it cannot be) and
    ``target_unit``; ``reported`` the agency's own figure from ``actual`` (Float64); ``recomputed`` the value of
    ``measured`` for the measure (Float64); ``discrepancy`` (boolean) both present and further apart than the
    measure's tolerance, <NA> when not comparable; ``measured`` the value judged and ``result_source``
    (``computed``, ``manual``, ``missing``); ``met`` (boolean, <NA> when not judged); ``note`` one of ``NOTES``;
    ``source_file`` and ``source_row`` as read.
    """
    measured, previous = _by_key(measured), _by_key(previous or {})
    rows = [_evaluate_one(objective, measured, previous) for objective in objectives.itertuples(index=False)]
    frame = pd.DataFrame(rows, columns=OBJECTIVE_RESULT_COLUMNS)
    for column in ("target_value", "reported", "recomputed", "measured"):
        frame[column] = frame[column].astype("Float64")
    for column in ("measure_inferred", "discrepancy", "met"):
        frame[column] = frame[column].astype("boolean")
    frame["source_row"] = frame["source_row"].astype("Int64")
    for column in ("unit_code", "objective_id", "objective", "indicator", "target", "measure", "target_op",
                   "target_unit", "result_source", "note", "source_file"):
        frame[column] = frame[column].astype("string")
    return frame


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
    """``op`` one of >=, >, <=, <, = ; ``value`` in ``unit`` (a fraction 0..1 for percentages, working days),
    None for a relative target until ``against`` resolves it; ``change`` the relative change written (+0.05
    for "tăng 5%", -0.10 for "giảm 10%"), None for an absolute target."""

    op: str
    value: float | None
    unit: str | None
    text: str
    change: float | None = None

    @property
    def relative(self) -> bool:
        return self.change is not None

    def against(self, previous: float | None) -> Target | None:
        """The absolute target given the previous year's value: itself when absolute, previous × (1 + change)
        when relative, None when relative and ``previous`` is None."""
        if not self.relative:
            return self
        if previous is None:
            return None
        return replace(self, value=previous * (1 + self.change))

    def met_by(self, measured: float) -> bool:
        if self.value is None:
            raise ValueError(f"relative target {self.text!r} needs the previous year's value (Target.against)")
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
_INCREASE = {"tang", "increase", "raise"}
_DECREASE = {"giam", "reduce", "decrease", "cut"}
# After "tăng"/"giảm" these make the number a level to reach ("tăng lên 30%"), not a change ("tăng 5%").
_TO_LEVEL = {"len", "xuong", "con", "dat", "to"}
# Folded words right after the number that say its unit; "%" is checked on the raw text.
_UNIT_WORDS = ((PERCENT, ("phan tram", "percent")),
               (DAYS, ("ngay", "day", "days", "working day", "working days")),
               (COUNT, ("ho so", "lan", "phan anh", "kien nghi", "khieu nai", "don", "truong hop", "vu",
                        "phieu", "quy trinh", "thu tuc", "dossier", "dossiers", "case", "cases", "time", "times",
                        "complaint", "complaints")))
_MET_WORDS = {"dat": True, "hoan thanh": True, "da dat": True, "vuot": True, "met": True, "achieved": True,
              "done": True, "yes": True, "co": True,
              "khong dat": False, "chua dat": False, "chua hoan thanh": False, "khong hoan thanh": False,
              "not met": False, "missed": False, "no": False, "khong": False}


def parse_target(text, measure: str | None = None) -> Target | None:
    """The target written in ``text``, or None when it cannot be read (no number, a unit contradicting
    ``measure``, a relative change that is not a percentage): then met-ness cannot be judged.

    ``measure`` (a ``MEASURES`` key or alias) gives the unit and direction when the text does not say them.
    """
    raw = _text(text)
    match = _NUMBER.search(raw)
    if not match:
        return None
    spec = MEASURES.get(measure_key(measure) or "") if measure else None
    value = float(match.group(1).replace(",", "."))
    before, after = raw[:match.start()], raw[match.end():]
    written = _written_unit(after)
    op = _operator(before)
    direction, is_change = _direction(before)
    if is_change:
        if written != PERCENT:
            return None
        rising = direction > 0
        if op in ("<=", "<"):  # "tăng không quá 5%": the change is a ceiling
            rising = not rising
        return Target(">=" if rising else "<=", None, spec.unit if spec else None, raw, direction * value / 100)
    unit = _target_unit(value, written, spec)
    if unit is None:
        return None
    if unit == PERCENT and (written == PERCENT or value > 1):
        value /= 100
    if spec is not None and spec.unit == PERCENT and value > 1 + _NOISE:
        return None  # no rate exceeds 100 %
    if spec is not None and spec.unit == COUNT and not value.is_integer():
        return None  # a percent cell (0.98) on a count measure
    if op is None:
        if direction:
            op = ">=" if direction > 0 else "<="
        elif spec is not None:
            op = ">=" if spec.higher_is_better else "<="
        elif unit == DAYS or value == 0:
            op = "<="
        else:
            op = ">="
    return Target(op, value, unit, raw)


def parse_result(text, unit: str | None) -> tuple[float | None, bool | None]:
    """A result written by hand: its number in ``unit`` (a number written with "%" always as 0..1; on a
    percent unit a bare number above 1 is a percentage, one ≤ 1 a fraction), or a met/not met word."""
    raw = _text(text)
    if not raw:
        return None, None
    match = _NUMBER.search(raw)
    if match:
        value = float(match.group(1).replace(",", "."))
        if "%" in raw[match.end():] or (unit == PERCENT and value > 1):
            value /= 100
        return value, None
    return None, _MET_WORDS.get(fold(raw))


def infer_measure(objective, indicator=None, target=None) -> str | None:
    """The ``MEASURES`` key an objective's wording names, by the first matching rule of ``measure_rules``;
    None when no rule matches or the first one that does names no measure (nothing isoaudit computes)."""
    words = " " + fold(" ".join(_text(part) for part in (objective, indicator, target))) + " "
    form = _target_form(target)
    for rule in measure_rules():
        if rule.matches(words, form):
            return rule.measure
    return None


@dataclass(frozen=True)
class MeasureRule:
    """One row of ``data/objective_measures.csv``: ``measure`` (None: nothing isoaudit computes), ``target``
    the unit the target must not contradict (None: any), ``words`` folded phrases that must all appear, each
    given as alternatives (``"phan anh|kien nghi;dung han"``)."""

    measure: str | None
    target: str | None
    words: tuple[tuple[str, ...], ...]

    def matches(self, folded: str, form: str | None) -> bool:
        """``folded``: the wording folded, with a space at each end; ``form``: the unit the target is
        written in (None when it does not say)."""
        if self.target is not None and form is not None and form != self.target:
            return False
        return all(any(f" {phrase} " in folded for phrase in alternatives) for alternatives in self.words)


@lru_cache(maxsize=1)
def measure_rules() -> tuple[MeasureRule, ...]:
    """The rules of ``data/objective_measures.csv`` in file order (first match wins).

    Columns: ``measure`` (a ``MEASURES`` key, or empty for wording isoaudit cannot measure), ``target``
    (``percent``, ``count``, ``days`` or empty: the rule applies only when the target is not written in
    another unit), ``words`` (``;`` between phrases that must all appear, ``|`` between alternatives; folded:
    no diacritics, lower case), ``example`` (an objective the row is for, ``objective: target``).
    """
    text = resources.files("isoaudit.data").joinpath(RULES_FILE).read_text(encoding="utf-8")
    rules = []
    for number, row in enumerate(csv.DictReader(text.splitlines()), start=2):
        measure, target = row["measure"].strip() or None, row["target"].strip() or None
        if (measure is not None and measure not in MEASURES) or target not in (None, PERCENT, COUNT, DAYS):
            raise ValueError(f"{RULES_FILE} line {number}: unknown measure {measure!r} or target {target!r}")
        words = tuple(tuple(fold(phrase) for phrase in part.split("|") if fold(phrase))
                      for part in row["words"].split(";") if fold(part))
        rules.append(MeasureRule(measure, target, words))
    return tuple(rules)


# ---- helpers -----------------------------------------------------------------------------------------------
def judge_objectives(unit_year) -> pd.DataFrame:
    """The unit's objectives of ``unit_year.year`` (a ``measures.UnitYear``) judged on its figures, relative
    targets against the year before's: what the audit evidence and the management review both show."""
    objectives = unit_year.own.objectives
    of_year = objectives[(objectives["year"] == unit_year.year).fillna(False).to_numpy(bool)]
    previous = unit_year.previous()
    return evaluate_objectives(of_year.reset_index(drop=True),
                               {key: figure.value for key, figure in unit_year.figures().items()},
                               {key: figure.value for key, figure in previous.figures().items()})


def _evaluate_one(objective, measured: Mapping, previous: Mapping) -> dict:
    key = measure_key(getattr(objective, "measure", None))
    inferred = False
    if key is None:
        key = infer_measure(objective.objective, getattr(objective, "indicator", None), objective.target)
        inferred = key is not None
    spec = MEASURES.get(key) if key else None
    target = parse_target(objective.target, key if spec else None)
    actual = getattr(objective, "actual", None)
    reported, met_word = parse_result(actual, spec.unit if spec else (target.unit if target else None))
    row = {
        "unit_code": getattr(objective, "unit_code", None),
        "objective_id": getattr(objective, "objective_id", None),
        "objective": objective.objective,
        "indicator": getattr(objective, "indicator", None),
        "target": objective.target,
        "measure": key,
        "measure_inferred": inferred,
        "target_op": target.op if target else None,
        "target_value": target.value if target else None,
        "target_unit": target.unit if target else None,
        "reported": reported,
        "recomputed": None,
        "discrepancy": None,
        "measured": None,
        "result_source": "missing",
        "met": None,
        "note": None,
        "source_file": getattr(objective, "source_file", None),
        "source_row": getattr(objective, "source_row", None),
    }
    if key is not None and spec is None:
        row["note"] = "unknown_measure"
        return row
    if spec is not None:
        value = measured.get(key)
        row["recomputed"] = value
        if value is not None:
            row["measured"], row["result_source"] = value, "computed"
            if reported is not None:
                row["discrepancy"] = abs(reported - value) > spec.tolerance + _NOISE
        if target is None:
            row["note"] = "target_unreadable"
        elif value is None:
            row["note"] = "no_data"
        else:
            _judge(row, target, previous.get(key))
        return row
    # No measure applies: the agency's own result is all there is.
    if reported is not None:
        row["measured"], row["result_source"] = reported, "manual"
        if target is None:
            row["note"] = "target_unreadable"
        else:
            _judge(row, target, None)
    elif met_word is not None:
        row["result_source"], row["met"] = "manual", met_word
    else:
        row["note"] = "result_unreadable" if _text(actual) else "no_result"
    return row


def _judge(row: dict, target: Target, previous: float | None) -> None:
    absolute = target.against(previous)
    if absolute is None:
        row["note"] = "relative_no_previous"
        return
    row["target_value"] = absolute.value
    row["met"] = absolute.met_by(row["measured"])


def _by_key(values: Mapping) -> dict[str, float | None]:
    """Values by canonical key; NaN and <NA> as None."""
    return {MEASURE_ALIASES.get(key, key): (None if value is None or pd.isna(value) else float(value))
            for key, value in values.items()}


def _text(value) -> str:
    """``clean`` text, '' for any missing value (None, NaN, <NA>)."""
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return ""
    return clean(value)


def _written_unit(after: str) -> str | None:
    """The unit the words right after a number say (PERCENT, DAYS, COUNT), None when they say none."""
    tail = after.lstrip()
    if tail.startswith("%"):
        return PERCENT
    folded = fold(tail) + " "
    for unit, words in _UNIT_WORDS:
        if any(folded.startswith(word + " ") for word in words):
            return unit
    return None


def _target_unit(value: float, written: str | None, spec: Measure | None) -> str | None:
    """The unit of an absolute target: the measure's, unless the text says one that contradicts it (None)."""
    if spec is None:
        if written is not None:
            return written
        return PERCENT if 0 < value < 1 else COUNT  # a non-whole number below 1 is a percent cell's fraction
    if written is None or written == spec.unit or (written == COUNT and spec.unit == RATE_PER_DAY):
        return spec.unit
    return None


def _target_form(target) -> str | None:
    """The unit a target is written in, for choosing a measure: PERCENT, DAYS, COUNT (a count noun, or a bare
    0), None when it does not say (a bare number: a percent cell or a count; a relative change)."""
    raw = _text(target)
    match = _NUMBER.search(raw)
    if not match or _direction(raw[:match.start()])[1]:
        return None
    written = _written_unit(raw[match.end():])
    if written is None and float(match.group(1).replace(",", ".")) == 0:
        return COUNT
    return written


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


def _direction(before: str) -> tuple[int, bool]:
    """+1 for an increase, -1 for a decrease, 0 when the words before the number say neither; and whether
    the number is the change (``"tăng 5%"``) rather than the level to reach (``"tăng lên 30%"``)."""
    words = fold(before).split()
    for position, word in enumerate(words):
        if word in _INCREASE or word in _DECREASE:
            direction = 1 if word in _INCREASE else -1
            return direction, not (_TO_LEVEL & set(words[position + 1:]))
    return 0, False


def _compare(values: np.ndarray, op: str, target: float) -> np.ndarray:
    if op == ">=":
        return values >= target - _NOISE
    if op == ">":
        return values > target + _NOISE
    if op == "<=":
        return values <= target + _NOISE
    if op == "<":
        return values < target - _NOISE
    return np.abs(values - target) <= _NOISE
