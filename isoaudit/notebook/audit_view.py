"""The ipywidgets view of an ``AuditForm``: the auditor's name, the clause chooser, progress, the clause's items
(question, what to look for, automatic evidence, result, evidence, notes) and the save status. Every change
goes through ``AuditForm.answer``; the form calls ``refresh`` with what another auditor's save brought in.
"""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from isoaudit.errors import WorksheetError
from isoaudit.i18n import label
from isoaudit.outputs.audit_report import conflicts_table
from isoaudit.outputs.templates import render
from isoaudit.schema import RESULTS
from isoaudit.text import clean
from isoaudit.workbooks.audit_file import result_label


@dataclass
class ItemWidgets:
    """The inputs of one checklist item."""

    result: object
    evidence: object
    notes: object
    box: object


class AuditView:
    """The widgets of a form; every change goes through ``AuditForm.answer``."""

    def __init__(self, form):
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
