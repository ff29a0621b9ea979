"""Finding the table inside an administrative spreadsheet: title rows, a one- or two-row header, a row of
column numbers, then data. Header cells are recognised through the alias table (``records/aliases.py``).

A two-row header has merged group cells above sub-columns: "Ngày, tháng, năm" over [Nhận hồ sơ | Hẹn trả kết
quả], "Trả kết quả" over [Ngày nhận kết quả | Bên giao (Ký tên) | Bên nhận (Ký tên)]. A sub-column is read
with its group cell as parent (the alias table says what it means there); a group cell names nothing itself
unless none of its sub-columns is recognised. Without merge information (CSV, HTML), a group cell spans the
empty cells to its right.

A three-row header (the periodic statistics form: "Kết quả giải quyết" over "Số hồ sơ đã giải quyết" over
[Tổng số | Trả trước hạn | ...]) is read as two overlapping two-row headers: each cell of the bottom row under
its parent in the middle row, the other columns as the top two rows give them. It is only tried when the top
row names a column of its own ("Lĩnh vực") and the bottom row holds text only, so that a title above a
two-row header, or the first data row below one, never makes one.

When several cells name the same canonical column, the one with the highest alias priority is read (the
leftmost on a tie); the others are listed as outranked (a lower priority) or duplicates (the same).
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from isoaudit.records.aliases import SKIP, UNUSED, Aliases, Meaning
from isoaudit.text import clean

SCAN_ROWS = 40  # title blocks are short; a header further down is not a header
_COLUMN_NUMBER = re.compile(r"^\(?\s*\d{1,2}\s*\)?$")
_COLUMN_LETTER = re.compile(r"^\(?\s*[A-E]\s*\)?$")  # official forms number their text columns A, B, then 1, 2...


@dataclass
class Header:
    """Where the table starts and which sheet column holds which canonical column."""

    positions: dict[str, int]  # canonical column -> 0-based column index in the row
    labels: dict[str, str]  # canonical column -> the header text as written
    first_data_index: int  # index (in the scanned rows) of the first row after the header
    title_lines: list[str] = field(default_factory=list)  # texts above the header (agency, period)
    duplicates: list[tuple[str, str]] = field(default_factory=list)  # (canonical, header text) seen twice
    outranked: list[tuple[str, str, str]] = field(default_factory=list)  # (canonical, text not read, text read)
    unused: list[str] = field(default_factory=list)  # header texts of record data no canonical column holds
    skipped: list[str] = field(default_factory=list)  # header texts of columns that hold no record data
    score: int = 0  # distinct canonical columns found: how surely this is the table's header


@dataclass(frozen=True)
class _Cell:
    index: int  # 0-based column
    text: str  # as written, cleaned
    meaning: Meaning


def find_header(head_rows: list[list], aliases: Aliases | Mapping[str, str], min_columns: int = 2,
                merged: list | None = None, first_row: int = 1) -> Header | None:
    """Locate the header among ``head_rows`` (the first rows of a sheet); None when no row looks like one.

    ``aliases``: an ``Aliases`` table or a plain {folded header: column} table. ``merged``: the sheet's merged
    ranges as ((first row, first column), (last row, last column)), 0-based from Excel's row 1 (calamine's
    ``merged_cell_ranges``); ``first_row``: the Excel row number of ``head_rows[0]``.
    Each row scores the distinct canonical columns it names, alone or with the row below as sub-columns.
    """
    if not isinstance(aliases, Aliases):
        aliases = Aliases.plain(aliases)
    rows = head_rows[:SCAN_ROWS]
    merges = _merges_by_row(merged, first_row - 1, len(rows))
    single = [_cells_of_row(row, aliases) for row in rows]
    best, best_score, best_index, rows_used = None, (0, 0), 0, 1
    for i in range(len(rows)):
        cells, used = single[i], 1
        if i + 1 < len(rows) and _has_text(rows[i + 1]):
            two = _cells_of_two_rows(rows[i], rows[i + 1], i, aliases, merges.get(i, ()))
            # The row above must add something: a title over a one-row header does not make it two rows.
            if _score(two) > max(_score(single[i]), _score(single[i + 1])):
                cells, used = two, 2
        if _may_be_three_rows(rows, i, single[i]):
            three = _cells_of_three_rows(rows, i, aliases, merges)
            # Both two-row readings of the same rows must name fewer columns than the three rows together
            # (distinct columns: a header word in a title block two rows up adds a cell, not a column).
            below = _cells_of_two_rows(rows[i + 1], rows[i + 2], i + 1, aliases, merges.get(i + 1, ()))
            if _score(three)[0] > max(_score(cells)[0], _score(below)[0]):
                cells, used = three, 3
        if _score(cells) > best_score:
            best, best_score, best_index, rows_used = cells, _score(cells), i, used
    if best is None or best_score[0] < min_columns:
        return None
    header = _resolve(best)
    header.score = best_score[0]
    first_data = best_index + rows_used
    if first_data < len(rows) and _is_column_number_row(rows[first_data]):
        first_data += 1
    header.first_data_index = first_data
    titles = [" ".join(clean(c) for c in row if clean(c)) for row in rows[:best_index]]
    header.title_lines = [t for t in titles if t]
    return header


def _cells_of_row(row: list, aliases: Aliases) -> list[_Cell]:
    found = []
    for index, cell in enumerate(row):
        if isinstance(cell, str) and cell.strip():
            meaning = aliases.meaning(cell)
            if meaning is not None:
                found.append(_Cell(index, clean(cell), meaning))
    return found


def _cells_of_two_rows(upper: list, lower: list, row: int, aliases: Aliases, merges) -> list[_Cell]:
    """The cells of a two-row header: sub-columns read under their group cell, other upper cells alone;
    ``merges``: the merged ranges over the upper row."""
    found, groups_read = _sub_cells(upper, lower, row, aliases, merges)
    return sorted(found + _alone(upper, groups_read, aliases), key=lambda c: c.index)


def _alone(upper: list, groups_read: set, aliases: Aliases) -> list[_Cell]:
    """The upper cells read alone: plain ones, and groups none of whose sub-columns is known."""
    found = []
    for index, cell in enumerate(upper):
        if isinstance(cell, str) and cell.strip() and index not in groups_read:
            meaning = aliases.meaning(cell)
            if meaning is not None:
                found.append(_Cell(index, clean(cell), meaning))
    return found


def _sub_cells(upper: list, lower: list, row: int, aliases: Aliases, merges,
               qualify: bool = False) -> tuple[list[_Cell], set]:
    """The recognised cells of ``lower``, each read under its group cell in ``upper``, and the upper columns
    of the groups read. ``qualify``: a sub-column's text says its group ("Số hồ sơ đã giải quyết - Tổng
    số"), for a header whose sub-columns repeat the same words under different groups."""
    parent_of = _parents(upper, lower, row, merges)
    found, groups_read = [], set()
    for index, cell in enumerate(lower):
        if not (isinstance(cell, str) and cell.strip()):
            continue
        parent = parent_of.get(index)
        meaning = aliases.meaning(cell, upper[parent] if parent is not None else "")
        if meaning is not None:
            text = clean(cell)
            if qualify and parent is not None:
                text = f"{clean(upper[parent])} - {text}"
            found.append(_Cell(index, text, meaning))
            groups_read.add(parent)
    return found, groups_read


def _may_be_three_rows(rows: list, i: int, top: list[_Cell]) -> bool:
    """Rows ``i`` to ``i + 2`` may be one header: the top row names a column alone, the middle row holds groups
    (two different texts at least: a single text there, even written over two cells, is a title line, as a
    committee's name above a header is), the bottom one text and nothing else (a data row holds numbers or
    dates)."""
    if i + 2 >= len(rows) or not any(c.meaning.is_data for c in top):
        return False
    middle, bottom = rows[i + 1], rows[i + 2]
    groups = len({clean(c) for c in middle if isinstance(c, str) and c.strip()})
    return groups >= 2 and _has_text(bottom) and all(c is None or isinstance(c, str) for c in bottom)


def _cells_of_three_rows(rows: list, i: int, aliases: Aliases, merges) -> list[_Cell]:
    """The cells of a three-row header: the bottom row's sub-columns under the middle row's groups, the other
    columns as the top two rows read them (a middle cell under its top group, a top cell alone)."""
    bottom, _ = _sub_cells(rows[i + 1], rows[i + 2], i + 1, aliases, merges.get(i + 1, ()), qualify=True)
    middle, groups_read = _sub_cells(rows[i], rows[i + 1], i, aliases, merges.get(i, ()), qualify=True)
    # A top cell read alone heads its column down the three rows (merged: nothing below it); one with text
    # under it is a title block's word over a header, not part of it.
    top = middle + [c for c in _alone(rows[i], groups_read, aliases)
                    if not (_filled(_cell(rows[i + 1], c.index)) or _filled(_cell(rows[i + 2], c.index)))]
    taken = {c.index for c in bottom}
    return sorted(bottom + [c for c in top if c.index not in taken], key=lambda c: c.index)


def _parents(upper: list, lower: list, row: int, merges) -> dict[int, int]:
    """Lower-row column -> the upper-row column of the group cell above it, for each filled lower cell."""
    covered = {}  # column -> (first row, first column, last row) of a merged range over ``row`` there
    for (first_row, first_column), (last_row, last_column) in merges:
        for column in range(first_column, min(last_column, len(lower) - 1) + 1):
            covered[column] = (first_row, first_column, last_row)
    parents, group = {}, None  # group: the nearest filled upper cell to the left, while nothing merged intervenes
    for index in range(len(lower)):
        if index in covered:
            first_row, first_column, last_row = covered[index]
            # a range merged across the two rows is one cell, not a group; one merged from above is a title
            parent, group = (first_column if first_row == row == last_row else None), None
        else:
            if index < len(upper) and _filled(upper[index]):
                group = index
            parent = group
        if parent is not None and _filled(lower[index]):
            parents[index] = parent
    return parents


def _merges_by_row(merged, shift: int, height: int) -> dict[int, list]:
    """Head row -> the merged ranges ((first row, first column), (last row, last column)) over it, rows
    counted in the head; ranges below the head (merged cells in the body) are left out."""
    by_row: dict[int, list] = {}
    for item in merged or ():
        try:
            (first_row, first_column), (last_row, last_column) = item
            first_row, last_row = int(first_row) - shift, int(last_row) - shift
            span = ((first_row, int(first_column)), (last_row, int(last_column)))
        except (TypeError, ValueError):
            continue
        for row in range(max(first_row, 0), min(last_row, height - 1) + 1):
            by_row.setdefault(row, []).append(span)
    return by_row


def _resolve(cells: list[_Cell]) -> Header:
    """One sheet column per canonical column: the highest priority wins, the leftmost on a tie."""
    header = Header({}, {}, 0)
    by_column: dict[str, list[_Cell]] = {}
    for cell in cells:
        if cell.meaning.column == SKIP:
            header.skipped.append(cell.text)
        elif cell.meaning.column == UNUSED:
            header.unused.append(cell.text)
        else:
            by_column.setdefault(cell.meaning.column, []).append(cell)
    for column, candidates in by_column.items():
        winner = max(candidates, key=lambda c: (c.meaning.priority, -c.index))
        header.positions[column], header.labels[column] = winner.index, winner.text
        for cell in candidates:
            if cell is winner:
                continue
            if cell.meaning.priority < winner.meaning.priority:
                header.outranked.append((column, cell.text, winner.text))
            else:
                header.duplicates.append((column, cell.text))
    return header


def _score(cells: list[_Cell]) -> tuple[int, int]:
    """Distinct canonical columns named, then cells recognised (signature columns included): a sub-row that
    only refines its groups' meaning, or names signatures, still makes a two-row header."""
    return len({c.meaning.column for c in cells if c.meaning.is_data}), len(cells)


def _cell(row: list, index: int):
    return row[index] if index < len(row) else None


def _filled(cell) -> bool:
    return not (cell is None or (isinstance(cell, str) and not cell.strip()))


def _has_text(row: list) -> bool:
    return any(isinstance(c, str) and c.strip() for c in row)


def _is_column_number_row(row: list) -> bool:
    cells = [c for c in row if not (isinstance(c, str) and not c.strip())]
    if len(cells) < 2:
        return False
    while len(cells) > 2 and isinstance(cells[0], str) and _COLUMN_LETTER.match(cells[0].strip()):
        cells = cells[1:]  # "A | B | 1 | 2 ...": the letters of the text columns
    numbers = []
    for cell in cells:
        if isinstance(cell, (int, float)) and float(cell).is_integer():
            numbers.append(int(cell))
        elif isinstance(cell, str) and _COLUMN_NUMBER.match(cell.strip()):
            numbers.append(int(re.sub(r"\D", "", cell)))
        else:
            return False
    return numbers == sorted(numbers) and numbers[0] <= 2
