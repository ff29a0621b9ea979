"""The sample province as the analytics' proving ground (#18 item 7, #17 item 6): every pattern its README says
was planted is found with its reason, the units nothing was planted in stay quiet, and the two reported
statistics forms read back as the software counted them (08011) and as misreported (08029)."""
from __future__ import annotations

import re

import pytest

from isoaudit.analytics.run import run_analytics
from isoaudit.measures import UnitYear
from isoaudit.reported_statistics import reported_summary
from tests.conftest import REPOSITORY

QUIET = ("08023", "08035")  # book-kept communes nothing was planted in


@pytest.fixture(scope="module")
def found(sample_records):
    flags = {}
    for unit in sorted({"08011", "08038", "08041", "08047", *QUIET}):
        for result in run_analytics(UnitYear(sample_records, unit, 2025)):
            assert result.available, (unit, result.test, result.missing)
            for reason, rows in result.flagged.groupby("reason"):
                flags[(unit, result.test, reason)] = set(rows["dossier_id"])
    return flags


def planted():
    readme = (REPOSITORY / "sample_records" / "README.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| (\d{5}) \| (\w+) \| `(\w+)` \| (.*) \|$", readme, re.M)
    assert {test for _, test, _, _ in rows} == {"population", "calendar", "supplements", "backfill"}
    return [(unit, test, reason, {i.strip() for i in ids.split(",")}) for unit, test, reason, ids in rows]


@pytest.mark.parametrize("unit, test, reason, ids", planted())
def test_every_planted_pattern_is_found(found, unit, test, reason, ids):
    assert ids <= found.get((unit, test, reason), set())


def test_the_units_nothing_was_planted_in_stay_quiet(found):
    assert [key for key in found if key[0] in QUIET] == []


def test_the_reported_forms_read_back_honest_and_misreported(sample_records):
    honest = reported_summary(sample_records, "08011", 2025)
    assert honest.forms == 1 and honest.lines_differing_from_software == 0
    assert honest.reported_rate == pytest.approx(honest.software_rate)
    misreported = reported_summary(sample_records, "08029", 2025)
    assert misreported.lines_differing_from_software == 2  # handled late -2, on time +2
    assert misreported.reported_rate > misreported.software_rate
