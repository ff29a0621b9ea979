"""Calendar anomalies, read like a calendar: a counter receipt on a Sunday or at 22:15, a return on a holiday,
a Saturday-morning reception that is no anomaly, a date without a time that is none either, online dossiers
received long after their submission or a day late, and appointments written under a procedure's time
before its change; the clean sample district quiet, planted logs found exactly."""
from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from isoaudit.analytics.calendar_anomalies import (
    CHECK_KEYS,
    COLUMN_KEYS,
    MISSING_KEYS,
    REASON_KEYS,
    REASONS,
    TABLE_COLUMNS,
    calendar_anomalies,
    check_calendar_anomalies,
)
from isoaudit.calendar import WorkCalendar
from isoaudit.i18n import label
from isoaudit.measures import UnitYear
from isoaudit.records import load_records
from isoaudit.synthetic.plants_calendar import PLANTED_REASONS, plant_calendar, plant_old_time
from isoaudit.timeliness import assess
from tests.builders import write_sheet

UNIT = "02266"  # receives on Saturday mornings
OTHER = "02269"  # does not
# The portal's submission under its export's header ("Ngày nộp hồ sơ"), the rest under canonical names.
HEADER = ["dossier_id", "unit_code", "procedure_code", "received_at", "Ngày nộp hồ sơ", "due_date", "returned_date",
          "channel", "supplement_requested_at"]
PROCEDURES = [
    ["1.001193", "Đăng ký khai sinh", "Hộ tịch", "Xã", 0, "15:00", None],
    ["1.004873", "Xác nhận tình trạng hôn nhân", "Hộ tịch", "Xã", 3, None, None],
    # Amended on 2/6/2025: now 3 working days; the commune wrote 5 before.
    ["2.000815", "Chứng thực hợp đồng", "Chứng thực", "Xã", 3, None, "02/06/2025"],
    # Amended on 1/9/2025, no dossier before it in the log.
    ["1.000689", "Đăng ký kết hôn", "Hộ tịch", "Xã", 3, None, "01/09/2025"],
]


def row(code, received, due, returned=None, channel="Trực tiếp", procedure="1.004873", submitted=None, unit=UNIT,
        asked=None):
    return [code, unit, procedure, received, submitted, due, returned, channel, asked]


def write_folder(folder, rows):
    write_sheet(folder / "units.xlsx", ["unit_code", "unit_name", "level", "parent_code", "saturday_reception"], [
        ["070", "Huyện Yên Sơn", "Huyện", "08", False], [UNIT, "Xã Thái Bình", "Xã", "070", True],
        [OTHER, "Xã Tân Long", "Xã", "070", False]])
    write_sheet(folder / "procedures.xlsx", ["procedure_code", "procedure_name", "field", "level", "legal_days",
                                             "cutoff_time", "changed_date"], PROCEDURES)
    (folder / "dossiers").mkdir()
    write_sheet(folder / "dossiers" / "log_2025.xlsx", HEADER, rows)
    return load_records(folder)


# Each row's id says what the test must make of it.
ROWS = [
    row("SUNDAY", "12/01/2025 09:00", "15/01/2025"),
    row("SATURDAY_MORNING", "11/01/2025 09:00", "15/01/2025"),  # the commune receives on Saturday mornings
    row("SATURDAY_AFTERNOON", "11/01/2025 14:30", "15/01/2025"),
    row("NIGHT", "13/01/2025 22:15", "16/01/2025"),
    row("NO_TIME", "13/01/2025", "16/01/2025", "16/01/2025"),  # 00:00: no time recorded
    row("HOLIDAY", "30/04/2025 09:00", "07/05/2025"),
    row("RETURNED_SUNDAY", "06/01/2025 08:00", "09/01/2025", "12/01/2025 09:15"),
    row("RETURNED_NIGHT", "06/01/2025 08:00", "09/01/2025", "08/01/2025 21:40"),
    row("RETURNED_LATE_AFTERNOON", "06/01/2025 08:00", "09/01/2025", "08/01/2025 17:50"),  # within the grace
    row("ONLINE_SUNDAY_NIGHT", "12/01/2025 23:10", "16/01/2025", channel="Trực tuyến"),
    row("ONLINE_LATE", "10/01/2025 09:00", "15/01/2025", channel="Trực tuyến", submitted="06/01/2025 09:00"),
    row("ONLINE_MOVED", "08/01/2025 08:30", "13/01/2025", channel="Trực tuyến", submitted="07/01/2025 09:30"),
    row("ONLINE_EVENING", "08/01/2025 08:30", "13/01/2025", channel="Trực tuyến", submitted="07/01/2025 16:30"),
    row("ONLINE_WEEKEND", "13/01/2025 08:00", "16/01/2025", channel="Trực tuyến", submitted="10/01/2025 20:00"),
    row("ONLINE_ASKED", "08/01/2025 08:30", "13/01/2025", channel="Trực tuyến", submitted="07/01/2025 09:30",
        asked="07/01/2025 14:00"),
    row("POSTAL_SUNDAY", "12/01/2025 10:00", "16/01/2025", channel="Bưu chính"),
    row("OTHER_MAKEUP_SATURDAY", "26/04/2025 09:00", "06/05/2025", unit=OTHER),  # a worked Saturday (2025)
    row("OTHER_SATURDAY", "11/01/2025 09:00", "15/01/2025", unit=OTHER),  # no Saturday reception there
    # 2.000815: five working days before its change (2/6), three since; the commune went on writing five.
    *[row(f"BEFORE_{n}", f"{day}/05/2025 09:00", due, procedure="2.000815")
      for n, (day, due) in enumerate([("05", "12/05/2025"), ("06", "13/05/2025"), ("07", "14/05/2025"),
                                      ("08", "15/05/2025"), ("12", "19/05/2025"), ("13", "20/05/2025")])],
    row("OLD_TIME", "03/06/2025 09:00", "10/06/2025", procedure="2.000815"),
    row("NEW_TIME", "04/06/2025 09:00", "09/06/2025", procedure="2.000815"),
    row("LONG_AFTER", "03/09/2025 09:00", "10/09/2025", procedure="2.000815"),  # past the 60 days
    # 1.000689: no dossier before its change to learn the earlier time from.
    row("AFTER_CHANGE", "03/09/2025 09:00", "10/09/2025", procedure="1.000689"),
    row("AFTER_CHANGE_LEGAL", "04/09/2025 09:00", "09/09/2025", procedure="1.000689"),
]
EXPECTED = {
    "receipt_day_off": ["HOLIDAY", "OTHER_SATURDAY", "SUNDAY"],
    "receipt_outside_hours": ["NIGHT", "SATURDAY_AFTERNOON"],
    "return_day_off": ["RETURNED_SUNDAY"],
    "return_outside_hours": ["RETURNED_NIGHT"],
    "online_receipt_late": ["ONLINE_LATE"],
    "online_receipt_moved": ["ONLINE_MOVED"],
    "appointment_old_time": ["OLD_TIME"],
    "appointment_after_change": ["AFTER_CHANGE"],
}


@pytest.fixture(scope="module")
def records(tmp_path_factory):
    return write_folder(tmp_path_factory.mktemp("calendar_log"), ROWS)


def flagged(result, reason):
    return sorted(result.flagged.loc[result.flagged["reason"] == reason, "dossier_id"])


def test_each_anomaly_is_flagged_with_its_reason_and_nothing_else(records):
    result = calendar_anomalies(UnitYear(records, None, 2025).received, UnitYear(records, None, 2025).calendar,
                                records.procedures, UnitYear(records, None, 2025).assessed)
    assert result.available and result.clause == "8.5.1"
    assert {reason: flagged(result, reason) for reason in REASONS} == EXPECTED
    assert list(result.table.columns) == TABLE_COLUMNS
    assert result.table.set_index("calendar_check")["calendar_dossiers"].to_dict() == {
        reason: len(ids) for reason, ids in EXPECTED.items()}


def test_one_unit_is_judged_by_its_own_calendar(records):
    result = check_calendar_anomalies(UnitYear(records, UNIT, 2025))
    assert flagged(result, "receipt_day_off") == ["HOLIDAY", "SUNDAY"]
    other = check_calendar_anomalies(UnitYear(records, OTHER, 2025))
    # 26/4/2025 was a working Saturday (the swap for 2/5); an ordinary Saturday is a day off there.
    assert flagged(other, "receipt_day_off") == ["OTHER_SATURDAY"]
    assert other.table["calendar_check"].tolist() == ["receipt_day_off"]


def test_details_name_the_day_the_hours_and_the_times(records):
    result = check_calendar_anomalies(UnitYear(records, UNIT, 2025))
    detail = dict(zip(result.flagged["dossier_id"], result.details()))
    assert detail["SUNDAY"] == {"day": "12/01/2025", "time": "09:00"}
    assert detail["NIGHT"] == {"day": "13/01/2025", "time": "22:15", "hours": "07:00–17:30"}
    assert detail["SATURDAY_AFTERNOON"]["hours"] == "07:00–12:00"
    assert detail["ONLINE_LATE"] == {"submitted": "06/01/2025 09:00", "received": "10/01/2025 09:00", "days": 4,
                                     "limit": 1}
    assert detail["OLD_TIME"] == {"procedure": "2.000815", "changed": "02/06/2025", "due_date": "10/06/2025",
                                  "legal_due": "06/06/2025", "legal_days": 3, "before_days": 5}
    assert detail["AFTER_CHANGE"]["before_days"] is None and detail["AFTER_CHANGE"]["legal_due"] == "08/09/2025"


def test_every_reason_and_paragraph_is_worded(records):
    result = check_calendar_anomalies(UnitYear(records, UNIT, 2025))
    for lang in ("vi", "en"):
        for reason, detail in zip(result.flagged["reason"], result.details()):
            assert "{" not in label(REASON_KEYS[reason], lang, **detail)
        assert label("analytics.calendar.found", lang, **result.params)
        assert label("analytics.calendar.none", lang, **result.params)
        assert label("analytics.calendar.no_channel", lang, **result.params)
        for check in result.table["calendar_check"]:
            assert label(CHECK_KEYS[check], lang)
        for column in result.table.columns:
            assert label(COLUMN_KEYS[column], lang)
        assert label(MISSING_KEYS["no_dossiers"], lang)
    assert set(REASON_KEYS) == set(REASONS) == set(CHECK_KEYS)


def test_a_year_without_dossiers_is_said_missing(records):
    result = check_calendar_anomalies(UnitYear(records, UNIT, 2023))
    assert result.missing == "no_dossiers" and result.table.empty


def test_a_log_without_channels_checks_no_counter_and_says_how_many(records):
    received = UnitYear(records, UNIT, 2025).received.assign(channel=pd.NA)
    result = calendar_anomalies(received, WorkCalendar.vietnam().with_saturday_reception(), records.procedures)
    assert result.params["no_channel"] == len(received)
    assert not {"receipt_day_off", "receipt_outside_hours", "return_day_off"} & set(result.flagged["reason"])


# ---- a clean log is quiet; a planted one gives exactly its plants ------------------------------------------------
def test_the_clean_sample_district_raises_no_alarm(small_district):
    records = load_records(small_district)
    for unit in ("08011", "08014", "08017", "08020", "08032", "08038", "08041", "08044", "08047"):
        result = check_calendar_anomalies(UnitYear(records, unit, 2025))
        assert result.quiet, (unit, result.table, result.flagged)


@pytest.fixture(scope="module")
def synthetic_log():
    """A busy commune's year as the sample generator writes it (1,500 dossiers), judged, and its calendar."""
    from isoaudit.synthetic.catalogue import load_catalogue
    from isoaudit.synthetic.district_calendar import district_calendar
    from isoaudit.synthetic.dossiers import generate_dossiers
    from isoaudit.synthetic.units import district_units
    unit = next(u for u in district_units() if u.unit_code == "08020")
    calendar = district_calendar(2025)
    dossiers = generate_dossiers(unit, 2025, np.random.default_rng(7), n=1500)
    return dossiers, load_catalogue(), calendar.for_unit("08020")


def judged_anomalies(dossiers, catalogue, calendar):
    judged = assess(dossiers, catalogue, calendar)
    judged["channel"] = judged["channel"].astype("string").map({"Trực tiếp": "counter", "Trực tuyến": "online",
                                                                "Bưu chính": "postal"})
    return calendar_anomalies(judged, calendar, catalogue, judged)


def test_the_generator_s_clean_log_is_quiet(synthetic_log):
    assert judged_anomalies(*synthetic_log).quiet


@pytest.mark.parametrize("seed", range(5))
def test_the_test_finds_exactly_what_was_planted(synthetic_log, seed):
    dossiers, catalogue, calendar = synthetic_log
    planted_frame, planted = plant_calendar(dossiers, np.random.default_rng(seed), calendar, per_reason=2)
    assert all(len(planted[reason]) == 2 for reason in PLANTED_REASONS)
    result = judged_anomalies(planted_frame, catalogue, calendar)
    for reason in PLANTED_REASONS:
        assert flagged(result, reason) == sorted(planted[reason]), reason
    assert set(result.flagged["reason"]) == set(PLANTED_REASONS)


@pytest.mark.parametrize("seed", range(3))
def test_a_procedure_s_old_time_kept_after_its_change_is_found(synthetic_log, seed):
    dossiers, catalogue, calendar = synthetic_log
    planted_frame, changed, planted = plant_old_time(dossiers, catalogue, np.random.default_rng(seed), calendar)
    assert len(planted["appointment_old_time"]) >= 2
    result = judged_anomalies(planted_frame, changed, calendar)
    assert flagged(result, "appointment_old_time") == sorted(planted["appointment_old_time"])
    assert set(result.flagged["reason"]) == {"appointment_old_time"}


def test_plants_do_not_break_the_numbering(synthetic_log):
    from isoaudit.analytics.population import population_check
    dossiers, _, calendar = synthetic_log
    planted_frame, _ = plant_calendar(dossiers, np.random.default_rng(1), calendar, per_reason=3)
    assert population_check(planted_frame, 2025).quiet  # the Sunday receipt renumbered as the software would


def test_receipt_day_off_moves_a_row_to_a_sunday(synthetic_log):
    dossiers, _, calendar = synthetic_log
    planted_frame, planted = plant_calendar(dossiers, np.random.default_rng(2), calendar)
    moved = planted_frame[planted_frame["dossier_id"].isin(planted["receipt_day_off"])]
    assert (moved["received_at"].dt.day_of_week == 6).all()
    assert dt.date(2025, 1, 1) <= moved["received_at"].dt.date.iloc[0] <= dt.date(2025, 12, 31)


def test_channels_are_coded_alike_from_arrow_text_and_from_python_objects():
    """The Arrow path of the channel codes against the lookup it replaces for Arrow-backed text."""
    from isoaudit.analytics.calendar_anomalies import _channel_codes

    written = ["counter", "online", None, "postal", "Counter", " online", "bưu chính", "", "online"]
    arrow = _channel_codes(pd.Series(written, dtype="string[pyarrow]"))
    plain = _channel_codes(pd.Series(written, dtype=object))
    assert arrow.tolist() == plain.tolist() == [1, 2, 0, 3, 0, 0, 0, 0, 2]
