"""Plants for the calendar-anomalies test (``isoaudit.analytics.calendar_anomalies``): dates and times of a
clean log moved where the unit's calendar, hours or catalogue say they should not be, on a few rows, with the
ids the test must flag.

``plant_calendar(dossiers, rng)`` takes one unit's canonical dossiers (before they are written to a sheet)
and plants, ``per_reason`` rows each (fewer when the log has not enough rows that fit):

- ``receipt_day_off``: a counter dossier received on the Sunday before its receipt (the last of its day's
  numbering, its code rewritten with the Sunday's date and the Sunday's next number, as the software would
  have numbered it: the numbering stays unbroken);
- ``receipt_outside_hours``: a counter dossier received at 22:15 on its day;
- ``return_day_off``: a counter dossier returned on the Sunday after its return, at 09:15;
- ``return_outside_hours``: a counter dossier returned at 21:40 on its return day;
- ``online_receipt_late``: an online dossier submitted on the portal three working days more than the limit
  before its receipt (``submitted_at`` written);
- ``online_receipt_moved``: an online dossier submitted at 09:30 on the working day before its receipt.

``plant_old_time(dossiers, procedures, rng)`` changes the catalogue instead: a multi-day procedure's time is
shortened by one working day on a day of the log (``changed_date``), while the unit keeps writing the old
appointments for ``after_change_days`` after it (``appointment_old_time``).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from isoaudit.analytics.calendar_anomalies import load_settings
from isoaudit.analytics.population import parse_codes
from isoaudit.calendar import WorkCalendar
from isoaudit.records.vocabulary import canonical_words
from isoaudit.timeliness import assess

PLANTED_REASONS = ("receipt_day_off", "receipt_outside_hours", "return_day_off", "return_outside_hours",
                   "online_receipt_late", "online_receipt_moved")
_SUNDAY = 6  # Monday = 0


def plant_calendar(dossiers: pd.DataFrame, rng: np.random.Generator, calendar: WorkCalendar | None = None,
                   per_reason: int = 1) -> tuple[pd.DataFrame, dict[str, list[str]]]:
    """``dossiers`` with the plants of the module doc, and the ids the test flags, by reason. ``calendar``:
    the unit's (default Vietnam's), to count working days for the online plants."""
    calendar = calendar or WorkCalendar.vietnam()
    settings = load_settings()
    frame = dossiers.reset_index(drop=True).copy()
    if "submitted_at" not in frame:
        frame["submitted_at"] = pd.Series(pd.NaT, index=frame.index, dtype="datetime64[us]")
    # The generator writes channels as the log shows them ("Trực tiếp"): read them as the records do.
    channel = canonical_words(frame["channel"] if "channel" in frame else pd.Series(pd.NA, index=frame.index),
                              "channel")[0]
    counter = channel.eq("counter").fillna(False).to_numpy(bool)
    online = channel.eq("online").fillna(False).to_numpy(bool)
    received = pd.to_datetime(frame["received_at"])
    returned = pd.to_datetime(frame["returned_date"])
    day = received.dt.normalize()
    inside_year = (received.dt.day_of_year > 10).to_numpy(bool) & (received.dt.day_of_year < 350).to_numpy(bool)
    timed = (received != day).to_numpy(bool)
    working = np.asarray(calendar.is_working_day(day), dtype=bool)
    same_day_return = (returned.dt.normalize() == day).fillna(False).to_numpy(bool)
    has_return = returned.notna().to_numpy(bool)
    asked = pd.to_datetime(frame["supplement_requested_at"]).notna().to_numpy(bool) \
        if "supplement_requested_at" in frame else np.zeros(len(frame), bool)
    parsed = parse_codes(frame["dossier_id"])
    taken = np.zeros(len(frame), dtype=bool)
    planted: dict[str, list[str]] = {reason: [] for reason in PLANTED_REASONS}

    def plant(reason: str, allowed: np.ndarray, change) -> None:
        candidates = np.flatnonzero(allowed & ~taken)
        for row in sorted(rng.choice(candidates, min(per_reason, len(candidates)), replace=False).tolist()
                          if len(candidates) else []):
            change(int(row))
            taken[row] = True
            planted[reason].append(str(frame.at[row, "dossier_id"]))

    def to_sunday_before(row: int) -> None:
        when = received.iloc[row]
        sunday = when.normalize() - pd.Timedelta(days=(when.day_of_week - _SUNDAY) % 7 or 7)
        frame.at[row, "received_at"] = sunday + (when - when.normalize())
        frame.at[row, "dossier_id"] = _recoded(frame, parsed, row, sunday)

    def at_night(row: int) -> None:
        frame.at[row, "received_at"] = received.iloc[row].normalize() + pd.Timedelta(hours=22, minutes=15)

    def returned_on_sunday(row: int) -> None:
        back = returned.iloc[row].normalize()
        frame.at[row, "returned_date"] = back + pd.Timedelta(days=(_SUNDAY - back.day_of_week) % 7 or 7,
                                                             hours=9, minutes=15)

    def returned_at_night(row: int) -> None:
        frame.at[row, "returned_date"] = returned.iloc[row].normalize() + pd.Timedelta(hours=21, minutes=40)

    def submitted_long_before(row: int) -> None:
        days = settings.online_receipt_working_days + 3
        sent = calendar.add_working_days(day.iloc[row].date(), -days)
        frame.at[row, "submitted_at"] = pd.Timestamp(sent) + pd.Timedelta(hours=9, minutes=30)

    def submitted_day_before(row: int) -> None:
        sent = calendar.add_working_days(day.iloc[row].date(), -1)
        frame.at[row, "submitted_at"] = pd.Timestamp(sent) + pd.Timedelta(hours=9, minutes=30)

    last_of_day = _last_of_day(parsed)
    plant("receipt_day_off", counter & inside_year & (last_of_day | (parsed["scope"] == "year").fillna(False)
                                                      .to_numpy(bool)), to_sunday_before)
    plant("receipt_outside_hours", counter & working & ~same_day_return, at_night)
    plant("return_day_off", counter & has_return & inside_year, returned_on_sunday)
    plant("return_outside_hours", counter & has_return & working & ~same_day_return, returned_at_night)
    plant("online_receipt_late", online & working & timed & inside_year & ~asked, submitted_long_before)
    plant("online_receipt_moved", online & working & timed & inside_year & ~asked, submitted_day_before)
    return frame, planted


def plant_old_time(dossiers: pd.DataFrame, procedures: pd.DataFrame, rng: np.random.Generator,
                   calendar: WorkCalendar | None = None) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, list[str]]]:
    """A procedure of at least 2 working days with enough dossiers either side of a day of the log: the
    catalogue says its time was shortened by one day on that day, and the dossiers received within
    ``after_change_days`` after it keep the appointment of the old time. Returns the dossiers, the
    catalogue and the ids flagged ``appointment_old_time`` (none when no procedure fits)."""
    calendar = calendar or WorkCalendar.vietnam()
    settings = load_settings()
    frame = dossiers.reset_index(drop=True).copy()
    catalogue = procedures.copy()
    planted: dict[str, list[str]] = {"appointment_old_time": []}
    received = pd.to_datetime(frame["received_at"]).dt.normalize()
    legal = frame["procedure_code"].astype("string").map(
        catalogue.drop_duplicates("procedure_code").set_index("procedure_code")["legal_days"]).astype("Int64")
    window = pd.Timedelta(days=settings.after_change_days)
    codes = frame.loc[(legal >= 2).fillna(False).to_numpy(bool), "procedure_code"].astype(str).value_counts()
    for code in rng.permutation(codes.index.to_numpy()):
        mine = np.flatnonzero((frame["procedure_code"].astype(str) == code).to_numpy())
        days = received.iloc[mine].sort_values()
        if len(days) < 2 * settings.min_before_change:
            continue
        change = days.iloc[len(days) // 2]
        before = ((days < change) & (days >= change - window)).sum()
        after = mine[((received.iloc[mine] >= change) & (received.iloc[mine] <= change + window)).to_numpy()]
        if before < settings.min_before_change or len(after) < 2:
            continue
        old_days = int(legal.iloc[mine[0]])
        columns = [c for c in ("dossier_id", "unit_code", "procedure_code", "received_at", "due_date") if c in frame]
        old_due = assess(frame.iloc[after][columns].reset_index(drop=True), catalogue, calendar)["legal_due_date"]
        frame.loc[after, "due_date"] = old_due.to_numpy()
        rows = (catalogue["procedure_code"].astype(str) == code).to_numpy()
        catalogue.loc[rows, "legal_days"] = old_days - 1
        catalogue["changed_date"] = pd.to_datetime(catalogue["changed_date"]) if "changed_date" in catalogue \
            else pd.NaT
        catalogue.loc[rows, "changed_date"] = change
        planted["appointment_old_time"] = frame.loc[after, "dossier_id"].astype(str).tolist()
        break
    return frame, catalogue, planted


def _last_of_day(parsed: pd.DataFrame) -> np.ndarray:
    """Rows carrying the highest number of their day's numbering (moving them leaves no gap behind)."""
    day_scope = (parsed["scope"] == "day").fillna(False).to_numpy(bool)
    key = parsed["pattern"].astype("string") + "|" + parsed["prefix"].astype("string") + "|" + \
        parsed["day"].astype("string")
    highest = parsed["seq"].groupby(key.fillna("")).transform("max").to_numpy()
    return day_scope & (parsed["seq"].to_numpy() == highest)


def _recoded(frame: pd.DataFrame, parsed: pd.DataFrame, row: int, day: pd.Timestamp) -> str:
    """The code of ``row`` as the software would have given it on ``day``: the day written in it replaced,
    the number the day's next (a year numbering or a code no pattern reads is kept)."""
    code = str(frame.at[row, "dossier_id"])
    if parsed["scope"].iloc[row] != "day":
        return code
    written = pd.Timestamp(parsed["day"].iloc[row])
    same = ((parsed["pattern"] == parsed["pattern"].iloc[row]) & (parsed["prefix"] == parsed["prefix"].iloc[row])
            & (parsed["day"] == day)).fillna(False).to_numpy(bool)
    number = int(parsed["seq"].to_numpy()[same].max(initial=0)) + 1
    old_number = str(int(parsed["seq"].iloc[row]))
    head, _, tail = code.rpartition("-")
    width = len(tail)
    for form in ("%Y%m%d", "%y%m%d"):
        if written.strftime(form) in head:
            head = head.replace(written.strftime(form), day.strftime(form))
            break
    return f"{head}-{str(number).zfill(max(width, len(old_number)))}"
