"""Management review (clause 9.3): one agency's review inputs (9.3.2) assembled from its records.

``assemble_review(records, unit_code, year)`` returns a ``ReviewPack``: one ``ReviewSection`` per input, in
the order of clause 9.3.2 (a, b, c1..c7, d, e, f), each with sentences, tables (DataFrames with labelled
columns), chart specifications and warnings. An input with no data is a warning in its section, never left
out. The notebook, the HTML page and the Word report all render the same pack.

Periods are calendar years: the review of ``year`` looks at dossiers received from 1 January to 31 December
(judged as of the period's end, or today when earlier) and compares them with the year before.
"""
from __future__ import annotations

import calendar as month_names
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from pathlib import Path

import pandas as pd

from isoaudit import __version__
from isoaudit.calendar import WorkCalendar, records_calendar
from isoaudit.decisions import decision_status_counts, decisions_file_name
from isoaudit.errors import RecordsError
from isoaudit.findings import status_label
from isoaudit.i18n import (
    check_lang,
    format_date,
    format_number,
    format_percent,
    label,
    message,
)
from isoaudit.measures import (
    DAYS,
    MIN_RETURNED_TO_RANK,
    PERCENT,
    SATISFIED,
    Figure,
    UnitYear,
    changed_dates,
    default_as_of,
)
from isoaudit.objectives import judge_objectives
from isoaudit.records.units import known_unit_code
from isoaudit.text import fold, fold_series
from isoaudit.timeliness_summary import GROUPINGS, summarise

SECTION_KEYS = ("a", "b", "c1", "c2", "c3", "c4", "c5", "c6", "c7", "d", "e", "f")
CLAUSES = {"a": "9.3.2 a)", "b": "9.3.2 b)", "c1": "9.3.2 c) 1)", "c2": "9.3.2 c) 2)", "c3": "9.3.2 c) 3)",
           "c4": "9.3.2 c) 4)", "c5": "9.3.2 c) 5)", "c6": "9.3.2 c) 6)", "c7": "9.3.2 c) 7)", "d": "9.3.2 d)",
           "e": "9.3.2 e)", "f": "9.3.2 f)"}
WORST_PROCEDURES = 3
DEFAULT_ON_TIME_TARGET = 0.98  # used to pick the worst procedures when the unit has no on-time objective


# ---- the pack ------------------------------------------------------------------------------------------------
@dataclass
class ReviewTable:
    """A table of the report: ``frame`` holds typed values; ``headers`` names (and orders) the columns shown.

    ``formats`` overrides how a column is shown: ``percent`` (0..1), ``points`` (percentage points),
    ``int``, ``decimal``, ``decimal2``, ``date``, ``yesno``, ``text``, ``numtext`` (figures already written
    as text, aligned as numbers); otherwise the dtype decides.
    """

    key: str
    title: str
    frame: pd.DataFrame
    headers: dict[str, str]
    formats: dict[str, str] = field(default_factory=dict)
    lang: str = "vi"
    number: int = 0  # numbered across the report by assemble_review
    shown: pd.DataFrame | None = field(default=None, repr=False, compare=False)  # ``display()``, made once

    @property
    def caption(self) -> str:
        return label("review.table_caption", self.lang, number=self.number, title=self.title)

    def numeric(self) -> list[bool]:
        """For each shown column, whether it holds numbers (right-aligned in the page and the report)."""
        kinds = ("int", "percent", "points", "decimal", "decimal2", "numtext")
        return [self.formats.get(c) in kinds if c in self.formats else
                pd.api.types.is_numeric_dtype(self.frame[c]) and not pd.api.types.is_bool_dtype(self.frame[c])
                for c in self.headers]

    def display(self) -> pd.DataFrame:
        """Text cells as the report shows them (dd/mm/yyyy, decimal comma in Vietnamese), labelled headers.
        Formatted once: the page and the Word report show the same cells."""
        if self.shown is None:
            shown = {}
            for column, header in self.headers.items():
                # A no-break space keeps "98 %" and "≥ 90 %" on one line in narrow cells.
                text = _format_column(self.frame[column], self.formats.get(column), self.lang)
                shown[header] = text.str.replace(" %", "\u00a0%", regex=False)
            self.shown = pd.DataFrame(shown, index=self.frame.index).reset_index(drop=True)
        return self.shown.copy(deep=False)  # copy-on-write: a caller's change never reaches the table


@dataclass
class ReviewChart:
    """A chart: ``data`` has one row per category (its index, shown as labels) and one column per series."""

    key: str
    title: str
    kind: str  # bar, barh, line
    data: pd.DataFrame
    percent: bool = False
    integer: bool = False  # counts: whole-number ticks
    value_label: str = ""
    target: float | None = None  # a reference line, e.g. the objective's target
    target_label: str = ""
    lang: str = "vi"
    number: int = 0
    rendered: dict = field(default_factory=dict, repr=False, compare=False)  # (dpi, titled) -> PNG bytes

    @property
    def caption(self) -> str:
        return label("review.chart_caption", self.lang, number=self.number, title=self.title)


@dataclass
class ReviewSection:
    """One review input: ``key`` (a, b, c1..c7, d, e, f), its clause and title, what the data says."""

    key: str
    clause: str
    title: str
    lang: str = "vi"
    sentences: list[str] = field(default_factory=list)
    tables: list[ReviewTable] = field(default_factory=list)
    charts: list[ReviewChart] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def heading(self) -> str:
        return f"{self.clause} {self.title}"


@dataclass
class ReviewPack:
    """Everything the report says about one unit's year, and what it was computed from."""

    unit_code: str
    unit_name: str
    unit_level: str
    parent_name: str
    year: int
    lang: str
    as_of: date
    sections: list[ReviewSection]
    proposals: pd.DataFrame  # improvement opportunities (f): opportunity, category, source
    inputs: pd.DataFrame  # file, sha256
    parameters: dict
    figures: dict = field(default_factory=dict)  # headline numbers for roll-ups (see ``_figures``)
    version: str = __version__

    def section(self, key: str) -> ReviewSection:
        return next(s for s in self.sections if s.key == key)

    @property
    def title(self) -> str:
        return label("review.report_title", self.lang, year=self.year)

    @property
    def warnings(self) -> list[tuple[str, str]]:
        """(section key, warning) for every warning of the pack."""
        return [(s.key, w) for s in self.sections for w in s.warnings]


def assemble_review(records, unit_code: str, year: int, lang: str = "vi", as_of=None,
                    calendar: WorkCalendar | None = None) -> ReviewPack:
    """The review pack of ``unit_code`` for ``year`` from a whole records folder (``load_records``).

    ``as_of`` (default: the end of ``year``, or today if earlier) judges dossiers not yet returned, actions
    and decisions past their deadline. ``calendar`` defaults to ``records_calendar(records)``.
    """
    check_lang(lang)
    unit_code = known_unit_code(records, unit_code)  # papermill may pass "02266" as the number 2266
    units = records.units
    match = units[units["unit_code"] == unit_code]
    if match.empty:
        raise RecordsError("review.unknown_unit", unit=unit_code,
                           units=", ".join(units["unit_code"].dropna().astype(str).tolist()[:40]))
    year = int(year)
    context = _Context(records, records.for_unit(unit_code), match.iloc[0], year, lang,
                       default_as_of(year, as_of), calendar or records_calendar(records))
    sections = [builder(context) for builder in _BUILDERS]
    _number(sections)
    parent = units[units["unit_code"] == match.iloc[0]["parent_code"]]
    return ReviewPack(
        unit_code=unit_code,
        unit_name=str(match.iloc[0]["unit_name"]),
        unit_level=str(match.iloc[0]["level"]) if pd.notna(match.iloc[0]["level"]) else "",
        parent_name=str(parent.iloc[0]["unit_name"]) if len(parent) else "",
        year=year,
        lang=lang,
        as_of=context.as_of.date(),
        sections=sections,
        proposals=context.proposals,
        inputs=_input_digests(records, context.own),
        parameters={"records": str(records.folder), "unit": unit_code, "year": year, "lang": lang,
                    "as_of": format_date(context.as_of, lang)},
        figures=_figures(context),
    )


def _figures(context: "_Context") -> dict:
    """The headline numbers of the review, as plain JSON values (None where the records give no figure):
    the same ``measures`` figures the sections show, for the roll-up."""
    findings = context.findings
    raised = findings[(findings["raised_date"].dt.year == context.year).fillna(False).to_numpy(bool)]
    objectives = context.objectives
    figure = context.figure
    return {
        "on_time_rate": figure("on_time_rate").json(),
        "received": figure("received_count").json(),
        "returned": figure("returned_count").json(),
        "overdue": figure("overdue_count").json(),
        "late_without_apology": figure("late_without_apology_count").json(),
        "online_rate": figure("online_rate").json(),
        "actions_open": int(findings["open"].sum()) if len(findings) else None,
        "actions_overdue": figure("corrective_actions_overdue_count").json(),
        "objectives_met": int(objectives["met"].fillna(False).astype(bool).sum()) if len(objectives) else None,
        "objectives_total": len(objectives),
        "objectives_unmeasured": int(objectives["met"].isna().sum()),
        "findings_by_clause": {str(k): int(v) for k, v in raised["clause"].value_counts().items()},
    }


# ---- shared computations -----------------------------------------------------------------------------------
class _Context:
    """What every section reads: the unit's records and its figures (``measures.UnitYear``), computed once."""

    def __init__(self, records, own, unit, year, lang, as_of, calendar):
        self.records, self.own, self.unit, self.year, self.lang = records, own, unit, year, lang
        self.as_of, self.calendar = as_of, calendar
        self.start, self.end = pd.Timestamp(year, 1, 1), pd.Timestamp(year, 12, 31)
        self.previous_start = pd.Timestamp(year - 1, 1, 1)
        self.unit_year = UnitYear(records, unit["unit_code"], year, as_of, calendar)
        self.previous_year = self.unit_year.previous()

    def t(self, key: str, **params) -> str:
        return label(f"review.{key}", self.lang, **params)

    def in_year(self, dates: pd.Series, year: int | None = None) -> pd.Series:
        year = self.year if year is None else year
        return (dates.dt.year == year).fillna(False).astype(bool)

    def figure(self, key: str) -> Figure:
        return self.unit_year.figure(key)

    def missing_text(self, figure: Figure) -> str:
        """Why ``figure`` has no value, in the report's words."""
        return message(f"measures.missing.{figure.missing}", self.lang, year=self.year)

    @property
    def assessed(self) -> pd.DataFrame:
        return self.unit_year.assessed

    @property
    def current(self) -> pd.DataFrame:
        return self.unit_year.received

    @property
    def previous(self) -> pd.DataFrame:
        return self.previous_year.received

    @property
    def surveys(self) -> pd.DataFrame:
        return self.unit_year.surveys

    @property
    def previous_surveys(self) -> pd.DataFrame:
        return self.previous_year.surveys

    @property
    def feedback(self) -> pd.DataFrame:
        return self.unit_year.feedback

    @property
    def findings(self) -> pd.DataFrame:
        return self.unit_year.findings

    @property
    def carried(self) -> pd.DataFrame:
        return self.unit_year.carried

    @property
    def unit_procedures(self) -> pd.DataFrame:
        return self.unit_year.procedures

    @cached_property
    def measures(self) -> dict[str, float | None]:
        return {key: figure.value for key, figure in self.unit_year.figures().items()}

    @cached_property
    def objectives(self) -> pd.DataFrame:
        return judge_objectives(self.unit_year)

    @cached_property
    def on_time_target(self) -> float:
        """The unit's own on-time target (from its objectives), else ``DEFAULT_ON_TIME_TARGET``."""
        rows = self.objectives[self.objectives["measure"].eq("on_time_rate").fillna(False)]
        values = rows["target_value"].dropna()
        return float(values.iloc[0]) if len(values) else DEFAULT_ON_TIME_TARGET

    @cached_property
    def by_procedure(self) -> pd.DataFrame:
        return _trend(self, "procedure")

    @cached_property
    def proposals(self) -> pd.DataFrame:
        return _opportunities(self)


def _trend(context: _Context, by: str) -> pd.DataFrame:
    """``timeliness_summary.summarise`` of the review year by ``by`` with the previous year's on-time rate
    (``previous_rate``) and the change in percentage points (``change``). Months are numbers 1..12."""
    key = GROUPINGS[by][0]
    current, previous = summarise(context.current, by), summarise(context.previous, by)
    if by == "month":  # "03/2025" and "03/2024" are the same month of two years
        current[key] = current[key].str[:2].astype("int64")
        previous[key] = previous[key].str[:2].astype("int64")
    previous = previous[[key, "returned", "on_time_rate"]].rename(
        columns={"returned": "previous_returned", "on_time_rate": "previous_rate"})
    merged = current.merge(previous, on=key, how="left").rename(columns={"dossiers": "received"})
    merged["change"] = (merged["on_time_rate"] - merged["previous_rate"]) * 100
    return merged


def _overall(assessed: pd.DataFrame) -> pd.Series:
    """``summarise`` of the whole frame as one row (``dossiers`` named ``received``)."""
    return summarise(assessed).rename(columns={"dossiers": "received"}).iloc[0]


# ---- sections ----------------------------------------------------------------------------------------------
def _section(context: _Context, key: str) -> ReviewSection:
    return ReviewSection(key, CLAUSES[key], context.t(f"section.{key}"), context.lang)


def _table(context: _Context, key: str, frame: pd.DataFrame, columns: list[str], formats: dict | None = None,
           **title_params) -> ReviewTable:
    # Only the columns shown travel with the pack: no personal data or working columns reach an output.
    return ReviewTable(key, context.t(f"table.{key}", **title_params), frame[columns].reset_index(drop=True),
                       {c: context.t(f"col.{c}") for c in columns}, formats or {}, context.lang)


def _previous_actions(context: _Context) -> ReviewSection:
    """(a) The decisions of earlier reviews and where they stand."""
    section = _section(context, "a")
    carried = context.carried
    previous_year = context.year - 1
    if not (carried["year"] == previous_year).any():
        section.warnings.append(context.t("warn.no_decisions", year=previous_year,
                                          file=decisions_file_name(context.unit["unit_code"], previous_year)))
    if carried.empty:
        return section
    counts = decision_status_counts(carried)
    section.sentences.append(context.t("text.decisions", **counts))
    if counts["unknown"]:
        section.warnings.append(context.t("warn.decision_status_unknown", count=counts["unknown"]))
    shown = carried.assign(status=_status_words(context, carried["status"], "decision_status"))
    section.tables.append(_table(context, "decisions", shown, ["decision_id", "year", "decision", "owner",
                                                               "deadline", "status", "result", "overdue"],
                                 {"year": "text"}))
    return section


def _issues(context: _Context) -> ReviewSection:
    """(b) Changes in the procedure catalogue and internal processes that lag behind them."""
    section = _section(context, "b")
    procedures = context.unit_procedures
    if procedures.empty:
        section.warnings.append(context.t("warn.no_catalogue"))
        return section
    changed = changed_dates(procedures)
    in_year = lambda dates: ((dates >= context.start) & (dates <= context.end)).fillna(False)  # noqa: E731
    base = ["procedure_code", "procedure_name", "field"]
    if changed is None:
        section.warnings.append(context.t("warn.no_change_dates"))
    else:
        frame = procedures.assign(changed_date=changed)
        amended = frame[in_year(frame["changed_date"])].sort_values("changed_date")
        section.sentences.append(context.t("text.catalogue_changes", count=len(amended), year=context.year,
                                           total=len(procedures)))
        if len(amended):
            section.tables.append(_table(context, "catalogue_changes", amended,
                                         base + ["changed_date", "process_code", "process_version", "effective_date"]))
        # The same processes the audit's evidence calls outdated (``measures.UnitYear.processes``).
        processes = context.unit_year.processes
        outdated = processes[processes["outdated"].to_numpy(bool)]
        section.sentences.append(context.t("text.outdated_processes", count=len(outdated)))
        if len(outdated):
            section.tables.append(_table(context, "outdated_processes", outdated,
                                         base + ["process_code", "process_version", "effective_date", "changed_date"]))
    revised = procedures[in_year(procedures["effective_date"])]
    section.sentences.append(context.t("text.processes_revised", count=len(revised), year=context.year))
    missing = procedures[procedures["process_code"].isna()]
    section.sentences.append(context.t("text.no_process", count=len(missing)))
    if len(missing):
        section.tables.append(_table(context, "no_process", missing, base + ["legal_days"]))
    removed = _dossiers_outside_catalogue(context)
    if len(removed):
        section.sentences.append(context.t("text.outside_catalogue", count=int(removed["dossiers"].sum()),
                                           procedures=len(removed)))
        section.tables.append(_table(context, "outside_catalogue", removed, ["procedure_name", "dossiers"]))
    return section


def _satisfaction(context: _Context) -> ReviewSection:
    """(c1) Satisfaction surveys, and feedback or complaints with how fast they were answered."""
    section = _section(context, "c1")
    surveys = context.surveys
    if surveys.empty:
        section.warnings.append(context.t("warn.no_surveys", year=context.year))
    else:
        rate = context.measures["satisfaction_rate"]
        section.sentences.append(context.t("text.surveys", count=len(surveys), rate=format_percent(rate, context.lang)))
        previous_rate = context.previous_year.value("satisfaction_rate")
        if previous_rate is not None:
            section.sentences.append(context.t("text.surveys_previous", year=context.year - 1,
                                               rate=format_percent(previous_rate, context.lang),
                                               change=_points(rate - previous_rate, context.lang)))
        ratings = ["very_satisfied", "satisfied", "neutral", "dissatisfied"]
        counts = surveys["rating"].value_counts().reindex(ratings, fill_value=0)
        by_rating = pd.DataFrame({"rating": [context.t(f"rating.{r}") for r in ratings],
                                  "answers": counts.to_numpy(), "share": counts.to_numpy() / len(surveys)})
        section.tables.append(_table(context, "ratings", by_rating, ["rating", "answers", "share"],
                                     {"share": "percent"}))
        section.charts.append(ReviewChart("ratings", context.t("chart.ratings", year=context.year), "bar",
                                          by_rating.set_index("rating")[["share"]].rename(
                                              columns={"share": str(context.year)}),
                                          percent=True, lang=context.lang))
        unhappy = surveys[~surveys["rating"].isin(SATISFIED).fillna(False) & surveys["comment"].notna()]
        if len(unhappy):
            shown = unhappy.assign(rating=_status_words(context, unhappy["rating"], "rating"))
            section.tables.append(_table(context, "survey_comments", shown.head(20),
                                         ["survey_date", "procedure_name", "rating", "comment"]))
    feedback = context.feedback
    if feedback.empty:
        section.warnings.append(context.t("warn.no_feedback", year=context.year))
        return section
    handled = feedback["handled_date"].notna()
    section.sentences.append(context.t(
        "text.feedback", count=len(feedback), complaints=int(feedback["feedback_type"].eq("complaint").sum()),
        handled=int(handled.sum()), on_time=int(feedback["on_time"].fillna(False).sum()),
        late=int((feedback["on_time"] == False).sum()), open=int((~handled).sum()),  # noqa: E712
        overdue=int(feedback["overdue"].sum()),
        days=_decimal(feedback["handling_days"].astype("float").mean(), context.lang)))
    shown = feedback.assign(feedback_type=_status_words(context, feedback["feedback_type"], "feedback_type"))
    section.tables.append(_table(context, "feedback", shown.sort_values("received_date"),
                                 ["feedback_id", "received_date", "feedback_type", "content", "procedure_name",
                                  "due_date", "handled_date", "handling_days", "on_time"]))
    return section


def _objectives_section(context: _Context) -> ReviewSection:
    """(c2) Each quality objective: target, the result the unit reported and the one recomputed from the
    records, met or not (judged on the recomputed figure where the records give one)."""
    section = _section(context, "c2")
    result = context.objectives
    if result.empty:
        section.warnings.append(context.t("warn.no_objectives", year=context.year))
        return section
    met = result["met"]
    section.sentences.append(context.t("text.objectives", total=len(result), met=int(met.fillna(False).sum()),
                                       missed=int((met == False).sum()), unknown=int(met.isna().sum())))  # noqa: E712
    lang = context.lang
    for row in result.itertuples():
        where = {"objective": row.objective, "file": row.source_file, "row": row.source_row}
        if isinstance(row.note, str):
            text = label(f"objectives.note.{row.note}", lang, measure=row.measure if isinstance(row.measure, str)
                         else "", **where)
            if row.note == "no_data":  # why the records cannot give it
                text += " " + context.missing_text(context.figure(row.measure))
            section.warnings.append(text)
        if not pd.isna(row.discrepancy) and bool(row.discrepancy):
            section.warnings.append(label("objectives.discrepancy", lang, **where,
                                          reported=_measured_text(row.reported, row.target_unit, lang),
                                          recomputed=_measured_text(row.recomputed, row.target_unit, lang)))
    shown = result.assign(
        reported_text=[_measured_text(v, u, lang) for v, u in zip(result["reported"], result["target_unit"])],
        recomputed_text=[("" if not isinstance(m, str) else message("measures.no_data", lang) if pd.isna(v)
                          else _measured_text(v, u, lang))
                         for v, u, m in zip(result["recomputed"], result["target_unit"], result["measure"])],
        met=[context.t("met.yes") if m is True else context.t("met.no") if m is False
             else context.t("met.unmeasurable") if n == "no_data" else context.t("met.unknown")
             for m, n in zip(met.astype(object).where(met.notna(), None), result["note"])],
        result_source=result["result_source"].map(lambda s: context.t(f"source.{s}")),
    )
    section.tables.append(_table(context, "objectives", shown, ["objective_id", "objective", "target",
                                                                "reported_text", "recomputed_text",
                                                                "result_source", "met"]))
    return section


def _timeliness(context: _Context) -> ReviewSection:
    """(c3) On-time rates by field, procedure and month, against the previous year."""
    section = _section(context, "c3")
    current, previous = context.current, context.previous
    if current.empty:
        section.warnings.append(context.t("warn.no_dossiers", year=context.year))
        return section
    overall = _overall(current)
    section.sentences.append(context.t(
        "text.timeliness", received=int(overall["received"]), returned=int(overall["returned"]),
        rate=format_percent(overall["on_time_rate"], context.lang), late=int(overall["late"]),
        in_progress=int(overall["in_progress"]), overdue=int(overall["overdue"])))
    if previous.empty:
        section.warnings.append(context.t("warn.no_previous_dossiers", year=context.year - 1))
    else:
        before = _overall(previous)
        section.sentences.append(context.t(
            "text.timeliness_previous", year=context.year - 1,
            rate=format_percent(before["on_time_rate"], context.lang),
            change=_points(overall["on_time_rate"] - before["on_time_rate"], context.lang)))
    unjudged = int(current["status"].isna().sum())
    if unjudged:
        section.warnings.append(context.t("warn.unjudged", count=unjudged))
    columns = ["received", "returned", "late", "in_progress", "overdue", "on_time_rate", "previous_rate", "change"]
    formats = {"on_time_rate": "percent", "previous_rate": "percent", "change": "points"}
    by_field = _trend(context, "field").sort_values("on_time_rate", na_position="last")
    section.tables.append(_table(context, "by_field", by_field, ["field"] + columns, formats))
    by_procedure = context.by_procedure.sort_values(["on_time_rate", "received"], ascending=[True, False],
                                            na_position="last")
    section.tables.append(_table(context, "by_procedure", by_procedure, ["procedure_code", "procedure_name"] + columns,
                                 formats))
    by_month = _trend(context, "month").set_index("month").reindex(range(1, 13)).reset_index()
    by_month["month_label"] = [_month(m, context.lang) for m in by_month["month"]]
    for column in ("received", "returned", "early", "on_time", "late", "in_progress", "overdue"):
        by_month[column] = by_month[column].fillna(0).astype("int64")
    section.tables.append(_table(context, "by_month", by_month, ["month_label"] + columns, formats))
    rates = pd.DataFrame({str(context.year): by_month["on_time_rate"].to_numpy()}, index=by_month["month_label"])
    if not previous.empty:
        rates[str(context.year - 1)] = by_month["previous_rate"].to_numpy()
    section.charts.append(ReviewChart("by_month", context.t("chart.by_month", year=context.year), "line", rates,
                                      percent=True, target=context.on_time_target,
                                      target_label=context.t("chart.target"), lang=context.lang))
    fields = by_field.dropna(subset=["on_time_rate"]).set_index("field")
    field_rates = pd.DataFrame({str(context.year): fields["on_time_rate"]})
    if not previous.empty:
        field_rates[str(context.year - 1)] = fields["previous_rate"]
    section.charts.append(ReviewChart("by_field", context.t("chart.by_field", year=context.year), "barh",
                                      field_rates, percent=True, target=context.on_time_target,
                                      target_label=context.t("chart.target"), lang=context.lang))
    return section


def _nonconformities(context: _Context) -> ReviewSection:
    """(c4) Findings and corrective actions: still open, overdue, done but not verified, repeated."""
    section = _section(context, "c4")
    findings = context.findings
    if findings.empty:
        section.warnings.append(context.t("warn.no_findings"))
        return section
    nc = findings["nonconformity"]
    section.sentences.append(context.t(
        "text.findings", total=len(findings), nc=int(nc.sum()), open=int(findings["open"].sum()),
        overdue=int(findings["overdue"].sum()), unverified=int(findings["unverified"].sum()),
        repeated=int(findings["repeated"].sum())))
    grades = ["major", "minor", "observation", "improvement"]
    by_grade = pd.DataFrame({
        "grade": [context.t(f"grade.{g}") for g in grades],
        "findings": [int(findings["grade"].eq(g).sum()) for g in grades],
        "open": [int((findings["grade"].eq(g) & findings["open"]).sum()) for g in grades],
        "overdue": [int((findings["grade"].eq(g) & findings["overdue"]).sum()) for g in grades],
    })
    section.tables.append(_table(context, "by_grade", by_grade, ["grade", "findings", "open", "overdue"]))
    pending = findings[findings["open"] | findings["unverified"] | findings["repeated"]]
    if len(pending):
        shown = pending.assign(grade=_status_words(context, pending["grade"], "grade_short"),
                               status=_action_statuses(context, pending["status"]))
        section.tables.append(_table(context, "open_findings", shown.sort_values(["overdue", "deadline"],
                                                                                 ascending=[False, True]),
                                     ["finding_id", "clause", "grade", "description", "owner", "deadline",
                                      "status", "overdue", "repeated"]))
    return section


def _monitoring(context: _Context) -> ReviewSection:
    """(c5) Other monitoring results: conformity of dossier handling, channels, data quality."""
    section = _section(context, "c5")
    current, previous = context.current, context.previous
    if current.empty:
        section.warnings.append(context.t("warn.no_dossiers", year=context.year))
        return section
    # Each indicator is a ``measures`` figure; one the records cannot support says so instead of a zero.
    keys = {"late_without_apology": "late_without_apology_count",
            "appointment_beyond_legal": "appointment_beyond_legal_count", "overdue": "overdue_count",
            "supplement_share": "supplement_rate", "online_share": "online_rate", "postal_share": "postal_rate"}
    no_data = message("measures.no_data", context.lang)

    def shown(unit_year: UnitYear, key: str) -> str:
        figure = unit_year.figure(keys[key])
        return _indicator_text(key, figure.value, context.lang) if figure.available else no_data

    indicators = pd.DataFrame({
        "indicator": [context.t(f"indicator.{k}") for k in keys],
        "current": [shown(context.unit_year, k) for k in keys],
        "previous": [shown(context.previous_year, k) if len(previous) else "" for k in keys],
    })
    section.tables.append(ReviewTable("indicators", context.t("table.indicators", year=context.year), indicators,
                                      {"indicator": context.t("col.indicator"), "current": str(context.year),
                                       "previous": str(context.year - 1)},
                                      {"current": "numtext", "previous": "numtext"}, context.lang))
    for key in ("online_rate", "postal_rate"):
        figure = context.figure(key)
        if not figure.available:
            section.warnings.append(context.missing_text(figure))
            break  # one channel sentence says it for both
    section.sentences.append(context.t(
        "text.monitoring", late_without_apology=int(context.figure("late_without_apology_count").count),
        beyond=int(context.figure("appointment_beyond_legal_count").count)))
    excluded = len(context.own.excluded_dossiers)
    problems = len(context.own.problems)
    section.sentences.append(context.t("text.data_quality", problems=problems, excluded=excluded))
    if excluded:
        reasons = context.own.excluded_dossiers["reason"].astype("string").value_counts(dropna=False)
        data = pd.DataFrame({"reason": _status_words(context, pd.Series(reasons.index), "reason").to_numpy(),
                             "dossiers": reasons.to_numpy()})
        section.tables.append(_table(context, "excluded", data, ["reason", "dossiers"]))
    return section


def _audits(context: _Context) -> ReviewSection:
    """(c6) Internal audits of the year and what they found."""
    section = _section(context, "c6")
    findings = context.findings
    of_year = findings[context.in_year(findings["raised_date"])]
    if of_year.empty:
        section.warnings.append(context.t("warn.no_audits", year=context.year))
        return section
    audits = of_year.assign(audit_id=of_year["audit_id"].fillna(context.t("no_audit_id")))
    grades = ["major", "minor", "observation", "improvement"]
    table = audits.groupby("audit_id").agg(first=("raised_date", "min"), findings=("finding_id", "size"),
                                           open=("open", "sum")).reset_index()
    for grade in grades:
        counts = audits[audits["grade"] == grade].groupby("audit_id").size()
        table[grade] = table["audit_id"].map(counts).fillna(0).astype("int64")
    section.sentences.append(context.t("text.audits", audits=len(table), findings=len(of_year),
                                       major=int(table["major"].sum()), minor=int(table["minor"].sum())))
    section.tables.append(_table(context, "audits", table.sort_values("first"),
                                 ["audit_id", "first", "findings"] + grades + ["open"]))
    clauses = of_year.groupby("clause").size().sort_values(ascending=False).head(10)
    section.charts.append(ReviewChart("audit_clauses", context.t("chart.audit_clauses", year=context.year), "barh",
                                      pd.DataFrame({context.t("col.findings"): clauses.astype(float)}),
                                      integer=True, lang=context.lang))
    return section


def _providers(context: _Context) -> ReviewSection:
    """(c7) External providers: public postal service, and other agencies that handle transferred dossiers."""
    section = _section(context, "c7")
    current = context.current
    postal = current[current["channel"].eq("postal").fillna(False)]
    # The tracking book's "handling agency" is often the unit itself (the counter hands the dossier to its own
    # officer); only another agency is an external provider.
    own_name = fold(str(context.unit["unit_name"]))
    agency = fold_series(current["handling_agency"].astype("string"))
    external = (agency.notna() & ~agency.str.contains(own_name, regex=False)).fillna(False).to_numpy(bool)
    transferred = current[external]
    postal_rate = context.figure("postal_rate")
    if postal.empty and transferred.empty:
        section.warnings.append(context.t("warn.no_providers", year=context.year))
        if not postal_rate.available and not current.empty:
            section.warnings.append(context.missing_text(postal_rate))
        return section
    rows = []
    # Without a recorded channel the postal row would read as "no dossier by post": leave it out, and say why.
    groups = (("postal", postal),) if postal_rate.available else ()
    for key, frame in (*groups, ("transferred", transferred), ("all", current)):
        counts = _overall(frame)
        rows.append({"provider": context.t(f"provider.{key}"), "received": len(frame),
                     "returned": int(counts["returned"]), "on_time_rate": float(counts["on_time_rate"])})
    held = context.calendar.working_days_between(transferred["transferred_date"].dt.normalize(),
                                                 transferred["result_received_date"].dt.normalize()) \
        if len(transferred) else pd.Series([], dtype="Int64")
    table = pd.DataFrame(rows)
    section.tables.append(_table(context, "providers", table, ["provider", "received", "returned", "on_time_rate"],
                                 {"on_time_rate": "percent"}))
    postal_count = str(len(postal)) if postal_rate.available else message("measures.no_data", context.lang)
    section.sentences.append(context.t("text.providers", postal=postal_count, transferred=len(transferred),
                                       days=_decimal(held.astype("float").mean(), context.lang)))
    if not postal_rate.available:
        section.warnings.append(context.missing_text(postal_rate))
    elif postal.empty:
        section.warnings.append(context.t("warn.no_postal", year=context.year))
    return section


def _resources(context: _Context) -> ReviewSection:
    """(d) Workload of the one-stop counter: dossiers received per officer, per month and per working day."""
    section = _section(context, "d")
    officers = context.unit["officers"]
    current = context.current
    if current.empty:
        section.warnings.append(context.t("warn.no_dossiers", year=context.year))
        return section
    months = pd.date_range(context.start, context.end, freq="MS")
    ends = months + pd.offsets.MonthEnd(0)
    working = context.calendar.for_unit(context.unit["unit_code"]).working_days_between(
        pd.Series(months - pd.Timedelta(days=1)), pd.Series(ends))
    received = current.groupby("month").size().reindex(range(1, 13), fill_value=0)
    table = pd.DataFrame({"month_label": [_month(m, context.lang) for m in range(1, 13)],
                          "received": received.to_numpy(), "working_days": working.to_numpy()})
    if pd.isna(officers) or int(officers) <= 0:
        section.warnings.append(context.t("warn.no_officers"))
        section.tables.append(_table(context, "load", table, ["month_label", "received", "working_days"]))
        return section
    officers = int(officers)
    table["per_officer"] = table["received"] / officers
    table["per_officer_day"] = table["per_officer"] / table["working_days"].where(table["working_days"] > 0)
    busiest = table.loc[table["per_officer"].idxmax()]
    section.sentences.append(context.t(
        "text.load", officers=officers, per_month=_decimal(table["per_officer"].mean(), context.lang),
        per_day=_decimal(context.figure("dossiers_per_officer_day").value, context.lang),
        month=busiest["month_label"], peak=_decimal(busiest["per_officer"], context.lang)))
    section.tables.append(_table(context, "load", table, ["month_label", "received", "working_days", "per_officer",
                                                          "per_officer_day"], {"per_officer_day": "decimal2"}))
    section.charts.append(ReviewChart("load", context.t("chart.load", year=context.year), "bar",
                                      pd.DataFrame({context.t("col.per_officer"): table["per_officer"].to_numpy()},
                                                   index=table["month_label"]),
                                      value_label=context.t("chart.per_officer_axis"), lang=context.lang))
    return section


def _risks(context: _Context) -> ReviewSection:
    """(e) Actions on risks and opportunities: findings under clause 6.1 and their actions, and the signals
    of risks coming true (procedures whose on-time rate fell)."""
    section = _section(context, "e")
    findings = context.findings
    risk = findings[findings["clause"].astype("string").str.startswith("6.1").fillna(False)]
    if risk.empty:
        section.warnings.append(context.t("warn.no_risk_actions"))
    else:
        done = (~risk["open"]).sum()
        section.sentences.append(context.t("text.risk_actions", total=len(risk), done=int(done),
                                           overdue=int(risk["overdue"].sum())))
        shown = risk.assign(status=_action_statuses(context, risk["status"]))
        section.tables.append(_table(context, "risk_actions", shown, ["finding_id", "description",
                                                                      "corrective_action", "owner", "deadline",
                                                                      "status"]))
    falling = context.by_procedure
    falling = falling[(falling["change"] <= -5) & (falling["returned"] >= MIN_RETURNED_TO_RANK)].sort_values("change")
    if context.previous.empty:
        section.warnings.append(context.t("warn.no_previous_dossiers", year=context.year - 1))
    else:
        section.sentences.append(context.t("text.risk_signals", count=len(falling)))
        if len(falling):
            section.tables.append(_table(context, "risk_signals", falling,
                                         ["procedure_code", "procedure_name", "returned", "on_time_rate",
                                          "previous_rate", "change"],
                                         {"on_time_rate": "percent", "previous_rate": "percent", "change": "points"}))
    return section


def _improvement(context: _Context) -> ReviewSection:
    """(f) Opportunities for improvement proposed from the data, for the chair to decide on."""
    section = _section(context, "f")
    proposals = context.proposals
    if proposals.empty:
        section.warnings.append(context.t("warn.no_opportunities"))
        return section
    section.sentences.append(context.t("text.opportunities", count=len(proposals)))
    shown = proposals.assign(number=range(1, len(proposals) + 1),
                             source=proposals["source"].map(lambda k: CLAUSES[k]))
    section.tables.append(_table(context, "opportunities", shown, ["number", "opportunity", "source"]))
    return section


_BUILDERS = (_previous_actions, _issues, _satisfaction, _objectives_section, _timeliness, _nonconformities,
             _monitoring, _audits, _providers, _resources, _risks, _improvement)


def _opportunities(context: _Context) -> pd.DataFrame:
    """Improvement opportunities (columns ``opportunity``, ``category``, ``source``): worst procedures,
    repeated findings, missed objectives, overdue actions and decisions, late replies to citizens."""
    t, lang = context.t, context.lang
    items: list[tuple[str, str, str]] = []
    procedures = context.by_procedure
    worst = procedures[(procedures["returned"] >= MIN_RETURNED_TO_RANK)
                       & (procedures["on_time_rate"] < context.on_time_target)].nsmallest(WORST_PROCEDURES,
                                                                                         "on_time_rate")
    for row in worst.itertuples():
        items.append((t("opportunity.worst_procedure", procedure=row.procedure_name,
                        rate=format_percent(row.on_time_rate, lang), late=int(row.late + row.overdue)),
                      "improvement", "c3"))
    missed = context.objectives[(context.objectives["met"] == False).fillna(False)]  # noqa: E712
    for row in missed.itertuples():
        items.append((t("opportunity.missed_objective", objective=row.objective, target=row.target,
                        result=_measured_text(row.measured, row.target_unit, lang)), "improvement", "c2"))
    findings = context.findings
    for clause, group in findings[findings["repeated"]].groupby("clause"):
        earlier = sorted({i for ids in group["repeat_of"].dropna() for i in str(ids).split("; ")})
        items.append((t("opportunity.repeated_finding", clause=clause, findings="; ".join(group["finding_id"]),
                        earlier="; ".join(earlier)), "qms_change", "c4"))
    overdue = int(findings["overdue"].sum())
    if overdue:
        items.append((t("opportunity.overdue_actions", count=overdue), "improvement", "c4"))
    no_apology = context.measures.get("late_without_apology_count") or 0
    if no_apology:
        items.append((t("opportunity.late_without_apology", count=int(no_apology)), "improvement", "c5"))
    late_replies = int((context.feedback["on_time"] == False).sum() + context.feedback["overdue"].sum())  # noqa: E712
    if late_replies:
        items.append((t("opportunity.late_feedback", count=late_replies), "improvement", "c1"))
    unfinished = context.carried[context.carried["overdue"]]
    if len(unfinished):
        items.append((t("opportunity.unfinished_decisions", count=len(unfinished)), "improvement", "a"))
    per_day = context.figure("dossiers_per_officer_day").value
    if per_day is not None:
        if per_day > 10:  # a one-stop officer can check and receive about ten dossiers a day with care
            items.append((t("opportunity.workload", per_day=_decimal(per_day, lang)), "resources", "d"))
    return pd.DataFrame(items, columns=["opportunity", "category", "source"])


# ---- helpers -----------------------------------------------------------------------------------------------
def _number(sections: list[ReviewSection]) -> None:
    tables = charts = 0
    for section in sections:
        for table in section.tables:
            tables += 1
            table.number = tables
        for chart in section.charts:
            charts += 1
            chart.number = charts


def _dossiers_outside_catalogue(context: _Context) -> pd.DataFrame:
    """Dossiers of the two years naming a procedure the current catalogue lacks (abolished or replaced)."""
    excluded = context.own.excluded_dossiers
    excluded = excluded[excluded["reason"].eq("unknown_procedure").fillna(False)]
    received = excluded["received_at"]
    excluded = excluded[((received >= context.previous_start) & (received <= context.end + pd.Timedelta(days=1)))
                        .fillna(True)]
    names = excluded["procedure_name"].fillna(excluded["procedure_code"]).astype("string")
    counts = names.value_counts()
    return pd.DataFrame({"procedure_name": counts.index.astype(str), "dossiers": counts.to_numpy()})


def _status_words(context: _Context, values: pd.Series, kind: str) -> pd.Series:
    """Canonical codes shown as words of ``lang`` (``review.<kind>.<code>``); unknown codes as written."""
    def word(code):
        if pd.isna(code):
            return context.t(f"{kind}.unknown")
        key = f"review.{kind}.{code}"
        text = label(key, context.lang)
        return code if text == key else text
    return values.map(word).astype("string")


def _action_statuses(context: _Context, values: pd.Series) -> pd.Series:
    """Corrective-action statuses in the words the audit report and the register use (a blank is open)."""
    return values.fillna("open").map(lambda code: status_label(code, context.lang)).astype("string")


def _month(month: int, lang: str) -> str:
    return label("review.month_short", lang, month=int(month), name=month_names.month_abbr[int(month)])


def _decimal(value, lang: str, digits: int = 1) -> str:
    return "-" if value is None or pd.isna(value) else format_number(value, lang, digits)


def _points(value, lang: str) -> str:
    """A change of a rate in percentage points, signed."""
    if value is None or pd.isna(value):
        return "-"
    return ("+" if value >= 0 else "") + _decimal(value * 100, lang)


def _measured_text(value, unit, lang: str) -> str:
    if pd.isna(value):
        return "-"
    if unit == PERCENT:
        return format_percent(value, lang)
    if unit == DAYS:
        return label("review.days_value", lang, days=_decimal(value, lang))
    return _decimal(value, lang, 0 if float(value).is_integer() else 1)


def _indicator_text(key: str, value, lang: str) -> str:
    if key.endswith("_share"):
        return format_percent(value, lang)
    return _decimal(value, lang, 0)


def _format_column(values: pd.Series, kind: str | None, lang: str) -> pd.Series:
    if kind is None:
        if pd.api.types.is_datetime64_any_dtype(values):
            kind = "date"
        elif pd.api.types.is_bool_dtype(values) or str(values.dtype) == "boolean":
            kind = "yesno"
        elif pd.api.types.is_integer_dtype(values):
            kind = "int"
        elif pd.api.types.is_float_dtype(values):
            kind = "decimal"
        else:
            kind = "text"
    if kind == "date":
        return values.map(lambda v: format_date(v, lang)).astype("string")
    if kind == "yesno":
        words = {True: label("review.yes", lang), False: label("review.no", lang)}
        return values.map(lambda v: "" if pd.isna(v) else words[bool(v)]).astype("string")
    if kind == "percent":
        return values.map(lambda v: "" if pd.isna(v) else format_percent(v, lang)).astype("string")
    if kind == "points":
        return values.map(lambda v: "" if pd.isna(v) else _points(v / 100, lang)).astype("string")
    if kind == "int":
        return values.map(lambda v: "" if pd.isna(v) else _decimal(v, lang, 0)).astype("string")
    if kind in ("decimal", "decimal2"):
        digits = 2 if kind == "decimal2" else 1
        return values.map(lambda v: "" if pd.isna(v) else _decimal(v, lang, digits)).astype("string")
    return values.map(lambda v: "" if pd.isna(v) else str(v)).astype("string")


def _input_digests(records, own) -> pd.DataFrame:
    """SHA-256 of the input files this unit's pack was computed from: the shared files at the folder's top
    (registry, catalogue, calendar) and the unit's own files."""
    digests = records.file_digests()
    own_files = set()
    for frame in (own.dossiers, own.objectives, own.surveys, own.feedback, own.decisions, own.findings,
                  own.excluded_dossiers):
        own_files |= set(frame["source_file"].dropna().astype(str))
    names = digests["file"].astype(str).str.replace("\\", "/", regex=False)
    shared = ~names.str.contains("/", regex=False)
    keep = digests[(shared | names.map(lambda n: Path(n).name).isin(own_files)).to_numpy(bool)]
    return keep.sort_values("file").reset_index(drop=True)
