"""(c3, c4) What the log hides (issue #18): each audit-analytics test's finding in the review, with what it
means, what it does not prove, its table and the dossiers it flags; and in c4, how many flagged dossiers the
audit form offers as finding candidates. The figures are the tests' own (``isoaudit.analytics.run``)."""
from __future__ import annotations

import pandas as pd

from isoaudit.analytics.run import MODULES
from isoaudit.i18n import label
from isoaudit.review.context import ReviewContext
from isoaudit.review.pack import ReviewSection, ReviewTable
from isoaudit.review.wording import decimal_text

FLAGGED_SHOWN = 15  # dossiers listed per test in the pack; the audit form and the sample worksheet list all
# A table column holding one of these codes is shown in words: the test module's dictionaries of codes.
_CODE_TABLES = ("CHECK_KEYS", "GROUP_KEYS", "SCOPE_KEYS")
_RATE_SUFFIXES = ("_rate", "_share", "_limit")


def analytics_of_unit(context: ReviewContext, section: ReviewSection) -> None:
    """(c3) Every test: a warning when it cannot run, else its finding, meaning, limits, table and flags."""
    for result in context.analytics:
        module = MODULES[result.test]
        words = lambda kind, **params: label(f"analytics.{result.test}.{kind}", context.lang, **params)  # noqa: E731
        if not result.available:
            section.warnings.append(f"{words('title')}: {label(module.MISSING_KEYS[result.missing], context.lang)}")
            continue
        found = len(result.flagged) or len(result.table)
        params = {k: decimal_text(v, context.lang, 1) if isinstance(v, float) else v for k, v in result.params.items()}
        section.sentences.append(f"{words('title')}. {words('found' if found else 'none', **params)}")
        for part in result.params.get("missing_parts") or ():
            section.warnings.append(f"{words('title')}: {label(module.MISSING_KEYS[part], context.lang)}")
        if not found:
            continue
        section.sentences.append(words("meaning"))
        section.sentences.append(words("not_proof"))
        if len(result.table):
            section.tables.append(_found_table(context, module, result))
        if len(result.flagged):
            section.tables.append(_flagged_table(context, module, result))


def candidates_sentence(context: ReviewContext) -> str:
    """(c4) How many flagged dossiers wait for the auditor's decision in the audit form ("" when none)."""
    flagged = [r for r in context.analytics if r.available and len(r.flagged)]
    if not flagged:
        return ""
    dossiers = pd.concat([r.flagged["dossier_id"] for r in flagged]).nunique()
    return context.t("text.analytics_candidates", dossiers=int(dossiers), tests=len(flagged))


def _found_table(context: ReviewContext, module, result) -> ReviewTable:
    lang = context.lang
    frame = result.table.copy()
    formats = {}
    codes = {code: key for name in _CODE_TABLES for code, key in getattr(module, name, {}).items()}
    for column in frame.columns:
        values = frame[column].dropna()
        if len(values) and values.map(lambda v: isinstance(v, str) and v in codes).all():
            frame[column] = frame[column].map(lambda v: label(codes[v], lang) if isinstance(v, str) and v in codes
                                              else v)
        elif column.endswith(_RATE_SUFFIXES) and pd.api.types.is_numeric_dtype(frame[column]):
            formats[column] = "percent"
        elif column.endswith("_p_value"):
            frame[column] = frame[column].map(lambda v: "" if pd.isna(v) else f"{float(v):.1e}")
    headers = {c: label(module.COLUMN_KEYS[c], lang) for c in frame.columns if c in module.COLUMN_KEYS}
    title = label(f"analytics.{result.test}.title", lang)
    return ReviewTable(f"analytics_{result.test}", title, frame[list(headers)].reset_index(drop=True), headers,
                       formats, lang)


def _flagged_table(context: ReviewContext, module, result) -> ReviewTable:
    lang = context.lang
    flagged = result.flagged
    shown = flagged.head(FLAGGED_SHOWN)
    shown = shown.assign(why=[label(module.REASON_KEYS[reason], lang, **detail)
                              for reason, detail in zip(shown["reason"], result.details(shown, lang))])
    title = context.t("table.analytics_flagged", test=label(f"analytics.{result.test}.title", lang),
                      shown=len(shown), count=len(flagged))
    headers = {"dossier_id": context.t("col.dossier_id"), "why": context.t("col.analytics_reason")}
    return ReviewTable(f"analytics_{result.test}_flagged", title, shown[list(headers)].reset_index(drop=True),
                       headers, {}, lang)
