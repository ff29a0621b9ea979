"""HTML tables saved as .xls or .xlsx: what web one-stop systems call "export to Excel".

The page is laid out as Excel lays it out when it opens such a file: one sheet, a row for each line of text
outside the tables (the agency and title above the table) and for each ``<tr>`` of each table, so row numbers
are those the user sees. Cells are ``<td>``/``<th>``; a cell spanning columns or rows (colspan, rowspan) is laid
out as a merged cell (its text in the first cell, '' in the others, the range in ``merged``), ``<br>`` is a line
break inside the cell, entities are decoded and white space is folded as a browser folds it. Each table is
also given alone.

The page is untrusted text. It is parsed by libxml2's HTML parser (through lxml: fast, and lenient with
the unclosed cells of generated pages) with no network access, comments and processing instructions
dropped; spans are capped at Excel's limits, a span reaching past its table's last row stops there, and a
table whose rowspans would cover an absurd area raises ``TooLarge``.
"""
from __future__ import annotations

from dataclasses import dataclass

import lxml.etree

MAX_COLUMNS = 16_384  # Excel's last column, XFD
_MAX_COLSPAN = 1_000  # the HTML standard's limits
_MAX_ROWSPAN = 65_534
_MAX_SKIPPED = 20_000_000  # covered cells stepped over in one table: far beyond any real page (a second or two)
_IGNORED = {"script", "style", "template", "noscript", "title", "head"}  # text Excel does not show
# Elements that start or end a line of text (outside a table: a row of the page; inside a cell: a line of it).
_BLOCKS = {"p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "li", "ul", "ol", "center", "section", "article",
           "header", "footer", "form", "blockquote", "pre", "hr", "body", "caption", "dt", "dd", "address"}
_ROW_GROUPS = {"thead", "tbody", "tfoot"}


class TooLarge(ValueError):
    """A table whose rowspans would cover an absurd area (a hostile page, not an export)."""


@dataclass
class Page:
    """The page as Excel shows it (``rows``, ``merged``) and each table alone (``tables``: its rows, its merged
    ranges in page rows, and the page row its first row is, 1-based)."""

    rows: list[list[str]]
    merged: list
    tables: list[tuple[list[list[str]], list, int]]


def html_page(text: str) -> Page:
    """The page ``text`` laid out in rows: lines of text outside tables as one-cell rows, table rows as they
    come (a table inside a cell of another gives its rows before the row holding it). Merged ranges are
    ``((row, col), (row, col))``, 0-based and inclusive, as python-calamine gives them."""
    parser = lxml.etree.HTMLParser(encoding="utf-8", remove_comments=True, remove_pis=True, no_network=True)
    try:
        root = lxml.etree.fromstring(text.encode("utf-8", errors="replace"), parser=parser)
    except lxml.etree.XMLSyntaxError:
        root = None
    if root is None:  # nothing that parses to an element
        return Page([], [], [])
    layout = _Layout()
    layout.walk(root)
    page_merged, tables = [], []
    for table in sorted(layout.done, key=lambda table: table.order):
        merged = [((table.page_rows[r0], c0), (table.page_rows[r1], c1)) for r0, c0, r1, c1 in table.merged
                  if (r0, c0) != (r1, c1)]
        page_merged += merged
        if any(cell for row in table.rows for cell in row):
            tables.append((table.rows, merged, table.page_rows[0] + 1))
    return Page(layout.page, page_merged, tables)


class _Layout:
    """Walks the parsed page in document order, laying its text and tables out in rows."""

    def __init__(self):
        self.page: list[list[str]] = []
        self.done: list[_Table] = []
        self.started = 0

    def walk(self, root) -> None:
        loose: list[str] = []

        def end_line():
            line = " ".join("".join(loose).split())
            loose.clear()
            if line:
                self.page.append([line])

        def at_table(element):
            end_line()
            self.table(element)

        _text_walk(root, loose.append, end_line, end_line, at_table)
        end_line()

    def table(self, element) -> None:
        table = _Table(self.started, self.page)
        self.started += 1
        for child in element:
            tag = _tag(child)
            if tag == "tr":
                self.row(table, child)
            elif tag in _ROW_GROUPS:
                for row in child.iterchildren("tr"):
                    self.row(table, row)
                table.end_group()  # rowspans do not reach into the next group
            elif tag == "caption":
                text = self.cell_text(child)
                if text:
                    self.page.append([text])
        table.finish()
        self.done.append(table)

    def row(self, table: _Table, element) -> None:
        table.add_row([(self.cell_text(cell), _span(cell.get("colspan"), _MAX_COLSPAN),
                        _span(cell.get("rowspan"), _MAX_ROWSPAN)) for cell in element.iterchildren("td", "th")])

    def cell_text(self, element) -> str:
        """The cell's lines: ``<br>`` and the end of a paragraph start a new one; a table inside is laid out
        on its own."""
        if len(element) == 0:  # most cells: text only
            return " ".join((element.text or "").split())
        lines = [[]]
        _text_walk(element, lambda text: lines[-1].append(text), lambda: lines.append([]), lambda: None,
                   self.table, root_text=True)
        folded = (" ".join("".join(parts).split()) for parts in lines)
        return "\n".join(line for line in folded if line)


def _text_walk(root, text, line_break, block, at_table, root_text: bool = True) -> None:
    """Calls ``text`` with each piece of text under ``root`` in document order, ``line_break`` at each
    ``<br>`` and each block's end, ``block`` at each block's start, ``at_table`` for each table (whose text it
    does not visit). Iterative: a deeply nested page cannot exhaust the stack."""
    if root_text and root.text and _tag(root) not in _IGNORED:
        text(root.text)
    stack = [iter(root)]
    parents = [root]
    while stack:
        child = next(stack[-1], None)
        if child is None:
            stack.pop()
            finished = parents.pop()
            if stack:
                if _tag(finished) in _BLOCKS:
                    line_break()
                if finished.tail:
                    text(finished.tail)
            continue
        tag = _tag(child)
        if tag == "br":
            line_break()
        elif tag == "table":
            at_table(child)
        elif tag is None or tag in _IGNORED:
            pass
        else:
            if tag in _BLOCKS:
                block()
            if child.text:
                text(child.text)
            stack.append(iter(child))
            parents.append(child)
            continue
        if child.tail:
            text(child.tail)


class _Table:
    """One table's rows, placed as a browser places them: a cell goes to the first column that no rowspan from
    a row above covers."""

    def __init__(self, order: int, page: list[list[str]]):
        self.order, self.page = order, page
        self.page_rows: list[int] = []  # the page row of each of the table's rows
        self.rows: list[list[str]] = []
        self.merged: list[list[int]] = []  # [first row, first col, last row, last col], table rows
        self.covered: list[int] = []  # for each column, the last row a rowspan from above covers it to
        self.covered_to = -1  # the last row any rowspan reaches
        self.skipped = 0

    def add_row(self, cells: list[tuple[str, int, int]]) -> None:
        row_index = len(self.rows)
        if self.covered_to < row_index and all(colspan == rowspan == 1 for _, colspan, rowspan in cells):
            self._append([value for value, _, _ in cells[:MAX_COLUMNS]])  # most rows: nothing spans
            return
        row: list[str] = []
        covered = self.covered
        for value, colspan, rowspan in cells:
            column = start = len(row)
            while column < len(covered) and covered[column] >= row_index:  # each column passed once a row
                column += 1
            self.skipped += column - start
            if self.skipped > _MAX_SKIPPED:
                raise TooLarge(f"rowspans cover more than {_MAX_SKIPPED:,} cells of one table")
            if column >= MAX_COLUMNS:
                break
            last_column = min(column + colspan, MAX_COLUMNS) - 1
            row.extend([""] * (last_column + 1 - len(row)))
            row[column] = value
            if colspan > 1 or rowspan > 1:
                self.merged.append([row_index, column, row_index + rowspan - 1, last_column])
            if rowspan > 1:
                covered.extend([-1] * (last_column + 1 - len(covered)))
                covered[column:last_column + 1] = [row_index + rowspan - 1] * (last_column + 1 - column)
                self.covered_to = max(self.covered_to, row_index + rowspan - 1)
        self._append(row)

    def _append(self, row: list[str]) -> None:
        self.rows.append(row)
        self.page_rows.append(len(self.page))
        self.page.append(row)

    def end_group(self) -> None:
        """A row group (thead, tbody, tfoot) ends: its rowspans do not reach into the next one."""
        self._clip(len(self.rows) - 1)
        self.covered, self.covered_to = [], -1

    def finish(self) -> None:
        self._clip(len(self.rows) - 1)

    def _clip(self, last_row: int) -> None:
        for merged in self.merged:
            merged[2] = min(merged[2], max(last_row, merged[0]))


def _tag(element) -> str | None:
    """The tag of an element (libxml2 writes HTML tags in lower case); None for anything that is not one."""
    tag = element.tag
    return tag if isinstance(tag, str) else None


def _span(value: str | None, limit: int) -> int:
    if value is None:
        return 1
    digits = value.strip().rstrip(";")
    if not digits.isdigit():
        return 1
    return min(max(int(digits), 1), limit)
