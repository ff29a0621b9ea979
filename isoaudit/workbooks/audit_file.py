"""The record of one internal audit: its plan and one answer per checklist item, kept as a workbook.

File: ``FOLDER/audits/<unit_code>/<audit_id>.xlsx`` (``audit_path``), readable and editable in Excel:

- sheet "Kế hoạch" (Plan): two columns, item and value: audit id, unit, audit year, dates, lead auditor,
  auditors and scope (clauses, processes; ``;``-separated, empty = everything), checklist used;
- sheet "Trả lời" (Answers): one row per checklist item: ``ANSWER_COLUMNS`` under Vietnamese headers, the
  result written as its Vietnamese label (Phù hợp, Không phù hợp nặng, ...).

A file is opened for one audit (``load_audit_for``): a plan naming another unit, audit id or year (copied from
another unit's folder, edited by hand) is refused with what it says, what was expected and what to do, and
the file is left as it is; saving over a file that another audit's plan has replaced meanwhile is refused too.

Every save is atomic (``isoaudit.safety.atomic_write`` through ``write_workbook``) and first copies the file
it replaces to ``FOLDER/audits/<unit_code>/versions/<audit_id>.<time of that version>.xlsx``; the newest
``KEEP_VERSIONS`` versions of each audit are kept. Loading accepts the headers and labels of either language
and any diacritics or case; ``merge_answers`` combines two auditors' answers and reports, never overwrites,
the items they answered differently.

An answer frame has ``ANSWER_COLUMNS``: ``result`` one of ``isoaudit.schema.RESULTS`` or <NA> (not yet
answered), ``answered_at`` datetime64 (local time), the rest pandas strings.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from pathlib import Path

import pandas as pd

from isoaudit.errors import RecordsError, WorksheetError
from isoaudit.i18n import LANGS, check_lang, label, message
from isoaudit.outputs.xlsx import SheetSpec, write_workbook
from isoaudit.records.convert import to_datetime, to_text
from isoaudit.records.grid import open_grid
from isoaudit.records.header import find_header
from isoaudit.records.units import normalise_unit_codes
from isoaudit.records.vocabulary import canonical_words
from isoaudit.safety import atomic_write, inside, restore_neutralised, safe_filename
from isoaudit.schema import RESULTS
from isoaudit.text import clean, fold, fold_series

ANSWER_COLUMNS = ["id", "clause", "question", "result", "evidence", "notes", "auditor", "answered_at"]
ANSWER_FIELDS = ("result", "evidence", "notes")  # what an auditor answers; the rest says who and when
PLAN_FIELDS = ("audit_id", "unit_code", "unit_name", "year", "start_date", "end_date", "lead_auditor",
               "auditors", "scope_clauses", "scope_processes", "checklist")
PLAN_IDENTITY = ("unit_code", "audit_id", "year")  # what says which audit a file holds: checked when it is opened
CONFLICT_COLUMNS = ["id", "clause", "question"] + [f"{c}_{side}" for side in ("mine", "theirs")
                                                   for c in ("result", "evidence", "notes", "auditor", "answered_at")]
AUDITS_FOLDER = "audits"
VERSIONS_FOLDER = "versions"
KEEP_VERSIONS = 100  # a form saves on every change: about a day's work of one auditor
NONCONFORMITIES = ("major", "minor")

_LIST_FIELDS = ("auditors", "scope_clauses", "scope_processes")
_DATE_FIELDS = ("start_date", "end_date")
_SEPARATORS = r"\s*[;\n]\s*"


@dataclass
class AuditPlan:
    """Who audits which unit, when, and on what. Scope lists are empty for "every clause / process"."""

    audit_id: str
    unit_code: str
    unit_name: str = ""
    year: int | None = None  # the year whose records the automatic evidence is computed from
    start_date: date | None = None
    end_date: date | None = None
    lead_auditor: str = ""
    auditors: tuple[str, ...] = ()
    scope_clauses: tuple[str, ...] = ()  # clauses or sub-clauses; "8.5" covers 8.5.1 to 8.5.6
    scope_processes: tuple[str, ...] = ()  # internal process codes or names, as the plan states them
    checklist: str = ""  # the checklist file used; empty for the bundled one

    def with_auditor(self, name: str) -> AuditPlan:
        """The plan with ``name`` among its auditors (unchanged when already there or empty)."""
        name = clean(name)
        if not name or fold(name) in {fold(a) for a in self.auditors}:
            return self
        return replace(self, auditors=(*self.auditors, name))


@dataclass
class AuditRecord:
    """A plan and its answers (``ANSWER_COLUMNS``, one row per checklist item in scope)."""

    plan: AuditPlan
    answers: pd.DataFrame

    def progress(self) -> tuple[int, int]:
        """(items with a result, items in scope)."""
        return int(self.answers["result"].notna().sum()), len(self.answers)

    def nonconformities(self) -> pd.DataFrame:
        return self.answers[self.answers["result"].isin(NONCONFORMITIES).to_numpy(bool)]


@dataclass
class MergedAnswers:
    """Answers combined from two sides, and the items both sides answered differently (``CONFLICT_COLUMNS``);
    a conflicting item keeps ``mine`` in ``answers`` until someone decides."""

    answers: pd.DataFrame
    conflicts: pd.DataFrame
    taken_from_theirs: list[str] = field(default_factory=list)


# ---- building and answering ---------------------------------------------------------------------------------
def new_audit(plan: AuditPlan, checklist: pd.DataFrame) -> AuditRecord:
    """An audit with no answers yet: one row per checklist item within ``plan.scope_clauses``, in checklist
    order (``checklist`` as ``load_checklist`` returns it, in the language wanted in the file)."""
    items = checklist[in_scope(checklist["clause"], plan.scope_clauses).to_numpy(bool)]
    answers = empty_answers(len(items))
    answers["id"] = items["id"].to_numpy()
    answers["clause"] = items["clause"].to_numpy()
    answers["question"] = items["question"].to_numpy() if "question" in items else pd.NA
    return AuditRecord(plan, typed_answers(answers))


def typed_answers(answers: pd.DataFrame) -> pd.DataFrame:
    """``answers`` with exactly ``ANSWER_COLUMNS``: pandas strings, ``answered_at`` datetime64[us]."""
    frame = answers.reindex(columns=ANSWER_COLUMNS).reset_index(drop=True)
    for column in ANSWER_COLUMNS:
        if column == "answered_at":
            frame[column] = pd.to_datetime(frame[column]).astype("datetime64[us]")
        else:
            frame[column] = frame[column].astype("string")
    return frame


def in_scope(clauses: pd.Series, scope: tuple[str, ...]) -> pd.Series:
    """Which ``clauses`` fall within ``scope`` (a clause or any of its sub-clauses); all when it is empty."""
    if not scope:
        return pd.Series(True, index=clauses.index)
    text = clauses.astype("string")
    inside_scope = pd.Series(False, index=clauses.index)
    for clause in scope:
        clause = str(clause).strip().rstrip(".")
        inside_scope |= ((text == clause) | text.str.startswith(clause + ".")).fillna(False)
    return inside_scope


def empty_answers(rows: int = 0) -> pd.DataFrame:
    frame = pd.DataFrame({c: pd.Series(pd.NA, index=range(rows), dtype="string") for c in ANSWER_COLUMNS})
    frame["answered_at"] = pd.Series(pd.NaT, index=range(rows), dtype="datetime64[us]")
    return frame


_UNCHANGED = object()


def set_answer(answers: pd.DataFrame, item_id: str, *, result=_UNCHANGED, evidence=_UNCHANGED,
               notes=_UNCHANGED, auditor: str = "", at: datetime | None = None) -> pd.DataFrame:
    """A copy of ``answers`` with item ``item_id`` answered (only the fields given change; '' or None clears
    one) by ``auditor`` at ``at`` (default now). ``result`` must be one of ``RESULTS`` or empty."""
    position = _position(answers, item_id)
    values = {"result": result, "evidence": evidence, "notes": notes}
    changes = {k: (pd.NA if v is None or (isinstance(v, str) and not clean(v)) else v)
               for k, v in values.items() if v is not _UNCHANGED}
    if "result" in changes and not pd.isna(changes["result"]) and changes["result"] not in RESULTS:
        raise WorksheetError("audit.unknown_result", value=str(changes["result"]), item=item_id,
                             allowed=", ".join(RESULTS))
    answers = answers.copy()
    for column, value in changes.items():
        answers.loc[position, column] = value if pd.isna(value) or column == "result" else str(value).strip()
    answers.loc[position, "auditor"] = clean(auditor) or answers.at[position, "auditor"]
    answers.loc[position, "answered_at"] = pd.Timestamp(at or datetime.now()).floor("s")
    return typed_answers(answers)


def _position(answers: pd.DataFrame, item_id: str):
    hits = answers.index[(answers["id"] == item_id).fillna(False).to_numpy(bool)]
    if not len(hits):
        raise WorksheetError("audit.unknown_item", item=str(item_id))
    return hits[0]


# ---- files -------------------------------------------------------------------------------------------------
def audit_path(folder, unit_code: str, audit_id: str) -> Path:
    """``folder/audits/<unit_code>/<audit_id>.xlsx``, both names made safe and kept inside ``folder``."""
    return inside(folder, *_audit_parts(unit_code, audit_id))


def _audit_parts(unit_code: str, audit_id: str) -> tuple[str, str, str]:
    return AUDITS_FOLDER, safe_filename(unit_code, "unit"), safe_filename(audit_id, "audit") + ".xlsx"


def save_audit(record: AuditRecord, path, lang: str = "vi", keep_versions: int | None = KEEP_VERSIONS) -> Path:
    """Write ``record`` to ``path`` atomically after copying the file it replaces into ``versions/``.

    ``keep_versions``: how many earlier versions of this audit to keep (None: all). Returns ``path``.
    """
    check_lang(lang)
    path = Path(path)
    if path.exists():
        keep_version(path, record.plan.audit_id, keep_versions)
    write_workbook(path, {
        label("audit.sheet.plan", lang): SheetSpec(_plan_frame(record.plan, lang),
                                                   headers={"field": label("audit.plan.col.field", lang),
                                                            "value": label("audit.plan.col.value", lang)},
                                                   title_lines=[label("audit.plan.title", lang)]),
        label("audit.sheet.answers", lang): SheetSpec(_answers_for_file(record.answers, lang),
                                                      headers={c: label(f"audit.col.{c}", lang) for c in ANSWER_COLUMNS},
                                                      title_lines=[label("audit.answers.title", lang,
                                                                         audit_id=record.plan.audit_id,
                                                                         unit=record.plan.unit_name or record.plan.unit_code)]),
    })
    return path


def keep_version(path: Path, audit_id: str, keep: int | None = KEEP_VERSIONS) -> Path:
    """Copy ``path`` to ``versions/<audit_id>.<its modification time>.xlsx`` beside it; prune to ``keep``."""
    versions = path.parent / VERSIONS_FOLDER
    stamp = datetime.fromtimestamp(path.stat().st_mtime).strftime("%Y%m%d-%H%M%S-%f")
    stem = safe_filename(audit_id, "audit")
    target = versions / f"{stem}.{stamp}.xlsx"
    counter = 1
    while target.exists():  # two saves within the clock's resolution
        target = versions / f"{stem}.{stamp}-{counter}.xlsx"
        counter += 1
    with atomic_write(target) as handle:
        handle.write(path.read_bytes())
    if keep is not None:
        for old in list_versions(path.parent, audit_id)[:-keep or None]:
            old.unlink(missing_ok=True)
    return target


def list_versions(unit_folder, audit_id: str) -> list[Path]:
    """Earlier versions of ``audit_id`` kept in ``unit_folder/versions``, oldest first."""
    versions = Path(unit_folder) / VERSIONS_FOLDER
    if not versions.is_dir():
        return []
    pattern = re.compile(re.escape(safe_filename(audit_id, "audit")) + r"\.\d{8}-\d{6}-\d{6}(-\d+)?\.xlsx$")
    return sorted((p for p in versions.iterdir() if pattern.match(p.name)), key=_version_key)


def _version_key(path: Path):
    stamp = path.name.split(".")[-2]
    parts = stamp.split("-")
    return parts[:3], int(parts[3]) if len(parts) > 3 else 0


def file_digest(path) -> str | None:
    """SHA-256 of ``path``'s bytes (None when it does not exist): tells whether someone else saved it."""
    path = Path(path)
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else None


def load_audit(path) -> AuditRecord:
    """Read an audit file written by ``save_audit`` (and perhaps edited in Excel).

    Raises ``WorksheetError`` naming every unreadable row at once (unknown result words, duplicate or empty
    item ids) or a missing sheet or column.
    """
    path = Path(path)
    plan_rows = _sheet_rows(path, "audit.sheet.plan", 0)
    plan = _read_plan(plan_rows, path.name)
    answers = _read_answers(_sheet_rows(path, "audit.sheet.answers", 1), path.name)
    return AuditRecord(plan, answers)


def load_audit_for(path, expected: AuditPlan, unit_codes=None) -> AuditRecord:
    """``load_audit``, for the audit ``expected`` names (its unit code, audit id and year).

    Raises ``WorksheetError`` ``audit.plan_mismatch`` when the file's plan names another unit, audit id or
    year (``plan_differences``; ``unit_codes``: the unit registry's codes), naming the file, what its plan
    says, what was expected and what to do. Never writes.
    """
    path = Path(path)
    record = load_audit(path)
    differ = plan_differences(record.plan, expected, unit_codes)
    if differ:
        raise _plan_mismatch(path, record.plan, expected, differ, unit_codes)
    return record


def plan_differences(plan: AuditPlan, expected: AuditPlan, unit_codes=None) -> list[str]:
    """The fields of ``PLAN_IDENTITY`` in which ``plan`` names another audit than ``expected``; a field left
    empty on either side (a year blanked by hand) differs from nothing. Unit codes compare as the registry
    ``unit_codes`` writes them ("2266" and 2266.0 are "02266"; default: ``expected``'s code alone), codes
    and audit ids without diacritics, case or punctuation (``isoaudit.text.fold``)."""
    differ = []
    for name in PLAN_IDENTITY:
        mine, wanted = getattr(plan, name), getattr(expected, name)
        if _empty(mine) or _empty(wanted):
            continue
        if name == "unit_code":
            mine, wanted = (_registry_code(code, wanted, unit_codes) for code in (mine, wanted))
        if fold(mine) != fold(wanted):
            differ.append(name)
    return differ


def _registry_code(code, expected_code, unit_codes=None) -> str:
    """``code`` as the registry ``unit_codes`` (with ``expected_code``, the code a file is opened for) writes
    it (``isoaudit.records.units.normalise_unit_codes``)."""
    registry = [] if unit_codes is None else [str(c) for c in pd.Series(unit_codes, dtype="string").dropna()]
    expected_code = clean(expected_code)
    if expected_code and expected_code not in registry:
        registry.append(expected_code)
    return str(normalise_unit_codes(pd.Series([clean(code)], dtype="string"), registry).iloc[0])


def save_merging(record: AuditRecord, path, base: pd.DataFrame | None, known_digest: str | None,
                 lang: str = "vi", keep_versions: int | None = KEEP_VERSIONS,
                 unit_codes=None) -> tuple[AuditRecord, MergedAnswers]:
    """Save ``record`` to ``path``; when the file changed since it was read (its digest is no longer
    ``known_digest``: another auditor saved meanwhile), merge that file's answers in first, ``base`` (the
    answers as read) being the common ancestor. Returns the record saved and the merge (nothing taken and
    no conflicts when the file had not changed).

    Raises ``WorksheetError`` ``audit.save_other_audit``, writing nothing, when the file now holds another
    audit's plan (``plan_differences``; ``unit_codes``: the unit registry's codes).
    """
    path = Path(path)
    merged = MergedAnswers(record.answers, empty_conflicts())
    if path.exists() and file_digest(path) != known_digest:
        theirs = load_audit(path)
        if plan_differences(theirs.plan, record.plan, unit_codes):
            raise WorksheetError("audit.save_other_audit", file=str(path), mine=describe_audit(record.plan),
                                 theirs=describe_audit(theirs.plan),
                                 belongs=_belongs(path, theirs.plan, record.plan, unit_codes))
        merged = merge_answers(record.answers, theirs.answers, base=base)
        plan = record.plan
        for name in theirs.plan.auditors:
            plan = plan.with_auditor(name)
        record = AuditRecord(plan, merged.answers)
    save_audit(record, path, lang, keep_versions)
    return record, merged


# ---- merging -------------------------------------------------------------------------------------------------
def merge_answers(mine: pd.DataFrame, theirs: pd.DataFrame, base: pd.DataFrame | None = None) -> MergedAnswers:
    """Combine two auditors' answers to the same audit, item by item.

    An item one side changed (from ``base``; without a base: answered at all) is taken from that side; an
    item both changed to the same answer is taken once; an item both changed differently is a conflict: it
    keeps ``mine`` and is listed with both answers. Items of either side appear, in ``mine``'s order first.
    """
    order = pd.Index(mine["id"]).append(pd.Index(theirs["id"][~theirs["id"].isin(mine["id"])]))
    mine_rows = _aligned(mine, order)
    theirs_rows = _aligned(theirs, order)
    base_rows = _aligned(base if base is not None else empty_answers(), order)
    mine_changed = _differs(mine_rows, base_rows)
    theirs_changed = _differs(theirs_rows, base_rows)
    disagree = _differs(mine_rows, theirs_rows)
    take_theirs = theirs_changed & ~mine_changed
    conflict = mine_changed & theirs_changed & disagree

    merged = mine_rows.copy()
    merged.loc[take_theirs] = theirs_rows.loc[take_theirs]
    for column in ("clause", "question"):  # an item only they have keeps its texts
        merged[column] = merged[column].fillna(theirs_rows[column])
    merged["id"] = order
    conflicts = pd.DataFrame({"id": order[conflict], "clause": merged.loc[conflict, "clause"],
                              "question": merged.loc[conflict, "question"]})
    for side, rows in (("mine", mine_rows), ("theirs", theirs_rows)):
        for column in ("result", "evidence", "notes", "auditor", "answered_at"):
            conflicts[f"{column}_{side}"] = rows.loc[conflict, column]
    return MergedAnswers(typed_answers(merged), conflicts.reset_index(drop=True), list(order[take_theirs]))


def merge_audits(mine: AuditRecord, theirs: AuditRecord, base: AuditRecord | None = None) -> tuple[AuditRecord, pd.DataFrame]:
    """Two auditors' records of the same audit as one (``merge_answers``), the plan's auditors joined.

    Raises ``WorksheetError`` when the files belong to different audits.
    """
    if plan_differences(theirs.plan, mine.plan):
        raise WorksheetError("audit.merge_other_audit", mine=describe_audit(mine.plan),
                             theirs=describe_audit(theirs.plan))
    merged = merge_answers(mine.answers, theirs.answers, None if base is None else base.answers)
    plan = mine.plan
    for name in theirs.plan.auditors:
        plan = plan.with_auditor(name)
    plan = replace(plan, **{name: getattr(theirs.plan, name) for name in PLAN_FIELDS
                            if _empty(getattr(plan, name)) and not _empty(getattr(theirs.plan, name))})
    return AuditRecord(plan, merged.answers), merged.conflicts


def empty_conflicts() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series([], dtype="datetime64[us]" if c.startswith("answered_at") else "string")
                         for c in CONFLICT_COLUMNS})


def _aligned(answers: pd.DataFrame, order: pd.Index) -> pd.DataFrame:
    frame = answers.drop_duplicates("id").set_index("id")
    return frame.reindex(order)[[c for c in ANSWER_COLUMNS if c != "id"]].assign(id=order.to_numpy())


def _differs(left: pd.DataFrame, right: pd.DataFrame) -> pd.Series:
    """Per item: whether any answer field differs (text compared with spaces and Unicode form normalised)."""
    different = pd.Series(False, index=left.index)
    for column in ANSWER_FIELDS:
        a = left[column].astype("string").fillna("").map(clean)
        b = right[column].astype("string").fillna("").map(clean)
        different |= a != b
    return different


def _empty(value) -> bool:
    return value is None or value == "" or value == () or (not isinstance(value, (tuple, str)) and pd.isna(value))


# ---- a file of another audit ---------------------------------------------------------------------------------
def describe_audit(plan: AuditPlan) -> str:
    """"<audit id> (<unit code>, <year>)", the same in both languages; without the year when it is empty."""
    return f"{plan.audit_id} ({', '.join(str(v) for v in (plan.unit_code, plan.year) if not _empty(v))})"


def _plan_mismatch(path: Path, plan: AuditPlan, expected: AuditPlan, differ: list[str], unit_codes) -> WorksheetError:
    """The refusal of ``path`` whose plan differs from ``expected`` in the fields ``differ``: what the file says,
    what was expected, the cells that differ, and what to do (move the file where its plan says it belongs,
    or correct those cells)."""
    def shown(value) -> str:
        return "—" if _empty(value) else str(value)

    cell_names = {(name, lang): label(f"audit.plan.{name}", lang) for name in PLAN_IDENTITY for lang in LANGS}
    cells = {lang: ", ".join(f"'{cell_names[name, lang]}'" for name in differ) for lang in LANGS}
    params = {"file": str(path), "found_unit": _unit_shown(plan), "found_audit": shown(plan.audit_id),
              "found_year": shown(plan.year), "unit": _unit_shown(expected), "audit_id": shown(expected.audit_id),
              "year": shown(expected.year), "cells_vi": cells["vi"], "cells_en": cells["en"]}
    belongs = _belongs(path, plan, expected, unit_codes)
    if differ == ["year"]:  # the same place, another year: the audit id needs changing, not the folder
        advice = {lang: message("audit.plan_mismatch_year", lang, **params) for lang in LANGS}
    elif Path(belongs).is_file():  # moving the file there would overwrite that unit's own audit
        advice = {lang: message("audit.plan_mismatch_taken", lang, belongs=belongs, **params) for lang in LANGS}
    else:
        advice = {lang: message("audit.plan_mismatch_move", lang, belongs=belongs, **params) for lang in LANGS}
    return WorksheetError("audit.plan_mismatch", advice_vi=advice["vi"], advice_en=advice["en"], **params)


def _unit_shown(plan: AuditPlan) -> str:
    """"08029 (Xã Đồng Tâm)": the unit code, and its name when the plan gives one."""
    return f"{plan.unit_code} ({plan.unit_name})" if clean(plan.unit_name) else plan.unit_code


def _belongs(path: Path, plan: AuditPlan, expected: AuditPlan, unit_codes) -> str:
    """Where the audit file of ``plan`` is kept: in the audits folder that holds ``path`` when it is in one,
    else as a path relative to the records folder."""
    parts = _audit_parts(_registry_code(plan.unit_code, expected.unit_code, unit_codes), plan.audit_id)
    if path.parent.parent.name == AUDITS_FOLDER:
        return str(path.parent.parent.parent.joinpath(*parts))
    return "/".join(parts)


# ---- writing helpers ---------------------------------------------------------------------------------------
def result_label(code, lang: str = "vi") -> str:
    """The word for a result code in ``lang`` ('' for an empty result)."""
    return "" if code is None or pd.isna(code) else label(f"audit.result.{code}", lang)


def _plan_frame(plan: AuditPlan, lang: str) -> pd.DataFrame:
    values = []
    for name in PLAN_FIELDS:
        value = getattr(plan, name)
        if name in _LIST_FIELDS:
            value = "; ".join(value)
        elif name in _DATE_FIELDS and value is not None:
            value = pd.Timestamp(value).to_pydatetime()
        values.append(value)
    return pd.DataFrame({"field": [label(f"audit.plan.{n}", lang) for n in PLAN_FIELDS], "value": values},
                        dtype=object)


def _answers_for_file(answers: pd.DataFrame, lang: str) -> pd.DataFrame:
    frame = answers[ANSWER_COLUMNS].copy()
    frame["result"] = frame["result"].map(lambda code: result_label(code, lang), na_action="ignore")
    return frame


# ---- reading helpers ---------------------------------------------------------------------------------------
def _sheet_rows(path: Path, sheet_key: str, position: int) -> list[list]:
    """The rows of the sheet named as ``sheet_key`` says in either language, else the sheet at ``position``."""
    for name in dict.fromkeys(label(sheet_key, lang) for lang in LANGS):
        try:
            return list(open_grid(path, name).rows)
        except RecordsError as exc:
            if exc.code != "sheet_not_found":
                raise WorksheetError(exc.code, **exc.params) from None
    try:
        return list(open_grid(path, position).rows)
    except RecordsError:
        raise WorksheetError("audit.missing_sheet", file=path.name,
                             sheet=label(sheet_key, "vi")) from None


def _read_plan(rows: list[list], file: str) -> AuditPlan:
    names = {fold(label(f"audit.plan.{n}", lang)): n for n in PLAN_FIELDS for lang in LANGS}
    names.update({fold(n): n for n in PLAN_FIELDS})
    found: dict[str, object] = {}
    for row in rows:
        if len(row) >= 2 and isinstance(row[0], str) and fold(row[0]) in names:
            found[names[fold(row[0])]] = row[1]
    if not clean(found.get("audit_id")) or not clean(found.get("unit_code")):
        raise WorksheetError("audit.plan_incomplete", file=file,
                             fields=", ".join(label(f"audit.plan.{n}", "vi") for n in ("audit_id", "unit_code")))
    values = {}
    for name in PLAN_FIELDS:
        raw = found.get(name)
        if name in _LIST_FIELDS:
            text = _cell_text(raw)
            values[name] = tuple(p for p in re.split(_SEPARATORS, text) if p) if text else ()
        elif name in _DATE_FIELDS:
            stamp = to_datetime([raw if raw is not None else ""])[0].iloc[0]
            values[name] = None if pd.isna(stamp) else stamp.date()
        elif name == "year":
            text = _cell_text(raw)
            values[name] = int(float(text)) if re.fullmatch(r"\d{4}(\.0)?", text) else None
        else:
            values[name] = _cell_text(raw)
    return AuditPlan(**values)


def _cell_text(cell) -> str:
    text, _ = to_text([cell if cell is not None else ""])
    value = text.iloc[0]
    return "" if pd.isna(value) else restore_neutralised(clean(value))


def _answer_aliases() -> dict[str, str]:
    aliases = {fold(c): c for c in ANSWER_COLUMNS}
    aliases.update({fold(label(f"audit.col.{c}", lang)): c for c in ANSWER_COLUMNS for lang in LANGS})
    return aliases


def _read_answers(rows: list[list], file: str) -> pd.DataFrame:
    header = find_header(rows, _answer_aliases(), min_columns=2)
    if header is None or "id" not in header.positions or "result" not in header.positions:
        raise WorksheetError("audit.answers_header", file=file,
                             columns=", ".join(label(f"audit.col.{c}", "vi") for c in ("id", "result")))
    body = rows[header.first_data_index:]
    width = max(header.positions.values()) + 1
    body = [list(row) + [""] * (width - len(row)) for row in body]
    first_row = header.first_data_index + 1  # open_grid numbers rows from 1
    frame = empty_answers(len(body))
    for column, index in header.positions.items():
        cells = [row[index] for row in body]
        if column == "answered_at":
            frame[column] = to_datetime(cells)[0].astype("datetime64[us]")
        else:
            frame[column] = restore_neutralised(to_text(cells)[0]).str.strip()
    frame["row"] = range(first_row, first_row + len(body))
    frame = frame[frame[[c for c in ANSWER_COLUMNS if c in header.positions]].notna().any(axis=1)]
    words = frame["result"]
    codes = result_codes(words)
    found: list[tuple[str, dict]] = []
    allowed = {lang: ", ".join(result_label(c, lang) for c in RESULTS) for lang in LANGS}
    for row, item, word in frame.loc[(words.notna() & codes.isna()).to_numpy(bool), ["row", "id", "result"]] \
            .itertuples(index=False):
        found.append(("audit.bad_result_row", {"row": row, "item": "" if pd.isna(item) else item, "value": word}))
    for row in frame.loc[frame["id"].isna().to_numpy(bool), "row"]:
        found.append(("audit.empty_id_row", {"row": row}))
    duplicated = (frame["id"].str.casefold().duplicated() & frame["id"].notna()).to_numpy(bool)
    for row, item in frame.loc[duplicated, ["row", "id"]].itertuples(index=False):
        found.append(("audit.duplicate_id_row", {"row": row, "item": item}))
    if found:
        found.sort(key=lambda f: f[1]["row"])
        details = {lang: "\n".join("- " + message(code, lang, allowed=allowed[lang], **params)
                                     for code, params in found) for lang in LANGS}
        raise WorksheetError("audit.invalid_answers", file=file, count=len(found), details_vi=details["vi"],
                             details_en=details["en"])
    frame["result"] = codes
    return typed_answers(frame)


def result_codes(words: pd.Series) -> pd.Series:
    """Result words (labels in either language, codes, grade words such as "NC nhẹ", any case or
    diacritics) as ``RESULTS`` codes; <NA> for empty or unknown words."""
    table = {fold(code): code for code in RESULTS}
    table.update({fold(label(f"audit.result.{code}", lang)): code for code in RESULTS for lang in LANGS})
    table.update({fold(word): code for code in RESULTS for lang in LANGS
                  for word in label(f"audit.result_words.{code}", lang).split("|") if word.strip()})
    folded = fold_series(words.astype("string"))
    codes = folded.map(table).astype("string")
    grades, _ = canonical_words(words.astype("string"), "grade")
    return codes.fillna(grades).astype("string")
