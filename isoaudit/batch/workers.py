"""Where a batch's units run: in threads of this process, each driving a kernel of its own, or on a Dask cluster.

A unit's work is done by its kernel, a process of its own: the thread running the unit mostly waits for the
kernel's answers (a seventh of a unit's processor time is its own: loading the unit's rows, exporting its pages).
So the units of a local batch run in threads of the batch's own process ("lanes"), as many as its jobs, not in
worker processes: each worker process held its own copy of pandas, Arrow and nbconvert, and a province's batch on
2 jobs took over 2 GB (issue #19). Each lane starts a kernel, runs every unit it takes in it, and shuts it down
when the batch ends.

Reading the records comes first: a province's 1,200 files are parsed in Python, so on a batch that will run units
(a first run, or ``--force``) with more than one job, reader processes (one fewer than the jobs: the main process
reads too) start before the records are read and read files for the main process (``UnitRunner.readers``). They
leave as soon as the records are read (``reading_done``); the lanes then start, each starting its kernel bare,
and the kernels import what the notebooks need only when the units are given (``run``), once the main process has
let the province's records go: no kernel holds memory beside them.
"""
from __future__ import annotations

import contextlib
import queue
import re
import signal
import threading
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from pathlib import Path
from typing import Callable

from isoaudit.batch.kernel_session import close_thread_session, close_worker_sessions, worker_session
from isoaudit.batch.kernels import KERNEL_NAME
from isoaudit.errors import ServiceError
from isoaudit.i18n import label

# A scheduler's address as Dask takes it: "tcp://10.0.0.5:8786", "tls://host:8786" or "10.0.0.5:8786".
_SCHEDULER_ADDRESS = re.compile(r"^(?:(?:tcp|tls|ws|wss|ucx)://)?(?:\[[0-9a-fA-F:]+\]|[\w.-]+):\d{1,5}/?$")
SCHEDULER_TIMEOUT = 10  # seconds to reach a Dask scheduler; one on the agency's network answers in far less

# What the audit and review notebooks import; a notebook importing something else only waits a little longer.
WARM_IMPORTS = ("import isoaudit.records, isoaudit.notebook.audit_form, isoaudit.outputs.audit_report, "
                "isoaudit.review.assemble, isoaudit.outputs.review_files, isoaudit.outputs.review_html, "
                "isoaudit.outputs.review_docx")


def unit_session(log_dir: Path):
    """This thread's kernel session; its kernel's own messages go to ``log_dir/kernel-<thread id>.log`` (the
    system's id of the thread: the process id for a process's first thread)."""
    return worker_session(KERNEL_NAME, Path(log_dir) / f"kernel-{threading.get_native_id()}.log")


def start_kernel(log_dir: str, imports: str | None = WARM_IMPORTS) -> None:
    """Start this thread's kernel, if it is not running, and have it run ``imports`` (None: none), without waiting
    for either. Never raises: a start that fails leaves the first unit to start the kernel and say what is wrong."""
    try:
        Path(log_dir).mkdir(parents=True, exist_ok=True)
        session = unit_session(Path(log_dir))
        if imports is None:
            session.ensure_started(Path.cwd(), wait=False)
        else:
            session.warm(Path.cwd(), imports)
    except Exception:  # noqa: BLE001 - see the docstring
        return


def _start_reader() -> None:
    """A reader process leaves Ctrl-C to the main process, which stops the batch (and the readers with it)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


class UnitRunner:
    """Runs ``run_unit`` over the batch's jobs in ``workers`` lanes of this process or on the Dask scheduler at
    ``scheduler``. ``eager``: a batch that will surely run units: the readers start on entering and the lanes once
    the records are read; otherwise the lanes start with the units, as many as there are units, up to ``workers``.
    """

    def __init__(self, run_unit: Callable, workers: int, log_dir: Path, executor: str = "local",
                 scheduler: str | None = None, eager: bool = True, lost: Callable | None = None):
        self.run_unit = run_unit
        self.lost = lost  # (job, error) -> the result of a job whose run never answered; None: raise
        self.workers = max(1, workers)
        self.log_dir = Path(log_dir)
        self.executor = executor
        self.scheduler = scheduler
        self.eager = eager
        self.pool = None  # the reader processes, while the records are read
        self.lanes: _Lanes | None = None
        self.client = None

    def __enter__(self) -> UnitRunner:
        if self.executor == "dask":
            self.client = dask_client(self.scheduler)  # an unreachable scheduler is said before any reading
        elif self.eager and self.workers > 1:
            # This process reads too (``load_records``): a job's worth of readers fewer, and their memory.
            self.pool = ProcessPoolExecutor(max_workers=self.workers - 1, initializer=_start_reader)
            self.pool.submit(int)  # launches every reader now (fork), while this process holds no records yet
        return self

    @property
    def readers(self):
        """The reader processes (None when there are none: one job, a rerun, Dask): a batch reads its records
        files in them (``load_records(read_in=...)``) and then lets them go (``reading_done``)."""
        return self.pool

    def reading_done(self) -> None:
        """The records are read: the reader processes leave, and their memory with them. A batch that will run
        units starts its lanes now, their kernels bare: their start overlaps what the batch does before the units."""
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
            self.pool = None
        if self.eager and self.executor == "local" and self.lanes is None:
            self.lanes = _Lanes(self.run_unit, self.workers, self.log_dir)

    def __exit__(self, *exc) -> None:
        if self.client is not None:
            with contextlib.suppress(Exception):  # a scheduler gone meanwhile: nothing left to close
                self.client.close()
            self.client = None
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
            self.pool = None
        if self.lanes is not None:
            self.lanes.stop()  # Ctrl-C included: the units being run end, no other starts
            self.lanes = None
        close_worker_sessions()  # the process goes on after the batch: its kernels need not

    def run(self, jobs: list, progress: bool, lang: str) -> list:
        """Every job's result, in the order they finish; the progress bar counts units."""
        from tqdm import tqdm

        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
            self.pool = None
        bar = tqdm(total=len(jobs), disable=not progress, unit=label("batch.unit_word", lang), ncols=80)
        results = []
        try:
            for result in self._results(jobs):
                results.append(result)
                bar.update()
        finally:
            bar.close()
        return results

    def _results(self, jobs: list):
        if not jobs:
            return
        if self.executor == "dask":
            from distributed import as_completed as dask_completed

            futures = self.client.map(self.run_unit, jobs, pure=False)
            job_of = {future.key: job for future, job in zip(futures, jobs)}
            for future in dask_completed(futures):
                yield self._answer(future, job_of[future.key])
            return
        if self.lanes is None:
            self.lanes = _Lanes(self.run_unit, min(self.workers, len(jobs)), self.log_dir)
        job_of = {self.lanes.submit(job): job for job in jobs}
        self.lanes.go()
        for future in as_completed(job_of):
            yield self._answer(future, job_of[future])

    def _answer(self, future, job):
        """The job's result; when its run raised or its worker was lost (``run_unit`` itself never raises), the
        result ``lost`` makes of it, so that one unit never stops the batch."""
        try:
            return future.result()
        except Exception as error:  # noqa: BLE001 - KilledWorker, a lost connection, a defect in a lane ...
            if self.lost is None:
                raise
            return self.lost(job, error)


class _Lanes:
    """``count`` threads of this process taking jobs in turn (``submit``), each running ``run_unit`` in a kernel
    of its own: started bare with the lane, given the notebooks' imports on ``go`` (the jobs are coming), shut down
    as the lane ends (``stop``)."""

    def __init__(self, run_unit: Callable, count: int, log_dir: Path):
        self.run_unit = run_unit
        self.jobs: queue.SimpleQueue = queue.SimpleQueue()
        self.going = threading.Event()
        self.stopping = threading.Event()
        self.threads = [threading.Thread(target=self._lane, args=(str(log_dir),), name=f"isoaudit-lane-{n + 1}",
                                         daemon=True) for n in range(count)]
        for thread in self.threads:
            thread.start()

    def submit(self, job) -> Future:
        future: Future = Future()
        self.jobs.put((future, job))
        return future

    def go(self) -> None:
        self.going.set()

    def _lane(self, log_dir: str) -> None:
        try:
            start_kernel(log_dir, imports=None)
            self.going.wait()
            if not self.stopping.is_set():
                start_kernel(log_dir)
            while (item := self.jobs.get()) is not None:
                future, job = item
                if self.stopping.is_set():
                    future.cancel()
                if not future.set_running_or_notify_cancel():
                    continue
                try:
                    future.set_result(self.run_unit(job))
                except BaseException as error:  # noqa: BLE001 - handed to whoever waits for the job
                    future.set_exception(error)
        finally:
            close_thread_session()

    def stop(self) -> None:
        """No job starts any more; the running ones end, and each lane shuts its kernel down as it leaves."""
        self.stopping.set()
        self.going.set()
        for _ in self.threads:
            self.jobs.put(None)
        for thread in self.threads:
            thread.join()


def dask_client(address: str):
    """A client of the Dask scheduler at ``address``; a ``ServiceError`` saying what to do when dask is not
    installed or the scheduler cannot be reached within ``SCHEDULER_TIMEOUT`` seconds."""
    try:
        from distributed import Client
    except ImportError:
        raise ServiceError("batch.no_dask") from None
    if not _SCHEDULER_ADDRESS.match(address):
        raise ServiceError("batch.scheduler_address", address=address)
    try:
        return Client(address, timeout=SCHEDULER_TIMEOUT)
    except Exception as error:  # noqa: BLE001 - refused, timed out, a malformed address: all are told alike
        raise ServiceError("batch.scheduler_unreachable", address=address, seconds=SCHEDULER_TIMEOUT,
                           reason=type(error).__name__) from None
