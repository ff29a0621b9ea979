"""Quality objectives: targets as auditors write them, results recomputed or typed, set against what the
agency reported, met or not."""
import csv
from importlib import resources

import pandas as pd
import pytest
from openpyxl import Workbook

from isoaudit.i18n import LANGS, label
from isoaudit.objectives import (
    COUNT,
    DAYS,
    MEASURES,
    NOTES,
    OBJECTIVE_RESULT_COLUMNS,
    PERCENT,
    evaluate_objectives,
    infer_measure,
    measure_key,
    measure_rules,
    parse_result,
    parse_target,
)
from isoaudit.records import read_objectives


@pytest.mark.parametrize("text, measure, op, value, unit", [
    ("≥ 98 %", None, ">=", 0.98, PERCENT),
    (">= 98%", None, ">=", 0.98, PERCENT),
    ("≥ 98 % hồ sơ giải quyết đúng hạn", None, ">=", 0.98, PERCENT),
    ("100 %", None, ">=", 1.0, PERCENT),
    ("97,5 %", None, ">=", 0.975, PERCENT),
    ("0", None, "<=", 0.0, COUNT),
    ("0", "late_without_apology_count", "<=", 0.0, COUNT),
    ("5", "complaint_count", "<=", 5.0, COUNT),  # the measure says fewer is better
    ("≤ 2 ngày", None, "<=", 2.0, DAYS),
    ("Không quá 2 ngày làm việc", None, "<=", 2.0, DAYS),
    ("2 ngày", None, "<=", 2.0, DAYS),
    ("tối thiểu 90% hài lòng", None, ">=", 0.90, PERCENT),
    ("Trên 95 %", None, ">", 0.95, PERCENT),
    ("Dưới 2 %", "late_rate", "<", 0.02, PERCENT),
    ("Không dưới 4 lần", None, ">=", 4.0, COUNT),
    ("4 lần/năm", None, ">=", 4.0, COUNT),
    ("98", "on_time_rate", ">=", 0.98, PERCENT),  # a bare number on a rate measure is a percentage
    ("98%", None, ">=", 0.98, PERCENT),
    ("tối thiểu 95%", "satisfaction_rate", ">=", 0.95, PERCENT),
    ("không quá 2 ngày", "mean_processing_days", "<=", 2.0, DAYS),
    ("tối đa 2 ngày làm việc", None, "<=", 2.0, DAYS),
    ("0 hồ sơ quá hạn", None, "<=", 0.0, COUNT),
    ("0 hồ sơ quá hạn", "overdue_count", "<=", 0.0, COUNT),
    ("0.98", "on_time_rate", ">=", 0.98, PERCENT),  # a cell formatted 98 % arrives as its fraction
    ("1", "on_time_rate", ">=", 1.0, PERCENT),  # ... and 100 % as 1
    ("0.98", None, ">=", 0.98, PERCENT),  # a fraction below 1 counts nothing: a percent cell
    ("tăng lên 30%", "online_rate", ">=", 0.30, PERCENT),  # a level to reach, not a change
    ("giảm xuống dưới 2%", "late_rate", "<", 0.02, PERCENT),
])
def test_targets_as_agencies_write_them(text, measure, op, value, unit):
    target = parse_target(text, measure)
    assert (target.op, target.unit) == (op, unit)
    assert target.value == pytest.approx(value)


def test_a_target_without_a_number_cannot_be_read():
    assert parse_target("Đạt yêu cầu") is None
    assert parse_target(pd.NA) is None
    assert parse_target("") is None


@pytest.mark.parametrize("text, measure", [
    ("98 %", "late_count"),  # a percentage for a count
    ("2 ngày", "on_time_rate"),  # days for a rate
    ("0 hồ sơ quá hạn", "on_time_rate"),  # dossiers for a rate
    ("150 %", "satisfaction_rate"),  # no rate exceeds 100 %
    ("0.98", "late_without_apology_count"),  # a percent cell on a count
    ("tăng 5", "online_rate"),  # a change that is not a percentage
])
def test_a_target_whose_unit_contradicts_its_measure_is_not_guessed(text, measure):
    assert parse_target(text, measure) is None


@pytest.mark.parametrize("text, measure, op, change, unit", [
    ("tăng 5%", "online_rate", ">=", 0.05, PERCENT),
    ("giảm 10%", "late_count", "<=", -0.10, COUNT),
    ("tăng ít nhất 5 %", "online_rate", ">=", 0.05, PERCENT),
    ("giảm 10 % so với năm trước", "mean_processing_days", "<=", -0.10, DAYS),
    ("increase by 5%", "satisfaction_rate", ">=", 0.05, PERCENT),
    ("reduce by 10%", "complaint_count", "<=", -0.10, COUNT),
    ("tăng không quá 5%", "complaint_count", "<=", 0.05, COUNT),  # a cap on the rise
])
def test_relative_targets_multiply_the_previous_year(text, measure, op, change, unit):
    target = parse_target(text, measure)
    assert target.relative and target.value is None
    assert (target.op, target.unit) == (op, unit)
    assert target.change == pytest.approx(change)
    assert target.against(None) is None
    assert target.against(0.40).value == pytest.approx(0.40 * (1 + change))


def test_an_online_rate_of_40_percent_that_must_rise_5_percent_must_reach_42():
    target = parse_target("tăng 5%", "online_rate").against(0.40)
    assert target.value == pytest.approx(0.42)
    assert target.met_by(0.42) and not target.met_by(0.415)
    assert parse_target("giảm 10%", "late_count").against(20).value == pytest.approx(18)


def test_a_percent_formatted_cell_is_read_as_the_percentage_it_shows(tmp_path):
    book = Workbook()
    sheet = book.active
    sheet.append(["Mã đơn vị", "Năm", "Mã mục tiêu", "Mục tiêu", "Chỉ tiêu", "Chỉ tiêu cần đạt", "Cách đo",
                  "Kết quả thực hiện"])
    sheet.append(["08011", 2025, "MT01", "Giải quyết hồ sơ đúng hạn", "Tỷ lệ đúng hạn", 0.98, "on_time_rate",
                  0.975])
    sheet.append(["08011", 2025, "MT02", "Giải quyết hồ sơ đúng hạn", "Tỷ lệ đúng hạn", 1, None, None])
    sheet.append(["08011", 2025, "MT03", "Tập huấn HTQLCL", "Tỷ lệ CBCC", 0.9, None, 0.92])
    for cell in ("F2", "F3", "F4"):
        sheet[cell].number_format = "0%"
    for cell in ("H2", "H4"):
        sheet[cell].number_format = "0.0%"
    path = tmp_path / "08011_muc_tieu_2025.xlsx"
    book.save(path)
    plan = read_objectives(path)
    assert plan["target"].tolist() == ["0.98", "1", "0.9"]  # the reader hands over the stored fraction

    result = evaluate_objectives(plan, {"on_time_rate": 0.985}).set_index("objective_id")
    assert result.loc["MT01", "target_value"] == pytest.approx(0.98)  # 98 %, not 0.98 %
    assert result.loc["MT01", "target_unit"] == PERCENT and result.loc["MT01", "met"] == True  # noqa: E712
    assert result.loc["MT01", "reported"] == pytest.approx(0.975)
    assert result.loc["MT02", "measure"] == "on_time_rate" and result.loc["MT02", "measure_inferred"]
    assert result.loc["MT02", "target_value"] == pytest.approx(1.0) and result.loc["MT02", "met"] == False  # noqa: E712
    assert result.loc["MT03", "result_source"] == "manual" and result.loc["MT03", "met"] == True  # noqa: E712
    assert result.loc["MT01", "source_file"] == "08011_muc_tieu_2025.xlsx" and result.loc["MT01", "source_row"] == 2


def test_met_at_the_boundary_despite_float_noise():
    target = parse_target("≥ 98 %")
    assert target.met_by(49 / 50)  # 0.98 computed as a fraction
    assert not target.met_by(0.9799)
    assert parse_target("0").met_by(0) and not parse_target("0").met_by(1)
    assert parse_target("Dưới 2 %").met_by(0.0199) and not parse_target("Dưới 2 %").met_by(0.02)


@pytest.mark.parametrize("text, unit, value, met", [
    ("98,5 %", PERCENT, 0.985, None),
    ("95", PERCENT, 0.95, None),  # a percentage typed without its sign
    ("0,97", PERCENT, 0.97, None),  # already a fraction
    ("34,2 %", PERCENT, 0.342, None),
    ("0.342", PERCENT, 0.342, None),  # a percent-formatted cell
    ("92 %", None, 0.92, None),  # a percentage is a fraction whatever the target says
    ("3", COUNT, 3.0, None),
    ("Đạt", PERCENT, None, True),
    ("Không đạt", PERCENT, None, False),
    ("chưa đạt", COUNT, None, False),
    ("", COUNT, None, None),
])
def test_results_typed_by_hand(text, unit, value, met):
    number, word = parse_result(text, unit)
    assert word is met
    assert (number is None and value is None) or number == pytest.approx(value)


def test_measure_keys_tolerate_case_spaces_and_older_names():
    assert measure_key("On time rate") == "on_time_rate"
    assert measure_key("late_without_apology") == "late_without_apology_count"
    assert measure_key("overdue_dossiers") == "overdue_count"
    assert measure_key("tỷ lệ tự nghĩ ra") == "tỷ lệ tự nghĩ ra"  # unknown: kept as written, reported later
    assert measure_key(pd.NA) is None


def _plan(rows):
    columns = ["unit_code", "year", "objective_id", "objective", "indicator", "target", "measure", "actual"]
    return pd.DataFrame([dict(zip(columns, r)) for r in rows], columns=columns).astype(
        {c: "string" for c in columns if c != "year"})


@pytest.mark.parametrize("objective, indicator, target, measure", [
    ("Tăng tỷ lệ hồ sơ nộp trực tuyến", "Tỷ lệ hồ sơ tiếp nhận trực tuyến", "≥ 30 %", "online_rate"),
    ("Xử lý phản ánh, kiến nghị của người dân đúng thời hạn", "Số phản ánh, kiến nghị quá hạn xử lý", "0",
     "feedback_late_count"),
    ("Xử lý phản ánh, kiến nghị của người dân đúng hạn", None, "0", "feedback_late_count"),
    ("Không có phản ánh quá hạn", None, "0", "feedback_late_count"),
    ("Xử lý phản ánh, kiến nghị của người dân đúng hạn", None, "≥ 95 %", "feedback_on_time_rate"),
    ("Giải quyết hồ sơ thủ tục hành chính đúng hạn", "Tỷ lệ hồ sơ giải quyết đúng hạn", "≥ 98 %", "on_time_rate"),
    ("Giải quyết hồ sơ thủ tục hành chính đúng hạn", None, "0.98", "on_time_rate"),  # a percent cell
    ("Giải quyết hồ sơ đúng hạn", None, "0 hồ sơ quá hạn", "overdue_count"),
    ("Nâng cao mức độ hài lòng của người dân, tổ chức", None, "≥ 90 %", "satisfaction_rate"),
    ("Hồ sơ trễ hạn đều có phiếu xin lỗi và hẹn lại ngày trả kết quả", None, "0", "late_without_apology_count"),
    ("Xây dựng, áp dụng quy trình nội bộ cho tất cả TTHC thuộc thẩm quyền", None, "100 %", "process_coverage"),
    ("Rút ngắn thời gian giải quyết hồ sơ", None, "giảm 10 % so với năm trước", "mean_processing_days"),
    ("Tỷ lệ hồ sơ trễ hạn", None, "dưới 2 %", "late_rate"),
    ("Không có hồ sơ trễ hạn", None, "0", "late_count"),
])
def test_the_measure_is_read_from_the_wording(objective, indicator, target, measure):
    assert infer_measure(objective, indicator, target) == measure


@pytest.mark.parametrize("objective, indicator, target", [
    ("Cán bộ, công chức được phổ biến, tập huấn về HTQLCL", "Tỷ lệ CBCC được tập huấn", "100 %"),
    ("Đào tạo quy trình nội bộ cho công chức mới", None, "100 %"),  # training, though it names processes
    ("Giải quyết hồ sơ đúng hạn", None, "0"),  # a count of what? not guessed
    ("Hồ sơ trễ hạn có phiếu xin lỗi", None, "100 %"),  # a share isoaudit does not compute
    ("Niêm yết công khai thủ tục hành chính", "Tỷ lệ TTHC được niêm yết", "100 %"),
    (pd.NA, pd.NA, pd.NA),
])
def test_wording_isoaudit_cannot_measure_names_no_measure(objective, indicator, target):
    assert infer_measure(objective, indicator, target) is None


def test_every_rule_names_a_known_measure_and_its_example_is_read_by_it():
    rules = measure_rules()
    text = resources.files("isoaudit.data").joinpath("objective_measures.csv").read_text(encoding="utf-8")
    rows = list(csv.DictReader(text.splitlines()))
    assert len(rules) == len(rows) > 10
    for rule, row in zip(rules, rows):
        assert rule.measure is None or rule.measure in MEASURES
        objective, _, target = row["example"].partition(": ")
        assert infer_measure(objective, None, target or None) == rule.measure, row["example"]


def test_each_objective_is_measured_or_read_and_judged():
    plan = _plan([
        ("26734", 2025, "MT01", "Giải quyết đúng hạn", "Tỷ lệ đúng hạn", "≥ 98 %", "on_time_rate", None),
        ("26734", 2025, "MT02", "Phiếu xin lỗi", "Số hồ sơ trễ không xin lỗi", "0", "late_without_apology", None),
        ("26734", 2025, "MT03", "Hài lòng", "Tỷ lệ hài lòng", "≥ 90 %", "satisfaction_rate", None),
        ("26734", 2025, "MT04", "Tập huấn", "Tỷ lệ CBCC tập huấn", "100 %", None, "100 %"),
        ("26734", 2025, "MT05", "Trực tuyến", "Tỷ lệ trực tuyến", "≥ 30 %", None, None),
        ("26734", 2025, "MT06", "Khác", "Chỉ số lạ", "≥ 1", "so_lieu_la", None),
        ("26734", 2025, "MT07", "Công khai", "Niêm yết", "Đầy đủ", None, "Đạt"),
        ("26734", 2025, "MT08", "Thời gian", "Bình quân", "≤ 2 ngày", "mean_processing_days", None),
    ])
    measured = {"on_time_rate": 0.975, "late_without_apology": 0,  # an older key name, as an alias
                "satisfaction_rate": None, "mean_processing_days": 1.6}
    result = evaluate_objectives(plan, measured).set_index("objective_id")
    assert result.loc["MT01", "met"] == False  # noqa: E712  97.5 % misses ≥ 98 %
    assert result.loc["MT01", "result_source"] == "computed"
    assert result.loc["MT02", "met"] == True  # noqa: E712
    assert pd.isna(result.loc["MT03", "met"]) and result.loc["MT03", "note"] == "no_data"
    assert result.loc["MT04", "met"] == True and result.loc["MT04", "result_source"] == "manual"  # noqa: E712
    # No measure written, but the wording names the online rate, which these records do not give.
    assert result.loc["MT05", "measure"] == "online_rate" and result.loc["MT05", "measure_inferred"]
    assert pd.isna(result.loc["MT05", "met"]) and result.loc["MT05", "note"] == "no_data"
    assert result.loc["MT06", "note"] == "unknown_measure" and pd.isna(result.loc["MT06", "met"])
    assert result.loc["MT07", "met"] == True and pd.isna(result.loc["MT07", "measured"])  # noqa: E712
    assert result.loc["MT08", "met"] == True and result.loc["MT08", "target_unit"] == DAYS  # noqa: E712
    assert str(result["met"].dtype) == "boolean" and str(result["measured"].dtype) == "Float64"


def test_no_objectives_gives_an_empty_table_with_the_columns():
    result = evaluate_objectives(_plan([]), {})
    assert result.empty and list(result.columns) == OBJECTIVE_RESULT_COLUMNS
    assert str(result["reported"].dtype) == "Float64" and str(result["discrepancy"].dtype) == "boolean"


def test_a_manual_objective_without_a_result_or_with_an_unreadable_one():
    plan = _plan([
        ("26734", 2025, "MT01", "Tập huấn HTQLCL", "Tỷ lệ CBCC tập huấn", "100 %", None, None),
        ("26734", 2025, "MT02", "Tập huấn HTQLCL", "Tỷ lệ CBCC tập huấn", "100 %", None, "đang tổng hợp"),
        ("26734", 2025, "MT03", "Tập huấn HTQLCL", "Số lớp", "Đủ số lớp", None, "4"),
    ])
    result = evaluate_objectives(plan, {}).set_index("objective_id")
    assert result["note"].tolist() == ["no_result", "result_unreadable", "target_unreadable"]
    assert result["met"].isna().all() and not result["measure_inferred"].any()


def test_the_recomputed_figure_is_judged_and_set_against_the_reported_one():
    plan = _plan([
        # The agency reports 97.1 % against 97.0 % recomputed: within the on-time tolerance (0.5 point).
        ("26734", 2025, "MT01", "Giải quyết đúng hạn", "Tỷ lệ đúng hạn", "≥ 97 %", "on_time_rate", "97,1 %"),
        # It reports satisfaction of 96.8 %; the surveys give 88.0 %: a discrepancy, and the objective missed.
        ("26734", 2025, "MT02", "Nâng cao sự hài lòng", "Tỷ lệ hài lòng", "≥ 90 %", None, "96,8 %"),
        # It reports no late reply; the register holds one (a count tolerates no difference).
        ("26734", 2025, "MT03", "Xử lý phản ánh, kiến nghị đúng thời hạn", "Số phản ánh quá hạn", "0", None, "0"),
        ("26734", 2025, "MT04", "Giải quyết đúng hạn", "Tỷ lệ đúng hạn", "≥ 97 %", "on_time_rate", None),
    ])
    measured = {"on_time_rate": 0.970, "satisfaction_rate": 0.880, "late_feedback": 1}  # an alias, too
    result = evaluate_objectives(plan, measured).set_index("objective_id")
    assert result["reported"].tolist()[:3] == pytest.approx([0.971, 0.968, 0.0])
    assert result["recomputed"].tolist() == pytest.approx([0.970, 0.880, 1.0, 0.970])
    assert result.loc["MT01", "discrepancy"] == False and result.loc["MT01", "met"] == True  # noqa: E712
    assert result.loc["MT02", "discrepancy"] == True and result.loc["MT02", "met"] == False  # noqa: E712
    assert result.loc["MT02", "measured"] == pytest.approx(0.880)  # judged on the records, not on 96.8 %
    assert result.loc["MT03", "measure"] == "feedback_late_count"
    assert result.loc["MT03", "discrepancy"] == True and result.loc["MT03", "met"] == False  # noqa: E712
    assert pd.isna(result.loc["MT04", "discrepancy"]) and pd.isna(result.loc["MT04", "reported"])
    assert set(result["result_source"]) == {"computed"} and result["note"].isna().all()


def test_a_difference_of_exactly_the_measure_s_tolerance_is_no_discrepancy():
    tolerance = MEASURES["online_rate"].tolerance  # a fraction, like the rate
    reported = [f"{(0.35 + tolerance) * 100:.2f} %", f"{(0.35 + tolerance) * 100 + 0.1:.2f} %"]
    plan = _plan([("26734", 2025, f"MT0{n}", "Trực tuyến", "Tỷ lệ", "≥ 30 %", "online_rate", text)
                  for n, text in enumerate(reported, start=1)])
    result = evaluate_objectives(plan, {"online_rate": 0.35})
    assert result["discrepancy"].tolist() == [False, True]


def test_no_channel_leaves_an_inferred_online_objective_unjudged_whatever_the_agency_reported():
    plan = _plan([("08023", 2025, "MT07", "Tăng tỷ lệ hồ sơ nộp trực tuyến", "Tỷ lệ hồ sơ tiếp nhận trực tuyến",
                   "≥ 30 %", None, "37,5 %")])
    row = evaluate_objectives(plan, {"online_rate": None}).iloc[0]
    assert row["measure"] == "online_rate" and row["measure_inferred"] == True  # noqa: E712
    assert row["reported"] == pytest.approx(0.375)
    assert pd.isna(row["recomputed"]) and pd.isna(row["measured"]) and pd.isna(row["discrepancy"])
    assert pd.isna(row["met"]) and row["note"] == "no_data" and row["result_source"] == "missing"


def test_relative_targets_are_judged_against_the_previous_year_or_not_at_all():
    plan = _plan([
        ("26734", 2025, "MT01", "Tăng tỷ lệ hồ sơ nộp trực tuyến", None, "tăng 5%", None, None),
        ("26734", 2025, "MT02", "Giảm số hồ sơ trễ hạn", None, "giảm 10 % so với năm trước", "late_count", None),
        ("26734", 2025, "MT03", "Hài lòng", None, "tăng ít nhất 5 %", "satisfaction_rate", None),
        ("26734", 2025, "MT04", "Tập huấn HTQLCL", None, "tăng 5%", None, "40 %"),  # no measure, no previous
    ])
    result = evaluate_objectives(plan, {"online_rate": 0.42, "late_count": 19, "satisfaction_rate": 0.9},
                                 previous={"online_rate": 0.40, "late_count": 20}).set_index("objective_id")
    assert result.loc["MT01", "target_value"] == pytest.approx(0.42) and result.loc["MT01", "met"] == True  # noqa: E712
    assert result.loc["MT01", "target_op"] == ">=" and result.loc["MT01", "measure_inferred"]
    assert result.loc["MT02", "target_value"] == pytest.approx(18) and result.loc["MT02", "target_op"] == "<="
    assert result.loc["MT02", "met"] == False  # noqa: E712  19 late dossiers, the ceiling is 18
    for missing in ("MT03", "MT04"):
        assert result.loc[missing, "note"] == "relative_no_previous"
        assert pd.isna(result.loc[missing, "met"]) and pd.isna(result.loc[missing, "target_value"])
    assert result.loc["MT03", "measured"] == pytest.approx(0.9)
    assert result.loc["MT04", "reported"] == pytest.approx(0.40)


def test_a_target_contradicting_its_measure_leaves_the_objective_unjudged():
    plan = _plan([
        ("26734", 2025, "MT01", "Phiếu xin lỗi", None, "98 %", "late_without_apology_count", None),
        ("26734", 2025, "MT02", "Giải quyết đúng hạn", None, "Đạt yêu cầu", "on_time_rate", "Đạt"),
    ])
    result = evaluate_objectives(plan, {"late_without_apology_count": 0, "on_time_rate": 0.99})
    assert result["note"].tolist() == ["target_unreadable", "target_unreadable"]
    assert result["met"].isna().all() and result["measured"].tolist() == pytest.approx([0, 0.99])


@pytest.mark.parametrize("lang", LANGS)
def test_every_note_is_worded_in_both_languages(lang):
    for code in NOTES:
        key = f"objectives.note.{code}"
        text = label(key, lang, objective="Trực tuyến", file="08023_muc_tieu_2025.xlsx", row=14, measure="x", target="càng cao càng tốt")
        assert not text.startswith(key) and "Trực tuyến" in text and "08023_muc_tieu_2025.xlsx" in text
    assert "càng cao càng tốt" in label("objectives.note.target_unreadable", lang, objective="x", file="f", row=1,
                                        measure="", target="càng cao càng tốt")
    text = label("objectives.discrepancy", lang, objective="Hài lòng", file="f.xlsx", row=11, reported="96,8 %",
                 recomputed="88,0 %")
    assert "96,8 %" in text and "88,0 %" in text
