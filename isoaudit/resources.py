"""Files isoaudit ships beside its package: the notebooks and the bundled checklist.

In a clone (``pip install -e .``) they are read where they stand in the repository, so an edit to a notebook
is what the next batch runs. A regular install (``pip install .`` or a wheel) copies them to
``<prefix>/share/isoaudit/`` (``[tool.setuptools.data-files]`` in pyproject.toml), where they are found next.
"""
from __future__ import annotations

import sys
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[1]
INSTALLED = Path(sys.prefix) / "share" / "isoaudit"


def shipped_file(*parts: str) -> Path:
    """The shipped file at ``parts`` (e.g. "notebooks", "audit", "clause_audit.ipynb"): the repository's copy
    when there is one, else the installed copy; the repository path when neither exists (for the message)."""
    for base in (REPOSITORY, INSTALLED):
        candidate = base.joinpath(*parts)
        if candidate.exists():
            return candidate
    return REPOSITORY.joinpath(*parts)
