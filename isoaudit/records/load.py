"""A district's records folder, found by convention and read with every problem collected.

Layout (file names are matched without diacritics or case; CSV works wherever xlsx does)::

    FOLDER/units.xlsx              unit registry           (also: don_vi.xlsx)
    FOLDER/procedures.xlsx         procedure catalogue     (also: danh_muc_tthc.xlsx, thu_tuc.xlsx)
    FOLDER/calendar.csv            optional day-off / working-day decisions (also: lich_lam_viec.csv)
    FOLDER/column_aliases.csv      optional extra header aliases (kind,column,alias[,parent,priority])
    FOLDER/dossiers/*.xlsx         dossier logs            (also: ho_so/)
    FOLDER/objectives/*.xlsx       quality-objective plans (also: muc_tieu/)
    FOLDER/surveys/*.xlsx          satisfaction surveys    (also: khao_sat/)
    FOLDER/feedback/*.xlsx         feedback and complaints (also: phan_anh/)
    FOLDER/reviews/*.xlsx          management-review decisions (also: xem_xet/)
    FOLDER/findings/*.xlsx         findings and corrective actions (also: phat_hien/)
    FOLDER/statistics/*.xlsx       the agencies' reported periodic statistics (also: thong_ke/)

A dossier log or objectives plan belongs to the unit named by its ``unit_code`` column, else by the code
its file name starts with (``26734_2025.xlsx``), else by the unit name in its title rows. A code that lost its
leading zeros on the way (8023 stored as a number for "08023") is the registry's code with the same digits.
"""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pandas as pd
import pyarrow as pa

from isoaudit.errors import RecordsError
from isoaudit.problems import ERROR, WARNING, Problem
from isoaudit.records import validate
from isoaudit.records.aliases import ALIAS_FILE, alias_file_problems
from isoaudit.records.cache import is_cache, load_cache
from isoaudit.records.calendar_file import (
    empty_calendar,
    find_calendar_file,
    read_calendar_file,
    tet_problems,
)
from isoaudit.records.coverage import figure_gaps
from isoaudit.records.grid import RECORD_SUFFIXES
from isoaudit.records.memory import release_freed_memory
from isoaudit.records.model import Records, shown_path
from isoaudit.records.readers import record_table
from isoaudit.records.table import empty_frame
from isoaudit.records.table_cache import FileRead, TableCache, reading_context
from isoaudit.records.units import in_registry, normalise_unit_codes
from isoaudit.records.units_in_time import attribute, attribution_problems, keyed_registry, registry_problems
from isoaudit.text import fold

SINGLE_FILES = {
    "units": ("units", "don vi", "danh sach don vi"),
    "procedures": ("procedures", "danh muc tthc", "thu tuc", "danh muc thu tuc"),
}
FOLDERS = {
    "dossiers": ("dossiers", "ho so"),
    "objectives": ("objectives", "muc tieu"),
    "surveys": ("surveys", "khao sat"),
    "feedback": ("feedback", "phan anh", "phan anh kien nghi"),
    "decisions": ("reviews", "decisions", "xem xet", "xem xet lanh dao"),
    "findings": ("findings", "phat hien", "khac phuc"),
    "statistics": ("statistics", "thong ke", "bao cao thong ke"),
}
OPTIONAL_FOLDERS = ("surveys", "feedback", "decisions", "findings", "statistics")  # reported as missing by the review


def load_records(folder, lang: str = "vi", unit: str | None = None, table_cache=None, read_in=None) -> Records:
    """Read a records folder. Never raises for bad content: every problem is in ``Records.problems``.
    ``unit``: a cache (``records.cache``) then gives only that unit's rows and its predecessors' (a folder of
    spreadsheets is always read whole). ``table_cache``: a folder where what each file of the subfolders gave is
    kept (``records.table_cache``), so that a file whose bytes have not changed since is not read again.
    ``read_in``: with ``table_cache``, a pool of processes (``concurrent.futures``) that read the subfolders'
    files into it, side by side, while this process takes their reads as they come (a batch's idle workers)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise RecordsError("folder_is_a_file" if folder.exists() else "folder_not_found", folder=str(folder))
    if is_cache(folder):
        return load_cache(folder, unit)
    alias_file = folder / ALIAS_FILE
    # Said once here; every table read with it carries the same problems, which _table_problems leaves out.
    problems: list[Problem] = list(alias_file_problems(alias_file))
    files: list[Path] = [alias_file] if alias_file.is_file() else []

    units, unit_labels = _read_single(folder, "units", problems, files, alias_file)
    calendar_path = find_calendar_file(folder)
    calendar_days = empty_calendar()
    if calendar_path is not None:
        files.append(calendar_path)
        calendar_days, calendar_problems = read_calendar_file(calendar_path)
        problems += calendar_problems
    checked_units = validate.check_units(units, unit_labels)
    problems += checked_units.problems
    units = keyed_registry(checked_units.kept)
    problems += registry_problems(units, unit_labels)
    # Files' rows get their units from this registry: a read kept from another registry is not used.
    tables = None if table_cache is None else TableCache(table_cache, reading_context(alias_file, units))
    reading = _FilesReadElsewhere(read_in, folder, tables, units, alias_file) if read_in and tables else None
    try:
        return _load_folder(folder, problems, files, units, alias_file, calendar_path, calendar_days, tables,
                            reading)
    finally:
        if reading is not None:
            reading.cancel()  # a read nobody will take (this one failed): not worth a worker's time


def _load_folder(folder, problems, files, units, alias_file, calendar_path, calendar_days, tables, reading):
    """``load_records`` once the registry, calendar and file cache are there: the catalogue, the subfolders."""
    catalogue, procedure_labels = _read_single(folder, "procedures", problems, files, alias_file)
    checked_procedures = validate.check_procedures(catalogue, procedure_labels)
    problems += checked_procedures.problems
    procedures = checked_procedures.kept

    dossiers, dossier_labels, dossier_paths = _read_folder(folder, "dossiers", units, problems, files, alias_file,
                                                           tables, reading)
    checked_from = len(problems)  # the problems of the rows checked below name their file as the frame does
    excluded, matched = [], None
    if not procedures.empty:
        # Dossiers are matched to the catalogue as written: a procedure set aside for its implausible time
        # (reported as an error) is still the procedure they name; they stay, not assessable for timeliness.
        matched = validate.match_procedures(dossiers, catalogue, dossier_labels, moving=True)
        problems += matched.problems
        excluded.append(matched.excluded)
        dossiers = matched.kept
    # As the frame names the file (source_file: its bare name) to match the rows.
    unreadable = {(Path(p.file).name, p.row, p.params.get("canonical")) for p in problems
                  if p.code.startswith("unreadable")}
    checked_dossiers = validate.check_dossiers(dossiers, unreadable, dossier_labels, moving=True)
    del dossiers, matched  # the rows before their checks (emptied): a province's million are not held twice
    problems += checked_dossiers.problems
    problems[checked_from:] = _by_path(problems[checked_from:], dossier_paths)
    excluded.append(checked_dossiers.excluded)
    # Said once a year: due dates around a Tết that no recorded decision gives may be off by its swapped days.
    problems += tet_problems(calendar_days, checked_dossiers.kept["received_at"],
                             calendar_path.name if calendar_path is not None else "calendar.csv")

    objectives, objective_labels, objective_paths = _read_folder(folder, "objectives", units, problems, files,
                                                                 alias_file, tables, reading)
    checked_objectives = validate.check_objectives(objectives, objective_labels)
    problems += _by_path(checked_objectives.problems, objective_paths)

    others = {}
    for kind in OPTIONAL_FOLDERS:
        frame, labels, paths = _read_folder(folder, kind, units, problems, files, alias_file, tables, reading)
        checked = validate.check_required(frame, kind, labels)
        problems += _by_path(checked.problems, paths)
        others[kind] = checked.kept

    if tables is not None:
        tables.close()
    excluded_frame = pd.concat([e for e in excluded if len(e)], ignore_index=True) if any(len(e) for e in excluded) \
        else empty_frame("dossiers").assign(reason=pd.Series([], dtype="string"))
    return Records(folder, units, procedures, checked_dossiers.kept, checked_objectives.kept, others["surveys"],
                   others["feedback"], others["decisions"], others["findings"], excluded_frame, calendar_days, problems,
                   files, statistics=others["statistics"],
                   cached_digests=None if tables is None else tables.digests(folder, files))


def find_single(folder: Path, kind: str) -> list[Path]:
    """Files in ``folder`` whose name (without diacritics, case or separators) is one of ``kind``'s names."""
    names = SINGLE_FILES[kind]
    return sorted(p for p in folder.iterdir() if _is_record_file(p) and fold(p.stem) in names)


def find_folder_files(folder: Path, kind: str) -> list[Path]:
    subfolders = [p for p in folder.iterdir() if p.is_dir() and fold(p.name) in FOLDERS[kind]]
    return sorted(f for sub in subfolders for f in sub.rglob("*") if _is_record_file(f))


def _read_single(folder, kind, problems, files, alias_file):
    found = find_single(folder, kind)
    if not found:
        names = ", ".join(n.replace(" ", "_") + ".xlsx" for n in SINGLE_FILES[kind])
        problems.append(Problem("missing_file", file=kind, severity=ERROR, params={"kind": kind, "names": names}))
        return empty_frame(kind), {}
    for extra in found[1:]:
        problems.append(Problem("extra_file", file=extra.name, severity=WARNING, params={"used": found[0].name}))
    files.append(found[0])
    table = record_table(found[0], kind, alias_file=alias_file)
    problems += _table_problems(table, alias_file)
    return table.frame, {found[0].name: table.labels}


def _read_folder(folder, kind, units, problems, files, alias_file, tables: TableCache | None = None,
                 reading: _FilesReadElsewhere | None = None):
    """(the rows of ``kind``'s files, their header labels by file name, file name -> path in the folder).
    The problems of a file are appended naming it by its path in the records folder ("surveys/26734_2025.xlsx"):
    files of different folders may have the same name. ``tables``: where each file's read is kept between runs;
    ``reading``: the files other processes are reading into it (each waited for before its entry is asked for)."""
    paths = find_folder_files(folder, kind)
    if not paths and kind not in OPTIONAL_FOLDERS:
        severity = ERROR if kind == "dossiers" else WARNING
        problems.append(Problem("missing_folder", file=FOLDERS[kind][0] + "/", severity=severity,
                                params={"kind": kind}))
    frames, labels, shown = [], {}, {}
    for path in paths:
        files.append(path)
        shown[path.name] = shown_path(path, folder)
        if reading is not None:
            reading.wait(path)
        read = None if tables is None else tables.get(path, shown[path.name], kind, as_arrow=True)
        if read is None:
            read = _read_file(path, kind, units, alias_file)
            if tables is not None:
                tables.put(path, shown[path.name], kind, read)
        labels[path.name] = read.labels
        if read.frame is not None:
            frames.append(read.frame)
        problems += _by_path(read.problems, {path.name: shown[path.name]})
    if not frames:
        return empty_frame(kind), labels, shown
    return _joined(frames), labels, shown


def _joined(frames: list) -> pd.DataFrame:
    """The rows of ``frames`` (frames read, Arrow tables of kept reads) one after the other. Kept reads of one
    schema are joined as Arrow and converted once: faster than a province's logs converted one by one and then
    copied into one frame, and the same frame."""
    if all(isinstance(f, pa.Table) for f in frames) and all(f.schema.equals(frames[0].schema) for f in frames):
        return pa.concat_tables(frames).to_pandas()
    return pd.concat([f.to_pandas() if isinstance(f, pa.Table) else f for f in frames], ignore_index=True)


def _read_file(path: Path, kind: str, units: pd.DataFrame, alias_file: Path) -> FileRead:
    """One file of a subfolder read as ``kind``, its rows given their units; its problems name it by its name."""
    table = record_table(path, kind, alias_file=alias_file)
    found = list(_table_problems(table, alias_file))
    frame = None
    if table.usable:  # a column a figure needs, absent or empty, is said once per file
        found += figure_gaps(table.frame, table.labels, path.name, kind)
    if table.usable and not table.frame.empty:
        frame = _attach_unit(table, path, units, found, kind)
    return FileRead(frame, table.labels, found)


class _FilesReadElsewhere:
    """Every file of the subfolders given to ``pool``'s processes to read into ``tables`` at once, in the order
    ``load_records`` takes them (dossier logs first: their checks run while the other files are read). This
    process reads too: while it waits for a file, it reads the next ones no reader has started."""

    def __init__(self, pool, folder: Path, tables: TableCache, units: pd.DataFrame, alias_file: Path):
        self.tables = tables
        self.units = units
        self.alias_file = alias_file
        kinds = ("dossiers", "objectives", *OPTIONAL_FOLDERS)
        self.reads = {path: (shown_path(path, folder), kind)
                      for kind in kinds for path in find_folder_files(folder, kind)}
        self.futures = {path: pool.submit(_keep_read, tables.directory, tables.context, path, shown, kind, units,
                                          alias_file)
                        for path, (shown, kind) in self.reads.items()}

    def wait(self, path: Path) -> None:
        """Until ``path``'s entry is written (or its reader gave up: then the caller reads it), reading here
        meanwhile the files no reader has started."""
        future = self.futures.pop(path, None)
        if future is not None and future.cancel():  # no reader has started it
            self._read_here(path)
            return
        while future is not None and not future.done() and self._read_next_here():
            pass
        try:
            hashed = None if future is None else future.result()
        except Exception:  # noqa: BLE001 - a worker lost, a read that failed there: this process reads the file
            return
        if hashed is not None:
            self.tables.hashed_elsewhere(path, *hashed)

    def _read_next_here(self) -> bool:
        """Read in this process the first file no reader has started (True), if there is one left (False)."""
        for path, future in self.futures.items():
            if future.cancel():
                del self.futures[path]
                self._read_here(path)
                return True
        return False

    def _read_here(self, path: Path) -> None:
        shown, kind = self.reads[path]
        self.tables.keep(path, shown, kind, lambda: _read_file(path, kind, self.units, self.alias_file))

    def cancel(self) -> None:
        for future in self.futures.values():
            future.cancel()


def _keep_read(directory: Path, context: str, path: Path, shown: str, kind: str, units: pd.DataFrame,
               alias_file: Path):
    """In a worker process: ``path``'s read as ``kind`` kept in the file cache ``directory`` (``TableCache.keep``).
    What the read took is handed back to the system: the worker runs units next, beside its kernel."""
    try:
        return TableCache(directory, context).keep(path, shown, kind,
                                                   lambda: _read_file(path, kind, units, alias_file))
    finally:
        release_freed_memory()


def _by_path(problems: list[Problem], paths: dict[str, str]) -> list[Problem]:
    """``problems`` with each file named by ``paths`` (file name -> path in the records folder), in the message
    too when it names the file."""
    return [_named(p, paths[p.file]) if p.file in paths and paths[p.file] != p.file else p for p in problems]


def _named(problem: Problem, path: str) -> Problem:
    params = problem.params
    if params.get("file") == problem.file:  # a reader's error, worded with the file's name
        params = {**params, "file": path}
    return replace(problem, file=path, params=params)


def _table_problems(table, alias_file) -> list[Problem]:
    """The problems of one table read, without those of the alias file (already said once for the folder)."""
    said = alias_file_problems(alias_file)
    return [p for p in table.problems if p not in said] if said else table.problems


def _attach_unit(table, path, units, problems, kind):
    """Fill the unit of each row, as the registry writes its code, then the unit that code named on the row's
    date (``units_in_time``); a file whose unit is not in the registry cannot be used."""
    frame, titles = table.frame, table.title_lines
    frame["unit_code"] = normalise_unit_codes(frame["unit_code"], units["unit_code"])
    if frame["unit_code"].isna().any() and titles:
        by_title = _unit_from_titles(titles, units)
        if by_title is not None:
            frame["unit_code"] = frame["unit_code"].fillna(by_title)
    if not units["unit_code"].notna().any():
        return frame
    unknown = ~in_registry(frame["unit_code"], units["unit_code"])
    column = table.labels.get("unit_code", "unit_code")
    if unknown.all():
        value = frame["unit_code"].dropna().iloc[0] if frame["unit_code"].notna().any() else ""
        problems.append(Problem("unknown_unit_file", file=path.name, severity=ERROR, column=column, value=value))
        return None
    if unknown.any():
        for row in frame.loc[unknown].itertuples():
            problems.append(Problem("unknown_unit", file=path.name, row=int(row.source_row), column=column,
                                    value=row.unit_code))
        frame = frame.loc[~unknown].reset_index(drop=True)
    attributed = attribute(frame, units, kind)
    problems += attribution_problems(attributed, units, kind, path.name, table.labels)
    # ``attribute`` adds ``source_code`` only beside unplaced rows; the usual file has none: nothing to take.
    if not attributed.unplaced.any():
        return attributed.frame.reset_index(drop=True)
    return attributed.frame.loc[~attributed.unplaced].drop(columns="source_code").reset_index(drop=True)


def _unit_from_titles(titles: list[str], units: pd.DataFrame) -> str | None:
    folded_titles = [fold(t) for t in titles]
    matches = []
    for code, name in zip(units["unit_code"], units["unit_name"]):
        key = fold(name)
        if key and any(key in t for t in folded_titles):
            matches.append((len(key), code))
    return max(matches)[1] if matches else None


def _is_record_file(path: Path) -> bool:
    return path.is_file() and path.suffix.lower() in RECORD_SUFFIXES and not path.name.startswith(("~$", "."))
