"""Header aliases: which header text names which canonical column, kept as a CSV anyone can extend.

``isoaudit/data/column_aliases.csv`` (and a records folder's own ``column_aliases.csv``) has the columns
``kind,column,alias`` and, optionally, ``parent,priority``:

- ``alias``: a header as people write it. It matches whatever the case, diacritics (with or without, NFC or
  NFD), punctuation, line breaks and double spaces, a numbering in parentheses or a trailing ":".
- ``parent``: the merged header above the sub-column, when the sub-column's meaning depends on it: "Ngày nhận
  kết quả" under "Trả kết quả" is the return date, elsewhere the day the result came back from the handling
  agency. Empty: under any header or none (a row with a parent wins over one without).
- ``priority``: when two columns of one file could give the same canonical column, the one with the higher
  priority is read and the other reported as not read ("Chủ hồ sơ" before "Người nộp"). Empty: 50. For one
  header text, the row with the highest priority among those naming a column the kind has is its meaning.
- ``column``: a canonical column of ``kind`` (``isoaudit.schema``), or ``skip`` (not record data: signature
  columns) or ``unused`` (record data isoaudit has no column for: read nowhere, and the user is told). A row
  naming a column the kind does not have is passed over, so a column planned for the schema can be named
  ahead of time with a lower-priority stand-in ("Ngày nộp hồ sơ": ``submitted_at``, else ``unused``).

A folder's file and a caller's ``mapping`` replace the bundled meaning of the headers they name; a mapping
outranks every alias and applies under any parent.
"""
from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

from isoaudit import schema
from isoaudit.text import fold

ALIAS_FILE = "column_aliases.csv"
SKIP = "skip"  # recognised, not record data (signatures): left out without a word
UNUSED = "unused"  # recognised record data without a canonical column: left out, and reported
MARKERS = (SKIP, UNUSED)
DEFAULT_PRIORITY = 50
MAPPING_PRIORITY = 1000  # the caller said so for this very file

_PARENTHESES = re.compile(r"\([^)]*\)")
_NUMBERING = re.compile(r"^(?:\d{1,2} )+|(?: \d{1,2})+$")  # "1. Mã hồ sơ", "Mã hồ sơ (2)" once folded


@dataclass(frozen=True)
class Meaning:
    """What a header cell names: a canonical column (or ``SKIP``/``UNUSED``) and how sure that is."""

    column: str
    priority: int = DEFAULT_PRIORITY

    @property
    def is_data(self) -> bool:
        return self.column not in MARKERS


@dataclass(frozen=True)
class Aliases:
    """Header text -> meaning, optionally under a parent header; see the module docstring."""

    meanings: Mapping[tuple[str, str], Meaning]  # (folded parent or "", folded header) -> meaning
    parents: frozenset[str] = frozenset()  # folded parents some alias depends on

    @classmethod
    def plain(cls, table: Mapping[str, str]) -> Aliases:
        """From a plain {folded header: column} table (the checklist's, the calendar's ...)."""
        return cls({("", key): Meaning(column) for key, column in table.items()})

    def meaning(self, header, parent="") -> Meaning | None:
        """The meaning of the header cell ``header`` written under ``parent`` (a merged header, or "")."""
        variants = _variants(header)
        anywhere = self._first("", variants)
        if anywhere is not None and anywhere.priority >= MAPPING_PRIORITY:
            return anywhere  # the caller's mapping, whatever the parent
        for under in _variants(parent) if parent else ():
            found = self._first(under, variants)
            if found is not None:
                return found
        found = anywhere
        if found is None and not parent:  # a two-row header flattened into one cell: "Trả kết quả - Ngày nhận"
            for under in self.parents:
                rest = [v[len(under) + 1:] for v in variants if v.startswith(under + " ")]
                found = self._first(under, rest) if rest else None
                if found is not None:
                    break
        return found

    def _first(self, parent: str, variants: Iterable[str]) -> Meaning | None:
        for key in variants:
            found = self.meanings.get((parent, key))
            if found is not None:
                return found
        return None


def alias_table(kind: str, extra_file: str | Path | None = None, mapping: dict | None = None) -> Aliases:
    """The header meanings for ``kind``: the caller's ``mapping`` ({header as in the file: canonical column}),
    then the records folder's ``column_aliases.csv`` (``extra_file``), then the bundled table."""
    known = {c.name for c in schema.KINDS.get(kind, ())} | set(MARKERS)
    sources = [[("", fold(header), column, MAPPING_PRIORITY) for header, column in (mapping or {}).items()]]
    if extra_file is not None and Path(extra_file).is_file():
        sources.append(_parse(Path(extra_file).read_text(encoding="utf-8-sig")).get(kind, []))
    sources.append(_bundled().get(kind, []))
    meanings: dict[tuple[str, str], Meaning] = {}
    for rows in sources:
        named: dict[tuple[str, str], Meaning] = {}
        for parent, header, column, priority in rows:
            key = (parent, header)
            if not header or key in meanings or column not in known:
                continue
            if key not in named or priority > named[key].priority:  # ties: the first row
                named[key] = Meaning(column, priority)
        meanings.update(named)
    return Aliases(meanings, frozenset(parent for parent, _ in meanings if parent))


@lru_cache(maxsize=None)
def typical_header(kind: str, column: str) -> str:
    """The header people usually write for ``column`` of ``kind`` (the first Vietnamese alias of the bundled
    table), so that a message names a column as a user would look for it; the column's name without one."""
    aliases = [row["alias"].strip() for row in csv.DictReader(io.StringIO(_bundled_text()))
               if row["kind"] == kind and row["column"] == column and row["alias"].strip() != column]
    vietnamese = [alias for alias in aliases if not alias.isascii()]
    return (vietnamese or aliases or [column])[0]


@lru_cache(maxsize=1)
def _bundled() -> dict[str, list[tuple[str, str, str, int]]]:
    return _parse(_bundled_text())


@lru_cache(maxsize=1)
def _bundled_text() -> str:
    return resources.files("isoaudit.data").joinpath(ALIAS_FILE).read_text(encoding="utf-8")


def _parse(text: str) -> dict[str, list[tuple[str, str, str, int]]]:
    """kind -> rows (folded parent, folded alias, column, priority) of an alias file, three-column files
    included."""
    tables: dict[str, list] = {}
    for row in csv.DictReader(io.StringIO(text)):
        kind, column, alias, parent, priority = ((row.get(k) or "").strip()
                                                 for k in ("kind", "column", "alias", "parent", "priority"))
        if kind and column and alias:
            try:
                rank = int(priority) if priority else DEFAULT_PRIORITY
            except ValueError:
                rank = DEFAULT_PRIORITY
            tables.setdefault(kind, []).append((fold(parent), fold(alias), column, rank))
    return tables


@lru_cache(maxsize=4096)  # the same header texts come back file after file
def _variants(text) -> tuple[str, ...]:
    """Folded forms a header may match by: as written, without a part in parentheses, without numbering."""
    key = fold(text)
    variants = [key] if key else []
    for other in (fold(_PARENTHESES.sub(" ", str(text))), _NUMBERING.sub("", key).strip()):
        if other and other not in variants:
            variants.append(other)
    return tuple(variants)
