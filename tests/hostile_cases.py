"""The hostile-input corpus: the ways agencies' files and users' command lines go wrong, each built by code.

A ``Case`` builds its broken input in an empty working folder (into which the session's small records folder
has been copied as ``hs/``, or the review commune as ``xa/``) and returns the command line as a user types it
there, with relative paths. It says what the user must then see: the exit code, a characteristic fragment of
the sentence (Vietnamese unless ``--lang en``), where the problem is (the file, and the row and the column as
the file's own header names it) and what the command may write. ``tests/test_hostile_corpus.py`` runs them.

No file of the corpus is checked in: every damaged workbook, disguised file and payload is made here.
"""
from __future__ import annotations

import contextlib
import csv
import io
import random
import re
import shutil
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from openpyxl import Workbook, load_workbook

from isoaudit.cli import main as isoaudit_main

# ---- the hostile texts --------------------------------------------------------------------------------------
HYPERLINK = '=HYPERLINK("http://x","y")'
CMD = "+cmd|' /C calc'!A0"
AT_SUM = "@SUM(1)"
MINUS = "-2+3"
FULLWIDTH = "\uff1d1+1"  # a full-width equals sign: some spreadsheets read it as "="
SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(1)>"
ESCAPES = "\x1b[2J\x1b]0;pwned\x07"  # clear the screen, retitle the terminal window
BIDI = "\u202e"  # right-to-left override: what follows is shown reversed
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"

# ---- a dossier log as a one-stop system exports it: Vietnamese headers, three good rows --------------------
HEADER = ["Mã hồ sơ", "Mã TTHC", "Chủ hồ sơ", "Ngày tiếp nhận", "Ngày hẹn trả", "Ngày trả kết quả", "Hình thức nộp"]
GOOD = [
    ["H1", "1.001193", "Nguyễn Văn An", "06/01/2025 08:00", "06/01/2025", "06/01/2025 10:00", "Trực tiếp"],
    ["H2", "1.004873", "Trần Thị Bình", "06/01/2025 09:00", "09/01/2025", "13/01/2025 10:00", "Trực tuyến"],
    ["H3", "1.004873", "Lê Văn Cường", "03/03/2025 08:00", "06/03/2025", "05/03/2025 09:00", "Trực tiếp"],
]
HOSTILE = ["H9", "1.004873", "Đỗ Thị Hoa", "03/03/2025 08:00", "06/03/2025", "05/03/2025 09:00", "Trực tiếp"]
ROW = 5  # the Excel row of the hostile line: header, three good rows, then it
LOG = "hs/dossiers/02266_2025.xlsx"  # the commune's log in the base folder (tests.builders.write_records)
UNIT = "02266"
PROCEDURE_HEADER = ["Mã TTHC", "Tên TTHC", "Lĩnh vực", "Thời hạn giải quyết"]
PROCEDURES = [["1.001193", "Đăng ký khai sinh", "Hộ tịch", 0],
              ["1.004873", "Xác nhận tình trạng hôn nhân", "Hộ tịch", 3],  # Excel row 3
              ["2.000815", "Chứng thực bản sao từ bản chính", "Chứng thực", 0]]

VALIDATE = ["validate", "hs"]
SAMPLE = ["sample", "hs", "--unit", UNIT, "--confidence", "0.95", "--tolerable", "0.05", "--expected", "0.01",
          "--seed", "7"]


@dataclass(frozen=True)
class Case:
    """One hostile input and what the user must see. Paths are relative to the working folder."""

    name: str
    kind: str  # files, cells, support files, payloads, folders, options, worksheets
    build: Callable[[Path], list[str]]  # writes the input under the working folder, returns the command line
    code: int
    says: str  # a characteristic fragment of the sentence the user sees
    file: str | None = None  # the file (or folder) the sentence names
    row: int | None = None  # the row, shown on the sentence's line
    column: str | None = None  # the column as the file's header names it, on the sentence's line
    shows: tuple[str, ...] = ()  # more text the output must hold
    absent: tuple[str, ...] = ()  # text the output must not hold
    lang: str = "vi"
    base: str = "commune"  # "commune" (hs/), "district" (xa/) or "" (an empty working folder)
    out: str | None = None  # what the command writes into: a file or a folder
    also_writes: tuple[str, ...] = ()  # other files it is documented to write
    evidence: tuple[str, ...] = ()  # text that must be found in the files written (the payload, made safe)
    subprocess: bool = False  # run as a user does: python -m isoaudit in the working folder
    slow: bool = False
    defect: str | None = None  # a defect of isoaudit this case shows (the case is expected to fail)


# ---- writing hostile files ------------------------------------------------------------------------------------
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")


def text_sheet(path: Path, header: list, rows: list[list], title_rows: list[list] = ()) -> Path:
    """A workbook whose text cells stay text: "=HYPERLINK(...)" is a string cell as a web export writes it (not
    a formula), and control characters are written as Excel escapes them (_x001B_)."""
    book = Workbook()
    sheet = book.active
    for number, row in enumerate([*title_rows, header, *rows], start=1):
        for column, value in enumerate(row, start=1):
            if isinstance(value, str):
                value = _XML_ILLEGAL.sub(lambda m: f"_x{ord(m.group()):04X}_", value)
            cell = sheet.cell(number, column)
            cell.value = value
            if isinstance(value, str):
                cell.data_type = "s"
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)
    return path


def csv_text(rows: list[list], delimiter: str = ",") -> str:
    """``rows`` as a CSV export writes them (quoted where needed, CRLF line ends)."""
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    return out.getvalue()


def cp1258(text: str) -> bytes:
    """``text`` as Windows-1258 holds Vietnamese: a precomposed letter and at most one combining tone mark."""
    out = bytearray()
    for ch in text:
        nfd = unicodedata.normalize("NFD", ch)
        options = [ch] + [unicodedata.normalize("NFC", nfd[0] + nfd[i]) + nfd[1:i] + nfd[i + 1:]
                          for i in range(1, len(nfd))] + [nfd]
        for option in options:
            try:
                out += option.encode("cp1258")
                break
            except UnicodeEncodeError:
                continue
        else:
            raise ValueError(f"{ch!r} has no Windows-1258 form")
    return bytes(out)


def encrypted_workbook() -> bytes:
    """What Excel saves for a workbook with a password: an OLE compound file whose directory holds the streams
    EncryptionInfo and EncryptedPackage (the real package is encrypted inside)."""
    header = bytearray(512)
    header[:8] = OLE_MAGIC
    header[24:26] = (0x3E).to_bytes(2, "little")
    header[26:28] = (3).to_bytes(2, "little")  # version 3: 512-byte sectors
    header[28:30] = b"\xfe\xff"
    header[30:32] = (9).to_bytes(2, "little")  # sector size 2**9
    header[32:34] = (6).to_bytes(2, "little")
    header[44:48] = (1).to_bytes(4, "little")
    header[48:52] = (0).to_bytes(4, "little")  # the directory starts at sector 0
    directory = bytearray(512)
    for number, name in enumerate(("Root Entry", "EncryptionInfo", "EncryptedPackage")):
        entry = name.encode("utf-16-le") + b"\0\0"
        directory[number * 128:number * 128 + len(entry)] = entry
        directory[number * 128 + 64:number * 128 + 66] = len(entry).to_bytes(2, "little")
    return bytes(header) + bytes(directory) + bytes(2048)


def dossier_log(root: Path, rows: list[list] = (), header: list = HEADER) -> Path:
    """The commune's dossier log replaced by a software export: the three good rows, then ``rows``."""
    return text_sheet(root / LOG, header, GOOD + list(rows))


def csv_log(root: Path, data: bytes) -> Path:
    """The commune's dossier log replaced by a CSV export holding ``data``."""
    (root / LOG).unlink()
    path = root / "hs/dossiers/02266_2025.csv"
    path.write_bytes(data)
    return path


def hostile_row(**cells) -> list:
    """The hostile row with cells changed, named by header with "_" for spaces: ``hostile_row(Mã_hồ_sơ="x")``."""
    row = list(HOSTILE)
    for header, value in cells.items():
        row[HEADER.index(header.replace("_", " "))] = value
    return row


def catalogue(root: Path, legal_days=3, name: str = "Xác nhận tình trạng hôn nhân") -> Path:
    rows = [list(r) for r in PROCEDURES]
    rows[1][1], rows[1][3] = name, legal_days
    return text_sheet(root / "hs/procedures.xlsx", PROCEDURE_HEADER, rows)


def quiet(argv: list[str]) -> int:
    """Run an isoaudit command while building a case (its output is not the case's)."""
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        return isoaudit_main(argv)


def filled_worksheet(root: Path, failing: str | None = None) -> Path:
    """``isoaudit sample`` of the commune (seed 7), every check then answered "Đạt" as an auditor fills it in
    Excel (``failing``: that dossier's first check "Không đạt"); saved as ``phieu_da_dien.xlsx``."""
    code = quiet([*[str(root / a) if a == "hs" else a for a in SAMPLE], "--out", str(root / "phieu.xlsx")])
    assert code == 0, "the sample worksheet could not be made"
    book = load_workbook(root / "phieu.xlsx")
    sheet = book["Kiểm tra mẫu"]
    header = [c.value for c in sheet[1]]
    first, last = header.index("Ngày yêu cầu bổ sung") + 1, header.index("Ghi chú")
    for row in sheet.iter_rows(min_row=2):
        for cell in row[first:last]:
            if cell.value is None:
                cell.value = "Đạt"
        if failing is not None and row[1].value in (failing, "'" + failing):
            row[first].value = "Không đạt"
    (root / "phieu.xlsx").unlink()
    book.save(root / "phieu_da_dien.xlsx")
    return root / "phieu_da_dien.xlsx"


# ---- the builders -------------------------------------------------------------------------------------------
def _validate_after(write: Callable[[Path], object]) -> Callable[[Path], list[str]]:
    def build(root: Path) -> list[str]:
        write(root)
        return list(VALIDATE)
    return build


def _bad_cell(header: str, value) -> Callable[[Path], list[str]]:
    """The export with one more row (Excel row 5) whose ``header`` cell holds ``value``; then validate."""
    def build(root: Path) -> list[str]:
        row = list(HOSTILE)
        row[HEADER.index(header)] = value
        dossier_log(root, [row])
        return list(VALIDATE)
    return build


def _argv(*argv: str) -> Callable[[Path], list[str]]:
    return lambda root: list(argv)


def _zero_byte(root: Path):
    (root / LOG).write_bytes(b"")


def _truncated(root: Path):
    dossier_log(root, [HOSTILE])
    data = (root / LOG).read_bytes()
    (root / LOG).write_bytes(data[:len(data) // 2])


def _random_bytes(root: Path):
    (root / LOG).write_bytes(random.Random(1258).randbytes(5000))


def _encrypted(root: Path):
    (root / LOG).write_bytes(encrypted_workbook())


def _ole_header_only(root: Path):
    (root / LOG).write_bytes(OLE_MAGIC + bytes(4096))


def _html_login_page(root: Path):
    (root / LOG).unlink()
    (root / "hs/dossiers/02266_2025.xls").write_text(
        "<html><head><title>Cổng dịch vụ công</title></head><body><p>Phiên đăng nhập đã hết hạn, vui lòng đăng "
        "nhập lại</p></body></html>", encoding="utf-8")


def _empty_sheet(root: Path):
    Workbook().save(root / LOG)


def _inspect_csv(data: Callable[[], bytes]) -> Callable[[Path], list[str]]:
    def build(root: Path) -> list[str]:
        csv_log(root, data())
        return ["inspect", "hs/dossiers/02266_2025.csv"]
    return build


def _csv_nul(root: Path):
    text = csv_text([HEADER, *GOOD]).replace("Trần Thị Bình", "Trần Thị\x00 Bình")
    csv_log(root, text.encode("utf-8"))


def _csv_unclosed_quote(root: Path):
    lines = csv_text([HEADER, *GOOD, HOSTILE, *GOOD[:1]]).split("\r\n")
    lines[4] = 'H9,1.004873,"Đỗ Thị Hoa,03/03/2025 08:00,06/03/2025,05/03/2025 09:00,Trực tiếp'
    csv_log(root, "\r\n".join(lines).encode("utf-8"))


def _missing_required(root: Path):
    keep = [i for i, h in enumerate(HEADER) if h != "Ngày tiếp nhận"]
    text_sheet(root / LOG, [HEADER[i] for i in keep], [[r[i] for i in keep] for r in GOOD])


def _no_header(root: Path):
    text_sheet(root / LOG, GOOD[0], GOOD[1:])


def _duplicated_header(root: Path):
    text_sheet(root / LOG, HEADER + ["Ngày tiếp nhận"], [r + ["01/01/2020 08:00"] for r in GOOD])


def _unknown_unit_file(root: Path):
    (root / LOG).unlink()
    text_sheet(root / "hs/dossiers/99999_2025.xlsx", HEADER, GOOD)


def _legal_days(value) -> Callable[[Path], list[str]]:
    def build(root: Path) -> list[str]:
        catalogue(root, legal_days=value)
        return list(VALIDATE)
    return build


def _aliases(data: bytes) -> Callable[[Path], list[str]]:
    """A folder's own column_aliases.csv naming the export's "Ngày giờ nộp hồ sơ" (received_at)."""
    def build(root: Path) -> list[str]:
        (root / "hs/column_aliases.csv").write_bytes(data)
        header = ["Mã hồ sơ", "Mã TTHC", "Ngày giờ nộp hồ sơ", "Ngày hẹn trả", "Ngày trả kết quả"]
        text_sheet(root / LOG, header, [r[:2] + r[3:6] for r in GOOD])
        return list(VALIDATE)
    return build


ALIASES_BAD_LINES = ("kind,column,alias\n"
                     "dossiers,received_at,Ngày giờ nộp hồ sơ\n"
                     "hoso,received_at,Ngày nộp\n"  # line 3: no such kind
                     "dossiers,nhan_luc,Giờ nhận\n"  # line 4: no such column
                     "dossiers,received_at\n")  # line 5: a cell short


def _calendar(text: str) -> Callable[[Path], list[str]]:
    def build(root: Path) -> list[str]:
        (root / "hs/calendar.csv").write_text("date,type,description,unit_code\n" + text, encoding="utf-8")
        return list(VALIDATE)
    return build


def _objective_target(argv: list[str]) -> Callable[[Path], list[str]]:
    def build(root: Path) -> list[str]:
        text_sheet(root / "hs/objectives/02266_2025.xlsx",
                   ["Năm", "Mã mục tiêu", "Mục tiêu chất lượng", "Chỉ tiêu cần đạt", "Cách đo"],
                   [[2025, "MT1", "Giải quyết hồ sơ đúng hạn", "≥ 98 %", "on_time_rate"],
                    [2025, "MT2", "Người dân hài lòng", "càng cao càng tốt", "satisfaction_rate"]])
        return list(argv)
    return build


def _survey(name: str) -> Callable[[Path], list[str]]:
    def build(root: Path) -> list[str]:
        (root / "hs/surveys/02266_2025.xlsx").unlink()
        text_sheet(root / "hs/surveys" / name, ["Ngày khảo sát", "Mức độ hài lòng"],
                   [["05/02/2025", "Hài lòng"], ["06/02/2025", "tạm được"], ["07/02/2025", "Rất hài lòng"]])
        return list(VALIDATE)
    return build


def _escapes_in_unit_name(argv: list[str]) -> Callable[[Path], list[str]]:
    def build(root: Path) -> list[str]:
        text_sheet(root / "hs/units.xlsx", ["Mã đơn vị", "Tên đơn vị", "Cấp"],
                   [["070", "Huyện Yên Sơn", "Huyện"], [UNIT, f"Xã {ESCAPES}Thái {BIDI}Bình", "Xã"]])
        return list(argv)
    return build


def _escapes_in_file_name(root: Path):
    (root / "hs/dossiers" / f"02266_{ESCAPES}{BIDI}2025.xlsx").write_bytes(b"")


def _bidi_applicant(root: Path) -> list[str]:
    text_sheet(root / LOG, HEADER, [[*GOOD[0][:2], f"Nguyễn Văn {BIDI}nA{ESCAPES}", *GOOD[0][3:]], *GOOD[1:]])
    return ["inspect", LOG]


def _control_characters_xlsx(root: Path) -> list[str]:
    dossier_log(root, [hostile_row(Chủ_hồ_sơ="Đỗ\x01Thị\x0bHoa\x00Lan")])
    return [*SAMPLE, "--out", "mau.xlsx"]


def _control_characters_csv(root: Path) -> list[str]:
    # Past the first 4 KB (what is sniffed to tell text from binary), as in a long export.
    note = "Hồ sơ đầy đủ thành phần. " * 60
    rows = [[*r, note] for r in GOOD] + [[*hostile_row(Chủ_hồ_sơ="Lò\x00Thị\x01Nhung"), "Nhận tại quầy"]]
    csv_log(root, csv_text([HEADER + ["Ghi chú"], *rows]).encode("utf-8"))
    return [*SAMPLE, "--out", "mau.xlsx"]


def _long_cell(root: Path) -> list[str]:
    dossier_log(root, [hostile_row(Chủ_hồ_sơ="Nguyễn " * 16000)])  # 112,000 characters
    return [*SAMPLE, "--out", "mau.xlsx"]


def _timeliness_of_the_export(root: Path) -> list[str]:
    dossier_log(root)
    return ["timeliness", "hs", "--out", "dung_han.xlsx"]


def _formulas_in_workbooks(root: Path) -> list[str]:
    text_sheet(root / "hs/units.xlsx", ["Mã đơn vị", "Tên đơn vị", "Cấp"],
               [["070", "Huyện Yên Sơn", "Huyện"], [UNIT, AT_SUM, "Xã"]])
    catalogue(root, name=CMD)
    dossier_log(root, [hostile_row(Mã_hồ_sơ=MINUS, Chủ_hồ_sơ=HYPERLINK, Ngày_trả_kết_quả="20/03/2025 09:00")])
    return ["timeliness", "hs", "--out", "dung_han.xlsx"]


def _formulas_in_csv(root: Path) -> list[str]:
    rows = [HEADER, *GOOD, hostile_row(Mã_hồ_sơ=HYPERLINK, Chủ_hồ_sơ=FULLWIDTH, Ngày_trả_kết_quả="20/03/2025 09:00")]
    csv_log(root, csv_text(rows).encode("utf-8"))
    return ["timeliness", "hs", "--unit", UNIT, "--out", "dung_han.xlsx"]


def _formula_applicant(root: Path) -> list[str]:
    dossier_log(root, [hostile_row(Chủ_hồ_sơ=HYPERLINK), ["H8", "1.001193", CMD, *GOOD[0][3:]]])
    return [*SAMPLE, "--out", "mau.xlsx"]


def _formula_dossier_to_findings(root: Path) -> list[str]:
    dossier_log(root, [hostile_row(Mã_hồ_sơ=HYPERLINK)])
    filled_worksheet(root, failing=HYPERLINK)
    return ["sample-evaluate", "phieu_da_dien.xlsx", "--out", "phat_hien.xlsx"]


def _altered_worksheet(root: Path) -> list[str]:
    path = filled_worksheet(root)
    book = load_workbook(path)
    sheet = book["Kiểm tra mẫu"]
    sheet["K3"] = "Đúng hạn"  # D2 was late: the auditor "corrects" a protected column
    book.save(root / "phieu_da_sua.xlsx")
    return ["sample-evaluate", "phieu_da_sua.xlsx", "--out", "phat_hien.xlsx"]


def _not_a_worksheet(root: Path) -> list[str]:
    shutil.copy(root / "hs/units.xlsx", root / "phieu.xlsx")
    return ["sample-evaluate", "phieu.xlsx"]


def _zero_byte_worksheet(root: Path) -> list[str]:
    (root / "phieu.xlsx").write_bytes(b"")
    return ["sample-evaluate", "phieu.xlsx"]


def _review_payloads(root: Path) -> list[str]:
    """The review commune (its catalogue already names a procedure ``<script>alert(1)</script>``) with a
    formula for another procedure's name, an <img onerror> and a formula as feedback, and a formula decision."""
    book = load_workbook(root / "xa/procedures.xlsx")
    book.active["B3"] = HYPERLINK
    book.active["B3"].data_type = "s"
    book.save(root / "xa/procedures.xlsx")
    text_sheet(root / "xa/feedback/26734_phan_anh_2025.xlsx",
               ["Số phản ánh", "Ngày tiếp nhận", "Loại", "Nội dung", "Hạn trả lời", "Ngày trả lời", "Người phản ánh"],
               [["PA-01", "03/03/2025", "Phản ánh", IMG, "17/03/2025", "10/03/2025", f"Nguyễn {BIDI}nA"],
                ["PA-02", "01/04/2025", "Khiếu nại", CMD, "14/04/2025", "25/04/2025", AT_SUM],
                ["PA-03", "01/12/2025", "Kiến nghị", SCRIPT, "15/12/2025", None, f"Trần {ESCAPES}"]])
    book = load_workbook(root / "xa/reviews/26734_quyet_dinh_2024.xlsx")
    book.active["C3"] = AT_SUM
    book.active["C3"].data_type = "s"
    book.save(root / "xa/reviews/26734_quyet_dinh_2024.xlsx")
    return ["review", "xa", "--unit", "26734", "--year", "2025", "--out", "xem_xet"]


def _folder_with_data(name: str) -> Callable[[Path], list[str]]:
    def build(root: Path) -> list[str]:
        (root / name).mkdir()
        (root / name / "ho_so_that.xlsx").write_bytes(b"PK\x03\x04 a real unit's records")
        return ["make-sample", "--out", name]
    return build


def _a_file(name: str, argv: list[str]) -> Callable[[Path], list[str]]:
    def build(root: Path) -> list[str]:
        (root / name).write_text("không phải thư mục", encoding="utf-8")
        return list(argv)
    return build


def _a_folder(name: str, argv: list[str]) -> Callable[[Path], list[str]]:
    def build(root: Path) -> list[str]:
        (root / name).mkdir()
        (root / name / "ghi_chu.txt").write_text("bảng tính tháng trước", encoding="utf-8")
        return list(argv)
    return build


def _empty_folder(root: Path) -> list[str]:
    (root / "trong").mkdir()
    return ["validate", "trong"]


def _no_dossiers(root: Path):
    for path in (root / "hs/dossiers").iterdir():
        path.unlink()


def _no_units(root: Path):
    (root / "hs/units.xlsx").unlink()


def _zero_byte_in_english(root: Path) -> list[str]:
    _zero_byte(root)
    return ["--lang", "en", *VALIDATE]


def _zero_byte_file(root: Path) -> list[str]:
    (root / "xuat_khau.xlsx").write_bytes(b"")
    return ["inspect", "xuat_khau.xlsx"]


# ---- the corpus -----------------------------------------------------------------------------------------------
_DATE_HINT = "cần dạng ngày/tháng/năm"
_VI = "02266_2025.xlsx"

CASES: list[Case] = [
    # -- files that are not what their name says --------------------------------------------------------------
    Case("zero_byte_xlsx", "files", _validate_after(_zero_byte), 1, "rỗng", _VI),
    Case("truncated_xlsx", "files", _validate_after(_truncated), 1, "bị cắt cụt hoặc hỏng", _VI),
    Case("random_bytes_named_xlsx", "files", _validate_after(_random_bytes), 1,
         "không phải là bảng tính Excel", _VI),
    Case("password_protected_xlsx", "files", _validate_after(_encrypted), 1, "được đặt mật khẩu", _VI),
    Case("ole_header_and_zeros_named_xlsx", "files", _validate_after(_ole_header_only), 1,
         "tệp bị hỏng hoặc không đúng định dạng", _VI, absent=("Cannot detect file format",)),
    Case("html_login_page_named_xls", "files", _validate_after(_html_login_page), 1,
         "là trang web (HTML) nhưng không có bảng dữ liệu nào", "02266_2025.xls"),
    Case("workbook_with_an_empty_sheet", "files", _validate_after(_empty_sheet), 1, "không có dữ liệu", _VI),
    Case("csv_in_windows_1258", "files", _inspect_csv(lambda: cp1258(csv_text([HEADER, *GOOD]))), 0,
         "tệp dùng được", "02266_2025.csv", shows=("Trần Thị Bình", "Lê Văn Cường")),
    Case("utf16_tab_separated_text", "files",
         _inspect_csv(lambda: csv_text([HEADER, *GOOD], "\t").encode("utf-16")), 0,
         "tệp dùng được", "02266_2025.csv", shows=("Trần Thị Bình", "Ngày tiếp nhận")),
    # A warning, not an error: the file is read, the NUL removed, so validate ends with 0.
    Case("csv_with_a_nul_byte", "files", _validate_after(_csv_nul), 0, "ký tự rỗng", "02266_2025.csv", row=3,
         column="Chủ hồ sơ", shows=("3 hồ sơ dùng được", '"Trần Thị Bình"')),
    Case("csv_with_an_unclosed_quote", "files", _validate_after(_csv_unclosed_quote), 1,
         "không được đóng", "02266_2025.csv", row=ROW, shows=("rồi lưu lại",)),
    Case("header_without_a_required_column", "files", _validate_after(_missing_required), 1,
         "Thiếu cột bắt buộc", _VI, column="Nhận hồ sơ"),
    Case("no_header_row", "files", _validate_after(_no_header), 1, "Không tìm thấy dòng tiêu đề cột", _VI),
    Case("duplicated_header_column", "files", _validate_after(_duplicated_header), 0,
         "trùng nghĩa với một cột khác", _VI, column="Ngày tiếp nhận", shows=("3 hồ sơ dùng được",)),
    Case("log_of_a_unit_not_in_the_registry", "files", _validate_after(_unknown_unit_file), 1,
         "không có trong danh sách đơn vị", "99999_2025.xlsx"),
    # -- cells ----------------------------------------------------------------------------------------------------
    Case("date_01_01_1900", "cells", _bad_cell("Ngày tiếp nhận", "01/01/1900"), 0,
         "ô trống được định dạng kiểu ngày", _VI, ROW, "Ngày tiếp nhận"),
    Case("date_in_2099", "cells", _bad_cell("Ngày trả kết quả", "05/03/2099 09:00"), 0,
         "không hợp lý", _VI, ROW, "Ngày trả kết quả"),
    Case("date_31_02_2025", "cells", _bad_cell("Ngày hẹn trả", "31/02/2025"), 0,
         'Không đọc được ngày "31/02/2025"', _VI, ROW, "Ngày hẹn trả"),
    Case("date_khong_ro", "cells", _bad_cell("Ngày tiếp nhận", "khong ro"), 0,
         'Không đọc được ngày giờ "khong ro"', _VI, ROW, "Ngày tiếp nhận", shows=(_DATE_HINT,)),
    Case("date_month_13", "cells", _bad_cell("Ngày tiếp nhận", "12/13/2025 08:00"), 0,
         'Không đọc được ngày giờ "12/13/2025 08:00"', _VI, ROW, "Ngày tiếp nhận"),
    Case("date_day_32", "cells", _bad_cell("Ngày tiếp nhận", "32/01/2025 08:00"), 0,
         'Không đọc được ngày giờ "32/01/2025 08:00"', _VI, ROW, "Ngày tiếp nhận"),
    Case("legal_days_minus_5", "cells", _legal_days(-5), 1, "nhỏ hơn 0", "procedures.xlsx", 3,
         "Thời hạn giải quyết"),
    Case("legal_days_99999999", "cells", _legal_days(99999999), 1, "lớn hơn 365", "procedures.xlsx", 3,
         "Thời hạn giải quyết"),
    Case("legal_days_ba_ngay", "cells", _legal_days("ba ngày"), 0, '"ba ngày" không phải là số nguyên',
         "procedures.xlsx", 3, "Thời hạn giải quyết"),
    Case("procedure_not_in_catalogue", "cells", _bad_cell("Mã TTHC", "9.999999"), 0,
         'Thủ tục "9.999999" không có trong danh mục TTHC', _VI, ROW, "Mã TTHC"),
    Case("duplicate_dossier_id", "cells", _bad_cell("Mã hồ sơ", "H2"), 0, 'Mã "H2" bị trùng', _VI, ROW,
         "Mã hồ sơ"),
    Case("returned_before_received", "cells", _bad_cell("Ngày trả kết quả", "01/03/2025 09:00"), 0,
         "trước ngày nhận hồ sơ", _VI, ROW, "Ngày trả kết quả"),
    Case("hundred_thousand_characters_in_a_date", "cells", _bad_cell("Ngày tiếp nhận", "1" * 100_000), 0,
         "Không đọc được ngày giờ", _VI, ROW, "Ngày tiếp nhận", absent=("1" * 300,)),
    Case("channel_words_in_timeliness_out", "cells", _timeliness_of_the_export, 0, "Đã ghi bảng tính",
         "dung_han.xlsx",
         out="dung_han.xlsx", evidence=("Trực tiếp", "Trực tuyến")),
    # -- the folder's own files: aliases, calendar, objectives, surveys -------------------------------------
    Case("column_aliases_in_windows_1258", "support files",
         _aliases(cp1258("kind,column,alias\r\ndossiers,received_at,Ngày giờ nộp hồ sơ\r\n")), 0,
         "3 hồ sơ dùng được", absent=("Thiếu cột bắt buộc", "column_aliases.csv")),
    Case("column_aliases_unknown_kind", "support files", _aliases(ALIASES_BAD_LINES.encode()), 0,
         'không có loại bảng "hoso"', "column_aliases.csv", 3, "kind",
         shows=("Dòng bị bỏ qua", "3 hồ sơ dùng được")),
    Case("column_aliases_unknown_column", "support files", _aliases(ALIASES_BAD_LINES.encode()), 0,
         'không có cột "nhan_luc"', "column_aliases.csv", 4, "column"),
    Case("column_aliases_line_a_cell_short", "support files", _aliases(ALIASES_BAD_LINES.encode()), 0,
         "có 2 ô nhưng tiêu đề có 3", "column_aliases.csv", 5),
    Case("column_aliases_priority_not_a_number", "support files",
         _aliases("kind,column,alias,parent,priority\ndossiers,received_at,Ngày giờ nộp hồ sơ,,\n"
                  "dossiers,applicant,Người đứng tên,,cao\n".encode()), 0,
         'priority "cao" không phải số nguyên', "column_aliases.csv", 3, "priority", shows=("3 hồ sơ dùng được",)),
    Case("column_aliases_in_no_encoding", "support files",
         _aliases(b"kind,column,alias\r\ndossiers,received_at,Ng\x81\x8d\x8f\x90\x9d\r\n"), 1,
         "không ở mã UTF-8", "column_aliases.csv", 2),
    Case("calendar_31_02_2025", "support files", _calendar("18/08/2025,nghỉ,Nghỉ lễ hội,\n31/02/2025,nghỉ,Bão,\n"),
         0, '"31/02/2025" không phải là ngày', "calendar.csv", 3, "date"),
    Case("calendar_unknown_day_type", "support files", _calendar("18/08/2025,nghỉ bù lễ,Nghỉ lễ hội,\n"), 0,
         "không rõ là ngày nghỉ hay ngày làm việc", "calendar.csv", 2, "type"),
    Case("objective_with_an_unreadable_target", "support files", _objective_target(VALIDATE), 0,
         "càng cao càng tốt", "02266_2025.xlsx", 3, "Chỉ tiêu cần đạt"),
    Case("review_of_an_unreadable_target", "support files",
         _objective_target(["review", "hs", "--unit", UNIT, "--year", "2025", "--out", "xem_xet"]), 0,
         "càng cao càng tốt", "02266_2025.xlsx", shows=("dòng 3",), out="xem_xet",
         also_writes=("hs/reviews/02266_quyet_dinh_2025.xlsx",), slow=True),
    Case("survey_unknown_rating_words", "support files", _survey("02266_khao_sat_2025.xlsx"), 0,
         'Mức độ hài lòng "tạm được" không rõ', "02266_khao_sat_2025.xlsx", 3, "Mức độ hài lòng"),
    Case("survey_named_like_the_dossier_log", "support files", _survey("02266_2025.xlsx"), 0,
         'Mức độ hài lòng "tạm được" không rõ', "surveys/02266_2025.xlsx", 3, "Mức độ hài lòng"),
    # -- payloads: terminal escapes, control characters, formulas, markup -------------------------------------
    Case("terminal_escapes_in_a_date", "payloads", _bad_cell("Ngày tiếp nhận", ESCAPES), 0,
         "Không đọc được ngày giờ", _VI, ROW, "Ngày tiếp nhận"),
    Case("terminal_escapes_in_a_unit_name", "payloads", _escapes_in_unit_name(["timeliness", "hs"]), 0,
         "Trễ hạn", shows=("Thái Bình",)),
    Case("terminal_escapes_in_the_scope_line", "payloads",
         _escapes_in_unit_name(["timeliness", "hs", "--unit", UNIT]), 0, "Phạm vi:", shows=("Thái Bình",)),
    Case("terminal_escapes_in_a_file_name", "payloads", _validate_after(_escapes_in_file_name), 1, "rỗng",
         "02266_"),
    Case("bidi_and_escapes_in_a_citizen_name", "payloads", _bidi_applicant, 0, "tệp dùng được", "02266_2025.xlsx",
         shows=("Nguyễn Văn",)),
    Case("control_characters_in_a_name_xlsx", "payloads", _control_characters_xlsx, 0,
         "Đã lập phiếu kiểm tra mẫu", "mau.xlsx", out="mau.xlsx", evidence=("Lan",)),
    Case("control_characters_in_a_name_csv", "payloads", _control_characters_csv, 0,
         "Đã lập phiếu kiểm tra mẫu", "mau.xlsx", out="mau.xlsx", evidence=("Nhung",)),
    Case("hundred_thousand_character_name", "payloads", _long_cell, 0, "Đã lập phiếu kiểm tra mẫu", "mau.xlsx",
         out="mau.xlsx", evidence=("Nguyễn Nguyễn",)),
    Case("formulas_in_workbooks_then_timeliness_out", "payloads", _formulas_in_workbooks, 0, "Đã ghi bảng tính",
         "dung_han.xlsx", out="dung_han.xlsx", evidence=("'" + AT_SUM, "'" + CMD, "'" + MINUS)),
    Case("formulas_in_csv_then_timeliness_out", "payloads", _formulas_in_csv, 0, "Đã ghi bảng tính",
         "dung_han.xlsx", out="dung_han.xlsx", evidence=("'" + HYPERLINK,)),
    Case("formulas_in_names_then_sample", "payloads", _formula_applicant, 0, "Đã lập phiếu kiểm tra mẫu",
         "mau.xlsx", out="mau.xlsx", evidence=("'" + HYPERLINK, "'" + CMD)),
    Case("formula_dossier_id_through_sample_evaluate", "payloads", _formula_dossier_to_findings, 0,
         "Đã ghi 1 phát hiện", "phat_hien.xlsx", out="phat_hien.xlsx", evidence=(HYPERLINK,)),
    Case("formulas_and_markup_then_review", "payloads", _review_payloads, 0, "Đã ghi", "xem_xet", base="district",
         out="xem_xet", also_writes=("xa/reviews/26734_quyet_dinh_2025.xlsx",), slow=True,
         evidence=("&lt;img src=x onerror=alert(1)&gt;", "&lt;script&gt;alert(1)&lt;/script&gt;", "HYPERLINK")),
    # -- folders --------------------------------------------------------------------------------------------------
    Case("units_xlsx_missing", "folders", _validate_after(_no_units), 1, "Thiếu tệp units", "units.xlsx"),
    Case("records_folder_missing", "folders", _argv("validate", "khong_co"), 2,
         "Không tìm thấy thư mục hồ sơ", "khong_co", base=""),
    Case("records_folder_is_a_file", "folders", _a_file("ho_so.xlsx", ["validate", "ho_so.xlsx"]), 2,
         "thư mục", "ho_so.xlsx", base="", absent=("Không tìm thấy",)),
    Case("records_folder_empty", "folders", _empty_folder, 1, "Thiếu thư mục dossiers/", "dossiers/", base="",
         shows=("Thiếu tệp units", "Thiếu tệp procedures")),
    Case("dossiers_folder_empty", "folders", _validate_after(_no_dossiers), 1, "Thiếu thư mục dossiers/",
         "dossiers/"),
    Case("validate_in_english", "folders", _zero_byte_in_english, 1,
         "is empty", _VI, lang="en"),
    # -- the command line -----------------------------------------------------------------------------------------
    Case("timeliness_from_31_02_2025", "options", _argv("timeliness", "hs", "--from", "31/02/2025"), 2,
         'Ngày "31/02/2025" của tùy chọn --from không hợp lệ'),
    Case("timeliness_unknown_unit", "options", _argv("timeliness", "hs", "--unit", "99999"), 2,
         "Không có đơn vị mã 99999"),
    Case("timeliness_out_is_a_folder_named_xlsx", "options",
         _a_folder("bao_cao.xlsx", ["timeliness", "hs", "--out", "bao_cao.xlsx"]), 3,
         "là một thư mục, không phải tệp", "bao_cao.xlsx"),
    Case("timeliness_out_is_a_folder", "options", _a_folder("bao_cao", ["timeliness", "hs", "--out", "bao_cao"]), 2,
         "phải có đuôi .xlsx", "bao_cao"),
    Case("sample_confidence_1_5", "options", _argv(*SAMPLE[:4], "--confidence", "1.5", *SAMPLE[6:],
                                                     "--out", "mau.xlsx"), 2,
         "Độ tin cậy phải lớn hơn 0 và nhỏ hơn 1"),
    Case("sample_tolerable_0", "options", _argv(*SAMPLE[:6], "--tolerable", "0", *SAMPLE[8:], "--out", "mau.xlsx"),
         2, "Tỷ lệ sai lệch chấp nhận được phải lớn hơn 0"),
    Case("sample_confidence_not_a_number", "options",
         _argv(*SAMPLE[:4], "--confidence", "abc", *SAMPLE[6:], "--out", "mau.xlsx"), 2,
         "cần một tỷ lệ như 0.05", shows=("--confidence",)),
    Case("sample_confidence_1_5_in_english", "options",
         _argv("--lang", "en", *SAMPLE[:4], "--confidence", "1.5", *SAMPLE[6:], "--out", "mau.xlsx"), 2,
         "1.5", lang="en"),
    Case("sample_out_csv", "options", _argv(*SAMPLE, "--out", "mau.csv"), 2, "phải có đuôi .xlsx", "mau.csv"),
    Case("misspelt_option", "options", _argv("validate", "hs", "--strickt"), 2, "không hiểu các đối số",
         shows=("--strickt",)),
    Case("review_unknown_unit", "options", _argv("review", "hs", "--unit", "99999", "--year", "2025", "--out", "xx"),
         2, "Không có đơn vị mã 99999", shows=(UNIT,)),
    Case("make_sample_over_a_folder_with_data", "options", _folder_with_data("du_lieu"), 2,
         "đã có sẵn dữ liệu", "du_lieu", base="", shows=("--force",)),
    Case("inspect_zero_byte_file", "options", _zero_byte_file, 1, "rỗng", "xuat_khau.xlsx", base=""),
    Case("inspect_a_folder", "options", _argv("inspect", "hs"), 2, "thư mục", "hs", absent=("Không tìm thấy",)),
    Case("batch_out_is_a_file", "options", _a_file("bao_cao", ["batch", "hs", "--out", "bao_cao"]), 3,
         "đã có và là một tệp", "bao_cao"),
    Case("batch_dask_scheduler_nonsense", "options",
         _argv("batch", "hs", "--out", "bao_cao", "--executor", "dask", "--scheduler", "nonsense"), 4,
         "không phải là địa chỉ bộ điều phối Dask", shows=('"nonsense"',)),
    Case("batch_unknown_unit", "options", _argv("batch", "hs", "--out", "bao_cao", "--units", "99999"), 2,
         "Không có đơn vị 99999", "units.xlsx"),
    # -- the sample worksheet read back -----------------------------------------------------------------------
    Case("evaluate_a_workbook_that_is_not_a_worksheet", "worksheets", _not_a_worksheet, 2,
         "không phải phiếu kiểm tra mẫu do isoaudit lập", "phieu.xlsx"),
    Case("evaluate_a_worksheet_with_a_protected_column_altered", "worksheets", _altered_worksheet, 2,
         'thông tin hồ sơ phải là "Trễ hạn", nay là "Đúng hạn"', "phieu_da_sua.xlsx", column="Tình trạng",
         shows=("Ô K3", "hồ sơ D2")),
    Case("evaluate_a_zero_byte_worksheet", "worksheets", _zero_byte_worksheet, 2, "rỗng", "phieu.xlsx",
         absent=("BadZipFile",)),
    # -- as a user types them: python -m isoaudit in the folder, relative paths ---------------------------------
    Case("subprocess_zero_byte_xlsx", "files", _validate_after(_zero_byte), 1, "rỗng", _VI, subprocess=True),
    Case("subprocess_terminal_escapes_in_a_date", "payloads", _bad_cell("Ngày tiếp nhận", ESCAPES), 0,
         "Không đọc được ngày giờ", _VI, ROW, "Ngày tiếp nhận", subprocess=True),
    Case("subprocess_formulas_then_timeliness_out", "payloads", _formulas_in_workbooks, 0, "Đã ghi bảng tính",
         "dung_han.xlsx", out="dung_han.xlsx", evidence=("'" + AT_SUM, "'" + CMD), subprocess=True),
    Case("subprocess_make_sample_over_data", "options", _folder_with_data("du_lieu"), 2, "đã có sẵn dữ liệu",
         "du_lieu", base="", subprocess=True),
    Case("subprocess_bidi_and_escapes_in_a_citizen_name", "payloads", _bidi_applicant, 0, "tệp dùng được",
         "02266_2025.xlsx", shows=("Nguyễn Văn",), subprocess=True),
]


def prepare(case: Case, root: Path, bases: dict[str, Path]) -> list[str]:
    """The working folder for ``case`` (its base records copied in) and the command line to run there."""
    if case.base == "commune":
        shutil.copytree(bases["commune"], root / "hs")
    elif case.base == "district":
        shutil.copytree(bases["district"], root / "xa")
    return case.build(root)

