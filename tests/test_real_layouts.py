"""Real one-stop exports read right, or refused out loud: headers understood as people lay them out (a
sub-column's meaning from its merged parent, priorities among candidate columns, headers as written) and the
table found on whichever sheet it is. Four layouts from the domain brief, several variants each."""
from __future__ import annotations

import csv
import datetime as dt
import io
import unicodedata
from importlib import resources

import pandas as pd
import pytest

from isoaudit import schema
from isoaudit.records import read_dossier_log
from isoaudit.records.aliases import MARKERS, alias_table
from isoaudit.records.header import find_header
from isoaudit.records.readers import record_table
from isoaudit.text import fold
from tests.builders import (
    DOSSIER_LIST_HEADER,
    OFFICIAL_HEADER_SUB,
    OFFICIAL_HEADER_TOP,
    PROVINCIAL_BOOK_SUB,
    PROVINCIAL_BOOK_TITLES,
    PROVINCIAL_BOOK_TOP,
    nfd,
    provincial_book_cells,
    write_dossier_list,
    write_layout,
    write_official_log,
    write_provincial_book,
)

T = pd.Timestamp


def codes(problems) -> set[tuple[str, str]]:
    return {(p.code, p.column) for p in problems}


def read(path, **options):
    problems = []
    frame = read_dossier_log(path, problems=problems, **options)
    return frame, problems


# ---- (a) the provincial system's tracking book ---------------------------------------------------------------------
BOOK_ROWS = [
    {"id": "000.00.14.H56-250106-0001", "name": "Chứng thực bản sao từ bản chính", "owner": "Nguyễn Văn An",
     "received": "06/01/2025 08:05:13", "due": "06/01/2025 10:05:13", "returned": "06/01/2025 09:30:00",
     "officer": "Lê Văn Cường"},
    {"id": "000.00.14.H56-250106-0002", "name": "Đăng ký khai sinh", "owner": "Trần Thị Bình",
     "received": "06/01/2025 14:20:00", "due": "07/01/2025 14:20:00", "returned": None, "note": "Chờ ký"},
    {"id": "000.00.14.H56-250107-0003", "name": "Xác nhận tình trạng hôn nhân", "owner": "Phạm Minh Châu",
     "received": "07/01/2025 09:00:00", "due": "10/01/2025 09:00:00", "returned": "13/01/2025 15:45:30"},
]


def assert_book_read(frame, problems):
    assert list(frame["dossier_id"]) == [r["id"] for r in BOOK_ROWS]
    assert list(frame["source_row"]) == [7, 8, 9]  # four title rows, two header rows
    assert list(frame["procedure_name"]) == [r["name"] for r in BOOK_ROWS]  # "Nội dung hồ sơ"
    assert list(frame["applicant"]) == [r["owner"] for r in BOOK_ROWS]
    assert list(frame["received_at"]) == [T("2025-01-06 08:05:13"), T("2025-01-06 14:20"), T("2025-01-07 09:00")]
    assert list(frame["due_date"]) == [T("2025-01-06"), T("2025-01-07"), T("2025-01-10")]
    # The return date is "Ngày nhận kết quả" under "Trả kết quả", not a date the agency got a result back.
    assert frame["returned_date"].tolist()[::2] == [T("2025-01-06 09:30"), T("2025-01-13 15:45:30")]
    assert frame["returned_date"].isna().tolist() == [False, True, False]
    assert frame["result_received_date"].isna().all()
    assert list(frame["officer"]) == ["Lê Văn Cường"] * 3  # "Người nhận hồ sơ"
    assert frame["note"].tolist()[1] == "Chờ ký"
    # Signatures are not data; the phone number loses to the address and the user is told.
    assert codes(problems) == {("header_outranked", "Số điện thoại")}


@pytest.mark.parametrize("merge", [True, False], ids=["merged", "group text in its first cell"])
def test_provincial_tracking_book(tmp_path, merge):
    path = write_provincial_book(tmp_path / "Sổ theo dõi hồ sơ_2025_10_01_09_15.xlsx", BOOK_ROWS, merge=merge)
    assert_book_read(*read(path))


def test_provincial_tracking_book_as_csv(tmp_path):
    # No merge information at all: each group cell spans the empty cells to its right.
    text = io.StringIO()
    csv.writer(text).writerows([*PROVINCIAL_BOOK_TITLES, PROVINCIAL_BOOK_TOP, PROVINCIAL_BOOK_SUB,
                                *provincial_book_cells(BOOK_ROWS)])
    path = tmp_path / "so_theo_doi.csv"
    path.write_text(text.getvalue(), encoding="utf-8-sig")
    assert_book_read(*read(path))


def test_provincial_tracking_book_with_headers_as_typed(tmp_path):
    # NFD, upper case, line breaks, double spaces, numbering and trailing colons in the header cells.
    top = ["STT", "(1) MÃ HỒ SƠ", nfd("Nội dung\nhồ sơ"), "Số lượng (bộ)", "Họ tên  chủ hồ sơ:", "Địa chỉ chủ hồ sơ",
           "Số điện thoại", nfd("NGÀY, THÁNG, NĂM"), None, "Trả kết\nquả", None, None, "Người nhận hồ sơ (*)",
           "Địa bàn phát sinh hồ sơ", "Ghi chú:"]
    sub = [None] * 7 + [nfd("Nhận hồ sơ"), "HẸN TRẢ KẾT QUẢ", "Ngày nhận\nkết quả", "Bên giao\n(Ký tên)",
                        "Bên nhận (ký tên)", None, None, None]
    footer = [[], ["Tổng số: 3 hồ sơ"], [None, "NGƯỜI LẬP BIỂU", None, None, None, None, None, None, "LÃNH ĐẠO"],
              [None, "(Ký, ghi rõ họ tên)"], [None, "Lê Văn Cường"]]
    path = write_provincial_book(tmp_path / "so_theo_doi.xlsx", BOOK_ROWS, top=top, sub=sub, footer=footer)
    frame, problems = read(path)
    assert_book_read(frame, problems)
    table = record_table(path, "dossiers")
    assert table.labels["returned_date"] == "Ngày nhận kết quả" and table.labels["applicant"] == "Họ tên chủ hồ sơ:"


def test_a_sub_columns_meaning_comes_from_its_parent(tmp_path):
    # "Ngày nhận kết quả" twice: under the agency's result and under the return to the citizen.
    top = ["Mã hồ sơ", "Tên thủ tục", "Ngày, tháng, năm", None, "Nhận kết quả từ cơ quan giải quyết", "Trả kết quả",
           None, None]
    sub = [None, None, "Nhận hồ sơ", "Hẹn trả kết quả", "Ngày nhận kết quả", "Ngày nhận kết quả", "Bên giao (Ký tên)",
           "Bên nhận (Ký tên)"]
    path = write_layout(tmp_path / "log.xlsx", top, [
        ["A1", "Chứng thực", "03/02/2025 08:00", "05/02/2025", "04/02/2025 16:00", "05/02/2025 09:00", "x", "y"],
    ], sub=sub)
    frame, problems = read(path)
    assert frame["result_received_date"].tolist() == [T("2025-02-04 16:00")]
    assert frame["returned_date"].tolist() == [T("2025-02-05 09:00")]
    assert problems == []


def test_elsewhere_the_result_received_date_is_the_agencys(tmp_path):
    path = write_layout(tmp_path / "log.xlsx", ["Mã hồ sơ", "Thủ tục", "Ngày tiếp nhận", "Ngày hẹn trả",
                                                 "Ngày nhận kết quả", "Ngày trả kết quả"],
                        [["A1", "Chứng thực", "03/02/2025 08:00", "05/02/2025", "04/02/2025", "05/02/2025 10:00"]])
    frame, problems = read(path)
    assert frame["result_received_date"].tolist() == [T("2025-02-04")]
    assert frame["returned_date"].tolist() == [T("2025-02-05 10:00")] and problems == []


@pytest.mark.parametrize("flattened", ["Trả kết quả - Ngày nhận kết quả", "TRẢ KẾT QUẢ / Ngày nhận kết quả",
                                       "Trả kết quả_Ngày nhận kết quả"])
def test_a_two_row_header_flattened_into_one_cell(tmp_path, flattened):
    path = tmp_path / "export.csv"
    path.write_text(f"Mã hồ sơ,Nội dung hồ sơ,\"Ngày, tháng, năm - Nhận hồ sơ\",Hẹn trả kết quả,{flattened}\n"
                    "A1,Chứng thực,03/02/2025 08:00:00,05/02/2025,05/02/2025 09:00:00\n", encoding="utf-8")
    frame, problems = read(path)
    assert frame["received_at"].tolist() == [T("2025-02-03 08:00")]
    assert frame["returned_date"].tolist() == [T("2025-02-05 09:00")] and problems == []


# ---- (b) the same system's dossier list ------------------------------------------------------------------------------
LIST_ROWS = [
    {"id": "000.00.14.H56-250106-0001", "name": "Chứng thực chữ ký", "status": "Đã trả kết quả",
     "agent": "Công ty Dịch vụ Pháp lý Minh An", "owner": "Nguyễn Văn An", "submitted": "05/01/2025 21:10",
     "received": "06/01/2025 08:05", "due": "06/01/2025", "finished": "06/01/2025 09:30"},
    {"id": "000.00.14.H56-250106-0002", "name": "Đăng ký khai sinh", "status": "Đang xử lý", "agent": "Trần Văn Bảo",
     "owner": "Trần Thị Bình", "submitted": "06/01/2025 07:00", "received": "06/01/2025 14:20", "due": "07/01/2025",
     "finished": None},
    {"id": "000.00.14.H56-250107-0003", "name": "Xác nhận tình trạng hôn nhân", "status": "Yêu cầu bổ sung giấy tờ",
     "agent": "Phạm Minh Châu", "owner": "Phạm Minh Châu", "submitted": None, "received": "07/01/2025 09:00",
     "due": "10/01/2025", "finished": None},
]


def assert_list_read(frame):
    assert list(frame["dossier_id"]) == [r["id"] for r in LIST_ROWS]
    assert list(frame["procedure_name"]) == [r["name"] for r in LIST_ROWS]
    assert list(frame["applicant"]) == ["Nguyễn Văn An", "Trần Thị Bình", "Phạm Minh Châu"]  # the owner
    # The clock starts at "Ngày nhận", not at the online submission.
    assert list(frame["received_at"]) == [T("2025-01-06 08:05"), T("2025-01-06 14:20"), T("2025-01-07 09:00")]
    assert list(frame["due_date"]) == [T("2025-01-06"), T("2025-01-07"), T("2025-01-10")]
    assert frame["returned_date"].tolist()[0] == T("2025-01-06 09:30")  # "Ngày kết thúc xử lý"
    assert frame["returned_date"].isna().tolist() == [False, True, True]


def test_dossier_list(tmp_path):
    frame, problems = read(write_dossier_list(tmp_path / "danh_sach_ho_so.xlsx", LIST_ROWS))
    assert_list_read(frame)
    assert codes(problems) == {("header_outranked", "Người nộp"), ("header_unused", "Đơn vị tiếp nhận")}
    # The online submission is kept apart from the receipt that starts the clock (the analytics compare them).
    assert frame["submitted_at"].tolist()[:2] == [T("2025-01-05 21:10"), T("2025-01-06 07:00")]
    assert frame["submitted_at"].isna().tolist()[2]
    assert not [p for p in problems if p.severity == "error"]
    outranked = next(p for p in problems if p.code == "header_outranked")
    assert '"Chủ hồ sơ"' in outranked.message("vi") and '"Người nộp"' in outranked.message("en")
    if "log_status" in frame:  # the software's status, when the schema keeps it
        assert frame["log_status"].tolist() == ["returned", "in_progress", "supplement_requested"]


def test_the_owner_wins_whatever_the_order_of_the_columns(tmp_path):
    header = ["Mã hồ sơ", "Chủ hồ sơ", "Ngày nhận", "Người nộp", "Ngày hẹn trả", "Tên thủ tục hành chính",
              "Ngày nộp hồ sơ", "Ngày kết thúc xử lý"]
    frame, problems = read(write_dossier_list(tmp_path / "ds.xlsx", LIST_ROWS, header=header))
    assert_list_read(frame)
    assert codes(problems) == {("header_outranked", "Người nộp")}


def test_the_agent_is_the_applicant_when_nobody_else_is(tmp_path):
    header = ["Mã hồ sơ", "Tên thủ tục hành chính", "Người nộp", "Ngày nhận", "Ngày hẹn trả", "Ngày kết thúc xử lý"]
    frame, problems = read(write_dossier_list(tmp_path / "ds.xlsx", LIST_ROWS, header=header))
    assert frame["applicant"].tolist() == [r["agent"] for r in LIST_ROWS] and problems == []


def test_a_list_with_only_the_online_submission_is_refused_out_loud(tmp_path):
    header = ["Mã hồ sơ", "Tên thủ tục hành chính", "Chủ hồ sơ", "Ngày nộp hồ sơ", "Ngày hẹn trả"]
    frame, problems = read(write_dossier_list(tmp_path / "ds.xlsx", LIST_ROWS, header=header))
    assert frame.empty  # the submission is read as such, never taken for the receipt that starts the clock
    assert codes(problems) == {("missing_column", "Nhận hồ sơ")}


def test_the_callers_mapping_outranks_every_alias(tmp_path):
    frame, problems = read(write_dossier_list(tmp_path / "ds.xlsx", LIST_ROWS), mapping={"Người nộp": "applicant"})
    assert frame["applicant"].tolist() == [r["agent"] for r in LIST_ROWS]
    assert ("header_outranked", "Chủ hồ sơ") in codes(problems)


# ---- (c) the official form typed by hand -----------------------------------------------------------------------------
def official_rows():
    return [
        {"id": "01/2025", "name": "Chứng thực bản sao từ bản chính", "applicant": "Nguyễn Văn An",
         "received": "8 giờ 30 phút, ngày 05/3/2025", "due": "ngày 05 tháng 3 năm 2025",
         "returned": "10 giờ, ngày 05/3/2025"},
        {"id": "02/2025", "name": "ĐĂNG KÝ KHAI SINH", "applicant": nfd("Lê Thị Hoà"),
         "received": dt.datetime(2025, 3, 5, 14, 0), "due": dt.datetime(2025, 3, 6), "returned": None},
        {"id": "03/2025", "name": "Xác nhận tình trạng hôn nhân", "applicant": "Phạm Minh Châu",
         "received": "06/03/2025", "due": "11/3/2025", "returned": "10/03/2025 16:00"},
    ]


def assert_official_read(frame, problems):
    assert problems == []
    assert list(frame["dossier_id"]) == ["01/2025", "02/2025", "03/2025"]
    assert list(frame["received_at"]) == [T("2025-03-05 08:30"), T("2025-03-05 14:00"), T("2025-03-06")]
    assert list(frame["due_date"]) == [T("2025-03-05"), T("2025-03-06"), T("2025-03-11")]
    assert frame["returned_date"].tolist()[::2] == [T("2025-03-05 10:00"), T("2025-03-10 16:00")]
    assert frame["returned_date"].isna().tolist() == [False, True, False]
    assert list(frame["applicant"]) == ["Nguyễn Văn An", "Lê Thị Hoà", "Phạm Minh Châu"]
    assert list(frame["procedure_name"]) == ["Chứng thực bản sao từ bản chính", "ĐĂNG KÝ KHAI SINH",
                                             "Xác nhận tình trạng hôn nhân"]


def test_official_form_typed_by_hand(tmp_path):
    path = write_official_log(tmp_path / "26734_so_theo_doi.xlsx", "UBND xã Hòa Bình", official_rows())
    frame, problems = read(path)
    assert_official_read(frame, problems)
    assert list(frame["source_row"]) == [10, 11, 13]  # the number row and a blank row skipped
    assert (frame["handling_agency"] == "UBND xã Hòa Bình").all()


def official_cells(rows):
    return [[n, r["id"], r["name"], 1, r["applicant"], "Thôn 1", "UBND xã", r["received"], r["due"],
             "05/03/2025", "05/03/2025 09:45", r["returned"], None] for n, r in enumerate(rows, start=1)]


@pytest.mark.parametrize("style", ["no diacritics", "upper case NFD", "line breaks"])
def test_official_form_with_headers_typed_differently(tmp_path, style):
    change = {"no diacritics": lambda h: fold(h).capitalize(), "upper case NFD": lambda h: nfd(h.upper()),
              "line breaks": lambda h: h.replace(", ", ",\n").replace(" kết", "\nkết")}[style]
    top = [change(h) if h else h for h in OFFICIAL_HEADER_TOP]
    sub = [None] * 7 + [change(h) for h in OFFICIAL_HEADER_SUB] + [None]
    footer = [["Tổng cộng: 3 hồ sơ"], [], [None, "NGƯỜI LẬP SỔ", None, None, None, "THỦ TRƯỞNG ĐƠN VỊ"],
              [None, "(Ký, ghi rõ họ tên)"]]
    titles = [["UBND XÃ HÒA BÌNH", None, None, None, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"],
              [None, None, None, None, "Độc lập - Tự do - Hạnh phúc"], ["SỔ THEO DÕI HỒ SƠ"]]
    path = write_layout(tmp_path / "so.xlsx", top, official_cells(official_rows()), sub=sub, title_rows=titles,
                        number_row=True, footer=footer)
    frame, problems = read(path)
    assert_official_read(frame, problems)
    assert frame["transferred_date"].tolist() == [T("2025-03-05")] * 3
    assert frame["result_received_date"].tolist() == [T("2025-03-05 09:45")] * 3
    assert list(frame["source_row"]) == [7, 8, 9]


# ---- (d) a software export on the second sheet, one-row headers without diacritics or in English ---------------------
INSTRUCTIONS = ("Huong dan", [["HƯỚNG DẪN NHẬP LIỆU"], ["Cột", "Ý nghĩa"], ["Mã hồ sơ", "Mã do hệ thống cấp"],
                              ["Ngày tiếp nhận", "Ngày giờ nhận hồ sơ"], ["Ngày hẹn trả", "Ngày hẹn trên phiếu"],
                              ["Xuất lúc 01/10/2025 09:15"]])
EXPORT_ROWS = [
    ["HS-001", "Chứng thực chữ ký", "Nguyễn Văn An", "Dịch vụ Minh An", "03/02/2025 08:00", "03/02/2025",
     "03/02/2025 10:00", "Trực tiếp"],
    ["HS-002", "Đăng ký khai sinh", "Trần Thị Bình", "Trần Văn Bảo", "03/02/2025 15:30", "04/02/2025", None,
     "Trực tuyến"],
]
NO_DIACRITICS = ["Ma ho so", "Ten thu tuc", "Ho ten chu ho so", "Nguoi nop", "Ngay tiep nhan", "Ngay hen tra",
                 "Ngay tra ket qua", "Hinh thuc nop"]
ENGLISH = ["Dossier code", "Procedure name", "Applicant", "Nguoi nop", "Received date", "Due date", "Returned date",
           "Channel"]


def assert_export_read(frame):
    assert frame["dossier_id"].tolist() == ["HS-001", "HS-002"]
    assert frame["applicant"].tolist() == ["Nguyễn Văn An", "Trần Thị Bình"]
    assert frame["received_at"].tolist() == [T("2025-02-03 08:00"), T("2025-02-03 15:30")]
    assert frame["due_date"].tolist() == [T("2025-02-03"), T("2025-02-04")]
    assert frame["returned_date"].tolist()[0] == T("2025-02-03 10:00") and pd.isna(frame["returned_date"].iloc[1])
    assert frame["channel"].tolist() == ["counter", "online"]
    assert frame["procedure_name"].tolist() == ["Chứng thực chữ ký", "Đăng ký khai sinh"]


@pytest.mark.parametrize("header", [NO_DIACRITICS, ENGLISH], ids=["no diacritics", "english"])
def test_export_on_the_second_sheet_after_instructions(tmp_path, header):
    path = write_layout(tmp_path / "export.xlsx", header, EXPORT_ROWS, sheet_title="Du lieu",
                        sheets_before=[INSTRUCTIONS])
    table = record_table(path, "dossiers")
    assert table.sheet == "Du lieu"
    assert_export_read(table.frame)
    assert codes(table.problems) == {("header_outranked", "Nguoi nop")}
    assert {p.sheet for p in table.problems} == {"Du lieu"}


def test_export_on_the_third_sheet_after_a_cover_and_a_hidden_list(tmp_path):
    cover = ("Bia", [["UBND HUYỆN YÊN SƠN"], ["BÁO CÁO TÌNH HÌNH GIẢI QUYẾT HỒ SƠ"], ["Năm 2025"]])
    lists = ("DM", [["Ma ho so", "Ngay tiep nhan", "Ngay hen tra", "Ten thu tuc"], ["X", "Y", "Z", "W"]])
    empty = ("Trong", [])
    path = write_layout(tmp_path / "export.xlsx", NO_DIACRITICS, EXPORT_ROWS, sheet_title="Sheet3",
                        sheets_before=[cover, lists, empty], hidden={"DM"})
    table = record_table(path, "dossiers")
    assert table.sheet == "Sheet3" and table.frame["dossier_id"].tolist() == ["HS-001", "HS-002"]
    assert_export_read(table.frame)


def test_no_sheet_with_a_header_names_the_sheets_looked_at(tmp_path):
    path = write_layout(tmp_path / "export.xlsx", ["Số thứ tự", "Nội dung"], [[1, "Không phải sổ hồ sơ"]],
                        sheet_title="Bang 2", sheets_before=[INSTRUCTIONS])
    frame, problems = read(path)
    assert frame.empty and [(p.code, p.severity) for p in problems] == [("no_header_in_sheets", "error")]
    for lang in ("vi", "en"):
        assert '"Huong dan"' in problems[0].message(lang) and '"Bang 2"' in problems[0].message(lang)


def test_a_second_table_on_another_sheet_is_not_lost_silently(tmp_path):
    year_2024 = ("2024", [NO_DIACRITICS, ["HS-000", "Chứng thực", "An", None, "03/02/2024 08:00", "03/02/2024",
                                          None, None]])
    path = write_layout(tmp_path / "export.xlsx", NO_DIACRITICS, EXPORT_ROWS, sheet_title="2025",
                        sheets_before=[year_2024])
    table = record_table(path, "dossiers")
    assert table.sheet == "2024"  # equal headers: the first sheet
    other = [p for p in table.problems if p.code == "other_sheets_not_read"]
    assert len(other) == 1 and '"2025"' in other[0].message("vi")


def test_the_sheet_whose_header_names_more_columns_wins(tmp_path):
    summary = ("Tong hop", [["Mã hồ sơ", "Ngày tiếp nhận"], ["HS-001", "03/02/2025"]])
    path = write_layout(tmp_path / "export.xlsx", NO_DIACRITICS, EXPORT_ROWS, sheet_title="Chi tiet",
                        sheets_before=[summary])
    table = record_table(path, "dossiers")
    assert table.sheet == "Chi tiet" and len(table.frame) == 2
    assert "other_sheets_not_read" not in {p.code for p in table.problems}


# ---- headers as written ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("written", [
    "Ngày nhận", "NGÀY NHẬN", "ngay nhan", "NGAY NHAN", "Ngày\nnhận", "Ngày  nhận", " Ngày nhận ", "Ngày nhận:",
    "Ngày nhận (3)", "(3) Ngày nhận", "3. Ngày nhận", "Ngày nhận (*)", "Ngày\r\nnhận", "Ngày\u00a0nhận",
])
@pytest.mark.parametrize("form", ["NFC", "NFD"])
def test_a_header_is_found_however_it_is_written(written, form):
    rows = [["STT", "Mã hồ sơ", unicodedata.normalize(form, written)], [1, "A1", "05/03/2025"]]
    header = find_header(rows, alias_table("dossiers"))
    assert header.positions == {"dossier_id": 1, "received_at": 2} and header.first_data_index == 1


@pytest.mark.parametrize("parent", ["Trả kết quả", "TRẢ KẾT QUẢ:", "Trả kết\nquả", nfd("Trả kết quả"), "Tra ket qua"])
def test_a_parent_is_found_however_it_is_written(parent):
    rows = [["Mã hồ sơ", parent, None], [None, "Ngày nhận kết quả", "Bên nhận (Ký tên)"]]
    header = find_header(rows, alias_table("dossiers"))
    assert header.positions == {"dossier_id": 0, "returned_date": 1} and header.first_data_index == 2
    assert header.skipped == ["Bên nhận (Ký tên)"]


def test_a_title_above_a_one_row_header_does_not_make_it_two_rows():
    rows = [["DANH SÁCH HỒ SƠ"], ["Mã hồ sơ", "Tên TTHC", "Ngày nhận", "Ngày hẹn trả"], ["A", "B", "01/01/2025", ""]]
    header = find_header(rows, alias_table("dossiers"))
    assert header.first_data_index == 2 and header.title_lines == ["DANH SÁCH HỒ SƠ"]
    assert header.labels["received_at"] == "Ngày nhận"


def test_a_group_whose_sub_columns_are_unknown_keeps_its_own_meaning():
    rows = [["Mã hồ sơ", "Tên TTHC", "Ngày nhận", "Trả kết quả", None], [None, None, None, "Lúc", "Nơi"]]
    header = find_header(rows, alias_table("dossiers"))
    assert header.positions["returned_date"] == 3


def test_plain_alias_tables_still_work():
    rows = [["Date", "Kind"], ["01/01/2025", "off"]]
    header = find_header(rows, {"date": "date", "kind": "kind"})
    assert header.positions == {"date": 0, "kind": 1} and header.first_data_index == 1


# ---- the alias data ---------------------------------------------------------------------------------------------------
# Columns named ahead of the schema, each followed in the file by a stand-in of lower priority.
PLANNED = {("dossiers", "unit_name"), ("dossiers", "submitted_at")}


def bundled_rows() -> list[dict]:
    text = resources.files("isoaudit.data").joinpath("column_aliases.csv").read_text(encoding="utf-8")
    return list(csv.DictReader(io.StringIO(text)))


def test_every_alias_row_names_a_column_of_its_kind():
    wrong = []
    for number, row in enumerate(bundled_rows(), start=2):
        columns = {c.name for c in schema.KINDS.get(row["kind"], ())}
        if row["column"] not in columns | set(MARKERS) and (row["kind"], row["column"]) not in PLANNED:
            wrong.append(f"line {number}: {row}")
        if row["priority"] and not row["priority"].isdigit():
            wrong.append(f"line {number}: priority {row['priority']!r} is not a whole number")
        if not fold(row["alias"]):
            wrong.append(f"line {number}: empty alias")
    assert not wrong, "\n".join(wrong)


def test_no_header_has_two_meanings_of_equal_priority():
    seen, twice = {}, []
    for row in bundled_rows():
        columns = {c.name for c in schema.KINDS.get(row["kind"], ())} | set(MARKERS)
        if row["column"] not in columns:
            continue
        key = (row["kind"], fold(row["parent"]), fold(row["alias"]), row["priority"] or "50")
        if key in seen and seen[key] != row["column"]:
            twice.append(f"{key}: {seen[key]} and {row['column']}")
        seen.setdefault(key, row["column"])
    assert not twice, "\n".join(twice)


def test_a_column_planned_for_the_schema_has_a_stand_in_until_then():
    planned = [r for r in bundled_rows() if (r["kind"], r["column"]) in PLANNED]
    assert planned
    for row in planned:
        if row["column"] not in {c.name for c in schema.KINDS[row["kind"]]}:
            assert alias_table(row["kind"]).meaning(row["alias"], row["parent"]) is not None, row


def test_a_folders_alias_file_in_the_old_three_column_format(tmp_path):
    aliases = tmp_path / "column_aliases.csv"
    aliases.write_text("kind,column,alias\ndossiers,received_at,Ngày nộp hồ sơ\ndossiers,dossier_id,Số HS\n",
                       encoding="utf-8-sig")
    path = write_layout(tmp_path / "ds.xlsx", ["Số HS", "Tên thủ tục hành chính", "Ngày nộp hồ sơ", "Ngày hẹn trả"],
                        [["HS-1", "Chứng thực", "05/01/2025 21:10", "06/01/2025"]])
    problems = []
    frame = read_dossier_log(path, problems=problems, alias_file=aliases)
    assert frame["dossier_id"].tolist() == ["HS-1"] and problems == []
    assert frame["received_at"].tolist() == [T("2025-01-05 21:10")]


def test_a_folders_alias_file_with_a_parent_and_a_priority(tmp_path):
    aliases = tmp_path / "column_aliases.csv"
    aliases.write_text("kind,column,alias,parent,priority\n"
                       "dossiers,returned_date,Ngày,Trả cho công dân,\n"
                       "dossiers,applicant,Người nộp,,90\n", encoding="utf-8")
    top = ["Mã hồ sơ", "Tên TTHC", "Chủ hồ sơ", "Người nộp", "Ngày nhận", "Ngày hẹn trả", "Trả cho công dân", None]
    sub = [None] * 6 + ["Ngày", "Ký nhận"]
    path = write_layout(tmp_path / "log.xlsx", top, [["A1", "Chứng thực", "Chủ", "Người nộp", "03/02/2025 08:00",
                                                      "03/02/2025", "03/02/2025 10:00", "x"]], sub=sub)
    problems = []
    frame = read_dossier_log(path, problems=problems, alias_file=aliases)
    assert frame["returned_date"].tolist() == [T("2025-02-03 10:00")]
    assert frame["applicant"].tolist() == ["Người nộp"] and codes(problems) == {("header_outranked", "Chủ hồ sơ")}


def test_dossier_list_headers_all_have_a_meaning():
    aliases = alias_table("dossiers")
    unknown = [h for h in [*DOSSIER_LIST_HEADER, *PROVINCIAL_BOOK_TOP, *PROVINCIAL_BOOK_SUB]
               if h and aliases.meaning(h) is None]
    assert set(unknown) == {"STT", "Số lượng (bộ)", "Ngày, tháng, năm", "Địa bàn phát sinh hồ sơ"}


def test_the_callers_mapping_wins_under_a_parent_too(tmp_path):
    path = write_provincial_book(tmp_path / "so.xlsx", BOOK_ROWS)
    frame, _ = read(path, mapping={"Ngày nhận kết quả": "result_received_date"})
    assert frame["returned_date"].isna().all() and frame["result_received_date"].notna().sum() == 2
