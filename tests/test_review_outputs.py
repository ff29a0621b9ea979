"""The review review_pack rendered: a Word report in the administrative layout, a web page, the whole command."""
from __future__ import annotations

import argparse
import shutil
from datetime import date

import nbformat
import pandas as pd
import pytest
from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Mm, Pt

from isoaudit.batch.kernels import kernel_for_this_interpreter
from isoaudit.batch.notebook_run import execute_notebook
from isoaudit.cli import review as review_command
from isoaudit.notebook.records_folder import find_records_folder
from isoaudit.outputs.review_docx import (
    _table,
    date_line,
    in_sentence,
    inputs_digest,
    place_name,
    write_review_docx,
)
from isoaudit.outputs.review_files import read_review_facts, save_review
from isoaudit.outputs.review_html import (
    chart_html,
    export_notebook_page,
    header_html,
    page_title,
    section_html,
    table_html,
)
from isoaudit.records import load_records
from isoaudit.review.assemble import ReviewTable, assemble_review
from tests.builders import REVIEW_UNIT as UNIT
from tests.builders import SCRIPT


@pytest.fixture(scope="module")
def report(review_pack, tmp_path_factory):
    path = tmp_path_factory.mktemp("out") / "report.docx"
    write_review_docx(review_pack, path, date(2026, 11, 23), "reviews/26734_quyet_dinh_2025.xlsx")
    return Document(str(path))


def _cell_lines(cell) -> list[str]:
    return [p.text for p in cell.paragraphs if p.text]


def test_heading_block_is_a_borderless_two_column_table(report):
    heading = report.tables[0]
    left, right = heading.rows[0].cells
    assert _cell_lines(left) == ["ỦY BAN NHÂN DÂN", "XÃ TÂN PHÚ", "Số: .../BC-UBND"]
    assert _cell_lines(right) == ["CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc",
                                  "Tân Phú, ngày 23 tháng 11 năm 2026"]
    borders = heading._tbl.tblPr.xpath("./w:tblBorders/*")
    assert borders and all(b.get("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}val") == "nil"
                           for b in borders)
    date_paragraph = next(p for p in right.paragraphs if p.text.startswith("Tân Phú"))
    assert date_paragraph.runs[0].italic and left.paragraphs[0].runs[0].bold


def test_title_body_recipients_and_signature(report, review_pack):
    texts = [p.text for p in report.paragraphs]
    assert "BÁO CÁO" in texts
    assert "Kết quả xem xét của lãnh đạo đối với Hệ thống quản lý chất lượng năm 2025" in texts
    assert any(t.startswith("1. Tình trạng thực hiện các hành động") and "9.3.2 a)" in t for t in texts)
    assert any(t.startswith("3.3. Kết quả thực hiện quá trình") for t in texts)
    assert any("reviews/26734_quyet_dinh_2025.xlsx" in t for t in texts)
    assert any("Ủy ban nhân dân xã Tân Phú" in t for t in texts)
    signature = next(t for t in report.tables if "Nơi nhận:" in t.rows[0].cells[0].text)
    left, right = signature.rows[0].cells
    assert "- UBND Huyện Yên Sơn (để báo cáo);" in _cell_lines(left) and "- Lưu: VT." in _cell_lines(left)
    assert _cell_lines(right) == ["TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH"]
    captions = [t.caption for s in review_pack.sections for t in s.tables] + [c.caption for s in review_pack.sections
                                                                      for c in s.charts]
    assert set(captions) <= set(texts)
    assert len(report.inline_shapes) == sum(len(s.charts) for s in review_pack.sections)
    warnings = [w for _, w in review_pack.warnings]
    assert all(any(w in t for t in texts) for w in warnings)


def test_page_and_fonts_follow_decree_30(report):
    section = report.sections[0]
    def mm(length) -> float:
        return round(length / Mm(1), 1)

    assert (mm(section.page_width), mm(section.page_height)) == (210, 297)  # A4
    assert (mm(section.left_margin), mm(section.right_margin), mm(section.top_margin)) == (30, 15, 20)
    normal = report.styles["Normal"]
    assert normal.font.name == "Times New Roman" and normal.font.size == Pt(14)
    assert section.different_first_page_header_footer  # page numbers from page 2


def test_the_report_ends_with_its_signature_and_keeps_its_provenance_in_its_properties(report, review_pack):
    # A document to sign and issue: no page of digests and local paths after "Nơi nhận" (issue #20).
    last = report.element.body.xpath("./w:tbl")[-1]
    assert "Nơi nhận:" in "".join(last.itertext())
    texts = " ".join(p.text for p in report.paragraphs) + " ".join(
        c.text for t in report.tables for r in t.rows for c in r.cells)
    assert not any(digest in texts for digest in review_pack.inputs["sha256"]) and "SHA-256" not in texts
    properties = report.core_properties
    assert properties.title == review_pack.title and properties.author == review_pack.unit_name
    assert "unit=26734" in properties.comments and "year=2025" in properties.comments
    assert "isoaudit" in properties.comments
    if "records" in review_pack.parameters:  # the folder by its name, not the path of someone's computer
        assert str(review_pack.parameters["records"]) not in properties.comments
    assert properties.identifier == inputs_digest(review_pack.inputs)


def test_record_text_kept_literally_in_word(report):
    cells = " ".join(c.text for t in report.tables for r in t.rows for c in r.cells)
    assert SCRIPT in cells  # plain text in Word: nothing to escape, nothing lost


def test_data_tables_keep_line_breaks_tabs_and_widths(report, tmp_path):
    frame = pd.DataFrame({"text": ["dòng 1\ndòng 2", "a\tb & <c>", None], "count": [1, 22, 333]})
    table = ReviewTable("t", "Thử", frame, {"text": "Nội dung", "count": "Số lượng"})
    document = Document()
    _table(document, table)
    path = tmp_path / "t.docx"
    document.save(str(path))
    written = Document(str(path)).tables[0]
    assert [c.text for c in written.rows[0].cells] == ["Nội dung", "Số lượng"]
    assert [c.text for c in written.rows[1].cells] == ["dòng 1\ndòng 2", "1"]
    assert written.rows[2].cells[0].text == "a\tb & <c>" and written.rows[3].cells[0].text == ""
    assert written.rows[1].cells[1].paragraphs[0].alignment == WD_ALIGN_PARAGRAPH.RIGHT  # numbers
    assert written.rows[0].cells[0].paragraphs[0].runs[0].bold
    assert written.rows[0]._tr.trPr.xpath("./w:tblHeader")  # header repeated on every page
    assert all(cell.width == column.width for row in written.rows for cell, column in zip(row.cells, written.columns))
    # The report's own tables: fixed widths that fill the text width.
    widths = [c.width for c in report.tables[2].columns]
    assert abs(sum(widths) - Mm(165)) < Mm(2)


def test_a_wide_table_drops_empty_columns_and_prints_smaller_rather_than_squeeze_its_text(tmp_path):
    dates = {f"d{k}": ["19/02/2025", "20/06/2025"] for k in range(3)}
    frame = pd.DataFrame({"code": ["PA-2025-08023-01", "PA-2025-08023-02"], "kind": ["Kiến nghị", "Phản ánh"],
                          "text": ["Đề nghị niêm yết công khai mức thu phí chứng thực tại bộ phận một cửa"] * 2,
                          "empty": ["", ""], **dates, "days": [9, 17], "ok": ["Có", "Không"]})
    headers = {"code": "Số phản ánh", "kind": "Loại", "text": "Nội dung", "empty": "Tên TTHC",
               **{f"d{k}": f"Ngày {k}" for k in range(3)}, "days": "Số ngày làm việc", "ok": "Đúng hạn"}
    document = Document()
    _table(document, ReviewTable("t", "Rộng", frame, headers))
    written = document.tables[0]
    assert [c.text for c in written.rows[0].cells] == [h for h in headers.values() if h != "Tên TTHC"]
    assert written.rows[1].cells[0].paragraphs[0].runs[0].font.size == Pt(9)
    content = next(column for column, cell in zip(written.columns, written.rows[0].cells) if cell.text == "Nội dung")
    assert content.width >= Mm(20)  # a few words a line at 9 pt, not a letter (1.2 cm at 11 pt before)


def test_save_review_writes_the_report_its_facts_and_leaves_the_decisions_file_once(review_pack, review_district, tmp_path):
    records = load_records(review_district)
    written = save_review(review_pack, records, tmp_path / "bao_cao.docx", tmp_path / "reviews", "23/11/2026")
    assert set(written) == {"review_docx", "review_facts", "decisions"}
    report = Document(str(written["review_docx"]))
    assert any("ngày 23 tháng 11 năm 2026" in c.text for c in report.tables[0].rows[0].cells)
    facts = read_review_facts(tmp_path / "bao_cao.docx")
    assert facts.unit_code == UNIT and facts.year == 2025 and facts.figures == review_pack.figures
    assert facts.decisions == written["decisions"].name and facts.decisions_written == str(written["decisions"])
    assert [tuple(w) for w in facts.warnings] == [(review_pack.section(k).clause, t) for k, t in review_pack.warnings]
    assert list(facts.inputs_frame.itertuples(index=False)) == list(review_pack.inputs[["file", "sha256"]].itertuples(
        index=False))
    chair = written["decisions"].read_bytes()
    again = save_review(review_pack, records, tmp_path / "lan_2.docx", tmp_path / "reviews")
    assert "decisions" not in again and written["decisions"].read_bytes() == chair  # never replaced
    assert save_review(review_pack, records) == {}  # nothing asked, nothing written


def test_english_report(review_pack, tmp_path, review_district):
    english = assemble_review(load_records(review_district), UNIT, 2025, lang="en")
    path = write_review_docx(english, tmp_path / "en.docx", date(2026, 1, 5))
    document = Document(str(path))
    right = document.tables[0].rows[0].cells[1]
    assert _cell_lines(right)[:2] == ["SOCIALIST REPUBLIC OF VIETNAM", "Independence - Freedom - Happiness"]
    assert "REPORT" in [p.text for p in document.paragraphs]


def test_place_and_date_lines():
    assert place_name("Phường Hùng Vương") == "Hùng Vương" and place_name("Thị xã Thanh Lâm") == "Thanh Lâm"
    assert in_sentence("Thị trấn Yên Sơn") == "thị trấn Yên Sơn"
    assert date_line("Tân Phú", date(2026, 1, 5), "vi") == "Tân Phú, ngày 05 tháng 01 năm 2026"
    assert date_line("Tân Phú", date(2026, 11, 23), "vi") == "Tân Phú, ngày 23 tháng 11 năm 2026"
    assert date_line("Tân Phú", date(2026, 3, 9), "vi") == "Tân Phú, ngày 09 tháng 3 năm 2026"


def _executed_notebook(review_pack, path):
    """A notebook as papermill leaves it: code cells with display outputs, a note, a library warning."""
    cells = [nbformat.v4.new_markdown_cell("# Ghi chú cho người dùng notebook"),
             nbformat.v4.new_code_cell("show_header(review_pack)", outputs=[
                 nbformat.v4.new_output("display_data", {"text/html": header_html(review_pack)})])]
    for section in review_pack.sections:
        outputs = [nbformat.v4.new_output("display_data", {"text/html": section_html(section)})]
        outputs += [nbformat.v4.new_output("display_data", {"text/html": chart_html(c)}) for c in section.charts]
        outputs += [nbformat.v4.new_output("display_data", {"text/html": table_html(t)}) for t in section.tables]
        outputs.append(nbformat.v4.new_output("stream", name="stderr", text="FutureWarning: something\n"))
        cells.append(nbformat.v4.new_code_cell(f'show_section(review_pack.section("{section.key}"))', outputs=outputs))
    nbformat.write(nbformat.v4.new_notebook(cells=cells), str(path))
    return path


def test_web_page_without_code_readable_on_a_phone(review_pack, tmp_path):
    page = export_notebook_page(_executed_notebook(review_pack, tmp_path / "run.ipynb"), tmp_path / "review.html",
                                page_title(review_pack), review_pack.lang, review_pack.inputs, review_pack.parameters).read_text(encoding="utf-8")
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in page
    assert '<html lang="vi">' in page
    assert "show_section" not in page and "Ghi chú cho người dùng" not in page and "FutureWarning" not in page
    assert page.count('src="data:image/png;base64,') == sum(len(s.charts) for s in review_pack.sections)
    assert "overflow-x: auto" in page and 'class="iso-table"' in page
    assert SCRIPT not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script" not in page.lower()  # a self-contained page: no script at all
    for row in review_pack.inputs.itertuples():
        assert row.sha256 in page
    assert "Bảng 1. " in page and "Biểu đồ 1. " in page


def test_the_page_export_does_not_parse_the_page_again_and_every_chart_has_its_alt_text(review_pack, tmp_path,
                                                                                          monkeypatch):
    import re

    import nbconvert.exporters.html

    def refused(*args, **kwargs):
        raise AssertionError("the exported page was parsed again")

    # nbconvert's own pass would give a chart without alt text a generic one: ours carry their captions.
    monkeypatch.setattr(nbconvert.exporters.html, "BeautifulSoup", refused)
    page = export_notebook_page(_executed_notebook(review_pack, tmp_path / "run.ipynb"), tmp_path / "review.html",
                                page_title(review_pack), review_pack.lang, review_pack.inputs,
                                review_pack.parameters).read_text(encoding="utf-8")
    images = re.findall(r"<img [^>]*>", page)
    assert len(images) == sum(len(s.charts) for s in review_pack.sections) > 0
    assert all(re.search(r'alt="Biểu đồ \d+\. [^"]+"', image) for image in images)


def test_records_folder_found_from_a_notebook_folder(tmp_path):
    (tmp_path / "sample_records").mkdir()
    notebook_dir = tmp_path / "notebooks" / "management_review"
    notebook_dir.mkdir(parents=True)
    assert find_records_folder("sample_records", start=notebook_dir) == tmp_path / "sample_records"
    assert find_records_folder(str(tmp_path), start=notebook_dir) == tmp_path
    assert kernel_for_this_interpreter("python3")


def _review(argv) -> int:
    parser = argparse.ArgumentParser()
    review_command.register(parser.add_subparsers()).add_argument("--lang", default="vi")  # as cli.main adds it
    args = parser.parse_args(["review", *argv])
    return args.func(args)


@pytest.mark.slow
def test_review_command_end_to_end(review_district, tmp_path, capsys):
    """papermill runs the committed notebook; the page, the report and the decisions workbook come out."""
    folder = shutil.copytree(review_district, tmp_path / "records")
    out = tmp_path / "out"
    assert _review([str(folder), "--unit", UNIT, "--year", "2025", "--out", str(out),
                    "--report-date", "23/11/2026"]) == 0
    base = f"{UNIT}_xem_xet_lanh_dao_2025"
    page = (out / f"{base}.html").read_text(encoding="utf-8")
    assert "9.3.2 f) Cơ hội cải tiến" in page and "Biểu đồ 1. " in page
    assert SCRIPT not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "pack = assemble_review" not in page  # no code in the page
    executed = nbformat.read(str(out / f"{base}.ipynb"), as_version=4)
    assert any("injected-parameters" in c.metadata.get("tags", []) for c in executed.cells)
    assert Document(str(out / f"{base}.docx")).tables[0].rows[0].cells[0].paragraphs[1].text == "XÃ TÂN PHÚ"
    decisions = folder / "reviews" / f"{UNIT}_quyet_dinh_2025.xlsx"
    assert decisions.is_file()
    decisions.write_bytes(decisions.read_bytes() + b"")  # as the chair saved it
    before = decisions.read_bytes()
    assert _review([str(folder), "--unit", UNIT, "--year", "2025", "--out", str(out)]) == 0
    assert decisions.read_bytes() == before
    assert "giữ nguyên" in capsys.readouterr().out
    assert not list(out.glob(".*"))  # no temporary files left behind

    failing = tmp_path / "failing.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1 / 0")]), str(failing))
    run = execute_notebook(failing, tmp_path / "failed", {})
    assert not run.ok and run.error.startswith("ZeroDivisionError") and run.notebook.is_file()
