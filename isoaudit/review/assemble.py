"""Management review (clause 9.3): one agency's review inputs (9.3.2) assembled from its records.

``assemble_review(records, unit_code, year)`` returns a ``ReviewPack``: one ``ReviewSection`` per input, in
the order of clause 9.3.2 (a, b, c1..c7, d, e, f), each with sentences, tables (DataFrames with labelled
columns), chart specifications and warnings. An input with no data is a warning in its section, never left
out. The notebook, the HTML page and the Word report all render the same pack.

Periods are calendar years: the review of ``year`` looks at dossiers received from 1 January to 31 December
(judged as of the period's end, or today when earlier) and compares them with the year before.
"""
from __future__ import annotations

import pandas as pd

from isoaudit.calendar import WorkCalendar, records_calendar
from isoaudit.errors import RecordsError
from isoaudit.i18n import check_lang, format_date
from isoaudit.measures import UnitYear, default_as_of
from isoaudit.records.units import known_unit_code
from isoaudit.reported_statistics import reported_summary
from isoaudit.review.context import ReviewContext
from isoaudit.review.pack import (
    SECTION_KEYS,
    ReviewChart,
    ReviewPack,
    ReviewSection,
    ReviewTable,
)
from isoaudit.review.sections import BUILDERS, opportunities
from isoaudit.unit_history import lineage

__all__ = ["SECTION_KEYS", "ReviewChart", "ReviewPack", "ReviewSection", "ReviewTable", "assemble_review"]


def assemble_review(records, unit_code: str, year: int, lang: str = "vi", as_of=None,
                    calendar: WorkCalendar | None = None, unit_year: UnitYear | None = None) -> ReviewPack:
    """The review pack of ``unit_code`` for ``year`` from a whole records folder (``load_records``).

    ``as_of`` (default: the end of ``year``, or today if earlier) judges dossiers not yet returned, actions
    and decisions past their deadline. ``calendar`` defaults to ``records_calendar(records)``. ``unit_year``:
    that unit's year already judged (``UnitYear(records, unit_code, year, as_of)``, e.g. by the audit's
    evidence), so that it is judged once; one of another unit, year or day is not used.
    """
    check_lang(lang)
    unit_code = known_unit_code(records, unit_code)  # papermill may pass "02266" as the number 2266
    units = records.units
    match = units[units["unit_code"] == unit_code]
    if match.empty:
        raise RecordsError("review.unknown_unit", unit=unit_code,
                           units=", ".join(units["unit_code"].dropna().astype(str).tolist()[:40]))
    year, as_of = int(year), default_as_of(year, as_of)
    if unit_year is not None and (unit_year.records is not records or
                                  (unit_year.unit_code, unit_year.year, unit_year.as_of) != (unit_code, year, as_of)):
        unit_year = None  # another unit's, year's or day's figures would be this review's
    calendar = calendar or (unit_year.calendar if unit_year is not None else records_calendar(records))
    # The unit's records: those its figures were taken from when they are given (the same records and unit).
    own = unit_year.own if unit_year is not None else records.for_unit(unit_code)
    context = ReviewContext(records, own, match.iloc[0], year, lang, as_of, calendar, unit_year)
    context.proposals = opportunities(context)  # input (f) shows them; the chair's workbook lists them
    sections = [builder(context) for builder in BUILDERS]
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
        inputs=_input_digests(records, [context.own, *(records.for_unit(key) for key, generation
                                                        in lineage(records, unit_code) if generation)]),
        parameters={"records": str(records.folder), "unit": unit_code, "year": year, "lang": lang,
                    "as_of": format_date(context.as_of, lang)},
        figures=_figures(context),
    )


def _figures(context: "ReviewContext") -> dict:
    """The headline numbers of the review, as plain JSON values (None where the records give no figure):
    the same ``measures`` figures the sections show, for the roll-up."""
    findings = context.findings
    raised = findings[(findings["raised_date"].dt.year == context.year).fillna(False).to_numpy(bool)]
    objectives = context.objectives
    figure = context.figure
    return {
        "on_time_rate": figure("on_time_rate").json(),
        # the funnel plot of the province's analytics page weighs each rate by its volume
        "on_time": figure("on_time_rate").count if figure("on_time_rate").available else None,
        "previous_on_time_rate": context.previous_year.figure("on_time_rate").json(),
        "repeated_findings": figure("repeated_findings_count").json(),
        # the unit's own reported statistics against its log (None: it reported no form for the year)
        "reported": _reported(context),
        # what each analytics test flagged (None: the records could not support it), for the analytics page
        "analytics": {r.test: {"clause": r.clause, "flagged": len(r.flagged) if r.available else None}
                      for r in context.analytics},
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


def _reported(context: "ReviewContext") -> dict | None:
    summary = reported_summary(context.records, str(context.unit["unit_code"]), context.year, context.calendar)
    if summary is None:
        return None
    return {"forms": summary.forms, "reported_rate": summary.reported_rate, "software_rate": summary.software_rate,
            "law_rate": summary.law_rate, "differ_software": summary.lines_differing_from_software,
            "differ_law": summary.lines_differing_from_law}


def _number(sections: list[ReviewSection]) -> None:
    tables = charts = 0
    for section in sections:
        for table in section.tables:
            tables += 1
            table.number = tables
        for chart in section.charts:
            charts += 1
            chart.number = charts


def _input_digests(records, owners) -> pd.DataFrame:
    """SHA-256 of the input files this unit's pack was computed from: the shared files at the folder's top
    (registry, catalogue, calendar), the unit's own files and its predecessors' (``owners``: their records)."""
    digests = records.file_digests()
    own_files = set()
    for own in owners:
        for frame in (own.dossiers, own.objectives, own.surveys, own.feedback, own.decisions, own.findings,
                      own.excluded_dossiers, own.statistics):
            own_files |= set(frame["source_file"].dropna().astype(str).unique())
    names = digests["file"].astype(str).str.replace("\\", "/", regex=False)
    shared = ~names.str.contains("/", regex=False)
    keep = digests[(shared | names.str.rpartition("/")[2].isin(own_files)).to_numpy(bool)]  # by file name
    return keep.sort_values("file").reset_index(drop=True)
