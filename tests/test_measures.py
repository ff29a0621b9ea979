"""Every figure defined once (isoaudit.measures): its value, its scope, and missing data said to be missing."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from isoaudit.evidence import compute_evidence
from isoaudit.measures import MEASURES, UnitYear, procedures_for_level
from isoaudit.records import load_records
from isoaudit.review import assemble_review
from tests.builders import write_sheet
from tests.test_evidence import UNIT, write_records

REPOSITORY = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def records(commune_records):
    return commune_records


def test_dossier_figures_and_their_scope(records):
    """Received in 2025: D1-D6 (D7 is 2024's). Returned by 31/12: 5, of which D2 and D3 late; D4 overdue."""
    year = UnitYear(records, UNIT, 2025, as_of=dt.date(2025, 12, 31))
    on_time = year.figure("on_time_rate")
    assert (on_time.value, on_time.count, on_time.base, on_time.scope) == (0.6, 3, 5, "received_returned")
    assert set(on_time.items) == {"D2", "D3"}
    assert year.value("received_count") == 6 and year.value("overdue_count") == 1
    overdue = year.figure("overdue_count")
    assert overdue.items == ("D4",) and overdue.scope == "received"
    # D2 (late) and D4 (overdue) have no apology letter; D3 has one.
    assert set(year.figure("late_without_apology_count").items) == {"D2", "D4"}
    assert year.figure("online_rate").value == pytest.approx(1 / 6)
    assert year.figure("feedback_late_count").items == ("F2", "F3")  # replied late; unanswered past due
    assert year.previous().value("received_count") == 1  # D7, judged on the same day


def test_the_year_judged_alone_gives_the_rows_of_the_two_years_judged(sample_records):
    """A province's roll-up judges only the year's dossiers (``received_alone``): the same rows and verdicts as
    ``received``, cut from the two years judged for the comparisons; once those are judged, they are used."""
    whole = UnitYear(sample_records, None, 2025).received.reset_index(drop=True)
    year = UnitYear(sample_records, None, 2025)
    alone = year.received_alone()
    assert len(alone) > 1000 and not alone["received_at"].dt.year.ne(2025).any()
    pd.testing.assert_frame_equal(alone, whole)
    assert year.assessed is not None and year.received_alone() is year.received


def test_a_return_after_the_day_judged_has_not_happened_yet(records):
    """D2 was returned on 13/01/2025: judged on 10/01/2025 it is still open, and overdue (due 09/01)."""
    early = UnitYear(records, UNIT, 2025, as_of=dt.date(2025, 1, 10))
    assert "D2" in early.figure("overdue_count").items
    assert early.figure("on_time_rate").items == ()  # D1 returned on time, nothing returned late yet


def test_missing_data_is_missing_never_zero(tmp_path):
    folder = write_records(tmp_path, with_optional=False)
    # A tracking book without a channel column, as many official books are.
    write_sheet(folder / "dossiers" / f"{UNIT}_2025.xlsx", ["dossier_id", "procedure_code", "received_at", "due_date"],
                [["D1", "1.001193", "06/01/2025 08:00", "06/01/2025"]])
    year = UnitYear(load_records(folder), UNIT, 2025, as_of=dt.date(2025, 12, 31))
    for key, reason in [("online_rate", "no_channel"), ("postal_rate", "no_channel"), ("on_time_rate", "no_returns"),
                        ("satisfaction_rate", "no_surveys"), ("complaint_count", "no_feedback"),
                        ("corrective_actions_overdue_count", "no_findings"),
                        ("review_actions_done_rate", "no_decisions")]:
        figure = year.figure(key)
        assert (figure.value, figure.missing) == (None, reason), key
    assert year.value("received_count") == 1  # what the records do give is still given
    assert set(year.figures()) == set(MEASURES)


def test_a_ward_applies_the_communes_procedures_and_a_blank_level_applies_everywhere(records):
    procedures = records.procedures.assign(level=["commune", "ward", None, "district"])
    codes = procedures_for_level(procedures, "ward")["procedure_code"].tolist()
    assert codes == ["1.001193", "1.004873", "2.000815"]
    assert len(procedures_for_level(procedures, None)) == 4


def test_processes_older_than_the_procedures_latest_change_are_outdated(tmp_path):
    folder = write_records(tmp_path, with_optional=False)
    write_sheet(folder / "procedures.xlsx",
                ["procedure_code", "procedure_name", "level", "legal_days", "process_code", "process_version",
                 "effective_date", "changed_date"], [
                    ["1.001193", "Đăng ký khai sinh", "Xã", 0, "QT-01", "02", "01/03/2024", "15/06/2025"],
                    ["1.004873", "Xác nhận tình trạng hôn nhân", "Xã", 3, "QT-02", "03", "01/08/2025", "15/06/2025"],
                    ["2.000815", "Chứng thực bản sao", "Xã", 0, "QT-03", None, None, None],
                ])
    records = load_records(folder)
    year = UnitYear(records, UNIT, 2025, as_of=dt.date(2025, 12, 31))
    assert year.figure("outdated_process_count").items == ("QT-01",)
    evidence = compute_evidence(records, 2025, UNIT, as_of=dt.date(2025, 12, 31)).set_index("key")
    assert evidence.loc["process_versions_current", "status"] == "attention"
    assert evidence.loc["process_versions_current", "items"] == "QT-01; QT-03"  # outdated; no version
    assert evidence.loc["process_versions_current", "value"] == pytest.approx(1 / 3)


def test_the_audit_finds_the_samples_outdated_processes_as_the_review_does(sample_records):
    evidence = compute_evidence(sample_records, 2025, "08029", as_of=dt.date(2025, 12, 31)).set_index("key")
    audit_says = set(evidence.loc["process_versions_current", "items"].split("; "))
    pack = assemble_review(sample_records, "08029", 2025)
    review_says = set(next(t for t in pack.section("b").tables if t.key == "outdated_processes")
                      .frame["process_code"])
    assert len(review_says) == 5 and audit_says == review_says
    assert evidence.loc["process_versions_current", "status"] == "attention"


def test_audit_evidence_and_review_give_the_same_figures(sample_records):
    for unit in ("08011", "08029", "08035"):
        evidence = compute_evidence(sample_records, 2025, unit, as_of=dt.date(2025, 12, 31)).set_index("key")
        figures = assemble_review(sample_records, unit, 2025).figures
        assert evidence.loc["late_without_apology", "value"] == figures["late_without_apology"], unit
        assert evidence.loc["overdue_dossiers", "value"] == figures["overdue"], unit
        assert evidence.loc["on_time_rate", "value"] == pytest.approx(figures["on_time_rate"]), unit


def test_reported_results_against_the_records_are_offered_to_the_auditor(sample_records):
    """08011 reports more online dossiers (MT07) than its log shows: evidence for clause 9.1.3. The share is
    recomputed from the dossiers of Phường Thanh Lâm itself (received from 01/07/2025): those of the ward that
    held the code before the reform are another unit's."""
    evidence = compute_evidence(sample_records, 2025, "08011", as_of=dt.date(2025, 12, 31)).set_index("key")
    row = evidence.loc["reported_results_match"]
    assert row["status"] == "attention" and "MT07" in row["items"].split("; ")
    objectives = sample_records.objectives
    reported = objectives.loc[((objectives["unit_code"] == "08011") & (objectives["objective_id"] == "MT07"))
                              .fillna(False).to_numpy(bool), "actual"].iloc[0]
    dossiers = sample_records.dossiers
    mine = dossiers[(dossiers["unit_code"] == "08011").fillna(False).to_numpy(bool)
                    & (dossiers["received_at"].dt.year == 2025).fillna(False).to_numpy(bool)]
    assert mine["received_at"].min() >= pd.Timestamp(2025, 7, 1)
    online = f"{(mine['channel'] == 'online').mean() * 100:.1f}".replace(".", ",")
    assert f"MT07: {_percent(reported)} / {online} %" in row["text_vi"]


def _percent(value) -> str:
    """A reported result as the evidence words it: a fraction 0..1 or a typed '29,4 %'."""
    if isinstance(value, str):
        return value.strip()
    return f"{float(value) * 100:.1f}".replace(".", ",") + " %"
