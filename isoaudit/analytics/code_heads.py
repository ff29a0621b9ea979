"""Reading a million dossier codes without a regular expression per code.

A one-stop software's codes differ only in their last digits within a day: ``000.00.14.H56-250123-0001``,
``…-0002``, … So a pattern that ends with a dash and the running number, ``…-(?P<seq>[0-9]{1,N})$``, is read
head by head: the running number is the digits after the code's last dash, read by position; the head (all
before that dash) is matched by the pattern once per distinct head, with a stand-in number. That gives the
same answer as matching every code: the number cannot hold a dash, so the dash before it is the code's last,
and the head's match (its prefix and date groups) does not depend on which digits follow. A log of a year
has a few hundred distinct heads per numbering instead of a million codes; a code whose end is not a dash
and 1..N digits cannot match such a pattern at all.

Most exports write every code alike (one length, the last dash in one place): ``uniform_codes`` then reads
the codes' bytes as a table, column by column, and ``split_tails``/``distinct_heads`` read the others.
"""
from __future__ import annotations

import re

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from isoaudit.arrow_text import byte_lengths, fixed_width_cells, utf8_buffers

# The pattern's end that makes head-by-head reading exact (see the module doc); group 1: N.
_SEQ_AT_END = re.compile(r"-\(\?P<seq>\[0-9\]\{1,([1-9])\}\)\$\Z")
_DASH, _ZERO, _NINE = ord("-"), ord("0"), ord("9")
STAND_IN = "-1"  # a head's stand-in running number


def seq_width(regex: str) -> int | None:
    """N when ``regex`` ends with ``-(?P<seq>[0-9]{1,N})$`` (read head by head), else None."""
    found = _SEQ_AT_END.search(regex)
    return int(found.group(1)) if found else None


def uniform_codes(text: pa.Array, width: int) -> tuple[int, np.ndarray, pa.Array, np.ndarray] | None:
    """``split_tails`` and ``distinct_heads`` at once (the count of digits being the same for every code) for
    the usual export, where every code has the same length and shape (``000.00.14.H56-250123-0003``): the
    codes' bytes are then a table, one row a code, and the dash, the running numbers and the heads are columns
    of it. None when the codes are not so (a null, another length, another place of the last dash): the
    general functions then read them."""
    table = fixed_width_cells(text)
    if table is None:
        return None
    n, size = table.shape
    first = bytes(table[0])
    digits = size - 1 - first.rfind(b"-")
    if not 1 <= digits <= min(width, size - 1) or not (table[:, size - digits - 1] == _DASH).all():
        return None
    tails = table[:, size - digits:] - np.uint8(_ZERO)  # wraps round below '0': one comparison tells a digit
    if tails.max() >= 10:
        return None
    value = tails[:, 0].astype(np.int32)  # at most 9 digits: summed in half the bytes of int64
    for place in range(1, digits):
        value *= 10
        value += tails[:, place]
    value = value.astype(np.int64)
    # Each head copied whole (as one item of its width): several times faster than byte by byte.
    width_of_head = size - digits - 1
    heads = np.ascontiguousarray(np.ndarray((n,), dtype=np.dtype((np.void, width_of_head)), buffer=table,
                                            strides=(size,)))
    fixed = pa.FixedSizeBinaryArray.from_buffers(pa.binary(width_of_head), n, [None, pa.py_buffer(heads)])
    encoded = pc.dictionary_encode(fixed)
    # The heads are whole characters (cut before an ASCII dash), so the bytes are valid text.
    names = encoded.dictionary.cast(pa.binary()).cast(pa.large_string())
    return digits, value, _with_stand_in(names), encoded.indices.to_numpy(zero_copy_only=False)


def split_tails(text: pa.Array, width: int) -> tuple[np.ndarray, np.ndarray]:
    """For each code of ``text`` (an Arrow string array): how many digits follow its last dash when that is
    1..``width`` digits ending the code (0 otherwise, nulls too), and their value (-1 where 0)."""
    n = len(text)
    offsets, data = utf8_buffers(text)
    end = offsets[1:]
    length = byte_lengths(text, offsets)
    reading = length > 0  # still reading digits from the end
    digits = np.zeros(n, dtype=np.int64)
    value = np.zeros(n, dtype=np.int64)
    at = end - 1
    for k in range(1, width + 2):
        if not reading.any():
            break
        reading &= length >= k
        byte = np.take(data, at, mode="clip") if len(data) else np.zeros(n, dtype=np.uint8)
        if k > 1:
            digits[reading & (byte == _DASH)] = k - 1
        digit = byte - np.uint8(_ZERO)  # wraps round below '0': one comparison tells a digit
        reading &= (digit < 10) & (k <= width)
        value += np.where(reading, digit, 0).astype(np.int64) * 10 ** (k - 1)
        at -= 1
    return digits, np.where(digits > 0, value, -1)


def distinct_heads(text: pa.Array, digits: np.ndarray) -> tuple[pa.Array, np.ndarray]:
    """The distinct heads (code less its last dash and digits) of the codes with ``digits`` > 0, each with
    ``STAND_IN`` appended, and for each such code (in order) the index of its head."""
    rows = np.flatnonzero(digits > 0)
    widths = np.flatnonzero(np.bincount(digits[rows], minlength=1))
    if not len(rows):
        return pa.array([], type=pa.large_string()), np.empty(0, dtype=np.int64)
    if len(widths) == 1:  # the usual log: one width of running numbers
        subset = text if len(rows) == len(text) else text.take(pa.array(rows))
        heads = pc.dictionary_encode(_heads(subset, int(widths[0])))
        index = heads.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    else:
        parts, places = [], []
        for width in widths:
            chosen = rows[digits[rows] == width]
            parts.append(_heads(text.take(pa.array(chosen)), int(width)))
            places.append(np.searchsorted(rows, chosen))
        heads = pc.dictionary_encode(pa.concat_arrays(parts))
        index = np.empty(len(rows), dtype=np.int64)
        index[np.concatenate(places)] = heads.indices.to_numpy(zero_copy_only=False)
    return _with_stand_in(heads.dictionary), index


def _with_stand_in(heads: pa.Array) -> pa.Array:
    stand_in = pa.scalar(STAND_IN, type=pa.large_string())
    return pc.binary_join_element_wise(heads, stand_in, pa.scalar("", type=pa.large_string()))


def _heads(codes: pa.Array, width: int) -> pa.Array:
    return pc.cast(pc.utf8_slice_codeunits(codes, 0, -width - 1), pa.large_string())

