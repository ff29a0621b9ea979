"""The periodic statistics form an agency reported (Biểu II.06a) read from its xlsx as agencies lay it out, and
compared line by line with the same form recomputed from its dossier log, as its software counts and by law:
in the review (9.3.2 c) 3), as evidence on the audit form, and in the roll-up's summary."""
from __future__ import annotations

import dataclasses
import datetime as dt
import re

import openpyxl
import pandas as pd
import pytest

from isoaudit.evidence import compute_evidence
from isoaudit.outputs.review_html import section_html, table_html
from isoaudit.records import load_records
from isoaudit.records.readers import record_table
from isoaudit.records.statistics_form import period_from_titles
from isoaudit.reported_statistics import compare_reported, reported_forms, reported_summary
from isoaudit.review import assemble_review
from isoaudit.synthetic.statistics_form import write_unit_form
from tests.builders import UNIT, write_records, write_sheet

# The dossiers of test_agency_statistics: 2025 as the software counts it: received 9 (2 carried over), handled 7
# (0 early, 3 on time, 4 late), in progress 2 (overdue); by law handled 1 early, 2 on time, 4 late.
EXTRA_DOSSIERS = [
    ["A1", "1.004873", "03/02/2025 08:00", "14/02/2025", "14/02/2025 10:00", "Trực tiếp", None, None, None],
    ["A2", "1.004873", "23/12/2024 09:00", "26/12/2024", "06/01/2025 09:00", "Trực tiếp", None, None, "26/12/2024"],
    ["A3", "1.004873", "16/12/2024 09:00", "19/12/2024", None, "Trực tiếp", None, None, None],
]
TITLE = ["UBND XÃ THÁI BÌNH", None, None, None, None, None, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"]
TOP = ["STT", "Lĩnh vực, công việc giải quyết theo cấp", "Số hồ sơ nhận giải quyết", None, None, None,
       "Kết quả giải quyết", None, None, None, None, None, None]
MIDDLE = [None, None, "Tổng số", "Trong kỳ", None, "Từ kỳ trước", "Số hồ sơ đã giải quyết", None, None, None,
          "Số hồ sơ đang giải quyết", None, None]
BOTTOM = [None, None, None, "Trực tuyến", "Trực tiếp, dịch vụ bưu chính", None, "Tổng số", "Trả trước hạn",
          "Trả đúng thời hạn", "Trả quá hạn", "Tổng số", "Chưa đến hạn", "Quá hạn"]
MERGES = ["A{0}:A{2}", "B{0}:B{2}", "C{0}:F{0}", "G{0}:M{0}", "C{1}:C{2}", "D{1}:E{1}", "F{1}:F{2}", "G{1}:J{1}",
          "K{1}:M{1}"]


def write_form(path, rows, *, period="Kỳ báo cáo: Năm 2025 (Từ ngày 01/01/2025 đến ngày 31/12/2025)",
               totals=None, numbers=True, unit_title="Xã Thái Bình"):
    """A Biểu II.06a as agencies lay it out: heading, title with the unit, period line, a three-row merged header,
    a row of column numbers, ``rows`` ([field, 11 figures]) and a "Tổng cộng" row across STT and field."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(TITLE)
    sheet.append(["BỘ PHẬN MỘT CỬA", None, None, None, None, None, "Độc lập - Tự do - Hạnh phúc"])
    sheet.append([f"TÌNH HÌNH, KẾT QUẢ GIẢI QUYẾT THỦ TỤC HÀNH CHÍNH TẠI {unit_title.upper()}"])
    if period:
        sheet.append([period])
    top = sheet.max_row + 1
    for row in (TOP, MIDDLE, BOTTOM):
        sheet.append(row)
    for merge in MERGES:
        sheet.merge_cells(merge.format(top, top + 1, top + 2))
    if numbers == "letters":  # "A | B | 1 | 2 ...": the text columns lettered
        sheet.append(["A", "B", *range(1, 12)])
    elif numbers:
        sheet.append([f"({n})" for n in range(1, 14)])
    for number, row in enumerate(rows, start=1):
        sheet.append([number, *row])
    if totals is not None:
        sheet.append(["Tổng cộng", None, *totals])
        sheet.merge_cells(f"A{sheet.max_row}:B{sheet.max_row}")
    sheet.append([])
    sheet.append([None, "NGƯỜI LẬP BIỂU", None, None, None, None, None, None, None, "THỦ TRƯỞNG ĐƠN VỊ"])
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)
    return path


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    folder = write_records(tmp_path_factory.mktemp("reported_statistics"))
    write_sheet(folder / "dossiers" / f"{UNIT}_bo_sung_2025.xlsx",
                ["dossier_id", "procedure_code", "received_at", "due_date", "returned_date", "channel",
                 "supplement_requested_at", "supplement_received_at", "apology_date"], EXTRA_DOSSIERS)
    return folder


# ---- reading the form --------------------------------------------------------------------------------------
def test_the_real_layout_is_read_line_by_line(tmp_path):
    # Two fields and a totals row; "Tổng số" three times, each under its own group.
    path = write_form(tmp_path / f"{UNIT}_thong_ke_2025.xlsx",
                      [["Hộ tịch", 6, 1, 4, 1, 5, 0, 4, 1, 1, 0, 1], ["Chứng thực", 3, 0, 3, 0, 3, 3, 0, 0, 0, 0, 0]],
                      totals=[9, 1, 7, 1, 8, 3, 4, 1, 1, 0, 1])
    table = record_table(path, "statistics")
    assert not [p for p in table.problems if p.severity == "error"], [p.message() for p in table.problems]
    frame = table.frame
    assert list(frame["field"].fillna("-")) == ["Hộ tịch", "Chứng thực", "-"]  # "Tổng cộng" sits in the STT column
    assert list(frame["received_total"]) == [6, 3, 9]  # the column numbers row is not data
    assert list(frame["handled_total"]) == [5, 3, 8] and list(frame["in_progress_total"]) == [1, 0, 1]
    assert list(frame["received_online"]) == [1, 0, 1] and list(frame["received_carried_over"]) == [1, 0, 1]
    assert frame["period_from"].iloc[0] == dt.datetime(2025, 1, 1)
    assert frame["period_to"].iloc[0] == dt.datetime(2025, 12, 31)
    assert frame["unit_code"].iloc[0] == UNIT  # from the file name
    assert table.labels["handled_total"] == "Số hồ sơ đã giải quyết - Tổng số"
    assert table.labels["in_progress_overdue"] == "Số hồ sơ đang giải quyết - Quá hạn"
    form, = reported_forms(frame)
    assert form.from_totals and form.figures["handled_early"] == 3 and form.figures["received_total"] == 9


@pytest.mark.parametrize("title, period", [
    ("Kỳ báo cáo: Quý IV năm 2025 (Từ ngày 15/9/2025 đến ngày 14/12/2025)", ((2025, 9, 15), (2025, 12, 14))),
    ("Kỳ báo cáo: Quý I năm 2025", ((2024, 12, 15), (2025, 3, 14))),
    ("Kỳ báo cáo: 6 tháng đầu năm 2025", ((2024, 12, 15), (2025, 6, 14))),
    ("Từ ngày 15 tháng 3 năm 2025 đến ngày 14 tháng 6 năm 2025", ((2025, 3, 15), (2025, 6, 14))),
])
def test_the_period_from_the_title(title, period):
    start, end = period_from_titles(["UBND XÃ THÁI BÌNH", title])
    assert (start.date(), end.date()) == (dt.date(*period[0]), dt.date(*period[1]))


def test_a_numbers_row_with_lettered_text_columns_is_not_data(tmp_path):
    path = write_form(tmp_path / f"{UNIT}_thong_ke_2025.xlsx", [["Hộ tịch", 6, 1, 4, 1, 5, 0, 4, 1, 1, 0, 1]],
                      numbers="letters")
    table = record_table(path, "statistics")
    assert list(table.frame["field"]) == ["Hộ tịch"] and not [p for p in table.problems if p.code.startswith("unread")]


def test_a_period_that_cannot_be_recomputed_is_said_and_not_compared(tmp_path):
    path = write_form(tmp_path / f"{UNIT}_thong_ke.xlsx", [["Hộ tịch", 6, 1, 4, 1, 5, 0, 4, 1, 1, 0, 1]],
                      period="Kỳ báo cáo: Từ ngày 01/01/2020 đến ngày 31/12/2025")
    table = record_table(path, "statistics")
    invalid = [p for p in table.problems if p.code == "statistics_period_invalid"]
    assert len(invalid) == 1 and "01/01/2020" in invalid[0].message("vi")


def test_a_form_without_a_period_is_said_to_be_undated(tmp_path):
    path = write_form(tmp_path / f"{UNIT}_thong_ke.xlsx", [["Hộ tịch", 6, 1, 4, 1, 5, 0, 4, 1, 1, 0, 1]],
                      period=None, numbers=False)
    table = record_table(path, "statistics")
    undated = [p for p in table.problems if p.code == "statistics_period_unknown"]
    assert len(undated) == 1 and undated[0].file == path.name and undated[0].row is not None
    assert "Kỳ báo cáo" in undated[0].message("vi") and table.frame["period_to"].isna().all()


def test_bad_cells_are_located_as_the_header_says_them(tmp_path):
    path = write_form(tmp_path / f"{UNIT}_thong_ke_2025.xlsx",
                      [["Hộ tịch", 6, 1, 4, 1, "năm", 0, 4, 1, 1, 0, 1]], totals=[6, 1, 4, 1, 5, 0, 4, 1, 1, 0, 1])
    problems = [p for p in record_table(path, "statistics").problems if p.code == "unreadable_int"]
    assert len(problems) == 1
    bad = problems[0]
    assert (bad.row, bad.column, bad.value) == (9, "Số hồ sơ đã giải quyết - Tổng số", "năm")
    assert "năm" in bad.message("vi") and "Traceback" not in bad.message("vi")


def test_a_totals_row_that_is_not_the_sum_is_a_warning_and_is_not_added_to_the_fields(tmp_path):
    path = write_form(tmp_path / f"{UNIT}_thong_ke_2025.xlsx",
                      [["Hộ tịch", 6, 1, 4, 1, 5, 0, 4, 1, 1, 0, 1], ["Chứng thực", 3, 0, 3, 0, 3, 3, 0, 0, 0, 0, 0]],
                      totals=[9, 1, 7, 1, 8, 2, 5, 1, 1, 0, 1])  # early 2 and on time 5: the fields say 3 and 4
    table = record_table(path, "statistics")
    differ = {p.column: p for p in table.problems if p.code == "statistics_totals_differ"}
    assert set(differ) == {"Số hồ sơ đã giải quyết - Trả trước hạn", "Số hồ sơ đã giải quyết - Trả đúng thời hạn"}
    early = differ["Số hồ sơ đã giải quyết - Trả trước hạn"]
    assert (early.row, early.value, early.params["sum"]) == (11, 2, 3) and early.severity == "warning"
    form, = reported_forms(table.frame)
    assert form.figures["handled_early"] == 2 and form.figures["received_total"] == 9  # the totals row, once


def test_without_a_totals_row_the_fields_are_added(tmp_path):
    path = write_form(tmp_path / f"{UNIT}_thong_ke_2025.xlsx",
                      [["Hộ tịch", 6, 1, 4, 1, 5, 0, 4, 1, 1, 0, 1], ["Chứng thực", 3, 0, 3, 0, 3, 3, 0, 0, 0, 0, 0]])
    form, = reported_forms(record_table(path, "statistics").frame)
    assert not form.from_totals and form.figures["received_total"] == 9 and form.figures["handled_early"] == 3


# ---- the comparison ------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def reported(folder):
    """The year 2025 as the unit reported it: two dossiers moved from late to on time, and no channel lines
    (received online / at the counter): those are missing, not 0. A flat form, the unit by its title."""
    (folder / "statistics").mkdir(exist_ok=True)
    write_sheet(folder / "statistics" / "bao_cao_nam_2025.xlsx",
                ["Lĩnh vực", "Tổng số hồ sơ nhận giải quyết", "Từ kỳ trước", "Đã giải quyết", "Trả trước hạn",
                 "Trả đúng thời hạn", "Trả quá hạn", "Đang giải quyết", "Chưa đến hạn", "Đang giải quyết quá hạn"],
                [["Tổng cộng", 9, 2, 7, 0, 5, 2, 2, 0, 2]],
                title_rows=[["TÌNH HÌNH, KẾT QUẢ GIẢI QUYẾT THỦ TỤC HÀNH CHÍNH TẠI XÃ THÁI BÌNH"],
                            ["Kỳ báo cáo: Năm 2025 (Từ ngày 01/01/2025 đến ngày 31/12/2025)"]])
    return load_records(folder)


def test_reported_against_software_and_law_line_by_line(reported):
    assert not [p for p in reported.problems if "statistics" in p.file], [p.message() for p in reported.problems]
    comparison, = compare_reported(reported, UNIT, 2025)
    table = comparison.table.set_index("line")
    assert table.loc["handled_on_time", ["reported", "software", "law"]].tolist() == [5, 3, 2]
    assert table.loc["handled_late", ["reported", "software", "law"]].tolist() == [2, 4, 4]
    assert table.loc["handled_early", ["reported", "software", "law"]].tolist() == [0, 0, 1]
    assert comparison.lines_differing_from_software == ["handled_on_time", "handled_late"]
    assert comparison.lines_differing_from_law == ["handled_early", "handled_on_time", "handled_late"]
    assert int(table.loc["handled_on_time", "reported_minus_software"]) == 2
    assert int(table.loc["handled_early", "reported_minus_law"]) == -1
    # Lines the form does not give are missing, never 0.
    assert comparison.missing_lines == ["received_online", "received_counter"]
    assert table["reported"].isna().sum() == 2 and pd.isna(table.loc["received_online", "reported_minus_software"])
    assert comparison.on_time_rate("reported") == pytest.approx(5 / 7)
    assert comparison.on_time_rate("software") == pytest.approx(3 / 7)


def test_the_roll_up_summary(reported):
    summary = reported_summary(reported, UNIT, 2025)
    assert summary.forms == 1 and summary.end == dt.datetime(2025, 12, 31)
    assert summary.reported_rate == pytest.approx(5 / 7) and summary.law_rate == pytest.approx(3 / 7)
    assert (summary.lines_differing_from_software, summary.lines_differing_from_law, summary.lines_missing) == (2, 3, 2)
    assert reported_summary(reported, "02269", 2025) is None  # no form: missing, not a rate of 0
    assert reported_summary(reported, UNIT, 2024) is None


def _c3(records, lang="vi"):
    pack = assemble_review(records, UNIT, 2025, lang=lang, as_of="31/12/2025")
    return next(s for s in pack.sections if s.key == "c3")


def test_the_review_shows_the_differences_and_what_they_mean(reported):
    section = _c3(reported)
    table = next(t for t in section.tables if t.key == "reported_statistics")
    shown = table.display()
    assert list(shown.columns) == ["Chỉ tiêu", "Đơn vị báo cáo", "Theo phần mềm (ngày hẹn trả)",
                                   "Theo quy định (thời hạn giải quyết)", "Báo cáo − phần mềm", "Báo cáo − quy định"]
    rows = shown.set_index("Chỉ tiêu")
    assert rows.loc["Đã giải quyết: trả đúng thời hạn"].tolist() == ["5", "3", "2", "+2", "+3"]
    assert rows.loc["Mới tiếp nhận trong kỳ: trực tuyến", "Đơn vị báo cáo"] == "(biểu không có)"
    text = " ".join(section.sentences)
    assert "khác số phần mềm đếm từ sổ theo dõi hồ sơ ở 2 dòng" in text
    assert "chưa chứng minh báo cáo sai" in text and "Biểu không có 2 dòng" in text
    html = section_html(section) + table_html(table)
    assert "Báo cáo − phần mềm" in html and "(biểu không có)" in html
    english = " ".join(_c3(reported, "en").sentences)
    assert "differs from the software's count of its dossier log on 2 lines" in english


def test_a_unit_without_a_reported_form_is_said_to_have_none(folder, tmp_path):
    section = _c3(load_records(write_records(tmp_path)))
    assert not any(t.key == "reported_statistics" for t in section.tables)
    assert any("Không có biểu thống kê định kỳ đơn vị tự báo cáo cho năm 2025" in w for w in section.warnings)


def test_the_audit_form_offers_the_differences_as_evidence(reported, tmp_path):
    row = compute_evidence(reported, 2025, UNIT, as_of="31/12/2025").set_index("key").loc["reported_statistics_match"]
    assert row["status"] == "attention" and row["value"] == 2
    assert "trả đúng thời hạn 5 / 3 / 2" in row["text_vi"] and "71,4 % / 42,9 % / 42,9 %" in row["text_vi"]
    assert "bao_cao_nam_2025.xlsx" in row["items"]
    none = compute_evidence(load_records(write_records(tmp_path)), 2025, UNIT, as_of="31/12/2025")
    assert none.set_index("key").loc["reported_statistics_match", "status"] == "no_data"


def test_the_checklist_asks_for_it_at_9_1_1():
    from isoaudit.checklist import load_checklist
    checklist = load_checklist()
    assert "reported_statistics_match" in set(checklist.loc[checklist["clause"] == "9.1.1", "evidence_key"])


# ---- the sample form ---------------------------------------------------------------------------------------------
def test_the_synthetic_form_reads_back_as_the_software_counted_or_as_misreported(folder, tmp_path):
    records = load_records(folder)
    honest = write_unit_form(tmp_path, records, UNIT, "2025-01-01", "2025-12-31")
    assert re.fullmatch(rf"{UNIT}_thong_ke_2025_12_31\.xlsx", honest.name)
    sheet = openpyxl.load_workbook(honest).active
    assert len(sheet.merged_cells.ranges) >= 10  # the three-row header's groups and the totals row
    edited = write_unit_form(tmp_path / "edited", records, UNIT, "2025-01-01", "2025-12-31",
                             misreport={"handled_late": -2, "handled_on_time": 2})
    for path, differing in ((honest, []), (edited, ["handled_on_time", "handled_late"])):
        table = record_table(path, "statistics")
        assert not [p for p in table.problems if p.severity == "error" or p.code.startswith("statistics")]
        form, = reported_forms(table.frame)
        assert form.from_totals and form.start == dt.datetime(2025, 1, 1)
        copy = dataclasses.replace(records, statistics=table.frame)
        comparison, = compare_reported(copy, UNIT, 2025)
        assert comparison.lines_differing_from_software == differing
        assert not comparison.missing_lines
