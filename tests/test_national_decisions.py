"""National decisions as data: the shipped table laid over the holidays package (the New Year 2026 swap the
package misses), the user's calendar.csv over both, and the warning for a year whose Tết decision is not
recorded."""
from __future__ import annotations

import datetime as dt

import holidays
import pandas as pd

from isoaudit.calendar import (
    DECISION_COLUMNS,
    DECISION_TYPES,
    TET_OCCASION,
    WorkCalendar,
    national_decisions,
    tet_decision_years,
    years_without_tet_decision,
)
from isoaudit.problems import Problem
from isoaudit.records.calendar_file import empty_calendar, read_calendar_file, tet_problems
from isoaudit.records.load import load_records
from tests.builders import UNIT, write_records, write_sheet
from tests.test_timeliness import BIRTH, MARITAL, due, judged

VN = WorkCalendar.vietnam()


def d(text: str) -> dt.date:
    return dt.datetime.strptime(text, "%d/%m/%Y").date()


# ---- the New Year 2026 swap (Công văn 12729/VPCP-KGVX, 25/12/2025) --------------------------------------
def test_the_holidays_package_misses_the_new_year_2026_swap():
    package = holidays.country_holidays("VN", years=[2026])
    assert d("02/01/2026") not in package and d("10/01/2026") not in package.weekend_workdays


def test_new_year_2026_friday_2_january_off_saturday_10_january_worked():
    assert not VN.is_working_day("01/01/2026") and not VN.is_working_day("02/01/2026")
    assert VN.is_working_day("10/01/2026")  # a Saturday
    assert VN.add_working_days("31/12/2025", 1) == d("05/01/2026")
    assert VN.add_working_days("09/01/2026", 1) == d("10/01/2026")
    assert VN.working_days_between("31/12/2025", "12/01/2026") == 7  # 5-9/1, Sat 10/1, 12/1


def test_dossiers_received_on_new_years_eve_2025_are_due_across_the_swap():
    frame = judged(
        {"procedure_code": BIRTH, "received_at": "31/12/2025 10:00"},  # same day, in time
        {"procedure_code": BIRTH, "received_at": "31/12/2025 15:30"},  # after the cut-off: 1/1 and 2/1 off
        {"procedure_code": MARITAL, "received_at": "31/12/2025 09:00"},  # 3 days: 5, 6, 7/1
        {"procedure_code": MARITAL, "received_at": "08/01/2026 09:00"},  # 9/1, Sat 10/1 (worked), 12/1
    )
    assert due(frame) == ["31/12/2025", "05/01/2026", "07/01/2026", "12/01/2026"]


def test_tet_2026_saturday_14_february_to_sunday_22_february():
    off = pd.Series(pd.date_range("14/02/2026", "22/02/2026", freq="D"))
    assert not VN.is_working_day(off).any()
    assert not VN.with_saturday_reception().is_reception_day("14/02/2026")  # the counter is closed too
    assert VN.with_saturday_reception().is_reception_day("07/02/2026")


# ---- the user's calendar.csv over the national decisions -----------------------------------------------------
def test_the_users_calendar_file_overrides_a_national_decision(tmp_path):
    path = tmp_path / "calendar.csv"
    path.write_text("Ngày,Loại,Nội dung,Mã đơn vị\n"
                    "02/01/2026,làm việc,Tỉnh không áp dụng nghỉ bù,\n"
                    "10/01/2026,nghỉ,Không làm bù,\n"
                    "02/01/2026,nghỉ,Xã nghỉ theo Công văn 12729/VPCP-KGVX,26734\n", encoding="utf-8")
    decisions, problems = read_calendar_file(path)
    assert problems == []
    calendar = VN.with_decisions(decisions)
    assert calendar.is_working_day("02/01/2026") and not calendar.is_working_day("10/01/2026")
    assert not calendar.for_unit("26734").is_working_day("02/01/2026")  # the unit's own decision wins
    frame = judged({"procedure_code": MARITAL, "received_at": "31/12/2025 09:00", "unit_code": "26737"},
                   {"procedure_code": MARITAL, "received_at": "31/12/2025 09:00", "unit_code": "26734"},
                   calendar=calendar)
    assert due(frame) == ["06/01/2026",  # the province works 2/1: 2, 5, 6/1
                          "07/01/2026"]  # the commune keeps 2/1 off: 5, 6, 7/1


# ---- the shipped table ---------------------------------------------------------------------------------------
def test_every_row_of_the_table_parses_and_has_a_source():
    table = national_decisions()
    assert list(table.columns) == DECISION_COLUMNS and len(table) > 0
    assert table["date"].notna().all()
    assert table["type"].isin(list(DECISION_TYPES)).all()
    assert table["source"].str.strip().ne("").all()
    assert not table.duplicated(["date"]).any()
    swap = table[table["date"].isin(pd.to_datetime(["2026-01-02", "2026-01-10"]))]
    assert swap["decision"].eq("Công văn 12729/VPCP-KGVX").all() and swap["decision_date"].eq("25/12/2025").all()


def test_the_tables_days_are_the_calendars_days():
    table = national_decisions()
    working = VN.is_working_day(table["date"])
    assert working.tolist() == table["type"].map(DECISION_TYPES).tolist()


def test_years_with_a_recorded_tet_decision():
    table = national_decisions()
    assert tet_decision_years() == frozenset(table.loc[table["occasion"].eq(TET_OCCASION), "date"].dt.year)
    assert {2025, 2026} <= tet_decision_years()
    assert years_without_tet_decision([2025, 2026, 2031]) == [2031]
    assert years_without_tet_decision([min(tet_decision_years()) - 1]) == []  # before the table: the package's
    assert years_without_tet_decision([2031], ["26/01/2031"]) == []  # the user's own Tết line records it
    assert years_without_tet_decision([2031], ["18/08/2031"]) == [2031]  # a day far from Tết does not


# ---- the warning for a year with no recorded Tết decision ---------------------------------------------------
def _tet_warnings(problems: list[Problem]) -> list[Problem]:
    return [p for p in problems if p.code == "calendar.no_tet_decision"]


def test_tet_problems_name_each_uncovered_year_once():
    received = pd.Series(pd.to_datetime(["2025-03-01", "2031-05-02", "2031-06-01", None]))
    problems = tet_problems(empty_calendar(), received)
    assert [(p.value, p.severity, p.file) for p in problems] == [(2031, "warning", "calendar.csv")]
    assert "2031" in problems[0].message("vi") and "Tết" in problems[0].message("vi")
    assert "calendar.csv" in problems[0].message("en")


def test_a_dossier_received_late_in_the_year_reaches_the_next_years_tet():
    received = pd.Series(pd.to_datetime(["2030-12-20"]))
    assert [p.value for p in tet_problems(empty_calendar(), received)] == [2030, 2031]
    received = pd.Series(pd.to_datetime(["2030-11-02"]))  # 60 days: 1/1/2031, before Tết's window
    assert [p.value for p in tet_problems(empty_calendar(), received)] == [2030]


def test_a_folder_whose_dossiers_reach_a_year_without_a_tet_decision_is_warned(tmp_path):
    folder = tmp_path / "hs"
    folder.mkdir()
    write_records(folder, with_optional=False)  # dossiers of 12/2024 to 12/2025: Tết recorded or before the table
    assert _tet_warnings(load_records(folder).problems) == []

    # A dossier received in late November of the last recorded year runs into the next year's Tết.
    year = max(tet_decision_years()) + 1
    write_sheet(folder / "dossiers" / f"{UNIT}_{year - 1}.xlsx", ["dossier_id", "procedure_code", "received_at",
                                                                "due_date"],
                [["E1", "1.004873", f"20/11/{year - 1} 09:00", f"25/11/{year - 1}"]])
    warnings = _tet_warnings(load_records(folder).problems)
    assert [(p.value, p.file) for p in warnings] == [(year, "calendar.csv")]
    assert f"năm {year}" in warnings[0].message("vi")

    (folder / "calendar.csv").write_text("date,type,description,unit_code\n"
                                         f"05/02/{year},nghỉ,Nghỉ Tết theo quyết định,\n", encoding="utf-8")
    assert _tet_warnings(load_records(folder).problems) == []
