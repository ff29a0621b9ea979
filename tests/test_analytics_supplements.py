"""Clock stopped on purpose? (isoaudit.analytics.supplements): each planted pattern is found with its reason on
exactly the dossiers it was planted on, a clean log with realistic variation is quiet, a small group is not
flagged on chance, and what the log lacks is said to be missing."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from scipy import stats

from isoaudit.analytics import supplements as test_module
from isoaudit.analytics.supplements import Groups, excess_by_group, group_codes, supplements
from isoaudit.calendar import WorkCalendar
from isoaudit.i18n import LANGS, has_label, label
from isoaudit.measures import UnitYear
from isoaudit.records import load_records
from isoaudit.synthetic import plants_supplements as plants
from isoaudit.timeliness import due_on_receipt
from tests.builders import write_sheet

UNIT = "02266"
CALENDAR = WorkCalendar.vietnam([2024, 2025])
PROCEDURES = [  # code, name, field, legal working days
    ("1.001193", "Đăng ký khai sinh", "Hộ tịch", 0),
    ("2.000815", "Chứng thực bản sao từ bản chính", "Chứng thực", 0),
    ("1.004873", "Xác nhận tình trạng hôn nhân", "Hộ tịch", 3),
    ("1.000894", "Đăng ký kết hôn", "Hộ tịch", 5),
    ("1.003005", "Đăng ký thường trú", "Cư trú", 7),
]
WEIGHTS = [0.3, 0.3, 0.2, 0.1, 0.1]
OFFICERS = ["Nguyễn Thị Hoa", "Trần Văn Bình", "Lê Thị Mai", "Phạm Quốc Hùng"]
DATE_COLUMNS = ["received_at", "due_date", "returned_date", "supplement_requested_at", "supplement_received_at",
                "apology_date", "new_due_date"]
COLUMNS = ["dossier_id", "procedure_code", "received_at", "due_date", "returned_date", "channel",
           "supplement_requested_at", "supplement_received_at", "apology_date", "new_due_date", "officer", "note"]


# ---- a clean log: a commune's two years, handled the way a careful one-stop desk works ------------------------
def clean_dossiers(seed: int = 7, per_year: int = 1200) -> pd.DataFrame:
    """Canonical dossiers of UNIT for 2024 and 2025: receipts on working days in office hours, appointments
    at the legal due date, returns on or before it (a few late, most with an apology and a new appointment),
    a request to supplement for one multi-day dossier in eight, made on the first working day after receipt
    (the first or second for procedures of more than three days) and answered within eight working days (the
    appointment stays, the legal clock pauses)."""
    rng = np.random.default_rng(seed)
    frames = [_year(rng, year, per_year) for year in (2024, 2025)]
    return pd.concat(frames, ignore_index=True)


def _year(rng, year: int, n: int) -> pd.DataFrame:
    days = np.arange(np.datetime64(f"{year}-01-02"), np.datetime64(f"{year}-12-20"))
    days = days[CALENDAR.is_working_day(days)]
    day = np.sort(rng.choice(days, n))
    minute = rng.integers(7 * 60 + 30, 16 * 60 + 30, n)
    proc = rng.choice(len(PROCEDURES), n, p=WEIGHTS)
    legal = np.array([p[3] for p in PROCEDURES])[proc]
    due = due_on_receipt(CALENDAR, day, minute, legal, np.full(n, 15 * 60))
    asked_shift = np.where(legal > 3, rng.integers(1, 3, n), 1)  # checked on receipt, asked at once
    supplement = (legal >= 3) & (rng.random(n) < 0.125)
    asked = CALENDAR.add_working_days(day, asked_shift)
    waited = rng.integers(1, 9, n)
    supplied = CALENDAR.add_working_days(asked, waited)
    legal_due = np.where(supplement, CALENDAR.add_working_days(due, waited), due)
    early = np.where(legal > 0, rng.choice(3, n, p=[0.5, 0.3, 0.2]), 0)
    returned = CALENDAR.add_working_days(legal_due, -early)
    returned = np.maximum(returned, np.where(supplement, supplied, day))
    returned = np.where(legal > 0, np.maximum(returned, CALENDAR.add_working_days(day, 1)), returned)
    late = rng.random(n) < 0.04
    returned = np.where(late, CALENDAR.add_working_days(legal_due, rng.integers(1, 6, n)), returned)
    apology = late & (rng.random(n) < 0.8)
    returned_minute = np.where(returned == day, np.minimum(minute + rng.integers(20, 90, n), 17 * 60),
                               rng.integers(8 * 60, 16 * 60 + 30, n))
    frame = pd.DataFrame({
        "dossier_id": [f"000.00.14.H56-{d:%y%m%d}-{i:04d}" for i, d in
                       enumerate(pd.to_datetime(day), start=1)],
        "procedure_code": [PROCEDURES[p][0] for p in proc],
        "received_at": pd.to_datetime(day) + pd.to_timedelta(minute, unit="min"),
        "due_date": pd.to_datetime(due),
        "returned_date": pd.to_datetime(returned) + pd.to_timedelta(returned_minute, unit="min"),
        "channel": np.where(rng.random(n) < 0.3, "Trực tuyến", "Trực tiếp"),
        "supplement_requested_at": pd.to_datetime(np.where(supplement, asked, np.datetime64("NaT")))
        + pd.Timedelta(hours=10),
        "supplement_received_at": pd.to_datetime(np.where(supplement, supplied, np.datetime64("NaT")))
        + pd.Timedelta(hours=8, minutes=45),
        "apology_date": pd.to_datetime(np.where(apology, legal_due, np.datetime64("NaT"))),
        "new_due_date": pd.to_datetime(np.where(apology, returned, np.datetime64("NaT"))),
        "officer": pd.Series(np.array(OFFICERS)[rng.choice(4, n, p=[0.35, 0.25, 0.25, 0.15])], dtype="string"),
        "note": pd.Series(np.where(supplement & (rng.random(n) < 0.5), "Yêu cầu bổ sung giấy tờ", None),
                          dtype="string"),
    })
    return frame


def write_log(folder, dossiers: pd.DataFrame, columns=COLUMNS):
    """A records folder with UNIT's registry row, the catalogue and ``dossiers`` as one log (``columns``)."""
    write_sheet(folder / "units.xlsx", ["unit_code", "unit_name", "level", "officers"],
                [[UNIT, "Xã Thái Bình", "Xã", len(OFFICERS)]])
    write_sheet(folder / "procedures.xlsx", ["procedure_code", "procedure_name", "field", "level", "legal_days",
                                             "cutoff_time"],
                [[code, name, field, "Xã", days, "15:00" if days == 0 else None]
                 for code, name, field, days in PROCEDURES])
    (folder / "dossiers").mkdir()
    shown = dossiers[columns].copy()
    for column in set(DATE_COLUMNS) & set(columns):
        form = "%d/%m/%Y" if column in ("due_date", "apology_date", "new_due_date") else "%d/%m/%Y %H:%M"
        shown[column] = pd.to_datetime(shown[column]).dt.strftime(form)
    rows = shown.astype(object).where(shown.notna(), None).values.tolist()
    write_sheet(folder / "dossiers" / f"{UNIT}_2024_2025.xlsx", columns, rows)
    return folder


def judged(folder) -> UnitYear:
    return UnitYear(load_records(folder), UNIT, 2025)


def flagged_ids(result, reason: str) -> set[str]:
    return set(result.flagged.loc[result.flagged["reason"] == reason, "dossier_id"])


def planted_in_2025(dossiers: pd.DataFrame, ids) -> set[str]:
    year = dossiers.drop_duplicates("dossier_id").set_index("dossier_id")["received_at"].dt.year
    return {i for i in ids if year[i] == 2025}


@pytest.fixture(scope="module")
def clean():
    return clean_dossiers()


@pytest.fixture(scope="module")
def clean_result(clean, tmp_path_factory):
    return supplements(judged(write_log(tmp_path_factory.mktemp("clean"), clean)))


# ---- a clean log is quiet --------------------------------------------------------------------------------------
def test_a_clean_log_is_quiet(clean_result):
    assert clean_result.available
    assert clean_result.params["requests"] > 50  # the log does ask for supplements: the test had data to look at
    assert clean_result.quiet, clean_result.flagged.groupby("reason").size()
    assert clean_result.params["missing_parts"] == []


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_other_clean_logs_raise_no_false_alarm(seed, tmp_path):
    result = supplements(judged(write_log(tmp_path, clean_dossiers(seed, per_year=600))))
    assert result.quiet, result.flagged.groupby("reason").size()


def test_the_sample_districts_units_are_quiet(small_district):
    records = load_records(small_district)
    units = sorted({code for code in records.dossiers["unit_code"].dropna().unique() if "@" not in code})
    assert units
    for unit in units:
        result = supplements(UnitYear(records, unit, 2025))
        assert result.missing or result.quiet, (unit, result.flagged, result.table)


# ---- each plant is found, on exactly the planted dossiers --------------------------------------------------------
@pytest.mark.parametrize("reason", list(plants.PLANTS))
def test_each_plant_is_found_with_its_reason_on_exactly_its_dossiers(reason, clean, tmp_path):
    planted, ids = plants.PLANTS[reason](clean, np.random.default_rng(11), calendar=CALENDAR)
    result = supplements(judged(write_log(tmp_path, planted)))
    expected = planted_in_2025(planted, ids)
    assert expected
    assert flagged_ids(result, reason) == expected
    assert set(result.flagged["reason"]) == {reason}  # nothing else raised


def test_all_plants_together_are_told_apart(clean, tmp_path):
    planted, ids = plants.plant_supplements(clean, np.random.default_rng(5), calendar=CALENDAR)
    result = supplements(judged(write_log(tmp_path, planted)))
    for reason, planted_ids in ids.items():
        assert flagged_ids(result, reason) == planted_in_2025(planted, planted_ids), reason


def test_near_due_requests_put_their_officer_above_the_limit(clean, tmp_path):
    planted, ids = plants.plant_near_due_requests(clean, np.random.default_rng(3), calendar=CALENDAR)
    result = supplements(judged(write_log(tmp_path, planted)))
    row = result.table[result.table["supplements_check"] == "near_due_by_officer"]
    officer = planted.set_index("dossier_id").loc[ids[0], "officer"]
    assert row["supplements_group"].tolist() == [officer]
    assert (row["supplements_rate"] > row["supplements_upper_limit"]).all()
    detail = result.details(result.flagged[result.flagged["reason"] == "request_near_due"])[0]
    assert detail["officer"] == officer and detail["days_left"] == 1


def test_a_second_request_on_a_second_row_of_the_dossier_is_found(clean, tmp_path):
    planted, ids = plants.plant_repeated_requests(clean, np.random.default_rng(9), calendar=CALENDAR, as_rows=True)
    records = load_records(write_log(tmp_path, planted))
    assert set(records.excluded_dossiers["reason"]) == {"duplicate_id"}  # the reader set the second rows aside
    result = supplements(UnitYear(records, UNIT, 2025))
    assert flagged_ids(result, "repeated_request_rows") == planted_in_2025(planted, ids)
    detail = result.details()[0]
    assert detail["requests"] == 2 and detail["dates"].count("/") == 4


def test_an_officer_asking_for_supplements_far_more_often_is_above_the_limit(clean, tmp_path):
    officer = OFFICERS[3]
    mine = ((clean["officer"] == officer) & (clean["received_at"].dt.year == 2025)
            & clean["procedure_code"].isin(["1.004873", "1.000894", "1.003005"])
            & clean["supplement_requested_at"].isna()).to_numpy()
    frame = _ask_more(clean, np.flatnonzero(mine)[::2])
    result = supplements(judged(write_log(tmp_path, frame)))
    rows = result.table[result.table["supplements_check"] == "rate_by_officer"]
    assert rows["supplements_group"].tolist() == [officer]
    high = flagged_ids(result, "officer_rate_high")
    asked_ids = set(frame.loc[(frame["officer"] == officer) & frame["supplement_requested_at"].notna()
                              & (frame["received_at"].dt.year == 2025), "dossier_id"])
    assert high == asked_ids


def _ask_more(frame: pd.DataFrame, rows: np.ndarray) -> pd.DataFrame:
    """``frame`` with the dossiers at ``rows`` asked to supplement on the first working day after receipt and
    answered the next day, returned two working days later."""
    frame = frame.copy()
    received = frame.loc[rows, "received_at"].to_numpy().astype("datetime64[D]")
    asked = CALENDAR.add_working_days(received, 1)
    frame.loc[rows, "supplement_requested_at"] = pd.to_datetime(asked) + pd.Timedelta(hours=10)
    frame.loc[rows, "supplement_received_at"] = pd.to_datetime(CALENDAR.add_working_days(asked, 1)) \
        + pd.Timedelta(hours=10)
    frame.loc[rows, "returned_date"] = pd.to_datetime(CALENDAR.add_working_days(asked, 3)) + pd.Timedelta(hours=9)
    return frame


def test_a_procedure_asked_to_supplement_far_more_often_than_last_year_is_above_the_limit(clean, tmp_path):
    procedure = "1.004873"
    this_year = ((clean["procedure_code"] == procedure) & (clean["received_at"].dt.year == 2025)
                 & clean["supplement_requested_at"].isna()).to_numpy()
    frame = _ask_more(clean, np.flatnonzero(this_year)[::3])  # about 40 % asked, 12 % the year before
    result = supplements(judged(write_log(tmp_path, frame)))
    rows = result.table[result.table["supplements_check"] == "rate_by_procedure"]
    assert rows["supplements_group"].tolist() == [procedure]
    asked = frame.loc[(frame["procedure_code"] == procedure) & frame["supplement_requested_at"].notna()
                      & (frame["received_at"].dt.year == 2025), "dossier_id"]
    assert flagged_ids(result, "procedure_rate_high") == set(asked)
    # Every officer asks more for it: no officer stands out against the others.
    assert flagged_ids(result, "officer_rate_high") == set()


# ---- the statistics: a small group is not flagged on noise --------------------------------------------------------
CONFIG = {"alpha": 0.001, "min_group_dossiers": 10, "min_excess": 3, "min_ratio": 1.5}


def test_a_small_group_with_a_few_more_requests_is_not_flagged():
    # 4 requests of 12 where the others ask 12 % (1.4 expected): P(X >= 4) is 0.046, noise for 3 groups.
    groups = group_codes(pd.Series(["A"] * 12 + ["B"] * 200 + ["C"] * 200))
    hits = np.r_[np.arange(12) < 4, np.arange(200) < 24, np.arange(200) < 24]
    table = excess_by_group(groups, hits, np.zeros(len(hits), dtype=np.int64), CONFIG).set_index("group")
    assert not table["above"].any()
    assert table.loc["A", "p_value"] == pytest.approx(0.0464, abs=0.001)


def test_a_large_excess_is_flagged_and_a_group_below_the_minimum_size_is_not_tested():
    groups = group_codes(pd.Series(["A"] * 60 + ["B"] * 200 + ["C"] * 9))
    hits = np.r_[np.arange(60) < 25, np.arange(200) < 24, np.arange(9) < 9]
    table = excess_by_group(groups, hits, np.zeros(len(hits), dtype=np.int64), CONFIG).set_index("group")
    assert table["above"].to_dict() == {"A": True, "B": False}  # C (9 dossiers) is too small to judge
    assert table.loc["A", "expected_rate"] == pytest.approx(33 / 209)  # the others' share: B and C
    assert table.loc["A", "rate"] > table.loc["A", "upper_limit"] > table.loc["A", "expected_rate"]


def test_a_group_is_expected_the_other_groups_share_of_each_of_its_procedures():
    # A handles only the hard procedure (half asked, as B does there): A is not above B for it.
    groups = group_codes(pd.Series(["A"] * 100 + ["B"] * 100 + ["B"] * 100))
    strata = np.r_[np.zeros(200, dtype=np.int64), np.ones(100, dtype=np.int64)]
    hits = np.r_[np.arange(100) < 50, np.arange(100) < 50, np.arange(100) < 5]
    table = excess_by_group(groups, hits, strata, CONFIG).set_index("group")
    assert table.loc["A", "expected"] == pytest.approx(50) and not table["above"].any()


def test_dossiers_of_no_officer_or_no_procedure_count_among_the_others():
    # Code -1 (no officer named, no procedure) is a group of its own, too small here to be tested, and a stratum
    # of its own: as if spelled out as one.
    codes = np.r_[np.zeros(60, dtype=np.int64), np.ones(200, dtype=np.int64), np.full(9, -1)]
    strata = np.r_[np.zeros(100, dtype=np.int64), np.full(160, -1), np.ones(9, dtype=np.int64)]
    hits = np.r_[np.arange(60) < 25, np.arange(200) < 24, np.arange(9) < 9]
    found = excess_by_group(Groups(codes, np.array(["A", "B"], dtype=object)), hits, strata, CONFIG)
    spelled = excess_by_group(Groups(np.where(codes < 0, 2, codes), np.array(["A", "B", "none"], dtype=object)),
                              hits, np.where(strata < 0, 2, strata), CONFIG)
    assert list(spelled["group"]) == ["A", "B"]  # "none" (9 dossiers) is below the minimum
    pd.testing.assert_frame_equal(found, spelled)


@pytest.mark.parametrize("dtype", ["string", "str"])
def test_names_held_as_arrow_text_are_grouped_as_plain_text_is(dtype):
    written = pd.Series([" Lan", "Minh", None, "", "Lan ", "  ", "Hoa", "Minh", "lan"], dtype=object)
    arrow, plain = group_codes(written.astype(dtype)), group_codes(written)
    assert arrow.codes.tolist() == plain.codes.tolist() == [0, 1, -1, -1, 0, -1, 2, 1, 3]
    assert arrow.names.tolist() == plain.names.tolist() == ["Lan", "Minh", "Hoa", "lan"]
    assert arrow.codes.dtype == plain.codes.dtype == np.int64
    clean = group_codes(pd.Series(["Minh", "Lan", None, "Minh"], dtype=dtype))  # each name its own group
    assert clean.codes.tolist() == [0, 1, -1, 0] and clean.names.tolist() == ["Minh", "Lan"]


@pytest.mark.parametrize("cells", [
    ["1.000123", "2.000815", "1.000123", "1.004873"],  # one width of 8 bytes: read as integers
    ["00111-3", "00140-1", "00111-3", "00140-2", "00111-3"],  # 7 bytes
    ["Mai", "Hà", "Mai", "Tú"],  # 3 bytes each, accented letters among them
    ["Mai", "Hà", "Hà "],  # one padded: another width, text
    ["A", "B", "A"],
    ["Lan ", " Lan", "Lan "],  # padded alike: one group once trimmed
    ["Minh", "Lan", "Minh"],  # 4 and 3 bytes: text
    ["2.000815.000.00.00.H56", "2.000815.000.00.00.H56"],  # 22 bytes: text
])
def test_texts_of_one_short_width_are_grouped_as_any_text_is(cells):
    """Equal widths of at most 8 bytes are hashed as integers (``_as_integers``): the same groups, numbered
    alike, with the same names, as text of other widths gets."""
    arrow = group_codes(pd.Series(cells, dtype="string[pyarrow]"))
    plain = group_codes(pd.Series(cells, dtype=object))
    assert arrow.codes.tolist() == plain.codes.tolist() and arrow.names.tolist() == plain.names.tolist()
    packed = test_module._as_integers(pa.array(cells, type=pa.large_string()))
    widths = {len(cell.encode()) for cell in cells}
    assert (packed is not None) == (len(widths) == 1 and widths <= set(range(1, 9)))



@pytest.mark.parametrize("ratio", [1.0, 1.5])
@pytest.mark.parametrize("seed", range(6))
def test_procedures_above_last_year_are_those_a_test_of_every_procedure_finds(seed, ratio):
    """Fisher's test is run only on the procedures far enough above last year's rate to be above the limit at
    all (``_excess_over_last_year``): the procedures above, and their figures, are those of the test run on
    every procedure."""
    rng = np.random.default_rng(seed)
    size, rows = 40, 6000
    rate_before = rng.uniform(0.001, 0.3, size)  # some procedures with a request or two a year: small counts
    rate_now = np.minimum(rate_before * np.where(rng.random(size) < 0.3, rng.uniform(1.0, 8.0, size), 1.0), 1)
    codes, codes_before = rng.integers(-1, size, rows), rng.integers(-1, size, rows)
    asked = rng.random(rows) < np.append(rate_now, 0.1)[codes]
    asked_before = rng.random(rows) < np.append(rate_before, 0.1)[codes_before]
    previous = pd.DataFrame({"supplement_requested_at": pd.to_datetime(
        np.where(asked_before, "2024-03-01", None))})
    procedure = Groups(codes, np.array([f"1.{i:06d}" for i in range(size)], dtype=object))
    # An alpha above every p-value: ``min_excess`` and ``min_ratio`` alone decide, at their very edges too.
    config = {**test_module.settings(), "alpha": 1e6, "min_excess": 2, "min_ratio": ratio}
    found = test_module._excess_over_last_year(procedure, asked, codes_before, previous, config)

    kept, kept_before = codes >= 0, codes_before >= 0
    n = np.bincount(codes[kept], minlength=size).astype(float)
    k = np.bincount(codes[kept], weights=asked[kept], minlength=size)
    n0 = np.bincount(codes_before[kept_before], minlength=size).astype(float)
    k0 = np.bincount(codes_before[kept_before], weights=asked_before[kept_before], minlength=size)
    tested = (n >= config["min_group_dossiers"]) & (n0 >= config["min_group_dossiers"])
    every = test_module.excess_frame(procedure.names, n, k, n * k0 / np.maximum(n0, 1), tested, config,
                                     ratio=config["min_ratio"], p_values=stats.hypergeom.sf(k - 1, n + n0, k + k0, n))
    above = every[every["above"].to_numpy(bool)].reset_index(drop=True)
    assert len(above)  # the case has procedures above the limit
    pd.testing.assert_frame_equal(found[found["above"].to_numpy(bool)].reset_index(drop=True), above,
                                  check_exact=True)


# ---- what the log lacks is missing, not zero ---------------------------------------------------------------------
def test_a_log_without_supplement_dates_says_so(clean, tmp_path):
    columns = [c for c in COLUMNS if not c.startswith("supplement_")]
    result = supplements(judged(write_log(tmp_path, clean, columns)))
    assert result.missing == "no_supplement_data" and not result.available
    assert result.flagged.empty and result.params == {}


def test_a_log_without_officers_skips_the_officer_comparisons_and_says_so(clean, tmp_path):
    planted, ids = plants.plant_long_pauses(clean, np.random.default_rng(2), calendar=CALENDAR)
    result = supplements(judged(write_log(tmp_path, planted, [c for c in COLUMNS if c != "officer"])))
    assert result.available and result.params["missing_parts"] == ["no_officer"]
    assert flagged_ids(result, "long_pause") == planted_in_2025(planted, ids)


def test_a_year_without_dossiers_is_missing(clean, tmp_path):
    records = load_records(write_log(tmp_path, clean))
    assert supplements(UnitYear(records, UNIT, 2023)).missing == "no_dossiers_of_year"


# ---- words -------------------------------------------------------------------------------------------------------
def test_every_word_exists_and_every_reason_given_is_worded(clean, tmp_path):
    keys = [test_module.REASON_KEYS, test_module.MISSING_KEYS, test_module.CHECK_KEYS, test_module.COLUMN_KEYS]
    for key in [k for table in keys for k in table.values()] + [
            f"analytics.supplements.{part}" for part in ("title", "found", "none", "meaning", "not_proof")]:
        assert has_label(key), key
    assert set(test_module.COLUMN_KEYS) == set(test_module.TABLE_COLUMNS)
    planted, _ = plants.plant_supplements(clean, np.random.default_rng(5), calendar=CALENDAR)
    result = supplements(judged(write_log(tmp_path, planted)))
    assert set(result.flagged["reason"]) <= set(test_module.REASON_KEYS)
    for lang in LANGS:
        assert label("analytics.supplements.found", lang, **result.params)
        assert label("analytics.supplements.none", lang, **result.params)
        for reason, detail in zip(result.flagged["reason"], result.details()):
            text = label(test_module.REASON_KEYS[reason], lang, **detail)
            assert "{" not in text and "None" not in text, text
