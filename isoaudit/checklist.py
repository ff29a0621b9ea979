"""The internal-audit checklist: questions per ISO 9001:2015 clause, bilingual, kept in a file auditors edit.

``load_checklist`` reads the bundled ``checklists/iso9001_hcc.csv`` or an auditor's edited copy (CSV, or the
workbook written by ``isoaudit.workbooks.checklist_workbook.export_checklist_xlsx``), checks every row and
raises one ``ChecklistError`` listing every problem, with its row, item and column.

Canonical columns of a checklist frame (all pandas ``string``, <NA> where empty), in this order:

- ``id``: item code, unique, e.g. ``8.5.3-01``
- ``clause``: ISO 9001:2015 clause or sub-clause, one of ``isoaudit/data/iso9001_clauses.csv``
- ``clause_title_vi``, ``clause_title_en``: clause heading (taken from the clause list when left empty)
- ``question_vi``, ``question_en``: what the auditor asks
- ``evidence_vi``, ``evidence_en``: what to look at to answer it
- ``levels``: where it applies, ``province``, ``district``, ``commune`` joined by ``;`` in that order
- ``evidence_key``: empty, or one key of ``isoaudit/data/evidence_keys.csv`` that the records can answer
- ``clause_title``, ``question``, ``evidence``: the same texts in the language asked for (falling back to
  the other language where a translation is missing)

A checklist's edition (the standard it follows, e.g. ISO 9001:2015 with Amendment 1:2024) is kept beside it in
``<name>.meta.toml`` (``iso9001_hcc.meta.toml`` for the bundled one), so that the items file stays a plain
table Excel saves as it found it; ``checklist_edition`` reads it, and a checklist without one has an unknown
edition.
"""
from __future__ import annotations

import hashlib
import tomllib
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from importlib import resources
from pathlib import Path

import pandas as pd

from isoaudit.errors import ChecklistError, RecordsError
from isoaudit.i18n import LANGS, check_lang, format_date, label, message
from isoaudit.problems import ERROR, Problem
from isoaudit.records.convert import to_text
from isoaudit.records.grid import SPREADSHEET_SUFFIXES, open_grid
from isoaudit.records.header import find_header
from isoaudit.records.units import answering_level
from isoaudit.records.vocabulary import canonical_words
from isoaudit.resources import shipped_file
from isoaudit.safety import restore_neutralised
from isoaudit.text import fold, fold_series

COLUMNS = ("id", "clause", "clause_title_vi", "clause_title_en", "question_vi", "question_en",
           "evidence_vi", "evidence_en", "levels", "evidence_key")
LANG_COLUMNS = ("clause_title", "question", "evidence")
LEVELS = ("province", "district", "commune")
REQUIRED = ("id", "clause", "levels")
QUESTION_COLUMNS = ("question_vi", "question_en")
BUNDLED = shipped_file("checklists", "iso9001_hcc.csv")

META_SUFFIX = ".meta.toml"

# The checklist knows three levels, the unit registry four (a ward answers the commune items).
_CHECKLIST_LEVELS = ("province", "district", "commune")
_SEPARATORS = r"\s*[;,|/\n]\s*"


def load_checklist(path=None, lang: str = "vi", sheet=None) -> pd.DataFrame:
    """The checklist in ``path`` (the bundled one by default) as a frame of canonical columns.

    Reads CSV (UTF-8) or a workbook (the sheet named like the export's checklist sheet, else the first one;
    or ``sheet``). Raises ``ChecklistError`` naming every broken row and column at once.
    """
    check_lang(lang)
    path = Path(path) if path is not None else BUNDLED
    try:
        content = hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return _read_checklist(path, lang, sheet)  # _open_grid says why it cannot be read
    # A batch worker opens the same checklist for every unit: parsed once while its bytes are the same.
    frame = _kept_checklist(str(path.absolute()), content, lang, sheet)
    return frame.copy(deep=False)  # copy-on-write: a caller's change never reaches the kept frame


@lru_cache(maxsize=8)
def _kept_checklist(path: str, content: str, lang: str, sheet) -> pd.DataFrame:
    return _read_checklist(Path(path), lang, sheet)


def _read_checklist(path: Path, lang: str, sheet) -> pd.DataFrame:
    try:
        grid = _open_grid(path, sheet)
        rows = list(grid.rows)
    except RecordsError as exc:
        raise ChecklistError(exc.code, **exc.params) from None
    frame, labels, problems = _read_items(rows, grid.first_row, path.name, grid.sheet)
    if frame is not None:
        problems += _validate(frame, labels, path.name, grid.sheet)
    if problems:
        raise ChecklistError("checklist.invalid", file=path.name, count=len(problems),
                             details_vi=_details(problems, "vi"), details_en=_details(problems, "en"),
                             problems=problems)
    return _finish(frame, lang)


@dataclass(frozen=True)
class ChecklistEdition:
    """What a checklist's ``<name>.meta.toml`` declares: ``edition`` (the standard and amendments it follows),
    ``updated`` (the day its questions were last revised) and ``items`` (its number of questions then); each
    None when not declared."""

    edition: str | None = None
    updated: date | None = None
    items: int | None = None

    def describe(self, lang: str = "vi") -> str:
        """The edition as a report shows it, with its revision date; "không rõ phiên bản" when unknown."""
        if not self.edition:
            return label("checklist.edition_unknown", lang)
        if self.updated is None:
            return self.edition
        return label("checklist.edition_dated", lang, edition=self.edition, date=format_date(self.updated, lang))


def checklist_edition(path=None) -> ChecklistEdition:
    """The edition declared beside the checklist ``path`` (the bundled one by default) in ``<name>.meta.toml``;
    an empty ``ChecklistEdition`` when there is no such file. Raises ``ChecklistError`` when it cannot be read."""
    meta = edition_path(path)
    if not meta.is_file():
        return ChecklistEdition()
    try:
        with meta.open("rb") as handle:
            data = tomllib.load(handle)
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ChecklistError("checklist.bad_edition", file=meta.name, reason=str(exc)) from None
    edition, updated, items = data.get("edition"), data.get("updated"), data.get("items")
    for key, value, kind in (("edition", edition, str), ("updated", updated, date), ("items", items, int)):
        if value is not None and (not isinstance(value, kind) or isinstance(value, bool)):
            raise ChecklistError("checklist.bad_edition_field", file=meta.name, key=key)
    if isinstance(updated, datetime):  # a TOML date-time: its day is what counts
        updated = updated.date()
    return ChecklistEdition((edition or "").strip() or None, updated, items)


def edition_path(path=None) -> Path:
    """Where the edition of the checklist ``path`` is declared: ``<name>.meta.toml`` in its folder."""
    path = Path(path) if path is not None else BUNDLED
    return path.with_name(path.stem + META_SUFFIX)


def checklist_for_level(checklist: pd.DataFrame, level: str) -> pd.DataFrame:
    """The items that apply to units of ``level`` (province, district, commune; a ward counts as a commune).

    Vietnamese level names of the unit registry (tỉnh, huyện, xã, phường...) are accepted too.
    """
    code = _checklist_level(level)
    applies = checklist["levels"].str.contains(rf"(?:^|;){code}(?:;|$)", regex=True).fillna(False)
    return checklist[applies.astype(bool)].reset_index(drop=True)


def clause_coverage(checklist: pd.DataFrame, lang: str = "vi") -> pd.DataFrame:
    """Which clauses the checklist covers: one row per clause of the clause list, in clause order.

    Columns: ``clause``, ``parent``, ``title`` (in ``lang``), ``leaf`` (a clause with no sub-clauses),
    ``items`` (items filed under the clause or any of its sub-clauses) and ``covered`` (a leaf with at least
    one item; a heading whose every leaf below is covered).
    """
    check_lang(lang)
    known = clauses()
    frame = pd.DataFrame({
        "clause": known["clause"],
        "parent": known["parent"],
        "title": known[f"title_{lang}"],
        "leaf": ~known["clause"].isin(set(known["parent"].dropna())),
    })
    counts = _ancestors(checklist["clause"].dropna())["ancestor"].value_counts()
    frame["items"] = frame["clause"].map(counts).fillna(0).astype(int)
    # A heading is covered when every leaf below it is: group each leaf's verdict under all its ancestors.
    leaves = frame[frame["leaf"]]
    below = _ancestors(leaves["clause"])
    below["covered"] = (leaves["items"] > 0).loc[below["index"]].to_numpy()
    covered = below.groupby("ancestor")["covered"].all()
    frame["covered"] = frame["clause"].map(covered).fillna(False).astype(bool)
    return frame


def clauses() -> pd.DataFrame:
    """The ISO 9001:2015 clause list: ``clause``, ``title_vi``, ``title_en``, ``parent`` (<NA> for 4..10)."""
    return _clauses().copy()


def evidence_keys() -> pd.DataFrame:
    """The evidence-key vocabulary: ``key``, ``description_vi``, ``description_en``, ``records`` (record kinds
    the value is computed from, separated by ``;``)."""
    return _evidence_keys().copy()


@lru_cache(maxsize=1)
def _clauses() -> pd.DataFrame:
    with resources.files("isoaudit.data").joinpath("iso9001_clauses.csv").open("r", encoding="utf-8") as handle:
        frame = pd.read_csv(handle, dtype="string", keep_default_na=False)
    frame = frame.replace("", pd.NA)
    order = sorted(range(len(frame)), key=lambda i: _clause_key(frame["clause"].iat[i]))
    return frame.iloc[order].reset_index(drop=True)


@lru_cache(maxsize=1)
def _evidence_keys() -> pd.DataFrame:
    with resources.files("isoaudit.data").joinpath("evidence_keys.csv").open("r", encoding="utf-8") as handle:
        return pd.read_csv(handle, dtype="string", keep_default_na=False)


def _open_grid(path: Path, sheet):
    """The sheet holding the items: the one named as the export names it, else the first sheet."""
    if sheet is not None or path.suffix.lower() not in SPREADSHEET_SUFFIXES:
        return open_grid(path, sheet)
    for name in dict.fromkeys(label("checklist.sheet.items", lang) for lang in LANGS):
        try:
            return open_grid(path, name)
        except RecordsError as exc:
            if exc.code != "sheet_not_found":
                raise
    return open_grid(path)


def _read_items(rows: list[list], first_row: int, file: str, sheet: str):
    """The raw items as canonical text columns plus ``row`` (the spreadsheet's row number); the header text of
    each column found in the file; the problems of the header. The frame is None when nothing can be read."""
    header = find_header(rows, _header_aliases(), min_columns=1)
    positions = header.positions if header else {}
    problems = [
        Problem("checklist.duplicate_column", file=file, sheet=sheet, column=text, severity=ERROR,
                params={"canonical": column})
        for column, text in (header.duplicates if header else [])
    ]
    for column in REQUIRED:
        if column not in positions:
            problems.append(Problem("checklist.missing_column", file=file, sheet=sheet, column=column,
                                    severity=ERROR, params={"headers": _accepted_headers(column)}))
    if not set(QUESTION_COLUMNS) & set(positions):
        headers = " / ".join(_accepted_headers(c) for c in QUESTION_COLUMNS)  # either language will do
        problems.append(Problem("checklist.missing_question_column", file=file, sheet=sheet, severity=ERROR,
                                params={"headers": headers}))
    if header is None:
        return None, {}, problems
    body = rows[header.first_data_index:]
    width = max(positions.values()) + 1
    body = [list(row) + [""] * (width - len(row)) for row in body]
    data = {}
    for column in COLUMNS:
        if column in positions:
            text, _ = to_text([row[positions[column]] for row in body])
            data[column] = restore_neutralised(text)
        else:
            data[column] = pd.Series(pd.NA, index=range(len(body)), dtype="string")
    frame = pd.DataFrame(data)
    frame["row"] = range(first_row + header.first_data_index, first_row + header.first_data_index + len(body))
    frame = frame[frame[[c for c in COLUMNS if c in positions]].notna().any(axis=1)].reset_index(drop=True)
    if frame.empty:
        problems.append(Problem("checklist.no_items", file=file, sheet=sheet, severity=ERROR))
        return None, {}, problems
    return frame, {c: header.labels.get(c) or c for c in positions}, problems


def _validate(frame: pd.DataFrame, labels: dict[str, str], file: str, sheet: str) -> list[Problem]:
    """Every problem of every row (``labels``: the file's header of each column it has); also normalises
    clause, levels and evidence_key in place."""
    present = set(labels)
    found: list[tuple[int, str, str, object, dict]] = []  # (frame index, column, code, value, params)

    def flag(mask, column, code, values=None, **params):
        values = frame[column] if values is None else values
        for index in mask[mask].index:
            extra = {k: (v[index] if isinstance(v, pd.Series) else v) for k, v in params.items()}
            found.append((index, column, code, values[index], extra))

    if "id" in present:
        flag(frame["id"].isna(), "id", "checklist.empty_id")
        key = frame["id"].str.casefold()
        first_row = frame.groupby(key)["row"].transform("first").astype("Int64")
        flag(key.duplicated() & key.notna(), "id", "checklist.duplicate_id", first_row=first_row)
    if "clause" in present:
        clause = frame["clause"].str.replace(",", ".", regex=False).str.replace(r"\s+", "", regex=True)
        frame["clause"] = clause.str.rstrip(".")
        flag(frame["clause"].isna(), "clause", "checklist.empty_clause")
        flag(frame["clause"].notna() & ~frame["clause"].isin(set(_clauses()["clause"])), "clause",
             "checklist.unknown_clause")
    questions = [c for c in QUESTION_COLUMNS if c in present]
    if questions:
        flag(frame[questions].isna().all(axis=1), questions[0], "checklist.empty_question")
    if "levels" in present:
        normalised, bad = _parse_levels(frame["levels"])
        flag(frame["levels"].isna(), "levels", "checklist.empty_levels")
        flag(bad.notna(), "levels", "checklist.bad_level", values=bad)
        frame["levels"] = normalised
    if "evidence_key" in present:
        raw = frame["evidence_key"]
        several = raw.str.contains(_SEPARATORS, regex=True).fillna(False).astype(bool)
        keys = fold_series(raw).str.replace(" ", "_", regex=False)
        frame["evidence_key"] = keys.where(~several, raw)
        known = set(_evidence_keys()["key"])
        flag(several, "evidence_key", "checklist.several_evidence_keys")
        flag(keys.notna() & ~several & ~keys.isin(known), "evidence_key", "checklist.unknown_evidence_key",
             values=raw, keys=", ".join(sorted(known)))

    column_order = {c: i for i, c in enumerate(COLUMNS)}
    found.sort(key=lambda f: (int(frame.at[f[0], "row"]), column_order[f[1]]))
    return [
        Problem(code, file=file, sheet=sheet, row=int(frame.at[index, "row"]), column=labels[column],
                value=value, severity=ERROR,
                params={"item": "" if pd.isna(frame.at[index, "id"]) else frame.at[index, "id"], **params})
        for index, column, code, value, params in found
    ]


def _parse_levels(levels: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Levels written as codes or Vietnamese words, any separator -> ``province;district;commune`` order;
    and each row's unknown words (<NA> when every word is known)."""
    tokens = levels.str.split(_SEPARATORS, regex=True).explode().astype("string").str.strip()
    tokens = tokens[tokens.notna() & (tokens != "")]
    mapped, unknown = canonical_words(tokens, "level")
    known = pd.DataFrame({"row": tokens.index[~unknown],
                          "level": mapped[~unknown].map(answering_level, na_action="ignore").to_numpy()})
    known["rank"] = known["level"].map({level: i for i, level in enumerate(LEVELS)})
    joined = known.drop_duplicates().sort_values(["row", "rank"]).groupby("row")["level"].agg(";".join)
    bad = tokens[unknown].groupby(level=0).agg(", ".join)
    return joined.reindex(levels.index).astype("string"), bad.reindex(levels.index).astype("string")


def complete_items(frame: pd.DataFrame, lang: str) -> pd.DataFrame:
    """Items made elsewhere (``COLUMNS``; e.g. the log analytics' finding candidates) as a loaded checklist
    has them: text columns, clause titles from the clause list, the language columns of ``lang``."""
    return _finish(frame[list(COLUMNS)].astype("string"), lang)


def _finish(frame: pd.DataFrame, lang: str) -> pd.DataFrame:
    """Canonical column order, clause titles filled from the clause list, the language columns added."""
    titles = _clauses().set_index("clause")
    for other in LANGS:
        column = f"clause_title_{other}"
        frame[column] = frame[column].fillna(frame["clause"].map(titles[f"title_{other}"])).astype("string")
    fallback = next(other for other in LANGS if other != lang)
    for column in LANG_COLUMNS:
        frame[column] = frame[f"{column}_{lang}"].fillna(frame[f"{column}_{fallback}"]).astype("string")
    return frame[list(COLUMNS) + list(LANG_COLUMNS)].reset_index(drop=True)


def _details(problems: list[Problem], lang: str) -> str:
    return "\n".join("- " + _describe(problem, lang) for problem in problems)


def _describe(problem: Problem, lang: str) -> str:
    """'Dòng 12 (mục 8.5.3-02), cột levels: cấp 'xa' không hợp lệ; ...' or the bare message for the file."""
    detail = problem.message(lang)
    if problem.row is None:
        return detail
    item = problem.params.get("item")
    where = (message("checklist.where_row_item", lang, row=problem.row, item=item) if item
             else message("checklist.where_row", lang, row=problem.row))
    return f"{where}, {message('checklist.where_column', lang, column=problem.column)}: {detail}"


@lru_cache(maxsize=1)
def _header_aliases() -> dict[str, str]:
    """Folded header text -> canonical column: the canonical names and the export headers in both languages."""
    return {fold(text): column for column in COLUMNS for text in _headers_of(column)}


def _headers_of(column: str) -> list[str]:
    """The headers naming ``column``: its canonical name, the export headers in both languages and, for a
    language column, the plain header of that language ("Câu hỏi" is question_vi, "Question" question_en)."""
    headers = [column, *(label(f"checklist.col.{column}", lang) for lang in LANGS)]
    base, _, suffix = column.rpartition("_")
    if base in LANG_COLUMNS and suffix in LANGS:
        headers.append(label(f"checklist.col.{base}", suffix))
    return list(dict.fromkeys(headers))


def _accepted_headers(column: str) -> str:
    return " / ".join(_headers_of(column))


def _checklist_level(level: str) -> str:
    mapped, unknown = canonical_words(pd.Series([level], dtype="string"), "level")
    code = answering_level(mapped.iloc[0]) if not unknown[0] and mapped.notna().iloc[0] else None
    if code not in _CHECKLIST_LEVELS:
        raise ChecklistError("checklist.unknown_level", value=str(level))
    return code


def _ancestors(clause: pd.Series) -> pd.DataFrame:
    """Each clause with itself and its ancestors ('8.5.3' -> '8', '8.5', '8.5.3'): columns ``index`` (the
    clause's row label) and ``ancestor``."""
    parts = clause.astype("string").str.split(".")
    depth = parts.str.len()
    pieces = [
        pd.DataFrame({"index": parts.index[depth >= k], "ancestor": parts[depth >= k].str[:k].str.join(".")})
        for k in range(1, int(depth.max()) + 1 if len(parts) else 1)
    ]
    return pd.concat(pieces, ignore_index=True) if pieces else pd.DataFrame({"index": [], "ancestor": []})


def _clause_key(clause: str) -> tuple[int, ...]:
    return tuple(int(part) for part in str(clause).split("."))
