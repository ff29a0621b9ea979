"""Raw cell grids from spreadsheet files: xlsx/xlsm/xls/ods through python-calamine, CSV through the csv module.

A grid is rows of Python values (str, float, int, date, datetime, time; '' for an empty cell), numbered as
the user sees them in Excel. Files that are not spreadsheets, encrypted workbooks and empty sheets raise
``RecordsError`` with a one-line message; nothing here interprets the cells.
"""
from __future__ import annotations

import codecs
import csv
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

import python_calamine

from isoaudit.errors import RecordsError

SPREADSHEET_SUFFIXES = {".xlsx", ".xlsm", ".xls", ".xlsb", ".ods"}
CSV_SUFFIXES = {".csv", ".txt"}
RECORD_SUFFIXES = SPREADSHEET_SUFFIXES | CSV_SUFFIXES

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_MAGIC = b"PK\x03\x04"


@dataclass
class Grid:
    """The rows of one sheet. ``rows`` yields lists of cells; the first row yielded is Excel row ``first_row``."""

    path: Path
    sheet: str
    rows: Iterator[list]
    first_row: int = 1
    merged: list = field(default_factory=list)


def open_grid(path: str | Path, sheet: str | int | None = None) -> Grid:
    """Open ``path`` (first sheet by default, or the sheet named or numbered ``sheet``)."""
    path = Path(path)
    if not path.is_file():
        raise RecordsError("file_not_found", file=str(path))
    suffix = path.suffix.lower()
    if suffix in CSV_SUFFIXES:
        return _csv_grid(path)
    if suffix not in SPREADSHEET_SUFFIXES:
        raise RecordsError("not_a_spreadsheet", file=path.name)
    _check_container(path)
    try:
        book = python_calamine.CalamineWorkbook.from_path(str(path))
    except python_calamine.PasswordError:
        raise RecordsError("encrypted_workbook", file=path.name) from None
    except Exception as exc:  # calamine raises several unrelated types for a damaged file
        raise RecordsError("unreadable_workbook", file=path.name, reason=str(exc).splitlines()[0][:200]) from None
    names = book.sheet_names
    if sheet is None:
        visible = [m.name for m in book.sheets_metadata if str(m.visible).endswith("Visible")]
        name = (visible or names)[0]
    elif isinstance(sheet, int):
        if not 0 <= sheet < len(names):
            raise RecordsError("sheet_not_found", file=path.name, sheet=str(sheet), sheets=", ".join(names))
        name = names[sheet]
    else:
        if sheet not in names:
            raise RecordsError("sheet_not_found", file=path.name, sheet=sheet, sheets=", ".join(names))
        name = sheet
    data = book.get_sheet_by_name(name)
    if data.height == 0 or data.width == 0:
        raise RecordsError("empty_sheet", file=path.name, sheet=name)
    # iter_rows starts at Excel row 1 whatever the first used row is, so row numbers stay those Excel shows.
    return Grid(path=path, sheet=name, rows=data.iter_rows(), first_row=1, merged=list(data.merged_cell_ranges or []))


def _check_container(path: Path) -> None:
    """Tell an encrypted or non-spreadsheet file apart before calamine gives a cryptic error."""
    with path.open("rb") as handle:
        head = handle.read(1 << 16)
    if not head:
        raise RecordsError("empty_file", file=path.name)
    if head.startswith(_OLE_MAGIC):
        # An encrypted xlsx is an OLE container holding the streams EncryptionInfo and EncryptedPackage.
        if "EncryptionInfo".encode("utf-16-le") in head or path.suffix.lower() != ".xls":
            raise RecordsError("encrypted_workbook", file=path.name)
        return
    if path.suffix.lower() in {".xlsx", ".xlsm", ".xlsb", ".ods"} and not head.startswith(_ZIP_MAGIC):
        raise RecordsError("not_a_spreadsheet", file=path.name)


def _csv_grid(path: Path) -> Grid:
    """CSV rows streamed from the file (a million-row export never sits in memory as one text)."""
    with path.open("rb") as handle:
        head = handle.read(1 << 16)
    if not head.strip():
        raise RecordsError("empty_file", file=path.name)
    if b"\x00" in head[:4096]:
        raise RecordsError("not_a_spreadsheet", file=path.name)
    _check_utf8(path)
    sample = head.decode("utf-8-sig", errors="ignore")[:8192]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    return Grid(path=path, sheet="", rows=_csv_rows(path, dialect), first_row=1)


def _check_utf8(path: Path) -> None:
    """Refuse a CSV that is not UTF-8 before any row is read (Excel's "CSV" is often Windows-1258)."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        with path.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                decoder.decode(block)
            decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        raise RecordsError("csv_not_utf8", file=path.name) from None


def _csv_rows(path: Path, dialect):
    with path.open(encoding="utf-8-sig", newline="") as handle:
        yield from csv.reader(handle, dialect)
