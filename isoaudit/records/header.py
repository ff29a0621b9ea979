"""Finding the table inside an administrative spreadsheet: title rows, a one- or two-row header, a row of
column numbers, then data. Header cells are recognised through the alias table."""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from isoaudit.text import clean, fold

SCAN_ROWS = 40  # title blocks are short; a header further down is not a header
_PARENTHESES = re.compile(r"\([^)]*\)")
_COLUMN_NUMBER = re.compile(r"^\(?\s*\d{1,2}\s*\)?$")


@dataclass
class Header:
    """Where the table starts and which sheet column holds which canonical column."""

    positions: dict[str, int]  # canonical column -> 0-based column index in the row
    labels: dict[str, str]  # canonical column -> the header text as written
    first_data_index: int  # index (in the scanned rows) of the first row after the header
    title_lines: list[str] = field(default_factory=list)  # texts above the header (agency, period)
    duplicates: list[tuple[str, str]] = field(default_factory=list)  # (canonical, header text) seen twice


def find_header(head_rows: list[list], aliases: dict[str, str], min_columns: int = 2) -> Header | None:
    """Locate the header among ``head_rows`` (the first rows of a sheet); None when no row looks like one.

    Each row scores the distinct canonical columns its cells name; a row below it adds the columns it names
    under merged or empty cells (the "Ngày, tháng, năm" style of the official tracking book).
    """
    matched = [_match_row(row, aliases) for row in head_rows[:SCAN_ROWS]]
    best_index, best_score = None, 0
    for i, cells in enumerate(matched):
        score = len(set(cells.values()))
        if i + 1 < len(matched):
            score += len(_sub_columns(cells, matched[i + 1]))
        if score > best_score:
            best_index, best_score = i, score
    if best_index is None or best_score < min_columns:
        return None
    cells = matched[best_index]
    rows_used = 1
    below = _sub_columns(cells, matched[best_index + 1]) if best_index + 1 < len(matched) else {}
    if below:
        cells = {**cells, **below}
        rows_used = 2
    positions, labels, duplicates = {}, {}, []
    header_rows = head_rows[best_index : best_index + rows_used]
    for index in sorted(cells):
        column = cells[index]
        text = next((clean(r[index]) for r in reversed(header_rows) if index < len(r) and clean(r[index])), "")
        if column in positions:
            duplicates.append((column, text))
            continue
        positions[column], labels[column] = index, text
    first_data = best_index + rows_used
    if first_data < len(head_rows) and _is_column_number_row(head_rows[first_data]):
        first_data += 1
    titles = [" ".join(clean(c) for c in row if clean(c)) for row in head_rows[:best_index]]
    return Header(positions, labels, first_data, [t for t in titles if t], duplicates)


def _match_row(row: list, aliases: dict[str, str]) -> dict[int, str]:
    found = {}
    for index, cell in enumerate(row):
        if not isinstance(cell, str) or not cell.strip():
            continue
        key = fold(cell)
        column = aliases.get(key) or aliases.get(fold(_PARENTHESES.sub(" ", cell)))
        if column:
            found[index] = column
    return found


def _sub_columns(upper: dict[int, str], lower: dict[int, str]) -> dict[int, str]:
    """Columns named by the lower row that the upper row does not already name (at that cell or elsewhere)."""
    taken = set(upper.values())
    return {i: c for i, c in lower.items() if i not in upper and c not in taken}


def _is_column_number_row(row: list) -> bool:
    cells = [c for c in row if not (isinstance(c, str) and not c.strip())]
    if len(cells) < 2:
        return False
    numbers = []
    for cell in cells:
        if isinstance(cell, (int, float)) and float(cell).is_integer():
            numbers.append(int(cell))
        elif isinstance(cell, str) and _COLUMN_NUMBER.match(cell.strip()):
            numbers.append(int(re.sub(r"\D", "", cell)))
        else:
            return False
    return numbers == sorted(numbers) and numbers[0] <= 2
