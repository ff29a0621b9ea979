"""Was each dossier returned within its legal time? The one-stop rules of Nghị định 61/2018 (amended by
107/2021) applied to whole columns of a dossier log.

Rules, in working days of the unit's calendar:

- Counting starts on the working day after receipt. A dossier received on a non-working day (online, by
  post) counts as received on the next working day; at a unit with Saturday-morning reception, a dossier
  received on a Saturday before 12:00 counts as received that Saturday (so counting starts on Monday).
- Same-day procedures (``legal_days`` 0) are due on the day of receipt, or on the next working day when
  received after the procedure's ``cutoff_time`` (15:00 by default; exactly at the cut-off is in time).
  A receipt with no time of day (00:00: the log holds dates only) gets the benefit of the doubt: due the
  next working day. Multi-day procedures ignore the cut-off: counting starts the next working day anyway.
  A same-day dossier received on a non-working day (or at a Saturday reception) is due the next working day.
- Waiting for a requested supplement does not count. ``supplement_rule`` "pause" (default): the working days
  after the request up to the supplement's receipt (on a non-working day: the next working day) are added.
  "restart": the legal time counts afresh from the moment of the supplement's receipt (its time of day
  included), by the receipt rules above, and never makes the dossier due earlier than before the request. A
  request made after the legal due date pauses nothing (the dossier was already late); a supplement
  received before it was requested is ignored. Still waiting (requested, not received): the clock stays
  stopped until the return, or until ``as_of`` for a dossier not returned (``waiting_supplement``).
- Returned before the legal due date: early; on it: on_time; after it: late. Not returned: in_progress while
  ``as_of`` <= legal due date, overdue after. ``days_late`` counts the working days after the due date up
  to the return (or ``as_of``), at least 1 for a late or overdue dossier.
- A new appointment after an apology letter (``new_due_date``) does not cure lateness: the status stays
  against the legal due date; ``late_against_new_appointment`` says whether the new date was missed too.
- The software's own status (``log_status``, a code of ``isoaudit/data/dossier_states.csv``) counts as that
  table says. ``set_aside`` (withdrawn, refused, stopped): neither on time nor late, not overdue either; the
  status is <NA> with the state as ``unassessable_reason``. Every other state is judged from the dates as
  above, whatever the software says, and the claim is checked against them: ``finished`` (returned, handled)
  with no return date sets ``log_finished_without_return``; ``open`` (received, in progress, waiting for a
  supplement) with a return date sets ``log_open_with_return``; ``dates`` (overdue) claims nothing. Dates win
  over the status (a status typed wrong must not improve a figure), and the disagreement is a finding.
"""
from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from importlib import resources

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from isoaudit.calendar import TABLE_YEARS, WorkCalendar

STATUSES = ("early", "on_time", "late", "in_progress", "overdue")
LATE_STATUSES = ("late", "overdue")
# Why a dossier is not judged: these, then the set-aside states of STATES_FILE (``REASONS``, read on first use).
DATA_REASONS = ("unknown_procedure", "no_legal_days", "no_received_at", "returned_before_received")
STATES_FILE = "dossier_states.csv"
COUNTED_AS = ("open", "finished", "dates", "set_aside")  # how a state of the log counts (see the module doc)
DEFAULT_CUTOFF = "15:00"
SATURDAY_RECEPTION_UNTIL = 12 * 60  # minutes after midnight: Saturday reception is a morning service

# Columns assess() adds to the dossier's own (``field`` only when the dossiers lack one).
ASSESSMENT_COLUMNS = [
    "field", "legal_days", "supplement_days", "waiting_supplement", "legal_due_date", "status", "days_late",
    "appointment_beyond_legal", "late_without_apology", "late_against_new_appointment", "unassessable_reason",
    "log_finished_without_return", "log_open_with_return",
]
STATUS_DTYPE = pd.CategoricalDtype(STATUSES)

_EARLY, _ON_TIME, _LATE, _IN_PROGRESS, _OVERDUE = range(5)
_DEFAULT_CUTOFF_MINUTES = 15 * 60  # DEFAULT_CUTOFF in minutes
# Dates are worked on as int64 day (or minute) numbers since 1970: numpy's datetime64 comparisons and unit casts
# cost several times the same integer operations. NaT is the smallest int64.
_NAT = np.iinfo(np.int64).min
_MINUTES_PER_DAY = 24 * 60
# A receipt outside the calendar's years is a typing error, judged as no receipt (the calendar reads it as NaT).
_FIRST_DAY = int(np.datetime64(f"{TABLE_YEARS[0]}-01-01", "D").view(np.int64))
_AFTER_LAST_DAY = int(np.datetime64(f"{TABLE_YEARS[1] + 1}-01-01", "D").view(np.int64))
_TICKS_PER_SECOND = {"s": 1, "ms": 10**3, "us": 10**6, "ns": 10**9}
_SECONDS_PER = {"m": 60, "D": 24 * 60 * 60}


def assess(dossiers: pd.DataFrame, procedures: pd.DataFrame, calendar: WorkCalendar,
           as_of=None) -> pd.DataFrame:
    """One row per dossier, in order: its own columns plus ``ASSESSMENT_COLUMNS``.

    ``legal_days``, ``supplement_days`` and ``days_late`` are working days (Int64); ``legal_due_date`` a
    date; ``status`` one of ``STATUSES`` (categorical; <NA> when the dossier cannot be judged, with the
    reason in ``unassessable_reason``, one of ``REASONS``); flags are nullable booleans (the two ``log_*``
    flags <NA> where the log gives no status); ``field`` is the procedure's (categorical). Procedures are
    joined by ``procedure_code``; ``as_of`` (a date, or dd/mm/yyyy text; default today) judges the dossiers
    not yet returned. Each unit is judged under ``calendar.for_unit(unit_code)``.
    """
    as_of_day = _as_day(date.today() if as_of is None else as_of)
    catalogue = procedures.drop_duplicates("procedure_code").reset_index(drop=True)
    lookup = _lookup(_column(dossiers, "procedure_code"), catalogue["procedure_code"])
    state = _log_states(dossiers)
    rows = _Rows.from_frames(dossiers, catalogue, lookup, state)
    # Every row under the shared calendar first, then the few units with their own calendar again.
    result = _judge(rows, calendar, as_of_day)
    for unit_calendar, mask in calendar.unit_calendars(_column(dossiers, "unit_code")):
        positions = np.flatnonzero(mask)
        if positions.size:
            for name, values in _judge(rows.subset(positions), unit_calendar, as_of_day).items():
                result[name][positions] = values
    columns = _columns(dossiers, rows, result, as_of_day, state)
    if "field" not in dossiers:
        columns = {"field": _field(catalogue, lookup), **columns}
    return dossiers.assign(**{name: column.set_axis(dossiers.index) for name, column in columns.items()})


def due_on_receipt(calendar: WorkCalendar, day: np.ndarray, minute: np.ndarray, legal_days: np.ndarray,
                   cutoff: np.ndarray) -> np.ndarray:
    """Legal due dates (datetime64[D]) of dossiers received on ``day`` (datetime64[D]) at ``minute`` (after
    midnight) under the receipt rules of this module; ``legal_days`` in working days; ``cutoff`` in minutes."""
    working = calendar.is_working_day(day)
    received_that_day = working
    if calendar.saturday_reception:
        # Saturday-morning reception: the receipt counts on the Saturday itself (counting starts Monday).
        received_that_day = working | (calendar.is_reception_day(day) & (minute < SATURDAY_RECEPTION_UNTIL))
    after_cutoff = (minute > cutoff) | (minute == 0)  # 00:00: no time recorded, benefit of the doubt
    # One more working day when counting starts the day after (same-day: when due the next working day);
    # bitwise rather than np.where, which is several times slower on a mixed mask.
    same_day = legal_days == 0
    one_more = (same_day & working & after_cutoff) | (~same_day & ~received_that_day)
    return calendar.add_working_days(day, (legal_days + one_more).astype(np.int64, copy=False))


@dataclass(frozen=True)
class DossierState:
    """A status of the one-stop software (a ``dossier_state`` code of vocabulary.csv) and how it counts:
    ``counted_as`` one of ``COUNTED_AS``; notes in both languages; the legal basis, where there is one."""

    code: str
    counted_as: str
    note_vi: str
    note_en: str
    source: str = ""


@lru_cache(maxsize=1)
def dossier_states() -> tuple[DossierState, ...]:
    """The rows of ``data/dossier_states.csv`` in file order (columns: code, counted_as, note_vi, note_en,
    source)."""
    text = resources.files("isoaudit.data").joinpath(STATES_FILE).read_text(encoding="utf-8")
    states = []
    for number, row in enumerate(csv.DictReader(text.splitlines()), start=2):
        state = DossierState(*(str(row.get(k) or "").strip() for k in
                               ("code", "counted_as", "note_vi", "note_en", "source")))
        if not state.code or state.counted_as not in COUNTED_AS:
            raise ValueError(f"{STATES_FILE} line {number}: no code, or counted_as {state.counted_as!r} is not "
                             f"one of {', '.join(COUNTED_AS)}")
        states.append(state)
    return tuple(states)


@lru_cache(maxsize=1)
def reasons() -> tuple[str, ...]:
    """Why a dossier is not judged: ``DATA_REASONS``, then the set-aside states of the log in file order."""
    return DATA_REASONS + tuple(s.code for s in dossier_states() if s.counted_as == "set_aside")


def __getattr__(name: str):
    # REASONS and REASON_DTYPE grow with the data file, read on first use rather than at import.
    if name == "REASONS":
        return reasons()
    if name == "REASON_DTYPE":
        return pd.CategoricalDtype(reasons())
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _judge(rows: "_Rows", calendar: WorkCalendar, as_of: np.datetime64) -> dict[str, np.ndarray]:
    """Legal due date, status and lateness of ``rows`` under one calendar (rows that cannot be judged get
    meaningless values, masked later)."""
    due = due_on_receipt(calendar, rows.received_day, rows.received_minute, rows.legal_days, rows.cutoff)
    supplement_days = np.zeros(len(due), dtype=np.int64)
    waiting = np.zeros(len(due), dtype=bool)
    # A request of a dossier with no due date (no receipt) moves nothing: the dossier is not judged.
    with_request = np.flatnonzero((rows.supplement_requested.view(np.int64) != _NAT) & (due.view(np.int64) != _NAT))
    if with_request.size:
        asked = rows.subset(with_request)
        new_due, waits = _after_supplement(asked, due[with_request], calendar, as_of)
        supplement_days[with_request] = calendar.working_days_between(due[with_request], new_due)
        due[with_request] = new_due
        waiting[with_request] = waits

    due_number, returned = due.view(np.int64), rows.returned_day.view(np.int64)
    not_returned = returned == _NAT
    # Codes in STATUSES order: early, on_time, late = 1 + sign(returned - due); in_progress, overdue.
    # (int8 throughout: a byte a row instead of eight for every step.)
    difference = returned - due_number
    status = np.subtract(difference > 0, difference < 0, dtype=np.int8)
    status += _ON_TIME
    open_rows = np.flatnonzero(not_returned)
    status[open_rows] = _IN_PROGRESS + (as_of.view(np.int64) > due_number[open_rows])
    days_late = np.zeros(len(due), dtype=np.int64)
    behind = np.flatnonzero(((status == _LATE) | (status == _OVERDUE)) & (due_number != _NAT))
    if behind.size:
        until = np.where(not_returned[behind], as_of, rows.returned_day[behind])
        # Returned on a Saturday after a Friday due date is still a day late: at least 1.
        days_late[behind] = np.maximum(calendar.working_days_between(due[behind], until), 1)
    return {"legal_due_date": due, "status": status, "days_late": days_late,
            "supplement_days": supplement_days, "waiting_supplement": waiting}


def _after_supplement(rows: "_Rows", due: np.ndarray, calendar: WorkCalendar,
                      as_of: np.datetime64) -> tuple[np.ndarray, np.ndarray]:
    """(legal due dates, still waiting) of dossiers with a supplement request, whose due date before the
    supplement is ``due``. Invalid requests (before receipt, after the due date, answered before asked)
    leave the due date alone."""
    # Day and minute numbers (every request has a date; receipt, supplement, due date and return may not).
    requested_at = _numbers(rows.supplement_requested, "m")
    requested = requested_at // _MINUTES_PER_DAY
    supplied_at = _numbers(rows.supplement_received, "m")
    received = rows.received_day.view(np.int64)
    not_supplied = supplied_at == _NAT
    not_returned = rows.returned_day.view(np.int64) == _NAT
    counts = (requested >= received) & (received != _NAT) & (requested <= due.view(np.int64))
    counts &= not_supplied | (supplied_at // _MINUTES_PER_DAY >= requested)
    waiting = counts & not_supplied & not_returned
    # Not yet supplied: the clock stays stopped until the return, or until as_of.
    # At the minute: a restart counts from the moment the clock resumed, its time of day included.
    as_of_minute = as_of.astype("datetime64[m]").view(np.int64)
    resumed_at = np.where(not_supplied, np.where(not_returned, as_of_minute, _numbers(rows.returned_at, "m")),
                          supplied_at)
    resumed_at = np.maximum(resumed_at, requested_at)
    resumed_day = resumed_at // _MINUTES_PER_DAY
    requested, resumed_day = requested.view("datetime64[D]"), resumed_day.view("datetime64[D]")
    new_due = due.copy()
    pause = counts & ~rows.restart
    if pause.any():
        resumed = calendar.add_working_days(resumed_day[pause], 0)
        waited = calendar.working_days_between(requested[pause], resumed)
        new_due[pause] = calendar.add_working_days(due[pause], np.maximum(waited, 0))
    restart = counts & rows.restart
    if restart.any():
        minute = resumed_at[restart] % _MINUTES_PER_DAY
        # Counting afresh from a later moment never makes the dossier due earlier than before the request.
        new_due[restart] = np.maximum(due_on_receipt(calendar, resumed_day[restart], minute,
                                                     rows.legal_days[restart], rows.cutoff[restart]), due[restart])
    return new_due, waiting


@dataclass
class _Rows:
    """What the rules need of each dossier and its procedure, as numpy arrays."""

    received_day: np.ndarray  # datetime64[D]
    received_minute: np.ndarray  # int16 minutes after midnight (meaningless where received_day is NaT)
    returned_day: np.ndarray  # datetime64[D]
    returned_at: np.ndarray  # datetime64 with time: the return's moment (a restart may count from it)
    supplement_requested: np.ndarray  # datetime64 with time
    supplement_received: np.ndarray
    legal_days: np.ndarray  # int64, 0 where unknown
    cutoff: np.ndarray  # int16 minutes after midnight
    restart: np.ndarray  # bool: supplement_rule "restart"
    reason: np.ndarray  # int8 code of REASONS, -1 when the dossier can be judged

    @classmethod
    def from_frames(cls, dossiers: pd.DataFrame, catalogue: pd.DataFrame, lookup: np.ndarray,
                    state: np.ndarray | None = None) -> "_Rows":
        """``lookup``: each dossier's row in ``catalogue``, ``len(catalogue)`` when unknown; ``state``: each
        dossier's row in ``dossier_states()``, -1 without one (None: the log has no status)."""
        legal = catalogue["legal_days"].astype("Int64")
        legal_days = np.append(legal.fillna(0).to_numpy(dtype=np.int64), 0)[lookup]
        cutoff = np.append(_cutoff_minutes(catalogue), _DEFAULT_CUTOFF_MINUTES).astype(np.int16)[lookup]
        restart = np.append(_restarts(catalogue), False)[lookup]
        received = _numbers(_datetimes(dossiers, "received_at"), "m")
        received_day = _divided(received, _MINUTES_PER_DAY)
        # int16: a minute of the day fits, and the rules compare it a few times over every row.
        received_minute = (received - received_day * _MINUTES_PER_DAY).astype(np.int16)
        received_day = received_day.view("datetime64[D]")
        returned_at = _datetimes(dossiers, "returned_date")
        returned_day = _numbers(returned_at, "D").view("datetime64[D]")
        reason = np.full(len(dossiers), -1, dtype=np.int8)
        # Later assignments win, so the first-listed reason is reported when several apply.
        if state is not None:
            reason[:] = _set_aside_reasons()[state]
        reason[returned_day < received_day] = 3
        day_number = received_day.view(np.int64)
        reason[(day_number < _FIRST_DAY) | (day_number >= _AFTER_LAST_DAY)] = 2  # NaT is the smallest int64
        # A procedure's reason (0: unknown, 1: no legal days) is the catalogue's, looked up once per row.
        has_days = (legal >= 0).fillna(False).to_numpy(dtype=bool)
        by_procedure = np.append(np.where(has_days, -1, 1), 0).astype(np.int8)[lookup]
        unjudged = np.flatnonzero(by_procedure >= 0)
        reason[unjudged] = by_procedure[unjudged]
        return cls(received_day, received_minute, returned_day, returned_at,
                   _datetimes(dossiers, "supplement_requested_at"), _datetimes(dossiers, "supplement_received_at"),
                   legal_days, cutoff, restart, reason)

    def subset(self, rows: np.ndarray) -> "_Rows":
        """The rows picked by a boolean mask or by positions."""
        return _Rows(**{name: value[rows] for name, value in vars(self).items()})


def _columns(dossiers: pd.DataFrame, rows: _Rows, result: dict[str, np.ndarray], as_of: np.datetime64,
             state: np.ndarray | None) -> dict[str, pd.Series]:
    """The assessment columns, with missing values where a dossier cannot be judged (``result``'s arrays
    are overwritten); ``state`` as ``_log_states`` gives it."""
    missing = rows.reason >= 0
    due, status = result["legal_due_date"], result["status"]
    due_number = due.view(np.int64)
    due[missing] = np.datetime64("NaT")
    status[missing] = -1
    behind = (status == _LATE) | (status == _OVERDUE)
    appointment = _numbers(_datetimes(dossiers, "due_date"), "D")
    apology = _datetimes(dossiers, "apology_date").view(np.int64)
    return {
        "legal_days": _ints(rows.legal_days, (rows.reason == 0) | (rows.reason == 1)),
        "supplement_days": _ints(result["supplement_days"], missing),
        "waiting_supplement": _bools(result["waiting_supplement"], missing),
        "legal_due_date": pd.Series(_microseconds(due), copy=False),
        "status": pd.Series(pd.Categorical.from_codes(status, dtype=STATUS_DTYPE)),
        "days_late": _ints(result["days_late"], missing),
        "appointment_beyond_legal": _bools((appointment > due_number) & (due_number != _NAT),
                                           missing | (appointment == _NAT)),
        "late_without_apology": _bools(behind & (apology == _NAT), missing),
        "late_against_new_appointment": _new_appointment_missed(dossiers, rows, missing, as_of),
        "unassessable_reason": pd.Series(pd.Categorical.from_codes(rows.reason,
                                                                   dtype=pd.CategoricalDtype(reasons()))),
        **_log_conflicts(state, rows.returned_day),
    }


def _log_states(dossiers: pd.DataFrame) -> np.ndarray | None:
    """Each dossier's row in ``dossier_states()`` by its ``log_status`` code (-1: none, or a code the table
    does not know); None when the frame has no such column. Codes are hashed once each."""
    if "log_status" not in dossiers:
        return None
    column = dossiers["log_status"]
    if isinstance(column.dtype, pd.CategoricalDtype):
        positions, uniques = column.cat.codes.to_numpy(), column.cat.categories
    else:
        positions, uniques = pd.factorize(column)
    rows = {state.code: number for number, state in enumerate(dossier_states())}
    found = [rows.get(str(code).strip(), -1) for code in uniques]
    return np.array(found + [-1], dtype=np.int8)[positions]  # position -1 (no status) takes the last


def _set_aside_reasons() -> np.ndarray:
    """Indexed by a row of ``dossier_states()`` (or -1, last): its code in ``reasons()``, -1 if judged."""
    codes = reasons()
    return np.array([codes.index(s.code) if s.counted_as == "set_aside" else -1 for s in dossier_states()] + [-1],
                    dtype=np.int8)


def _log_conflicts(state: np.ndarray | None, returned_day: np.ndarray) -> dict[str, pd.Series]:
    """``log_finished_without_return`` and ``log_open_with_return``: the software's status against the return
    date; <NA> where the log gives no status it knows."""
    if state is None:  # no status column: nothing to compare, every flag <NA>
        return {name: _bools(np.zeros(len(returned_day), dtype=bool), np.ones(len(returned_day), dtype=bool))
                for name in ("log_finished_without_return", "log_open_with_return")}
    counted = np.array([s.counted_as for s in dossier_states()] + [""])  # the last for -1
    returned = returned_day.view(np.int64) != _NAT
    unknown = state < 0
    return {"log_finished_without_return": _bools((counted == "finished")[state] & ~returned, unknown),
            "log_open_with_return": _bools((counted == "open")[state] & returned, unknown)}


def _new_appointment_missed(dossiers: pd.DataFrame, rows: _Rows, missing: np.ndarray,
                            as_of: np.datetime64) -> pd.Series:
    """Returned (or, not returned, still open at ``as_of``) after the new appointment of an apology letter;
    <NA> without one. Few dossiers have one: only those are looked at."""
    new_due = _datetimes(dossiers, "new_due_date")
    given = np.flatnonzero((new_due.view(np.int64) != _NAT) & ~missing)
    missed = np.zeros(len(new_due), dtype=bool)
    returned = rows.returned_day[given]
    finished = np.where(np.isnat(returned), as_of, returned)
    missed[given] = finished > new_due[given].astype("datetime64[D]")
    unknown = np.ones(len(new_due), dtype=bool)
    unknown[given] = False
    return _bools(missed, unknown)


def _lookup(codes: pd.Series, catalogue_codes: pd.Series) -> np.ndarray:
    """Each dossier's row in the catalogue (``len(catalogue)`` when unknown): ``_plain_lookup``'s answer, found
    faster for codes held as Arrow strings."""
    keys = pd.Index(catalogue_codes.astype("string").str.strip())
    if not isinstance(codes.array, pd.arrays.ArrowStringArray) or keys.hasnans or not keys.is_unique:
        return _plain_lookup(codes, keys)
    # Arrow finds the codes written exactly as the catalogue's in one pass, without gathering the distinct
    # codes first; only the others (padded, missing, unknown) go the plain way.
    text = pa.array(codes.array)
    found = pc.index_in(text, value_set=pa.array(keys.array).cast(text.type), skip_nulls=True)
    rows = pc.fill_null(found, -1).to_numpy().astype(np.int64)
    others = np.flatnonzero(rows < 0)
    if others.size:
        rows[others] = _plain_lookup(codes.iloc[others], keys)
    return rows


def _plain_lookup(codes: pd.Series, keys: pd.Index) -> np.ndarray:
    """Each code's position in ``keys`` (the catalogue's codes, stripped), ``len(keys)`` when not there; codes
    are stripped too, and each distinct one hashed once."""
    positions, uniques = pd.factorize(codes)
    found = keys.get_indexer(pd.Index(pd.Series(uniques, dtype="string").str.strip()))
    found = np.where(found < 0, len(keys), found)
    return np.append(found, len(keys))[positions]  # position -1 (missing code) takes the last


def _field(catalogue: pd.DataFrame, lookup: np.ndarray) -> pd.Series:
    fields = catalogue["field"] if "field" in catalogue else pd.Series(pd.NA, index=catalogue.index)
    codes, categories = pd.factorize(fields.astype("string"))
    return pd.Series(pd.Categorical.from_codes(np.append(codes, -1)[lookup], categories=categories))


def _cutoff_minutes(catalogue: pd.DataFrame) -> np.ndarray:
    texts = catalogue["cutoff_time"] if "cutoff_time" in catalogue else pd.Series(pd.NA, index=catalogue.index)
    # The catalogue has tens of rows: parsing each one is cheap.
    return np.array([_minutes(t) for t in texts], dtype=np.int64).reshape(-1)


def _minutes(text) -> int:
    """Minutes after midnight of "HH:MM" text; the default cut-off when missing or unreadable."""
    try:
        hours, minutes = str(text).strip().split(":")[:2]
        value = int(hours) * 60 + int(minutes)
    except ValueError:
        return _DEFAULT_CUTOFF_MINUTES
    return value if 0 <= value < 24 * 60 else _DEFAULT_CUTOFF_MINUTES


def _restarts(catalogue: pd.DataFrame) -> np.ndarray:
    if "supplement_rule" not in catalogue:
        return np.zeros(len(catalogue), dtype=bool)
    return catalogue["supplement_rule"].astype("string").str.strip().str.lower().eq("restart").fillna(False) \
        .to_numpy(dtype=bool)


def _column(frame: pd.DataFrame, name: str) -> pd.Series:
    return frame[name] if name in frame else pd.Series(pd.NA, index=frame.index, dtype="string")


def _datetimes(frame: pd.DataFrame, name: str) -> np.ndarray:
    """A datetime64 numpy array of ``frame[name]`` (all NaT when the column is absent)."""
    if name not in frame:
        return np.full(len(frame), np.datetime64("NaT", "us"))
    column = frame[name]
    if not pd.api.types.is_datetime64_dtype(column.dtype):
        column = pd.to_datetime(column, dayfirst=True, format="mixed", errors="coerce")
    return column.to_numpy()


def _numbers(values: np.ndarray, unit: str) -> np.ndarray:
    """int64 numbers of minutes ("m") or days ("D") since 1970 of datetime64 ``values``, floored as numpy's
    casts are; NaT stays ``_NAT``. A fresh array."""
    tick, count = np.datetime_data(values.dtype)
    if tick not in _TICKS_PER_SECOND or count != 1:
        return values.astype(f"datetime64[{unit}]").view(np.int64)
    return _divided(values.view(np.int64), _TICKS_PER_SECOND[tick] * _SECONDS_PER[unit])


def _divided(numbers: np.ndarray, divisor: int) -> np.ndarray:
    """``numbers // divisor`` (floored), NaT kept."""
    result = numbers // divisor
    result[numbers == _NAT] = _NAT
    return result


def _microseconds(days: np.ndarray) -> np.ndarray:
    """datetime64[D] ``days`` as datetime64[us] (the unit pandas gives parsed dates)."""
    numbers = days.view(np.int64)
    result = numbers * (_SECONDS_PER["D"] * _TICKS_PER_SECOND["us"])
    result[numbers == _NAT] = _NAT
    return result.view("datetime64[us]")


def _as_day(value) -> np.datetime64:
    stamp = pd.to_datetime(value, dayfirst=True, format="mixed") if isinstance(value, str) else pd.Timestamp(value)
    return np.datetime64(stamp.date(), "D")


# The arrays given are assess's own (never the caller's) and masks are copied, as several columns share one:
# wrapping without a further copy is safe, and pandas >= 3 copies by default.
def _ints(values: np.ndarray, missing: np.ndarray) -> pd.Series:
    return pd.Series(pd.arrays.IntegerArray(values.astype(np.int64, copy=False), missing.copy()), copy=False)


def _bools(values: np.ndarray, missing: np.ndarray) -> pd.Series:
    return pd.Series(pd.arrays.BooleanArray(np.asarray(values, dtype=bool), missing.copy()), copy=False)
