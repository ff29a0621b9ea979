"""Back-filled returns? (isoaudit.analytics.backfill): each planted pattern is found with its reason on exactly
the dossiers it was planted on, a clean log with realistic variation is quiet, an officer or a whole unit
returning on the appointment day far more often than usual stands out, and what the log lacks is missing."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from isoaudit.analytics import backfill as test_module
from isoaudit.analytics.backfill import backfill
from isoaudit.analytics.supplements import dossier_groups, previous_year, supplements
from isoaudit.i18n import LANGS, has_label, label
from isoaudit.measures import UnitYear
from isoaudit.records import load_records
from isoaudit.synthetic import plants_backfill as plants
from tests.test_analytics_supplements import (
    CALENDAR,
    COLUMNS,
    OFFICERS,
    UNIT,
    clean_dossiers,
    flagged_ids,
    judged,
    write_log,
)

STATISTICAL = ("officer_on_appointment", "batch_returns")


@pytest.fixture(scope="module")
def clean():
    return clean_dossiers()


# ---- a clean log is quiet --------------------------------------------------------------------------------------
def test_a_clean_log_is_quiet(clean, tmp_path):
    result = backfill(judged(write_log(tmp_path, clean)))
    assert result.available and result.params["missing_parts"] == []
    assert 0.4 < result.params["on_appointment_percent"] / 100 < 0.9  # offices work to the appointment
    assert result.quiet, (result.flagged.groupby("reason").size(), result.table)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_other_clean_logs_raise_no_false_alarm(seed, tmp_path):
    result = backfill(judged(write_log(tmp_path, clean_dossiers(seed, per_year=600))))
    assert result.quiet, (result.flagged.groupby("reason").size(), result.table)


def test_the_sample_districts_units_raise_no_statistical_alarm_and_flag_what_the_law_says(small_district):
    """The sample's generator writes a few appointments beyond the legal time on purpose: those are flagged
    (without an apology letter), exactly as ``timeliness.assess`` judges them; nothing else is."""
    records = load_records(small_district)
    units = sorted({code for code in records.dossiers["unit_code"].dropna().unique() if "@" not in code})
    for unit in units:
        unit_year = UnitYear(records, unit, 2025)
        result = backfill(unit_year)
        assert result.available, unit
        assert result.table.empty and not set(STATISTICAL) & set(result.flagged["reason"]), unit
        received = unit_year.received
        beyond = received["appointment_beyond_legal"].fillna(False) & received["apology_date"].isna()
        flagged = flagged_ids(result, "returned_on_appointment_late") \
            | flagged_ids(result, "appointment_beyond_without_apology")
        assert flagged == set(received.loc[beyond.to_numpy(bool), "dossier_id"]), unit
        moved = received["new_due_date"].notna() & received["apology_date"].isna()
        assert flagged_ids(result, "new_appointment_without_apology") == set(received.loc[moved, "dossier_id"])


# ---- each plant is found, on exactly the planted dossiers --------------------------------------------------------
@pytest.mark.parametrize("reason", list(plants.PLANTS))
def test_each_plant_is_found_with_its_reason_on_exactly_its_dossiers(reason, clean, tmp_path):
    planted, ids = plants.PLANTS[reason](clean, np.random.default_rng(11), calendar=CALENDAR)
    result = backfill(judged(write_log(tmp_path, planted)))
    assert ids
    assert flagged_ids(result, reason) == set(ids)
    others = set(result.flagged.loc[result.flagged["reason"] != reason, "reason"])
    assert others <= {"officer_on_appointment"}, others  # 15 more returns on the day may tip their officer over


def test_all_plants_together_are_told_apart(clean, tmp_path):
    planted, ids = plants.plant_backfill(clean, np.random.default_rng(5), calendar=CALENDAR)
    result = backfill(judged(write_log(tmp_path, planted)))
    for reason, planted_ids in ids.items():
        assert flagged_ids(result, reason) == set(planted_ids), reason


def test_a_batch_of_returns_is_one_officer_on_one_day_all_on_their_appointment(clean, tmp_path):
    planted, ids = plants.plant_batch_returns(clean, np.random.default_rng(3), calendar=CALENDAR)
    rows = planted.set_index("dossier_id").loc[ids]
    assert len(ids) >= 15 and rows["officer"].nunique() == 1
    assert rows["returned_date"].dt.normalize().nunique() == 1
    assert (rows["returned_date"].dt.normalize() == rows["due_date"]).all()
    unit_year = judged(write_log(tmp_path, planted))
    result = backfill(unit_year)
    batch = result.table[result.table["backfill_check"] == "batch_by_officer_day"]
    assert batch[["backfill_group", "backfill_dossiers", "backfill_observed"]].values.tolist() == [
        [rows["officer"].iloc[0], len(ids), len(ids)]]
    batch_rows = result.flagged[result.flagged["reason"] == "batch_returns"]
    detail = result.details(batch_rows)[0]
    assert detail["returns"] == len(ids) and detail["usual"] < 3
    # Worded for a report, a decimal is written as the language writes it.
    assert result.details(batch_rows, "vi")[0]["usual"] == f"{detail['usual']:.1f}".replace(".", ",")
    assert result.details(batch_rows, "en")[0]["usual"] == f"{detail['usual']:.1f}"
    # On time by law: moving the receipts kept each appointment at its legal due date.
    judged_rows = unit_year.received.set_index("dossier_id").loc[ids]
    assert judged_rows["status"].eq("on_time").all() and not judged_rows["appointment_beyond_legal"].any()


def test_a_late_dossier_returned_on_its_moved_appointment_is_late_by_law(clean, tmp_path):
    planted, ids = plants.plant_late_returned_on_appointment(clean, np.random.default_rng(4), calendar=CALENDAR)
    result = backfill(judged(write_log(tmp_path, planted)))
    details = result.details(result.flagged[result.flagged["reason"] == "returned_on_appointment_late"])
    assert len(details) == len(ids) and all(2 <= d["days_late"] <= 4 for d in details)
    assert all(isinstance(d["days_late"], int) for d in details)  # "3 working days", never "3.0"
    assert not flagged_ids(result, "appointment_beyond_without_apology") & set(ids)  # said once, the stronger way


# ---- returns bunched on the appointment day ----------------------------------------------------------------------
def _on_appointment(frame: pd.DataFrame, rows) -> pd.DataFrame:
    frame = frame.copy()
    frame.loc[rows, "returned_date"] = frame.loc[rows, "due_date"] + pd.Timedelta(hours=16, minutes=30)
    return frame


def _early(frame: pd.DataFrame, year: int, officer: str | None = None) -> np.ndarray:
    """Multi-day dossiers of ``year`` returned before their appointment (of ``officer``)."""
    chosen = ((frame["received_at"].dt.year == year) & frame["supplement_requested_at"].isna()
              & (frame["returned_date"].dt.normalize() < frame["due_date"])).to_numpy()
    if officer is not None:
        chosen = chosen & (frame["officer"] == officer).to_numpy()
    return np.flatnonzero(chosen)


def test_an_officer_returning_on_the_appointment_day_far_more_often_stands_out(clean, tmp_path):
    officer = OFFICERS[1]
    frame = _on_appointment(clean, _early(clean, 2025, officer))
    result = backfill(judged(write_log(tmp_path, frame)))
    rows = result.table[result.table["backfill_check"] == "on_appointment_by_officer"]
    assert rows["backfill_group"].tolist() == [officer]
    on_day = (frame["returned_date"].dt.normalize() == frame["due_date"]) & (frame["officer"] == officer) \
        & (frame["received_at"].dt.year == 2025)
    assert flagged_ids(result, "officer_on_appointment") == set(frame.loc[on_day, "dossier_id"])
    # The whole unit's share moved too, but by less than the threshold: one officer of four.
    assert "on_appointment_against_last_year" not in set(result.table["backfill_check"])


def test_a_unit_returning_on_the_appointment_day_far_more_often_than_last_year_stands_out(clean, tmp_path):
    frame = _on_appointment(clean, _early(clean, 2025))
    result = backfill(judged(write_log(tmp_path, frame)))
    assert result.table["backfill_check"].tolist() == ["on_appointment_against_last_year"]
    row = result.table.iloc[0]
    assert row["backfill_group"] == test_module.UNIT_GROUP and row["backfill_rate"] > row["backfill_expected_rate"]
    assert flagged_ids(result, "officer_on_appointment") == set()  # every officer alike: none stands out


def test_groups_computed_once_serve_both_tests_alike(clean, tmp_path):
    planted, _ = plants.plant_backfill(clean, np.random.default_rng(5), calendar=CALENDAR)
    unit_year = judged(write_log(tmp_path, planted))
    groups = dossier_groups(unit_year.received, previous_year(unit_year))
    for test in (backfill, supplements):
        alone, shared = test(unit_year), test(unit_year, groups=groups)
        assert alone.params == shared.params and alone.flagged.equals(shared.flagged)
        assert alone.table.equals(shared.table)


# ---- what the log lacks is missing, not zero ---------------------------------------------------------------------
def test_a_log_without_officers_skips_the_officer_comparisons_and_says_so(clean, tmp_path):
    planted, ids = plants.plant_appointment_beyond(clean, np.random.default_rng(2), calendar=CALENDAR)
    result = backfill(judged(write_log(tmp_path, planted, [c for c in COLUMNS if c != "officer"])))
    assert result.available and result.params["missing_parts"] == ["no_officer"]
    assert flagged_ids(result, "appointment_beyond_without_apology") == set(ids)


def test_a_year_without_returns_or_dossiers_is_missing(clean, tmp_path):
    frame = clean.assign(returned_date=pd.NaT)
    records = load_records(write_log(tmp_path, frame))
    assert backfill(UnitYear(records, UNIT, 2025)).missing == "no_returns"
    assert backfill(UnitYear(records, UNIT, 2023)).missing == "no_dossiers_of_year"


# ---- words -------------------------------------------------------------------------------------------------------
def test_every_word_exists_and_every_reason_given_is_worded(clean, tmp_path):
    keys = [test_module.REASON_KEYS, test_module.MISSING_KEYS, test_module.CHECK_KEYS, test_module.COLUMN_KEYS,
            test_module.GROUP_KEYS]
    for key in [k for table in keys for k in table.values()] + [
            f"analytics.backfill.{part}" for part in ("title", "found", "none", "meaning", "not_proof")]:
        assert has_label(key), key
    assert set(test_module.COLUMN_KEYS) == set(test_module.TABLE_COLUMNS)
    planted, _ = plants.plant_backfill(clean, np.random.default_rng(5), calendar=CALENDAR)
    result = backfill(judged(write_log(tmp_path, planted)))
    assert set(result.flagged["reason"]) <= set(test_module.REASON_KEYS)
    for lang in LANGS:
        assert label("analytics.backfill.found", lang, **result.params)
        assert label("analytics.backfill.none", lang, **result.params)
        for reason, detail in zip(result.flagged["reason"], result.details()):
            text = label(test_module.REASON_KEYS[reason], lang, **detail)
            assert "{" not in text and "None" not in text, text
