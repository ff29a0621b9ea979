"""Dates read as one-stop software and people write them (day first), and dates that cannot be right reported
where they stand, in the user's own header: a receipt of 1900 sets its dossier aside, a procedure of 99,999,999
working days is refused."""
from __future__ import annotations

import datetime as dt
import unicodedata

import pandas as pd
import pytest

from isoaudit.i18n import has_message, message
from isoaudit.problems import ERROR, WARNING
from isoaudit.records import load_records, read_dossier_log
from isoaudit.records.convert import to_date, to_datetime
from isoaudit.records.plausibility import (
    ACTIONS,
    RULES,
    implausible,
    plausibility_rules,
)
from isoaudit.schema import KINDS
from tests.builders import excel_serial, write_sheet

MARCH_5 = dt.datetime(2025, 3, 5)
AT_0830 = dt.datetime(2025, 3, 5, 8, 30)


# ---- every form a date is written in ---------------------------------------------------------------------------
@pytest.mark.parametrize("cell, expected", [
    # what software exports
    (dt.datetime(2025, 3, 5, 8, 30), AT_0830),  # a real Excel date
    (excel_serial(AT_0830), AT_0830),  # an Excel serial number
    ("45721.3541666667", AT_0830),  # a serial number in a CSV
    ("05/03/2025", MARCH_5),
    ("5/3/2025", MARCH_5),
    ("5/3/2025 8:30", AT_0830),
    ("05/03/2025 08:30", AT_0830),
    ("05/03/2025 08:30:15", dt.datetime(2025, 3, 5, 8, 30, 15)),  # dd/MM/yyyy HH:mm:ss
    ("05-03-2025", MARCH_5),
    ("05.03.2025", MARCH_5),
    ("08:30, 05/03/2025", AT_0830),  # HH:mm, dd/mm/yyyy
    ("08:30 05/03/2025", AT_0830),  # HH:mm dd/mm/yyyy
    ("2025-03-05 08:30:00", AT_0830),
    # the national portal's exchange format: 14 digits, as text, an integer or a float
    ("20250305083000", AT_0830),
    (20250305083000, AT_0830),
    (20250305083000.0, AT_0830),
    # the receipt slip's own words, typed by hand
    ("8 giờ 30 phút, ngày 05/3/2025", AT_0830),
    ("8 giờ, ngày 05/3/2025", dt.datetime(2025, 3, 5, 8)),
    ("08h30 ngày 05/03/2025", AT_0830),
    ("ngày 05 tháng 3 năm 2025", MARCH_5),
    ("Ngày 5 tháng 03 năm 2025", MARCH_5),
    ("8 gio 30 phut, ngay 05/3/2025", AT_0830),  # without diacritics
    (unicodedata.normalize("NFD", "8 giờ 30 phút, ngày 05/3/2025"), AT_0830),  # NFD
    ("NGÀY 05 THÁNG 3 NĂM 2025", MARCH_5),
    ("  ngày   05  tháng 3 năm 2025 .", MARCH_5),  # extra spaces, a trailing full stop
    ("Ngày 5 tháng 03 năm 2025.", MARCH_5),
    ("Lúc 8 giờ 30 phút ngày 05/3/2025", AT_0830),
    ("05/03/2025\u00a008:30", AT_0830),  # a non-breaking space from a web page
])
def test_every_written_form_reads_day_first(cell, expected):
    series, bad = to_datetime([cell])
    assert not bad[0]
    assert series.iloc[0] == pd.Timestamp(expected)
    assert to_date([cell])[0].iloc[0] == pd.Timestamp(expected.date())


@pytest.mark.parametrize("cell", ["31/02/2025", "05/13/2025", "25:00 05/03/2025", "08:61, 05/03/2025",
                                  "không rõ", "8 giờ 30 phút", "ngày 05 tháng 3", "20251305083000", 20250230083000,
                                  "05/03/25"])
def test_what_is_still_unreadable_stays_an_unreadable_cell(cell):
    series, bad = to_datetime([cell])
    assert bad[0] and pd.isna(series.iloc[0])


def test_a_column_mixing_every_form_reads_each_cell():
    cells = [AT_0830, excel_serial(AT_0830), 20250305083000, "05/03/2025 08:30:00",
             "8 giờ 30 phút, ngày 05/3/2025", "", None, "   ", "không rõ"]
    series, bad = to_datetime(cells)
    assert series.tolist()[:5] == [pd.Timestamp(AT_0830)] * 5
    assert series.iloc[5:].isna().all()
    assert bad.tolist() == [False] * 8 + [True]  # empty cells are empty, not unreadable


def test_excel_serial_one_is_01_01_1900_as_excel_shows_it():
    assert to_date([1, 1.0, 61])[0].tolist() == [pd.Timestamp("1900-01-01")] * 2 + [pd.Timestamp("1900-03-01")]


def test_a_tracking_book_in_the_forms_people_write_reads_whole(tmp_path):
    path = write_sheet(tmp_path / "so_theo_doi.xlsx", ["Mã hồ sơ", "Mã TTHC", "Ngày tiếp nhận", "Ngày hẹn trả"], [
        ["A1", "1.001193", "8 giờ 30 phút, ngày 05/3/2025", "ngày 06 tháng 3 năm 2025"],
        ["A2", "1.001193", 20250305083000, "06/03/2025"],
        ["A3", "1.001193", "08:30, 05/03/2025", excel_serial(dt.datetime(2025, 3, 6))],
        ["A4", "1.001193", "05/03/2025 08:30:00", dt.datetime(2025, 3, 6)],
        ["A5", "1.001193", "31/02/2025", "06/03/2025"],
    ])
    problems = []
    frame = read_dossier_log(path, problems=problems)
    assert frame["received_at"].tolist()[:4] == [pd.Timestamp(AT_0830)] * 4
    assert frame["due_date"].tolist() == [pd.Timestamp("2025-03-06")] * 5
    assert [(p.code, p.row, p.column, p.value) for p in problems] == [
        ("unreadable_datetime", 6, "Ngày tiếp nhận", "31/02/2025")]


# ---- implausible dates: located warnings, never silent -------------------------------------------------------------
UNITS = [["02266", "Xã Thái Bình", "Xã"]]
PROCEDURES = [["1.001193", "Đăng ký khai sinh", 0], ["1.004873", "Xác nhận tình trạng hôn nhân", 3],
              ["9.000001", "Thủ tục gõ nhầm thời hạn", 99_999_999], ["9.000002", "Thủ tục thời hạn âm", -1],
              ["9.000003", "Thủ tục một năm", 365]]
LOG_HEADER = ["Mã hồ sơ", "Mã TTHC", "Ngày tiếp nhận", "Ngày hẹn trả", "Ngày trả kết quả"]


@pytest.fixture
def folder(tmp_path):
    write_sheet(tmp_path / "units.xlsx", ["Mã đơn vị", "Tên đơn vị", "Cấp"], UNITS)
    write_sheet(tmp_path / "procedures.xlsx", ["Mã TTHC", "Tên TTHC", "Thời hạn giải quyết"], PROCEDURES)
    (tmp_path / "dossiers").mkdir()
    write_sheet(tmp_path / "dossiers" / "02266_2025.xlsx", LOG_HEADER, [
        ["OK", "1.004873", "05/03/2025 08:30", "10/03/2025", "07/03/2025 10:00"],
        ["DAY1", "1.004873", 1, "10/03/2025", None],  # an empty cell formatted as a date: serial 1
        ["OLD", "1.004873", "05/03/1999 08:30", "10/03/1999", None],
        ["FUTURE", "1.004873", "05/03/2099 08:30", "10/03/2099", None],
        ["DUE1900", "1.004873", "05/03/2025 08:30", "01/01/1900", "07/03/2025 10:00"],
        ["RET2099", "1.004873", "05/03/2025 08:30", "10/03/2025", "07/03/2099 10:00"],
        ["TYPO", "9.000001", "05/03/2025 08:30", "10/03/2025", None],
        ["YEAR", "9.000003", "05/03/2025 08:30", "10/03/2025", None],
    ])
    (tmp_path / "feedback").mkdir()
    write_sheet(tmp_path / "feedback" / "02266_phan_anh.xlsx",
                ["feedback_id", "Ngày tiếp nhận", "content", "handled_date"], [
                    ["PA-1", "05/03/2025", "Chậm trả kết quả", "8 giờ, ngày 06/3/2025"],
                    ["PA-2", "05/03/1995", "Thái độ", None],
                ])
    return tmp_path


def located(records, codes) -> set:
    """(file, row, header, value, code, severity) of the problems of ``codes``; dates as dd/mm/yyyy."""
    def shown(value):
        return value.strftime("%d/%m/%Y") if isinstance(value, pd.Timestamp) else value
    return {(p.file, p.row, p.column, shown(p.value), p.code, p.severity) for p in records.problems
            if p.code in codes}


def test_implausible_dates_are_located_warnings_in_the_users_header(folder):
    records = load_records(folder)
    log = "dossiers/02266_2025.xlsx"
    assert located(records, {"received_excel_day_one", "received_too_early", "received_too_late",
                             "date_excel_day_one", "date_too_early", "date_too_late"}) == {
        (log, 3, "Ngày tiếp nhận", "01/01/1900", "received_excel_day_one", WARNING),
        (log, 4, "Ngày tiếp nhận", "05/03/1999", "received_too_early", WARNING),
        (log, 4, "Ngày hẹn trả", "10/03/1999", "date_too_early", WARNING),
        (log, 5, "Ngày tiếp nhận", "05/03/2099", "received_too_late", WARNING),
        (log, 5, "Ngày hẹn trả", "10/03/2099", "date_too_late", WARNING),
        (log, 6, "Ngày hẹn trả", "01/01/1900", "date_excel_day_one", WARNING),
        (log, 7, "Ngày trả kết quả", "07/03/2099", "date_too_late", WARNING),
        ("feedback/02266_phan_anh.xlsx", 3, "Ngày tiếp nhận", "05/03/1995", "date_too_early", WARNING),
    }
    # A dossier whose receipt cannot be right cannot be judged: set aside with its reason. The others are kept.
    excluded = records.excluded_dossiers.set_index("dossier_id")["reason"].to_dict()
    assert excluded == {"DAY1": "received_excel_day_one", "OLD": "received_too_early",
                        "FUTURE": "received_too_late"}
    assert {"DUE1900", "RET2099", "OK"} <= set(records.dossiers["dossier_id"])
    assert records.feedback["feedback_id"].tolist() == ["PA-1", "PA-2"]
    assert records.feedback["handled_date"].iloc[0] == pd.Timestamp("2025-03-06")


def test_a_plausibility_message_says_the_value_and_what_is_wrong(folder):
    problems = {p.code: p for p in load_records(folder).problems}
    assert problems["received_too_early"].message("vi") == (
        'Ngày nhận hồ sơ "05/03/1999 08:30" trước ngày 01/01/2000: không hợp lý; không đánh giá được hồ sơ, '
        'dòng này không được tính')
    assert "01/01/1900" in problems["date_excel_day_one"].message("en")
    assert "empty cell" in problems["date_excel_day_one"].message("en")
    late = problems["date_too_late"].message("en")
    assert "07/03/2099" in late and f"{dt.date.today().year + 1}" in late


def test_a_procedure_of_99_999_999_days_is_refused_out_loud(folder):
    records = load_records(folder)
    refused = located(records, {"legal_days_too_short", "legal_days_too_long"})
    assert refused == {("procedures.xlsx", 4, "Thời hạn giải quyết", 99_999_999, "legal_days_too_long", ERROR),
                       ("procedures.xlsx", 5, "Thời hạn giải quyết", -1, "legal_days_too_short", ERROR)}
    assert sorted(records.procedures["procedure_code"]) == ["1.001193", "1.004873", "9.000003"]  # 0 and 365 pass
    assert "99999999" in next(p for p in records.problems if p.code == "legal_days_too_long").message("vi")
    # Its dossiers still name a procedure of the catalogue (no 'not in the catalogue' for each one): they are
    # kept, and timeliness finds no procedure to judge them by.
    assert "TYPO" in set(records.dossiers["dossier_id"])
    assert not any(p.code == "unknown_procedure" for p in records.problems)


def test_implausible_officers_and_years_are_located_in_the_users_header(folder):
    write_sheet(folder / "units.xlsx", ["Mã đơn vị", "Tên đơn vị", "Cấp", "Số công chức một cửa"],
                [["02266", "Xã Thái Bình", "Xã", 0], ["02269", "Xã Tân Long", "Xã", 5000]])
    (folder / "objectives").mkdir()
    write_sheet(folder / "objectives" / "02266_muc_tieu.xlsx", ["Năm", "Mục tiêu", "Mức cần đạt"], [
        [2025, "Trả đúng hạn", "≥ 98%"], [20255, "Khảo sát hài lòng", "≥ 90%"], [25, "Không quá hạn", "0"]])
    records = load_records(folder)
    found = located(records, {"officers_too_few", "officers_too_many", "year_too_early", "year_too_late"})
    assert found == {
        ("units.xlsx", 2, "Số công chức một cửa", 0, "officers_too_few", WARNING),
        ("units.xlsx", 3, "Số công chức một cửa", 5000, "officers_too_many", WARNING),
        ("objectives/02266_muc_tieu.xlsx", 3, "Năm", 20255, "year_too_late", WARNING),
        ("objectives/02266_muc_tieu.xlsx", 4, "Năm", 25, "year_too_early", WARNING),
    }
    assert records.objectives["objective"].tolist() == ["Trả đúng hạn"]  # the mistyped years are set aside
    assert len(records.units) == 2  # a unit is never dropped for its officers
    officers = next(p for p in records.problems if p.code == "officers_too_few")
    assert officers.message("vi").startswith('Số cán bộ một cửa "0" nhỏ hơn 1: không hợp lý')


def test_the_reading_date_sets_the_upper_bound():
    frame = pd.DataFrame({"received_at": pd.to_datetime(["2026-06-01 17:00", "2026-06-02 08:00", None]),
                          "due_date": pd.to_datetime(["1900-01-01", "1999-12-31", "2000-01-01"])})
    failures = implausible(frame, "dossiers", read_on=dt.date(2025, 6, 1))
    found = {(f.column, f.code, f.action, f.bound, tuple(f.mask)) for f in failures}
    assert found == {
        ("received_at", "received_too_late", "exclude", "01/06/2026", (False, True, False)),
        # 01/01/1900 is reported once, as Excel's empty date, not again as before 2000.
        ("due_date", "date_excel_day_one", "flag", "01/01/1900", (True, False, False)),
        ("due_date", "date_too_early", "flag", "01/01/2000", (False, True, False)),
    }


# ---- the plausibility table ----------------------------------------------------------------------------------------
def test_every_rule_of_the_table_names_a_real_column_and_a_worded_message():
    rules = plausibility_rules()
    assert {r.kind for r in rules} >= {"dossiers", "feedback", "surveys", "objectives", "procedures"}
    # What a problem of the table fills in: its place, its value, the rule's bound (a missing one raises).
    given = dict.fromkeys(["file", "sheet", "column", "value", "bound", "excluded"], "x")
    for rule in rules:
        assert rule.column in {c.name for c in KINDS[rule.kind]}, rule
        assert rule.rule in RULES and rule.action in ACTIONS, rule
        assert has_message(rule.code), rule
        assert all(message(rule.code, lang, **given) for lang in ("vi", "en"))
    every_date = {(kind, c.name) for kind in ("dossiers", "feedback", "surveys", "objectives")
                  for c in KINDS[kind] if c.kind in ("date", "datetime")}
    assert every_date <= {(r.kind, r.column) for r in rules}

