"""The one-stop software's own status of each dossier (``log_status``), counted as data/dossier_states.csv says:
a withdrawn, refused or stopped dossier is neither on time nor late; every other state is judged from the
dates, and a status contradicting the return date is flagged."""
from __future__ import annotations

import csv
import datetime as dt

import pandas as pd
import pytest

from isoaudit import timeliness
from isoaudit.i18n import has_label, label
from isoaudit.measures import UnitYear
from isoaudit.records import load_records, read_dossier_log
from isoaudit.records.vocabulary import known_words
from isoaudit.timeliness import DATA_REASONS, dossier_states, reasons
from isoaudit.timeliness_summary import summarise, unassessable_list
from tests.builders import write_sheet
from tests.test_timeliness import MARITAL, PROCEDURES, VN, dossiers, judged

SET_ASIDE = [s.code for s in dossier_states() if s.counted_as == "set_aside"]
JUDGED = [s.code for s in dossier_states() if s.counted_as != "set_aside"]
# Received Monday 02/06/2025 09:00 for a 3-working-day procedure: legally due Thursday 05/06/2025.
RECEIVED = {"procedure_code": MARITAL, "received_at": "02/06/2025 09:00"}


# ---- the table ---------------------------------------------------------------------------------------------
def test_the_table_covers_every_status_word_and_the_reasons_follow_it():
    assert sorted(s.code for s in dossier_states()) == known_words("dossier_state")
    assert set(SET_ASIDE) == {"withdrawn", "refused", "stopped"}
    assert reasons() == DATA_REASONS + tuple(SET_ASIDE) == timeliness.REASONS
    assert list(timeliness.REASON_DTYPE.categories) == list(reasons())
    for code in reasons():
        assert label(f"timeliness.reason.{code}", "vi") and label(f"timeliness.reason.{code}", "en")
    for state in dossier_states():
        assert state.note_vi and state.note_en, state.code


def test_a_bad_counted_as_is_refused_naming_the_line(monkeypatch, tmp_path):
    (tmp_path / "dossier_states.csv").write_text("code,counted_as,note_vi,note_en,source\nx,late,a,b,\n",
                                                 encoding="utf-8")
    monkeypatch.setattr(timeliness.resources, "files", lambda package: tmp_path)
    timeliness.dossier_states.cache_clear()
    try:
        with pytest.raises(ValueError, match="line 2"):
            timeliness.dossier_states()
    finally:
        timeliness.dossier_states.cache_clear()


def test_the_vietnamese_words_of_the_software_map_to_the_codes(tmp_path):
    words = {"Mới đăng ký": "received", "Đang xử lý": "in_progress", "Yêu cầu bổ sung giấy tờ": "supplement_requested",
             "Chờ bổ sung": "supplement_requested", "Quá hạn": "overdue", "Đã xử lý xong": "handled",
             "Đã trả kết quả": "returned", "DỪNG XỬ LÝ": "stopped", "Rút hồ sơ": "withdrawn", "Từ chối": "refused"}
    path = write_sheet(tmp_path / "26734_ds.xlsx", ["Mã hồ sơ", "Tên TTHC", "Trạng thái", "Ngày nhận", "Ngày hẹn trả"],
                       [[f"HS{i}", "Khai sinh", word, "02/06/2025 09:00", "02/06/2025"]
                        for i, word in enumerate([*words, "Đang treo"])])
    problems = []
    frame = read_dossier_log(path, mapping={"Trạng thái": "log_status"}, problems=problems)
    assert frame["log_status"].tolist() == [*words.values(), pd.NA]
    unknown = [p for p in problems if p.code == "unknown_dossier_state"]
    assert [(p.row, p.value) for p in unknown] == [(12, "Đang treo")]
    assert "Đang treo" in unknown[0].message("vi") and "judged from its dates" in unknown[0].message("en")


# ---- each state counted as the table says --------------------------------------------------------------------
@pytest.mark.parametrize("code", SET_ASIDE)
def test_a_set_aside_dossier_past_its_due_date_is_neither_overdue_nor_late(code):
    frame = judged({**RECEIVED, "log_status": code},  # never returned: by the dates overdue on 31/12
                   {**RECEIVED, "log_status": code, "returned_date": "20/06/2025"},  # returned late by the dates
                   as_of="31/12/2025")
    assert frame["status"].isna().all()
    assert frame["unassessable_reason"].tolist() == [code, code]
    assert frame["days_late"].isna().all() and frame["late_without_apology"].isna().all()
    assert not frame["log_finished_without_return"].any() and not frame["log_open_with_return"].any()


@pytest.mark.parametrize("code", JUDGED)
def test_every_other_state_is_judged_from_the_dates(code):
    rows = ({**RECEIVED, "returned_date": "04/06/2025"}, {**RECEIVED, "returned_date": "10/06/2025"}, RECEIVED)
    with_status = judged(*({**row, "log_status": code} for row in rows))
    without = judged(*rows)
    assert with_status["status"].tolist() == without["status"].tolist() == ["early", "late", "overdue"]
    assert with_status["unassessable_reason"].isna().all()


def test_a_data_reason_wins_over_the_state():
    frame = judged({"procedure_code": "9.999999", "received_at": "02/06/2025 09:00", "log_status": "withdrawn"})
    assert frame["unassessable_reason"].tolist() == ["unknown_procedure"]


def test_a_status_contradicting_the_return_date_is_flagged():
    frame = judged(
        {**RECEIVED, "log_status": "returned"},  # returned, says the software; no return date
        {**RECEIVED, "log_status": "handled"},
        {**RECEIVED, "log_status": "in_progress", "returned_date": "04/06/2025"},  # open, yet returned
        {**RECEIVED, "log_status": "supplement_requested", "returned_date": "04/06/2025"},
        {**RECEIVED, "log_status": "returned", "returned_date": "04/06/2025"},  # consistent
        {**RECEIVED, "log_status": "in_progress"},
        {**RECEIVED, "log_status": "overdue", "returned_date": "10/06/2025"},  # says nothing either way
        {**RECEIVED, "returned_date": "04/06/2025"},  # no status: nothing to compare
    )
    finished = frame["log_finished_without_return"].tolist()
    opened = frame["log_open_with_return"].tolist()
    assert finished == [True, True, False, False, False, False, False, pd.NA]
    assert opened == [False, False, True, True, False, False, False, pd.NA]
    # The dates still judge: the contradiction does not change the status.
    assert frame["status"].tolist() == ["overdue", "overdue", "early", "early", "early", "overdue", "late", "early"]


def test_a_log_without_a_status_column_is_judged_as_before():
    frame = dossiers({**RECEIVED, "returned_date": "04/06/2025"}).drop(columns=["log_status"])
    result = timeliness.assess(frame, PROCEDURES, VN, as_of="31/12/2025")
    assert result["status"].tolist() == ["early"] and result["unassessable_reason"].isna().all()
    assert result["log_open_with_return"].isna().all() and result["log_finished_without_return"].isna().all()


# ---- the roll-ups -----------------------------------------------------------------------------------------------
def test_the_summary_counts_set_aside_dossiers_apart_and_leaves_them_out_of_the_rate():
    frame = judged({**RECEIVED, "returned_date": "04/06/2025", "log_status": "returned"},
                   {**RECEIVED, "returned_date": "10/06/2025", "log_status": "returned"},
                   {**RECEIVED, "returned_date": "20/06/2025", "log_status": "withdrawn"},
                   {**RECEIVED, "log_status": "refused"},
                   {**RECEIVED, "log_status": "stopped"},
                   {**RECEIVED, "log_status": "handled"})  # overdue, and no return date for a handled dossier
    overall = summarise(frame).iloc[0]
    assert (overall["dossiers"], overall["early"], overall["late"], overall["overdue"]) == (6, 1, 1, 1)
    assert (overall["unassessable"], overall["set_aside"], overall["returned"]) == (3, 3, 2)
    assert overall["on_time_rate"] == 0.5 and overall["late_without_apology"] == 2
    assert overall["log_status_conflicts"] == 1
    assert unassessable_list(frame)["unassessable_reason"].tolist() == ["withdrawn", "refused", "stopped"]
    assert has_label("timeliness.col.set_aside") and has_label("timeliness.col.log_status_conflicts")


# ---- the measures of a unit's year ------------------------------------------------------------------------------
def test_the_on_time_rate_of_a_units_year_leaves_set_aside_dossiers_out(tmp_path):
    """Six dossiers of 3 working days received in June 2025: two returned on time, one late; one withdrawn and
    one refused long past their due dates, never returned; one stopped after it was returned late."""
    write_sheet(tmp_path / "units.xlsx", ["unit_code", "unit_name", "level"], [["26734", "Xã Tân Phú", "Xã"]])
    write_sheet(tmp_path / "procedures.xlsx", ["procedure_code", "procedure_name", "legal_days"],
                [[MARITAL, "Xác nhận tình trạng hôn nhân", 3]])
    # The software's status column: the folder's own alias table names it (the bundled one may not yet).
    with (tmp_path / "column_aliases.csv").open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows([["kind", "column", "alias"], ["dossiers", "log_status", "Trạng thái"]])
    (tmp_path / "dossiers").mkdir()
    received, due = "02/06/2025 09:00", "05/06/2025"
    write_sheet(tmp_path / "dossiers" / "26734_2025.xlsx",
                ["Mã hồ sơ", "Mã TTHC", "Ngày nhận", "Ngày hẹn trả", "Ngày trả kết quả", "Trạng thái"], [
                    ["HS1", MARITAL, received, due, "04/06/2025 10:00", "Đã trả kết quả"],
                    ["HS2", MARITAL, received, due, "05/06/2025 10:00", "Đã trả kết quả"],
                    ["HS3", MARITAL, received, due, "12/06/2025 10:00", "Đã trả kết quả"],
                    ["HS4", MARITAL, received, due, None, "Rút hồ sơ"],
                    ["HS5", MARITAL, received, due, None, "Từ chối"],
                    ["HS6", MARITAL, received, due, "20/06/2025 10:00", "Dừng xử lý"],
                ])
    records = load_records(tmp_path)
    assert records.dossiers["log_status"].tolist() == ["returned"] * 3 + ["withdrawn", "refused", "stopped"]
    year = UnitYear(records, "26734", 2025, as_of=dt.date(2025, 12, 31))
    on_time = year.figure("on_time_rate")
    assert (on_time.count, on_time.base, on_time.items) == (2, 3, ("HS3",))
    assert on_time.value == pytest.approx(2 / 3)
    assert year.value("received_count") == 6
    assert year.value("overdue_count") == 0 and year.value("late_count") == 1
    assert year.figure("late_without_apology_count").items == ("HS3",)
