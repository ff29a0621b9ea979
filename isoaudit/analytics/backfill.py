"""Back-filled returns? (issue #18, test 3): return dates that look written to fit the appointment rather
than the day the result was handed over, and appointments moved without the letter that must go with it.

One-stop software counts a dossier on time against the appointment it stored, and some systems let staff
reset that appointment or set an overdue dossier's completion date to it (domain brief §6). What the test
looks at, each a reason of a flagged dossier:

- ``officer_on_appointment``: returned exactly on the stored appointment day, by an officer whose share of
  such returns is above what the other officers' shares by procedure predict for that officer's dossiers (exact
  binomial test, ``supplements.excess_by_group``). Offices work to the appointment, so many returns on the
  day are normal (a same-day procedure is always returned on its appointment): the comparison is with the
  unit's usual share, not with the neighbouring days. The unit's share is also compared with its own share
  the year before, procedure by procedure (a table row, no dossier flagged: the whole unit moved).
- ``batch_returns``: one officer recorded at least ``min_batch`` returns on one day, ``batch_ratio`` times
  that officer's usual returns per working day and unlikely by chance (Poisson tail below alpha / officer-days).
- ``returned_on_appointment_late``: returned on the stored appointment day, late by law (the appointment is
  beyond the legal due date) and with no apology letter: the lateness the software cannot see.
- ``appointment_beyond_without_apology``: the stored appointment is beyond the legal due date and no apology
  letter was written (a dossier flagged for the reason above is not flagged again for this one).
- ``new_appointment_without_apology``: a new appointment is recorded without an apology letter.

The thresholds are in ``data/analytics_backfill.toml``; the words in ``data/labels_analytics_backfill.toml``.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from isoaudit.analytics.result import FLAGGED_COLUMNS, AnalyticsResult
from isoaudit.analytics.supplements import (
    day_text,
    excess_by_group,
    excess_frame,
    flag_rows,
    officer_column,
    settings,
    share_elsewhere,
)
from isoaudit.calendar import WorkCalendar

TEST = "backfill"
CLAUSE = "8.5.1"
SETTINGS_FILE = "analytics_backfill.toml"
RETURNED = ("early", "on_time", "late")

REASON_KEYS = {
    "officer_on_appointment": "analytics.backfill.reason.officer_on_appointment",
    "batch_returns": "analytics.backfill.reason.batch_returns",
    "returned_on_appointment_late": "analytics.backfill.reason.returned_on_appointment_late",
    "appointment_beyond_without_apology": "analytics.backfill.reason.appointment_beyond_without_apology",
    "new_appointment_without_apology": "analytics.backfill.reason.new_appointment_without_apology",
}
MISSING_KEYS = {
    "no_dossiers_of_year": "analytics.backfill.missing.no_dossiers_of_year",
    "no_returns": "analytics.backfill.missing.no_returns",
    "no_officer": "analytics.backfill.missing.no_officer",
    "no_previous_year": "analytics.backfill.missing.no_previous_year",
}
CHECK_KEYS = {
    "on_appointment_by_officer": "analytics.backfill.check.on_appointment_by_officer",
    "on_appointment_against_last_year": "analytics.backfill.check.on_appointment_against_last_year",
    "batch_by_officer_day": "analytics.backfill.check.batch_by_officer_day",
}
TABLE_COLUMNS = ["backfill_check", "backfill_group", "backfill_day", "backfill_dossiers", "backfill_observed",
                 "backfill_expected", "backfill_rate", "backfill_expected_rate", "backfill_p_value"]
COLUMN_KEYS = {
    "backfill_check": "analytics.col.backfill_check",
    "backfill_group": "analytics.col.backfill_group",
    "backfill_day": "analytics.col.backfill_day",
    "backfill_dossiers": "analytics.col.backfill_dossiers",
    "backfill_observed": "analytics.col.backfill_observed",
    "backfill_expected": "analytics.col.backfill_expected",
    "backfill_rate": "analytics.col.backfill_rate",
    "backfill_expected_rate": "analytics.col.backfill_expected_rate",
    "backfill_p_value": "analytics.col.backfill_p_value",
}
UNIT_GROUP = "unit"  # the group of the comparison with the year before: the whole unit
GROUP_KEYS = {UNIT_GROUP: "analytics.backfill.group.unit"}


def backfill(unit_year) -> AnalyticsResult:
    """The test on one unit's judged year (``measures.UnitYear``): see the module doc."""
    if unit_year.received.empty:
        return AnalyticsResult(TEST, CLAUSE, missing="no_dossiers_of_year")
    previous = unit_year.assessed[(unit_year.assessed["received_year"] == unit_year.year - 1).to_numpy(bool)]
    return check_backfill(unit_year.received, unit_year.calendar.for_unit(unit_year.unit_code), previous=previous)


def check_backfill(received: pd.DataFrame, calendar: WorkCalendar, previous: pd.DataFrame | None = None,
                   config: dict | None = None) -> AnalyticsResult:
    """The test on ``received`` (one unit's dossiers of a year, judged by ``timeliness.assess``) and the
    year before (``previous``, judged, for the unit's usual share of returns on the appointment day)."""
    config = {**settings(SETTINGS_FILE), **(config or {})}
    if received.empty:
        return AnalyticsResult(TEST, CLAUSE, missing="no_dossiers_of_year")
    returned = received[received["status"].isin(RETURNED).to_numpy(bool)]
    if returned.empty:
        return AnalyticsResult(TEST, CLAUSE, missing="no_returns")

    on_appointment = _on_appointment(returned)
    officer = officer_column(returned)
    procedure = returned["procedure_code"].astype("string")
    missing_parts, flagged, table = [], [], []
    if officer is None:
        missing_parts.append("no_officer")
    else:
        expected = share_elsewhere(procedure, officer, on_appointment)
        groups = excess_by_group(officer, on_appointment, expected, {**config, "min_ratio": 1.0})
        groups = groups.assign(above=groups["above"] & (groups["rate"] - groups["expected_rate"]
                                                        >= config["min_share_increase"]))
        table.append(_table_rows(groups, "on_appointment_by_officer"))
        high = officer.isin(groups.loc[groups["above"], "group"]).to_numpy() & on_appointment
        rates = groups.set_index("group")
        flagged.append(flag_rows(returned[high], "officer_on_appointment", officer=officer[high],
                              due_date=day_text(returned["due_date"][high]),
                              rate_percent=officer[high].map((100 * rates["rate"]).round(1)),
                              expected_percent=officer[high].map((100 * rates["expected_rate"]).round(1))))
        batches, batch_flags = _batches(returned, officer, on_appointment, calendar, config)
        table.append(batches)
        flagged.append(batch_flags)
    if previous is None or previous.empty:
        missing_parts.append("no_previous_year")
    else:
        table.append(_against_last_year(procedure, on_appointment, previous, config))

    legal_due = received["legal_due_date"].dt.normalize()
    no_apology = received["apology_date"].isna().to_numpy()
    beyond = received["appointment_beyond_legal"].fillna(False).to_numpy(bool) & no_apology
    hidden = (received["returned_date"].dt.normalize() == received["due_date"].dt.normalize()).fillna(False) \
        .to_numpy(bool) & (received["status"] == "late").fillna(False).to_numpy(bool) & beyond
    flagged.append(flag_rows(received[hidden], "returned_on_appointment_late",
                          due_date=day_text(received["due_date"][hidden]),
                          legal_due_date=day_text(legal_due[hidden]), days_late=received["days_late"][hidden]))
    beyond &= ~hidden
    flagged.append(flag_rows(received[beyond], "appointment_beyond_without_apology",
                          due_date=day_text(received["due_date"][beyond]),
                          legal_due_date=day_text(legal_due[beyond])))
    moved = received["new_due_date"].notna().to_numpy() & no_apology
    flagged.append(flag_rows(received[moved], "new_appointment_without_apology",
                          due_date=day_text(received["due_date"][moved]),
                          new_due_date=day_text(received["new_due_date"][moved])))

    flagged = [f for f in flagged if len(f)]
    flagged = pd.concat(flagged, ignore_index=True) if flagged else pd.DataFrame(columns=FLAGGED_COLUMNS)
    table = pd.concat([t for t in table if len(t)], ignore_index=True) if any(len(t) for t in table) else \
        pd.DataFrame(columns=[*TABLE_COLUMNS, "above"])
    table = table[table["above"].to_numpy(bool)].drop(columns="above").reset_index(drop=True)
    counts = flagged["reason"].value_counts() if len(flagged) else pd.Series(dtype=int)
    params = {
        "received": len(received), "returned": len(returned), "on_appointment": int(on_appointment.sum()),
        "on_appointment_percent": round(100 * float(on_appointment.mean()), 1),
        "groups_above": len(table), "alpha": config["alpha"], "min_batch": config["min_batch"],
        "missing_parts": missing_parts,
        **{reason: int(counts.get(reason, 0)) for reason in REASON_KEYS},
        "flagged_dossiers": int(flagged["dossier_id"].nunique()) if len(flagged) else 0,
    }
    return AnalyticsResult(TEST, CLAUSE, table=table, params=params, flagged=flagged)


def _on_appointment(returned: pd.DataFrame) -> np.ndarray:
    """Returned on the stored appointment day (the day, whatever the time)."""
    return (returned["returned_date"].dt.normalize() == returned["due_date"].dt.normalize()).fillna(False) \
        .to_numpy(bool)


def _against_last_year(procedure: pd.Series, on_appointment: np.ndarray, previous: pd.DataFrame,
                       config: dict) -> pd.DataFrame:
    """The unit's returns on the appointment day against what its shares by procedure of the year before
    predict (procedures with at least ``min_group_dossiers`` returns in both years): one row, the unit."""
    before = previous[previous["status"].isin(RETURNED).to_numpy(bool)]
    last = pd.DataFrame({"procedure": before["procedure_code"].astype("string").to_numpy(),
                         "hit": _on_appointment(before)}).groupby("procedure")["hit"].agg(n0="size", share0="mean")
    now = pd.DataFrame({"procedure": procedure.to_numpy(), "hit": on_appointment}).groupby("procedure")["hit"] \
        .agg(n="size", k="sum")
    both = now.join(last, how="inner")
    both = both[((both["n"] >= config["min_group_dossiers"]) & (both["n0"] >= config["min_group_dossiers"])).to_numpy()]
    if both.empty:
        return pd.DataFrame(columns=[*TABLE_COLUMNS, "above"])
    n, k = float(both["n"].sum()), float(both["k"].sum())
    expected = float((both["n"] * both["share0"]).sum())
    # Last year's shares are estimates too: their variance is added to this year's binomial one (z test).
    spread = both["share0"] * (1 - both["share0"])
    variance = float((both["n"] * spread).sum() + (both["n"] ** 2 * spread / both["n0"]).sum())
    p_value = stats.norm.sf((k - expected - 0.5) / np.sqrt(variance)) if variance > 0 else float(k > expected)
    groups = excess_frame(np.array([UNIT_GROUP], dtype=object), np.array([n]), np.array([k]), np.array([expected]),
                           np.array([True]), config, p_values=np.array([p_value]),
                           min_increase=config["min_share_increase"])
    return _table_rows(groups, "on_appointment_against_last_year")


def _batches(returned: pd.DataFrame, officer: pd.Series, on_appointment: np.ndarray, calendar: WorkCalendar,
             config: dict) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Officer-days with many returns against the officer's usual returns per working day (Poisson)."""
    day = returned["returned_date"].dt.normalize()
    frame = pd.DataFrame({"officer": officer.to_numpy(), "day": day.to_numpy(), "hit": on_appointment},
                         index=returned.index).dropna(subset=["officer", "day"])
    if frame.empty:
        return pd.DataFrame(columns=[*TABLE_COLUMNS, "above"]), pd.DataFrame(columns=FLAGGED_COLUMNS)
    per_day = frame.groupby(["officer", "day"]).agg(returns=("hit", "size"), on_appointment=("hit", "sum"))
    span = frame.groupby("officer")["day"].agg(["min", "max", "size"])
    working = calendar.working_days_between(span["min"].to_numpy().astype("datetime64[D]"),
                                            span["max"].to_numpy().astype("datetime64[D]")) + 1
    usual = pd.Series(span["size"].to_numpy() / np.maximum(working, 1), index=span.index)
    mu = usual.reindex(per_day.index.get_level_values("officer")).to_numpy()
    count = per_day["returns"].to_numpy()
    candidates = count >= config["min_batch"]
    p_values = np.ones(len(count))
    p_values[candidates] = stats.poisson.sf(count[candidates] - 1, mu[candidates])
    level = config["alpha"] / max(len(count), 1)
    above = candidates & (count >= config["batch_ratio"] * mu) & (p_values < level)
    hits = per_day[above]
    table = pd.DataFrame({
        "backfill_check": "batch_by_officer_day",
        "backfill_group": hits.index.get_level_values("officer").astype(object),
        "backfill_day": day_text(pd.Series(hits.index.get_level_values("day"))).to_numpy(),
        "backfill_dossiers": hits["returns"].to_numpy(), "backfill_observed": hits["on_appointment"].to_numpy(),
        "backfill_expected": mu[above], "backfill_rate": np.nan, "backfill_expected_rate": np.nan,
        "backfill_p_value": p_values[above], "above": True}, columns=[*TABLE_COLUMNS, "above"])
    keys = pd.MultiIndex.from_frame(frame[["officer", "day"]])
    in_batch = keys.isin(hits.index)
    rows = frame[in_batch]
    members = per_day.reindex(pd.MultiIndex.from_frame(rows[["officer", "day"]]))
    usual_of = usual.reindex(rows["officer"]).round(1).to_numpy()
    flags = flag_rows(returned.loc[rows.index], "batch_returns", officer=rows["officer"], day=day_text(rows["day"]),
                   returns=members["returns"].to_numpy(), on_appointment=members["on_appointment"].to_numpy(),
                   usual=usual_of)
    return table, flags


def _table_rows(groups: pd.DataFrame, check: str) -> pd.DataFrame:
    return pd.DataFrame({
        "backfill_check": check, "backfill_group": groups["group"].to_numpy(), "backfill_day": "",
        "backfill_dossiers": groups["dossiers"].to_numpy(), "backfill_observed": groups["observed"].to_numpy(),
        "backfill_expected": groups["expected"].to_numpy(), "backfill_rate": groups["rate"].to_numpy(),
        "backfill_expected_rate": groups["expected_rate"].to_numpy(), "backfill_p_value": groups["p_value"].to_numpy(),
        "above": groups["above"].to_numpy()}, columns=[*TABLE_COLUMNS, "above"])
