"""Problems found in records: plain values collected into a list, never thrown one at a time.

A problem names where it is (file, sheet, row, column), the offending value, a message code with its
parameters (worded in ``isoaudit/data/messages.toml``) and a severity:

- ``error``: the file or a required column cannot be used; reports for that unit would be wrong.
- ``warning``: one row is excluded or suspicious; the rest of the file is used.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable

import pandas as pd

from isoaudit.i18n import message

ERROR = "error"
WARNING = "warning"

PROBLEM_COLUMNS = ["severity", "file", "sheet", "row", "column", "value", "code", "message"]


@dataclass(frozen=True)
class Problem:
    """One problem in one place of one input file."""

    code: str
    file: str = ""
    sheet: str = ""
    row: int | None = None  # the spreadsheet's own row number (1-based, as Excel shows it)
    column: str = ""
    value: Any = None
    severity: str = WARNING
    params: dict = field(default_factory=dict, hash=False, compare=False)

    def message(self, lang: str = "vi") -> str:
        """The message worded in ``lang`` ('vi' or 'en')."""
        return message(self.code, lang, **{"file": self.file, "sheet": self.sheet, "column": self.column,
                                           "value": _show(self.value), **self.params})


def problems_frame(problems: Iterable[Problem], lang: str = "vi") -> pd.DataFrame:
    """All problems as one table (columns ``PROBLEM_COLUMNS``), sorted by file, sheet and row."""
    rows = [
        {
            "severity": p.severity,
            "file": p.file,
            "sheet": p.sheet,
            "row": p.row,
            "column": p.column,
            "value": _show(p.value),
            "code": p.code,
            "message": p.message(lang),
        }
        for p in problems
    ]
    frame = pd.DataFrame(rows, columns=PROBLEM_COLUMNS)
    frame["row"] = frame["row"].astype("Int64")
    return frame.sort_values(["file", "sheet", "row"], na_position="first", kind="stable").reset_index(drop=True)


def has_errors(problems: Iterable[Problem]) -> bool:
    return any(p.severity == ERROR for p in problems)


def _show(value: Any) -> str:
    """A short printable form of a cell value, for messages."""
    if value is None or (isinstance(value, float) and value != value):
        return ""
    if isinstance(value, pd.Timestamp):
        return value.strftime("%d/%m/%Y %H:%M") if (value.hour or value.minute) else value.strftime("%d/%m/%Y")
    text = str(value)
    return text if len(text) <= 60 else text[:57] + "..."
