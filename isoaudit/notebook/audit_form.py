"""The audit as an auditor works it in a notebook: clause by clause, automatic evidence beside each question,
every change saved at once.

``open_audit`` gathers everything one audit needs (records, unit, checklist for the unit's level, automatic
evidence, the audit file, resumed when it exists) into an ``AuditForm``. The form's state changes
(``answer``, ``settle``) save the file (``isoaudit.workbooks.audit_lock.save_locked``: one writer at a time under a
file lock, merged field by field with what other auditors saved, atomic, earlier version kept). A save that
fails (the file open in Excel, no permission, a full disk, another save holding the lock) raises nothing: the
answers stay in the form, not saved (``pending``), ``save_error`` says why in the form's language, and the next
answer or ``retry_save`` tries again. ``refresh_from_disk`` brings in what others saved (the view calls it on
a timer); ``status`` and ``conflict_rows`` give the view plain values to show. Its ipywidgets view
(``widget``) only calls the form, so tests drive it by setting widget values, without a browser. Nothing is
written until someone answers: opening an audit, computing evidence or rendering the report never touches the
records folder.

A file whose plan names another unit, audit id or year is not opened (``FormNotOpened``: a notebook shows its
message, not a traceback), and a save never goes into a file that another audit's plan replaced meanwhile.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import date, datetime
from pathlib import Path

import pandas as pd
from filelock import Timeout

from isoaudit.analytics.candidates import candidate_items
from isoaudit.analytics.run import run_analytics
from isoaudit.checklist import checklist_for_level, load_checklist
from isoaudit.errors import IsoauditError, RecordsError, WorksheetError, file_access_error
from isoaudit.evidence import audit_period, compute_evidence, evidence_for_items
from isoaudit.findings import (
    conform,
    findings_from_audit,
    flag_findings,
    merge_register,
)
from isoaudit.i18n import check_lang, label, message
from isoaudit.measures import latest_year
from isoaudit.notebook.records_folder import find_records_folder
from isoaudit.notebook.unit_records import judged_year
from isoaudit.records import load_records
from isoaudit.records.units import default_unit, known_unit_code
from isoaudit.text import clean
from isoaudit.workbooks.audit_file import (
    ANSWER_FIELDS,
    KEEP_VERSIONS,
    AuditPlan,
    AuditRecord,
    audit_path,
    load_audit_for,
    new_audit,
    per_field_conflicts,
    result_label,
    set_answer,
)
from isoaudit.workbooks.audit_lock import LOCK_TIMEOUT, DiskState, read_audit_state, refresh, save_locked
from isoaudit.workbooks.findings_register import (
    read_register,
    register_path,
    update_register,
)

DEFAULT_AUDIT_PREFIX = "DGNB"  # đánh giá nội bộ
TIME_SHOWN = "%Y-%m-%d %H:%M"  # times given to the view: ISO, read the same everywhere

log = logging.getLogger(__name__)


def open_audit(records, unit: str | None = None, audit_id: str | None = None, checklist=None,
               year: int | None = None, *, lang: str = "vi", audit_dir=None, auditor: str = "",
               as_of=None, keep_versions: int | None = KEEP_VERSIONS,
               lock_timeout: float = LOCK_TIMEOUT) -> AuditForm:
    """The audit ``audit_id`` of ``unit``, ready to answer or report.

    ``records``: a records folder (a path, resolved with ``notebook.records_folder.find_records_folder``) or a
    loaded ``Records``; ``unit``: a unit code (default: ``default_unit``); ``year``: the year audited (default:
    the latest year of the unit's dossiers, else this year); ``audit_id``: default ``DGNB-<year>``;
    ``checklist``: a checklist file (None: the bundled one), cut to the unit's level; ``audit_dir``: the folder
    holding ``audits/`` and ``findings/`` (default: the records folder); ``as_of``: the day the records are
    judged (default today; the evidence period ends on 31/12 of ``year`` at the latest); ``lock_timeout``: seconds
    a save waits for another auditor's save before it fails (and is retried).
    """
    check_lang(lang)
    if not hasattr(records, "dossiers"):
        records = load_records(find_records_folder(records), lang)
    unit = known_unit_code(records, unit) if unit is not None and clean(unit) else default_unit(records)
    unit_row = _unit_row(records, unit)
    year = int(year) if year is not None else default_year(records, unit)
    audit_id = clean(audit_id) if audit_id is not None and clean(audit_id) else f"{DEFAULT_AUDIT_PREFIX}-{year}"
    items = load_checklist(checklist, lang)
    level = unit_row.get("level")
    if level is not None and not pd.isna(level):
        items = checklist_for_level(items, level)
    as_of = pd.Timestamp(as_of if as_of is not None else date.today()).normalize()
    # One judged year for the evidence and the log analytics (judging a year's dossiers is their costliest step).
    unit_year = judged_year(records, unit, year, audit_period(year, as_of)[1])
    evidence = compute_evidence(records, year, unit, as_of=as_of, unit_year=unit_year)
    # What the log analytics flagged: one question per reason, answered like any other (accept or dismiss).
    candidates, candidate_evidence = candidate_items(run_analytics(unit_year), lang)
    if len(candidates):
        items = pd.concat([items, candidates], ignore_index=True)
        evidence = pd.concat([evidence, candidate_evidence], ignore_index=True)
    folder = Path(audit_dir) if audit_dir is not None else Path(records.folder)
    plan = AuditPlan(audit_id, unit, _text(unit_row.get("unit_name")), year,
                     checklist="" if checklist is None else str(checklist))
    return AuditForm.open(audit_path(folder, unit, audit_id), plan, items, evidence, auditor=auditor, lang=lang,
                          records=records, folder=folder, as_of=as_of, keep_versions=keep_versions,
                          lock_timeout=lock_timeout)


def default_year(records, unit: str) -> int:
    """The latest year in which ``unit`` received dossiers; this year when it has none."""
    return latest_year(records.dossiers[(records.dossiers["unit_code"] == unit).fillna(False).to_numpy(bool)])


def in_frontend() -> bool:
    """Whether a person's Jupyter frontend runs this kernel. JupyterLab, Notebook 7 and VS Code send a cell
    id with every execution; papermill and nbval (nobody at the keyboard) do not."""
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    kernel = getattr(shell, "kernel", None)
    if kernel is None:
        return False
    parent = kernel.get_parent() or {}
    return "cellId" in (parent.get("metadata") or {})


class FormNotOpened(WorksheetError):
    """The audit file the form will not open (another audit's plan, a broken sheet), as ``error`` words it. In a
    notebook it shows as that message alone, in the form's language: IPython prints what
    ``_render_traceback_`` returns instead of a traceback."""

    def __init__(self, code: str, lang: str = "vi", **params):
        super().__init__(code, **params)
        self.lang = lang

    @classmethod
    def of(cls, error: IsoauditError, lang: str) -> FormNotOpened:
        return cls(error.code, lang, **error.params)

    def _render_traceback_(self) -> list[str]:
        return self.message(self.lang).splitlines()


@dataclass(frozen=True)
class FormStatus:
    """What the form's status line says, as plain values (``AuditForm.status``).

    ``saved_at``: the last save that went through (None: none in this session); ``save_error``: why the last
    save failed, a sentence in the form's language (None when it went through), and ``failed_at`` when;
    ``pending``: answers or settled conflicts not saved yet; ``conflicts``: fields with two values to settle;
    ``merged_count``: items the last save or refresh brought in from other auditors."""

    answered: int
    total: int
    saved_at: datetime | None
    save_error: str | None
    pending: bool
    conflicts: int
    merged_count: int
    failed_at: datetime | None = None


class AuditForm:
    """One auditor's session on one audit: the record, where it is saved, the items with their evidence.

    ``answer`` changes the record and saves it; ``widget`` builds the ipywidgets view that calls ``answer``.
    ``conflicts`` (``CONFLICT_COLUMNS``, one field a row) lists the fields two auditors answered differently:
    the file keeps the value saved first, the other waits there (``conflict_rows``) until someone ``settle``s it.
    """

    def __init__(self, record: AuditRecord, path, checklist: pd.DataFrame, evidence: pd.DataFrame | None = None,
                 *, auditor: str = "", lang: str = "vi", records=None, folder=None, as_of=None,
                 keep_versions: int | None = KEEP_VERSIONS, lock_timeout: float = LOCK_TIMEOUT,
                 disk: DiskState | None = None):
        self.record = replace(record, conflicts=per_field_conflicts(record.conflicts))
        self.path = Path(path)
        self.checklist = checklist.reset_index(drop=True)
        self.evidence = evidence
        self.auditor = clean(auditor)
        self.lang = check_lang(lang)
        self.records = records
        self.folder = Path(folder) if folder is not None else self.path.parent.parent.parent
        self.as_of = pd.Timestamp(as_of if as_of is not None else date.today()).normalize()
        self.keep_versions = keep_versions
        self.lock_timeout = lock_timeout
        # What the file held when this session last read or wrote it: the common ancestor of the next merge.
        self.disk = disk if disk is not None else _disk_of(self.record, self.path)
        self.saved_at: datetime | None = None
        self.save_error: str | None = None  # why the last save failed, in the form's language
        self.failed_at: datetime | None = None
        self.pending = False  # answers (or settled conflicts) not saved yet
        self.merged_count = 0
        self._view = None  # the AuditView, built by ``widget``

    @classmethod
    def open(cls, path, plan: AuditPlan, checklist: pd.DataFrame, evidence: pd.DataFrame | None = None,
             **options) -> AuditForm:
        """The audit file at ``path`` when it exists (resuming it: its plan and items stay as saved, even if
        the checklist was edited since), else a new audit of ``plan`` over ``checklist``.

        Raises ``FormNotOpened`` (a ``WorksheetError``), touching nothing, when the file cannot be read or its
        plan names another unit, audit id or year than ``plan`` (``audit_file.load_audit_for``)."""
        path = Path(path)
        unit_codes = _unit_codes(options.get("records"))
        try:
            found = read_audit_state(path, lambda file: load_audit_for(file, plan, unit_codes))
        except WorksheetError as error:
            raise FormNotOpened.of(error, options.get("lang", "vi")) from None
        if found is None:
            record = new_audit(plan, checklist)
            found = record, DiskState.unsaved(record)
        return cls(found[0], path, checklist, evidence, disk=found[1], **options)

    # ---- state -----------------------------------------------------------------------------------------
    @property
    def exists(self) -> bool:
        return self.path.exists()

    @property
    def conflicts(self) -> pd.DataFrame:
        """The fields answered differently, not settled yet (``CONFLICT_COLUMNS``; ``conflict_rows`` as text)."""
        return self.record.conflicts

    @conflicts.setter
    def conflicts(self, conflicts: pd.DataFrame) -> None:
        self.record = replace(self.record, conflicts=conflicts)

    @property
    def base(self) -> pd.DataFrame:
        """The answers as the file held them when this session last read or wrote it."""
        return self.disk.answers

    @property
    def digest(self) -> str | None:
        """SHA-256 of the file this session last read or wrote (None: no file then)."""
        return self.disk.digest

    def progress(self) -> tuple[int, int]:
        """(items answered, items in the audit)."""
        return self.record.progress()

    def clauses(self) -> pd.DataFrame:
        """Clauses in checklist order: ``clause``, ``title``, ``answered``, ``total``."""
        answers = self.record.answers
        titles = self.checklist.drop_duplicates("clause").set_index("clause")["clause_title"] \
            if "clause_title" in self.checklist else pd.Series(dtype="string")
        grouped = answers.assign(done=answers["result"].notna()).groupby("clause", sort=False)["done"]
        frame = pd.DataFrame({"answered": grouped.sum().astype(int), "total": grouped.size()})
        frame["title"] = frame.index.map(titles).astype("string")
        return frame.reset_index()[["clause", "title", "answered", "total"]]

    def resume_clause(self) -> str | None:
        """Where the auditor left off: the first clause with an unanswered item, else the first clause."""
        clauses = self.clauses()
        if clauses.empty:
            return None
        open_ones = clauses[clauses["answered"] < clauses["total"]]
        return str((open_ones if len(open_ones) else clauses)["clause"].iloc[0])

    def item_evidence(self) -> pd.DataFrame:
        """Per item of the audit: its automatic evidence (see ``evidence_for_items``)."""
        if self.evidence is None:
            return pd.DataFrame(columns=["id", "evidence_key", "value", "status", "text", "items"])
        return evidence_for_items(self.checklist, self.evidence, self.lang)

    # ---- answering and saving ------------------------------------------------------------------------------
    def answer(self, item_id: str, **fields) -> bool:
        """Record ``fields`` (``result``, ``evidence``, ``notes``; '' or None clears one) of ``item_id`` by this
        auditor, and save. Answering a field settles its conflicts: the value given is the one chosen.

        Returns whether the save went through. A save that fails raises nothing (``save``); a wrong item or
        result raises ``WorksheetError`` and changes nothing."""
        answers = set_answer(self.record.answers, item_id, auditor=self.auditor, **fields)
        self.record = replace(self.record, answers=answers,
                              conflicts=_without(self.record.conflicts, item_id, set(fields) & set(ANSWER_FIELDS)))
        self.pending = True
        return self.save()

    def settle(self, item_id: str, field: str, value) -> bool:
        """Settle the conflict on ``field`` (result, evidence or notes) of ``item_id`` by choosing ``value`` (a
        result code for the result, as ``conflict_rows`` gives it in ``mine_value``/``theirs_value``; or any
        other text): the answer takes it, the conflict leaves the list and the file. Returns whether it saved."""
        if field not in ANSWER_FIELDS:
            raise WorksheetError("audit.unknown_field", field=str(field), allowed=", ".join(ANSWER_FIELDS))
        return self.answer(item_id, **{field: value})

    def save(self) -> bool:
        """Save now, under the file lock, merged with what other auditors saved since this session last read
        or wrote the file (``audit_lock.save_locked``). Returns whether it went through.

        Never raises for a save that fails: the answers stay in the form (``pending``), ``save_error`` says why
        in the form's language, nothing is written (not even a version); ``retry_save`` or the next answer
        tries again, and a save that goes through clears ``save_error``."""
        plan = self.record.plan.with_auditor(self.auditor)
        try:
            sync = save_locked(replace(self.record, plan=plan), self.path, self.disk, lang=self.lang,
                               keep_versions=self.keep_versions, unit_codes=_unit_codes(self.records),
                               timeout=self.lock_timeout)
        except Exception as error:  # noqa: BLE001 - any failed save keeps the answers and says why; none raises
            self.save_error, self.failed_at = self._save_failure(error), datetime.now()
            self.pending = True
            self._show([])
            return False
        self.record, self.disk = sync.record, sync.disk
        self.saved_at = datetime.now()
        self.save_error = self.failed_at = None
        self.pending = False
        self.merged_count = len(sync.changed_ids)
        self._show(sync.changed_ids)
        return True

    def retry_save(self) -> bool:
        """Save what is not saved yet (after a save that failed); True when nothing is left unsaved."""
        return self.save() if self.pending else True

    def refresh_from_disk(self) -> list[str]:
        """Bring in what other auditors saved since this session last read or wrote the file, merged as a save
        merges (this session's unsaved answers stay; a field both changed keeps the file's value and lists this
        session's as a conflict), writing nothing. Returns the ids of the items shown differently now; costs one
        ``stat`` when the file did not change. A file that cannot be read now is left for the next save to
        report."""
        try:
            sync = refresh(self.record, self.path, self.disk, _unit_codes(self.records))
        except Exception:  # noqa: BLE001 - the timer that calls this must keep running; the next save says why
            log.debug("refreshing %s failed", self.path, exc_info=True)
            return []
        if sync is None:
            return []
        read_anew = sync.disk.digest != self.disk.digest
        self.record, self.disk = sync.record, sync.disk
        if len(sync.new_conflicts):
            self.pending = True  # the value set aside is saved into the file's conflicts by the next save
        if read_anew:
            self.merged_count = len(sync.changed_ids)
            self._show(sync.changed_ids)
        return sync.changed_ids

    def status(self) -> FormStatus:
        """The form's state for its status line (``FormStatus``)."""
        answered, total = self.progress()
        return FormStatus(answered, total, self.saved_at, self.save_error, self.pending,
                          len(per_field_conflicts(self.conflicts)), self.merged_count, self.failed_at)

    def conflict_rows(self) -> list[dict]:
        """The conflicts, one dict of plain values a field, for the view: ``id``, ``clause``, ``question``,
        ``field`` (result, evidence or notes) and ``field_label``; ``mine``, the value set aside (this
        session's, when its save met the conflict), with ``mine_auditor`` and ``mine_time``; ``theirs``, the
        value the file keeps, with ``their_auditor`` and ``their_time``. ``mine`` and ``theirs`` are what
        ``settle`` takes (a result as its code, '' for an empty field); ``mine_shown`` and ``theirs_shown`` word
        them in the form's language. Times as ISO text "2025-11-03 09:30", None when unknown."""
        names = {f: label(f"audit.col.{f}", self.lang) for f in ANSWER_FIELDS}
        rows = []
        for _, row in per_field_conflicts(self.conflicts).iterrows():
            field = row["field"]
            mine, theirs = _text(row[f"{field}_mine"]), _text(row[f"{field}_theirs"])
            rows.append({"id": _text(row["id"]), "clause": _text(row["clause"]), "question": _text(row["question"]),
                         "field": field, "field_label": names[field],
                         "mine": mine, "mine_shown": self._shown(field, mine),
                         "mine_auditor": _text(row["auditor_mine"]), "mine_time": _time(row["answered_at_mine"]),
                         "theirs": theirs, "theirs_shown": self._shown(field, theirs),
                         "their_auditor": _text(row["auditor_theirs"]), "their_time": _time(row["answered_at_theirs"])})
        return rows

    def _shown(self, field: str, value) -> str:
        return result_label(value, self.lang) if field == "result" else _text(value)

    def _save_failure(self, error: Exception) -> str:
        """Why a save failed, in the form's language: the system's refusal worded for a user, the lock held too
        long, or an isoaudit error's message."""
        if isinstance(error, Timeout):  # before OSError: filelock's Timeout is a TimeoutError
            reason = message("audit.save_busy", self.lang, file=str(self.path), seconds=f"{self.lock_timeout:g}")
        elif isinstance(error, IsoauditError):
            reason = error.message(self.lang)
        elif isinstance(error, OSError):
            if error.filename is None:
                error.filename = str(self.path)
            reason = file_access_error(error).message(self.lang)
        else:  # a defect: keep its traceback in the log, say it in the form
            log.error("saving %s failed", self.path, exc_info=error)
            reason = message("system.other", self.lang, path=str(self.path), reason=f"{type(error).__name__}: {error}")
        return reason

    def _show(self, changed_ids: list[str]) -> None:
        if self._view is not None:
            self._view.refresh(changed_ids)

    # ---- findings ----------------------------------------------------------------------------------------
    def findings(self) -> pd.DataFrame:
        """This audit's findings with the register's typed actions and flags (nothing written): those its
        answers raise and those the register already holds under this audit's id (an answer changed since
        does not erase a finding the unit is acting on)."""
        new = findings_from_audit(self.record, self.evidence, self.checklist, lang=self.lang)
        merged, _, _ = merge_register(self.known_findings(), new)
        flagged = flag_findings(merged, self.as_of)
        mine = flagged["finding_id"].isin(new["finding_id"]) | flagged["audit_id"].eq(self.record.plan.audit_id)
        return flagged[mine.fillna(False).to_numpy(bool)].reset_index(drop=True)

    def known_findings(self) -> pd.DataFrame:
        """Findings already recorded for the unit: its register, then other findings files of the records."""
        register = read_register(register_path(self.folder, self.record.plan.unit_code))
        frames = [register]
        if self.records is not None:
            own = self.records.findings[(self.records.findings["unit_code"] == self.record.plan.unit_code)
                                        .fillna(False).to_numpy(bool)]
            frames.append(conform(own[~own["finding_id"].isin(register["finding_id"]).to_numpy(bool)]))
        return pd.concat([f for f in frames if len(f)], ignore_index=True) if any(len(f) for f in frames) \
            else register

    def write_findings(self):
        """Add this audit's findings to the unit's register (``isoaudit.findings.update_register``)."""
        plan = self.record.plan
        new = findings_from_audit(self.record, self.evidence, self.checklist, lang=self.lang)
        return update_register(self.folder, plan.unit_code, new, audit_id=plan.audit_id, as_of=self.as_of,
                               unit_name=plan.unit_name, lang=self.lang)

    # ---- the view ----------------------------------------------------------------------------------------
    def widget(self):
        """The ipywidgets form (built once): auditor, clause chooser, progress, the clause's items."""
        if self._view is None:
            from isoaudit.notebook.audit_view import AuditView  # ipywidgets: only for a form someone sees

            self._view = AuditView(self)
        return self._view.root

    def item_widgets(self, item_id: str):
        self.widget()
        return self._view.items[item_id]

    def show_clause(self, clause: str) -> None:
        self.widget()
        self._view.clause.value = clause

    def shown_items(self) -> list[str]:
        """Ids of the items the view shows now."""
        self.widget()
        return [item_id for item_id, item in self._view.items.items() if item.box in self._view.body.children]

    def period(self) -> tuple[pd.Timestamp, pd.Timestamp]:
        return audit_period(self.record.plan.year or self.as_of.year, self.as_of)


def _text(value) -> str:
    return "" if value is None or (not isinstance(value, str) and pd.isna(value)) else str(value)


def _time(value) -> str | None:
    return None if value is None or pd.isna(value) else pd.Timestamp(value).strftime(TIME_SHOWN)


def _without(conflicts: pd.DataFrame, item_id: str, fields: set[str]) -> pd.DataFrame:
    """``conflicts`` but those on ``fields`` of ``item_id`` (answered now, so settled)."""
    conflicts = per_field_conflicts(conflicts)
    settled = ((conflicts["id"] == item_id) & conflicts["field"].isin(fields)).fillna(False).to_numpy(bool)
    return conflicts[~settled].reset_index(drop=True)


def _disk_of(record: AuditRecord, path: Path) -> DiskState:
    """The state of a session made from ``record`` over the file at ``path``: the file as it is (what the record
    holds beyond it is this session's to save), else ``record`` as unsaved."""
    try:
        found = read_audit_state(path)
    except (IsoauditError, OSError):  # unreadable now: the first save says why
        found = None
    return found[1] if found is not None else DiskState.unsaved(record)


def _unit_codes(records):
    """The unit registry's codes (None without records): how a code in an audit file's plan is matched."""
    return None if records is None else records.units["unit_code"]


def _unit_row(records, unit: str) -> dict:
    """The registry row of ``unit``; an empty dict when the folder has no registry; an error when the
    registry does not know the unit."""
    units = records.units
    if units.empty:
        return {}
    row = units[(units["unit_code"] == unit).fillna(False).to_numpy(bool)]
    if row.empty:
        raise RecordsError("audit.unknown_unit", unit=unit, folder=str(records.folder))
    return row.iloc[0].to_dict()


__all__ = ["AuditForm", "FormNotOpened", "FormStatus", "default_unit", "default_year", "in_frontend",
           "known_unit_code", "open_audit"]
