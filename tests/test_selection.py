"""Selecting dossiers: recorded frame, seeded draw, strata, key items."""
from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from isoaudit.errors import IsoauditError
from isoaudit.sampling.selection import (
    SamplePlan,
    allocate,
    build_frame,
    select_sample,
    with_catalogue,
)
from isoaudit.sampling.sizes import attribute_sample_size

PROCEDURES = pd.DataFrame({
    "procedure_code": pd.array(["1.001193", "1.001022", "2.000986", "1.004873", "1.003583"], dtype="string"),
    "procedure_name": pd.array(["Đăng ký khai sinh", "Đăng ký kết hôn", "Chứng thực bản sao từ bản chính",
                                "Xác nhận tình trạng hôn nhân", "Đăng ký khai tử"], dtype="string"),
    "field": pd.array(["Hộ tịch", "Hộ tịch", "Chứng thực", "Hộ tịch", "Hộ tịch"], dtype="string"),
    "legal_days": pd.array([0, 0, 0, 3, 0], dtype="Int64"),
    "fee": pd.array(["Miễn phí", "Miễn phí", "2.000 đồng/trang", "Không", "Miễn phí"], dtype="string"),
})
# Chứng thực is the busiest procedure at a commune; khai tử the rarest.
PROCEDURE_WEIGHTS = [0.25, 0.08, 0.55, 0.1, 0.02]
FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi"]
GIVEN = ["Văn An", "Thị Bình", "Minh Châu", "Thị Dung", "Quốc Huy", "Thu Hà", "Đức Long", "Ngọc Lan"]


def assessed_dossiers(count: int = 400, unit_code: str = "26734", seed: int = 7) -> pd.DataFrame:
    """A commune's dossier log for 2025 after timeliness.assess: canonical columns plus the assessment's.

    Mostly returned early or on time; some late (half with an apology letter), a few overdue or still in
    progress at the end of the year; one dossier in ten asked for a supplement.
    """
    rng = np.random.default_rng(seed)
    proc = rng.choice(len(PROCEDURES), size=count, p=PROCEDURE_WEIGHTS)
    day = pd.Timestamp("2025-01-02") + pd.to_timedelta(rng.integers(0, 360, count), unit="D")
    received = day + pd.to_timedelta(rng.integers(7 * 60 + 30, 17 * 60, count), unit="min")
    legal_days = PROCEDURES["legal_days"].to_numpy()[proc].astype(int)
    legal_due = day + pd.to_timedelta(legal_days + (legal_days == 0) * 1, unit="D")
    status = rng.choice(["early", "on_time", "late", "overdue", "in_progress"], size=count,
                        p=[0.55, 0.3, 0.09, 0.03, 0.03])
    late = rng.integers(1, 6, count)
    offset = np.select([status == "early", status == "on_time", status == "late"], [-1, 0, 1], 0) * \
        np.where(status == "late", late, 1)
    returned = (legal_due + pd.to_timedelta(offset, unit="D") + pd.Timedelta(hours=10)).where(
        ~np.isin(status, ["overdue", "in_progress"]))
    behind = np.isin(status, ["late", "overdue"])
    apology = (legal_due - pd.Timedelta(days=1)).where(behind & (rng.random(count) < 0.5))
    supplement = (received + pd.Timedelta(days=1)).where(rng.random(count) < 0.1)
    ids = [f"H12.26-{unit_code}-250{i // 1000}-{i:05d}" for i in range(1, count + 1)]
    applicants = [f"{FAMILY[i % 8]} {GIVEN[(i * 3) % 8]}" for i in range(count)]
    frame = pd.DataFrame({
        "dossier_id": pd.array(ids, dtype="string"),
        "unit_code": pd.array([unit_code] * count, dtype="string"),
        "procedure_code": PROCEDURES["procedure_code"].take(proc).reset_index(drop=True),
        "procedure_name": PROCEDURES["procedure_name"].take(proc).reset_index(drop=True),
        "applicant": pd.array(applicants, dtype="string"),
        "received_at": received,
        "due_date": legal_due.normalize(),
        "returned_date": returned,
        "supplement_requested_at": supplement,
        "apology_date": apology,
        "source_file": pd.array([f"dossiers/{unit_code}_2025.xlsx"] * count, dtype="string"),
        "source_row": pd.array(np.arange(count) + 8, dtype="Int64"),
        # timeliness.assess output
        "field": pd.Categorical(PROCEDURES["field"].take(proc).to_numpy()),
        "legal_days": pd.array(legal_days, dtype="Int64"),
        "legal_due_date": legal_due.normalize(),
        "status": pd.Categorical(status, categories=["early", "on_time", "late", "in_progress", "overdue"]),
        "days_late": pd.array(np.where(behind, late, 0), dtype="Int64"),
        "late_without_apology": pd.array(behind & pd.isna(apology), dtype="boolean"),
        "appointment_beyond_legal": pd.array(np.zeros(count, dtype=bool), dtype="boolean"),
    })
    return frame


def plan(**changes) -> SamplePlan:
    values = dict(confidence=0.95, tolerable_rate=0.05, expected_rate=0.01, seed=20250101)
    values.update(changes)
    return SamplePlan(**values)


@pytest.fixture(scope="module")
def dossiers() -> pd.DataFrame:
    return assessed_dossiers()


@pytest.fixture(scope="module")
def frame(dossiers):
    return build_frame(dossiers, "26734", procedures=PROCEDURES)


def ids(sample) -> list[str]:
    return list(sample.dossiers["dossier_id"])


def test_same_seed_same_sample_whatever_the_row_order(frame, dossiers):
    rows, description = frame
    first = select_sample(rows, description, plan())
    shuffled = rows.sample(frac=1.0, random_state=3).reset_index(drop=True)
    again = select_sample(shuffled, description, plan())
    assert ids(first) == ids(again)
    assert len(set(ids(first))) == len(first.dossiers)


def test_different_seed_different_sample(frame):
    rows, description = frame
    assert set(ids(select_sample(rows, description, plan(seed=1)))) != \
        set(ids(select_sample(rows, description, plan(seed=2))))


def test_size_is_the_finite_population_size(frame):
    rows, description = frame
    sample = select_sample(rows, description, plan())
    assert sample.population == len(rows) == description.population == 400
    assert sample.size == attribute_sample_size(0.95, 0.05, 0.01, population=400)
    assert len(sample.dossiers) == sample.size
    assert not sample.dossiers["key_item"].any()
    assert sample.dossiers["dossier_id"].isin(rows["dossier_id"]).all()


@pytest.mark.parametrize("stratify,column", [("procedure", "procedure_code"), ("field", "field")])
def test_stratified_every_stratum_present_and_proportional(frame, stratify, column):
    rows, description = frame
    sample = select_sample(rows, description, plan(stratify=stratify))
    sizes = rows[column].astype("string").value_counts()
    drawn = sample.dossiers[column].astype("string").value_counts()
    assert set(drawn.index) == set(sizes.index)  # every stratum represented
    assert drawn.sum() == sample.size  # no minimum was needed here: exactly the planned size
    quota = sample.size * sizes / sizes.sum()
    assert ((drawn.reindex(quota.index) - quota).abs() < 1).all()  # proportional, largest remainder
    assert list(sample.strata["sample"]) == list(drawn.reindex(sample.strata["stratum"]))
    # Within a stratum the statistical part is in dossier order.
    for _, group in sample.dossiers.groupby("stratum"):
        assert list(group["dossier_id"]) == sorted(group["dossier_id"])


def test_rare_stratum_still_gets_one(dossiers):
    # Three khai tử dossiers among 400: a proportional share well under one.
    rows = pd.concat([dossiers[dossiers["procedure_code"] != "1.003583"],
                      dossiers[dossiers["procedure_code"] == "1.003583"].head(1)], ignore_index=True)
    frame, description = build_frame(rows, "26734")
    sample = select_sample(frame, description, plan(stratify="procedure", expected_rate=0.0))
    assert (sample.dossiers["procedure_code"] == "1.003583").sum() == 1


def test_allocate_largest_remainder():
    sizes = pd.Series({"A": 50, "B": 30, "C": 20})
    assert allocate(sizes, 10).to_dict() == {"A": 5, "B": 3, "C": 2}
    # 7 over 50/30/20: quotas 3.5, 2.1, 1.4 -> floors 3, 2, 1 and the largest remainder (A) gets the last one.
    assert allocate(sizes, 7).to_dict() == {"A": 4, "B": 2, "C": 1}
    # A tie in the remainders goes to the larger stratum.
    assert allocate(pd.Series({"A": 10, "B": 30}), 2).to_dict() == {"A": 1, "B": 1}
    assert allocate(pd.Series({"A": 30, "B": 10}), 1).to_dict() == {"A": 1, "B": 1}  # both represented


def test_allocate_minimum_one_and_whole_small_strata():
    sizes = pd.Series({"A": 1, "B": 2, "C": 97})
    # A's share is 0.5: it gets one, which is all it has; B's share of the rest is under one: one.
    assert allocate(sizes, 50).to_dict() == {"A": 1, "B": 1, "C": 48}
    assert allocate(sizes, 500).to_dict() == {"A": 1, "B": 2, "C": 97}  # more than there is: everything
    assert allocate(pd.Series({"A": 0, "B": 5}), 3).to_dict() == {"A": 0, "B": 3}


def test_key_items_added_on_top_and_kept_apart(frame):
    rows, description = frame
    sample = select_sample(rows, description, plan(key_items="overdue"))
    overdue = set(rows.loc[rows["status"] == "overdue", "dossier_id"])
    assert overdue and set(sample.key_items["dossier_id"]) == overdue
    assert not set(sample.statistical["dossier_id"]) & overdue
    assert sample.population == len(rows) - len(overdue)
    assert len(sample.statistical) == attribute_sample_size(0.95, 0.05, 0.01, population=sample.population)
    # The statistical sample first, then the key items.
    assert not sample.dossiers["key_item"].iloc[: len(sample.statistical)].any()
    late = select_sample(rows, description, plan(key_items="late"))
    assert set(late.key_items["status"].astype(str)) == {"late", "overdue"}


def test_build_frame_records_the_choice(dossiers):
    frame, description = build_frame(dossiers, "26734", date(2025, 3, 1), date(2025, 3, 31),
                                     procedure_codes=["2.000986"], unit_name="UBND xã Tân Phú")
    days = frame["received_at"].dt.normalize()
    assert len(frame) == description.population > 0
    assert (days >= "2025-03-01").all() and (days <= "2025-03-31").all()
    assert (frame["procedure_code"] == "2.000986").all()
    # Both ends are whole days: a dossier received on 31/03 in the afternoon is in.
    received = dossiers["received_at"]
    expected = dossiers[(received >= "2025-03-01") & (received < "2025-04-01")
                        & (dossiers["procedure_code"] == "2.000986")]
    assert set(frame["dossier_id"]) == set(expected["dossier_id"])
    assert (frame["received_at"].dt.normalize() == "2025-03-31").any()
    assert description.date_from == date(2025, 3, 1) and description.procedure_codes == ("2.000986",)
    assert build_frame(dossiers, "99999")[1].population == 0


def test_catalogue_columns_joined(dossiers):
    joined = with_catalogue(dossiers.drop(columns=["field"]).head(20), PROCEDURES)
    assert joined["fee"].notna().all() and joined["field"].notna().all()
    chung_thuc = joined["procedure_code"] == "2.000986"
    assert (joined.loc[chung_thuc, "fee"] == "2.000 đồng/trang").all()


def test_empty_frame_and_bad_options_are_refused(dossiers):
    frame, description = build_frame(dossiers, "99999")
    with pytest.raises(IsoauditError) as error:
        select_sample(frame, description, plan())
    assert error.value.code == "sampling.empty_frame"
    rows, description = build_frame(dossiers, "26734")
    with pytest.raises(IsoauditError):
        select_sample(rows, description, plan(stratify="officer"))
    with pytest.raises(IsoauditError):
        select_sample(rows, description, plan(key_items="everything"))
