"""Every HTML isoaudit writes comes from its templates, escaped: text typed into a spreadsheet (a unit's name,
a question, an auditor's note, a file name) is shown as text and never becomes markup."""
from __future__ import annotations

import csv
import datetime as dt
from html.parser import HTMLParser

import nbformat
import pandas as pd
import pytest

from isoaudit.checklist import BUNDLED, load_checklist
from isoaudit.notebook.audit_form import AuditForm
from isoaudit.outputs.audit_report import conflicts_html, render_report
from isoaudit.outputs.review_html import (
    chart_html,
    export_notebook_page,
    footer_html,
    header_html,
    page_html,
    section_html,
    table_html,
)
from isoaudit.outputs.templates import render
from isoaudit.review.pack import ReviewChart, ReviewSection, ReviewTable
from isoaudit.workbooks.audit_file import CONFLICT_COLUMNS, AuditPlan

SCRIPT = "<script>alert(1)</script>"
BREAKOUT = '"><img src=x onerror=alert(1)>'  # closes an attribute, then opens a live tag
PAYLOADS = (SCRIPT, BREAKOUT)
ITEM = "4.1-01"


class Parsed(HTMLParser):
    """What a browser would make of ``markup``: its elements with their attributes, and its text."""

    def __init__(self, markup: str):
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict]] = []
        self.texts: list[str] = []
        self.feed(markup)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.texts.append(data)

    @property
    def text(self) -> str:
        return "".join(self.texts)


def assert_shown_as_text(markup: str, *payloads: str) -> Parsed:
    """No payload is live markup (no script, no event handler, no image but the charts' own), and each one is
    shown, escaped, as text."""
    parsed = Parsed(markup)
    assert "script" not in [tag for tag, _ in parsed.elements]
    assert not [(tag, name) for tag, attrs in parsed.elements for name in attrs if name.startswith("on")]
    assert all(attrs.get("src", "").startswith("data:image/png;base64,") for tag, attrs in parsed.elements
               if tag == "img")
    for payload in payloads:
        assert payload not in markup
        assert payload in parsed.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in markup or SCRIPT not in payloads
    return parsed


# ---- the audit report and the audit form --------------------------------------------------------------------
@pytest.fixture
def form(tmp_path):
    """An audit whose unit, checklist question, look-for text, answers, auditor and conflicts all hold markup."""
    checklist = tmp_path / "checklist.csv"
    with open(BUNDLED, encoding="utf-8-sig", newline="") as source:
        rows = list(csv.DictReader(source))
    rows[0].update(question_vi=f"Câu hỏi {SCRIPT}", evidence_vi=f"Xem {BREAKOUT}")
    with open(checklist, "w", encoding="utf-8", newline="") as target:
        writer = csv.DictWriter(target, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    plan = AuditPlan("DGNB-2025", "08011", unit_name=f"Phường {SCRIPT}", year=2025, lead_auditor=BREAKOUT)
    form = AuditForm.open(tmp_path / "audits" / "08011" / "DGNB-2025.xlsx", plan, load_checklist(checklist),
                          auditor=f"An {BREAKOUT}", folder=tmp_path, as_of=dt.date(2025, 12, 31))
    form.answer(ITEM, result="minor", evidence=f"Sổ {BREAKOUT}", notes=f"Ghi chú {SCRIPT}")
    conflict = {c: None for c in CONFLICT_COLUMNS}
    conflict.update(id=ITEM, clause="4.1", question=SCRIPT, result_mine="minor", notes_mine=SCRIPT,
                    result_theirs="conforms", notes_theirs=BREAKOUT, auditor_theirs=BREAKOUT)
    form.conflicts = pd.DataFrame([conflict], columns=CONFLICT_COLUMNS)
    return form


def test_the_audit_report_shows_typed_markup_as_text(form):
    html = render_report(form)
    parsed = assert_shown_as_text(html, *PAYLOADS)
    for shown in (f"Phường {SCRIPT}", f"Câu hỏi {SCRIPT}", f"Ghi chú {SCRIPT}", f"Sổ {BREAKOUT}", f"An {BREAKOUT}"):
        assert shown in parsed.text
    assert [tag for tag, _ in parsed.elements][:2] == ["style", "div"]  # its style came from the template
    assert "Câu trả lời khác nhau" in parsed.text  # the conflicts table, included in the report


def test_the_conflicts_table_shows_typed_markup_as_text(form):
    html = conflicts_html(form.conflicts)
    assert_shown_as_text(html, *PAYLOADS)
    assert Parsed(html).text.count(BREAKOUT) == 2


def test_the_audit_form_shows_typed_markup_as_text(form):
    header = form.item_widgets(ITEM).box.children[0].value
    assert_shown_as_text(header, SCRIPT, BREAKOUT)
    form._view.refresh([])  # the status line: saved, then the conflicts
    status = form._view.status.value
    assert_shown_as_text(status, *PAYLOADS)
    assert "DGNB-2025.xlsx" in Parsed(status).text


# ---- the management review's fragments and its page ---------------------------------------------------------
@pytest.fixture
def section():
    table = ReviewTable("t", f"Bảng {BREAKOUT}", pd.DataFrame({"name": [SCRIPT, BREAKOUT], "count": [1, 2]}),
                        {"name": f"Tên {SCRIPT}", "count": "Số"}, number=1)
    chart = ReviewChart("c", f"Biểu đồ {BREAKOUT}", "bar", pd.DataFrame({"n": [1, 2]}, index=[SCRIPT, "b"]),
                        number=1)
    return ReviewSection("c1", "9.3.2 c)", f"Ý kiến {SCRIPT}", sentences=[f"Phản ánh: {BREAKOUT}"],
                         warnings=[f"Thiếu {SCRIPT}"], tables=[table], charts=[chart])


class Pack:
    """What the page heading reads of a review pack."""

    lang, year, as_of = "vi", 2025, dt.date(2025, 12, 31)
    title = "Kết quả xem xét"
    unit_name = f"Xã {SCRIPT}"
    parent_name = f"Huyện {BREAKOUT}"


def test_review_fragments_show_typed_markup_as_text(section):
    assert_shown_as_text(header_html(Pack()), f"Xã {SCRIPT}", f"Huyện {BREAKOUT}")
    assert_shown_as_text(section_html(section), f"9.3.2 c) Ý kiến {SCRIPT}", f"Phản ánh: {BREAKOUT}",
                         f"Thiếu {SCRIPT}")
    table = assert_shown_as_text(table_html(section.tables[0]), *PAYLOADS, f"Tên {SCRIPT}")
    assert [attrs.get("aria-label") for tag, attrs in table.elements if tag == "table"] == [
        f"Bảng 1. Bảng {BREAKOUT}"]  # in an attribute the payload stays one value
    chart = assert_shown_as_text(chart_html(section.charts[0]), f"Biểu đồ {BREAKOUT}")
    assert [attrs["alt"] for tag, attrs in chart.elements if tag == "img"] == [f"Biểu đồ 1. Biểu đồ {BREAKOUT}"]


def test_the_exported_page_shows_typed_markup_in_its_title_and_footer_as_text(section, tmp_path):
    outputs = [nbformat.v4.new_output("display_data", {"text/html": html}) for html in (
        header_html(Pack()), section_html(section), table_html(section.tables[0]))]
    notebook = tmp_path / "run.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("show(pack)", outputs=outputs)]),
                   str(notebook))
    inputs = pd.DataFrame({"file": [f"units {SCRIPT}.xlsx"], "sha256": [BREAKOUT]})
    page = export_notebook_page(notebook, tmp_path / "page.html", f"Báo cáo {SCRIPT}", "vi", inputs,
                                {"unit": BREAKOUT, "as_of": None}).read_text(encoding="utf-8")
    parsed = assert_shown_as_text(page, *PAYLOADS)
    assert "<title>Báo cáo &lt;script&gt;alert(1)&lt;/script&gt;</title>" in page
    assert f"units {SCRIPT}.xlsx" in parsed.text and f"unit={BREAKOUT}, as_of=" in parsed.text
    assert [tag for tag, _ in parsed.elements][:1] == ["html"] and ("main", {"class": "iso-report"}) in parsed.elements


def test_page_html_keeps_the_body_and_footer_it_is_given_and_escapes_the_title():
    footer = footer_html(pd.DataFrame({"file": [SCRIPT], "sha256": ["ab"]}), {"unit": SCRIPT}, "0.1.0", "vi")
    page = page_html("<p>Nội dung</p>", SCRIPT, "vi", footer)
    parsed = assert_shown_as_text(page, SCRIPT)
    assert ("p", {}) in parsed.elements and "Nội dung" in parsed.text
    assert ("footer", {"class": "iso-footer"}) in parsed.elements


# ---- the shared renderer -------------------------------------------------------------------------------------
def test_render_escapes_every_template_and_shows_none_as_nothing():
    html = render("audit_conflicts.html.j2", conflicts={"heading": SCRIPT, "headers": [BREAKOUT], "rows": [[None]]})
    assert_shown_as_text(html, *PAYLOADS)
    assert "<td></td>" in html and "None" not in html
