"""From signals to next year's audit programme (#18 item 6, clause 9.2.2)."""
from __future__ import annotations

import pandas as pd

from isoaudit.analytics.funnel import funnel
from isoaudit.analytics.result import AnalyticsResult, Flags
from isoaudit.analytics.risk import (
    action_signals,
    analytics_signals,
    audit_programme,
    funnel_signals,
    risk_scores,
)
from isoaudit.sampling.sizes import attribute_sample_size


def flagged(ids, reason):
    flags = Flags(pd.Series(ids))
    flags.add(range(len(ids)), reason)
    return flags.frame()


def signals():
    backfill = AnalyticsResult("backfill", "8.5.1", flagged=flagged([f"D{i}" for i in range(15)], "bunched"))
    calendar = AnalyticsResult("calendar", "7.1.3", flagged=flagged(["D1"], "sunday"))
    quiet = AnalyticsResult("population", "7.5.3")
    rates = funnel(pd.DataFrame([
        {"unit_code": "A", "unit_name": "A", "returned": 2000, "on_time": 1980},
        {"unit_code": "B", "unit_name": "B", "returned": 1000, "on_time": 900}]))
    return pd.concat([analytics_signals("B", [backfill, calendar, quiet]), funnel_signals(rates),
                      action_signals("A", 1, None)], ignore_index=True)


def test_scores_weigh_and_cap_each_signal_per_clause():
    scores = risk_scores(signals()).set_index(["unit_code", "clause"])
    assert scores.loc[("B", "8.5.1"), "score"] == 12.0  # 15 bunched returns × 2, capped at 12
    assert scores.loc[("B", "8.5.1"), "priority"] == "high"
    assert scores.loc[("B", "9.1.3"), "signals"] == [("funnel_below_alarm", 1)]
    assert scores.loc[("B", "7.1.3"), "priority"] == "low"
    assert scores.loc[("A", "10.2"), "score"] == 2.0  # one overdue action; repeated findings unknown: no signal
    assert ("B", "7.5.3") not in scores.index  # a quiet test is no signal


def test_the_programme_puts_high_risk_first_with_a_stricter_sample():
    programme = audit_programme(risk_scores(signals()), {"B": 1000, "A": 2000})
    first = programme.iloc[0]
    assert (first["unit_code"], first["priority"], first["quarter"]) == ("B", "high", 1)
    assert first["sample_size"] == attribute_sample_size(0.95, 0.05, 0.0, population=1000)
    low = programme[programme["priority"] == "low"].iloc[0]
    assert low["sample_size"] < first["sample_size"] and low["quarter"] == 4


def test_a_commune_without_dossiers_gets_no_sample_size():
    programme = audit_programme(risk_scores(signals()), {})
    assert programme["sample_size"].isna().all()
