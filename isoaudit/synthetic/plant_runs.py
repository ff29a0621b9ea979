"""Several plants of one test on one unit's log, each on rows of its own."""
from __future__ import annotations

import numpy as np
import pandas as pd


def plant_all(plants: dict, dossiers: pd.DataFrame, rng: np.random.Generator, calendar=None,
              counts: dict | None = None) -> tuple[pd.DataFrame, dict[str, list[str]]]:
    """Every plant of ``plants`` (the reason the test gives -> its plant function) in turn, each kept off the
    rows the earlier ones took, ``counts`` (reason -> count) overriding a function's default: the modified
    dossiers and the ids planted by reason."""
    planted, frame = {}, dossiers
    for reason, plant in plants.items():
        extra = {"count": counts[reason]} if counts and reason in counts else {}
        frame, ids = plant(frame, rng, calendar=calendar, avoid=[i for done in planted.values() for i in done],
                           **extra)
        planted[reason] = ids
    return frame, planted
