"""Clock stopped on purpose? (issue #18, test 2): requests to supplement a dossier that stop the legal clock
when the dossier is about to be late, pauses that never end, supplements received before they were asked
for, officers or procedures asking far more often than the unit usually does, and dossiers asked twice.

While the agency waits for a requested supplement the legal time does not run (``timeliness``), so a request
is also a way to keep a dossier "on time". What the test looks at, each a reason of a flagged dossier:

- ``request_near_due``: asked with at most ``near_due_days`` working days left before the legal due date (as
  it stood before the request), by an officer whose share of such requests is above the unit's usual share
  (expected from the other officers' shares by procedure; exact binomial test, see ``excess_by_group``). A request
  near the due date is common on its own; an officer who makes them far more often than colleagues is not.
- ``request_after_due``: asked after the legal due date had passed: it stops no legal clock, but a software
  may move its stored appointment for it.
- ``long_pause``: the supplement came more than ``long_pause_days`` working days after the request;
  ``still_waiting``: not yet come, not returned, and waited that long by ``as_of``.
- ``returned_without_supplement``: asked for, never received, yet returned: the clock stayed stopped until
  the return, so by law the dossier is never late.
- ``supplement_before_request``: the log dates the supplement before the request. The reader sets such rows
  aside (``records/validate.py``), so they are counted from the unit's excluded rows.
- ``officer_rate_high``, ``procedure_rate_high``: requests of an officer (against the other officers' rates
  by procedure for that officer's dossiers) or of a procedure (against the same procedure's rate at the unit in
  the year before, one-sided Fisher exact test) above the limit.
- ``repeated_request_rows``, ``repeated_request_note``: a dossier asked to supplement more than once. A log
  row holds one request and one receipt, so a second request shows only as a second row of the same dossier
  with another request date (the reader sets repeated ids aside as ``duplicate_id``: they are read from the
  excluded rows) or as a note saying so (``repeated_note_patterns``).

The thresholds are in ``data/analytics_supplements.toml``; the words in ``data/labels_analytics_supplements.toml``.
"""
from __future__ import annotations

import re
import tomllib
from functools import lru_cache
from importlib import resources

import numpy as np
import pandas as pd
from scipy import stats

from isoaudit.analytics.result import FLAGGED_COLUMNS, AnalyticsResult
from isoaudit.calendar import WorkCalendar
from isoaudit.text import fold

TEST = "supplements"
CLAUSE = "8.5.1"
SETTINGS_FILE = "analytics_supplements.toml"
RETURNED = ("early", "on_time", "late")

# Each reason's words, written out so tests/test_i18n.py can check them.
REASON_KEYS = {
    "request_near_due": "analytics.supplements.reason.request_near_due",
    "request_after_due": "analytics.supplements.reason.request_after_due",
    "long_pause": "analytics.supplements.reason.long_pause",
    "still_waiting": "analytics.supplements.reason.still_waiting",
    "returned_without_supplement": "analytics.supplements.reason.returned_without_supplement",
    "supplement_before_request": "analytics.supplements.reason.supplement_before_request",
    "officer_rate_high": "analytics.supplements.reason.officer_rate_high",
    "procedure_rate_high": "analytics.supplements.reason.procedure_rate_high",
    "repeated_request_rows": "analytics.supplements.reason.repeated_request_rows",
    "repeated_request_note": "analytics.supplements.reason.repeated_request_note",
}
# Why the test, or one of its parts, cannot be done.
MISSING_KEYS = {
    "no_dossiers_of_year": "analytics.supplements.missing.no_dossiers_of_year",
    "no_supplement_data": "analytics.supplements.missing.no_supplement_data",
    "no_officer": "analytics.supplements.missing.no_officer",
    "no_previous_year": "analytics.supplements.missing.no_previous_year",
}
# The comparisons of the table (column ``supplements_check``).
CHECK_KEYS = {
    "near_due_by_officer": "analytics.supplements.check.near_due_by_officer",
    "rate_by_officer": "analytics.supplements.check.rate_by_officer",
    "rate_by_procedure": "analytics.supplements.check.rate_by_procedure",
}
TABLE_COLUMNS = ["supplements_check", "supplements_group", "supplements_dossiers", "supplements_observed",
                 "supplements_expected", "supplements_rate", "supplements_expected_rate",
                 "supplements_upper_limit", "supplements_p_value"]
COLUMN_KEYS = {
    "supplements_check": "analytics.col.supplements_check",
    "supplements_group": "analytics.col.supplements_group",
    "supplements_dossiers": "analytics.col.supplements_dossiers",
    "supplements_observed": "analytics.col.supplements_observed",
    "supplements_expected": "analytics.col.supplements_expected",
    "supplements_rate": "analytics.col.supplements_rate",
    "supplements_expected_rate": "analytics.col.supplements_expected_rate",
    "supplements_upper_limit": "analytics.col.supplements_upper_limit",
    "supplements_p_value": "analytics.col.supplements_p_value",
}
# Columns of ``excess_by_group``.
GROUP_COLUMNS = ["group", "dossiers", "observed", "expected", "rate", "expected_rate", "upper_limit", "p_value",
                 "above"]


@lru_cache(maxsize=None)
def settings(name: str = SETTINGS_FILE) -> dict:
    """The thresholds of an analytics test (a TOML file of ``isoaudit/data``)."""
    return tomllib.loads(resources.files("isoaudit.data").joinpath(name).read_text(encoding="utf-8"))


def supplements(unit_year) -> AnalyticsResult:
    """The test on one unit's judged year (``measures.UnitYear``): see the module doc."""
    excluded = unit_year.own.excluded_dossiers
    if unit_year.received.empty:
        return AnalyticsResult(TEST, CLAUSE, missing="no_dossiers_of_year")
    previous = unit_year.assessed[(unit_year.assessed["received_year"] == unit_year.year - 1).to_numpy(bool)]
    return check_supplements(unit_year.received, unit_year.calendar.for_unit(unit_year.unit_code),
                             unit_year.as_of, excluded=excluded, previous=previous, year=unit_year.year)


def check_supplements(received: pd.DataFrame, calendar: WorkCalendar, as_of, excluded: pd.DataFrame | None = None,
                      previous: pd.DataFrame | None = None, year: int | None = None,
                      config: dict | None = None) -> AnalyticsResult:
    """The test on ``received`` (one unit's dossiers of a year, judged by ``timeliness.assess``), with the
    unit's rows the reader set aside (``excluded``, for supplements dated before their request and repeated
    rows) and the year before (``previous``, judged, for the procedures' usual rates)."""
    config = {**settings(), **(config or {})}
    if received.empty:
        return AnalyticsResult(TEST, CLAUSE, missing="no_dossiers_of_year")
    excluded = _of_year(excluded, year)
    early_supplement = _supplement_before_request(excluded)
    requested_at = received["supplement_requested_at"]
    if requested_at.isna().all() and received["supplement_received_at"].isna().all() and early_supplement.empty:
        return AnalyticsResult(TEST, CLAUSE, missing="no_supplement_data")

    as_of_day = np.datetime64(pd.Timestamp(as_of).date(), "D")
    asked = requested_at.notna().to_numpy()
    rows = received[asked]
    timing = _timing(rows, calendar, as_of_day)
    officer = officer_column(received)
    missing_parts = []
    if officer is None:
        missing_parts.append("no_officer")

    flagged, table = [early_supplement], []
    near_due = timing["days_left"].between(0, config["near_due_days"]).to_numpy()
    eligible = (rows["legal_days"].fillna(0).to_numpy() > config["near_due_days"]) & (timing["days_left"] >= 0)
    if officer is not None:
        groups = excess_by_group(officer[asked][eligible], near_due[eligible],
                                 share_elsewhere(rows["procedure_code"][eligible], officer[asked][eligible],
                                                 near_due[eligible]), config)
        table.append(_table_rows(groups, "near_due_by_officer"))
        high = officer[asked].isin(groups.loc[groups["above"], "group"]).to_numpy() & near_due & eligible
        flagged.append(flag_rows(rows[high], "request_near_due", officer=officer[asked][high],
                              requested=day_text(rows["supplement_requested_at"][high]),
                              legal_due_date=day_text(timing["due_before"][high]),
                              days_left=timing["days_left"][high]))
    after_due = (timing["days_left"] < 0).to_numpy()
    flagged.append(flag_rows(rows[after_due], "request_after_due",
                          requested=day_text(rows["supplement_requested_at"][after_due]),
                          legal_due_date=day_text(timing["due_before"][after_due]),
                          days=-timing["days_left"][after_due]))
    long = (timing["waited"] > config["long_pause_days"]).to_numpy()
    came = rows["supplement_received_at"].notna().to_numpy()
    returned = rows["returned_date"].notna().to_numpy()
    for reason, mask in (("long_pause", long & came), ("still_waiting", long & ~came & ~returned)):
        flagged.append(flag_rows(rows[mask], reason, requested=day_text(rows["supplement_requested_at"][mask]),
                              days=timing["waited"][mask]))
    never = ~came & returned & rows["status"].isin(RETURNED).to_numpy()
    flagged.append(flag_rows(rows[never], "returned_without_supplement",
                          requested=day_text(rows["supplement_requested_at"][never]),
                          returned=day_text(rows["returned_date"][never])))

    # Request rates: each officer against the unit's rates by procedure, each procedure against its last year.
    procedure = received["procedure_code"].astype("string")
    if officer is not None:
        groups = excess_by_group(officer, asked, share_elsewhere(procedure, officer, asked), config)
        table.append(_table_rows(groups, "rate_by_officer"))
        high = officer.isin(groups.loc[groups["above"], "group"]).to_numpy() & asked
        flagged.append(flag_rows(received[high], "officer_rate_high", officer=officer[high],
                              **_group_detail(groups, officer[high])))
    if previous is None or previous.empty:
        missing_parts.append("no_previous_year")
    else:
        groups = _excess_over_last_year(procedure, asked, previous, config)
        table.append(_table_rows(groups, "rate_by_procedure"))
        high = procedure.isin(groups.loc[groups["above"], "group"]).to_numpy() & asked
        flagged.append(flag_rows(received[high], "procedure_rate_high", procedure_code=procedure[high],
                              **_group_detail(groups, procedure[high])))

    flagged += _repeated(received, excluded, config)
    flagged = pd.concat([f for f in flagged if len(f)], ignore_index=True) if any(len(f) for f in flagged) \
        else pd.DataFrame(columns=FLAGGED_COLUMNS)
    table = pd.concat(table, ignore_index=True) if table else pd.DataFrame(columns=TABLE_COLUMNS)
    table = table[table["above"]].drop(columns="above").reset_index(drop=True) if len(table) else \
        pd.DataFrame(columns=TABLE_COLUMNS)
    counts = flagged["reason"].value_counts() if len(flagged) else pd.Series(dtype=int)
    params = {
        "received": len(received), "requests": int(asked.sum()),
        "request_percent": round(100 * float(asked.mean()), 1),
        "near_due": int((near_due & eligible).sum()),
        "near_due_percent": round(100 * float((near_due & eligible).sum() / max(int(eligible.sum()), 1)), 1),
        "near_due_days": config["near_due_days"], "long_pause_days": config["long_pause_days"],
        "groups_above": len(table), "alpha": config["alpha"], "missing_parts": missing_parts,
        **{reason: int(counts.get(reason, 0)) for reason in REASON_KEYS},
    }
    params["flagged_dossiers"] = int(flagged["dossier_id"].nunique()) if len(flagged) else 0
    return AnalyticsResult(TEST, CLAUSE, table=table, params=params, flagged=flagged)


# ---- the statistics ----------------------------------------------------------------------------------------
def excess_by_group(groups: pd.Series, hits: np.ndarray, expected: np.ndarray, config: dict) -> pd.DataFrame:
    """Groups whose count of ``hits`` is above what ``expected`` (each dossier's chance of a hit, 0..1)
    predicts, one row per group of at least ``min_group_dossiers`` (``GROUP_COLUMNS``).

    The test is exact binomial, one-sided: ``p_value`` = P(X >= observed) for X ~ Binomial(dossiers, mean
    expected chance); ``upper_limit`` is the funnel plot's limit, the rate a group of that size exceeds by
    chance with probability alpha / groups tested (Bonferroni). Exact rather than a normal-approximation
    funnel because expected counts are often a handful, where the approximation flags small groups on noise;
    the mean chance stands for the varying ones (a Poisson-binomial), which only widens the spread. ``above``:
    p_value below that level, and at least ``min_excess`` hits and ``min_ratio`` times the expected."""
    hits = np.asarray(hits, dtype=bool)
    codes, names = pd.factorize(pd.Series(groups).astype("string"), use_na_sentinel=True)
    kept = codes >= 0
    codes, hits, expected = codes[kept], hits[kept], np.asarray(expected, dtype=float)[kept]
    size = len(names)
    dossiers = np.bincount(codes, minlength=size)
    observed = np.bincount(codes, weights=hits, minlength=size)
    predicted = np.bincount(codes, weights=np.nan_to_num(expected), minlength=size)
    tested = dossiers >= config["min_group_dossiers"]
    return excess_frame(pd.Series(names.astype(object)), dossiers, observed, predicted, tested, config,
                         ratio=config.get("min_ratio", 1.0))


def excess_frame(names, dossiers, observed, predicted, tested, config, ratio=1.0, p_values=None,
                  min_increase=0.0) -> pd.DataFrame:
    names, dossiers, observed, predicted = (np.asarray(a)[tested] for a in (names, dossiers, observed, predicted))
    level = config["alpha"] / max(len(dossiers), 1)
    chance = np.clip(predicted / np.maximum(dossiers, 1), 1e-9, 1 - 1e-9)
    if p_values is None:
        p_values = stats.binom.sf(observed - 1, dossiers, chance)
    else:
        p_values = np.asarray(p_values)[tested]
    upper = stats.binom.isf(level, dossiers, chance) / np.maximum(dossiers, 1)
    rate = observed / np.maximum(dossiers, 1)
    above = ((p_values < level) & (observed - predicted >= config["min_excess"]) & (observed >= ratio * predicted)
             & (rate - chance >= min_increase))
    return pd.DataFrame({"group": names, "dossiers": dossiers.astype(int), "observed": observed.astype(int),
                         "expected": predicted, "rate": rate, "expected_rate": chance, "upper_limit": upper,
                         "p_value": p_values, "above": above}, columns=GROUP_COLUMNS)


def share_elsewhere(procedure: pd.Series, groups: pd.Series, hits: np.ndarray) -> np.ndarray:
    """Each dossier's expected chance of a hit: the share of hits among the unit's other groups' dossiers of
    its procedure (the group compared is left out, so it does not set its own yardstick); the procedure's own
    share where no other group handles it. Dossiers without a procedure are a procedure of their own."""
    hits = np.asarray(hits, dtype=float)
    proc, _ = pd.factorize(pd.Series(procedure).astype("string"), use_na_sentinel=True)
    proc = np.where(proc < 0, proc.max(initial=-1) + 1, proc)
    group, _ = pd.factorize(pd.Series(groups).astype("string"), use_na_sentinel=True)
    group = np.where(group < 0, group.max(initial=-1) + 1, group)
    cell = proc * (group.max(initial=0) + 1) + group
    n_proc, k_proc = np.bincount(proc), np.bincount(proc, weights=hits)
    n_cell, k_cell = np.bincount(cell), np.bincount(cell, weights=hits)
    others = n_proc[proc] - n_cell[cell]
    return np.where(others > 0, (k_proc[proc] - k_cell[cell]) / np.maximum(others, 1),
                    k_proc[proc] / np.maximum(n_proc[proc], 1))


def _excess_over_last_year(procedure: pd.Series, asked: np.ndarray, previous: pd.DataFrame,
                           config: dict) -> pd.DataFrame:
    """Each procedure's request rate against its own in the year before (one-sided Fisher exact test, both
    years at least ``min_group_dossiers``): a procedure that needs many supplements does every year."""
    now = pd.DataFrame({"procedure": procedure.to_numpy(), "hit": asked}).groupby("procedure", observed=True)["hit"]
    before = pd.DataFrame({"procedure": previous["procedure_code"].astype("string").to_numpy(),
                           "hit": previous["supplement_requested_at"].notna().to_numpy()}) \
        .groupby("procedure", observed=True)["hit"]
    both = pd.concat({"n": now.size(), "k": now.sum(), "n0": before.size(), "k0": before.sum()}, axis=1).dropna()
    n, k, n0, k0 = (both[c].to_numpy(dtype=float) for c in ("n", "k", "n0", "k0"))
    tested = (n >= config["min_group_dossiers"]) & (n0 >= config["min_group_dossiers"])
    # P(X >= k) for X ~ Hypergeometric(n + n0 dossiers, k + k0 requests, n drawn): Fisher's one-sided test.
    p_values = stats.hypergeom.sf(k - 1, n + n0, k + k0, n)
    expected = n * k0 / np.maximum(n0, 1)
    return excess_frame(both.index.to_numpy(dtype=object), n, k, expected, tested, config,
                         ratio=config.get("min_ratio", 1.0), p_values=p_values)


def _table_rows(groups: pd.DataFrame, check: str) -> pd.DataFrame:
    renamed = groups.rename(columns={c: f"supplements_{c}" for c in GROUP_COLUMNS if c != "above"})
    return renamed.assign(supplements_check=check)[[*TABLE_COLUMNS, "above"]]


def _group_detail(groups: pd.DataFrame, members: pd.Series) -> dict:
    rates = groups.set_index("group")
    return {"rate_percent": members.map((100 * rates["rate"]).round(1)).to_numpy(),
            "expected_percent": members.map((100 * rates["expected_rate"]).round(1)).to_numpy()}


# ---- the dossiers ------------------------------------------------------------------------------------------
def _timing(rows: pd.DataFrame, calendar: WorkCalendar, as_of: np.datetime64) -> pd.DataFrame:
    """For dossiers asked to supplement: the legal due date before the request (``due_before``), working
    days from the request to it (``days_left``, negative when asked after it) and waited for the supplement
    (``waited``: to its receipt, else to the return, else to ``as_of``)."""
    requested = rows["supplement_requested_at"].to_numpy().astype("datetime64[D]")
    legal_due = rows["legal_due_date"].to_numpy().astype("datetime64[D]")
    pause = rows["supplement_days"].fillna(0).to_numpy(dtype=np.int64)
    judged = ~np.isnat(legal_due)
    due_before = np.full(len(rows), np.datetime64("NaT"), dtype="datetime64[D]")
    days_left = np.full(len(rows), np.iinfo(np.int64).max // 2, dtype=np.int64)  # not judged: never near due
    if judged.any():
        due_before[judged] = calendar.add_working_days(legal_due[judged], -pause[judged])
        days_left[judged] = calendar.working_days_between(requested[judged], due_before[judged])
    end = rows["supplement_received_at"].fillna(rows["returned_date"]).to_numpy().astype("datetime64[D]")
    end = np.where(np.isnat(end), as_of, end)
    waited = calendar.working_days_between(requested, np.maximum(end, requested))
    return pd.DataFrame({"due_before": due_before, "days_left": days_left, "waited": waited}, index=rows.index)


def officer_column(received: pd.DataFrame) -> pd.Series | None:
    if "officer" not in received or received["officer"].isna().all():
        return None
    return received["officer"].astype("string").str.strip().replace("", pd.NA)


def _of_year(excluded: pd.DataFrame | None, year: int | None) -> pd.DataFrame:
    if excluded is None or excluded.empty or "received_at" not in excluded:
        return pd.DataFrame(columns=["dossier_id", "reason", "received_at", "supplement_requested_at",
                                     "supplement_received_at"])
    received = pd.to_datetime(excluded["received_at"], errors="coerce")
    return excluded[(received.dt.year == year).fillna(False).to_numpy(bool)] if year is not None else excluded


def _supplement_before_request(excluded: pd.DataFrame) -> pd.DataFrame:
    rows = excluded[(excluded["reason"] == "supplement_before_request").fillna(False).to_numpy(bool)]
    return flag_rows(rows, "supplement_before_request",
                  requested=day_text(pd.to_datetime(rows["supplement_requested_at"], errors="coerce")),
                  supplied=day_text(pd.to_datetime(rows["supplement_received_at"], errors="coerce")))


def _repeated(received: pd.DataFrame, excluded: pd.DataFrame, config: dict) -> list[pd.DataFrame]:
    """Dossiers asked to supplement more than once: by the unit's repeated rows of one id, or by the note."""
    flags = []
    again = excluded[(excluded["reason"] == "duplicate_id").fillna(False).to_numpy(bool)]
    if len(again) and "supplement_requested_at" in again:
        first = received[["dossier_id", "supplement_requested_at"]].dropna()
        more = pd.DataFrame({"dossier_id": again["dossier_id"].astype("string").to_numpy(),
                             "supplement_requested_at": pd.to_datetime(again["supplement_requested_at"],
                                                                       errors="coerce").to_numpy()}).dropna()
        every = pd.concat([first.assign(dossier_id=first["dossier_id"].astype("string")), more])
        every = every[every["dossier_id"].isin(first["dossier_id"].astype("string"))]
        every = every.assign(day=every["supplement_requested_at"].dt.normalize()).drop_duplicates(["dossier_id", "day"])
        counts = every.groupby("dossier_id")["day"].agg(["size", lambda d: "; ".join(d.sort_values().dt.strftime(
            "%d/%m/%Y"))])
        counts.columns = ["requests", "dates"]
        counts = counts[counts["requests"] > 1]
        flags.append(flag_rows(counts.reset_index(), "repeated_request_rows", requests=counts["requests"].to_numpy(),
                            dates=counts["dates"].to_numpy()))
    if "note" in received and received["note"].notna().any():
        pattern = re.compile("|".join(f"(?:{p})" for p in config["repeated_note_patterns"]))
        notes = received["note"].astype("string")
        uniques = pd.unique(notes.dropna())
        says = {value: bool(pattern.search(fold(value))) for value in uniques}
        hit = notes.map(says).fillna(False).to_numpy(bool)
        flags.append(flag_rows(received[hit], "repeated_request_note", note=notes[hit]))
    return flags


def flag_rows(rows: pd.DataFrame, reason: str, **detail) -> pd.DataFrame:
    """``FLAGGED_COLUMNS`` for ``rows``, each with the ``detail`` values of its position (plain JSON)."""
    if not len(rows):
        return pd.DataFrame(columns=FLAGGED_COLUMNS)
    columns = {name: _plain(values) for name, values in detail.items()}
    details = [dict(zip(columns, values)) for values in zip(*columns.values())] if columns else \
        [{} for _ in range(len(rows))]
    return pd.DataFrame({"dossier_id": rows["dossier_id"].astype(str).to_numpy(), "reason": reason,
                         "detail": details}, columns=FLAGGED_COLUMNS)


def _plain(values) -> list:
    array = pd.Series(values).astype(object).where(pd.Series(values).notna(), None)
    return [v.item() if isinstance(v, np.generic) else v for v in array.tolist()]


def day_text(values) -> pd.Series:
    """Dates written dd/mm/yyyy (empty when missing), as both languages of the report write them."""
    days = pd.Series(pd.to_datetime(pd.Series(values), errors="coerce"))
    return days.dt.strftime("%d/%m/%Y").fillna("")
