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
