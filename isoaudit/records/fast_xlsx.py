"""An xlsx sheet read without python-calamine's whole parse to Python cells: its first rows and merged ranges
exactly as calamine gives them (``head``), then its body column-wise into Arrow by fastexcel (``body``).

``head`` cuts the sheet's XML after Excel row ``SCAN_ROWS`` (the rows a header is looked for in), keeps its
``<mergeCells>`` (which come after the cells, so the rest of the XML is inflated and searched, never parsed), and
lets python-calamine read that small copy of the workbook: the header is found on the same cells as the slow
path finds it. Its last rows are read the same way, for a totals row near the end (``end_in_tail``): the body is
read up to it, as the slow path stops there, and the signatures below it (text in columns of numbers and dates)
are never typed. ``body`` then reads the rows below the header with fastexcel, one type per column of a
canonical column; the other columns (a numbers column with section titles, a commune's own notes) only tell where
the table ends, and are read as text. Anything it could give otherwise than calamine's cells raises ``Unusable``
(the caller reads the sheet cell by cell instead; ``mixed`` spares fastexcel's whole parse when the first or last
rows show it already):

- fastexcel is not installed, or cannot read the file; the file is not named .xlsx or .xlsm (fastexcel picks its
  reader by the name);
- a canonical column holds cells of several types above the end of the table (codes typed as text and as numbers,
  dates typed as text beside real dates): fastexcel would coerce them (``dtype_coercion="strict"``), and its text
  of a number is not Python's (15 digits); so does a totals row further up than the last ``TAIL_BYTES`` of the
  sheet's XML with such text below it;
- a row of the body whose first text is in a column read as text (it may have been a number), followed by the
  text of an end marker: which text ends the table is not known;
- a column of booleans or durations, a date or time before 01/03/1900 (calamine gives a time of day, fastexcel a
  date in 1899, and both count Excel's 29/02/1900 differently);
- the whole sheet starts in another column than its first rows (the head's cells would be numbered otherwise);
- XML the cut does not recognise (rows without their numbers, a row element split oddly).
"""
from __future__ import annotations

import io
import logging
import re
import zipfile
import zlib
from datetime import date, datetime
from functools import lru_cache

import pyarrow as pa
import pyarrow.compute as pc
import python_calamine

from isoaudit.records import fast_body

try:  # ISA-L's inflate gives zlib's bytes four times as fast: a sheet's XML is inflated whole by ``head``
    from isal.isal_zlib import decompressobj as _raw_inflater
except ImportError:
    from zlib import decompressobj as _raw_inflater
try:
    import fastexcel
except ImportError:  # an optional speed-up: without it every xlsx is read cell by cell
    fastexcel = None
# fastexcel warns of each column with no cell below the header ("falling back to string"): an optional column left
# empty, as most logs have, which the conversions read as empty whatever its type. Not a thing to tell a user.
logging.getLogger("fastexcel.types.dtype").setLevel(logging.ERROR)

_BLOCK = 1 << 22  # the sheet's XML is inflated 4 MB at a time
MAX_COLUMNS = 16_384  # Excel's
FEW_COLUMNS = 256  # as many as a record sheet has, and many more
_ROWS_PER_BLOCK = 1 << 18  # the body is converted this many rows at a time (memory, not speed)
TAIL_BYTES = 1 << 18  # the last rows of a sheet read apart: a totals row and signatures take far less
_ROW = re.compile(rb"<(\w+:)?row\b([^>]*)>")
_ROW_NUMBER = re.compile(rb'\sr="(\d+)"')
_SHEET_DATA_START = re.compile(rb"<(\w+:)?sheetData\b[^>/]*>")
_SHEET_DATA_END = re.compile(rb"</(\w+:)?sheetData>|<(\w+:)?sheetData\s*/>")
_MERGES_START = re.compile(rb"<(\w+:)?mergeCells")
_MERGES_END = re.compile(rb"</(\w+:)?mergeCells>|<(\w+:)?mergeCells\b[^>]*/>")
_EARLIEST = pa.scalar(datetime(1900, 3, 1), pa.timestamp("ms"))  # 1900-03-01: before it calamine and fastexcel differ
_TYPES = {pa.string(), pa.large_string(), pa.float64(), pa.null(), pa.timestamp("ms")}


class Unusable(fast_body.Unusable):
    """The sheet is one fastexcel could read otherwise than calamine (see the module's docstring)."""


def available() -> bool:
    """Whether fastexcel can be used at all."""
    return fastexcel is not None


def head(archive: zipfile.ZipFile, parts: dict[str, str], name: str, rows: int):
    """(the first ``rows`` rows of sheet ``name`` as python-calamine's ``iter_rows`` gives them, its merged
    ranges, the 0-based column its first rows start at, its last rows) read from copies of the workbook holding
    only those rows; None when the sheet's XML is not cut as expected. The last rows (``TAIL_BYTES`` of the XML at
    most) are (Excel row number, cells placed as the first rows' cells), or None: where a totals row and the
    signatures below a table are, which the body must not be read with (see ``end_in_tail``)."""
    cut = _cut_sheet(archive, parts[name], rows)
    if cut is None:
        return None
    head_xml, tail_xml = cut
    sheet = _small_book(archive, parts, name, head_xml).get_sheet_by_name(name)
    merged = list(sheet.merged_cell_ranges or [])
    if sheet.height == 0 or sheet.width == 0:
        return [], merged, 0, None
    first = [row for _, row in zip(range(rows), sheet.iter_rows())]
    column = sheet.start[1]
    return first, merged, column, _tail(archive, parts, name, tail_xml, column)


def _tail(archive, parts, name, tail_xml, column):
    """The last rows as ``head`` gives them; None when there are none, or they start left of ``column``."""
    if tail_xml is None:
        return None
    sheet = _small_book(archive, parts, name, tail_xml).get_sheet_by_name(name)
    if sheet.height == 0 or sheet.width == 0 or sheet.start[1] < column:
        return None
    pad = [""] * (sheet.start[1] - column)
    return [(sheet.start[0] + 1 + index, pad + row)
            for index, row in enumerate(sheet.to_python(skip_empty_area=True))]


def end_in_tail(tail, first_row: int, required: list[int], markers: tuple, fold) -> int | None:
    """The Excel row of the first row of ``tail`` (rows as (Excel row, cells), in order: ``head``'s first rows,
    then its last ones) at or after ``first_row`` that ends the
    table as the slow path's end marker says (``table._end_marker_row``): a required cell (at the places
    ``required``; every row when none) empty, and its first text one of the ``markers``, folded by ``fold``."""
    for number, cells in tail or ():
        if number < first_row:
            continue
        if required and all(index < len(cells) and cells[index] != "" for index in required):
            continue
        text = next((cell for cell in cells if isinstance(cell, str) and cell.strip()), None)
        if text is not None and fold(text).startswith(markers):
            return number
    return None


def mixed(rows: list[list], typed: set[int]) -> bool:
    """Whether some column of ``rows`` (rows of the body as calamine gives them: the first rows below the header,
    the last ones above the table's end) at a place of ``typed`` holds cells of two types, or a type fastexcel is
    not used for: then ``body`` would raise ``Unusable`` after a whole parse, which this spares."""
    seen: dict[int, type] = {}
    for row in rows:
        for index, cell in enumerate(row):
            if cell == "" or cell is None or index not in typed:
                continue
            kind = _KINDS.get(type(cell))
            if kind is None or seen.setdefault(index, kind) is not kind:
                return True
    return False


_KINDS = {str: str, float: float, int: float, datetime: datetime, date: datetime}  # as fastexcel types a column


def _small_book(archive: zipfile.ZipFile, parts: dict[str, str], name: str, sheet_xml: bytes):
    """A python-calamine workbook of ``archive`` whose sheet ``name`` is ``sheet_xml`` and other sheets empty."""
    part = parts[name]
    others = set(parts.values()) - {part}
    copy = io.BytesIO()
    with zipfile.ZipFile(copy, "w", zipfile.ZIP_STORED) as small:
        for info in archive.infolist():
            if info.filename == part:
                small.writestr(info.filename, sheet_xml)
            elif info.filename in others:  # another sheet, perhaps as large: calamine need not read it
                small.writestr(info.filename, _EMPTY_SHEET)
            else:
                small.writestr(info.filename, archive.read(info))
    copy.seek(0)
    return python_calamine.CalamineWorkbook.from_filelike(copy)


_EMPTY_SHEET = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData/>'
                b"</worksheet>")


def _cut_sheet(archive: zipfile.ZipFile, part: str, rows: int) -> tuple[bytes, bytes | None] | None:
    """The sheet's XML up to the first row after Excel row ``rows``, closed, with the sheet's merged ranges
    (found in the last blocks: they come after the cells); and the sheet's XML with only its last rows (at most
    ``TAIL_BYTES`` of them, after that first row), None when there are none."""
    kept, cut, prefix, tail = b"", None, b"", []
    for block in _inflated(archive, part):
        if cut is None:
            kept += block
            found = _head_end(kept, rows)
            if found is None:
                continue
            if found is False:
                return None
            cut, prefix = found
            block, kept = kept[cut:], kept[:cut]
        tail = [tail[-1], block] if tail else [block]
    if cut is None:
        return None
    data = b"".join(tail)
    closed = data.rfind(b"</" + prefix + b"sheetData>")
    if closed < 0:
        return None  # more than a block after the cells: read cell by cell rather than search it all
    after = data[closed:]
    start = _merges_start(after)
    merges = b""
    if start is not None:
        end = _MERGES_END.search(after, start)
        if end is None:
            return None
        merges = after[start:end.end()]
    closing = b"</" + prefix + b"sheetData>"
    ending = b"</" + prefix + b"worksheet>"
    opened = _SHEET_DATA_START.search(kept)
    last = _ROW.search(data, max(closed - TAIL_BYTES, 0), closed) if opened is not None else None
    tail_xml = None if last is None else kept[:opened.end()] + data[last.start():closed] + closing + ending
    return kept + closing + merges + ending, tail_xml


def _inflated(archive: zipfile.ZipFile, part: str):
    """The bytes of ``part``, a block at a time: a deflated part inflated straight from the file (zipfile's
    reader also checks the CRC, which fastexcel's reader of the same part does anyway)."""
    info = archive.getinfo(part)
    if info.compress_type != zipfile.ZIP_DEFLATED or info.flag_bits & 1 or not archive.filename:
        with archive.open(info) as source:
            while block := source.read(_BLOCK):
                yield block
        return
    with open(archive.filename, "rb") as source:
        source.seek(info.header_offset)
        header = source.read(30)
        if header[:4] != b"PK\x03\x04":
            raise zipfile.BadZipFile(part)
        source.seek(info.header_offset + 30 + int.from_bytes(header[26:28], "little")
                    + int.from_bytes(header[28:30], "little"))
        inflater, left = _raw_inflater(-zlib.MAX_WBITS), info.compress_size
        while left > 0:
            data = source.read(min(left, _BLOCK >> 2))
            if not data:
                raise zipfile.BadZipFile(part)
            left -= len(data)
            if block := inflater.decompress(data):
                yield block
        if block := inflater.flush():
            yield block


def _merges_start(data: bytes) -> int | None:
    """Where the ``<mergeCells>`` element starts in ``data``: the name found by ``bytes.find`` (a regular
    expression over the whole sheet would cost more than inflating it), then checked to be the tag's."""
    found = data.find(b"mergeCells")
    while found >= 0:
        start = data.rfind(b"<", max(found - 16, 0), found)
        if start >= 0 and _MERGES_START.fullmatch(data, start, found + len(b"mergeCells")):
            return start
        found = data.find(b"mergeCells", found + 1)
    return None


def _head_end(data: bytes, rows: int):
    """(the offset the head of the sheet ends at in ``data``, the tags' namespace prefix); None when ``data`` does
    not reach it yet; False for XML cut otherwise than expected (a row without its number)."""
    limit = len(data)
    for match in _ROW.finditer(data):
        number = _ROW_NUMBER.search(match.group(2))
        if number is None:
            return False
        if int(number.group(1)) > rows:
            limit = match.start()
            break
    end = _SHEET_DATA_END.search(data, 0, limit)  # the cells end before that row (only the head is searched)
    if end is None:
        return (limit, match.group(1) or b"") if limit < len(data) else None
    if end.group(0).endswith(b"/>"):
        return False  # an empty sheet: nothing to read fast
    return end.start(), end.group(1) or b""


def body(path, sheet: str, skip: int, first_column: int, rows: int | None, typed: set[int]):
    """The rows of sheet ``sheet`` of ``path`` after its first ``skip`` (``rows`` of them, or all), as blocks of
    rows, each a dict of Arrow columns by their 0-based place in calamine's rows: those at the places ``typed`` as
    their cells are (text, float64, timestamp[ms] or null; null for an empty cell), the others as text whatever
    their cells (fastexcel's text of a number or a date). Raises ``Unusable`` (see the module's docstring)."""
    offsets = set()

    def every_column(column) -> bool:  # told each column's place in the sheet, for the check below
        offsets.add(column.absolute_index - column.index)
        return True

    def load(columns: int):
        offsets.clear()
        return fastexcel.read_excel(str(path)).load_sheet(sheet, header_row=None, skip_rows=skip, n_rows=rows,
                                                           eager=True, use_columns=every_column,
                                                           dtypes=_read_as_text(frozenset(typed), columns),
                                                           dtype_coercion="strict", schema_sample_rows=None)

    try:
        # fastexcel takes a millisecond to be told the types of Excel's 16,384 columns: it is told those of the
        # first FEW_COLUMNS, and a sheet wider than that (or a read refused) is read again told them all.
        try:
            batch = load(FEW_COLUMNS)
            narrow = batch.num_columns + max(offsets, default=0) <= FEW_COLUMNS
        except Exception:  # noqa: BLE001 - said by the read told every column's type
            narrow = False
        if not narrow:
            batch = load(MAX_COLUMNS)
    except Exception:  # strict coercion refused a mixed column, or fastexcel cannot read what calamine reads
        raise Unusable from None
    if batch.num_columns and offsets != {first_column}:
        raise Unusable  # the body starts in a column left of the head: the head's places would be off
    arrays = [_usable(column) for column in batch.columns]
    for start in range(0, batch.num_rows, _ROWS_PER_BLOCK):
        yield {index: array.slice(start, _ROWS_PER_BLOCK) for index, array in enumerate(arrays)}


@lru_cache(maxsize=32)  # a few sets of typed columns: each kind's layouts
def _read_as_text(typed: frozenset[int], columns: int) -> dict[int, str]:
    """fastexcel's dtypes for the first ``columns`` columns not at the places ``typed``: a column no canonical
    column reads serves only to find the table's end, of any types, read as text."""
    return {index: "string" for index in range(columns) if index not in typed}


def _usable(array: pa.Array) -> pa.Array:
    """``array`` in one of the types the conversions take, as calamine's cells are; ``Unusable`` otherwise."""
    if array.type == pa.int64():
        array = array.cast(pa.float64())  # calamine's numbers are floats, whole or not
    elif pa.types.is_date(array.type):
        array = array.cast(pa.timestamp("ms"))
    if array.type not in _TYPES:
        raise Unusable  # booleans, durations
    if array.type == pa.timestamp("ms") and array.null_count < len(array):
        if pc.less(pc.min(array), _EARLIEST).as_py():
            raise Unusable
    return array
