"""The body of a delimited-text table read column-wise into Arrow (pyarrow's CSV reader), below a header that
``header.find_header`` found on the first rows as the slow path reads them.

``csv_body`` gives the body's cells as blocks of rows in Arrow text columns ('' for an empty cell), or None when the
file is one the fast reader could read differently from Python's ``csv`` module; what only shows part way (a ragged
row, a quoted cell over lines) raises ``Unusable`` from the blocks. The caller then goes on with the slow path,
which also says what is wrong with such a file. The fast reader is used only when it must give the same cells:

- the text is UTF-8 (with or without a BOM): legacy encodings are normalised line by line and UTF-16 decoded by
  Python; bytes that are not UTF-8 are replaced by Python but refused by Arrow;
- no empty character (NUL): the slow path removes them and says in which cells (those of the body are found as
  its lines are counted, by the reading thread after its last block);
- lines end with LF or CRLF, never a lone CR;
- every record of the body is one line (Arrow's rows counted against the body's LFs): a quoted cell over line
  breaks is a note or damage that only the slow path checks (``formats_csv._check_quotes``);
- no cell is longer than Python's csv reader takes (``csv.field_size_limit``);
- every record has the same number of cells: Arrow refuses ragged rows (the slow path pads short ones), and an
  empty line in a table of several columns. An empty line is read as a blank row by both readers.

Quotes within one line (a stray quote in a cell, a quote after a closed quote) are split exactly as ``csv`` splits
them (tests/test_fast_reading.py holds such files).
"""
from __future__ import annotations

import csv
import queue
import threading

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pv

from isoaudit.records.formats_text import UTF8, UTF8_BOM

_BLOCK = 1 << 24  # the file is read 16 MB at a time; each block of rows is converted before the next is read


class Unusable(Exception):
    """The body turned out, part way, to be one the fast reader may not read (see the module's docstring)."""


def csv_body(grid, records_before: int):
    """The records after the first ``records_before`` (of the csv reader, after the skipped "sep=" line) of the
    text file of ``grid``, as an iterator of blocks of rows, each a dict of text columns by their 0-based place;
    None when the fast reader may not be used (see the module's docstring). The iterator raises ``Unusable`` when
    a block, or the count of the rows against the lines at the end, shows the file is such a one after all. The
    file is streamed, never held whole beside its columns."""
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
    return _blocks(grid.path, start, width, delimiter)


def _blocks(path, start: int, width: int, delimiter: str):
    limit, rows, counted = csv.field_size_limit(), 0, []
    try:
        with pa.input_stream(str(path)) as stream:
            stream.read(start)
            reader = pv.open_csv(
                stream,
                read_options=pv.ReadOptions(autogenerate_column_names=True, block_size=_BLOCK, use_threads=False),
                parse_options=pv.ParseOptions(delimiter=delimiter, quote_char='"', double_quote=True,
                                              escape_char=False, newlines_in_values=True, ignore_empty_lines=False),
                # Every column as text: codes keep their zeros, dates are read by ``convert`` as the slow path does.
                convert_options=pv.ConvertOptions(column_types={f"f{i}": pa.string() for i in range(width)},
                                                  strings_can_be_null=False, quoted_strings_can_be_null=False,
                                                  null_values=[]),
            )
            # The lines and empty characters of the body are counted by the reading thread once it has read the
            # last batch, while the last ones are converted here.
            for batch in _ahead(reader, lambda: counted.append(_count(path, start))):
                if any(column.type != pa.string() for column in batch.columns):
                    raise Unusable  # the first line split otherwise by Python than by Arrow: not all typed as text
                if any((pc.max(pc.binary_length(column)).as_py() or 0) > limit for column in batch.columns):
                    raise Unusable  # a cell longer than Python's csv reads: the slow path says the file is damaged
                rows += batch.num_rows
                yield dict(enumerate(batch.columns))
    except (pa.ArrowInvalid, pa.ArrowTypeError, UnicodeDecodeError):
        raise Unusable from None  # ragged rows, bytes that are not UTF-8
    lines, nul = counted[0]
    if nul:
        raise Unusable  # an empty character: the slow path removes it and says in which cell
    if rows != lines:
        raise Unusable  # a quoted cell over line breaks, or a lone CR ending a line


def _ahead(reader, then):
    """The batches of ``reader``, the next one read by a thread while the caller converts this one (Arrow parses
    without holding the GIL, so reading and converting share the machine's cores); the thread calls ``then``
    after the last one, before the caller is told there are no more. The thread is stopped when the caller stops
    early."""
    handoff, stop = queue.Queue(maxsize=1), threading.Event()

    def read():
        try:
            for batch in reader:
                while not stop.is_set():
                    try:
                        handoff.put((batch, None), timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            then()
            handoff.put((None, None))
        except Exception as exc:  # handed to the caller, raised there
            handoff.put((None, exc))

    thread = threading.Thread(target=read, name="isoaudit-csv-reader", daemon=True)
    thread.start()
    try:
        while True:
            batch, error = handoff.get()
            if error is not None:
                raise error
            if batch is None:
                return
            yield batch
    finally:
        stop.set()
        while thread.is_alive():  # free a put waiting on a full queue, then let the thread end
            try:
                handoff.get_nowait()
            except queue.Empty:
                pass
            thread.join(timeout=0.05)


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


def _count(path, start: int) -> tuple[int, bool]:
    """(the lines of ``path`` after byte ``start``, the last one counted without its LF, whether an empty
    character is among them), read in blocks."""
    lines, nul, last, size = 0, False, b"", 0
    with open(path, "rb") as handle:
        handle.seek(start)
        while block := handle.read(_BLOCK):
            nul = nul or b"\x00" in block
            lines += block.count(b"\n")
            last, size = block[-1:], size + len(block)
    return lines + (1 if size and last != b"\n" else 0), nul


def _offset_after_lines(data: bytes, count: int) -> int | None:
    """The byte offset just after the first ``count`` lines of ``data`` (LF-terminated); None when it has fewer."""
    offset = 0
    for _ in range(count):
        found = data.find(b"\n", offset)
        if found < 0:
            return None
        offset = found + 1
    return offset
