"""The records folder a notebook parameter names, wherever the notebook's kernel runs."""
from __future__ import annotations

from pathlib import Path

from isoaudit.errors import RecordsError
from isoaudit.resources import REPOSITORY

NOTEBOOK_FOLDERS = ("audit", "management_review")  # notebooks/<name>/ of the repository


def find_records_folder(records, start=None) -> Path:
    """The records folder a notebook parameter names, found whether the kernel runs in the notebook's folder
    (JupyterLab, papermill) or above it (papermill from the repository root): an absolute path as given;
    a relative one under ``start`` (default: the working folder) or any of its parents, then under their
    ``notebooks/<name>/`` folders (so "../../sample_records" works from the root too), then beside the
    isoaudit package (an editable install). Raises ``RecordsError`` listing the places tried."""
    given = Path(records).expanduser()
    if given.is_absolute():
        return given
    start = Path(start or Path.cwd()).resolve()
    bases = list(dict.fromkeys([start, *start.parents, REPOSITORY]))
    candidates = [base / given for base in bases]
    candidates += [base / "notebooks" / name / given for base in bases for name in NOTEBOOK_FOLDERS]
    for candidate in candidates:
        if candidate.is_dir():
            return candidate.resolve()
    tried = list(dict.fromkeys(str(c.resolve()) for c in candidates))
    raise RecordsError("audit.records_not_found", path=str(records), tried="; ".join(tried[:6]))
