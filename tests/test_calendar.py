"""The civil-service calendar, read like a calendar: Tết, the swapped days of 30/4-1/5 and Quốc khánh, the new
Ngày Văn hóa Việt Nam, a province's own days off from the user's file, Saturday-morning reception."""
from __future__ import annotations

import datetime as dt

import holidays
import numpy as np
import pandas as pd
import pytest

from isoaudit.calendar import WorkCalendar, national_decisions
from isoaudit.records.calendar_file import (
    find_calendar_file,
    read_calendar_file,
)

VN = WorkCalendar.vietnam()


def d(text: str) -> dt.date:
    return dt.datetime.strptime(text, "%d/%m/%Y").date()


# ---- national days off and swapped days --------------------------------------------------------------------
@pytest.mark.parametrize("year, last_before, first_off, last_off, first_after", [
    (2024, "07/02/2024", "08/02/2024", "14/02/2024", "15/02/2024"),  # Thu 29 Tết .. Wed mùng 5
    (2025, "24/01/2025", "27/01/2025", "31/01/2025", "03/02/2025"),  # civil servants off Sat 25/1 - Sun 2/2
    (2026, "13/02/2026", "16/02/2026", "20/02/2026", "23/02/2026"),  # off Sat 14/2 - Sun 22/2
])
def test_tet(year, last_before, first_off, last_off, first_after):
    off = pd.date_range(d(first_off), d(last_off))
    assert not VN.is_working_day(pd.Series(off)).any()
    assert VN.is_working_day(last_before) and VN.is_working_day(first_after)
    assert VN.add_working_days(last_before, 1) == d(first_after)
    assert VN.working_days_between(last_before, first_after) == 1


def test_reunification_and_labour_day_2024_off_monday_29_april_worked_saturday_4_may():
    assert not VN.is_working_day("29/04/2024")
    assert not VN.is_working_day("30/04/2024") and not VN.is_working_day("01/05/2024")
    assert VN.is_working_day("04/05/2024")  # a Saturday
    assert VN.add_working_days("26/04/2024", 1) == d("02/05/2024")
    assert VN.add_working_days("03/05/2024", 1) == d("04/05/2024")
    assert VN.add_working_days("03/05/2024", 2) == d("06/05/2024")
    assert VN.working_days_between("26/04/2024", "06/05/2024") == 4  # 2/5, 3/5, Sat 4/5, 6/5


def test_reunification_and_labour_day_2025_worked_saturday_26_april_off_friday_2_may():
    assert VN.is_working_day("26/04/2025")
    assert not VN.is_working_day("02/05/2025")
    assert VN.add_working_days("25/04/2025", 1) == d("26/04/2025")
    assert VN.add_working_days("29/04/2025", 1) == d("05/05/2025")  # 30/4, 1/5, 2/5 off, then the weekend
    assert VN.working_days_between("24/04/2025", "06/05/2025") == 6  # 25, 26, 28, 29/4, 5, 6/5


def test_national_day_2025_monday_and_tuesday():
    assert not VN.is_working_day("01/09/2025") and not VN.is_working_day("02/09/2025")
    assert VN.add_working_days("29/08/2025", 1) == d("03/09/2025")


def test_national_day_2026_off_monday_31_august_worked_saturday_22_august():
    assert VN.is_working_day("22/08/2026")
    for day in ("31/08/2026", "01/09/2026", "02/09/2026"):
        assert not VN.is_working_day(day)
    assert VN.add_working_days("21/08/2026", 1) == d("22/08/2026")
    assert VN.add_working_days("28/08/2026", 1) == d("03/09/2026")


def test_vietnamese_culture_day_24_november_from_2026_only():
    assert not VN.is_working_day("24/11/2026")  # a Tuesday
    assert VN.add_working_days("23/11/2026", 1) == d("25/11/2026")
    assert VN.is_working_day("24/11/2025")  # a Monday: not yet a holiday


def test_adding_zero_rolls_forward_and_negative_counts_back():
    assert VN.add_working_days("27/04/2024", 0) == d("02/05/2024")  # Saturday before the swapped Monday
    assert VN.add_working_days("02/05/2024", 0) == d("02/05/2024")
    assert VN.add_working_days("02/05/2024", -1) == d("26/04/2024")
    assert VN.add_working_days("05/05/2024", -1) == d("04/05/2024")  # Sunday back to the make-up Saturday
    assert VN.working_days_between("06/05/2024", "26/04/2024") == -4


def test_years_are_covered_lazily_far_from_today():
    assert not VN.is_working_day("02/09/2030")  # Quốc khánh on a Monday
    assert VN.add_working_days("31/12/2019", 1) == d("02/01/2020")
    assert not VN.is_working_day("03/09/2500")  # outside the years a calendar holds: treated as missing
    assert VN.add_working_days("03/09/2500", 1) is None


def test_agrees_with_counting_day_by_day():
    """The array forms against a plain day-by-day count over the holidays package's own data with the shipped
    national decisions on top."""
    calendar = VN.with_days_off(["15/05/2025", "17/05/2025"]).with_working_days(["10/05/2025", "01/05/2025"])
    table = holidays.country_holidays("VN", years=range(2022, 2029))
    decided = national_decisions()
    decided_off = {stamp.date() for stamp in decided.loc[decided["type"].eq("nghỉ"), "date"]}
    decided_work = {stamp.date() for stamp in decided.loc[decided["type"].eq("làm việc"), "date"]}
    work = (set(table.weekend_workdays) - decided_off) | decided_work | {dt.date(2025, 5, 10), dt.date(2025, 5, 1)}
    off = ((set(table) - decided_work) | decided_off | {dt.date(2025, 5, 15), dt.date(2025, 5, 17)}) \
        - {dt.date(2025, 5, 1)}

    def working(day):
        return day in work or (day.weekday() < 5 and day not in off)

    def add(day, n):
        step, left = (1 if n > 0 else -1), abs(n)
        while not working(day) and n == 0:
            day += dt.timedelta(1)
        while left:
            day += dt.timedelta(step)
            left -= working(day)
        return day

    rng = np.random.default_rng(7)
    days = pd.Series(pd.Timestamp("2023-06-01") + pd.to_timedelta(rng.integers(0, 1100, 1500), unit="D"))
    steps = pd.Series(rng.integers(-8, 40, 1500))
    ends = days + pd.to_timedelta(rng.integers(-40, 60, 1500), unit="D")
    added = calendar.add_working_days(days, steps)
    counted = calendar.working_days_between(days, ends)
    assert [a.date() for a in added] == [add(x.date(), int(n)) for x, n in zip(days, steps)]
    expected = [sum(working(a.date() + dt.timedelta(i)) for i in range(1, (b - a).days + 1)) if b >= a else
                -sum(working(b.date() + dt.timedelta(i)) for i in range(1, (a - b).days + 1))
                for a, b in zip(days, ends)]
    assert counted.tolist() == expected
    assert calendar.is_working_day(days).tolist() == [working(x.date()) for x in days]


# ---- vectorised forms ----------------------------------------------------------------------------------
def test_series_keep_their_index_and_missing_dates():
    days = pd.Series(pd.to_datetime(["26/04/2024", None, "03/05/2024"], dayfirst=True), index=[10, 20, 30])
    assert VN.add_working_days(days, 1).tolist()[::2] == [pd.Timestamp("2024-05-02"), pd.Timestamp("2024-05-04")]
    assert VN.add_working_days(days, 1).index.tolist() == [10, 20, 30]
    assert VN.add_working_days(days, 1).isna().tolist() == [False, True, False]
    assert VN.is_working_day(days).tolist() == [True, False, True]
    between = VN.working_days_between(days, pd.Timestamp("2024-05-06"))
    assert str(between.dtype) == "Int64" and between.isna().tolist() == [False, True, False]
    assert between.dropna().tolist() == [4, 2]  # Sat 4/5 and Mon 6/5 after Fri 3/5


def test_numpy_arrays_give_numpy_arrays():
    days = np.array(["2024-04-26", "2024-05-03"], dtype="datetime64[D]")
    assert VN.add_working_days(days, np.array([1, 1])).tolist() == [dt.date(2024, 5, 2), dt.date(2024, 5, 4)]
    assert VN.working_days_between(days, days + 3).tolist() == [0, 2]
    with pytest.raises(ValueError):
        VN.working_days_between(np.array(["NaT"], dtype="datetime64[D]"), days[:1])


def test_a_series_of_counts_from_one_day():
    counts = pd.Series([0, 1, 2, 3], index=list("abcd"))
    result = VN.add_working_days("02/05/2024", counts)
    assert result.index.tolist() == list("abcd")
    assert [x.date() for x in result] == [d("02/05/2024"), d("03/05/2024"), d("04/05/2024"), d("06/05/2024")]


# ---- the user's own decisions ------------------------------------------------------------------------------
def test_a_provincial_day_off_and_its_make_up_saturday():
    province = VN.with_days_off("18/08/2025").with_working_days("23/08/2025")
    assert not province.is_working_day("18/08/2025") and province.is_working_day("23/08/2025")
    assert province.add_working_days("15/08/2025", 1) == d("19/08/2025")
    assert province.add_working_days("22/08/2025", 1) == d("23/08/2025")
    assert VN.is_working_day("18/08/2025")  # the national calendar is left alone


def test_a_decision_for_one_unit_only():
    calendar = VN.with_days_off(["29/09/2025"], unit_code="08032")
    assert not calendar.for_unit("08032").is_working_day("29/09/2025")
    assert calendar.for_unit("08029").is_working_day("29/09/2025")
    assert calendar.is_working_day("29/09/2025")
    groups = calendar.unit_calendars(pd.Series(["08029", "08032", None, "08032"]))
    assert len(groups) == 1 and groups[0][1].tolist() == [False, True, False, True]


def test_decisions_table_later_row_wins():
    decisions = pd.DataFrame({
        "date": pd.to_datetime(["02/01/2026", "10/01/2026", "02/01/2026"], dayfirst=True),
        "kind": ["work", "work", "off"],
        "unit_code": pd.array([None, None, None], dtype="string"),
    })
    calendar = VN.with_decisions(decisions)
    assert not calendar.is_working_day("02/01/2026") and calendar.is_working_day("10/01/2026")


def test_saturday_reception():
    counter = VN.with_saturday_reception(["08011"])
    assert counter.for_unit("08011").is_reception_day("07/06/2025")
    assert not counter.for_unit("08011").is_working_day("07/06/2025")  # reception, not a working day
    assert not counter.for_unit("08014").is_reception_day("07/06/2025")
    assert not counter.for_unit("08011").is_reception_day("10/02/2024")  # Tết falls on that Saturday
    assert not counter.for_unit("08011").is_reception_day("08/06/2025")  # Sundays never


# ---- the calendar file -------------------------------------------------------------------------------------
CALENDAR_CSV = (
    "Ngày,Loại,Nội dung,Mã đơn vị\n"
    "18/08/2025,nghỉ,Nghỉ Lễ hội tỉnh (QĐ 1520/QĐ-UBND),\n"
    "23/8/2025,Làm việc,Làm bù cho ngày 18/08/2025,\n"
    "\n"
    "29/09/2025,NGHI,Tạm dừng tiếp nhận do bão,08032\n"
    "31/02/2025,nghỉ,Ngày không có thật,\n"
    "05/09/2025,đi chơi,Loại không rõ,\n"
    "03/01/2026,work,Làm bù Tết Dương lịch,\n"
    "03/01/2026,off,Đổi ý,\n"
)


def test_calendar_file_with_bom_vietnamese_headers_and_bad_rows(tmp_path):
    path = tmp_path / "calendar.csv"
    path.write_bytes(CALENDAR_CSV.encode("utf-8-sig"))
    decisions, problems = read_calendar_file(path)
    assert decisions["date"].dt.strftime("%d/%m/%Y").tolist() == [
        "18/08/2025", "23/08/2025", "29/09/2025", "03/01/2026", "03/01/2026"]
    assert decisions["kind"].tolist() == ["off", "work", "off", "work", "off"]
    assert decisions["unit_code"].isna().tolist() == [True, True, False, True, True]
    assert decisions["source_row"].tolist() == [2, 3, 5, 8, 9]
    found = {(p.code, p.row, p.column) for p in problems}
    assert found == {("calendar.bad_date", 6, "Ngày"), ("calendar.bad_kind", 7, "Loại"),
                     ("calendar.conflict", 9, "Loại")}
    bad_date = next(p for p in problems if p.code == "calendar.bad_date")
    assert "31/02/2025" in bad_date.message("vi") and "ngày/tháng/năm" in bad_date.message("vi")
    calendar = VN.with_decisions(decisions)
    assert not calendar.is_working_day("18/08/2025") and calendar.is_working_day("23/08/2025")
    assert not calendar.is_working_day("03/01/2026")  # the later row wins
    assert not calendar.for_unit("08032").is_working_day("29/09/2025")
    assert calendar.is_working_day("29/09/2025")


def test_calendar_file_english_headers_semicolons_no_bom(tmp_path):
    path = tmp_path / "lich_lam_viec.csv"
    path.write_text("date;type;description\n02/01/2026;off;Provincial day off\n", encoding="utf-8")
    assert find_calendar_file(tmp_path) == path
    decisions, problems = read_calendar_file(path)
    assert problems == [] and decisions["kind"].tolist() == ["off"]


def test_calendar_file_in_utf16_reads_undecodable_bytes_or_no_header_do_not(tmp_path):
    wide = tmp_path / "calendar.csv"
    wide.write_bytes("Ngày,Loại\n02/01/2026,nghỉ\n".encode("utf-16"))  # Excel's "Unicode text"
    decisions, problems = read_calendar_file(wide)
    assert problems == [] and decisions["kind"].tolist() == ["off"]
    garbled = tmp_path / "garbled.csv"
    garbled.write_bytes("Ngày,Loại\n02/01/2026,".encode() + b"\x81\x90\x9d\n")  # no code page defines these
    _, problems = read_calendar_file(garbled)
    assert problems and problems[0].severity == "error"
    headerless = tmp_path / "other.csv"
    headerless.write_text("02/01/2026,nghỉ\n", encoding="utf-8")
    frame, problems = read_calendar_file(headerless)
    assert frame.empty and [p.code for p in problems] == ["calendar.no_header"]
    assert "calendar" not in problems[0].message("vi")


def test_records_calendar_adds_the_folder_decisions_and_units_receiving_on_saturday(tmp_path):
    from types import SimpleNamespace

    from isoaudit.calendar import records_calendar

    (tmp_path / "calendar.csv").write_text("date,type\n18/08/2025,nghỉ\n", encoding="utf-8")
    units = pd.DataFrame({"unit_code": ["08011", "08014"], "saturday_reception": [True, False]})
    decisions, problems = read_calendar_file(find_calendar_file(tmp_path))
    calendar = records_calendar(SimpleNamespace(calendar_days=decisions, units=units))
    assert len(decisions) == 1 and problems == []
    assert not calendar.is_working_day("18/08/2025")
    assert calendar.for_unit("08011").is_reception_day("07/06/2025")
    assert not calendar.for_unit("08014").is_reception_day("07/06/2025")
