"""Delimited text as it arrives: CSV or TSV in UTF-8 (BOM or not), UTF-16, Windows-1258 or Windows-1252, with
commas, semicolons or tabs, an Excel "sep=;" line or none. Rows are streamed, never held as one text.
"""
from __future__ import annotations

import csv
from collections.abc import Iterator
from itertools import islice
from pathlib import Path

from isoaudit.errors import RecordsError
from isoaudit.records.formats_text import (
    LEGACY,
    UTF8,
    bom_encoding,
    first_non_utf8,
    is_utf8,
    legacy_encoding,
    normalised_lines,
    undecodable_line,
    utf16_without_bom,
)

DELIMITERS = (",", ";", "\t", "|")
_SNIFF_LINES = 40
_SHOWN = 30  # characters of a damaged cell quoted in the message
RECORD_LINES_KEPT = 100  # more than a header is looked for in (header.SCAN_ROWS)
NUL = "\x00"  # the "empty character" some exports leave in a cell: removed from the cell, and said where


def csv_encoding(path: Path, head: bytes) -> str:
    """The encoding of the text file ``path`` whose first bytes are ``head``."""
    encoding = bom_encoding(head) or utf16_without_bom(head)
    if encoding is not None:
        return encoding
    if is_utf8(head, complete=False):
        failed = first_non_utf8(path)
        if failed is None:
            return UTF8
        sample = head + failed
    else:
        sample = head
    encoding = legacy_encoding(sample)
    if encoding is None:
        raise RecordsError("csv_not_utf8", file=path.name, line=undecodable_line(path))
    return encoding


def looks_delimited(text: str) -> bool:
    """Whether the first lines of ``text`` are a table of delimited text (for a text file named .xls)."""
    lines = text.splitlines()[:_SNIFF_LINES]
    if any(_controls(line) for line in lines):
        return False
    delimiter, skip = sniff_delimiter(lines)
    rows = list(csv.reader(lines[skip:-1] if len(lines) > 2 else lines[skip:], delimiter=delimiter))
    return sum(1 for row in rows if len(row) >= 2) >= max(1, len(rows) // 2)


def sniff_delimiter(lines: list[str]) -> tuple[str, int]:
    """(delimiter, lines to skip) for the first ``lines`` of a file: Excel's "sep=;" line when there is one,
    else the delimiter that splits most lines into the same number (two or more) of fields."""
    if lines and lines[0].strip().lower().startswith("sep=") and len(lines[0].strip()) == 5:
        return lines[0].strip()[4], 1
    body = lines[:-1] if len(lines) > 2 else lines  # the last line of a sample may be cut short
    best, best_score = ",", (0, 0)
    for delimiter in DELIMITERS:
        # Line by line: a quote left open must not swallow the sample and make another delimiter look better.
        try:
            counts = [len(row) for line in body for row in csv.reader([line], delimiter=delimiter)
                      if any(cell.strip() for cell in row)]
        except csv.Error:
            continue
        wide = [n for n in counts if n >= 2]
        if not wide:
            continue
        mode = max(set(wide), key=lambda n: (wide.count(n), n))
        score = (wide.count(mode), mode)
        if score > best_score:
            best, best_score = delimiter, score
    return best, 0


def csv_rows(path: Path, encoding: str, delimiter: str, skip: int,
             removed: list[tuple[int, int, str]] | None = None,
             record_lines: list[int] | None = None) -> Iterator[list[str]]:
    """The rows of ``path``, one list of strings per record; a damaged file raises ``RecordsError`` naming the
    row where reading stopped, or the row where a quote opens that swallows the lines after it.

    Empty characters (NUL, left in a cell by the software that exported it) are removed from the cells; each
    cell they were removed from is appended to ``removed`` as (row, 0-based column, the cell without them), as
    the rows are read, for the reader of the table to say where. The number of lines each of the first
    ``RECORD_LINES_KEPT`` records took is appended to ``record_lines``, for the fast reader of the body
    (``fast_body``) to know where the body starts."""
    # A byte that does not decode (damage inside a file otherwise in that encoding) becomes U+FFFD.
    with path.open(encoding=encoding, errors="replace", newline="") as handle:
        lines = normalised_lines(handle) if encoding in LEGACY else handle
        for _ in range(skip):
            next(lines, None)
        raw: list[str] = []  # the lines of the record being read
        records, width = skip, 0
        try:
            for cells in csv.reader(_kept(lines, raw), delimiter=delimiter):
                records += 1
                if len(raw) > 1:  # a quoted cell ran over line breaks: a note written on two lines, or damage
                    _check_quotes(cells, raw, delimiter, width, path.name, records)
                if NUL in (raw[0] if len(raw) == 1 else "".join(raw)):
                    cells = _without_nul(cells, records, removed)
                width = max(width, len(cells))
                if record_lines is not None and records - skip <= RECORD_LINES_KEPT:
                    record_lines.append(len(raw))
                raw.clear()
                yield cells
        except csv.Error as exc:
            raise RecordsError("records.damaged_text", file=path.name, row=records + 1,
                               reason=str(exc).splitlines()[0][:200]) from None


def _without_nul(cells: list[str], row: int, removed: list | None) -> list[str]:
    """``cells`` without their empty characters; where they were, appended to ``removed``."""
    for index, cell in enumerate(cells):
        if NUL in cell:
            cells[index] = cell.replace(NUL, "")
            if removed is not None:
                removed.append((row, index, cells[index]))
    return cells


def _kept(lines, raw: list[str]):
    """``lines``, each also appended to ``raw`` (the csv reader reads no line ahead of the record it gives)."""
    for line in lines:
        raw.append(line)
        yield line


def _check_quotes(cells: list[str], raw: list[str], delimiter: str, width: int, name: str, row: int) -> None:
    """Raise ``records.unclosed_quote`` when the record ``cells``, read from the lines ``raw``, swallowed lines
    it should not have: a quote still open at the end of the file; a quoted cell over line breaks "closed" by
    the opening quote of a later cell (a quote followed by text, which no writer of CSV leaves); a cell
    holding two or more lines shaped like whole records (as many delimiters as the widest record so far),
    which no note or address does."""
    text = "".join(raw)
    opened = _open_quote(text, delimiter)
    if opened is not None:
        start = text[opened + 1:]
    else:
        shaped = max(width, 2) - 1
        start = next((cell for cell in cells
                      if sum(1 for part in cell.split("\n")[1:] if part.count(delimiter) >= shaped) >= 2), None)
    if start is not None:
        start = start.split("\n")[0].rstrip("\r")
        raise RecordsError("records.unclosed_quote", file=name, row=row, lines=len(raw) - 1,
                           cell=start if len(start) <= _SHOWN else start[:_SHOWN - 1] + "…")


def _open_quote(text: str, delimiter: str) -> int | None:
    """Where, in ``text`` (whole records as Python's csv reader reads them: a quote opens a field only at its
    start, "" inside a quoted field is a quote), a quoted field opens that is never closed, or that runs over a
    line break and is closed by a quote followed by text; None when every quote is closed as a writer closes
    it."""
    ends, index = (delimiter, "\r", "\n"), 0
    while True:
        index = text.find('"', index)
        if index < 0:
            return None
        if index and text[index - 1] not in ends:  # inside an unquoted field a quote is a letter
            index += 1
            continue
        opened, index = index, index + 1
        while True:  # to the quote that closes the field
            index = text.find('"', index)
            if index < 0:
                return opened
            if not text.startswith('"', index + 1):
                break
            index += 2
        after = text[index + 1:index + 2]
        if after and after not in ends and ("\n" in text[opened:index] or "\r" in text[opened:index]):
            return opened
        index += 1


def first_lines(path: Path, encoding: str, count: int = _SNIFF_LINES) -> list[str]:
    """The first ``count`` lines of ``path`` decoded (for sniffing the delimiter)."""
    with path.open(encoding=encoding, errors="replace", newline="") as handle:
        return [line.rstrip("\r\n") for line in islice(handle, count)]


def _controls(line: str) -> bool:
    """Control characters other than tab: the bytes of a binary file, not a line of text."""
    return sum(1 for char in line if char < " " and char not in "\t\r\n") > 2
