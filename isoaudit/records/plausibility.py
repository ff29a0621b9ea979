"""Plausibility: values that were read but cannot be right (a receipt dated 1900, a procedure of 99,999,999 days).

The rules are data, ``isoaudit/data/plausibility.csv``, one rule a row::

    kind,column,rule,bound,action,code
    dossiers,received_at,min,01/01/2000,exclude,received_too_early
    procedures,legal_days,max,365,error,legal_days_too_long

- ``kind`` and ``column``: a canonical column of ``isoaudit.schema`` (a date, date-time or number column).
- ``rule``: ``min`` (the value may not be below ``bound``), ``max`` (nor above it) or ``not`` (nor equal to it);
  dates and date-times compare by calendar day.
- ``bound``: a number; a date ``dd/mm/yyyy``; or ``today`` (the day the records are read), optionally plus or
  minus a number of years, months or days: ``today+1y``, ``today-6m``, ``today+30d``.
- ``action``: ``flag`` (the row is kept, with a warning), ``exclude`` (the row is set aside, ``code`` being
  its reason) or ``error`` (set aside, and the problem is an error: a figure would be wrong while it stands).
- ``code``: the message, in ``isoaudit/data/messages_*.toml``, worded with {value}, {column} and {bound}.

A cell failing several rules of its column is reported once, for the first of them in the table.
"""
from __future__ import annotations

import csv
import io
import operator
import re
from datetime import date
from functools import lru_cache
from importlib import resources
from typing import NamedTuple

import numpy as np
import pandas as pd

from isoaudit import schema

PLAUSIBILITY_FILE = "plausibility.csv"
RULES = {"min": operator.lt, "max": operator.gt, "not": operator.eq}  # rule -> the comparison that fails it
ACTIONS = ("flag", "exclude", "error")
_DATE_KINDS = ("date", "datetime")
_RELATIVE = re.compile(r"^today(?:\s*([+-])\s*(\d+)\s*([ymd]))?$")
_OFFSET_UNITS = {"y": "years", "m": "months", "d": "days"}


class Failure(NamedTuple):
    """The cells of one ``column`` (``mask``, one per row) that fail one rule."""

    code: str
    column: str
    action: str  # flag, exclude or error
    bound: str  # the rule's limit as a message shows it: dd/mm/yyyy or a number
    mask: np.ndarray


class PlausibilityRule(NamedTuple):
    """One row of the plausibility table."""

    kind: str
    column: str
    rule: str
    bound: str
    action: str
    code: str


def implausible(frame: pd.DataFrame, kind: str, read_on: date | None = None) -> list[Failure]:
    """The cells of ``frame`` (records of ``kind``) that fail the plausibility table, rule by rule;
    ``read_on`` is the day the records are read (default today), from which ``today`` bounds count."""
    read_on = date.today() if read_on is None else read_on
    failures = []
    reported: dict[str, np.ndarray] = {}
    # The days of the date column whose rules run (the table lists a column's rules together): worked out once for
    # them, and let go before the next column's (a province's ten date columns at once were 80 MB more).
    days: tuple[str | None, pd.Series | None] = (None, None)
    for rule in plausibility_rules(kind):
        if rule.column not in frame:
            continue
        is_date = schema.column(kind, rule.column).kind in _DATE_KINDS
        if is_date and days[0] != rule.column:
            days = (None, None)
            days = (rule.column, frame[rule.column].dt.normalize())
        values = days[1] if is_date else frame[rule.column]
        bound = _bound(rule.bound, is_date, read_on)
        fails = RULES[rule.rule](values, bound)
        mask = np.asarray(fails.fillna(False), dtype=bool) & ~reported.get(rule.column, False)
        reported[rule.column] = reported.get(rule.column, False) | mask
        if mask.any():
            failures.append(Failure(rule.code, rule.column, rule.action, _shown(bound), mask))
    return failures


def plausibility_rules(kind: str | None = None) -> tuple[PlausibilityRule, ...]:
    """The rules of the plausibility table, in its order (those of ``kind`` only, when given)."""
    return tuple(rule for rule in _table() if kind is None or rule.kind == kind)


@lru_cache(maxsize=1)
def _table() -> tuple[PlausibilityRule, ...]:
    text = resources.files("isoaudit.data").joinpath(PLAUSIBILITY_FILE).read_text(encoding="utf-8")
    rules = []
    for line, row in enumerate(csv.DictReader(io.StringIO(text)), start=2):
        rule = PlausibilityRule(*((row.get(field) or "").strip() for field in PlausibilityRule._fields))
        _check(rule, line)
        rules.append(rule)
    return tuple(rules)


def _check(rule: PlausibilityRule, line: int) -> None:
    """A row that cannot work is a fault of the bundled table: say which and where, at first use."""
    where = f"{PLAUSIBILITY_FILE} line {line}"
    columns = {c.name: c.kind for c in schema.KINDS.get(rule.kind, ())}
    if rule.column not in columns:
        raise ValueError(f"{where}: no column {rule.column!r} in records of kind {rule.kind!r}")
    if rule.rule not in RULES or rule.action not in ACTIONS or not rule.code:
        raise ValueError(f"{where}: rule one of {sorted(RULES)}, action one of {ACTIONS} and a code, not {rule}")
    _bound(rule.bound, columns[rule.column] in _DATE_KINDS, date.today())


def _bound(text: str, is_date: bool, read_on: date):
    """The limit ``text`` stands for: a Timestamp (midnight) for a date column, else a number."""
    if not is_date:
        return float(text)
    relative = _RELATIVE.match(text)
    if relative is None:
        return pd.to_datetime(text, format="%d/%m/%Y")
    sign, count, unit = relative.groups()
    offset = pd.DateOffset(**{_OFFSET_UNITS[unit]: int(count) * (-1 if sign == "-" else 1)}) if unit else None
    day = pd.Timestamp(read_on)
    return day + offset if offset is not None else day


def _shown(bound) -> str:
    if isinstance(bound, pd.Timestamp):
        return bound.strftime("%d/%m/%Y")
    return str(int(bound)) if float(bound).is_integer() else str(bound)
