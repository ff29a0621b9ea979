"""What isoaudit makes of one spreadsheet before anything else: its format and sheet, the record kind its header
names, the header rows, which source column gives which canonical column (and why the others are not read),
sample values as read, what is missing and what that costs, and the problems of reading.

``inspect_file`` returns an ``Inspection`` of plain values; ``isoaudit inspect`` (``cli/inspect.py``) words it.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from itertools import islice
from pathlib import Path

import pandas as pd

from isoaudit import schema
from isoaudit.errors import RecordsError
from isoaudit.problems import ERROR, Problem
from isoaudit.records.aliases import ALIAS_FILE, alias_table
from isoaudit.records.coverage import figure_gaps
from isoaudit.records.grid import CSV_SUFFIXES, open_grid
from isoaudit.records.header import SCAN_ROWS, find_header
from isoaudit.records.readers import record_table
from isoaudit.text import clean

SAMPLES = 3  # values shown per column
MAX_SHEETS = 20  # sheets of a workbook looked at for the table
_COLUMN_NUMBER = re.compile(r"\(?\d{1,2}(?:\.0)?\)?")
# Why a header cell gives no canonical column.
UNKNOWN = "unknown"  # no alias names it
OUTRANKED = "outranked"  # another column of a higher priority gives the same canonical column
DUPLICATE = "duplicate"  # another column of the same priority, further left, gives it
SKIPPED = "skipped"  # not record data (a signature column)
UNUSED = "unused"  # record data isoaudit has no column for
IGNORED = (UNKNOWN, OUTRANKED, DUPLICATE, SKIPPED, UNUSED)
FORMATS = ("xlsx", "xlsm", "xlsb", "xls", "ods", "csv", "html", "spreadsheetml", "unknown")
# Opening errors that are the user's (a mistyped path or sheet name): raised, not reported as the file's.
USAGE_ERRORS = ("file_not_found", "file_is_a_folder", "sheet_not_found")


@dataclass(frozen=True)
class SourceColumn:
    """One column of the sheet's header and what isoaudit reads from it."""

    letter: str  # as a spreadsheet names it: A, B, ..., AA
    header: str  # the header text as written; "group › sub-column" under a merged group cell
    canonical: str | None  # the canonical column it gives; None when it is not read
    ignored: str | None = None  # why not (one of IGNORED)
    instead: str = ""  # outranked or duplicate: the header of the column read instead
    samples: tuple = ()  # up to SAMPLES values as read (datetime.date for date columns, Timestamp for datetimes)


@dataclass(frozen=True)
class Inspection:
    """Everything ``isoaudit inspect`` prints about one file."""

    file: str
    format: str  # xlsx, xlsm, xlsb, xls, ods, csv, html or unknown
    sheet: str  # "" for a CSV
    kind: str | None  # the record kind read (None when no kind's header was found)
    forced: bool  # the kind was given (--kind), not guessed
    candidates: tuple[tuple[str, int], ...]  # (kind, canonical columns its aliases find), most first
    alias_file: str = ""  # the records folder's column_aliases.csv used beside the bundled one
    title_lines: tuple[str, ...] = ()
    header_rows: tuple[tuple[int, str], ...] = ()  # (row number as the spreadsheet shows it, its text)
    columns: tuple[SourceColumn, ...] = ()
    rows: int = 0  # records read
    missing_required: tuple[str, ...] = ()  # canonical columns the kind requires and the header lacks
    gaps: tuple[Problem, ...] = ()  # figures that cannot be computed (records/coverage.py)
    problems: tuple[Problem, ...] = ()  # problems of reading (the missing required columns apart)
    error: Problem | None = None  # why the file cannot be read at all (not a spreadsheet, no header)

    @property
    def usable(self) -> bool:
        """Whether the records of this file can be used (some rows may still be set aside)."""
        # An error of another file (the folder's column_aliases.csv) is reported, but does not make this one unusable.
        return self.error is None and not self.missing_required and \
            not any(p.severity == ERROR and p.file == self.file for p in self.problems)


def inspect_file(path, kind: str | None = None, sheet=None, alias_file=None) -> Inspection:
    """Inspect ``path`` as ``kind`` (guessed from the header when None: the kind whose aliases find the most
    canonical columns). ``alias_file`` defaults to ``folder_alias_file(path)``. A missing file or sheet
    raises ``RecordsError``; everything else about the file is in the ``Inspection``."""
    path = Path(path)
    if not path.is_file():
        raise RecordsError("file_is_a_folder" if path.is_dir() else "file_not_found", file=str(path))
    alias_file = folder_alias_file(path) if alias_file is None else Path(alias_file)
    shown_aliases = alias_file.name if alias_file is not None else ""
    try:
        sheets = _sheet_heads(path, sheet)
    except RecordsError as error:
        if error.code in USAGE_ERRORS:
            raise
        return Inspection(file=path.name, format=file_format(path), sheet="", kind=kind, forced=kind is not None,
                          candidates=(), alias_file=shown_aliases,
                          error=Problem(error.code, file=path.name, severity=ERROR, params=error.params))
    # The sheet whose header names the most columns (of the kind given, or of any kind); the first on a tie.
    scored = [(grid, head, _candidates(head, alias_file)) for grid, head in sheets]
    grid, head, candidates = max(scored, key=lambda item: dict(item[2])[kind] if kind else item[2][0][1])
    forced = kind is not None
    if kind is None:
        kind = candidates[0][0] if candidates[0][1] else None
    # As the table reader finds it: merged ranges give sub-columns their parent.
    header = find_header(head, alias_table(kind, alias_file), merged=getattr(grid, "merged", None),
                         first_row=grid.first_row) if kind else None
    common = {"file": path.name, "format": file_format(path, grid), "sheet": grid.sheet, "kind": kind,
              "forced": forced, "candidates": candidates, "alias_file": shown_aliases}
    if header is None:
        problem = Problem("no_header", file=path.name, sheet=grid.sheet, severity=ERROR,
                          params={"kind": kind or "dossiers"})
        return Inspection(**common, error=problem)

    table = record_table(path, kind, grid.sheet or None, None, alias_file)  # the very sheet shown
    start = _header_start(head, header)
    header_rows = head[start:header.first_data_index]
    # Samples of the columns not read come from the rows that were (not the totals row or the signatures).
    first = grid.first_row + header.first_data_index
    kept = set(table.frame["source_row"].tolist())
    data_rows = [row for number, row in enumerate(head[header.first_data_index:], start=first)
                 if number in kept or not kept]
    columns = _source_columns(header_rows, start, header, grid.merged, data_rows, table.frame, kind)
    missing = tuple(p.params["canonical"] for p in table.problems if p.code == "missing_column")
    return Inspection(
        **common,
        title_lines=tuple(header.title_lines),
        header_rows=tuple((grid.first_row + start + i, " | ".join(clean(c) for c in row if clean(c)))
                          for i, row in enumerate(header_rows)),
        columns=tuple(columns),
        rows=len(table.frame),
        missing_required=missing,
        gaps=tuple(figure_gaps(table.frame, table.labels, path.name, kind, grid.sheet)),
        problems=tuple(p for p in table.problems if p.code != "missing_column"),
    )


def folder_alias_file(path) -> Path | None:
    """The ``column_aliases.csv`` of the records folder ``path`` is in (beside it, or one folder up for a file of
    ``dossiers/``), as ``load_records`` would use it; None when there is none."""
    for folder in list(Path(path).resolve().parents)[:2]:
        candidate = folder / ALIAS_FILE
        if candidate.is_file():
            return candidate
    return None


def file_format(path: Path, grid=None) -> str:
    """The file's format: the grid reader's word for it when it gives one, else told by the first bytes (an
    "Excel" export that is really an HTML table says html)."""
    said = getattr(grid, "format", None)
    if said:
        return str(said)
    suffix = path.suffix.lower()
    with path.open("rb") as handle:
        head = handle.read(512)
    if head.startswith(b"PK\x03\x04"):
        return suffix.lstrip(".") if suffix in (".xlsx", ".xlsm", ".xlsb", ".ods") else "xlsx"
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return "xls"
    text = head.lstrip(b"\xef\xbb\xbf\xff\xfe\x00 \t\r\n").lower()
    if text.startswith((b"<", b"<\x00")):
        return "html"
    if suffix in CSV_SUFFIXES:
        return "csv"
    return "unknown"


def _sheet_heads(path: Path, sheet) -> list[tuple]:
    """(grid, its first ``SCAN_ROWS`` rows) of ``sheet``, or of the default sheet then the workbook's others (up
    to ``MAX_SHEETS``; empty ones passed over)."""
    first = open_grid(path, sheet)
    found = [(first, list(islice(first.rows, SCAN_ROWS)))]
    if sheet is not None or path.suffix.lower() in CSV_SUFFIXES:
        return found
    for number in range(MAX_SHEETS):
        try:
            grid = open_grid(path, number)
        except RecordsError as error:
            if error.code == "sheet_not_found":
                break
            continue
        if grid.sheet != first.sheet:
            found.append((grid, list(islice(grid.rows, SCAN_ROWS))))
    return found


def _candidates(head: list[list], alias_file) -> tuple[tuple[str, int], ...]:
    """Every kind with the number of canonical columns its aliases find in the header, most first (the
    order of ``schema.KINDS`` on a tie)."""
    found = []
    for kind in schema.KINDS:
        header = find_header(head, alias_table(kind, alias_file))
        found.append((kind, len(header.positions) if header is not None else 0))
    return tuple(sorted(found, key=lambda item: -item[1]))


def _header_start(head: list[list], header) -> int:
    """Index of the header's first row: the rows above it are the non-empty title lines (and blank rows)."""
    seen = 0
    for index, row in enumerate(head):
        if any(clean(c) for c in row):
            if seen == len(header.title_lines):
                return index
            seen += 1
    return max(header.first_data_index - 1, 0)


def _source_columns(header_rows: list[list], start: int, header, merged, data_rows: list[list],
                    frame: pd.DataFrame, kind: str) -> list[SourceColumn]:
    texts = _column_headers(header_rows, start, merged)
    read_at = {index: column for column, index in header.positions.items()}
    outranked = {text: winner for _, text, winner in getattr(header, "outranked", [])}
    duplicates = {text: header.labels.get(column, "") for column, text in header.duplicates}
    skipped, unused = set(getattr(header, "skipped", [])), set(getattr(header, "unused", []))
    columns = []
    for index, (text, own) in sorted(texts.items()):
        canonical = read_at.get(index)
        if canonical is not None:
            samples = _canonical_samples(frame, kind, canonical) if len(frame) else _raw_samples(data_rows, index)
            columns.append(SourceColumn(_letter(index), text, canonical, samples=samples))
            continue
        if own in outranked:
            why, instead = OUTRANKED, outranked[own]
        elif own in duplicates:
            why, instead = DUPLICATE, duplicates[own]
        elif own in skipped:
            why, instead = SKIPPED, ""
        elif own in unused:
            why, instead = UNUSED, ""
        else:
            why, instead = UNKNOWN, ""
        columns.append(SourceColumn(_letter(index), text, None, why, instead, _raw_samples(data_rows, index)))
    return columns


def _column_headers(header_rows: list[list], start: int, merged) -> dict[int, tuple[str, str]]:
    """Sheet column -> (its header as shown, the text of its own cell): "group › sub-column" under a group cell
    of a two-row header. A row of column numbers ("(1)", "(2)" ...) below the header is left out."""
    rows = [row for row in header_rows if not _is_numbering(row)]
    if not rows:
        return {}
    width = max(len(row) for row in rows)
    cells = [[clean(row[i]) if i < len(row) else "" for i in range(width)] for row in rows]
    if len(cells) == 1:
        return {i: (text, text) for i, text in enumerate(cells[0]) if text}
    upper, lower = cells[0], cells[-1]
    spans = {(int(a[0]), int(a[1])): int(b[1]) for a, b in (merged or ()) if int(a[0]) == start}
    headers, group, group_end = {}, None, None
    for i in range(width):
        if upper[i]:
            group = i
            group_end = spans.get((start, i), i if spans else width)  # without merges: spans empty cells
        elif group is not None and i > group_end:
            group = None
        if lower[i] and group is not None and upper[group] and (group != i or upper[i] != lower[i]):
            headers[i] = (f"{upper[group]} › {lower[i]}", lower[i])
        elif lower[i] or upper[i]:
            headers[i] = (lower[i] or upper[i], lower[i] or upper[i])
    return headers


def _is_numbering(row: list) -> bool:
    """A row of column numbers under a header: "(1)", "(2)" ... or 1, 2 ..."""
    cells = [clean(c) for c in row if clean(c)]
    return len(cells) >= 2 and all(_COLUMN_NUMBER.fullmatch(c) for c in cells)


def _canonical_samples(frame: pd.DataFrame, kind: str, column: str) -> tuple:
    values = frame[column].dropna().head(SAMPLES)
    if schema.column(kind, column).kind == "date":
        return tuple(value.date() for value in values)
    return tuple(value.item() if hasattr(value, "item") and not isinstance(value, pd.Timestamp) else value
                 for value in values)


def _raw_samples(rows: list[list], index: int) -> tuple:
    values = []
    for row in rows:
        value = row[index] if index < len(row) else ""
        if not (value is None or (isinstance(value, str) and not value.strip())):
            values.append(value if not isinstance(value, (dt.datetime, dt.date)) else _as_stamp(value))
        if len(values) == SAMPLES:
            break
    return tuple(values)


def _as_stamp(value):
    if isinstance(value, dt.datetime):
        return pd.Timestamp(value)
    return value


def _letter(index: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA."""
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(ord("A") + remainder) + letters
    return letters
