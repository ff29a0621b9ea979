"""Text normalisation for matching Vietnamese names typed by hand (NFC or NFD, any case, stray spaces)."""
from __future__ import annotations

import re
import unicodedata

import pandas as pd
import pyarrow as pa

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
    return text_of_each_distinct(values, fold)


def text_of_each_distinct(values: pd.Series, function) -> pd.Series:
    """``function`` (giving text, or None or <NA> for missing) of each value of ``values``, as a string Series;
    missing where the value is. Called once per distinct value, the texts then taken by Arrow: ``Series.map``
    with a dict, or a column of Python strings made into text, cost a second for a province's million dossiers
    that name a few dozen procedures."""
    codes, distinct = pd.factorize(values)
    texts = pa.array([function(value) for value in distinct], type=pa.string(), from_pandas=True)
    taken = texts.take(pa.array(codes, mask=codes < 0))  # code -1: a missing value
    return pd.Series(pd.arrays.ArrowStringArray(taken), index=values.index, name=values.name)
