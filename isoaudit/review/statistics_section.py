"""(c3) The agency's periodic statistics in the review: as its software counts them, by law, and the
dossiers counted differently (``isoaudit.agency_statistics``); then the forms the unit reported itself beside
the same form recomputed for their period (``isoaudit.reported_statistics``)."""
from __future__ import annotations

import pandas as pd

from isoaudit.agency_statistics import NOT_JUDGED_LINES
from isoaudit.i18n import format_date, format_percent, label
from isoaudit.reported_statistics import LINE_KEYS as REPORTED_LINE_KEYS
from isoaudit.reported_statistics import LINES, StatisticsComparison, compare_reported
from isoaudit.review.context import ReviewContext
from isoaudit.review.pack import ReviewSection
from isoaudit.review.tables import new_table
from isoaudit.review.wording import decimal_text

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
    by law (``agency_statistics``), the difference, and the dossiers counted differently; then the forms the
    unit reported, compared with both (``reported_statistics``)."""
    _two_ways(context, section)
    reported_statistics(context, section)


def _two_ways(context: ReviewContext, section: ReviewSection) -> None:
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


def reported_statistics(context: ReviewContext, section: ReviewSection) -> None:
    """(c3) Each statistics form the unit reported for the review's year beside the form recomputed from its
    log for the same period, line by line, and what the differences mean; a warning when it reported none."""
    comparisons = compare_reported(context.records, context.unit["unit_code"], context.year, context.calendar)
    if not comparisons:
        section.warnings.append(context.t("warn.no_reported_statistics", year=context.year))
        return
    for comparison in comparisons:
        _reported_form(context, section, comparison)


def _reported_form(context: ReviewContext, section: ReviewSection, comparison: StatisticsComparison) -> None:
    lang = context.lang
    words = {line: label(key, lang) for line, key in REPORTED_LINE_KEYS.items()}
    missing = label("agency_statistics.reported.missing", lang)
    table = comparison.table
    shown = pd.DataFrame({
        "line": table["line"].map(words),
        # A line the form does not give is said to be missing, never shown as 0 or left blank.
        "reported": table["reported"].map(lambda v: missing if pd.isna(v) else decimal_text(v, lang, 0)),
        "software": table["software"], "law": table["law"],
        "reported_minus_software": table["reported_minus_software"].map(lambda v: _signed(v, lang)),
        "reported_minus_law": table["reported_minus_law"].map(lambda v: _signed(v, lang))})
    form = comparison.reported
    period = {"start": format_date(form.start, lang), "end": format_date(form.end, lang)}
    section.tables.append(new_table(context, "reported_statistics", shown,
                                    ["line", "reported", "software", "law", "reported_minus_software",
                                     "reported_minus_law"],
                                    {"reported": "numtext", "software": "int", "law": "int",
                                     "reported_minus_software": "numtext", "reported_minus_law": "numtext"},
                                    file=form.source_file, **period))
    rates = {way: format_percent(comparison.on_time_rate(way), lang) for way in ("reported", "software", "law")}
    differing = comparison.lines_differing_from_software
    if differing:
        line, difference = comparison.largest_difference
        section.sentences.append(context.t("text.reported_statistics_differ", **period, **rates, count=len(differing),
                                           line=words[line], difference=_signed(difference, lang)))
    elif comparison.lines_differing_from_law:
        section.sentences.append(context.t("text.reported_statistics_software_only", **period, **rates,
                                           count=len(comparison.lines_differing_from_law)))
    else:
        section.sentences.append(context.t("text.reported_statistics_match", **period, **rates))
    missing_lines = comparison.missing_lines
    if missing_lines:
        section.sentences.append(context.t("text.reported_statistics_missing_lines", count=len(missing_lines),
                                           lines="; ".join(words[line] for line in LINES if line in missing_lines)))


def _signed(value, lang: str) -> str:
    """A difference with its sign ("+2", "−3", "0"); empty where the form gives no figure."""
    if pd.isna(value):
        return ""
    return ("+" if value > 0 else "−" if value < 0 else "") + decimal_text(abs(int(value)), lang, 0)
