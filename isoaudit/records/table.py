"""Reading one record table (units, procedures, dossiers, objectives) from one file into canonical columns.

The header is looked for in the first rows of the sheet as Python cells (``header``). The body of a UTF-8 CSV is then
read into Arrow columns and converted a column of a block of rows at a time, in the threads that parse the blocks
(``fast_body``: which files it takes); so is an xlsx sheet's, by fastexcel, its first rows read apart for the header
(``fast_xlsx``: which sheets), its blocks converted in turn. Every other body (ods, xls, HTML, SpreadsheetML, other
text, what the fast readers leave) is converted from Python cells in chunks, so that a million-row dossier log never
sits in memory whole as Python cells. Both give the same frame and problems.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial
from itertools import chain, islice
from operator import itemgetter
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from openpyxl.utils import get_column_letter

from isoaudit import schema
from isoaudit.errors import RecordsError
from isoaudit.problems import ERROR, Problem
from isoaudit.records import fast_xlsx
from isoaudit.records.aliases import alias_file_problems, alias_table, typical_header
from isoaudit.records.convert import CONVERTERS
from isoaudit.records.fast_body import Unusable, csv_body
from isoaudit.records.grid import Grid, may_open_head, open_grid, open_head, sheet_names
from isoaudit.records.header import SCAN_ROWS, _is_column_number_row, find_header
from isoaudit.records.vocabulary import canonical_words
from isoaudit.text import clean, fold

CHUNK_ROWS = 50_000
# Rows that end the table in administrative books: totals and the signature block.
_END_MARKERS = ("tong cong", "tong so", "cong ", "nguoi lap", "ky ghi ro", "ky va ghi ro", "xac nhan cua",
                "thu truong", "lanh dao don vi", "nguoi ghi so")


@dataclass
class Table:
    """What was read from one file: the canonical frame, its problems and the title lines above its header."""

    kind: str
    frame: pd.DataFrame
    problems: list[Problem] = field(default_factory=list)
    title_lines: list[str] = field(default_factory=list)
    labels: dict[str, str] = field(default_factory=dict)  # canonical column -> header text in the file
    sheet: str = ""  # the sheet the table was read from ("" for a CSV)
    file: str = ""  # the file's name, as its problems name it
    # The codes of each column of controlled words (``schema.CONTROLLED``), worked out a block of rows at a time
    # as the column was typed (in the threads that read a CSV); ``readers.record_table`` puts them in its place.
    codes: dict = field(default_factory=dict)

    @property
    def usable(self) -> bool:
        """No error about the file itself (the alias file's problems, carried along so that whoever reads the
        file sees them, do not make its rows unusable)."""
        return not any(p.severity == ERROR and (p.file == self.file or not self.file) for p in self.problems)


def read_table(path, kind: str, sheet=None, mapping: dict | None = None, alias_file=None) -> Table:
    """Read ``path`` as a ``kind`` table. Never raises for bad content: problems come back in the Table.

    Without ``sheet``, the table is looked for on every visible sheet (a cover or instructions sheet may come
    first) and read from the one whose header names the most columns. The problems of ``alias_file`` (lines of
    it left out) come first.
    """
    path = Path(path)
    problems = list(alias_file_problems(alias_file))
    aliases = alias_table(kind, alias_file, mapping)
    # An xlsx body read column-wise by fastexcel (``fast_xlsx``); anything unusual is read cell by cell below.
    table = _read(path, kind, sheet, aliases, list(problems), fast=True) if may_open_head(path) else None
    return table if table is not None else _read(path, kind, sheet, aliases, problems, fast=False)


def _read(path: Path, kind: str, sheet, aliases, problems: list, fast: bool) -> Table | None:
    """``read_table`` by one path: ``fast``, an xlsx sheet's first rows read apart and its body by fastexcel, None
    (nothing of it kept) for a file it does not read as the cell-by-cell reader would; else that reader."""
    name = path.name
    try:
        found = _locate(path, kind, sheet, aliases, _open_head if fast else open_grid)
    except _NotFast:
        return None
    except RecordsError as exc:
        if fast:
            return None
        problems.append(_damage(exc, name, ""))
        return Table(kind, empty_frame(kind), problems, file=name)
    if isinstance(found, Problem):
        return None if fast else Table(kind, empty_frame(kind), [*problems, found], file=name)
    grid, head, rows, header, others = found
    problems += _header_problems(header, name, grid.sheet)
    if others:
        problems.append(Problem("other_sheets_not_read", file=name, sheet=grid.sheet,
                                params={"sheets": ", ".join(others)}))
    missing = [c for c in schema.required(kind) if c not in header.positions]
    if kind == "dossiers" and not {"procedure_code", "procedure_name"} & set(header.positions):
        missing.append("procedure_code")  # a log must name the procedure, by code or by name
    for column in missing:
        # The column is named as a user would look for it; the code stays in the message, for the alias line.
        usual = typical_header(kind, column)
        problems.append(Problem("missing_column", file=name, sheet=grid.sheet, column=usual, severity=ERROR,
                                params={"kind": kind, "header": usual, "canonical": column}))
    if missing:
        if fast:
            return None
        return Table(kind, empty_frame(kind), problems, header.title_lines, header.labels, grid.sheet, name)

    first_row_number = grid.first_row + header.first_data_index
    convert = partial(_convert_block, first_row=first_row_number, kind=kind, header=header, file_name=name,
                      sheet=grid.sheet)
    if fast:
        # A totals row near the end: the body is read up to it (the footer below mixes text into number and date
        # columns, which fastexcel cannot type); the slow path stops there too.
        required = [header.positions[c] for c in schema.required(kind) if c in header.positions]
        last = [*enumerate(head, start=grid.first_row), *(grid.tail_rows or ())]  # a short sheet's end is in its head
        end = fast_xlsx.end_in_tail(last, first_row_number, required, _END_MARKERS, fold)
        typed = set(header.positions.values())  # the other columns serve only to find the end: read as text
        sample = [cells for number, cells in last if first_row_number <= number < (end or number + 1)]
        if fast_xlsx.mixed(sample, typed):
            return None  # a column of several types seen already: fastexcel would refuse it after a whole parse
        blocks = fast_xlsx.body(grid.path, grid.sheet, header.first_data_index, grid.head_first_column,
                                None if end is None else end - first_row_number, typed)
        body = _converted_in_turn(blocks, partial(convert, as_text=frozenset(range(fast_xlsx.MAX_COLUMNS)) - typed))
    else:
        # A CSV's cells are all text as written; its blocks are converted in the threads that parse them.
        body = csv_body(grid, header.first_data_index, _keeping_errors(convert)) if grid.format == "csv" else None
    # Read column-wise into Arrow; the chunks below are the slow path (fast_body says when, and why).
    frame = None if body is None else _join_body(body, kind, problems)
    if frame is not None:
        frame["source_file"] = pd.Series(name, index=frame.index, dtype="string")
        return Table(kind, frame[schema.columns(kind)], problems, header.title_lines, header.labels, grid.sheet,
                     name, codes=_codes_of(frame))
    if fast:
        return None
    data_rows = chain(head[header.first_data_index:], rows)
    chunks, row_number = [], first_row_number
    while True:
        try:
            chunk = list(islice(data_rows, CHUNK_ROWS))
        except RecordsError as exc:
            # Damaged part way (a text file's quote never closed, a sheet's XML cut): the file is not used
            # at all rather than used in part, and the problem says from where.
            problems.append(_damage(exc, name, grid.sheet))
            return Table(kind, empty_frame(kind), problems, header.title_lines, header.labels, grid.sheet, name)
        if not chunk:
            break
        columns, ended = _convert_chunk(chunk, row_number, kind, header, name, grid.sheet, problems)
        chunks.append(columns)
        row_number += len(chunk)
        if ended:
            break
    problems += _removed_characters(grid, head, header, name)
    frame = _join_chunks(chunks) if chunks else empty_frame(kind)
    frame["source_file"] = pd.Series(name, index=frame.index, dtype="string")
    return Table(kind, frame[schema.columns(kind)], problems, header.title_lines, header.labels, grid.sheet, name,
                 codes=_codes_of(frame))


_CODES = "\0codes:"  # the frame's name of the codes of a column of controlled words (``_typed_columns``)


def _codes_of(frame: pd.DataFrame) -> dict:
    """The codes of the columns of controlled words, by column, as ``_typed_columns`` worked them out."""
    return {name[len(_CODES):]: frame[name] for name in frame.columns if name.startswith(_CODES)}


def _damage(error: RecordsError, name: str, sheet: str) -> Problem:
    """The error a file could not be read for, as a problem located at the row it names, if any."""
    row = error.params.get("row")
    return Problem(error.code, file=name, sheet=error.params.get("sheet", sheet), row=row if isinstance(row, int)
                   else None, severity=ERROR, params=error.params)


def _removed_characters(grid, head: list, header, name: str) -> list[Problem]:
    """A warning for each cell the grid removed empty characters (NUL) from, its column named as the header
    names it (the column read from it, else the nearest header text above the data)."""
    if not getattr(grid, "removed", None):
        return []
    read_at = {index: header.labels.get(column, column) for column, index in header.positions.items()}
    above = [row for row in head[:header.first_data_index] if not _is_column_number_row(row)]

    def named(index: int) -> str:
        texts = (clean(row[index]) for row in reversed(above) if index < len(row))
        return read_at.get(index) or next((text for text in texts if text), "") or get_column_letter(index + 1)

    return [Problem("records.empty_character_removed", file=name, sheet=grid.sheet, row=row, column=named(index),
                    value=value) for row, index, value in grid.removed]


def _open_head(path: Path, sheet) -> Grid | None:
    return open_head(path, sheet, SCAN_ROWS)


class _NotFast(Exception):
    """A sheet ``open_head`` does not read: the whole file is read cell by cell."""


def _locate(path: Path, kind: str, sheet, aliases, opener=open_grid):
    """(grid, its first rows, the rest of its rows, header, other sheets with a table of ``kind``) for the
    sheet holding the table, or the ``no_header`` problem. Each sheet costs its first ``SCAN_ROWS`` rows;
    only the best one is kept open. A sheet that cannot be opened is passed over when others can. ``opener``:
    ``open_grid``, or ``open_head`` (None for a sheet it does not read raises ``_NotFast``)."""
    candidates = [sheet] if sheet is not None else _sheet_names(path)
    required = schema.required(kind)
    best, best_rank, looked_at, opened, complete, first_error = None, None, [], 0, [], None
    for candidate in candidates:
        try:
            grid = opener(path, candidate)
            if grid is None:
                raise _NotFast
        except RecordsError as exc:
            if len(candidates) == 1:
                raise
            looked_at.append(str(candidate))
            first_error = first_error or exc
            continue
        looked_at.append(grid.sheet)
        opened += 1
        rows = iter(grid.rows)
        head = list(islice(rows, SCAN_ROWS))
        header = find_header(head, aliases, merged=getattr(grid, "merged", None), first_row=grid.first_row)
        if header is None:
            continue
        rank = (sum(c in header.positions for c in required), header.score)
        if rank[0] == len(required):
            complete.append(grid.sheet)
        if best_rank is None or rank > best_rank:
            best, best_rank = (grid, head, rows, header), rank
    if best is None:
        if not opened:
            raise first_error
        if len(looked_at) == 1:
            return Problem("no_header", file=path.name, sheet=looked_at[0], severity=ERROR, params={"kind": kind})
        return Problem("no_header_in_sheets", file=path.name, severity=ERROR,
                       params={"kind": kind, "sheets": ", ".join(f'"{s}"' for s in looked_at)})
    others = [f'"{s}"' for s in complete if s != best[0].sheet]
    return (*best, others)


def _sheet_names(path: Path) -> list:
    """The visible sheets to look for the table in; [None] (the grid's own choice) for a file of one sheet or
    one the grid cannot list (``open_grid`` then says why)."""
    try:
        names = sheet_names(path)
    except RecordsError:
        return [None]
    return names if len(names) > 1 else [None]


def _header_problems(header, file_name: str, sheet: str) -> list[Problem]:
    """What the header leaves out: columns that mean the same as another, outranked ones, unused ones."""
    problems = [
        Problem("duplicate_header", file=file_name, sheet=sheet, column=text, params={"canonical": column})
        for column, text in header.duplicates
    ]
    problems += [
        Problem("header_outranked", file=file_name, sheet=sheet, column=text,
                params={"canonical": column, "preferred": preferred})
        for column, text, preferred in header.outranked
    ]
    problems += [Problem("header_unused", file=file_name, sheet=sheet, column=text) for text in header.unused]
    return problems


def _join_chunks(chunks: list[dict]) -> pd.DataFrame:
    """One frame from the chunks' columns, joined a column at a time so that memory holds the data about
    once, not twice as a whole-frame concat would."""
    columns = {}
    for name in list(chunks[0]):
        pieces = [chunk.pop(name) for chunk in chunks]
        columns[name] = pd.concat(pieces, ignore_index=True) if len(pieces) > 1 else pieces[0].reset_index(drop=True)
        del pieces
    return pd.DataFrame(columns, copy=False)


def empty_frame(kind: str) -> pd.DataFrame:
    """A frame with no rows and the canonical columns and types of ``kind``."""
    data = {c.name: CONVERTERS[c.kind]([])[0] for c in schema.KINDS[kind]}
    data["source_file"] = pd.Series([], dtype="string")
    data["source_row"] = pd.Series([], dtype="int64")
    return pd.DataFrame(data)


def _convert_chunk(chunk, first_row, kind, header, file_name, sheet, problems):
    """Typed columns for one chunk of raw rows; blank rows dropped, the table ends at a totals row."""
    positions = header.positions
    names = list(positions)
    width = max(positions.values()) + 1
    if min(map(len, chunk)) < width:  # CSV rows may be ragged; calamine rows never are
        chunk = [list(row) + [""] * (width - len(row)) for row in chunk]
    # Only the recognised columns are copied out of the rows, by a C-level getter, then transposed.
    getter = itemgetter(*positions.values())
    picked = map(getter, chunk) if len(names) > 1 else ((getter(row),) for row in chunk)
    raw = {name: np.array(values, dtype=object) for name, values in zip(names, zip(*picked))}
    numbers = np.arange(first_row, first_row + len(chunk))
    blank = np.logical_and.reduce([values == "" for values in raw.values()])
    end_at = _end_marker_row(chunk, raw, kind)
    if end_at is not None:
        blank[end_at:] = True
    keep = ~blank
    found = []
    columns = _typed_columns(raw, keep, numbers[keep], kind, header, file_name, sheet, found)
    problems += [problem for _, _, problem in found]
    return columns, end_at is not None


def _join_body(body, kind: str, problems: list) -> pd.DataFrame | None:
    """The frame of a body read into Arrow and converted a block of rows at a time (``_convert_block``), its
    problems appended in the slow path's order (chunk by chunk, column by column); None, nothing appended, when the
    body turns out to be one for the slow path. The blocks after one that ends the table are read on to the end
    only for the fast readers' checks, as the slow path stops reading there."""
    pieces, found, ended = [], [], False
    try:
        for block in body:
            if ended:
                continue
            if isinstance(block, Exception):
                raise block  # a conversion that failed (``_keeping_errors``) in a block the table holds
            pieces.append(block.columns)
            found += block.found
            ended = block.ended
    except Unusable:
        return None
    found.sort(key=lambda item: (item[0], item[1]))
    problems += [problem for _, _, problem in found]
    return _join_chunks(pieces) if pieces else empty_frame(kind)


@dataclass
class _ConvertedBlock:
    """The typed columns of a block of rows read into Arrow, each unreadable cell's (slow path chunk, column's
    place in the kind, problem), and whether the table ends in it (a totals row)."""

    columns: dict
    found: list
    rows: int
    ended: bool


def _convert_block(block: dict, rows_before: int, first_row: int, kind, header, file_name, sheet,
                   as_text: frozenset = frozenset()) -> _ConvertedBlock:
    """A block of the body read into Arrow (text columns by place) typed as ``_convert_chunk`` types the chunks
    of the slow path; ``rows_before``: the body's rows before it, ``first_row``: the body's first row number."""
    count = len(block[0]) if block else 0
    empty = None if all(index in block for index in header.positions.values()) else \
        pa.array([""], pa.string()).take(pa.array(np.zeros(count, dtype=np.int64)))
    raw = {name: block.get(index, empty) for name, index in header.positions.items()}
    numbers = np.arange(first_row + rows_before, first_row + rows_before + count)
    blank = _empty_in_all(raw.values())
    end_at = _end_marker_in_body(block, raw, kind, count, as_text)
    block.clear()  # the columns no canonical column reads
    if end_at is not None:
        blank[end_at:] = True
    keep = ~blank
    chunk_of = ((rows_before + np.arange(count)) // CHUNK_ROWS)[keep]
    in_block = []
    columns = _typed_columns(raw, keep, numbers[keep], kind, header, file_name, sheet, in_block)
    found = [(chunk_of[index], order, problem) for index, order, problem in in_block]
    return _ConvertedBlock(columns, found, count, end_at is not None)


def _converted_in_turn(blocks, convert):
    """``convert(block, rows_before)`` of each block in turn, up to the one that ends the table; the blocks after
    it are read on unconverted (None) for the fast reader's checks."""
    rows_before, ended = 0, False
    for block in blocks:
        if ended:
            yield None
            continue
        converted = convert(block, rows_before)
        rows_before += converted.rows
        ended = converted.ended
        yield converted


def _keeping_errors(convert):
    """``convert`` giving back the error it raises rather than raising it: the reading threads convert the blocks
    after the one that ends the table too, which the slow path never reads, so only ``_join_body`` knows whether
    the error counts."""
    def converting(block, rows_before):
        try:
            return convert(block, rows_before)
        except Exception as exc:  # noqa: BLE001 - raised by ``_join_body`` if the block is one the table holds
            return exc
    return converting


_ARROW_KINDS = ("text", "date", "datetime")  # the converters that read Arrow text; others get Python cells


def _typed_columns(raw: dict, keep: np.ndarray, kept_numbers: np.ndarray, kind, header, file_name, sheet,
                   found: list) -> dict:
    """The canonical columns of ``kind`` from the raw cells of the kept rows (each taken out of ``raw`` as it is
    converted, so that its memory goes as its typed column comes); each unreadable cell appended to ``found`` as
    (its index among the kept rows, its column's place in the kind, its problem)."""
    columns = {}
    arrow_keep = None
    controlled = schema.CONTROLLED.get(kind, {})
    arrow = any(isinstance(values, (pa.Array, pa.ChunkedArray)) for values in raw.values())
    for order, spec in enumerate(schema.KINDS[kind]):
        if spec.name not in raw:
            # A column the file does not have: all empty, in Arrow when the body was read into Arrow (no Python
            # object per row), as the converters read either alike.
            empty = pa.nulls(len(kept_numbers), pa.string()) if arrow and spec.kind in _ARROW_KINDS else \
                np.full(len(kept_numbers), None, dtype=object)
            columns[spec.name] = CONVERTERS[spec.kind](empty)[0]
            continue
        values = raw.pop(spec.name)
        if isinstance(values, (pa.Array, pa.ChunkedArray)):
            if not keep.all():
                arrow_keep = pa.array(keep) if arrow_keep is None else arrow_keep
                values = values.filter(arrow_keep)
            if spec.kind not in _ARROW_KINDS:
                values = _python_cells(values)
        else:
            values = values[keep]
        series, bad = CONVERTERS[spec.kind](values)
        index = series.index  # converters give a default index but for a chunk's cells; not copied for nothing
        default = isinstance(index, pd.RangeIndex) and index.start == 0 and index.step == 1
        columns[spec.name] = series if default else series.reset_index(drop=True)
        vocabulary = controlled.get(spec.name)
        if vocabulary is not None:  # its words' codes now, block by block: not over the whole file at the end
            columns[_CODES + spec.name] = canonical_words(columns[spec.name], vocabulary)[0]
        indices = np.flatnonzero(bad)
        if isinstance(values, (pa.Array, pa.ChunkedArray)):
            cells = values.take(pa.array(indices, pa.int64())).to_pylist()
        else:
            cells = values[indices]
        for index, cell in zip(indices, cells):
            found.append((int(index), order, Problem(
                f"unreadable_{spec.kind}", file=file_name, sheet=sheet, row=int(kept_numbers[index]),
                column=header.labels.get(spec.name, spec.name), value=cell, params={"canonical": spec.name})))
    columns["source_row"] = pd.Series(kept_numbers)
    return columns


def _empty(values: pa.Array) -> np.ndarray:
    """Which cells of a column read into Arrow are empty: '' (a CSV's) or null (fastexcel's)."""
    if pa.types.is_string(values.type) or pa.types.is_large_string(values.type):
        return pc.fill_null(pc.equal(values, ""), True).to_numpy(zero_copy_only=False)
    return pc.is_null(values).to_numpy(zero_copy_only=False)


def _empty_in_all(columns) -> np.ndarray:
    """Which rows are empty in every one of ``columns`` (read into Arrow): a column is looked at only while some
    row is empty in all those before it, and nearly every row has its first (a log's dossier number)."""
    columns = iter(columns)
    blank = np.array(_empty(next(columns)))  # a copy of its own: the caller writes to it
    for values in columns:
        if not blank.any():
            break
        blank &= _empty(values)
    return blank


def _python_cells(values: pa.Array) -> np.ndarray:
    """A column read into Arrow as the cells the slow path gives the converters of other kinds than text and
    dates ('' or None for an empty cell); a column of dates raises ``Unusable``: calamine gives a date or a
    datetime by the time of day, which those converters tell apart."""
    if pa.types.is_string(values.type) or pa.types.is_large_string(values.type):
        return pc.fill_null(values, "").to_numpy(zero_copy_only=False)
    if pa.types.is_floating(values.type) or pa.types.is_null(values.type):
        return np.array(values.to_pylist(), dtype=object)
    raise fast_xlsx.Unusable


def _end_marker_in_body(body: dict, raw: dict, kind: str, count: int, as_text: frozenset = frozenset()) -> int | None:
    """``_end_marker_row`` for a body read into Arrow: only the rows missing a required value are taken out as
    Python cells, a thousand at a time, up to the first that ends the table. ``as_text``: the places of columns
    read as text whatever their cells were (``fast_xlsx.body``): one of them holding a row's first text, which may
    have been a number, with a later text of an end marker, raises ``Unusable`` (which text ends the row?)."""
    required = [_empty(raw[c]) for c in schema.required(kind) if c in raw]
    incomplete = np.logical_or.reduce(required) if required else np.ones(count, dtype=bool)
    candidates = np.flatnonzero(incomplete)
    places = sorted(body)
    columns = [body[index] for index in places]
    for start in range(0, len(candidates), 1000):
        part = candidates[start:start + 1000]
        taken = pa.array(part, pa.int64())
        rows = zip(*(column.take(taken).to_pylist() for column in columns))
        for index, row in zip(part, rows):
            texts = [(place, cell) for place, cell in zip(places, row) if isinstance(cell, str) and cell.strip()]
            if not texts:
                continue
            if fold(texts[0][1]).startswith(_END_MARKERS):
                return int(index)  # a number read as text never reads as an end marker
            if texts[0][0] in as_text and any(fold(cell).startswith(_END_MARKERS) for _, cell in texts[1:]):
                raise Unusable
    return None


def _end_marker_row(rows: list, raw: dict, kind: str) -> int | None:
    """Index of the first totals or signature row: a row missing a required value whose first text is one
    of the end markers. Only such rows are looked at, and they are few."""
    required = [raw[c] == "" for c in schema.required(kind) if c in raw]
    incomplete = np.logical_or.reduce(required) if required else np.ones(len(rows), dtype=bool)
    for index in np.flatnonzero(incomplete):
        first = next((c for c in rows[index] if isinstance(c, str) and c.strip()), None)
        if first is not None and fold(first).startswith(_END_MARKERS):
            return int(index)
    return None
