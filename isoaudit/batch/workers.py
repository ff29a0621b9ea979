"""Where a batch's units run: this process, a pool of worker processes, or a Dask cluster.

On a batch that will run units (a first run, or ``--force``) the local workers start before the district's
records are read, import what they run, and read records files for the main process (``UnitRunner.readers``).
Once the records are read, each starts its kernel and has it import what the notebooks need
(``UnitRunner.warm_kernels``), while the main process writes the records cache: the first unit does not wait for
them, and the kernels take no memory while the main process holds the province's records. A worker keeps its
kernel for every unit it is given and shuts it down when it leaves. On one job the units run in this process, with
a kernel warmed while the records are read (the tree is this process and that kernel alone).
"""
from __future__ import annotations

import contextlib
import os
import re
import signal
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path
from typing import Callable

from isoaudit.batch.kernel_session import close_worker_sessions, worker_session
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
    """This worker's kernel session; its kernel's own messages go to ``log_dir/kernel-<pid>.log``."""
    return worker_session(KERNEL_NAME, Path(log_dir) / f"kernel-{os.getpid()}.log")


def warm_kernel(log_dir: str) -> None:
    """Start this process's kernel on its imports, without waiting for them. Never raises: a warm-up that fails
    leaves the first unit to start the kernel and report what is wrong."""
    try:
        Path(log_dir).mkdir(parents=True, exist_ok=True)
        unit_session(Path(log_dir)).warm(Path.cwd(), WARM_IMPORTS)
    except Exception:  # noqa: BLE001 - see the docstring
        return


def _start_pool_worker() -> None:
    """A pool worker leaves Ctrl-C to the main process, which stops the batch: the units being run end, no new
    one starts, and the worker exits cleanly, shutting its kernel down. It imports what it runs for a unit now,
    while the main process reads the records: the warm-up's whole point."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        import papermill  # noqa: F401

        from isoaudit.outputs.review_html import page_exporter

        page_exporter()
    except Exception:  # noqa: BLE001 - the first unit imports them again and says what is wrong
        return


class UnitRunner:
    """Runs ``run_unit`` over the batch's jobs with ``workers`` local processes or on the Dask scheduler at
    ``scheduler``. ``eager``: start the local workers on entering, so they warm up while the caller reads the
    records (a batch that will surely run units); otherwise they start with the first jobs, if any."""

    def __init__(self, run_unit: Callable, workers: int, log_dir: Path, executor: str = "local",
                 scheduler: str | None = None, eager: bool = True, lost: Callable | None = None):
        self.run_unit = run_unit
        self.lost = lost  # (job, error) -> the result of a job whose worker never answered; None: raise
        self.workers = max(1, workers)
        self.log_dir = Path(log_dir)
        self.executor = executor
        self.scheduler = scheduler
        self.eager = eager
        self.pool = None
        self.client = None
        self.started = False
        self.kernels_warmed = False
        self.pool_size = 0  # the local worker processes started

    def __enter__(self) -> UnitRunner:
        if self.executor == "dask":
            self.client = dask_client(self.scheduler)  # an unreachable scheduler is said before any reading
        if self.eager:
            self._start(self.workers)
        return self

    def _start(self, workers: int) -> None:
        self.started = True
        if self.executor == "dask":
            return
        if workers == 1:
            warm_kernel(str(self.log_dir))  # this process imports what it needs as it goes
            self.kernels_warmed = True
        else:
            self.pool = ProcessPoolExecutor(max_workers=workers, initializer=_start_pool_worker)
            self.pool_size = workers
            self.pool.submit(int)  # launches every worker now (fork): their warm-up overlaps the reading

    def warm_kernels(self) -> None:
        """Have each local worker start its kernel on the notebooks' imports (once). Called when the records are
        read, while this process writes the cache; ``run`` calls it otherwise. A task per worker: idle workers
        take one each (one that took two has its kernel started once, and the other's starts with its first
        unit)."""
        if self.pool is None or self.kernels_warmed:
            return
        self.kernels_warmed = True
        for _ in range(self.pool_size):
            self.pool.submit(warm_kernel, str(self.log_dir))

    @property
    def readers(self):
        """The local worker processes while they are idle before the first unit (None when there are none yet, or
        the units run here or on Dask): a batch reads its records files in them (``load_records(read_in=...)``)."""
        return self.pool

    def __exit__(self, *exc) -> None:
        if self.client is not None:
            with contextlib.suppress(Exception):  # a scheduler gone meanwhile: nothing left to close
                self.client.close()
            self.client = None
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
            self.pool = None
        close_worker_sessions()  # this process goes on after the batch: its kernel need not

    def run(self, jobs: list, progress: bool, lang: str) -> list:
        """Every job's result, in the order they finish; the progress bar counts units."""
        from tqdm import tqdm

        if jobs and not self.started:
            self._start(min(self.workers, len(jobs)))
        if self.pool is not None and getattr(self.pool, "_broken", False):
            # A worker died reading the records (out of memory on a huge file, killed): the units get new ones.
            self.pool.shutdown(wait=True, cancel_futures=True)
            self.kernels_warmed = False
            self._start(self.workers)
        if jobs:
            self.warm_kernels()
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
        if self.executor == "dask":
            from distributed import as_completed as dask_completed

            futures = self.client.map(self.run_unit, jobs, pure=False)
            job_of = {future.key: job for future, job in zip(futures, jobs)}
            for future in dask_completed(futures):
                yield self._answer(future, job_of[future.key])
        elif self.pool is None:
            for job in jobs:
                yield self.run_unit(job)
        else:
            job_of = {self.pool.submit(self.run_unit, job): job for job in jobs}
            for future in as_completed(job_of):
                yield self._answer(future, job_of[future])

    def _answer(self, future, job):
        """The job's result; when its worker died or was lost (``run_unit`` itself never raises), the result
        ``lost`` makes of it, so that one unit never stops the batch."""
        try:
            return future.result()
        except Exception as error:  # noqa: BLE001 - BrokenProcessPool, KilledWorker, a lost connection ...
            if self.lost is None:
                raise
            return self.lost(job, error)


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
