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

from isoaudit.outputs import print_setup
from isoaudit.safety import atomic_write, neutralise_formula, workbook_text

HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
HEADER_FONT = Font(bold=True)
DATE_FORMAT = "dd/mm/yyyy"
DATETIME_FORMAT = "dd/mm/yyyy hh:mm"
WRAPPED = Alignment(wrap_text=True, vertical="top")
MAX_TITLE_WIDTH = 100.0  # a sheet without columns: the width its title lines wrap at


@dataclass
class SheetSpec:
    """One sheet: a frame, the headers to show for its columns, and optional title lines above the table."""

    frame: pd.DataFrame
    headers: dict[str, str] = field(default_factory=dict)  # canonical column -> shown header
    title_lines: list[str] = field(default_factory=list)
    percent_columns: tuple[str, ...] = ()


def write_workbook(path: str | os.PathLike, sheets: dict[str, SheetSpec], lang: str | None = None) -> None:
    """Write ``sheets`` (sheet name -> spec) to ``path``: bold frozen header, widths from the content,
    dd/mm/yyyy, set up to print (``outputs.print_setup``: A4, one page wide, the header on every page, page
    numbers in the footer, worded in ``lang`` when given).

    Every text cell is neutralised against formula injection; the file appears only when complete.
    """
    data = workbook_bytes(sheets, lang)
    with atomic_write(path) as handle:
        handle.write(data)


def workbook_bytes(sheets: dict[str, SheetSpec], lang: str | None = None) -> bytes:
    """The xlsx file ``write_workbook`` writes, as bytes (to write elsewhere, or to know its digest)."""
    book = Workbook()
    book.remove(book.active)
    for name, spec in sheets.items():
        _write_sheet(book.create_sheet(_sheet_title(name)), spec, lang)
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


def _write_sheet(sheet, spec: SheetSpec, lang: str | None = None) -> None:
    frame = spec.frame
    # One blank row between the title lines and the table (openpyxl's append([]) would not leave one).
    header_row = len(spec.title_lines) + 2 if spec.title_lines else 1
    headers = [str(spec.headers.get(c, c)) for c in frame.columns]
    widths = print_setup.column_widths([_sampled(frame.iloc[:, c]) for c in range(len(frame.columns))], headers)
    for number, line in enumerate(spec.title_lines, start=1):
        sheet.cell(row=number, column=1, value=neutralise_formula(line)).font = Font(bold=True)
        print_setup.title_row(sheet, number, len(headers), widths or [MAX_TITLE_WIDTH])
    for col, text in enumerate(headers, start=1):
        cell = sheet.cell(row=header_row, column=col, value=neutralise_formula(text))
        cell.font, cell.fill = HEADER_FONT, HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="center")
    print_setup.wrap_row(sheet, header_row, widths, bold=True)
    wrap_at = [w - 2 for w in widths]
    for r, row in enumerate(frame.itertuples(index=False, name=None), start=header_row + 1):
        lines = 1
        for c, value in enumerate(row, start=1):
            value, as_text = workbook_text(_plain(value))
            cell = sheet.cell(row=r, column=c, value=value)
            if as_text:
                cell.quotePrefix = True
            if isinstance(value, str):
                # Text longer than its column wraps (Excel shows line breaks only in wrapped cells), and the
                # row grows to hold it: openpyxl computes no heights, and a printed cell cut off is lost.
                if len(value) > wrap_at[c - 1] or "\n" in value:
                    cell.alignment = WRAPPED
                    lines = max(lines, print_setup.line_count(value, widths[c - 1]))
            elif isinstance(value, datetime):
                cell.number_format = DATETIME_FORMAT if (value.hour or value.minute) else DATE_FORMAT
            elif isinstance(value, date):
                cell.number_format = DATE_FORMAT
            elif frame.columns[c - 1] in spec.percent_columns:
                cell.number_format = "0.0%"
        if lines > 1:
            sheet.row_dimensions[r].height = print_setup.row_height(lines)
            print_setup.align_top(sheet, r, 1, len(row))
    print_setup.set_widths(sheet, widths)
    print_setup.set_up_page(sheet, widths, header_row, lang=lang)
    if len(frame.columns):
        sheet.auto_filter.ref = f"A{header_row}:{get_column_letter(len(frame.columns))}{header_row + len(frame)}"


def _sampled(values: pd.Series, rows: int = 2000) -> list:
    """The values that set a column's width: every one of a short table, the first ``rows`` of a long one."""
    return [_plain(v) for v in values.iloc[:rows]]


def _sheet_title(name: str) -> str:
    for bad in "[]:*?/\\":
        name = name.replace(bad, " ")
    return name[:31] or "Sheet"
