"""Spreadsheet files built the way agencies' files really arrive, for tests."""
from __future__ import annotations

import datetime as dt
import unicodedata
from pathlib import Path

from openpyxl import Workbook

OFFICIAL_HEADER_TOP = ["STT", "Mã hồ sơ", "Tên thủ tục hành chính", "Số lượng hồ sơ (bộ)", "Tên cá nhân, tổ chức",
                       "Địa chỉ, số điện thoại", "Cơ quan chủ trì giải quyết", "Ngày, tháng, năm", None, None, None,
                       None, "Ghi chú"]
OFFICIAL_HEADER_SUB = ["Nhận hồ sơ", "Hẹn trả kết quả", "Chuyển hồ sơ đến cơ quan giải quyết",
                       "Nhận kết quả từ cơ quan giải quyết", "Trả kết quả cho cá nhân, tổ chức"]


def excel_serial(value: dt.datetime) -> float:
    return (value - dt.datetime(1899, 12, 30)).total_seconds() / 86400


def write_official_log(path: Path, agency: str, rows: list[dict]) -> Path:
    """An official tracking book (sổ theo dõi hồ sơ): title rows, a two-row merged header, a row of column
    numbers, a blank row inside the table, a totals row and a signature block.

    Each row dict: id, name, applicant, received, due, returned (cell values as the file should hold them).
    """
    book = Workbook()
    sheet = book.active
    sheet.title = "Sổ theo dõi"
    sheet.append([agency.upper(), None, None, None, None, None, None, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"])
    sheet.append([None] * 7 + ["Độc lập - Tự do - Hạnh phúc"])
    sheet.append([])
    sheet.append(["SỔ THEO DÕI HỒ SƠ"])
    sheet.append(["(Từ ngày 01/01/2025 đến ngày 31/12/2025)"])
    sheet.append([])
    top = 7
    sheet.append(OFFICIAL_HEADER_TOP)
    sheet.append([None] * 7 + OFFICIAL_HEADER_SUB + [None])
    for col in range(1, 8):
        sheet.merge_cells(start_row=top, start_column=col, end_row=top + 1, end_column=col)
    sheet.merge_cells(start_row=top, start_column=8, end_row=top, end_column=12)
    sheet.merge_cells(start_row=top, start_column=13, end_row=top + 1, end_column=13)
    sheet.append([f"({i})" for i in range(1, 14)])
    for number, row in enumerate(rows, start=1):
        if number == 3:
            sheet.append([])  # a blank row inside the table
        sheet.append([number, row["id"], row["name"], 1, row.get("applicant", "Nguyễn Văn A"),
                      "Thôn 1, 0912345678", agency, row["received"], row["due"], None, None,
                      row.get("returned"), row.get("note")])
    sheet.append([f"Tổng cộng: {len(rows)} hồ sơ"])
    sheet.append([])
    sheet.append([None, "NGƯỜI LẬP SỔ", None, None, None, None, None, None, None, "THỦ TRƯỞNG ĐƠN VỊ"])
    sheet.append([None, "(Ký, ghi rõ họ tên)"])
    sheet.append([None, "Trần Thị Bình"])
    book.save(path)
    return path


def write_sheet(path: Path, header: list, rows: list[list], title_rows: list[list] | None = None) -> Path:
    """A plain sheet (a software export or a catalogue), optionally with title rows above the header."""
    book = Workbook()
    sheet = book.active
    for title in title_rows or []:
        sheet.append(title)
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def nfd(text: str) -> str:
    return unicodedata.normalize("NFD", text)


# ---- a small commune whose every figure is known (evidence, measures, the audit form) ----------------------
UNIT = "02266"
YEAR = 2025
AS_OF = dt.date(2025, 12, 31)


def write_records(folder, with_optional: bool = True):
    """A district folder: one commune (02266) with a year of dossiers, objectives, surveys, feedback, the
    previous review's decisions and a findings register; a second commune (02269) with nothing but its row.

    Figures at 31/12/2025: 5 dossiers returned in 2025, 2 of them late (D2 without apology, D3 with one);
    D4 overdue with no apology and an appointment beyond the legal 3 days; D6 asked for a supplement.
    """
    write_sheet(folder / "units.xlsx", ["unit_code", "unit_name", "level", "parent_code", "officers"], [
        ["070", "Huyện Yên Sơn", "Huyện", "08", 5],
        [UNIT, "Xã Thái Bình", "Xã", "070", 2],
        ["02269", "Xã Tân Long", "Xã", "070", None],
    ])
    write_sheet(folder / "procedures.xlsx",
                ["procedure_code", "procedure_name", "field", "level", "legal_days", "cutoff_time", "process_code",
                 "process_version", "effective_date"], [
                    ["1.001193", "Đăng ký khai sinh", "Hộ tịch", "Xã", 0, "15:00", "QT-HT-01", "02", "01/03/2024"],
                    ["1.004873", "Xác nhận tình trạng hôn nhân", "Hộ tịch", "Xã", 3, None, "QT-HT-02", None, None],
                    ["2.000815", "Chứng thực bản sao từ bản chính", "Chứng thực", "Xã", 0, "15:00", None, None, None],
                    ["1.000001", "Cấp giấy phép xây dựng", "Xây dựng", "Huyện", 15, None, "QT-XD-01", "01",
                     "01/01/2024"],
                ])
    (folder / "dossiers").mkdir()
    write_sheet(folder / "dossiers" / f"{UNIT}_2025.xlsx",
                ["dossier_id", "procedure_code", "received_at", "due_date", "returned_date", "channel",
                 "supplement_requested_at", "supplement_received_at", "apology_date"], [
                    ["D1", "1.001193", "06/01/2025 08:00", "06/01/2025", "06/01/2025 10:00", "Trực tiếp", None, None, None],
                    ["D2", "1.004873", "06/01/2025 09:00", "09/01/2025", "13/01/2025 10:00", "Trực tuyến", None, None, None],
                    ["D3", "1.004873", "06/01/2025 09:00", "09/01/2025", "14/01/2025 10:00", "Trực tiếp", None, None,
                     "08/01/2025"],
                    ["D4", "1.004873", "02/12/2025 09:00", "10/12/2025", None, "Trực tiếp", None, None, None],
                    ["D5", "2.000815", "10/03/2025 08:00", "10/03/2025", "10/03/2025 09:00", "Trực tiếp", None, None, None],
                    ["D6", "1.004873", "03/03/2025 08:00", "06/03/2025", "07/03/2025 09:00", "Trực tiếp",
                     "04/03/2025 10:00", "06/03/2025 08:00", None],
                    ["D7", "1.004873", "10/12/2024 08:00", "13/12/2024", "12/12/2024 08:00", "Trực tiếp", None, None, None],
                ])
    (folder / "objectives").mkdir()
    write_sheet(folder / "objectives" / f"{UNIT}_2025.xlsx",
                ["year", "objective_id", "objective", "target", "measure", "actual"], [
                    [2025, "MT1", "Giải quyết hồ sơ đúng hạn", "≥ 98 %", "on_time_rate", None],
                    [2025, "MT2", "Người dân hài lòng", "≥ 70 %", "satisfaction_rate", None],
                    [2025, "MT3", "Tập huấn nghiệp vụ cho công chức", "2 lớp", None, "2 lớp"],
                ])
    if not with_optional:
        return folder
    (folder / "surveys").mkdir()
    write_sheet(folder / "surveys" / f"{UNIT}_2025.xlsx", ["survey_date", "rating"], [
        ["05/02/2025", "Rất hài lòng"], ["06/02/2025", "Hài lòng"], ["07/02/2025", "Hài lòng"],
        ["08/02/2025", "Không hài lòng"], ["08/02/2024", "Không hài lòng"],
    ])
    (folder / "feedback").mkdir()
    write_sheet(folder / "feedback" / f"{UNIT}_2025.xlsx",
                ["feedback_id", "received_date", "content", "due_date", "handled_date"], [
                    ["F1", "03/03/2025", "Hỏi về lệ phí", "13/03/2025", "10/03/2025"],
                    ["F2", "03/04/2025", "Phản ánh chậm trả", "13/04/2025", "20/04/2025"],
                    ["F3", "01/11/2025", "Kiến nghị thêm ghế chờ", "15/11/2025", None],
                ])
    (folder / "reviews").mkdir()
    # The 2024 review's decision is done; one of the 2023 review is still in progress, overdue.
    write_sheet(folder / "reviews" / f"{UNIT}_quyet_dinh.xlsx",
                ["year", "decision_id", "decision", "owner", "deadline", "status"], [
                    [2024, "QD1", "Bổ sung quy trình chứng thực", "Văn phòng", "31/03/2025", "Hoàn thành"],
                    [2023, "QD2", "Lắp màn hình tra cứu", "Văn phòng", "30/06/2024", "Đang thực hiện"],
                ])
    (folder / "findings").mkdir()
    write_sheet(folder / "findings" / f"{UNIT}_findings.xlsx",
                ["Mã phát hiện", "Mã cuộc đánh giá", "Mã đơn vị", "Điều khoản", "Mức độ", "Mô tả",
                 "Ngày phát hiện", "Hành động khắc phục", "Thời hạn", "Tình trạng"], [
                    ["DG2024-8.5.1-01", "DG2024", UNIT, "8.5.1", "Không phù hợp nhẹ", "Hồ sơ trễ hạn",
                     "15/11/2024", "Rà soát sổ theo dõi hằng tuần", "31/03/2025", "Đang thực hiện"],
                    ["DG2024-7.5.3-01", "DG2024", UNIT, "7.5.3", "Không phù hợp nhẹ", "Tài liệu hết hiệu lực",
                     "15/11/2024", "Thu hồi tài liệu cũ", "31/03/2025", "Đã thực hiện"],
                    ["DG2025-8.5.1-01", "DG2025", UNIT, "8.5.1", "Không phù hợp nặng", "Lại trễ hạn",
                     "20/10/2025", "Phân công lại", "31/03/2026", "Mở"],
                ])
    return folder
