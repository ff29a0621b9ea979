"""What the audit form remembers for the person at this computer between sessions: their name as an auditor
and the unit they last audited in each records folder. Kept in a small JSON file of the user's configuration
folder (``settings_path``), never in the records: an audit file says who answered what, not who sat where.

Nothing here is essential: a settings file that cannot be read or written is ignored and the form asks again.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

from isoaudit.safety import atomic_write
from isoaudit.text import clean

CONFIG_ENV = "ISOAUDIT_CONFIG_DIR"  # another folder for the settings (tests, a shared machine's profiles)
SETTINGS_FILE = "settings.json"


def remembered_auditor() -> str:
    """The auditor's name typed last time on this account ('' when none)."""
    return clean(_read().get("auditor"))


def remember_auditor(name: str) -> None:
    """Keep ``name`` for the next session (an empty name is not kept)."""
    name = clean(name)
    if name:
        _update(auditor=name)


def remembered_unit(records_folder) -> str:
    """The unit last audited from ``records_folder`` ('' when none)."""
    return clean(_read().get("units", {}).get(_folder_key(records_folder)))


def remember_unit(records_folder, unit_code: str) -> None:
    settings = _read()
    units = settings.get("units") if isinstance(settings.get("units"), dict) else {}
    _update(units={**units, _folder_key(records_folder): clean(unit_code)})


def settings_path() -> Path:
    """``$ISOAUDIT_CONFIG_DIR/settings.json``, else the user's configuration folder for isoaudit
    (``platformdirs``; without it ``~/.config/isoaudit``)."""
    folder = os.environ.get(CONFIG_ENV)
    if not folder:
        try:
            from platformdirs import user_config_dir
        except ImportError:  # platformdirs comes with Jupyter; a bare install falls back to the XDG place
            folder = Path.home() / ".config" / "isoaudit"
        else:
            folder = user_config_dir("isoaudit", appauthor=False)
    return Path(folder) / SETTINGS_FILE


def _read() -> dict:
    try:
        settings = json.loads(settings_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return settings if isinstance(settings, dict) else {}


def _update(**changes) -> None:
    settings = {**_read(), **changes}
    try:
        with atomic_write(settings_path(), "w") as handle:
            json.dump(settings, handle, ensure_ascii=False, indent=1)
    except OSError:  # a read-only profile: the form still works, it only asks again next time
        pass


def _folder_key(records_folder) -> str:
    return str(Path(records_folder).expanduser().resolve())
