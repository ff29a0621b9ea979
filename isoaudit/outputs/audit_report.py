"""The audit report a notebook run with nobody at the keyboard shows: plan, results, evidence, findings.

``render_report(form)`` returns one HTML fragment (display it with ``IPython.display.HTML``) from the
template ``audit_report.html.j2``, escaped: every text comes from spreadsheets people typed, so none is
trusted as markup. This module gathers the values; the markup and its style live in the templates.
Sections: 1 the plan (with the checklist's edition), 2 the count of each result, 3 the answers clause by
clause (clauses with no answer listed on one line), 4 the automatic evidence of every key, 5 the audit's
findings with their corrective actions and flags from the register; and the items two auditors answered
differently, when there are any.
"""
from __future__ import annotations

from datetime import date

import pandas as pd

from isoaudit.analytics.candidates import evidence_description
from isoaudit.checklist import checklist_edition, evidence_keys
from isoaudit.errors import ChecklistError
from isoaudit.findings import grade_label, status_label
from isoaudit.i18n import format_date, format_percent, label
from isoaudit.outputs.templates import render
from isoaudit.schema import RESULTS
from isoaudit.workbooks.audit_file import ANSWER_FIELDS, CONFLICT_COLUMNS, PLAN_FIELDS, result_label
from isoaudit.workbooks.findings_register import register_path

FINDING_REPORT_COLUMNS = ("finding_id", "clause", "grade", "description", "evidence", "dossier_ids",
                          "corrective_action", "owner", "deadline", "status", "flags")
ITEMS_SHOWN = 10  # evidence details listed in the report; the rest are counted
_STATUS_CLASS = {"ok": "ok", "attention": "attention", "no_data": "nodata"}

def render_report(form, lang: str | None = None) -> str:
    """The audit report of ``form`` (an ``isoaudit.notebook.audit_form.AuditForm``) as an HTML fragment."""
    lang = lang or form.lang
    plan = form.record.plan
    answers = form.record.answers
    answered, total = form.progress()
    unit = f"{plan.unit_name} ({plan.unit_code})" if plan.unit_name else plan.unit_code
    folder = getattr(form.records, "folder", None) or form.folder
    context = {
        "title": label("audit.report.title", lang),
        "subtitle": label("audit.report.subtitle", lang, audit_id=plan.audit_id, unit=unit, year=plan.year or ""),
        "generated": label("audit.report.generated", lang, date=format_date(date.today(), lang), folder=str(folder)),
        "headings": {k: label(f"audit.report.{k}", lang) for k in ("plan", "summary", "answers", "evidence",
                                                                  "findings")},
        "cols": {k: label(f"audit.report.col.{k}", lang) for k in ("result", "count")},
        "plan": _plan_rows(plan, lang),
        "exists": form.exists,
        "no_record": label("audit.report.no_record", lang, file=form.path.name),
        "progress": label("audit.report.progress", lang, answered=answered, total=total,
                          rate=format_percent(answered / total if total else float("nan"), lang)),
        "summary": _summary(answers, lang),
        "no_answers": label("audit.report.no_answers", lang),
        "answer_headers": [label(f"audit.col.{c}", lang) for c in ("id", "question", "result", "evidence", "notes",
                                                                  "auditor", "answered_at")],
        "evidence_headers": [label(f"audit.report.col.{c}", lang) for c in ("description", "finding", "status",
                                                                            "items")],
        "evidence": _evidence_rows(form.evidence, lang),
        "finding_headers": [label(f"audit.report.finding.{c}", lang) for c in FINDING_REPORT_COLUMNS],
        "findings": _finding_rows(form.findings(), lang),
        "no_findings": label("audit.report.no_findings", lang),
        "register_note": label("audit.report.register_note", lang,
                               file=str(register_path(form.folder, plan.unit_code))),
        "unanswered_label": label("audit.report.unanswered", lang),
        "conflicts": conflicts_table(form.conflicts, lang) if len(form.conflicts) else None,
    }
    context["clauses"], context["unanswered_clauses"] = _clause_sections(form, lang)
    return render("audit_report.html.j2", **context)


def conflicts_html(conflicts: pd.DataFrame, lang: str = "vi") -> str:
    """The items two auditors answered differently, both answers side by side (an HTML fragment)."""
    return render("audit_conflicts.html.j2", conflicts=conflicts_table(conflicts, lang))


def conflicts_table(conflicts: pd.DataFrame, lang: str = "vi") -> dict:
    """What ``audit_conflicts.html.j2`` shows as ``conflicts``: ``heading``, ``headers`` and ``rows`` (lists of
    plain text cells), so the report and the audit form include that template rather than a rendered string.
    ``conflicts``: ``CONFLICT_COLUMNS``, a row per field answered differently (``field``; both values of that
    field, "mine" the one set aside, "theirs" the one the file keeps)."""
    mine, theirs = label("audit.report.col.mine", lang), label("audit.report.col.theirs", lang)
    fields = {f: label(f"audit.col.{f}", lang) for f in ANSWER_FIELDS}
    headers = [label("audit.col.id", lang), label("audit.col.question", lang), label("audit.conflict.col.field", lang)]
    headers += [f"{label(f'audit.col.{c}', lang)} ({side})" for side in (mine, theirs)
                for c in ("result", "evidence", "notes", "auditor")]
    rows = []
    for row in conflicts.reindex(columns=CONFLICT_COLUMNS).itertuples(index=False):
        rows.append([_text(row.id), _text(row.question), fields.get(_text(row.field), ""),
                     result_label(row.result_mine, lang), _text(row.evidence_mine), _text(row.notes_mine),
                     _text(row.auditor_mine),
                     result_label(row.result_theirs, lang), _text(row.evidence_theirs), _text(row.notes_theirs),
                     _text(row.auditor_theirs)])
    return {"heading": label("audit.report.conflicts", lang), "headers": headers, "rows": rows}


def _plan_rows(plan, lang: str) -> list[tuple[str, str]]:
    rows = []
    for name in PLAN_FIELDS:
        value = getattr(plan, name)
        if name in ("scope_clauses", "scope_processes"):
            value = "; ".join(value) or label("audit.plan.all_scope", lang)
        elif name == "auditors":
            value = "; ".join(value)
        elif name in ("start_date", "end_date"):
            value = format_date(value, lang) if value else ""
        elif name == "checklist":
            value = value or label("audit.plan.bundled_checklist", lang)
        rows.append((label(f"audit.plan.{name}", lang), "" if value is None else str(value)))
        if name == "checklist":
            rows.append((label("checklist.edition", lang), edition_text(plan.checklist, lang)))
    return rows


def edition_text(checklist: str, lang: str) -> str:
    """The edition of the checklist file ``checklist`` (empty: the bundled one) in words; a broken edition
    file is named, not fatal, since the report must show whatever else it can."""
    try:
        return checklist_edition(checklist or None).describe(lang)
    except ChecklistError as exc:
        return exc.message(lang)


def _summary(answers: pd.DataFrame, lang: str) -> list[tuple[str, int, str]]:
    counts = answers["result"].value_counts()
    rows = [(result_label(code, lang), int(counts.get(code, 0)), "nc" if code in ("major", "minor") else "")
            for code in RESULTS]
    rows.append((label("audit.report.unanswered", lang), int(answers["result"].isna().sum()), ""))
    rows.append((label("audit.report.total", lang), len(answers), ""))
    return rows


def _clause_sections(form, lang: str) -> tuple[list[dict], str]:
    """Clauses with at least one answer, each with all its items; the clauses with none, joined."""
    clauses = form.clauses()
    answered = clauses[clauses["answered"] > 0]
    rows = {}  # clause -> its items' rows, in the answers' order: one pass, not a filter per clause
    for r in form.record.answers.itertuples(index=False):
        if isinstance(r.clause, str):
            rows.setdefault(r.clause, []).append(
                {"cells": [_text(r.id), _text(r.question),
                           result_label(r.result, lang) if not pd.isna(r.result)
                           else label("audit.report.unanswered", lang),
                           _text(r.evidence), _text(r.notes), _text(r.auditor), _datetime(r.answered_at)],
                 "nc": _text(r.result) in ("major", "minor")})
    sections = [{"clause": clause.clause, "title": _text(clause.title), "rows": rows.get(clause.clause, [])}
                for clause in answered.itertuples(index=False)]  # a few dozen clauses
    missing = clauses.loc[clauses["answered"] == 0, "clause"]
    return sections, ", ".join(missing) if form.exists else ""


def _evidence_rows(evidence: pd.DataFrame | None, lang: str) -> list[dict]:
    if evidence is None:
        return []
    descriptions = evidence_keys().set_index("key")[f"description_{lang}"]
    rows = []
    for row in evidence.itertuples(index=False):  # one row per evidence key
        items = _text(row.items).split("; ") if _text(row.items) else []
        more = f" … (+{len(items) - ITEMS_SHOWN})" if len(items) > ITEMS_SHOWN else ""
        shown = "; ".join(items[:ITEMS_SHOWN]) + more
        # the key's description, not the key: a code such as objectives_plan_exists says nothing to a reader
        rows.append({"description": _text(descriptions.get(row.key)) or evidence_description(row.key, lang)
                     or label("audit.report.unknown_key", lang),
                     "text": _text(getattr(row, f"text_{lang}")),
                     "status": label(f"audit.evidence_status.{row.status}", lang),
                     "css": _STATUS_CLASS.get(row.status, ""), "details": shown})
    return rows


def _finding_rows(findings: pd.DataFrame, lang: str) -> list[dict]:
    rows = []
    for row in findings.itertuples(index=False):  # an audit raises a handful of findings
        flags = []
        if row.overdue:
            flags.append(label("audit.report.flag.overdue", lang))
        if row.repeated:
            flags.append(label("audit.report.flag.repeated", lang, ids=_text(row.repeat_of)))
        rows.append({"cells": [_text(row.finding_id), _text(row.clause), grade_label(row.grade, lang),
                               _text(row.description), _text(row.evidence), _text(row.dossier_ids),
                               _text(row.corrective_action), _text(row.owner), format_date(row.deadline, lang),
                               status_label(row.status, lang), "; ".join(flags)]})
    return rows


def _text(value) -> str:
    return "" if value is None or (not isinstance(value, str) and pd.isna(value)) else str(value)


def _datetime(value) -> str:
    if value is None or pd.isna(value):
        return ""
    return pd.Timestamp(value).strftime("%d/%m/%Y %H:%M")
