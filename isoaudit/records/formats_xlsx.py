"""Guarding python-calamine against xlsx sheets whose cells lie far apart, and reading such sheets without it.

calamine lays a sheet out as one rectangle from its first to its last filled cell: a 3 KB file with a cell in
A1 and one in XFD1048576 asks for 17 billion cells and aborts the process. ``needs_streaming`` looks first (the
sheet's declared ``<dimension>``, and for a small sheet or an absurd declaration the cell references
themselves, read from the zip without building anything); ``stream_sheet`` then reads the sheet's cells one
by one with defusedxml, holding only the filled ones, and gives them the types calamine would.
"""
from __future__ import annotations

import re
import zipfile
from datetime import datetime, time, timedelta
from posixpath import dirname, join, normpath

from defusedxml import ElementTree

MAX_CELLS = 5_000_000  # a sheet rectangle calamine may always allocate (about 160 MB)
SCAN_BYTES = 2 << 20  # sheets this small (uncompressed XML) have their cell references read: a few ms
_HEAD_BYTES = 1 << 16  # the <dimension> element comes before the cells
_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_STRICT = "{http://purl.oclc.org/ooxml/spreadsheetml/main}"
_RELATIONSHIP = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
_STRICT_RELATIONSHIP = "{http://purl.oclc.org/ooxml/officeDocument/relationships}id"
_DIMENSION = re.compile(rb'<(?:\w+:)?dimension\s+ref="\$?([A-Z]{1,3})\$?(\d{1,7})(?::\$?([A-Z]{1,3})\$?(\d{1,7}))?"')
# A filled cell: <c ... r="B12" ...> but not the self-closed <c r="B12" s="3"/> of a formatted empty cell.
_FILLED_CELL = re.compile(rb'<(?:\w+:)?c\s[^>]*?\br="([A-Z]{1,3})(\d{1,7})"[^>]*(?<!/)>')
_REFERENCE = re.compile(r"([A-Z]{1,3})\d+$")
MAX_COLUMNS = 16_384  # Excel's limits: column XFD, row 1,048,576
MAX_ROWS = 1_048_576
_BUILTIN_DATES = set(range(14, 23)) | set(range(27, 37)) | {45, 47} | set(range(50, 59))
_BUILTIN_DURATIONS = {46}
_QUOTED = re.compile(r'"[^"]*"|\\.|_.|\*.')
_BRACKETS = re.compile(r"\[([^\]]*)\]")


def needs_streaming(archive: zipfile.ZipFile, part: str) -> bool:
    """Whether calamine would lay the sheet stored in ``part`` out as an absurdly large rectangle."""
    info = archive.getinfo(part)
    with archive.open(info) as handle:
        head = handle.read(_HEAD_BYTES)
    declared = _dimension(head)
    if declared is not None and info.file_size > SCAN_BYTES and not _absurd(declared, info.file_size):
        return False  # a large sheet's own declaration is trusted: reading every reference would cost time
    if declared is None and info.file_size > SCAN_BYTES:
        return False
    return _absurd(filled_extent(archive, part), info.file_size)


def filled_extent(archive: zipfile.ZipFile, part: str) -> tuple[int, int]:
    """(rows, columns) of the rectangle from the first to the last filled cell of the sheet in ``part``, read
    from the cell references in blocks (the sheet is never held whole)."""
    first_row, last_row, columns = None, 0, set()
    with archive.open(part) as handle:
        carry = b""
        for block in iter(lambda: handle.read(1 << 20), b""):
            data = carry + block
            cut = data.rfind(b"<")  # a tag cut by the block's end is read with the next block
            data, carry = (data[:cut], data[cut:]) if cut >= 0 else (data, b"")
            found = _FILLED_CELL.findall(data)
            if found:
                letters, numbers = zip(*found, strict=True)
                columns.update(letters)
                rows = list(map(int, numbers))
                first_row = min(rows) if first_row is None else min(first_row, *rows)
                last_row = max(last_row, *rows)
        found = _FILLED_CELL.findall(carry)
        for letters, number in found:
            columns.add(letters)
            first_row = int(number) if first_row is None else min(first_row, int(number))
            last_row = max(last_row, int(number))
    if first_row is None:
        return 0, 0
    indexes = [column_index(letters) for letters in columns]
    return last_row - first_row + 1, max(indexes) - min(indexes) + 1


def column_index(letters: bytes | str) -> int:
    """0-based index of a column name: A -> 0, XFD -> 16383."""
    index = 0
    for char in letters if isinstance(letters, str) else letters.decode("ascii"):
        index = index * 26 + ord(char) - 64
    return index - 1


class Package:
    """The parts of an xlsx package that name and type its sheets: which part holds each sheet, whether it is
    hidden, the 1904 date system, the shared strings and the date formats of the cell styles."""

    def __init__(self, archive: zipfile.ZipFile):
        self.archive = archive
        workbook_part = _office_document(archive)
        workbook = _parse(archive, workbook_part)
        targets = _relationships(archive, workbook_part)
        self.parts: dict[str, str] = {}
        self.hidden: set[str] = set()
        self.date1904 = False
        for element in workbook.iter():
            tag = _local(element.tag)
            if tag == "workbookPr":
                self.date1904 = element.get("date1904", "0").lower() in ("1", "true")
            elif tag == "sheet":
                name = element.get("name", "")
                target = targets.get(element.get(_RELATIONSHIP) or element.get(_STRICT_RELATIONSHIP) or "")
                if target is not None:
                    self.parts[name] = target
                if element.get("state", "visible") != "visible":
                    self.hidden.add(name)
        self._styles = _relationship_of(targets, "styles")
        self._strings = _relationship_of(targets, "sharedStrings")

    def stream_sheet(self, name: str) -> tuple[list[tuple[int, list]], list]:
        """The filled rows of sheet ``name`` as (0-based row index, cells) and its merged ranges; cells are
        typed as calamine types them (str, float, bool, date, datetime, time, timedelta; '' when empty)."""
        strings = _shared_strings(self.archive, self._strings)
        kinds = _style_kinds(self.archive, self._styles)
        epoch = datetime(1904, 1, 1) if self.date1904 else datetime(1899, 12, 30)
        rows, merged, cells, next_column, last_row, sheet_data = [], [], [], 0, -1, None
        source = self.archive.open(self.parts[name])
        try:
            for event, element in ElementTree.iterparse(source, events=("start", "end")):
                tag = _local(element.tag)
                if event == "start":
                    if tag == "sheetData":
                        sheet_data = element
                    continue
                if tag == "c":
                    reference = _REFERENCE.match(element.get("r") or "")
                    column = column_index(reference.group(1)) if reference else next_column
                    next_column = column + 1
                    value = _cell_value(element, strings, kinds, epoch)
                    if value != "" and column < MAX_COLUMNS:
                        cells.extend([""] * (column + 1 - len(cells)))
                        cells[column] = value
                elif tag == "row":
                    number = element.get("r") or ""
                    last_row = int(number) - 1 if number.isdigit() else last_row + 1
                    if cells and last_row < MAX_ROWS:
                        rows.append((last_row, cells))
                    cells, next_column = [], 0
                    if sheet_data is not None:
                        sheet_data.clear()  # every row read so far is done with
                elif tag == "mergeCell":
                    merged.append(_range(element.get("ref", "")))
        finally:
            source.close()
        return rows, [m for m in merged if m is not None]


def _absurd(extent: tuple[int, int], size: int) -> bool:
    """A rectangle far beyond what the sheet's XML could fill (a filled cell takes 20 bytes at least)."""
    area = extent[0] * extent[1]
    return area > max(MAX_CELLS, size // 5)


def _dimension(head: bytes) -> tuple[int, int] | None:
    match = _DIMENSION.search(head)
    if match is None:
        return None
    first_col, first_row, last_col, last_row = match.groups()
    if last_col is None:
        return 1, 1
    return (abs(int(last_row) - int(first_row)) + 1, abs(column_index(last_col) - column_index(first_col)) + 1)


def _cell_value(element, strings: list[str], kinds: list[str], epoch: datetime):
    kind = element.get("t", "n")
    value = None
    inline = None
    for child in element:
        tag = _local(child.tag)
        if tag == "v":
            value = child.text or ""
        elif tag == "is":
            inline = _text_of(child)
    if kind == "inlineStr":
        return inline or ""
    if value is None:
        return ""
    if kind == "s":
        try:
            return strings[int(value)]
        except (ValueError, IndexError):
            return ""
    if kind == "str":
        return value
    if kind == "b":
        return value.strip() in ("1", "true")
    if kind == "e":
        return ""
    if kind == "d":
        return _iso_datetime(value)
    try:
        number = float(value)
    except ValueError:
        return ""
    style = element.get("s")
    style_kind = kinds[int(style)] if style and style.isdigit() and int(style) < len(kinds) else ""
    if style_kind == "date":
        return _from_serial(number, epoch)
    if style_kind == "duration":
        return timedelta(days=number)
    return number


def _from_serial(serial: float, epoch: datetime):
    """An Excel serial date as calamine gives it: time below one day, date for whole days, else datetime."""
    if serial < 0 or serial > 2_958_465:  # after 31/12/9999
        return serial
    if epoch.year == 1899 and serial < 60:
        serial += 1  # Excel counts a 29 February 1900 that never was
    moment = epoch + timedelta(milliseconds=round(serial * 86_400_000))
    if serial < 1:
        return moment.time()
    if moment.time() == time(0):
        return moment.date()
    return moment


def _iso_datetime(text: str):
    try:
        moment = datetime.fromisoformat(text.strip().rstrip("Z"))
    except ValueError:
        return text
    return moment.date() if moment.time() == time(0) else moment


def _style_kinds(archive: zipfile.ZipFile, part: str | None) -> list[str]:
    """For each cell style (the ``s`` of a cell): "date", "duration" or ""."""
    if part is None or part not in archive.namelist():
        return []
    styles = _parse(archive, part)
    formats = {}
    kinds = []
    for element in styles.iter():
        if _local(element.tag) == "numFmt":
            formats[element.get("numFmtId")] = element.get("formatCode", "")
    for element in styles.iter():
        if _local(element.tag) == "cellXfs":
            for xf in element:
                number_format = xf.get("numFmtId", "0")
                if number_format in formats:
                    kinds.append(_format_kind(formats[number_format]))
                elif number_format.isdigit() and int(number_format) in _BUILTIN_DURATIONS:
                    kinds.append("duration")
                else:
                    kinds.append("date" if number_format.isdigit() and int(number_format) in _BUILTIN_DATES else "")
            break
    return kinds


def _format_kind(code: str) -> str:
    """Whether a custom number format shows a date or a duration ([h]:mm), as calamine decides."""
    code = _QUOTED.sub("", code)
    brackets = _BRACKETS.findall(code)
    if any(b.lower().strip("hms") == "" and b for b in brackets):
        return "duration"
    code = _BRACKETS.sub("", code).split(";")[0].lower()
    if code == "general":
        return ""
    return "date" if any(letter in code for letter in "dmyhs") else ""


def _shared_strings(archive: zipfile.ZipFile, part: str | None) -> list[str]:
    if part is None or part not in archive.namelist():
        return []
    strings = []
    with archive.open(part) as source:
        for _, element in ElementTree.iterparse(source, events=("end",)):
            if _local(element.tag) == "si":
                strings.append(_text_of(element))
                element.clear()
    return strings


def _text_of(element) -> str:
    """The text of a string item: its runs, without the phonetic guide (rPh)."""
    parts = []
    for child in element:
        tag = _local(child.tag)
        if tag == "t":
            parts.append(child.text or "")
        elif tag == "r":
            parts.extend(t.text or "" for t in child if _local(t.tag) == "t")
    return "".join(parts)


def _range(reference: str):
    match = re.fullmatch(r"\$?([A-Z]{1,3})\$?(\d+)(?::\$?([A-Z]{1,3})\$?(\d+))?", reference)
    if match is None:
        return None
    first_col, first_row, last_col, last_row = match.groups()
    last_col, last_row = last_col or first_col, last_row or first_row
    return ((int(first_row) - 1, column_index(first_col)), (int(last_row) - 1, column_index(last_col)))


def _office_document(archive: zipfile.ZipFile) -> str:
    for target, kind in _relationships(archive, "", with_kind=True).items():
        if kind == "officeDocument":
            return target
    return "xl/workbook.xml"


def _relationships(archive: zipfile.ZipFile, part: str, with_kind: bool = False) -> dict[str, str]:
    """A part's relationships: id -> target part (or, ``with_kind``, target -> relationship kind)."""
    folder = dirname(part)
    rels = join(folder, "_rels", part.rsplit("/", 1)[-1] + ".rels") if part else "_rels/.rels"
    if rels not in archive.namelist():
        return {}
    found = {}
    for element in _parse(archive, rels).iter():
        if _local(element.tag) != "Relationship":
            continue
        target = element.get("Target", "")
        target = normpath(target.lstrip("/")) if target.startswith("/") else normpath(join(folder, target))
        if with_kind:
            found[target] = element.get("Type", "").rsplit("/", 1)[-1]
        else:
            found[element.get("Id", "")] = target
            found["#" + element.get("Type", "").rsplit("/", 1)[-1]] = target
    return found


def _relationship_of(targets: dict[str, str], kind: str) -> str | None:
    return targets.get("#" + kind)


def _parse(archive: zipfile.ZipFile, part: str):
    with archive.open(part) as source:
        return ElementTree.parse(source).getroot()


def _local(tag) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""
