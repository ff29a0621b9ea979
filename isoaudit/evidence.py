"""Automatic audit evidence: what a unit's records say about each evidence key of the checklist.

``compute_evidence`` returns one row per key of ``isoaudit/data/evidence_keys.csv`` (``EVIDENCE_COLUMNS``):

- ``key``: the evidence key; ``value``: its main figure (float, <NA> without data), see the table below;
- ``status``: ``ok``, ``attention`` (the auditor should look: something the rules count as a nonconformity,
  or a target missed) or ``no_data`` (the records needed are not there: the text says which);
- ``text_vi``, ``text_en``: one sentence for the auditor, in each language;
- ``items``: what the figure is about, separated by ``"; "`` (late dossier ids, procedures without a process,
  finding ids...), at most ``ITEMS_SHOWN`` of them; used as the "dossiers involved" of a finding.

The records are taken as they stood at the end of the audit period (``audit_period``): dossiers received
after it are left out and returns after it count as not yet returned. Main figure of each key:

=============================  ===========================================================================
objectives_plan_exists         objectives of the audit year (count)
objectives_measured            share of those objectives with a result (0..1); attention when one is not met
process_coverage               share of the unit's catalogue procedures with an internal process (0..1)
process_versions_current       share of internal processes with a version and an effective date (0..1)
on_time_rate                   early or on-time returns / returns in the period (0..1)
overdue_dossiers               dossiers past their legal due date, not returned at the end (count)
late_without_apology           late or overdue dossiers with no apology letter (count)
appointment_beyond_legal       dossiers whose appointment is later than the legal time (count)
supplement_requests            share of dossiers received in the period asked for a supplement (0..1)
dossiers_per_officer           dossiers received per one-stop officer per working day
corrective_actions_overdue     corrective actions past their deadline, not done (count)
corrective_actions_unverified  nonconformities whose action is done but not verified (count)
repeated_findings              nonconformities repeating one of an earlier audit, same clause and unit (count)
satisfaction_rate              satisfied or very satisfied answers / answers in the period (0..1)
feedback_handling              feedback answered late or past due unanswered (count)
previous_review_actions        decisions of earlier reviews still not done (count)
=============================  ===========================================================================
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property

import numpy as np
import pandas as pd

from isoaudit.calendar import WorkCalendar, records_calendar
from isoaudit.checklist import evidence_keys
from isoaudit.i18n import LANGS, format_percent, message

EVIDENCE_COLUMNS = ["key", "value", "status", "text_vi", "text_en", "items"]
OK, ATTENTION, NO_DATA = "ok", "attention", "no_data"
STATUSES = (OK, ATTENTION, NO_DATA)
ITEMS_SHOWN = 50
SATISFIED = ("very_satisfied", "satisfied")
RETURNED_STATUSES = ("early", "on_time", "late")


def compute_evidence(records, year: int, unit_code: str | None = None, *, as_of=None,
                     calendar: WorkCalendar | None = None) -> pd.DataFrame:
    """The automatic evidence of every key for one unit in audit ``year`` (columns ``EVIDENCE_COLUMNS``).

    ``records``: a ``Records`` (restricted to ``unit_code`` here when given); ``as_of``: the day the records
    are judged at (default: the end of ``year``, or today while the year runs); ``calendar``: working days
    (default: ``isoaudit.calendar.records_calendar(records)``). Never raises for missing data: such a key
    says ``no_data``.
    """
    if unit_code is not None:
        records = records.for_unit(unit_code)
    context = _Context(records, int(year), unit_code, *audit_period(year, as_of), calendar)
    rows = []
    for key in evidence_keys()["key"]:
        compute = _KEYS.get(key)
        found = compute(context) if compute else _Found(NO_DATA, code="audit.evidence.not_computed")
        rows.append(found.row(key, context))
    frame = pd.DataFrame(rows, columns=EVIDENCE_COLUMNS)
    frame["value"] = frame["value"].astype("Float64")
    for column in ("key", "status", "text_vi", "text_en", "items"):
        frame[column] = frame[column].astype("string")
    return frame


def audit_period(year: int, as_of=None) -> tuple[pd.Timestamp, pd.Timestamp]:
    """First and last day of the audit period: 1 January of ``year`` to 31 December, or to ``as_of`` (a date
    or dd/mm/yyyy text; default today) when that is earlier."""
    start = pd.Timestamp(int(year), 1, 1)
    end = pd.Timestamp(int(year), 12, 31)
    if as_of is None:
        as_of = date.today()
    as_of = pd.to_datetime(as_of, dayfirst=True).normalize() if isinstance(as_of, str) else pd.Timestamp(as_of)
    return start, min(end, as_of.normalize())


def evidence_for_items(checklist: pd.DataFrame, evidence: pd.DataFrame, lang: str = "vi") -> pd.DataFrame:
    """Each checklist item's automatic evidence: ``id``, ``evidence_key``, ``status``, ``text`` (in ``lang``),
    ``items``, ``value``; <NA> for items without a key (or a key not in ``evidence``)."""
    table = evidence.rename(columns={f"text_{lang}": "text"})[["key", "value", "status", "text", "items"]]
    joined = checklist[["id", "evidence_key"]].merge(table, how="left", left_on="evidence_key", right_on="key")
    return joined.drop(columns="key")


# ---- the context every key is computed from ---------------------------------------------------------------
@dataclass
class _Context:
    records: object
    year: int
    unit_code: str | None
    start: pd.Timestamp
    end: pd.Timestamp
    given_calendar: WorkCalendar | None = None

    @cached_property
    def calendar(self) -> WorkCalendar:
        if self.given_calendar is not None:
            return self.given_calendar
        return records_calendar(self.records)

    @cached_property
    def unit(self) -> dict:
        units = self.records.units
        if self.unit_code is None or units.empty:
            return {}
        row = units[(units["unit_code"] == self.unit_code).fillna(False).to_numpy(bool)]
        return row.iloc[0].to_dict() if len(row) else {}

    @cached_property
    def dossiers(self) -> pd.DataFrame:
        """Dossiers received by the end of the period, returns after it undone."""
        frame = self.records.dossiers
        frame = frame[(frame["received_at"] < self.end + pd.Timedelta(days=1)).fillna(False).to_numpy(bool)]
        returned = frame["returned_date"].where(frame["returned_date"] < self.end + pd.Timedelta(days=1))
        return frame.assign(returned_date=returned).reset_index(drop=True)

    @cached_property
    def assessed(self) -> pd.DataFrame | None:
        """The dossiers judged by ``isoaudit.timeliness.assess`` at the end of the period (None when that
        module is not available)."""
        try:
            from isoaudit.timeliness import assess
        except ImportError:
            return None
        return assess(self.dossiers, self.records.procedures, self.calendar, as_of=self.end.date())

    def in_period(self, values: pd.Series) -> np.ndarray:
        day = values.dt.normalize()
        return ((day >= self.start) & (day <= self.end)).fillna(False).to_numpy(bool)

    @cached_property
    def returned(self) -> pd.DataFrame:
        """Assessed dossiers received in the period and returned by its end: the base of the on-time rate,
        as in ``timeliness_summary`` and the management review (rates belong to the period of receipt)."""
        frame = self.assessed
        keep = self.in_period(frame["received_at"]) & frame["status"].isin(RETURNED_STATUSES).to_numpy(bool)
        return frame[keep]

    @cached_property
    def received(self) -> pd.DataFrame:
        """Dossiers received in the period (assessed when possible)."""
        frame = self.assessed if self.assessed is not None else self.dossiers
        return frame[self.in_period(frame["received_at"])]

    @cached_property
    def flagged_findings(self) -> pd.DataFrame:
        from isoaudit.findings import flag_findings

        return flag_findings(self.records.findings, as_of=self.end)

    @cached_property
    def measured(self) -> dict[str, float | None]:
        """Values of ``isoaudit.objectives.MEASURES`` keys these records give (None where they give none)."""
        values: dict[str, float | None] = {}
        if self.assessed is not None and len(self.returned):
            late = int((self.returned["status"] == "late").sum())
            values["on_time_rate"] = 1 - late / len(self.returned)
            values["late_rate"] = late / len(self.returned)
            values["late_count"] = late
        if self.assessed is not None and len(self.dossiers):
            values["overdue_count"] = int((self.assessed["status"] == "overdue").sum())
            values["late_without_apology"] = int(_late_without_apology(self).sum())
            values["appointment_beyond_legal"] = int(self.received["appointment_beyond_legal"].fillna(False).sum())
        channel = self.received["channel"].dropna()
        if len(channel):  # a tracking book without a channel column says nothing about online filing
            values["online_rate"] = float((channel == "online").mean())
        for key, compute in (("satisfaction_rate", _satisfaction), ("process_coverage", _coverage)):
            found = compute(self)
            values[key] = None if found.status == NO_DATA else found.value
        if len(self.records.findings):
            values["corrective_actions_overdue"] = int(self.flagged_findings["overdue"].sum())
        return values


@dataclass
class _Found:
    """What one key found: status, main figure, the message worded for it and the items concerned."""

    status: str
    value: float | None = None
    code: str = ""
    params: dict = field(default_factory=dict)
    items: list = field(default_factory=list)

    def row(self, key: str, context: _Context) -> dict:
        code = self.code or f"audit.evidence.{key}"
        params = {"year": context.year, "end": context.end.strftime("%d/%m/%Y"), **self.params}
        texts = {lang: message(code, lang, **_worded(params, lang)) for lang in LANGS}
        items = [str(item) for item in self.items if not pd.isna(item)]
        return {"key": key, "value": self.value, "status": self.status, "text_vi": texts["vi"],
                "text_en": texts["en"], "items": "; ".join(items[:ITEMS_SHOWN]) or None}


def _worded(params: dict, lang: str) -> dict:
    """Rates (params named ``*rate``, 0..1) as percentages, other fractional numbers with two decimals,
    both with the decimal comma in Vietnamese."""
    worded = {}
    for key, value in params.items():
        if isinstance(value, float) and key.endswith("rate"):
            value = format_percent(value, lang)
        elif isinstance(value, float):
            value = f"{value:.2f}".replace(".", "," if lang == "vi" else ".")
        worded[key] = value
    return worded


def _no_data(reason: str, **params) -> _Found:
    return _Found(NO_DATA, code=f"audit.evidence.no_data.{reason}", params=params)


def _attention_if(condition: bool) -> str:
    return ATTENTION if condition else OK


# ---- objectives and processes ------------------------------------------------------------------------------
def _plan_exists(context: _Context) -> _Found:
    objectives = context.records.objectives
    if objectives.empty:
        return _no_data("objectives")
    count = int((objectives["year"] == context.year).fillna(False).sum())
    code = "" if count else "audit.evidence.objectives_plan_missing"
    return _Found(_attention_if(count == 0), float(count), code=code, params={"count": count})


def _objectives_measured(context: _Context) -> _Found:
    from isoaudit.objectives import evaluate_objectives

    objectives = context.records.objectives
    of_year = objectives[(objectives["year"] == context.year).fillna(False).to_numpy(bool)]
    if of_year.empty:
        return _no_data("objectives_of_year")
    evaluated = evaluate_objectives(of_year, context.measured)
    with_result = int(evaluated["measured"].notna().sum() + (evaluated["measured"].isna()
                                                           & evaluated["met"].notna()).sum())
    met = evaluated["met"]
    missed = evaluated[(~met).fillna(False).to_numpy(bool)]  # <NA>: not judged, not missed
    share = with_result / len(evaluated)
    names = missed["objective_id"].fillna(missed["objective"])
    return _Found(_attention_if(len(missed) > 0 or with_result < len(evaluated)), share,
                  params={"total": len(evaluated), "with_result": with_result, "met": int(met.sum()),
                          "judged": int(met.notna().sum())}, items=names.tolist())


def _unit_procedures(context: _Context) -> pd.DataFrame:
    """Catalogue procedures of the unit's level (a ward takes the commune's); all when the level is unknown."""
    procedures = context.records.procedures
    level = context.unit.get("level")
    if level is None or pd.isna(level) or "level" not in procedures:
        return procedures
    level = "commune" if level == "ward" else level
    of_level = procedures["level"].replace("ward", "commune")
    return procedures[(of_level == level).fillna(True).to_numpy(bool)]


def _coverage(context: _Context) -> _Found:
    procedures = _unit_procedures(context)
    if procedures.empty:
        return _no_data("procedures")
    has_process = procedures["process_code"].notna()
    used_codes = set(context.received["procedure_code"].dropna())
    used = procedures["procedure_code"].isin(used_codes)
    share = float(has_process.mean())
    used_share = float(has_process[used].mean()) if used.any() else None
    missing = procedures.loc[~has_process.to_numpy(bool), "procedure_code"]
    return _Found(_attention_if(not has_process.all()), share,
                  params={"rate": share, "with_process": int(has_process.sum()), "total": len(procedures),
                          "used": int(used.sum()), "used_with_process": int((has_process & used).sum()),
                          "used_rate": used_share if used_share is not None else float("nan")},
                  items=missing.tolist())


def _versions_current(context: _Context) -> _Found:
    procedures = _unit_procedures(context)
    processes = procedures[procedures["process_code"].notna().to_numpy(bool)]
    if processes.empty:
        return _no_data("processes")
    processes = processes.drop_duplicates("process_code")
    # Without a version and an effective date nobody can tell which edition of the process is in force.
    current = processes["process_version"].notna() & processes["effective_date"].notna()
    share = float(current.mean())
    outdated = processes.loc[~current.to_numpy(bool), "process_code"]
    return _Found(_attention_if(not current.all()), share,
                  params={"current": int(current.sum()), "total": len(processes)}, items=outdated.tolist())


# ---- dossiers --------------------------------------------------------------------------------------------------
def _dossier_gap(context: _Context, need_returns: bool = False) -> _Found | None:
    """Why dossier keys cannot be computed, or None when they can."""
    if context.records.dossiers.empty:
        return _no_data("dossiers")
    if context.assessed is None:
        return _no_data("timeliness")
    if context.received.empty and (not need_returns or context.returned.empty):
        return _no_data("dossiers_of_year")
    if need_returns and context.returned.empty:
        return _no_data("returns_of_year")
    return None


def _on_time_rate(context: _Context) -> _Found:
    gap = _dossier_gap(context, need_returns=True)
    if gap:
        return gap
    returned = context.returned
    late = returned[(returned["status"] == "late").to_numpy(bool)]
    rate = 1 - len(late) / len(returned)
    unjudged = int(context.received["status"].isna().sum())
    return _Found(_attention_if(len(late) > 0), rate,
                  params={"rate": rate, "returned": len(returned), "on_time": len(returned) - len(late),
                          "late": len(late), "unjudged": unjudged},
                  items=late.sort_values("days_late", ascending=False)["dossier_id"].tolist())


def _overdue(context: _Context) -> _Found:
    gap = _dossier_gap(context)
    if gap:
        return gap
    assessed = context.assessed
    overdue = assessed[(assessed["status"] == "overdue").to_numpy(bool)].sort_values("days_late", ascending=False)
    longest = int(overdue["days_late"].max()) if len(overdue) else 0
    code = "" if len(overdue) else "audit.evidence.overdue_dossiers_none"
    return _Found(_attention_if(len(overdue) > 0), float(len(overdue)), code=code,
                  params={"count": len(overdue), "longest": longest}, items=overdue["dossier_id"].tolist())


def _late_in_period(context: _Context) -> pd.Series:
    """Per assessed dossier: returned late within the period, or overdue at its end."""
    assessed = context.assessed
    returned_in_period = pd.Series(context.in_period(assessed["returned_date"]), index=assessed.index)
    late = (assessed["status"] == "overdue") | ((assessed["status"] == "late") & returned_in_period)
    return late.fillna(False).astype(bool)


def _late_without_apology(context: _Context) -> pd.Series:
    """Per assessed dossier: late in the period (``_late_in_period``) with no apology letter."""
    return (_late_in_period(context) & context.assessed["late_without_apology"]).fillna(False).astype(bool)


def _without_apology(context: _Context) -> _Found:
    gap = _dossier_gap(context)
    if gap:
        return gap
    assessed = context.assessed
    late = _late_in_period(context)
    missing = _late_without_apology(context)
    ids = assessed.loc[missing.to_numpy(bool), "dossier_id"]
    return _Found(_attention_if(missing.any()), float(missing.sum()),
                  params={"count": int(missing.sum()), "late": int(late.sum())}, items=ids.tolist())


def _appointment_beyond_legal(context: _Context) -> _Found:
    gap = _dossier_gap(context)
    if gap:
        return gap
    received = context.received
    beyond = received["appointment_beyond_legal"].fillna(False).astype(bool)
    judged = int(received["appointment_beyond_legal"].notna().sum())
    return _Found(_attention_if(beyond.any()), float(beyond.sum()),
                  params={"count": int(beyond.sum()), "judged": judged},
                  items=received.loc[beyond.to_numpy(bool), "dossier_id"].tolist())


def _supplements(context: _Context) -> _Found:
    if context.records.dossiers.empty:
        return _no_data("dossiers")
    received = context.received
    if received.empty:
        return _no_data("dossiers_of_year")
    asked = received["supplement_requested_at"].notna()
    rate = float(asked.mean())
    # Asking after the appointment date means the dossier sat unchecked: worth a look.
    after_due = (received["supplement_requested_at"].dt.normalize() > received["due_date"]).fillna(False)
    return _Found(_attention_if(after_due.any()), rate,
                  params={"rate": rate, "count": int(asked.sum()), "received": len(received),
                          "after_due": int(after_due.sum())},
                  items=received.loc[after_due.to_numpy(bool), "dossier_id"].tolist())


def _per_officer(context: _Context) -> _Found:
    if context.records.dossiers.empty:
        return _no_data("dossiers")
    officers = context.unit.get("officers")
    if officers is None or pd.isna(officers) or int(officers) <= 0:
        return _no_data("officers")
    received = len(context.received)
    days = int(context.calendar.for_unit(context.unit_code).working_days_between(
        context.start - pd.Timedelta(days=1), context.end))
    if days <= 0:
        return _no_data("dossiers_of_year")
    value = received / int(officers) / days
    return _Found(OK, value, params={"value": value, "received": received, "officers": int(officers),
                                     "days": days})


# ---- findings, surveys, feedback, reviews ------------------------------------------------------------------
def _actions_overdue(context: _Context) -> _Found:
    findings = context.flagged_findings
    if findings.empty:
        return _no_data("findings")
    overdue = findings[findings["overdue"].to_numpy(bool)]
    return _Found(_attention_if(len(overdue) > 0), float(len(overdue)),
                  params={"count": len(overdue), "actions": int(findings["corrective_action"].notna().sum())},
                  items=overdue["finding_id"].tolist())


def _actions_unverified(context: _Context) -> _Found:
    findings = context.flagged_findings
    if findings.empty:
        return _no_data("findings")
    unverified = findings[(findings["nonconformity"] & (findings["status"] == "done")).fillna(False).to_numpy(bool)]
    return _Found(_attention_if(len(unverified) > 0), float(len(unverified)),
                  params={"count": len(unverified), "nonconformities": int(findings["nonconformity"].sum())},
                  items=unverified["finding_id"].tolist())


def _repeated(context: _Context) -> _Found:
    findings = context.flagged_findings
    if findings.empty:
        return _no_data("findings")
    repeated = findings[findings["repeated"].to_numpy(bool)]
    return _Found(_attention_if(len(repeated) > 0), float(len(repeated)),
                  code="" if len(repeated) else "audit.evidence.repeated_findings_none",
                  params={"count": len(repeated), "clauses": ", ".join(sorted(set(repeated["clause"].dropna())))},
                  items=repeated["finding_id"].tolist())


def _satisfaction(context: _Context) -> _Found:
    surveys = context.records.surveys
    if surveys.empty:
        return _no_data("surveys")
    answers = surveys[context.in_period(surveys["survey_date"])]
    answers = answers[answers["rating"].notna().to_numpy(bool)]
    if answers.empty:
        return _no_data("surveys_of_year")
    satisfied = answers["rating"].isin(SATISFIED)
    dissatisfied = int((answers["rating"] == "dissatisfied").sum())
    rate = float(satisfied.mean())
    return _Found(_attention_if(dissatisfied > 0), rate,
                  params={"rate": rate, "answers": len(answers), "satisfied": int(satisfied.sum()),
                          "dissatisfied": dissatisfied})


def _feedback(context: _Context) -> _Found:
    feedback = context.records.feedback
    if feedback.empty:
        return _no_data("feedback")
    received = feedback[context.in_period(feedback["received_date"])]
    if received.empty:
        return _Found(OK, 0.0, code="audit.evidence.feedback_none")
    handled_date = received["handled_date"].where(received["handled_date"] <= context.end)
    handled = handled_date.notna()
    late = (handled & (handled_date > received["due_date"])).fillna(False)
    waiting_overdue = (~handled & (received["due_date"] < context.end)).fillna(False)
    problems = late | waiting_overdue
    return _Found(_attention_if(problems.any()), float(problems.sum()),
                  params={"received": len(received), "handled": int(handled.sum()), "late": int(late.sum()),
                          "waiting_overdue": int(waiting_overdue.sum())},
                  items=received.loc[problems.to_numpy(bool), "feedback_id"].tolist())


def _review_actions(context: _Context) -> _Found:
    from isoaudit.decisions import FINISHED, carried_decisions

    decisions = context.records.decisions
    if decisions.empty:
        return _no_data("decisions")
    carried = carried_decisions(decisions, context.year, context.end)
    if carried.empty:
        return _no_data("decisions_before_year")
    finished = carried["status"].isin(FINISHED).fillna(False)
    still_open = carried[~finished.to_numpy(bool)]
    overdue = int(carried["overdue"].sum())
    return _Found(_attention_if(overdue > 0), float(len(still_open)),
                  params={"total": len(carried), "done": int((carried["status"] == "done").sum()),
                          "open": len(still_open), "overdue": overdue},
                  items=still_open["decision_id"].tolist())


_KEYS: dict[str, Callable[[_Context], _Found]] = {
    "objectives_plan_exists": _plan_exists,
    "objectives_measured": _objectives_measured,
    "process_coverage": _coverage,
    "process_versions_current": _versions_current,
    "on_time_rate": _on_time_rate,
    "overdue_dossiers": _overdue,
    "late_without_apology": _without_apology,
    "appointment_beyond_legal": _appointment_beyond_legal,
    "supplement_requests": _supplements,
    "dossiers_per_officer": _per_officer,
    "corrective_actions_overdue": _actions_overdue,
    "corrective_actions_unverified": _actions_unverified,
    "repeated_findings": _repeated,
    "satisfaction_rate": _satisfaction,
    "feedback_handling": _feedback,
    "previous_review_actions": _review_actions,
}
