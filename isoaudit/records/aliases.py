"""Header aliases: which header text names which canonical column, kept as a CSV anyone can extend."""
from __future__ import annotations

import csv
import io
from functools import lru_cache
from importlib import resources
from pathlib import Path

from isoaudit.text import fold

ALIAS_FILE = "column_aliases.csv"


def alias_table(kind: str, extra_file: str | Path | None = None, mapping: dict | None = None) -> dict[str, str]:
    """Folded header text -> canonical column for ``kind``.

    Sources, later ones winning: the bundled table, the records folder's ``column_aliases.csv`` and the
    caller's ``mapping`` ({header as in the file: canonical column}).
    """
    table = dict(_bundled().get(kind, {}))
    if extra_file is not None and Path(extra_file).is_file():
        table.update(_parse(Path(extra_file).read_text(encoding="utf-8-sig")).get(kind, {}))
    for header, column in (mapping or {}).items():
        table[fold(header)] = column
    return table


@lru_cache(maxsize=1)
def _bundled() -> dict[str, dict[str, str]]:
    text = resources.files("isoaudit.data").joinpath(ALIAS_FILE).read_text(encoding="utf-8")
    return _parse(text)


def _parse(text: str) -> dict[str, dict[str, str]]:
    tables: dict[str, dict[str, str]] = {}
    for row in csv.DictReader(io.StringIO(text)):
        kind, column, alias = (row.get(k, "") or "" for k in ("kind", "column", "alias"))
        if kind and column and alias:
            tables.setdefault(kind.strip(), {})[fold(alias)] = column.strip()
    return tables
