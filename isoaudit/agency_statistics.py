"""The agency's periodic statistics on TTHC results (Biểu II.06a), counted two ways: as its one-stop software
counts them, against the appointment date it stored, and by law, against the legal due date of
``timeliness.assess``. The difference is audit evidence (domain brief §6, "Legal vs stored appointment").

``agency_statistics(unit_year, start)`` gives the form's table for the period from ``start`` to the unit year's
``as_of`` (the period's end, judged on that day), with each line counted both ways and the dossiers whose line
differs, for an auditor to sample. The dossiers are the unit year's (``measures.UnitYear.assessed``: received
since 1 January of the year before, judged as of ``as_of``, returns after it not yet made), plus older ones
still open at the period's start.

Lines (``LINES``; the leaves of each group add up to its total, and received = handled + in progress both ways):

- received: carried over (received before the period, not returned by its start), new (received in it);
- handled (returned in the period): early, on time, late, and not judged;
- in progress (not returned at the period's end): within time, overdue, and not judged.

As the software counts: returned before the stored appointment day ``due_date`` is early, on it on time,
after it late; not returned, overdue when the appointment is before ``as_of``. The form counts withdrawn,
refused or stopped dossiers (set aside) and dossiers waiting for a supplement among those handled on time,
and so does this count. A dossier without a stored appointment is not judged.
By law: ``timeliness.assess``'s status; set-aside dossiers are handled, not judged (neither on time nor
late); a dossier waiting for a supplement is in progress, its clock stopped. A set-aside dossier with no
return date is taken as closed when received (the log gives no other date).
The figures the agency itself reported (its xlsx of the form) are compared with these in
``isoaudit.reported_statistics``.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd

from isoaudit.measures import UnitYear, judge_as_of
from isoaudit.timeliness import dossier_states

GROUPS = {
    "received": ("received_carried_over", "received_new"),
    "handled": ("handled_early", "handled_on_time", "handled_late", "handled_not_judged"),
    "in_progress": ("in_progress_within_time", "in_progress_overdue", "in_progress_not_judged"),
}
# The form's lines in its order, each group followed by its total.
LINES = tuple(line for group, leaves in GROUPS.items() for line in (*leaves, f"{group}_total"))
DOSSIER_LINES = GROUPS["handled"] + GROUPS["in_progress"]  # the lines a dossier is put on each way
WAYS = ("software", "law")
NOT_JUDGED_LINES = ("handled_not_judged", "in_progress_not_judged")  # not lines of the form: shown when used
DOSSIER_COLUMNS = ["dossier_id", "procedure_code", "procedure_name", "channel", "received_at", "due_date",
                   "legal_due_date", "returned_date", "carried_over", "appointment_beyond_legal", "software_line",
                   "law_line"]
_LAW_LINES = {"early": "handled_early", "on_time": "handled_on_time", "late": "handled_late",
              "in_progress": "in_progress_within_time", "overdue": "in_progress_overdue"}


@dataclass(frozen=True)
class AgencyStatistics:
    """The periodic statistics of one unit from ``start`` to ``end`` (judged as of ``end``), both ways.

    ``dossiers``: one row per dossier of the period (``DOSSIER_COLUMNS``; no personal data), with the line
    each way puts it on."""

    unit_code: str | None
    start: pd.Timestamp
    end: pd.Timestamp
    dossiers: pd.DataFrame

    @cached_property
    def table(self) -> pd.DataFrame:
        """One row per line of ``LINES``: ``line``, ``group``, ``software`` and ``law`` counts, ``difference``
        (software minus law)."""
        counts = {way: self.dossiers[f"{way}_line"].value_counts() for way in WAYS}
        rows = []
        for group, leaves in GROUPS.items():
            for line in (*leaves, f"{group}_total"):
                chosen = leaves if line.endswith("_total") else (line,)
                rows.append({"line": line, "group": group,
                             **{way: int(sum(counts[way].get(leaf, 0) for leaf in chosen)) for way in WAYS}})
        table = pd.DataFrame(rows)
        received = self.dossiers["carried_over"]
        for way in WAYS:  # the received lines are facts of the log, the same both ways
            table.loc[table["line"] == "received_carried_over", way] = int(received.sum())
            table.loc[table["line"] == "received_new", way] = int((~received).sum())
            table.loc[table["line"] == "received_total", way] = len(received)
        table["difference"] = table["software"] - table["law"]
        return table

    @cached_property
    def differing(self) -> pd.DataFrame:
        """The dossiers the two ways put on different lines, most days between appointment and legal due
        date first (an appointment longer than the law allows is the usual cause)."""
        frame = self.dossiers[(self.dossiers["software_line"] != self.dossiers["law_line"]).to_numpy(bool)]
        gap = (frame["due_date"] - frame["legal_due_date"]).dt.days
        return frame.assign(gap=gap).sort_values(["gap", "dossier_id"], ascending=[False, True],
                                                 na_position="last").drop(columns="gap").reset_index(drop=True)

    def count(self, line: str, way: str) -> int:
        return int(self.table.loc[self.table["line"] == line, way].iloc[0])

    def on_time_rate(self, way: str) -> float | None:
        """(early + on time) / handled and judged, a fraction 0..1; None when nothing judged was handled.
        The software's base includes the set-aside dossiers it counts on time."""
        early, on_time = self.count("handled_early", way), self.count("handled_on_time", way)
        judged = early + on_time + self.count("handled_late", way)
        return (early + on_time) / judged if judged else None

    @property
    def differ(self) -> bool:
        return bool((self.table["difference"] != 0).any())

    @property
    def beyond_legal(self) -> int:
        """Dossiers judged differently whose stored appointment is later than the legal due date."""
        return int(self.differing["appointment_beyond_legal"].fillna(False).sum())


def agency_statistics(unit_year: UnitYear, start=None) -> AgencyStatistics:
    """The periodic statistics of ``unit_year``'s unit for the period from ``start`` (a date; default the
    year's 1 January, or the unit's first day when it was formed later) to ``unit_year.as_of``, judged as of
    that day. ``start`` may not be before 1 January of the year before (the dossiers ``UnitYear`` judges)."""
    start = _first_day(unit_year) if start is None else pd.Timestamp(start).normalize()
    end = unit_year.as_of
    first = pd.Timestamp(unit_year.year - 1, 1, 1)
    if start < first or start > end:
        raise ValueError(f"the period must start between {first:%d/%m/%Y} and {end:%d/%m/%Y}, not {start:%d/%m/%Y}")
    judged = unit_year.assessed.drop(columns=["received_year", "month"])
    older = _open_before(unit_year, first, start)
    if len(older):
        judged = pd.concat([judged, older], ignore_index=True)
    return AgencyStatistics(unit_year.unit_code, start, end, _lines(judged, start, end))


def _first_day(unit_year: UnitYear) -> pd.Timestamp:
    """The year's 1 January, or the day the unit was formed when later (a commune of 1/7/2025): its
    statistics cannot begin before it existed."""
    formed = unit_year.unit.get("valid_from") if unit_year.unit_code is not None else None
    if formed is not None and not pd.isna(formed) and pd.Timestamp(formed) > unit_year.start:
        return min(pd.Timestamp(formed).normalize(), unit_year.as_of)
    return unit_year.start


def period_statistics(records, unit_code: str | None, start, end, calendar=None) -> AgencyStatistics:
    """``agency_statistics`` of a unit for any period of at most a year or so (a quarter 15/12 to 14/3,
    a year): the unit year of ``end``, judged as of ``end``."""
    end = pd.Timestamp(end).normalize()
    return agency_statistics(UnitYear(records, unit_code, end.year, as_of=end, calendar=calendar), start)


def _open_before(unit_year: UnitYear, first: pd.Timestamp, start: pd.Timestamp) -> pd.DataFrame:
    """The unit's dossiers received before ``first`` (outside ``UnitYear.assessed``) and not returned by
    ``start``, judged the same way: a dossier open for years is still carried over."""
    dossiers = unit_year.own.dossiers
    older = (dossiers["received_at"] < first) & ~(dossiers["returned_date"] < start)
    older = dossiers[older.fillna(False).to_numpy(bool)].reset_index(drop=True)
    if older.empty:
        return older
    return judge_as_of(older, unit_year.records.procedures, unit_year.calendar, unit_year.as_of)


def _lines(judged: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
    """The dossiers of the period with the line each way puts them on (``DOSSIER_COLUMNS``)."""
    received = judged["received_at"].dt.normalize()
    returned = judged["returned_date"].dt.normalize()  # returns after ``end`` are already blank
    set_aside = judged["unassessable_reason"].isin(_set_aside_codes()).to_numpy(bool)
    # A set-aside dossier with no return date closed when it was received, as far as the log tells.
    closed = returned.where(returned.notna() | ~set_aside, received)
    in_period = (received <= end) & ((received >= start) | ~(closed < start))
    frame = judged[in_period.fillna(False).to_numpy(bool)].reset_index(drop=True)
    frame["carried_over"] = (frame["received_at"].dt.normalize() < start).to_numpy(bool)
    frame["software_line"] = _software_lines(frame, end)
    frame["law_line"] = _law_lines(frame)
    for column in DOSSIER_COLUMNS:
        if column not in frame:
            frame[column] = pd.NA
    return frame[DOSSIER_COLUMNS]


def _software_lines(frame: pd.DataFrame, end: pd.Timestamp) -> np.ndarray:
    """The line the one-stop software puts each dossier on: dates against the stored appointment."""
    appointment = pd.to_datetime(frame["due_date"]).dt.normalize()
    returned = frame["returned_date"].dt.normalize()
    requested = _dates(frame, "supplement_requested_at")
    supplied = _dates(frame, "supplement_received_at")
    waiting = (returned.isna() & (requested <= end) & ~(supplied <= end)).fillna(False)
    set_aside = frame["unassessable_reason"].isin(_set_aside_codes()).fillna(False)
    conditions = [
        (set_aside | waiting).to_numpy(bool),  # the form counts them handled on time
        (returned.notna() & appointment.isna()).to_numpy(bool),
        (returned < appointment).fillna(False).to_numpy(bool),
        (returned == appointment).fillna(False).to_numpy(bool),
        (returned > appointment).fillna(False).to_numpy(bool),
        appointment.isna().to_numpy(bool),
        (appointment < end).fillna(False).to_numpy(bool),
    ]
    choices = ["handled_on_time", "handled_not_judged", "handled_early", "handled_on_time", "handled_late",
               "in_progress_not_judged", "in_progress_overdue"]
    return np.select(conditions, choices, default="in_progress_within_time")


def _law_lines(frame: pd.DataFrame) -> np.ndarray:
    """The line ``timeliness.assess``'s status puts each dossier on; set aside or unjudged: not judged."""
    status = frame["status"].astype("string").map(_LAW_LINES, na_action="ignore")
    set_aside = frame["unassessable_reason"].isin(_set_aside_codes()).fillna(False)
    finished = (frame["returned_date"].notna() | set_aside).to_numpy(bool)
    unjudged = np.where(finished, "handled_not_judged", "in_progress_not_judged")
    return np.where(status.isna().to_numpy(bool), unjudged, status.fillna("").to_numpy(str))


def _set_aside_codes() -> tuple[str, ...]:
    return tuple(state.code for state in dossier_states() if state.counted_as == "set_aside")


def _dates(frame: pd.DataFrame, name: str) -> pd.Series:
    if name not in frame:
        return pd.Series(pd.NaT, index=frame.index, dtype="datetime64[ns]")
    return pd.to_datetime(frame[name]).dt.normalize()
