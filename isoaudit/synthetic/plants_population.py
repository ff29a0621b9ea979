"""Plants for the population test (``isoaudit.analytics.population``): a unit's clean log made incomplete the
ways real logs are, on a few rows, with the ids the test must flag.

``plant_population(dossiers, rng)`` takes one unit's canonical dossiers (before they are written to a sheet)
and returns the changed frame and the planted ids by the reason the test gives them:

- ``after_gap``: a dossier deleted from the middle of a day's (or a year's) numbering; the dossier numbered
  next is the one flagged (the place to look);
- ``duplicate_code``: a dossier written twice (a second row with the same code, received a few minutes
  later the same day); read back from a sheet, the second row is set aside as ``duplicate_id`` and the test
  reads it back from the excluded rows;
- ``moved_receipt``: a counter dossier's receipt moved one to three days later (to a working day), its code
  kept: the code's day is no longer the receipt's.

Rows touched by one plant are kept apart from the others and from each numbering's first and last number.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from isoaudit.analytics.population import parse_codes
from isoaudit.calendar import WorkCalendar
from isoaudit.records.vocabulary import canonical_words

PLANTED_REASONS = ("after_gap", "duplicate_code", "moved_receipt")


def plant_population(dossiers: pd.DataFrame, rng: np.random.Generator, gaps: int = 2, duplicates: int = 1,
                     moved: int = 1) -> tuple[pd.DataFrame, dict[str, list[str]]]:
    """``dossiers`` with ``gaps`` deleted rows, ``duplicates`` rows written twice and ``moved`` receipts moved
    (fewer when the log has not enough rows that fit), and the ids the test flags, by reason."""
    frame = dossiers.reset_index(drop=True).copy()
    parsed = parse_codes(frame["dossier_id"])
    numbering = _numbering(parsed)
    seq = parsed["seq"].to_numpy()
    # Rows inside a numbering (not its lowest or highest number): a deletion there leaves a visible gap.
    inner = np.zeros(len(frame), dtype=bool)
    if numbering is not None:
        lowest = pd.Series(seq).groupby(numbering).transform("min").to_numpy()
        highest = pd.Series(seq).groupby(numbering).transform("max").to_numpy()
        inner = parsed["pattern"].notna().to_numpy() & (seq > lowest) & (seq < highest)
    taken = np.zeros(len(frame), dtype=bool)
    planted: dict[str, list[str]] = {reason: [] for reason in PLANTED_REASONS}
    deleted = []
    for row in _shuffled(rng, inner):
        if len(deleted) >= gaps:
            break
        following = np.flatnonzero((numbering == numbering[row]) & (seq == seq[row] + 1))
        if taken[row] or not len(following) or taken[following[0]]:
            continue
        deleted.append(row)
        taken[[row, following[0]]] = True
        taken[_neighbours(numbering, seq, row)] = True
        planted["after_gap"].append(str(frame.at[following[0], "dossier_id"]))
    counter = canonical_words(_column(frame, "channel"), "channel")[0].eq("counter").fillna(False).to_numpy(bool)
    received = pd.to_datetime(frame["received_at"])
    year_end = received.dt.day_of_year.to_numpy() > 350
    submitted = pd.to_datetime(_column(frame, "submitted_at")).isna().to_numpy(bool)
    calendar = WorkCalendar.vietnam()
    for row in _shuffled(rng, parsed["pattern"].notna().to_numpy() & counter & submitted & ~year_end & ~taken):
        if len(planted["moved_receipt"]) >= moved:
            break
        when = received.iloc[row]
        later = when + pd.Timedelta(days=int(rng.integers(1, 4)))
        later = pd.Timestamp(calendar.add_working_days(later.date(), 0)) + (when - when.normalize())
        returned = pd.to_datetime(_column(frame, "returned_date")).iloc[row]
        if (parsed["scope"].iloc[row] == "year" and later.year != when.year) or (pd.notna(returned)
                                                                                  and returned < later):
            continue
        frame.at[row, "received_at"] = later
        taken[row] = True
        planted["moved_receipt"].append(str(frame.at[row, "dossier_id"]))
    frame["_kept"] = True
    frame.loc[deleted, "_kept"] = False
    copies = []
    for row in _pick(rng, parsed["pattern"].notna().to_numpy() & ~taken, duplicates):
        copy = frame.iloc[[row]].copy()
        copy["received_at"] = copy["received_at"] + pd.Timedelta(minutes=int(rng.integers(3, 20)))
        copies.append((row, copy))
        taken[row] = True
        planted["duplicate_code"].append(str(frame.at[row, "dossier_id"]))
    for row, copy in sorted(copies, key=lambda item: -item[0]):  # inserted right after the original row
        frame = pd.concat([frame.iloc[:row + 1], copy, frame.iloc[row + 1:]])
    frame = frame[frame["_kept"].to_numpy(bool)].drop(columns="_kept").reset_index(drop=True)
    return frame, planted


def _numbering(parsed: pd.DataFrame) -> np.ndarray | None:
    """Each read row's numbering (pattern, prefix, day or year) as a code, -1 for rows no pattern reads."""
    read = parsed["pattern"].notna()
    if not read.any():
        return None
    period = parsed["day"].astype("string").fillna(parsed["year"].astype("string"))
    codes, _ = pd.factorize(parsed["pattern"].astype("string") + "|" + parsed["prefix"].astype("string") + "|"
                            + period)
    return np.where(read.to_numpy(bool), codes, -1)


def _neighbours(numbering: np.ndarray, seq: np.ndarray, row: int) -> np.ndarray:
    """The rows numbered right before and after ``row`` in its numbering (kept out of other plants)."""
    return np.flatnonzero((numbering == numbering[row]) & (np.abs(seq - seq[row]) <= 2))


def _shuffled(rng: np.random.Generator, allowed: np.ndarray) -> list[int]:
    """The allowed rows in a random order (plants take them until they have enough that fit)."""
    return [int(r) for r in rng.permutation(np.flatnonzero(allowed))]


def _pick(rng: np.random.Generator, allowed: np.ndarray, count: int) -> list[int]:
    candidates = np.flatnonzero(allowed)
    if not len(candidates) or count <= 0:
        return []
    return sorted(int(r) for r in rng.choice(candidates, min(count, len(candidates)), replace=False))


def _column(frame: pd.DataFrame, name: str) -> pd.Series:
    return frame[name] if name in frame else pd.Series(pd.NA, index=frame.index, dtype="object")
