"""(c3) A unit formed by a merger: when and from which units, and their figures beside its own, so the trend
the review looks for is still there (``isoaudit.unit_history``)."""
from __future__ import annotations

from isoaudit.i18n import format_date
from isoaudit.records.units_in_time import period_text
from isoaudit.review.context import ReviewContext
from isoaudit.review.pack import ReviewSection
from isoaudit.review.tables import new_table
from isoaudit.unit_history import has_history, unit_history


def formed_by_merger(context: ReviewContext) -> bool:
    return has_history(context.records, str(context.unit["unit_code"]))


def history_of_unit(context: ReviewContext, section: ReviewSection) -> None:
    """The sentence saying when the unit was formed and from which units, and the table of their years."""
    records, unit = context.records, context.unit
    history = unit_history(records, str(unit["unit_code"]), (context.year - 1, context.year), context.as_of,
                           context.calendar, judged=context.unit_year)
    formed = history.loc[history["generation"] > 0]
    names = ", ".join(dict.fromkeys(formed["unit_name"].astype(str))) or _named_predecessors(context)
    section.sentences.append(context.t("text.formed_from", date=format_date(unit["valid_from"], context.lang),
                                       units=names, previous=context.year - 1))
    shared = formed.loc[formed["shared_with"] != "", ["unit_name", "shared_with"]].drop_duplicates()
    for row in shared.itertuples():
        section.sentences.append(context.t("text.predecessor_shared", unit=row.unit_name, others=row.shared_with))
    if history.empty:
        return
    shown = history.assign(period=[period_text(row, context.lang) for _, row in history.iterrows()],
                           history_year=history["year"].astype(str),  # a year, not a number to group by 1.000
                           on_time_rate=history["on_time_rate"].astype("float64"))
    section.tables.append(new_table(context, "unit_history", shown,
                                    ["unit_name", "code", "period", "history_year", "received_count", "returned_count",
                                     "late_count", "overdue_count", "on_time_rate"],
                                    {"on_time_rate": "percent", "received_count": "int", "returned_count": "int",
                                     "late_count": "int", "overdue_count": "int"}))


def _named_predecessors(context: ReviewContext) -> str:
    """The predecessors' names when none of them has dossiers in the two years shown."""
    units = context.records.units.set_index("unit_code")
    keys = [key for key, _ in context.records.ancestors(str(context.unit["unit_code"])) if key in units.index]
    return ", ".join(str(units.loc[key, "unit_name"]) for key in keys)

