"""`isoaudit inspect FILE` on the files auditors really receive (an official tracking book, a software export
as CSV, a sheet with no header), and the figures a file cannot give (records/coverage.py)."""
from __future__ import annotations

import datetime as dt
import re
import subprocess
import sys

import pandas as pd
import pytest

from isoaudit.records.aliases import typical_header
from isoaudit.records.coverage import figure_gaps, figure_needs
from isoaudit.records.table import empty_frame
from tests.builders import write_official_log, write_sheet

BOOK_ROWS = [
    {"id": "HS-001", "name": "Đăng ký khai sinh", "received": dt.datetime(2025, 6, 2, 9, 0), "due": dt.datetime(2025, 6, 2),
     "returned": "02/06/2025 10:30"},
    {"id": "HS-002", "name": "Chứng thực bản sao từ bản chính", "received": "03/06/2025 14:05", "due": "03/06/2025"},
    {"id": "HS-003", "name": "Xác nhận tình trạng hôn nhân", "received": "04/06/2025 08:00", "due": "09/06/2025",
     "returned": "06/06/2025 16:00"},
]
EXPORT = (  # a one-stop export saved as CSV: the software's status, a date that does not exist, a cell with escapes
    "Mã hồ sơ,Tên TTHC,Trạng thái,Ngày nhận,Ngày hẹn trả,Ngày trả kết quả,Hình thức nộp\n"
    "HS1,Đăng ký khai sinh,Đã trả kết quả,02/06/2025 09:00,02/06/2025,02/06/2025 10:00,\n"
    "HS2,Đăng ký khai sinh,Rút hồ sơ,31/02/2025 09:00,02/06/2025,,\n"
    "HS3,\"Khai sinh\x1b[2J\u202e\",Đang xử lý,03/06/2025 09:00,03/06/2025,,\n"
)


def inspect(*args) -> tuple[int, str, str]:
    """``isoaudit inspect *args`` in a fresh process: exit code, what it printed, what it complained about."""
    done = subprocess.run([sys.executable, "-m", "isoaudit", "inspect", *map(str, args)], check=False,
                          capture_output=True, text=True, encoding="utf-8", timeout=120)
    return done.returncode, done.stdout, done.stderr


def mapping(out: str) -> dict[str, tuple[str, str, str]]:
    """The column table: letter -> (header, read as, samples)."""
    rows = {}
    for line in out.splitlines():
        cells = re.split(r"\s{2,}", line.strip())
        if len(cells) >= 3 and re.fullmatch(r"[A-Z]{1,2}", cells[0]):
            rows[cells[0]] = (cells[1], cells[2], cells[3] if len(cells) > 3 else "")
    return rows


@pytest.fixture(scope="module")
def book(tmp_path_factory):
    return write_official_log(tmp_path_factory.mktemp("book") / "so_theo_doi.xlsx", "UBND xã Tân Phú", BOOK_ROWS)


# ---- the official tracking book -----------------------------------------------------------------------------------
def test_the_official_book_in_vietnamese(book):
    code, out, err = inspect(book)
    assert code == 0, err
    assert "Tệp: so_theo_doi.xlsx (định dạng: Excel .xlsx)" in out and "Trang tính đã đọc: Sổ theo dõi" in out
    assert "Loại hồ sơ: sổ theo dõi hồ sơ (dossiers), đoán theo dòng tiêu đề cột" in out
    assert "  SỔ THEO DÕI HỒ SƠ" in out  # a title line above the table
    assert "dòng 7: STT | Mã hồ sơ | Tên thủ tục hành chính" in out
    assert "dòng 8: Nhận hồ sơ | Hẹn trả kết quả" in out and "dòng 9: (1) | (2) | (3)" in out
    columns = mapping(out)
    assert columns["B"] == ("Mã hồ sơ", "dossier_id", "HS-001; HS-002; HS-003")
    assert columns["H"] == ("Ngày, tháng, năm › Nhận hồ sơ", "received_at",
                            "02/06/2025 09:00; 03/06/2025 14:05; 04/06/2025 08:00")
    assert columns["I"] == ("Ngày, tháng, năm › Hẹn trả kết quả", "due_date", "02/06/2025; 03/06/2025; 09/06/2025")
    assert columns["L"] == ("Ngày, tháng, năm › Trả kết quả cho cá nhân, tổ chức", "returned_date",
                            "02/06/2025 10:30; 06/06/2025 16:00")
    assert columns["A"][:2] == ("STT", "bỏ qua: không nhận ra tên cột")
    assert columns["A"][2] == "1; 2; 3"  # the totals row below the table is not a sample
    assert "Đọc được 3 dòng dữ liệu." in out
    assert "Không có cột hình thức nộp nên không tính được: tỷ lệ hồ sơ nộp trực tuyến; tỷ lệ hồ sơ nộp qua bưu chính" in out
    assert "Không có cột ngày phiếu xin lỗi nên không tính được: hồ sơ trễ hạn không có phiếu xin lỗi" in out
    assert "Không có vấn đề nào khi đọc." in out and out.rstrip().endswith("Kết luận: tệp dùng được.")


def test_the_official_book_in_english(book):
    code, out, err = inspect(book, "--lang", "en")
    assert code == 0, err
    assert "File: so_theo_doi.xlsx (format: Excel .xlsx)" in out
    assert "Record kind: dossier log (dossiers), guessed from the header" in out
    assert "row 7: STT | Mã hồ sơ" in out and "row 9: (1) | (2)" in out
    columns = mapping(out)
    assert columns["H"][1:] == ("received_at", "02/06/2025 09:00; 03/06/2025 14:05; 04/06/2025 08:00")
    assert columns["D"][:2] == ("Số lượng hồ sơ (bộ)", "ignored: header not recognised")
    assert "No column for the channel (counter, online, postal), so these cannot be computed: the share lodged " \
           "online; the share lodged by post" in out
    assert "3 data rows read." in out and out.rstrip().endswith("Verdict: the file can be used.")
    # Only the file's own words stay Vietnamese.
    assert not [words for words in ("Tệp:", "dòng ", "Đọc thành", "Còn thiếu", "Không có cột", "Kết luận")
                if words in out]


def test_a_kind_forced_that_the_header_does_not_name_cannot_be_used(book):
    code, out, _ = inspect(book, "--kind", "procedures")
    assert code == 1
    assert "danh mục thủ tục hành chính (procedures), theo --kind" in out
    assert "Không tìm thấy dòng tiêu đề cột" in out and "Kết luận: tệp không dùng được." in out


# ---- a software export as CSV -------------------------------------------------------------------------------------
def test_a_csv_export_with_the_softwares_status(tmp_path):
    folder = tmp_path / "ho_so"
    folder.mkdir()
    path = folder / "26734_2025.csv"
    path.write_text(EXPORT, encoding="utf-8")
    # The records folder's own alias table is used, as load_records would use it.
    (tmp_path / "column_aliases.csv").write_text("kind,column,alias\ndossiers,log_status,Trạng thái\n", encoding="utf-8")
    code, out, err = inspect(path)
    assert code == 0, err
    assert "(định dạng: CSV (văn bản))" in out and "column_aliases.csv" in out
    columns = mapping(out)
    # The software's status is read as a code and shown as the user's word for it.
    assert columns["C"] == ("Trạng thái", "log_status", "Đã trả kết quả; Rút hồ sơ; Đang giải quyết")
    assert columns["D"] == ("Ngày nhận", "received_at", "02/06/2025 09:00; 03/06/2025 09:00")
    assert "\x1b" not in out and "\u202e" not in out and "Khai sinh" in columns["B"][2]
    assert re.search(r"Cảnh báo, dòng 3, Ngày nhận: Không đọc được ngày giờ \"31/02/2025 09:00\"", out)
    # The channel column is there but empty: the shares cannot be computed.
    assert "Cột \"Hình thức nộp\" không có giá trị nào đọc được nên không tính được: tỷ lệ hồ sơ nộp trực tuyến" in out
    assert "Không có cột ngày yêu cầu bổ sung nên không tính được" in out


def test_a_log_without_a_required_column_cannot_be_used(tmp_path):
    path = tmp_path / "thieu_cot.csv"
    path.write_text("Mã hồ sơ,Tên TTHC,Ngày nhận\nHS1,Khai sinh,02/06/2025\n", encoding="utf-8")
    code, out, _ = inspect(path, "--lang", "en")
    assert code == 1
    assert "The required column due_date is missing: the file cannot be used until it has one" in out
    assert mapping(out)["C"] == ("Ngày nhận", "received_at", "02/06/2025")  # samples still shown, as in the file
    assert out.rstrip().endswith("Verdict: the file cannot be used.")


# ---- files that cannot be used, and usage errors -----------------------------------------------------------------
def test_a_sheet_without_a_header_cannot_be_used(tmp_path):
    path = write_sheet(tmp_path / "bang_tinh.xlsx", ["a", "b", "c"], [[1, 2, 3], [4, 5, 6]])
    code, out, _ = inspect(path)
    assert code == 1
    assert "Loại hồ sơ: không nhận ra" in out
    assert "Không tìm thấy dòng tiêu đề cột trong tệp bang_tinh.xlsx" in out
    assert out.rstrip().endswith("Kết luận: tệp không dùng được.")


def test_a_file_that_is_not_a_spreadsheet_cannot_be_used(tmp_path):
    path = tmp_path / "so.xlsx"
    path.write_bytes(b"this is not a workbook")
    code, out, _ = inspect(path, "--lang", "en")
    assert code == 1 and "so.xlsx" in out and out.rstrip().endswith("Verdict: the file cannot be used.")


def test_usage_errors_exit_2(tmp_path, book):
    code, _, err = inspect(tmp_path / "khong_co.xlsx")
    assert code == 2 and "khong_co.xlsx" in err
    code, _, err = inspect(book, "--kind", "dossier")
    assert code == 2 and "dossier" in err
    code, _, err = inspect(book, "--sheet", "Trang khác")
    assert code == 2 and "Trang khác" in err


# ---- the figures a file cannot give ---------------------------------------------------------------------------------
def dossier_frame(**columns) -> pd.DataFrame:
    frame = empty_frame("dossiers").reindex(range(2))
    for name, values in columns.items():
        frame[name] = values
    return frame


def test_a_column_absent_or_empty_costs_its_figures():
    labels = {"dossier_id": "Mã hồ sơ", "procedure_name": "Thủ tục", "received_at": "Ngày nhận",
              "due_date": "Ngày hẹn trả", "returned_date": "Ngày trả", "channel": "Kênh"}
    frame = dossier_frame(dossier_id=["HS1", "HS2"], procedure_name=["A", "B"],
                          received_at=pd.to_datetime(["2025-06-02", "2025-06-03"]),
                          due_date=pd.to_datetime(["2025-06-02", "2025-06-03"]))
    gaps = {problem.column: problem for problem in figure_gaps(frame, labels, "x.xlsx")}
    assert gaps["Ngày trả"].code == gaps["Kênh"].code == "figure_gap_empty"  # in the header, but nothing read
    assert gaps["Ngày xin lỗi"].code == "figure_gap_absent"  # absent: named by the header a user would look for
    assert "procedure_code" not in gaps  # the name is enough to know the procedure
    assert all(p.severity == "warning" and p.file == "x.xlsx" for p in gaps.values())
    assert gaps["Ngày trả"].message("vi") == ("Cột \"Ngày trả\" không có giá trị nào đọc được nên không tính được: "
                                              "tỷ lệ giải quyết đúng hạn; số hồ sơ trễ hạn; số hồ sơ quá hạn chưa trả "
                                              "(mọi hồ sơ quá hẹn sẽ bị coi là quá hạn); số ngày giải quyết bình quân; "
                                              "hồ sơ trễ hạn không có phiếu xin lỗi")
    assert gaps["Ngày xin lỗi"].message("en") == ("No column for the apology letter date, so these cannot be "
                                                  "computed: late dossiers without an apology letter")


def test_a_table_without_rows_is_judged_on_its_header_only():
    labels = {"dossier_id": "Mã hồ sơ", "procedure_code": "Mã TTHC", "received_at": "Ngày nhận", "due_date": "Hẹn"}
    gaps = figure_gaps(empty_frame("dossiers"), labels, "x.xlsx")
    assert {p.code for p in gaps} == {"figure_gap_absent"}
    assert {p.column for p in gaps} == {" / ".join(typical_header("dossiers", c) for c in need.columns)
                                         for need in figure_needs("dossiers") if not set(need.columns) & set(labels)}
    assert figure_gaps(empty_frame("units"), {}, "units.xlsx", "units") == []  # no rules for that kind yet
