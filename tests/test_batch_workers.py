"""A batch's local workers: they read records files first, and start their kernels only once the records are read
(``UnitRunner.warm_kernels``), so that no kernel holds memory beside a province's records in the main process."""
from __future__ import annotations

import os
import time

import psutil

from isoaudit.batch import workers


def _worker_pid(_job) -> int:
    return os.getpid()


def _kernels_by_worker(workers: set[int]) -> dict[int, list[int]]:
    """The kernels (ipykernel) the processes ``workers`` started: their pids by worker."""
    kernels = {}
    for process in psutil.Process().children(recursive=True):
        try:
            if process.ppid() in workers and any("ipykernel" in part for part in process.cmdline()):
                kernels.setdefault(process.ppid(), []).append(process.pid)
        except psutil.Error:  # ended meanwhile
            continue
    return kernels


def _running(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def _wait_for(condition, seconds: float = 60.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    return condition()


def test_workers_start_one_kernel_each_once_the_records_are_read(tmp_path):
    others = {child.pid for child in psutil.Process().children()}  # a test process may have children already
    runner = workers.UnitRunner(_worker_pid, 2, tmp_path / "_logs", eager=True)
    with runner:
        pool_workers = {child.pid for child in psutil.Process().children()} - others
        assert len(pool_workers) == 2
        time.sleep(1.0)  # what a worker would have started by itself while the records are read
        assert _kernels_by_worker(pool_workers) == {}
        runner.warm_kernels()
        runner.warm_kernels()  # once only
        kernels = _wait_for(lambda: len(_kernels_by_worker(pool_workers)) == 2 and _kernels_by_worker(pool_workers))
        assert kernels and set(kernels) == pool_workers and {len(pids) for pids in kernels.values()} == {1}
        assert set(runner.run(["08023", "08026", "08029"], False, "vi")) <= pool_workers
        assert _kernels_by_worker(pool_workers) == kernels  # the units do not start kernels of their own
    kernel_pids = [pid for pids in kernels.values() for pid in pids]
    # The workers shut their kernels down as they leave.
    assert _wait_for(lambda: not any(_running(pid) for pid in kernel_pids), 30)
