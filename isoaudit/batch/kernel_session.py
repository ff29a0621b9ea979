"""One kernel kept running for many notebook runs: a batch worker's.

Starting a kernel and importing pandas, matplotlib and isoaudit into it costs more than running a unit's
notebook cells, so a batch worker starts its kernel once and runs every unit's notebooks in it. Each run
starts from what a fresh kernel would give a notebook: an empty namespace, the notebook's folder as working
folder, and execution counts from 1. Imported modules stay loaded: that is the point. A kernel that died is
replaced before the next run.

The runs go through papermill (parameters injected, failures recorded in the notebook) with an engine that
hands papermill this kernel instead of a new one.
"""
from __future__ import annotations

import atexit
import contextlib
import multiprocessing.util
import os
import shutil
import subprocess
import tempfile
import threading
from pathlib import Path

from isoaudit.batch.kernels import kernel_available

KERNEL_START_TIMEOUT = 60  # seconds
CLOSING_WAIT = 10  # seconds a kernel still starting is given to finish before it is shut down
# A new session numbers cells from 1 again. Freezing what survives the reset (the imported modules) keeps the
# garbage collector from walking pandas and matplotlib again after every notebook.
_RESET = ("import os as _os\n_os.chdir({cwd!r})\nget_ipython().reset(new_session=True)\n"
          "import gc as _gc\n_gc.freeze()\n")


# A batch's cells are not anyone's history: IPython would write each one to its SQLite file (shared by every kernel
# of the machine: a lock to wait for under load), at a tenth of a small cell's time.
_NO_HISTORY = ["--HistoryManager.hist_file=:memory:"]


class KernelSession:
    """A kernel started on first use and reused by every notebook run in it (``execute_notebook(...,
    session=)``, which calls ``prepare`` first); ``close`` shuts it down.

    ``log``: a file the kernel's own standard error goes to (start-up and shutdown notes); None: discarded.
    """

    def __init__(self, kernel_name: str, log: Path | None = None):
        self.kernel_name = kernel_name
        self.log = log
        self.manager = None
        self.client = None  # one connection for every run: connecting costs a fifth of a second each time
        self._log_handle = None
        self._ready = False
        self._sockets = None  # the private folder of the kernel's connection file and sockets
        self.pid = os.getpid()  # a forked child must not use its parent's kernel

    # ---- lifecycle ---------------------------------------------------------------------------------------
    def ensure_started(self, cwd: Path, wait: bool = True) -> None:
        """Start the kernel (again, when the last one died); ``wait``: until it answers. A kernel that dies or
        never answers while starting (its port taken by another process between being chosen and bound: the
        kernel then hangs) is replaced once before giving up."""
        from jupyter_core.utils import run_sync

        if self.manager is None or not run_sync(self.manager.is_alive)():
            self.close()
            self._start(cwd)
        if not wait or self._ready:
            return
        try:
            self._wait_until_ready()
        except RuntimeError:
            self.close(now=True)
            self._start(cwd)
            self._wait_until_ready()

    def _start(self, cwd: Path) -> None:
        from jupyter_client.manager import AsyncKernelManager
        from jupyter_core.utils import run_sync

        if self.log is not None:
            self._log_handle = open(self.log, "a", encoding="utf-8")  # noqa: SIM115 - lives with the kernel
        _remove_left_folders()
        self._sockets = Path(tempfile.mkdtemp(prefix=_FOLDER_PREFIX))
        with kernel_available(self.kernel_name) as name:
            self.manager = AsyncKernelManager(kernel_name=name, **_transport(self._sockets))
            run_sync(self.manager.start_kernel)(
                cwd=str(cwd), stderr=self._log_handle or subprocess.DEVNULL,
                extra_arguments=["--IPKernelApp.log_level=ERROR", *_NO_HISTORY])
        (self._sockets / _OWNER).write_text(str(self.manager.provisioner.pid), encoding="ascii")
        _track(self)
        self.client = self.manager.client()
        self.client.start_channels()
        self._ready = False

    def _wait_until_ready(self) -> None:
        from jupyter_core.utils import run_sync

        run_sync(self.client.wait_for_ready)(timeout=KERNEL_START_TIMEOUT)
        self._ready = True

    def warm(self, cwd: Path, code: str) -> None:
        """Start the kernel and have it run ``code`` (imports) without waiting: it gets ready while this
        process does something else, and the first ``prepare`` waits for it."""
        self.ensure_started(cwd, wait=False)
        # Queued until the kernel is listening; its reply is told apart from later ones by message id.
        self.client.execute(code, silent=True, store_history=False)

    def close(self, now: bool = False) -> None:
        """Shut the kernel down (``now``: kill it without asking, for one that does not answer)."""
        from jupyter_core.utils import run_sync

        manager, self.manager = self.manager, None
        client, self.client = self.client, None
        if self.pid != os.getpid():
            return  # a forked worker's copy: the kernel is its parent's to shut down
        if client is not None and not now and not self._ready:
            # A kernel closed while still starting (a batch stopped before its units): its channels' threads
            # are still opening their sockets, and pulling the connection from under them made one of them fail
            # with a traceback on the user's terminal. Let it finish starting first (it takes a second).
            with contextlib.suppress(RuntimeError, TimeoutError):
                run_sync(client.wait_for_ready)(timeout=CLOSING_WAIT)
        self._ready = False
        if client is not None:
            client.stop_channels()
        if manager is not None:
            _cancel_leftover_tasks()
            with contextlib.suppress(RuntimeError, OSError, TimeoutError):  # already gone: nothing to shut down
                run_sync(manager.shutdown_kernel)(now=now)
        if self._sockets is not None:
            shutil.rmtree(self._sockets, ignore_errors=True)
            self._sockets = None
        if self._log_handle is not None:
            self._log_handle.close()
            self._log_handle = None
            if self.log.exists() and not self.log.stat().st_size:
                self.log.unlink()  # a kernel that had nothing to say leaves no file behind

    def __enter__(self) -> KernelSession:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # ---- runs --------------------------------------------------------------------------------------------
    def prepare(self, cwd: Path) -> None:
        """A clean namespace in ``cwd`` for the next notebook (starting the kernel if need be)."""
        from jupyter_core.utils import run_sync

        self.ensure_started(cwd)
        reply = run_sync(self.client.execute_interactive)(_RESET.format(cwd=str(cwd)), store_history=False,
                                                          timeout=KERNEL_START_TIMEOUT, output_hook=_ignore)
        if reply["content"]["status"] != "ok":  # the kernel is unusable: the next run starts another
            self.close()
            raise RuntimeError(f"kernel reset failed: {reply['content'].get('evalue', '')}")


def _transport(folder: Path) -> dict:
    """How this process talks to its kernel: through Unix sockets in ``folder`` where there are any. Over TCP,
    jupyter_client picks free ports and the kernel binds them a second later: a kernel of another worker (or
    any program) may take one in between, and the kernel then hangs. Socket files in a private folder cannot
    be taken. Windows, and a folder whose path is too long for a socket's name, keep TCP."""
    connection_file = folder / "kernel.json"
    if os.name == "nt" or len(str(folder / "kernel-ipc-99999")) > _SOCKET_PATH_LIMIT:
        return {"connection_file": str(connection_file)}
    return {"connection_file": str(connection_file), "transport": "ipc"}


_FOLDER_PREFIX = "isoaudit-kernel-"
_OWNER = "kernel.pid"  # the kernel process a folder serves


def _remove_left_folders() -> None:
    """The folders of kernels that are gone without their process closing them (a worker killed, a batch
    stopped hard): each says which kernel it served; one whose kernel is not running is removed."""
    if os.name == "nt":
        return  # no signal 0 there to ask whether a process runs (os.kill would end it)
    for folder in Path(tempfile.gettempdir()).glob(_FOLDER_PREFIX + "*"):
        try:
            pid = int((folder / _OWNER).read_text(encoding="ascii"))
        except (OSError, ValueError):
            continue  # being made right now by another session, or not ours to judge
        if not _process_running(pid):
            shutil.rmtree(folder, ignore_errors=True)


def _process_running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # PermissionError: another user's process of that number
        return True
    return True


_SOCKET_PATH_LIMIT = 100  # bytes of a Unix socket's path: 104 on macOS, 108 on Linux, with the final NUL


def _cancel_leftover_tasks() -> None:
    """A run cut short (Ctrl-C in a one-job batch) leaves nbclient's cell task waiting on the kernel. Cancelled
    before the kernel goes, it neither reports the kernel's death nor leaves asyncio a traceback to print."""
    import asyncio

    from jupyter_core.utils import ensure_event_loop

    loop = ensure_event_loop()
    if loop.is_running():
        return
    leftovers = [task for task in asyncio.all_tasks(loop) if not task.done()]
    for task in leftovers:
        task.cancel()
    if leftovers:
        loop.run_until_complete(asyncio.gather(*leftovers, return_exceptions=True))


def _ignore(message) -> None:
    """Output of the reset code (there is none) is not wanted anywhere."""


# ---- one session per worker thread -------------------------------------------------------------------------
_local = threading.local()
_running: list[KernelSession] = []  # sessions of this process with a kernel started
_lock = threading.Lock()
_finalizer_pid = None


def worker_session(kernel_name: str, log: Path | None = None) -> KernelSession:
    """This thread's session (a batch runs units in several threads, a Dask worker may too), its
    kernel started on first use and shut down by ``close_worker_sessions`` or when the process exits. A
    session made for another log (another batch) or inherited from the parent of a forked worker is not
    reused."""
    session = getattr(_local, "session", None)
    if session is not None and (session.pid, session.kernel_name, session.log) == (os.getpid(), kernel_name, log):
        return session
    if session is not None and session.pid == os.getpid():
        session.close()
    session = _local.session = KernelSession(kernel_name, log)
    return session


def close_thread_session() -> None:
    """Shut down the kernel of this thread's session (a batch's lane, as it ends)."""
    session = getattr(_local, "session", None)
    if session is None:
        return
    with _lock:
        if session in _running:
            _running.remove(session)
    session.close()


def close_worker_sessions() -> None:
    """Shut down the kernel of every session of this process (a closed session starts again if used)."""
    with _lock:
        sessions = list(_running)
        _running.clear()
    for session in sessions:
        session.close()


def _track(session: KernelSession) -> None:
    global _finalizer_pid
    with _lock:
        if session not in _running:
            _running.append(session)
        if _finalizer_pid != os.getpid():
            # A pool's worker process leaves through multiprocessing's exit, which skips atexit handlers.
            multiprocessing.util.Finalize(None, close_worker_sessions, exitpriority=10)
            _finalizer_pid = os.getpid()


atexit.register(close_worker_sessions)
