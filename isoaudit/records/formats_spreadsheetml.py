"""Excel 2003 XML workbooks (SpreadsheetML, ``<Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet">``),
which many web applications still write for "export to Excel", often with an .xls name.

Each ``Worksheet`` is a sheet; a ``Row`` or ``Cell`` with ``ss:Index`` skips to that row or column; a cell with
``ss:MergeAcross``/``ss:MergeDown`` is a merged range (its value in the first cell, as calamine gives merged
cells); ``Data ss:Type`` gives the type: DateTime a date, datetime or time (as calamine types Excel dates),
Number a float, Boolean a bool, Error an empty cell. Parsed with defusedxml (no entities, no DTD) in one pass
that holds only the cells, not the XML tree.
"""
from __future__ import annotations

from datetime import datetime, time

from defusedxml import ElementTree

SPREADSHEET_NS = "urn:schemas-microsoft-com:office:spreadsheet"
_SS = "{" + SPREADSHEET_NS + "}"
_EXCEL_NS = "{urn:schemas-microsoft-com:office:excel}"
MAX_ROWS = 1_048_576  # Excel's limits
MAX_COLUMNS = 16_384


def spreadsheetml_sheets(source) -> list[tuple[str, bool, list[tuple[int, list]], list]]:
    """Every worksheet of the workbook read from ``source`` (a path or binary file) as
    ``(name, hidden, rows, merged)``: rows as (0-based row index, cells) for the rows holding something,
    merged ranges as ``((row, col), (row, col))``, 0-based and inclusive."""
    sheets = []
    name, hidden, rows, merged = "", False, [], []
    row_index, cells, column, table = -1, [], 0, None
    for event, element in ElementTree.iterparse(source, events=("start", "end")):
        tag = element.tag
        if event == "start":
            if tag == _SS + "Worksheet":
                name, hidden, rows, merged, row_index = element.get(_SS + "Name", ""), False, [], [], -1
            elif tag == _SS + "Table":
                table = element
            elif tag == _SS + "Row":
                row_index = _index(element, row_index + 1, MAX_ROWS)
                cells, column = [], 0
            continue
        if tag == _SS + "Cell":
            column = _index(element, column, MAX_COLUMNS)
            across = _count(element.get(_SS + "MergeAcross"))
            down = _count(element.get(_SS + "MergeDown"))
            if column < MAX_COLUMNS:
                value = _cell_value(element)
                if value != "":
                    cells.extend([""] * (column + 1 - len(cells)))
                    cells[column] = value
                if across or down:
                    merged.append(((row_index, column), (min(row_index + down, MAX_ROWS - 1),
                                                         min(column + across, MAX_COLUMNS - 1))))
            column += across + 1
        elif tag == _SS + "Row":
            if cells and row_index < MAX_ROWS:
                rows.append((row_index, cells))
            cells = []
            row_index += _count(element.get(_SS + "Span"))  # a row written once for several identical ones
            if table is not None:
                table.clear()  # the rows read so far are done with
        elif tag == _EXCEL_NS + "Visible":
            hidden = hidden or (element.text or "").strip() in ("SheetHidden", "SheetVeryHidden")
        elif tag == _SS + "Worksheet":
            sheets.append((name, hidden, rows, merged))
            table = None
            element.clear()
    return sheets


def _index(element, following: int, limit: int) -> int:
    """The 0-based position ``ss:Index`` (1-based) gives, else ``following``; never past Excel's ``limit``."""
    value = element.get(_SS + "Index")
    if value is None:
        return following
    try:
        return min(max(int(value) - 1, 0), limit)
    except ValueError:
        return following


def _count(value: str | None) -> int:
    try:
        return max(int(value), 0) if value is not None else 0
    except ValueError:
        return 0


def _cell_value(cell):
    data = cell.find(_SS + "Data")
    if data is None:
        return ""
    text = "".join(data.itertext())  # rich text (html:B, html:Font ...) keeps its words
    kind = data.get(_SS + "Type", "String")
    if kind == "Number":
        try:
            return float(text)
        except ValueError:
            return text.strip()
    if kind == "DateTime":
        return _date_time(text.strip())
    if kind == "Boolean":
        return text.strip() in ("1", "true", "TRUE")
    if kind == "Error":
        return ""
    return text


def _date_time(text: str):
    """As calamine types an Excel date: a time on Excel's day 0 (1899-12-31), a date at midnight, else datetime."""
    try:
        moment = datetime.fromisoformat(text.rstrip("Z"))
    except ValueError:
        return text
    if moment.date() <= datetime(1899, 12, 31).date():
        return moment.time()
    return moment.date() if moment.time() == time(0) else moment
