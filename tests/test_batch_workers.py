"""A batch's local runner: reader processes while the records are read, gone before the units; the units in
threads of the batch's own process ("lanes"), each with one kernel, started once the records are read and shut
down at the end; and what each unit says on standard error, in its own log only."""
from __future__ import annotations

import io
import os
import sys
import threading
import time
from pathlib import Path

import psutil

from isoaudit.batch import workers
from isoaudit.batch.unit_log import note, unit_log


def _where(_job) -> tuple[int, str]:
    time.sleep(0.3)  # long enough for every lane to take a unit
    return os.getpid(), threading.current_thread().name


def _children(kind: str, others: set[int]) -> set[int]:
    """This process's children started by the test (not ``others``): its kernels (ipykernel) or the rest."""
    found = set()
    for process in psutil.Process().children():
        try:
            is_kernel = any("ipykernel" in part for part in process.cmdline())
        except psutil.Error:  # ended meanwhile
            continue
        if process.pid not in others and is_kernel == (kind == "kernel"):
            found.add(process.pid)
    return found


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


def _modules_of(pid: int) -> set[str]:
    """What the kernel ``pid`` has imported so far, as its open files tell (pandas' compiled parts once imported)."""
    try:
        return {Path(f.path).parts[-3] for f in psutil.Process(pid).memory_maps() if "site-packages" in f.path
                and len(Path(f.path).parts) > 3}
    except psutil.Error:
        return set()


def test_readers_leave_before_the_units_which_run_in_lanes_of_this_process_with_a_kernel_each(tmp_path):
    others = {child.pid for child in psutil.Process().children()}  # a test process may have children already
    runner = workers.UnitRunner(_where, 2, tmp_path / "_logs", eager=True)
    with runner:
        # This process reads too: one reader for two jobs, and no kernel beside the records being read.
        assert len(_children("reader", others)) == 1 and runner.readers is not None
        time.sleep(1.0)
        assert not _children("kernel", others)
        runner.reading_done()
        assert runner.readers is None
        assert _wait_for(lambda: not _children("reader", others), 10)
        # The lanes' kernels start now, bare: pandas waits until the records are let go and the units come.
        kernels = _wait_for(lambda: len(_children("kernel", others)) == 2 and _children("kernel", others), 30)
        time.sleep(2.0)
        assert kernels and not any("pandas" in _modules_of(pid) for pid in kernels)
        places = runner.run(["08023", "08026", "08029", "08032"], False, "vi")
        assert {pid for pid, _ in places} == {os.getpid()}
        assert {lane for _, lane in places} == {"isoaudit-lane-1", "isoaudit-lane-2"}
        assert _children("kernel", others) == kernels  # one per lane, for all its units
        assert all(_wait_for(lambda pid=pid: "pandas" in _modules_of(pid), 30) for pid in kernels)
    # Each lane shuts its kernel down as the batch ends.
    assert _wait_for(lambda: not any(_running(pid) for pid in kernels), 30)


def test_a_rerun_of_one_unit_starts_one_lane_and_no_reader(tmp_path):
    others = {child.pid for child in psutil.Process().children()}
    with workers.UnitRunner(_where, 2, tmp_path / "_logs", eager=False) as runner:
        assert runner.readers is None  # a rerun reads in this process only
        runner.reading_done()
        assert not _children("kernel", others)  # nothing started before the units are known
        [(pid, lane)] = runner.run(["08023"], False, "vi")
        assert (pid, lane) == (os.getpid(), "isoaudit-lane-1")
        assert len(_children("kernel", others)) == 1


def test_a_batch_stopped_before_its_units_shuts_its_bare_kernels_down(tmp_path):
    others = {child.pid for child in psutil.Process().children()}
    with workers.UnitRunner(_where, 2, tmp_path / "_logs", eager=True) as runner:
        runner.reading_done()
        kernels = _wait_for(lambda: len(_children("kernel", others)) == 2 and _children("kernel", others), 30)
    assert kernels and _wait_for(lambda: not any(_running(pid) for pid in kernels), 30)


def test_each_units_standard_error_goes_to_its_own_log_only(tmp_path, monkeypatch):
    terminal = io.StringIO()
    monkeypatch.setattr(sys, "stderr", terminal)
    both_running = threading.Barrier(2)

    def unit(code: str) -> None:
        with unit_log(tmp_path / f"{code}.txt"):
            both_running.wait()
            for n in range(200):
                print(f"{code} warning {n}", file=sys.stderr)
                if n % 50 == 0:
                    note(f"{code} step {n}")
                    print("progress bar", file=terminal)  # what the batch itself prints meanwhile
                    time.sleep(0.001)

    threads = [threading.Thread(target=unit, args=(code,)) for code in ("08023", "08029")]
    for thread in threads:
        thread.start()
    print("from the batch's own thread", file=sys.stderr)
    for thread in threads:
        thread.join()
    for code, other in (("08023", "08029"), ("08029", "08023")):
        lines = (tmp_path / f"{code}.txt").read_text(encoding="utf-8").splitlines()
        assert len(lines) == 204 and all(line.startswith(code) for line in lines)
        assert f"{code} step 150" in lines and f"{other} warning 0" not in lines
    assert "from the batch's own thread" in terminal.getvalue() and "08023" not in terminal.getvalue()
    assert sys.stderr is terminal  # handed back once no unit runs
