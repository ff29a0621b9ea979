"""One year of a unit's dossiers: receipts, supplements, returns, late dossiers and apology letters, as the
unit's counter behaves (``UnitProfile``) and by the receipt rules of ``isoaudit.timeliness``."""
from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from isoaudit.calendar import WorkCalendar
from isoaudit.one_stop_rules import rule_sets
from isoaudit.synthetic.catalogue import load_catalogue
from isoaudit.synthetic.district_calendar import (
    district_calendar,
    reception_saturdays,
    working_days,
)
from isoaudit.synthetic.due_dates import (
    AFTERNOON_OPENS,
    CLOSES,
    DEFAULT_CUTOFF,
    MORNING_ENDS,
    OPENS,
    due_index,
)
from isoaudit.synthetic.log_layouts import LOG_STYLES
from isoaudit.synthetic.people import applicants, officers
from isoaudit.synthetic.units import UnitProfile, agency
from isoaudit.synthetic.words import dossier_words, log_columns

POSTAL_SHARE = 0.015
BASE_LATE_RATE = 0.02  # late share of an ordinary procedure at an ordinary unit
STUCK_SHARE = 0.1  # of the late-prone dossiers, those never returned by the year's end (overdue)
SATURDAY_SHARE = 0.04  # counter dossiers received on Saturday mornings where the unit opens then
STOPPED_SHARE = 0.012  # dossiers whose handling is stopped with a notice, where the rules allow it
STATUSES = ("early", "on_time", "late", "in_progress", "overdue", "stopped")


def generate_dossiers(unit: UnitProfile, year: int, rng: np.random.Generator, n: int | None = None,
                      catalogue: pd.DataFrame | None = None, calendar: WorkCalendar | None = None,
                      neighbours: list[UnitProfile] | None = None, until: int | None = None,
                      received_from: date | None = None, received_to: date | None = None) -> pd.DataFrame:
    """One year of ``unit``'s dossiers, sorted by receipt: canonical dossier columns plus what the generator
    knows (``field``, ``legal_days``, ``legal_due_date`` with pauses, ``status`` as of 31/12, ``sets``,
    ``appointment_beyond_legal``, ``late_without_apology``, ``status_text``).

    Dossiers are received from ``received_from`` to ``received_to`` (default the whole year: a unit valid
    for part of it). The log is seen at the end of year ``until`` (default ``year``): what happens later
    (returns, supplements, apologies) is not in it yet. A previous year's log seen a year later has its
    January returns. Where the rules in force at receipt allow it and the unit's software shows a status,
    a few dossiers are stopped with a notice (``STOPPED_SHARE``): never returned, judged neither way."""
    n = unit.dossiers if n is None else n
    catalogue = load_catalogue() if catalogue is None else catalogue
    calendar = calendar or district_calendar(year)
    if unit.saturday_reception:
        calendar = calendar.with_saturday_reception([unit.unit_code])
    calendar = calendar.for_unit(unit.unit_code)
    workdays = working_days(calendar, year - 1, year + 1)
    saturdays = reception_saturdays(calendar, year, year) if unit.saturday_reception else workdays[:0]
    first = np.datetime64(received_from or date(year, 1, 1), "D")
    last = np.datetime64(received_to or date(year, 12, 31), "D")

    weights = catalogue["weight"].to_numpy() * rng.lognormal(0.0, 0.3, len(catalogue))  # each unit its own mix
    proc = rng.choice(len(catalogue), n, p=weights / weights.sum())
    channel = _channels(rng, catalogue["online_share"].to_numpy()[proc])
    received = _receipt_times(rng, channel, workdays, saturdays, first, last)
    order = np.argsort(received, kind="stable")
    proc, channel, received = proc[order], channel[order], received[order]

    def column(name: str) -> np.ndarray:
        """A catalogue column, one value per dossier."""
        return catalogue[name].to_numpy()[proc]

    legal = column("legal_days").astype(np.int64)
    cutoff = np.where(legal == 0, DEFAULT_CUTOFF, CLOSES)

    day = received.astype("datetime64[D]")
    minute = (received - day.astype("datetime64[m]")).astype(np.int64)
    # Dates are handled as indexes into ``workdays``: adding k means k working days later.
    idx = np.searchsorted(workdays, day)  # the receipt day, or the next working day
    after = idx + (workdays[idx] == day)  # the first working day after the receipt day
    due = due_index(received, legal, cutoff, workdays, saturdays)
    supplement, asked, supplied, legal_due = _supplements(rng, legal, after, due, column("supplement_share"),
                                                          column("supplement_rule") == "restart")
    written = due + (rng.random(n) < unit.appointment_beyond_share) * rng.integers(1, 4, n)
    # The office works to the appointment it wrote, moved by the supplement's wait like the legal due date.
    target = written + (legal_due - due)
    late_rate = np.clip(BASE_LATE_RATE * unit.late_factor * column("late_factor"), 0.0, 0.6)
    earliest = np.where(supplement, supplied, np.where(legal > 0, after, idx))
    late, stuck, returned = _returns(rng, late_rate, legal, target, earliest)
    apology, apology_at, new_due = _apologies(rng, unit.apology_share, late, stuck, target, returned, idx)

    # Times of day: after whatever happened earlier that day, else in office hours.
    supplied_minute = rng.integers(OPENS + 15, CLOSES - 15, n)
    earlier_that_day = np.where(workdays[returned] == day, minute,
                                np.where(supplement & (returned == supplied), supplied_minute, -1))
    returned_minute = np.where(earlier_that_day >= 0, np.minimum(earlier_that_day + rng.integers(15, 120, n), 1075),
                               rng.integers(OPENS + 15, CLOSES - 10, n))
    asked_minute = rng.integers(480, 990, n)
    transferred = np.minimum(idx + np.where(legal > 0, rng.integers(0, 2, n), 0), returned)
    result_back = np.maximum(returned - np.where(legal > 0, rng.integers(0, 2, n), 0), transferred)

    seen = year if until is None else until
    end = np.datetime64(f"{seen}-12-31T23:59", "m")
    returned_at = _at(workdays, returned, returned_minute)
    returned_at = np.where(stuck | (returned_at > end), np.datetime64("NaT"), returned_at)
    asked_at = np.where(supplement, _at(workdays, asked, asked_minute), np.datetime64("NaT"))
    asked_at = np.where(asked_at > end, np.datetime64("NaT"), asked_at)
    supplied_at = np.where(np.isnat(asked_at), np.datetime64("NaT"), _at(workdays, supplied, supplied_minute))
    supplied_at = np.where(supplied_at > end, np.datetime64("NaT"), supplied_at)
    returned_at = np.where(~np.isnat(asked_at) & np.isnat(supplied_at), np.datetime64("NaT"), returned_at)
    apology_day = np.where(apology, workdays[apology_at], np.datetime64("NaT"))
    apology_day = np.where(apology_day > end, np.datetime64("NaT"), apology_day)
    new_due_day = np.where(np.isnat(apology_day), np.datetime64("NaT"), workdays[new_due])
    result_day = np.where(np.isnat(returned_at), np.datetime64("NaT"), workdays[result_back])

    stopped = _stopped(rng, received, unit)
    returned_at = np.where(stopped, np.datetime64("NaT"), returned_at)
    apology_day = np.where(stopped, np.datetime64("NaT"), apology_day)
    new_due_day = np.where(stopped, np.datetime64("NaT"), new_due_day)
    result_day = np.where(stopped, np.datetime64("NaT"), result_day)
    legal_due_day = workdays[legal_due]
    status = _status(returned_at, legal_due_day, np.datetime64(f"{seen}-12-31"), stopped)
    frame = pd.DataFrame({
        "dossier_id": _dossier_ids(unit, received, year, rng),
        "unit_code": pd.Categorical.from_codes(np.zeros(n, dtype=np.int8), [unit.unit_code]),
        "procedure_code": pd.Categorical.from_codes(proc, catalogue["procedure_code"].astype(str).tolist()),
        "procedure_name": pd.Categorical.from_codes(proc, catalogue["procedure_name"].astype(str).tolist()),
        "field": pd.Categorical(column("field")),
    })
    applicant, contact = applicants(rng, n, unit, neighbours or [unit], frame["field"].to_numpy())
    handled = column("handled_by")
    frame = frame.assign(
        applicant=applicant,
        applicant_contact=contact,
        received_at=received.astype("datetime64[us]"),
        due_date=workdays[written].astype("datetime64[us]"),
        returned_date=returned_at.astype("datetime64[us]"),
        channel=pd.Categorical.from_codes(channel, list(dossier_words()["channels"])),
        supplement_requested_at=asked_at.astype("datetime64[us]"),
        supplement_received_at=supplied_at.astype("datetime64[us]"),
        apology_date=apology_day.astype("datetime64[us]"),
        new_due_date=new_due_day.astype("datetime64[us]"),
        # "unit" in the catalogue: the unit's own committee handles the procedure.
        handling_agency=pd.Categorical(np.where(handled == "unit", agency(unit.lower_name), handled)),
        transferred_date=workdays[transferred].astype("datetime64[us]"),
        result_received_date=result_day.astype("datetime64[us]"),
        officer=officers(rng, n, unit),
        legal_days=legal,
        legal_due_date=legal_due_day.astype("datetime64[us]"),
        status=status,
        sets=np.where(rng.random(n) < 0.03, 2, 1),
    )
    frame["appointment_beyond_legal"] = written > due  # the appointment is written at receipt
    frame["late_without_apology"] = frame["status"].isin(["late", "overdue"]).to_numpy() & np.isnat(apology_day)
    frame["status_text"] = _status_text(frame)
    frame["note"] = _notes(rng, frame, supplement)
    return frame


def renumber(dossiers: pd.DataFrame, unit: UnitProfile, year: int) -> pd.DataFrame:
    """``dossiers`` (sorted by receipt) with the ids ``unit``'s software gives them: one log written by two
    units under one code keeps one numbering."""
    return dossiers.assign(dossier_id=_dossier_ids(unit, dossiers["received_at"].to_numpy(), year, None))


def _stopped(rng, received, unit: UnitProfile) -> np.ndarray:
    """Dossiers stopped with a notice: only those received under rules that have the stopped state, and only
    where the unit's log has a status column to say so."""
    style = LOG_STYLES.get(unit.style, LOG_STYLES["export_a"])
    if style.layout != "flat" or "status_text" not in dict(log_columns(style.columns)):
        return np.zeros(len(received), dtype=bool)
    allowed = np.zeros(len(received), dtype=bool)
    for rules in rule_sets():
        if rules.has_stopped_state:
            inside = received >= np.datetime64(rules.valid_from or date.min, "m")
            if rules.valid_to is not None:
                inside &= received < np.datetime64(rules.valid_to, "m") + np.timedelta64(1, "D")
            allowed |= inside
    return allowed & (rng.random(len(received)) < STOPPED_SHARE)


def _supplements(rng, legal, after, due, share, restart):
    """Which dossiers wait for a supplement, when it is asked (between the day after receipt and the legal due
    date) and supplied (1..15 working days later), and the legal due date once the wait is allowed for:
    "pause" adds the working days waited, "restart" counts the legal time afresh from the supplement."""
    n = len(legal)
    supplement = (legal > 0) & (rng.random(n) < share)
    asked = np.minimum(after + (rng.random(n) * np.maximum(due - after, 0)).astype(np.int64), due)
    supplied = asked + np.minimum(rng.geometric(0.3, n), 15)
    legal_due = np.where(supplement, np.where(restart, supplied + legal, due + (supplied - asked)), due)
    return supplement, asked, supplied, legal_due


def _returns(rng, late_rate, legal, target, earliest):
    """Return days: mostly on or before the target (multi-day procedures often early), late ones 1..25
    working days after it; a few late-prone multi-day dossiers are stuck, never returned (overdue at year end)."""
    n = len(legal)
    late = rng.random(n) < late_rate
    stuck = (rng.random(n) < late_rate * STUCK_SHARE) & (legal > 0)
    early = rng.choice(4, n, p=[0.5, 0.25, 0.15, 0.1])
    on_time = np.maximum(np.where(legal > 0, target - early, target), earliest)
    return late, stuck, np.where(late, target + np.minimum(rng.geometric(0.35, n), 25), on_time)


def _apologies(rng, share, late, stuck, target, returned, idx):
    """Apology letters for a ``share`` of late and stuck dossiers, dated on or just before the target, with a
    new appointment usually kept (12 % missed again)."""
    n = len(late)
    apology = (late | stuck) & (rng.random(n) < share)
    apology_at = np.maximum(target - rng.integers(0, 2, n), idx)
    missed = rng.random(n) < 0.12
    new_due = np.where(missed, np.maximum(target + 1, returned - rng.integers(1, 3, n)),
                       returned + rng.choice([0, 0, 1, 2], n))
    new_due = np.where(stuck & ~late, target + rng.integers(3, 10, n), new_due)
    return apology, apology_at, new_due


def _channels(rng, online_share: np.ndarray) -> np.ndarray:
    """Channel codes (counter 0, online 1, postal 2: positions in the ``channels`` words)."""
    draw = rng.random(len(online_share))
    return np.where(draw < online_share, 1, np.where(draw < online_share + POSTAL_SHARE, 2, 0)).astype(np.int8)


def _receipt_times(rng, channel, workdays, saturdays, first, last) -> np.ndarray:
    """datetime64[m] of receipt from day ``first`` to ``last``: counters on working days in office hours (and
    Saturday mornings where the unit opens then); online dossiers on any day and at any hour."""
    n = len(channel)
    saturdays = saturdays[(saturdays >= first) & (saturdays <= last)]
    open_days = workdays[(workdays >= first) & (workdays <= last)]
    load = rng.lognormal(0.0, 0.25, len(open_days))  # busy and quiet days
    day = open_days[rng.choice(len(open_days), n, p=load / load.sum())]
    morning = rng.random(n) < 0.62
    minute = np.where(morning, rng.integers(OPENS, MORNING_ENDS, n), rng.integers(AFTERNOON_OPENS, CLOSES, n))
    if len(saturdays):
        on_saturday = (channel == 0) & (rng.random(n) < SATURDAY_SHARE)
        day = np.where(on_saturday, saturdays[rng.integers(0, len(saturdays), n)], day)
        minute = np.where(on_saturday, rng.integers(OPENS, MORNING_ENDS, n), minute)
    online = channel == 1
    any_day = first + rng.integers(0, int((last - first).astype(int)) + 1, n)
    office = rng.random(n) < 0.65
    # Never exactly 00:00: a receipt at midnight reads as "no time recorded".
    online_minute = np.where(office, rng.integers(420, CLOSES, n), rng.integers(1, 1440, n))
    day = np.where(online, any_day, day)
    minute = np.where(online, online_minute, minute)
    postal = channel == 2
    minute = np.where(postal, rng.integers(480, 960, n), minute)
    return day.astype("datetime64[m]") + minute.astype("timedelta64[m]")


def _status(returned_at, legal_due_day, last, stopped) -> pd.Categorical:
    """Status as of ``last`` against the legal due date (codes of ``STATUSES``)."""
    returned_day = returned_at.astype("datetime64[D]")
    codes = np.where(returned_day < legal_due_day, 0, np.where(returned_day == legal_due_day, 1, 2))
    codes = np.where(np.isnat(returned_at), np.where(last <= legal_due_day, 3, 4), codes)
    codes = np.where(stopped, 5, codes)
    return pd.Categorical.from_codes(codes.astype(np.int8), STATUSES)


def _at(workdays, index, minute) -> np.ndarray:
    return workdays[index].astype("datetime64[m]") + minute.astype("timedelta64[m]")


def _dossier_ids(unit: UnitProfile, received, year, rng) -> pd.Series:
    """Portal-style ids (agency code, yymmdd, running number of the day) or the book's running numbers.

    ``received`` is sorted, so a dossier's running number is its distance from the day's first dossier.
    """
    n = len(received)
    style = LOG_STYLES.get(unit.style, LOG_STYLES["export_a"])
    if style.id_style == "book":
        return "TN-" + pd.Series(np.arange(1, n + 1).astype(str), dtype="str").str.zfill(5).radd(f"{year}-")
    days = received.astype("datetime64[D]")
    stamp = pd.DatetimeIndex(days)
    yymmdd = (stamp.year % 100) * 10000 + stamp.month * 100 + stamp.day
    running = np.arange(n) - np.searchsorted(days, days) + 1
    text = lambda values: pd.Series(np.asarray(values).astype(str), dtype="str")  # noqa: E731
    return f"000.{unit.index:02d}.41.H25-" + text(yymmdd).str.zfill(6) + "-" + text(running).str.zfill(4)


def _status_text(frame: pd.DataFrame) -> pd.Categorical:
    """What a one-stop software shows in its status column."""
    waiting = frame["supplement_requested_at"].notna() & frame["supplement_received_at"].isna()
    codes = np.where(frame["returned_date"].notna(), 0, np.where(waiting, 1, 2))
    codes = np.where(frame["status"] == "stopped", 3, codes).astype(np.int8)
    return pd.Categorical.from_codes(codes, list(dossier_words()["status_texts"]))


def _notes(rng, frame: pd.DataFrame, supplement: np.ndarray) -> pd.Categorical:
    """A few notes clerks typically write (positions in the ``notes`` words; most rows have none)."""
    draw = rng.random(len(frame))
    late = (frame["status"] == "late").to_numpy()
    has_apology = frame["apology_date"].notna().to_numpy()
    code = np.zeros(len(frame), dtype=np.int8)
    code[supplement & (draw < 0.5)] = 1
    code[late & has_apology & (draw < 0.6)] = 2
    code[late & ~has_apology & (draw < 0.3)] = 3
    code[frame["returned_date"].isna().to_numpy()] = 4
    code[(frame["status"] == "stopped").to_numpy()] = 6
    code[frame["sets"].to_numpy() == 2] = 5
    return pd.Categorical.from_codes(code - 1, list(dossier_words()["notes"]))  # code -1: no note
