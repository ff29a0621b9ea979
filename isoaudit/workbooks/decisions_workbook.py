"""The chair's decisions workbook of a management review (clause 9.3.3).

The review of year Y leaves ``FOLDER/reviews/<unit_code>_quyet_dinh_<Y>.xlsx`` for the chair to complete
(decision, owner, deadline; the owner updates the status during the year). It is pre-filled with the
improvement opportunities the data suggests, headed with column names ``load_records`` recognises, so the
review of year Y+1 reads it back as record kind ``decisions``. A file that already exists is never replaced.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from isoaudit.decisions import DECISION_COLUMNS, decisions_file_name
from isoaudit.i18n import check_lang, label
from isoaudit.outputs.xlsx import SheetSpec, write_workbook
from isoaudit.safety import inside
from isoaudit.text import fold

REVIEWS_FOLDER = "reviews"
# Folder names load_records accepts for decisions (see isoaudit.records.load.FOLDERS).
_FOLDER_NAMES = ("reviews", "decisions", "xem xet", "xem xet lanh dao")


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
    write_workbook(path, {label("review.decisions.sheet", lang): sheet}, lang)
    return True


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
        # Words the reader maps back to codes (isoaudit/data/vocabulary.csv), from the labels files.
        "category": categories.fillna("improvement").map(
            lambda code: label(f"review.decisions.word.category.{code}", lang)).tolist(),
        "owner": [None] * count,
        "deadline": [None] * count,
        "status": [label("review.decisions.word.status.open", lang)] * count,
        "result": [None] * count,
    })
