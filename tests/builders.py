"""Spreadsheet files built the way agencies' files really arrive, for tests."""
from __future__ import annotations

import datetime as dt
import unicodedata
from pathlib import Path

import pandas as pd
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


# ---- a commune with two years of records giving every management-review input -----------------------------
SCRIPT = "<script>alert(1)</script>"
REVIEW_UNIT = "26734"  # the commune of write_district


def write_district(folder, *, surveys=True, feedback=True, decisions=True, findings=True):
    """A commune whose two years of records give every review input, with known figures.

    2025: 12 birth registrations on time, 12 marital-status confirmations (3 working days) of which the
    first six early and the last six late, one dossier of a procedure named like a script: 19 of 25 on time.
    2024: the same procedures, all on time.
    """
    write_sheet(folder / "units.xlsx", ["Mã đơn vị", "Tên đơn vị", "Cấp", "Mã đơn vị cấp trên",
                                        "Số công chức một cửa"],
                [["070", "Huyện Yên Sơn", "Huyện", "08", None], [REVIEW_UNIT, "Xã Tân Phú", "Xã", "070", 2]])
    write_sheet(folder / "procedures.xlsx", ["Mã TTHC", "Tên TTHC", "Lĩnh vực", "Thời hạn giải quyết",
                                             "Giờ tiếp nhận cuối", "Mã quy trình", "Phiên bản", "Ngày hiệu lực"],
                [["1.001193", "Đăng ký khai sinh", "Hộ tịch", 0, "15:00", "QT-HT-01", "02", "01/06/2023"],
                 ["1.004873", "Xác nhận tình trạng hôn nhân", "Hộ tịch", 3, None, "QT-HT-04", "03", "10/03/2025"],
                 ["2.000815", SCRIPT, "Chứng thực", 0, "15:00", None, None, None]])
    rows = []
    for year, rule in ((2024, "WOM-3TUE"), (2025, "WOM-2TUE")):
        for number, day in enumerate(pd.date_range(f"{year}-01-01", f"{year}-12-31", freq=rule), start=1):
            channel = "Bưu chính" if (year, number) in ((2025, 3), (2025, 4)) else "Trực tiếp"
            rows.append([f"KS-{year}-{number}", "1.001193", "Trực tiếp", f"{day:%d/%m/%Y} 08:00",
                         f"{day:%d/%m/%Y}", f"{day:%d/%m/%Y} 10:00"])
            late = year == 2025 and number > 6
            returned = day + pd.Timedelta(days=10 if late else 1)
            rows.append([f"HN-{year}-{number}", "1.004873", channel, f"{day:%d/%m/%Y} 08:00",
                         f"{day + pd.Timedelta(days=3):%d/%m/%Y}", f"{returned:%d/%m/%Y} 09:00"])
    rows.append(["CT-2025-1", "2.000815", "Trực tiếp", "05/06/2025 08:00", "05/06/2025", "05/06/2025 09:00"])
    (folder / "dossiers").mkdir()
    write_sheet(folder / "dossiers" / f"{REVIEW_UNIT}_2024_2025.xlsx",
                ["Mã hồ sơ", "Mã TTHC", "Hình thức nộp", "Ngày tiếp nhận", "Ngày hẹn trả", "Ngày trả kết quả"], rows)
    (folder / "objectives").mkdir()
    write_sheet(folder / "objectives" / f"{REVIEW_UNIT}_muc_tieu_2025.xlsx",
                ["Năm", "Mã mục tiêu", "Mục tiêu chất lượng", "Chỉ tiêu cần đạt", "Cách đo", "Kết quả thực hiện"],
                [[2025, "MT01", "Giải quyết hồ sơ đúng hạn", "≥ 98 %", "on_time_rate", None],
                 [2025, "MT02", "Người dân hài lòng", "≥ 90 %", "satisfaction_rate", "95 %"],
                 [2025, "MT03", "Công chức được tập huấn HTQLCL", "100 %", None, "100 %"]])
    if surveys:
        ratings = ["Rất hài lòng"] * 3 + ["Hài lòng"] * 4 + ["Bình thường"] * 2 + ["Không hài lòng"]
        (folder / "surveys").mkdir()
        write_sheet(folder / "surveys" / f"{REVIEW_UNIT}_khao_sat_2025.xlsx",
                    ["Ngày khảo sát", "Tên TTHC", "Mức độ hài lòng", "Ý kiến góp ý"],
                    [[f"{3 + i:02d}/03/2025", "Xác nhận tình trạng hôn nhân", rating,
                      "Phải đi lại nhiều lần" if rating == "Không hài lòng" else None]
                     for i, rating in enumerate(ratings)])
    if feedback:
        (folder / "feedback").mkdir()
        write_sheet(folder / "feedback" / f"{REVIEW_UNIT}_phan_anh_2025.xlsx",
                    ["Số phản ánh", "Ngày tiếp nhận", "Loại", "Nội dung", "Hạn trả lời", "Ngày trả lời"],
                    [["PA-01", "03/03/2025", "Phản ánh", SCRIPT, "17/03/2025", "10/03/2025"],
                     ["PA-02", "01/04/2025", "Khiếu nại", "Chậm trả kết quả <b>xác nhận</b>", "14/04/2025",
                      "25/04/2025"],
                     ["PA-03", "01/12/2025", "Kiến nghị", "Niêm yết thủ tục còn thiếu", "15/12/2025", None]])
    if decisions:
        (folder / "reviews").mkdir()
        write_sheet(folder / "reviews" / f"{REVIEW_UNIT}_quyet_dinh_2024.xlsx",
                    ["Năm xem xét", "Mã quyết định", "Nội dung quyết định", "Người thực hiện", "Thời hạn",
                     "Tình trạng"],
                    [[2024, "2024-01", "Niêm yết lại thủ tục hộ tịch", "Công chức Tư pháp", "31/03/2025",
                      "Hoàn thành"],
                     [2024, "2024-02", "Bổ sung máy tính Bộ phận Một cửa", "Văn phòng", "30/06/2025",
                      "Đang thực hiện"]])
    if findings:
        (folder / "findings").mkdir()
        write_sheet(folder / "findings" / f"{REVIEW_UNIT}_findings.xlsx",
                    ["Mã phát hiện", "Mã cuộc đánh giá", "Mã đơn vị", "Điều khoản", "Mức độ", "Mô tả",
                     "Ngày phát hiện", "Hành động khắc phục", "Người thực hiện", "Thời hạn", "Trạng thái"],
                    [["DG24-01", "DGNB-2024", REVIEW_UNIT, "8.5.1", "Không phù hợp nhẹ", "Thiếu phiếu kiểm soát",
                      "15/10/2024", "Bổ sung phiếu", "Một cửa", "30/11/2024", "Đã kiểm tra hiệu lực"],
                     ["DG25-01", "DGNB-2025", REVIEW_UNIT, "8.5.1", "Không phù hợp nhẹ", "Thiếu phiếu kiểm soát",
                      "14/10/2025", "Tập huấn lại", "Một cửa", "30/11/2025", "Mở"],
                     ["DG25-02", "DGNB-2025", REVIEW_UNIT, "6.1", "Khuyến nghị", "Chưa cập nhật rủi ro mùa bão",
                      "14/10/2025", "Cập nhật sổ rủi ro", "Thư ký ISO", "31/03/2026", "Đang thực hiện"],
                     ["DG25-03", "DGNB-2025", REVIEW_UNIT, "7.5.3", "Không phù hợp nhẹ", "Hồ sơ lưu chưa đánh số",
                      "15/10/2025", "Đánh số hồ sơ", "Văn thư", "15/11/2025", "Đã thực hiện"]])
    return folder


# ---- real one-stop layouts (tests/test_real_layouts.py) ----------------------------------------------------
def write_layout(path: Path, top: list, rows: list[list], *, sub: list | None = None, title_rows=(),
                 number_row: bool = False, footer=(), merge: bool = True, sheet_title: str = "Sheet1",
                 sheets_before=(), hidden=()) -> Path:
    """A sheet laid out as agencies' books are: title rows, a header of one row (``top``) or two (``top`` over
    ``sub``, the same width: a group cell of ``top`` is followed by None over the rest of its sub-columns),
    optionally a row of column numbers "(1)", "(2)" ..., the data rows, then ``footer`` rows.

    With ``merge`` the two-row header is merged as Excel users do (a group cell across its sub-columns, other
    cells down both rows); without it the group text sits in its first cell only. ``sheets_before``: (name,
    rows) of sheets placed before the table's (a cover, instructions); ``hidden``: names of those to hide.
    """
    book = Workbook()
    first = book.active
    for number, (name, cells) in enumerate(sheets_before):
        sheet = first if number == 0 else book.create_sheet()
        sheet.title = name
        for row in cells:
            sheet.append(row)
        if name in hidden:
            sheet.sheet_state = "hidden"
    sheet = book.create_sheet() if sheets_before else first
    sheet.title = sheet_title
    for row in title_rows:
        sheet.append(row)
    header_row = len(title_rows) + 1
    sheet.append(top)
    if sub is not None:
        sheet.append(sub)
        if merge:
            _merge_two_row_header(sheet, header_row, top, sub)
    if number_row:
        sheet.append([f"({i})" for i in range(1, len(top) + 1)])
    for row in rows:
        sheet.append(row)
    for row in footer:
        sheet.append(row)
    book.save(path)
    return path


def _merge_two_row_header(sheet, row: int, top: list, sub: list) -> None:
    column = 0
    while column < len(top):
        end = column
        while end + 1 < len(top) and top[end + 1] is None and sub[end + 1] is not None:
            end += 1
        if end > column:  # a group cell over its sub-columns
            sheet.merge_cells(start_row=row, start_column=column + 1, end_row=row, end_column=end + 1)
        elif top[column] is not None and sub[column] is None:  # a plain cell down both rows
            sheet.merge_cells(start_row=row, start_column=column + 1, end_row=row + 1, end_column=column + 1)
        column = end + 1


# The provincial one-stop system's tracking book ("SỔ THEO DÕI TÌNH HÌNH TIẾP NHẬN HỒ SƠ TTHC").
PROVINCIAL_BOOK_TOP = ["STT", "Mã hồ sơ", "Nội dung hồ sơ", "Số lượng (bộ)", "Họ tên chủ hồ sơ", "Địa chỉ chủ hồ sơ",
                       "Số điện thoại", "Ngày, tháng, năm", None, "Trả kết quả", None, None, "Người nhận hồ sơ",
                       "Địa bàn phát sinh hồ sơ", "Ghi chú"]
PROVINCIAL_BOOK_SUB = [None] * 7 + ["Nhận hồ sơ", "Hẹn trả kết quả", "Ngày nhận kết quả", "Bên giao (Ký tên)",
                                    "Bên nhận (Ký tên)", None, None, None]


PROVINCIAL_BOOK_TITLES = [["UBND TỈNH TUYÊN QUANG"], ["SỔ THEO DÕI TÌNH HÌNH TIẾP NHẬN HỒ SƠ TTHC"],
                          ["Từ ngày 01/01/2025 đến ngày 31/03/2025"], []]


def provincial_book_cells(rows: list[dict]) -> list[list]:
    """The data rows of the provincial tracking book. Each row dict: id, name, owner, received, due, returned,
    officer, note (cells as written)."""
    return [[number, row["id"], row["name"], 1, row["owner"], row.get("address", "Thôn Đồng Tâm"),
             row.get("phone", "0912345678"), row["received"], row["due"], row.get("returned"),
             row.get("officer") if row.get("returned") else None, row["owner"] if row.get("returned") else None,
             row.get("officer", "Lê Văn Cường"), "Xã Hòa Bình", row.get("note")]
            for number, row in enumerate(rows, start=1)]


def write_provincial_book(path: Path, rows: list[dict], *, top=None, sub=None, merge: bool = True,
                          footer=()) -> Path:
    """The provincial system's tracking book (``provincial_book_cells``): dates as text dd/MM/yyyy HH:mm:ss, the
    return date under "Trả kết quả", the two signature columns beside it."""
    return write_layout(path, top or PROVINCIAL_BOOK_TOP, provincial_book_cells(rows), sub=sub or PROVINCIAL_BOOK_SUB,
                        title_rows=PROVINCIAL_BOOK_TITLES, merge=merge, sheet_title="Sổ theo dõi", footer=footer)


# The same system's dossier list (its "export to Excel"), here as a real xlsx.
DOSSIER_LIST_HEADER = ["STT", "Đơn vị tiếp nhận", "Tên thủ tục hành chính", "Mã hồ sơ", "Trạng thái", "Địa chỉ",
                       "Người nộp", "Chủ hồ sơ", "Ngày nộp hồ sơ", "Ngày nhận", "Ngày hẹn trả",
                       "Ngày kết thúc xử lý"]


def write_dossier_list(path: Path, rows: list[dict], header=None) -> Path:
    """Each row dict: id, name, status, agent, owner, submitted, received, due, finished (cells as written);
    ``header`` reorders or drops columns by naming them from DOSSIER_LIST_HEADER."""
    header = header or DOSSIER_LIST_HEADER
    cells = []
    for number, row in enumerate(rows, start=1):
        values = {"STT": number, "Đơn vị tiếp nhận": "UBND xã Hòa Bình", "Tên thủ tục hành chính": row["name"],
                  "Mã hồ sơ": row["id"], "Trạng thái": row.get("status"), "Địa chỉ": "Thôn 3, xã Hòa Bình",
                  "Người nộp": row.get("agent"), "Chủ hồ sơ": row.get("owner"),
                  "Ngày nộp hồ sơ": row.get("submitted"), "Ngày nhận": row.get("received"),
                  "Ngày hẹn trả": row.get("due"), "Ngày kết thúc xử lý": row.get("finished")}
        cells.append([values[h] for h in header])
    return write_layout(path, list(header), cells, sheet_title="Danh sách hồ sơ")


def row_problems(problems) -> list:
    """``problems`` without the per-file figure gaps (columns a figure needs, absent from a small test file):
    what a test about rows checks."""
    return [p for p in problems if not p.code.startswith("figure_gap")]
