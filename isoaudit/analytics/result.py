"""What every audit-analytics test gives back (issue #18): a table of what it found, the numbers its
paragraph is worded with, the ISO 9001 clause it bears on, and the dossiers it flags, each with the reason an
auditor would read beside it in the sample worksheet and the audit form.

A test never says a dossier is wrong: it says what in the log looks unlike the rest and what that may hide.
The words (title, what it means, what it does not prove, each reason) live in ``data/labels_analytics.toml``
under ``analytics.<test>.*``; the thresholds in ``data/analytics.toml``.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

# One row per flagged dossier: its id, the reason code (worded by ``analytics.<test>.reason.<reason>``), and
# the values that reason's words name (``detail``: a dict of plain JSON values).
FLAGGED_COLUMNS = ["dossier_id", "reason", "detail"]


@dataclass(frozen=True)
class AnalyticsResult:
    """The outcome of one test on one unit and period.

    ``table``: what it found, ready to show (no citizen's personal data; columns worded by
    ``analytics.col.<column>``). ``params``: the numbers the paragraph ``analytics.<test>.found`` (or
    ``.none``) is worded with. ``flagged``: ``FLAGGED_COLUMNS``. ``missing``: a reason code
    (``analytics.missing.<code>``) when the records cannot support the test; then nothing else is set."""

    test: str
    clause: str
    table: pd.DataFrame = field(default_factory=pd.DataFrame)
    params: dict = field(default_factory=dict)
    flagged: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=FLAGGED_COLUMNS))
    missing: str | None = None

    @property
    def available(self) -> bool:
        return self.missing is None

    @property
    def quiet(self) -> bool:
        """Whether the test found nothing to look at (an available test with no flagged dossier or row)."""
        return self.available and self.flagged.empty and self.table.empty


def flagged_frame(dossier_ids, reason: str, details=None) -> pd.DataFrame:
    """The ``FLAGGED_COLUMNS`` frame of ``dossier_ids`` flagged for ``reason`` (``details``: one dict each)."""
    ids = [str(i) for i in dossier_ids]
    details = list(details) if details is not None else [{} for _ in ids]
    return pd.DataFrame({"dossier_id": ids, "reason": [reason] * len(ids), "detail": details},
                        columns=FLAGGED_COLUMNS)
