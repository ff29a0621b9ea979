"""The record of one internal audit: its plan and one answer per checklist item, kept as a workbook.

File: ``FOLDER/audits/<unit_code>/<audit_id>.xlsx`` (``audit_path``), readable and editable in Excel:

- sheet "Kế hoạch" (Plan): two columns, item and value: audit id, unit, audit year, dates, lead auditor,
  auditors and scope (clauses, processes; ``;``-separated, empty = everything), checklist used;
- sheet "Trả lời" (Answers): one row per checklist item: ``ANSWER_COLUMNS`` under Vietnamese headers, the
  result written as its Vietnamese label (Phù hợp, Không phù hợp nặng, ...);
- sheet "Xung đột" (Conflicts), only while there are some: the answers two auditors gave to the same field of
  the same item that are not settled yet, one row per field (``CONFLICT_FILE_COLUMNS``): the value the
  Answers sheet keeps and the value set aside, each with who gave it and when.

A file is opened for one audit (``load_audit_for``): a plan naming another unit, audit id or year (copied from
another unit's folder, edited by hand) is refused with what it says, what was expected and what to do, and
the file is left as it is; saving over a file that another audit's plan has replaced meanwhile is refused too.

Every save is atomic (``isoaudit.safety.atomic_write``) and keeps the file it replaces as
``FOLDER/audits/<unit_code>/versions/<audit_id>.<time of that version>.xlsx`` (a save that fails leaves no
version behind); the newest ``KEEP_VERSIONS`` versions of each audit are kept. Loading accepts the headers and
labels of either language and any diacritics or case; ``merge_answers`` combines two auditors' answers field by
field and reports, never drops, the fields they answered differently. Several auditors saving the same file
at once go through ``isoaudit.workbooks.audit_lock`` (one writer at a time, merged under a file lock).

An answer frame has ``ANSWER_COLUMNS``: ``result`` one of ``isoaudit.schema.RESULTS`` or <NA> (not yet
answered), ``answered_at`` datetime64 (local time), the rest pandas strings; evidence and notes keep their line
breaks and a leading "- " exactly as typed (``answer_text``). A conflicts frame has ``CONFLICT_COLUMNS``.
"""
from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from pathlib import Path

import pandas as pd

from isoaudit.errors import RecordsError, WorksheetError
from isoaudit.i18n import LANGS, check_lang, label, message
from isoaudit.outputs.xlsx import SheetSpec, workbook_bytes
from isoaudit.records.convert import to_datetime, to_text
from isoaudit.records.grid import open_grid
from isoaudit.records.header import find_header
from isoaudit.records.units import normalise_unit_codes
from isoaudit.records.vocabulary import canonical_words
from isoaudit.safety import atomic_write, inside, restore_neutralised, safe_filename, xml_text
from isoaudit.schema import RESULTS
from isoaudit.text import clean, fold, fold_series

ANSWER_COLUMNS = ["id", "clause", "question", "result", "evidence", "notes", "auditor", "answered_at"]
ANSWER_FIELDS = ("result", "evidence", "notes")  # what an auditor answers; the rest says who and when
PLAN_FIELDS = ("audit_id", "unit_code", "unit_name", "year", "start_date", "end_date", "lead_auditor",
               "auditors", "scope_clauses", "scope_processes", "checklist")
PLAN_IDENTITY = ("unit_code", "audit_id", "year")  # what says which audit a file holds: checked when it is opened
# One row per field two sides answered differently: ``field`` (one of ANSWER_FIELDS) names it, ``<field>_mine``
# and ``<field>_theirs`` hold the two values (the other fields' columns stay empty), with who and when.
CONFLICT_COLUMNS = ["id", "clause", "question", "field"] + [
    f"{c}_{side}" for side in ("mine", "theirs") for c in ("result", "evidence", "notes", "auditor", "answered_at")]
# The Conflicts sheet: "mine" is the value set aside, "theirs" the value the Answers sheet keeps.
CONFLICT_FILE_COLUMNS = ("id", "clause", "question", "field", "mine", "auditor_mine", "answered_at_mine", "theirs",
                         "auditor_theirs", "answered_at_theirs")
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
    """A plan, its answers (``ANSWER_COLUMNS``, one row per checklist item in scope) and the fields two auditors
    answered differently, not settled yet (``CONFLICT_COLUMNS``)."""

    plan: AuditPlan
    answers: pd.DataFrame
    conflicts: pd.DataFrame = field(default_factory=lambda: empty_conflicts())

    def progress(self) -> tuple[int, int]:
        """(items with a result, items in scope)."""
        return int(self.answers["result"].notna().sum()), len(self.answers)

    def nonconformities(self) -> pd.DataFrame:
        return self.answers[self.answers["result"].isin(NONCONFORMITIES).to_numpy(bool)]


@dataclass
class MergedAnswers:
    """Answers combined from two sides, and the fields both sides answered differently (``CONFLICT_COLUMNS``);
    a conflicting field keeps the side ``merge_answers`` was told to keep until someone decides.
    ``taken_from_theirs``: the items whose answer differs from ``mine`` now."""

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
        answers.loc[position, column] = value if pd.isna(value) or column == "result" else answer_text(value)
    answers.loc[position, "auditor"] = clean(auditor) or answers.at[position, "auditor"]
    answers.loc[position, "answered_at"] = pd.Timestamp(at or datetime.now()).floor("s")
    return typed_answers(answers)


def answer_text(value) -> str:
    """Text of an answer (evidence, notes) as it is kept, and read back from the file: Unicode NFC, every line
    break a "\n", the characters a workbook cannot hold dropped, the ends trimmed; inner line breaks, spaces
    and a leading "- " stay as typed."""
    text = unicodedata.normalize("NFC", str(value)).replace("\r\n", "\n").replace("\r", "\n")
    return xml_text(text).strip()


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
    """Write ``record`` to ``path`` atomically, keeping the file it replaces in ``versions/`` (``replace_audit``).

    ``keep_versions``: how many earlier versions of this audit to keep (None: all). Returns ``path``. Nothing
    stops another process writing meanwhile: forms saving the same file use ``audit_lock.save_locked``.
    """
    path = Path(path)
    previous = path.read_bytes() if path.exists() else None
    mtime = path.stat().st_mtime if previous is not None else None
    replace_audit(path, audit_bytes(record, lang), record.plan.audit_id, previous, mtime, keep_versions)
    return path


def audit_bytes(record: AuditRecord, lang: str = "vi") -> bytes:
    """The audit file of ``record`` in ``lang``, as bytes: Plan and Answers sheets, and Conflicts when it has some."""
    check_lang(lang)
    plan = record.plan
    answer_headers = {c: label(f"audit.col.{c}", lang) for c in ANSWER_COLUMNS}
    sheets = {
        label("audit.sheet.plan", lang): SheetSpec(_plan_frame(plan, lang),
                                                   headers={"field": label("audit.plan.col.field", lang),
                                                            "value": label("audit.plan.col.value", lang)},
                                                   title_lines=[label("audit.plan.title", lang)]),
        label("audit.sheet.answers", lang): SheetSpec(_answers_for_file(record.answers, lang), headers=answer_headers,
                                                      title_lines=[label("audit.answers.title", lang,
                                                                         audit_id=plan.audit_id,
                                                                         unit=plan.unit_name or plan.unit_code)]),
    }
    conflicts = per_field_conflicts(record.conflicts)
    if len(conflicts):
        sheets[label("audit.sheet.conflicts", lang)] = SheetSpec(
            _conflicts_for_file(conflicts, lang),
            headers={c: label(f"audit.conflict.col.{c}", lang) for c in CONFLICT_FILE_COLUMNS},
            title_lines=[label("audit.conflicts.title", lang)])
    return workbook_bytes(sheets, lang)


def replace_audit(path, data: bytes, audit_id: str, previous: bytes | None = None, previous_mtime: float | None = None,
                  keep_versions: int | None = KEEP_VERSIONS) -> Path | None:
    """Put ``data`` at ``path`` atomically; ``previous`` (the bytes it replaces, last modified at
    ``previous_mtime``, a POSIX time) is kept in ``versions/`` first. A write that fails removes that version
    again and raises, so a failed save adds nothing to the history; older versions are pruned to
    ``keep_versions`` only once the new file is in place. Returns the version kept (None without ``previous``)."""
    path = Path(path)
    try:
        version = _store_version(path.parent, audit_id, previous, previous_mtime) if previous is not None else None
    except OSError as error:  # the save stops here: said of the file the user knows, not of its copy
        error.filename, error.filename2 = str(path), None
        raise
    try:
        with atomic_write(path) as handle:
            handle.write(data)
    except BaseException:
        if version is not None:
            version.unlink(missing_ok=True)
        raise
    if keep_versions is not None:
        prune_versions(path.parent, audit_id, keep_versions)
    return version


def keep_version(path: Path, audit_id: str, keep: int | None = KEEP_VERSIONS) -> Path:
    """Copy ``path`` to ``versions/<audit_id>.<its modification time>.xlsx`` beside it; prune to ``keep``."""
    path = Path(path)
    target = _store_version(path.parent, audit_id, path.read_bytes(), path.stat().st_mtime)
    if keep is not None:
        prune_versions(path.parent, audit_id, keep)
    return target


def prune_versions(unit_folder, audit_id: str, keep: int) -> None:
    """Delete all but the newest ``keep`` versions of ``audit_id`` (a version that will not go is left)."""
    for old in list_versions(unit_folder, audit_id)[:-keep or None]:
        try:
            old.unlink(missing_ok=True)
        except OSError:  # open in another program: pruned by a later save
            pass


def _store_version(unit_folder: Path, audit_id: str, data: bytes, mtime: float | None) -> Path:
    versions = Path(unit_folder) / VERSIONS_FOLDER
    stamp = datetime.fromtimestamp(mtime if mtime is not None else datetime.now().timestamp()) \
        .strftime("%Y%m%d-%H%M%S-%f")
    stem = safe_filename(audit_id, "audit")
    target = versions / f"{stem}.{stamp}.xlsx"
    counter = 1
    while target.exists():  # two saves within the clock's resolution
        target = versions / f"{stem}.{stamp}-{counter}.xlsx"
        counter += 1
    with atomic_write(target) as handle:
        handle.write(data)
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
    return bytes_digest(path.read_bytes()) if path.exists() else None


def bytes_digest(data: bytes) -> str:
    """SHA-256 of ``data``, as ``file_digest`` gives it for a file holding them."""
    return hashlib.sha256(data).hexdigest()


def load_audit(path) -> AuditRecord:
    """Read an audit file written by ``save_audit`` (and perhaps edited in Excel).

    Raises ``WorksheetError`` naming every unreadable row at once (unknown result words, duplicate or empty
    item ids) or a missing sheet or column.
    """
    path = Path(path)
    plan_rows = _sheet_rows(path, "audit.sheet.plan", 0)
    plan = _read_plan(plan_rows, path.name)
    answers = _read_answers(_sheet_rows(path, "audit.sheet.answers", 1), path.name)
    return AuditRecord(plan, answers, _read_conflicts(_optional_sheet_rows(path, "audit.sheet.conflicts")))


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


def check_same_audit(path, found: AuditPlan, expected: AuditPlan, unit_codes=None) -> None:
    """Raise ``WorksheetError`` ``audit.save_other_audit`` when the file at ``path``, whose plan is ``found``,
    now holds another audit than ``expected`` (``plan_differences``; ``unit_codes``: the unit registry's codes)."""
    if plan_differences(found, expected, unit_codes):
        raise WorksheetError("audit.save_other_audit", file=str(path), mine=describe_audit(expected),
                             theirs=describe_audit(found), belongs=_belongs(Path(path), found, expected, unit_codes))


# ---- merging -------------------------------------------------------------------------------------------------
def merge_answers(mine: pd.DataFrame, theirs: pd.DataFrame, base: pd.DataFrame | None = None,
                  keep: str = "mine") -> MergedAnswers:
    """Combine two auditors' answers to the same audit, field by field (result, evidence, notes).

    A field one side changed (from ``base``; without a base: answered at all) is taken from that side; a field
    both changed to the same value is taken once; a field both changed differently is a conflict: it keeps the
    side ``keep`` names ("mine" or "theirs") and is listed with both values. An item missing from one side
    counts as unchanged there. Who answered and when follow the side whose change is kept (both: the later).
    Items of either side appear, in ``mine``'s order first.
    """
    if keep not in ("mine", "theirs"):
        raise ValueError(f"keep must be 'mine' or 'theirs', not {keep!r}")
    order = pd.Index(mine["id"]).append(pd.Index(theirs["id"][~theirs["id"].isin(mine["id"])]))
    base_rows = _aligned(base if base is not None else empty_answers(), order)
    mine_rows = _aligned(mine, order, base_rows)
    theirs_rows = _aligned(theirs, order, base_rows)
    merged = theirs_rows.copy()
    mine_kept = pd.Series(False, index=order)
    theirs_kept = pd.Series(False, index=order)
    conflicts = []
    for column in ANSWER_FIELDS:
        ours, other, common = (_comparable(rows[column]) for rows in (mine_rows, theirs_rows, base_rows))
        mine_changed, theirs_changed = ours != common, other != common
        conflict = mine_changed & theirs_changed & (ours != other)
        take_mine = mine_changed & (~conflict if keep == "theirs" else True)
        merged.loc[take_mine, column] = mine_rows.loc[take_mine, column]
        mine_kept |= take_mine
        theirs_kept |= theirs_changed & ~take_mine
        if conflict.any():
            conflicts.append(_conflict_rows(column, conflict, mine_rows, theirs_rows))
    later = (mine_rows["answered_at"] > theirs_rows["answered_at"]).fillna(False).astype(bool)
    mine_meta = mine_kept & (~theirs_kept | later)
    merged.loc[mine_meta, ["auditor", "answered_at"]] = mine_rows.loc[mine_meta, ["auditor", "answered_at"]]
    for column in ("clause", "question"):  # an item only they have keeps its texts
        merged[column] = mine_rows[column].fillna(theirs_rows[column])
    merged["id"] = order
    differs = _differs(merged, mine_rows)
    found = typed_conflicts(pd.concat(conflicts, ignore_index=True)) if conflicts else empty_conflicts()
    found = found.assign(_at=found["id"].map({k: i for i, k in enumerate(order)})) \
        .sort_values(["_at"], kind="stable").drop(columns="_at").reset_index(drop=True)
    return MergedAnswers(typed_answers(merged), found, list(order[differs.to_numpy(bool)]))


def merge_audits(mine: AuditRecord, theirs: AuditRecord,
                 base: AuditRecord | None = None) -> tuple[AuditRecord, pd.DataFrame]:
    """Two auditors' records of the same audit as one (``merge_answers``: a conflicting field keeps ``mine``),
    the plan's auditors joined.

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


def merge_conflicts(session: pd.DataFrame, seen: pd.DataFrame, on_disk: pd.DataFrame, new: pd.DataFrame,
                    answers: pd.DataFrame) -> pd.DataFrame:
    """The unsettled conflicts after a session's save: those in the file (``on_disk``) but the ones this session
    settled (listed when it last read the file, ``seen``, and gone from ``session``), those the session
    listed since, and ``new`` ones. A conflict whose set-aside value (``mine``) is now the item's answer
    (``answers``) has nothing left aside and goes. All frames ``CONFLICT_COLUMNS``, one field a row."""
    session, seen, on_disk, new = (per_field_conflicts(c) for c in (session, seen, on_disk, new))
    settled = set(_conflict_keys(seen)) - set(_conflict_keys(session))
    rows, kept = [], set()
    for frame in (on_disk, session, new):
        for key, (_, row) in zip(_conflict_keys(frame), frame.iterrows()):
            if key in settled or key in kept:
                continue
            kept.add(key)
            rows.append(row)
    merged = typed_conflicts(pd.DataFrame(rows, columns=CONFLICT_COLUMNS)) if rows else empty_conflicts()
    current = answers.drop_duplicates("id").set_index("id")
    chosen = [not pd.isna(f) and i in current.index and _same(current.at[i, f], row[f"{f}_mine"])
              for i, f, (_, row) in zip(merged["id"], merged["field"], merged.iterrows())]
    return merged[~pd.Series(chosen, index=merged.index, dtype=bool)].reset_index(drop=True)


def per_field_conflicts(conflicts: pd.DataFrame) -> pd.DataFrame:
    """``conflicts`` with every row naming its ``field``: a row that names none (a whole item, as frames made
    elsewhere may give) becomes one row per field whose two values differ."""
    conflicts = typed_conflicts(conflicts)
    if not conflicts["field"].isna().any():
        return conflicts
    rows = []
    for _, row in conflicts.iterrows():
        if not pd.isna(row["field"]):
            rows.append(row)
            continue
        for column in ANSWER_FIELDS:
            if not _same(row[f"{column}_mine"], row[f"{column}_theirs"]):
                single = row.copy()
                for other in ANSWER_FIELDS:
                    if other != column:
                        single[f"{other}_mine"] = single[f"{other}_theirs"] = pd.NA
                single["field"] = column
                rows.append(single)
    return typed_conflicts(pd.DataFrame(rows, columns=CONFLICT_COLUMNS)) if rows else empty_conflicts()


def typed_conflicts(conflicts: pd.DataFrame) -> pd.DataFrame:
    """``conflicts`` with exactly ``CONFLICT_COLUMNS``: pandas strings, the times datetime64[us]."""
    frame = conflicts.reindex(columns=CONFLICT_COLUMNS).reset_index(drop=True)
    for column in CONFLICT_COLUMNS:
        if column.startswith("answered_at"):
            frame[column] = pd.to_datetime(frame[column]).astype("datetime64[us]")
        else:
            frame[column] = frame[column].astype("string")
    return frame


def empty_conflicts() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series([], dtype="datetime64[us]" if c.startswith("answered_at") else "string")
                         for c in CONFLICT_COLUMNS})


def same_answers(left: pd.DataFrame, right: pd.DataFrame) -> bool:
    """Whether two answer frames hold the same items with the same answers, authors and times."""
    if len(left) != len(right) or left["id"].tolist() != right["id"].tolist():
        return False
    fields = _differs(left.set_index("id"), right.set_index("id")).any()
    meta = typed_answers(left)[["auditor", "answered_at"]].equals(typed_answers(right)[["auditor", "answered_at"]])
    return not fields and meta


def same_conflicts(left: pd.DataFrame, right: pd.DataFrame) -> bool:
    """Whether two conflict frames list the same conflicts (in any order)."""
    return sorted(_conflict_keys(per_field_conflicts(left))) == sorted(_conflict_keys(per_field_conflicts(right)))


def _conflict_keys(conflicts: pd.DataFrame) -> list[tuple]:
    """What tells one conflict from another: the item, the field, the value set aside and who gave it."""
    return [(row["id"], row["field"], _comparable_text(row[f"{row['field']}_mine"]) if not pd.isna(row["field"])
             else "", "" if pd.isna(row["auditor_mine"]) else row["auditor_mine"]) for _, row in conflicts.iterrows()]


def _conflict_rows(column: str, conflict: pd.Series, mine_rows: pd.DataFrame,
                   theirs_rows: pd.DataFrame) -> pd.DataFrame:
    mask = conflict.to_numpy(bool)
    frame = pd.DataFrame({"id": mine_rows["id"][mask].to_numpy(),
                          "clause": mine_rows["clause"].fillna(theirs_rows["clause"])[mask].to_numpy(),
                          "question": mine_rows["question"].fillna(theirs_rows["question"])[mask].to_numpy(),
                          "field": column})
    for side, rows in (("mine", mine_rows), ("theirs", theirs_rows)):
        for name in (column, "auditor", "answered_at"):
            frame[f"{name}_{side}"] = rows[name][mask].to_numpy()
    return frame


def _aligned(answers: pd.DataFrame, order: pd.Index, missing: pd.DataFrame | None = None) -> pd.DataFrame:
    """``answers`` indexed by item id in ``order``; items it lacks taken from ``missing`` (else empty)."""
    frame = answers.drop_duplicates("id").set_index("id")
    aligned = frame.reindex(order)[[c for c in ANSWER_COLUMNS if c != "id"]].assign(id=order.to_numpy())
    if missing is not None:
        absent = ~order.isin(frame.index)
        aligned.loc[absent] = missing.loc[absent]
    return aligned


def _differs(left: pd.DataFrame, right: pd.DataFrame) -> pd.Series:
    """Per item: whether any answer field differs (text compared as ``answer_text`` keeps it)."""
    different = pd.Series(False, index=left.index)
    for column in ANSWER_FIELDS:
        different |= (_comparable(left[column]) != _comparable(right[column])).to_numpy(bool)
    return different


def _comparable(values: pd.Series) -> pd.Series:
    return values.astype("string").fillna("").map(_comparable_text)


def _comparable_text(value) -> str:
    return "" if value is None or (not isinstance(value, str) and pd.isna(value)) else answer_text(value)


def _same(left, right) -> bool:
    return _comparable_text(left) == _comparable_text(right)


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


def _conflicts_for_file(conflicts: pd.DataFrame, lang: str) -> pd.DataFrame:
    """One row per conflicting field (``CONFLICT_FILE_COLUMNS``): the field's name and results in ``lang``."""
    names = {f: label(f"audit.col.{f}", lang) for f in ANSWER_FIELDS}
    rows = []
    for _, row in conflicts.iterrows():
        name = row["field"]
        values = {side: row[f"{name}_{side}"] for side in ("mine", "theirs")}
        if name == "result":
            values = {side: result_label(value, lang) or pd.NA for side, value in values.items()}
        rows.append({"id": row["id"], "clause": row["clause"], "question": row["question"], "field": names[name],
                     "mine": values["mine"], "auditor_mine": row["auditor_mine"],
                     "answered_at_mine": row["answered_at_mine"], "theirs": values["theirs"],
                     "auditor_theirs": row["auditor_theirs"], "answered_at_theirs": row["answered_at_theirs"]})
    return pd.DataFrame(rows, columns=list(CONFLICT_FILE_COLUMNS), dtype=object)


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


def _optional_sheet_rows(path: Path, sheet_key: str) -> list[list]:
    """The rows of the sheet named as ``sheet_key`` says in either language; none when the file has no such sheet."""
    for name in dict.fromkeys(label(sheet_key, lang) for lang in LANGS):
        try:
            return list(open_grid(path, name).rows)
        except RecordsError as exc:
            if exc.code not in ("sheet_not_found", "empty_sheet"):
                raise WorksheetError(exc.code, **exc.params) from None
    return []


def _read_conflicts(rows: list[list]) -> pd.DataFrame:
    """The Conflicts sheet as ``CONFLICT_COLUMNS``; a row naming no item or no known field is left out (the
    sheet is isoaudit's own; deleting a row there settles that conflict)."""
    aliases = {fold(label(f"audit.conflict.col.{c}", lang)): c for c in CONFLICT_FILE_COLUMNS for lang in LANGS}
    aliases.update({fold(c): c for c in CONFLICT_FILE_COLUMNS})
    header = find_header(rows, aliases, min_columns=3) if rows else None
    if header is None or not {"id", "field", "mine"} <= set(header.positions):
        return empty_conflicts()
    fields = {fold(label(f"audit.col.{f}", lang)): f for f in ANSWER_FIELDS for lang in LANGS}
    fields.update({fold(f): f for f in ANSWER_FIELDS})
    body = [list(row) + [""] * (max(header.positions.values()) + 1 - len(row))
            for row in rows[header.first_data_index:]]
    read = {}
    for column, index in header.positions.items():
        cells = [row[index] for row in body]
        if column.startswith("answered_at"):
            read[column] = to_datetime(cells)[0].astype("datetime64[us]").reset_index(drop=True)
        elif column in ("mine", "theirs"):
            read[column] = _answer_texts(cells)
        else:
            read[column] = restore_neutralised(to_text(cells)[0]).reset_index(drop=True)
    frame = pd.DataFrame(read).reindex(columns=list(CONFLICT_FILE_COLUMNS))
    frame["field"] = fold_series(frame["field"].astype("string")).map(fields)
    frame = frame[(frame["id"].notna() & frame["field"].notna()).to_numpy(bool)]
    rows_out = []
    for _, row in frame.iterrows():
        values = {side: row[side] for side in ("mine", "theirs")}
        if row["field"] == "result":
            values = {side: result_codes(pd.Series([value], dtype="string")).iloc[0] if not pd.isna(value)
                      else pd.NA for side, value in values.items()}
        out = {c: row[c] for c in ("id", "clause", "question", "field", "auditor_mine", "answered_at_mine",
                                   "auditor_theirs", "answered_at_theirs")}
        out.update({f"{row['field']}_{side}": value for side, value in values.items()})
        rows_out.append(out)
    return typed_conflicts(pd.DataFrame(rows_out, columns=CONFLICT_COLUMNS)) if rows_out else empty_conflicts()


def _answer_texts(cells: list) -> pd.Series:
    """Cells of free text as ``answer_text`` keeps them (line breaks and a leading "- " as typed), with the
    apostrophe ``neutralise_formula`` added taken off; a number or date typed in Excel as other text cells read."""
    texts = [answer_text(cell) if isinstance(cell, str) else None for cell in cells]
    texts = pd.Series(texts, dtype="string")
    texts = texts.mask(texts == "").fillna(to_text(cells)[0])
    return restore_neutralised(texts)


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
        elif column in ("evidence", "notes"):
            frame[column] = _answer_texts(cells)
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
