"""Every unit's audit and management-review reports in one run, with a district roll-up.

The district's records are read and validated once and handed to each unit's notebooks as a columnar cache
(``records.cache``). Units run in threads of this process, each keeping one kernel for all its units
(``batch.workers``), or on a Dask cluster; a unit whose records are broken or whose notebook fails gets an
error result and the others complete. A unit's reports appear all at once
in its folder (built beside it, then renamed), and a rerun skips units whose inputs, notebooks and
parameters have not changed since their last successful run. A rerun reads again only the records files whose
bytes changed (``records.table_cache``, in ``out/_cache/tables``), even with ``force``: what it keeps of a file
is what reading the same bytes with the same isoaudit gives, and ``force`` is about the reports.
"""
from __future__ import annotations

import contextlib
import gc
import hashlib
import json
import os
import shutil
import time
import traceback
import uuid
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from isoaudit import __version__
from isoaudit.batch.unit_log import note, unit_log
from isoaudit.batch.unit_reports import (
    AUDIT_NOTEBOOK,
    REVIEW_NOTEBOOK,
    audit_progress,
    audit_reports,
    review_reports,
)
from isoaudit.batch.workers import UnitRunner, unit_session
from isoaudit.errors import FileAccessError, IsoauditError, file_access_error, user_error
from isoaudit.i18n import label
from isoaudit.measures import UnitYear, default_as_of, latest_year, refuse_future_year, worst_procedures
from isoaudit.outputs.analytics_page import write_analytics_page
from isoaudit.outputs.rollup import write_rollup
from isoaudit.problems import ERROR
from isoaudit.records import load_records
from isoaudit.records.cache import load_cache, save_cache
from isoaudit.records.memory import release_freed_memory
from isoaudit.records.model import file_sha256, shown_path
from isoaudit.records.readers import unit_code_from_name
from isoaudit.records.units_in_time import predecessor_links, valid_units
from isoaudit.safety import atomic_write, inside, safe_filename, user_path
from isoaudit.text import fold

WORST_PROCEDURES = 10  # on the district page
UNIT_STATUSES = ("done", "unchanged", "failed")  # UnitResult.status
UNIT_LEVELS = ("commune", "ward")  # a province (or, before 1/7/2025, a district) audits its communes and wards
CACHE_DIR = "_cache"
TABLES_DIR = "tables"  # inside CACHE_DIR: what each records file gave, for the next run
PARTIAL_DIR = "_partial"
LOG_DIR = "_logs"
FINGERPRINT = ".fingerprint"
# What a unit's run needs of its rows: whose they are and from which file (its problems, its inputs); its notebooks
# read the rest in their kernel. Reading every column here too was a seventh of the lane's work.
LANE_COLUMNS = ("unit_code", "source_file")
SUMMARY = "summary.json"


@dataclass
class UnitJob:
    """Everything a worker needs to produce one unit's reports (plain values: it travels to other processes)."""

    unit_code: str
    unit_name: str
    folder: str  # the unit's output folder
    cache: str  # the records cache
    records_folder: str  # the original records folder (audits are kept there)
    year: int
    lang: str
    fingerprint: str
    force: bool = False


@dataclass
class UnitResult:
    unit_code: str
    unit_name: str
    folder: str
    status: str  # one of UNIT_STATUSES
    seconds: float = 0.0
    error: str = ""
    outputs: dict = field(default_factory=dict)  # kind -> file name inside the unit folder
    summary: dict = field(default_factory=dict)  # figures for the district roll-up

    @property
    def ok(self) -> bool:
        return self.status != "failed"


@dataclass
class BatchResult:
    out: Path
    year: int
    results: list[UnitResult]
    index: Path | None = None
    area: str = ""  # the province (or district) the units belong to, named on the roll-up
    analytics: Path | None = None  # the province's analytics page, linked from the roll-up
    # Seconds spent in each step of the run (read, rollup_figures, cache, fingerprints, units, rollup): where a
    # slow batch spends its time, for benchmarks and whoever runs a province.
    phases: dict = field(default_factory=dict)

    @property
    def failed(self) -> list[UnitResult]:
        return [r for r in self.results if not r.ok]


def run_batch(folder, out, *, jobs: int | None = None, units: list[str] | None = None, year: int | None = None,
              lang: str = "vi", force: bool = False, executor: str = "local", scheduler: str | None = None,
              progress: bool = True) -> BatchResult:
    """Produce every selected unit's reports under ``out`` and the district roll-up; see the module doc."""
    # Notebooks run in their own folder and workers elsewhere: every path they get must be absolute.
    folder, out = user_path(folder), user_path(out)
    refuse_future_year(year)  # before any folder is made
    created = not out.exists()
    writable_folder(out)
    tables = out / CACHE_DIR / TABLES_DIR
    kept_reads = set(tables.glob("*")) if tables.is_dir() else set()
    try:
        return _run_batch(folder, out, jobs, units, year, lang, force, executor, scheduler, progress)
    except IsoauditError:  # nothing done (records unusable, a unit that does not exist): nothing left behind
        for entry in set(tables.glob("*")) - kept_reads if tables.is_dir() else ():
            entry.unlink(missing_ok=True)  # the files' reads kept by this run: the next run reads them again
        if created and not any(path.is_file() for path in out.rglob("*")):
            shutil.rmtree(out, ignore_errors=True)
        raise


def _run_batch(folder: Path, out: Path, jobs, units, year, lang, force, executor, scheduler,
               progress) -> BatchResult:
    shutil.rmtree(out / PARTIAL_DIR, ignore_errors=True)  # what an interrupted run left half-built
    workers = jobs or os.cpu_count() or 1
    if units:
        workers = min(workers, len(units))  # no idle lane warming a kernel for nothing
    # A first run (or --force) of the whole province will run units: its readers (jobs - 1) read the files, and
    # once reading is done its lanes start bare kernels while the roll-up figures and the cache are made. A rerun
    # starts kernels only for units that changed, and none when nothing did; so does a run of named units, which
    # may not exist (then nothing is started or written).
    eager = not units and (force or not any(out.glob(f"*/{FINGERPRINT}")))
    with _language_of_kernels(lang), \
            UnitRunner(run_unit, workers, out / LOG_DIR, executor, scheduler, eager, lost_unit) as runner:
        clock = _Phases()
        # The readers read the files; this process takes the reads as they come.
        records = load_records(folder, lang=lang, table_cache=inside(out, CACHE_DIR, TABLES_DIR),
                               read_in=runner.readers)
        runner.reading_done()
        clock.done("read")
        year = year or default_year(records)
        selected = select_units(records, units, year)
        rollup = _RollupInputs.of(records, year)
        clock.done("rollup_figures")
        cache = save_cache(records, out / CACHE_DIR)
        clock.done("cache")
        inputs = unit_inputs(records)
        jobs_list = [make_job(records, row, out, cache, year, lang, force, inputs) for row in selected.itertuples()]
        unchanged = {job.unit_code: unchanged_result(job) for job in jobs_list}
        clock.done("fingerprints")
        results = [result for result in unchanged.values() if result is not None]
        pending = [job for job in jobs_list if unchanged[job.unit_code] is None]
        # Biggest units first: a long unit started last would leave the other lanes idle at the end.
        sizes = records.dossiers["unit_code"].value_counts()
        pending.sort(key=lambda job: -int(sizes.get(job.unit_code, 0)))
        if pending:
            # The units read their rows from the cache: the province's records are let go before they run
            # (a province of a million dossiers is over a gigabyte beside the kernels').
            del records, inputs, selected, sizes
            gc.collect()
            release_freed_memory()
        # What this process holds now (its modules, the roll-up's inputs) lives through the units: frozen, the full
        # collections of the lanes' own garbage (notebooks, kernel messages) skip it. Each walked it all, 90 ms,
        # holding every lane at once.
        gc.freeze()
        try:
            results += runner.run(pending, progress and bool(pending), lang)
        finally:
            gc.unfreeze()
        clock.done("units")
    shutil.rmtree(out / PARTIAL_DIR, ignore_errors=True)  # every unit's staging folder was moved or removed
    with contextlib.suppress(OSError):
        (out / LOG_DIR).rmdir()  # only when no unit failed and no kernel had anything to say
    results += _earlier_results(rollup.units, out, year, lang, {job.unit_code for job in jobs_list})
    order = {code: i for i, code in enumerate(rollup.units["unit_code"])}
    results.sort(key=lambda r: order.get(r.unit_code, len(order)))
    batch = BatchResult(out, year, results, area=rollup.area)
    batch.analytics = write_analytics_page(batch, rollup.findings, lang)
    batch.index = write_rollup(batch, rollup.worst, lang)
    clock.done("rollup")
    batch.phases = clock.seconds
    return batch


@dataclass
class _RollupInputs:
    """What the province's pages take from its records, worked out before the units run: the records are let go
    while they do, and reading a province's million dossiers back only for these took longer than the pages."""

    units: pd.DataFrame  # the registry
    findings: pd.DataFrame
    area: str
    worst: pd.DataFrame  # ``worst_procedures`` of the whole province's year

    @classmethod
    def of(cls, records, year: int) -> _RollupInputs:
        return cls(records.units, records.findings, area_name(records.units, select_units(records, None, year)),
                   worst_procedures(UnitYear(records, None, year).received_alone(), WORST_PROCEDURES))


class _Phases:
    """Seconds between successive ``done`` calls, by the name of the step each one ends."""

    def __init__(self):
        self.seconds: dict[str, float] = {}
        self._last = time.perf_counter()

    def done(self, step: str) -> None:
        now = time.perf_counter()
        self.seconds[step] = round(now - self._last, 2)
        self._last = now


def writable_folder(out: Path) -> None:
    """Make the output folder ``out`` and check that a file can be written in it, before any unit runs: a
    folder that cannot take the reports is said at once, not after every unit has failed."""
    if out.exists() and not out.is_dir():
        raise FileAccessError("system.out_not_folder", path=str(out))
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = out / f".isoaudit-write-test-{uuid.uuid4().hex[:8]}"
        probe.write_bytes(b"isoaudit")
        probe.unlink()
    except OSError as error:
        raise file_access_error(error) from error


def lost_unit(job: UnitJob, error: BaseException) -> UnitResult:
    """The failed result of a unit whose worker never answered (a worker process killed, out of memory, or
    a Dask worker lost): the batch goes on and the unit's row says why."""
    return UnitResult(job.unit_code, job.unit_name, job.folder, "failed",
                      error=label("batch.worker_lost", job.lang, error=_reason(error, job.lang)))


def _earlier_results(units: pd.DataFrame, out: Path, year: int, lang: str, ran: set) -> list[UnitResult]:
    """The last successful results of the district's other units (``units``: the registry) in ``out``, for the
    same year and language: running a few units again must not drop the rest from the district page."""
    earlier = []
    for unit in communes_of(units, year).itertuples():
        if unit.unit_code in ran:
            continue
        previous = _previous_run(unit_folder(out, unit))
        if previous and previous.get("year") == year and previous.get("lang") == lang:
            earlier.append(UnitResult(**{**previous["result"], "status": "unchanged", "seconds": 0.0}))
    return earlier


def default_year(records) -> int:
    """The latest year with dossiers received (the year a review looks back on)."""
    return latest_year(records.dossiers)


def select_units(records, codes: list[str] | None, year: int | None = None) -> pd.DataFrame:
    """The registry rows to run: the given codes, or every commune and ward that is a unit at the end of
    ``year`` (or today, while it runs): one dissolved in a merger is history in its successor's reports."""
    units = records.units
    if codes:
        wanted = [str(c).strip() for c in codes]
        unknown = [c for c in wanted if c not in set(units["unit_code"])]
        if unknown:
            raise IsoauditError("batch.unknown_units", units=", ".join(unknown))
        return units.set_index("unit_code").loc[wanted].reset_index()
    return communes_of(units, year)


def communes_of(registry: pd.DataFrame, year: int | None = None) -> pd.DataFrame:
    """The registry's communes and wards that are units at the end of ``year`` (or today, while it runs)."""
    communes = registry["level"].isin(UNIT_LEVELS).fillna(False).to_numpy(bool)
    if year is not None:
        communes = communes & valid_units(registry, default_as_of(year))
    return registry[communes].reset_index(drop=True)


def area_name(registry: pd.DataFrame, units: pd.DataFrame) -> str:
    """The name of the unit most of ``units`` belong to (their province, or district before 1/7/2025) in the
    ``registry``, or ""."""
    parents = units["parent_code"].dropna().astype(str)
    if parents.empty:
        return ""
    names = registry.loc[registry["unit_code"].astype(str) == parents.mode().iloc[0], "unit_name"]
    return str(names.iloc[0]) if len(names) else ""


def unit_folder(out: Path, unit) -> Path:
    """``out/<code>_<name without diacritics>``: one safe path component, always inside ``out``."""
    return inside(out, safe_filename(f"{unit.unit_code}_{fold(str(unit.unit_name)).replace(' ', '_')}", "unit"))


def make_job(records, unit, out: Path, cache: Path, year: int, lang: str, force: bool,
             inputs: UnitInputs | None = None) -> UnitJob:
    """``inputs``: ``unit_inputs(records)``, when the caller makes many jobs (else computed here)."""
    name = str(unit.unit_name)
    folder = unit_folder(out, unit)
    return UnitJob(unit_code=str(unit.unit_code), unit_name=name, folder=str(folder), cache=str(cache),
                   records_folder=str(records.folder), year=year, lang=lang,
                   fingerprint=unit_fingerprint(records, str(unit.unit_code), year, lang, inputs), force=force)


@dataclass
class UnitInputs:
    """Each unit key's own input files (``files``) and the registry's predecessor links (``links``), found
    once for every unit of a batch: a unit at a time would filter a province's million dossiers once per unit
    and predecessor, and join the registry again for each."""

    files: dict[str, set[str]]
    links: pd.DataFrame
    _file_keys: tuple = (None, None)  # (the digests frame, ``file_keys`` of it)

    def file_keys(self, digests: pd.DataFrame) -> tuple[list[str], list[str], np.ndarray]:
        """Each input file of ``digests`` as a path with "/", its bare name, and whether it is shared (at the
        folder's top: registry, catalogue, calendar); worked out once for all units: a province has 1,200 files."""
        if self._file_keys[0] is not digests:
            written = [f.replace("\\", "/") for f in digests["file"]]
            bare = [Path(f).name for f in digests["file"]]
            self._file_keys = (digests, (written, bare, np.array(["/" not in f for f in written], dtype=bool)))
        return self._file_keys[1]

    def of(self, key: str) -> set[str]:
        """The files of ``key`` and of the units it was formed from, and theirs (``unit_history.lineage``):
        a merged unit's review shows its predecessors' years, so their files are inputs of its reports too."""
        keys, frontier = {key}, [key]
        while frontier:
            parents = self.links.loc[self.links["successor"].isin(frontier), "predecessor"].tolist()
            frontier = [p for p in dict.fromkeys(parents) if p not in keys]
            keys.update(frontier)
        return set().union(*(self.files.get(k, ()) for k in keys))


def unit_inputs(records) -> UnitInputs:
    """Every unit key's input files as ``records.for_unit(key)`` finds them: the files of its rows of every
    kind, the files its code names, both as names and as paths in the folder ("surveys/x.xlsx") as problems
    name them; with the registry's predecessor links."""
    files: dict[str, set[str]] = {}
    for kind in ("dossiers", "objectives", "surveys", "feedback", "decisions", "findings", "statistics"):
        pairs = getattr(records, kind)[["unit_code", "source_file"]].dropna().drop_duplicates()
        for key, name in zip(pairs["unit_code"].astype(str), pairs["source_file"].astype(str)):
            files.setdefault(key, set()).add(name)
    shown: dict[str, set[str]] = {}
    for path in records.files:
        shown.setdefault(Path(path).name, set()).add(shown_path(path, records.folder))
        code = unit_code_from_name(path)  # a file that could not be read has no rows to say whose it is
        if code is not None:
            files.setdefault(code, set()).add(Path(path).name)
    files = {key: names.union(*(shown.get(name, ()) for name in names)) for key, names in files.items()}
    return UnitInputs(files, predecessor_links(records.units))


def unit_fingerprint(records, unit_code: str, year: int, lang: str, inputs: UnitInputs | None = None) -> str:
    """A digest of everything a unit's reports depend on: its input files and the shared ones (registry,
    catalogue, calendar), its saved audits, the notebooks, the parameters and the isoaudit version.
    ``inputs``: ``unit_inputs(records)`` (computed here when not given)."""
    inputs = unit_inputs(records) if inputs is None else inputs
    names = inputs.of(unit_code)
    digests = records.file_digests()
    written, bare, shared = inputs.file_keys(digests)
    # Rows name their file bare; problems name it by its path in the records folder ("dossiers/x.xlsx").
    mine = np.fromiter((w in names or b in names for w, b in zip(written, bare)), dtype=bool, count=len(written))
    parts = digests[shared | mine].sort_values("file").to_records(index=False).tolist()
    audits = Path(records.folder) / "audits" / unit_code
    if audits.is_dir():
        parts += [(str(p.relative_to(audits)), file_sha256(p)) for p in sorted(audits.glob("*.xlsx"))]
    parts += [(path.name, file_sha256(path)) for path in (AUDIT_NOTEBOOK, REVIEW_NOTEBOOK)]
    payload = json.dumps({"inputs": parts, "year": year, "lang": lang, "version": __version__}, sort_keys=True,
                         default=str)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def unchanged_result(job: UnitJob) -> UnitResult | None:
    """The unit's last result when nothing it depends on changed since (and no ``force``), else None."""
    previous = _previous_run(Path(job.folder))
    if job.force or previous is None or previous.get("fingerprint") != job.fingerprint:
        return None
    return UnitResult(**{**previous["result"], "status": "unchanged", "seconds": 0.0})


def run_unit(job: UnitJob) -> UnitResult:
    """One unit's reports (``run_batch`` has set aside the units that did not change). Never raises: a
    failure comes back as a result with the reason."""
    started = time.perf_counter()
    folder = Path(job.folder)
    staging = Path(job.folder).parent / PARTIAL_DIR / f"{folder.name}-{uuid.uuid4().hex[:8]}"
    staging.mkdir(parents=True)
    log = staging / "log.txt"
    try:
        with unit_log(log):  # what this thread says while the unit runs, and no other unit's
            result = _produce(job, staging, log)
    except Exception as error:  # a unit must never stop the batch; the reason goes to its row and log
        _append(log, traceback.format_exc())
        result = UnitResult(job.unit_code, job.unit_name, job.folder, "failed", error=_reason(error, job.lang))
    result.seconds = round(time.perf_counter() - started, 2)
    if result.ok:
        with atomic_write(staging / FINGERPRINT, "w") as handle:
            json.dump({"fingerprint": job.fingerprint, "year": job.year, "lang": job.lang, "result": asdict(result)},
                      handle, ensure_ascii=False)
        _publish(staging, folder)
    else:
        _keep_log(staging, folder, log)
    return result


def _produce(job: UnitJob, staging: Path, log: Path) -> UnitResult:
    # Only this unit's rows (and its predecessors'; registry and problems whole), and only whose and whence they
    # are: a unit's cost and a lane's memory stay those of one commune, whatever the size of the province (#19).
    records = load_cache(job.cache, job.unit_code, columns=LANE_COLUMNS)
    errors = [p for p in records.for_unit(job.unit_code).problems if p.severity == ERROR]
    if errors:
        reasons = "; ".join(f"{p.file}: {p.message(job.lang)}" for p in errors)
        _append(log, reasons)
        return UnitResult(job.unit_code, job.unit_name, job.folder, "failed",
                          error=label("batch.broken_records", job.lang, reasons=reasons))
    # The lane's kernel runs every unit it is given: its start and imports are paid once per lane.
    logs = Path(job.folder).parent / LOG_DIR
    logs.mkdir(exist_ok=True)
    session = unit_session(logs)
    common = {"lang": job.lang, "records_param": job.cache, "session": session}
    audit = audit_reports(records, job.unit_code, job.year, staging, audit_dir=job.records_folder, **common)
    note(f"{job.unit_code} audit: {audit.error or 'ok'}")
    if not audit.ok:
        return UnitResult(job.unit_code, job.unit_name, job.folder, "failed",
                          error=label("batch.notebook_failed", job.lang, notebook="audit", error=audit.error))
    # The chair's decisions workbook is left with the reports: a batch never writes into the records folder.
    review = review_reports(job.unit_code, job.year, staging, decisions_folder=staging, base="xem_xet_lanh_dao",
                            **common)
    note(f"{job.unit_code} review: {review.error or 'ok'}")
    if not review.ok:
        return UnitResult(job.unit_code, job.unit_name, job.folder, "failed",
                          error=label("batch.notebook_failed", job.lang, notebook="review", error=review.error))
    files = {**audit.files, **review.files}
    outputs = {kind: path.relative_to(staging).as_posix() for kind, path in files.items()}
    summary = {**review.facts.figures, **audit_progress(records, job.records_folder, job.unit_code, job.year)}
    with atomic_write(staging / SUMMARY, "w") as handle:
        json.dump(summary, handle, ensure_ascii=False, indent=1, default=str)
    return UnitResult(job.unit_code, job.unit_name, job.folder, "done", outputs=outputs, summary=summary)


@contextmanager
def _language_of_kernels(lang: str):
    """The kernels started while the block runs word isoaudit's errors in ``lang`` (``i18n.process_lang``):
    a failing notebook's error reaches the unit's row as its kernel worded it."""
    saved = os.environ.get("ISOAUDIT_LANG")
    os.environ["ISOAUDIT_LANG"] = lang
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop("ISOAUDIT_LANG", None)
        else:
            os.environ["ISOAUDIT_LANG"] = saved


def _publish(staging: Path, folder: Path) -> None:
    """Put the freshly built folder in place of the old one; readers never see a half-written unit."""
    old = None
    if folder.exists():
        old = folder.with_name(f".{folder.name}.old-{uuid.uuid4().hex[:8]}")
        os.replace(folder, old)
    os.replace(staging, folder)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _keep_log(staging: Path, folder: Path, log: Path) -> None:
    """A failed unit keeps its previous reports; only its log is updated, under ``out/_logs``."""
    logs = folder.parent / LOG_DIR
    logs.mkdir(exist_ok=True)
    if log.exists():
        shutil.copyfile(log, logs / f"{folder.name}.log")
    shutil.rmtree(staging, ignore_errors=True)


def _previous_run(folder: Path) -> dict | None:
    try:
        return json.loads((folder / FINGERPRINT).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _append(log: Path, text: str) -> None:
    with log.open("a", encoding="utf-8") as handle:
        handle.write(text.rstrip() + "\n")


def _reason(error: BaseException, lang: str) -> str:
    """Why a unit failed, in ``lang``: isoaudit's own message, the system's refusal worded (a locked file, a
    full disk), else the kind of error (its details are in the unit's log)."""
    worded = user_error(error)
    if worded is not None:
        return worded.message(lang)
    return label("batch.unexpected_error", lang, error=type(error).__name__)

