"""What every section of the review reads: the unit's records and figures (``measures.UnitYear``), once."""
from __future__ import annotations

from functools import cached_property

import pandas as pd

from isoaudit.agency_statistics import AgencyStatistics, agency_statistics
from isoaudit.analytics.run import run_analytics
from isoaudit.findings import status_label
from isoaudit.i18n import has_label, label, message
from isoaudit.measures import Figure, UnitYear
from isoaudit.objectives import judge_objectives
from isoaudit.timeliness_summary import GROUPINGS, summarise
from isoaudit.unit_history import area_previous_year

WORST_PROCEDURES = 3
DEFAULT_ON_TIME_TARGET = 0.98  # used to pick the worst procedures when the unit has no on-time objective


class ReviewContext:
    """What every section reads: the unit's records and its figures (``measures.UnitYear``), computed once."""

    def __init__(self, records, own, unit, year, lang, as_of, calendar, unit_year: UnitYear | None = None):
        self.records, self.own, self.unit, self.year, self.lang = records, own, unit, year, lang
        self.as_of, self.calendar = as_of, calendar
        self.start, self.end = pd.Timestamp(year, 1, 1), pd.Timestamp(year, 12, 31)
        self.previous_start = pd.Timestamp(year - 1, 1, 1)
        if unit_year is None:
            unit_year = UnitYear(records, unit["unit_code"], year, as_of, calendar)
        self.unit_year = unit_year
        # The year before of a commune formed by a merger is its area's: its own rows and its predecessors'.
        self.previous_year = area_previous_year(self.unit_year)
        self.proposals: pd.DataFrame | None = None  # the improvement opportunities, set by assemble_review

    def t(self, key: str, **params) -> str:
        return label(f"review.{key}", self.lang, **params)

    @cached_property
    def analytics(self) -> list:
        """What each audit-analytics test found in the unit's year (``analytics.run``), computed once."""
        return run_analytics(self.unit_year, previous=self.previous_year.received)

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
        return trend(self, "procedure")

    @cached_property
    def agency_statistics(self) -> AgencyStatistics:
        """The periodic statistics of the year (1 January to ``as_of``) as the software counts and by law."""
        return agency_statistics(self.unit_year)



def trend(context: ReviewContext, by: str) -> pd.DataFrame:
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


def overall(assessed: pd.DataFrame) -> pd.Series:
    """``summarise`` of the whole frame as one row (``dossiers`` named ``received``)."""
    return summarise(assessed).rename(columns={"dossiers": "received"}).iloc[0]


def dossiers_outside_catalogue(context: ReviewContext) -> pd.DataFrame:
    """Dossiers of the two years naming a procedure the current catalogue lacks (abolished or replaced)."""
    excluded = context.own.excluded_dossiers
    excluded = excluded[excluded["reason"].eq("unknown_procedure").fillna(False)]
    received = excluded["received_at"]
    excluded = excluded[((received >= context.previous_start) & (received <= context.end + pd.Timedelta(days=1)))
                        .fillna(True)]
    names = excluded["procedure_name"].fillna(excluded["procedure_code"]).astype("string")
    counts = names.value_counts()
    return pd.DataFrame({"procedure_name": counts.index.astype(str), "dossiers": counts.to_numpy()})


def status_words(context: ReviewContext, values: pd.Series, kind: str) -> pd.Series:
    """Canonical codes shown as words of ``lang`` (``review.<kind>.<code>``); unknown codes as written."""
    def word(code):
        if pd.isna(code):
            return context.t(f"{kind}.unknown")
        key = f"review.{kind}.{code}"
        return label(key, context.lang) if has_label(key) else str(code)  # a word we do not know, as written
    return values.map(word).astype("string")


def action_statuses(context: ReviewContext, values: pd.Series) -> pd.Series:
    """Corrective-action statuses in the words the audit report and the register use (a blank is open)."""
    return values.fillna("open").map(lambda code: status_label(code, context.lang)).astype("string")
