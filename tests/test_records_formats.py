"""Files as one-stop systems really export them: HTML tables named .xls, Excel 2003 XML, CSV in any encoding and
separator, legacy .xls and .ods, sheets that claim to be huge, and files that are damaged or not spreadsheets
at all. Every file is built here, at test time."""
from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import sys
import unicodedata
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import Workbook

from isoaudit.errors import RecordsError
from isoaudit.records import read_dossier_log
from isoaudit.records.grid import open_grid, open_grids, sheet_names

HEADER = ["Mã hồ sơ", "Mã TTHC", "Ngày tiếp nhận", "Ngày hẹn trả", "Ghi chú"]
ROWS = [
    ["000.00.14.H56-250305-0001", "1.001193", dt.datetime(2025, 3, 5, 8, 30), dt.date(2025, 3, 6), "Đã trả kết quả"],
    ["000.00.14.H56-250305-0002", "2.000815", dt.datetime(2025, 3, 5, 14, 15), dt.date(2025, 3, 5), "Yêu cầu bổ sung"],
]


def rows_of(path, sheet=None) -> list[list]:
    return list(open_grid(path, sheet).rows)


def refused(path, code: str, sheet=None) -> RecordsError:
    """Reading ``path`` raises ``code``, worded in both languages and naming the file."""
    with pytest.raises(RecordsError) as raised:
        rows_of(path, sheet)
    assert raised.value.code == code
    assert Path(path).name in raised.value.message("vi") and Path(path).name in raised.value.message("en")
    return raised.value


def assert_dossiers_read(path, first_row: int):
    problems = []
    frame = read_dossier_log(path, problems=problems)
    assert [p.code for p in problems if p.severity == "error"] == []
    assert frame["dossier_id"].tolist() == [row[0] for row in ROWS]
    assert frame["received_at"].tolist() == [pd.Timestamp("2025-03-05 08:30"), pd.Timestamp("2025-03-05 14:15")]
    assert frame["due_date"].tolist() == [pd.Timestamp("2025-03-06"), pd.Timestamp("2025-03-05")]
    assert frame["source_row"].tolist() == [first_row, first_row + 1]
    assert frame["note"].tolist() == ["Đã trả kết quả", "Yêu cầu bổ sung"]


# ---- 1. HTML tables saved as .xls -------------------------------------------------------------------------------
WEB_EXPORT = """<!DOCTYPE html>
<html><head><meta http-equiv="Content-Type" content="text/html; charset={charset}">
<title>Danh sách hồ sơ</title><style>td {{ mso-number-format: "\\@"; }}</style>
<script>document.write("<table><tr><td>không phải dữ liệu</td></tr></table>")</script></head>
<body>
<h3>UBND X&Atilde; H&Ograve;A B&#204;NH</h3>
<table><tr><td colspan="5">DANH S&Aacute;CH H&#7890; S&#416; &amp; K&#7870;T QU&#7842;</td></tr></table>
<table border="1">
<thead>
<tr><th rowspan="2">M&atilde; h&#7891; s&#417;</th><th rowspan="2">M&atilde; TTHC</th>
    <th colspan="2">Ng&agrave;y</th><th rowspan="2">Ghi chú</th></tr>
<tr><th>Ng&agrave;y ti&#7871;p nh&#7853;n</th><th>Ng&agrave;y h&#7865;n tr&#7843;</th></tr>
</thead>
<tbody>
<tr><td>000.00.14.H56-250305-0001</td><td>1.001193</td><td>05/03/2025 08:30:00</td><td>06/03/2025</td>
    <td>&#272;&atilde; tr&#7843;<br>k&#7871;t&nbsp;qu&#7843;</td></tr>
<tr><td>000.00.14.H56-250305-0002<td>2.000815<td>05/03/2025 14:15:00<td>05/03/2025
    <td>Y&ecirc;u c&#7847;u   b&#7893; sung
</tbody></table>
<p>Ng&#432;&#7901;i l&#7853;p bi&#7875;u</p>
</body></html>
"""


@pytest.mark.parametrize("suffix, start, encoding", [
    (".xls", "", "utf-8"),
    (".xlsx", "\ufeff", "utf-8"),
    (".xls", "\r\n  \t", "windows-1252"),
    (".xls", "", "utf-16"),  # the codec writes the BOM
])
def test_html_export_named_xls_reads_as_excel_shows_it(tmp_path, suffix, start, encoding):
    path = tmp_path / f"danh_sach_ho_so{suffix}"
    # A page in a Western code page writes Vietnamese letters as character references, as web systems do.
    path.write_bytes((start + WEB_EXPORT.format(charset=encoding)).encode(encoding, errors="xmlcharrefreplace"))
    grid = open_grid(path)
    rows = list(grid.rows)
    assert (grid.format, grid.sheet, grid.first_row) == ("html", "Trang web", 1)
    assert rows == [
        ["UBND XÃ HÒA BÌNH"],
        ["DANH SÁCH HỒ SƠ & KẾT QUẢ", "", "", "", ""],
        ["Mã hồ sơ", "Mã TTHC", "Ngày", "", "Ghi chú"],
        ["", "", "Ngày tiếp nhận", "Ngày hẹn trả"],
        ["000.00.14.H56-250305-0001", "1.001193", "05/03/2025 08:30:00", "06/03/2025", "Đã trả\nkết quả"],
        ["000.00.14.H56-250305-0002", "2.000815", "05/03/2025 14:15:00", "05/03/2025", "Yêu cầu bổ sung"],
        ["Người lập biểu"],
    ]
    # Spans laid out as merged cells are: the text in the first cell, the range 0-based as calamine gives it.
    assert grid.merged == [((1, 0), (1, 4)), ((2, 0), (3, 0)), ((2, 1), (3, 1)), ((2, 2), (2, 3)), ((2, 4), (3, 4))]
    # Each table alone is there too, hidden (a search for the table on every sheet sees the page once),
    # numbered as the page numbers it.
    assert sheet_names(path) == ["Trang web"]
    assert sheet_names(path, hidden=True) == ["Trang web", "Bảng 1", "Bảng 2"]
    table = open_grid(path, "Bảng 2")
    assert table.first_row == 3 and list(table.rows)[2][0] == "000.00.14.H56-250305-0001"


def test_html_export_gives_dossiers_with_dates_and_excel_row_numbers(tmp_path):
    path = tmp_path / "26734_danh_sach.xls"
    path.write_text(WEB_EXPORT.format(charset="utf-8"), encoding="utf-8")
    assert_dossiers_read(path, first_row=5)


def test_hostile_html_spans_are_capped_and_stop_at_the_table_end(tmp_path):
    path = tmp_path / "spans.xls"
    path.write_text(
        "<table><tr><td rowspan=65534 colspan=99999999>A</td><td>B</td></tr>"
        "<tr><td>C</td></tr><tr><td colspan='x'>D</td><td rowspan=-3>E</td></tr>"
        "<tr>" + "<td colspan=1000>x</td>" * 20 + "</tr></table>"
        "<table><tr><td><table><tr><td>bên trong</td></tr></table>bên ngoài</td></tr></table>",
        encoding="utf-8")
    rows = rows_of(path)
    assert rows[0] == ["A"] + [""] * 999 + ["B"]  # colspan capped at the standard's 1000
    assert rows[1] == [""] * 1000 + ["C"]  # under A's rowspan: C moves right, as a browser and Excel lay it out
    assert rows[2] == [""] * 1000 + ["D", "E"]
    assert len(rows[3]) == 16_384  # no row wider than Excel's last column, XFD
    assert rows[4:] == [["bên trong"], ["bên ngoài"]]  # a nested table's rows where it ends, then its cell
    assert open_grid(path).merged[0] == ((0, 0), (3, 999))  # the rowspan stops at the table's last row
    # Rows that rowspans cover across the whole width, thousands of times over: refused, not laid out for minutes.
    bomb = tmp_path / "bom.xls"
    bomb.write_text("<table>" + "<tr><td rowspan=65534 colspan=1000>x</td></tr>" * 5000 + "</table>")
    refused(bomb, "unreadable_workbook")


def test_html_without_a_table_is_refused_naming_the_file(tmp_path):
    path = tmp_path / "trang_loi.xls"
    path.write_text("<!DOCTYPE html><html><body><p>Phiên đăng nhập đã hết hạn</p></body></html>", encoding="utf-8")
    refused(path, "records.no_table")


# ---- 2. Excel 2003 XML (SpreadsheetML) ---------------------------------------------------------------------------
SPREADSHEET_ML = """<?xml version="1.0" encoding="UTF-8"?>
<?mso-application progid="Excel.Sheet"?>
<Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet" xmlns:o="urn:schemas-microsoft-com:office:office"
 xmlns:x="urn:schemas-microsoft-com:office:excel" xmlns:ss="urn:schemas-microsoft-com:office:spreadsheet"
 xmlns:html="http://www.w3.org/TR/REC-html40">
 <Worksheet ss:Name="Hướng dẫn">
  <Table><Row><Cell><Data ss:Type="String">Trang này không có dữ liệu</Data></Cell></Row>
   <Row ss:Index="3"><Cell ss:Index="2"><Data ss:Type="Number">3.5</Data></Cell>
    <Cell><Data ss:Type="DateTime">1899-12-31T16:45:00.000</Data></Cell><Cell><Data ss:Type="Boolean">1</Data></Cell>
    <Cell><Data ss:Type="Error">#N/A</Data></Cell><Cell><Data ss:Type="String">  hai  dấu cách </Data></Cell></Row>
  </Table>
  <WorksheetOptions xmlns="urn:schemas-microsoft-com:office:excel"><Visible>SheetHidden</Visible></WorksheetOptions>
 </Worksheet>
 <Worksheet ss:Name="Sổ theo dõi">
  <Table ss:ExpandedColumnCount="5" ss:ExpandedRowCount="5">
   <Row><Cell ss:MergeAcross="4"><Data ss:Type="String">UBND XÃ HÒA BÌNH</Data></Cell></Row>
   <Row ss:Index="3">
    <Cell><Data ss:Type="String">Mã hồ sơ</Data></Cell><Cell><Data ss:Type="String">Mã TTHC</Data></Cell>
    <Cell><Data ss:Type="String">Ngày tiếp nhận</Data></Cell><Cell><Data ss:Type="String">Ngày hẹn trả</Data></Cell>
    <Cell><Data ss:Type="String">Ghi chú</Data></Cell></Row>
   <Row>
    <Cell><Data ss:Type="String">000.00.14.H56-250305-0001</Data></Cell>
    <Cell><Data ss:Type="String">1.001193</Data></Cell>
    <Cell><Data ss:Type="DateTime">2025-03-05T08:30:00.000</Data></Cell>
    <Cell><Data ss:Type="DateTime">2025-03-06T00:00:00.000</Data></Cell>
    <Cell><ss:Data ss:Type="String" xmlns="http://www.w3.org/TR/REC-html40"><B>Đã trả</B> kết quả</ss:Data></Cell>
   </Row>
   <Row>
    <Cell><Data ss:Type="String">000.00.14.H56-250305-0002</Data></Cell>
    <Cell><Data ss:Type="String">2.000815</Data></Cell>
    <Cell><Data ss:Type="DateTime">2025-03-05T14:15:00.000</Data></Cell>
    <Cell><Data ss:Type="DateTime">2025-03-05T00:00:00.000</Data></Cell>
    <Cell><Data ss:Type="String">Yêu cầu bổ sung</Data></Cell>
   </Row>
  </Table>
 </Worksheet>
</Workbook>
"""


def test_excel_2003_xml_named_xls_reads_each_worksheet(tmp_path):
    path = tmp_path / "so_theo_doi.xls"
    path.write_text(SPREADSHEET_ML, encoding="utf-8")
    grid = open_grid(path)
    assert (grid.format, grid.sheet) == ("spreadsheetml", "Sổ theo dõi")  # the first visible worksheet
    assert list(grid.rows) == [
        ["UBND XÃ HÒA BÌNH"],
        [],
        HEADER,
        ["000.00.14.H56-250305-0001", "1.001193", dt.datetime(2025, 3, 5, 8, 30), dt.date(2025, 3, 6),
         "Đã trả kết quả"],
        ["000.00.14.H56-250305-0002", "2.000815", dt.datetime(2025, 3, 5, 14, 15), dt.date(2025, 3, 5),
         "Yêu cầu bổ sung"],
    ]
    assert grid.merged == [((0, 0), (0, 4))]
    assert sheet_names(path) == ["Sổ theo dõi"] and sheet_names(path, hidden=True) == ["Hướng dẫn", "Sổ theo dõi"]
    typed = [["Trang này không có dữ liệu"], [], ["", 3.5, dt.time(16, 45), True, "", "  hai  dấu cách "]]
    assert rows_of(path, "Hướng dẫn") == typed and rows_of(path, 0) == typed
    assert_dossiers_read(path, first_row=4)


@pytest.mark.parametrize("text", [
    ('<?xml version="1.0"?><!DOCTYPE Workbook [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;">]>'
     '<Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet"><Worksheet><Table><Row><Cell><Data>&b;</Data>'
     '</Cell></Row></Table></Worksheet></Workbook>'),
    '<?xml version="1.0"?><Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet"><Worksheet><Table><Row>',
])
def test_hostile_or_broken_excel_2003_xml_is_refused(tmp_path, text):
    path = tmp_path / "xuat.xls"
    path.write_text(text, encoding="utf-8")
    refused(path, "unreadable_workbook")


# ---- 3. CSV as it arrives ----------------------------------------------------------------------------------------
CSV_ROWS = [["Mã hồ sơ", "Tên thủ tục", "Ngày tiếp nhận", "Người nộp"],
            ["HS-1", "Chứng thực bản sao", "05/03/2025 08:30", "Nguyễn Văn Ấn"],
            ["HS-2", "Đăng ký khai sinh", "06/03/2025", "Lê Thị Hoà, thôn Đông"]]
_TONES = "\u0300\u0301\u0303\u0309\u0323"


def windows_1258(text: str) -> bytes:
    """Text as Excel's plain "CSV" writes it on a Vietnamese Windows: â, ơ, ư, ă, đ as letters, the five tones
    as combining marks after them."""
    out = []
    for char in text:
        parts = unicodedata.normalize("NFD", char)
        base = unicodedata.normalize("NFC", "".join(c for c in parts if c not in _TONES))
        out.append(base.encode("cp1258") + "".join(c for c in parts if c in _TONES).encode("cp1258"))
    return b"".join(out)


def delimited(rows: list[list[str]], delimiter: str) -> str:
    def quoted(cell):
        return f'"{cell}"' if delimiter in cell else cell
    return "".join(delimiter.join(quoted(c) for c in row) + "\r\n" for row in rows)


@pytest.mark.parametrize("encode", [
    lambda text: text.encode("utf-8"),
    lambda text: text.encode("utf-8-sig"),
    lambda text: text.encode("utf-16"),  # BOM, little-endian
    lambda text: b"\xfe\xff" + text.encode("utf-16-be"),
    windows_1258,
], ids=["utf8", "utf8-bom", "utf16le", "utf16be", "cp1258"])
@pytest.mark.parametrize("delimiter", [",", ";", "\t"], ids=["comma", "semicolon", "tab"])
def test_csv_in_any_encoding_and_separator(tmp_path, encode, delimiter):
    path = tmp_path / "xuat.csv"
    path.write_bytes(encode(delimited(CSV_ROWS, delimiter)))
    grid = open_grid(path)
    assert grid.format == "csv"
    assert list(grid.rows) == CSV_ROWS  # NFC, whatever the encoding wrote


def test_windows_1252_csv_is_not_taken_for_vietnamese(tmp_path):
    path = tmp_path / "western.csv"
    rows = [["Nom", "Ville", "Date"], ["René", "Genève", "05/03/2025"], ["Zoë", "Besançon", "06/03/2025"]]
    path.write_bytes(delimited(rows, ";").encode("cp1252"))
    assert rows_of(path) == rows


def test_csv_in_no_known_encoding_is_refused(tmp_path):
    path = tmp_path / "la.csv"
    path.write_bytes("Mã hồ sơ,Ghi chú\nHS-1,".encode() + b"\x81\x90\x9d\n")  # bytes no code page defines
    assert "UTF-8" in refused(path, "csv_not_utf8").message("vi")


def test_excel_sep_line_and_tsv_named_xls(tmp_path):
    sep = tmp_path / "sep.csv"
    sep.write_text("sep=;\r\n" + delimited(CSV_ROWS, ";"), encoding="utf-8")
    grid = open_grid(sep)
    assert grid.first_row == 2 and list(grid.rows) == CSV_ROWS
    # Excel's "Unicode text": UTF-16 with tabs, which web systems also send named .xls.
    tsv = tmp_path / "xuat_excel.xls"
    tsv.write_bytes(delimited(CSV_ROWS, "\t").encode("utf-16"))
    assert open_grid(tsv).format == "csv" and rows_of(tsv) == CSV_ROWS


def test_windows_1258_csv_gives_dossiers(tmp_path):
    rows = [HEADER] + [[r[0], r[1], r[2].strftime("%d/%m/%Y %H:%M"), r[3].strftime("%d/%m/%Y"), r[4]] for r in ROWS]
    path = tmp_path / "26734_so.csv"
    path.write_bytes(windows_1258(delimited(rows, ";")))
    assert_dossiers_read(path, first_row=2)


def test_damaged_csv_says_where_reading_stopped(tmp_path):
    path = tmp_path / "hong.csv"
    body = "".join(f"HS-{i},Chứng thực,05/03/2025\n" for i in range(5000))
    # A quote never closed (a file cut off mid-export): the "field" runs on past any cell Excel can hold.
    path.write_text("Mã hồ sơ,Tên thủ tục,Ngày tiếp nhận\n" + body + 'HS-x,"Chứng thực' + "x" * 200_000,
                    encoding="utf-8")
    error = refused(path, "records.damaged_text")
    assert error.params["row"] == 5002


# ---- 4. legacy .xls and .ods, through LibreOffice ---------------------------------------------------------------
@pytest.fixture(scope="module")
def converted(tmp_path_factory):
    """The same workbook saved by LibreOffice as .xls (BIFF8) and .ods; skipped where LibreOffice is missing."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        pytest.skip("LibreOffice (soffice) is not installed")
    folder = tmp_path_factory.mktemp("legacy")
    source = folder / "so_theo_doi.xlsx"
    book = Workbook()
    cover = book.active
    cover.title = "Bìa"
    cover.append(["SỔ THEO DÕI HỒ SƠ NĂM 2025"])
    sheet = book.create_sheet("Sổ theo dõi")
    sheet.append(["UBND XÃ HÒA BÌNH"])
    sheet.merge_cells("A1:E1")
    sheet.append(HEADER)
    for row in ROWS:
        sheet.append(row)
    book.save(source)
    profile = (folder / "profile").as_uri()  # its own profile: another LibreOffice running does not interfere
    for target in ("xls", "ods"):
        subprocess.run([soffice, f"-env:UserInstallation={profile}", "--headless", "--convert-to", target,
                        "--outdir", str(folder), str(source)], check=True, capture_output=True, timeout=180)
    converted = {target: folder / f"so_theo_doi.{target}" for target in ("xls", "ods")}
    if not all(path.exists() for path in converted.values()):
        pytest.skip("LibreOffice did not convert the workbook")
    return converted


@pytest.mark.parametrize("target", ["xls", "ods"])
def test_legacy_xls_and_ods_read_through_calamine(converted, target):
    path = converted[target]
    assert sheet_names(path) == ["Bìa", "Sổ theo dõi"]
    grid = open_grid(path, "Sổ theo dõi")
    assert grid.format == target
    rows = [[cell for cell in row] for row in grid.rows]
    assert rows[0][0] == "UBND XÃ HÒA BÌNH" and rows[1] == HEADER
    assert rows[2] == ["000.00.14.H56-250305-0001", "1.001193", dt.datetime(2025, 3, 5, 8, 30),
                       dt.date(2025, 3, 6), "Đã trả kết quả"]
    assert rows[3][2:4] == [dt.datetime(2025, 3, 5, 14, 15), dt.date(2025, 3, 5)]
    if target == "xls":
        assert grid.merged == [((0, 0), (0, 4))]
    # The table is found on the second sheet, by its header.
    assert_dossiers_read(path, first_row=3)


def test_a_renamed_workbook_is_read_by_its_content(converted, tmp_path):
    xls_named_xlsx = tmp_path / "tai_ve.xlsx"
    shutil.copy(converted["xls"], xls_named_xlsx)
    assert open_grid(xls_named_xlsx, "Sổ theo dõi").format == "xls"
    assert rows_of(xls_named_xlsx, "Sổ theo dõi")[1] == HEADER


def test_an_xlsx_named_xls_or_csv_is_read_by_its_content(tmp_path):
    source = write_log(tmp_path / "log.xlsx")
    for name in ("xuat.xls", "xuat.csv"):
        shutil.copy(source, tmp_path / name)
        assert rows_of(tmp_path / name)[0] == HEADER


# ---- 5. sheets that claim to be huge -----------------------------------------------------------------------------
def write_log(path: Path) -> Path:
    book = Workbook()
    sheet = book.active
    sheet.title = "Hồ sơ"
    sheet.append(HEADER)
    for row in ROWS:
        sheet.append(row)
    book.save(path)
    return path


def rewrite_sheet(path: Path, change) -> Path:
    """``path`` with its first sheet's XML passed through ``change`` (the rest of the package as it was)."""
    with zipfile.ZipFile(path) as source:
        parts = {info.filename: source.read(info) for info in source.infolist()}
    parts["xl/worksheets/sheet1.xml"] = change(parts["xl/worksheets/sheet1.xml"].decode("utf-8")).encode("utf-8")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for name, data in parts.items():
            target.writestr(name, data)
    return path


def far_cell(xml: str, dimension: str | None = "A1:XFD1048576", empty: bool = False, row: int = 1_048_576) -> str:
    """The sheet with one more cell, in column XFD of ``row`` (empty but formatted, with ``empty``)."""
    cell = f'<c r="XFD{row}" s="1"/>' if empty else f'<c r="XFD{row}" t="inlineStr"><is><t>lạc</t></is></c>'
    xml = xml.replace("</sheetData>", f'<row r="{row}">{cell}</row></sheetData>')
    if dimension is None:
        return xml.replace('<dimension ref="A1:E3"/>', "")
    return xml.replace('<dimension ref="A1:E3"/>', f'<dimension ref="{dimension}"/>')


def read_in_child(path: Path) -> subprocess.CompletedProcess:
    """Read ``path`` in a child process with 2 GB of address space: an abort or a blow-up fails the test
    instead of ending the test run."""
    code = (
        "import resource, sys\n"
        "resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))\n"
        "from isoaudit.records.grid import open_grid\n"
        "print(sum(1 for _ in open_grid(sys.argv[1]).rows))\n"
    )
    return subprocess.run([sys.executable, "-c", code, str(path)], check=False, capture_output=True, text=True,
                          timeout=300, env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])})


@pytest.mark.parametrize("dimension", ["A1:XFD1048576", None, "A1:E3"], ids=["declared", "undeclared", "lying"])
def test_a_cell_far_away_does_not_blow_up_the_reader(tmp_path, dimension):
    path = rewrite_sheet(write_log(tmp_path / "26734_xa.xlsx"), lambda xml: far_cell(xml, dimension))
    assert path.stat().st_size < 10_000
    child = read_in_child(path)
    assert child.returncode == 0, child.stderr[-2000:]
    assert child.stdout.split() == ["1048576"]  # every row Excel numbers, the far one last
    grid = open_grid(path)
    rows = iter(grid.rows)
    assert next(rows) == HEADER
    assert next(rows) == ["000.00.14.H56-250305-0001", "1.001193", dt.datetime(2025, 3, 5, 8, 30),
                          dt.date(2025, 3, 6), "Đã trả kết quả"]
    *_, last = rows
    assert len(last) == 16_384 and last[-1] == "lạc"


def test_a_sheet_with_a_cell_far_away_still_gives_its_dossiers(tmp_path):
    # 200,000 rows by 16,384 columns would still be 3 billion cells for calamine; fewer rows keep the test quick.
    path = rewrite_sheet(write_log(tmp_path / "26734_xa.xlsx"),
                         lambda xml: far_cell(xml, "A1:XFD200000", row=200_000))
    assert_dossiers_read(path, first_row=2)


def test_a_formatted_empty_cell_far_away_keeps_the_fast_reader(tmp_path):
    path = rewrite_sheet(write_log(tmp_path / "log.xlsx"), lambda xml: far_cell(xml, empty=True))
    assert read_in_child(path).stdout.split() == ["3"]
    assert rows_of(path)[0] == HEADER


# ---- 6. damaged and disguised files -----------------------------------------------------------------------------
def test_a_damaged_sheet_names_the_file_and_the_sheet(tmp_path):
    path = rewrite_sheet(write_log(tmp_path / "26734_hong.xlsx"), lambda xml: xml.replace("</c>", "</x>", 3))
    error = refused(path, "records.damaged_sheet")
    assert '"Hồ sơ"' in error.message("vi") and "bị hỏng" in error.message("vi")
    problems = []
    read_dossier_log(path, problems=problems)
    assert [p.code for p in problems] == ["records.damaged_sheet"]
    assert "26734_hong.xlsx" in problems[0].message("vi")


def test_a_truncated_workbook(tmp_path):
    whole = write_log(tmp_path / "whole.xlsx").read_bytes()
    path = tmp_path / "26734_tai_do.xlsx"
    path.write_bytes(whole[: len(whole) // 2])
    assert "cắt cụt" in refused(path, "records.truncated_file").message("vi")


def test_a_zip_that_is_not_a_workbook(tmp_path):
    path = tmp_path / "tai_lieu.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("word/document.xml", "<document/>")
    refused(path, "unreadable_workbook")


@pytest.mark.parametrize("suffix", [".xlsx", ".xls"])
def test_a_password_protected_workbook(tmp_path, suffix):
    # An encrypted xlsx is an OLE container whose directory (here its sector 1, past the first 64 KB of header
    # padding a real file does not have) holds the streams EncryptionInfo and EncryptedPackage.
    header = bytearray(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504)
    header[30:32] = (9).to_bytes(2, "little")  # 512-byte sectors
    header[48:52] = (200).to_bytes(4, "little")  # the directory in sector 200
    directory = "EncryptionInfo".encode("utf-16-le").ljust(128, b"\x00") + \
        "EncryptedPackage".encode("utf-16-le").ljust(128, b"\x00")
    path = tmp_path / f"26734_mat_khau{suffix}"
    path.write_bytes(bytes(header) + b"\x00" * (200 * 512) + directory.ljust(512, b"\x00"))
    assert "mật khẩu" in refused(path, "encrypted_workbook").message("vi")


@pytest.mark.parametrize("content, code", [
    (b"", "empty_file"),
    (b"  \r\n\t ", "empty_file"),
    (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n", "not_a_spreadsheet"),
    (b"\x89PNG\r\n\x1a\n" + bytes(range(256)), "not_a_spreadsheet"),
    (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(256)), "not_a_spreadsheet"),
    (bytes(range(256)) * 4, "not_a_spreadsheet"),
    (b"not a workbook", "not_a_spreadsheet"),
])
@pytest.mark.parametrize("suffix", [".xlsx", ".xls", ".ods", ".csv"])
def test_empty_and_disguised_files_get_one_clear_message(tmp_path, content, code, suffix):
    if suffix == ".csv" and content == b"not a workbook":
        return  # one word a line is a (one-column) CSV
    path = tmp_path / f"26734_2025{suffix}"
    path.write_bytes(content)
    refused(path, code)
    problems = []
    read_dossier_log(path, problems=problems)
    assert [p.code for p in problems] == [code] and path.name in problems[0].message("vi")


# ---- 7. every sheet -----------------------------------------------------------------------------------------------
def test_every_visible_sheet_is_offered_the_default_first(tmp_path):
    path = tmp_path / "nhieu_trang.xlsx"
    book = Workbook()
    book.active.title = "Hướng dẫn"
    book.active.append(["Điền sổ theo mẫu"])
    book.create_sheet("Trống")
    hidden = book.create_sheet("Danh mục")
    hidden.sheet_state = "hidden"
    hidden.append(["1.001193", "Chứng thực"])
    log = book.create_sheet("Sổ theo dõi")
    log.append(HEADER)
    log.append(ROWS[0])
    book.save(path)
    assert sheet_names(path) == ["Hướng dẫn", "Trống", "Sổ theo dõi"]
    assert sheet_names(path, hidden=True) == ["Hướng dẫn", "Trống", "Danh mục", "Sổ theo dõi"]
    grids = list(open_grids(path))
    assert [grid.sheet for grid in grids] == ["Hướng dẫn", "Sổ theo dõi"]  # the empty sheet passed over
    assert next(iter(grids[1].rows)) == HEADER
    refused(path, "empty_sheet", sheet="Trống")
    refused(path, "sheet_not_found", sheet="Không có")
