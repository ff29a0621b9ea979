"""The body of a delimited-text table read column-wise into Arrow (pyarrow's CSV reader), below a header that
``header.find_header`` found on the first rows as the slow path reads them.

``csv_body`` gives the body's cells as blocks of rows in Arrow text columns ('' for an empty cell), or what the
caller's ``convert`` makes of each in the thread that parsed it, or None when the file is one the fast reader could
read differently from Python's ``csv`` module; what only shows part way (a ragged row, a quoted cell over lines)
raises ``Unusable`` from the blocks. The caller then goes on with the slow path, which also says what is wrong with
such a file. The fast reader is used only when it must give the same cells:

- the text is UTF-8 (with or without a BOM): legacy encodings are normalised line by line and UTF-16 decoded by
  Python; bytes that are not UTF-8 are replaced by Python, so a piece holding any is refused (``_is_utf8``);
- no empty character (NUL): the slow path removes them and says in which cells;
- lines end with LF or CRLF, never a lone CR;
- every record of the body is one line (Arrow's rows counted against the body's LFs): a quoted cell over line
  breaks is a note or damage that only the slow path checks (``formats_csv._check_quotes``). So the body is cut
  after any LF into pieces that threads parse apart: a piece whose rows are its lines, its last quote closed,
  is read as the whole file would be;
- no cell is longer than Python's csv reader takes (``csv.field_size_limit``), no record over two boundaries of
  the blocks Arrow parses (``_PARSE_BLOCK``, 1 MB: Arrow refuses such a record);
- every record has the same number of cells: Arrow refuses ragged rows (the slow path pads short ones), and an
  empty line in a table of several columns. An empty line is read as a blank row by both readers.

Quotes within one line (a stray quote in a cell, a quote after a closed quote) are split exactly as ``csv`` splits
them (tests/test_fast_reading.py holds such files).
"""
from __future__ import annotations

import codecs
import csv
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from itertools import chain, islice, repeat
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pv

from isoaudit.records.formats_text import UTF8, UTF8_BOM

_BLOCK = 1 << 24  # the body is parsed 16 MB at a time, a piece a thread, each converted in that thread: larger
# pieces cost less to convert (about 7 ms a piece, whatever its size, go to the converters' calls: 8 MB pieces of
# a 1M-row log took 0.75-0.95 s to convert, 16 MB ones 0.55-0.7 s) but the pieces held at once (``_AHEAD``, and
# those the threads work on) keep more memory: bench_read's 1M-row log peaked at 0.87-0.95 GB (its frame 0.7).
_WORKERS = 2  # threads parsing and converting pieces, a core each on a two-core machine; the caller joins them
_AHEAD = 3  # pieces handed to the threads ahead of the one the caller takes: one more than the threads, so that a
# thread done before the one working on the piece the caller waits for goes on at once (a piece not begun holds no
# memory: it is read when a thread takes it)
_PARSE_BLOCK = 1 << 20  # Arrow parses a piece a megabyte at a time: parsed as one block, a 16 MB piece took
# 50-60 ms of a core, in 1 MB blocks 27-32 ms with their columns joined (what it parses stays in the processor's
# cache); Arrow's own default block size
_BOM = codecs.BOM_UTF8


class Unusable(Exception):
    """The body turned out, part way, to be one the fast reader may not read (see the module's docstring)."""


def csv_body(grid, records_before: int, convert=None):
    """The records after the first ``records_before`` (of the csv reader, after the skipped "sep=" line) of the
    text file of ``grid``, as an iterator of blocks of rows, each a dict of text columns by their 0-based place
    (or ``convert(block, rows_before)`` of it, run in the thread that parsed it; ``rows_before``: the body's rows
    in the blocks before it); None when the fast reader may not be used (see the module's docstring). The iterator
    raises ``Unusable`` when a piece of the body (its rows against its lines, its cells) shows the file is such a
    one after all. The file is streamed, never held whole beside its columns."""
    source = getattr(grid, "text_source", None)
    if source is None or len(grid.record_lines) < records_before:
        return None
    encoding, delimiter, skip = source
    if encoding not in (UTF8, UTF8_BOM):
        return None
    found = _head(grid.path, skip + sum(grid.record_lines[:records_before]))
    if found is None:
        return None
    start, first, more = found
    if not more:
        return iter(())
    width = len(next(csv.reader([first.decode("utf-8", errors="replace").rstrip("\r")], delimiter=delimiter), []))
    return _blocks(grid.path, start, width, delimiter, convert)


def _blocks(path, start: int, width: int, delimiter: str, convert=None):
    """The body from byte ``start`` in pieces cut after a LF, each read, parsed and converted by a pool of threads
    (Arrow and most of the converters' work run without holding the GIL); the pieces come in order, never more
    than ``_AHEAD`` of them read ahead of the one the caller takes."""
    cuts = _cuts(path, start)
    workers = ThreadPoolExecutor(_WORKERS, thread_name_prefix="isoaudit-csv-reader")
    pending = deque()
    rows_before = Future()
    rows_before.set_result(0)

    def submit(piece):
        nonlocal rows_before
        rows_after = Future()
        pending.append(workers.submit(_converted_piece, path, piece, width, delimiter, rows_before, rows_after,
                                      convert))
        rows_before = rows_after

    try:
        for piece in islice(cuts, _AHEAD):
            submit(piece)
        while pending:
            block = pending.popleft().result()
            piece = next(cuts, None)
            if piece is not None:
                submit(piece)
            yield block
    finally:  # stopped early (Unusable, or the caller's own error): the pieces not begun are not read
        workers.shutdown(wait=False, cancel_futures=True)
        cuts.close()


def _converted_piece(path, piece: tuple, width: int, delimiter: str, rows_before: Future, rows_after: Future,
                     convert):
    """The block of ``piece`` (``_cuts``), or ``convert(block, rows_before)`` of it. ``rows_before`` is set by
    the piece before, as soon as it is parsed; this piece sets ``rows_after`` for the next one. A piece begins
    after the one before it (the pool takes them in order), so the waiting ends."""
    try:
        columns = _piece(path, *piece, width, delimiter)
        before = rows_before.result()  # raises the Unusable of a piece before: the caller stops at that one
        rows_after.set_result(before + len(columns[0]))
    except BaseException as exc:
        rows_after.set_exception(exc)
        raise
    block = dict(enumerate(columns))
    del columns
    return block if convert is None else convert(block, before)


def _cuts(path, start: int):
    """(first byte, end byte, whether it is the last piece) of the pieces of ``path`` from byte ``start``: each
    ends just after the first LF from its nominal size on (``_sizes``; the last at the end of the file)."""
    size = Path(path).stat().st_size
    with open(path, "rb") as handle:
        for nominal in _sizes():
            if start >= size:
                return
            if size - start < 2 * nominal:  # the last pieces smaller, so that the threads end about together
                nominal = max(_BLOCK // 4, min(nominal, (size - start) // 4))
            end = _after_lf(handle, start + nominal, size)
            yield start, end, end >= size
            start = end


def _sizes():
    """The nominal sizes of the pieces in turn (bytes): smaller first, as the caller waits for the first alone."""
    return chain((_BLOCK // 4, _BLOCK // 2), repeat(_BLOCK))


def _after_lf(handle, offset: int, size: int) -> int:
    """The byte offset just after the first LF at or after ``offset`` that is not followed by a BOM (the file's end
    when there is none): Arrow drops a BOM that starts what it parses, a line of two files joined keeps it."""
    while offset < size:
        handle.seek(offset)
        window = handle.read(1 << 16)
        found = window.find(b"\n")
        if found < 0:
            offset += len(window)
            continue
        offset += found + 1
        handle.seek(offset)
        if handle.read(len(_BOM)) != _BOM:
            return offset
    return size


def _piece(path, start: int, end: int, last: bool, width: int, delimiter: str) -> list:
    """The text columns of the records between bytes ``start`` and ``end`` of ``path`` (a LF just before ``end``
    but in the last piece); ``Unusable`` when they show the file is one the fast reader may not read."""
    with pa.OSFile(str(path)) as handle:  # in Arrow's memory pool, as the parsed columns: reused piece after piece
        data = handle.read_at(end - start, start)
    as_bytes = np.frombuffer(data, dtype=np.uint8)  # never empty: a piece ends after a byte of the body
    if as_bytes.min() == 0:
        raise Unusable  # an empty character: the slow path removes it and says in which cell
    lines = _line_feeds(as_bytes) + int(as_bytes[-1] != 10)  # the last line may have no LF
    if not _is_utf8(data):
        raise Unusable  # bytes that are not UTF-8: Python replaces them, Arrow would refuse them
    try:
        table = pv.read_csv(
            pa.BufferReader(data),
            read_options=pv.ReadOptions(autogenerate_column_names=True, block_size=_PARSE_BLOCK, use_threads=False),
            # The blocks are cut after a record as its quotes say (``newlines_in_values``), never inside a quoted
            # cell over lines: the piece's cells are those of one parse of it whole, which the checks below read.
            parse_options=pv.ParseOptions(delimiter=delimiter, quote_char='"', double_quote=True, escape_char=False,
                                          newlines_in_values=True, ignore_empty_lines=False),
            # Every column as text (the large strings pandas keeps: the conversions need not cast them): codes keep
            # their zeros, dates are read by ``convert`` as the slow path does.
            convert_options=pv.ConvertOptions(column_types={f"f{i}": pa.large_string() for i in range(width)},
                                              strings_can_be_null=False, quoted_strings_can_be_null=False,
                                              null_values=[], check_utf8=False),  # checked whole above
        )
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        raise Unusable from None  # ragged rows, or a record over two parse blocks' boundaries
    del data, as_bytes
    if table.num_rows != lines:
        raise Unusable  # a quoted cell over line breaks, or a lone CR ending a line
    if table.num_columns != width or any(column.type != pa.large_string() for column in table.columns):
        raise Unusable  # the first line split otherwise by Python than by Arrow
    limit = csv.field_size_limit()
    columns = [column.chunk(0) if column.num_chunks == 1 else column.combine_chunks() for column in table.columns]
    if any((pc.max(pc.binary_length(column)).as_py() or 0) > limit for column in columns):
        raise Unusable  # a cell longer than Python's csv reads: the slow path says the file is damaged
    if not last and any("\n" in column[-1].as_py() for column in columns):
        raise Unusable  # a quote still open at the cut: a quoted cell over line breaks, read on in the next piece
    return columns


def _line_feeds(as_bytes: np.ndarray) -> int:
    """The LFs in ``as_bytes``, counted a megabyte at a time: the mask of each stays in the processor's cache."""
    step = 1 << 20
    return sum(int(np.count_nonzero(as_bytes[at:at + step] == 10)) for at in range(0, len(as_bytes), step))


def _is_utf8(data: bytes) -> bool:
    """Whether ``data`` is valid UTF-8, checked at once as one Arrow binary cell cast to text. As a delimiter, a
    quote and a line end are ASCII, that holds exactly when every cell of it is, and checking the cells one by one
    in Arrow's CSV reader costs about three times as much."""
    whole = pa.Array.from_buffers(pa.large_binary(), 1, [None, pa.py_buffer(np.array([0, len(data)], np.int64)),
                                                         pa.py_buffer(data)])
    try:
        whole.cast(pa.large_string())
    except pa.ArrowInvalid:
        return False
    return True


def _head(path, head_lines: int) -> tuple[int, bytes, bool] | None:
    """(the byte offset after the first ``head_lines`` lines of ``path``, the first line after them, whether
    anything follows them), read from the start of the file only; None when it has fewer lines, or an empty
    character or a lone CR among them."""
    head, start = b"", None
    with open(path, "rb") as handle:
        while True:
            start = _offset_after_lines(head, head_lines)
            if start is not None and b"\n" in head[start:]:
                break  # the head and the first line after it
            block = handle.read(1 << 20)
            if not block:
                break
            head += block
    if start is None or b"\x00" in head[:start]:
        return None
    if b"\r" in head[:start].replace(b"\r\n", b""):
        return None  # the head's lines end with a lone CR: the body does not start where LFs say
    end = head.find(b"\n", start)
    return start, head[start:end if end >= 0 else len(head)], len(head) > start


def _offset_after_lines(data: bytes, count: int) -> int | None:
    """The byte offset just after the first ``count`` lines of ``data`` (LF-terminated); None when it has fewer."""
    offset = 0
    for _ in range(count):
        found = data.find(b"\n", offset)
        if found < 0:
            return None
        offset = found + 1
    return offset
