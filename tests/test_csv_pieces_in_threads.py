"""A CSV body converted piece by piece in the threads that parse it gives what the row-by-row reader gives: rows
numbered across pieces, problems in file order, the bytes that are not UTF-8 found in any piece, and nothing of a
piece after the totals row counted, nor anything of the fast attempt kept when a later piece sends the file to
the row-by-row reader."""
from __future__ import annotations

from itertools import repeat

import pandas as pd
import pytest

import isoaudit.records.table as table_module
from isoaudit.records import fast_body, read_dossier_log
from isoaudit.records.fast_body import Unusable, _is_utf8, csv_body
from isoaudit.records.grid import open_grid
from tests.test_fast_reading import both as read_both_ways

HEADER = "Số biên nhận,Mã đơn vị,Mã thủ tục,Thời gian tiếp nhận,Hạn giải quyết,Ghi chú"


@pytest.fixture
def line_by_line(monkeypatch):
    """The fast reader cuts the body after every line: each line a piece, parsed and converted apart."""
    monkeypatch.setattr(fast_body, "_sizes", lambda: repeat(1))


def _rows(count: int) -> list[str]:
    """Dossier rows, an unreadable received date every seventh and an unreadable due date every fifth."""
    return [f"H25-{i:04d},08011,1.00{i % 7},{'31/02/2025' if i % 7 == 3 else '05/03/2025 08:30'},"
            f"{'ngày mai' if i % 5 == 1 else '10/03/2025'},{'Thôn Đông' if i % 4 == 0 else ''}" for i in range(count)]


def _write(tmp_path, lines: list[str], tail: bytes = b"") -> object:
    path = tmp_path / "26734_2025.csv"
    path.write_bytes(("\n".join([HEADER, *lines]) + "\n").encode("utf-8") + tail)
    return path


def _fast(path) -> bool:
    """Whether the fast reader reads the body of ``path`` (one header line) to its end."""
    grid = open_grid(path)
    list(zip(range(2), grid.rows))
    try:
        for _ in csv_body(grid, 1):
            pass
    except Unusable:
        return False
    return True


def test_rows_and_problems_are_numbered_across_pieces_converted_apart(tmp_path, line_by_line, monkeypatch):
    monkeypatch.setattr(table_module, "CHUNK_ROWS", 10)
    path = _write(tmp_path, _rows(40))
    assert _fast(path)
    (fast, fast_problems), (slow, slow_problems) = read_both_ways(path)
    pd.testing.assert_frame_equal(fast, slow)
    assert fast_problems == slow_problems
    assert fast["source_row"].tolist() == list(range(2, 42))
    # The slow path's order: chunk by chunk (rows 2-11, 12-21, ...), in each the received dates, then the due dates.
    assert [p.row for p in fast_problems][:7] == [5, 3, 8, 12, 19, 13, 18]


def test_a_late_piece_the_fast_reader_refuses_leaves_no_problem_of_the_fast_attempt(tmp_path, line_by_line):
    lines = _rows(30)
    lines[25] += ",,"  # a ragged row: the slow path pads it, Arrow refuses it
    path = _write(tmp_path, lines)
    assert not _fast(path)
    (fast, fast_problems), (slow, slow_problems) = read_both_ways(path)
    pd.testing.assert_frame_equal(fast, slow)
    # Each bad date once: nothing of the pieces converted before the ragged row's is kept.
    assert fast_problems == slow_problems and len(fast_problems) == 4 + 6


def test_bytes_that_are_not_utf8_make_a_piece_unusable(tmp_path):
    # The grid reads such a file in a legacy encoding, or not at all; the piece says so too, whichever it is.
    path = _write(tmp_path, _rows(3), tail="H25-0099,08011,1.001,05/03/2025 08:30,10/03/2025,Thôn ".encode()
                  + b"\xc4\x90\xff\n")
    size = path.stat().st_size
    with pytest.raises(Unusable):
        fast_body._piece(path, 0, size, True, 6, ",")
    assert len(fast_body._piece(path, 0, size - 2, True, 6, ",")[0]) == 5  # all but the byte and its LF: read


@pytest.mark.parametrize("data", [b"", b"abc", "Thôn Đông, xã Thái Bình".encode(), "😀中".encode(), b"\xef\xbb\xbfa",
                                  b"\xff", b"a\x80", b"\xc4", b"\xed\xa0\x80", b"\xc0\xaf", b"\xf4\x90\x80\x80",
                                  b"\xe1,\x80", b"\xe1\xba"])
def test_utf8_is_checked_as_python_decodes(data):
    try:
        data.decode("utf-8")
        decodes = True
    except UnicodeDecodeError:
        decodes = False
    assert _is_utf8(data) == decodes


def test_a_piece_after_the_totals_row_is_converted_but_never_counted(tmp_path, line_by_line, monkeypatch):
    """The threads convert the pieces after the totals row too (the slow path never reads them): what goes wrong
    there is left out; what goes wrong before it is raised."""
    lines = [*_rows(6), "Tổng cộng,,,,,", "H25-9999,08011,1.001,05/03/2025 08:30,10/03/2025,"]
    path = _write(tmp_path, lines)
    typed_columns = table_module._typed_columns

    def failing_at(row):
        def typed(raw, keep, kept_numbers, *args):
            if row in kept_numbers:
                raise RuntimeError("conversion failed")
            return typed_columns(raw, keep, kept_numbers, *args)
        return typed

    monkeypatch.setattr(table_module, "_typed_columns", failing_at(9))  # the row after the totals row
    (fast, fast_problems), (slow, slow_problems) = read_both_ways(path)
    pd.testing.assert_frame_equal(fast, slow)
    assert fast_problems == slow_problems and len(fast) == 6
    monkeypatch.setattr(table_module, "_typed_columns", failing_at(4))
    with pytest.raises(RuntimeError):
        read_dossier_log(path, problems=[])
