"""Roll-ups of assessed dossiers (``timeliness.assess``): counts per status and on-time rates by unit,
procedure, field and month of receipt, and the lists an auditor follows up (late, overdue, unassessable).

No citizen's personal data appears in any of them.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from isoaudit import schema
from isoaudit.timeliness import DATA_REASONS, LATE_STATUSES, STATUSES, reasons

GROUPINGS = {"unit": ["unit_code"], "procedure": ["procedure_code"], "field": ["field"], "month": ["month"]}
COUNT_COLUMNS = ["dossiers", *STATUSES, "unassessable", "set_aside", "returned", "on_time_rate",
                 "late_without_apology", "appointment_beyond_legal", "log_status_conflicts"]
LOG_FLAGS = ("log_finished_without_return", "log_open_with_return")  # the software's status against the dates
LIST_COLUMNS = ["unit_code", "unit_name", "dossier_id", "procedure_code", "procedure_name", "field", "received_at",
                "due_date", "legal_days", "supplement_days", "legal_due_date", "returned_date", "log_status", "status",
                "days_late", "apology_date", "new_due_date", "late_against_new_appointment", "appointment_beyond_legal",
                "source_file", "source_row"]


def summarise(assessed: pd.DataFrame, by: str | None = None) -> pd.DataFrame:
    """Counts for the whole frame (``by`` None) or per ``by`` ("unit", "procedure", "field", "month" of
    receipt): ``COUNT_COLUMNS``. ``returned`` = early + on time + late; ``on_time_rate`` = (early + on
    time) / returned, a fraction 0..1 (NaN with nothing returned); ``overdue`` = not returned, past due;
    ``unassessable`` = not judged, of which ``set_aside`` by the log's status (withdrawn, refused, stopped);
    ``log_status_conflicts`` = dossiers whose status in the software contradicts their return date."""
    frame = _with_month(assessed) if by == "month" else assessed
    keys = GROUPINGS[by] if by else []
    codes = frame["status"].cat.codes.to_numpy()
    # One indicator column per status, summed per group: one pass whatever the number of groups.
    counts = pd.DataFrame({status: (codes == number).astype(np.int64) for number, status in enumerate(STATUSES)},
                          index=frame.index)
    counts["dossiers"] = 1
    for flag in ("late_without_apology", "appointment_beyond_legal"):
        counts[flag] = frame[flag].fillna(False).astype(np.int64)
    set_aside = reasons()[len(DATA_REASONS):]  # the log's states follow the data reasons
    counts["set_aside"] = frame["unassessable_reason"].isin(set_aside).to_numpy(dtype=bool).astype(np.int64)
    conflicts = np.zeros(len(frame), dtype=bool)
    for flag in LOG_FLAGS:
        if flag in frame:  # a frame judged before isoaudit read the log's status has neither
            conflicts |= frame[flag].fillna(False).to_numpy(dtype=bool)
    counts["log_status_conflicts"] = conflicts.astype(np.int64)
    if keys:
        table = counts.groupby([frame[k] for k in keys], observed=True, dropna=False, sort=True).sum()
    else:
        table = counts.sum().to_frame().T
    table["unassessable"] = table["dossiers"] - table[list(STATUSES)].sum(axis=1)
    table["returned"] = table["early"] + table["on_time"] + table["late"]
    with np.errstate(invalid="ignore", divide="ignore"):
        table["on_time_rate"] = (table["early"] + table["on_time"]) / table["returned"].where(table["returned"] > 0)
    table = table[COUNT_COLUMNS].reset_index(drop=not keys)
    table = _add_names(table, assessed, by)
    if by == "month":
        # Text "MM/YYYY" whatever the rows (an empty table would otherwise keep a Period column).
        table["month"] = pd.array([p.strftime("%m/%Y") if pd.notna(p) else "" for p in table["month"]],
                                  dtype="string")
    return table


def summaries(assessed: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """The whole (key ``"overall"``) and every grouping of ``GROUPINGS``."""
    return {"overall": summarise(assessed), **{by: summarise(assessed, by) for by in GROUPINGS}}


def timeliness_tables(assessed: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Every table of a timeliness report, without citizens' personal data: ``summaries`` (overall and each
    grouping), ``late`` (``late_list``), ``unassessable`` (``unassessable_list``) and ``detail`` (every dossier
    with its assessment)."""
    return {**summaries(assessed), "late": late_list(assessed), "unassessable": unassessable_list(assessed),
            "detail": without_personal_data(assessed)}


def late_list(assessed: pd.DataFrame) -> pd.DataFrame:
    """Late and overdue dossiers, by unit then most working days late first (``LIST_COLUMNS`` present)."""
    late = assessed[assessed["status"].isin(LATE_STATUSES)]
    columns = [c for c in LIST_COLUMNS if c in late] + ["late_without_apology"]
    order = [c for c in ("unit_code", "days_late") if c in late]
    late = late.sort_values(order, ascending=[c != "days_late" for c in order], kind="stable")
    return late[columns].reset_index(drop=True)


def unassessable_list(assessed: pd.DataFrame) -> pd.DataFrame:
    """Dossiers that could not be judged, with ``unassessable_reason``."""
    rows = assessed[assessed["unassessable_reason"].notna()]
    columns = [c for c in LIST_COLUMNS if c in rows and c not in ("status", "days_late")]
    return rows[columns + ["unassessable_reason"]].reset_index(drop=True)


def without_personal_data(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` without the citizens' personal data columns of the dossier schema."""
    return frame.drop(columns=[c for c in schema.personal_columns("dossiers") if c in frame])


def _with_month(assessed: pd.DataFrame) -> pd.DataFrame:
    received = pd.to_datetime(assessed["received_at"])
    return assessed.assign(month=received.dt.to_period("M"))


def _add_names(table: pd.DataFrame, assessed: pd.DataFrame, by: str | None) -> pd.DataFrame:
    """Readable names beside the codes: the unit's name, the procedure's name and legal time."""
    names = {"unit": ("unit_code", ["unit_name"]), "procedure": ("procedure_code", ["procedure_name", "legal_days"])}
    if by not in names:
        return table
    key, wanted = names[by]
    present = [c for c in wanted if c in assessed]
    if not present:
        return table
    if assessed.empty:  # nothing to look names up in (a join on an empty string column fails in pyarrow)
        return table.assign(**{c: assessed[c].iloc[:0].reset_index(drop=True) for c in present})[
            [key, *present, *[c for c in table.columns if c != key]]]
    first = assessed[[key, *present]].dropna(subset=[key]).groupby(key, sort=False).first()
    table = table.join(first, on=key)
    return table[[key, *present, *[c for c in table.columns if c not in (key, *present)]]]
