"""The ipywidgets view of an ``AuditForm``, made for a day of work at a laptop, by mouse or keyboard alone.

- Each item's widgets (question, result buttons, evidence, notes) are built once. Choosing another clause
  changes which boxes are shown; what the file brings in (another auditor's save) is set in place, only in the
  boxes whose value differs and never in a box the auditor is typing in. Nothing is rebuilt under the cursor.
- Typed text is saved after a pause of ``TYPING_PAUSE`` seconds (each box on its own; the last value always),
  not only when the box is left: closing the tab loses at most the last second of typing.
- A bar that stays at the top of the page shows who answers, progress, the last save or, in red, why the last
  save failed (the form keeps the answers and retries every ``TICK`` seconds), and the buttons to move: previous
  and next clause or question, next unanswered question.
- Items two auditors answered differently are listed, both answers side by side, each with "keep mine" and
  "take the other one".
- The form opens where this auditor stopped (the item they answered last); their name is remembered on this
  computer (``isoaudit.notebook.settings``).

``audit_screen`` adds, when the notebook names no unit, a dropdown of the registry's units above the form.
Every change goes through the form (``answer``, ``settle``, ``retry_save``, ``refresh_from_disk``); the form
calls ``refresh`` and ``update_status`` after it saved or read the file.
"""
from __future__ import annotations

import asyncio
import html
from dataclasses import dataclass
from types import SimpleNamespace

import pandas as pd

from isoaudit.errors import IsoauditError, user_error
from isoaudit.i18n import label
from isoaudit.notebook import settings
from isoaudit.outputs.audit_report import edition_text
from isoaudit.outputs.templates import render
from isoaudit.schema import RESULTS
from isoaudit.text import clean, fold
from isoaudit.workbooks.audit_file import ANSWER_FIELDS, result_label

TYPING_PAUSE = 1.0  # seconds without a keystroke after which a box's text is saved
TICK = 3.0  # seconds between looks at the file (another auditor's saves) and retries of a failed save
_FIELD_KEYS = {"result": "audit.col.result", "evidence": "audit.col.evidence", "notes": "audit.col.notes"}


def audit_screen(records, unit=None, audit_id=None, checklist=None, year=None, *, interactive: bool = True,
                 **options) -> AuditScreen:
    """The audit of ``unit`` as ``open_audit`` opens it (same arguments), ready to show with ``widget()``.

    When ``unit`` is empty and a person uses the form (``interactive``), the form opens the unit last audited
    from this records folder on this computer (else the registry's first commune) and offers the registry's
    units in a dropdown; choosing one opens that unit's audit. ``screen.form`` is the form shown."""
    from isoaudit.notebook.audit_form import open_audit
    from isoaudit.notebook.records_folder import find_records_folder
    from isoaudit.notebook.unit_records import read_records

    if not hasattr(records, "dossiers"):  # read once: every unit chosen afterwards is opened from it
        # A batch (no one at the keyboard, one unit) reads only that unit's rows of its records cache.
        only = clean(unit) if not interactive and unit is not None and clean(unit) else None
        records = read_records(find_records_folder(records), options.get("lang", "vi"), unit=only)
    choose = interactive and not clean(unit)
    if choose:
        remembered = settings.remembered_unit(records.folder)
        unit = remembered if remembered in set(records.units["unit_code"].dropna()) else None

    def open_unit(code):
        return open_audit(records, code, audit_id, checklist, year, **options)

    return AuditScreen(open_unit(unit), open_unit, records if choose else None)


class AuditScreen:
    """A form and, with ``records``, the dropdown of their units that opens another unit's form."""

    def __init__(self, form, open_unit, records=None):
        self.form = form
        self._open_unit = open_unit
        self._records = records
        self._root = None

    def widget(self):
        """The screen's widget (built once): the unit dropdown, when there is one, above the form."""
        if self._root is None:
            import ipywidgets as w

            self._message = w.HTML()
            self._root = w.VBox([*self._unit_row(), self.form.widget()])
        return self._root

    def _unit_row(self) -> list:
        if self._records is None:
            return []
        import ipywidgets as w

        lang, units = self.form.lang, self._records.units.dropna(subset=["unit_code"])
        options = [(label("audit.form.unit_option", lang, code=str(row.unit_code), name=_text(row.unit_name)),
                    str(row.unit_code)) for row in units.itertuples(index=False)]
        self.unit = w.Dropdown(options=options, value=self.form.record.plan.unit_code,
                               description=label("audit.form.unit", lang), style={"description_width": "initial"},
                               layout=w.Layout(width="480px"))
        self.unit.observe(self._unit_changed, names="value")
        return [self.unit, self._message]

    def _unit_changed(self, change):
        code = change["new"]
        settings.remember_unit(self._records.folder, code)
        view = self.form._view
        if view is not None:
            view.close()  # saves what was typed, stops its timers
        try:
            form = self._open_unit(code)
        except IsoauditError as error:  # e.g. that unit's audit file holds another audit's plan
            self._message.value = render("audit_form_status.html.j2",
                                         lines=[("error", error.message(self.form.lang))])
            self._root.children = [self.unit, self._message]
            return
        self.form = form
        self._message.value = ""
        self._root.children = [self.unit, self._message, form.widget()]


@dataclass
class ItemWidgets:
    """The inputs of one checklist item, built once."""

    result: object
    evidence: object
    notes: object
    box: object


class AuditView:
    """The widgets of a form; every change goes through the form."""

    def __init__(self, form):
        import ipywidgets as w

        self.form = form
        self.lang = lang = form.lang
        self.syncing = False  # True while the view sets values itself: those are not answers
        self._timers = _Timers()
        self._error = None  # a save refused by a form that raises instead of keeping ``save_error``
        self._conflict_keys = None
        if not form.auditor:
            form.auditor = settings.remembered_auditor()
        self.auditor = w.Text(value=form.auditor, description=label("audit.form.auditor", lang),
                              placeholder=label("audit.form.auditor_placeholder", lang), continuous_update=True,
                              style={"description_width": "initial"}, layout=w.Layout(width="340px"))
        self.auditor.observe(self._auditor_changed, names="value")
        answered, total = form.progress()
        self.progress = w.IntProgress(value=answered, min=0, max=max(total, 1), layout=w.Layout(width="140px"))
        self.progress_text = w.Label()
        self.status = w.HTML(layout=w.Layout(flex="1 1 300px"))
        self.items = {row.id: self._item(row) for row in self._rows()}
        self.current = self.resume_item()
        start = self._clause_of(self.current) if self.current else form.resume_clause()
        self.clause = w.Dropdown(options=self._clause_options(), value=start,
                                 description=label("audit.form.clause", lang),
                                 style={"description_width": "initial"}, layout=w.Layout(flex="1 1 320px"))
        self.clause.observe(self._clause_chosen, names="value")
        buttons = {name: w.Button(description=text, layout=w.Layout(width="auto")) for name, text in (
            ("previous_clause", label("audit.form.previous_clause", lang)),
            ("next_clause", label("audit.form.next_clause", lang)),
            ("previous_item", label("audit.form.previous_item", lang)),
            ("next_item", label("audit.form.next_item", lang)),
            ("next_unanswered", label("audit.form.next_unanswered", lang)))}
        buttons["previous_clause"].on_click(lambda _: self.step_clause(-1))
        buttons["next_clause"].on_click(lambda _: self.step_clause(1))
        buttons["previous_item"].on_click(lambda _: self.step_item(-1))
        buttons["next_item"].on_click(lambda _: self.step_item(1))
        buttons["next_unanswered"].on_click(lambda _: self.next_unanswered())
        self.buttons = buttons
        self.bottom_next = w.Button(description=label("audit.form.next_clause", lang), layout=w.Layout(width="auto"))
        self.bottom_next.on_click(lambda _: self.step_clause(1))
        self.bottom_unanswered = w.Button(description=label("audit.form.next_unanswered", lang),
                                          layout=w.Layout(width="auto"))
        self.bottom_unanswered.on_click(lambda _: self.next_unanswered())
        self.conflicts = w.VBox(layout=w.Layout(display="none"))
        self.conflicts.add_class("isoaudit-settle")
        self.register_button = w.Button(description=label("audit.form.register_button", lang),
                                        layout=w.Layout(width="auto"))
        self.register_button.on_click(self._write_register)
        self.body = w.VBox()
        bar = w.VBox([
            w.HBox([self.auditor, self.progress, self.progress_text, self.status]),
            self.conflicts,
            w.HBox([buttons["previous_clause"], self.clause, buttons["next_clause"], buttons["previous_item"],
                    buttons["next_item"], buttons["next_unanswered"]]),
        ])
        bar.add_class("isoaudit-bar")
        # Which questions these are: the checklist's edition (ISO 9001:2015 + Amd 1:2024, or "unknown").
        self.edition = w.HTML(html.escape(label("audit.form.edition", lang,
                                                edition=edition_text(form.record.plan.checklist, lang))))
        self.root = w.VBox([w.HTML(render("audit_form_style.html.j2")), bar, self.body,
                            w.HBox([self.bottom_next, self.bottom_unanswered, self.register_button]),
                            self.edition])
        self.root.add_class("isoaudit-form")
        self.shown_clause = None
        self._show(start)
        self._mark_current(self.current)
        self.update_status()
        self._timers.later("tick", TICK, self._tick, only_with_loop=True)

    # ---- building ----------------------------------------------------------------------------------------
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

        lang = self.lang
        options = [(label("audit.form.result_none", lang), "")] + [(result_label(c, lang), c) for c in RESULTS]
        result = w.ToggleButtons(options=options, value=_text(row.result), style={"button_width": "auto"})
        result.add_class("isoaudit-result")
        boxes = {}
        for field in ("evidence", "notes"):
            boxes[field] = w.Textarea(value=_text(getattr(row, field)), description=label(_FIELD_KEYS[field], lang),
                                      continuous_update=True, rows=2, style={"description_width": "initial"},
                                      layout=w.Layout(flex="1 1 0", width="auto"))
        result.observe(self._result_chosen(row.id, result), names="value")
        for field, box in boxes.items():
            box.observe(self._typed(row.id, field, box), names="value")
        header = w.HTML(_item_html(row, lang))
        item = w.VBox([header, result, w.HBox([boxes["evidence"], boxes["notes"]])])
        item.add_class("isoaudit-item")
        return ItemWidgets(result, boxes["evidence"], boxes["notes"], item)

    # ---- answering -----------------------------------------------------------------------------------------
    def _result_chosen(self, item_id: str, widget):
        def handler(change):
            if self.syncing:
                return
            self.flush()  # what was typed before the click is saved first, in the order it was done
            self._mark_current(item_id)
            self._save(item_id, "result", change["new"])
        return handler

    def _typed(self, item_id: str, field: str, widget):
        def handler(change):
            if self.syncing:
                return
            self._mark_current(item_id)
            if _from_browser(widget, "value") and self._timers.running():
                self._timers.later((item_id, field), TYPING_PAUSE,
                                   lambda: self._save(item_id, field, widget.value))
            else:  # set from code (a test, a script): saved at once
                self._timers.cancel((item_id, field))
                self._save(item_id, field, change["new"])
        return handler

    def _save(self, item_id: str, field: str, value) -> None:
        self._timers.flush(lambda key: key == "auditor")  # the name that goes with this answer: kept for next time
        self._error = None
        try:
            self.form.answer(item_id, **{field: value if clean(value) else None})
        except IsoauditError as error:  # a form that raises on a refused save (before its saving was rewritten)
            self._error = error
        self.update_status()

    def flush(self) -> None:
        """Save now every box whose typing pause has not ended yet (and remember the name being typed)."""
        self._timers.flush(lambda key: key != "tick")

    def typing(self, item_id: str, field: str) -> bool:
        """Whether text typed in that box is waiting for the pause to be saved."""
        return self._timers.pending((item_id, field))

    def _auditor_changed(self, change):
        self.form.auditor = clean(change["new"])
        if _from_browser(self.auditor, "value") and self._timers.running():
            self._timers.later("auditor", TYPING_PAUSE, lambda: settings.remember_auditor(self.auditor.value))
        else:
            settings.remember_auditor(change["new"])
        self.update_status()

    # ---- moving ---------------------------------------------------------------------------------------------
    def _clause_chosen(self, change):
        if not self.syncing:
            self._show(change["new"])

    def show_clause(self, clause: str, item_id: str | None = None) -> None:
        """Show ``clause`` (and make ``item_id`` the current item, its evidence box focused)."""
        self.syncing = True
        try:
            self.clause.value = clause
        finally:
            self.syncing = False
        self._show(clause)
        if item_id is not None:
            self._mark_current(item_id)
            self.items[item_id].evidence.focus()

    def step_clause(self, step: int) -> None:
        clauses = [value for _, value in self.clause.options]
        if not clauses:
            return
        position = clauses.index(self.shown_clause) if self.shown_clause in clauses else 0
        target = clauses[min(max(position + step, 0), len(clauses) - 1)]
        ids = self._ids_of(target)
        self.show_clause(target, ids[0] if ids else None)

    def step_item(self, step: int) -> None:
        ids = list(self.items)
        if self.current in ids:
            position = ids.index(self.current) + step
        else:
            shown = self._ids_of(self.shown_clause)
            position = ids.index(shown[0]) if shown else 0
        target = ids[min(max(position, 0), len(ids) - 1)]
        self.show_clause(self._clause_of(target), target)

    def next_unanswered(self) -> None:
        """Go to the first unanswered item after the current one (wrapping round to the start)."""
        answers = self.form.record.answers
        ids = answers["id"].tolist()
        open_ids = set(answers.loc[answers["result"].isna().to_numpy(bool), "id"])
        start = ids.index(self.current) + 1 if self.current in ids else 0
        target = next((i for i in ids[start:] + ids[:start] if i in open_ids), None)
        if target is None:
            self.status.value = render("audit_form_status.html.j2",
                                       lines=[("ok", label("audit.form.all_answered", self.lang))])
            return
        self.show_clause(self._clause_of(target), target)

    def _show(self, clause: str | None) -> None:
        if clause == self.shown_clause:
            return
        self.flush()
        self.shown_clause = clause
        self.body.children = [self.items[i].box for i in self._ids_of(clause)]

    def _mark_current(self, item_id: str | None) -> None:
        if item_id == getattr(self, "_marked", None):
            self.current = item_id
            return
        previous = getattr(self, "_marked", None)
        if previous in self.items:
            self.items[previous].box.remove_class("isoaudit-current")
        if item_id in self.items:
            self.items[item_id].box.add_class("isoaudit-current")
        self._marked = self.current = item_id

    def resume_item(self) -> str | None:
        """The item this auditor answered last (any auditor's when the name is unknown or answered nothing)."""
        answers = self.form.record.answers
        answered = answers[answers["answered_at"].notna().to_numpy(bool)]
        if self.form.auditor:
            mine = answered[answered["auditor"].map(fold, na_action="ignore").eq(fold(self.form.auditor))
                            .fillna(False).to_numpy(bool)]
            answered = mine if len(mine) else answered
        if answered.empty:
            return None
        return str(answered.sort_values("answered_at", kind="stable")["id"].iloc[-1])

    def _ids_of(self, clause) -> list[str]:
        answers = self.form.record.answers
        return [i for i in answers.loc[(answers["clause"] == clause).fillna(False).to_numpy(bool), "id"]
                if i in self.items]

    def _clause_of(self, item_id: str) -> str | None:
        answers = self.form.record.answers
        hits = answers.loc[(answers["id"] == item_id).fillna(False).to_numpy(bool), "clause"]
        return str(hits.iloc[0]) if len(hits) else None

    def _clause_options(self):
        return [(label("audit.form.clause_option", self.lang, clause=r.clause, title=_text(r.title),
                       answered=r.answered, total=r.total), r.clause) for r in self.form.clauses().itertuples()]

    # ---- what the form tells the view -------------------------------------------------------------------------
    def refresh(self, changed_ids) -> None:
        """Show what the record holds now for ``changed_ids`` (answers merged from another auditor): only the
        values that differ are set, and never in a box whose typing is not saved yet."""
        answers = self.form.record.answers.drop_duplicates("id").set_index("id")
        self.syncing = True
        try:
            for item_id in changed_ids or []:
                if item_id not in self.items or item_id not in answers.index:
                    continue
                item = self.items[item_id]
                stored = _text(answers.at[item_id, "result"])
                if item.result.value != stored:
                    item.result.value = stored
                for field in ("evidence", "notes"):
                    box, stored = getattr(item, field), _text(answers.at[item_id, field])
                    # The file keeps text trimmed and may fold its line breaks: what was typed stays as typed.
                    if not self.typing(item_id, field) and clean(box.value) != clean(stored):
                        box.value = stored
        finally:
            self.syncing = False
        self.update_status()

    def update_status(self) -> None:
        """Progress, the last save (or why it failed, in red), merges and conflicts; the clauses' counts."""
        lang, form, state = self.lang, self.form, self._state()
        self.progress.max = max(state.total, 1)
        self.progress.value = state.answered
        self.progress_text.value = label("audit.form.progress", lang, answered=state.answered, total=state.total)
        lines = []
        file = form.path.name
        if state.save_error is not None:
            when = state.failed_at or pd.Timestamp.now()
            lines.append(("error", label("audit.form.save_failed", lang, file=file, time=when.strftime("%H:%M:%S"),
                                         reason=_reason(state.save_error, lang))))
            if state.pending:
                lines.append(("error", label("audit.form.retrying", lang, seconds=int(TICK))))
        elif state.saved_at is not None:
            lines.append(("ok", label("audit.form.saved", lang, time=state.saved_at.strftime("%H:%M:%S"), file=file)))
        elif not form.exists:
            lines.append(("", label("audit.form.not_saved", lang, file=file)))
        if not form.auditor:
            lines.append(("warning", label("audit.form.no_auditor", lang)))
        if state.merged_count:
            lines.append(("", label("audit.form.merged", lang, taken=state.merged_count)))
        rows = self.conflict_rows()
        self.status.value = render("audit_form_status.html.j2", lines=lines, conflicts=self._conflicts_table(rows))
        self._show_conflicts(rows)
        self._update_clause_labels()

    _update_status = update_status  # the name the form called before its saving was rewritten

    def _state(self):
        """What ``form.status()`` says (answered, total, saved_at, save_error, pending, conflicts, merged_count);
        worked out from the form's attributes while it has no ``status``."""
        form = self.form
        if hasattr(form, "status"):
            found = form.status()
            get = found.get if isinstance(found, dict) else (lambda name, default=None: getattr(found, name, default))
            answered, total = get("answered"), get("total")
            if answered is None or total is None:
                answered, total = form.progress()
            return SimpleNamespace(answered=int(answered), total=int(total), saved_at=get("saved_at"),
                                   save_error=get("save_error") or self._error, pending=bool(get("pending", False)),
                                   failed_at=get("failed_at"), merged_count=get("merged_count", 0) or 0)
        answered, total = form.progress()
        return SimpleNamespace(answered=answered, total=total, saved_at=form.saved_at,
                               save_error=getattr(form, "save_error", None) or self._error, pending=False,
                               failed_at=None, merged_count=form.merged_count)

    def _update_clause_labels(self) -> None:
        options = self._clause_options()
        if [text for text, _ in options] == [text for text, _ in self.clause.options]:
            return
        selected = self.clause.value
        self.syncing = True
        try:
            with self.clause.hold_sync():  # the browser gets the new labels and the same choice in one message
                self.clause.options = options
                self.clause.value = selected
        finally:
            self.syncing = False

    # ---- conflicts ------------------------------------------------------------------------------------------
    def conflict_rows(self) -> list[dict]:
        """The fields two auditors answered differently (``form.conflict_rows``; worked out from
        ``form.conflicts`` while the form has no such method)."""
        if hasattr(self.form, "conflict_rows"):
            return list(self.form.conflict_rows())
        rows = []
        conflicts = getattr(self.form, "conflicts", None)
        if conflicts is None:
            return rows
        for row in conflicts.to_dict("records"):
            for field in ANSWER_FIELDS:
                mine, theirs = row.get(f"{field}_mine"), row.get(f"{field}_theirs")
                if clean(_text(mine)) != clean(_text(theirs)):
                    rows.append({"id": row["id"], "clause": row.get("clause"), "question": row.get("question"),
                                 "field": field, "field_label": label(_FIELD_KEYS[field], self.lang),
                                 "mine": mine, "theirs": theirs, "their_auditor": row.get("auditor_theirs"),
                                 "their_time": row.get("answered_at_theirs")})
        return rows

    def _conflicts_table(self, rows: list[dict]) -> dict | None:
        """What the status template shows of ``rows``: one line per field, both answers as typed."""
        if not rows:
            return None
        lang = self.lang

        def shown(row, side):
            value = row.get(f"{side}_shown")
            if value is None:  # worded here when the form gives only the value
                value = row.get(side)
                value = result_label(value, lang) if row["field"] == "result" and _text(value) in RESULTS \
                    else _text(value)
            return _text(value) or label("audit.form.conflict_empty", lang)

        lines = []
        for row in rows:
            when = row.get("their_time")
            when = "" if when is None or pd.isna(when) else pd.Timestamp(when).strftime("%H:%M %d/%m/%Y")
            lines.append([_text(row["id"]), _text(row.get("question")), self._field_label(row),
                          shown(row, "mine"), shown(row, "theirs"),
                          " ".join(p for p in (_text(row.get("their_auditor")), when) if p)])
        headers = [label("audit.col.id", lang), label("audit.col.question", lang),
                   label("audit.form.conflict_field", lang), label("audit.form.conflict_mine", lang),
                   label("audit.report.col.theirs", lang), label("audit.form.conflict_who", lang)]
        return {"heading": label("audit.form.conflicts_heading", lang), "headers": headers, "rows": lines}

    def _field_label(self, row: dict) -> str:
        return _text(row.get("field_label")) or label(_FIELD_KEYS[row["field"]], self.lang)

    def _show_conflicts(self, rows: list[dict]) -> None:
        """A line of buttons per conflicting field: keep mine, or take the other auditor's."""
        keys = [(r["id"], r["field"], _text(r.get("mine")), _text(r.get("theirs"))) for r in rows]
        if keys == self._conflict_keys:
            return
        import ipywidgets as w

        self._conflict_keys = keys
        children = []
        for row in rows:
            what = w.Label(f"{_text(row['id'])} · {self._field_label(row)}:")
            keep = w.Button(description=label("audit.form.keep_mine", self.lang), layout=w.Layout(width="auto"))
            take = w.Button(description=label("audit.form.take_theirs", self.lang), layout=w.Layout(width="auto"))
            keep.on_click(lambda _, r=row: self.settle(r["id"], r["field"], r.get("mine")))
            take.on_click(lambda _, r=row: self.settle(r["id"], r["field"], r.get("theirs")))
            children.append(w.HBox([what, keep, take]))
        self.conflicts.children = children
        self.conflicts.layout.display = "" if rows else "none"

    def settle(self, item_id: str, field: str, value) -> None:
        """Keep ``value`` for that field of the item and drop it from the conflicts."""
        self.flush()
        if hasattr(self.form, "settle"):
            self.form.settle(item_id, field, value)
        else:  # before the form had ``settle``: answer it, and the item is no longer in conflict
            self._save(item_id, field, None if value is None or pd.isna(value) else value)
            self.form.conflicts = self.form.conflicts[self.form.conflicts["id"] != item_id].reset_index(drop=True)
        self.refresh([item_id])

    # ---- time -----------------------------------------------------------------------------------------------
    def _tick(self) -> None:
        """Every ``TICK`` seconds: retry a failed save, else look for another auditor's save."""
        try:
            if self.root.comm is None:  # the form was closed: nothing to keep up to date
                return
            if not any(isinstance(key, tuple) for key in self._timers.keys()):  # not while someone types
                if self._state().pending and hasattr(self.form, "retry_save"):
                    self.form.retry_save()
                elif hasattr(self.form, "refresh_from_disk"):
                    self.form.refresh_from_disk()
                self.update_status()
        finally:
            self._timers.later("tick", TICK, self._tick, only_with_loop=True)

    def close(self) -> None:
        """Save what was typed and stop looking at the file (the form is replaced or closed)."""
        self.flush()
        self._timers.cancel_all()

    # ---- findings -------------------------------------------------------------------------------------------
    def _write_register(self, _button=None):
        self.flush()
        update = self.form.write_findings()
        done = label("audit.form.register_done", self.lang, file=update.path.name, added=len(update.added),
                     filled=len(update.filled), withdrawn=len(update.withdrawn))
        self.status.value = render("audit_form_status.html.j2", lines=[("ok", done)])


class _Timers:
    """Callbacks run later in the kernel's event loop, the loop that delivers the browser's changes, so a
    callback may touch the widgets and the form as a change handler does. Keyed: scheduling a key again
    replaces its callback (a debounce). Without a running loop (a script, a test) nothing waits: ``later`` runs
    the callback at once, or not at all with ``only_with_loop``."""

    def __init__(self):
        self._pending: dict = {}

    @staticmethod
    def running() -> bool:
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return False
        return True

    def later(self, key, delay: float, callback, only_with_loop: bool = False) -> None:
        self.cancel(key)
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            if not only_with_loop:
                callback()
            return
        self._pending[key] = (loop.call_later(delay, self._run, key), callback)

    def _run(self, key) -> None:
        _, callback = self._pending.pop(key, (None, None))
        if callback is not None:
            callback()

    def pending(self, key) -> bool:
        return key in self._pending

    def keys(self) -> list:
        return list(self._pending)

    def cancel(self, key) -> None:
        handle, _ = self._pending.pop(key, (None, None))
        if handle is not None:
            handle.cancel()

    def flush(self, which=lambda key: True) -> None:
        """Run now the callbacks whose key ``which`` accepts."""
        for key in [k for k in self._pending if which(k)]:
            handle, callback = self._pending.pop(key)
            handle.cancel()
            callback()

    def cancel_all(self) -> None:
        for key in list(self._pending):
            self.cancel(key)


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


def _from_browser(widget, trait: str) -> bool:
    """Whether the change being handled came from the browser (a person typing or clicking) rather than from
    code: ipywidgets holds the browser's values in ``_property_lock`` while it applies them."""
    return trait in (getattr(widget, "_property_lock", None) or {})


def _reason(error, lang: str) -> str:
    """Why a save failed, in words: an isoaudit error's message, a system refusal worded, else its text."""
    worded = user_error(error)
    return worded.message(lang) if worded is not None else str(error)


def _get(frame: pd.DataFrame, key, column):
    if column not in frame or key not in frame.index:
        return None
    return frame.at[key, column]


def _text(value) -> str:
    return "" if value is None or (not isinstance(value, str) and pd.isna(value)) else str(value)
