"""Dask for real (#19 item 3): a scheduler and two workers started as an ISO office would start them, each in a
folder of its own, on 127.0.0.1; a batch run on them gives the same figures as a local run, each unit's log
holds only its own lines, and a worker killed mid-run loses no unit."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from isoaudit.batch.run import run_batch

pytestmark = pytest.mark.slow
UNITS = ["08023", "08029"]
START_TIMEOUT = 60


def dask_command(*args) -> list[str]:
    return [sys.executable, "-m", "distributed.cli.dask_" + args[0], *args[1:]]


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """``dask scheduler`` and two ``dask worker`` processes (two threads each), in separate folders."""
    distributed = pytest.importorskip("distributed")
    root = tmp_path_factory.mktemp("cluster")
    scheduler_file = root / "scheduler.json"
    processes = []
    folders = {name: root / name for name in ("scheduler", "worker_a", "worker_b")}
    for folder in folders.values():
        folder.mkdir()
    environment = {**os.environ, "PYTHONUNBUFFERED": "1"}
    processes.append(subprocess.Popen(dask_command("scheduler", "--host", "127.0.0.1", "--port", "0",
                                                   "--no-dashboard", "--scheduler-file", str(scheduler_file)),
                                      cwd=folders["scheduler"], env=environment, start_new_session=True,
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    deadline = time.monotonic() + START_TIMEOUT
    while not scheduler_file.is_file() and time.monotonic() < deadline:
        time.sleep(0.2)
    address = json.loads(scheduler_file.read_text())["address"]
    for name in ("worker_a", "worker_b"):
        processes.append(subprocess.Popen(dask_command("worker", address, "--nthreads", "2", "--no-dashboard",
                                                       "--name", name, "--local-directory", str(folders[name])),
                                          cwd=folders[name], env=environment, start_new_session=True,
                                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    with distributed.Client(address, timeout=START_TIMEOUT) as client:
        client.wait_for_workers(2, timeout=START_TIMEOUT)
    yield address, processes
    for process in processes:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
    for process in processes:
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


def figures(out: Path) -> dict:
    """Each unit's figures as its reports give them (timing and paths left out)."""
    found = {}
    for summary in sorted(out.glob("*/summary.json")):
        data = json.loads(summary.read_text(encoding="utf-8"))
        found[summary.parent.name] = {k: v for k, v in data.items() if k not in ("seconds",)}
    return found


def test_a_batch_on_a_real_cluster_matches_a_local_run_and_keeps_logs_apart(small_district, cluster, tmp_path):
    address, _ = cluster
    local = run_batch(small_district, tmp_path / "local", units=UNITS, jobs=1, progress=False)
    remote = run_batch(small_district, tmp_path / "dask", units=UNITS, executor="dask", scheduler=address,
                       progress=False)
    assert [r.status for r in remote.results] == ["done"] * len(UNITS)
    assert figures(tmp_path / "dask") == figures(tmp_path / "local")
    assert len(figures(tmp_path / "local")) == len(UNITS)
    assert [r.unit_code for r in remote.results] == [r.unit_code for r in local.results]
    # Two threads per worker: each unit's log has its own lines and none of another unit's.
    for code in UNITS:
        [log] = (tmp_path / "dask").glob(f"{code}_*/log.txt")
        text = log.read_text(encoding="utf-8", errors="replace")
        assert f"{code} audit: ok" in text and f"{code} review: ok" in text
        assert not [other for other in UNITS if other != code and other in text], text


def test_a_worker_killed_mid_run_loses_no_unit(small_district, cluster, tmp_path):
    address, processes = cluster
    worker = processes[1]

    def kill_soon():
        time.sleep(4)  # units are running on both workers by then
        os.killpg(worker.pid, signal.SIGKILL)

    killer = threading.Thread(target=kill_soon)
    killer.start()
    batch = run_batch(small_district, tmp_path / "dask", units=UNITS, executor="dask", scheduler=address,
                      progress=False, force=True)
    killer.join()
    # Dask retries a lost worker's task elsewhere, or the unit's row says the worker was lost: never silence.
    assert sorted(r.unit_code for r in batch.results) == sorted(UNITS)
    for result in batch.results:
        assert result.status == "done" or result.error
