"""A batch's local workers: they read records files first, and start their kernels only once the records are read
(``UnitRunner.warm_kernels``), so that no kernel holds memory beside a province's records in the main process."""
from __future__ import annotations

import os
import time

import psutil

from isoaudit.batch import workers


def _worker_pid(_job) -> int:
    return os.getpid()


def _kernels_by_worker() -> dict[int, int]:
    """This process's kernels (ipykernel), by the pid of the worker that started each."""
    kernels = {}
    for process in psutil.Process().children(recursive=True):
        try:
            if any("ipykernel" in part for part in process.cmdline()):
                kernels[process.ppid()] = kernels.get(process.ppid(), 0) + 1
        except psutil.Error:  # ended meanwhile
            continue
    return kernels


def _wait_for(condition, seconds: float = 60.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    return condition()


def test_workers_start_one_kernel_each_once_the_records_are_read(tmp_path):
    runner = workers.UnitRunner(_worker_pid, 2, tmp_path / "_logs", eager=True)
    with runner:
        pool_workers = {child.pid for child in psutil.Process().children()}
        assert len(pool_workers) == 2
        time.sleep(1.0)  # what a worker would have started by itself while the records are read
        assert _kernels_by_worker() == {}
        runner.warm_kernels()
        runner.warm_kernels()  # once only
        kernels = _wait_for(lambda: len(_kernels_by_worker()) == 2 and _kernels_by_worker())
        assert kernels and set(kernels) == pool_workers and set(kernels.values()) == {1}
        assert set(runner.run(["08023", "08026", "08029"], False, "vi")) <= pool_workers
        assert _kernels_by_worker() == kernels  # the units do not start kernels of their own
    assert _wait_for(lambda: not _kernels_by_worker(), 30)  # the workers shut their kernels down as they leave
