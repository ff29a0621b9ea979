"""Controlled words (levels, channels, supplement rules) written in Vietnamese or English, mapped to the
canonical English codes. The table is ``isoaudit/data/vocabulary.csv``."""
from __future__ import annotations

import csv
import io
from functools import lru_cache
from importlib import resources

import numpy as np
import pandas as pd
import pyarrow as pa

from isoaudit.text import fold


def canonical_words(values: pd.Series, kind: str) -> tuple[pd.Series, np.ndarray]:
    """``values`` mapped to canonical codes; the mask marks filled values the vocabulary does not know."""
    table = _vocabulary().get(kind, {})
    # Each distinct word folded and looked up once, then spread by position: a status or channel column of a
    # million rows holds a dozen words.
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    canonical = [table.get(fold(word)) for word in uniques] + [None]
    spread = np.where(codes >= 0, codes, len(uniques))
    # Spread in Arrow: no Python object per row.
    words = pa.array(canonical, type=pa.string()).take(pa.array(spread))
    mapped = pd.Series(pd.array(words, dtype="string"), index=values.index)
    known = np.array([word is not None for word in canonical], dtype=bool)
    bad = (codes >= 0) & ~known[spread]
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
