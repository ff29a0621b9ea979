"""Every exception isoaudit raises, and the exit codes the ``isoaudit`` command ends with.

Problems inside records are values (see ``problems``), not exceptions. An error of the operating system (a
file locked by Excel, a full disk, a folder without write permission) becomes a ``FileAccessError`` through
``file_access_error``, worded for a user instead of Python's English.
"""
from __future__ import annotations

import errno

from isoaudit.i18n import message, process_lang

# Exit codes of the ``isoaudit`` command, documented in the README ("Mã thoát").
EXIT_OK = 0
EXIT_PROBLEMS = 1  # the command ran; what it checked has errors (validate), or some units failed (batch)
EXIT_INPUT = 2  # the command could not run on what it was given: options, records, worksheets
EXIT_FILES = 3  # a file or folder could not be read or written: permissions, locked, disk full
EXIT_SERVICE = 4  # a service it needs cannot be reached: the Dask scheduler
EXIT_INTERNAL = 70  # a defect of isoaudit itself; the details go to a crash log
EXIT_INTERRUPTED = 130  # Ctrl-C


class IsoauditError(Exception):
    """Base of all isoaudit errors. ``code`` and ``params`` word the message in any language."""

    exit_code = EXIT_INPUT

    def __init__(self, code: str, **params):
        self.code = code
        self.params = params
        super().__init__(code)

    def __str__(self) -> str:  # what a traceback or a notebook shows: the message, in the process's language
        return self.message(process_lang())

    def message(self, lang: str = "vi") -> str:
        return message(self.code, lang, **self.params)

    def _render_traceback_(self) -> list[str]:  # IPython (a notebook) shows the message, not a traceback
        return str(self).splitlines()

    def __reduce__(self):  # crosses to and from worker processes with its code and parameters
        return _rebuild, (type(self), self.code, self.params)


def _rebuild(cls, code: str, params: dict) -> IsoauditError:
    return cls(code, **params)


class RecordsError(IsoauditError):
    """A records folder or file cannot be used at all."""


class ChecklistError(IsoauditError):
    """A checklist file is broken."""


class WorksheetError(IsoauditError):
    """A filled-in worksheet was altered or is incomplete."""


class OutputPathError(IsoauditError):
    """An output path would leave the output folder."""


class FileAccessError(IsoauditError):
    """A file or folder the system would not let isoaudit read or write."""

    exit_code = EXIT_FILES


class ServiceError(IsoauditError):
    """A service isoaudit needs (the Dask scheduler) cannot be reached or used."""

    exit_code = EXIT_SERVICE


# errno -> message code; what is not here is worded with the system's own reason (``system.other``).
_ERRNO_CODES = {
    errno.EACCES: "system.no_access", errno.EPERM: "system.no_access", errno.EBUSY: "system.locked",
    errno.ENOSPC: "system.disk_full", errno.EDQUOT: "system.disk_full", errno.EROFS: "system.read_only",
    errno.ENOENT: "system.not_found", errno.EISDIR: "system.is_folder", errno.ENOTDIR: "system.not_folder",
    errno.EEXIST: "system.exists", errno.ENAMETOOLONG: "system.name_too_long", errno.EMFILE: "system.too_many_files",
}
# Windows: another program (Excel) holds the file open; Python reports these as PermissionError.
_WINDOWS_LOCKED = {32, 33}  # ERROR_SHARING_VIOLATION, ERROR_LOCK_VIOLATION


def user_error(error: BaseException) -> IsoauditError | None:
    """``error`` as an error worded for a user: isoaudit's own as it is, an operating-system refusal (a locked
    file, a full disk) as a ``FileAccessError``; None for anything else (a defect, to be logged as such)."""
    if isinstance(error, IsoauditError):
        return error
    if isinstance(error, OSError) and (error.filename is not None or error.errno is not None):
        return file_access_error(error)
    return None


def file_access_error(error: OSError) -> FileAccessError:
    """``error`` (an ``OSError``) as a ``FileAccessError`` naming the file and saying what to do."""
    path = error.filename if error.filename is not None else ""
    if getattr(error, "winerror", None) in _WINDOWS_LOCKED:
        code = "system.locked"
    else:
        code = _ERRNO_CODES.get(error.errno, "system.other")
    reason = error.strerror or type(error).__name__
    return FileAccessError(code, path=str(path), reason=reason)


def isoaudit_error_names() -> set[str]:
    """The class names of every isoaudit error (to recognise one reported by name from a notebook's kernel)."""
    names, pending = set(), [IsoauditError]
    while pending:
        cls = pending.pop()
        names.add(cls.__name__)
        pending.extend(cls.__subclasses__())
    return names
