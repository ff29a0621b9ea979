"""Choosing the dossiers to check: a recorded frame, a seeded random draw, strata and key items.

Anyone holding the same records, frame and seed draws the same sample: the frame is sorted by ``dossier_id``
before drawing (the order of the input rows does not matter) and the draw uses ``numpy.random.default_rng``
with the recorded seed. Key items (e.g. every overdue dossier) are taken out of the population, all checked,
and evaluated apart; the statistical sample is drawn from the rest. Stratified: the sample is split over
strata (procedures or fields) in proportion to their size by largest remainder, every stratum gets at least
one dossier, and a stratum smaller than its share is taken whole.
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd

from isoaudit.errors import IsoauditError
from isoaudit.sampling.sizes import attribute_sample_size

STRATIFY_COLUMNS = {"procedure": "procedure_code", "field": "field"}
KEY_ITEM_STATUSES = {"overdue": ("overdue",), "late": ("late", "overdue")}  # ``status`` of timeliness.assess
# "flagged": the dossiers the log analytics flagged (a ``key_reason`` column says why), each checked.
KEY_ITEM_CHOICES = (*KEY_ITEM_STATUSES, "flagged")
SAMPLE_COLUMNS = ("stratum", "key_item")  # added to the frame's own columns in ``Sample.dossiers``
STRATA_COLUMNS = ["stratum", "population", "sample"]
CATALOGUE_COLUMNS = ("field", "fee")  # taken from the procedure catalogue when the dossiers lack them


@dataclass(frozen=True)
class FrameDescription:
    """Which dossiers the sample is drawn from: one unit, dossiers received in a period, optional procedures."""

    unit_code: str
    date_from: date | None = None  # received on or after (inclusive)
    date_to: date | None = None  # received on or before (inclusive)
    procedure_codes: tuple[str, ...] = ()  # empty: every procedure
    population: int = 0  # dossiers in the frame, key items included
    unit_name: str = ""


@dataclass(frozen=True)
class SamplePlan:
    """The auditor's choices; rates are fractions 0..1."""

    confidence: float
    tolerable_rate: float
    expected_rate: float
    seed: int
    stratify: str | None = None  # "procedure", "field" or None
    key_items: str | None = None  # "overdue", "late", "flagged" (by the log analytics) or None


@dataclass
class Sample:
    """A drawn sample. ``dossiers``: the frame's columns plus ``stratum`` (text, '' when unknown) and
    ``key_item`` (bool); the statistical sample first (by stratum, then dossier_id), then the key items."""

    dossiers: pd.DataFrame
    frame: FrameDescription
    plan: SamplePlan
    size: int  # statistical sample size planned for ``population`` (hypergeometric)
    population: int  # dossiers the statistical sample is drawn from: the frame minus the key items
    strata: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=STRATA_COLUMNS))
    frame_dossiers: pd.DataFrame | None = None  # the whole frame in draw order, with stratum and key_item

    @property
    def statistical(self) -> pd.DataFrame:
        return self.dossiers[~self.dossiers["key_item"]]

    @property
    def key_items(self) -> pd.DataFrame:
        return self.dossiers[self.dossiers["key_item"]]


def build_frame(dossiers: pd.DataFrame, unit_code: str, date_from: date | None = None,
                date_to: date | None = None, procedure_codes=(), unit_name: str = "",
                procedures: pd.DataFrame | None = None) -> tuple[pd.DataFrame, FrameDescription]:
    """The dossiers of ``unit_code`` received from ``date_from`` to ``date_to`` (inclusive, either open) and
    of ``procedure_codes`` (all when empty), with the description that records this choice.

    With the ``procedures`` catalogue, each dossier also gets its procedure's ``CATALOGUE_COLUMNS`` it lacks
    (the fee decides whether the fee-receipt check applies).
    """
    received = dossiers["received_at"].dt.normalize()
    keep = (dossiers["unit_code"] == unit_code).fillna(False)
    if date_from is not None:
        keep &= (received >= pd.Timestamp(date_from)).fillna(False)
    if date_to is not None:
        keep &= (received <= pd.Timestamp(date_to)).fillna(False)
    codes = tuple(sorted(str(c) for c in procedure_codes))
    if codes:
        keep &= dossiers["procedure_code"].isin(codes).fillna(False)
    frame = dossiers[keep.to_numpy(dtype=bool)].reset_index(drop=True)
    if procedures is not None:
        frame = with_catalogue(frame, procedures)
    description = FrameDescription(unit_code, _day(date_from), _day(date_to), codes, len(frame), unit_name)
    return frame, description


def with_catalogue(frame: pd.DataFrame, procedures: pd.DataFrame) -> pd.DataFrame:
    """``frame`` plus the ``CATALOGUE_COLUMNS`` of each dossier's procedure that it lacks (by procedure_code)."""
    wanted = [c for c in CATALOGUE_COLUMNS if c not in frame and c in procedures]
    if not wanted:
        return frame
    catalogue = procedures.drop_duplicates("procedure_code").set_index("procedure_code")[wanted]
    joined = catalogue.reindex(frame["procedure_code"].astype(catalogue.index.dtype)).reset_index(drop=True)
    return pd.concat([frame, joined.set_axis(frame.index)], axis=1)


def select_sample(frame: pd.DataFrame, description: FrameDescription, plan: SamplePlan) -> Sample:
    """Draw the sample ``plan`` asks for from ``frame`` (dossiers with ``status`` from timeliness.assess).

    The statistical size is ``attribute_sample_size`` for the frame minus the key items, as a finite
    population. Raises ``IsoauditError`` for an empty frame or an unknown option.
    """
    if frame.empty:
        raise IsoauditError("sampling.empty_frame", unit=description.unit_code)
    ordered = frame.sort_values(["dossier_id", "received_at"], kind="stable", na_position="last") \
        .reset_index(drop=True)
    ordered = ordered.assign(stratum=strata_of(ordered, plan.stratify), key_item=key_items_of(ordered, plan.key_items))
    population = int((~ordered["key_item"]).sum())
    size = attribute_sample_size(plan.confidence, plan.tolerable_rate, plan.expected_rate, population) \
        if population else 0
    rest = ordered[~ordered["key_item"]]
    sizes = rest["stratum"].value_counts(sort=False).sort_index()
    allocation = allocate(sizes, size) if population else sizes * 0
    # One uniform draw per dossier in id order; each stratum keeps its smallest draws.
    draws = pd.Series(np.random.default_rng(plan.seed).random(len(ordered)), index=ordered.index)
    rank = draws[rest.index].groupby(rest["stratum"]).rank(method="first")
    chosen = rest[rank <= rest["stratum"].map(allocation)]
    chosen = chosen.sort_values(["stratum", "dossier_id"], kind="stable")
    sample = pd.concat([chosen, ordered[ordered["key_item"]]]).reset_index(drop=True)
    strata = pd.DataFrame({"stratum": sizes.index.astype("string"), "population": sizes.to_numpy(),
                           "sample": allocation.reindex(sizes.index).to_numpy()}, columns=STRATA_COLUMNS)
    return Sample(sample, description, plan, size, population, strata, ordered)


def allocate(sizes: pd.Series, total: int) -> pd.Series:
    """Split ``total`` dossiers over strata of ``sizes`` (index: stratum) in proportion, by largest remainder.

    Every non-empty stratum gets at least 1 (so the total may rise to the number of strata) and at most its
    size (taken whole, its share going to the others); ties go to the larger stratum, then the first name.
    """
    sizes = sizes.astype(np.int64)
    result = pd.Series(0, index=sizes.index, dtype=np.int64)
    open_ = sizes > 0
    remaining = int(min(max(total, int(open_.sum())), int(sizes.sum())))
    while open_.any():
        quota = remaining * sizes[open_] / sizes[open_].sum()
        whole = quota >= sizes[open_]
        at_least_one = (quota < 1) & ~whole
        if not (whole | at_least_one).any():
            result[quota.index] = _largest_remainder(quota, sizes[open_], remaining)
            break
        fixed = quota.index[whole | at_least_one]
        result[fixed] = np.where(whole[fixed], sizes[fixed], 1)
        remaining -= int(result[fixed].sum())
        open_[fixed] = False
        remaining = max(remaining, int(open_.sum()))  # the open strata still need one each
    return result


def strata_of(frame: pd.DataFrame, stratify: str | None) -> pd.Series:
    """Each dossier's stratum as text ('' when unknown or not stratified); ``stratify`` procedure or field."""
    if stratify is None:
        return pd.Series("", index=frame.index, dtype="string")
    if stratify not in STRATIFY_COLUMNS:
        raise IsoauditError("sampling.bad_stratify", value=stratify, choices=", ".join(STRATIFY_COLUMNS))
    column = STRATIFY_COLUMNS[stratify]
    values = frame[column].astype("string") if column in frame else pd.Series(pd.NA, index=frame.index,
                                                                               dtype="string")
    if stratify == "procedure" and "procedure_name" in frame:
        values = values.fillna(frame["procedure_name"].astype("string"))
    return values.str.strip().fillna("")


def key_items_of(frame: pd.DataFrame, key_items: str | None) -> pd.Series:
    """True for the dossiers every one of which is checked (``KEY_ITEM_STATUSES``); False for all without."""
    if key_items is None:
        return pd.Series(False, index=frame.index, dtype=bool)
    if key_items not in KEY_ITEM_CHOICES:
        raise IsoauditError("sampling.bad_key_items", value=key_items, choices=", ".join(KEY_ITEM_CHOICES))
    if key_items == "flagged":
        if "key_reason" not in frame:
            return pd.Series(False, index=frame.index, dtype=bool)
        return frame["key_reason"].notna().astype(bool)
    return frame["status"].astype("string").isin(KEY_ITEM_STATUSES[key_items]).fillna(False).astype(bool)


def new_seed() -> int:
    """A fresh six-digit seed, short enough to copy into working papers."""
    return 100_000 + secrets.randbelow(900_000)


def _largest_remainder(quota: pd.Series, sizes: pd.Series, total: int) -> pd.Series:
    base = np.floor(quota).astype(np.int64)
    order = pd.DataFrame({"rest": quota - base, "size": sizes, "name": quota.index.astype(str)}, index=quota.index)
    order = order.sort_values(["rest", "size", "name"], ascending=[False, False, True], kind="stable")
    extra = pd.Series(0, index=quota.index, dtype=np.int64)
    extra[order.index[: total - int(base.sum())]] = 1
    return base + extra


def _day(value) -> date | None:
    return None if value is None else pd.Timestamp(value).date()
