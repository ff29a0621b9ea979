"""The shortcuts the CSV reader takes give what the plain way gives: cells not trimmed when their first and last
bytes show nothing to trim, empty date cells not read at all, columns not cleaned when their bytes show no need, and
a body cut into pieces that threads parse apart read as the row-by-row reader reads the whole file."""
from __future__ import annotations

from itertools import chain, repeat

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from isoaudit.records import fast_body
from isoaudit.records.convert import (
    _MAY_NEED_CLEANING,
    _may_need_cleaning,
    _may_need_trimming,
    _trimmed,
    to_date,
    to_datetime,
    to_text,
)
from isoaudit.records.fast_body import Unusable, csv_body
from isoaudit.records.grid import open_grid
from tests.test_fast_reading import both as read_both_ways


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


HEADER = "Số biên nhận,Mã đơn vị,Mã thủ tục,Thời gian tiếp nhận,Hạn giải quyết,Ghi chú"


def _body_pieces(path) -> int | None:
    """How many pieces the fast reader read the body of ``path`` (one header line) in; None when it gave up."""
    grid = open_grid(path)
    list(zip(range(2), grid.rows))
    try:
        return sum(1 for _ in csv_body(grid, 1))
    except Unusable:
        return None


@pytest.fixture
def line_by_line(monkeypatch):
    """The fast reader cuts the body after every line: each line a piece, parsed apart by the threads."""
    monkeypatch.setattr(fast_body, "_sizes", lambda: repeat(1))


def test_a_body_cut_into_pieces_reads_as_the_row_by_row_reader_reads_it(tmp_path, line_by_line):
    rows = [f'H25-{i:04d},08011,1.00{i % 7},0{i % 9 + 1}/03/2025 08:30,1{i % 9}/03/2025,'
            + ('"Thôn Đông, xã Thái Bình"' if i % 4 == 0 else "không rõ" if i % 11 == 0 else "") for i in range(60)]
    rows[17] = rows[17].replace("/03/2025 08:30", "/13/2025 08:30")  # an unreadable date, said where
    path = tmp_path / "26734_2025.csv"
    path.write_bytes(("\r\n".join([HEADER, *rows]) + "\r\n").encode("utf-8-sig"))
    (fast, fast_problems), (slow, slow_problems) = read_both_ways(path)
    assert _body_pieces(path) == 60
    pd.testing.assert_frame_equal(fast, slow)
    assert fast_problems == slow_problems and [p.row for p in fast_problems] == [19]


def test_a_quoted_cell_over_a_cut_is_left_to_the_row_by_row_reader(tmp_path, monkeypatch):
    # The note's second line has as many commas as a record: cut after its first line, each piece alone reads as
    # whole records, one a line. Only the quote still open at the cut tells.
    first = "H25-0001,08011,1.001,05/03/2025 08:30,10/03/2025,"
    note = '"Bổ sung giấy tờ\nlần 2, ngày 06/03, tại, bộ phận, một cửa, xã Thái Bình"'
    lines = [HEADER, first, f"H25-0002,08011,1.001,05/03/2025 09:00,10/03/2025,{note}",
             "H25-0003,08011,1.001,05/03/2025 10:00,10/03/2025,"]
    path = tmp_path / "26734_2025.csv"
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("utf-8"))
    # The first piece: the first record and the note's first line; then a piece a line.
    monkeypatch.setattr(fast_body, "_sizes", lambda: chain([len(first.encode()) + 2], repeat(1)))
    (fast, fast_problems), (slow, slow_problems) = read_both_ways(path)
    assert _body_pieces(path) is None
    pd.testing.assert_frame_equal(fast, slow)
    assert fast_problems == slow_problems
    assert fast["note"].tolist()[1] == "Bổ sung giấy tờ lần 2, ngày 06/03, tại, bộ phận, một cửa, xã Thái Bình"
    assert len(fast) == 3


def test_no_cut_before_a_line_starting_with_a_bom_that_arrow_would_drop(tmp_path, line_by_line):
    # Two exports joined byte for byte: the second one's BOM starts a line of the body, and stays in its first cell.
    rows = [f"H25-{i:04d},08011,1.001,05/03/2025 08:30,10/03/2025," for i in range(6)]
    path = tmp_path / "26734_2025.csv"
    path.write_bytes(("\r\n".join([HEADER, *rows[:3]]) + "\r\n").encode("utf-8-sig")
                     + ("\r\n".join(rows[3:]) + "\r\n").encode("utf-8-sig"))
    (fast, fast_problems), (slow, slow_problems) = read_both_ways(path)
    assert _body_pieces(path) == 5  # the line after the BOM is read with the one before it
    pd.testing.assert_frame_equal(fast, slow)
    assert fast_problems == slow_problems and fast["dossier_id"].iat[3] == "\ufeffH25-0003"


# Letters either side of what NFC_LETTERS lets through (U+024F|U+0250, U+1EFF|U+1F00), a combining accent, spaces.
NEAR_NFC_EDGES = st.sampled_from(["a", " ", "  ", "\t", "ạ", "ễ", "Ư", "đ", "ɏ", "ɐ", "ʀ", "Ḁ", "ỹ", "ἀ", "\u0301",
                                  "e\u0301", "中", "😀", "\xa0", "\r\n"])


@given(st.lists(st.one_of(st.none(), st.lists(NEAR_NFC_EDGES, max_size=5).map("".join)), max_size=10),
       st.integers(0, 3), st.booleans())
@settings(max_examples=500, deadline=None)
def test_a_column_is_only_left_uncleaned_when_no_cell_needs_it(cells, start, large):
    array = pa.array(cells, type=pa.large_string() if large else pa.string()).slice(min(start, len(cells)))
    if not _may_need_cleaning(array):
        assert not pc.any(pc.match_substring_regex(array, _MAY_NEED_CLEANING)).as_py()
