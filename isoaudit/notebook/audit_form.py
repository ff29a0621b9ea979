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

from dataclasses import dataclass
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
from isoaudit.i18n import check_lang, label
from isoaudit.measures import latest_year
from isoaudit.notebook.records_folder import find_records_folder
from isoaudit.outputs.audit_report import conflicts_table
from isoaudit.outputs.templates import render
from isoaudit.records import load_records
from isoaudit.records.units import default_unit, known_unit_code
from isoaudit.schema import RESULTS
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
    result_label,
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


@dataclass
class ItemWidgets:
    """The inputs of one checklist item."""

    result: object
    evidence: object
    notes: object
    box: object


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
        self._view: _View | None = None

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
            self._view = _View(self)
        return self._view.root

    def item_widgets(self, item_id: str) -> ItemWidgets:
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


class _View:
    """The widgets of a form; every change goes through ``AuditForm.answer``."""

    def __init__(self, form: AuditForm):
        import ipywidgets as w

        self.form = form
        self.syncing = False
        lang = form.lang
        self.auditor = w.Text(value=form.auditor, description=label("audit.form.auditor", lang),
                              continuous_update=False, style={"description_width": "initial"})
        self.auditor.observe(self._auditor_changed, names="value")
        self.clause = w.Dropdown(options=self._clause_options(), value=form.resume_clause(),
                                 description=label("audit.form.clause", lang),
                                 layout=w.Layout(width="95%"), style={"description_width": "initial"})
        self.clause.observe(lambda change: self._show(change["new"]), names="value")
        answered, total = form.progress()
        self.progress = w.IntProgress(value=answered, min=0, max=max(total, 1))
        self.progress_text = w.Label()
        self.status = w.HTML()
        self.register_button = w.Button(description=label("audit.form.register_button", lang),
                                        layout=w.Layout(width="auto"))
        self.register_button.on_click(self._write_register)
        self.items = {row.id: self._item(row) for row in self._rows()}
        self.body = w.VBox()
        self.root = w.VBox([self.auditor, self.clause, w.HBox([self.progress, self.progress_text]), self.body,
                            self.register_button, self.status])
        self._show(self.clause.value)
        self._update_status()

    def _rows(self):
        answers = self.form.record.answers
        evidence = self.form.item_evidence().drop_duplicates("id").set_index("id")
        look_for = self.form.checklist.drop_duplicates("id").set_index("id")
        for row in answers.itertuples(index=False):  # one form: at most a few hundred items
            yield _ItemRow(row.id, row.clause, row.question, row.result, row.evidence, row.notes,
                           _get(look_for, row.id, "evidence"), _get(evidence, row.id, "text"),
                           _get(evidence, row.id, "status"))

    def _item(self, row: _ItemRow) -> ItemWidgets:
        import ipywidgets as w

        lang = self.form.lang
        options = [(label("audit.result.unanswered", lang), "")] + [(result_label(c, lang), c) for c in RESULTS]
        result = w.Dropdown(options=options, value=_text(row.result), description=label("audit.form.result", lang))
        evidence = w.Textarea(value=_text(row.evidence), placeholder=label("audit.form.evidence", lang),
                              continuous_update=False, layout=w.Layout(width="95%"))
        notes = w.Textarea(value=_text(row.notes), placeholder=label("audit.form.notes", lang),
                           continuous_update=False, layout=w.Layout(width="95%"))
        for name, widget in (("result", result), ("evidence", evidence), ("notes", notes)):
            widget.observe(self._changed(row.id, name), names="value")
        header = w.HTML(_item_html(row, lang))
        return ItemWidgets(result, evidence, notes, w.VBox([header, result, evidence, notes],
                                                           layout=w.Layout(border="1px solid #ddd",
                                                                           padding="6px", margin="4px 0")))

    def _changed(self, item_id: str, field: str):
        def handler(change):
            if self.syncing:
                return
            try:
                self.form.answer(item_id, **{field: change["new"] or None})
            except WorksheetError as error:  # e.g. the file replaced by another unit's: say so in the form
                self.status.value = render("audit_form_status.html.j2", lines=[error.message(self.form.lang)],
                                           conflicts=None)
        return handler

    def _auditor_changed(self, change):
        self.form.auditor = clean(change["new"])

    def _show(self, clause: str | None):
        ids = self.form.record.answers.loc[(self.form.record.answers["clause"] == clause).fillna(False)
                                           .to_numpy(bool), "id"]
        self.body.children = [self.items[i].box for i in ids]

    def _clause_options(self):
        return [(label("audit.form.clause_option", self.form.lang, clause=r.clause, title=_text(r.title),
                       answered=r.answered, total=r.total), r.clause) for r in self.form.clauses().itertuples()]

    def refresh(self, changed_ids: list[str]):
        """Show what the record holds now: answers merged from another auditor, counts, save status."""
        self.syncing = True
        try:
            answers = self.form.record.answers.set_index("id")
            for item_id in changed_ids:
                if item_id in self.items and item_id in answers.index:
                    item = self.items[item_id]
                    item.result.value = _text(answers.at[item_id, "result"])
                    item.evidence.value = _text(answers.at[item_id, "evidence"])
                    item.notes.value = _text(answers.at[item_id, "notes"])
            selected = self.clause.value
            self.clause.options = self._clause_options()
            self.clause.value = selected
        finally:
            self.syncing = False
        self._update_status()

    def _update_status(self):
        lang = self.form.lang
        answered, total = self.form.progress()
        self.progress.value = answered
        self.progress_text.value = label("audit.form.progress", lang, answered=answered, total=total)
        lines = []
        if self.form.saved_at is not None:
            lines.append(label("audit.form.saved", lang, time=self.form.saved_at.strftime("%H:%M:%S"),
                               file=self.form.path.name))
        elif not self.form.exists:
            lines.append(label("audit.form.not_saved", lang, file=self.form.path.name))
        if self.form.merged_count:
            lines.append(label("audit.form.merged", lang, taken=self.form.merged_count))
        conflicts = conflicts_table(self.form.conflicts, lang) if len(self.form.conflicts) else None
        self.status.value = render("audit_form_status.html.j2", lines=lines, conflicts=conflicts)

    def _write_register(self, _button=None):
        update = self.form.write_findings()
        done = label("audit.form.register_done", self.form.lang, file=update.path.name, added=len(update.added),
                     filled=len(update.filled), withdrawn=len(update.withdrawn))
        self.status.value = render("audit_form_status.html.j2", lines=[done], conflicts=None)


@dataclass
class _ItemRow:
    id: str
    clause: str
    question: str
    result: object
    evidence: object
    notes: object
    look_for: object
    auto_text: object
    auto_status: object


def _item_html(row: _ItemRow, lang: str) -> str:
    """The item's question, what to look for and its automatic evidence, escaped (checklists are edited)."""
    return render("audit_item.html.j2", id=_text(row.id), question=_text(row.question),
                  look_for=_text(row.look_for), look_for_label=label("audit.form.look_for", lang),
                  auto_text=_text(row.auto_text), auto_status=_text(row.auto_status),
                  auto_evidence_label=label("audit.form.auto_evidence", lang))


def _get(frame: pd.DataFrame, key, column):
    if column not in frame or key not in frame.index:
        return None
    return frame.at[key, column]


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


__all__ = ["AuditForm", "FormNotOpened", "ItemWidgets", "default_unit", "default_year", "in_frontend",
           "known_unit_code", "open_audit"]
