"""Every exception isoaudit raises. Problems inside records are values (see ``problems``), not exceptions."""
from __future__ import annotations

from isoaudit.i18n import message


class IsoauditError(Exception):
    """Base of all isoaudit errors. ``code`` and ``params`` word the message in any language."""

    def __init__(self, code: str, **params):
        self.code = code
        self.params = params
        super().__init__(self.message("en"))

    def message(self, lang: str = "vi") -> str:
        return message(self.code, lang, **self.params)


class RecordsError(IsoauditError):
    """A records folder or file cannot be used at all."""


class ChecklistError(IsoauditError):
    """A checklist file is broken."""


class WorksheetError(IsoauditError):
    """A filled-in worksheet was altered or is incomplete."""


class OutputPathError(IsoauditError):
    """An output path would leave the output folder."""
