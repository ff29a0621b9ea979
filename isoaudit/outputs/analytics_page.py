"""The province's analytics page of a batch (``analytics.html``, issue #18): the communes on a funnel plot of
their on-time rates, what each analytics test flagged per commune, findings per clause year on year, and the
proposed audit programme for next year. Every figure is read from the units' review facts (``summary``),
computed once in each unit's review; the page only arranges them.
"""
from __future__ import annotations

import base64
import io

import pandas as pd
from matplotlib.figure import Figure

from isoaudit import __version__
from isoaudit.analytics.funnel import clause_changes, funnel, funnel_curve
from isoaudit.analytics.risk import SIGNAL_COLUMNS, action_signals, audit_programme, funnel_signals, risk_scores
from isoaudit.i18n import format_date, format_percent, label, message
from isoaudit.outputs.templates import render
from isoaudit.safety import atomic_write

PAGE = "analytics.html"
# The tests' names as the page heads their columns (keys written out for the wording tests).
TEST_KEYS = {
    "population": "batch.analytics.test.population",
    "calendar": "batch.analytics.test.calendar",
    "supplements": "batch.analytics.test.supplements",
    "backfill": "batch.analytics.test.backfill",
}
NAMED_POINTS = 40  # up to this many communes, the funnel names every point

BAND_KEYS = {
    "below_alarm": "batch.analytics.band.below_alarm",
    "below_warning": "batch.analytics.band.below_warning",
    "within": "batch.analytics.band.within",
    "above_warning": "batch.analytics.band.above_warning",
    "above_alarm": "batch.analytics.band.above_alarm",
}
# Each signal of ``analytics.risk`` as the programme table says it (keys written out for the wording tests).
SIGNAL_KEYS = {
    "population": "batch.analytics.signal.population",
    "calendar": "batch.analytics.signal.calendar",
    "supplements": "batch.analytics.signal.supplements",
    "backfill": "batch.analytics.signal.backfill",
    "funnel_below_warning": "batch.analytics.signal.funnel_below_warning",
    "funnel_below_alarm": "batch.analytics.signal.funnel_below_alarm",
    "actions_overdue": "batch.analytics.signal.actions_overdue",
    "repeated_findings": "batch.analytics.signal.repeated_findings",
}
PRIORITY_KEYS = {"high": "batch.analytics.priority.high", "medium": "batch.analytics.priority.medium",
                 "low": "batch.analytics.priority.low"}


def funnel_input(results) -> pd.DataFrame:
    """The funnel's input from the units that ran: dossiers returned, of them on time, last year's rate."""
    rows = [{"unit_code": r.unit_code, "unit_name": r.unit_name, "returned": r.summary.get("returned"),
             "on_time": r.summary.get("on_time"), "previous_rate": r.summary.get("previous_on_time_rate")}
            for r in results if r.ok]
    return pd.DataFrame(rows, columns=["unit_code", "unit_name", "returned", "on_time", "previous_rate"])


def analytics_counts(results) -> pd.DataFrame:
    """Dossiers each test flagged per unit (rows: units; columns: tests); <NA> where the test could not run
    on the unit's records."""
    rows = []
    for result in results:
        if not result.ok:
            continue
        found = result.summary.get("analytics") or {}
        rows.append({"unit_code": result.unit_code, "unit_name": result.unit_name,
                     **{test: (found.get(test) or {}).get("flagged") for test in TEST_KEYS}})
    frame = pd.DataFrame(rows, columns=["unit_code", "unit_name", *TEST_KEYS])
    for test in TEST_KEYS:
        frame[test] = pd.to_numeric(frame[test], errors="coerce").astype("Int64")
    return frame


def programme_of(results, funnel_table: pd.DataFrame) -> pd.DataFrame:
    """Next year's proposed audit programme from every signal of the units (``analytics.risk``)."""
    parts = [funnel_signals(funnel_table)]
    for result in results:
        if not result.ok:
            continue
        for test, found in (result.summary.get("analytics") or {}).items():
            if found and found.get("flagged"):
                parts.append(pd.DataFrame([{"unit_code": result.unit_code, "clause": found["clause"],
                                            "signal": test, "count": int(found["flagged"])}], columns=SIGNAL_COLUMNS))
        parts.append(action_signals(result.unit_code, result.summary.get("actions_overdue"),
                                    result.summary.get("repeated_findings")))
    parts = [p for p in parts if len(p)]
    signals = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=SIGNAL_COLUMNS)
    populations = {r.unit_code: r.summary.get("received") for r in results if r.ok and r.summary.get("received")}
    return audit_programme(risk_scores(signals), populations)


def write_analytics_page(batch, findings: pd.DataFrame, lang: str = "vi"):
    """Write ``analytics.html`` into the batch's output folder; returns its path. ``findings``: the whole
    register; only the batch's units are shown."""
    table = funnel(funnel_input(batch.results))
    counts = analytics_counts(batch.results)
    programme = programme_of(batch.results, table)
    names = {r.unit_code: r.unit_name for r in batch.results}
    changes = clause_changes(findings[findings["unit_code"].isin(names).fillna(False).to_numpy(bool)], batch.year)
    no_data = message("measures.no_data", lang)
    page = render(
        "analytics_page.html.j2", t=lambda key, **params: label(f"batch.analytics.{key}", lang, **params),
        lang=lang, title=label("batch.analytics.title", lang, year=batch.year, area=batch.area),
        chart=_funnel_png(table, lang), version=__version__, generated=format_date(pd.Timestamp.today(), lang),
        funnel_rows=[{"unit": f"{row.unit_name} ({row.unit_code})", "returned": _count(row.returned, no_data),
                      "rate": _percent(row.rate, lang, no_data), "pooled": _percent(row.pooled_rate, lang, no_data),
                      "limits": _limits(row, lang), "band": label(BAND_KEYS[row.band], lang)
                      if isinstance(row.band, str) else no_data, "alarm": row.band in ("below_alarm",),
                      "change": _points(row.change, lang)} for row in table.itertuples()],
        tests=[label(key, lang) for key in TEST_KEYS.values()],
        count_rows=[{"unit": f"{row['unit_name']} ({row['unit_code']})",
                     "counts": [no_data if pd.isna(row[test]) else int(row[test]) for test in TEST_KEYS]}
                    for row in counts.to_dict("records")],
        change_rows=[{"unit": f"{names.get(row.unit_code, row.unit_code)} ({row.unit_code})", "clause": row.clause,
                      "previous": row.previous, "current": row.current, "change": row.change}
                     for row in changes.itertuples() if row.change > 0],
        programme_rows=[{"unit": f"{names.get(row.unit_code, row.unit_code)} ({row.unit_code})",
                         "clause": row.clause, "priority": label(PRIORITY_KEYS[row.priority], lang),
                         "quarter": row.quarter,
                         "sample": no_data if pd.isna(row.sample_size) else int(row.sample_size),
                         "plan": label("batch.analytics.plan", lang, confidence=format_percent(row.confidence, lang),
                                       tolerable=format_percent(row.tolerable_rate, lang)),
                         "signals": "; ".join(label(SIGNAL_KEYS.get(signal, "batch.analytics.signal.other"), lang,
                                                    count=count, signal=signal) for signal, count in row.signals)}
                        for row in programme.itertuples()])
    path = batch.out / PAGE
    with atomic_write(path, "w") as handle:
        handle.write(page)
    return path


def _funnel_png(table: pd.DataFrame, lang: str) -> str:
    """The funnel chart as a data URI (the page stands alone), or "" when no commune has a rate."""
    points = table.dropna(subset=["rate"])
    if points.empty:
        return ""
    curve = funnel_curve(table)
    figure = Figure(figsize=(6.4, 4.0), dpi=150, layout="constrained")
    axes = figure.add_subplot()
    for column, style in (("lower_alarm", ":"), ("lower_warning", "--"), ("upper_warning", "--"),
                          ("upper_alarm", ":")):
        axes.plot(curve["returned"], curve[column], color="#777777", linestyle=style, linewidth=1)
    pooled = float(points["pooled_rate"].iloc[0])
    axes.axhline(pooled, color="#1f5f99", linewidth=1, label=label("batch.analytics.chart.pooled", lang,
                                                                     rate=format_percent(pooled, lang)))
    alarm = points["band"].isin(["below_alarm", "below_warning"]).to_numpy(bool)
    axes.scatter(points["returned"].astype(float), points["rate"].astype(float), c=["#b23b3b" if a else "#1f5f99"
                                                                                     for a in alarm], zorder=3)
    named = _named_points(points)
    for row in named.itertuples():
        code = axes.annotate(str(row.unit_code), (float(row.returned), float(row.rate)), textcoords="offset points",
                             xytext=(4, 4), fontsize=8)
        # The layout makes room for a few codes at the edge; for many it would take seconds (150 took 3 s).
        code.set_in_layout(len(named) <= NAMED_POINTS)
    axes.set_xscale("log")
    axes.set_xlabel(label("batch.analytics.chart.volume", lang))
    axes.set_ylabel(label("batch.analytics.chart.rate", lang))
    axes.yaxis.set_major_formatter(lambda v, _: f"{v * 100:.0f} %")
    axes.grid(alpha=0.3)
    axes.spines[["top", "right"]].set_visible(False)
    figure.legend(loc="outside lower center", fontsize=8, frameon=False)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _named_points(points: pd.DataFrame) -> pd.DataFrame:
    """The points whose commune code is written beside them: all of a small province's; of a larger one, those
    below the warning limit, drawn red (150 codes overlap into a blot, and the table below names every commune)."""
    if len(points) <= NAMED_POINTS:
        return points
    return points[points["band"].isin(["below_alarm", "below_warning"]).to_numpy(bool)]


def _percent(value, lang: str, no_data: str) -> str:
    return no_data if value is None or pd.isna(value) else format_percent(float(value), lang)


def _points(value, lang: str) -> str:
    if value is None or pd.isna(value):
        return ""
    return label("batch.analytics.points", lang, value=f"{float(value) * 100:+.1f}".replace(".", "," if lang == "vi"
                                                                                            else "."))


def _count(value, no_data: str) -> str:
    return no_data if value is None or pd.isna(value) else str(int(value))


def _limits(row, lang: str) -> str:
    if pd.isna(row.lower_warning):
        return ""
    return f"{format_percent(float(row.lower_warning), lang)} – {format_percent(float(row.upper_warning), lang)}"
