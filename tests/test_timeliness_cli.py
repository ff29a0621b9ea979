"""``isoaudit timeliness FOLDER``: a small district folder read end to end, printed in Vietnamese, written to
a workbook; bad dates and unknown units answered with a message, not a traceback."""
from __future__ import annotations

import pytest
from openpyxl import load_workbook

import isoaudit.cli as cli
from tests.builders import write_sheet

UNITS = [["26734", "Xã Tân Phú", "Xã", "Có"], ["26737", "Xã Phú Thịnh", "Xã", "Không"]]
PROCEDURES = [["1.001193", "Đăng ký khai sinh", "Hộ tịch", 0, "15:00"],
              ["1.004873", "Xác nhận tình trạng hôn nhân", "Hộ tịch", 3, None]]
HEADER = ["Mã hồ sơ", "Mã TTHC", "Tên TTHC", "Ngày tiếp nhận", "Ngày hẹn trả", "Ngày trả kết quả",
          "Ngày yêu cầu bổ sung", "Ngày nhận bổ sung", "Ngày xin lỗi", "Họ tên người nộp"]


@pytest.fixture
def folder(tmp_path):
    write_sheet(tmp_path / "units.xlsx", ["Mã đơn vị", "Tên đơn vị", "Cấp", "Tiếp nhận sáng thứ Bảy"], UNITS)
    write_sheet(tmp_path / "procedures.xlsx", ["Mã TTHC", "Tên TTHC", "Lĩnh vực", "Thời hạn giải quyết",
                                              "Giờ tiếp nhận cuối"], PROCEDURES)
    # The province gave Monday 18/08/2025 off and Saturday 23/08/2025 back.
    (tmp_path / "calendar.csv").write_text(
        "Ngày,Loại,Nội dung\n18/08/2025,nghỉ,Lễ hội tỉnh\n23/08/2025,làm việc,Làm bù\n31/02/2025,nghỉ,Sai ngày\n",
        encoding="utf-8-sig")
    (tmp_path / "dossiers").mkdir()
    write_sheet(tmp_path / "dossiers" / "26734_2025.xlsx", HEADER, [
        ["TP-1", "1.004873", "", "14/08/2025 09:00", "20/08/2025", "19/08/2025 10:00", "", "", "", "Lê Thị Hoa"],
        ["TP-2", "1.004873", "", "14/08/2025 09:00", "20/08/2025", "22/08/2025 10:00", "", "", "", "Trần Văn Nam"],
        ["TP-3", "1.001193", "", "15/08/2025 15:30", "19/08/2025", "19/08/2025 08:00", "", "", "", "Đỗ Minh"],
        ["TP-4", "1.004873", "", "09/08/2025 09:00", "14/08/2025", "", "", "", "", "Phạm An"],  # Saturday
        ["TP-5", "1.004873", "", "01/09/2025 09:00", "08/09/2025", "", "", "", "", "Vũ Bình"],
    ])
    write_sheet(tmp_path / "dossiers" / "26737_2025.xlsx", HEADER, [
        ["PT-1", "1.004873", "", "04/08/2025 09:00", "07/08/2025", "12/08/2025 10:00", "", "", "11/08/2025", "Hà"],
        ["PT-2", "1.004873", "", "09/08/2025 09:00", "14/08/2025", "14/08/2025 10:00", "", "", "", "Lý"],
    ])
    return tmp_path


def run(monkeypatch, capsys, *argv) -> tuple[int, str, str]:
    code = cli.main(["timeliness", *map(str, argv)])
    out, err = capsys.readouterr()
    return code, out, err


def test_prints_the_district_summary_in_vietnamese_and_writes_the_workbook(folder, monkeypatch, capsys, tmp_path):
    out_file = tmp_path / "ket_qua" / "tien_do.xlsx"
    code, out, err = run(monkeypatch, capsys, folder, "--as-of", "05/09/2025", "--out", out_file)
    assert code == 0, err
    assert "ĐÁNH GIÁ TIẾN ĐỘ GIẢI QUYẾT HỒ SƠ" in out
    assert "Tình trạng hồ sơ chưa trả kết quả tính đến ngày 05/09/2025" in out
    assert "2 quyết định riêng trong calendar.csv" in out and "Xã Tân Phú" in out
    # The calendar file's bad row is one of the records' problems, listed by `isoaudit validate`.
    assert "isoaudit validate" in out
    assert cli.main(["validate", str(folder)]) == 0
    listed = capsys.readouterr().out
    assert "Tệp calendar.csv" in listed and "31/02/2025" in listed
    # TP-1 early (due 20/8 after the provincial day off), TP-2 late, TP-3 on time (after 15:00 on Friday, due
    # Tuesday 19/8), TP-4 received on a Saturday at a unit with Saturday reception (due Wednesday 13/8, not
    # returned: overdue, and its appointment of 14/8 is beyond the legal time), TP-5 in progress; PT-1 late
    # with an apology letter, PT-2 (Saturday, no reception: received Monday) on time on Thursday 14/8.
    assert "7 hồ sơ: 1 trước hạn, 2 đúng hạn, 2 trễ hạn, 1 đang giải quyết trong hạn, 1 quá hạn chưa trả" in out
    assert "Tỷ lệ giải quyết đúng hạn (trước hạn và đúng hạn trên số đã trả kết quả): 60,0 %." in out
    assert "Trễ hạn hoặc quá hạn mà không có phiếu xin lỗi: 2; hẹn trả quá thời hạn quy định: 1." in out
    assert "Lê Thị Hoa" not in out
    book = load_workbook(out_file)
    assert book.sheetnames[0] == "Tổng hợp" and "Chi tiết hồ sơ" in book.sheetnames
    detail = list(book["Chi tiết hồ sơ"].iter_rows(values_only=True))
    header = detail[0]
    by_id = {row[header.index("Mã hồ sơ")]: row for row in detail[1:]}
    assert by_id["TP-4"][header.index("Tình trạng")] == "Quá hạn, chưa trả kết quả"
    assert by_id["PT-2"][header.index("Tình trạng")] == "Đúng hạn"
    assert all("Lê Thị Hoa" not in str(cell) for row in detail for cell in row)


def test_one_unit_and_a_period_by_procedure_in_english(folder, monkeypatch, capsys):
    code, out, _ = run(monkeypatch, capsys, folder, "--unit", "26734", "--from", "15/08/2025", "--to",
                       "31/08/2025", "--as-of", "05/09/2025", "--lang", "en")
    assert code == 0
    assert "Scope: Xã Tân Phú (26734)" in out and "Dossiers received from 15/08/2025 to 31/08/2025" in out
    assert "1 dossiers: 0 early, 1 on time" in out
    assert "By procedure:" in out and "1.001193" in out


@pytest.mark.parametrize("argv, words", [
    (["--as-of", "2025-09-05"], "ngày/tháng/năm"),
    (["--from", "31/02/2025"], "--from"),
    (["--from", "05/09/2025", "--to", "01/09/2025"], "sau ngày kết thúc"),
    (["--unit", "99999"], "99999"),
    (["--out", "ket_qua.csv"], ".xlsx"),
])
def test_bad_options_get_a_message_and_exit_code_2(folder, monkeypatch, capsys, argv, words):
    code, out, err = run(monkeypatch, capsys, folder, *argv)
    assert code == 2 and words in err and "Traceback" not in err


def test_a_folder_that_does_not_exist(monkeypatch, capsys, tmp_path):
    code, _, err = run(monkeypatch, capsys, tmp_path / "khong_co")
    assert code == 2 and "Không tìm thấy thư mục hồ sơ" in err
