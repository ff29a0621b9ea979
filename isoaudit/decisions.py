"""Decisions of a management review (clause 9.3.3) and their follow-up at the next review (input 9.3.2 a).

The review of year Y leaves a workbook ``FOLDER/reviews/<unit_code>_quyet_dinh_<Y>.xlsx`` for the chair to
complete (decision, owner, deadline; the owner updates the status during the year). It is pre-filled with the
improvement opportunities the data suggests, headed with column names ``load_records`` recognises, so the
review of year Y+1 reads it back as record kind ``decisions``. A file that already exists is never replaced.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from isoaudit.i18n import check_lang, label
from isoaudit.outputs.xlsx import SheetSpec, write_workbook
from isoaudit.safety import inside, safe_filename
from isoaudit.text import fold

DECISION_COLUMNS = ["unit_code", "year", "decision_id", "decision", "category", "owner", "deadline", "status",
                    "result"]
FINISHED = ("done", "cancelled")
REVIEWS_FOLDER = "reviews"
# Folder names load_records accepts for decisions (see isoaudit.records.load.FOLDERS).
_FOLDER_NAMES = ("reviews", "decisions", "xem xet", "xem xet lanh dao")
# Words written into the template that the reader maps back to canonical codes (isoaudit/data/vocabulary.csv).
_CATEGORY_WORDS = {"vi": {"improvement": "cải tiến", "qms_change": "thay đổi HTQLCL", "resources": "nguồn lực"},
                   "en": {"improvement": "improvement", "qms_change": "qms_change", "resources": "resources"}}
_STATUS_WORDS = {"vi": {"open": "chưa thực hiện"}, "en": {"open": "open"}}


def decisions_file_name(unit_code: str, year: int) -> str:
    """``<unit_code>_quyet_dinh_<year>.xlsx``: the unit code first, so the reader assigns the unit."""
    return f"{safe_filename(unit_code, 'unit')}_quyet_dinh_{int(year)}.xlsx"


def decisions_path(folder, unit_code: str, year: int) -> Path:
    """Where the decisions of ``year`` go in a records folder: its existing reviews folder (``reviews/``,
    ``xem_xet/``...) or a new ``reviews/``."""
    folder = Path(folder)
    existing = sorted(p.name for p in folder.iterdir() if p.is_dir() and fold(p.name) in _FOLDER_NAMES) \
        if folder.is_dir() else []
    return inside(folder, existing[0] if existing else REVIEWS_FOLDER, decisions_file_name(unit_code, year))


def write_decisions_template(path, unit_code: str, unit_name: str, year: int, proposals: pd.DataFrame | None = None,
                             lang: str = "vi") -> bool:
    """Write the decisions workbook for the review of ``year`` unless ``path`` exists. True when written.

    ``proposals`` (columns ``opportunity`` and optionally ``category``) pre-fill one row each, numbered
    ``<year>-01``...; the chair edits, deletes or adds rows. Headers are in ``lang`` and read back by
    ``load_records`` whatever the language.
    """
    check_lang(lang)
    path = Path(path)
    if path.exists():
        return False
    rows = _proposed_rows(unit_code, year, proposals, lang)
    sheet = SheetSpec(
        frame=rows,
        headers={column: label(f"review.decisions.col.{column}", lang) for column in DECISION_COLUMNS},
        title_lines=[label("review.decisions.title", lang, year=year, unit=unit_name),
                     label("review.decisions.hint", lang, next_year=int(year) + 1)],
    )
    write_workbook(path, {label("review.decisions.sheet", lang): sheet})
    return True


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


def _proposed_rows(unit_code: str, year: int, proposals: pd.DataFrame | None, lang: str) -> pd.DataFrame:
    if proposals is None or proposals.empty:
        return pd.DataFrame(columns=DECISION_COLUMNS)
    count = len(proposals)
    categories = proposals["category"] if "category" in proposals else pd.Series("improvement", index=proposals.index)
    return pd.DataFrame({
        "unit_code": [unit_code] * count,
        "year": [int(year)] * count,
        "decision_id": [f"{int(year)}-{n:02d}" for n in range(1, count + 1)],
        "decision": proposals["opportunity"].astype(str).tolist(),
        "category": categories.fillna("improvement").map(_CATEGORY_WORDS[lang]).tolist(),
        "owner": [None] * count,
        "deadline": [None] * count,
        "status": [_STATUS_WORDS[lang]["open"]] * count,
        "result": [None] * count,
    })
