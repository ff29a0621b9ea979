"""From a flag to a finding without leaving the audit form (#18 item 6): each reason the log analytics
flagged dossiers for is a question of the unit's audit, its evidence the flagged dossiers and why; answered
with a grade it is a finding of the register, answered "conforms" it is dismissed; the answer is kept."""
from __future__ import annotations

import pytest

from isoaudit.analytics.candidates import candidate_id
from isoaudit.analytics.run import run_analytics
from isoaudit.measures import UnitYear
from isoaudit.notebook import open_audit, render_report

UNIT = "08029"  # the sample commune whose log the back-fill test flags


@pytest.fixture(scope="module")
def flagged(sample_records):
    results = [r for r in run_analytics(UnitYear(sample_records, UNIT, 2025)) if r.available and len(r.flagged)]
    assert results, "the sample plants patterns the analytics must find in this commune"
    return {candidate_id(r.test, reason): (r, rows) for r in results
            for reason, rows in r.flagged.groupby("reason", sort=False)}


def test_each_flag_reason_is_a_question_with_its_dossiers_as_evidence(sample_records, flagged, tmp_path):
    form = open_audit(sample_records, UNIT, audit_dir=tmp_path)
    questions = form.checklist.set_index("id")
    evidence = form.item_evidence().set_index("id")
    for item, (result, rows) in flagged.items():
        assert questions.loc[item, "clause"] == result.clause
        assert f"{len(rows)} hồ sơ được đánh dấu" in questions.loc[item, "question"]
        assert evidence.loc[item, "status"] == "attention"
        assert evidence.loc[item, "items"].split("; ") == list(rows["dossier_id"])
        assert all(dossier in evidence.loc[item, "text"] for dossier in rows["dossier_id"].head(50))


def test_accepted_is_a_finding_dismissed_is_not_and_both_are_kept(sample_records, flagged, tmp_path):
    accepted, *rest = flagged
    form = open_audit(sample_records, UNIT, audit_dir=tmp_path)
    form.answer(accepted, result="minor", evidence="Đã mở phiếu kiểm soát quá trình của các hồ sơ")
    if rest:
        form.answer(rest[0], result="conforms", notes="Kết quả được chuyển về cùng ngày")
    assert form.save()
    findings = form.findings()
    mine = findings[findings["finding_id"].str.endswith(accepted).fillna(False)]
    assert len(mine) == 1 and mine.iloc[0]["grade"] == "minor" and mine.iloc[0]["clause"] == flagged[accepted][0].clause
    assert flagged[accepted][1]["dossier_id"].iloc[0] in mine.iloc[0]["evidence"]
    if rest:
        assert not findings["finding_id"].str.endswith(rest[0]).fillna(False).any()
    reopened = open_audit(sample_records, UNIT, audit_dir=tmp_path).record.answers.set_index("id")
    assert reopened.loc[accepted, "result"] == "minor"
    assert "Phân tích sổ theo dõi hồ sơ" in render_report(open_audit(sample_records, UNIT, audit_dir=tmp_path))


def test_flagged_dossiers_are_the_samples_key_items_with_why(sample_records, flagged):
    from isoaudit.analytics.run import flagged_dossiers
    from isoaudit.calendar import records_calendar
    from isoaudit.cli.sample import with_flag_reasons
    from isoaudit.sampling.selection import FrameDescription, SamplePlan, select_sample
    from isoaudit.timeliness import assess

    mine = sample_records.dossiers[(sample_records.dossiers["unit_code"] == UNIT).to_numpy(bool)]
    assessed = assess(mine.reset_index(drop=True), sample_records.procedures, records_calendar(sample_records),
                      as_of="31/12/2025")
    results = run_analytics(UnitYear(sample_records, UNIT, 2025))
    frame = with_flag_reasons(assessed, flagged_dossiers(results), "vi")
    sample = select_sample(frame, FrameDescription(UNIT, population=len(frame)),
                           SamplePlan(0.9, 0.1, 0.0, seed=1, key_items="flagged"))
    expected = {d for _, rows in flagged.values() for d in rows["dossier_id"]}
    assert set(sample.key_items["dossier_id"]) == expected
    assert sample.key_items["key_reason"].notna().all()
    assert not sample.statistical["dossier_id"].isin(expected).any()  # checked apart, never drawn twice


def test_the_sample_command_counts_flagged_dossiers_and_hints_only_when_the_hint_helps(sample_records):
    from isoaudit.cli.sample import analytics_lines

    results = run_analytics(UnitYear(sample_records, UNIT, 2025))
    found = [r for r in results if r.available and len(r.flagged)]
    quiet = [r for r in results if r.available and not len(r.flagged)]
    assert found and quiet
    hinted, checked = analytics_lines(found, "vi"), analytics_lines(found, "vi", key_items_flagged=True)
    for result, hint, done in zip(found, hinted, checked):
        dossiers = result.flagged["dossier_id"].nunique()
        assert f"{dossiers} hồ sơ được đánh dấu" in hint and "--key-items flagged" in hint
        assert f"{dossiers} hồ sơ được đánh dấu" in done and "--key-items" not in done and "trọng điểm" in done
    assert all("không có hồ sơ nào bị đánh dấu" in line for line in analytics_lines(quiet, "vi"))
