"""A batch unit's two notebooks in one kernel (``notebook.unit_records``): the review gets the records the audit
read and the year it judged, and makes the pack it would make on its own."""
from __future__ import annotations

import pandas as pd
import pytest

import isoaudit.notebook as notebook
from isoaudit.evidence import audit_period
from isoaudit.measures import UnitYear
from isoaudit.notebook.unit_records import judged_year, read_records
from isoaudit.records import load_records
from isoaudit.records.cache import save_cache
from isoaudit.review import assemble_review
from tests.builders import REVIEW_UNIT as UNIT


@pytest.fixture
def cache(review_district, tmp_path):
    return save_cache(load_records(review_district), tmp_path / "cache")


def test_a_unit_of_a_cache_is_read_once_until_the_cache_is_written_again(cache, review_district):
    first = read_records(cache, unit=UNIT)
    assert read_records(cache, unit=UNIT) is first
    save_cache(load_records(review_district), cache)  # a new batch's cache in the same place
    again = read_records(cache, unit=UNIT)
    assert again is not first and again.dossiers.equals(first.dossiers)
    # A records folder may be edited between two runs: read every time. So is a whole cache.
    assert read_records(review_district, unit=UNIT) is not read_records(review_district, unit=UNIT)
    assert read_records(cache) is not read_records(cache)


def test_the_review_uses_the_year_the_audit_judged_and_makes_the_same_pack(cache):
    records = read_records(cache, unit=UNIT)
    audited = judged_year(records, UNIT, 2025, audit_period(2025)[1])  # as the audit form judges it
    assert "assessed" not in vars(audited)
    shared = notebook.assemble_review(notebook.load_records(cache, unit=UNIT), UNIT, 2025)
    assert "assessed" in vars(audited)  # the review's figures came from the audit's judged dossiers
    alone = assemble_review(load_records(cache, unit=UNIT), UNIT, 2025)
    _assert_same_pack(shared, alone)


def test_a_judged_year_of_another_year_or_records_is_not_used(review_district):
    records = load_records(review_district)
    alone = assemble_review(records, UNIT, 2025)
    for other in (UnitYear(records, UNIT, 2024), UnitYear(load_records(review_district), UNIT, 2025)):
        _assert_same_pack(assemble_review(records, UNIT, 2025, unit_year=other), alone)
        assert "assessed" not in vars(other)


def _assert_same_pack(pack, expected) -> None:
    assert pack.figures == expected.figures
    assert [(s.key, s.sentences, s.warnings) for s in pack.sections] == \
        [(s.key, s.sentences, s.warnings) for s in expected.sections]
    for section, other in zip(pack.sections, expected.sections):
        assert len(section.tables) == len(other.tables) and len(section.charts) == len(other.charts)
        for table, table_expected in zip(section.tables, other.tables):
            pd.testing.assert_frame_equal(table.frame, table_expected.frame)
        for chart, chart_expected in zip(section.charts, other.charts):
            pd.testing.assert_frame_equal(chart.data, chart_expected.data)
    pd.testing.assert_frame_equal(pack.proposals, expected.proposals)
