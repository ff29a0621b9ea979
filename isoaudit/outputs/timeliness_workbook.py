"""The timeliness workbook: summaries by unit, procedure, field and month, the late and overdue dossiers, the
dossiers that cannot be judged, and every dossier with its assessment. Headers and values in ``lang``;
citizens' personal data left out."""
from __future__ import annotations

import os

import numpy as np
import pandas as pd

from isoaudit import schema
from isoaudit.i18n import check_lang, label
from isoaudit.outputs.xlsx import SheetSpec, write_workbook
from isoaudit.records.vocabulary import known_words
from isoaudit.timeliness import REASONS, STATUSES
from isoaudit.timeliness_summary import GROUPINGS

DETAIL_COLUMNS = [
    "unit_code", "unit_name", "dossier_id", "procedure_code", "procedure_name", "field", "channel", "received_at",
    "due_date", "legal_days", "supplement_requested_at", "supplement_received_at", "supplement_days",
    "waiting_supplement", "legal_due_date", "returned_date", "status", "days_late", "apology_date", "new_due_date",
    "appointment_beyond_legal", "late_without_apology", "late_against_new_appointment", "unassessable_reason",
    "log_status", "log_finished_without_return", "log_open_with_return",
    "handling_agency", "officer", "note", "source_file", "source_row",
]
FLAG_COLUMNS = ("waiting_supplement", "appointment_beyond_legal", "late_without_apology",
                "late_against_new_appointment", "log_finished_without_return", "log_open_with_return")


def write_timeliness_workbook(path: str | os.PathLike, tables: dict[str, pd.DataFrame], lang: str = "vi",
                              title_lines: list[str] | None = None) -> None:
    """Write the sheets of ``timeliness_sheets`` to ``path`` (atomically, formula-safe)."""
    write_workbook(path, timeliness_sheets(tables, lang, title_lines), lang)


def timeliness_sheets(tables: dict[str, pd.DataFrame], lang: str = "vi",
                      title_lines: list[str] | None = None) -> dict[str, SheetSpec]:
    """Sheet name -> SheetSpec for ``tables`` (``timeliness_summary.timeliness_tables``); ``title_lines``
    head the summary sheet (scope, period, as-of date)."""
    check_lang(lang)
    titles = [label("timeliness.title", lang), *(title_lines or []), label("timeliness.rule_note", lang)]
    sheets = {label("timeliness.sheet.summary", lang): _spec(tables["overall"], lang, titles)}
    for by in GROUPINGS:
        sheets[label(f"timeliness.sheet.{by}", lang)] = _spec(tables[by], lang)
    sheets[label("timeliness.sheet.late", lang)] = _spec(tables["late"], lang)
    sheets[label("timeliness.sheet.unassessable", lang)] = _spec(tables["unassessable"], lang)
    detail = tables["detail"]
    sheets[label("timeliness.sheet.detail", lang)] = _spec(detail[[c for c in DETAIL_COLUMNS if c in detail]], lang)
    return sheets


def shown_values(frame: pd.DataFrame, lang: str = "vi") -> pd.DataFrame:
    """``frame`` with statuses, reasons, yes/no flags and the log's controlled words (channel, the software's
    status) worded in ``lang`` (codes stay in the frame given)."""
    changes = {}
    for column, vocabulary in schema.CONTROLLED["dossiers"].items():
        if column in frame:
            changes[column] = _worded(frame[column], _vocabulary_words(vocabulary, lang))
    if "status" in frame:
        changes["status"] = _worded(frame["status"], {s: label(f"timeliness.status.{s}", lang) for s in STATUSES})
    if "unassessable_reason" in frame:
        changes["unassessable_reason"] = _worded(
            frame["unassessable_reason"], {r: label(f"timeliness.reason.{r}", lang) for r in REASONS})
    yes, no = label("timeliness.yes", lang), label("timeliness.no", lang)
    for column in FLAG_COLUMNS:
        if column in frame and pd.api.types.is_bool_dtype(frame[column].dtype):
            values = frame[column].astype("boolean")
            words = np.where(values.fillna(False).to_numpy(bool), yes, no).astype(object)
            words[values.isna().to_numpy()] = None
            changes[column] = pd.Series(words, index=frame.index)
    if "field" in frame and isinstance(frame["field"].dtype, pd.CategoricalDtype):
        changes["field"] = frame["field"].astype("string")
    return frame.assign(**changes)


def _spec(frame: pd.DataFrame, lang: str, title_lines: list[str] | None = None) -> SheetSpec:
    headers = {column: label(f"timeliness.col.{column}", lang) for column in frame.columns}
    return SheetSpec(shown_values(frame, lang), headers, list(title_lines or []),
                     percent_columns=("on_time_rate",) if "on_time_rate" in frame else ())


def _vocabulary_words(vocabulary: str, lang: str) -> dict[str, str]:
    """Code -> word in ``lang`` of a controlled vocabulary (``isoaudit/data/vocabulary.csv``), as labelled
    ``vocabulary.<vocabulary>.<code>``; a code it does not know is shown as it is."""
    return {code: label(f"vocabulary.{vocabulary}.{code}", lang) for code in known_words(vocabulary)}


def _worded(values: pd.Series, words: dict[str, str]) -> pd.Series:
    if not isinstance(values.dtype, pd.CategoricalDtype):
        values = values.astype("category")
    return values.cat.rename_categories(lambda code: words.get(code, code)).astype(object)
