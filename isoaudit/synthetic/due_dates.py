"""Legal due dates by the receipt rules of ``isoaudit.timeliness``, computed independently (vectorised), and
the counter's office hours the generator receives and returns dossiers in."""
from __future__ import annotations

import numpy as np
import pandas as pd

from isoaudit.calendar import WorkCalendar
from isoaudit.synthetic.district_calendar import reception_saturdays, working_days

# The counter's hours, in minutes after midnight: opens 7:30, morning ends 11:30, afternoon 13:30 to 17:00.
OPENS, MORNING_ENDS, AFTERNOON_OPENS, CLOSES, NOON = 450, 690, 810, 1020, 720
DEFAULT_CUTOFF = 900  # same-day procedures received after 15:00 are due the next working day


def legal_due_dates(received_at: pd.Series, legal_days, cutoff_minutes, calendar: WorkCalendar,
                    saturday_reception: bool = False) -> pd.Series:
    """Legal due dates (midnight) of dossiers received at ``received_at``: same-day procedures (``legal_days``
    0) due that day, or the next working day after the cut-off (minutes after midnight); others due on the
    ``legal_days``-th working day counted from the day after receipt. See ``isoaudit.timeliness``."""
    received = received_at.to_numpy().astype("datetime64[m]")
    year = int(pd.Timestamp(received.min()).year)
    workdays = working_days(calendar, year - 1, year + 1)
    saturdays = workdays[:0]
    if saturday_reception:
        saturdays = reception_saturdays(calendar.with_saturday_reception(), year - 1, year + 1)
    legal = np.broadcast_to(np.asarray(legal_days, dtype=np.int64), received.shape)
    cutoff = np.broadcast_to(np.asarray(cutoff_minutes, dtype=np.int64), received.shape)
    due = due_index(received, legal, cutoff, workdays, saturdays)
    return pd.Series(workdays[due].astype("datetime64[us]"), index=received_at.index)


def due_index(received, legal, cutoff, workdays, saturdays) -> np.ndarray:
    """Index into ``workdays`` of each dossier's legal due date at receipt (rules of ``isoaudit.timeliness``)."""
    day = received.astype("datetime64[D]")
    minute = (received - day.astype("datetime64[m]")).astype(np.int64)
    idx = np.searchsorted(workdays, day)  # first working day on or after the receipt day
    is_workday = workdays[np.minimum(idx, len(workdays) - 1)] == day
    on_saturday = np.isin(day, saturdays) & (minute < NOON) & ~is_workday
    after_cutoff = (minute > cutoff) | (minute == 0)
    same_day = idx + (is_workday & after_cutoff)
    # Counting starts the working day after receipt; a non-working-day receipt counts as received on the
    # next working day, except at a Saturday reception, where it counts as received on the Saturday.
    later = idx + legal - on_saturday
    return np.where(legal == 0, same_day, later)
