"""The sample district's calendar: Vietnam's national days plus the province's own decisions of the year
(``calendar.csv``), and the working days the generator counts with."""
from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pandas as pd

from isoaudit.calendar import WorkCalendar
from isoaudit.safety import atomic_write
from isoaudit.synthetic.words import district_words

STORM_UNIT = "08032"  # the commune given a day off for a storm


def calendar_decisions(year: int) -> pd.DataFrame:
    """Provincial decisions of ``year`` no library knows: a day off for a provincial festival (third Monday
    of August) worked back the next Saturday, and a storm day off for one commune (last Monday of September).

    Columns ``date`` (datetime64), ``kind`` ("off"/"work"), ``description``, ``unit_code`` (<NA>: every unit).
    """
    words = district_words()["calendar"]
    festival = _nth_weekday(year, 8, 0, 3)
    storm = _nth_weekday(year, 9, 0, -1)
    rows = [
        (festival, "off", words["festival"].format(year=year), pd.NA),
        (festival + pd.Timedelta(days=5), "work", words["festival_worked_back"].format(date=f"{festival:%d/%m/%Y}"),
         pd.NA),
        (storm, "off", words["storm"], STORM_UNIT),
    ]
    frame = pd.DataFrame(rows, columns=["date", "kind", "description", "unit_code"])
    frame["date"] = pd.to_datetime(frame["date"])
    frame["unit_code"] = frame["unit_code"].astype("string")
    return frame


def district_calendar(year: int) -> WorkCalendar:
    """Vietnam's national calendar plus the sample district's own decisions of ``year`` (``calendar.csv``)."""
    return WorkCalendar.vietnam().with_decisions(calendar_decisions(year))


def write_calendar(path: Path, decisions: pd.DataFrame) -> None:
    """``date,type,description,unit_code`` with dd/mm/yyyy dates and Vietnamese types (UTF-8, no BOM)."""
    words = district_words()["calendar"]
    with atomic_write(path, "w") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["date", "type", "description", "unit_code"])
        for row in decisions.itertuples(index=False):
            writer.writerow([f"{row.date:%d/%m/%Y}", words[row.kind], row.description,
                             "" if pd.isna(row.unit_code) else row.unit_code])


def working_days(calendar: WorkCalendar, first_year: int, last_year: int) -> np.ndarray:
    """The calendar's working days (datetime64[D], sorted) from 01/01/first_year to 31/12/last_year+1."""
    days = np.arange(np.datetime64(f"{first_year}-01-01"), np.datetime64(f"{last_year + 2}-01-01"))
    return days[calendar.is_working_day(days)]


def reception_saturdays(calendar: WorkCalendar, first_year: int, last_year: int) -> np.ndarray:
    """Saturdays (not declared off, not working days) on which a Saturday-reception unit receives."""
    days = np.arange(np.datetime64(f"{first_year}-01-01"), np.datetime64(f"{last_year + 1}-01-01"))
    return days[calendar.is_reception_day(days) & ~calendar.is_working_day(days)]


def _nth_weekday(year: int, month: int, weekday: int, nth: int) -> pd.Timestamp:
    """The ``nth`` (1-based; -1 = last) ``weekday`` (Monday 0) of ``month``."""
    days = pd.date_range(f"{year}-{month:02d}-01", periods=pd.Period(f"{year}-{month:02d}").days_in_month)
    matching = days[days.day_of_week == weekday]
    return matching[nth - 1 if nth > 0 else nth]
