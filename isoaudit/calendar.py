"""Working days of Vietnamese state agencies: Monday to Friday, minus days off, plus make-up working days.

National days off and the government's swapped days (a weekday off, a Saturday worked in exchange) come from
the ``holidays`` package (country ``VN``) with the national decisions the package misses or lags on laid over
it (``isoaudit/data/national_decisions.csv``, one cited decision a row: ``national_decisions``); provincial
and future decisions are added as plain dates by the user (``WorkCalendar.with_decisions``), for every unit or
for one unit, and override both. Every method takes a scalar or a
pandas Series and runs on whole arrays (lookup tables of working days built with ``numpy.busdaycalendar``
over the years asked about), never row by row.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from importlib import resources
from typing import Iterable, Mapping

import numpy as np
import pandas as pd

WORKING = True
DAY_OFF = False
SATURDAY = 5  # Monday = 0
NATIONAL_YEARS = (1980, 2100)  # years the holidays package is asked about; outside: Monday to Friday only
TABLE_YEARS = (1900, 2199)  # dates outside these years are treated as missing (typing errors, not dossiers)
_NAT = np.iinfo(np.int64).min  # datetime64 NaT viewed as int64
_WEEKMASK = "1111100"
_TABLE_LOW = int(np.datetime64(f"{TABLE_YEARS[0]}-01-01", "D").view(np.int64))
_TABLE_HIGH = int(np.datetime64(f"{TABLE_YEARS[1] + 1}-01-01", "D").view(np.int64))
_OUTPUT_DATES = "datetime64[us]"  # the unit pandas gives parsed dates
DECISIONS_FILE = "national_decisions.csv"
DECISION_COLUMNS = ["date", "type", "occasion", "decision", "decision_date", "issued_by", "source", "note"]
DECISION_TYPES = {"nghỉ": DAY_OFF, "làm việc": WORKING}  # the table's ``type`` words
TET_OCCASION = "Tết Nguyên đán"  # the table's ``occasion`` of a Lunar New Year decision
# Days where a year's Tết days off and swaps fall (Lunar New Year is 21/1..20/2; its days off spread a week
# either side): a day the user decides in this window counts as that year's Tết decision recorded.
TET_WINDOW = ((1, 10), (3, 5))  # (month, day) first and last


@dataclass(frozen=True, eq=False)
class WorkCalendar:
    """A civil-service calendar.

    ``country``: holidays-package country whose national days off and make-up working days apply (None:
    Monday to Friday only). ``decisions``: the user's own days (date -> True for a working day, False for
    a day off), overriding the national ones. ``unit_decisions``: the same for single units, overriding both.
    ``saturday_reception``: the agency's counter receives dossiers on Saturday mornings (reception only:
    Saturdays stay non-working for counting); ``saturday_units``: the units that do.
    """

    country: str | None = None
    decisions: Mapping[date, bool] = field(default_factory=dict)
    unit_decisions: Mapping[str, Mapping[date, bool]] = field(default_factory=dict)
    saturday_reception: bool = False
    saturday_units: frozenset[str] = frozenset()
    _cache: dict = field(default_factory=dict, init=False, repr=False)

    # ---- construction -------------------------------------------------------------------------------
    @classmethod
    def vietnam(cls, years: Iterable[int] | None = None) -> "WorkCalendar":
        """Vietnam's national calendar (``holidays`` country VN, overridden by ``national_decisions``). Years
        are covered lazily from the dates asked about (their years -1..+1); ``years`` prepares some in advance."""
        calendar = cls(country="VN")
        if years is not None:
            years = sorted(years)
            if years:
                calendar._days_for(years[0], years[-1])
        return calendar

    def with_days_off(self, days, unit_code: str | None = None) -> "WorkCalendar":
        """A copy where ``days`` are days off (for every unit, or for ``unit_code`` only)."""
        return self._with({d: DAY_OFF for d in _to_dates(days)}, unit_code)

    def with_working_days(self, days, unit_code: str | None = None) -> "WorkCalendar":
        """A copy where ``days`` are working days (e.g. a make-up Saturday), for all units or one."""
        return self._with({d: WORKING for d in _to_dates(days)}, unit_code)

    def with_decisions(self, decisions: pd.DataFrame) -> "WorkCalendar":
        """A copy with a table of decisions applied in row order (a later row wins on the same date).

        Columns: ``date``; ``kind`` ``"off"`` or ``"work"``; optional ``unit_code`` (empty: every unit), as
        returned by ``isoaudit.records.calendar_file.read_calendar_file``.
        """
        calendar = self
        if decisions is None or decisions.empty:
            return calendar
        units = decisions["unit_code"] if "unit_code" in decisions else pd.Series(pd.NA, index=decisions.index)
        units = units.astype("string").str.strip().replace("", pd.NA)
        decisions = decisions.assign(_unit=units).dropna(subset=["date"])
        for unit, rows in decisions.groupby("_unit", dropna=False, sort=False):
            unit = None if pd.isna(unit) else str(unit)
            working = rows["kind"].astype("string").eq("work").fillna(False).tolist()
            days = dict(zip(_to_dates(rows["date"]), working))
            calendar = calendar._with(days, unit)
        return calendar

    def with_saturday_reception(self, unit_codes: Iterable[str] | None = None) -> "WorkCalendar":
        """A copy where ``unit_codes`` (or, with None, the calendar itself) receive on Saturday mornings."""
        if unit_codes is None:
            return dataclasses.replace(self, saturday_reception=True)
        codes = {str(code).strip() for code in unit_codes if not pd.isna(code)}
        return dataclasses.replace(self, saturday_units=self.saturday_units | codes)

    def for_unit(self, unit_code: str | None) -> "WorkCalendar":
        """The calendar one unit lives by: shared decisions, then the unit's own, its Saturday reception."""
        if unit_code is None or pd.isna(unit_code):
            return dataclasses.replace(self, unit_decisions={}, saturday_units=frozenset())
        unit_code = str(unit_code).strip()
        return WorkCalendar(
            country=self.country,
            decisions={**self.decisions, **self.unit_decisions.get(unit_code, {})},
            saturday_reception=self.saturday_reception or unit_code in self.saturday_units,
        )

    def unit_calendars(self, unit_codes: pd.Series) -> list[tuple["WorkCalendar", np.ndarray]]:
        """``[(calendar, row mask), ...]`` for the rows of units with decisions of their own or Saturday
        reception (units living by the same rules share one entry); every other row lives by this calendar.
        Loops over units, never over rows."""
        special = set(self.unit_decisions) | set(self.saturday_units)
        if not special:
            return []
        # Most rows belong to ordinary units: pick the special ones out before hashing codes one by one.
        candidates = np.flatnonzero(unit_codes.isin(special).to_numpy(dtype=bool))
        codes, uniques = pd.factorize(unit_codes.iloc[candidates])
        rules: dict[tuple, int] = {}  # a unit's own rules -> group number
        group_of_unique = np.full(len(uniques) + 1, -1, dtype=np.int64)  # the last entry: missing unit code
        calendars = []
        for position, code in enumerate(uniques):
            code = None if pd.isna(code) else str(code).strip()
            if code not in special:
                continue
            key = (tuple(sorted(self.unit_decisions.get(code, {}).items())), code in self.saturday_units)
            if key not in rules:
                rules[key] = len(calendars)
                # Kept between calls, so each unit calendar builds its day tables once.
                calendars.append(self._cache.setdefault(("unit", key), self.for_unit(code)))
            group_of_unique[position] = rules[key]
        group = np.full(len(unit_codes), -1, dtype=np.int64)
        group[candidates] = group_of_unique[codes]
        return [(calendar, group == number) for number, calendar in enumerate(calendars)]

    # ---- questions ----------------------------------------------------------------------------------
    def is_working_day(self, day):
        """Whether ``day`` is a working day (False for a missing date). Scalar or Series in, same out."""
        days, wrap = _days_in(day)
        table, (days,) = self._table_for(days)
        return wrap.booleans(table.is_working(days))

    def is_reception_day(self, day):
        """Working days, and Saturdays that are not declared days off when the calendar receives on
        Saturday mornings. Scalar or Series in, same out."""
        return self.day_kinds(day)[1]

    def day_kinds(self, day):
        """(``is_working_day``, ``is_reception_day``) of the same days, looked up in the day table once."""
        days, wrap = _days_in(day)
        table, (days,) = self._table_for(days)
        working = table.is_working(days)
        reception = working.copy()
        if self.saturday_reception:
            reception |= (_weekday(days) == SATURDAY) & ~table.is_declared_off(days) & ~np.isnat(days)
        return wrap.booleans(working), wrap.booleans(reception)

    def add_working_days(self, day, n):
        """The ``n``-th working day after ``day`` (n >= 1), ``day`` itself or the next working day (n = 0),
        or the ``-n``-th working day before it (n < 0). Scalars or Series (of days and/or of n)."""
        days, wrap = _days_in(day)
        if wrap.scalar and not np.isscalar(n):
            days = np.broadcast_to(days, len(n))
            wrap = _Wrap("series", n.index, n.name) if isinstance(n, pd.Series) else _Wrap("array")
        steps, steps_valid = _steps_in(n, len(days))
        if not steps_valid.all():
            days = np.where(steps_valid, days, np.datetime64("NaT"))
        table, (days,) = self._table_for(days, steps=(int(steps.min(initial=0)), int(steps.max(initial=0))))
        return wrap.dates(table.add(days, steps))

    def working_days_between(self, start, end):
        """Working days after ``start`` up to and including ``end`` (negative when ``end`` is earlier):
        ``add_working_days(a, working_days_between(a, b)) == b`` for a working day ``b``."""
        starts, wrap = _days_in(start)
        ends, wrap_end = _days_in(end)
        if wrap.scalar and not wrap_end.scalar:
            wrap, starts = wrap_end, np.broadcast_to(starts, ends.shape)
        elif wrap_end.scalar:
            ends = np.broadcast_to(ends, starts.shape)
        table, (starts, ends) = self._table_for(starts, ends)
        valid = ~(np.isnat(starts) | np.isnat(ends))
        if valid.all():
            return wrap.counts(table.count(starts, ends), valid)
        counts = np.zeros(len(starts), dtype=np.int64)
        counts[valid] = table.count(starts[valid], ends[valid])
        return wrap.counts(counts, valid)

    # ---- internals ----------------------------------------------------------------------------------
    def _with(self, days: dict[date, bool], unit_code: str | None) -> "WorkCalendar":
        if unit_code is None:
            return dataclasses.replace(self, decisions={**self.decisions, **days})
        unit_code = str(unit_code).strip()
        merged = {**self.unit_decisions.get(unit_code, {}), **days}
        return dataclasses.replace(self, unit_decisions={**self.unit_decisions, unit_code: merged})

    def _table_for(self, *arrays: np.ndarray, steps: tuple[int, int] = (0, 0)) -> tuple["_Days", tuple]:
        """The day table covering the days of ``arrays`` moved by ``steps`` (least, most) working days, with
        a year to spare either side; and the arrays, days outside ``TABLE_YEARS`` made NaT."""
        ranges = [bounds for bounds in map(_present_range, arrays) if bounds is not None]
        if not ranges:
            return self._days_for(date.today().year, date.today().year), arrays
        low, high = min(r[0] for r in ranges), max(r[1] for r in ranges)
        if low < _TABLE_LOW or high >= _TABLE_HIGH:
            return self._table_for(*map(_in_table_years, arrays), steps=steps)
        # Two calendar days per working day is generous (long holidays are covered by the year of margin).
        low, high = low + min(steps[0], 0) * 2, high + max(steps[1], 0) * 2
        first = int(np.datetime64(int(low), "D").astype("datetime64[Y]").astype(int)) + 1970
        last = int(np.datetime64(int(high), "D").astype("datetime64[Y]").astype(int)) + 1970
        return self._days_for(max(first - 1, TABLE_YEARS[0]), min(last + 1, TABLE_YEARS[1])), arrays

    def _days_for(self, first: int, last: int) -> "_Days":
        table = self._cache.get("days")
        if table is None or first < table.first or last > table.last:
            if table is not None:
                first, last = min(first, table.first), max(last, table.last)
            table = _Days.build(self.country, first, last, self.decisions)
            self._cache["days"] = table
        return table


@dataclass(frozen=True)
class _Days:
    """Resolved days of one calendar over the years ``first..last`` as lookup tables indexed by day number
    minus ``base``: each operation is a couple of array gathers, whatever the mix of days off and make-up
    working days. Built from a ``numpy.busdaycalendar`` (Monday to Friday minus the weekday days off) with
    the weekend working days set on top."""

    first: int
    last: int
    base: int  # day number (days since 1970-01-01) of 1 January of ``first``
    working: np.ndarray  # bool per day of the span
    declared_off: np.ndarray  # bool per day: a national or user day off (weekends included)
    before: np.ndarray  # int64, one longer than the span: working days from ``base`` up to (excluding) a day
    ordinals: np.ndarray  # datetime64[D]: the working days, in order

    @classmethod
    def build(cls, country: str | None, first: int, last: int, decisions: Mapping[date, bool]) -> "_Days":
        off, work = _national_days(country, max(first, NATIONAL_YEARS[0]), min(last, NATIONAL_YEARS[1]))
        off, work = set(off), set(work)
        for day, working in decisions.items():
            (work if working else off).add(day)
            (off if working else work).discard(day)
        start = np.datetime64(f"{first:04d}-01-01", "D")
        span = np.arange(start, np.datetime64(f"{last + 1:04d}-01-01", "D"))
        off_days, work_days = _sorted_days(off), _sorted_days(work)
        busdaycal = np.busdaycalendar(weekmask=_WEEKMASK, holidays=off_days)
        working = np.is_busday(span, busdaycal=busdaycal) | np.isin(span, work_days)
        declared_off = np.isin(span, off_days)
        before = np.concatenate([[0], np.cumsum(working, dtype=np.int64)])
        return cls(first, last, int(start.view(np.int64)), working, declared_off, before, span[working])

    def is_working(self, days: np.ndarray) -> np.ndarray:
        return self._per_day(self.working, days)

    def is_declared_off(self, days: np.ndarray) -> np.ndarray:
        return self._per_day(self.declared_off, days)

    def count(self, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
        """Working days d with start < d <= end (minus those with end < d <= start when end < start)."""
        return self.before.take(ends.view(np.int64) - (self.base - 1), mode="clip") \
            - self.before.take(starts.view(np.int64) - (self.base - 1), mode="clip")

    def add(self, days: np.ndarray, steps: np.ndarray) -> np.ndarray:
        """See ``WorkCalendar.add_working_days``; NaT stays NaT."""
        forward = steps > 0
        # The n-th working day after d (n >= 1) is the one with (working days <= d) + n - 1 before it; for
        # n <= 0 it has (working days < d) + n before it. Tables span the days asked about with a year to
        # spare, so ``mode="clip"`` only ever moves NaT rows, put right below. (In place: a million rows
        # make every temporary array cost as much as the arithmetic.)
        numbers = days.view(np.int64)
        rank = numbers - self.base
        rank += forward
        rank = self.before.take(rank, mode="clip")
        rank += steps
        rank -= forward
        result = self.ordinals.take(rank, mode="clip")
        missing = numbers == _NAT
        if missing.any():
            result[missing] = np.datetime64("NaT")
        return result

    def _per_day(self, table: np.ndarray, days: np.ndarray) -> np.ndarray:
        """``table``'s value on each of ``days`` (False for NaT)."""
        numbers = days.view(np.int64)
        result = table.take(numbers - self.base, mode="clip")
        missing = numbers == _NAT
        if missing.any():
            result[missing] = False
        return result


@lru_cache(maxsize=32)
def _national_days(country: str | None, first: int, last: int) -> tuple[frozenset, frozenset]:
    """(days off, make-up working days) of ``country`` in years ``first..last``: from ``holidays``, then for
    Vietnam the decisions of ``national_decisions`` on top (a decision's day overrides the package)."""
    if country is None or first > last:
        return frozenset(), frozenset()
    import holidays  # imported here: building a country's table is the only use

    table = holidays.country_holidays(country, years=range(first, last + 1))
    off = set(table.keys())
    work = {d for d in getattr(table, "weekend_workdays", ()) if first <= d.year <= last}
    if country == "VN":
        for day, working in _decided_days():
            if first <= day.year <= last:
                (work if working else off).add(day)
                (off if working else work).discard(day)
    return frozenset(off), frozenset(work)


def national_decisions() -> pd.DataFrame:
    """The national decisions isoaudit ships (``isoaudit/data/national_decisions.csv``), laid over the
    ``holidays`` package in ``WorkCalendar.vietnam``: columns ``DECISION_COLUMNS``, ``date`` a datetime64
    day, ``type`` "nghỉ" (day off) or "làm việc" (working day), the rest text ("" when not given)."""
    frame = _decisions_table().copy()
    frame["date"] = pd.to_datetime(frame["date"], format="%d/%m/%Y").astype("datetime64[us]")
    return frame


def tet_decision_years() -> frozenset[int]:
    """Years whose Lunar New Year (Tết) days off and swaps are recorded in ``national_decisions``."""
    table = _decisions_table()
    days = pd.to_datetime(table.loc[table["occasion"].eq(TET_OCCASION), "date"], format="%d/%m/%Y")
    return frozenset(int(year) for year in days.dt.year.unique())


def years_without_tet_decision(years: Iterable[int], days=()) -> list[int]:
    """Of ``years``, those whose Tết decision is recorded neither in ``national_decisions`` nor among
    ``days`` (the user's own decided dates: one in a year's Tết window, 10/1..5/3, records it), sorted. The
    ``holidays`` package counts Tết by the statutory rule only, so it never records a year's decision. Years
    before the table's first recorded Tết are left to the package: they were settled before the table began,
    and the decisions that arrive late (the ones this warns of) are those of the years to come."""
    table_years = tet_decision_years()
    recorded = set(table_years)
    (first_month, first_day), (last_month, last_day) = TET_WINDOW
    for day in _to_dates(days):
        if (first_month, first_day) <= (day.month, day.day) <= (last_month, last_day):
            recorded.add(day.year)
    first = min(table_years, default=TABLE_YEARS[0])
    return sorted({int(year) for year in years if int(year) >= first} - recorded)


@lru_cache(maxsize=1)
def _decisions_table() -> pd.DataFrame:
    """The shipped table as written (every column text); raises ValueError for a row that cannot be used."""
    with resources.files("isoaudit.data").joinpath(DECISIONS_FILE).open("r", encoding="utf-8") as handle:
        frame = pd.read_csv(handle, dtype=str, keep_default_na=False)
    if list(frame.columns) != DECISION_COLUMNS:
        raise ValueError(f"{DECISIONS_FILE}: columns {list(frame.columns)}, expected {DECISION_COLUMNS}")
    frame = frame.apply(lambda column: column.str.strip())
    unknown = ~frame["type"].isin(list(DECISION_TYPES))
    undated = pd.to_datetime(frame["date"], format="%d/%m/%Y", errors="coerce").isna()
    unsourced = frame["source"].eq("")
    bad = unknown | undated | unsourced
    if bad.any():
        raise ValueError(f"{DECISIONS_FILE}: rows {[int(i) + 2 for i in frame.index[bad]]} lack a date "
                         "(dd/mm/yyyy), a type (nghỉ / làm việc) or a source")
    return frame


@lru_cache(maxsize=1)
def _decided_days() -> tuple[tuple[date, bool], ...]:
    """(day, working) of each row of the shipped table, in file order (a later row wins on the same day)."""
    table = _decisions_table()
    days = pd.to_datetime(table["date"], format="%d/%m/%Y").dt.date
    return tuple(zip(days, table["type"].map(DECISION_TYPES).tolist()))


def _sorted_days(days: Iterable[date]) -> np.ndarray:
    return np.array(sorted(days), dtype="datetime64[D]")


def _weekday(days: np.ndarray) -> np.ndarray:
    return (days.astype("datetime64[D]").view(np.int64) + 3) % 7  # 1970-01-01 was a Thursday


def _present_range(days: np.ndarray) -> tuple[int, int] | None:
    """(first, last) day numbers of the days that are not NaT; None when there are none."""
    numbers = days.view(np.int64)
    if numbers.size == 0:
        return None
    first, last = int(numbers.min()), int(numbers.max())
    if first == _NAT and last != _NAT:
        # NaT is the smallest int64: one less wraps it round to the largest, out of the minimum's way.
        first = int((numbers - 1).min()) + 1
    return None if last == _NAT else (first, last)


def _in_table_years(values: np.ndarray) -> np.ndarray:
    """datetime64[D] days, NaT for dates outside ``TABLE_YEARS``."""
    days = values.astype("datetime64[D]", copy=False)
    numbers = days.view(np.int64)
    outside = ((numbers < _TABLE_LOW) | (numbers >= _TABLE_HIGH)) & (numbers != _NAT)
    return np.where(outside, np.datetime64("NaT"), days)


def _to_dates(days) -> list[date]:
    """Dates from anything date-like (strings are read day first), missing ones dropped."""
    if isinstance(days, (str, date, datetime, pd.Timestamp, np.datetime64)):
        days = [days]
    stamps = pd.to_datetime(pd.Series(list(days), dtype=object), dayfirst=True, format="mixed")
    return [stamp.date() for stamp in stamps.dropna()]


def _days_in(value) -> tuple[np.ndarray, "_Wrap"]:
    """``value`` as a datetime64[D] array (times dropped) and the wrapper giving results the same shape."""
    if isinstance(value, pd.Series):
        if not pd.api.types.is_datetime64_dtype(value.dtype):
            value = pd.to_datetime(value, dayfirst=True, format="mixed")
        return value.to_numpy().astype("datetime64[D]"), _Wrap("series", value.index, value.name)
    if isinstance(value, np.ndarray) and value.dtype.kind == "M":
        return value.astype("datetime64[D]", copy=False), _Wrap("array")
    if value is None or value is pd.NaT or (isinstance(value, float) and value != value):
        return np.array(["NaT"], dtype="datetime64[D]"), _Wrap("scalar")
    if isinstance(value, (str, date, datetime, pd.Timestamp, np.datetime64)):
        stamp = pd.to_datetime(value, dayfirst=True, format="mixed") if isinstance(value, str) else pd.Timestamp(value)
        return np.array([stamp.to_datetime64()]).astype("datetime64[D]"), _Wrap("scalar")
    return _days_in(pd.Series(value))


def _steps_in(n, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Working-day counts as an int64 array of ``size`` and a mask of the present ones."""
    if isinstance(n, (int, np.integer)):
        return np.full(size, int(n), dtype=np.int64), np.ones(size, dtype=bool)
    if isinstance(n, np.ndarray) and n.dtype.kind in "iu" and len(n) == size:
        return n.astype(np.int64, copy=False), np.ones(size, dtype=bool)
    values = pd.array(n.to_numpy() if isinstance(n, pd.Series) else n, dtype="Int64")
    if len(values) != size:
        raise ValueError(f"{len(values)} working-day counts for {size} days")
    valid = ~values.isna()
    return values.to_numpy(dtype=np.int64, na_value=0), np.asarray(valid)


@dataclass(frozen=True)
class _Wrap:
    """Gives results back in the caller's form: a scalar (date, bool, int or None), a Series on the caller's
    index (datetime64, bool, Int64), or for a datetime64 numpy array a numpy array (datetime64[D], bool,
    int64; counting with NaT raises ValueError, as numpy.busday_count does)."""

    form: str  # scalar, series, array
    index: pd.Index | None = None
    name: object = None

    @property
    def scalar(self) -> bool:
        return self.form == "scalar"

    def dates(self, values: np.ndarray):
        if self.form == "scalar":
            return None if np.isnat(values[0]) else values[0].astype(date)
        if self.form == "array":
            return values
        return pd.Series(values.astype(_OUTPUT_DATES), index=self.index, name=self.name)

    def booleans(self, values: np.ndarray):
        if self.form == "scalar":
            return bool(values[0])
        if self.form == "array":
            return values
        return pd.Series(values, index=self.index, name=self.name)

    def counts(self, values: np.ndarray, valid: np.ndarray):
        if self.form == "scalar":
            return int(values[0]) if valid[0] else None
        if self.form == "array":
            if not valid.all():
                raise ValueError("cannot count working days from or to a missing date (NaT)")
            return values
        return pd.Series(pd.arrays.IntegerArray(values, ~valid), index=self.index, name=self.name)


def records_calendar(records) -> WorkCalendar:
    """The calendar a records folder lives by: Vietnam's, with the folder's own decisions
    (``records.calendar_days``, from ``calendar.csv``) and the units that receive dossiers on Saturday
    mornings (``saturday_reception`` in the unit registry)."""
    calendar = WorkCalendar.vietnam().with_decisions(records.calendar_days)
    units = records.units
    receiving = units["saturday_reception"].astype("boolean").fillna(False).to_numpy(dtype=bool)
    codes = units.loc[receiving, "unit_code"].dropna().tolist()
    return calendar.with_saturday_reception(codes) if codes else calendar
