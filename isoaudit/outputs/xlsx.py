"""Formatted, injection-safe xlsx workbooks written atomically with openpyxl."""
from __future__ import annotations

import io
import os
from dataclasses import dataclass, field
from datetime import date, datetime

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from isoaudit.safety import atomic_write, neutralise_formula, workbook_text

HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
HEADER_FONT = Font(bold=True)
DATE_FORMAT = "dd/mm/yyyy"
DATETIME_FORMAT = "dd/mm/yyyy hh:mm"


@dataclass
class SheetSpec:
    """One sheet: a frame, the headers to show for its columns, and optional title lines above the table."""

    frame: pd.DataFrame
    headers: dict[str, str] = field(default_factory=dict)  # canonical column -> shown header
    title_lines: list[str] = field(default_factory=list)
    percent_columns: tuple[str, ...] = ()


def write_workbook(path: str | os.PathLike, sheets: dict[str, SheetSpec]) -> None:
    """Write ``sheets`` (sheet name -> spec) to ``path``: bold frozen header, readable widths, dd/mm/yyyy.

    Every text cell is neutralised against formula injection; the file appears only when complete.
    """
    data = workbook_bytes(sheets)
    with atomic_write(path) as handle:
        handle.write(data)


def workbook_bytes(sheets: dict[str, SheetSpec]) -> bytes:
    """The xlsx file ``write_workbook`` writes, as bytes (to write elsewhere, or to know its digest)."""
    book = Workbook()
    book.remove(book.active)
    for name, spec in sheets.items():
        _write_sheet(book.create_sheet(_sheet_title(name)), spec)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def cell_value(value):
    """A pandas value as something openpyxl writes safely."""
    return neutralise_formula(_plain(value))


def _plain(value):
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and value != value:
        return None
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        value = value.item()  # numpy scalars
    if isinstance(value, (list, tuple, set)):
        value = "; ".join(map(str, value))
    return value


def _write_sheet(sheet, spec: SheetSpec) -> None:
    frame = spec.frame
    for number, line in enumerate(spec.title_lines, start=1):
        sheet.cell(row=number, column=1, value=neutralise_formula(line)).font = Font(bold=True)
    # One blank row between the title lines and the table (openpyxl's append([]) would not leave one).
    header_row = len(spec.title_lines) + 2 if spec.title_lines else 1
    headers = [spec.headers.get(c, c) for c in frame.columns]
    for col, text in enumerate(headers, start=1):
        cell = sheet.cell(row=header_row, column=col, value=neutralise_formula(str(text)))
        cell.font, cell.fill = HEADER_FONT, HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="center")
    widths = [min(max(len(str(h)), 8), 40) for h in headers]
    for r, row in enumerate(frame.itertuples(index=False, name=None), start=header_row + 1):
        for c, value in enumerate(row, start=1):
            value, as_text = workbook_text(_plain(value))
            cell = sheet.cell(row=r, column=c, value=value)
            if as_text:
                cell.quotePrefix = True
            if isinstance(value, str) and "\n" in value:  # Excel shows the line breaks of wrapped text only
                cell.alignment = Alignment(wrap_text=True, vertical="top")
            if isinstance(value, datetime):
                cell.number_format = DATETIME_FORMAT if (value.hour or value.minute) else DATE_FORMAT
            elif isinstance(value, date):
                cell.number_format = DATE_FORMAT
            elif frame.columns[c - 1] in spec.percent_columns:
                cell.number_format = "0.0%"
            if value is not None and r < header_row + 200:
                widths[c - 1] = min(max(widths[c - 1], len(str(value)) + 2), 60)
    for c, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(c)].width = width
    sheet.freeze_panes = sheet.cell(row=header_row + 1, column=1)
    if len(frame.columns):
        sheet.auto_filter.ref = f"A{header_row}:{get_column_letter(len(frame.columns))}{header_row + len(frame)}"


def _sheet_title(name: str) -> str:
    for bad in "[]:*?/\\":
        name = name.replace(bad, " ")
    return name[:31] or "Sheet"
