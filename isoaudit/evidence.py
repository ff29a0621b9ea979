"""Automatic audit evidence: what a unit's records say about each evidence key of the checklist.

``compute_evidence`` returns one row per key of ``isoaudit/data/evidence_keys.csv`` (``EVIDENCE_COLUMNS``):

- ``key``: the evidence key; ``value``: its main figure (float, <NA> without data), see the table below;
- ``status``: ``ok``, ``attention`` (the auditor should look: something the rules count as a nonconformity,
  or a target missed) or ``no_data`` (the records needed are not there: the text says which);
- ``text_vi``, ``text_en``: one sentence for the auditor, in each language;
- ``items``: what the figure is about, separated by ``"; "`` (late dossier ids, procedures without a process,
  finding ids...), at most ``ITEMS_SHOWN`` of them; used as the "dossiers involved" of a finding.

Every figure comes from ``isoaudit.measures`` (the review, the roll-up and the timeliness command read the
same figures): dossiers received in the audit period (``audit_period``), judged as of its end, returns after
it counting as not yet made. Main figure of each key:

=============================  ===========================================================================
objectives_plan_exists         objectives of the audit year (count)
objectives_measured            share of those objectives with a result (0..1); attention when one is not met
process_coverage               share of the unit's catalogue procedures with an internal process (0..1)
process_versions_current       share of internal processes with a version and an effective date not earlier than
                               the procedure's latest change in the catalogue (0..1)
on_time_rate                   early or on-time returns / returns in the period (0..1)
overdue_dossiers               dossiers received in the period past their legal due date, not returned at its end
late_without_apology           dossiers received in the period, late or overdue, with no apology letter (count)
appointment_beyond_legal       dossiers whose appointment is later than the legal time (count)
supplement_requests            share of dossiers received in the period asked for a supplement (0..1)
dossiers_per_officer           dossiers received per one-stop officer per working day
corrective_actions_overdue     corrective actions past their deadline, not done (count)
corrective_actions_unverified  nonconformities whose action is done but not verified (count)
repeated_findings              nonconformities repeating one of an earlier audit, same clause and unit (count)
satisfaction_rate              satisfied or very satisfied answers / answers in the period (0..1)
feedback_handling              feedback answered late or past due unanswered (count)
previous_review_actions        decisions of earlier reviews still not done (count)
reported_results_match         objectives whose reported result differs from the recomputed one (count)
reported_statistics_match      lines of the periodic statistics forms reported for the year that differ from the
                               software's count of the dossier log (count; ``reported_statistics``)
=============================  ===========================================================================
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd

from isoaudit.calendar import WorkCalendar
from isoaudit.checklist import evidence_keys
from isoaudit.decisions import FINISHED, decision_status_counts
from isoaudit.i18n import LANGS, format_number, format_percent, label, message
from isoaudit.measures import Figure, UnitYear, default_as_of
from isoaudit.objectives import judge_objectives
from isoaudit.reported_statistics import LINE_KEYS, compare_reported

EVIDENCE_COLUMNS = ["key", "value", "status", "text_vi", "text_en", "items"]
OK, ATTENTION, NO_DATA = "ok", "attention", "no_data"
STATUSES = (OK, ATTENTION, NO_DATA)
ITEMS_SHOWN = 50


def compute_evidence(records, year: int, unit_code: str | None = None, *, as_of=None,
                     calendar: WorkCalendar | None = None, unit_year: UnitYear | None = None) -> pd.DataFrame:
    """The automatic evidence of every key for one unit in audit ``year`` (columns ``EVIDENCE_COLUMNS``).

    ``records``: a ``Records`` (restricted to ``unit_code`` here when given); ``as_of``: the day the records
    are judged at (default: the end of ``year``, or today while the year runs); ``calendar``: working days
    (default: ``isoaudit.calendar.records_calendar(records)``); ``unit_year``: that unit's year already made
    (``UnitYear(records, unit_code, year, as_of=audit_period(year, as_of)[1], calendar=calendar)``), so that
    another use of it judges the dossiers once. Never raises for missing data: such a key says ``no_data``.
    """
    _, end = audit_period(year, as_of)
    context = unit_year if unit_year is not None else UnitYear(records, unit_code, int(year), as_of=end,
                                                               calendar=calendar)
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
    return pd.Timestamp(int(year), 1, 1), min(pd.Timestamp(int(year), 12, 31), default_as_of(year, as_of))


def evidence_for_items(checklist: pd.DataFrame, evidence: pd.DataFrame, lang: str = "vi") -> pd.DataFrame:
    """Each checklist item's automatic evidence: ``id``, ``evidence_key``, ``status``, ``text`` (in ``lang``),
    ``items``, ``value``; <NA> for items without a key (or a key not in ``evidence``)."""
    table = evidence.rename(columns={f"text_{lang}": "text"})[["key", "value", "status", "text", "items"]]
    joined = checklist[["id", "evidence_key"]].merge(table, how="left", left_on="evidence_key", right_on="key")
    return joined.drop(columns="key")


# ---- what a key found, worded -------------------------------------------------------------------------------
@dataclass
class _Found:
    """What one key found: status, main figure, the message worded for it and the items concerned."""

    status: str
    value: float | None = None
    code: str = ""
    params: dict = field(default_factory=dict)
    items: list | tuple = field(default_factory=list)

    def row(self, key: str, context: UnitYear) -> dict:
        code = self.code or f"audit.evidence.{key}"
        end = min(context.end, context.as_of)
        params = {"year": context.year, "end": end.strftime("%d/%m/%Y"), **self.params}
        texts = {lang: message(code, lang, **_worded(params, lang)) for lang in LANGS}
        items = [str(item) for item in self.items if not pd.isna(item)]
        return {"key": key, "value": self.value, "status": self.status, "text_vi": texts["vi"],
                "text_en": texts["en"], "items": "; ".join(items[:ITEMS_SHOWN]) or None}


def _worded(params: dict, lang: str) -> dict:
    """Rates (params named ``*rate``, 0..1) as percentages, other fractional numbers with two decimals,
    both with the decimal comma in Vietnamese."""
    worded = {}
    for key, value in params.items():
        if isinstance(value, (_ReportedDetails, _StatisticsDetails)):
            value = value.worded(lang)
        elif isinstance(value, float) and key.endswith("rate"):
            value = format_percent(value, lang)
        elif isinstance(value, float):
            value = format_number(value, lang, 2)
        worded[key] = value
    return worded


def _missing(figure: Figure) -> _Found:
    """A key the records cannot support: the reason ``measures`` gives, worded."""
    return _Found(NO_DATA, code=f"measures.missing.{figure.missing}")


def _attention_if(condition: bool) -> str:
    return ATTENTION if condition else OK


def _from_figure(measure: str, attention: str | None = "count", none_code: str = "",
                 **params: str) -> Callable[[UnitYear], _Found]:
    """A key worded from one figure of ``measures``: it needs attention when its ``attention`` (``count`` or
    one of its details; None: never) is above 0, and is worded by ``none_code`` when its count is 0 (if
    given). ``params`` name the message's placeholders after the figure's ``value``, ``count`` or ``base``,
    or one of its details."""
    def compute(context: UnitYear) -> _Found:
        figure = context.figure(measure)
        if not figure.available:
            return _missing(figure)
        values = {name: getattr(figure, source) if source in ("value", "count", "base") else figure.details[source]
                  for name, source in params.items()}
        flagged = attention is not None and (figure.count if attention == "count" else figure.details[attention]) > 0
        code = none_code if none_code and not figure.count else ""
        return _Found(_attention_if(flagged), figure.value, code=code, params=values, items=figure.items)
    return compute


# ---- objectives and processes ------------------------------------------------------------------------------
def _plan_exists(context: UnitYear) -> _Found:
    objectives = context.own.objectives
    if objectives.empty:
        return _Found(NO_DATA, code="measures.missing.no_objectives")
    count = int((objectives["year"] == context.year).fillna(False).sum())
    code = "" if count else "audit.evidence.objectives_plan_missing"
    return _Found(_attention_if(count == 0), float(count), code=code, params={"count": count})


def _objectives_measured(context: UnitYear) -> _Found:
    if context.own.objectives.empty:
        return _Found(NO_DATA, code="measures.missing.no_objectives")
    evaluated = judge_objectives(context)
    if evaluated.empty:
        return _Found(NO_DATA, code="measures.missing.no_objectives_of_year")
    with_result = int((evaluated["measured"].notna() | evaluated["met"].notna()).sum())
    met = evaluated["met"]
    missed = evaluated[(~met).fillna(False).to_numpy(bool)]  # <NA>: not judged, not missed
    share = with_result / len(evaluated)
    names = missed["objective_id"].fillna(missed["objective"])
    return _Found(_attention_if(len(missed) > 0 or with_result < len(evaluated)), share,
                  params={"total": len(evaluated), "with_result": with_result, "met": int(met.sum()),
                          "judged": int(met.notna().sum())}, items=names.tolist())


def _reported_results(context: UnitYear) -> _Found:
    """Objectives whose result the unit reported, compared with the figure recomputed from the records
    (clause 9.1.3: is what the unit reports about itself true?)."""
    if context.own.objectives.empty:
        return _Found(NO_DATA, code="measures.missing.no_objectives")
    evaluated = judge_objectives(context)
    reported = evaluated[evaluated["reported"].notna().to_numpy(bool)]
    if reported.empty:
        return _Found(NO_DATA, code="measures.missing.no_objectives_of_year")
    compared = reported[reported["recomputed"].notna().to_numpy(bool)]
    differ = compared[compared["discrepancy"].fillna(False).to_numpy(bool)]
    # A result reported for a measure the records cannot give is not checked: say how many.
    unmeasurable = int((reported["measure"].notna() & reported["recomputed"].isna()).sum())
    params = {"differ": len(differ), "compared": len(compared), "unmeasurable": unmeasurable}
    if compared.empty:
        return _Found(_attention_if(unmeasurable > 0), None, code="audit.evidence.reported_results_match_none",
                      params=params)
    names = differ["objective_id"].fillna(differ["objective"])
    return _Found(_attention_if(len(differ) > 0), float(len(differ)),
                  params={**params, "details": _ReportedDetails(differ)}, items=names.tolist())


def _reported_statistics(context: UnitYear) -> _Found:
    """The periodic statistics forms the unit reported for the year against its log (clause 9.1: is what the
    unit reports about itself its software's own count?): lines that differ, each form's on-time rates."""
    if context.unit_code is None:
        return _Found(NO_DATA, code="audit.evidence.reported_statistics_none")
    comparisons = compare_reported(context.records, context.unit_code, context.year, context.calendar)
    if not comparisons:
        return _Found(NO_DATA, code="audit.evidence.reported_statistics_none")
    differing = sum(len(c.lines_differing_from_software) for c in comparisons)
    # Items are not worded per language: the lines in Vietnamese, the forms' language.
    items = [f"{c.reported.source_file}: {label(LINE_KEYS[line], 'vi')}"
             for c in comparisons for line in c.lines_differing_from_software]
    return _Found(_attention_if(differing > 0), float(differing),
                  params={"forms": len(comparisons), "differ": differing,
                          "law": sum(len(c.lines_differing_from_law) for c in comparisons),
                          "missing": sum(len(c.missing_lines) for c in comparisons),
                          "details": _StatisticsDetails(comparisons)}, items=items)


class _StatisticsDetails:
    """Each form as "15/09/2025-14/12/2025: on time 97,1 % reported / 96,6 % software / 98,7 % law; handled
    late 11 / 13 / 5", its differing lines with the three counts, worded in the language of the message."""

    def __init__(self, comparisons):
        self.comparisons = comparisons

    def worded(self, lang: str) -> str:
        parts = []
        for comparison in self.comparisons:
            form = comparison.reported
            rates = " / ".join(format_percent(comparison.on_time_rate(way), lang)
                               for way in ("reported", "software", "law"))
            table = comparison.table.set_index("line")
            lines = [f"{label(LINE_KEYS[line], lang)} "
                     f"{table.at[line, 'reported']} / {table.at[line, 'software']} / {table.at[line, 'law']}"
                     for line in comparison.lines_differing_from_software]
            parts.append(f"{form.start:%d/%m/%Y}-{form.end:%d/%m/%Y}: {rates}"
                         + (f" ({'; '.join(lines)})" if lines else ""))
        return "; ".join(parts)


class _ReportedDetails:
    """Each differing objective as "MT07: 34,2 % / 13,1 %", worded in the language of the message."""

    def __init__(self, differ: pd.DataFrame):
        self.rows = list(differ[["objective_id", "reported", "recomputed", "target_unit"]].itertuples(index=False))

    def worded(self, lang: str) -> str:
        def value(number, unit):
            return format_percent(number, lang) if unit == "percent" else f"{number:g}"
        return "; ".join(f"{row.objective_id}: {value(row.reported, row.target_unit)} / "
                         f"{value(row.recomputed, row.target_unit)}" for row in self.rows) or "-"


def _coverage(context: UnitYear) -> _Found:
    figure = context.figure("process_coverage")
    if not figure.available:
        return _missing(figure)
    details = figure.details
    used_rate = details["used_with_process"] / details["used"] if details["used"] else float("nan")
    return _Found(_attention_if(figure.count < figure.base), figure.value,
                  params={"rate": figure.value, "with_process": figure.count, "total": figure.base,
                          "used": details["used"], "used_with_process": details["used_with_process"],
                          "used_rate": used_rate}, items=figure.items)


def _versions_current(context: UnitYear) -> _Found:
    processes = context.processes
    if processes.empty:
        return _Found(NO_DATA, code="measures.missing.no_processes")
    current = processes["current"]
    share = float(current.mean())
    stale = processes.loc[~current.to_numpy(bool), "process_code"]
    outdated = context.figure("outdated_process_count")
    # Without the catalogue's change dates only the version and the effective date can be checked: say so.
    code = "" if outdated.available else "audit.evidence.process_versions_current_undated_changes"
    return _Found(_attention_if(not current.all()), share, code=code,
                  params={"current": int(current.sum()), "total": len(processes),
                          "outdated": outdated.count if outdated.available else 0,
                          "undated": int((processes["process_version"].isna()
                                          | processes["effective_date"].isna()).sum())},
                  items=stale.tolist())


# ---- dossiers --------------------------------------------------------------------------------------------------
def _on_time_rate(context: UnitYear) -> _Found:
    figure = context.figure("on_time_rate")
    if not figure.available:
        return _missing(figure)
    late = figure.details["late"]
    return _Found(_attention_if(late > 0), figure.value,
                  params={"rate": figure.value, "returned": figure.base, "on_time": figure.count, "late": late,
                          "unjudged": figure.details["unjudged"]}, items=figure.items)


# ---- findings, surveys, feedback, reviews ------------------------------------------------------------------
def _feedback(context: UnitYear) -> _Found:
    figure = context.figure("feedback_late_count")
    if not figure.available:
        return _missing(figure)
    if not figure.base:
        return _Found(OK, 0.0, code="audit.evidence.feedback_none")
    details = figure.details
    return _Found(_attention_if(figure.count > 0), figure.value,
                  params={"received": figure.base, "handled": details["handled"], "late": details["replied_late"],
                          "waiting_overdue": details["overdue"]}, items=figure.items)


def _review_actions(context: UnitYear) -> _Found:
    figure = context.figure("review_actions_done_rate")
    if figure.missing in ("no_decisions", "no_decisions_before_year") and context.carried.empty:
        return _missing(figure)
    carried = context.carried
    counts = decision_status_counts(carried)  # the same counts the review's input (a) shows
    still_open = carried[~carried["status"].isin(FINISHED).fillna(False).to_numpy(bool)]
    return _Found(_attention_if(counts["overdue"] > 0), float(len(still_open)),
                  params={"total": counts["total"], "done": counts["done"], "open": len(still_open),
                          "overdue": counts["overdue"]},
                  items=still_open["decision_id"].tolist())


_KEYS: dict[str, Callable[[UnitYear], _Found]] = {
    "objectives_plan_exists": _plan_exists,
    "objectives_measured": _objectives_measured,
    "process_coverage": _coverage,
    "process_versions_current": _versions_current,
    "on_time_rate": _on_time_rate,
    "overdue_dossiers": _from_figure("overdue_count", none_code="audit.evidence.overdue_dossiers_none",
                                     count="count", longest="longest"),
    "late_without_apology": _from_figure("late_without_apology_count", count="count", late="late"),
    "appointment_beyond_legal": _from_figure("appointment_beyond_legal_count", count="count", judged="base"),
    "supplement_requests": _from_figure("supplement_rate", "after_due", rate="value", count="count", received="base",
                                        after_due="after_due"),
    "dossiers_per_officer": _from_figure("dossiers_per_officer_day", None, value="value", received="count",
                                         officers="officers", days="days"),
    "corrective_actions_overdue": _from_figure("corrective_actions_overdue_count", count="count", actions="actions"),
    "corrective_actions_unverified": _from_figure("unverified_actions_count", count="count",
                                                  nonconformities="nonconformities"),
    "repeated_findings": _from_figure("repeated_findings_count", none_code="audit.evidence.repeated_findings_none",
                                      count="count", clauses="clauses"),
    "satisfaction_rate": _from_figure("satisfaction_rate", "dissatisfied", rate="value", answers="base",
                                      satisfied="count", dissatisfied="dissatisfied"),
    "feedback_handling": _feedback,
    "previous_review_actions": _review_actions,
    "reported_results_match": _reported_results,
    "reported_statistics_match": _reported_statistics,
}
