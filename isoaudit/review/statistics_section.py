"""(c3) The agency's periodic statistics in the review: as its software counts them, by law, and the
dossiers counted differently (``isoaudit.agency_statistics``)."""
from __future__ import annotations

from isoaudit.agency_statistics import NOT_JUDGED_LINES
from isoaudit.i18n import format_date, format_percent, label
from isoaudit.review.context import ReviewContext
from isoaudit.review.pack import ReviewSection
from isoaudit.review.tables import new_table

STATISTICS_DIFFERING_SHOWN = 20  # dossiers listed in the pack; the domain keeps them all for sampling
# The words of each line of ``agency_statistics.LINES`` (keys written out, so the wording tests see them).
LINE_KEYS = {
    "received_carried_over": "agency_statistics.line.received_carried_over",
    "received_new": "agency_statistics.line.received_new",
    "received_total": "agency_statistics.line.received_total",
    "handled_early": "agency_statistics.line.handled_early",
    "handled_on_time": "agency_statistics.line.handled_on_time",
    "handled_late": "agency_statistics.line.handled_late",
    "handled_not_judged": "agency_statistics.line.handled_not_judged",
    "handled_total": "agency_statistics.line.handled_total",
    "in_progress_within_time": "agency_statistics.line.in_progress_within_time",
    "in_progress_overdue": "agency_statistics.line.in_progress_overdue",
    "in_progress_not_judged": "agency_statistics.line.in_progress_not_judged",
    "in_progress_total": "agency_statistics.line.in_progress_total",
}
# A dossier's line (``agency_statistics.DOSSIER_LINES``) in few words.
SHORT_LINE_KEYS = {
    "handled_early": "agency_statistics.short.handled_early",
    "handled_on_time": "agency_statistics.short.handled_on_time",
    "handled_late": "agency_statistics.short.handled_late",
    "handled_not_judged": "agency_statistics.short.handled_not_judged",
    "in_progress_within_time": "agency_statistics.short.in_progress_within_time",
    "in_progress_overdue": "agency_statistics.short.in_progress_overdue",
    "in_progress_not_judged": "agency_statistics.short.in_progress_not_judged",
}


def statistics_two_ways(context: ReviewContext, section: ReviewSection) -> None:
    """(c3) The agency's periodic statistics as its software counts them (against the stored appointment) and
    by law (``agency_statistics``), the difference, and the dossiers counted differently."""
    statistics = context.agency_statistics
    lang = context.lang
    words = {line: label(key, lang) for line, key in LINE_KEYS.items()}
    table = statistics.table
    unused = table["line"].isin(NOT_JUDGED_LINES) & (table["software"] == 0) & (table["law"] == 0)
    table = table[~unused.to_numpy(bool)].assign(line=lambda frame: frame["line"].map(words))
    section.tables.append(new_table(context, "agency_statistics", table, ["line", "software", "law", "difference"],
                                    {"software": "int", "law": "int", "difference": "int"}))
    period = {"start": format_date(statistics.start, lang), "end": format_date(statistics.end, lang)}
    if not statistics.differ:
        section.sentences.append(context.t("text.agency_statistics_same", **period,
                                           rate=format_percent(statistics.on_time_rate("law"), lang)))
        return
    differing = statistics.differing
    short = {line: label(key, lang) for line, key in SHORT_LINE_KEYS.items()}
    section.sentences.append(context.t(
        "text.agency_statistics_differ", **period, software=format_percent(statistics.on_time_rate("software"), lang),
        law=format_percent(statistics.on_time_rate("law"), lang), count=len(differing),
        beyond=statistics.beyond_legal))
    shown = differing.head(STATISTICS_DIFFERING_SHOWN).assign(
        appointment_date=lambda frame: frame["due_date"],
        software_line=lambda frame: frame["software_line"].map(short),
        law_line=lambda frame: frame["law_line"].map(short))
    section.tables.append(new_table(context, "agency_statistics_differing", shown,
                                    ["dossier_id", "procedure_name", "appointment_date", "legal_due_date",
                                     "returned_date", "software_line", "law_line"],
                                    {"appointment_date": "date", "legal_due_date": "date", "returned_date": "date"},
                                    shown=len(shown), count=len(differing)))
