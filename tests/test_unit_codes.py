"""A unit code that lost its leading zeros on the way (stored as a number: 8023 for "08023") is still the
registry's unit, in every kind of record and in file names; two registry codes with the same digits leave it
as written."""
from __future__ import annotations

from types import SimpleNamespace

import pandas as pd
import pytest

from isoaudit.records import load_records
from isoaudit.records.units import known_unit_code, normalise_unit_codes
from tests.builders import row_problems, write_sheet

REGISTRY = ["080", "08023", "08029", "0803", "00803", "H56"]


@pytest.mark.parametrize("written, expected", [
    (8023, "08023"), (8023.0, "08023"), ("8023", "08023"), (" 08023 ", "08023"), ("08023", "08023"),
    ("8023.0", "08023"), (80, "080"), ("0080", "080"),
    ("803", "803"),  # "0803" and "00803" share the digits: ambiguous, as written
    ("0803", "0803"), ("00803", "00803"),  # in the registry as written
    ("H56", "H56"), (" H56 ", "H56"), ("9999", "9999"), ("08-023", "08-023"),
])
def test_a_code_is_the_registrys_whatever_its_storage(written, expected):
    codes = pd.Series([written, None], dtype=object)
    assert normalise_unit_codes(codes, pd.Series(REGISTRY, dtype="string")).tolist() == [expected, pd.NA]


def test_a_column_keeps_its_index_and_every_row():
    codes = pd.Series([8023, "08029", 8023.0, None, "8029"], index=[10, 11, 12, 13, 14], dtype=object)
    normalised = normalise_unit_codes(codes, REGISTRY)
    assert normalised.index.tolist() == [10, 11, 12, 13, 14]
    assert normalised.tolist() == ["08023", "08029", "08023", pd.NA, "08029"]
    assert str(normalised.dtype) == "string"


def test_a_notebook_parameter_is_matched_the_same_way():
    records = SimpleNamespace(units=pd.DataFrame({"unit_code": pd.Series(REGISTRY, dtype="string")}))
    assert known_unit_code(records, 8023) == "08023"
    assert known_unit_code(records, 8023.0) == "08023"
    assert known_unit_code(records, "803") == "803"


LOG_HEADER = ["Mã hồ sơ", "Mã đơn vị", "Mã TTHC", "Ngày tiếp nhận", "Ngày hẹn trả", "Ngày trả kết quả"]


@pytest.fixture
def district(tmp_path):
    write_sheet(tmp_path / "units.xlsx", ["Mã đơn vị", "Tên đơn vị", "Cấp"],
                [["080", "Huyện Đoan Hùng", "Huyện"], ["08023", "Xã Chí Đám", "Xã"],
                 ["08029", "Xã Hùng Xuyên", "Xã"], ["0803", "Xã Một", "Xã"], ["00803", "Xã Hai", "Xã"]])
    write_sheet(tmp_path / "procedures.xlsx", ["Mã TTHC", "Tên TTHC", "Thời hạn giải quyết"],
                [["1.004873", "Xác nhận tình trạng hôn nhân", 3]])
    (tmp_path / "dossiers").mkdir()
    # The software exported unit codes as numbers: every storage of 08023 in one log.
    write_sheet(tmp_path / "dossiers" / "so_theo_doi_2025.xlsx", LOG_HEADER, [
        ["A1", 8023, "1.004873", "05/03/2025 08:30", "10/03/2025", "07/03/2025 10:00"],
        ["A2", 8023.0, "1.004873", "05/03/2025 09:30", "10/03/2025", "07/03/2025 10:00"],
        ["A3", "8023", "1.004873", "05/03/2025 10:30", "10/03/2025", None],
        ["A4", " 08023 ", "1.004873", "05/03/2025 11:30", "10/03/2025", None],
        ["A5", 8029, "1.004873", "05/03/2025 08:30", "10/03/2025", None],
        ["A6", 803, "1.004873", "05/03/2025 08:30", "10/03/2025", None],  # two registry codes: unknown
    ])
    # A file named after the unit's code without its zero, no unit column.
    write_sheet(tmp_path / "dossiers" / "8029_2025.xlsx", [h for h in LOG_HEADER if h != "Mã đơn vị"], [
        ["B1", "1.004873", "06/03/2025 08:30", "11/03/2025", None],
    ])
    (tmp_path / "objectives").mkdir()
    write_sheet(tmp_path / "objectives" / "muc_tieu_2025.xlsx",
                ["Mã đơn vị", "Năm", "Mục tiêu chất lượng", "Chỉ tiêu cần đạt"],
                [[8023, 2025, "Giải quyết hồ sơ đúng hạn", "≥ 98 %"],
                 [8029.0, 2025, "Giải quyết hồ sơ đúng hạn", "≥ 95 %"]])
    (tmp_path / "surveys").mkdir()
    write_sheet(tmp_path / "surveys" / "khao_sat.xlsx", ["unit_code", "survey_date", "rating"],
                [[8023, "06/03/2025", "Hài lòng"]])
    (tmp_path / "feedback").mkdir()
    write_sheet(tmp_path / "feedback" / "phan_anh.xlsx", ["unit_code", "feedback_id", "received_date", "content"],
                [[8029, "PA-1", "06/03/2025", "Chậm trả kết quả"]])
    (tmp_path / "findings").mkdir()
    write_sheet(tmp_path / "findings" / "phat_hien.xlsx",
                ["finding_id", "unit_code", "clause", "grade", "description"],
                [["F1", 8023, "8.5.1", "minor", "Sổ theo dõi thiếu ngày trả"]])
    (tmp_path / "reviews").mkdir()
    write_sheet(tmp_path / "reviews" / "quyet_dinh.xlsx", ["unit_code", "year", "decision_id", "decision"],
                [[8029.0, 2025, "QD-1", "Bổ sung một công chức bộ phận một cửa"]])
    return tmp_path


def test_a_log_and_an_objectives_plan_with_numeric_codes_attach_to_the_right_units(district):
    records = load_records(district)
    units = records.dossiers.set_index("dossier_id")["unit_code"].to_dict()
    assert units == {"A1": "08023", "A2": "08023", "A3": "08023", "A4": "08023", "A5": "08029", "B1": "08029"}
    assert records.objectives["unit_code"].tolist() == ["08023", "08029"]
    unknown = [(p.code, p.file, p.row, p.column, p.value) for p in records.problems
               if p.code.startswith("unknown_unit")]
    assert unknown == [("unknown_unit", "dossiers/so_theo_doi_2025.xlsx", 7, "Mã đơn vị", "803")]
    assert [p.code for p in row_problems(records.problems)] == ["unknown_unit"]  # nothing else went wrong


def test_every_kind_with_a_unit_code_is_matched(district):
    records = load_records(district)
    assert records.surveys["unit_code"].tolist() == ["08023"]
    assert records.feedback["unit_code"].tolist() == ["08029"]
    assert records.findings["unit_code"].tolist() == ["08023"]
    assert records.decisions["unit_code"].tolist() == ["08029"]
    assert len(records.for_unit("08023").dossiers) == 4
