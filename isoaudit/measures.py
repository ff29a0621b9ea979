"""Every figure isoaudit reports about one unit's year, defined once, with its scope and why it is missing.

``UnitYear(records, unit_code, year)`` judges the unit's dossiers of the year and the year before once and
gives each figure as a ``Figure``: its value (<None> when the records cannot support it, with ``missing``
saying why: never a zero standing in for missing data), the scope it was computed on (``scope``, a code
worded by ``measures.scope.<code>``), its count and base, and the items concerned (dossier, finding or
procedure ids). The audit evidence, the management review, the district roll-up, the timeliness command and
the quality objectives all read their figures here, so the same figure is the same number everywhere.

Scopes (the period is the calendar year, judged as of ``as_of``: its last day, or today while it runs):

=====================  ====================================================================================
received_returned      dossiers received in the period and returned by ``as_of``
received               dossiers received in the period (late or overdue judged as of ``as_of``)
received_channel       dossiers received in the period whose log records how they were lodged
surveys                survey answers dated in the period
feedback               feedback received in the period
catalogue              the catalogue's procedures of the unit's level
processes              internal processes of those procedures
findings               findings raised up to the period's end, judged as of ``as_of``
decisions              decisions of earlier management reviews carried into the period
=====================  ====================================================================================
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from functools import cached_property

import numpy as np
import pandas as pd

from isoaudit.calendar import WorkCalendar, records_calendar
from isoaudit.decisions import FINISHED, carried_decisions
from isoaudit.errors import IsoauditError
from isoaudit.findings import flag_findings
from isoaudit.records.model import rows_of_units
from isoaudit.records.units import answering_level
from isoaudit.timeliness import assess
from isoaudit.timeliness_summary import summarise

PERCENT = "percent"  # a fraction 0..1, written as a percentage
DAYS = "days"  # working days
COUNT = "count"
RATE_PER_DAY = "per_day"

SATISFIED = ("very_satisfied", "satisfied")
RETURNED_STATUSES = ("early", "on_time", "late")
OPEN_ACTIONS = ("open", "in_progress", "not_effective")
ITEMS_KEPT = 500  # ids kept per figure: enough for any report, bounded for a province
MIN_RETURNED_TO_RANK = 10  # a procedure with fewer returned dossiers is too small to rank on its rate


@dataclass(frozen=True)
class Measure:
    """A figure isoaudit computes from the records: its unit, whether more is better, and how far a figure
    the agency reported may differ from the recomputed one before it is a discrepancy (in ``unit``)."""

    key: str
    unit: str
    higher_is_better: bool
    tolerance: float


MEASURES: dict[str, Measure] = {m.key: m for m in (
    Measure("on_time_rate", PERCENT, True, 0.005),  # (early + on time) / returned
    Measure("late_rate", PERCENT, False, 0.005),  # late / returned
    Measure("late_count", COUNT, False, 0),  # returned late
    Measure("overdue_count", COUNT, False, 0),  # past due, not returned at as_of
    Measure("in_progress_count", COUNT, False, 0),  # not returned, still within time at as_of
    Measure("received_count", COUNT, True, 0),
    Measure("returned_count", COUNT, True, 0),
    Measure("late_without_apology_count", COUNT, False, 0),  # late or overdue, no apology letter
    Measure("appointment_beyond_legal_count", COUNT, False, 0),  # appointment later than the legal time
    Measure("online_rate", PERCENT, True, 0.01),  # received online / received with a channel
    Measure("postal_rate", PERCENT, True, 0.01),  # received by post / received with a channel
    Measure("supplement_rate", PERCENT, False, 0.01),  # asked for a supplement / received
    Measure("mean_processing_days", DAYS, False, 0.5),  # working days from receipt to return, on average
    Measure("satisfaction_rate", PERCENT, True, 0.01),  # satisfied or very satisfied / answers
    Measure("feedback_on_time_rate", PERCENT, True, 0.01),  # answered by the due date / with due date, answered
    Measure("feedback_late_count", COUNT, False, 0),  # answered late, or unanswered past due
    Measure("complaint_count", COUNT, False, 0),  # complaints received
    Measure("process_coverage", PERCENT, True, 0.01),  # procedures with an internal process / procedures
    Measure("outdated_process_count", COUNT, False, 0),  # processes older than the procedure's latest change
    Measure("corrective_actions_overdue_count", COUNT, False, 0),  # past deadline, not finished
    Measure("unverified_actions_count", COUNT, False, 0),  # nonconformities done but not verified
    Measure("repeated_findings_count", COUNT, False, 0),  # nonconformities repeating an earlier audit's
    Measure("review_actions_done_rate", PERCENT, True, 0.01),  # previous review's decisions done / decided
    Measure("dossiers_per_officer_day", RATE_PER_DAY, False, 0.5),  # received / officers / working days
)}
# Other names agencies (and the audit checklist's evidence keys) use for the same measures.
MEASURE_ALIASES = {
    "late_without_apology": "late_without_apology_count",
    "appointment_beyond_legal": "appointment_beyond_legal_count",
    "overdue_dossiers": "overdue_count",
    "corrective_actions_overdue": "corrective_actions_overdue_count",
    "previous_review_actions": "review_actions_done_rate",
    "online_share": "online_rate",
    "postal_share": "postal_rate",
    "supplement_share": "supplement_rate",
    "late_feedback": "feedback_late_count",
}


@dataclass(frozen=True)
class Figure:
    """One figure: ``value`` (None when ``missing``, a reason code worded by ``measures.missing.<code>``),
    the scope it covers, ``count`` over ``base`` for rates (or the count itself), and the ids concerned."""

    key: str
    value: float | None
    scope: str
    count: int | None = None
    base: int | None = None
    missing: str | None = None
    items: tuple = ()
    details: dict = field(default_factory=dict)

    @property
    def available(self) -> bool:
        return self.value is not None

    def json(self):
        """The value as plain JSON (None when missing)."""
        return None if self.value is None else float(self.value)


def refuse_future_year(year) -> None:
    """A year that has not begun has no records to review: an ``IsoauditError`` instead of a report of zeros."""
    if year is not None and int(year) > date.today().year:
        raise IsoauditError("measures.future_year", year=int(year), this_year=date.today().year)


def default_as_of(year: int, as_of=None) -> pd.Timestamp:
    """The day a year's records are judged at: ``as_of`` (a date or dd/mm/yyyy text) if given, else the
    year's last day, or today while the year runs."""
    if as_of is None or (isinstance(as_of, str) and not as_of.strip()):
        return min(pd.Timestamp(int(year), 12, 31), pd.Timestamp(date.today()))
    if isinstance(as_of, str):
        return pd.to_datetime(as_of, dayfirst=True).normalize()
    return pd.Timestamp(as_of).normalize()


def procedures_for_level(procedures: pd.DataFrame, level) -> pd.DataFrame:
    """The catalogue's procedures a unit of ``level`` applies: a ward applies the commune's; a procedure
    with no level applies at every level; the whole catalogue when the unit's level is unknown."""
    if level is None or pd.isna(level) or "level" not in procedures:
        return procedures
    level = answering_level(str(level))
    of_level = procedures["level"].astype("string").map(answering_level, na_action="ignore")
    return procedures[(of_level == level).fillna(True).to_numpy(bool)]


def changed_dates(procedures: pd.DataFrame) -> pd.Series | None:
    """Each procedure's latest change (amendment announced by the province), when the catalogue has any."""
    if "changed_date" in procedures and procedures["changed_date"].notna().any():
        return pd.to_datetime(procedures["changed_date"])
    return None


def judge_as_of(dossiers: pd.DataFrame, procedures: pd.DataFrame, calendar: WorkCalendar, as_of) -> pd.DataFrame:
    """``timeliness.assess`` of ``dossiers`` as the records stood on ``as_of``: a return dated after it has
    not happened yet (the dossier is in progress or overdue on that day)."""
    as_of = pd.Timestamp(as_of).normalize()
    cut = as_of + pd.Timedelta(days=1)
    returned = dossiers["returned_date"] < cut
    frame = dossiers.assign(returned_date=dossiers["returned_date"].where(returned))
    if "log_status" in frame:  # the software's status describes the export day: not the day judged, when later
        frame["log_status"] = frame["log_status"].where(returned | dossiers["returned_date"].isna())
    return assess(frame, procedures, calendar, as_of=as_of.date())


def latest_year(dossiers: pd.DataFrame) -> int:
    """The latest year with dossiers received (the year a review or a batch looks back on by default)."""
    received = dossiers["received_at"].dropna()
    return int(received.dt.year.max()) if len(received) else date.today().year


def worst_procedures(received: pd.DataFrame, count: int) -> pd.DataFrame:
    """The ``count`` procedures with the lowest on-time rate among judged dossiers ``received`` (at least
    ``MIN_RETURNED_TO_RANK`` returned), most late first on a tie: code, name, returned, late, overdue, rate."""
    columns = ["procedure_code", "procedure_name", "returned", "late", "overdue", "on_time_rate"]
    if received.empty:
        return pd.DataFrame(columns=columns)
    table = summarise(received, by="procedure")
    table = table[table["returned"] >= MIN_RETURNED_TO_RANK].sort_values(["on_time_rate", "late"],
                                                                         ascending=[True, False])
    return table[columns].head(count).reset_index(drop=True)


class UnitYear:
    """The figures of one unit's ``year`` (see the module doc). ``records``: the whole folder's ``Records``
    (shared catalogue and calendar); ``calendar`` defaults to ``records_calendar(records)``."""

    def __init__(self, records, unit_code: str | None, year: int, as_of=None, calendar: WorkCalendar | None = None,
                 _assessed: pd.DataFrame | None = None, _own=None):
        self.records = records
        self.unit_code = unit_code
        self.year = int(year)
        self.as_of = default_as_of(year, as_of)
        self.start, self.end = pd.Timestamp(self.year, 1, 1), pd.Timestamp(self.year, 12, 31)
        self.given_calendar = calendar
        if _assessed is not None:
            self.__dict__["assessed"] = _assessed
        if _own is not None:  # another year of the same unit: its records, already restricted to it
            self.__dict__["own"] = _own

    # ---- the data every figure reads ---------------------------------------------------------------------
    @cached_property
    def calendar(self) -> WorkCalendar:
        return self.given_calendar or records_calendar(self.records)

    @cached_property
    def own(self):
        """The unit's records (all of ``records`` when no unit is named)."""
        return self.records if self.unit_code is None else self.records.for_unit(self.unit_code)

    @cached_property
    def unit(self) -> dict:
        units = self.records.units
        if self.unit_code is None:
            return {}
        row = units[(units["unit_code"] == self.unit_code).fillna(False).to_numpy(bool)]
        return row.iloc[0].to_dict() if len(row) else {}

    @cached_property
    def assessed(self) -> pd.DataFrame:
        """The unit's dossiers received in this year or the one before, judged by ``timeliness.assess`` as
        of ``as_of`` (returns after ``as_of`` count as not yet made)."""
        return self._judged_from(pd.Timestamp(self.year - 1, 1, 1))

    def _judged_from(self, first: pd.Timestamp) -> pd.DataFrame:
        """The unit's dossiers received from ``first`` to the end of this year, judged as of ``as_of``."""
        dossiers = self.own.dossiers
        received = dossiers["received_at"]
        keep = ((received >= first) & (received < self.end + pd.Timedelta(days=1))).fillna(False).to_numpy(bool)
        judged = judge_as_of(dossiers[keep].reset_index(drop=True), self.records.procedures, self.calendar,
                             self.as_of)
        judged["received_year"] = judged["received_at"].dt.year
        judged["month"] = judged["received_at"].dt.month
        return judged

    @cached_property
    def received(self) -> pd.DataFrame:
        """Dossiers received in the period, judged."""
        return self.assessed[(self.assessed["received_year"] == self.year).to_numpy(bool)]

    def received_alone(self) -> pd.DataFrame:
        """The same rows as ``received``, judging this year's dossiers only (``assessed`` judges the year before
        too, for the comparisons): for a caller that makes none, such as a province's roll-up of a million."""
        if "assessed" in self.__dict__:
            return self.received
        return self._judged_from(self.start)

    @cached_property
    def returned(self) -> pd.DataFrame:
        """Dossiers received in the period and returned by ``as_of``: the base of the on-time rate."""
        return self.received[self.received["status"].isin(RETURNED_STATUSES).to_numpy(bool)]

    def previous(self) -> "UnitYear":
        """The same unit's year before, judged on the same day (one assessment serves both years; made once,
        as the review and each analytics test compare with it)."""
        return self._previous

    @cached_property
    def _previous(self) -> "UnitYear":
        return UnitYear(self.records, self.unit_code, self.year - 1, self.as_of, self.given_calendar,
                        _assessed=self.assessed, _own=self.own)

    def in_period(self, dates: pd.Series) -> np.ndarray:
        day = dates.dt.normalize()
        return ((day >= self.start) & (day <= self.end)).fillna(False).to_numpy(bool)

    @cached_property
    def surveys(self) -> pd.DataFrame:
        surveys = self.own.surveys
        answers = surveys[self.in_period(surveys["survey_date"])]
        return answers[answers["rating"].notna().to_numpy(bool)]

    @cached_property
    def feedback(self) -> pd.DataFrame:
        """Feedback received in the period, with ``handling_days`` (working days to a reply, replies after
        ``as_of`` not counted), ``on_time`` (replied by its due date; <NA> without both dates), ``overdue``
        (no reply by ``as_of``, due date passed) and ``late`` (replied late, or overdue)."""
        frame = self.own.feedback
        frame = frame[self.in_period(frame["received_date"])].copy()
        handled = frame["handled_date"].where(frame["handled_date"] <= self.as_of)
        frame["handled_date"] = handled
        frame["handling_days"] = self.calendar.working_days_between(frame["received_date"], handled) \
            if len(frame) else pd.Series([], dtype="Int64")
        has_due = frame["due_date"].notna() & handled.notna()
        frame["on_time"] = (handled <= frame["due_date"]).astype("boolean").where(has_due)
        frame["overdue"] = (handled.isna() & (frame["due_date"] < self.as_of)).fillna(False).astype(bool)
        frame["late"] = ((frame["on_time"] == False).fillna(False) | frame["overdue"]).astype(bool)  # noqa: E712
        return frame

    @cached_property
    def findings(self) -> pd.DataFrame:
        """The unit's findings raised up to the period's end, flagged as of ``as_of`` (overdue, repeated,
        nonconformity), with ``open`` (action not finished) and ``unverified`` (done, not verified)."""
        frame = self.own.findings
        raised = frame["raised_date"]
        frame = frame[(raised.isna() | (raised <= self.end)).fillna(True).to_numpy(bool)]
        frame = flag_findings(frame, as_of=self.as_of)
        status = frame["status"].astype("string").fillna("open")
        frame["open"] = status.isin(OPEN_ACTIONS).to_numpy(bool)
        frame["unverified"] = (status.eq("done") & frame["nonconformity"]).fillna(False).to_numpy(bool)
        return frame

    @cached_property
    def decisions(self) -> pd.DataFrame:
        """The decisions of the unit's earlier reviews, and of the units it was formed from: a commune formed
        by a merger carries out what its predecessors' chairs decided (domain brief §6)."""
        own = self.own.decisions
        if self.unit_code is None:
            return own
        inherited = [rows_of_units(self.records.decisions, {key}) for key, _ in self.records.ancestors(self.unit_code)]
        inherited = [frame for frame in inherited if len(frame)]
        return pd.concat([own, *inherited], ignore_index=True) if inherited else own

    @cached_property
    def carried(self) -> pd.DataFrame:
        return carried_decisions(self.decisions, self.year, self.as_of)

    @cached_property
    def procedures(self) -> pd.DataFrame:
        return procedures_for_level(self.records.procedures, self.unit.get("level"))

    @cached_property
    def processes(self) -> pd.DataFrame:
        """The unit's procedures that have an internal process, one row per process, with ``current``
        (version and effective date given, and in force since the procedure's latest change when the
        catalogue records changes) and ``outdated`` (its effective date is before that change)."""
        procedures = self.procedures
        frame = procedures[procedures["process_code"].notna().to_numpy(bool)].copy()
        changed = changed_dates(procedures)
        frame["changed_date"] = changed.loc[frame.index] if changed is not None else pd.NaT
        frame["outdated"] = (frame["effective_date"] < frame["changed_date"]).fillna(False).astype(bool)
        dated = frame["process_version"].notna() & frame["effective_date"].notna()
        frame["current"] = (dated & ~frame["outdated"]).astype(bool)
        return frame.drop_duplicates("process_code")

    # ---- figures -----------------------------------------------------------------------------------------
    def figures(self) -> dict[str, Figure]:
        """Every measure of ``MEASURES``."""
        return {key: self.figure(key) for key in MEASURES}

    def figure(self, key: str) -> Figure:
        key = MEASURE_ALIASES.get(key, key)
        cache = self.__dict__.setdefault("_figures", {})
        if key not in cache:
            cache[key] = getattr(self, f"_{key}")()
        return cache[key]

    def value(self, key: str) -> float | None:
        return self.figure(key).value

    def _dossier_gap(self, scope: str, need_returns: bool = False) -> Figure | None:
        if self.own.dossiers.empty:
            return Figure("", None, scope, missing="no_dossiers")
        if self.received.empty:
            return Figure("", None, scope, missing="no_dossiers_of_year")
        if need_returns and self.returned.empty:
            return Figure("", None, scope, missing="no_returns")
        return None

    def _gap(self, key: str, gap: Figure) -> Figure:
        return Figure(key, None, gap.scope, missing=gap.missing)

    def _status_count(self, key: str, statuses: tuple, *, need_returns: bool = False) -> Figure:
        scope = "received_returned" if need_returns else "received"
        gap = self._dossier_gap(scope, need_returns)
        if gap:
            return self._gap(key, gap)
        frame = self.received
        chosen = frame[frame["status"].isin(statuses).to_numpy(bool)].sort_values("days_late", ascending=False)
        return Figure(key, float(len(chosen)), scope, len(chosen), len(frame), items=_ids(chosen["dossier_id"]))

    def _received_count(self) -> Figure:
        gap = self._dossier_gap("received")
        if gap and gap.missing == "no_dossiers":
            return self._gap("received_count", gap)
        return Figure("received_count", float(len(self.received)), "received", len(self.received))

    def _returned_count(self) -> Figure:
        gap = self._dossier_gap("received")
        if gap:
            return self._gap("returned_count", gap)
        return Figure("returned_count", float(len(self.returned)), "received_returned", len(self.returned),
                      len(self.received))

    def _on_time_rate(self) -> Figure:
        gap = self._dossier_gap("received_returned", need_returns=True)
        if gap:
            return self._gap("on_time_rate", gap)
        returned = self.returned
        late = returned[(returned["status"] == "late").to_numpy(bool)].sort_values("days_late", ascending=False)
        on_time = len(returned) - len(late)
        return Figure("on_time_rate", on_time / len(returned), "received_returned", on_time, len(returned),
                      items=_ids(late["dossier_id"]),
                      details={"late": len(late), "unjudged": int(self.received["status"].isna().sum())})

    def _late_rate(self) -> Figure:
        gap = self._dossier_gap("received_returned", need_returns=True)
        if gap:
            return self._gap("late_rate", gap)
        late = int((self.returned["status"] == "late").sum())
        return Figure("late_rate", late / len(self.returned), "received_returned", late, len(self.returned))

    def _late_count(self) -> Figure:
        return self._status_count("late_count", ("late",), need_returns=True)

    def _overdue_count(self) -> Figure:
        figure = self._status_count("overdue_count", ("overdue",))
        if figure.available:
            overdue = self.received[(self.received["status"] == "overdue").to_numpy(bool)]
            longest = int(overdue["days_late"].max()) if len(overdue) else 0
            figure.details["longest"] = longest
        return figure

    def _in_progress_count(self) -> Figure:
        return self._status_count("in_progress_count", ("in_progress",))

    def _flag_count(self, key: str, flag: str) -> Figure:
        gap = self._dossier_gap("received")
        if gap:
            return self._gap(key, gap)
        frame = self.received
        flagged = frame[frame[flag].fillna(False).to_numpy(bool)]
        judged = int(frame[flag].notna().sum())
        behind = int(frame["status"].isin(("late", "overdue")).sum())
        return Figure(key, float(len(flagged)), "received", len(flagged), judged, items=_ids(flagged["dossier_id"]),
                      details={"late": behind, "judged": judged})

    def _late_without_apology_count(self) -> Figure:
        return self._flag_count("late_without_apology_count", "late_without_apology")

    def _appointment_beyond_legal_count(self) -> Figure:
        return self._flag_count("appointment_beyond_legal_count", "appointment_beyond_legal")

    def _channel_rate(self, key: str, channel: str) -> Figure:
        gap = self._dossier_gap("received_channel")
        if gap:
            return self._gap(key, gap)
        channels = self.received["channel"]
        known = channels.notna()
        if not known.any():  # a tracking book without a channel column says nothing about how dossiers came
            return Figure(key, None, "received_channel", missing="no_channel")
        count = int(channels.eq(channel).fillna(False).sum())
        return Figure(key, count / int(known.sum()), "received_channel", count, int(known.sum()),
                      details={"unknown": int((~known).sum())})

    def _online_rate(self) -> Figure:
        return self._channel_rate("online_rate", "online")

    def _postal_rate(self) -> Figure:
        return self._channel_rate("postal_rate", "postal")

    def _supplement_rate(self) -> Figure:
        gap = self._dossier_gap("received")
        if gap:
            return self._gap("supplement_rate", gap)
        frame = self.received
        asked = frame["supplement_requested_at"].notna()
        # Asking after the appointment date means the dossier sat unchecked: worth a look.
        after_due = (frame["supplement_requested_at"].dt.normalize() > frame["due_date"]).fillna(False)
        return Figure("supplement_rate", float(asked.mean()), "received", int(asked.sum()), len(frame),
                      items=_ids(frame.loc[after_due.to_numpy(bool), "dossier_id"]),
                      details={"after_due": int(after_due.sum())})

    def _mean_processing_days(self) -> Figure:
        gap = self._dossier_gap("received_returned", need_returns=True)
        if gap:
            return self._gap("mean_processing_days", gap)
        rows = self.returned
        days = self.calendar.working_days_between(rows["received_at"].dt.normalize(),
                                                  rows["returned_date"].dt.normalize()).astype("float")
        return Figure("mean_processing_days", float(days.mean()), "received_returned", None, len(rows))

    def _satisfaction_rate(self) -> Figure:
        if self.own.surveys.empty:
            return Figure("satisfaction_rate", None, "surveys", missing="no_surveys")
        answers = self.surveys
        if answers.empty:
            return Figure("satisfaction_rate", None, "surveys", missing="no_surveys_of_year")
        satisfied = int(answers["rating"].isin(SATISFIED).sum())
        return Figure("satisfaction_rate", satisfied / len(answers), "surveys", satisfied, len(answers),
                      details={"dissatisfied": int((answers["rating"] == "dissatisfied").sum())})

    def _feedback_gap(self, key: str) -> Figure | None:
        if self.own.feedback.empty:
            return Figure(key, None, "feedback", missing="no_feedback")
        return None

    def _feedback_on_time_rate(self) -> Figure:
        gap = self._feedback_gap("feedback_on_time_rate")
        if gap:
            return gap
        judged = self.feedback["on_time"].dropna()
        if judged.empty:
            return Figure("feedback_on_time_rate", None, "feedback", missing="no_feedback_replies")
        on_time = int(judged.sum())
        return Figure("feedback_on_time_rate", on_time / len(judged), "feedback", on_time, len(judged))

    def _feedback_late_count(self) -> Figure:
        gap = self._feedback_gap("feedback_late_count")
        if gap:
            return gap
        frame = self.feedback
        late = frame[frame["late"].to_numpy(bool)]
        return Figure("feedback_late_count", float(len(late)), "feedback", len(late), len(frame),
                      items=_ids(late["feedback_id"]),
                      details={"handled": int(frame["handled_date"].notna().sum()),
                               "replied_late": int((frame["on_time"] == False).sum()),  # noqa: E712
                               "overdue": int(frame["overdue"].sum())})

    def _complaint_count(self) -> Figure:
        gap = self._feedback_gap("complaint_count")
        if gap:
            return gap
        complaints = self.feedback[self.feedback["feedback_type"].eq("complaint").fillna(False).to_numpy(bool)]
        return Figure("complaint_count", float(len(complaints)), "feedback", len(complaints), len(self.feedback),
                      items=_ids(complaints["feedback_id"]))

    def _process_coverage(self) -> Figure:
        procedures = self.procedures
        if procedures.empty:
            return Figure("process_coverage", None, "catalogue", missing="no_catalogue")
        has = procedures["process_code"].notna()
        used = procedures["procedure_code"].isin(set(self.received["procedure_code"].dropna().unique()))
        return Figure("process_coverage", float(has.mean()), "catalogue", int(has.sum()), len(procedures),
                      items=_ids(procedures.loc[~has.to_numpy(bool), "procedure_code"]),
                      details={"used": int(used.sum()), "used_with_process": int((has & used).sum())})

    def _outdated_process_count(self) -> Figure:
        processes = self.processes
        if processes.empty:
            return Figure("outdated_process_count", None, "processes", missing="no_processes")
        if changed_dates(self.procedures) is None:
            return Figure("outdated_process_count", None, "processes", missing="no_change_dates")
        outdated = processes[processes["outdated"].to_numpy(bool)]
        return Figure("outdated_process_count", float(len(outdated)), "processes", len(outdated), len(processes),
                      items=_ids(outdated["process_code"]),
                      details={"current": int(processes["current"].sum()),
                               "undated": int((processes["process_version"].isna()
                                               | processes["effective_date"].isna()).sum())})

    def _corrective_actions_overdue_count(self) -> Figure:
        findings = self.findings
        if findings.empty:
            return Figure("corrective_actions_overdue_count", None, "findings", missing="no_findings")
        overdue = findings[findings["overdue"].to_numpy(bool)]
        return Figure("corrective_actions_overdue_count", float(len(overdue)), "findings", len(overdue),
                      len(findings), items=_ids(overdue["finding_id"]),
                      details={"actions": int(findings["corrective_action"].notna().sum())})

    def _flagged_findings(self, key: str, flag: str, **details) -> Figure:
        findings = self.findings
        if findings.empty:
            return Figure(key, None, "findings", missing="no_findings")
        flagged = findings[findings[flag].to_numpy(bool)]
        return Figure(key, float(len(flagged)), "findings", len(flagged), len(findings),
                      items=_ids(flagged["finding_id"]), details={name: compute(findings, flagged)
                                                                  for name, compute in details.items()})

    def _unverified_actions_count(self) -> Figure:
        return self._flagged_findings("unverified_actions_count", "unverified",
                                      nonconformities=lambda all_, _: int(all_["nonconformity"].sum()))

    def _repeated_findings_count(self) -> Figure:
        return self._flagged_findings("repeated_findings_count", "repeated",
                                      clauses=lambda _, rows: ", ".join(sorted(set(rows["clause"].dropna()))))

    def _review_actions_done_rate(self) -> Figure:
        carried = self.carried
        decided = carried[(carried["year"] == self.year - 1).to_numpy(bool)]
        if self.decisions.empty:
            return Figure("review_actions_done_rate", None, "decisions", missing="no_decisions")
        if decided.empty:
            return Figure("review_actions_done_rate", None, "decisions", missing="no_decisions_before_year")
        done = int(decided["status"].eq("done").fillna(False).sum())
        still_open = carried[~carried["status"].isin(FINISHED).fillna(False).to_numpy(bool)]
        return Figure("review_actions_done_rate", done / len(decided), "decisions", done, len(decided),
                      items=_ids(still_open["decision_id"]),
                      details={"carried": len(carried), "open": len(still_open),
                               "overdue": int(carried["overdue"].sum())})

    def _dossiers_per_officer_day(self) -> Figure:
        gap = self._dossier_gap("received")
        if gap:
            return self._gap("dossiers_per_officer_day", gap)
        officers = self.unit.get("officers")
        if officers is None or pd.isna(officers) or int(officers) <= 0:
            return Figure("dossiers_per_officer_day", None, "received", missing="no_officers")
        end = min(self.end, self.as_of)
        days = int(self.calendar.for_unit(self.unit_code).working_days_between(
            self.start - pd.Timedelta(days=1), end))
        if days <= 0:
            return Figure("dossiers_per_officer_day", None, "received", missing="no_dossiers_of_year")
        return Figure("dossiers_per_officer_day", len(self.received) / int(officers) / days, "received",
                      len(self.received), days, details={"officers": int(officers), "days": days})


def _ids(values: pd.Series) -> tuple:
    return tuple(str(v) for v in values.dropna().head(ITEMS_KEPT))
