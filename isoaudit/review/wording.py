"""How the review words its figures: numbers, rates, changes in points, months, and table columns by kind."""
from __future__ import annotations

import pandas as pd

from isoaudit.i18n import format_date, format_number, format_percent, label
from isoaudit.measures import DAYS, PERCENT


def month_label(month: int, lang: str) -> str:
    return label(f"review.month_short.{int(month)}", lang)


def decimal_text(value, lang: str, digits: int = 1) -> str:
    return "-" if value is None or pd.isna(value) else format_number(value, lang, digits)


def points_text(value, lang: str) -> str:
    """A change of a rate in percentage points, signed."""
    if value is None or pd.isna(value):
        return "-"
    return ("+" if value >= 0 else "") + decimal_text(value * 100, lang)


def measured_text(value, unit, lang: str) -> str:
    if value is None or pd.isna(value):
        return "-"
    unit = unit if isinstance(unit, str) else None  # an objective whose target could not be read has none
    if unit == PERCENT:
        return format_percent(value, lang)
    if unit == DAYS:
        return label("review.days_value", lang, days=decimal_text(value, lang))
    return decimal_text(value, lang, 0 if float(value).is_integer() else 1)


def indicator_text(key: str, value, lang: str) -> str:
    if key.endswith("_share"):
        return format_percent(value, lang)
    return decimal_text(value, lang, 0)


def format_column(values: pd.Series, kind: str | None, lang: str) -> pd.Series:
    if kind is None:
        if pd.api.types.is_datetime64_any_dtype(values):
            kind = "date"
        elif pd.api.types.is_bool_dtype(values) or str(values.dtype) == "boolean":
            kind = "yesno"
        elif pd.api.types.is_integer_dtype(values):
            kind = "int"
        elif pd.api.types.is_float_dtype(values):
            kind = "decimal"
        else:
            kind = "text"
    if kind == "date":
        return values.map(lambda v: format_date(v, lang)).astype("string")
    if kind == "yesno":
        words = {True: label("review.yes", lang), False: label("review.no", lang)}
        return values.map(lambda v: "" if pd.isna(v) else words[bool(v)]).astype("string")
    if kind == "percent":
        return values.map(lambda v: "" if pd.isna(v) else format_percent(v, lang)).astype("string")
    if kind == "points":
        return values.map(lambda v: "" if pd.isna(v) else points_text(v / 100, lang)).astype("string")
    if kind == "int":
        return values.map(lambda v: "" if pd.isna(v) else decimal_text(v, lang, 0)).astype("string")
    if kind in ("decimal", "decimal2"):
        digits = 2 if kind == "decimal2" else 1
        return values.map(lambda v: "" if pd.isna(v) else decimal_text(v, lang, digits)).astype("string")
    return values.map(lambda v: "" if pd.isna(v) else str(v)).astype("string")
