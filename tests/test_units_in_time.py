"""Units in time (#17): a code names the unit valid on a row's date; merged units keep their predecessors'
history; a code reused by a new unit never mixes the two."""
from __future__ import annotations

import pandas as pd
import pytest

from isoaudit.measures import UnitYear
from isoaudit.records import load_records
from isoaudit.records.cache import load_cache, save_cache
from isoaudit.records.units_in_time import ancestors, predecessor_links, successors
from isoaudit.review import assemble_review
from isoaudit.unit_history import unit_history
from tests.builders import write_sheet

FORMER_08011 = "08011@2025-06-30"
UNITS_HEADER = ["Mã ĐVHC", "Tên đơn vị", "Cấp", "Mã đơn vị cấp trên", "Hiệu lực từ ngày", "Hiệu lực đến ngày",
                "Đơn vị trước sắp xếp"]
LOG_HEADER = ["Mã hồ sơ", "Mã TTHC", "Ngày nhận", "Ngày hẹn trả", "Ngày trả kết quả"]


def write_province(folder, units=None):
    """A province after the reform: two wards merged into a new one under the code of one of them (08011),
    a commune split between two new ones (08026), a code with a gap between its two units (08035)."""
    write_sheet(folder / "units.xlsx", UNITS_HEADER, units or [
        ["25", "Tỉnh Phú Thọ", "Tỉnh", None, None, None, None],
        ["241", "Thị xã Thanh Lâm", "Thị xã", "25", None, "30/06/2025", None],
        ["08011", "Phường Hùng Vương", "Phường", "241", None, "30/06/2025", None],
        ["08014", "Phường Tân Thịnh", "Phường", "241", None, "30/06/2025", None],
        ["08026", "Xã Phú Lộc", "Xã", "241", None, "30/06/2025", None],
        ["08035", "Xã Kim Đức", "Xã", "241", None, "31/03/2025", None],
        ["08011", "Phường Thanh Lâm", "Phường", "25", "01/07/2025", None, "08011; 08014"],
        ["08023", "Xã Thanh Hà", "Xã", "25", "01/07/2025", None, "08026"],
        ["08029", "Xã Đồng Tâm", "Xã", "25", "01/07/2025", None, "08026"],
        ["08035", "Xã Kim Đức", "Xã", "25", "01/07/2025", None, None],
    ])
    write_sheet(folder / "procedures.xlsx", ["Mã TTHC", "Tên thủ tục hành chính", "Thời hạn giải quyết"],
                [["1.004873", "Xác nhận tình trạng hôn nhân", 3]])
    (folder / "dossiers").mkdir()
    # The software kept running under 08011: Hùng Vương's dossiers until 30/06, Thanh Lâm's after.
    write_sheet(folder / "dossiers" / "08011_2025.xlsx", LOG_HEADER, [
        ["A1", "1.004873", "05/05/2025 08:00", "08/05/2025", "07/05/2025 10:00"],
        ["A2", "1.004873", "30/06/2025 08:00", "03/07/2025", "08/07/2025 10:00"],
        ["A3", "1.004873", "01/07/2025 08:00", "04/07/2025", "03/07/2025 10:00"],
        ["A4", "1.004873", "04/08/2025 08:00", "07/08/2025", "12/08/2025 10:00"],
    ])
    write_sheet(folder / "dossiers" / "08014_2025.xlsx", LOG_HEADER, [
        ["B1", "1.004873", "06/05/2025 08:00", "09/05/2025", "08/05/2025 10:00"],
        ["B2", "1.004873", "05/08/2025 08:00", "08/08/2025", "07/08/2025 10:00"],
    ])
    write_sheet(folder / "dossiers" / "08026_2025.xlsx", LOG_HEADER, [
        ["P1", "1.004873", "03/03/2025 08:00", "06/03/2025", "05/03/2025 10:00"],
    ])
    write_sheet(folder / "dossiers" / "08035_2025.xlsx", LOG_HEADER, [
        ["C1", "1.004873", "05/02/2025 08:00", "10/02/2025", "07/02/2025 10:00"],
        ["C2", "1.004873", "15/05/2025 08:00", "20/05/2025", "19/05/2025 10:00"],
        ["C3", "1.004873", "15/08/2025 08:00", "20/08/2025", "19/08/2025 10:00"],
    ])
    (folder / "objectives").mkdir()
    write_sheet(folder / "objectives" / "08011_2024.xlsx", ["Năm", "Mục tiêu", "Chỉ tiêu cần đạt"],
                [[2024, "Giải quyết hồ sơ đúng hạn", "≥ 98 %"]])
    write_sheet(folder / "objectives" / "08011_2025.xlsx", ["Năm", "Mục tiêu", "Chỉ tiêu cần đạt"],
                [[2025, "Giải quyết hồ sơ đúng hạn", "≥ 99 %"]])
    return folder


@pytest.fixture(scope="module")
def province(tmp_path_factory):
    return load_records(write_province(tmp_path_factory.mktemp("province")))


def owner(records, dossier_id):
    return records.dossiers.set_index("dossier_id").loc[dossier_id, "unit_code"]


def test_a_reused_code_names_two_units_each_with_its_own_key(province):
    units = province.units.set_index("unit_code")
    assert units.loc[FORMER_08011, "unit_name"] == "Phường Hùng Vương"
    assert units.loc["08011", "unit_name"] == "Phường Thanh Lâm"
    assert not [p for p in province.problems if p.code == "duplicate_id"]


def test_dossiers_go_to_the_unit_their_code_named_on_the_day_received(province):
    assert owner(province, "A1") == FORMER_08011
    assert owner(province, "A2") == FORMER_08011  # the last day of Hùng Vương
    assert owner(province, "A3") == "08011"  # the first day of Thanh Lâm
    assert owner(province, "A4") == "08011"
    assert owner(province, "C1") == "08035@2025-03-31"
    assert owner(province, "C3") == "08035"


def test_a_date_no_unit_of_its_code_covers_is_said_and_not_counted(province):
    assert "C2" not in set(province.dossiers["dossier_id"])
    [problem] = [p for p in province.problems if p.code == "unit_not_on_date"]
    assert (problem.file, problem.row, problem.column) == ("dossiers/08035_2025.xlsx", 3, "Ngày nhận")
    message = problem.message("vi")
    assert "08035" in message and "Xã Kim Đức" in message and "31/03/2025" in message and "01/07/2025" in message


def test_rows_dated_outside_the_only_unit_of_their_code_stay_with_one_warning(province):
    assert owner(province, "B2") == "08014"
    [problem] = [p for p in province.problems if p.code == "unit_outside_period"]
    assert (problem.file, problem.row) == ("dossiers/08014_2025.xlsx", 3)
    assert "1 dòng" in problem.message("vi") and "Phường Tân Thịnh" in problem.message("vi")


def test_a_new_unit_counts_only_its_own_dossiers(province):
    assert sorted(UnitYear(province, "08011", 2025).received["dossier_id"]) == ["A3", "A4"]
    assert sorted(UnitYear(province, FORMER_08011, 2025).received["dossier_id"]) == ["A1", "A2"]


def test_predecessors_are_the_units_of_their_codes_the_day_before(province):
    assert ancestors(province.units, "08011") == [(FORMER_08011, 1), ("08014", 1)]
    assert sorted(successors(province.units, "08026")) == ["08023", "08029"]  # split between two
    links = predecessor_links(province.units)
    assert set(links["date"]) == {pd.Timestamp(2025, 7, 1)}


def test_objectives_of_a_year_go_to_the_unit_of_that_year(province):
    by_year = province.objectives.set_index("year")["unit_code"]
    assert by_year[2024] == FORMER_08011
    assert by_year[2025] == "08011"


def test_the_cache_keeps_the_units_apart(province, tmp_path):
    cached = load_cache(save_cache(province, tmp_path / "cache"))
    assert owner(cached, "A1") == FORMER_08011
    assert set(cached.units["unit_code"]) == set(province.units["unit_code"])


def test_registry_mistakes_are_located(tmp_path):
    write_province(tmp_path, units=[
        ["25", "Tỉnh Phú Thọ", "Tỉnh", None, None, None, None],
        ["08011", "Phường Hùng Vương", "Phường", "25", None, "30/06/2025", None],
        ["08011", "Phường Thanh Lâm", "Phường", "25", "01/06/2025", None, "08011"],  # overlaps the first
        ["08014", "Phường Tân Thịnh", "Phường", "25", "01/07/2025", "30/06/2025", None],  # ends before it starts
        ["08023", "Xã Thanh Hà", "Xã", "25", "01/07/2025", None, "08099"],  # no such predecessor
        ["08029", "Xã Đồng Tâm", "Xã", "25", None, None, "08023"],  # predecessors without a date
    ])
    problems = {p.code: p for p in load_records(tmp_path).problems}
    assert problems["duplicate_id"].row == 4
    assert problems["unit_dates_backwards"].row == 5 and problems["unit_dates_backwards"].severity == "error"
    assert problems["unknown_predecessor"].value == "08099" and "30/06/2025" in problems["unknown_predecessor"]\
        .message("vi")
    assert problems["predecessors_without_date"].column == "Đơn vị trước sắp xếp"


def test_a_merged_unit_shows_its_predecessors_years_beside_its_own(province):
    history = unit_history(province, "08011", (2024, 2025))
    rows = {(r.unit_name, r.year): r for r in history.itertuples()}
    assert set(rows) == {("Phường Thanh Lâm", 2025), ("Phường Hùng Vương", 2025), ("Phường Tân Thịnh", 2025)}
    assert rows[("Phường Thanh Lâm", 2025)].received_count == 2  # A3, A4: nothing of Hùng Vương's added
    assert rows[("Phường Hùng Vương", 2025)].received_count == 2  # A1, A2
    assert rows[("Phường Hùng Vương", 2025)].late_count == 1  # A2: due 03/07, returned 08/07
    assert rows[("Phường Tân Thịnh", 2025)].received_count == 2  # B1, and B2 kept with a warning


def test_a_units_history_takes_its_own_year_already_judged_and_no_other(province):
    """The review's judged year serves the unit's own rows of its history (they are not judged again); one of
    another day is not used. Either way the history is the same."""
    alone = unit_history(province, "08011", (2024, 2025))
    judged = UnitYear(province, "08011", 2025)
    pd.testing.assert_frame_equal(unit_history(province, "08011", (2024, 2025), judged=judged), alone)
    assert "assessed" in judged.__dict__  # its judging is the one the history used
    other_day = UnitYear(province, "08011", 2025, as_of="30/09/2025")
    unit_history(province, "08011", (2024, 2025), judged=other_day)
    assert "assessed" not in other_day.__dict__


def test_the_review_of_a_merged_unit_says_when_and_from_what_it_was_formed(province):
    section = next(s for s in assemble_review(province, "08011", 2025).sections if s.key == "c3")
    text = " ".join(section.sentences)
    assert "thành lập từ ngày 01/07/2025" in text and "Phường Hùng Vương, Phường Tân Thịnh" in text
    assert not any("Không có hồ sơ năm 2024" in w for w in section.warnings)  # it did not exist in 2024
    table = next(t for t in section.tables if t.key == "unit_history").display()
    assert list(table["Đơn vị"]) == ["Phường Thanh Lâm", "Phường Hùng Vương", "Phường Tân Thịnh"]
    assert list(table["Thời gian hoạt động"]) == ["từ 01/07/2025", "đến 30/06/2025", "đến 30/06/2025"]


def test_a_split_commune_is_shown_whole_and_said_to_be_shared(province):
    section = next(s for s in assemble_review(province, "08023", 2025).sections if s.key == "c3")
    assert any("Xã Phú Lộc được chia cho đơn vị này và Xã Đồng Tâm" in s for s in section.sentences)


def test_a_batch_audits_the_units_that_exist_at_the_years_end(province):
    from isoaudit.batch.run import select_units

    assert sorted(select_units(province, None, 2025)["unit_code"]) == ["08011", "08023", "08029", "08035"]
    assert sorted(select_units(province, None, 2024)["unit_code"]) == [FORMER_08011, "08014", "08026",
                                                                       "08035@2025-03-31"]


def test_a_units_share_of_a_cache_is_its_rows_and_its_predecessors(province, tmp_path):
    cache = save_cache(province, tmp_path / "cache")
    mine = load_records(cache, unit="8011")  # typed without its zero, as papermill may pass it
    assert sorted(mine.dossiers["dossier_id"]) == ["A1", "A2", "A3", "A4", "B1", "B2"]
    assert sorted(mine.objectives["unit_code"]) == ["08011", FORMER_08011]
    assert len(mine.units) == len(province.units)  # the registry whole, for names and parents
    assert sorted(UnitYear(mine, "08011", 2025).received["dossier_id"]) == ["A3", "A4"]
    assert len(load_records(cache, unit="99999").dossiers) == len(province.dossiers)  # unknown: all, said later


def test_a_units_rows_are_row_groups_of_their_own_in_the_cache(province, tmp_path):
    """So that a unit's notebook decodes its own row groups only, not a province's million dossiers."""
    import pyarrow.parquet as pq

    cache = save_cache(province, tmp_path / "cache")
    dossiers = pq.ParquetFile(cache / "dossiers.parquet")
    codes = pd.factorize(province.dossiers["unit_code"], use_na_sentinel=False)[0]
    runs = 1 + int((codes[1:] != codes[:-1]).sum())  # a row without a code makes a run of its own
    assert dossiers.num_row_groups == runs > 1
    for group in range(dossiers.num_row_groups):
        assert len(set(dossiers.read_row_group(group, columns=["unit_code"]).column(0).to_pylist())) == 1
    pd.testing.assert_frame_equal(load_cache(cache).dossiers, province.dossiers, check_dtype=False)
    # The registry is read whole by every unit: one row group (hundreds took longer to read than its rows).
    assert pq.ParquetFile(cache / "units.parquet").num_row_groups == 1
