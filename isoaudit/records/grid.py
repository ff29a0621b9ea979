"""Raw cell grids from spreadsheet files as agencies' software really writes them.

A grid is rows of Python values (str, float, int, bool, date, datetime, time; '' for an empty cell, and for
the covered cells of a merged range), numbered as the user sees them in Excel. What a file is comes from its
first bytes, not its name:

- xlsx/xlsm/xlsb/ods (a zip) and xls (an OLE container) through python-calamine, whatever their extension;
  an xlsx sheet whose filled cells lie absurdly far apart is read cell by cell instead (``formats_xlsx``);
- an HTML page with tables ("export to Excel" of web systems, named .xls): the page as Excel lays it out,
  each table alone as a hidden sheet (``formats_html``);
- an Excel 2003 XML workbook (SpreadsheetML) (``formats_spreadsheetml``);
- delimited text (CSV, or TSV named .xls) in UTF-8, UTF-16, Windows-1258 or Windows-1252 (``formats_csv``).

Empty, encrypted, truncated, damaged and disguised files (a PDF or an image named .xlsx) raise ``RecordsError``
naming the file, and the sheet when known; nothing here interprets the cells.
"""
from __future__ import annotations

import re
import threading
import zipfile
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

import python_calamine

from isoaudit.errors import RecordsError
from isoaudit.i18n import message
from isoaudit.records import fast_xlsx, formats_csv, formats_html, formats_xlsx
from isoaudit.records.formats_spreadsheetml import SPREADSHEET_NS, spreadsheetml_sheets
from isoaudit.records.formats_text import (
    binary,
    bom_encoding,
    decode,
    utf16_without_bom,
)

SPREADSHEET_SUFFIXES = {".xlsx", ".xlsm", ".xls", ".xlsb", ".ods"}
CSV_SUFFIXES = {".csv", ".txt", ".tsv"}
RECORD_SUFFIXES = SPREADSHEET_SUFFIXES | CSV_SUFFIXES
MARKUP_SUFFIXES = {".htm", ".html", ".xml"}  # opened when named, not looked for in a records folder
FORMATS = ("xlsx", "xlsm", "xlsb", "ods", "xls", "html", "spreadsheetml", "csv")

_HEAD_BYTES = 1 << 16  # what is sniffed: the first 64 KB, never more
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06")
_ENCRYPTED_STREAMS = tuple(name.encode("utf-16-le") for name in ("EncryptionInfo", "EncryptedPackage"))
_BINARY_MAGICS = (b"%PDF", b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"II*\x00", b"MM\x00*", b"BM", b"Rar!",
                  b"7z\xbc\xaf", b"\x1f\x8b", b"{\\rtf")
_CHARSET = re.compile(rb"""<meta[^>]{0,200}?charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]{1,40})""", re.IGNORECASE)


@dataclass
class Grid:
    """The rows of one sheet. ``rows`` yields lists of cells; the first row yielded is Excel row ``first_row``.
    ``merged`` lists the merged ranges as ``((first_row, first_col), (last_row, last_col))``, 0-based;
    ``format`` says what the file really is (``FORMATS``), whatever its name. ``removed`` lists, as the rows are
    read, the cells that empty characters (NUL) were removed from, as (Excel row, 0-based column, the cell without
    them): a text export's stray bytes, for the table's reader to report."""

    path: Path
    sheet: str
    rows: Iterator[list]
    first_row: int = 1
    merged: list = field(default_factory=list)
    format: str = ""
    removed: list = field(default_factory=list)
    # Delimited text only: (encoding, delimiter, lines skipped) and the lines each of the first records took,
    # for reading the body column-wise (``fast_body``).
    text_source: tuple | None = None
    record_lines: list = field(default_factory=list)
    # The first rows of an xlsx sheet only (``open_head``): the 0-based column calamine's rows of them start at.
    head_first_column: int | None = None
    tail_rows: list | None = None  # and its last rows, as (Excel row, cells), for where the table ends


def open_grid(path: str | Path, sheet: str | int | None = None) -> Grid:
    """Open ``path``: its default sheet (the first visible one), or the sheet
    named ``sheet``, or the ``sheet``-th (0-based, in the workbook's order, as ``sheet_names(path, True)``)."""
    return _listed_or_opened(Path(path)).grid(sheet)


def may_open_head(path: Path) -> bool:
    """Whether ``open_head`` may read ``path``: fastexcel is there and the file is named as an xlsx (fastexcel
    picks its reader by the name; a renamed workbook is read by its content, cell by cell)."""
    return fast_xlsx.available() and path.suffix.lower() in (".xlsx", ".xlsm")


def open_head(path: str | Path, sheet: str | int | None, rows: int) -> Grid | None:
    """The first ``rows`` rows and the merged ranges of a sheet of an xlsx file, as ``open_grid`` gives them, read
    without parsing the whole sheet, for its body to be read by fastexcel (``fast_xlsx``); None for any other
    file, a sheet whose first rows are empty or one ``open_grid`` would refuse (it then says why)."""
    path = Path(path)
    if not may_open_head(path):
        return None
    try:
        book = _listed_or_opened(path)
        if not isinstance(book, _CalamineBook) or book.package is None or book.format not in ("xlsx", "xlsm"):
            return None
        name = book._resolve(sheet)
        if name not in book.package.parts or book._too_sparse(name):
            return None
        found = fast_xlsx.head(book.package.archive, book.package.parts, name, rows)
    except Exception:  # damage of any kind: the slow path says what it is
        return None
    if found is None or not found[0]:
        return None
    first, merged, column, tail = found
    return Grid(path=path, sheet=name, rows=iter(first), first_row=1, merged=merged, format=book.format,
                head_first_column=column, tail_rows=tail)


def sheet_names(path: str | Path, hidden: bool = False) -> list[str]:
    """The names ``open_grid`` accepts for ``path``, in the workbook's order: the visible sheets, or with
    ``hidden`` every sheet. An HTML page is one sheet, "Trang web", its tables alone hidden sheets "Bảng 1",
    "Bảng 2"...; a CSV has one sheet, ""."""
    identity = _identity(Path(path))  # before opening: a file changed while it is opened is opened again
    book = _open_book(Path(path))
    _listed.book = (identity, book)
    return list(book.names) if hidden else [name for name in book.names if name not in book.hidden]


def _listed_or_opened(path: Path) -> _Book:
    """The book ``sheet_names`` opened last in this thread, when it is ``path``'s and the file has not changed
    since: a table is looked for on the sheets just listed, and opening a workbook (or sniffing a CSV) twice a
    file cost a province's read a second. Taken by the next opening in the thread whatever its path (for a
    table, the very next call), so that no workbook stays open after its read. Else ``path`` opened."""
    listed, _listed.book = getattr(_listed, "book", None), None
    if listed is not None and listed[0] is not None and listed[0] == _identity(path):
        return listed[1]
    return _open_book(path)


def _identity(path: Path) -> tuple | None:
    """``path``'s file as it is now (its place, size, time and inode); None when it cannot be told."""
    try:
        status = path.stat()
    except OSError:
        return None
    return str(path), status.st_size, status.st_mtime_ns, status.st_ino


_listed = threading.local()  # .book: (``_identity``, the book) of the last ``sheet_names`` of this thread


def open_grids(path: str | Path) -> Iterator[Grid]:
    """The default sheet's grid, then each other visible sheet's, the file opened once: for looking for a table
    on any sheet. Empty sheets are passed over (when all are, the first one's ``empty_sheet`` is raised); a
    damaged sheet raises when its turn comes."""
    book = _open_book(Path(path))
    order = [book.default] + [name for name in book.names if name not in book.hidden and name != book.default]
    empty, yielded = None, False
    for name in order:
        try:
            grid = book.grid(name)
        except RecordsError as exc:
            if exc.code != "empty_sheet":
                raise
            empty = empty or exc
            continue
        yielded = True
        yield grid
    if not yielded and empty is not None:
        raise empty


# ---- what the file is -------------------------------------------------------------------------------------------
def _open_book(path: Path) -> _Book:
    if not path.is_file():
        raise RecordsError("file_not_found", file=str(path))
    suffix = path.suffix.lower()
    if suffix not in RECORD_SUFFIXES | MARKUP_SUFFIXES:
        raise RecordsError("not_a_spreadsheet", file=path.name)
    with path.open("rb") as handle:
        head = handle.read(_HEAD_BYTES)
    if not head.strip():
        raise RecordsError("empty_file", file=path.name)
    if head.startswith(_ZIP_MAGICS):
        return _CalamineBook(path, "ods" if head[30:38] == b"mimetype" and b"opendocument" in head[:100] else "xlsx")
    if head.startswith(_OLE_MAGIC):
        if _ole_is_encrypted(path, head):
            raise RecordsError("encrypted_workbook", file=path.name)
        return _CalamineBook(path, "xls")
    if head.startswith(_BINARY_MAGICS):
        raise RecordsError("not_a_spreadsheet", file=path.name)
    markup = _markup_kind(head)
    if markup == "spreadsheetml":
        return _spreadsheetml_book(path)
    if markup == "html":
        return _html_book(path)
    return _csv_book(path, head, strict=suffix not in CSV_SUFFIXES)


def _markup_kind(head: bytes) -> str | None:
    """"html", "spreadsheetml" or None, from the start of the file (after a BOM and white space)."""
    encoding = bom_encoding(head) or utf16_without_bom(head)
    if encoding is None and binary(head[:1024]):
        return None
    text = head.decode(encoding or "latin-1", errors="ignore").lstrip("\ufeff \t\r\n").lower()
    if not text.startswith("<"):
        return None
    if text.startswith("<?xml") or text.startswith("<workbook"):
        if SPREADSHEET_NS in text:
            return "spreadsheetml"
        return "html" if "<html" in text or "<table" in text else None
    if text.startswith(("<!doctype html", "<html")) or "<table" in text:
        return "html"
    return None


def _ole_is_encrypted(path: Path, head: bytes) -> bool:
    """An encrypted xlsx is an OLE container holding the streams EncryptionInfo and EncryptedPackage; their
    names are in the container's first directory sector."""
    if any(name in head for name in _ENCRYPTED_STREAMS):
        return True
    if len(head) < 512:
        return False
    sector_size = 1 << int.from_bytes(head[30:32], "little")
    first_directory = int.from_bytes(head[48:52], "little")
    if sector_size not in (512, 4096) or first_directory >= 0xFFFFFFFA:
        return False
    with path.open("rb") as handle:
        handle.seek((first_directory + 1) * sector_size)
        directory = handle.read(4 * sector_size)
    return any(name in directory for name in _ENCRYPTED_STREAMS)


# ---- the kinds of file ------------------------------------------------------------------------------------------
class _Book(ABC):
    """A file's sheets: their names in the workbook's order, the hidden ones, the default one."""

    path: Path
    names: list[str]
    hidden: set[str]
    default: str

    def grid(self, sheet: str | int | None) -> Grid:
        return self._grid(self._resolve(sheet))

    def _resolve(self, sheet) -> str:
        if sheet is None:
            return self.default
        if isinstance(sheet, int):
            if 0 <= sheet < len(self.names):
                return self.names[sheet]
        elif sheet in self.names:
            return sheet
        raise RecordsError("sheet_not_found", file=self.path.name, sheet=str(sheet), sheets=", ".join(self.names))

    @abstractmethod
    def _grid(self, name: str) -> Grid:
        """The sheet ``name`` as a Grid; each kind of book reads it its own way."""


class _CalamineBook(_Book):
    """xlsx, xlsm, xlsb, ods and xls through python-calamine; an xlsx sheet calamine would lay out absurdly large
    is read by ``formats_xlsx`` instead."""

    def __init__(self, path: Path, content: str):
        self.path = path
        self.package = _xlsx_package(path) if content == "xlsx" else None
        suffix = path.suffix.lower().lstrip(".")
        self.format = suffix if content == "xlsx" and suffix in ("xlsx", "xlsm", "xlsb") else content
        named_for_it = {"xlsx": {".xlsx", ".xlsm", ".xlsb"}, "ods": {".ods"}, "xls": {".xls"}}[content]
        try:
            if path.suffix.lower() in named_for_it:
                self.book = python_calamine.CalamineWorkbook.from_path(str(path))
            else:  # calamine picks its reader by the extension; a renamed file is read by its content
                with path.open("rb") as handle:
                    self.book = python_calamine.CalamineWorkbook.from_filelike(handle)
            metadata = self.book.sheets_metadata
        except python_calamine.PasswordError:
            raise RecordsError("encrypted_workbook", file=path.name) from None
        except python_calamine.CalamineError as exc:  # ZipError, XmlError and the reader's own errors
            raise RecordsError("unreadable_workbook", file=path.name, reason=_reason(exc)) from None
        except Exception as exc:  # calamine also raises plain errors for some damage
            raise RecordsError("unreadable_workbook", file=path.name, reason=_reason(exc)) from None
        self.names = [m.name for m in metadata]
        self.hidden = {m.name for m in metadata if not str(m.visible).endswith(".Visible")}
        if not self.names:
            raise RecordsError("unreadable_workbook", file=path.name, reason="no sheet")
        self.default = next((name for name in self.names if name not in self.hidden), self.names[0])

    def _grid(self, name: str) -> Grid:
        if self.package is not None and self._too_sparse(name):
            return _sparse_grid(self.path, name, *self._stream(name), 1, self.format)
        try:
            data = self.book.get_sheet_by_name(name)
        except python_calamine.PasswordError:
            raise RecordsError("encrypted_workbook", file=self.path.name) from None
        except Exception as exc:  # XmlError for a damaged sheet, and others
            raise RecordsError("records.damaged_sheet", file=self.path.name, sheet=name, reason=_reason(exc)) from None
        if data.height == 0 or data.width == 0:
            raise RecordsError("empty_sheet", file=self.path.name, sheet=name)
        # iter_rows starts at Excel row 1 whatever the first used row is, so row numbers stay those Excel shows.
        return Grid(path=self.path, sheet=name, rows=data.iter_rows(), first_row=1,
                    merged=list(data.merged_cell_ranges or []), format=self.format)

    def _too_sparse(self, name: str) -> bool:
        part = self.package.parts.get(name)
        if part is None:
            return False
        try:
            return formats_xlsx.needs_streaming(self.package.archive, part)
        except Exception as exc:  # zip, zlib and I/O errors of a damaged part
            raise RecordsError("records.damaged_sheet", file=self.path.name, sheet=name, reason=_reason(exc)) from None

    def _stream(self, name: str):
        try:
            return self.package.stream_sheet(name)
        except Exception as exc:  # ParseError, defusedxml's refusals, zlib and zip errors
            raise RecordsError("records.damaged_sheet", file=self.path.name, sheet=name, reason=_reason(exc)) from None


class _SheetsBook(_Book):
    """Sheets already read whole: an HTML page's tables, a SpreadsheetML workbook's worksheets."""

    def __init__(self, path: Path, sheets: list[tuple], default: str, file_format: str):
        """``sheets``: (name, hidden, rows as (index, cells), merged, first row) for each sheet."""
        self.path, self.format = path, file_format
        self.sheets = {sheet[0]: sheet[2:] for sheet in sheets}
        self.names = [sheet[0] for sheet in sheets]
        self.hidden = {sheet[0] for sheet in sheets if sheet[1]}
        self.default = default

    def _grid(self, name: str) -> Grid:
        return _sparse_grid(self.path, name, *self.sheets[name], self.format)


class _CsvBook(_Book):
    """Delimited text: one sheet, named ""."""

    def __init__(self, path: Path, encoding: str, delimiter: str, skip: int):
        self.path, self.encoding, self.delimiter, self.skip = path, encoding, delimiter, skip
        self.names, self.hidden, self.default = [""], set(), ""

    def _grid(self, name: str) -> Grid:
        removed: list[tuple[int, int, str]] = []
        record_lines: list[int] = []
        rows = formats_csv.csv_rows(self.path, self.encoding, self.delimiter, self.skip, removed, record_lines)
        return Grid(path=self.path, sheet="", rows=rows, first_row=1 + self.skip, format="csv", removed=removed,
                    text_source=(self.encoding, self.delimiter, self.skip), record_lines=record_lines)


def _xlsx_package(path: Path) -> formats_xlsx.Package | None:
    """The xlsx package's sheet parts for the size guard; a zip that does not open is cut short or damaged."""
    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile:
        raise RecordsError("records.truncated_file", file=path.name) from None
    except OSError as exc:
        raise RecordsError("unreadable_workbook", file=path.name, reason=_reason(exc)) from None
    names = set(archive.namelist())
    if "xl/workbook.bin" in names or not any(name.endswith("workbook.xml") for name in names):
        return None  # xlsb, or not a workbook at all: calamine says which
    try:
        return formats_xlsx.Package(archive)
    except Exception as exc:  # a damaged workbook.xml or relationships part
        raise RecordsError("unreadable_workbook", file=path.name, reason=_reason(exc)) from None


def _spreadsheetml_book(path: Path) -> _SheetsBook:
    try:
        with path.open("rb") as source:
            sheets = spreadsheetml_sheets(source)
    except Exception as exc:  # ParseError, defusedxml's refusals (DTD, entities)
        raise RecordsError("unreadable_workbook", file=path.name, reason=_reason(exc)) from None
    if not sheets:
        raise RecordsError("empty_file", file=path.name)
    visible = [name for name, hidden, _, _ in sheets if not hidden]
    return _SheetsBook(path, [(*sheet, 1) for sheet in sheets], (visible or [sheets[0][0]])[0], "spreadsheetml")


def _html_book(path: Path) -> _SheetsBook:
    """The page as Excel shows it, the default sheet; each of its tables alone too, as hidden sheets (their
    rows keep the page's numbers)."""
    data = path.read_bytes()
    declared = _CHARSET.search(data[:_HEAD_BYTES])
    text = decode(data, declared.group(1).decode("ascii") if declared else None)
    del data
    try:
        page = formats_html.html_page(text)
    except formats_html.TooLarge as exc:
        raise RecordsError("unreadable_workbook", file=path.name, reason=str(exc)) from None
    if not page.tables:
        raise RecordsError("records.no_table", file=path.name)
    name = message("records.html_page", "vi")
    sheets = [(name, False, list(enumerate(page.rows)), page.merged, 1)]
    sheets += [(message("records.html_table", "vi", number=number), True, list(enumerate(rows)), merged, first_row)
               for number, (rows, merged, first_row) in enumerate(page.tables, start=1)]
    return _SheetsBook(path, sheets, name, "html")


def _csv_book(path: Path, head: bytes, strict: bool) -> _CsvBook:
    """Delimited text; with ``strict`` (a spreadsheet's name on it) only if it looks like a table."""
    if bom_encoding(head) is None and utf16_without_bom(head) is None and binary(head):
        raise RecordsError("not_a_spreadsheet", file=path.name)
    try:
        encoding = formats_csv.csv_encoding(path, head)
    except RecordsError:
        if strict:  # bytes in no text encoding, named like a workbook
            raise RecordsError("not_a_spreadsheet", file=path.name) from None
        raise
    lines = formats_csv.first_lines(path, encoding)
    if strict and not formats_csv.looks_delimited("\n".join(lines)):
        raise RecordsError("not_a_spreadsheet", file=path.name)
    delimiter, skip = formats_csv.sniff_delimiter(lines)
    return _CsvBook(path, encoding, delimiter, skip)


def _sparse_grid(path: Path, name: str, rows: list[tuple[int, list]], merged: list, first_row: int,
                 file_format: str) -> Grid:
    """A grid of the rows given as (index from ``first_row``, cells), holes filled with empty rows."""
    if not rows:
        raise RecordsError("empty_sheet", file=path.name, sheet=name)
    return Grid(path=path, sheet=name, rows=_dense(rows), first_row=first_row, merged=list(merged),
                format=file_format)


def _dense(rows: list[tuple[int, list]]) -> Iterator[list]:
    """Rows from Excel row 1 on, an empty row for each row the file leaves out."""
    expected = 0
    for index, cells in rows:
        for _ in range(expected, index):
            yield []
        yield cells
        expected = index + 1


def _reason(exc: BaseException) -> str:
    """The first line of an error, short, for the end of a message (the file's name is given apart)."""
    lines = str(exc).strip().splitlines()
    text = lines[0] if lines else ""
    return (text if len(text) > 12 else f"{type(exc).__name__}: {text}".rstrip(": "))[:200]
