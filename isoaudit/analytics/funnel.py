"""Fair comparison of communes (issue #18, test 5): on-time rates on a funnel plot.

Ranking communes by their on-time rate puts a small commune last on noise: 9 of 10 dossiers on time is 90 %,
one dossier from 100 %. A funnel plot compares each commune with the province's pooled rate p̄ and the control
limits its own volume n allows: p̄ ± z·√(p̄(1 − p̄)/n) (the normal approximation to the binomial, as in
Spiegelhalter's funnel plots for institutional comparisons), at z = 1.96 (about 95 %: a warning) and z = 3.09
(about 99.8 %: an alarm). A commune below the lower limit is worse than chance alone explains; above the
upper, better. Within the limits its rank says nothing. The limits are cut to 0..1.

Each commune's change from the year before is given with it (its own rate both years), and the findings
raised per clause both years (``clause_changes``), so the province sees where a commune slipped.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

WARNING_Z = 1.96  # about 95 % two-sided
ALARM_Z = 3.09  # about 99.8 % two-sided
BANDS = ("below_alarm", "below_warning", "within", "above_warning", "above_alarm")
FUNNEL_COLUMNS = ["unit_code", "unit_name", "returned", "on_time", "rate", "pooled_rate", "lower_alarm",
                  "lower_warning", "upper_warning", "upper_alarm", "band", "previous_rate", "change"]
# Chart points along the funnel: from one dossier to a little beyond the largest commune.
CURVE_POINTS = 200


def funnel(rates: pd.DataFrame) -> pd.DataFrame:
    """``rates``: one row per commune with ``unit_code``, ``unit_name``, ``returned`` (dossiers returned in
    the year: the base of the on-time rate), ``on_time`` (of them, early or on time), and optionally
    ``previous_rate`` (last year's rate, 0..1). Gives ``FUNNEL_COLUMNS``, one row per commune, worst band
    first. A commune with nothing returned has no rate and no band (missing, not 0)."""
    frame = rates.copy()
    for column in ("returned", "on_time"):
        frame[column] = pd.to_numeric(frame[column], errors="coerce").astype("Float64")
    if "previous_rate" not in frame:
        frame["previous_rate"] = pd.NA
    frame["previous_rate"] = pd.to_numeric(frame["previous_rate"], errors="coerce").astype("Float64")
    counted = frame["returned"].fillna(0) > 0
    pooled = float(frame.loc[counted, "on_time"].sum() / frame.loc[counted, "returned"].sum()) \
        if counted.any() else np.nan
    n = frame["returned"].where(counted).astype("float64")
    frame["rate"] = (frame["on_time"] / frame["returned"]).where(counted)
    frame["pooled_rate"] = pooled if counted.any() else pd.NA
    for name, z, sign in (("lower_alarm", ALARM_Z, -1), ("lower_warning", WARNING_Z, -1),
                          ("upper_warning", WARNING_Z, 1), ("upper_alarm", ALARM_Z, 1)):
        frame[name] = pd.array(limit(pooled, n.to_numpy(), z, sign), dtype="Float64")
    frame["band"] = pd.array(_band(frame), dtype="string")
    frame["change"] = frame["rate"] - frame["previous_rate"]
    order = frame["band"].map({band: i for i, band in enumerate(BANDS)}).fillna(len(BANDS))
    frame = frame.assign(_order=order).sort_values(["_order", "rate", "unit_code"], na_position="last")
    return frame[FUNNEL_COLUMNS].reset_index(drop=True)


def limit(pooled: float, n, z: float, sign: int) -> np.ndarray:
    """The control limit at ``z`` standard errors below (``sign`` −1) or above (+1) ``pooled`` for volumes
    ``n`` (array; NaN where there is no volume), cut to 0..1."""
    n = np.asarray(n, dtype="float64")
    with np.errstate(divide="ignore", invalid="ignore"):
        spread = z * np.sqrt(pooled * (1.0 - pooled) / n)
    return np.clip(pooled + sign * spread, 0.0, 1.0)


def funnel_curve(table: pd.DataFrame) -> pd.DataFrame:
    """The four limits along volumes from 1 to a little beyond the largest commune, for the chart:
    ``returned`` and the four limit columns."""
    counted = table["returned"].dropna()
    if counted.empty or table["pooled_rate"].isna().all():
        return pd.DataFrame(columns=["returned", "lower_alarm", "lower_warning", "upper_warning", "upper_alarm"])
    pooled = float(table["pooled_rate"].dropna().iloc[0])
    n = np.unique(np.geomspace(1, max(float(counted.max()) * 1.1, 2.0), CURVE_POINTS).round(1))
    return pd.DataFrame({"returned": n,
                         "lower_alarm": limit(pooled, n, ALARM_Z, -1), "lower_warning": limit(pooled, n, WARNING_Z, -1),
                         "upper_warning": limit(pooled, n, WARNING_Z, 1), "upper_alarm": limit(pooled, n, ALARM_Z, 1)})


def clause_changes(findings: pd.DataFrame, year: int) -> pd.DataFrame:
    """Findings raised per commune and clause in ``year`` and the year before, with the change: one row per
    (``unit_code``, ``clause``) with ``previous``, ``current``, ``change``; rising first."""
    raised = findings.dropna(subset=["raised_date"])
    raised = raised[raised["raised_date"].dt.year.isin([year - 1, year])]
    if raised.empty:
        return pd.DataFrame(columns=["unit_code", "clause", "previous", "current", "change"])
    counts = (raised.assign(when=np.where(raised["raised_date"].dt.year == year, "current", "previous"))
              .groupby(["unit_code", "clause", "when"]).size().unstack("when", fill_value=0))
    for column in ("previous", "current"):
        if column not in counts:
            counts[column] = 0
    counts["change"] = counts["current"] - counts["previous"]
    return counts.reset_index()[["unit_code", "clause", "previous", "current", "change"]] \
        .sort_values(["change", "unit_code", "clause"], ascending=[False, True, True]).reset_index(drop=True)


def _band(frame: pd.DataFrame) -> list:
    bands = []
    for rate, la, lw, uw, ua in frame[["rate", "lower_alarm", "lower_warning", "upper_warning",
                                       "upper_alarm"]].itertuples(index=False):
        if pd.isna(rate):
            bands.append(pd.NA)
        elif rate < la:
            bands.append("below_alarm")
        elif rate < lw:
            bands.append("below_warning")
        elif rate > ua:
            bands.append("above_alarm")
        elif rate > uw:
            bands.append("above_warning")
        else:
            bands.append("within")
    return bands
