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

from isoaudit.analytics.result import AnalyticsResult, Flags, dates
from isoaudit.analytics.supplements import (
    DossierGroups,
    Groups,
    day_text,
    days,
    dossier_groups,
    excess_by_group,
    excess_frame,
    group_detail,
    previous_year,
    returned_rows,
    settings,
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


def backfill(unit_year, groups: DossierGroups | None = None, previous: pd.DataFrame | None = None) -> AnalyticsResult:
    """The test on one unit's judged year (``measures.UnitYear``): see the module doc. ``groups``: the year's
    ``supplements.dossier_groups``, when another test computed them already; ``previous``: the year before's
    judged dossiers (default: the unit's own)."""
    if unit_year.received.empty:
        return AnalyticsResult(TEST, CLAUSE, missing="no_dossiers_of_year")
    return check_backfill(unit_year.received, unit_year.calendar.for_unit(unit_year.unit_code),
                          previous=previous_year(unit_year) if previous is None else previous, groups=groups)


def check_backfill(received: pd.DataFrame, calendar: WorkCalendar, previous: pd.DataFrame | None = None,
                   config: dict | None = None, groups: DossierGroups | None = None) -> AnalyticsResult:
    """The test on ``received`` (one unit's dossiers of a year, judged by ``timeliness.assess``) and the
    year before (``previous``, judged, for the unit's usual share of returns on the appointment day).
    ``groups``: ``supplements.dossier_groups(received, previous)``, computed here when not given."""
    config = {**settings(SETTINGS_FILE), **(config or {})}
    if received.empty:
        return AnalyticsResult(TEST, CLAUSE, missing="no_dossiers_of_year")
    returned = returned_rows(received)
    if not returned.any():
        return AnalyticsResult(TEST, CLAUSE, missing="no_returns")

    ids = received["dossier_id"]
    returned_day, due = days(received, "returned_date"), days(received, "due_date")
    same_day = returned_day == due
    on_appointment = returned & same_day
    has_previous = previous is not None and not previous.empty
    if groups is None or (has_previous and groups.previous_procedure is None):
        groups = dossier_groups(received, previous)
    officer, procedure = groups.officer, groups.procedure
    missing_parts, flags, table = [], Flags(ids), []
    if officer is None:
        missing_parts.append("no_officer")
    else:
        back = np.flatnonzero(returned)
        hits = on_appointment[back]
        above = excess_by_group(officer.subset(back), hits, procedure.codes[back], {**config, "min_ratio": 1.0})
        above["above"] &= (above["rate"] - above["expected_rate"] >= config["min_share_increase"]).to_numpy()
        table.append(_table_rows(above, "on_appointment_by_officer"))
        high = back[officer.member(back, above) & hits]
        flags.add(high, "officer_on_appointment", officer=officer.names_of(high),
                  due_date=dates(due[high]), **group_detail(above, officer.codes[high]))
        table.append(_batches(returned_day, returned, officer, on_appointment, calendar, config, flags))
    if not has_previous:
        missing_parts.append("no_previous_year")
    else:
        table.append(_against_last_year(procedure, returned, on_appointment, groups.previous_procedure, previous,
                                        config))

    no_apology = received["apology_date"].isna().to_numpy()
    beyond = received["appointment_beyond_legal"].to_numpy(dtype=bool, na_value=False) & no_apology
    late = (received["status"] == "late").to_numpy(dtype=bool, na_value=False)
    hidden = np.flatnonzero(beyond & late & same_day)
    flags.add(hidden, "returned_on_appointment_late", due_date=dates(due[hidden]),
              legal_due_date=dates(days(received, "legal_due_date", hidden)),
              days_late=received["days_late"].iloc[hidden])
    beyond[hidden] = False
    beyond = np.flatnonzero(beyond)
    flags.add(beyond, "appointment_beyond_without_apology", due_date=dates(due[beyond]),
              legal_due_date=dates(days(received, "legal_due_date", beyond)))
    moved = np.flatnonzero(received["new_due_date"].notna().to_numpy() & no_apology)
    flags.add(moved, "new_appointment_without_apology", due_date=dates(due[moved]),
              new_due_date=dates(days(received, "new_due_date", moved)))

    flagged = flags.frame()
    table = [t for t in table if len(t)]
    table = pd.concat(table, ignore_index=True) if table else pd.DataFrame(columns=[*TABLE_COLUMNS, "above"])
    table = table[table["above"].to_numpy(bool)].drop(columns="above").reset_index(drop=True)
    counts = flags.counts()
    params = {
        "received": len(received), "returned": int(returned.sum()), "on_appointment": int(on_appointment.sum()),
        "on_appointment_percent": round(100 * float(on_appointment.sum() / returned.sum()), 1),
        "groups_above": len(table), "alpha": config["alpha"], "min_batch": config["min_batch"],
        "missing_parts": missing_parts,
        **{reason: int(counts.get(reason, 0)) for reason in REASON_KEYS},
        "flagged_dossiers": flags.dossiers(),
    }
    return AnalyticsResult(TEST, CLAUSE, table=table, params=params, flagged=flagged, detail_fields=flags.fields)


def _against_last_year(procedure: Groups, returned: np.ndarray, on_appointment: np.ndarray, into: np.ndarray,
                       previous: pd.DataFrame, config: dict) -> pd.DataFrame:
    """The unit's returns on the appointment day against what its shares by procedure of the year before
    predict (``into``: the previous year's procedures as ``DossierGroups.previous_procedure``; procedures with
    at least ``min_group_dossiers`` returns in both years): one row, the unit."""
    size = len(procedure.names)
    kept = returned & (procedure.codes >= 0)
    codes = procedure.codes[kept]
    n = np.bincount(codes, minlength=size).astype(float)
    k = np.bincount(codes, weights=on_appointment[kept], minlength=size)
    returned_before = returned_rows(previous) & (into >= 0)
    hit_before = days(previous, "returned_date") == days(previous, "due_date")
    codes_before = into[returned_before]
    n0 = np.bincount(codes_before, minlength=size).astype(float)
    k0 = np.bincount(codes_before, weights=hit_before[returned_before], minlength=size)
    both = (n >= config["min_group_dossiers"]) & (n0 >= config["min_group_dossiers"])
    if not both.any():
        return pd.DataFrame(columns=[*TABLE_COLUMNS, "above"])
    n, k, n0, share0 = n[both], k[both], n0[both], k0[both] / n0[both]
    expected = float((n * share0).sum())
    # Last year's shares are estimates too: their variance is added to this year's binomial one (z test).
    spread = share0 * (1 - share0)
    variance = float((n * spread).sum() + (n ** 2 * spread / n0).sum())
    total, hits = float(n.sum()), float(k.sum())
    p_value = stats.norm.sf((hits - expected - 0.5) / np.sqrt(variance)) if variance > 0 else float(hits > expected)
    groups = excess_frame(np.array([UNIT_GROUP], dtype=object), np.array([total]), np.array([hits]),
                          np.array([expected]), np.array([True]), config, p_values=np.array([p_value]),
                          min_increase=config["min_share_increase"])
    return _table_rows(groups, "on_appointment_against_last_year")


def _batches(returned_day: np.ndarray, returned: np.ndarray, officer: Groups, on_appointment: np.ndarray,
             calendar: WorkCalendar, config: dict, flags: Flags) -> pd.DataFrame:
    """Officer-days with many returns against the officer's usual returns per working day (Poisson): their
    table rows; their dossiers added to ``flags``."""
    rows = np.flatnonzero(returned & (officer.codes >= 0) & ~np.isnat(returned_day))
    if not len(rows):
        return pd.DataFrame(columns=[*TABLE_COLUMNS, "above"])
    returned_on = returned_day[rows]
    first = returned_on.min()
    day = (returned_on - first).astype(np.int64)
    width, officers = int(day.max()) + 1, len(officer.names)
    cell = officer.codes[rows] * width + day
    count = np.bincount(cell, minlength=officers * width)
    on_day = np.bincount(cell, weights=on_appointment[rows], minlength=officers * width)
    # The officer's usual returns per working day: returns over the working days from the first to the last.
    grid = count.reshape(officers, width) > 0
    active = grid.any(axis=1)
    start = first + grid.argmax(axis=1)
    end = first + (width - 1 - grid[:, ::-1].argmax(axis=1))
    span = np.ones(officers)
    span[active] = calendar.working_days_between(start[active], end[active]) + 1
    usual = count.reshape(officers, width).sum(axis=1) / np.maximum(span, 1)
    mu = np.repeat(usual, width)
    candidates = np.flatnonzero(count >= config["min_batch"])
    # Only officer-days batch_ratio times the usual can be above the limit: the Poisson tail is taken of those.
    candidates = candidates[count[candidates] >= config["batch_ratio"] * mu[candidates]]
    p_values = stats.poisson.sf(count[candidates] - 1, mu[candidates])
    level = config["alpha"] / max(int((count > 0).sum()), 1)
    unlikely = p_values < level
    above = candidates[unlikely]
    who, when = np.divmod(above, width)
    table = pd.DataFrame({
        "backfill_check": "batch_by_officer_day", "backfill_group": officer.names[who],
        "backfill_day": day_text(first + when), "backfill_dossiers": count[above],
        "backfill_observed": on_day[above].astype(int), "backfill_expected": mu[above], "backfill_rate": np.nan,
        "backfill_expected_rate": np.nan,
        "backfill_p_value": p_values[unlikely],
        "above": True}, columns=[*TABLE_COLUMNS, "above"])
    marked = np.zeros(officers * width, dtype=bool)
    marked[above] = True
    batch = marked[cell]
    members, chosen = cell[batch], rows[batch]
    flags.add(chosen, "batch_returns", officer=officer.names_of(chosen), day=dates(returned_day[chosen]),
              returns=count[members], on_appointment=on_day[members].astype(int), usual=np.round(mu[members], 1))
    return table


def _table_rows(groups: pd.DataFrame, check: str) -> pd.DataFrame:
    return pd.DataFrame({
        "backfill_check": check, "backfill_group": groups["group"].to_numpy(), "backfill_day": "",
        "backfill_dossiers": groups["dossiers"].to_numpy(), "backfill_observed": groups["observed"].to_numpy(),
        "backfill_expected": groups["expected"].to_numpy(), "backfill_rate": groups["rate"].to_numpy(),
        "backfill_expected_rate": groups["expected_rate"].to_numpy(), "backfill_p_value": groups["p_value"].to_numpy(),
        "above": groups["above"].to_numpy()}, columns=[*TABLE_COLUMNS, "above"])
