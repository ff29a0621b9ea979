"""The flagged dossiers of a test (``analytics.result.Flags``): kept by position, counted once each."""
from __future__ import annotations

import numpy as np
import pandas as pd

from isoaudit.analytics.result import Flags, dates

IDS = pd.Series(["H56-250106-0001", "H56-250106-0002", "H56-250107-0001", "H56-250107-0002"], dtype="string")


def test_a_dossier_flagged_for_two_reasons_is_one_dossier():
    flags = Flags(IDS)
    flags.add(np.array([0, 2]), "sunday", day=dates(np.array(["2025-01-05", "2025-01-12"], dtype="datetime64[D]")))
    flags.add(np.array([2, 3]), "after_hours")
    frame = flags.frame()
    assert frame["dossier_id"].tolist() == ["H56-250106-0001", "H56-250107-0001", "H56-250107-0001",
                                            "H56-250107-0002"]
    assert frame["reason"].tolist() == ["sunday", "sunday", "after_hours", "after_hours"]
    assert frame["day"].iloc[1] == pd.Timestamp("2025-01-12") and pd.isna(frame["day"].iloc[2])
    assert flags.dossiers() == 3
    assert flags.counts() == {"sunday": 2, "after_hours": 2}


def test_dossiers_outside_the_frame_are_counted_by_id():
    flags = Flags(IDS)
    flags.add(np.array([1]), "request_after_due")
    flags.add_ids(pd.Series(["H56-250106-0002", "H56-250108-0009"]), "supplement_before_request")
    assert flags.dossiers() == 2  # the set-aside row of dossier 0002 is the same dossier
    assert set(flags.frame()["dossier_id"]) == {"H56-250106-0002", "H56-250108-0009"}


def test_nothing_flagged_is_zero_dossiers_and_an_empty_frame():
    flags = Flags(IDS)
    flags.add(np.array([], dtype=np.int64), "sunday", day=dates(np.array([], dtype="datetime64[D]")))
    assert flags.empty and flags.dossiers() == 0
    assert flags.frame().empty and "sunday" in flags.fields
