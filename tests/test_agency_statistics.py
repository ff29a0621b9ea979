"""The agency's periodic statistics (Biểu II.06a) counted as its software counts them, against the stored
appointment, and by law: the lines of the form both ways, their difference, and the dossiers behind it."""
from __future__ import annotations

import datetime as dt

import pytest

from isoaudit.agency_statistics import GROUPS, LINES, agency_statistics, period_statistics
from isoaudit.measures import UnitYear
from isoaudit.outputs.review_html import footer_html, page_html, section_html, table_html
from isoaudit.records import load_records
from isoaudit.review import assemble_review
from tests.builders import UNIT, write_records, write_sheet

# Added to the commune of ``write_records`` (marital-status confirmation: 3 working days):
# A1 received Monday 03/02/2025, legally due Thursday 06/02, given an appointment on 14/02 and returned that day;
# A2 received 23/12/2024, due 26/12, returned 06/01/2025 (carried over, late);
# A3 received 16/12/2024, due 19/12, never returned (carried over, overdue).
EXTRA_DOSSIERS = [
    ["A1", "1.004873", "03/02/2025 08:00", "14/02/2025", "14/02/2025 10:00", "Trực tiếp", None, None, None],
    ["A2", "1.004873", "23/12/2024 09:00", "26/12/2024", "06/01/2025 09:00", "Trực tiếp", None, None, "26/12/2024"],
    ["A3", "1.004873", "16/12/2024 09:00", "19/12/2024", None, "Trực tiếp", None, None, None],
]


@pytest.fixture(scope="module")
def records(tmp_path_factory):
    folder = write_records(tmp_path_factory.mktemp("agency_statistics"))
    write_sheet(folder / "dossiers" / f"{UNIT}_bo_sung_2025.xlsx",
                ["dossier_id", "procedure_code", "received_at", "due_date", "returned_date", "channel",
                 "supplement_requested_at", "supplement_received_at", "apology_date"], EXTRA_DOSSIERS)
    return load_records(folder)


@pytest.fixture(scope="module")
def year_2025(records):
    return agency_statistics(UnitYear(records, UNIT, 2025, as_of=dt.date(2025, 12, 31)))


def _lines(statistics, way: str) -> dict[str, int]:
    return dict(zip(statistics.table["line"], statistics.table[way]))


def test_the_form_lines_both_ways(year_2025):
    """2025: D1-D6 and A1 new, A2 and A3 carried over. The software counts A1 on time (returned on its
    appointment) and D6 late (returned the day after its appointment); by law A1 is late (the appointment
    gave 6 working days more than the legal 3) and D6 early (the wait for its supplement does not count)."""
    assert list(year_2025.table["line"]) == list(LINES)
    software, law = _lines(year_2025, "software"), _lines(year_2025, "law")
    assert (software["received_carried_over"], software["received_new"], software["received_total"]) == (2, 7, 9)
    assert (law["received_carried_over"], law["received_new"], law["received_total"]) == (2, 7, 9)
    assert [software[k] for k in ("handled_early", "handled_on_time", "handled_late", "handled_total")] == [0, 3, 4, 7]
    assert [law[k] for k in ("handled_early", "handled_on_time", "handled_late", "handled_total")] == [1, 2, 4, 7]
    assert software["in_progress_overdue"] == law["in_progress_overdue"] == 2  # D4 and A3
    difference = dict(zip(year_2025.table["line"], year_2025.table["difference"]))
    assert (difference["handled_early"], difference["handled_on_time"], difference["handled_late"]) == (-1, 1, 0)


def test_an_appointment_longer_than_the_law_hides_a_late_dossier(year_2025):
    differing = year_2025.differing.set_index("dossier_id")
    assert sorted(differing.index) == ["A1", "D6"]
    a1 = differing.loc["A1"]
    assert (a1["software_line"], a1["law_line"]) == ("handled_on_time", "handled_late")
    assert a1["due_date"].date() == dt.date(2025, 2, 14) and a1["legal_due_date"].date() == dt.date(2025, 2, 6)
    assert bool(a1["appointment_beyond_legal"])
    assert list(year_2025.differing["dossier_id"])[0] == "A1"  # the longest appointment first, for sampling
    assert (differing.loc["D6", "software_line"], differing.loc["D6", "law_line"]) == ("handled_late", "handled_early")
    assert year_2025.beyond_legal == 1
    assert year_2025.on_time_rate("software") == pytest.approx(3 / 7)
    assert year_2025.on_time_rate("law") == pytest.approx(3 / 7)
    assert "applicant" not in year_2025.dossiers and "citizen_name" not in year_2025.dossiers


def test_carried_over_means_received_before_and_not_returned_at_the_start(year_2025, records):
    carried = year_2025.dossiers[year_2025.dossiers["carried_over"]]
    assert sorted(carried["dossier_id"]) == ["A2", "A3"]  # D7 (10/12/2024) was returned on 12/12/2024
    # A quarter as agencies count it: from 15/12/2024 A2 and A3 are new; the next quarter carries A3 over.
    first = period_statistics(records, UNIT, "2024-12-15", "2025-03-14")
    assert _lines(first, "law")["received_carried_over"] == 0
    assert sorted(first.dossiers["dossier_id"]) == ["A1", "A2", "A3", "D1", "D2", "D3", "D5", "D6"]
    second = period_statistics(records, UNIT, "2025-03-15", "2025-06-14")
    for way in ("software", "law"):
        lines = _lines(second, way)
        assert (lines["received_carried_over"], lines["received_new"], lines["in_progress_overdue"]) == (1, 0, 1)


def test_a_dossier_open_for_years_is_still_carried_over(tmp_path):
    """Received in 2023, outside the two years ``UnitYear`` judges, never returned: carried over into 2025."""
    folder = write_records(tmp_path)
    write_sheet(folder / "dossiers" / f"{UNIT}_2023.xlsx",
                ["dossier_id", "procedure_code", "received_at", "due_date", "returned_date"],
                [["C1", "1.004873", "04/12/2023 08:00", "07/12/2023", None],
                 ["C2", "1.004873", "04/12/2023 08:00", "07/12/2023", "06/12/2023 08:00"]])
    statistics = agency_statistics(UnitYear(load_records(folder), UNIT, 2025))
    carried = statistics.dossiers[statistics.dossiers["carried_over"]]
    assert carried["dossier_id"].tolist() == ["C1"]
    assert carried[["software_line", "law_line"]].iloc[0].tolist() == ["in_progress_overdue", "in_progress_overdue"]
    _adds_up(statistics)


def _adds_up(statistics) -> None:
    for way in ("software", "law"):
        lines = _lines(statistics, way)
        for group, leaves in GROUPS.items():
            assert lines[f"{group}_total"] == sum(lines[leaf] for leaf in leaves), (way, group)
        assert lines["received_total"] == lines["handled_total"] + lines["in_progress_total"], way


def test_totals_add_up_both_ways(year_2025, sample_records):
    _adds_up(year_2025)
    for unit in sample_records.units["unit_code"].dropna():
        statistics = agency_statistics(UnitYear(sample_records, unit, 2025))
        _adds_up(statistics)
        assert statistics.count("received_new", "law") == len(UnitYear(sample_records, unit, 2025).received)


def test_withdrawn_or_waiting_for_a_supplement_counts_on_time_for_the_form_only(tmp_path):
    """The form counts a withdrawn dossier and one waiting for the citizen's supplement among those handled on
    time; by law the first is handled but not judged, the second still in progress (its clock stopped)."""
    folder = write_records(tmp_path)
    write_sheet(folder / "dossiers" / f"{UNIT}_rut_2025.xlsx",
                ["dossier_id", "procedure_code", "received_at", "due_date", "returned_date", "supplement_requested_at",
                 "log_status"],
                [["R1", "1.004873", "05/05/2025 08:00", "08/05/2025", "06/05/2025 09:00", None, "Đã rút hồ sơ"],
                 ["S1", "1.004873", "01/12/2025 08:00", "04/12/2025", None, "02/12/2025 10:00", "Chờ bổ sung"]])
    statistics = agency_statistics(UnitYear(load_records(folder), UNIT, 2025))
    lines = statistics.dossiers.set_index("dossier_id")[["software_line", "law_line"]]
    assert lines.loc["R1"].tolist() == ["handled_on_time", "handled_not_judged"]
    assert lines.loc["S1"].tolist() == ["handled_on_time", "in_progress_within_time"]
    assert _lines(statistics, "law")["handled_not_judged"] == 1
    _adds_up(statistics)


def test_a_period_before_the_window_is_refused(records):
    with pytest.raises(ValueError):
        agency_statistics(UnitYear(records, UNIT, 2025), start="2023-06-01")


def _page(pack) -> str:
    body = "".join(section_html(s) + "".join(table_html(t) for t in s.tables) for s in pack.sections)
    return page_html(body, pack.title, pack.lang, footer_html(pack.inputs, pack.parameters, pack.version, pack.lang))


def test_the_review_shows_both_ways_and_says_how_they_differ(records):
    pack = assemble_review(records, UNIT, 2025)
    section = pack.section("c3")
    table = next(t for t in section.tables if t.key == "agency_statistics")
    assert table.title == "Thống kê theo phần mềm và theo quy định"
    shown = table.display()
    assert list(shown.columns) == ["Chỉ tiêu", "Theo phần mềm (ngày hẹn trả)", "Theo quy định (thời hạn giải quyết)",
                                   "Chênh lệch"]
    assert shown.iloc[4].tolist() == ["Số hồ sơ đã giải quyết: trả đúng hạn", "3", "2", "1"]
    assert not shown["Chỉ tiêu"].str.contains("không xét").any()  # the unused not-judged lines are left out
    sentence = ("Theo biểu thống kê định kỳ (hồ sơ giải quyết xong trong kỳ, kể cả hồ sơ kỳ trước chuyển sang, "
                "nên khác tỷ lệ của hồ sơ tiếp nhận trong năm ở trên), từ 01/01/2025 đến 31/12/2025: phần mềm tính "
                "42,9 % hồ sơ đã giải quyết đúng hạn theo ngày hẹn; tính theo thời hạn luật định là 42,9 %: 2 hồ sơ "
                "được tính khác nhau, trong đó 1 hồ sơ được hẹn dài hơn thời hạn giải quyết.")
    assert sentence in section.sentences
    differing = next(t for t in section.tables if t.key == "agency_statistics_differing").frame
    assert differing["dossier_id"].tolist() == ["A1", "D6"]
    page = _page(pack)
    assert "Thống kê theo phần mềm và theo quy định" in page and sentence in page
    assert "Số hồ sơ nhận giải quyết: từ kỳ trước chuyển qua" in page


def test_the_review_says_when_both_ways_agree(review_pack):
    section = review_pack.section("c3")
    assert any(t.key == "agency_statistics" for t in section.tables)
    assert not any(t.key == "agency_statistics_differing" for t in section.tables)
    assert any(s.startswith("Biểu thống kê định kỳ (hồ sơ giải quyết xong trong kỳ, kể cả hồ sơ kỳ trước chuyển sang) "
                            "từ 01/01/2025 đến 31/12/2025 tính theo ngày hẹn của phần mềm trùng")
               for s in section.sentences)


def test_english_words(records):
    section = assemble_review(records, UNIT, 2025, lang="en").section("c3")
    table = next(t for t in section.tables if t.key == "agency_statistics")
    assert table.title == "Statistics as the software counts and by law"
    assert any(s.startswith("By the periodic statistics form (dossiers handled in the period, including those "
                            "carried over, hence not the rate of dossiers received in the year above), from 01/01/2025 "
                            "to 31/12/2025: the software counts 42.9 %")
               for s in section.sentences)
