"""Calendar anomalies: dates and times in a dossier log that the unit's calendar, its office hours or its
procedure catalogue say are unlikely, and that may hide a receipt or a return written after the fact.

Checks (thresholds in ``data/analytics_calendar.toml``; days in the unit's calendar, ``calendar.for_unit``):

- counter receipts and counter returns (``channel`` counter; online and postal dossiers arrive and leave at
  any hour, a log without a channel is not checked and says how many rows it has) on a day that is neither a
  working day nor, at a unit with Saturday-morning reception, a reception Saturday (``receipt_day_off``,
  ``return_day_off``); or on such a day outside its office hours, ``opens``..``closes`` on a working day,
  ``opens``..12:00 on a reception Saturday (the hour of ``timeliness.SATURDAY_RECEPTION_UNTIL``), each
  widened by ``grace_minutes`` (``receipt_outside_hours``, ``return_outside_hours``). A time of exactly
  00:00 means the log recorded no time (a date only): never an hours anomaly, though its day is checked;
- online dossiers received more than ``online_receipt_working_days`` working days after their submission on
  the portal (``submitted_at``; working days after the submission day up to the receipt day)
  (``online_receipt_late``), or, within that limit, received on a later day although submitted on a working
  day between ``opens`` and ``online_same_day_until`` with no supplement asked for before the receipt
  (``online_receipt_moved``): the legal time started later than the citizen could expect;
- appointments written under a procedure's time before its change in the catalogue. The catalogue keeps
  one row per procedure: its current ``legal_days`` and the day of its latest change (``changed_date``), not
  the time before it. So the earlier time is read from the unit's own appointments: the working days from
  receipt to appointment most often written for the procedure in the ``after_change_days`` before the
  change (at least ``min_before_change`` dossiers, from ``UnitYear.assessed``: this year and the one before).
  When that differs from the current time, a dossier received within ``after_change_days`` after the change
  whose appointment is exactly the one the earlier time gives is flagged ``appointment_old_time``; when it
  is the same, the change did not alter the time the unit used and nothing is flagged. Without enough
  dossiers before the change, a dossier received within ``after_change_days`` after it whose appointment
  differs from the legal due date at receipt under the current time (``timeliness.assess``, supplements
  left out) is flagged ``appointment_after_change``: maybe handled under the old time. That does not prove
  it: any appointment beyond the legal time (a measure of its own), a typing error or a procedure whose
  time did not change at all gives the same picture; only the earlier catalogue or decision tells.

Clause **8.5.1** (service provision under controlled conditions: dossiers received, appointed and returned as
the one-stop rules and the unit's hours say). A software clock or a time zone set wrong would be 7.1.3
(infrastructure): the not-proof paragraph says so.
"""
from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from isoaudit.analytics.result import AnalyticsResult, Flags, clock, dates, stamps
from isoaudit.calendar import WorkCalendar
from isoaudit.timeliness import SATURDAY_RECEPTION_UNTIL, assess

TEST = "calendar"
CLAUSE = "8.5.1"
SETTINGS_FILE = "analytics_calendar.toml"
CHANNELS = ("counter", "online", "postal")  # the log's channels, codes 1, 2, 3 (0: none)
REASONS = ("receipt_day_off", "receipt_outside_hours", "return_day_off", "return_outside_hours",
           "online_receipt_late", "online_receipt_moved", "appointment_old_time", "appointment_after_change")
# The words of each reason (keys written out: the wording tests read them here).
REASON_KEYS = {
    "receipt_day_off": "analytics.calendar.reason.receipt_day_off",
    "receipt_outside_hours": "analytics.calendar.reason.receipt_outside_hours",
    "return_day_off": "analytics.calendar.reason.return_day_off",
    "return_outside_hours": "analytics.calendar.reason.return_outside_hours",
    "online_receipt_late": "analytics.calendar.reason.online_receipt_late",
    "online_receipt_moved": "analytics.calendar.reason.online_receipt_moved",
    "appointment_old_time": "analytics.calendar.reason.appointment_old_time",
    "appointment_after_change": "analytics.calendar.reason.appointment_after_change",
}
# The short name of each check, for the table's first column.
CHECK_KEYS = {
    "receipt_day_off": "analytics.calendar.check.receipt_day_off",
    "receipt_outside_hours": "analytics.calendar.check.receipt_outside_hours",
    "return_day_off": "analytics.calendar.check.return_day_off",
    "return_outside_hours": "analytics.calendar.check.return_outside_hours",
    "online_receipt_late": "analytics.calendar.check.online_receipt_late",
    "online_receipt_moved": "analytics.calendar.check.online_receipt_moved",
    "appointment_old_time": "analytics.calendar.check.appointment_old_time",
    "appointment_after_change": "analytics.calendar.check.appointment_after_change",
}
MISSING_KEYS = {"no_dossiers": "analytics.calendar.missing.no_dossiers"}
TABLE_COLUMNS = ["calendar_check", "calendar_dossiers", "calendar_examined"]
COLUMN_KEYS = {
    "calendar_check": "analytics.col.calendar_check",
    "calendar_dossiers": "analytics.col.calendar_dossiers",
    "calendar_examined": "analytics.col.calendar_examined",
}
_JUDGED_COLUMNS = ["dossier_id", "unit_code", "procedure_code", "received_at", "due_date"]
_MINUTES_PER_DAY = 24 * 60


@dataclass(frozen=True)
class Settings:
    opens: int  # minutes after midnight
    closes: int
    grace: int  # minutes
    online_receipt_working_days: int
    online_same_day_until: int  # minutes after midnight
    after_change_days: int  # calendar days
    min_before_change: int


def check_calendar_anomalies(unit_year) -> AnalyticsResult:
    """The test on one unit's judged year (``measures.UnitYear``): its dossiers received in the year, under
    the unit's calendar, against the catalogue's changes (the time before a change read from
    ``unit_year.assessed``)."""
    calendar = unit_year.calendar
    if unit_year.unit_code is not None:
        calendar = calendar.for_unit(unit_year.unit_code)
    return calendar_anomalies(unit_year.received, calendar, unit_year.records.procedures, unit_year.assessed)


def calendar_anomalies(dossiers: pd.DataFrame, calendar: WorkCalendar, procedures: pd.DataFrame | None = None,
                       history: pd.DataFrame | None = None, settings: Settings | None = None) -> AnalyticsResult:
    """The checks of the module doc on ``dossiers`` (canonical dossier columns; ``legal_days`` of
    ``timeliness.assess`` used when present). ``procedures``: the catalogue (no catalogue check without
    it); ``history``: dossiers the time before a change is read from (default ``dossiers``). Units with a
    calendar of their own (``calendar.unit_calendars``) are checked under it."""
    settings = settings or load_settings()
    if dossiers.empty:
        return AnalyticsResult(TEST, CLAUSE, missing="no_dossiers")
    frame = dossiers.reset_index(drop=True)
    units = _column(frame, "unit_code")
    channel = _channel_codes(_column(frame, "channel"))
    counter, online = channel == 1, channel == 2
    found, examined = {}, {}
    received = _moments(frame, "received_at")
    returned = _moments(frame, "returned_date")
    for moment, day_off, outside in ((received, "receipt_day_off", "receipt_outside_hours"),
                                     (returned, "return_day_off", "return_outside_hours")):
        rows = counter & ~np.isnat(moment)
        off, late_hours = _office(moment, rows, units, calendar, settings)
        found[day_off], found[outside] = off, late_hours
        examined[day_off] = examined[outside] = int(rows.sum())
    late, moved, online_rows = _online(frame, received, online, units, calendar, settings)
    found["online_receipt_late"], found["online_receipt_moved"] = late, moved
    examined["online_receipt_late"] = examined["online_receipt_moved"] = online_rows
    old, after, change_rows = _catalogue(frame, procedures, history, calendar, settings)
    found["appointment_old_time"], found["appointment_after_change"] = old, after
    examined["appointment_old_time"] = examined["appointment_after_change"] = change_rows
    flags = Flags(frame["dossier_id"])
    for reason in REASONS:
        if found[reason]:
            flags.add(found[reason]["positions"], reason, **found[reason]["details"])
    flagged = flags.frame()
    counts = {reason: len(found[reason].get("positions", ())) for reason in REASONS}
    table = pd.DataFrame([{"calendar_check": reason, "calendar_dossiers": counts[reason],
                           "calendar_examined": examined[reason]} for reason in REASONS if counts[reason]],
                         columns=TABLE_COLUMNS)
    params = {"dossiers": int(len(frame)), "flagged": flags.dossiers(),
              "counter": int(counter.sum()), "online": int(online.sum()),
              "no_channel": int((channel == 0).sum()), "online_with_submission": online_rows,
              "after_change": change_rows, **counts,
              "opens": _hhmm(settings.opens), "closes": _hhmm(settings.closes), "grace_minutes": settings.grace,
              "online_receipt_working_days": settings.online_receipt_working_days,
              "after_change_days": settings.after_change_days}
    return AnalyticsResult(TEST, CLAUSE, table, params, flagged, detail_fields=flags.fields)


@lru_cache(maxsize=1)
def load_settings() -> Settings:
    """``data/analytics_calendar.toml``."""
    with resources.files("isoaudit.data").joinpath(SETTINGS_FILE).open("rb") as handle:
        data = tomllib.load(handle)
    return Settings(_minutes(data["opens"]), _minutes(data["closes"]), int(data["grace_minutes"]),
                    int(data["online_receipt_working_days"]), _minutes(data["online_same_day_until"]),
                    int(data["after_change_days"]), int(data["min_before_change"]))


# ---- the checks -----------------------------------------------------------------------------------------
def _office(moment: np.ndarray, rows: np.ndarray, units: pd.Series, calendar: WorkCalendar, settings: Settings):
    """Of ``rows``, the moments (datetime64[m]) on a day the counter is closed, and those outside its hours."""
    # The day and the minute of the day (a NaT's are garbage, and are not among ``rows``): a floor division and a
    # product, which numpy does faster than its divmod of int64 by a number.
    day = moment.view(np.int64) // _MINUTES_PER_DAY
    minute = moment.view(np.int64) - day * _MINUTES_PER_DAY
    day = np.where(rows, day, np.iinfo(np.int64).min).view("datetime64[D]")  # int64's least is NaT
    working, reception = _day_kinds(day, units, calendar)
    saturday = reception & ~working
    off = rows & ~working & ~saturday
    closes = np.where(saturday, SATURDAY_RECEPTION_UNTIL, settings.closes)
    timed = minute != 0  # 00:00: the log has a date only
    outside = rows & (working | saturday) & timed & ((minute < settings.opens - settings.grace)
                                                     | (minute > closes + settings.grace))

    def when(p):  # the day and the time are of the same moments: taken out once
        at = moment[p]
        return {"day": dates(at), "time": clock(at)}
    return (_found(off, when),
            _found(outside, lambda p: {**when(p), "hours": np.char.add(f"{_hhmm(settings.opens)}–",
                                                                        _hhmm_array(closes[p])).astype(object)}))


def _online(frame: pd.DataFrame, received: np.ndarray, online: np.ndarray, units: pd.Series,
            calendar: WorkCalendar, settings: Settings):
    """Online dossiers received late after their submission, or moved to a later day (module doc)."""
    if "submitted_at" not in frame:  # a log without submissions has nothing to compare: no pass over its rows
        return {}, {}, 0
    submitted = _moments(frame, "submitted_at")
    rows = online & ~np.isnat(submitted) & ~np.isnat(received) & (received >= submitted)
    positions = np.flatnonzero(rows)
    late = np.zeros(len(frame), dtype=bool)
    moved = np.zeros(len(frame), dtype=bool)
    days = np.zeros(len(frame), dtype=np.int64)
    if len(positions):
        sent_day = submitted[positions].astype("datetime64[D]")
        got_day = received[positions].astype("datetime64[D]")
        days[positions] = _working_days_between(sent_day, got_day, units.iloc[positions], calendar)
        working, _ = _day_kinds(sent_day, units.iloc[positions], calendar)
        minute = _minute_of_day(submitted[positions])
        asked = _moments(frame, "supplement_requested_at")[positions]
        asked_before = ~np.isnat(asked) & (asked <= received[positions])
        within = days[positions] <= settings.online_receipt_working_days
        late[positions] = ~within
        moved[positions] = (within & (got_day > sent_day) & working & (minute != 0)
                            & (minute >= settings.opens) & (minute <= settings.online_same_day_until)
                            & ~asked_before)

    def details(p):
        return {"submitted": stamps(submitted[p]), "received": stamps(received[p]), "days": days[p],
                "limit": np.full(len(p), settings.online_receipt_working_days)}
    return _found(late, details), _found(moved, details), int(rows.sum())


def _catalogue(frame: pd.DataFrame, procedures: pd.DataFrame | None, history: pd.DataFrame | None,
               calendar: WorkCalendar, settings: Settings):
    """Appointments written under a procedure's time before its change (module doc)."""
    nothing = ({}, {}, 0)
    if procedures is None or procedures.empty or "changed_date" not in procedures or "due_date" not in frame:
        return nothing
    catalogue = procedures.dropna(subset=["procedure_code"]).drop_duplicates("procedure_code")
    changed_by_code = pd.to_datetime(catalogue.set_index("procedure_code")["changed_date"]).dropna()
    if changed_by_code.empty:
        return nothing
    window = np.timedelta64(settings.after_change_days, "D")
    code = _column(frame, "procedure_code")
    changed = _lookup(code, changed_by_code).astype("datetime64[D]")
    received_day = _moments(frame, "received_at").astype("datetime64[D]")
    due = _moments(frame, "due_date").astype("datetime64[D]")
    after = (~np.isnat(changed) & ~np.isnat(due) & (received_day >= changed)
             & (received_day <= changed + window))
    rows = np.flatnonzero(after)
    if not len(rows):
        return nothing
    earlier = _time_before_change(history if history is not None else frame, changed_by_code, catalogue,
                                  calendar, settings)
    by_code = catalogue.set_index("procedure_code")["legal_days"]
    legal_days = pd.Series(_lookup(code.iloc[rows], by_code), dtype="Int64")
    before_days = pd.Series(_lookup(code.iloc[rows], earlier) if len(earlier) else None, index=legal_days.index,
                            dtype="Int64")
    learnt = before_days.notna().to_numpy(bool)
    differs = (legal_days != before_days).fillna(False).to_numpy(bool)
    # Only where an earlier time differs, or none was learnt, is there anything to compare: a change that
    # kept the time the unit used needs no due dates (most dossiers after most changes).
    compared = (learnt & differs) | ~learnt
    current = np.full(len(rows), np.datetime64("NaT"), dtype="datetime64[D]")
    old_due = current.copy()
    if compared.any():
        candidates = frame.iloc[rows[compared]]
        current[compared] = _due_at_receipt(candidates, catalogue, calendar)
        old_due[compared] = _due_at_receipt(candidates, catalogue.assign(
            legal_days=catalogue["procedure_code"].map(earlier).fillna(catalogue["legal_days"])), calendar)
    written = due[rows]
    old = learnt & differs & (written == old_due) & (written != current)
    unknown = ~learnt & ~np.isnat(current) & (written != current)
    old_mask, after_mask = np.zeros(len(frame), bool), np.zeros(len(frame), bool)
    old_mask[rows[old]], after_mask[rows[unknown]] = True, True

    def details(p):
        at = np.searchsorted(rows, p)  # each flagged row's place among the candidates
        return {"procedure": code.iloc[p].to_numpy(dtype=object, na_value=""), "changed": dates(changed[p]),
                "due_date": dates(due[p]), "legal_due": dates(current[at]),
                "legal_days": legal_days.to_numpy(dtype=object, na_value=None)[at],
                "before_days": before_days.to_numpy(dtype=object, na_value=None)[at]}
    return _found(old_mask, details), _found(after_mask, details), int(len(rows))


def _time_before_change(history: pd.DataFrame, changed_by_code: pd.Series, catalogue: pd.DataFrame,
                        calendar: WorkCalendar, settings: Settings) -> pd.Series:
    """Per changed procedure, the working days from receipt to appointment the unit most often wrote in the
    ``after_change_days`` before the change (at least ``min_before_change`` dossiers)."""
    code = _column(history, "procedure_code")
    changed = _lookup(code, changed_by_code).astype("datetime64[D]")
    received = _moments(history, "received_at")
    day = received.astype("datetime64[D]")
    due = _moments(history, "due_date").astype("datetime64[D]")
    window = np.timedelta64(settings.after_change_days, "D")
    before = ~np.isnat(changed) & ~np.isnat(due) & (day < changed) & (day >= changed - window)
    rows = np.flatnonzero(before)
    if not len(rows):
        return pd.Series(dtype="Int64")
    units = _column(history, "unit_code").iloc[rows]
    working, reception = _day_kinds(day[rows], units, calendar)
    # Received on a day off, counting starts a day later: one working day more to the same time.
    implied = _working_days_between(day[rows], due[rows], units, calendar) - (~working).astype(np.int64)
    implied = pd.Series(implied, index=code.iloc[rows].astype(str).to_numpy())
    implied = implied[implied >= 0]
    counts = implied.groupby(level=0).size()
    mode = implied.groupby(level=0).agg(lambda values: values.value_counts().idxmax())
    return mode[counts.reindex(mode.index) >= settings.min_before_change].astype("Int64")


def _due_at_receipt(candidates: pd.DataFrame, catalogue: pd.DataFrame, calendar: WorkCalendar) -> np.ndarray:
    """The legal due date (datetime64[D]) each dossier had when it was received, by ``timeliness.assess``
    with no supplement and no software status (those move or set aside the date later, not at receipt)."""
    columns = [c for c in _JUDGED_COLUMNS if c in candidates]
    judged = assess(candidates[columns].reset_index(drop=True), catalogue, calendar, as_of=None)
    return judged["legal_due_date"].to_numpy().astype("datetime64[D]")


# ---- helpers ----------------------------------------------------------------------------------------------
def _day_kinds(days: np.ndarray, units: pd.Series, calendar: WorkCalendar) -> tuple[np.ndarray, np.ndarray]:
    """Working days and reception days (a working day, or a reception Saturday), each unit by its calendar."""
    working, reception = (np.array(kind, dtype=bool) for kind in calendar.day_kinds(days))
    for unit_calendar, mask in calendar.unit_calendars(units.reset_index(drop=True)):
        if mask.any():
            working[mask], reception[mask] = unit_calendar.day_kinds(days[mask])
    return working, reception


def _working_days_between(start: np.ndarray, end: np.ndarray, units: pd.Series, calendar: WorkCalendar):
    counts = np.asarray(calendar.working_days_between(start, end), dtype=np.int64).copy()
    for unit_calendar, mask in calendar.unit_calendars(units.reset_index(drop=True)):
        if mask.any():
            counts[mask] = unit_calendar.working_days_between(start[mask], end[mask])
    return counts


def _found(mask: np.ndarray, details) -> dict:
    positions = np.flatnonzero(mask)
    return {"positions": positions, "details": details(positions)} if len(positions) else {}


def _column(frame: pd.DataFrame, name: str) -> pd.Series:
    return frame[name] if name in frame else pd.Series(pd.NA, index=frame.index, dtype="object")


def _moments(frame: pd.DataFrame, name: str) -> np.ndarray:
    """A date-time column as datetime64[m] (NaT where missing or absent)."""
    if name not in frame:
        return np.full(len(frame), np.datetime64("NaT"), dtype="datetime64[m]")
    return pd.to_datetime(frame[name]).to_numpy().astype("datetime64[m]")


def _minute_of_day(moment: np.ndarray) -> np.ndarray:
    """Minutes since midnight of each datetime64[m] (meaningless where NaT: callers look at known moments)."""
    return moment.astype(np.int64) % _MINUTES_PER_DAY


def _minutes(text: str) -> int:
    hours, minutes = str(text).strip().split(":")[:2]
    return int(hours) * 60 + int(minutes)


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _channel_codes(channel: pd.Series) -> np.ndarray:
    """Each dossier's channel as 1 (counter), 2 (online), 3 (postal) or 0 (none, or one isoaudit does not know);
    the log's text found by Arrow in one pass when it holds Arrow strings."""
    if isinstance(channel.array, pd.arrays.ArrowStringArray):
        found = pc.index_in(pa.array(channel.array), value_set=pa.array(CHANNELS))
        return (pc.fill_null(found, -1).to_numpy(zero_copy_only=False) + 1).astype(np.int8)
    mapping = pd.Series({name: float(code) for code, name in enumerate(CHANNELS, 1)})
    return np.nan_to_num(_lookup(channel, mapping), nan=0).astype(np.int8)


def _lookup(codes: pd.Series, mapping: pd.Series) -> np.ndarray:
    """``mapping``'s value for each of ``codes`` (NaT, NaN or None where none): each distinct code looked up once
    (a log's procedure codes are a few dozen values over a million rows; Arrow encodes them fast)."""
    encoded = pa.array(codes, from_pandas=True)
    if isinstance(encoded, pa.ChunkedArray):
        encoded = encoded.combine_chunks()
    if not pa.types.is_dictionary(encoded.type):
        encoded = pc.dictionary_encode(encoded)
    uniques = pd.Index(encoded.dictionary.to_pylist(), dtype=object).astype(str)
    values = pd.Series(mapping.to_numpy(), index=mapping.index.astype(str)).reindex(uniques).to_numpy()
    missing = np.array(["NaT"], dtype=values.dtype) if values.dtype.kind == "M" else \
        np.array([np.nan]) if values.dtype.kind == "f" else np.array([None], dtype=object)
    positions = encoded.indices.fill_null(len(uniques)).to_numpy(zero_copy_only=False)
    return np.concatenate([values, missing])[positions]


def _hhmm_array(minutes: np.ndarray) -> np.ndarray:
    return np.char.add(np.char.add(np.char.zfill((minutes // 60).astype(str), 2), ":"),
                       np.char.zfill((minutes % 60).astype(str), 2))

