"""Fair comparison of communes (#18 test 5): a funnel plot, not a league table."""
from __future__ import annotations

import math

import pandas as pd
import pytest

from isoaudit.analytics.funnel import clause_changes, funnel, funnel_curve


def communes():
    return pd.DataFrame([
        {"unit_code": "A", "unit_name": "Phường lớn", "returned": 2000, "on_time": 1960, "previous_rate": 0.97},
        {"unit_code": "B", "unit_name": "Xã lớn trễ", "returned": 1000, "on_time": 900, "previous_rate": 0.95},
        {"unit_code": "C", "unit_name": "Xã nhỏ", "returned": 10, "on_time": 9, "previous_rate": None},
        {"unit_code": "D", "unit_name": "Xã mới", "returned": 0, "on_time": 0},
    ])


def test_a_small_commune_is_not_ranked_last_on_noise():
    table = funnel(communes()).set_index("unit_code")
    # C and B both have 90 %: over C's 10 dossiers that is within the limits its volume allows; over B's 1000
    # it is far below the pooled rate: worse than chance explains.
    assert table.loc["C", "rate"] == pytest.approx(0.9) and table.loc["C", "band"] == "within"
    assert table.loc["B", "band"] == "below_alarm"
    assert list(funnel(communes())["unit_code"][:1]) == ["B"]  # the worst band first


def test_the_limits_follow_the_binomial_spread_of_each_volume():
    table = funnel(communes()).set_index("unit_code")
    pooled = (1960 + 900 + 9) / (2000 + 1000 + 10)
    assert table.loc["A", "pooled_rate"] == pytest.approx(pooled)
    spread = 1.96 * math.sqrt(pooled * (1 - pooled) / 1000)
    assert table.loc["B", "lower_warning"] == pytest.approx(pooled - spread)
    assert table.loc["C", "upper_alarm"] == 1.0  # cut to 100 %


def test_a_commune_with_nothing_returned_has_no_rate_and_no_band():
    row = funnel(communes()).set_index("unit_code").loc["D"]
    assert pd.isna(row["rate"]) and pd.isna(row["band"])


def test_the_change_from_last_year_is_given_where_there_was_a_rate():
    table = funnel(communes()).set_index("unit_code")
    assert table.loc["B", "change"] == pytest.approx(0.90 - 0.95)
    assert pd.isna(table.loc["C", "change"])


def test_the_curve_spans_the_volumes_and_narrows():
    curve = funnel_curve(funnel(communes()))
    assert curve["returned"].iloc[0] == 1 and curve["returned"].iloc[-1] >= 2000
    widths = curve["upper_warning"] - curve["lower_warning"]
    assert widths.iloc[-1] < widths.iloc[len(widths) // 2]


def test_findings_by_clause_rise_first():
    findings = pd.DataFrame({
        "unit_code": ["B", "B", "B", "A"], "clause": ["8.5.1", "8.5.1", "7.5.3", "8.5.1"],
        "raised_date": pd.to_datetime(["2025-03-01", "2025-05-01", "2024-04-01", "2024-06-01"])})
    changes = clause_changes(findings, 2025)
    assert changes.iloc[0].to_dict() == {"unit_code": "B", "clause": "8.5.1", "previous": 0, "current": 2,
                                         "change": 2}
    assert set(changes["change"]) == {2, -1}
