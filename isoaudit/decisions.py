"""Decisions of a management review (clause 9.3.3) and their follow-up at the next review (input 9.3.2 a).

The chair records them in the workbook ``workbooks.decisions_workbook`` leaves; the review of the next year
reads it back as record kind ``decisions``.
"""
from __future__ import annotations

import pandas as pd

from isoaudit.safety import safe_filename

DECISION_COLUMNS = ["unit_code", "year", "decision_id", "decision", "category", "owner", "deadline", "status",
                    "result"]
FINISHED = ("done", "cancelled")


def decisions_file_name(unit_code: str, year: int) -> str:
    """``<unit_code>_quyet_dinh_<year>.xlsx``: the unit code first, so the reader assigns the unit."""
    return f"{safe_filename(unit_code, 'unit')}_quyet_dinh_{int(year)}.xlsx"


def carried_decisions(decisions: pd.DataFrame, year: int, as_of) -> pd.DataFrame:
    """Decisions input (a) of the review of ``year``: every decision of the previous review, and older ones
    not yet finished. Adds ``overdue`` (deadline before ``as_of`` and not done or cancelled) and
    ``status_known`` (False when nobody recorded a status). Sorted by review year, then id."""
    as_of = pd.Timestamp(as_of).normalize()
    earlier = decisions[(decisions["year"] < int(year)).fillna(False)]
    status = earlier["status"].astype("string")
    finished = status.isin(FINISHED).fillna(False)
    keep = (earlier["year"] == int(year) - 1).fillna(False) | ~finished
    carried = earlier[keep].copy()
    finished = finished[keep]
    carried["overdue"] = ((carried["deadline"] < as_of).fillna(False) & ~finished).astype(bool)
    carried["status_known"] = carried["status"].notna()
    return carried.sort_values(["year", "decision_id"], kind="stable").reset_index(drop=True)


def decision_status_counts(carried: pd.DataFrame) -> dict[str, int]:
    """How many carried decisions are in each status (``unknown`` when none was recorded), and overdue."""
    status = carried["status"].astype("string").fillna("unknown")
    counts = {key: int((status == key).sum()) for key in ("done", "in_progress", "open", "cancelled", "unknown")}
    counts["overdue"] = int(carried["overdue"].sum())
    counts["total"] = len(carried)
    return counts
