"""Reading real-looking agency spreadsheets into canonical frames."""
from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from isoaudit.errors import RecordsError
from isoaudit.records import read_dossier_log, read_procedures, read_units
from tests.builders import excel_serial, nfd, write_official_log, write_sheet


@pytest.fixture
def official_log(tmp_path):
    rows = [
        {"id": "000.00.25.H45-250106-0001", "name": "Chứng thực bản sao từ bản chính",
         "received": dt.datetime(2025, 1, 6, 8, 5), "due": dt.datetime(2025, 1, 6),
         "returned": dt.datetime(2025, 1, 6, 10, 30)},
        {"id": "000.00.25.H45-250106-0002", "name": "  ĐĂNG KÝ KHAI SINH  ",
         "received": excel_serial(dt.datetime(2025, 1, 6, 15, 20)), "due": excel_serial(dt.datetime(2025, 1, 7)),
         "returned": excel_serial(dt.datetime(2025, 1, 7, 9, 0))},
        {"id": "000.00.25.H45-250107-0003", "name": nfd("Xác nhận tình trạng hôn nhân"),
         "received": "7/1/2025 14:10", "due": "10/01/2025", "returned": "", "note": "Đang giải quyết"},
        {"id": 250108004, "name": "Đăng ký khai tử", "applicant": nfd("Lê Thị Hoà"),
         "received": "08/01/2025", "due": "8/1/2025", "returned": "08/01/2025 16:00"},
    ]
    return write_official_log(tmp_path / "26734_so_theo_doi_2025.xlsx", "UBND xã Hòa Bình", rows)


def test_official_tracking_book_reads_rows_dates_and_names(official_log):
    problems = []
    frame = read_dossier_log(official_log, problems=problems)
    assert problems == []
    assert list(frame["dossier_id"]) == ["000.00.25.H45-250106-0001", "000.00.25.H45-250106-0002",
                                         "000.00.25.H45-250107-0003", "250108004"]
    # Rows as Excel numbers them: 6 title rows, 2 header rows, the number row, a blank row after the 2nd.
    assert list(frame["source_row"]) == [10, 11, 13, 14]
    assert list(frame["received_at"]) == [pd.Timestamp("2025-01-06 08:05"), pd.Timestamp("2025-01-06 15:20"),
                                          pd.Timestamp("2025-01-07 14:10"), pd.Timestamp("2025-01-08")]
    assert list(frame["due_date"]) == [pd.Timestamp(d) for d in ("2025-01-06", "2025-01-07", "2025-01-10", "2025-01-08")]
    assert frame["returned_date"].isna().tolist() == [False, False, True, False]
    assert frame["returned_date"].iloc[3] == pd.Timestamp("2025-01-08 16:00")
    # Stray spaces trimmed, NFD turned into NFC, case kept for the catalogue match to fold.
    assert frame["procedure_name"].tolist()[1:3] == ["ĐĂNG KÝ KHAI SINH", "Xác nhận tình trạng hôn nhân"]
    assert frame["applicant"].iloc[3] == "Lê Thị Hoà"
    assert frame["unit_code"].unique().tolist() == ["26734"]  # from the file name
    assert frame["note"].iloc[2] == "Đang giải quyết"
    assert set(frame["source_file"]) == {"26734_so_theo_doi_2025.xlsx"}


def test_csv_with_bom_and_user_mapping(tmp_path):
    path = tmp_path / "export.csv"
    path.write_text(
        "Số HS;Thủ tục;Ngày nộp;Hẹn trả;Ngày trả\n"
        "HS-1;Chứng thực chữ ký;03/02/2025 09:00;03/02/2025;03/02/2025 11:00\n"
        "HS-2;Chứng thực chữ ký;3/2/2025 15:30;4/2/2025;\n",
        encoding="utf-8-sig",
    )
    mapping = {"Số HS": "dossier_id", "Thủ tục": "procedure_name", "Ngày nộp": "received_at", "Hẹn trả": "due_date",
               "Ngày trả": "returned_date"}
    problems = []
    frame = read_dossier_log(path, mapping=mapping, problems=problems)
    assert problems == []
    assert frame["dossier_id"].tolist() == ["HS-1", "HS-2"]
    assert frame["received_at"].tolist() == [pd.Timestamp("2025-02-03 09:00"), pd.Timestamp("2025-02-03 15:30")]
    assert frame["source_row"].tolist() == [2, 3]


def test_every_unreadable_cell_is_reported_with_row_and_column(tmp_path):
    path = write_sheet(tmp_path / "log.xlsx", ["Mã hồ sơ", "Mã TTHC", "Ngày tiếp nhận", "Ngày hẹn trả"], [
        ["A1", "1.001193", "31/02/2025", "03/03/2025"],
        ["A2", "1.001193", "03/03/2025 08:00", "không rõ"],
        ["A3", "1.001193", "04/03/2025 08:00", "04/03/2025"],
    ])
    problems = []
    frame = read_dossier_log(path, problems=problems)
    found = {(p.row, p.column, p.value, p.code) for p in problems}
    assert found == {(2, "Ngày tiếp nhận", "31/02/2025", "unreadable_datetime"),
                     (3, "Ngày hẹn trả", "không rõ", "unreadable_date")}
    assert len(frame) == 3 and frame["received_at"].isna().sum() == 1
    assert "31/02/2025" in problems[0].message("vi") and "day/month/year" in problems[0].message("en")


def test_missing_required_columns_are_all_reported_together(tmp_path):
    path = write_sheet(tmp_path / "log.xlsx", ["Mã hồ sơ", "Tên TTHC", "Ghi chú"], [["A1", "X", ""]])
    problems = []
    read_dossier_log(path, problems=problems)
    assert {(p.code, p.column, p.severity) for p in problems} == {
        ("missing_column", "Nhận hồ sơ", "error"), ("missing_column", "Hẹn trả kết quả", "error")}
    # Named as a user would look for the column, with the way to map another header.
    missing = {p.params["canonical"]: p.message("vi") for p in problems}
    assert '"Nhận hồ sơ"' in missing["received_at"] and '"Hẹn trả kết quả"' in missing["due_date"]
    assert "dossiers,received_at," in missing["received_at"] and "column_aliases.csv" in missing["received_at"]
    with pytest.raises(RecordsError) as raised:
        read_dossier_log(path)
    assert len(raised.value.problems) == 2


@pytest.mark.parametrize("content, code", [
    (b"%PDF-1.4 not a workbook", "not_a_spreadsheet"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512 + "EncryptionInfo".encode("utf-16-le"), "encrypted_workbook"),
    (b"", "empty_file"),
])
def test_files_that_cannot_be_read_get_one_clear_message(tmp_path, content, code):
    path = tmp_path / "26734_2025.xlsx"
    path.write_bytes(content)
    with pytest.raises(RecordsError) as raised:
        read_dossier_log(path)
    assert raised.value.code == code
    assert "26734_2025.xlsx" in raised.value.message("vi")


def test_empty_sheet(tmp_path):
    path = write_sheet(tmp_path / "log.xlsx", [], [])
    with pytest.raises(RecordsError) as raised:
        read_dossier_log(path)
    assert raised.value.code == "empty_sheet"


def test_catalogue_with_title_rows_and_vietnamese_values(tmp_path):
    header = ["STT", "Mã TTHC", "Tên thủ tục hành chính", "Lĩnh vực", "Cấp thực hiện",
              "Thời hạn giải quyết (ngày làm việc)", "Giờ tiếp nhận cuối", "Cách tính khi bổ sung", "Mã quy trình",
              "Phiên bản", "Ngày hiệu lực"]
    rows = [
        [1, "2.000815", "Chứng thực bản sao từ bản chính", "Chứng thực", "Cấp xã", "Trong ngày", "15h", "Tạm dừng",
         "QT-CT-01", "02", dt.datetime(2024, 3, 1)],
        [2, "1.004873", "Xác nhận tình trạng hôn nhân", "Hộ tịch", "Cấp xã", "03 ngày làm việc", None, "tính lại",
         "QT-HT-05", 3, "15/06/2024"],
        [3, "1.000775", "Thủ tục lạ", "Khác", "cấp thôn", -2, "25:00", "sao cũng được", None, None, None],
    ]
    path = write_sheet(tmp_path / "procedures.xlsx", header, rows,
                       title_rows=[["UBND TỈNH TUYÊN QUANG"], ["DANH MỤC THỦ TỤC HÀNH CHÍNH CẤP XÃ"], []])
    problems = []
    frame = read_procedures(path, problems=problems)
    assert frame["legal_days"].tolist()[:2] == [0, 3]
    assert frame["cutoff_time"].tolist()[:2] == ["15:00", pd.NA] or frame["cutoff_time"].iloc[0] == "15:00"
    assert frame["supplement_rule"].tolist()[:2] == ["pause", "restart"]
    assert frame["level"].tolist()[:2] == ["commune", "commune"]
    assert frame["process_version"].tolist()[:2] == ["02", "3"]
    assert frame["effective_date"].tolist()[:2] == [pd.Timestamp("2024-03-01"), pd.Timestamp("2024-06-15")]
    codes = {(p.row, p.code) for p in problems}
    assert codes == {(7, "unreadable_time"), (7, "unknown_level"), (7, "unknown_supplement_rule")}


def test_units_registry_levels(tmp_path):
    path = write_sheet(tmp_path / "units.xlsx", ["Mã đơn vị", "Tên đơn vị", "Cấp", "Mã đơn vị cấp trên",
                                                "Tiếp nhận sáng thứ Bảy"], [
        ["070", "Huyện Yên Sơn", "Huyện", "08", ""],
        [2266, "Xã Thái Bình", "Xã", "070", "Có"],
        ["02269", "Phường Tân Hà", "phường", "070", "x"],
    ])
    frame = read_units(path)
    assert frame["unit_code"].tolist() == ["070", "2266", "02269"]
    assert frame["level"].tolist() == ["district", "commune", "ward"]
    assert frame["saturday_reception"].tolist() == [False, True, True]


def test_every_controlled_word_shown_to_a_user_reads_back_as_its_code():
    """The Vietnamese word a workbook or inspect shows for a code (``vocabulary.<kind>.<code>``) is one the
    vocabulary reads as that code: a workbook written by isoaudit can be read again."""
    from isoaudit.i18n import label, label_keys
    from isoaudit.records.vocabulary import canonical_words, known_words

    keys = label_keys("vocabulary.")
    for key in keys:
        _, kind, code = key.split(".")
        mapped, bad = canonical_words(pd.Series([label(key, "vi")], dtype="string"), kind)
        assert code in known_words(kind) and mapped.iat[0] == code and not bad.any(), key
