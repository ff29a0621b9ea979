"""The roll-up of a batch for its province (or district): one row per unit, findings by clause and unit, the
worst procedures.

Written as ``index.html`` (linking every unit's reports) and ``summary.xlsx``. It shows figures only: no
citizen's name, address or identity number ever reaches it.
"""
from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from isoaudit import __version__
from isoaudit.i18n import format_date, format_percent, label, message
from isoaudit.outputs.templates import render
from isoaudit.outputs.xlsx import SheetSpec, write_workbook
from isoaudit.safety import atomic_write

SUMMARY_COLUMNS = ["unit_code", "unit_name", "status", "on_time_rate", "returned", "overdue", "late_without_apology",
                   "online_rate", "reported_rate", "reported_software_rate", "reported_differ", "actions_open",
                   "actions_overdue", "objectives_met", "objectives_total", "audit_status", "audit_answered",
                   "audit_total", "error"]
# Figures of a unit's review (``measures``): one the records cannot support is "no data", never 0.
FIGURE_COLUMNS = ("on_time_rate", "returned", "overdue", "late_without_apology", "online_rate", "reported_rate",
                  "reported_software_rate", "reported_differ", "actions_open", "actions_overdue", "objectives_met")
PERCENT_COLUMNS = ("on_time_rate", "online_rate", "reported_rate", "reported_software_rate")


def write_rollup(batch, worst: pd.DataFrame, lang: str = "vi") -> Path:
    """Write ``index.html`` and ``summary.xlsx`` into the batch's output folder: the units' results, their
    findings by clause, and ``worst`` (``measures.worst_procedures`` of the whole area). Returns the
    page's path."""
    table = unit_table(batch.results)
    heatmap = findings_heatmap(batch.results)
    area = batch.area
    title = label("batch.title_of_area", lang, year=batch.year, area=area) if area else \
        label("batch.title", lang, year=batch.year)
    write_workbook(batch.out / "summary.xlsx", {
        label("batch.sheet.units", lang): SheetSpec(_shown(table, lang), _headers(table, lang),
                                                    [title],
                                                    percent_columns=PERCENT_COLUMNS),
        label("batch.sheet.findings", lang): SheetSpec(heatmap.reset_index(),
                                                       {"clause": label("batch.col.clause", lang)}),
        label("batch.sheet.worst", lang): SheetSpec(worst, _headers(worst, lang),
                                                    percent_columns=("on_time_rate",)),
    }, lang)
    page = render("rollup.html.j2",
        t=lambda key, **params: label(f"batch.{key}", lang, **params), lang=lang, year=batch.year, title=title,
        rows=_page_rows(batch, table, lang), heatmap=heatmap, heat_max=max(int(heatmap.to_numpy().max()), 1)
        if heatmap.size else 1, worst=_shown_worst(worst, lang), version=__version__,
        generated=format_date(pd.Timestamp.today(), lang), failed=len(batch.failed), total=len(batch.results),
        analytics=_relative(batch.analytics, batch.out) if batch.analytics else "")
    path = batch.out / "index.html"
    with atomic_write(path, "w") as handle:
        handle.write(page)
    return path


def unit_table(results) -> pd.DataFrame:
    """One row per unit with the figures of ``SUMMARY_COLUMNS``."""
    rows = []
    for result in results:
        figures = {k: v for k, v in result.summary.items() if k in SUMMARY_COLUMNS}
        # The unit's own reported statistics (``reported_statistics.reported_summary``): its on-time rate as
        # reported and as the software counts the log, and the form's lines that differ from the software.
        reported = result.summary.get("reported") or {}
        figures.update(reported_rate=reported.get("reported_rate"), reported_software_rate=reported.get(
            "software_rate"), reported_differ=reported.get("differ_software"))
        rows.append({**figures, "unit_code": result.unit_code, "unit_name": result.unit_name,
                     "status": result.status, "error": result.error})
    return pd.DataFrame(rows, columns=SUMMARY_COLUMNS)


def findings_heatmap(results) -> pd.DataFrame:
    """Findings (nonconformities and observations) per clause (rows) and unit (columns)."""
    counts = {r.unit_code: r.summary.get("findings_by_clause", {}) for r in results}
    frame = pd.DataFrame(counts).fillna(0).astype(int)
    if frame.empty:
        return frame
    frame.index.name = "clause"
    return frame.loc[sorted(frame.index, key=_clause_key)]


def _page_rows(batch, table: pd.DataFrame, lang: str) -> list[dict]:
    rows = []
    for result, figures in zip(batch.results, table.to_dict("records")):
        folder = Path(result.folder)
        links = {kind: _relative(folder / name, batch.out) for kind, name in result.outputs.items()
                 if (folder / name).exists() and kind in ("audit_html", "review_html", "review_docx")}
        shown = {c: _figure_text(figures.get(c), c, lang) for c in FIGURE_COLUMNS}
        rows.append({**figures, "links": links, "ok": result.ok, "shown": shown,
                     "on_time": shown["on_time_rate"],
                     "reported": _reported_text(figures, lang) if result.ok else "",
                     "status_text": label(f"batch.status.{result.status}", lang),
                     # a failed unit's audit is unknown, not "not audited": its row says why it failed
                     "audit_text": label(f"batch.audit.{_audit_status(figures)}", lang,
                                         answered=_int(figures.get("audit_answered")),
                                         total=_int(figures.get("audit_total"))) if result.ok else ""})
    return rows


def _reported_text(figures: dict, lang: str) -> str:
    """The unit's reported statistics against its log in few words, or that it reported none."""
    if pd.isna(figures.get("reported_rate")) and pd.isna(figures.get("reported_differ")):  # None, or NaN in a table
        return label("batch.reported.none", lang)
    rates = {key: _figure_text(figures.get(column), column, lang)
             for key, column in (("reported", "reported_rate"), ("software", "reported_software_rate"))}
    differ = _int(figures.get("reported_differ"))
    return label("batch.reported.differ" if differ else "batch.reported.same", lang, lines=differ, **rates)


def _audit_status(figures: dict) -> str:
    """The unit's audit status code; ``none`` when the unit's run gave none (a failed unit)."""
    status = figures.get("audit_status")
    return status if isinstance(status, str) else "none"


def _relative(path: Path, root: Path) -> str:
    return os.path.relpath(path, root).replace(os.sep, "/")


def _figure_text(value, column: str, lang: str) -> str:
    if value is None or value != value:
        return message("measures.no_data", lang)
    return format_percent(value, lang) if column in PERCENT_COLUMNS else str(int(value))


def _shown(table: pd.DataFrame, lang: str) -> pd.DataFrame:
    shown = table.copy().astype(object)
    done = shown["status"] != "failed"
    no_data = message("measures.no_data", lang)
    for column in FIGURE_COLUMNS:  # a unit that ran but whose records cannot give the figure says so
        shown.loc[done & shown[column].isna(), column] = no_data
    shown["status"] = shown["status"].map(lambda s: label(f"batch.status.{s}", lang))
    shown["audit_status"] = shown["audit_status"].map(
        lambda s: label(f"batch.audit_word.{s if isinstance(s, str) else 'none'}", lang)).where(done, "")
    return shown


def _headers(table: pd.DataFrame, lang: str) -> dict:
    return {c: label(f"batch.col.{c}", lang) for c in table.columns}


def _shown_worst(worst: pd.DataFrame, lang: str) -> list[dict]:
    return [{**row, "on_time": format_percent(row["on_time_rate"], lang)} for row in worst.to_dict("records")]


def _int(value) -> int:
    return 0 if value is None or value != value else int(value)


def _clause_key(clause: str) -> tuple:
    return tuple(int(p) if p.isdigit() else 0 for p in str(clause).split("."))
