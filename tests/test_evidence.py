"""Automatic audit evidence computed from a small commune records folder whose every figure is known."""
from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from isoaudit.checklist import evidence_keys
from isoaudit.evidence import (
    EVIDENCE_COLUMNS,
    audit_period,
    compute_evidence,
    evidence_for_items,
)
from isoaudit.records import load_records
from tests.builders import write_sheet

UNIT = "02266"
YEAR = 2025
AS_OF = dt.date(2025, 12, 31)


def write_records(folder, with_optional: bool = True):
    """A district folder: one commune (02266) with a year of dossiers, objectives, surveys, feedback, the
    previous review's decisions and a findings register; a second commune (02269) with nothing but its row.

    Figures at 31/12/2025: 5 dossiers returned in 2025, 2 of them late (D2 without apology, D3 with one);
    D4 overdue with no apology and an appointment beyond the legal 3 days; D6 asked for a supplement.
    """
    write_sheet(folder / "units.xlsx", ["unit_code", "unit_name", "level", "parent_code", "officers"], [
        ["070", "Huyện Yên Sơn", "Huyện", "08", 5],
        [UNIT, "Xã Thái Bình", "Xã", "070", 2],
        ["02269", "Xã Tân Long", "Xã", "070", None],
    ])
    write_sheet(folder / "procedures.xlsx",
                ["procedure_code", "procedure_name", "field", "level", "legal_days", "cutoff_time", "process_code",
                 "process_version", "effective_date"], [
                    ["1.001193", "Đăng ký khai sinh", "Hộ tịch", "Xã", 0, "15:00", "QT-HT-01", "02", "01/03/2024"],
                    ["1.004873", "Xác nhận tình trạng hôn nhân", "Hộ tịch", "Xã", 3, None, "QT-HT-02", None, None],
                    ["2.000815", "Chứng thực bản sao từ bản chính", "Chứng thực", "Xã", 0, "15:00", None, None, None],
                    ["1.000001", "Cấp giấy phép xây dựng", "Xây dựng", "Huyện", 15, None, "QT-XD-01", "01",
                     "01/01/2024"],
                ])
    (folder / "dossiers").mkdir()
    write_sheet(folder / "dossiers" / f"{UNIT}_2025.xlsx",
                ["dossier_id", "procedure_code", "received_at", "due_date", "returned_date", "channel",
                 "supplement_requested_at", "supplement_received_at", "apology_date"], [
                    ["D1", "1.001193", "06/01/2025 08:00", "06/01/2025", "06/01/2025 10:00", "Trực tiếp", None, None, None],
                    ["D2", "1.004873", "06/01/2025 09:00", "09/01/2025", "13/01/2025 10:00", "Trực tuyến", None, None, None],
                    ["D3", "1.004873", "06/01/2025 09:00", "09/01/2025", "14/01/2025 10:00", "Trực tiếp", None, None,
                     "08/01/2025"],
                    ["D4", "1.004873", "02/12/2025 09:00", "10/12/2025", None, "Trực tiếp", None, None, None],
                    ["D5", "2.000815", "10/03/2025 08:00", "10/03/2025", "10/03/2025 09:00", "Trực tiếp", None, None, None],
                    ["D6", "1.004873", "03/03/2025 08:00", "06/03/2025", "07/03/2025 09:00", "Trực tiếp",
                     "04/03/2025 10:00", "06/03/2025 08:00", None],
                    ["D7", "1.004873", "10/12/2024 08:00", "13/12/2024", "12/12/2024 08:00", "Trực tiếp", None, None, None],
                ])
    (folder / "objectives").mkdir()
    write_sheet(folder / "objectives" / f"{UNIT}_2025.xlsx",
                ["year", "objective_id", "objective", "target", "measure", "actual"], [
                    [2025, "MT1", "Giải quyết hồ sơ đúng hạn", "≥ 98 %", "on_time_rate", None],
                    [2025, "MT2", "Người dân hài lòng", "≥ 70 %", "satisfaction_rate", None],
                    [2025, "MT3", "Tập huấn nghiệp vụ cho công chức", "2 lớp", None, "2 lớp"],
                ])
    if not with_optional:
        return folder
    (folder / "surveys").mkdir()
    write_sheet(folder / "surveys" / f"{UNIT}_2025.xlsx", ["survey_date", "rating"], [
        ["05/02/2025", "Rất hài lòng"], ["06/02/2025", "Hài lòng"], ["07/02/2025", "Hài lòng"],
        ["08/02/2025", "Không hài lòng"], ["08/02/2024", "Không hài lòng"],
    ])
    (folder / "feedback").mkdir()
    write_sheet(folder / "feedback" / f"{UNIT}_2025.xlsx",
                ["feedback_id", "received_date", "content", "due_date", "handled_date"], [
                    ["F1", "03/03/2025", "Hỏi về lệ phí", "13/03/2025", "10/03/2025"],
                    ["F2", "03/04/2025", "Phản ánh chậm trả", "13/04/2025", "20/04/2025"],
                    ["F3", "01/11/2025", "Kiến nghị thêm ghế chờ", "15/11/2025", None],
                ])
    (folder / "reviews").mkdir()
    # The 2024 review's decision is done; one of the 2023 review is still in progress, overdue.
    write_sheet(folder / "reviews" / f"{UNIT}_quyet_dinh.xlsx",
                ["year", "decision_id", "decision", "owner", "deadline", "status"], [
                    [2024, "QD1", "Bổ sung quy trình chứng thực", "Văn phòng", "31/03/2025", "Hoàn thành"],
                    [2023, "QD2", "Lắp màn hình tra cứu", "Văn phòng", "30/06/2024", "Đang thực hiện"],
                ])
    (folder / "findings").mkdir()
    write_sheet(folder / "findings" / f"{UNIT}_findings.xlsx",
                ["Mã phát hiện", "Mã cuộc đánh giá", "Mã đơn vị", "Điều khoản", "Mức độ", "Mô tả",
                 "Ngày phát hiện", "Hành động khắc phục", "Thời hạn", "Tình trạng"], [
                    ["DG2024-8.5.1-01", "DG2024", UNIT, "8.5.1", "Không phù hợp nhẹ", "Hồ sơ trễ hạn",
                     "15/11/2024", "Rà soát sổ theo dõi hằng tuần", "31/03/2025", "Đang thực hiện"],
                    ["DG2024-7.5.3-01", "DG2024", UNIT, "7.5.3", "Không phù hợp nhẹ", "Tài liệu hết hiệu lực",
                     "15/11/2024", "Thu hồi tài liệu cũ", "31/03/2025", "Đã thực hiện"],
                    ["DG2025-8.5.1-01", "DG2025", UNIT, "8.5.1", "Không phù hợp nặng", "Lại trễ hạn",
                     "20/10/2025", "Phân công lại", "31/03/2026", "Mở"],
                ])
    return folder


@pytest.fixture
def evidence(tmp_path):
    records = load_records(write_records(tmp_path))
    return compute_evidence(records, YEAR, UNIT, as_of=AS_OF).set_index("key")


def test_one_row_per_key_in_vocabulary_order(evidence):
    assert evidence.index.tolist() == evidence_keys()["key"].tolist()
    assert list(evidence.reset_index().columns) == EVIDENCE_COLUMNS
    assert set(evidence["status"]) <= {"ok", "attention", "no_data"}
    assert evidence["text_vi"].notna().all() and evidence["text_en"].notna().all()


def test_dossier_evidence(evidence):
    assert evidence.at["on_time_rate", "value"] == pytest.approx(3 / 5)
    assert evidence.at["on_time_rate", "status"] == "attention"
    assert evidence.at["on_time_rate", "items"] == "D2; D3" or evidence.at["on_time_rate", "items"] == "D3; D2"
    assert "60,0 %" in evidence.at["on_time_rate", "text_vi"]
    assert "60.0 %" in evidence.at["on_time_rate", "text_en"]
    assert evidence.at["overdue_dossiers", "value"] == 1
    assert evidence.at["overdue_dossiers", "items"] == "D4"
    assert evidence.at["late_without_apology", "value"] == 2
    assert set(evidence.at["late_without_apology", "items"].split("; ")) == {"D2", "D4"}
    assert evidence.at["appointment_beyond_legal", "value"] == 1
    assert evidence.at["appointment_beyond_legal", "items"] == "D4"
    assert evidence.at["supplement_requests", "value"] == pytest.approx(1 / 6)
    # 6 dossiers received in 2025 over 2 officers and the working days of 2025.
    assert 0 < evidence.at["dossiers_per_officer", "value"] < 6 / 2 / 240


def test_objectives_and_processes(evidence):
    assert evidence.at["objectives_plan_exists", "value"] == 3
    assert evidence.at["objectives_plan_exists", "status"] == "ok"
    # MT1 measured 60 % against 98 %: missed; MT2 75 % against 70 %: met; MT3 "2 lớp" written by hand: met.
    assert evidence.at["objectives_measured", "value"] == 1.0
    assert evidence.at["objectives_measured", "status"] == "attention"
    assert evidence.at["objectives_measured", "items"] == "MT1"
    # Commune-level catalogue: 3 procedures, 2 with a process; the district's procedure is not counted.
    assert evidence.at["process_coverage", "value"] == pytest.approx(2 / 3)
    assert evidence.at["process_coverage", "items"] == "2.000815"
    assert evidence.at["process_versions_current", "value"] == pytest.approx(1 / 2)
    assert evidence.at["process_versions_current", "items"] == "QT-HT-02"


def test_findings_surveys_feedback_and_reviews(evidence):
    assert evidence.at["corrective_actions_overdue", "items"] == "DG2024-8.5.1-01"
    assert evidence.at["corrective_actions_unverified", "items"] == "DG2024-7.5.3-01"
    assert evidence.at["repeated_findings", "items"] == "DG2025-8.5.1-01"
    assert evidence.at["satisfaction_rate", "value"] == pytest.approx(3 / 4)
    assert evidence.at["satisfaction_rate", "status"] == "attention"  # one dissatisfied answer
    assert evidence.at["feedback_handling", "value"] == 2
    assert evidence.at["feedback_handling", "items"] == "F2; F3"
    assert evidence.at["previous_review_actions", "value"] == 1
    assert evidence.at["previous_review_actions", "status"] == "attention"  # QD2 overdue


def test_a_unit_without_records_says_no_data_for_every_key(tmp_path):
    records = load_records(write_records(tmp_path))
    evidence = compute_evidence(records, YEAR, "02269", as_of=AS_OF)
    assert (evidence["status"] == "no_data").sum() >= len(evidence) - 2  # catalogue keys still answer
    assert evidence.loc[evidence["key"] == "on_time_rate", "text_vi"].item().startswith("Không có số liệu: không có sổ theo dõi")


def test_missing_folders_and_an_earlier_year(tmp_path):
    records = load_records(write_records(tmp_path, with_optional=False))
    evidence = compute_evidence(records, YEAR, UNIT, as_of=AS_OF).set_index("key")
    for key in ("satisfaction_rate", "feedback_handling", "previous_review_actions", "repeated_findings"):
        assert evidence.at[key, "status"] == "no_data"
        assert pd.isna(evidence.at[key, "value"])
    earlier = compute_evidence(records, 2024, UNIT, as_of=AS_OF).set_index("key")
    assert earlier.at["objectives_plan_exists", "status"] == "attention"  # objectives exist, not for 2024
    assert earlier.at["on_time_rate", "value"] == 1.0  # D7, the only 2024 return, was early


def test_records_as_they_stood_at_the_end_of_the_period(tmp_path):
    records = load_records(write_records(tmp_path))
    # On 10/01/2025 D2 and D3 were not yet returned and were overdue since 09/01.
    early = compute_evidence(records, YEAR, UNIT, as_of=dt.date(2025, 1, 10)).set_index("key")
    assert early.at["overdue_dossiers", "value"] == 2
    assert early.at["on_time_rate", "value"] == 1.0  # only D1 returned by then
    assert audit_period(YEAR, "10/01/2025") == (pd.Timestamp(2025, 1, 1), pd.Timestamp(2025, 1, 10))


def test_evidence_for_items_joins_by_key(evidence):
    checklist = pd.DataFrame({"id": ["a", "b"], "evidence_key": pd.array(["on_time_rate", pd.NA], dtype="string")})
    joined = evidence_for_items(checklist, evidence.reset_index(), "en")
    assert joined.loc[0, "status"] == "attention" and "60.0 %" in joined.loc[0, "text"]
    assert pd.isna(joined.loc[1, "status"])
