"""The management review review_pack: one section per clause 9.3.2 input, computed from a review_district's records."""
from __future__ import annotations

import pandas as pd
import pytest
from openpyxl import load_workbook

from isoaudit.outputs.review_html import (
    footer_html,
    page_html,
    section_html,
    table_html,
)
from isoaudit.records import load_records
from isoaudit.review import SECTION_KEYS, assemble_review
from isoaudit.synthetic import MARKUP_UNIT
from isoaudit.workbooks.decisions_workbook import (
    decisions_path,
    write_decisions_template,
)
from tests.builders import REVIEW_UNIT as UNIT
from tests.builders import SCRIPT, write_district


def _text(section) -> str:
    return " ".join(section.sentences + section.warnings)


def test_one_section_per_input_in_clause_order(review_pack):
    assert [s.key for s in review_pack.sections] == list(SECTION_KEYS)
    assert [s.clause for s in review_pack.sections][:3] == ["9.3.2 a)", "9.3.2 b)", "9.3.2 c) 1)"]
    assert review_pack.unit_name == "Xã Tân Phú" and review_pack.parent_name == "Huyện Yên Sơn"
    assert review_pack.as_of.isoformat() == "2025-12-31"
    numbers = [t.number for s in review_pack.sections for t in s.tables]
    assert numbers == list(range(1, len(numbers) + 1))
    assert all(t.caption.startswith(f"Bảng {t.number}. ") for s in review_pack.sections for t in s.tables)
    assert all(c.caption.startswith(f"Biểu đồ {c.number}. ") for s in review_pack.sections for c in s.charts)


def test_every_input_is_present_with_data(review_pack):
    for section in review_pack.sections:
        assert section.sentences or section.tables, section.key
    # Inputs the folder has must not be reported missing.
    missing_words = ("Không có quyết định", "Không có phiếu khảo sát", "Không có sổ theo dõi", "Không có mục tiêu",
                     "Không có hồ sơ", "Không có kết quả đánh giá", "Không có hồ sơ về hành động")
    for section in review_pack.sections:
        for warning in section.warnings:
            assert not warning.startswith(missing_words), (section.key, warning)


def test_previous_actions(review_pack):
    section = review_pack.section("a")
    table = section.tables[0].frame.set_index("decision_id")
    assert list(table.index) == ["2024-01", "2024-02"]
    assert table.loc["2024-02", "overdue"] and not table.loc["2024-01", "overdue"]
    assert "1 việc đã quá thời hạn" in _text(section)


def test_catalogue_and_processes(review_pack):
    section = review_pack.section("b")
    assert "1 quy trình nội bộ được ban hành hoặc sửa đổi trong năm 2025" in _text(section)
    no_process = next(t for t in section.tables if t.key == "no_process")
    assert no_process.frame["procedure_code"].tolist() == ["2.000815"]


def test_satisfaction_and_feedback(review_pack):
    section = review_pack.section("c1")
    assert "10 ý kiến khảo sát" in _text(section) and "70,0 %" in _text(section)
    feedback = next(t for t in section.tables if t.key == "feedback").frame.set_index("feedback_id")
    assert feedback["on_time"].tolist()[:2] == [True, False] and pd.isna(feedback.loc["PA-03", "on_time"])
    assert feedback.loc["PA-01", "handling_days"] == 5  # 03/03 to 10/03/2025: five working days
    assert "citizen" not in feedback.columns  # personal data stays out of the report


def test_objectives_measured_from_the_records(review_pack):
    table = review_pack.section("c2").tables[0].frame.set_index("objective_id")
    assert table.loc["MT01", "recomputed_text"] == "76,0 %"  # 19 of 25 returned on time
    assert table.loc["MT02", "recomputed_text"] == "70,0 %"
    assert table.loc["MT03", "result_source"] == "Đơn vị tự báo cáo"
    assert table["met"].tolist() == ["Không đạt", "Không đạt", "Đạt"]


def test_a_reported_result_that_the_records_contradict_is_shown_beside_them(review_pack):
    """MT02: the unit reported 95 % satisfied; its surveys say 70 %. Both are shown, judged on the records."""
    table = review_pack.section("c2").tables[0].frame.set_index("objective_id")
    assert table.loc["MT02", ["reported_text", "recomputed_text", "met"]].tolist() == ["95,0 %", "70,0 %", "Không đạt"]
    warnings = review_pack.section("c2").warnings
    assert any("báo cáo 95,0 %" in w and "70,0 %" in w and "Người dân hài lòng" in w for w in warnings)


def test_timeliness_with_trend(review_pack):
    section = review_pack.section("c3")
    assert "Tiếp nhận 25 hồ sơ" in _text(section) and "76,0 %" in _text(section)
    assert "Năm 2024 tỷ lệ đúng hạn là 100,0 % (thay đổi -24,0 điểm phần trăm)" in _text(section)
    by_month = next(t for t in section.tables if t.key == "by_month").frame.set_index("month_label")
    assert list(by_month.index) == [f"T{m}" for m in range(1, 13)]
    assert by_month.loc["T1", "on_time_rate"] == 1.0 and by_month.loc["T12", "on_time_rate"] == 0.5
    assert by_month.loc["T12", "previous_rate"] == 1.0 and by_month.loc["T12", "change"] == pytest.approx(-50)
    by_procedure = next(t for t in section.tables if t.key == "by_procedure").frame.set_index("procedure_code")
    assert by_procedure.loc["1.004873", "late"] == 6
    chart = next(c for c in section.charts if c.key == "by_month")
    assert list(chart.data.columns) == ["2025", "2024"] and chart.target == pytest.approx(0.98)


def test_findings_audits_and_risks(review_pack):
    c4 = review_pack.section("c4")
    assert "1 điểm không phù hợp lặp lại" in _text(c4) and "trong đó 1 đã quá hạn" in _text(c4)
    c6 = review_pack.section("c6").tables[0].frame
    assert c6["audit_id"].tolist() == ["DGNB-2025"] and c6["findings"].tolist() == [3]
    e = review_pack.section("e")
    assert [t.key for t in e.tables] == ["risk_actions", "risk_signals"]
    assert e.tables[1].frame["procedure_code"].tolist() == ["1.004873"]


def test_providers_and_resources(review_pack):
    providers = review_pack.section("c7").tables[0].frame
    assert providers["received"].tolist()[0] == 2  # the two postal dossiers
    load = review_pack.section("d").tables[0].frame
    assert load["received"].sum() == 25 and load["per_officer"].iloc[0] == pytest.approx(1.0)


def test_improvement_opportunities_come_from_the_data(review_pack):
    proposals = review_pack.proposals
    assert set(proposals["source"]) >= {"c3", "c2", "c4", "c1", "a"}
    worst = proposals[proposals["source"] == "c3"]["opportunity"].tolist()
    assert worst == ["Cải tiến giải quyết TTHC \"Xác nhận tình trạng hôn nhân\": tỷ lệ đúng hạn 50,0 %, "
                     "6 hồ sơ trễ hoặc quá hạn."]
    assert review_pack.section("f").tables[0].frame["opportunity"].tolist() == proposals["opportunity"].tolist()


def test_missing_inputs_are_visible_warnings(tmp_path):
    folder = write_district(tmp_path, surveys=False, feedback=False, decisions=False, findings=False)
    review_pack = assemble_review(load_records(folder), UNIT, 2025)
    assert [s.key for s in review_pack.sections] == list(SECTION_KEYS)
    expected = {"a": "Không có quyết định của lần xem xét năm 2024", "c1": "Không có phiếu khảo sát",
                "c4": "Không có sổ theo dõi sự không phù hợp", "c6": "Không có kết quả đánh giá nội bộ năm 2025",
                "e": "Không có hồ sơ về hành động giải quyết rủi ro"}
    for key, start in expected.items():
        assert any(w.startswith(start) for w in review_pack.section(key).warnings), key
    assert any("phản ánh" in w for w in review_pack.section("c1").warnings)
    # No surveys: the satisfaction objective cannot be measured, and the warning says why.
    assert any("Người dân hài lòng" in w and "không đo được" in w and "không có phiếu khảo sát" in w
               for w in review_pack.section("c2").warnings)
    assert review_pack.section("c2").tables[0].frame.set_index("objective_id").loc["MT02", "met"] == "Không đo được"


def test_no_dossiers_at_all_is_warned_not_crashed(tmp_path):
    folder = write_district(tmp_path)
    for path in (folder / "dossiers").iterdir():
        path.unlink()
    review_pack = assemble_review(load_records(folder), UNIT, 2025)
    for key in ("c3", "c5", "d"):
        assert any("Không có hồ sơ TTHC tiếp nhận trong năm 2025" in w for w in review_pack.section(key).warnings)


def test_english_pack(review_district):
    review_pack = assemble_review(load_records(review_district), UNIT, 2025, lang="en")
    assert review_pack.section("c3").title.startswith("Process performance")
    assert "76.0 %" in _text(review_pack.section("c3"))
    assert review_pack.section("c3").tables[0].caption.startswith("Table ")


def test_decisions_are_carried_to_the_next_review(tmp_path):
    folder = write_district(tmp_path)
    first = assemble_review(load_records(folder), UNIT, 2025)
    path = decisions_path(folder, UNIT, 2025)
    assert write_decisions_template(path, UNIT, first.unit_name, 2025, first.proposals)
    book = load_workbook(path)
    sheet = book.active
    header = next(r for r in range(1, 10) if sheet.cell(r, 1).value == "Mã đơn vị")
    # The chair fills owner, deadline and, during the year, the status.
    sheet.cell(header + 1, 6, "Công chức Tư pháp")
    sheet.cell(header + 1, 7, "30/06/2026")
    sheet.cell(header + 1, 8, "Hoàn thành")
    sheet.cell(header + 2, 6, "Văn phòng")
    sheet.cell(header + 2, 7, "31/03/2026")
    book.save(path)
    records = load_records(folder)
    assert not [p for p in records.problems if p.file.endswith(path.name)]
    second = assemble_review(records, UNIT, 2026)
    carried = second.section("a").tables[0].frame.set_index("decision_id")
    assert int((carried["year"] == 2025).sum()) == len(first.proposals)
    assert carried.loc["2025-01", "owner"] == "Công chức Tư pháp"
    assert carried.loc["2025-01", "status"] == "Đã hoàn thành" and not carried.loc["2025-01", "overdue"]
    assert carried.loc["2025-02", "overdue"]  # 31/03/2026 passed without it being done
    assert carried.loc["2025-01", "decision"] == first.proposals["opportunity"].iloc[0]
    # The earlier review's unfinished decision is still followed.
    assert "2024-02" in carried.index and "2024-01" not in carried.index


def test_text_from_the_records_is_escaped(review_pack):
    body = "".join(section_html(s) + "".join(table_html(t) for t in s.tables) for s in review_pack.sections)
    page = page_html(body, review_pack.title, review_pack.lang, footer_html(review_pack.inputs, review_pack.parameters, review_pack.version, review_pack.lang))
    assert SCRIPT not in page and "<b>xác nhận</b>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page  # the procedure and the feedback
    assert page.count("&lt;script&gt;") >= 3  # catalogue gap, by-procedure table, feedback table
    assert "&lt;b&gt;xác nhận&lt;/b&gt;" in page


@pytest.fixture(scope="module")
def sample_pack(small_district):
    """The sample review_district (small scale), reviewed for the commune the notebook opens by default."""
    return assemble_review(load_records(small_district), MARKUP_UNIT, 2025)


def test_sample_district_has_every_review_input(sample_pack):
    for section in sample_pack.sections:
        assert section.sentences and section.tables, section.key
    # The sample commune's 2025 official tracking book records no channel: the online share, the online
    # objective and the postal provider cannot be measured, and each says so; its satisfaction objective
    # was reported above what its surveys show. It reported no statistics form, and its book names no
    # officer: the analytics that compare officers say they could not (c3).
    assert [key for key, _ in sample_pack.warnings] == ["c2", "c2", "c3", "c3", "c3", "c5", "c7"]
    satisfaction, online = sample_pack.section("c2").warnings
    assert "đơn vị báo cáo 88,2 %, tính lại từ hồ sơ được 85,7 %" in satisfaction
    assert "không đo được" in online and "không ghi hình thức nộp" in online
    assert all("không ghi hình thức nộp" in w for key, w in sample_pack.warnings if key in ("c5", "c7"))
    statistics, *officers = sample_pack.section("c3").warnings
    assert "Không có biểu thống kê định kỳ" in statistics
    assert officers and all("không ghi công chức" in w for w in officers)
    assert "Năm 2024 tỷ lệ đúng hạn" in _text(sample_pack.section("c3"))
    assert "Năm 2024 tỷ lệ này" in _text(sample_pack.section("c1"))
    assert len(sample_pack.section("c6").tables[0].frame) == 1  # the 2025 internal audit
    assert set(sample_pack.inputs["file"]) >= {"units.xlsx", "procedures.xlsx", "calendar.csv",
                                               f"reviews/{MARKUP_UNIT}_quyet_dinh_2024.xlsx",
                                               f"findings/{MARKUP_UNIT}_findings.xlsx"}


def test_sample_feedback_markup_is_escaped(sample_pack):
    section = sample_pack.section("c1")
    page = page_html(section_html(section) + "".join(table_html(t) for t in section.tables), sample_pack.title,
                     sample_pack.lang, footer_html(sample_pack.inputs, sample_pack.parameters, sample_pack.version,
                                                   sample_pack.lang))
    assert "<b>công khai</b>" not in page and "&lt;b&gt;công khai&lt;/b&gt;" in page


def test_unknown_unit_is_an_error_naming_the_codes(review_district):
    from isoaudit.errors import RecordsError

    with pytest.raises(RecordsError) as error:
        assemble_review(load_records(review_district), "99999", 2025)
    assert "99999" in error.value.message("vi") and UNIT in error.value.message("vi")


@pytest.mark.parametrize("year", [2023, 2027])
def test_a_year_without_dossiers_is_warned_not_a_crash(review_district, year):
    quiet = assemble_review(load_records(review_district), UNIT, year)
    assert "c3" in [key for key, _ in quiet.warnings]
    assert quiet.figures["received"] == 0 and quiet.figures["on_time_rate"] is None


def test_a_first_year_has_no_trend_but_its_own_figures(review_district):
    first = assemble_review(load_records(review_district), UNIT, 2024)  # nothing in 2023 to compare with
    assert first.figures["received"] > 0 and 0 <= first.figures["on_time_rate"] <= 1
