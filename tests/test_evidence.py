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
from tests.builders import AS_OF, UNIT, YEAR, write_records


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
