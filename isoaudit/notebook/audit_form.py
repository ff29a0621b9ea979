"""The audit as an auditor works it in a notebook: clause by clause, automatic evidence beside each question,
every change saved at once.

``open_audit`` gathers everything one audit needs (records, unit, checklist for the unit's level, automatic
evidence, the audit file, resumed when it exists) into an ``AuditForm``. The form's state changes
(``answer``) save the file (``isoaudit.workbooks.audit_file.save_merging``: atomic, earlier version kept, merged
when another auditor saved meanwhile); its ipywidgets view (``widget``) only calls ``answer``, so tests
drive it by setting widget values, without a browser. Nothing is written until someone answers: opening
an audit, computing evidence or rendering the report never touches the records folder.

A file whose plan names another unit, audit id or year is not opened (``FormNotOpened``: a notebook shows its
message, not a traceback), and a save never goes into a file that another audit's plan replaced meanwhile.
"""
from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pandas as pd

from isoaudit.checklist import checklist_for_level, load_checklist
from isoaudit.errors import IsoauditError, RecordsError, WorksheetError
from isoaudit.evidence import audit_period, compute_evidence, evidence_for_items
from isoaudit.findings import (
    conform,
    findings_from_audit,
    flag_findings,
    merge_register,
)
from isoaudit.i18n import check_lang
from isoaudit.measures import latest_year
from isoaudit.notebook.records_folder import find_records_folder
from isoaudit.records import load_records
from isoaudit.records.units import default_unit, known_unit_code
from isoaudit.text import clean
from isoaudit.workbooks.audit_file import (
    KEEP_VERSIONS,
    AuditPlan,
    AuditRecord,
    audit_path,
    empty_conflicts,
    file_digest,
    load_audit_for,
    new_audit,
    save_merging,
    set_answer,
)
from isoaudit.workbooks.findings_register import (
    read_register,
    register_path,
    update_register,
)

DEFAULT_AUDIT_PREFIX = "DGNB"  # đánh giá nội bộ


def open_audit(records, unit: str | None = None, audit_id: str | None = None, checklist=None,
               year: int | None = None, *, lang: str = "vi", audit_dir=None, auditor: str = "",
               as_of=None, keep_versions: int | None = KEEP_VERSIONS) -> AuditForm:
    """The audit ``audit_id`` of ``unit``, ready to answer or report.

    ``records``: a records folder (a path, resolved with ``notebook.records_folder.find_records_folder``) or a loaded ``Records``;
    ``unit``: a unit code (default: ``default_unit``); ``year``: the year audited (default:
    the latest year of the unit's dossiers, else this year); ``audit_id``: default ``DGNB-<year>``;
    ``checklist``: a checklist file (None: the bundled one), cut to the unit's level; ``audit_dir``: the folder
    holding ``audits/`` and ``findings/`` (default: the records folder); ``as_of``: the day the records are
    judged (default today; the evidence period ends on 31/12 of ``year`` at the latest).
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
    evidence = compute_evidence(records, year, unit, as_of=as_of)
    folder = Path(audit_dir) if audit_dir is not None else Path(records.folder)
    plan = AuditPlan(audit_id, unit, _text(unit_row.get("unit_name")), year,
                     checklist="" if checklist is None else str(checklist))
    return AuditForm.open(audit_path(folder, unit, audit_id), plan, items, evidence, auditor=auditor, lang=lang,
                          records=records, folder=folder, as_of=as_of, keep_versions=keep_versions)


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


class AuditForm:
    """One auditor's session on one audit: the record, where it is saved, the items with their evidence.

    ``answer`` changes the record and saves it; ``widget`` builds the ipywidgets view that calls ``answer``.
    ``conflicts`` lists the items another auditor answered differently since this session read the file.
    """

    def __init__(self, record: AuditRecord, path, checklist: pd.DataFrame, evidence: pd.DataFrame | None = None,
                 *, auditor: str = "", lang: str = "vi", records=None, folder=None, as_of=None,
                 keep_versions: int | None = KEEP_VERSIONS):
        self.record = record
        self.path = Path(path)
        self.checklist = checklist.reset_index(drop=True)
        self.evidence = evidence
        self.auditor = clean(auditor)
        self.lang = check_lang(lang)
        self.records = records
        self.folder = Path(folder) if folder is not None else self.path.parent.parent.parent
        self.as_of = pd.Timestamp(as_of if as_of is not None else date.today()).normalize()
        self.keep_versions = keep_versions
        self.base = record.answers
        self.digest = file_digest(self.path)
        self.conflicts = empty_conflicts()
        self.saved_at: datetime | None = None
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
        try:
            record = load_audit_for(path, plan, _unit_codes(options.get("records"))) if path.exists() \
                else new_audit(plan, checklist)
        except WorksheetError as error:
            raise FormNotOpened.of(error, options.get("lang", "vi")) from None
        return cls(record, path, checklist, evidence, **options)

    # ---- state -----------------------------------------------------------------------------------------
    @property
    def exists(self) -> bool:
        return self.path.exists()

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

    def answer(self, item_id: str, **fields) -> None:
        """Record ``fields`` (``result``, ``evidence``, ``notes``) of ``item_id`` by this auditor, and save."""
        self.record = AuditRecord(self.record.plan, set_answer(self.record.answers, item_id, auditor=self.auditor,
                                                               **fields))
        self.save()

    def save(self) -> None:
        """Save now (merging first when someone else saved the file since this session read it)."""
        plan = self.record.plan.with_auditor(self.auditor)
        record, merged = save_merging(AuditRecord(plan, self.record.answers), self.path, self.base, self.digest,
                                      self.lang, self.keep_versions, _unit_codes(self.records))
        self.record, self.base, self.digest = record, record.answers, file_digest(self.path)
        self.saved_at = datetime.now()
        self.merged_count = len(merged.taken_from_theirs)
        if len(merged.conflicts):
            self.conflicts = pd.concat([self.conflicts, merged.conflicts], ignore_index=True) \
                .drop_duplicates("id", keep="last").reset_index(drop=True)
        if self._view is not None:
            self._view.refresh(merged.taken_from_theirs)

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


__all__ = ["AuditForm", "FormNotOpened", "default_unit", "default_year", "in_frontend",
           "known_unit_code", "open_audit"]
