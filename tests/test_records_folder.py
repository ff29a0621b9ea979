"""A district records folder read as a whole: layout, unit attribution, catalogue matching, validation."""
from __future__ import annotations

import dataclasses
import datetime as dt

import pandas as pd
import pytest

from isoaudit.cli import main
from isoaudit.records import load_records
from tests.builders import nfd, row_problems, write_official_log, write_sheet

UNITS = [["070", "Huyện Yên Sơn", "Huyện", "08"], ["02266", "Xã Thái Bình", "Xã", "070"],
         ["02269", "Xã Tân Long", "Xã", "070"]]
PROCEDURES = [["1.001193", "Đăng ký khai sinh", "Hộ tịch", 0, "15:00"],
              ["2.000815", "Chứng thực bản sao từ bản chính", "Chứng thực", 0, "15:00"],
              ["1.004873", "Xác nhận tình trạng hôn nhân", "Hộ tịch", 3, None]]
EXPORT_HEADER = ["Mã hồ sơ", "Mã TTHC", "Tên TTHC", "Hình thức nộp", "Ngày tiếp nhận", "Ngày hẹn trả",
                 "Ngày trả kết quả", "Ngày yêu cầu bổ sung", "Ngày nhận bổ sung"]


@pytest.fixture
def district(tmp_path):
    write_sheet(tmp_path / "units.xlsx", ["Mã đơn vị", "Tên đơn vị", "Cấp", "Mã đơn vị cấp trên"], UNITS)
    write_sheet(tmp_path / "procedures.xlsx", ["Mã TTHC", "Tên TTHC", "Lĩnh vực", "Thời hạn giải quyết",
                                              "Giờ tiếp nhận cuối"], PROCEDURES)
    (tmp_path / "dossiers").mkdir()
    # A flat software export, unit from the file name.
    write_sheet(tmp_path / "dossiers" / "02266_2025.xlsx", EXPORT_HEADER, [
        ["TB-1", "1.001193", "Đăng ký khai sinh", "Trực tiếp", "06/01/2025 08:00", "06/01/2025", "06/01/2025 10:00", "", ""],
        ["TB-2", "1.004873", "", "Trực tuyến", "06/01/2025 09:00", "09/01/2025", "05/01/2025 10:00", "", ""],
        ["TB-2", "1.004873", "", "Trực tuyến", "06/01/2025 09:00", "09/01/2025", "09/01/2025", "", ""],
        ["TB-3", "9.999999", "", "Trực tiếp", "07/01/2025 08:00", "07/01/2025", "07/01/2025", "", ""],
        ["TB-4", "1.004873", "", "Bưu chính", "07/01/2025 08:00", "10/01/2025", "14/01/2025",
         "08/01/2025", "07/01/2025"],
    ])
    # An official tracking book naming procedures only, the unit only in its title rows.
    write_official_log(tmp_path / "dossiers" / "so_theo_doi_tan_long.xlsx", "UBND xã Tân Long", [
        {"id": "TL-1", "name": nfd("CHỨNG THỰC BẢN SAO TỪ BẢN CHÍNH"), "received": dt.datetime(2025, 1, 6, 8),
         "due": dt.datetime(2025, 1, 6), "returned": dt.datetime(2025, 1, 6, 9)},
        {"id": "TL-2", "name": "Đăng  ký khai sinh ", "received": "06/01/2025 16:00", "due": "07/01/2025",
         "returned": "07/01/2025 08:30"},
        {"id": "TL-3", "name": "Cấp giấy phép xây dựng", "received": "06/01/2025", "due": "20/01/2025"},
    ])
    # A broken file must not stop the others.
    (tmp_path / "dossiers" / "02269_hong.xlsx").write_bytes(b"not a workbook")
    (tmp_path / "objectives").mkdir()
    write_sheet(tmp_path / "objectives" / "02266_muc_tieu_2025.xlsx",
                ["Năm", "Mục tiêu chất lượng", "Chỉ tiêu cần đạt", "Cách đo"],
                [[2025, "Giải quyết hồ sơ đúng hạn", "≥ 98 %", "on_time_rate"],
                 [2025, "Không có hồ sơ trễ hạn mà không xin lỗi", "", "late_without_apology_count"]],
                title_rows=[["UBND XÃ THÁI BÌNH"], ["KẾ HOẠCH THỰC HIỆN MỤC TIÊU CHẤT LƯỢNG NĂM 2025"]])
    return tmp_path


def test_load_records_reads_every_kind_and_attributes_units(district):
    records = load_records(district)
    assert records.units["unit_code"].tolist() == ["070", "02266", "02269"]
    assert len(records.procedures) == 3
    by_unit = records.dossiers.groupby("unit_code")["dossier_id"].apply(list).to_dict()
    assert by_unit == {"02266": ["TB-1", "TB-2"], "02269": ["TL-1", "TL-2"]}
    tan_long = records.dossiers[records.dossiers["source_file"] == "so_theo_doi_tan_long.xlsx"]
    # The title row "UBND XÃ TÂN LONG" names the unit; names are matched to the catalogue after folding.
    assert tan_long["unit_code"].unique().tolist() == ["02269"]
    assert tan_long["procedure_code"].tolist() == ["2.000815", "1.001193"]
    assert tan_long["procedure_name"].tolist() == ["Chứng thực bản sao từ bản chính", "Đăng ký khai sinh"]
    assert records.dossiers["channel"].tolist() == ["counter", "online", pd.NA, pd.NA]
    assert records.objectives["unit_code"].unique().tolist() == ["02266"]


def test_every_planted_problem_is_reported_once_and_nothing_else(district):
    records = load_records(district)
    found = sorted((p.file, p.row or 0, p.code) for p in row_problems(records.problems))
    assert found == sorted([
        ("dossiers/02266_2025.xlsx", 3, "returned_before_received"),
        ("dossiers/02266_2025.xlsx", 5, "unknown_procedure"),
        ("dossiers/02266_2025.xlsx", 6, "supplement_before_request"),
        ("dossiers/02269_hong.xlsx", 0, "not_a_spreadsheet"),
        ("objectives/02266_muc_tieu_2025.xlsx", 5, "missing_target"),
        ("dossiers/so_theo_doi_tan_long.xlsx", 13, "unknown_procedure"),
    ])
    # TB-2's first row is excluded for its impossible dates, so the second is not a duplicate.
    assert records.dossiers["dossier_id"].tolist().count("TB-2") == 1
    assert set(records.excluded_dossiers["reason"]) == {"returned_before_received", "unknown_procedure",
                                                         "supplement_before_request"}


def test_validate_command_groups_by_file_and_exits_1_on_errors(district, capsys):
    code = main(["validate", str(district)])
    out = capsys.readouterr().out
    assert code == 1  # the damaged workbook is an error
    assert "Tệp dossiers/02266_2025.xlsx" in out and "Ngày trả kết quả" in out and "trước ngày nhận hồ sơ" in out
    assert "02269_hong.xlsx" in out and "không phải là bảng tính" in out
    (district / "dossiers" / "02269_hong.xlsx").unlink()
    assert main(["validate", str(district)]) == 0  # only warnings remain
    assert main(["validate", str(district), "--strict"]) == 1
    main(["validate", str(district), "--lang", "en"])
    assert "before the dossier was received" in capsys.readouterr().out


def test_missing_folder_and_registry_are_clear(tmp_path, capsys):
    assert main(["validate", str(tmp_path / "nowhere")]) == 2
    assert "Không tìm thấy thư mục hồ sơ" in capsys.readouterr().err
    records = load_records(tmp_path)
    assert {p.code for p in records.problems} == {"missing_file", "missing_folder"}


def test_for_unit_keeps_one_units_rows_and_problems(district):
    broken = load_records(district).for_unit("02269")
    assert {p.code for p in row_problems(broken.problems)} == {"not_a_spreadsheet", "unknown_procedure"}
    assert broken.has_errors
    records = load_records(district).for_unit("02266")
    assert not records.has_errors
    assert records.dossiers["dossier_id"].tolist() == ["TB-1", "TB-2"]
    assert sorted(records.excluded_dossiers["dossier_id"]) == ["TB-2", "TB-3", "TB-4"]
    assert set(records.objectives["unit_code"]) == {"02266"}


def test_columnar_cache_gives_back_the_same_records(district, tmp_path):
    from isoaudit.records.cache import save_cache

    records = load_records(district)
    cache = save_cache(records, tmp_path / "cache")
    again = load_records(cache)
    for name in ("units", "procedures", "dossiers", "objectives", "excluded_dossiers"):
        pd.testing.assert_frame_equal(getattr(again, name), getattr(records, name), check_dtype=False)
    assert again.dossiers["received_at"].dtype.kind == "M"
    assert [(p.code, p.file, p.row) for p in again.problems] == [(p.code, p.file, p.row) for p in records.problems]
    assert again.problems[0].message("vi") == records.problems[0].message("vi")
    pd.testing.assert_frame_equal(again.file_digests(), records.file_digests())
    assert again.for_unit("02266").dossiers["dossier_id"].tolist() == ["TB-1", "TB-2"]


def test_a_units_problems_and_files_read_without_its_figures_are_those_its_whole_rows_give(district, tmp_path):
    """A batch reads of a unit's rows only whose and whence they are (``load_cache(columns=)``, before the unit's
    notebooks run): the unit's problems (a broken log's error included) and input files are those its whole rows
    give, and no other column is read."""
    from isoaudit.batch.run import LANE_COLUMNS
    from isoaudit.records.cache import load_cache, save_cache

    cache = save_cache(load_records(district), tmp_path / "cache")
    for unit in ("02266", "02269"):
        whole = load_cache(cache, unit).for_unit(unit)
        light = load_cache(cache, unit, columns=LANE_COLUMNS).for_unit(unit)
        assert light.problems == whole.problems and light.problems
        for frame in ("dossiers", "objectives", "excluded_dossiers"):
            assert set(getattr(light, frame).columns) == set(LANE_COLUMNS)
            assert getattr(light, frame)["source_file"].tolist() == getattr(whole, frame)["source_file"].tolist()
        assert light.units.equals(whole.units)  # the registry whole
    assert load_cache(cache, "02269", columns=LANE_COLUMNS).for_unit("02269").has_errors


def test_a_units_rows_from_the_cache_are_those_a_filtered_read_gives(sample_records, tmp_path):
    """``load_cache(unit=...)`` decodes only the row groups that may hold the unit: every frame of every unit equals
    what reading the whole file with a filter on its unit gives, also where units' rows are interleaved (one row
    group of several units: then filtered) and for a unit with no rows."""
    from isoaudit.records.cache import FRAMES, SHARED_FRAMES, _shared_part, cache_version, save_cache

    records = sample_records
    shuffled = records.dossiers.sample(frac=1.0, random_state=7).reset_index(drop=True)  # interleaved units
    for name, frames in (("by_unit", {}), ("interleaved", {"dossiers": shuffled})):
        cache = save_cache(dataclasses.replace(records, **frames), tmp_path / name)
        shared = _shared_part(cache / "manifest.json", cache_version(cache))
        compared = 0
        for unit in records.units["unit_code"].astype(str):
            keys = shared.unit_keys(unit)
            one = load_records(cache, unit=unit)
            for frame in (f for f in FRAMES if f not in SHARED_FRAMES):
                expected = pd.read_parquet(cache / f"{frame}.parquet", filters=[("unit_code", "in", keys)])
                pd.testing.assert_frame_equal(getattr(one, frame), expected, check_exact=True)
                compared += len(expected)
        assert compared > len(records.dossiers)
    first, second = load_records(tmp_path / "by_unit", unit="08011"), load_records(tmp_path / "by_unit", unit="08029")
    assert second._names_by_unit is first._names_by_unit  # what was worked out about the files, once per cache
    merged = shared.unit_keys("08029")  # the commune and the units it was formed from
    assert len(merged) > 1
    assert len(load_records(tmp_path / "by_unit", unit="08029").dossiers) == \
        int(records.dossiers["unit_code"].isin(merged).sum())


def test_decisions_of_one_year_are_not_duplicates_but_a_repeated_id_is(district):
    (district / "reviews").mkdir()
    write_sheet(district / "reviews" / "02266_quyet_dinh_2024.xlsx",
                ["Năm xem xét", "Mã quyết định", "Nội dung quyết định", "Thời hạn", "Tình trạng"],
                [[2024, "QD-01", "Rút ngắn thời gian chứng thực", "30/06/2025", "Đã thực hiện"],
                 [2024, "QD-02", "Bổ sung máy quét tại bộ phận một cửa", "30/09/2025", "đang thực hiện"],
                 [2024, "QD-02", "Bổ sung máy quét", "30/09/2025", "Chưa thực hiện"]])
    records = load_records(district)
    assert records.decisions["decision_id"].tolist() == ["QD-01", "QD-02"]
    assert records.decisions["status"].tolist() == ["done", "in_progress"]
    assert [(p.file, p.row, p.code) for p in records.problems if p.file.startswith("reviews/02266_quyet")] == [
        ("reviews/02266_quyet_dinh_2024.xlsx", 4, "duplicate_id")]


def test_unreadable_returned_date_sets_the_row_aside(tmp_path):
    write_sheet(tmp_path / "units.xlsx", ["Mã đơn vị", "Tên đơn vị", "Cấp"], [["02266", "Xã Thái Bình", "Xã"]])
    write_sheet(tmp_path / "procedures.xlsx", ["Mã TTHC", "Tên TTHC", "Thời hạn giải quyết"],
                [["1.001193", "Đăng ký khai sinh", 0]])
    (tmp_path / "dossiers").mkdir()
    write_sheet(tmp_path / "dossiers" / "02266_2025.xlsx", EXPORT_HEADER[:7], [
        ["A", "1.001193", "", "", "06/01/2025 08:00", "06/01/2025", "không rõ"],
        ["B", "1.001193", "", "", "06/01/2025 08:00", "06/01/2025", "06/01/2025 09:00"]])
    records = load_records(tmp_path)
    assert records.dossiers["dossier_id"].tolist() == ["B"]
    assert records.excluded_dossiers["reason"].tolist() == ["unreadable_excluded"]
    assert [p.code for p in row_problems(records.problems)
            if p.file == "dossiers/02266_2025.xlsx"] == ["unreadable_datetime"]


def test_a_log_damaged_part_way_is_refused_by_name_and_the_folder_still_reads(tmp_path):
    """A quote never closed swallows the rest of a CSV: the file is refused from the row where it breaks (not
    used in part), the other files are read, nothing raises."""
    write_sheet(tmp_path / "units.xlsx", ["Mã đơn vị", "Tên đơn vị", "Cấp"],
                [["02266", "Xã Thái Bình", "Xã"], ["02269", "Xã Tân Long", "Xã"]])
    write_sheet(tmp_path / "procedures.xlsx", ["Mã TTHC", "Tên TTHC", "Thời hạn giải quyết"],
                [["1.001193", "Đăng ký khai sinh", 0]])
    (tmp_path / "dossiers").mkdir()
    lines = ["Mã hồ sơ,Mã TTHC,Ngày nhận,Ngày hẹn trả"]
    lines += [f"HS{i},1.001193,06/01/2025 08:00,06/01/2025" for i in range(20000)]
    lines.insert(101, 'HS-X,"1.001193,06/01/2025 08:00,06/01/2025')
    (tmp_path / "dossiers" / "02266_2025.csv").write_text("\n".join(lines), encoding="utf-8")
    write_sheet(tmp_path / "dossiers" / "02269_2025.xlsx", ["Mã hồ sơ", "Mã TTHC", "Ngày nhận", "Ngày hẹn trả"],
                [["TL-1", "1.001193", "06/01/2025 08:00", "06/01/2025"]])
    records = load_records(tmp_path)
    damaged = [p for p in records.problems if p.code == "records.damaged_text"]
    assert len(damaged) == 1 and damaged[0].severity == "error" and damaged[0].file == "dossiers/02266_2025.csv"
    assert "dossiers/02266_2025.csv" in damaged[0].message("vi") and "102" in damaged[0].message("vi")
    assert records.dossiers["dossier_id"].tolist() == ["TL-1"]
