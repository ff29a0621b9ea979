"""The body of a CSV log read column-wise into Arrow gives exactly what the row-by-row reader gives: the same
frame, the same problems in the same order, located by file, row and the column as the header names it."""
from __future__ import annotations

import unicodedata

import pandas as pd
import pytest

import isoaudit.records.table as table_module
from isoaudit.records import read_dossier_log
from isoaudit.records.convert import NFC_LETTERS
from isoaudit.records.fast_body import Unusable, csv_body
from isoaudit.records.grid import open_grid
from isoaudit.text import fold

HEADER = "Số biên nhận,Mã đơn vị,Mã thủ tục,Tên thủ tục,Thời gian tiếp nhận,Hạn giải quyết,Thời gian trả kết quả"


def both(path):
    """(frame, problems) of the fast path, then of the slow path."""
    fast_problems, slow_problems = [], []
    fast = read_dossier_log(path, problems=fast_problems)
    original = table_module.csv_body
    table_module.csv_body = lambda *args: None
    try:
        slow = read_dossier_log(path, problems=slow_problems)
    finally:
        table_module.csv_body = original
    return (fast, fast_problems), (slow, slow_problems)


def took_fast_path(path, records_before: int) -> bool:
    grid = open_grid(path)
    list(zip(range(records_before + 1), grid.rows))
    body = csv_body(grid, records_before)
    if body is None:
        return False
    try:
        for _ in body:
            pass
    except Unusable:
        return False
    return True


def same(path):
    (fast, fast_problems), (slow, slow_problems) = both(path)
    pd.testing.assert_frame_equal(fast, slow)
    assert fast_problems == slow_problems
    return fast, fast_problems


def write(tmp_path, lines, name="26734_2025.csv", encoding="utf-8-sig", newline="\r\n"):
    path = tmp_path / name
    text = newline.join(lines) + newline
    path.write_bytes(text.encode(encoding))
    return path


def test_a_software_export_reads_the_same_fast(tmp_path):
    path = write(tmp_path, [HEADER] + [
        f"H25-{i:04d},08011,1.000489,Đăng ký khai sinh,0{i % 9 + 1}/03/2025 08:30,1{i % 9}/03/2025,"
        + ("" if i % 3 else f"1{i % 9}/03/2025 16:00") for i in range(300)])
    frame, problems = same(path)
    assert took_fast_path(path, 1)
    assert frame["unit_code"].iat[0] == "08011" and frame["procedure_code"].iat[0] == "1.000489"
    assert len(frame) == 300 and frame["source_row"].iat[0] == 2 and not problems


def test_stray_quotes_within_a_line_split_as_the_csv_module_splits_them(tmp_path):
    path = write(tmp_path, [HEADER,
                            'H-1,08011,1.001193,"Công nhận hộ nghèo, hộ cận nghèo",05/03/2025,10/03/2025,',
                            'H-2,08011,1.001193,Cấp bản sao "trích lục",05/03/2025,10/03/2025,',
                            'H-3,08011,1.001193,"Chứng thực ""bản sao""",05/03/2025,10/03/2025,',
                            'H-4,08011,1.001193,"Đăng ký"x khai sinh,05/03/2025,10/03/2025,'])
    frame, _ = same(path)
    assert took_fast_path(path, 1)
    assert list(frame["procedure_name"]) == ["Công nhận hộ nghèo, hộ cận nghèo", 'Cấp bản sao "trích lục"',
                                             'Chứng thực "bản sao"', "Đăng kýx khai sinh"]


def test_a_title_block_merged_header_numbers_row_and_signature(tmp_path):
    path = write(tmp_path, [
        "UBND XÃ HÒA BÌNH,,,,,,",
        "SỔ THEO DÕI HỒ SƠ NĂM 2025,,,,,,",
        ",,,,,,",
        "Số biên nhận,Mã đơn vị,Thủ tục,,Thời gian,,",
        ",,Mã thủ tục,Tên thủ tục,Nhận hồ sơ,Hẹn trả kết quả,Trả kết quả",
        "(1),(2),(3),(4),(5),(6),(7)",
        "H-1,08011,1.001193,Đăng ký khai sinh,05/03/2025 08:30,06/03/2025,06/03/2025 10:00",
        ",,,,,,",
        "H-2,08011,1.001193,Đăng ký khai sinh,31/04/2025,06/03/2025,",
        "Tổng cộng,,,,,,",
        "Người lập,,,,Thủ trưởng,,",
        "H-9,08011,1.001193,Đăng ký khai sinh,05/03/2025,06/03/2025,",
    ])
    frame, problems = same(path)
    assert took_fast_path(path, 6)
    assert list(frame["dossier_id"]) == ["H-1", "H-2"] and list(frame["source_row"]) == [7, 9]
    bad = [p for p in problems if p.value == "31/04/2025"]
    assert [(p.code, p.file, p.row) for p in bad] == [("unreadable_datetime", path.name, 9)] and bad[0].column


def test_vietnamese_nfd_text_and_codes_with_zeros(tmp_path):
    nfd = unicodedata.normalize("NFD", "Nguyễn Thị Hương  ")
    path = write(tmp_path, ["Số biên nhận,Mã đơn vị,Mã thủ tục,Tên thủ tục,Thời gian tiếp nhận,Hạn giải quyết,"
                            "Người tiếp nhận"] + [
        f"000.{i:02d},00{i % 3},0{i}.0100,{unicodedata.normalize('NFD', 'Đăng ký khai tử')},05/03/2025,06/03/2025,{nfd}"
        for i in range(40)])
    frame, _ = same(path)
    assert took_fast_path(path, 1)
    assert frame["officer"].iat[0] == "Nguyễn Thị Hương" and frame["unit_code"].iat[1] == "001"
    assert frame["dossier_id"].iat[3] == "000.03" and frame["procedure_code"].iat[0] == "00.0100"


def test_dates_as_text_serial_numbers_and_exchange_format(tmp_path):
    cells = ["05/03/2025", "5/3/2025 8:30", "05/03/2025 08:30:00", "08:30, 05/03/2025", "45721", "45721.354166667",
             "20250305083000", "2025-03-05 08:30", "8 giờ 30 phút, ngày 05/3/2025", "ngày 05 tháng 3 năm 2025.",
             "05-03-2025", "29/02/2025", "hôm qua", "  05/03/2025  ", "00/01/2025 10:00"]
    path = write(tmp_path, [HEADER] + [f'H-{i},08011,1.001193,Khai sinh,"{cell}","{cell}",'
                                       for i, cell in enumerate(cells)], encoding="utf-8", newline="\n")
    frame, problems = same(path)
    assert took_fast_path(path, 1)
    assert frame["received_at"].iat[4] == pd.Timestamp("2025-03-05")
    assert {p.value for p in problems} == {"29/02/2025", "hôm qua", "00/01/2025 10:00"}


@pytest.mark.parametrize("quoted, fast", [
    ('"Công nhận hộ nghèo, hộ cận nghèo"', True),
    ('Cấp bản sao "trích lục"', True),
    ('"Chứng thực ""bản sao"""', True),
    ('"Đăng ký"x khai sinh', True),
    ('"Đăng ký\nkhai sinh"', False),  # a quoted cell over two lines: the slow path checks it
])
def test_arrows_parse_blocks_within_a_piece_give_the_cells_of_one_parse(tmp_path, monkeypatch, quoted, fast):
    """Arrow parses a piece in blocks of a few rows here (a megabyte in use): a block never ends inside a quoted
    cell, and the rows of every block are numbered and split as Python's csv module reads them."""
    import isoaudit.records.fast_body as fast_body

    monkeypatch.setattr(fast_body, "_PARSE_BLOCK", 256)
    rows = [f"H-{i},08011,1.001193,{quoted if i % 7 == 3 else 'Khai sinh'},05/03/2025,{i % 28 + 1:02d}/02/2025,"
            for i in range(120)]
    path = write(tmp_path, [HEADER, *rows], newline="\n")
    assert took_fast_path(path, 1) is fast
    frame, _ = same(path)
    assert len(frame) == 120 and list(frame["source_row"])[-1] == 121


def test_a_record_over_two_parse_blocks_is_read_by_the_slow_path(tmp_path, monkeypatch):
    """Arrow refuses a record over two of its block boundaries: the file is read row by row, to the same frame."""
    import isoaudit.records.fast_body as fast_body

    monkeypatch.setattr(fast_body, "_PARSE_BLOCK", 256)
    rows = [f"H-{i},08011,1.001193,{'Khai sinh ' * (70 if i == 5 else 1)},05/03/2025,06/03/2025," for i in range(20)]
    path = write(tmp_path, [HEADER, *rows], newline="\n")
    assert not took_fast_path(path, 1)
    frame, _ = same(path)
    assert len(frame) == 20 and frame["procedure_name"].iat[5] == " ".join(["Khai sinh"] * 70)


@pytest.mark.parametrize("body, reason", [
    ('H-1,08011,1.001193,"Đăng ký\nkhai sinh",05/03/2025,06/03/2025,', "a quoted cell over two lines"),
    ("H-1,08011,1.001193,Khai sinh,05/03/2025", "a short row"),
    ("H-1,08011,1.001193,Khai sinh,05/03/2025,06/03/2025,\x00", "an empty character"),
    ("H-1,08011,1.001193,Khai sinh,05/03/2025,06/03/2025," + "x" * 200_000, "a cell longer than csv reads"),
])
def test_files_the_fast_reader_could_read_otherwise_fall_back(tmp_path, body, reason):
    path = write(tmp_path, [HEADER, "H-0,08011,1.001193,Khai sinh,05/03/2025,06/03/2025,", body], newline="\n")
    assert not took_fast_path(path, 1), reason
    same(path)


def test_an_empty_line_reads_the_same(tmp_path):
    path = write(tmp_path, [HEADER, "H-1,08011,1.001193,Khai sinh,05/03/2025,06/03/2025,", "",
                            "H-2,08011,1.001193,Khai sinh,32/03/2025,06/03/2025,"], newline="\n")
    frame, problems = same(path)
    assert list(frame["source_row"]) == [2, 4] and [p.row for p in problems] == [4]


@pytest.mark.parametrize("encoding", ["cp1258", "utf-16"])
def test_legacy_and_utf16_text_fall_back(tmp_path, encoding):
    header = ",".join(fold(text) for text in HEADER.split(","))  # what Windows-1258 holds of it, in any case
    path = write(tmp_path, [header, "H-1,08011,1.001193,Đông,05/03/2025,06/03/2025,"], encoding=encoding)
    assert not took_fast_path(path, 1)
    frame, _ = same(path)
    assert list(frame["procedure_name"]) == ["Đông"]


def test_text_of_the_letters_not_normalised_again_is_already_nfc():
    letters = [chr(code) for start, end in NFC_LETTERS for code in range(start, end)]
    assert all(unicodedata.normalize("NFC", c) == c and not unicodedata.combining(c) for c in letters)
    # None is the second letter of a composition (as a tone mark is), so none combines with the letter before it.
    seconds = {chr(int(d.split()[1], 16)) for d in map(unicodedata.decomposition, map(chr, range(0x30000)))
               if d and not d.startswith("<") and len(d.split()) == 2}
    assert not seconds & set(letters)


def test_problems_come_in_the_slow_paths_order_across_blocks_and_chunks(tmp_path, monkeypatch):
    """Small blocks of the file and small chunks of the slow path: bad cells of two columns over many of each."""
    import isoaudit.records.fast_body as fast_body

    monkeypatch.setattr(fast_body, "_BLOCK", 600)
    monkeypatch.setattr(table_module, "CHUNK_ROWS", 7)
    path = write(tmp_path, [HEADER] + [
        f"H-{i},08011,1.001193,Khai sinh,{'31/02/2025' if i % 5 == 0 else '05/03/2025'},"
        f"{'ngày mai' if i % 3 == 0 else '06/03/2025'}," + ("," if i % 11 == 0 else "") for i in range(60)]
        + [",,,,,,", "Tổng cộng,,,,,,", "H-99,08011,1.001193,Khai sinh,hôm nay,06/03/2025,"], newline="\n")
    assert took_fast_path(path, 1) is False  # a ragged row (two more cells every eleventh): read by the slow path
    path = write(tmp_path, [HEADER] + [
        f"H-{i},08011,1.001193,Khai sinh,{'31/02/2025' if i % 5 == 0 else '05/03/2025'},"
        f"{'ngày mai' if i % 3 == 0 else '06/03/2025'}," for i in range(60)]
        + [",,,,,,", "Tổng cộng,,,,,,", "H-99,08011,1.001193,Khai sinh,hôm nay,06/03/2025,"], newline="\n")
    assert took_fast_path(path, 1)
    frame, problems = same(path)
    assert len(frame) == 60 and len(problems) == 12 + 20
    assert [p.row for p in problems][:4] == [2, 7, 2, 5]  # the first chunk: received, then due, each by row


def test_dates_read_from_the_bytes_are_those_the_expressions_read(monkeypatch):
    """``_read_digits`` reads the fixed forms as the regular expressions and strptime of ``_read_fixed`` do."""
    import random

    import numpy as np
    import pyarrow as pa

    from isoaudit.records import convert

    rng = random.Random(7)

    def cell():
        roll = rng.random()
        if roll < 0.1:
            return rng.choice(["", None])
        day, month = f"{rng.randint(0, 35):02d}", f"{rng.randint(0, 14):02d}"
        if roll < 0.5:
            return f"{day}/{month}/{rng.randint(0, 9999):04d}"
        if roll < 0.85:
            return f"{day}/{month}/{rng.randint(1890, 2100)} {rng.randint(0, 25):02d}:{rng.randint(0, 61):02d}"
        return "".join(rng.choice("0123456789/ :-xé") for _ in range(rng.choice([9, 10, 16])))

    for trial in range(80):
        cells = [cell() for _ in range(rng.choice([1, 7, 300]))]
        if trial % 3 == 0:  # one length only: the bytes read side by side
            cells = [c for c in cells if not c or len(c) == 16] or ["29/02/2024 23:59"]
        text = pa.array(cells, pa.string())
        if trial % 4 == 1 and len(text) > 2:
            text = text.slice(1, len(text) - 2)
        read = convert._from_text(text)
        with monkeypatch.context() as patched:
            patched.setattr(convert, "_read_digits", lambda *args: None)
            expressed = convert._from_text(text)
        assert np.array_equal(read.view("i8"), expressed.view("i8")), cells


def test_the_bytes_tell_every_text_that_may_need_cleaning():
    import random

    import pyarrow as pa
    import pyarrow.compute as pc

    from isoaudit.records import convert

    letters = "ab Đđệếẫờ\t\n\r\f\x0b  \u0323\u0301ỹ\u00a0\u2003\u0250\u024f\u0240ș\u1e00\u1eff\u1f00\u1dff\u0300一😀"
    for code in list(range(0x2100)) + [0x1F600, 0x4E00, 0xFFFD]:
        if not 0xD800 <= code < 0xE000:
            text = pa.array(["a" + chr(code) + "b"])
            assert convert._may_need_cleaning(text) == pc.any(pc.match_substring_regex(
                text, convert._MAY_NEED_CLEANING)).as_py(), hex(code)
    rng = random.Random(3)
    for _ in range(3000):
        cells = ["".join(rng.choice(letters) for _ in range(rng.randint(0, 6))) if rng.random() > 0.1 else None
                 for _ in range(rng.randint(1, 6))]
        text = pa.array(cells, pa.string())
        if pc.any(pc.match_substring_regex(text, convert._MAY_NEED_CLEANING)).as_py():
            assert convert._may_need_cleaning(text), cells  # it may say yes for nothing, never no for something


def test_controlled_words_are_coded_as_their_column_is_read_and_unknown_ones_said_in_order(tmp_path):
    """Channels and states get their codes block by block as the columns are typed (``_typed_columns``); the
    unknown words are said after the file's other problems, column by column, row by row, as before."""
    from isoaudit.records.vocabulary import canonical_words

    channels = ["Trực tuyến", "Trực tiếp", "bưu chính", "qua Zalo", "", "Trực tuyến", "fax"]
    states = ["Đã trả kết quả", "Đang giải quyết", "treo", "Đã trả kết quả", "", "hủy ngang", "Đang giải quyết"]
    lines = [HEADER + ",Kênh nộp,Trạng thái"] + [
        f"H-{i},08011,1.001193,Khai sinh,0{i % 9 + 1}/03/2025 08:30,1{i % 9}/03/2025,,{channel},{state}"
        for i, (channel, state) in enumerate(zip(channels * 3, states * 3))]
    lines[9] = lines[9].replace("/03/2025 08:30", "/13/2025 08:30")  # an unreadable date: a problem of the read
    path = write(tmp_path, lines)
    assert took_fast_path(path, 1)
    frame, problems = same(path)
    unknown = [(p.code, p.row, p.value, p.column) for p in problems if p.code.startswith("unknown_")]
    rows = [i + 2 for i in range(len(lines) - 1)]
    expected = [("unknown_channel", row, channel, "Kênh nộp") for row, channel in zip(rows, channels * 3)
                if channel in ("qua Zalo", "fax")]
    expected += [("unknown_dossier_state", row, state, "Trạng thái") for row, state in zip(rows, states * 3)
                 if state in ("treo", "hủy ngang")]
    assert unknown == expected
    assert problems.index(next(p for p in problems if p.code.startswith("unknown_"))) > \
        problems.index(next(p for p in problems if p.code == "unreadable_datetime"))
    written = pd.Series(channels * 3, dtype="string").replace("", pd.NA)
    assert frame["channel"].tolist() == canonical_words(written, "channel")[0].tolist()
    assert frame["channel"].iloc[0] == "online" and pd.isna(frame["channel"].iloc[3])
