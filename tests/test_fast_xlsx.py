"""The body of an xlsx log read column-wise by fastexcel gives exactly what the cell-by-cell reader gives: the same
frame, the same problems in the same order, the same title lines and header labels; what fastexcel could read
otherwise is read cell by cell."""
from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from openpyxl import Workbook

import isoaudit.records.table as table_module
from isoaudit.records.aliases import alias_table
from isoaudit.records.table import read_table
from tests.builders import (
    write_dossier_list,
    write_layout,
    write_official_log,
    write_provincial_book,
    write_sheet,
)

pytest.importorskip("fastexcel")

HEADER = ["Số biên nhận", "Mã đơn vị", "Mã thủ tục", "Tên thủ tục", "Thời gian tiếp nhận", "Hạn giải quyết",
          "Thời gian trả kết quả", "Người tiếp nhận", "Ghi chú"]
RECEIVED = dt.datetime(2025, 3, 5, 8, 30)


def fast_read(path, kind="dossiers"):
    """The fast path's table, or None when it leaves the file to the slow path."""
    return table_module._read(path, kind, None, alias_table(kind, None, None), [], fast=True)


def same(path, kind="dossiers"):
    """The table as read (fast where it may be), checked against the cell-by-cell reader's."""
    table = read_table(path, kind)
    original = table_module.open_head
    table_module.open_head = lambda *args: None
    try:
        slow = read_table(path, kind)
    finally:
        table_module.open_head = original
    pd.testing.assert_frame_equal(table.frame, slow.frame)
    assert table.problems == slow.problems
    assert (table.title_lines, table.labels, table.sheet) == (slow.title_lines, slow.labels, slow.sheet)
    return table


def export_rows(count=120):
    return [[f"000.00.41.H25-{i:05d}", "08011", "1.001193", "Đăng ký khai sinh", RECEIVED + dt.timedelta(hours=i),
             dt.date(2025, 3, 10) + dt.timedelta(days=i % 5), None if i % 4 else RECEIVED + dt.timedelta(days=2),
             "Nguyễn  Văn   An " if i % 2 else "Lê Thị Bình", None] for i in range(count)]


def test_a_software_export_is_read_fast_and_the_same(tmp_path):
    path = write_sheet(tmp_path / "26734_2025.xlsx", HEADER, export_rows())
    assert fast_read(path) is not None
    table = same(path)
    frame = table.frame
    assert len(frame) == 120 and frame["unit_code"].iat[0] == "08011" and frame["officer"].iat[1] == "Nguyễn Văn An"
    assert frame["received_at"].iat[0] == pd.Timestamp(RECEIVED) and frame["source_row"].iat[0] == 2


def test_serial_numbers_codes_typed_as_numbers_and_bad_dates(tmp_path):
    rows = [[f"H-{i}", 8011.0, 1.000489, "Khai sinh", 45721.354166667 + i, 45725.0, 0.5 if i == 3 else None,
             12345678901.0, 7.25] for i in range(30)]
    path = write_sheet(tmp_path / "log.xlsx", HEADER, rows)
    assert fast_read(path) is not None
    table = same(path)
    assert table.frame["unit_code"].iat[0] == "8011" and table.frame["procedure_code"].iat[0] == "1.000489"
    assert [(p.code, p.row, p.value) for p in table.problems] == [("unreadable_datetime", 5, 0.5)]


def test_dates_written_as_text_with_bad_ones(tmp_path):
    texts = ["05/03/2025", "5/3/2025 8:30", "31/04/2025", "8 giờ 30 phút, ngày 05/3/2025", "hôm qua", "  ",
             "20250305083000", "2025-03-05 08:30"]
    rows = [[f"H-{i}", "08011", "1.001193", "Khai sinh", text, "10/03/2025", None, "An", None]
            for i, text in enumerate(texts * 5)]
    path = write_sheet(tmp_path / "log.xlsx", HEADER, rows)
    assert fast_read(path) is not None
    table = same(path)
    assert {p.value for p in table.problems} == {"31/04/2025", "hôm qua"}


def official_rows(count):
    return [{"id": f"H-{i}", "name": "Đăng ký khai sinh", "received": RECEIVED + dt.timedelta(days=i),
             "due": dt.date(2025, 3, 20), "returned": RECEIVED + dt.timedelta(days=i + 2) if i % 3 else None}
            for i in range(count)]


@pytest.mark.parametrize("count", [12, 80])
def test_an_official_book_with_its_title_merged_header_totals_and_signatures(tmp_path, count):
    """The signatures below the totals row put text into the columns of numbers and dates: the body is read up
    to the totals row, found among the sheet's last rows."""
    path = write_official_log(tmp_path / "26734_so.xlsx", "UBND xã Hòa Bình", official_rows(count))
    assert fast_read(path) is not None
    table = same(path)
    assert len(table.frame) == count and table.title_lines


def signed_export(tmp_path):
    """An export with a totals row, then signatures written under the date columns."""
    rows = export_rows(80) + [["Tổng cộng: 80 hồ sơ"] + [None] * (len(HEADER) - 1),
                              [None] * 4 + ["NGƯỜI LẬP SỔ", None, "THỦ TRƯỞNG ĐƠN VỊ", None, None],
                              [None] * 4 + ["(Ký, ghi rõ họ tên)"] + [None] * 4]
    return write_sheet(tmp_path / "log.xlsx", HEADER, rows)


def test_signatures_under_date_columns_below_the_totals_row(tmp_path):
    path = signed_export(tmp_path)
    assert fast_read(path) is not None
    assert len(same(path).frame) == 80


def test_a_totals_row_further_up_than_the_last_rows_read_is_read_cell_by_cell(tmp_path, monkeypatch):
    import isoaudit.records.fast_xlsx as fast_xlsx

    path = signed_export(tmp_path)
    monkeypatch.setattr(fast_xlsx, "TAIL_BYTES", 200)  # the last rows read apart no longer reach the totals row
    assert fast_read(path) is None
    same(path)


def test_numbers_and_text_in_a_column_no_canonical_column_reads(tmp_path, monkeypatch):
    """Section titles in the numbers column ("I. LĨNH VỰC HỘ TỊCH"), numbers among notes: read as text, they only
    tell where the table ends; a row whose first text may have been a number, before an end marker, is left to
    the slow path."""
    header = ["STT"] + HEADER + ["Mục riêng của xã"]
    rows = [["I. LĨNH VỰC HỘ TỊCH"] + [None] * (len(HEADER) + 1)]
    rows += [[float(i)] + row + [12.5 if i % 7 == 0 else "mục"] for i, row in enumerate(export_rows(60))]
    rows += [["Tổng cộng"] + [None] * (len(HEADER) + 1)]
    path = write_sheet(tmp_path / "log.xlsx", header, rows)
    table = same(path)
    assert fast_read(path) is not None and len(table.frame) == 60
    rows[50] = [7.0] + [None] * 7 + ["Người lập sổ", None, None]  # a number, then an end marker
    path = write_sheet(tmp_path / "log2.xlsx", header, rows)
    assert fast_read(path) is not None  # found among the last rows, read as calamine reads them
    assert len(same(path).frame) == 49
    import isoaudit.records.fast_xlsx as fast_xlsx

    monkeypatch.setattr(fast_xlsx, "TAIL_BYTES", 200)  # found in the body, where "7" may have been text
    assert fast_read(path) is None
    assert len(same(path).frame) == 49


def test_text_below_a_totals_row_near_the_end_is_not_read(tmp_path):
    rows = export_rows(60)
    rows[45] = ["Tổng cộng: 45 hồ sơ"] + [None] * (len(HEADER) - 1)
    rows[50][4] = "không rõ"  # below the totals row: never read, by either path
    path = write_sheet(tmp_path / "log.xlsx", HEADER, rows)
    assert fast_read(path) is not None
    table = same(path)
    assert len(table.frame) == 45 and not table.problems


def test_the_provincial_book_and_the_dossier_list(tmp_path):
    rows = [{"id": f"H-{i}", "name": "Đăng ký khai tử", "owner": "Trần Văn Cường", "received": "05/03/2025 08:30:00",
             "due": "10/03/2025 17:00:00", "returned": "ngày 09/03/2025" if i % 2 else None} for i in range(25)]
    same(write_provincial_book(tmp_path / "book.xlsx", rows))
    listed = [{"id": f"H-{i}", "name": "Khai sinh", "status": "Đã trả kết quả", "owner": "An",
               "submitted": RECEIVED, "received": RECEIVED, "due": dt.date(2025, 3, 9), "finished": None}
              for i in range(25)]
    path = write_dossier_list(tmp_path / "list.xlsx", listed)
    assert fast_read(path) is not None
    same(path)


@pytest.mark.parametrize("cell, reason", [
    (dt.time(8, 30), "a time of day where a date belongs"),
    ("05/03/2025", "a date as text among real dates"),
    (True, "a boolean"),
])
def test_columns_fastexcel_would_read_otherwise_fall_back(tmp_path, cell, reason):
    rows = export_rows(20)
    rows[7][4] = cell
    path = write_sheet(tmp_path / "log.xlsx", HEADER, rows)
    assert fast_read(path) is None, reason
    same(path)


def test_a_cover_sheet_and_a_table_right_of_column_a(tmp_path):
    path = write_layout(tmp_path / "log.xlsx", [None, None] + HEADER, [[None, None] + row for row in export_rows(30)],
                        title_rows=[[None, "SỔ THEO DÕI HỒ SƠ"]], sheets_before=[("Hướng dẫn", [["Đọc kỹ"]])])
    assert fast_read(path) is not None
    table = same(path)
    assert table.sheet == "Sheet1" and table.frame["dossier_id"].iat[0] == "000.00.41.H25-00000"


def test_a_body_left_of_the_head_is_read_cell_by_cell(tmp_path):
    book = Workbook()
    sheet = book.active
    sheet.append([None] + HEADER)
    for row in export_rows(50):
        sheet.append([None] + row)
    sheet.cell(row=60, column=1, value="ghi chú lạc")  # far below the head, left of every head cell
    book.save(tmp_path / "log.xlsx")
    assert fast_read(tmp_path / "log.xlsx") is None
    same(tmp_path / "log.xlsx")


def test_blank_rows_and_a_totals_row_end_the_table_as_cell_by_cell(tmp_path):
    rows = export_rows(40)
    rows[10] = [None] * len(HEADER)
    rows[30] = ["Tổng cộng"] + [None] * (len(HEADER) - 1)
    path = write_sheet(tmp_path / "log.xlsx", HEADER, rows)
    assert fast_read(path) is not None
    table = same(path)
    assert len(table.frame) == 29 and table.frame["source_row"].iat[-1] == 31


def test_problems_keep_the_slow_paths_order_across_blocks_and_chunks(tmp_path, monkeypatch):
    import isoaudit.records.fast_xlsx as fast_xlsx

    monkeypatch.setattr(fast_xlsx, "_ROWS_PER_BLOCK", 13)
    monkeypatch.setattr(table_module, "CHUNK_ROWS", 7)
    rows = [[f"H-{i}", "08011", "1.001193", "Khai sinh", "31/02/2025" if i % 5 == 0 else "05/03/2025",
             "ngày mai" if i % 3 == 0 else "06/03/2025", None, "An", None] for i in range(60)]
    path = write_sheet(tmp_path / "log.xlsx", HEADER, rows)
    assert fast_read(path) is not None
    table = same(path)
    assert len(table.problems) == 12 + 20 and [p.row for p in table.problems][:4] == [2, 7, 2, 5]


def test_other_kinds_read_through_the_fast_path_too(tmp_path):
    path = write_sheet(tmp_path / "thu_tuc.xlsx", ["Mã thủ tục", "Tên thủ tục", "Thời hạn giải quyết"],
                       [["1.001193", "Đăng ký khai sinh", 3.0], ["1.000656", "Đăng ký khai tử", "05 ngày làm việc"],
                        ["2.000", "Chứng thực", "Trong ngày"]])
    same(path, "procedures")


def test_formula_errors_are_empty_cells_both_ways(tmp_path):
    book = Workbook()
    sheet = book.active
    sheet.append(HEADER)
    for row in export_rows(20):
        sheet.append(row)
    for reference, error in (("E5", "#N/A"), ("C6", "#DIV/0!"), ("F7", "#VALUE!")):
        sheet[reference] = error
        sheet[reference].data_type = "e"
    book.save(tmp_path / "log.xlsx")
    assert fast_read(tmp_path / "log.xlsx") is not None
    table = same(tmp_path / "log.xlsx")
    assert table.frame["received_at"].isna().sum() == 1 and table.frame["procedure_code"].isna().sum() == 1


@pytest.mark.parametrize("build", ["official", "provincial", "cover", "export"])
def test_the_first_rows_and_merges_read_apart_are_calamines(tmp_path, build):
    """``open_head`` (a copy of the workbook cut after the first rows) gives the cells and merged ranges the whole
    sheet's python-calamine parse gives; its last rows are the sheet's last rows."""
    from itertools import islice

    from isoaudit.records.grid import open_grid, open_head

    path = tmp_path / "log.xlsx"
    if build == "official":
        write_official_log(path, "UBND xã Hòa Bình", official_rows(70))
    elif build == "provincial":
        write_provincial_book(path, [{"id": f"H-{i}", "name": "Khai tử", "owner": "An", "received": "05/03/2025",
                                      "due": "10/03/2025"} for i in range(60)])
    elif build == "cover":
        write_layout(path, [None] + HEADER, [[None] + row for row in export_rows(70)],
                     title_rows=[[None, "SỔ THEO DÕI"]], sheets_before=[("Bìa", [["Sổ"]])])
    else:
        signed_export(tmp_path)
    head = open_head(path, "Sheet1" if build == "cover" else None, 40)  # the cover is the default sheet
    whole = open_grid(path, head.sheet)
    rows = list(whole.rows)
    assert list(head.rows) == list(islice(rows, 40))
    assert head.merged == whole.merged
    width = max(len(row) for row in rows)
    assert head.tail_rows and head.tail_rows[-1][0] == len(rows)
    assert [(number, cells + [""] * (width - len(cells))) for number, cells in head.tail_rows] == \
        [(number, rows[number - 1]) for number, _ in head.tail_rows]
