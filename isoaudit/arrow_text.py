"""The bytes of an Arrow string column, for readers that look at a million cells a character place at a time
(dates in the records' conversions, the running numbers of dossier codes) instead of one Python object each."""
from __future__ import annotations

import numpy as np
import pyarrow as pa


def utf8_buffers(text: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """(offsets, data) of a ``string`` or ``large_string`` array: ``offsets`` (int64, len(text) + 1, from the
    array's own offset: cell i is ``data[offsets[i]:offsets[i + 1]]``) and its UTF-8 bytes (uint8; empty when
    the array holds no byte at all)."""
    kind = np.int64 if pa.types.is_large_string(text.type) else np.int32
    _, offsets, data = text.buffers()
    offsets = np.frombuffer(offsets, dtype=kind)[text.offset:text.offset + len(text) + 1].astype(np.int64)
    data = np.frombuffer(data, dtype=np.uint8) if data is not None else np.zeros(0, dtype=np.uint8)
    return offsets, data


def byte_lengths(text: pa.Array, offsets: np.ndarray | None = None) -> np.ndarray:
    """The UTF-8 length of each cell of ``text`` (0 for a null, whatever its slot holds), from its offsets
    (``utf8_buffers``' when already taken)."""
    lengths = np.diff(utf8_buffers(text)[0] if offsets is None else offsets)
    if text.null_count:
        lengths[~text.is_valid().to_numpy(zero_copy_only=False)] = 0
    return lengths


def fixed_width_cells(text: pa.Array) -> np.ndarray | None:
    """The cells of ``text`` as a table of bytes (uint8, a row a cell) when none is null and every cell has the
    same UTF-8 length (at least 1): the usual export writes its codes so. None otherwise."""
    n = len(text)
    if not n or text.null_count:
        return None
    offsets, data = utf8_buffers(text)
    width = int(offsets[1] - offsets[0])
    if not width or int(offsets[-1] - offsets[0]) != n * width or not evenly_spaced(offsets, width):
        return None
    return data[offsets[0]:offsets[-1]].reshape(n, width)


def evenly_spaced(offsets: np.ndarray, size: int) -> bool:
    """Whether each of ``offsets`` is ``size`` after the one before. A block at a time: the differences of a
    million offsets at once would be an array of 8 MB made and dropped."""
    block = 1 << 16
    return all((np.diff(offsets[start:start + block + 1]) == size).all() for start in range(0, len(offsets), block))
