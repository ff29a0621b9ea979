"""The timeliness rules on dossiers a commune really receives: cut-off times on the eve of holidays, online
dossiers at weekends, supplements across a holiday, apology letters, a province's own day off, Saturday
reception; then the roll-ups and the workbook."""
from __future__ import annotations

import pandas as pd
import pytest
from openpyxl import load_workbook

from isoaudit import schema
from isoaudit.calendar import WorkCalendar
from isoaudit.outputs.timeliness_workbook import (
    timeliness_sheets,
    write_timeliness_workbook,
)
from isoaudit.records.calendar_file import read_calendar_file
from isoaudit.timeliness import ASSESSMENT_COLUMNS, assess
from isoaudit.timeliness_summary import (
    late_list,
    summarise,
    timeliness_tables,
    unassessable_list,
)

VN = WorkCalendar.vietnam()
PROCEDURES = pd.DataFrame({
    "procedure_code": ["1.001193", "2.000815", "1.004873", "1.001776", "1.004859", "1.999999"],
    "procedure_name": ["Đăng ký khai sinh", "Chứng thực bản sao từ bản chính", "Xác nhận tình trạng hôn nhân",
                       "Trợ cấp xã hội hằng tháng", "Cải chính hộ tịch", "Thủ tục chưa ghi thời hạn"],
    "field": ["Hộ tịch", "Chứng thực", "Hộ tịch", "Bảo trợ xã hội", "Hộ tịch", "Khác"],
    "legal_days": pd.array([0, 0, 3, 5, 5, None], dtype="Int64"),
    "cutoff_time": pd.array([None, "16:00", None, None, None, None], dtype="string"),
    "supplement_rule": pd.array([None, None, "pause", None, "restart", None], dtype="string"),
}).astype({"procedure_code": "string", "procedure_name": "string", "field": "string"})
BIRTH, COPY, MARITAL, ALLOWANCE, CORRECTION, NO_TIME = PROCEDURES["procedure_code"]


def dossiers(*rows: dict) -> pd.DataFrame:
    """Dossier frames with the canonical columns; dates typed dd/mm/yyyy [HH:MM]."""
    frame = pd.DataFrame([{"dossier_id": f"HS-{i}", "unit_code": "26734", **row} for i, row in enumerate(rows, 1)])
    for column in schema.columns("dossiers"):
        kind = schema.column("dossiers", column).kind if column not in schema.SOURCE_COLUMNS else "text"
        values = frame[column] if column in frame else pd.Series([None] * len(frame))
        if kind in ("date", "datetime"):
            frame[column] = pd.to_datetime(values, dayfirst=True, format="mixed").astype("datetime64[us]")
        else:
            frame[column] = values.astype("string")
    frame["source_row"] = pd.array(range(2, len(frame) + 2), dtype="Int64")
    return frame[schema.columns("dossiers")]


def judged(*rows: dict, calendar: WorkCalendar = VN, as_of: str = "31/12/2025") -> pd.DataFrame:
    return assess(dossiers(*rows), PROCEDURES, calendar, as_of=as_of)


def due(frame: pd.DataFrame) -> list[str]:
    return frame["legal_due_date"].dt.strftime("%d/%m/%Y").tolist()


# ---- receipt rules -------------------------------------------------------------------------------------
def test_same_day_cut_off_on_the_eve_of_national_day_2024():
    frame = judged(
        {"procedure_code": BIRTH, "received_at": "30/08/2024 14:59"},
        {"procedure_code": BIRTH, "received_at": "30/08/2024 15:00"},  # at the cut-off is still in time
        {"procedure_code": BIRTH, "received_at": "30/08/2024 15:01"},
        {"procedure_code": COPY, "received_at": "30/08/2024 15:30"},  # this procedure's cut-off is 16:00
        {"procedure_code": COPY, "received_at": "30/08/2024 16:10"},
    )
    assert due(frame) == ["30/08/2024", "30/08/2024", "04/09/2024", "30/08/2024", "04/09/2024"]


def test_same_day_after_cut_off_before_a_make_up_saturday_and_before_tet():
    frame = judged(
        {"procedure_code": BIRTH, "received_at": "25/04/2025 15:30"},  # next working day: Saturday 26/4
        {"procedure_code": BIRTH, "received_at": "24/01/2025 16:00"},  # last day before Tết 2025
        {"procedure_code": BIRTH, "received_at": "13/02/2026 15:45"},  # last day before Tết 2026
    )
    assert due(frame) == ["26/04/2025", "03/02/2025", "23/02/2026"]


def test_a_receipt_without_time_gets_the_benefit_of_the_doubt():
    frame = judged({"procedure_code": BIRTH, "received_at": "06/01/2025", "returned_date": "07/01/2025 09:00"})
    assert due(frame) == ["07/01/2025"] and frame["status"].tolist() == ["on_time"]


def test_multi_day_procedures_count_from_the_next_working_day_whatever_the_hour():
    frame = judged(
        {"procedure_code": MARITAL, "received_at": "30/08/2024 09:00"},
        {"procedure_code": MARITAL, "received_at": "30/08/2024 16:30"},
    )
    assert due(frame) == ["06/09/2024", "06/09/2024"]  # 4/9, 5/9, 6/9 after Quốc khánh


def test_online_dossier_on_a_day_off_counts_from_the_next_working_day():
    frame = judged(
        {"procedure_code": MARITAL, "received_at": "28/04/2024 21:00", "channel": "online"},  # Sunday
        {"procedure_code": BIRTH, "received_at": "29/04/2024 10:00", "channel": "online"},  # swapped Monday off
    )
    # Received as of Thu 2/5: counting 3/5, Sat 4/5 (worked), 6/5. The same-day one is due on 2/5 itself.
    assert due(frame) == ["06/05/2024", "02/05/2024"]


def test_saturday_morning_reception():
    calendar = VN.with_saturday_reception(["26734"])
    rows = [
        {"procedure_code": MARITAL, "received_at": "07/06/2025 09:00"},  # Saturday morning at the counter
        {"procedure_code": MARITAL, "received_at": "07/06/2025 14:00"},  # Saturday afternoon: online
        {"procedure_code": BIRTH, "received_at": "07/06/2025 09:00"},
        {"procedure_code": MARITAL, "received_at": "07/06/2025 09:00", "unit_code": "26737"},  # no reception
    ]
    frame = judged(*rows, calendar=calendar)
    assert due(frame) == ["11/06/2025", "12/06/2025", "09/06/2025", "12/06/2025"]


# ---- supplements -----------------------------------------------------------------------------------------
def test_pause_for_a_supplement_spanning_the_april_holidays():
    frame = judged({"procedure_code": ALLOWANCE, "received_at": "23/04/2024 09:00",
                    "supplement_requested_at": "25/04/2024 10:00", "supplement_received_at": "02/05/2024 08:30",
                    "returned_date": "06/05/2024 10:00"})
    # Without the supplement: 24, 25, 26/4, 2/5, 3/5. Waiting counts 26/4 and 2/5 (29/4-1/5 are off) back in:
    # Sat 4/5 and Mon 6/5.
    assert due(frame) == ["06/05/2024"]
    assert frame["supplement_days"].tolist() == [2]
    assert frame["status"].tolist() == ["on_time"]


def test_restart_after_a_supplement():
    frame = judged({"procedure_code": CORRECTION, "received_at": "23/04/2024 09:00",
                    "supplement_requested_at": "25/04/2024 10:00", "supplement_received_at": "02/05/2024 08:30",
                    "returned_date": "09/05/2024 10:00"})
    assert due(frame) == ["08/05/2024"]  # five working days from 3/5: 3, Sat 4, 6, 7, 8/5
    assert frame["status"].tolist() == ["late"] and frame["days_late"].tolist() == [1]


def test_supplement_received_on_a_weekend_and_one_still_awaited():
    frame = judged(
        {"procedure_code": MARITAL, "received_at": "02/06/2025 09:00",
         "supplement_requested_at": "03/06/2025", "supplement_received_at": "07/06/2025 10:00"},  # Saturday
        {"procedure_code": MARITAL, "received_at": "02/06/2025 09:00", "supplement_requested_at": "03/06/2025"},
        as_of="10/06/2025",
    )
    # Base due 5/6; waiting (3/6, 9/6] = 4, 5, 6, 9/6 adds four working days.
    assert due(frame)[0] == "11/06/2025"
    assert frame["status"].tolist() == ["in_progress", "in_progress"]
    assert frame["waiting_supplement"].tolist() == [False, True]


def test_a_supplement_requested_after_the_due_date_pauses_nothing():
    frame = judged({"procedure_code": MARITAL, "received_at": "02/06/2025 09:00",
                    "supplement_requested_at": "10/06/2025", "supplement_received_at": "12/06/2025",
                    "returned_date": "13/06/2025"})
    assert due(frame) == ["05/06/2025"] and frame["status"].tolist() == ["late"]
    assert frame["days_late"].tolist() == [6]


# ---- statuses and nonconformities ------------------------------------------------------------------------
def test_statuses_and_working_days_late():
    frame = judged(
        {"procedure_code": MARITAL, "received_at": "02/06/2025 09:00", "returned_date": "04/06/2025 10:00"},
        {"procedure_code": MARITAL, "received_at": "02/06/2025 09:00", "returned_date": "05/06/2025 16:00"},
        {"procedure_code": MARITAL, "received_at": "02/06/2025 09:00", "returned_date": "09/06/2025 08:00"},
        {"procedure_code": MARITAL, "received_at": "02/06/2025 09:00", "returned_date": "07/06/2025 08:00"},
        {"procedure_code": MARITAL, "received_at": "16/06/2025 09:00"},
        {"procedure_code": MARITAL, "received_at": "02/06/2025 09:00"},
        as_of="19/06/2025",
    )
    assert frame["status"].tolist() == ["early", "on_time", "late", "late", "in_progress", "overdue"]
    # Returned Saturday 7/6 after a Thursday due date is one day late; overdue: 6..19/6 = 10 working days.
    assert frame["days_late"].tolist() == [0, 0, 2, 1, 0, 10]


def test_appointment_beyond_the_legal_time_and_apology_letters():
    frame = judged(
        {"procedure_code": MARITAL, "received_at": "02/06/2025 09:00", "due_date": "06/06/2025",
         "returned_date": "05/06/2025"},
        {"procedure_code": MARITAL, "received_at": "02/06/2025 09:00", "due_date": "05/06/2025",
         "returned_date": "10/06/2025", "apology_date": "04/06/2025", "new_due_date": "10/06/2025"},
        {"procedure_code": MARITAL, "received_at": "02/06/2025 09:00", "due_date": "05/06/2025",
         "returned_date": "12/06/2025", "apology_date": "04/06/2025", "new_due_date": "10/06/2025"},
        {"procedure_code": MARITAL, "received_at": "02/06/2025 09:00", "due_date": "05/06/2025",
         "returned_date": "12/06/2025"},
    )
    assert frame["appointment_beyond_legal"].tolist() == [True, False, False, False]
    assert frame["status"].tolist() == ["on_time", "late", "late", "late"]  # the new date cures nothing
    assert frame["late_without_apology"].tolist() == [False, False, False, True]
    assert frame["late_against_new_appointment"].tolist() == [pd.NA, False, True, pd.NA]


def test_overdue_against_a_new_appointment_as_of_today():
    frame = judged({"procedure_code": MARITAL, "received_at": "02/06/2025 09:00", "apology_date": "04/06/2025",
                    "new_due_date": "12/06/2025"}, as_of="13/06/2025")
    assert frame["status"].tolist() == ["overdue"]
    assert frame["late_without_apology"].tolist() == [False]
    assert frame["late_against_new_appointment"].tolist() == [True]


def test_dossiers_that_cannot_be_judged_are_kept_with_a_reason():
    frame = judged(
        {"procedure_code": "9.999999", "received_at": "02/06/2025 09:00"},
        {"procedure_code": None, "procedure_name": "Thủ tục lạ", "received_at": "02/06/2025 09:00"},
        {"procedure_code": NO_TIME, "received_at": "02/06/2025 09:00"},
        {"procedure_code": MARITAL, "received_at": None},
        {"procedure_code": MARITAL, "received_at": "02/06/2025 09:00", "returned_date": "01/06/2025"},
        {"procedure_code": MARITAL, "received_at": "02/06/2025 09:00", "returned_date": "04/06/2025"},
    )
    assert frame["unassessable_reason"].tolist()[:5] == [
        "unknown_procedure", "unknown_procedure", "no_legal_days", "no_received_at", "returned_before_received"]
    assert frame["status"].isna().tolist() == [True] * 5 + [False]
    assert frame["legal_due_date"].isna().tolist() == [True] * 5 + [False]
    assert frame["late_without_apology"].isna().tolist() == [True] * 5 + [False]


def test_a_dossier_without_a_usable_receipt_is_not_judged_even_with_a_supplement_request():
    """No receipt (a request for a supplement all the same), or a receipt typed in another century: not judged,
    no traceback."""
    frame = judged(
        {"procedure_code": MARITAL, "received_at": None, "supplement_requested_at": "04/06/2025 09:00"},
        {"procedure_code": MARITAL, "received_at": "02/06/1850 09:00", "returned_date": "04/06/2025"},
        {"procedure_code": MARITAL, "received_at": "02/06/2025 09:00", "supplement_requested_at": "03/06/2025 09:00"},
    )
    assert frame["unassessable_reason"].tolist()[:2] == ["no_received_at", "no_received_at"]
    assert frame["status"].isna().tolist() == [True, True, False]
    assert frame["legal_due_date"].isna().tolist() == [True, True, False]


def test_output_keeps_every_dossier_column_row_and_index():
    source = dossiers({"procedure_code": MARITAL, "received_at": "02/06/2025 09:00", "applicant": "Lê Văn Tám"},
                      {"procedure_code": BIRTH, "received_at": "03/06/2025 09:00"})
    source.index = [7, 3]
    frame = assess(source, PROCEDURES, VN, as_of="31/12/2025")
    assert frame.index.tolist() == [7, 3]
    assert frame.columns.tolist() == list(source.columns) + ASSESSMENT_COLUMNS
    assert frame["applicant"].tolist()[0] == "Lê Văn Tám"
    assert frame["field"].astype("string").tolist() == ["Hộ tịch", "Hộ tịch"]
    assert assess(source.iloc[:0], PROCEDURES, VN, as_of="31/12/2025").empty


# ---- the user's calendar file and per-unit decisions -------------------------------------------------------
def test_a_provincial_day_off_from_the_users_file(tmp_path):
    path = tmp_path / "calendar.csv"
    path.write_text("Ngày,Loại,Nội dung,Mã đơn vị\n"
                    "18/08/2025,nghỉ,Nghỉ Lễ hội Văn hóa - Du lịch tỉnh,\n"
                    "23/08/2025,làm việc,Làm bù cho ngày 18/08/2025,\n"
                    "29/09/2025,nghỉ,Tạm dừng tiếp nhận do bão,26737\n", encoding="utf-8")
    decisions, problems = read_calendar_file(path)
    assert problems == []
    calendar = VN.with_decisions(decisions)
    frame = judged(
        {"procedure_code": MARITAL, "received_at": "14/08/2025 09:00"},  # 15/8, Tue 19/8 (Mon off), 20/8
        {"procedure_code": MARITAL, "received_at": "20/08/2025 09:00"},  # 21, 22, Sat 23/8 (made up)
        {"procedure_code": MARITAL, "received_at": "26/09/2025 09:00"},
        {"procedure_code": MARITAL, "received_at": "26/09/2025 09:00", "unit_code": "26737"},  # storm day off
        calendar=calendar,
    )
    assert due(frame) == ["20/08/2025", "23/08/2025", "01/10/2025", "02/10/2025"]


# ---- roll-ups and the workbook -----------------------------------------------------------------------------
@pytest.fixture
def district() -> pd.DataFrame:
    rows = []
    for unit, late_count in (("26734", 1), ("26737", 3)):
        for i in range(6):
            returned = "10/06/2025" if i < late_count else "04/06/2025"
            rows.append({"unit_code": unit, "procedure_code": MARITAL, "received_at": "02/06/2025 09:00",
                         "returned_date": returned, "applicant": f"Nguyễn Văn {i}",
                         "apology_date": "04/06/2025" if i == 0 else None})
    rows.append({"unit_code": "26737", "procedure_code": ALLOWANCE, "received_at": "01/07/2025 09:00"})
    rows.append({"unit_code": "26737", "procedure_code": "9.999999", "received_at": "01/07/2025 09:00"})
    return judged(*rows, as_of="31/07/2025")


def test_summaries_count_statuses_and_on_time_rate(district):
    overall = summarise(district).iloc[0]
    assert (overall["dossiers"], overall["late"], overall["overdue"], overall["unassessable"]) == (14, 4, 1, 1)
    assert overall["on_time_rate"] == pytest.approx(8 / 12)
    by_unit = summarise(district, "unit").set_index("unit_code")
    assert by_unit.loc["26734", "on_time_rate"] == pytest.approx(5 / 6)
    assert by_unit.loc["26737", ["late", "overdue", "late_without_apology"]].tolist() == [3, 1, 3]
    by_field = summarise(district, "field").set_index("field")
    assert by_field.loc["Bảo trợ xã hội", "overdue"] == 1
    by_month = summarise(district, "month")
    assert by_month["month"].tolist() == ["06/2025", "07/2025"]
    by_procedure = summarise(district, "procedure")
    assert by_procedure.columns[:3].tolist() == ["procedure_code", "procedure_name", "legal_days"]


def test_late_list_most_days_late_first_and_no_personal_data(district):
    late = late_list(district)
    assert len(late) == 5 and "applicant" not in late
    assert late["unit_code"].tolist() == ["26734", "26737", "26737", "26737", "26737"]
    assert late["days_late"].tolist()[1] == max(late["days_late"][late["unit_code"] == "26737"])
    assert unassessable_list(district)["unassessable_reason"].tolist() == ["unknown_procedure"]


def test_workbook_in_vietnamese_without_personal_data(district, tmp_path):
    path = tmp_path / "tien_do.xlsx"
    write_timeliness_workbook(path, timeliness_tables(district), "vi", ["Phạm vi: tất cả đơn vị"])
    book = load_workbook(path)
    assert book.sheetnames == ["Tổng hợp", "Theo đơn vị", "Theo thủ tục", "Theo lĩnh vực", "Theo tháng",
                               "Trễ hạn và quá hạn", "Không đánh giá được", "Chi tiết hồ sơ"]
    detail = [[cell for cell in row] for row in book["Chi tiết hồ sơ"].iter_rows(values_only=True)]
    header = detail[0]
    assert "Tình trạng" in header and "Họ tên" not in header
    assert all("Nguyễn Văn" not in str(cell) for row in detail for cell in row)
    statuses = {row[header.index("Tình trạng")] for row in detail[1:]}
    assert statuses == {"Trước hạn", "Trễ hạn", "Quá hạn, chưa trả kết quả", None}
    summary = list(book["Tổng hợp"].iter_rows(values_only=True))
    assert summary[0][0].startswith("ĐÁNH GIÁ TIẾN ĐỘ") and summary[1][0] == "Phạm vi: tất cả đơn vị"
    english = timeliness_sheets(timeliness_tables(district), "en")
    assert list(english)[0] == "Summary"


def test_summaries_of_no_dossiers_have_every_column():
    from isoaudit.timeliness_summary import COUNT_COLUMNS, GROUPINGS, summarise

    empty = assess(pd.DataFrame({c: pd.Series([], dtype=t) for c, t in (
        ("dossier_id", "string"), ("unit_code", "string"), ("procedure_code", "string"),
        ("received_at", "datetime64[us]"), ("due_date", "datetime64[us]"), ("returned_date", "datetime64[us]"))}),
        pd.DataFrame({"procedure_code": pd.Series([], dtype="string"), "procedure_name": pd.Series([], dtype="string"),
                      "legal_days": pd.Series([], dtype="Int64")}), WorkCalendar.vietnam(), as_of="31/12/2025")
    for by in GROUPINGS:
        table = summarise(empty, by)
        assert table.empty and set(COUNT_COLUMNS) <= set(table.columns) and GROUPINGS[by][0] in table
