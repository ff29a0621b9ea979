"""The agency's periodic statistics form as read (Biểu II.06a, kind ``statistics``): its period from the title
rows when no column gives it, and its totals row told apart from the field rows and checked against their sum.

A form has one row per field (lĩnh vực) and a totals row ("Tổng cộng", "Tổng số", "Cộng", or a row of figures
without a field, when "Tổng cộng" is written across the STT column). The title rows say the period:
"Kỳ báo cáo: Quý IV năm 2025 (Từ ngày 15/9/2025 đến ngày 14/12/2025)"; without the dates, a quarter, half or
year of the reporting calendar (figures from the 15th of the month before the period to the 14th of its last
month: Quý I is 15/12 of the year before to 14/3).
"""
from __future__ import annotations

import re

import numpy as np
import pandas as pd

from isoaudit import schema
from isoaudit.problems import WARNING, Problem
from isoaudit.text import fold

FIGURES = tuple(c.name for c in schema.STATISTICS if c.kind == "int")  # the form's lines, as its columns
_TOTALS_WORDS = ("tong cong", "tong so", "cong", "tong")
_DATE = r"(\d{1,2}) (?:thang )?(\d{1,2}) (?:nam )?(\d{4})"
_RANGE = re.compile(rf"\btu (?:ngay )?{_DATE} (?:den|toi) (?:het )?(?:ngay )?{_DATE}")
_QUARTER = re.compile(r"\bquy (iv|i{1,3}|[1-4]) (?:nam )?(\d{4})")
_HALF = re.compile(r"\b6 thang (dau|cuoi) nam (\d{4})")
_YEAR = re.compile(r"\bky bao cao (?:nam )?(\d{4})\b")
_QUARTERS = {"i": 1, "ii": 2, "iii": 3, "iv": 4, "1": 1, "2": 2, "3": 3, "4": 4}


def check_statistics_form(table) -> None:
    """Complete a ``statistics`` table read from one file (a ``records.table.Table``) in place: the period from
    its title rows where no column gives it (a warning when they do not say it), and a warning for each
    figure of a totals row that is not the sum of the field rows above it."""
    frame = table.frame
    if frame.empty:
        return
    undated = frame["period_from"].isna() & frame["period_to"].isna()
    if undated.any():
        period = period_from_titles(table.title_lines)
        if period is None:
            table.problems.append(Problem("statistics_period_unknown", file=table.file, sheet=table.sheet,
                                          row=int(frame.loc[undated, "source_row"].iloc[0])))
        else:
            frame.loc[undated, "period_from"], frame.loc[undated, "period_to"] = period
    table.problems.extend(_period_problems(table))
    table.problems.extend(_totals_problems(table))


def comparable_period(start, end) -> bool:
    """Whether a form's period can be recomputed from a log: both days known, in order, and no longer than
    from 1 January of the year before its end (the dossiers a unit year judges)."""
    if pd.isna(start) or pd.isna(end):
        return False
    return pd.Timestamp(end.year - 1, 1, 1) <= start <= end


def is_totals(frame: pd.DataFrame) -> np.ndarray:
    """Which rows of a statistics frame are totals rows: no field, or a field that is a word for the total."""
    # Typed back to text: a column with no field at all must still answer .str (it is all totals rows).
    field = frame["field"].astype("string").map(fold, na_action="ignore").astype("string")
    # Whole words only: "Công thương" is a field, "Cộng" the total.
    words = (field.isin(_TOTALS_WORDS) | field.str.startswith(tuple(w + " " for w in _TOTALS_WORDS[:2]))).fillna(False)
    return (frame["field"].isna() | words).to_numpy(bool)


def period_from_titles(lines: list[str]) -> tuple[pd.Timestamp, pd.Timestamp] | None:
    """(first, last day) of the reporting period the title lines say, or None."""
    for line in lines:
        text = fold(line)
        found = _RANGE.search(text)
        if found is not None:
            day, month, year, day2, month2, year2 = map(int, found.groups())
            try:
                return pd.Timestamp(year, month, day), pd.Timestamp(year2, month2, day2)
            except ValueError:
                continue
    for line in lines:
        text = fold(line)
        if found := _QUARTER.search(text):
            quarter, year = _QUARTERS[found.group(1)], int(found.group(2))
            return _reporting(year, 3 * quarter - 3, 3 * quarter)
        if found := _HALF.search(text):
            year = int(found.group(2))
            return _reporting(year, 0, 6) if found.group(1) == "dau" else _reporting(year, 6, 12)
        if found := _YEAR.search(text):
            return _reporting(int(found.group(1)), 0, 12)
    return None


def _reporting(year: int, after_month: int, last_month: int) -> tuple[pd.Timestamp, pd.Timestamp]:
    """From the 15th of month ``after_month`` (0: December of the year before) to the 14th of ``last_month``."""
    start = pd.Timestamp(year - 1, 12, 15) if after_month == 0 else pd.Timestamp(year, after_month, 15)
    return start, pd.Timestamp(year, last_month, 14)


def _period_problems(table) -> list[Problem]:
    """A warning for each period given that cannot be compared (see ``comparable_period``)."""
    frame = table.frame
    given = frame[frame["period_from"].notna() & frame["period_to"].notna()]
    problems = []
    for (start, end), rows in given.groupby(["period_from", "period_to"], sort=False):
        if not comparable_period(start, end):
            problems.append(Problem("statistics_period_invalid", file=table.file, sheet=table.sheet,
                                    row=int(rows["source_row"].iloc[0]),
                                    column=table.labels.get("period_from", ""),
                                    params={"start": f"{start:%d/%m/%Y}", "end": f"{end:%d/%m/%Y}"}))
    return problems


def _totals_problems(table) -> list[Problem]:
    """A totals row's figure that is not the sum of the field rows of its period (blank cells count 0)."""
    frame = table.frame
    totals = is_totals(frame)
    if not totals.any() or totals.all():
        return []
    problems = []
    keys = ["unit_code", "period_from", "period_to"]
    for _, group in frame.assign(_totals=totals).groupby(keys, dropna=False, sort=False):
        fields, total_rows = group[~group["_totals"]], group[group["_totals"]]
        if fields.empty or total_rows.empty:
            continue
        total = total_rows.iloc[-1]
        for column in FIGURES:
            reported, summed = total[column], fields[column].sum(min_count=1)
            if pd.isna(reported) or pd.isna(summed) or int(reported) == int(summed):
                continue
            problems.append(Problem("statistics_totals_differ", file=table.file, sheet=table.sheet,
                                    row=int(total["source_row"]), column=table.labels.get(column, column),
                                    value=int(reported), severity=WARNING, params={"sum": int(summed)}))
    return problems
