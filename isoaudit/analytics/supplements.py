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
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from scipy import stats

from isoaudit.analytics.result import AnalyticsResult, Flags, dates
from isoaudit.arrow_text import fixed_width_cells
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
# Columns of ``excess_by_group`` (``code``: the group's position in its ``Groups``).
GROUP_COLUMNS = ["group", "code", "dossiers", "observed", "expected", "rate", "expected_rate", "upper_limit",
                 "p_value", "above"]


@lru_cache(maxsize=None)
def settings(name: str = SETTINGS_FILE) -> dict:
    """The thresholds of an analytics test (a TOML file of ``isoaudit/data``)."""
    return tomllib.loads(resources.files("isoaudit.data").joinpath(name).read_text(encoding="utf-8"))


def supplements(unit_year, groups: "DossierGroups | None" = None,
                previous: pd.DataFrame | None = None) -> AnalyticsResult:
    """The test on one unit's judged year (``measures.UnitYear``): see the module doc. ``groups``: the year's
    ``dossier_groups``, when another test computed them already; ``previous``: the year before's judged
    dossiers (default: the unit's own; a merged commune's are its area's, ``analytics.run.area_previous``)."""
    excluded = unit_year.own.excluded_dossiers
    if unit_year.received.empty:
        return AnalyticsResult(TEST, CLAUSE, missing="no_dossiers_of_year")
    return check_supplements(unit_year.received, unit_year.calendar.for_unit(unit_year.unit_code),
                             unit_year.as_of, excluded=excluded,
                             previous=previous_year(unit_year) if previous is None else previous,
                             year=unit_year.year, groups=groups)


def previous_year(unit_year) -> pd.DataFrame:
    """The unit's dossiers received the year before, judged on the same day."""
    assessed = unit_year.assessed
    return assessed[(assessed["received_year"] == unit_year.year - 1).to_numpy(bool)]


def check_supplements(received: pd.DataFrame, calendar: WorkCalendar, as_of, excluded: pd.DataFrame | None = None,
                      previous: pd.DataFrame | None = None, year: int | None = None,
                      config: dict | None = None, groups: "DossierGroups | None" = None) -> AnalyticsResult:
    """The test on ``received`` (one unit's dossiers of a year, judged by ``timeliness.assess``), with the
    unit's rows the reader set aside (``excluded``, for supplements dated before their request and repeated
    rows) and the year before (``previous``, judged, for the procedures' usual rates). ``groups``:
    ``dossier_groups(received, previous)``, computed here when not given."""
    config = {**settings(), **(config or {})}
    if received.empty:
        return AnalyticsResult(TEST, CLAUSE, missing="no_dossiers_of_year")
    excluded = _of_year(excluded, year)
    flags = Flags(received["dossier_id"])
    _supplement_before_request(excluded, flags)
    asked = dated(received, "supplement_requested_at")
    if not asked.any() and not dated(received, "supplement_received_at").any() and flags.empty:
        return AnalyticsResult(TEST, CLAUSE, missing="no_supplement_data")

    at = np.flatnonzero(asked)  # the requests: requested, supplied and every array below named *_at are of these
    requested = days(received, "supplement_requested_at", at)
    supplied = days(received, "supplement_received_at", at)
    due_before, days_left, waited = _timing(received, at, requested, supplied, calendar,
                                            np.datetime64(pd.Timestamp(as_of).date(), "D"))
    has_previous = previous is not None and not previous.empty
    if groups is None or (has_previous and groups.previous_procedure is None):
        groups = dossier_groups(received, previous)
    officer, procedure = groups.officer, groups.procedure
    missing_parts = [] if officer is not None else ["no_officer"]
    table = []

    near_due = (days_left >= 0) & (days_left <= config["near_due_days"])
    legal_days = received["legal_days"].to_numpy(dtype=np.float64, na_value=0)[at]
    eligible = (legal_days > config["near_due_days"]) & (days_left >= 0)
    if officer is not None:
        chosen = at[eligible]
        above = excess_by_group(officer.subset(chosen), near_due[eligible], procedure.codes[chosen], config)
        table.append(_table_rows(above, "near_due_by_officer"))
        high = officer.member(at, above) & near_due & eligible
        flags.add(at[high], "request_near_due", officer=officer.names_of(at[high]),
                  requested=dates(requested[high]), legal_due_date=dates(due_before[high]),
                  days_left=days_left[high])
    after_due = days_left < 0
    flags.add(at[after_due], "request_after_due", requested=dates(requested[after_due]),
              legal_due_date=dates(due_before[after_due]), days=-days_left[after_due])
    long = waited > config["long_pause_days"]
    came = ~np.isnat(supplied)
    returned_day = days(received, "returned_date", at)
    back = ~np.isnat(returned_day)
    for reason, mask in (("long_pause", long & came), ("still_waiting", long & ~came & ~back)):
        flags.add(at[mask], reason, requested=dates(requested[mask]), days=waited[mask])
    judged_returned = returned_rows(received)[at]
    never = ~came & back & judged_returned
    flags.add(at[never], "returned_without_supplement", requested=dates(requested[never]),
              returned=dates(returned_day[never]))

    # Request rates: each officer against the others' by procedure, each procedure against its last year.
    if officer is not None:
        above = excess_by_group(officer, asked, procedure.codes, config)
        table.append(_table_rows(above, "rate_by_officer"))
        high = at[officer.member(at, above)]
        flags.add(high, "officer_rate_high", officer=officer.names_of(high),
                  **group_detail(above, officer.codes[high]))
    if not has_previous:
        missing_parts.append("no_previous_year")
    else:
        above = _excess_over_last_year(procedure, asked, groups.previous_procedure, previous, config)
        table.append(_table_rows(above, "rate_by_procedure"))
        high = at[procedure.member(at, above)]
        flags.add(high, "procedure_rate_high", procedure_code=procedure.names_of(high),
                  **group_detail(above, procedure.codes[high]))

    _repeated(received, excluded, config, flags)
    flagged = flags.frame()
    table = pd.concat(table, ignore_index=True) if table else pd.DataFrame(columns=[*TABLE_COLUMNS, "above"])
    table = table[table["above"].to_numpy(bool)].drop(columns="above").reset_index(drop=True)
    counts = flags.counts()
    params = {
        "received": len(received), "requests": int(asked.sum()),
        "request_percent": round(100 * float(asked.mean()), 1),
        "near_due": int((near_due & eligible).sum()),
        "near_due_percent": round(100 * float((near_due & eligible).sum() / max(int(eligible.sum()), 1)), 1),
        "near_due_days": config["near_due_days"], "long_pause_days": config["long_pause_days"],
        "groups_above": len(table), "alpha": config["alpha"], "missing_parts": missing_parts,
        **{reason: int(counts.get(reason, 0)) for reason in REASON_KEYS},
        "flagged_dossiers": flags.dossiers(),
    }
    return AnalyticsResult(TEST, CLAUSE, table=table, params=params, flagged=flagged, detail_fields=flags.fields)


# ---- groups and the statistics -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Groups:
    """Dossiers in groups (officers, procedures): ``codes`` one per dossier (-1: none), ``names`` one per
    group, as the log writes them (spaces trimmed)."""

    codes: np.ndarray
    names: np.ndarray

    def subset(self, positions: np.ndarray) -> "Groups":
        return Groups(self.codes[positions], self.names)

    def names_of(self, positions: np.ndarray) -> np.ndarray:
        return self.names[self.codes[positions]]

    def member(self, positions: np.ndarray, table: pd.DataFrame) -> np.ndarray:
        """Whether the dossiers at ``positions`` are in a group above the limit of ``table``."""
        above = np.zeros(len(self.names) + 1, dtype=bool)
        above[table["code"].to_numpy(dtype=np.int64)[table["above"].to_numpy(bool)]] = True
        return above[self.codes[positions]]  # code -1 reads the last cell, always False


def group_codes(values: pd.Series) -> Groups:
    """The groups of ``values`` (one factorisation; names trimmed, a blank name is no group), numbered in order
    of first appearance."""
    if isinstance(values.array, pd.arrays.ArrowStringArray):
        # Arrow's own encoding, without pandas' wrapping of it: a year's officers are half a million strings.
        codes, uniques = _arrow_codes(pa.array(values.array))
    else:
        codes, uniques = pd.factorize(values, use_na_sentinel=True)
    named: dict[str, int] = {}  # trimmed name -> group
    lookup = np.array([named.setdefault(name, len(named)) if name else -1
                       for name in (str(u).strip() for u in uniques)] + [-1], dtype=np.int64)  # code -1 stays -1
    names = np.array(list(named), dtype=object)
    if len(named) == len(uniques):  # no name blank, none the same as another once trimmed: the codes are the groups
        return Groups(codes.astype(np.int64, copy=False), names)
    return Groups(lookup[codes], names)


def _arrow_codes(text: pa.Array) -> tuple[np.ndarray, list]:
    """Each cell's code in order of first appearance (-1 for a null) and the distinct texts: Arrow's dictionary
    encoding, of the texts as integers when they fit in one (``_as_integers``)."""
    packed = _as_integers(text)
    encoded = pc.dictionary_encode(text if packed is None else packed[0])
    codes = pc.fill_null(encoded.indices, -1).to_numpy(zero_copy_only=False)
    if packed is None:
        return codes, encoded.dictionary.to_pylist()
    width = packed[1]
    cells = encoded.dictionary.to_numpy().view(np.uint8).reshape(-1, 8)[:, :width]
    return codes, [bytes(cell).decode("utf-8") for cell in cells]


def _as_integers(text: pa.Array) -> tuple[pa.Array, int] | None:
    """``text`` as int64 (each cell's bytes, zero-padded) and the cells' byte width, when every cell has the
    same width of 1 to 8 bytes and none is null (procedure codes such as 1.000123, short officer ids): Arrow
    hashes integers about three times faster than text, and equal widths make the packing one-to-one."""
    if isinstance(text, pa.ChunkedArray) or not (pa.types.is_string(text.type) or pa.types.is_large_string(text.type)):
        return None
    cells = fixed_width_cells(text)
    if cells is None or cells.shape[1] > 8:
        return None
    width = cells.shape[1]
    packed = np.zeros(len(text), dtype=np.int64)
    packed.view(np.uint8).reshape(len(text), 8)[:, :width] = cells
    return pa.array(packed), width


def officer_groups(received: pd.DataFrame) -> Groups | None:
    """The officers who handled ``received``; None when the log names none."""
    if "officer" not in received:
        return None
    groups = group_codes(received["officer"])
    return groups if (groups.codes >= 0).any() else None


@dataclass(frozen=True)
class DossierGroups:
    """The groups the analytics tests compare, factorised once for a unit's year (text columns of a million
    dossiers take several passes of a working-day count to factorise): ``officer`` (None when the log names
    none), ``procedure``, and ``previous_procedure`` (the year before's procedures, codes into this year's
    names, -1 for a procedure not seen this year; None without a year before)."""

    officer: Groups | None
    procedure: Groups
    previous_procedure: np.ndarray | None


def dossier_groups(received: pd.DataFrame, previous: pd.DataFrame | None = None) -> DossierGroups:
    """The ``DossierGroups`` of a unit's year (``received``) and the year before (``previous``)."""
    procedure = group_codes(received["procedure_code"])
    before = None
    if previous is not None and len(previous):
        last = group_codes(previous["procedure_code"])
        before = np.append(pd.Index(procedure.names).get_indexer(last.names), -1)[last.codes]
    return DossierGroups(officer_groups(received), procedure, before)


def excess_by_group(groups: Groups, hits: np.ndarray, strata: np.ndarray, config: dict) -> pd.DataFrame:
    """Groups whose count of ``hits`` is above what the other groups' shares predict, one row per group of at
    least ``min_group_dossiers`` (``GROUP_COLUMNS``). Each dossier's expected chance of a hit is the share of
    hits among the other groups' dossiers of its stratum (``strata``: codes, e.g. of procedures, -1 none): the
    group compared does not set its own yardstick, and a group handling harder procedures is not flagged for
    it. Where no other group has the stratum, the stratum's own share.

    The test is exact binomial, one-sided: ``p_value`` = P(X >= observed) for X ~ Binomial(dossiers, mean
    expected chance); ``upper_limit`` is the funnel plot's limit, the rate a group of that size exceeds by
    chance with probability alpha / groups tested (Bonferroni). Exact rather than a normal-approximation
    funnel because expected counts are often a handful, where the approximation flags small groups on noise;
    the mean chance stands for the varying ones (a Poisson-binomial), which only widens the spread. ``above``:
    p_value below that level, and at least ``min_excess`` hits and ``min_ratio`` times the expected."""
    size = len(groups.names)
    width = size + 1  # the last column: dossiers of no group
    # Recoded only when some dossier has no stratum or no group (a pass or two fewer over half a million rows).
    stratum, last = strata, int(strata.max(initial=-1))
    if strata.min(initial=0) < 0:  # dossiers of no stratum: a stratum of their own, after the others
        last += 1
        stratum = np.where(strata < 0, last, strata)
    column = groups.codes if groups.codes.min(initial=0) >= 0 else np.where(groups.codes < 0, size, groups.codes)
    cell = np.multiply(stratum, width, dtype=np.int64)
    cell += column
    cells = (max(last, 0) + 1) * width
    n_cell = np.bincount(cell, minlength=cells).reshape(-1, width)
    k_cell = np.bincount(cell, weights=hits, minlength=cells).reshape(-1, width)
    n_stratum, k_stratum = n_cell.sum(axis=1, keepdims=True), k_cell.sum(axis=1, keepdims=True)
    others = n_stratum - n_cell
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(others > 0, (k_stratum - k_cell) / np.maximum(others, 1),
                         k_stratum / np.maximum(n_stratum, 1))
    dossiers, observed = n_cell.sum(axis=0)[:size], k_cell.sum(axis=0)[:size]
    predicted = (n_cell * share).sum(axis=0)[:size]
    tested = dossiers >= config["min_group_dossiers"]
    return excess_frame(groups.names, dossiers, observed, predicted, tested, config, ratio=config.get("min_ratio", 1.0))


def excess_frame(names, dossiers, observed, predicted, tested, config, ratio=1.0, p_values=None,
                 min_increase=0.0) -> pd.DataFrame:
    """``GROUP_COLUMNS`` of the ``tested`` groups (see ``excess_by_group``); ``p_values`` when the test is
    another than the exact binomial one."""
    code = np.flatnonzero(tested)
    names, dossiers, observed, predicted = (np.asarray(a)[code] for a in (names, dossiers, observed, predicted))
    level = config["alpha"] / max(len(dossiers), 1)
    chance = np.clip(predicted / np.maximum(dossiers, 1), 1e-9, 1 - 1e-9)
    p_values = stats.binom.sf(observed - 1, dossiers, chance) if p_values is None else np.asarray(p_values)[code]
    upper = stats.binom.isf(level, dossiers, chance) / np.maximum(dossiers, 1)
    rate = observed / np.maximum(dossiers, 1)
    above = ((p_values < level) & (observed - predicted >= config["min_excess"]) & (observed >= ratio * predicted)
             & (rate - chance >= min_increase))
    return pd.DataFrame({"group": names, "code": code, "dossiers": dossiers.astype(int),
                         "observed": observed.astype(int), "expected": predicted, "rate": rate,
                         "expected_rate": chance, "upper_limit": upper, "p_value": p_values, "above": above},
                        columns=GROUP_COLUMNS)


def _excess_over_last_year(procedure: Groups, asked: np.ndarray, codes: np.ndarray, previous: pd.DataFrame,
                           config: dict) -> pd.DataFrame:
    """Each procedure's request rate against its own in the year before (``codes``: the previous year's
    procedures as ``DossierGroups.previous_procedure``; one-sided Fisher exact test, both years at least
    ``min_group_dossiers``): a procedure that needs many supplements does every year."""
    size = len(procedure.names)
    kept_codes, kept_asked = _grouped(procedure.codes, asked)
    n = np.bincount(kept_codes, minlength=size).astype(float)
    k = np.bincount(kept_codes, weights=kept_asked, minlength=size)
    seen_codes, seen_asked = _grouped(codes, dated(previous, "supplement_requested_at"))
    n0 = np.bincount(seen_codes, minlength=size).astype(float)
    k0 = np.bincount(seen_codes, weights=seen_asked, minlength=size)
    tested = (n >= config["min_group_dossiers"]) & (n0 >= config["min_group_dossiers"])
    expected = n * k0 / np.maximum(n0, 1)
    ratio = config.get("min_ratio", 1.0)
    # P(X >= k) for X ~ Hypergeometric(n + n0 dossiers, k + k0 requests, n drawn): Fisher's one-sided test.
    # Only for the procedures enough above last year's rate to be above the limit at all (``excess_frame``'s
    # other conditions): scipy sums each procedure's tail in a Python loop, a few milliseconds for a
    # catalogue, and the table keeps the procedures above only (the others' p-values are NaN here).
    possible = np.flatnonzero(tested & (k - expected >= config["min_excess"]) & (k >= ratio * expected))
    p_values = np.full(size, np.nan)
    p_values[possible] = stats.hypergeom.sf(k[possible] - 1, (n + n0)[possible], (k + k0)[possible], n[possible])
    return excess_frame(procedure.names, n, k, expected, tested, config, ratio=ratio, p_values=p_values)


def _grouped(codes: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``codes`` and ``values`` of the dossiers in a group (code >= 0); as given when all are."""
    if codes.min(initial=0) >= 0:
        return codes, values
    kept = codes >= 0
    return codes[kept], values[kept]


def _table_rows(groups: pd.DataFrame, check: str) -> pd.DataFrame:
    """``[*TABLE_COLUMNS, "above"]`` of an ``excess_by_group`` table (one frame made, not three)."""
    columns = [c for c in GROUP_COLUMNS if c not in ("code", "above")]
    return pd.DataFrame({"supplements_check": check, **{f"supplements_{c}": groups[c] for c in columns},
                         "above": groups["above"]})


def group_detail(groups: pd.DataFrame, codes: np.ndarray) -> dict:
    """The rate and expected rate of each dossier's group (``codes``) in an ``excess_by_group`` table, as
    percents with one decimal (``rate_percent``, ``expected_percent``; NaN for a group not in the table)."""
    rows = groups["code"].to_numpy(dtype=np.int64)
    size = int(max(rows.max(initial=-1), codes.max(initial=-1))) + 1
    detail = {}
    for name, column in (("rate_percent", "rate"), ("expected_percent", "expected_rate")):
        by_code = np.full(size + 1, np.nan)  # the last cell: code -1
        by_code[rows] = np.round(100 * groups[column].to_numpy(dtype=np.float64), 1)
        detail[name] = by_code[codes]
    return detail


# ---- the dossiers ------------------------------------------------------------------------------------------------
def _timing(received: pd.DataFrame, at: np.ndarray, requested: np.ndarray, supplied: np.ndarray,
            calendar: WorkCalendar, as_of: np.datetime64) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For the dossiers at ``at`` (asked to supplement on ``requested``): the legal due date before the request
    (``due_before``), working days from the request to it (``days_left``, negative when asked after it) and
    waited for the supplement (to its receipt ``supplied``, else to the return, else to ``as_of``)."""
    legal_due = days(received, "legal_due_date", at)
    pause = received["supplement_days"].to_numpy(dtype=np.int64, na_value=0)[at]
    judged = ~np.isnat(legal_due)
    due_before = np.full(len(at), np.datetime64("NaT"), dtype="datetime64[D]")
    days_left = np.full(len(at), np.iinfo(np.int64).max // 2, dtype=np.int64)  # not judged: never near due
    if judged.any():
        due_before[judged] = calendar.add_working_days(legal_due[judged], -pause[judged])
        days_left[judged] = calendar.working_days_between(requested[judged], due_before[judged])
    end = np.where(np.isnat(supplied), days(received, "returned_date", at), supplied)
    end = np.where(np.isnat(end), as_of, end)
    waited = calendar.working_days_between(requested, np.maximum(end, requested)) if len(at) else \
        np.zeros(0, dtype=np.int64)
    return due_before, days_left, waited


def days(frame: pd.DataFrame, column: str, rows: np.ndarray | None = None) -> np.ndarray:
    """A date or datetime column as days (datetime64[D]; NaT when missing or absent), of the ``rows``
    (positions) only when given."""
    size = len(frame) if rows is None else len(rows)
    if column not in frame:
        return np.full(size, np.datetime64("NaT"), dtype="datetime64[D]")
    values = frame[column]
    if values.dtype.kind != "M":
        values = pd.to_datetime(values, errors="coerce")
    values = values.to_numpy()
    return (values if rows is None else values[rows]).astype("datetime64[D]")


def dated(frame: pd.DataFrame, column: str) -> np.ndarray:
    """Whether each row has a date in ``column`` (``days`` not NaT; False when absent), without converting
    the dates to days."""
    if column not in frame:
        return np.zeros(len(frame), dtype=bool)
    values = frame[column]
    if values.dtype.kind != "M":
        values = pd.to_datetime(values, errors="coerce")
    return values.notna().to_numpy()


def returned_rows(frame: pd.DataFrame) -> np.ndarray:
    """Whether each dossier was judged returned (early, on time or late)."""
    status = frame["status"]
    if isinstance(status.dtype, pd.CategoricalDtype) and tuple(status.cat.categories[:3]) == RETURNED:
        codes = status.cat.codes.to_numpy()
        return (codes >= 0) & (codes < 3)
    return status.isin(RETURNED).to_numpy(dtype=bool, na_value=False)


def _of_year(excluded: pd.DataFrame | None, year: int | None) -> pd.DataFrame:
    if excluded is None or excluded.empty or "received_at" not in excluded:
        return pd.DataFrame(columns=["dossier_id", "reason", "received_at", "supplement_requested_at",
                                     "supplement_received_at"])
    received = pd.to_datetime(excluded["received_at"], errors="coerce")
    return excluded[(received.dt.year == year).fillna(False).to_numpy(bool)] if year is not None else excluded


def _supplement_before_request(excluded: pd.DataFrame, flags: Flags) -> None:
    rows = excluded[(excluded["reason"] == "supplement_before_request").fillna(False).to_numpy(bool)]
    flags.add_ids(rows["dossier_id"], "supplement_before_request",
                  requested=dates(days(rows, "supplement_requested_at")),
                  supplied=dates(days(rows, "supplement_received_at")))


def _repeated(received: pd.DataFrame, excluded: pd.DataFrame, config: dict, flags: Flags) -> None:
    """Dossiers asked to supplement more than once (by the unit's repeated rows of one id, or by the note),
    added to ``flags``."""
    again = excluded[(excluded["reason"] == "duplicate_id").fillna(False).to_numpy(bool)]
    if len(again) and "supplement_requested_at" in again:
        asked = ~np.isnat(days(received, "supplement_requested_at"))
        first = pd.DataFrame({"dossier_id": received["dossier_id"][asked].astype("string").to_numpy(),
                              "day": days(received, "supplement_requested_at")[asked]})
        more = pd.DataFrame({"dossier_id": again["dossier_id"].astype("string").to_numpy(),
                             "day": days(again, "supplement_requested_at")}).dropna()
        every = pd.concat([first, more[more["dossier_id"].isin(first["dossier_id"])]]).drop_duplicates()
        counts = every.sort_values("day").groupby("dossier_id")["day"].agg(
            requests="size", dates=lambda d: "; ".join(pd.Series(d).dt.strftime("%d/%m/%Y")))
        counts = counts[counts["requests"] > 1].reset_index()
        flags.add_ids(counts["dossier_id"], "repeated_request_rows", requests=counts["requests"], dates=counts["dates"])
    if "note" in received:
        noted = np.flatnonzero(received["note"].notna().to_numpy())
        codes, uniques = pd.factorize(received["note"].iloc[noted])
        pattern = re.compile("|".join(f"(?:{p})" for p in config["repeated_note_patterns"]))
        says = np.array([bool(pattern.search(fold(value))) for value in uniques] + [False])
        hit = noted[says[codes]]
        flags.add(hit, "repeated_request_note", note=received["note"].iloc[hit])


def day_text(values) -> list[str]:
    """Days written dd/mm/yyyy (empty when missing), as both languages of the report write them."""
    return [pd.Timestamp(v).strftime("%d/%m/%Y") if not pd.isna(v) else "" for v in np.asarray(values)]
