"""Every workbook isoaudit writes prints on A4: one page wide, the header repeated on every page, the panes
frozen below it, page numbers in the footer, titles merged across the table, rows as high as their wrapped
text. The slow test prints some of them to PDF with LibreOffice and counts the pages."""
from __future__ import annotations

import re
import shutil
import subprocess
from datetime import date
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

import isoaudit.cli as cli
from isoaudit.batch.run import UnitResult
from isoaudit.checklist import load_checklist
from isoaudit.findings import flag_findings
from isoaudit.outputs import print_setup
from isoaudit.outputs.rollup import write_rollup
from isoaudit.outputs.xlsx import SheetSpec, write_workbook
from isoaudit.sampling.evaluation import worksheet_checks
from isoaudit.workbooks.audit_file import AuditPlan, new_audit, save_audit
from isoaudit.workbooks.checklist_workbook import export_checklist_xlsx
from isoaudit.workbooks.decisions_workbook import write_decisions_template
from isoaudit.workbooks.findings_register import write_findings_register
from isoaudit.workbooks.sample_worksheet import write_sample_workbook
from tests.test_findings import finding
from tests.test_sample_worksheet import sample  # noqa: F401 - the fixture
from tests.test_timeliness_cli import folder  # noqa: F401 - the fixture

UNIT_NAMES = ["Xã Đông Tâm", "Phường Hòa Bình Bắc", "Xã Tân Phú Trung", "Phường Lê Hồng Phong", "Xã An Thạnh Đông",
              "Xã Mỹ Lộc", "Phường Nguyễn Trãi", "Xã Phú Thuận Bình", "Thị trấn Long Hựu"]
LONG_NAME = ("Chứng thực bản sao từ bản chính giấy tờ, văn bản do cơ quan, tổ chức có thẩm quyền của Việt Nam cấp "
             "hoặc chứng nhận")


def summary_workbook(out: Path) -> Path:
    """The roll-up's summary.xlsx of a province of nine units."""
    figures = {"on_time_rate": 0.887, "returned": 221, "overdue": 0, "late_without_apology": 19,
               "online_rate": None, "actions_open": 4, "actions_overdue": 4, "objectives_met": 2,
               "objectives_total": 7, "audit_status": "complete", "audit_answered": 108, "audit_total": 108,
               "findings_by_clause": {"8.5.1": 1, "9.1.2": 2}}
    results = [UnitResult(f"{8011 + 3 * i:05d}", name, str(out / "unit"), "done", summary=figures)
               for i, name in enumerate(UNIT_NAMES)]
    batch = SimpleNamespace(out=out, year=2025, results=results, failed=[], area="Tỉnh Đồng Tháp", analytics=None)
    worst = pd.DataFrame({"procedure_code": ["2.000815"] * 5, "procedure_name": [LONG_NAME] * 5,
                          "returned": [100] * 5, "late": [20] * 5, "on_time_rate": [0.8] * 5})
    out.mkdir(parents=True, exist_ok=True)
    write_rollup(batch, worst)
    return out / "summary.xlsx"


def detail_workbook(path: Path, rows: int = 300) -> Path:
    """A sheet as wide as the timeliness workbook's detail (32 columns), long procedure names in it."""
    frame = pd.DataFrame({f"column_{c}": [f"giá trị {c}-{r}" for r in range(rows)] for c in range(30)})
    frame.insert(4, "procedure_name", [LONG_NAME if r % 2 else "Đăng ký khai sinh" for r in range(rows)])
    frame.insert(5, "received_at", pd.Timestamp("2025-07-01 16:39"))
    write_workbook(path, {"Chi tiết": SheetSpec(frame, {"procedure_name": "Tên thủ tục hành chính"},
                                                ["Danh sách hồ sơ"])}, lang="vi")
    return path


@pytest.fixture(scope="module")
def workbooks(tmp_path_factory, sample) -> dict[str, Path]:  # noqa: F811 - the fixture above
    """One workbook of every kind isoaudit writes, by kind."""
    out = tmp_path_factory.mktemp("printing")
    books = {"summary": summary_workbook(out / "batch"), "detail": detail_workbook(out / "detail.xlsx")}
    books["sample"] = write_sample_workbook(out / "mau.xlsx", sample, worksheet_checks(sample),
                                            created=date(2025, 12, 31))
    books["checklist"] = out / "checklist.xlsx"
    export_checklist_xlsx(load_checklist(), books["checklist"])
    books["decisions"] = out / "decisions.xlsx"
    write_decisions_template(books["decisions"], "26734", "Xã Tân Phú", 2025,
                             pd.DataFrame({"opportunity": ["Rà soát quy trình tiếp nhận hồ sơ trực tuyến " * 3]}))
    books["findings"] = out / "findings.xlsx"
    register = pd.DataFrame([finding("DGNB-2025-8.5.1-01", "DGNB-2025", "8.5.1"),
                             finding("26734-2025-03", None, "8.5.2")])
    write_findings_register(books["findings"], flag_findings(register), unit_code="26734", unit_name="Xã Tân Phú")
    plan = AuditPlan(audit_id="DGNB-2025", unit_code="26734", unit_name="Xã Tân Phú", year=2025)
    books["audit"] = save_audit(new_audit(plan, load_checklist()), out / "audit.xlsx", keep_versions=0)
    return books


def test_every_sheet_of_every_workbook_is_set_up_to_print(workbooks):
    for kind, path in workbooks.items():
        assert_set_up_to_print(path, kind)


def test_the_timeliness_workbook_too(folder, tmp_path):  # noqa: F811 - the fixture above
    path = tmp_path / "tien_do.xlsx"
    assert cli.main(["timeliness", str(folder), "--as-of", "05/09/2025", "--out", str(path)]) == 0
    assert_set_up_to_print(path, "timeliness")


def assert_set_up_to_print(path: Path, kind: str) -> None:
    for sheet in load_workbook(path).worksheets:
        if sheet.sheet_state != "visible":
            continue
        where = f"{kind}: {sheet.title}"
        setup = sheet.page_setup
        assert int(setup.paperSize) == int(sheet.PAPERSIZE_A4), where
        assert sheet.sheet_properties.pageSetUpPr.fitToPage, where
        assert (setup.fitToWidth, setup.fitToHeight) == (1, 0), where
        assert "&P" in sheet.oddFooter.center.text and "&N" in sheet.oddFooter.center.text, where
        if sheet.freeze_panes:  # a table: its header row repeats on every page, just above the frozen panes
            header = int(re.sub(r"\D", "", sheet.freeze_panes)) - 1
            assert sheet.print_title_rows == f"${header}:${header}", where


def test_footer_says_page_in_the_language_and_wide_sheets_turn_landscape(workbooks):
    detail = load_workbook(workbooks["detail"]).active
    assert detail.oddFooter.center.text == "Trang &P/&N"
    assert detail.page_setup.orientation == "landscape"
    decisions = load_workbook(workbooks["decisions"]).active
    assert decisions.page_setup.orientation == "landscape"  # nine columns


def test_titles_span_the_table_and_long_text_wraps_in_a_row_that_fits(workbooks):
    sheet = load_workbook(workbooks["summary"]).worksheets[0]
    last = get_column_letter(sheet.max_column)
    assert [str(r) for r in sheet.merged_cells.ranges] == [f"A1:{last}1"]  # the title over the table's width
    assert sheet.row_dimensions[1].height == print_setup.row_height(1, print_setup.TITLE_LINE_HEIGHT)  # one line
    detail = load_workbook(workbooks["detail"]).active
    name = detail.cell(row=4, column=5)  # title, blank, header, then the first rows
    assert name.value == "Đăng ký khai sinh" and detail.cell(row=5, column=5).value == LONG_NAME
    assert detail.cell(row=5, column=5).alignment.wrap_text
    width = detail.column_dimensions["E"].width
    assert print_setup.NARROWEST_WRAPPED <= width <= print_setup.MAX_WIDTH
    assert detail.row_dimensions[5].height == print_setup.row_height(print_setup.line_count(LONG_NAME, width)) > 30
    # The sample worksheet: a long procedure name no longer runs over the rows below.
    sheet = load_workbook(workbooks["sample"]).worksheets[1]
    names = [c for c in sheet[1] if c.value == "Tên thủ tục hành chính"][0].column_letter
    for row in range(2, sheet.max_row + 1):
        value = sheet[f"{names}{row}"].value
        lines = print_setup.line_count(value, sheet.column_dimensions[names].width)
        if lines > 1:
            assert sheet.row_dimensions[row].height >= print_setup.row_height(lines)


def test_widths_follow_the_content_within_bounds():
    widths = print_setup.column_widths([[1, 2, 3], ["x" * 200], [None]], ["STT", "Tên thủ tục", "Ghi chú"])
    assert widths[0] == print_setup.MIN_WIDTH and widths[1] == print_setup.MAX_WIDTH
    assert widths[2] >= len("Ghi chú")  # a short header on one line
    assert print_setup.narrowed([50.0] * 10, 300.0) == pytest.approx([30.0] * 10, abs=0.01)
    assert print_setup.line_count("một hai ba bốn năm sáu bảy tám chín mười", 12) > 1


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) is not installed")
def test_printed_to_pdf_the_workbooks_take_few_pages(workbooks, tmp_path):
    kinds = ("summary", "detail", "sample", "decisions")
    pdfs = tmp_path / "pdf"
    subprocess.run(["soffice", f"-env:UserInstallation=file://{tmp_path / 'profile'}", "--headless",
                    "--convert-to", "pdf", "--outdir", str(pdfs), *(str(workbooks[k]) for k in kinds)],
                   check=True, capture_output=True, timeout=120)
    pages = {kind: pdf_pages(pdfs / (workbooks[kind].stem + ".pdf")) for kind in kinds}
    # summary.xlsx of nine units: each of its three sheets on one page (it printed on ten, its title split).
    assert pages["summary"] == 3
    # 300 rows of 32 columns, one page wide: a few pages long (not three or four times as many across).
    assert pages["detail"] <= 12
    assert pages["sample"] <= 4  # the cover and the sample sheet of a few dozen dossiers
    assert pages["decisions"] == 1


def pdf_pages(path: Path) -> int:
    """Pages of a PDF LibreOffice wrote (its page objects are not compressed into object streams)."""
    return len(re.findall(rb"/Type\s*/Page[^s]", path.read_bytes()))
