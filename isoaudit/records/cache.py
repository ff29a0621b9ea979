"""A columnar snapshot of a loaded records folder, so a batch reads and validates spreadsheets once.

``save_cache(records, directory)`` writes one Parquet file per record kind plus ``manifest.json`` (the
problems, the input files with their SHA-256 and the source folder); ``load_cache(directory)`` gives the
same ``Records`` back in a fraction of the time. ``load_records`` reads a cache directory transparently.
"""
from __future__ import annotations

import datetime
import decimal
import json
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from isoaudit.problems import Problem
from isoaudit.records.model import Records
from isoaudit.records.units import normalise_unit_codes
from isoaudit.records.units_in_time import ancestors
from isoaudit.safety import atomic_write

MANIFEST = "manifest.json"
FRAMES = ("units", "procedures", "dossiers", "objectives", "surveys", "feedback", "decisions", "findings",
          "excluded_dossiers", "calendar_days", "statistics")
SHARED_FRAMES = ("units", "procedures", "calendar_days")  # read whole even for one unit
# 2: dossiers carry log_status; 3: units in time, the agencies' reported statistics; 4: problems' values keep their type
FORMAT_VERSION = 4


def is_cache(directory) -> bool:
    return (Path(directory) / MANIFEST).is_file()


def save_cache(records, directory) -> Path:
    """Write ``records`` to ``directory``; the manifest is written last so a half-written cache is not a cache."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    for name in FRAMES:
        with atomic_write(directory / f"{name}.parquet") as handle:
            _write_frame(getattr(records, name), handle, by_unit=name not in SHARED_FRAMES)
    manifest = {
        "format": FORMAT_VERSION,
        "folder": str(Path(records.folder).resolve()),
        "files": [str(Path(f).resolve()) for f in records.files],
        "digests": records.file_digests().to_dict("records"),
        "problems": [problem_json(p) for p in records.problems],
    }
    with atomic_write(directory / MANIFEST, "w") as handle:
        json.dump(manifest, handle, ensure_ascii=False, indent=1)
    return directory


def load_cache(directory, unit: str | None = None, columns: tuple[str, ...] | None = None) -> Records:
    """The ``Records`` of a cache; with ``unit``, only that unit's rows and its predecessors' (the registry,
    catalogue and calendar whole): a unit's notebooks then read a fixed share of a province, whatever its
    size (issue #19). Problems stay whole: ``Records.for_unit`` picks a unit's.

    ``columns``: only these columns of the rows' frames (those a frame has; the registry, catalogue and calendar
    whole), for a caller that needs only whose rows they are and from which file, not the figures."""
    directory = Path(directory)
    shared = _shared_part(directory / MANIFEST, cache_version(directory))
    frames = {name: frame.copy(deep=False) for name, frame in shared.frames.items()}  # the caller's own
    keys = shared.unit_keys(unit) if unit is not None and str(unit).strip() else None
    for name in FRAMES:
        if name not in frames:
            path = directory / f"{name}.parquet"
            frames[name] = shared.unit_rows(path, keys, columns) if keys else _whole(path, columns)
    records = Records(folder=shared.folder, problems=list(shared.problems), files=list(shared.files), **frames)
    records.cached_digests = shared.digests.copy(deep=False)
    if shared.work is None:  # the same folder, files and registry for every read of this cache
        shared.work = records.shared_work()
    records.take_work(shared.work)
    return records


@dataclass
class _SharedPart:
    """What every read of one version of a cache gives alike: its manifest (folder, files, digests, problems) and
    the frames read whole (registry, catalogue, calendar). Read once per process: a batch's worker and kernel
    read a unit's rows from the same cache for each of their units, and the manifest names every file and
    problem of the province."""

    folder: Path
    files: list
    digests: pd.DataFrame
    problems: list
    frames: dict
    _keys: dict = field(default_factory=dict)

    _groups: dict = field(default_factory=dict)
    work: dict | None = None  # ``Records.shared_work`` of the first read

    def unit_keys(self, unit) -> list[str] | None:
        """``_unit_keys`` of ``unit`` in this cache's registry, worked out once per unit as typed."""
        unit = str(unit).strip()
        if unit not in self._keys:
            self._keys[unit] = _unit_keys(self.frames["units"], unit)
        return self._keys[unit]

    def unit_rows(self, path: Path, keys: list[str], columns: tuple[str, ...] | None = None) -> pd.DataFrame:
        """The rows of the units ``keys`` in the frame file ``path``, as ``pd.read_parquet`` with a filter on
        ``unit_code`` gives them: only the row groups that may hold them are decoded (each group's first and last
        unit read once per process: a filtered read worked them out anew, a third of a unit's read), and rows of
        other units in a group of several are left out. ``columns``: only those (``load_cache``)."""
        if path not in self._groups:
            metadata = pq.read_metadata(path)
            self._groups[path] = (metadata, _unit_bounds(metadata))
        metadata, bounds = self._groups[path]
        wanted = [i for i, (low, high) in enumerate(bounds) if low is None or any(low <= k <= high for k in keys)]
        table = pq.ParquetFile(path, metadata=metadata).read_row_groups(
            wanted, columns=_present(metadata.schema.names, columns), use_pandas_metadata=True)
        if any(bounds[i][0] is None or bounds[i][0] != bounds[i][1] for i in wanted):
            table = table.filter(pc.is_in(table["unit_code"], value_set=pa.array(keys, table["unit_code"].type)))
        return table.to_pandas()


def _whole(path: Path, columns: tuple[str, ...] | None) -> pd.DataFrame:
    """The frame file ``path`` whole, or only ``columns`` of it (those it has)."""
    if columns is None:
        return pd.read_parquet(path)
    return pd.read_parquet(path, columns=_present(pq.read_schema(path).names, columns))


def _present(names: list[str], columns: tuple[str, ...] | None) -> list[str] | None:
    """``columns`` that a frame file of columns ``names`` has, unit_code always among them (rows are picked by it);
    None: all."""
    if columns is None:
        return None
    return [name for name in names if name in columns or name == "unit_code"]


def cache_version(directory) -> tuple:
    """Which writing of the cache ``directory`` is there now: its manifest's size, time and inode (``save_cache``
    writes the manifest last, and anew). Raises ``OSError`` when there is no manifest."""
    status = (Path(directory) / MANIFEST).stat()
    return status.st_size, status.st_mtime_ns, status.st_ino


@lru_cache(maxsize=4)  # a batch reads one cache; a test or a notebook a few
def _shared_part(manifest_path: Path, version: tuple) -> _SharedPart:
    directory = manifest_path.parent
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    return _SharedPart(folder=Path(manifest["folder"]), files=[Path(f) for f in manifest["files"]],
                       digests=pd.DataFrame(manifest["digests"], columns=["file", "sha256"]),
                       problems=[problem_from_json(p) for p in manifest["problems"]],
                       frames={name: pd.read_parquet(directory / f"{name}.parquet") for name in SHARED_FRAMES})


def _write_frame(frame: pd.DataFrame, handle, by_unit: bool = True) -> None:
    """One Parquet file; a frame of many units' rows (``by_unit``) gets a row group per run of one unit's rows
    (records are read file by file, so a unit's rows follow each other), so that a unit's notebook reading its
    rows (``load_cache(unit=...)``) decodes those row groups only, not the province's million dossiers. A frame
    read whole (the registry: a row a unit) is one row group: hundreds of them took longer to read than the rows."""
    runs = _unit_runs(frame) if by_unit else None
    if runs is None:
        frame.to_parquet(handle, index=False)
        return
    # Converted whole (its text columns are Arrow's already: not copied), then written a run of rows at a time;
    # converting each run apart cost a province's dossiers 0.7 s.
    table = pa.Table.from_pandas(frame, preserve_index=False)
    with pq.ParquetWriter(handle, table.schema) as writer:
        for start, stop in runs:
            writer.write_table(table.slice(start, stop - start))


def _unit_runs(frame: pd.DataFrame) -> list[tuple[int, int]] | None:
    """(start, stop) of each run of rows of one unit; None when there is no point (no unit column, one unit)
    or the units' rows are interleaved (a province-wide export read as it is: row groups of a few rows)."""
    if "unit_code" not in frame or len(frame) == 0:
        return None
    codes = pd.factorize(frame["unit_code"], use_na_sentinel=False)[0]
    starts = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]])
    if len(starts) < 2 or len(starts) > 2 * (codes.max() + 1) + 10:
        return None
    return list(zip(starts.tolist(), np.r_[starts[1:], len(frame)].tolist()))


def _unit_bounds(metadata: pq.FileMetaData) -> list[tuple[str | None, str | None]]:
    """Each row group's smallest and largest ``unit_code``; (None, None) where the file does not say (no such column,
    no statistics, only blanks): such a group is read and filtered."""
    names = metadata.schema.names
    if "unit_code" not in names:
        return [(None, None)] * metadata.num_row_groups
    column = names.index("unit_code")
    bounds = []
    for group in range(metadata.num_row_groups):
        statistics = metadata.row_group(group).column(column).statistics
        known = statistics is not None and statistics.has_min_max
        bounds.append((statistics.min, statistics.max) if known else (None, None))
    return bounds


def _unit_keys(units: pd.DataFrame, unit) -> list[str] | None:
    """The keys of ``unit`` (as typed: "8029" finds "08029") and of the units it was formed from; None when the
    registry does not know it (then everything is read, and the caller says the unit is unknown)."""
    key = str(normalise_unit_codes(pd.Series([str(unit).strip()], dtype="string"), units["unit_code"]).iloc[0])
    if key not in set(units["unit_code"].astype(str)):
        return None
    return [key, *(k for k, _ in ancestors(units, key))]


def problem_json(problem: Problem, strict: bool = False) -> dict:
    """``problem`` as JSON values that ``problem_from_json`` reads back as an equal problem, its value and
    parameters of the same types: a date or a NumPy number is tagged with its type. A value of another type
    becomes its text, or with ``strict`` raises ``TypeError`` (for a cache that must give back what it got)."""
    if strict and not (all(type(getattr(problem, f)) is str for f in ("code", "file", "sheet", "column", "severity"))
                       and (problem.row is None or type(problem.row) is int)):
        raise TypeError(f"a problem's place of another type: {problem!r}")
    data = asdict(problem)
    data["value"] = _json_value(problem.value, strict)
    data["params"] = {k: _json_value(v, strict) for k, v in problem.params.items()}
    return data


def problem_from_json(data: dict) -> Problem:
    """The problem ``problem_json`` wrote (or a manifest of an older isoaudit wrote: values as text)."""
    return Problem(**{**data, "value": _from_json(data.get("value")),
                      "params": {k: _from_json(v) for k, v in data.get("params", {}).items()}})


# Values JSON cannot hold, as {TYPE_TAG: name, "v": their text}: a cell that fails a check is often a date.
TYPE_TAG = "$type"
_TAGGED = {
    "timestamp": (pd.Timestamp, lambda v: [v.isoformat(), None if v.tz is None else str(v.tz)],
                  lambda v: pd.Timestamp(v[0]) if v[1] is None else pd.Timestamp(v[0]).tz_convert(v[1])),
    "datetime": (datetime.datetime, lambda v: v.isoformat(), datetime.datetime.fromisoformat),
    "date": (datetime.date, lambda v: v.isoformat(), datetime.date.fromisoformat),
    "time": (datetime.time, lambda v: v.isoformat(), datetime.time.fromisoformat),
    "timedelta": (pd.Timedelta, lambda v: v.isoformat(), pd.Timedelta),
    "decimal": (decimal.Decimal, str, decimal.Decimal),
}


def _json_value(value, strict: bool):
    if value is None or type(value) in (str, int, float, bool):
        return value
    if value is pd.NaT or value is pd.NA:
        return {TYPE_TAG: "NaT" if value is pd.NaT else "NA"}
    if isinstance(value, np.generic) and value.dtype.kind in "biufmM":  # a date or duration as its count of units
        return {TYPE_TAG: "numpy", "dtype": value.dtype.str,
                "v": int(value.view("int64")) if value.dtype.kind in "mM" else value.item()}
    if type(value) in (list, tuple):
        return {TYPE_TAG: type(value).__name__, "v": [_json_value(v, strict) for v in value]}
    for name, (kind, write, _) in _TAGGED.items():  # by exact type: a Timestamp is a datetime, a datetime a date
        if type(value) is kind or (name == "timestamp" and isinstance(value, kind)):
            return {TYPE_TAG: name, "v": write(value)}
    if strict:
        raise TypeError(f"no JSON form kept for a {type(value).__name__}")
    return str(value)


def _from_json(value):
    if not isinstance(value, dict):
        return value
    tag = value[TYPE_TAG]
    if tag in ("NaT", "NA"):
        return pd.NaT if tag == "NaT" else pd.NA
    if tag == "numpy":
        dtype = np.dtype(value["dtype"])
        return np.array(value["v"], dtype="int64" if dtype.kind in "mM" else dtype).view(dtype)[()]
    if tag in ("list", "tuple"):
        items = [_from_json(v) for v in value["v"]]
        return items if tag == "list" else tuple(items)
    return _TAGGED[tag][2](value["v"])
