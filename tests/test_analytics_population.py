"""Is the population complete? Gaps in the running numbers of dossier codes (per day and per year), repeated
codes, a code's day unlike the receipt, codes no pattern reads, and the agency's reported receipts against
the log: on small logs written as agencies' files, on the clean sample district, and on planted logs."""
from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from isoaudit import arrow_text
from isoaudit.analytics import code_heads, population
from isoaudit.analytics.code_heads import seq_width
from isoaudit.analytics.population import (
    COLUMN_KEYS,
    MISSING_KEYS,
    REASON_KEYS,
    SCOPE_KEYS,
    TABLE_COLUMNS,
    check_population,
    compress_numbers,
    parse_codes,
    population_check,
)
from isoaudit.i18n import label
from isoaudit.measures import UnitYear
from isoaudit.records import load_records
from isoaudit.synthetic.plants_population import PLANTED_REASONS, plant_population
from tests.builders import write_sheet

UNIT = "02266"
HEADER = ["dossier_id", "procedure_code", "received_at", "submitted_at", "due_date", "returned_date", "channel"]


def write_folder(folder, rows, statistics=None):
    """A records folder with one commune and ``rows`` of dossiers (``HEADER`` columns, dates as the
    software writes them); ``statistics``: rows of a reported form with canonical columns."""
    write_sheet(folder / "units.xlsx", ["unit_code", "unit_name", "level", "parent_code"], [
        ["070", "Huyện Yên Sơn", "Huyện", "08"], [UNIT, "Xã Thái Bình", "Xã", "070"]])
    write_sheet(folder / "procedures.xlsx", ["procedure_code", "procedure_name", "field", "level", "legal_days",
                                             "cutoff_time"], [
        ["1.001193", "Đăng ký khai sinh", "Hộ tịch", "Xã", 0, "15:00"],
        ["1.004873", "Xác nhận tình trạng hôn nhân", "Hộ tịch", "Xã", 3, None]])
    (folder / "dossiers").mkdir()
    write_sheet(folder / "dossiers" / f"{UNIT}_2025.xlsx", HEADER, rows)
    if statistics:
        (folder / "statistics").mkdir()
        write_sheet(folder / "statistics" / f"{UNIT}_2025.xlsx",
                    ["unit_code", "period_from", "period_to", "field", "received_total", "received_online",
                     "received_counter", "received_carried_over"], statistics)
    return load_records(folder)


def portal_rows(day: dt.date, numbers, agency="000.00.14.H56", start_hour=8):
    """Counter dossiers numbered by the portal on ``day``, received a quarter-hour apart."""
    rows = []
    for position, number in enumerate(numbers):
        received = dt.datetime.combine(day, dt.time(start_hour)) + dt.timedelta(minutes=15 * position)
        code = f"{agency}-{day:%y%m%d}-{number:04d}"
        rows.append([code, "1.001193", received.strftime("%d/%m/%Y %H:%M"), None, day.strftime("%d/%m/%Y"),
                     (received + dt.timedelta(hours=1)).strftime("%d/%m/%Y %H:%M"), "Trực tiếp"])
    return rows


def flagged(result, reason):
    return sorted(result.flagged.loc[result.flagged["reason"] == reason, "dossier_id"])


# ---- reading codes -----------------------------------------------------------------------------------------
PIECES = ["000.00.14.H56", "H56.14", "TN", "ht", "Số", "-", "--", "/", " ", ".", "2025", "250123", "20250123",
          "251332", "0003", "1", "1234567", "12", "A", "é"]


# Codes shaped as the software writes them, with the slips a log holds: another separator, a date too long
# or impossible, a running number too long, empty or not digits, spaces, lower case, a letter after.
SHAPED = st.tuples(st.sampled_from(["000.00.14.H56", "H56.14", "h56.14", "", "Sổ-1", " 000.00.14.H56"]),
                   st.sampled_from(["-", "/", "--"]), st.sampled_from(["250123", "20250123", "251332", "2501234", ""]),
                   st.sampled_from(["-", "-", "/", ""]), st.text("0123456789", max_size=8),
                   st.sampled_from(["", "", "", " ", "A", "-"])).map("".join)
CODES = st.one_of(st.none(), SHAPED, SHAPED, st.lists(st.sampled_from(PIECES), max_size=6).map("".join))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(CODES, min_size=1, max_size=40))
def test_reading_codes_head_by_head_gives_what_one_match_per_code_gives(codes):
    """The head-by-head fast path (``code_heads``) against matching each code with the pattern."""
    codes = pd.Series(codes, dtype=object)
    fast = parse_codes(codes)
    with pytest.MonkeyPatch.context() as patched:  # a fixture would not be undone between examples
        patched.setattr(population, "seq_width", lambda regex: None)
        slow = parse_codes(codes)
    pd.testing.assert_frame_equal(fast, slow)


UNIFORM = st.tuples(st.sampled_from(["000.00.14.H56", "H56.14", "ĐT.2", "X"]), st.integers(1, 6),
                    st.lists(st.tuples(st.integers(0, 3), st.integers(0, 10 ** 6 - 1)), min_size=1, max_size=30),
                    st.sampled_from([None, "", "A-12", "000.00.14.H56-250101-12345678", "X-250101-1x"]))


@settings(max_examples=200, deadline=None)
@given(UNIFORM)
def test_codes_written_alike_are_read_as_a_table_as_the_general_way_reads_them(case):
    """``uniform_codes`` against ``split_tails`` and ``distinct_heads``; an odd code sends the log to them."""
    prefix, width, numbers, odd = case
    codes = [f"{prefix}-25010{day}-{number % 10 ** width:0{width}d}" for day, number in numbers]
    if odd is not None:
        codes.append(odd)
    text = pa.array(codes, type=pa.large_string())
    fast = code_heads.uniform_codes(text, 6)
    if odd is not None and (odd == "" or len(odd) != len(codes[0])):
        assert fast is None
    if fast is None:
        return
    digits, tails = code_heads.split_tails(text, 6)
    heads, index = code_heads.distinct_heads(text, digits)
    assert digits.tolist() == [fast[0]] * len(codes) and fast[1].tolist() == tails.tolist()
    assert fast[2].equals(heads) and fast[3].tolist() == index.tolist()


def test_codes_of_other_lengths_adding_up_alike_are_not_read_as_a_table():
    # 24 and 26 bytes where the others have 25: the bytes add up as for codes alike, and cut in rows of 25 they
    # even look alike ("…-0020", "000.00.14.H56-…"), but the cells are not those rows.
    codes = ["000.00.14.H56-250101-0001", "000.00.14.H56-250101-002", "0000.00.14.H56-250101-0003"]
    assert code_heads.uniform_codes(pa.array(codes, type=pa.large_string()), 6) is None
    # A long log's offsets are compared a block at a time: a cell ending a block is compared too.
    offsets = np.arange(140_001, dtype=np.int64) * 25
    assert arrow_text.evenly_spaced(offsets, 25)
    for cell in ((1 << 16) - 1, (1 << 17) - 1):
        shorter = offsets.copy()
        shorter[cell + 1:] -= 1
        assert not arrow_text.evenly_spaced(shorter, 25)


KEYS = st.lists(st.integers(0, 40), max_size=60).map(lambda keys: np.array(keys, dtype=np.int64))


@settings(max_examples=200, deadline=None)
@given(KEYS, st.lists(st.integers(-3, 3), min_size=1, max_size=8), st.integers(0, 7))
def test_numberings_are_coded_in_order_of_first_appearance_as_pandas_codes_them(heads, head_keys, unused):
    """``_head_groups``: numberings coded head by head (heads sharing a key, heads no code has) give the codes
    ``pandas.factorize`` gives the codes' keys."""
    head_key = np.array(head_keys + [99] * unused, dtype=np.int64)
    heads = heads % len(head_keys)
    codes, count = population._head_groups(heads, head_key)
    expected, uniques = pd.factorize(head_key[heads])
    assert codes.tolist() == expected.tolist() and count == len(uniques)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 5), st.integers(0, 12)), max_size=60), st.booleans(), st.booleans())
def test_codes_are_ordered_by_numbering_then_number_as_a_stable_sort_orders_them(pairs, in_order, wide):
    """``_by_group_and_number``: its radix sorts (a log numbered in order, any log of 16-bit numbers) and
    the plain stable sort of wide numbers give the same order."""
    if in_order:
        pairs = sorted(pairs, key=lambda pair: pair[1])
    group = np.array([g for g, _ in pairs], dtype=np.int64)
    seq = np.array([n for _, n in pairs], dtype=np.int64) * (1 << 17 if wide else 1)
    codes, uniques = pd.factorize(group)
    order, grouped, numbers = population._by_group_and_number(codes, seq, len(uniques))
    assert order.tolist() == np.argsort(codes * population._SEQ_LIMIT + seq, kind="stable").tolist()
    assert grouped.tolist() == codes[order].tolist() and numbers.tolist() == seq[order].tolist()


def test_the_fast_path_reads_the_portal_patterns_and_not_the_books():
    widths = [seq_width(rule.regex) for rule in population.load_settings().patterns]
    assert widths == [6, 6, None, None]


def test_codes_are_read_by_pattern_with_their_numbering_scope():
    codes = pd.Series(["000.00.14.H56-250123-0003", " tn-2025-00299 ", "01/2025", "HT/2025/12",
                       "H56.14-20250123-0007", "000.00.14.H56-251332-0001", "Số 5", None])
    parsed = parse_codes(codes)
    assert parsed["pattern"].tolist()[:5] == ["portal", "book_prefix_year", "book_number_year", "book_prefix_year",
                                              "portal_long_date"]
    assert parsed["scope"].tolist()[:5] == ["day", "year", "year", "year", "day"]
    assert parsed["prefix"].tolist()[:5] == ["000.00.14.H56", "TN", "", "HT", "H56.14"]
    assert parsed["seq"].tolist() == [3, 299, 1, 12, 7, -1, -1, -1]
    assert parsed["year"].tolist()[:5] == [2025] * 5
    assert parsed["day"].iloc[0] == pd.Timestamp(2025, 1, 23) and parsed["day"].iloc[4] == pd.Timestamp(2025, 1, 23)
    # Month 13 is no date: the code is not read rather than read wrong.
    assert parsed["pattern"].isna().tolist()[5:] == [True, True, True]


def test_missing_numbers_are_written_as_ranges():
    assert compress_numbers([18, 12, 13, 14, 15]) == "12–15, 18"
    assert compress_numbers([7]) == "7" and compress_numbers([]) == ""


# ---- a log written as the software exports it ------------------------------------------------------------------
@pytest.fixture(scope="module")
def planted_log(tmp_path_factory):
    """Three days of portal codes: 0004 of 6/1 never logged, 0002 of 7/1 written twice, 0003 of 8/1 received on
    9/1; a 10/1 of another centre's sparse numbers (lodged here)."""
    rows = (portal_rows(dt.date(2025, 1, 6), [1, 2, 3, 5, 6])
            + portal_rows(dt.date(2025, 1, 7), [1, 2, 2, 3, 4])
            + portal_rows(dt.date(2025, 1, 8), [1, 2, 4])
            + portal_rows(dt.date(2025, 1, 10), [1, 2, 3])
            + portal_rows(dt.date(2025, 1, 10), [17, 240, 873], agency="000.00.01.H56"))
    moved = portal_rows(dt.date(2025, 1, 8), [3])[0]
    moved[2] = "09/01/2025 09:10"
    rows.append(moved)
    return write_folder(tmp_path_factory.mktemp("planted_log"), rows)


def test_a_gap_a_repeated_code_and_a_moved_receipt_are_flagged(planted_log):
    result = check_population(UnitYear(planted_log, UNIT, 2025))
    assert result.available and result.clause == "7.5.3"
    assert flagged(result, "after_gap") == ["000.00.14.H56-250106-0005"]
    # The second row under one code was set aside when read (duplicate_id): read back from the excluded rows.
    assert flagged(result, "duplicate_code") == ["000.00.14.H56-250107-0002"] * 2
    assert flagged(result, "moved_receipt") == ["000.00.14.H56-250108-0003"]
    assert list(result.table.columns) == TABLE_COLUMNS
    assert result.table.to_dict("records") == [{
        "population_prefix": "000.00.14.H56", "population_scope": "day", "population_period": "06/01/2025",
        "population_missing": "4", "population_count": 1}]
    gap = result.details(result.flagged[result.flagged["reason"] == "after_gap"])[0]
    assert gap == {"prefix": "000.00.14.H56", "period": "06/01/2025", "missing": "4", "count": 1}
    moved = result.details(result.flagged[result.flagged["reason"] == "moved_receipt"])[0]
    assert moved == {"code_date": "08/01/2025", "received": "09/01/2025 09:10"}
    # Another centre's numbers (17, 240, 873) are too sparse to be the unit's: not gaps, but named.
    assert result.params["sparse_prefixes"] == "000.00.01.H56"
    assert result.params["gap_numbers"] == 1 and result.params["duplicates"] == 2 and result.params["moved"] == 1


def test_every_reason_and_paragraph_is_worded(planted_log):
    result = check_population(UnitYear(planted_log, UNIT, 2025))
    for lang in ("vi", "en"):
        for reason, detail in zip(result.flagged["reason"], result.details()):
            assert "{" not in label(REASON_KEYS[reason], lang, **detail)
        assert str(result.params["codes"]) in label("analytics.population.found", lang, **result.params)
        assert label("analytics.population.sparse", lang, **result.params)
        assert label(MISSING_KEYS[result.params["statistics_missing"]], lang)
        for column in result.table.columns:
            assert label(COLUMN_KEYS[column], lang)
        for scope in set(result.table["population_scope"]):
            assert label(SCOPE_KEYS[scope], lang)
    assert set(REASON_KEYS) == set(PLANTED_REASONS)


def test_a_book_numbered_through_the_year_shows_its_gap_as_a_range(tmp_path):
    rows = []
    for number in [n for n in range(1, 31) if not 12 <= n <= 15]:
        day = dt.date(2025, 1, 2) + dt.timedelta(days=number)
        rows.append([f"TN-2025-{number:05d}", "1.004873", f"{day:%d/%m/%Y} 09:00", None, f"{day:%d/%m/%Y}", None,
                     "Trực tiếp"])
    result = check_population(UnitYear(write_folder(tmp_path, rows), UNIT, 2025))
    assert result.table[["population_prefix", "population_scope", "population_period", "population_missing",
                         "population_count"]].values.tolist() == [["TN", "year", "2025", "12–15", 4]]
    assert flagged(result, "after_gap") == ["TN-2025-00016"]
    assert result.flagged["reason"].tolist() == ["after_gap"]


def test_too_few_codes_following_a_pattern_make_the_test_not_available(tmp_path):
    rows = [[f"HS{n}", "1.004873", f"{6 + n % 20:02d}/01/2025 09:00", None, "31/01/2025", None, "Trực tiếp"]
            for n in range(30)]
    result = check_population(UnitYear(write_folder(tmp_path, rows), UNIT, 2025))
    assert result.missing == "too_few_parsed" and not result.available
    assert result.table.empty and result.flagged.empty
    assert label(MISSING_KEYS[result.missing], "vi")


def test_a_year_without_dossiers_is_said_missing_not_zero(planted_log):
    result = check_population(UnitYear(planted_log, UNIT, 2024))
    assert result.missing == "no_dossiers"


def test_an_online_code_numbered_on_submission_is_not_a_moved_receipt():
    # The portal numbers an online dossier when it is submitted (23:40 on the 7th); it is received on the 8th.
    log = pd.DataFrame({
        "dossier_id": [f"000.00.14.H56-250107-{n:04d}" for n in range(1, 31)],
        "received_at": pd.to_datetime(["2025-01-07 09:00"] * 29 + ["2025-01-08 07:45"]),
        "submitted_at": pd.to_datetime([None] * 29 + ["2025-01-07 23:40"]),
    })
    assert population_check(log, 2025).quiet
    log.loc[29, "submitted_at"] = pd.NaT
    assert flagged(population_check(log, 2025), "moved_receipt") == ["000.00.14.H56-250107-0030"]


# ---- the agency's reported statistics ---------------------------------------------------------------------------
def test_reported_receipts_are_compared_with_the_codes_logged(tmp_path):
    rows = portal_rows(dt.date(2025, 1, 6), range(1, 16)) + portal_rows(dt.date(2025, 1, 7), range(1, 16))
    statistics = [[UNIT, "01/01/2025", "31/01/2025", "Hộ tịch", 34, 4, 28, 2]]
    result = check_population(UnitYear(write_folder(tmp_path, rows, statistics), UNIT, 2025))
    assert result.params["statistics_missing"] is None
    assert result.params["statistics"] == [{"start": "01/01/2025", "end": "31/01/2025", "reported": 32, "logged": 30,
                                            "difference": 2, "source_file": result.params["statistics"][0]
                                            ["source_file"]}]
    assert result.params["statistics_differing"] == 1
    assert "32" in label("analytics.population.statistics", "vi", **result.params)


def test_without_a_reported_form_the_comparison_is_said_missing(planted_log):
    result = check_population(UnitYear(planted_log, UNIT, 2025))
    assert result.params["statistics_missing"] == "no_statistics_form"
    assert result.params["statistics"] == []


# ---- a clean log is quiet; a planted one gives exactly its plants ------------------------------------------------
def test_the_clean_sample_district_raises_no_alarm(small_district):
    records = load_records(small_district)
    available = 0
    for unit in ("08011", "08014", "08020", "08032", "08038", "08044", "08047"):  # no planted problem
        result = check_population(UnitYear(records, unit, 2025))
        # At a tenth of its size a small commune logs under 20 codes a year: too few to judge, and said so.
        assert result.quiet or result.missing == "too_few_parsed", (unit, result.table, result.flagged)
        available += result.available
    assert available >= 3


def test_the_unit_with_a_planted_duplicate_is_caught(small_district):
    # The sample's own plant (synthetic_plants.csv): a row of 08041 given the code of the row before it.
    result = check_population(UnitYear(load_records(small_district), "08041", 2025))
    assert result.params["duplicates"] == 2


def clean_log(days=40, per_day=6, seed=3) -> pd.DataFrame:
    """A unit's canonical dossiers: ``per_day`` counter or online dossiers on each of ``days`` working days of
    2025, numbered by the portal in the order received."""
    rng = np.random.default_rng(seed)
    working = pd.bdate_range("2025-02-10", periods=days)
    frames = []
    for day in working:
        count = int(rng.integers(per_day - 2, per_day + 3))
        minutes = np.sort(rng.choice(np.arange(450, 1020), count, replace=False))
        received = day + pd.to_timedelta(minutes, unit="m")
        frames.append(pd.DataFrame({
            "dossier_id": [f"000.00.14.H56-{day:%y%m%d}-{n:04d}" for n in range(1, count + 1)],
            "unit_code": UNIT, "procedure_code": "1.004873", "received_at": received,
            "due_date": day + pd.offsets.BDay(3), "returned_date": received + pd.offsets.BDay(3),
            "channel": rng.choice(["counter", "online"], count, p=[0.8, 0.2]),
        }))
    return pd.concat(frames, ignore_index=True)


@pytest.mark.parametrize("seed", range(6))
def test_the_test_finds_exactly_what_was_planted(seed):
    log = clean_log(seed=seed)
    assert population_check(log, 2025).quiet
    planted_frame, planted = plant_population(log, np.random.default_rng(seed), gaps=3, duplicates=2, moved=2)
    assert [len(planted[r]) for r in PLANTED_REASONS] == [3, 2, 2]
    assert len(planted_frame) == len(log) - 3 + 2
    result = population_check(planted_frame, 2025)
    for reason in PLANTED_REASONS:
        assert sorted(set(flagged(result, reason))) == sorted(planted[reason]), reason
    assert set(result.flagged["reason"]) == set(PLANTED_REASONS)


def test_plants_read_back_from_an_agency_file_are_found(tmp_path):
    log = clean_log(days=15, seed=11)
    planted_frame, planted = plant_population(log, np.random.default_rng(5))
    rows = [[row.dossier_id, row.procedure_code, f"{row.received_at:%d/%m/%Y %H:%M}", None, f"{row.due_date:%d/%m/%Y}",
             f"{row.returned_date:%d/%m/%Y %H:%M}", "Trực tiếp" if row.channel == "counter" else "Trực tuyến"]
            for row in planted_frame.itertuples()]
    result = check_population(UnitYear(write_folder(tmp_path, rows), UNIT, 2025))
    for reason in PLANTED_REASONS:
        assert sorted(set(flagged(result, reason))) == sorted(planted[reason]), reason


def test_codes_with_a_day_no_calendar_has_are_numbered_apart_without_overflow():
    """A code's day may be impossible (32/01): such codes form a numbering of their own, and the numberings'
    keys are made without the integer overflow NaT's day number caused."""
    import warnings

    impossible = pd.DataFrame({"dossier_id": ["000.00.14.H56-250132-0001", "000.00.14.H56-250132-0002",
                                              "000.00.14.H56-250230-0001", "000.00.14.H56-250230-0001"],
                               "received_at": pd.to_datetime(["2025-02-01 08:00"] * 4)})
    log = pd.concat([clean_log(), impossible], ignore_index=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        result = population_check(log, 2025)
    assert flagged(result, "duplicate_code") == ["000.00.14.H56-250230-0001"] * 2
    assert set(result.flagged["reason"]) == {"duplicate_code"}  # no gap, no other numbering disturbed
