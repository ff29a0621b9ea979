"""The building blocks every review section uses: a section for a clause input, a table of chosen columns,
and the warning of an input without data."""
from __future__ import annotations

import pandas as pd

from isoaudit.review.context import ReviewContext
from isoaudit.review.pack import CLAUSES, ReviewSection, ReviewTable


def new_section(context: ReviewContext, key: str) -> ReviewSection:
    return ReviewSection(key, CLAUSES[key], context.t(f"section.{key}"), context.lang)


def new_table(context: ReviewContext, key: str, frame: pd.DataFrame, columns: list[str], formats: dict | None = None,
           **title_params) -> ReviewTable:
    # Only the columns shown travel with the pack: no personal data or working columns reach an output.
    return ReviewTable(key, context.t(f"table.{key}", **title_params), frame[columns].reset_index(drop=True),
                       {c: context.t(f"col.{c}") for c in columns}, formats or {}, context.lang)


def lacks(section: ReviewSection, rows: pd.DataFrame, warning: str) -> bool:
    """Whether ``rows`` is empty; then ``section`` says so with ``warning`` (an input without data is a warning
    in its section, never left out)."""
    if rows.empty:
        section.warnings.append(warning)
    return rows.empty
