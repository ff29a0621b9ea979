"""Delimited text as it arrives: CSV or TSV in UTF-8 (BOM or not), UTF-16, Windows-1258 or Windows-1252, with
commas, semicolons or tabs, an Excel "sep=;" line or none. Rows are streamed, never held as one text.
"""
from __future__ import annotations

import csv
from itertools import islice
from pathlib import Path
from typing import Iterator

from isoaudit.errors import RecordsError
from isoaudit.records.formats_text import (
    LEGACY,
    UTF8,
    bom_encoding,
    first_non_utf8,
    is_utf8,
    legacy_encoding,
    normalised_lines,
    utf16_without_bom,
)

DELIMITERS = (",", ";", "\t", "|")
_SNIFF_LINES = 40


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
        raise RecordsError("csv_not_utf8", file=path.name)
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
        try:
            counts = [len(row) for row in csv.reader(body, delimiter=delimiter) if any(cell.strip() for cell in row)]
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


def csv_rows(path: Path, encoding: str, delimiter: str, skip: int) -> Iterator[list[str]]:
    """The rows of ``path``, one list of strings per record; a damaged file raises ``RecordsError`` naming the
    row where reading stopped."""
    # A byte that does not decode (damage inside a file otherwise in that encoding) becomes U+FFFD.
    with path.open(encoding=encoding, errors="replace", newline="") as handle:
        lines = normalised_lines(handle) if encoding in LEGACY else handle
        for _ in range(skip):
            next(lines, None)
        records = skip
        try:
            for cells in csv.reader(lines, delimiter=delimiter):
                records += 1
                yield cells
        except csv.Error as exc:
            raise RecordsError("records.damaged_text", file=path.name, row=records + 1,
                               reason=str(exc).splitlines()[0][:200]) from None


def first_lines(path: Path, encoding: str, count: int = _SNIFF_LINES) -> list[str]:
    """The first ``count`` lines of ``path`` decoded (for sniffing the delimiter)."""
    with path.open(encoding=encoding, errors="replace", newline="") as handle:
        return [line.rstrip("\r\n") for line in islice(handle, count)]


def _controls(line: str) -> bool:
    """Control characters other than tab: the bytes of a binary file, not a line of text."""
    return sum(1 for char in line if char < " " and char not in "\t\r\n") > 2
