"""The shortcuts ``assess`` takes for speed give exactly what the plain way gives: procedure codes held as Arrow
strings looked up by Arrow, dates turned into day and minute numbers by integer division."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from isoaudit.timeliness import _lookup, _microseconds, _numbers, _plain_lookup

CODES = st.sampled_from(["1.000001", "1.000002", "2.000003", "P0", "Đ-01", "x"])
# Padding Arrow and Python both strip, and a few they may not agree on: none may change an answer.
PADDING = st.sampled_from(["", " ", "  ", "\t", "\n", "\u00a0", "\u3000"])


@st.composite
def written_codes(draw, catalogue: list[str]):
    """A dossier's procedure code as a log may hold it: the catalogue's, padded, another, or none."""
    kind = draw(st.sampled_from(["exact", "padded", "other", "missing"]))
    if kind == "missing":
        return None
    code = draw(st.sampled_from(catalogue)) if catalogue and kind != "other" else draw(CODES)
    return draw(PADDING) + code + draw(PADDING) if kind != "exact" else code


@st.composite
def lookups(draw):
    catalogue = draw(st.lists(st.one_of(CODES, st.tuples(PADDING, CODES).map("".join)), max_size=6))
    codes = draw(st.lists(written_codes(catalogue), max_size=40))
    return catalogue, codes


@given(lookups(), st.sampled_from(["string", "str"]))
@settings(max_examples=300, deadline=None)
def test_arrow_codes_find_the_same_catalogue_rows_as_the_plain_lookup(case, dtype):
    catalogue, codes = case
    catalogue_codes = pd.Series(catalogue, dtype=dtype)
    keys = pd.Index(catalogue_codes.astype("string").str.strip())
    arrow = pd.Series(codes, dtype=dtype)
    assert isinstance(arrow.array, pd.arrays.ArrowStringArray)
    if keys.hasnans or not keys.is_unique:
        with pytest.raises(Exception) as plain_error:
            _plain_lookup(pd.Series(codes, dtype=object), keys)
        with pytest.raises(plain_error.type):
            _lookup(arrow, catalogue_codes)
        return
    want = _plain_lookup(pd.Series(codes, dtype=object), keys)
    got = _lookup(arrow, catalogue_codes)
    assert got.dtype == want.dtype == np.int64
    assert got.tolist() == want.tolist()


def test_a_padded_code_is_found_and_an_unknown_one_is_not():
    catalogue = pd.Series(["1.000001", "2.000002"], dtype="string")
    codes = pd.Series(["2.000002", " 1.000001 ", None, "9.9"], dtype="string")
    assert _lookup(codes, catalogue).tolist() == [1, 0, 2, 2]


TICKS = st.sampled_from(["s", "ms", "us", "ns"])
# Up to a few centuries either side of 1970 in every unit (nanoseconds reach 1677..2262 only).
NUMBERS = st.lists(st.one_of(st.integers(-(2**62), 2**62), st.integers(-10**12, 10**12), st.just(None)),
                   max_size=30)


@given(NUMBERS, TICKS, st.sampled_from(["m", "D"]))
@settings(max_examples=300, deadline=None)
def test_day_and_minute_numbers_are_numpys_casts(numbers, tick, unit):
    values = np.array([np.iinfo(np.int64).min if n is None else n for n in numbers], dtype=np.int64)
    values = values.view(f"datetime64[{tick}]")
    want = values.astype(f"datetime64[{unit}]").view(np.int64)
    assert _numbers(values, unit).tolist() == want.tolist()


@given(st.lists(st.one_of(st.integers(-(10**5), 10**5), st.just(None)), max_size=30))
@settings(max_examples=100, deadline=None)
def test_due_dates_in_microseconds_are_numpys_cast(days):
    values = np.array(["NaT" if d is None else d for d in days], dtype="datetime64[D]")
    got = _microseconds(values)
    assert got.dtype == np.dtype("datetime64[us]")
    assert got.view(np.int64).tolist() == values.astype("datetime64[us]").view(np.int64).tolist()
