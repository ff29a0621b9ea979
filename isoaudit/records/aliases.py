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

A folder's file is read as any records CSV is (UTF-8 with or without BOM, UTF-16, Windows-1258/1252; commas,
semicolons or tabs), once per version of the file (``read_alias_file``). Each line that cannot be used is
left out and reported with its line number (``AliasFile.problems``): too few or too many cells, a kind or a
column isoaudit does not have (a column only another kind has is the planned case above: no problem), an
empty alias, a priority that is not a whole number. A file that cannot be read at all is one error.
"""
from __future__ import annotations

import csv
import difflib
import io
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache, lru_cache
from importlib import resources
from pathlib import Path

from isoaudit import schema
from isoaudit.errors import RecordsError
from isoaudit.problems import ERROR, Problem
from isoaudit.records.grid import open_grid
from isoaudit.records.memo import remembered
from isoaudit.text import clean, fold

ALIAS_FILE = "column_aliases.csv"
SKIP = "skip"  # recognised, not record data (signatures): left out without a word
UNUSED = "unused"  # recognised record data without a canonical column: left out, and reported
MARKERS = (SKIP, UNUSED)
DEFAULT_PRIORITY = 50
MAPPING_PRIORITY = 1000  # the caller said so for this very file
MEANINGS_KEPT = 4096  # cells an alias table remembers the meaning of: a province's headers, a few files' heads
FIELDS = ("kind", "column", "alias", "parent", "priority")  # the header of an alias file
REQUIRED_FIELDS = FIELDS[:3]
_ALL_COLUMNS = frozenset(c.name for columns in schema.KINDS.values() for c in columns) | set(MARKERS)

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
    _known: dict = field(default_factory=dict, init=False, repr=False, compare=False)  # cell -> meaning

    @classmethod
    def plain(cls, table: Mapping[str, str]) -> Aliases:
        """From a plain {folded header: column} table (the checklist's, the calendar's ...)."""
        return cls({("", key): Meaning(column) for key, column in table.items()})

    def meaning(self, header, parent="") -> Meaning | None:
        """The meaning of the header cell ``header`` written under ``parent`` (a merged header, or "")."""
        # Remembered: every file of a province shows the same header texts, and a head's cells are looked at
        # once a row and again with the rows around it. Keyed by type too: 1 and 1.0 fold differently.
        return remembered(self._known, (type(header), header, type(parent), parent),
                          lambda: self._meaning(header, parent), MEANINGS_KEPT)

    def _meaning(self, header, parent) -> Meaning | None:
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
            for under in self._parents_heading(variants):
                rest = [v[len(under) + 1:] for v in variants if v.startswith(under + " ")]
                found = self._first(under, rest) if rest else None
                if found is not None:
                    break
        return found

    def _parents_heading(self, variants: tuple[str, ...]) -> list[str]:
        """The parents some variant starts with (then a space), in the order of ``parents``: found by the
        variants' word prefixes, not by trying every parent on every body cell of a head."""
        prefixes = set()
        for variant in variants:
            space = variant.find(" ")
            while space > 0:
                prefixes.add(variant[:space])
                space = variant.find(" ", space + 1)
        heading = prefixes & self.parents
        return [p for p in self.parents if p in heading] if len(heading) > 1 else list(heading)

    def _first(self, parent: str, variants: Iterable[str]) -> Meaning | None:
        for key in variants:
            found = self.meanings.get((parent, key))
            if found is not None:
                return found
        return None


Row = tuple[str, str, str, int]  # (folded parent, folded alias, column, priority)


@dataclass(frozen=True)
class AliasFile:
    """A folder's ``column_aliases.csv`` as read: its usable rows by kind, and a problem for each line left out
    (or the one error that kept the whole file from being read)."""

    rows: Mapping[str, tuple[Row, ...]]
    problems: tuple[Problem, ...] = ()


def alias_table(kind: str, extra_file: str | Path | None = None, mapping: dict | None = None) -> Aliases:
    """The header meanings for ``kind``: the caller's ``mapping`` ({header as in the file: canonical column}),
    then the records folder's ``column_aliases.csv`` (``extra_file``), then the bundled table. The same table
    (and what it learnt of the cells it was asked about) for each version of the alias file."""
    version = None if extra_file is None else _file_version(Path(extra_file))
    try:
        return _alias_table(kind, version, tuple((mapping or {}).items()))
    except TypeError:  # a mapping that cannot key a cache
        return _made_alias_table(kind, version, mapping)


@lru_cache(maxsize=32)  # a few kinds, for a version or two of a folder's alias file
def _alias_table(kind: str, version: tuple | None, mapping: tuple) -> Aliases:
    return _made_alias_table(kind, version, dict(mapping))


def _made_alias_table(kind: str, version: tuple | None, mapping: dict | None) -> Aliases:
    """``alias_table`` for the alias file's ``version`` (``_file_version``)."""
    known = {c.name for c in schema.KINDS.get(kind, ())} | set(MARKERS)
    sources = [[("", fold(header), column, MAPPING_PRIORITY) for header, column in (mapping or {}).items()]]
    if version:  # a folder's alias file that is there
        sources.append(_read_alias_file(*version).rows.get(kind, ()))
    sources.append(_bundled().get(kind, ()))
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


def read_alias_file(path: str | Path) -> AliasFile:
    """A folder's alias file (see the module docstring); nothing for a path that is not a file. Read once for
    each version of the file (its modification time and size), however many kinds and files ask for it."""
    version = _file_version(Path(path))
    return _read_alias_file(*version) if version else AliasFile({})


def _file_version(path: Path) -> tuple:
    """(resolved path, modification time, size) of the file ``path``; () when it is not a file."""
    try:
        stat = path.stat()
    except OSError:
        return ()
    if not path.is_file():
        return ()
    return str(path.resolve()), stat.st_mtime_ns, stat.st_size


def alias_file_problems(path: str | Path | None) -> tuple[Problem, ...]:
    """The problems of the alias file ``path`` (none without one): lines left out, or why it cannot be read."""
    return read_alias_file(path).problems if path is not None else ()


@cache
def typical_header(kind: str, column: str) -> str:
    """The header people usually write for ``column`` of ``kind`` (the first Vietnamese alias of the bundled
    table), so that a message names a column as a user would look for it; the column's name without one."""
    aliases = [row["alias"].strip() for row in csv.DictReader(io.StringIO(_bundled_text()))
               if row["kind"] == kind and row["column"] == column and row["alias"].strip() != column]
    vietnamese = [alias for alias in aliases if not alias.isascii()]
    return (vietnamese or aliases or [column])[0]


@lru_cache(maxsize=1)
def _bundled() -> dict[str, tuple[Row, ...]]:
    # isoaudit's own file: its planned columns are meant (see test_real_layouts), so its problems are not shown.
    rows = enumerate(csv.reader(io.StringIO(_bundled_text())), start=1)
    return _parse(rows, ALIAS_FILE)[0]


@lru_cache(maxsize=1)
def _bundled_text() -> str:
    return resources.files("isoaudit.data").joinpath(ALIAS_FILE).read_text(encoding="utf-8")


@lru_cache(maxsize=16)
def _read_alias_file(path: str, mtime_ns: int, size: int) -> AliasFile:
    """``read_alias_file`` for one version of the file (the arguments after ``path`` key the cache)."""
    name = Path(path).name
    rows = None
    try:
        grid = open_grid(path)
        rows = grid.rows
        found, problems = _parse(enumerate(rows, start=grid.first_row), name)
    except RecordsError as error:
        if error.code == "empty_file":  # nothing declared, nothing wrong
            return AliasFile({})
        if error.code == "csv_not_utf8":
            line = error.params.get("line") or 1
            return AliasFile({}, (Problem("alias_file_undecodable", file=name, row=line, severity=ERROR,
                                          params={"line": line}),))
        return AliasFile({}, (Problem("alias_file_unreadable", file=name, row=error.params.get("row"),
                                      severity=ERROR, params={"reason_vi": error.message("vi"),
                                                              "reason_en": error.message("en")}),))
    finally:
        getattr(rows, "close", lambda: None)()  # a CSV's rows hold the file open until closed
    return AliasFile({kind: tuple(kind_rows) for kind, kind_rows in found.items()}, tuple(problems))


def _parse(lines, name: str) -> tuple[dict[str, list[Row]], list[Problem]]:
    """The rows of an alias file by kind, from ``lines`` ((line number, cells) from the first line on), and a
    warning for each line left out; three-column files included."""
    tables: dict[str, list[Row]] = {}
    problems: list[Problem] = []
    header = None
    for line, cells in lines:
        cells = [clean(cell) for cell in cells]
        if not any(cells):
            continue
        if header is None:
            header = {cell.lower(): index for index, cell in reversed(list(enumerate(cells))) if cell}
            missing = [field for field in REQUIRED_FIELDS if field not in header]
            if missing:
                problems.append(Problem("alias_header", file=name, row=line, params={
                    "line": line, "missing": ", ".join(missing), "found": ", ".join(c for c in cells if c)}))
                return {}, problems  # which cell is which cannot be known: nothing of the file is used
            width = max(header.values()) + 1
            titles = ",".join(cells[:width])
            continue
        row = _row(cells, header, width, titles, line, name, problems)
        if row is not None:
            kind, parent, alias, column, rank = row
            tables.setdefault(kind, []).append((fold(parent), fold(alias), column, rank))
    return tables, problems


def _row(cells, header, width, titles, line, name, problems):
    """(kind, parent, alias, column, priority) of one line of an alias file, or None with the problems that
    leave it out appended to ``problems``."""
    needed = max(header[field] for field in REQUIRED_FIELDS) + 1
    filled = max(index + 1 for index, cell in enumerate(cells) if cell)  # Excel pads rows with empty cells
    if len(cells) < needed or filled > width:
        problems.append(Problem("alias_fields", file=name, row=line, params={
            "line": line, "count": min(len(cells), filled), "expected": width, "header": titles}))
        return None
    kind, column, alias, parent, priority = (cells[header[field]] if field in header and header[field] < len(cells)
                                             else "" for field in FIELDS)
    kind, column = kind.lower(), column.lower()
    found = []
    if kind not in schema.KINDS:
        found.append(Problem("alias_kind", file=name, row=line, column="kind", value=kind,
                             params={"line": line, "kinds": ", ".join(schema.KINDS)}))
    if column not in _ALL_COLUMNS:
        if kind in schema.KINDS:  # the kind's columns nearest to what was written (all would not fit a line)
            names = [c.name for c in schema.KINDS[kind]]
            near = difflib.get_close_matches(column, names, n=2, cutoff=0.6) or names[:2]
            found.append(Problem("alias_column", file=name, row=line, column="column", value=column,
                                 params={"line": line, "kind": kind, "columns": ", ".join(near)}))
        else:
            found.append(Problem("alias_column_any", file=name, row=line, column="column", value=column,
                                 params={"line": line}))
    if not fold(alias):
        found.append(Problem("alias_empty", file=name, row=line, column="alias", value=alias, params={"line": line}))
    rank = _priority(priority)
    if rank is None:
        found.append(Problem("alias_priority", file=name, row=line, column="priority", value=priority,
                             params={"line": line, "default": DEFAULT_PRIORITY}))
    problems += found
    return None if found else (kind, parent, alias, column, rank)


def _priority(text: str) -> int | None:
    """The priority written (a whole number; 60.0 as a spreadsheet may store it), DEFAULT_PRIORITY when empty."""
    if not text:
        return DEFAULT_PRIORITY
    try:
        return int(text)
    except ValueError:
        pass
    try:
        number = float(text)
    except ValueError:
        return None
    return int(number) if number.is_integer() else None


@lru_cache(maxsize=4096)  # the same header texts come back file after file
def _variants(text) -> tuple[str, ...]:
    """Folded forms a header may match by: as written, without a part in parentheses, without numbering."""
    key = fold(text)
    variants = [key] if key else []
    bare = _PARENTHESES.sub(" ", str(text))
    # The same text (nothing in parentheses) folds the same: a body cell of a head is not folded twice.
    without_parentheses = key if isinstance(text, str) and bare == text else fold(bare)
    for other in (without_parentheses, _NUMBERING.sub("", key).strip()):
        if other and other not in variants:
            variants.append(other)
    return tuple(variants)
