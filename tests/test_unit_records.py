"""One unit's share of the records (``Records.for_unit``): its rows, the problems of its files and of the
folder's shared files, and its lineage, the same however often a unit's reports ask (issue #19: a unit's cost
must not grow with the province's thousand files)."""
from __future__ import annotations

import dataclasses

import pandas as pd
import pytest

import isoaudit.records.model as model
from isoaudit.problems import Problem
from isoaudit.records import load_records
from isoaudit.records.units_in_time import ancestors
from tests.test_units_in_time import FORMER_08011, write_province


@pytest.fixture(scope="module")
def province(tmp_path_factory):
    return load_records(write_province(tmp_path_factory.mktemp("province")))


def with_problems(records, *problems: Problem, files=()):
    return dataclasses.replace(records, problems=[*records.problems, *problems],
                               files=[*records.files, *(records.folder / f for f in files)])


def test_a_problem_of_a_units_file_is_that_units_alone(province):
    records = with_problems(province, Problem("records.unreadable", file="dossiers/08035_2024.xlsx"),
                            files=["dossiers/08035_2024.xlsx"])
    assert "dossiers/08035_2024.xlsx" in {p.file for p in records.for_unit("08035").problems}
    assert "dossiers/08035_2024.xlsx" not in {p.file for p in records.for_unit("08026").problems}


def test_a_problem_of_a_file_holding_a_units_rows_is_named_by_its_path_in_the_folder(province):
    problem = Problem("records.bad_date", file="dossiers/08014_2025.xlsx", row=3)
    records = with_problems(province, problem)
    assert problem in records.for_unit("08014").problems
    assert problem not in records.for_unit("08035").problems


def test_a_problem_of_the_registry_belongs_to_every_unit(province):
    records = with_problems(province, Problem("records.bad_code", file="units.xlsx", row=4))
    for key in ("08011", FORMER_08011, "08014", "08035"):
        assert "units.xlsx" in {p.file for p in records.for_unit(key).problems}


def test_a_unit_and_its_predecessors_keep_their_rows(province):
    both = province.for_units(["08011", FORMER_08011])
    assert set(both.dossiers["dossier_id"]) == {"A1", "A2", "A3", "A4"}
    assert set(province.for_unit(FORMER_08011).dossiers["dossier_id"]) == {"A1", "A2"}


def test_records_of_one_unit_restricted_to_it_are_the_same_rows(province):
    own = province.for_unit("08035")
    again = own.for_unit("08035")
    pd.testing.assert_frame_equal(again.dossiers, own.dossiers)
    assert again.problems == own.problems


def test_a_units_lineage_is_worked_out_once_for_all_its_copies(province, monkeypatch):
    records = dataclasses.replace(province)  # a fresh copy: nothing worked out yet
    calls = []
    monkeypatch.setattr(model, "ancestors", lambda units, key: calls.append(key) or ancestors(units, key))
    assert records.ancestors("08011") == ancestors(province.units, "08011")
    assert records.for_unit("08011").ancestors("08011") == ancestors(province.units, "08011")
    assert records.for_units(["08011", FORMER_08011]).ancestors("08011") == ancestors(province.units, "08011")
    assert calls == ["08011"]
