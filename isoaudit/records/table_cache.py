"""What each file of a records folder gave, kept between runs, so that a rerun reads again only the files that changed.

``load_records(folder, table_cache=DIR)`` asks ``TableCache.get`` for each file of a records subfolder (dossiers/,
objectives/, surveys/...) before reading it, and ``put``s what a file it read gave (``FileRead``: its rows with their
units, its header labels, its problems). An entry is one Parquet file in DIR, the labels and problems in its
metadata, named by a digest of everything that read depends on: the file's bytes (SHA-256), its path in the folder,
its kind and the reading context (``reading_context``: the alias file it was read with, the unit registry its rows
were given their units by, the code that read it). So an entry is never stale, only unused: ``close`` removes those.
An entry that cannot be read back whole is ignored, and the file read again.
"""
from __future__ import annotations

import hashlib
import json
import sys
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import Callable

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from isoaudit.problems import Problem
from isoaudit.records.cache import problem_from_json, problem_json
from isoaudit.records.memo import remembered
from isoaudit.records.model import file_sha256
from isoaudit.safety import atomic_write

FORMAT_VERSION = 1
SUFFIX = ".parquet"
WRITERS = 4  # threads writing entries while the next files are read
PENDING = 16  # entries waiting to be written, at most: each holds a file's rows
_METADATA = b"isoaudit.file_read"


@dataclass
class FileRead:
    """What one file of a records subfolder gave ``load_records``: its rows, with their units (None: no row usable),
    its header labels (canonical column -> header text) and its problems (naming it by its name)."""

    frame: pd.DataFrame | pa.Table | None  # a table when ``TableCache.get`` is asked for one
    labels: dict[str, str]
    problems: list[Problem]


class TableCache:
    """The entries in ``directory`` of files read in ``context`` (``reading_context``). ``close`` when every file
    has been asked for: entries are written in the background while the next files are read."""

    def __init__(self, directory, context: str):
        self.directory = Path(directory)
        self.context = context
        self._digests: dict[Path, tuple[str, tuple]] = {}  # path -> (SHA-256, size and time when hashed)
        self._used: set[str] = set()
        self._writer: ThreadPoolExecutor | None = None
        self._pending: list[Future] = []

    def digest(self, path) -> str:
        """The SHA-256 of ``path``'s bytes (hashed once)."""
        path = Path(path)
        if path not in self._digests:
            stamp = _stamp(path)
            self._digests[path] = (file_sha256(path), stamp)
        return self._digests[path][0]

    def digests(self, folder, files) -> pd.DataFrame | None:
        """``files`` of the records ``folder`` with their SHA-256, as ``Records.file_digests`` gives them (hashed
        once a run: a batch fingerprints its units with them); None when one cannot be read."""
        try:
            rows = [{"file": str(Path(f).relative_to(folder)), "sha256": self.digest(f)} for f in files]
        except OSError:
            return None
        return pd.DataFrame(rows, columns=["file", "sha256"])

    def hashed_elsewhere(self, path, digest: str, stamp: tuple) -> None:
        """Take ``digest``, the SHA-256 another process found for ``path`` when it had ``stamp`` (``keep``),
        if the file still has that size and time: a province's logs are not hashed twice."""
        path = Path(path)
        try:
            if path not in self._digests and _stamp(path) == tuple(stamp):
                self._digests[path] = (digest, tuple(stamp))
        except OSError:
            pass

    def has(self, path, shown: str, kind: str) -> bool:
        """Whether an entry for ``path`` read as ``kind`` is there (whole or not: ``get`` tells)."""
        key = self._key(path, shown, kind)
        return key is not None and (self.directory / (key + SUFFIX)).is_file()

    def get(self, path, shown: str, kind: str, as_arrow: bool = False) -> FileRead | None:
        """What ``path`` (``shown``: its path in the records folder) gave when last read as ``kind``, or None.
        ``as_arrow``: its rows as the Arrow table they were kept as (``FileRead.frame`` is then a ``pyarrow.Table``,
        ``to_pandas()`` gives the frame): a caller putting many files' rows together converts them once."""
        key = self._key(path, shown, kind)
        if key is None:
            return None
        self._used.add(key)
        try:
            return _read_entry(self.directory / (key + SUFFIX), key, as_arrow)
        except Exception:  # a missing entry, or one damaged or cut short: whatever the error, the file is read again
            return None

    def put(self, path, shown: str, kind: str, read: FileRead) -> None:
        """Keep ``read`` (written in the background; ``read`` must not change after). A read that Parquet and JSON
        would not give back exactly (a column of Python objects) or that cannot be written (a full disk) is not
        kept: that file will be read again."""
        key = self._accepted(path, shown, kind)
        if key is None:
            return
        if self._writer is None:
            self._writer = ThreadPoolExecutor(WRITERS, thread_name_prefix="isoaudit-table-cache")
        self._pending = [f for f in self._pending if not f.done()]
        if len(self._pending) >= PENDING:
            wait(self._pending, return_when=FIRST_COMPLETED)
        self._pending.append(self._writer.submit(self._write, self.directory / (key + SUFFIX), key, read))

    def keep(self, path, shown: str, kind: str, read: Callable[[], FileRead]) -> tuple[str, tuple] | None:
        """Make sure the entry of ``path`` read as ``kind`` is written, calling ``read()`` only when there is none
        (another process reading for the one that will ``get`` it: a batch's worker). Returns the file's SHA-256
        with its size and time when hashed, for that process's ``hashed_elsewhere``; None for a file that cannot
        be hashed. A read ``put`` does not keep leaves no entry: the other process then reads the file itself."""
        if not self.has(path, shown, kind):
            made = read()
            key = self._accepted(path, shown, kind)
            if key is not None:  # written here and now: the other process asks for it next
                self._write(self.directory / (key + SUFFIX), key, made)
        return self._digests.get(Path(path))

    def _accepted(self, path, shown: str, kind: str) -> str | None:
        """The entry key under which a read of ``path`` just made may be kept; None when it may not (the file
        cannot be hashed, or changed while it was read: what was read may not be what was hashed)."""
        key = self._key(path, shown, kind)
        if key is None:
            return None
        self._used.add(key)
        return key if self._unchanged(Path(path)) else None

    def flush(self) -> None:
        """Wait for the entries being written."""
        if self._writer is not None:
            self._writer.shutdown(wait=True)
            self._writer, self._pending = None, []

    def close(self) -> None:
        """Wait for the entries being written, then remove those no ``get`` or ``put`` asked for (files gone or
        changed) and what an interrupted write left: the cache holds one folder's reads, not every version's."""
        self.flush()
        try:
            for entry in self.directory.iterdir():
                if entry.name.endswith((SUFFIX, ".tmp")) and entry.name.removesuffix(SUFFIX) not in self._used:
                    entry.unlink(missing_ok=True)
        except OSError:  # no cache folder yet, or one that cannot be cleaned: it takes room, it does no harm
            pass

    def _write(self, path: Path, key: str, read: FileRead) -> None:
        try:
            table = _entry_table(read, key)
            if table is not None:
                # Encoded in memory and written at once (not through a Python file's many small writes); plain,
                # without statistics: an entry is read whole, and a log's texts are mostly distinct anyway.
                encoded = pa.BufferOutputStream()
                pq.write_table(table, encoded, compression="lz4", use_dictionary=False, write_statistics=False)
                # Not flushed to the disk: an entry a power cut spoilt is found damaged and the file read again.
                with atomic_write(path, durable=False) as handle:
                    handle.write(encoded.getvalue())
        except Exception:  # a read not kept costs the next run a few seconds, never this run its result
            pass

    def _unchanged(self, path: Path) -> bool:
        """Whether ``path`` has the size and time it had when it was hashed (it was not written to meanwhile)."""
        try:
            return _stamp(path) == self._digests[path][1]
        except OSError:
            return False

    def _key(self, path, shown: str, kind: str) -> str | None:
        """The entry's name (without suffix), or None for a file that cannot be hashed (its reader says why)."""
        try:
            parts = [FORMAT_VERSION, self.context, self.digest(path), shown, kind]
        except OSError:
            return None
        return hashlib.sha256(json.dumps(parts).encode("utf-8")).hexdigest()


def reading_context(alias_file, registry: pd.DataFrame) -> str:
    """A digest of what a file's read depends on besides the file: the alias file's bytes (none when it is absent),
    the unit registry its rows are given their units by, and the code reading them (``_code_digest``: an upgrade of
    isoaudit or of a library it reads with reads every file again)."""
    rows = pd.util.hash_pandas_object(registry, index=False).to_numpy().tobytes()
    parts = [_code_digest(), file_sha256(Path(alias_file)) if Path(alias_file).is_file() else None,
             [[str(c), str(t)] for c, t in registry.dtypes.items()], hashlib.sha256(rows).hexdigest()]
    return hashlib.sha256(json.dumps(parts).encode("utf-8")).hexdigest()


@lru_cache(maxsize=1)
def _code_digest() -> str:
    """isoaudit's modules and data files, Python's version and every installed distribution's (pandas, pyarrow, the
    spreadsheet readers...): hashed once a process, in a tenth of a second."""
    root = Path(__file__).resolve().parents[1]
    digest = hashlib.sha256(sys.version.encode("utf-8"))
    for path in sorted(p for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
        digest.update(path.relative_to(root).as_posix().encode("utf-8") + b"\0")
        digest.update(path.read_bytes())
    versions = sorted((d.metadata["Name"] or "", d.version) for d in metadata.distributions())
    digest.update(json.dumps(versions).encode("utf-8"))
    return digest.hexdigest()


def _stamp(path: Path) -> tuple[int, int]:
    status = path.stat()
    return status.st_size, status.st_mtime_ns


def _entry_table(read: FileRead, key: str) -> pa.Table | None:
    """The Parquet table of an entry, or None when its rows would not come back exactly."""
    meta = {"format": FORMAT_VERSION, "key": key, "rows": None if read.frame is None else len(read.frame),
            "labels": read.labels, "problems": [problem_json(p, strict=True) for p in read.problems]}
    if json.loads(json.dumps(read.labels)) != read.labels:  # a header that is not text
        return None
    # One thread: a batch's workers each read their own files, and threads for a file's columns cost more CPU.
    table = pa.table({}) if read.frame is None else pa.Table.from_pandas(read.frame, preserve_index=False,
                                                                          nthreads=1)
    if read.frame is not None and not _types_kept_exactly(read.frame, table):
        return None
    return table.replace_schema_metadata({**(table.schema.metadata or {}),
                                          _METADATA: json.dumps(meta, ensure_ascii=False).encode("utf-8")})


def _types_kept_exactly(frame: pd.DataFrame, table: pa.Table) -> bool:
    """``_kept_exactly``, said once for each set of columns and types: a province's files of one kind share
    one, and a batch's worker makes a ``TableCache`` for each file it reads."""
    return remembered(_EXACT, tuple(zip(frame.columns, frame.dtypes)), lambda: _kept_exactly(frame, table),
                      EXACT_KEPT)


EXACT_KEPT = 256  # sets of columns and types remembered: a few per kind of record
_EXACT: dict[tuple, bool] = {}  # frame columns and types -> whether Parquet gives them back as they are


def _kept_exactly(frame: pd.DataFrame, table: pa.Table) -> bool:
    """Whether ``table`` gives ``frame`` back as it is: no column of Python objects (a number among texts would come
    back as text, an integer with gaps as a float) and every column of the same name and type once read back."""
    if any(pd.api.types.is_object_dtype(dtype) for dtype in frame.dtypes):
        return False
    back = table.slice(0, 0).to_pandas()
    return list(back.columns) == list(frame.columns) and all(a == b for a, b in zip(back.dtypes, frame.dtypes))


def _read_entry(path: Path, key: str, as_arrow: bool = False) -> FileRead | None:
    # One file as it is, not a dataset (pq.read_table): a province's thousand small entries read in a third the time.
    with pq.ParquetFile(path) as entry:
        meta = json.loads(entry.schema_arrow.metadata[_METADATA])
        if meta["format"] != FORMAT_VERSION or meta["key"] != key:
            return None
        table = entry.read()
    rows = meta["rows"]
    if rows is not None and table.num_rows != rows:
        return None
    frame = None if rows is None else table if as_arrow else table.to_pandas()
    return FileRead(frame, dict(meta["labels"]), [problem_from_json(p) for p in meta["problems"]])
