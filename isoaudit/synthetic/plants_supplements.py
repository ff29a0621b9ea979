"""Patterns planted on purpose in a unit's dossiers for the audit-analytics test "clock stopped on purpose?"
(``isoaudit.analytics.supplements``), each on a few rows, with the ids it was planted on.

Every function takes one unit's canonical dossiers (before they are written to a sheet) and a
``numpy.random.Generator``, and gives back a modified copy and the ids planted (a list). ``avoid``: ids not to
touch (those of another plant); ``calendar``: the unit's calendar (default Vietnam's national one). Plants go
into the latest year the dossiers were received in."""
from __future__ import annotations

import numpy as np
import pandas as pd

from isoaudit.analytics.supplements import settings
from isoaudit.calendar import WorkCalendar
from isoaudit.synthetic.plant_runs import plant_all

MORNING = pd.Timedelta(hours=9, minutes=30)
AFTERNOON = pd.Timedelta(hours=14, minutes=15)


def plant_near_due_requests(dossiers: pd.DataFrame, rng: np.random.Generator, count: int = 12,
                            calendar: WorkCalendar | None = None, avoid=()) -> tuple[pd.DataFrame, list[str]]:
    """One officer (the one with the most dossiers) asks ``count`` dossiers of procedures of three working days
    or more to supplement on the working day before their appointment, gets the supplement two working days
    later and returns the dossier the working day after: on time by law, a day or more after the appointment.
    The dossiers chosen had no request, were returned by their appointment, which was the legal due date."""
    calendar = calendar or WorkCalendar.vietnam()
    frame = dossiers.reset_index(drop=True)
    span = appointment_span(frame, calendar)
    candidates = plain_rows(frame, calendar, avoid) & (span >= 3) & returned_by_appointment(frame)
    rows = choose_rows(rng, candidates, count)
    officer = frame["officer"].astype("string").mode().iloc[0]
    due = frame.loc[rows, "due_date"].to_numpy().astype("datetime64[D]")
    asked = calendar.add_working_days(due, -1)
    supplied = calendar.add_working_days(asked, 2)
    frame["officer"] = frame["officer"].astype("string")
    frame.loc[rows, "officer"] = officer
    frame.loc[rows, "supplement_requested_at"] = pd.to_datetime(asked) + MORNING
    frame.loc[rows, "supplement_received_at"] = pd.to_datetime(supplied) + MORNING
    frame.loc[rows, "returned_date"] = pd.to_datetime(calendar.add_working_days(supplied, 1)) + AFTERNOON
    return frame, planted_ids(frame, rows)


def plant_long_pauses(dossiers: pd.DataFrame, rng: np.random.Generator, count: int = 3,
                      calendar: WorkCalendar | None = None, avoid=()) -> tuple[pd.DataFrame, list[str]]:
    """``count`` dossiers asked to supplement on the first working day after receipt wait ``long_pause_days``
    + 10 working days for it, and are returned two working days after it comes."""
    calendar = calendar or WorkCalendar.vietnam()
    frame = dossiers.reset_index(drop=True)
    rows = choose_rows(rng, plain_rows(frame, calendar, avoid) & (appointment_span(frame, calendar) >= 2), count)
    received = frame.loc[rows, "received_at"].to_numpy().astype("datetime64[D]")
    asked = calendar.add_working_days(received, 1)
    supplied = calendar.add_working_days(asked, settings()["long_pause_days"] + 10)
    frame.loc[rows, "supplement_requested_at"] = pd.to_datetime(asked) + MORNING
    frame.loc[rows, "supplement_received_at"] = pd.to_datetime(supplied) + MORNING
    frame.loc[rows, "returned_date"] = pd.to_datetime(calendar.add_working_days(supplied, 2)) + AFTERNOON
    return frame, planted_ids(frame, rows)


def plant_returned_without_supplement(dossiers: pd.DataFrame, rng: np.random.Generator, count: int = 2,
                                      calendar: WorkCalendar | None = None, avoid=()) -> tuple[pd.DataFrame, list[str]]:
    """``count`` returned dossiers asked to supplement on the first working day after receipt, with no
    supplement ever recorded: the clock stays stopped until the return, so by law they are on time."""
    calendar = calendar or WorkCalendar.vietnam()
    frame = dossiers.reset_index(drop=True)
    rows = choose_rows(rng, plain_rows(frame, calendar, avoid) & (appointment_span(frame, calendar) >= 2)
                   & returned_by_appointment(frame), count)
    received = frame.loc[rows, "received_at"].to_numpy().astype("datetime64[D]")
    frame.loc[rows, "supplement_requested_at"] = pd.to_datetime(calendar.add_working_days(received, 1)) + MORNING
    frame.loc[rows, "supplement_received_at"] = pd.NaT
    return frame, planted_ids(frame, rows)


def plant_supplement_before_request(dossiers: pd.DataFrame, rng: np.random.Generator, count: int = 2,
                                    calendar: WorkCalendar | None = None,
                                    avoid=()) -> tuple[pd.DataFrame, list[str]]:
    """``count`` dossiers whose supplement is dated a working day before the request (the reader sets such
    rows aside: the test counts them from the excluded rows)."""
    calendar = calendar or WorkCalendar.vietnam()
    frame = dossiers.reset_index(drop=True)
    rows = choose_rows(rng, plain_rows(frame, calendar, avoid) & (appointment_span(frame, calendar) >= 3), count)
    received = frame.loc[rows, "received_at"].to_numpy().astype("datetime64[D]")
    frame.loc[rows, "supplement_requested_at"] = pd.to_datetime(calendar.add_working_days(received, 2)) + MORNING
    frame.loc[rows, "supplement_received_at"] = pd.to_datetime(calendar.add_working_days(received, 1)) + MORNING
    return frame, planted_ids(frame, rows)


def plant_repeated_requests(dossiers: pd.DataFrame, rng: np.random.Generator, count: int = 2,
                            calendar: WorkCalendar | None = None, avoid=(),
                            as_rows: bool = False) -> tuple[pd.DataFrame, list[str]]:
    """``count`` dossiers asked to supplement twice: on the first working day after receipt and again two
    working days after the first supplement came. The second request is written in the note
    (``plant_repeated_note`` of ``analytics_supplements.toml``), or with ``as_rows`` as a second row of the
    same dossier (appended at the end: the reader sets it aside as a repeated id)."""
    calendar = calendar or WorkCalendar.vietnam()
    frame = dossiers.reset_index(drop=True)
    rows = choose_rows(rng, plain_rows(frame, calendar, avoid) & (appointment_span(frame, calendar) >= 2), count)
    received = frame.loc[rows, "received_at"].to_numpy().astype("datetime64[D]")
    asked = calendar.add_working_days(received, 1)
    supplied = calendar.add_working_days(asked, 1)
    again = calendar.add_working_days(supplied, 2)
    supplied_again = calendar.add_working_days(again, 1)
    frame.loc[rows, "supplement_requested_at"] = pd.to_datetime(asked) + MORNING
    frame.loc[rows, "supplement_received_at"] = pd.to_datetime(supplied) + MORNING
    frame.loc[rows, "returned_date"] = pd.to_datetime(calendar.add_working_days(supplied_again, 1)) + AFTERNOON
    if as_rows:
        second = frame.loc[rows].copy()
        second["supplement_requested_at"] = pd.to_datetime(again) + MORNING
        second["supplement_received_at"] = pd.to_datetime(supplied_again) + MORNING
        frame = pd.concat([frame, second], ignore_index=True)
    else:
        frame["note"] = frame["note"].astype("string")
        frame.loc[rows, "note"] = settings()["plant_repeated_note"]
    return frame, planted_ids(frame, rows)


PLANTS = {  # reason the test gives -> plant function
    "request_near_due": plant_near_due_requests,
    "long_pause": plant_long_pauses,
    "returned_without_supplement": plant_returned_without_supplement,
    "supplement_before_request": plant_supplement_before_request,
    "repeated_request_note": plant_repeated_requests,
}


def plant_supplements(dossiers: pd.DataFrame, rng: np.random.Generator,
                      calendar: WorkCalendar | None = None) -> tuple[pd.DataFrame, dict[str, list[str]]]:
    """Every plant of ``PLANTS`` on its own rows: the modified dossiers and the ids planted by reason."""
    return plant_all(PLANTS, dossiers, rng, calendar)


# ---- choosing rows ---------------------------------------------------------------------------------------------
def appointment_span(frame: pd.DataFrame, calendar: WorkCalendar) -> np.ndarray:
    """Working days from receipt to the appointment (0 where a date is missing)."""
    received = frame["received_at"].to_numpy().astype("datetime64[D]")
    due = frame["due_date"].to_numpy().astype("datetime64[D]")
    both = ~(np.isnat(received) | np.isnat(due))
    span = np.zeros(len(frame), dtype=np.int64)
    if both.any():
        span[both] = calendar.working_days_between(received[both], due[both])
    return span


def plain_rows(frame: pd.DataFrame, calendar: WorkCalendar, avoid) -> np.ndarray:
    """Rows a plant may change: received in the latest year of ``frame`` (the year an audit looks at) on a
    working day, returned, no supplement, apology or new appointment, not in ``avoid``, with an officer when
    the log names them."""
    received = frame["received_at"].to_numpy().astype("datetime64[D]")
    working = np.zeros(len(frame), dtype=bool)
    known = ~np.isnat(received)
    working[known] = calendar.is_working_day(received[known])
    empty = [frame[c].isna().to_numpy() for c in ("supplement_requested_at", "supplement_received_at",
                                                   "apology_date", "new_due_date") if c in frame]
    latest = (frame["received_at"].dt.year == frame["received_at"].dt.year.max()).fillna(False).to_numpy(bool)
    plain = latest & working & frame["returned_date"].notna().to_numpy() & np.logical_and.reduce(empty)
    plain &= ~frame["dossier_id"].astype("string").isin(list(avoid)).to_numpy(bool)
    if "officer" in frame and frame["officer"].notna().any():
        plain &= frame["officer"].notna().to_numpy()
    return plain


def returned_by_appointment(frame: pd.DataFrame) -> np.ndarray:
    return (frame["returned_date"].dt.normalize() <= frame["due_date"].dt.normalize()).fillna(False).to_numpy(bool)


def choose_rows(rng: np.random.Generator, candidates: np.ndarray, count: int) -> np.ndarray:
    """``count`` row labels among ``candidates`` (positions), spread over the year; fewer when there are not
    enough."""
    positions = np.flatnonzero(candidates)
    if len(positions) < count:
        raise ValueError(f"only {len(positions)} rows can take this plant, {count} asked")
    return np.sort(rng.choice(positions, count, replace=False))


def planted_ids(frame: pd.DataFrame, rows: np.ndarray) -> list[str]:
    return [str(i) for i in frame["dossier_id"].iloc[rows]]
