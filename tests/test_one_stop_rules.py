"""The one-stop rule sets and their dates (data/one_stop_rules.csv): a dossier is judged under the rules in force
on the day it was received, and the review and ``isoaudit timeliness`` say which set judged how many dossiers."""
from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from isoaudit.cli.timeliness import _rule_sets_line
from isoaudit.one_stop_rules import (
    RULES_FILE,
    RuleTableError,
    check_rule_sets,
    rule_set,
    rule_set_counts,
    rule_set_for,
    rule_sets,
)
from isoaudit.outputs.review_html import section_html
from isoaudit.records import read_dossier_log
from isoaudit.review import assemble_review
from tests.builders import write_sheet
from tests.test_dossier_states import RECEIVED
from tests.test_timeliness import judged


def _received(*texts) -> pd.Series:
    return pd.Series(pd.to_datetime(list(texts), format="%d/%m/%Y %H:%M"))


# ---- the table -----------------------------------------------------------------------------------------------
def test_periods_follow_each_other_without_overlap_and_cover_from_2018_on():
    sets = rule_sets()
    assert [s.code for s in sets] == ["nd61_2018", "nd118_2025"]
    first, *_, last = sets
    assert first.valid_from is None or first.valid_from <= dt.date(2018, 1, 1)
    assert last.valid_to is None  # still in force
    for before, after in zip(sets, sets[1:]):
        assert after.valid_from - before.valid_to == dt.timedelta(days=1)


def test_each_set_names_its_legal_texts_and_what_differs():
    old, new = rule_set("nd61_2018"), rule_set("nd118_2025")
    assert (old.decree, old.amended_by, old.forms_circular) == ("61/2018/NĐ-CP", "107/2021/NĐ-CP", "01/2018/TT-VPCP")
    assert old.valid_to == dt.date(2025, 6, 30) and not old.has_stopped_state
    assert (new.decree, new.decree_date, new.decree_issuer) == ("118/2025/NĐ-CP", dt.date(2025, 6, 9), "Chính phủ")
    assert (new.forms_circular, new.forms_circular_date) == ("03/2025/TT-VPCP", dt.date(2025, 9, 15))
    assert new.valid_from == dt.date(2025, 7, 1) and new.has_stopped_state
    assert "hẹn lại" in old.apology_form("vi") and "gia hạn" in new.apology_form("vi")
    assert "extend" in new.apology_form("en")


def _table(*rows: str) -> str:
    header = ("rule_set,valid_from,valid_to,decree,decree_date,decree_issuer,amended_by,amended_by_date,"
              "amended_by_issuer,forms_circular,forms_circular_date,forms_circular_issuer,name_vi,name_en,"
              "apology_form_vi,apology_form_en,stopped_state,note")
    return "\n".join([header, *rows])


OLD = "a,,30/06/2025,61/2018/NĐ-CP,,Chính phủ,,,,,,,A,A,P,P,no,"


@pytest.mark.parametrize("row, words", [
    ("b,31/13/2025,,118/2025/NĐ-CP,,Chính phủ,,,,,,,B,B,P,P,yes,", "line 3: valid_from '31/13/2025' is not a date"),
    ("b,01/07/2025,,118/2025/NĐ-CP,,Chính phủ,,,,,,,B,B,P,P,maybe,", "line 3: stopped_state 'maybe'"),
    ("b,01/07/2025,,,,Chính phủ,,,,,,,B,B,P,P,yes,", "line 3: decree not given"),
    ("b,01/07/2025,30/06/2025,118/2025/NĐ-CP,,Chính phủ,,,,,,,B,B,P,P,yes,", "line 3: valid_from 01/07/2025 is after"),
    ("b,30/06/2025,,118/2025/NĐ-CP,,Chính phủ,,,,,,,B,B,P,P,yes,", "overlap or leave a gap"),
    ("b,03/07/2025,,118/2025/NĐ-CP,,Chính phủ,,,,,,,B,B,P,P,yes,", "overlap or leave a gap"),
])
def test_a_bad_row_is_an_error_naming_the_file_and_the_row(row, words):
    with pytest.raises(RuleTableError) as caught:
        check_rule_sets(_table(OLD, row))
    assert RULES_FILE in str(caught.value) and words in str(caught.value)


# ---- which set judges a dossier ------------------------------------------------------------------------------
def test_the_day_of_receipt_chooses_the_set_and_the_hour_does_not():
    codes = rule_set_for(_received("30/06/2025 23:59", "01/07/2025 00:00", "21/06/2018 08:00", "31/12/2026 16:00"))
    assert codes.tolist() == ["nd61_2018", "nd118_2025", "nd61_2018", "nd118_2025"]


def test_a_dossier_without_a_receipt_date_has_no_set():
    received = pd.Series([pd.Timestamp("2025-07-01 09:00"), pd.NaT], index=[10, 11])
    codes = rule_set_for(received)
    assert codes.index.tolist() == [10, 11]
    assert codes.iloc[0] == "nd118_2025" and pd.isna(codes.iloc[1])


def test_the_counts_list_every_set_in_date_order():
    counts = rule_set_counts(pd.DataFrame({"received_at": _received("30/06/2025 23:59", "01/07/2025 00:00",
                                                                    "02/07/2025 10:00")}))
    assert counts[["rule_set", "period", "dossiers"]].values.tolist() == [["nd61_2018", "before", 1],
                                                                          ["nd118_2025", "from", 2]]


# ---- the stopped state ---------------------------------------------------------------------------------------
def test_a_stopped_dossier_is_set_aside_with_its_reason():
    frame = judged({**RECEIVED, "log_status": "stopped"}, {**RECEIVED, "log_status": "returned",
                                                          "returned_date": "20/06/2025"}, as_of="31/12/2025")
    assert frame["unassessable_reason"].tolist()[0] == "stopped"
    assert pd.isna(frame["status"].iloc[0]) and frame["status"].iloc[1] == "late"


def test_the_words_of_a_notice_of_stopping_read_as_stopped(tmp_path):
    words = ["Dừng giải quyết", "Dừng giải quyết hồ sơ", "Đã dừng giải quyết", "Thông báo dừng",
             "Đã thông báo dừng giải quyết"]
    path = write_sheet(tmp_path / "26734_ds.xlsx", ["Mã hồ sơ", "Tên TTHC", "Trạng thái", "Ngày nhận", "Ngày hẹn trả"],
                       [[f"HS{i}", "Khai sinh", word, "02/07/2025 09:00", "07/07/2025"]
                        for i, word in enumerate(words)])
    problems = []
    frame = read_dossier_log(path, mapping={"Trạng thái": "log_status"}, problems=problems)
    assert frame["log_status"].tolist() == ["stopped"] * len(words)
    assert not [p for p in problems if p.code == "unknown_dossier_state"]


# ---- what a user reads ---------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def spanning(sample_records):
    """A sample commune's 2025 review whose dossiers were received on both sides of 01/07/2025: one the reform
    kept as it was (a merged commune's own dossiers start on its first day)."""
    dossiers = sample_records.dossiers[(sample_records.dossiers["received_at"].dt.year == 2025).to_numpy(bool)]
    before = (dossiers["received_at"] < pd.Timestamp("2025-07-01")).groupby(dossiers["unit_code"]).agg(["sum", "size"])
    spanning = before[(before["sum"] > 0) & (before["sum"] < before["size"])]
    unit = str(spanning.index[0])
    count, size = int(spanning.loc[unit, "sum"]), int(spanning.loc[unit, "size"])
    return unit, assemble_review(sample_records, unit, 2025), count, size - count


def test_the_review_says_which_set_judged_which_dossiers(spanning):
    _, pack, before, after = spanning
    assert before and after
    html = section_html(pack.section("c3"))
    assert (f"Hồ sơ tiếp nhận trước 01/07/2025 ({before}) được đánh giá theo Nghị định 61/2018/NĐ-CP (sửa đổi "
            f"bởi Nghị định 107/2021/NĐ-CP); từ 01/07/2025 ({after}) theo Nghị định 118/2025/NĐ-CP.") in html


def test_the_review_in_english_says_it_too(sample_records, spanning):
    unit, _, before, after = spanning
    english = assemble_review(sample_records, unit, 2025, lang="en")
    assert (f"Dossiers received before 01/07/2025 ({before}) were judged under Decree 61/2018/NĐ-CP (as amended "
            f"by Decree 107/2021/NĐ-CP); from 01/07/2025 ({after}) under Decree 118/2025/NĐ-CP.") \
        in " ".join(english.section("c3").sentences)


def test_the_timeliness_command_prints_the_counts():
    dossiers = pd.DataFrame({"received_at": _received("30/06/2025 23:59", "01/07/2025 00:00", "02/07/2025 10:00")})
    assert _rule_sets_line(dossiers, "vi") == (
        "Quy định một cửa áp dụng theo ngày tiếp nhận: tiếp nhận trước 01/07/2025: 1 hồ sơ theo Nghị định "
        "61/2018/NĐ-CP (sửa đổi bởi Nghị định 107/2021/NĐ-CP); từ 01/07/2025: 2 hồ sơ theo Nghị định 118/2025/NĐ-CP.")
    only_new = _rule_sets_line(dossiers.iloc[1:], "en")
    assert only_new == ("One-stop rules applied by date of receipt: from 01/07/2025: 2 dossiers under "
                        "Decree 118/2025/NĐ-CP.")
    assert _rule_sets_line(pd.DataFrame({"received_at": pd.Series([pd.NaT])}), "vi") == ""


def test_the_review_names_the_apology_form_each_late_dossier_was_owed(commune_records):
    # D2 (received 06/01/2025) is late and D4 (02/12/2025) overdue, neither with an apology letter: one owed
    # the 61/2018 slip with a new appointment, the other the 118/2025 letter asking to extend the time.
    monitoring = " ".join(assemble_review(commune_records, "02266", 2025).section("c5").sentences)
    assert ("phiếu xin lỗi phải lập theo quy định áp dụng vào ngày tiếp nhận hồ sơ: Phiếu xin lỗi và hẹn lại ngày "
            "trả kết quả (Nghị định 61/2018/NĐ-CP (sửa đổi bởi Nghị định 107/2021/NĐ-CP)); Phiếu xin lỗi và đề "
            "nghị gia hạn thời gian giải quyết (mẫu 04) (Nghị định 118/2025/NĐ-CP).") in monitoring
