"""One kernel reused for many notebook runs: each run sees what a fresh kernel would give it."""
from __future__ import annotations

import multiprocessing
import os
import signal

import nbformat
import pytest

from isoaudit.batch.kernel_session import (
    KernelSession,
    close_worker_sessions,
    worker_session,
)
from isoaudit.batch.notebook_run import execute_notebook


def _notebook(path, *cells):
    parameters = nbformat.v4.new_code_cell('unit = "08023"', metadata={"tags": ["parameters"]})
    notebook = nbformat.v4.new_notebook(cells=[parameters, *(nbformat.v4.new_code_cell(c) for c in cells)])
    notebook.metadata["kernelspec"] = {"name": "python3", "language": "python", "display_name": "Python 3"}
    nbformat.write(notebook, str(path))
    return path


def _text(notebook_path, cell):
    outputs = nbformat.read(str(notebook_path), as_version=4).cells[cell].outputs
    return "".join(o.get("text", "") for o in outputs)


@pytest.fixture(scope="module")
def session():
    with KernelSession("python3") as running:
        yield running


def test_each_run_starts_clean_in_its_folder_numbered_from_one(session, tmp_path):
    folder = tmp_path / "notebooks"
    folder.mkdir()
    notebook = _notebook(folder / "n.ipynb", "import os\nprint(os.getcwd(), 'left' in globals(), unit)\nleft = 1")
    first = execute_notebook(notebook, tmp_path / "out", {"unit": "08011"}, name="a.ipynb", session=session)
    second = execute_notebook(notebook, tmp_path / "out", {"unit": "08014"}, name="b.ipynb", session=session)
    assert first.ok and second.ok
    assert _text(second.notebook, 2).split() == [str(folder), "False", "08014"]  # nothing left from the first
    counts = [c.execution_count for c in nbformat.read(str(second.notebook), as_version=4).cells]
    assert counts == [1, 2, 3]  # as a fresh kernel numbers them, not from where the last run stopped
    pid = session.manager.provisioner.pid
    assert execute_notebook(notebook, tmp_path / "out", {}, name="c.ipynb", session=session).ok
    assert session.manager.provisioner.pid == pid  # the same kernel all along


def test_a_failing_notebook_leaves_the_kernel_usable(session, tmp_path):
    failing = _notebook(tmp_path / "f.ipynb", "raise ValueError('sổ hỏng')")
    run = execute_notebook(failing, tmp_path / "out", {}, name="f.ipynb", session=session)
    assert not run.ok and run.error == "ValueError: sổ hỏng" and run.failed_cell == 1
    fine = _notebook(tmp_path / "g.ipynb", "print(unit)")
    assert execute_notebook(fine, tmp_path / "out", {}, name="g.ipynb", session=session).ok


def test_a_dead_kernel_is_replaced_before_the_next_run(tmp_path):
    notebook = _notebook(tmp_path / "n.ipynb", "print(unit)")
    with KernelSession("python3") as session:
        assert execute_notebook(notebook, tmp_path / "out", {}, name="a.ipynb", session=session).ok
        os.kill(session.manager.provisioner.pid, signal.SIGKILL)
        session.manager.provisioner.process.wait()
        run = execute_notebook(notebook, tmp_path / "out", {}, name="b.ipynb", session=session)
        assert run.ok and _text(run.notebook, 1) == "08023\n"


def test_worker_sessions_are_per_log_and_closed_at_the_end(tmp_path):
    log = tmp_path / "kernel.log"
    session = worker_session("python3", log)
    assert worker_session("python3", log) is session
    session.warm(tmp_path, "import json")
    session.prepare(tmp_path)  # waits for the warm-up, then resets
    other = worker_session("python3", tmp_path / "other.log")
    assert other is not session and session.manager is None  # a new batch's session replaces the old one
    other.prepare(tmp_path)
    close_worker_sessions()
    assert other.manager is None
    assert not log.exists()  # a kernel with nothing to say leaves no log file


def test_a_forked_worker_leaving_never_shuts_down_its_parents_kernel(session, tmp_path):
    notebook = _notebook(tmp_path / "n.ipynb", "print(unit)")
    assert execute_notebook(notebook, tmp_path / "out", {}, name="a.ipynb", session=session).ok
    pid = session.manager.provisioner.pid
    child = multiprocessing.get_context("fork").Process(target=close_worker_sessions)
    child.start()
    child.join(timeout=60)
    assert child.exitcode == 0
    assert execute_notebook(notebook, tmp_path / "out", {}, name="b.ipynb", session=session).ok
    assert session.manager.provisioner.pid == pid


_FLAKY_KERNEL = """\
import os, runpy, sys, time
marker, behaviour, connection = sys.argv[1:4]
if not os.path.exists(marker):  # the first start fails as a kernel whose port was taken does
    open(marker, "w").close()
    if behaviour == "hangs":
        time.sleep(600)
    sys.exit(1)
sys.argv = ["ipykernel_launcher", "-f", connection, *sys.argv[4:]]
runpy.run_module("ipykernel_launcher", run_name="__main__")
"""


@pytest.mark.parametrize("behaviour", ["dies", "hangs"])
def test_a_kernel_that_fails_to_start_is_started_again(behaviour, tmp_path, monkeypatch):
    import json
    import sys

    from isoaudit.batch import kernel_session

    script = tmp_path / "flaky_kernel.py"
    script.write_text(_FLAKY_KERNEL, encoding="utf-8")
    spec = tmp_path / "jupyter" / "kernels" / "flaky"
    spec.mkdir(parents=True)
    argv = [sys.executable, str(script), str(tmp_path / "started-once"), behaviour, "{connection_file}"]
    (spec / "kernel.json").write_text(json.dumps({"argv": argv, "display_name": "flaky", "language": "python"}))
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    monkeypatch.setattr(kernel_session, "KERNEL_START_TIMEOUT", 8)  # the hung kernel is given up after this
    notebook = _notebook(tmp_path / "n.ipynb", "print(unit)")
    with KernelSession("flaky", tmp_path / "kernel.log") as session:
        run = execute_notebook(notebook, tmp_path / "out", {}, name="a.ipynb", session=session)
        assert (tmp_path / "started-once").exists()  # the first kernel did fail
        assert run.ok and _text(run.notebook, 1) == "08023\n"


def test_the_kernel_talks_through_sockets_in_a_private_folder_removed_at_the_end(tmp_path):
    notebook = _notebook(tmp_path / "n.ipynb", "print(unit)")
    with KernelSession("python3") as session:
        assert execute_notebook(notebook, tmp_path / "out", {}, name="a.ipynb", session=session).ok
        folder = session._sockets
        if os.name != "nt":
            assert session.manager.transport == "ipc"  # no TCP port another process could take first
        assert folder.is_dir()
        assert (folder / "kernel.pid").read_text() == str(session.manager.provisioner.pid)
    assert not folder.exists()


def test_folders_of_kernels_gone_without_closing_are_removed_at_the_next_start(tmp_path, monkeypatch):
    import subprocess
    import sys
    import tempfile

    from isoaudit.batch import kernel_session

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    dead = subprocess.Popen([sys.executable, "-c", "pass"])  # its number: a kernel that is gone
    dead.wait()
    left = {"isoaudit-kernel-dead": dead.pid, "isoaudit-kernel-alive": os.getpid(), "isoaudit-kernel-new": None,
            "someone-elses": dead.pid}
    for name, pid in left.items():
        (tmp_path / name).mkdir()
        (tmp_path / name / "kernel-ipc-1").write_text("")
        if pid is not None:
            (tmp_path / name / "kernel.pid").write_text(str(pid))
    kernel_session._remove_left_folders()
    # Only the folder whose kernel is gone; one being made (no number yet) and others' folders stay.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["isoaudit-kernel-alive", "isoaudit-kernel-new",
                                                          "someone-elses"]
