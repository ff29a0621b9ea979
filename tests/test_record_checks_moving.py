"""``check_dossiers(moving=True)``: the kept rows are moved out of the frame checked, a column at a time, so a
province's dossiers are not held twice; what is kept, set aside and said is the same as without."""
from __future__ import annotations

import pandas as pd

from isoaudit.records.validate import check_dossiers


def _log() -> pd.DataFrame:
    received = pd.to_datetime(["2025-03-03 08:00", "2025-03-04 09:00", "2025-03-05 10:00", "2025-03-06 11:00"])
    return pd.DataFrame({
        "dossier_id": pd.array(["H1", "H2", "H2", "H3"], dtype="string"),
        "unit_code": pd.array(["08011"] * 4, dtype="string"),
        "procedure_code": pd.array(["1.001"] * 4, dtype="string"),
        "procedure_name": pd.array(["Chứng thực bản sao"] * 4, dtype="string"),
        "received_at": received,
        # H3 returned the day before it was received: set aside.
        "returned_date": pd.to_datetime(["2025-03-04", None, "2025-03-06", "2025-03-05"]),
        "due_date": pd.to_datetime(["2025-03-10"] * 4),
        "supplement_requested_at": pd.to_datetime([None] * 4),
        "supplement_received_at": pd.to_datetime([None] * 4),
        "new_due_date": pd.to_datetime([None] * 4),
        "source_file": pd.array(["so.xlsx"] * 4, dtype="string"),
        "source_row": [5, 6, 7, 8],
    })


def test_moving_keeps_sets_aside_and_says_the_same_and_empties_the_frame_checked():
    copied = check_dossiers(_log(), set())
    checked = _log()
    moved = check_dossiers(checked, set(), moving=True)
    pd.testing.assert_frame_equal(moved.kept, copied.kept)
    pd.testing.assert_frame_equal(moved.excluded, copied.excluded)
    assert moved.problems == copied.problems
    assert list(moved.kept["dossier_id"]) == ["H1", "H2"]
    assert sorted(moved.excluded["reason"]) == ["duplicate_id", "returned_before_received"]
    assert checked.columns.empty  # its columns went into the kept rows


def test_moving_nothing_set_aside_leaves_the_frame_checked_as_it_was():
    log = _log().iloc[:2]
    checked = log.copy()
    moved = check_dossiers(checked, set(), moving=True)
    pd.testing.assert_frame_equal(checked, log)
    pd.testing.assert_frame_equal(moved.kept, log.reset_index(drop=True))
