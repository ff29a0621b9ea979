"""Controlled words (levels, channels, supplement rules) written in Vietnamese or English, mapped to the
canonical English codes. The table is ``isoaudit/data/vocabulary.csv``."""
from __future__ import annotations

import csv
import io
from functools import lru_cache
from importlib import resources

import numpy as np
import pandas as pd

from isoaudit.text import fold, fold_series


def canonical_words(values: pd.Series, kind: str) -> tuple[pd.Series, np.ndarray]:
    """``values`` mapped to canonical codes; the mask marks filled values the vocabulary does not know."""
    table = _vocabulary().get(kind, {})
    folded = fold_series(values)
    mapped = folded.map(table).astype("string")
    bad = (values.notna() & mapped.isna()).to_numpy()
    return mapped, bad


def known_words(kind: str) -> list[str]:
    return sorted(set(_vocabulary().get(kind, {}).values()))


@lru_cache(maxsize=1)
def _vocabulary() -> dict[str, dict[str, str]]:
    text = resources.files("isoaudit.data").joinpath("vocabulary.csv").read_text(encoding="utf-8")
    table: dict[str, dict[str, str]] = {}
    for row in csv.DictReader(io.StringIO(text)):
        table.setdefault(row["kind"], {})[fold(row["value"])] = row["canonical"]
    return table
