"""Patterns planted on purpose in a unit's dossiers for the audit-analytics test "back-filled returns?"
(``isoaudit.analytics.backfill``), each on a few rows, with the ids it was planted on.

Every function takes one unit's canonical dossiers (before they are written to a sheet) and a
``numpy.random.Generator``, and gives back a modified copy and the ids planted (a list). ``avoid``: ids not to
touch (those of another plant); ``calendar``: the unit's calendar (default Vietnam's national one). Plants go
into the latest year the dossiers were received in."""
from __future__ import annotations

import numpy as np
import pandas as pd

from isoaudit.calendar import WorkCalendar
from isoaudit.synthetic.plant_runs import plant_all
from isoaudit.synthetic.plants_supplements import (
    AFTERNOON,
    appointment_span,
    choose_rows,
    plain_rows,
    planted_ids,
    returned_by_appointment,
)

BATCH_TIMES = pd.to_timedelta(np.arange(15, 15 + 60, 4), unit="min") + pd.Timedelta(hours=16)  # 16:15 onwards


def plant_batch_returns(dossiers: pd.DataFrame, rng: np.random.Generator, count: int | None = None,
                        calendar: WorkCalendar | None = None, avoid=()) -> tuple[pd.DataFrame, list[str]]:
    """One officer (the one with the most returns) records ``count`` returns on one working day in the
    middle of the latest year on which they returned nothing else, minutes apart late in the afternoon, each
    on its appointment (default: 15, or six times the officer's usual returns a working day plus five when
    that is more). The dossiers chosen were received on a working day and returned by their appointment;
    each is moved, keeping its working days from receipt to appointment and its time of day, so that its
    appointment is that day (the least move)."""
    calendar = calendar or WorkCalendar.vietnam()
    frame = dossiers.reset_index(drop=True)
    frame["officer"] = frame["officer"].astype("string")
    returned = frame["returned_date"].dt.normalize()
    officer = frame.loc[returned.notna(), "officer"].mode().iloc[0]
    if count is None:
        mine = returned[(frame["officer"] == officer).fillna(False) & (returned.dt.year == returned.dt.year.max())]
        mine = mine.dropna()
        days = calendar.working_days_between(mine.min(), mine.max()) + 1
        count = max(15, int(np.ceil(6 * len(mine) / max(days, 1))) + 5)
    received = frame["received_at"].dt.normalize()
    latest = received[received.dt.year == received.dt.year.max()].dropna()
    # The working day nearest the middle of the year on which the officer returned nothing else.
    days = np.arange(latest.min().to_datetime64().astype("datetime64[D]"),
                     latest.max().to_datetime64().astype("datetime64[D]") + 1)
    busy = returned[(frame["officer"] == officer).fillna(False)].dropna().to_numpy().astype("datetime64[D]")
    days = days[calendar.is_working_day(days) & ~np.isin(days, busy)]
    middle = latest.quantile(0.5).to_datetime64().astype("datetime64[D]")
    day = days[np.argmin(np.abs((days - middle).astype(np.int64)))]
    span = appointment_span(frame, calendar)
    moved = calendar.add_working_days(np.full(len(frame), day), -span)
    shift = np.abs((moved - received.to_numpy().astype("datetime64[D]")).astype(np.int64))
    candidates = _returned_in_time(frame, calendar, avoid)
    positions = np.flatnonzero(candidates)
    if len(positions) < count:
        raise ValueError(f"only {len(positions)} rows can take this plant, {count} asked")
    # The least moved, ties broken at random.
    rows = np.sort(positions[np.lexsort((rng.random(len(positions)), shift[positions]))[:count]])
    time_of_day = frame.loc[rows, "received_at"] - received[rows]
    frame.loc[rows, "received_at"] = pd.to_datetime(moved[rows]) + time_of_day.to_numpy()
    frame.loc[rows, "due_date"] = pd.Timestamp(day)
    frame.loc[rows, "returned_date"] = pd.Timestamp(day) + BATCH_TIMES[np.arange(count) % len(BATCH_TIMES)]
    frame.loc[rows, "officer"] = officer
    return frame, planted_ids(frame, rows)


def plant_late_returned_on_appointment(dossiers: pd.DataFrame, rng: np.random.Generator, count: int = 4,
                                       calendar: WorkCalendar | None = None,
                                       avoid=()) -> tuple[pd.DataFrame, list[str]]:
    """``count`` dossiers returned by their appointment get an appointment two to four working days later,
    and their return date set to it: late by law, on the stored appointment, no apology letter."""
    calendar = calendar or WorkCalendar.vietnam()
    frame = dossiers.reset_index(drop=True)
    rows = choose_rows(rng, _returned_in_time(frame, calendar, avoid), count)
    due = frame.loc[rows, "due_date"].to_numpy().astype("datetime64[D]")
    later = pd.to_datetime(calendar.add_working_days(due, rng.integers(2, 5, len(rows))))
    frame.loc[rows, "due_date"] = later
    frame.loc[rows, "returned_date"] = later + AFTERNOON
    return frame, planted_ids(frame, rows)


def plant_appointment_beyond(dossiers: pd.DataFrame, rng: np.random.Generator, count: int = 3,
                             calendar: WorkCalendar | None = None, avoid=()) -> tuple[pd.DataFrame, list[str]]:
    """``count`` dossiers returned by their appointment get an appointment two to four working days beyond
    it (beyond the legal time), no apology letter; the return stays where it was (on time by law)."""
    calendar = calendar or WorkCalendar.vietnam()
    frame = dossiers.reset_index(drop=True)
    rows = choose_rows(rng, _returned_in_time(frame, calendar, avoid), count)
    due = frame.loc[rows, "due_date"].to_numpy().astype("datetime64[D]")
    frame.loc[rows, "due_date"] = pd.to_datetime(calendar.add_working_days(due, rng.integers(2, 5, len(rows))))
    return frame, planted_ids(frame, rows)


def plant_new_appointment_without_apology(dossiers: pd.DataFrame, rng: np.random.Generator, count: int = 2,
                                          calendar: WorkCalendar | None = None,
                                          avoid=()) -> tuple[pd.DataFrame, list[str]]:
    """``count`` dossiers returned by their appointment get a new appointment three working days after it,
    with no apology letter."""
    calendar = calendar or WorkCalendar.vietnam()
    frame = dossiers.reset_index(drop=True)
    rows = choose_rows(rng, plain_rows(frame, calendar, avoid) & returned_by_appointment(frame), count)
    due = frame.loc[rows, "due_date"].to_numpy().astype("datetime64[D]")
    frame.loc[rows, "new_due_date"] = pd.to_datetime(calendar.add_working_days(due, 3))
    return frame, planted_ids(frame, rows)


PLANTS = {  # reason the test gives -> plant function
    "batch_returns": plant_batch_returns,
    "returned_on_appointment_late": plant_late_returned_on_appointment,
    "appointment_beyond_without_apology": plant_appointment_beyond,
    "new_appointment_without_apology": plant_new_appointment_without_apology,
}


def plant_backfill(dossiers: pd.DataFrame, rng: np.random.Generator,
                   calendar: WorkCalendar | None = None) -> tuple[pd.DataFrame, dict[str, list[str]]]:
    """Every plant of ``PLANTS`` on its own rows: the modified dossiers and the ids planted by reason."""
    return plant_all(PLANTS, dossiers, rng, calendar)



def _returned_in_time(frame: pd.DataFrame, calendar: WorkCalendar, avoid) -> np.ndarray:
    """Rows a plant may change (``plain_rows``) of a procedure taking a working day or more, returned by their
    appointment."""
    spans_a_day = appointment_span(frame, calendar) >= 1
    return plain_rows(frame, calendar, avoid) & spans_a_day & returned_by_appointment(frame)
