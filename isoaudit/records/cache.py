"""A columnar snapshot of a loaded records folder, so a batch reads and validates spreadsheets once.

``save_cache(records, directory)`` writes one Parquet file per record kind plus ``manifest.json`` (the
problems, the input files with their SHA-256 and the source folder); ``load_cache(directory)`` gives the
same ``Records`` back in a fraction of the time. ``load_records`` reads a cache directory transparently.
"""
from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
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
FORMAT_VERSION = 3  # 2: dossiers carry log_status; 3: units in time, the agencies' reported statistics


def is_cache(directory) -> bool:
    return (Path(directory) / MANIFEST).is_file()


def save_cache(records, directory) -> Path:
    """Write ``records`` to ``directory``; the manifest is written last so a half-written cache is not a cache."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    for name in FRAMES:
        with atomic_write(directory / f"{name}.parquet") as handle:
            _write_frame(getattr(records, name), handle)
    manifest = {
        "format": FORMAT_VERSION,
        "folder": str(Path(records.folder).resolve()),
        "files": [str(Path(f).resolve()) for f in records.files],
        "digests": records.file_digests().to_dict("records"),
        "problems": [_problem_json(p) for p in records.problems],
    }
    with atomic_write(directory / MANIFEST, "w") as handle:
        json.dump(manifest, handle, ensure_ascii=False, indent=1)
    return directory


def load_cache(directory, unit: str | None = None) -> Records:
    """The ``Records`` of a cache; with ``unit``, only that unit's rows and its predecessors' (the registry,
    catalogue and calendar whole): a unit's notebooks then read a fixed share of a province, whatever its
    size (issue #19). Problems stay whole: ``Records.for_unit`` picks a unit's."""
    directory = Path(directory)
    manifest = json.loads((directory / MANIFEST).read_text(encoding="utf-8"))
    frames = {name: pd.read_parquet(directory / f"{name}.parquet") for name in SHARED_FRAMES}
    keys = _unit_keys(frames["units"], unit) if unit is not None and str(unit).strip() else None
    for name in FRAMES:
        if name not in frames:
            path = directory / f"{name}.parquet"
            frames[name] = pd.read_parquet(path, filters=[("unit_code", "in", keys)]) if keys else \
                pd.read_parquet(path)
    problems = [Problem(**p) for p in manifest["problems"]]
    records = Records(folder=Path(manifest["folder"]), problems=problems,
                      files=[Path(f) for f in manifest["files"]], **frames)
    records.cached_digests = pd.DataFrame(manifest["digests"], columns=["file", "sha256"])
    return records


def _write_frame(frame: pd.DataFrame, handle) -> None:
    """One Parquet file; a frame of many units' rows gets a row group per run of one unit's rows (records are
    read file by file, so a unit's rows follow each other), so that a unit's notebook reading its rows
    (``load_cache(unit=...)``) decodes those row groups only, not the province's million dossiers."""
    runs = _unit_runs(frame)
    if runs is None:
        frame.to_parquet(handle, index=False)
        return
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


def _unit_keys(units: pd.DataFrame, unit) -> list[str] | None:
    """The keys of ``unit`` (as typed: "8029" finds "08029") and of the units it was formed from; None when the
    registry does not know it (then everything is read, and the caller says the unit is unknown)."""
    key = str(normalise_unit_codes(pd.Series([str(unit).strip()], dtype="string"), units["unit_code"]).iloc[0])
    if key not in set(units["unit_code"].astype(str)):
        return None
    return [key, *(k for k, _ in ancestors(units, key))]


def _problem_json(problem: Problem) -> dict:
    data = asdict(problem)
    data["value"] = None if data["value"] is None else str(problem.value if not isinstance(problem.value, pd.Timestamp)
                                                            else problem.value.isoformat())
    data["params"] = {k: (v if isinstance(v, (str, int, float, bool)) or v is None else str(v))
                      for k, v in problem.params.items()}
    return data
