"""The shortcuts the converters take on a CSV's Arrow columns give what the plain way gives: cells not trimmed
when their first and last bytes show nothing to trim, empty date cells not read at all."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from hypothesis import given, settings
from hypothesis import strategies as st

from isoaudit.records.convert import _may_need_trimming, _trimmed, to_date, to_datetime, to_text


def _trimmed_by_arrow() -> list[str]:
    """Every character ``utf8_trim_whitespace`` removes, asked of Arrow itself."""
    characters = [chr(c) for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF]
    cells = pa.array([c + "x" for c in characters])
    changed = pc.invert(pc.equal(pc.utf8_trim_whitespace(cells), cells)).to_numpy(zero_copy_only=False)
    return [characters[i] for i in np.flatnonzero(changed)]


def test_every_character_arrow_trims_is_noticed_at_either_end_of_a_cell():
    spaces = _trimmed_by_arrow()
    assert " " in spaces and "\u00a0" in spaces and "\u3000" in spaces
    for space in spaces:
        for cell in (space, space + "Hộ tịch", "Nguyễn Văn An" + space, "ễ" + space, space + "ễ"):
            for cells in ([cell], ["Trần Thị Bình", cell, "08011"], [None, "ạ", cell]):
                array = pa.array(cells, type=pa.string())
                assert _may_need_trimming(array), (hex(ord(space)), cells)
                assert _may_need_trimming(array.slice(1)) or cells[0] == cell


def test_vietnamese_names_and_codes_need_no_trimming():
    cells = ["Trần Minh Quyết", "Đặng Thị Ánh", "Tổ dân phố 9, phường Thanh Lâm - 0324245766", "08011", "", None,
             "Bảo trợ xã hội", "Nguyễn Văn Ư", "Ơ"]
    assert not _may_need_trimming(pa.array(cells, type=pa.string()))


LETTERS = st.sampled_from(["a", "Z", "0", ",", "-", "ạ", "ễ", "Ư", "đ", "Ḁ", "ỹ", "中", "😀", "¡", " ", "\t", "\n",
                           "\x1f", "\x85", "\xa0", "\u1680", "\u180e", "\u2003", "\u200b", "\u3000", "\ufeff"])
CELLS = st.one_of(st.none(), st.lists(LETTERS, max_size=6).map("".join), st.text(max_size=6))


@given(st.lists(CELLS, max_size=12), st.integers(0, 3), st.booleans())
@settings(max_examples=500, deadline=None)
def test_cells_are_trimmed_exactly_as_arrow_trims_them(cells, start, large):
    array = pa.array(cells, type=pa.large_string() if large else pa.string()).slice(min(start, len(cells)))
    assert _trimmed(array).to_pylist() == pc.utf8_trim_whitespace(array).to_pylist()


DATE_CELLS = st.one_of(
    st.sampled_from(["", " ", "  ", "\t", "\u00a0", "05/03/2025", " 05/03/2025 ", "05/03/2025 08:30", "5/3/2025 8:30",
                     "31/02/2025", "20250305083000", "45717", "ngày 05 tháng 3 năm 2025", "08h30 ngày 05/03/2025",
                     "2025-03-05 08:30", "không rõ", "05/03/2025\u00a0"]),
    st.text(alphabet="0123456789/: -.hngayt", max_size=18))


@given(st.lists(DATE_CELLS, max_size=25), st.booleans())
@settings(max_examples=300, deadline=None)
def test_a_csv_column_of_dates_reads_as_its_python_cells_do(cells, keep_time):
    convert = to_datetime if keep_time else to_date
    got, got_bad = convert(pa.array(cells, type=pa.string()))
    want, want_bad = convert(list(cells))
    pd.testing.assert_series_equal(got, want)
    assert got_bad.tolist() == want_bad.tolist()


@given(st.lists(st.one_of(CELLS, st.just("")), max_size=25))
@settings(max_examples=300, deadline=None)
def test_a_csv_column_of_text_reads_as_its_python_cells_do(cells):
    cells = ["" if cell is None else cell for cell in cells]  # a CSV's empty cell is ''
    got, _ = to_text(pa.array(cells, type=pa.string()))
    want, _ = to_text(list(cells))
    pd.testing.assert_series_equal(got, want)
