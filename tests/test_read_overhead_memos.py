"""What a file's read remembers from the files read before it (issue #19: a province's 1,262 files) changes no
result: a header text means what the alias table of that call says, a registry changed or replaced gives its own
units, and the shortcuts taken for a file's few codes or years give what the long way gives."""
from __future__ import annotations

import os

import numpy as np
import pandas as pd
import pytest

from isoaudit.records import fast_xlsx
from isoaudit.records.aliases import alias_table
from isoaudit.records.units import in_registry
from isoaudit.records.units_in_time import _row_periods, attribute
from isoaudit.text import fold, fold_series
from tests.builders import write_sheet
from tests.test_fast_xlsx import HEADER, export_rows, fast_read, same


def test_a_header_means_what_the_alias_file_of_the_call_says(tmp_path):
    aliases = tmp_path / "column_aliases.csv"
    aliases.write_text("kind,column,alias\ndossiers,applicant,Người đứng tên\n", encoding="utf-8")
    before = alias_table("dossiers", aliases)
    assert before.meaning("Người đứng tên").column == "applicant"
    assert before.meaning("Người đứng tên") == before.meaning("Người đứng tên")  # asked again: remembered
    aliases.write_text("kind,column,alias\ndossiers,note,Người đứng tên\n", encoding="utf-8")
    stat = aliases.stat()
    os.utime(aliases, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))  # another version of the file
    assert alias_table("dossiers", aliases).meaning("Người đứng tên").column == "note"
    assert alias_table("dossiers").meaning("Người đứng tên") is None
    assert alias_table("dossiers", mapping={"Người đứng tên": "applicant"}).meaning("Người đứng tên").column \
        == "applicant"


def test_cells_of_other_types_are_told_apart():
    aliases = alias_table("dossiers")
    assert aliases.meaning(1) == aliases._meaning(1, "")
    assert aliases.meaning(1.0) == aliases._meaning(1.0, "")
    assert aliases.meaning("1") == aliases._meaning("1", "")


def test_a_flattened_two_row_header_is_found_by_its_group():
    aliases = alias_table("dossiers")
    parents = sorted(aliases.parents)
    assert parents
    for parent in parents:
        for (under, header), meaning in aliases.meanings.items():
            if under == parent:
                assert aliases.meaning(f"{parent} - {header}") == aliases.meaning(header, parent) == meaning
                break


def registry():
    return pd.DataFrame({"unit_code": pd.array(["08011@2025-06-30", "08011"], dtype="string"),
                         "valid_from": pd.to_datetime([None, "2025-07-01"]),
                         "valid_to": pd.to_datetime(["2025-06-30", None])})


def dossiers():
    return pd.DataFrame({"unit_code": pd.array(["08011", "08011"], dtype="string"),
                         "received_at": pd.to_datetime(["2025-03-01", "2025-09-01"]), "source_row": [2, 3]})


def test_a_registry_changed_in_place_or_replaced_gives_its_own_units():
    units = registry()
    assert attribute(dossiers(), units, "dossiers").frame["unit_code"].tolist() == ["08011@2025-06-30", "08011"]
    units.loc[1, "valid_from"] = pd.Timestamp("2025-01-01")  # the merger dated otherwise, in the same frame
    units.loc[0, "valid_to"] = pd.Timestamp("2024-12-31")
    units.loc[0, "unit_code"] = "08011@2024-12-31"
    assert attribute(dossiers(), units, "dossiers").frame["unit_code"].tolist() == ["08011", "08011"]
    assert attribute(dossiers(), registry(), "dossiers").frame["unit_code"].tolist() \
        == ["08011@2025-06-30", "08011"]


def test_the_callers_frame_keeps_its_codes():
    frame = dossiers()
    attribute(frame, registry(), "dossiers")
    assert frame["unit_code"].tolist() == ["08011", "08011"]


@pytest.mark.parametrize("codes", [["08011", "x", None, "08011"], [], [None], ["08014", "08014 "],
                                   ["08011@2025-06-30"]])
def test_codes_in_the_registry_as_isin_says(codes):
    codes = pd.Series(codes, dtype="string")
    registry_codes = pd.Series(["08011", "08011@2025-06-30", None, "08014"], dtype="string")
    pd.testing.assert_series_equal(in_registry(codes, registry_codes), codes.isin({"08011", "08011@2025-06-30",
                                                                                    "08014"}))


@pytest.mark.filterwarnings("ignore:Could not infer format")  # "25-01-01", parsed one by one both ways
@pytest.mark.parametrize("years", [[2025, None, 2024], [1678, 2261], [1677, 2025], [2262], [25, 2025], [], [None]])
def test_years_counted_give_the_days_parsed(years):
    frame = pd.DataFrame({"year": pd.array(years, dtype="Int64")})
    text = frame["year"].astype("string")
    first = pd.to_datetime(text + "-01-01", errors="coerce").fillna(pd.Timestamp(1900, 1, 1))
    last = pd.to_datetime(text + "-12-31", errors="coerce").fillna(pd.Timestamp(2200, 12, 31))
    got_first, got_last = _row_periods(frame, "year", "year")
    assert np.array_equal(got_first, first.to_numpy(dtype="datetime64[ns]"))
    assert np.array_equal(got_last, last.to_numpy(dtype="datetime64[ns]"))


@pytest.mark.parametrize("values", [["Trong ngày", None, "05 ngày", "Trong ngày"], [1, 1.0, None, "x"], [],
                                    [np.nan, pd.NA, "ĐĂNG KÝ"]])
def test_fold_series_folds_each_distinct_value_as_a_map_of_them_did(values):
    series = pd.Series(values, dtype=object, name="n", index=range(10, 10 + len(values)))
    folded = {value: fold(value) for value in pd.unique(series.dropna())}  # 1 and 1.0 are one value
    pd.testing.assert_series_equal(fold_series(series), series.map(folded).astype("string"))


def test_a_sheet_wider_than_the_columns_typed_first_is_read_the_same(tmp_path, monkeypatch):
    header = HEADER + [f"Cột {i}" for i in range(8)]
    rows = [row + [12.5 if i % 3 else "ghi chú" for _ in range(8)] for i, row in enumerate(export_rows(40))]
    path = write_sheet(tmp_path / "wide.xlsx", header, rows)
    monkeypatch.setattr(fast_xlsx, "FEW_COLUMNS", 4)  # the sheet's notes columns are past them
    assert fast_read(path) is not None
    same(path)


def test_a_workbook_listed_is_opened_once_and_not_kept(tmp_path, monkeypatch):
    from isoaudit.records import grid
    from isoaudit.records.table import read_table

    path = write_sheet(tmp_path / "26734_2025.xlsx", HEADER, export_rows(5))
    opened = []
    original = grid._open_book
    monkeypatch.setattr(grid, "_open_book", lambda p: opened.append(p) or original(p))
    assert len(read_table(path, "dossiers").frame) == 5
    assert opened == [path] and grid._listed.book is None  # listed, then read from the same book; let go


def test_a_file_changed_after_its_sheets_were_listed_is_opened_again(tmp_path):
    from isoaudit.records import grid

    path = write_sheet(tmp_path / "log.xlsx", ["Số biên nhận"], [["A"]])
    other = write_sheet(tmp_path / "other.xlsx", ["Mã hồ sơ"], [["B"]])
    grid.sheet_names(path)
    assert next(iter(grid.open_grid(other).rows))[0] == "Mã hồ sơ"  # another file: opened, the listed one let go
    assert grid._listed.book is None
    grid.sheet_names(path)
    write_sheet(path, ["Số hồ sơ", "x" * 50], [["C"]])  # rewritten: another size
    assert next(iter(grid.open_grid(path).rows))[0] == "Số hồ sơ"
