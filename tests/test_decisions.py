"""The decisions workbook of a management review: written for the chair, read back the next year, never replaced."""
import pandas as pd
from openpyxl import load_workbook

from isoaudit.decisions import (
    carried_decisions,
    decision_status_counts,
    decisions_file_name,
)
from isoaudit.records.readers import read_record_file
from isoaudit.workbooks.decisions_workbook import (
    decisions_path,
    write_decisions_template,
)

PROPOSALS = pd.DataFrame({
    "opportunity": ["Cải tiến giải quyết TTHC \"Đăng ký khai sinh\": tỷ lệ đúng hạn 80,0 %",
                    "=HYPERLINK(\"http://x\")",  # text from the records must not become a formula
                    "Bổ sung công chức Bộ phận Một cửa"],
    "category": ["improvement", "improvement", "resources"],
})


def test_file_name_starts_with_the_unit_code_and_goes_to_the_reviews_folder(tmp_path):
    assert decisions_file_name("26734", 2025) == "26734_quyet_dinh_2025.xlsx"
    assert decisions_path(tmp_path, "26734", 2025) == (tmp_path / "reviews" / "26734_quyet_dinh_2025.xlsx").resolve()
    (tmp_path / "Xem_xet").mkdir()  # an existing folder under a Vietnamese name is used as it is
    assert decisions_path(tmp_path, "26734", 2025).parent.name == "Xem_xet"
    assert decisions_file_name("../x", 2025) == "_x_quyet_dinh_2025.xlsx"


def test_template_reads_back_as_decisions_in_both_languages(tmp_path):
    for lang in ("vi", "en"):
        path = tmp_path / lang / "26734_quyet_dinh_2025.xlsx"
        path.parent.mkdir()
        assert write_decisions_template(path, "26734", "Xã Tân Phú", 2025, PROPOSALS, lang=lang)
        problems = []
        frame = read_record_file(path, "decisions", problems=problems)
        assert problems == []
        assert frame["decision_id"].tolist() == ["2025-01", "2025-02", "2025-03"]
        assert frame["unit_code"].tolist() == ["26734"] * 3
        assert frame["year"].tolist() == [2025] * 3
        assert frame["category"].tolist() == ["improvement", "improvement", "resources"]
        assert frame["status"].tolist() == ["open"] * 3
        assert frame["owner"].isna().all() and frame["deadline"].isna().all()
    cell = load_workbook(tmp_path / "vi" / "26734_quyet_dinh_2025.xlsx").active
    texts = [c.value for row in cell.iter_rows() for c in row if isinstance(c.value, str)]
    assert "'=HYPERLINK(\"http://x\")" in texts


def test_an_existing_file_is_never_replaced(tmp_path):
    path = tmp_path / "26734_quyet_dinh_2025.xlsx"
    path.write_bytes(b"filled by the chair")
    assert not write_decisions_template(path, "26734", "Xã Tân Phú", 2025, PROPOSALS)
    assert path.read_bytes() == b"filled by the chair"


def test_template_without_proposals_has_the_header_only(tmp_path):
    path = tmp_path / "26734_quyet_dinh_2025.xlsx"
    write_decisions_template(path, "26734", "Xã Tân Phú", 2025, None)
    problems = []
    assert read_record_file(path, "decisions", problems=problems).empty
    assert problems == []


def _decisions(rows):
    frame = pd.DataFrame(rows, columns=["unit_code", "year", "decision_id", "decision", "deadline", "status"])
    frame["year"] = frame["year"].astype("Int64")
    frame["deadline"] = pd.to_datetime(frame["deadline"], dayfirst=True)
    for column in ("unit_code", "decision_id", "decision", "status"):
        frame[column] = frame[column].astype("string")
    return frame


def test_carried_decisions_are_the_previous_review_and_older_unfinished_ones():
    decisions = _decisions([
        ("26734", 2023, "2023-01", "Cũ, xong", "30/06/2024", "done"),
        ("26734", 2023, "2023-02", "Cũ, còn dở", "30/06/2024", "in_progress"),
        ("26734", 2024, "2024-01", "Xong", "30/06/2025", "done"),
        ("26734", 2024, "2024-02", "Quá hạn", "30/06/2025", "open"),
        ("26734", 2024, "2024-03", "Chưa đến hạn", "31/03/2026", "in_progress"),
        ("26734", 2024, "2024-04", "Chưa cập nhật", "30/09/2025", None),
        ("26734", 2025, "2025-01", "Của chính lần xem xét này", "30/06/2026", "open"),
    ])
    carried = carried_decisions(decisions, 2025, pd.Timestamp(2025, 12, 31))
    assert carried["decision_id"].tolist() == ["2023-02", "2024-01", "2024-02", "2024-03", "2024-04"]
    assert carried.set_index("decision_id")["overdue"].to_dict() == {
        "2023-02": True, "2024-01": False, "2024-02": True, "2024-03": False, "2024-04": True}
    counts = decision_status_counts(carried)
    assert counts == {"done": 1, "in_progress": 2, "open": 1, "cancelled": 0, "unknown": 1, "overdue": 3, "total": 5}


def test_load_records_keeps_every_decision_of_one_review(tmp_path):
    """A review takes several decisions in one year: (unit, year, decision id) identifies one, not the year."""
    from isoaudit.records import load_records
    from tests.builders import write_sheet

    write_sheet(tmp_path / "units.xlsx", ["Mã đơn vị", "Tên đơn vị", "Cấp"], [["26734", "Xã Tân Phú", "Xã"]])
    write_decisions_template(decisions_path(tmp_path, "26734", 2025), "26734", "Xã Tân Phú", 2025, PROPOSALS)
    records = load_records(tmp_path)
    assert records.decisions["decision_id"].tolist() == ["2025-01", "2025-02", "2025-03"]
    assert not [p for p in records.problems if p.file.endswith("26734_quyet_dinh_2025.xlsx")]


def test_a_decision_added_without_its_year_takes_the_year_of_the_file(tmp_path):
    path = tmp_path / "26734_quyet_dinh_2025.xlsx"
    write_decisions_template(path, "26734", "Xã Tân Phú", 2025, PROPOSALS)
    book = load_workbook(path)
    sheet = book.active
    header = next(r for r in sheet.iter_rows() if any(c.value == "Mã quyết định" for c in r))
    columns = {c.value: c.column for c in header}
    last = sheet.max_row + 1
    sheet.cell(last, columns["Mã quyết định"], "2025-04")
    sheet.cell(last, columns["Nội dung quyết định"], "Bổ sung máy lấy số thứ tự")  # no unit, no year typed
    book.save(path)
    problems = []
    frame = read_record_file(path, "decisions", problems=problems)
    assert problems == []
    assert frame.set_index("decision_id").loc["2025-04", "year"] == 2025
