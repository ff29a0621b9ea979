"""Text normalisation for matching Vietnamese names typed by hand (NFC or NFD, any case, stray spaces)."""
from __future__ import annotations

import re
import unicodedata

import numpy as np
import pandas as pd

_NOT_WORD = re.compile(r"[^0-9a-z]+")
_SPACES = re.compile(r"\s+")


def clean(text) -> str:
    """NFC form with runs of white space folded to one space and the ends trimmed; '' for a missing value."""
    if text is None or (isinstance(text, float) and text != text):
        return ""
    return _SPACES.sub(" ", unicodedata.normalize("NFC", str(text))).strip()


def fold(text) -> str:
    """A matching key: no diacritics (đ -> d), lower case, punctuation as single spaces.

    ``fold("Chứng thực  bản sao")``, ``fold("CHUNG THUC BAN SAO")`` and its NFD form are all equal.
    """
    decomposed = unicodedata.normalize("NFD", clean(text).replace("đ", "d").replace("Đ", "D"))
    if not decomposed.isascii():  # dates, codes and numbers have no marks to drop
        decomposed = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    bare = decomposed.lower()
    return _NOT_WORD.sub(" ", bare).strip()


def clean_series(values: pd.Series) -> pd.Series:
    """``clean`` over a whole column, vectorised; missing and blank cells become <NA>."""
    text = values.astype("string")
    text = text.str.normalize("NFC").str.replace(r"\s+", " ", regex=True).str.strip()
    return text.mask(text == "")


def fold_series(values: pd.Series) -> pd.Series:
    """``fold`` over a whole column (unique values folded once)."""
    # Each distinct value folded once, then taken by its code: ``Series.map`` with a dict of them costs more
    # than the folding for a column of a few distinct values.
    codes, uniques = pd.factorize(values)
    folded = np.array([fold(value) for value in uniques] + [None], dtype=object)  # code -1: missing
    return pd.Series(folded[codes], index=values.index, name=values.name, dtype="string")
