"""A unit's log: what is said on standard error while a unit runs goes to that unit's log, not to the user's
terminal, and not into the log of a unit another thread of the same process runs beside it.

Units run side by side in threads of one process (a batch's lanes, a Dask worker's threads), so standard error
cannot be redirected for the whole process as one unit's. While any unit runs, ``sys.stderr`` is a stream that
hands each write to the log of the unit its thread runs, or, in a thread running none (the progress bar), to the
stream it replaced. A unit's kernel says what it has to say in its own log (``kernel_session``).
"""
from __future__ import annotations

import io
import sys
import threading
from contextlib import contextmanager
from pathlib import Path

_current = threading.local()  # .handle: the log of the unit this thread runs
_lock = threading.Lock()
_installed: list = []  # [the router, the stream it replaced] while units run; [] otherwise
_users = 0  # units running now


class _ThreadRoutedStream(io.TextIOBase):
    """``sys.stderr`` while units run: each write goes to the log of the writing thread's unit, if any."""

    def __init__(self, fallback):
        self.fallback = fallback

    def _target(self):
        handle = getattr(_current, "handle", None)
        return self.fallback if handle is None else handle

    def write(self, text: str) -> int:
        return self._target().write(text)

    def flush(self) -> None:
        self._target().flush()

    def writable(self) -> bool:
        return True

    def isatty(self) -> bool:
        return self._target() is self.fallback and self.fallback.isatty()

    @property
    def encoding(self):
        return getattr(self.fallback, "encoding", "utf-8")

    def fileno(self) -> int:
        return self.fallback.fileno()


@contextmanager
def unit_log(path: Path):
    """While the block runs, what this thread says on standard error is appended to ``path``."""
    global _users
    with open(path, "a", encoding="utf-8") as handle:
        with _lock:
            if not _installed:
                _installed[:] = [_ThreadRoutedStream(sys.stderr), sys.stderr]
                sys.stderr = _installed[0]
            _users += 1
        saved, _current.handle = getattr(_current, "handle", None), handle
        try:
            yield
        finally:
            _current.handle = saved
            handle.flush()
            with _lock:
                _users -= 1
                if not _users:
                    router, replaced = _installed
                    if sys.stderr is router:  # another program may have replaced it meanwhile: leave theirs
                        sys.stderr = replaced
                    _installed.clear()


def note(text: str) -> None:
    """A line of the log of the unit this thread runs (on standard error when it runs none)."""
    handle = getattr(_current, "handle", None) or sys.stderr
    handle.write(text.rstrip() + "\n")
    handle.flush()
