"""Fixtures shared by the test modules: the synthetic district at a small scale, the repository's sample
records, and the small commune whose every figure is known (``tests.builders.write_records``) and the commune whose records
give every management-review input (``tests.builders.write_district``).

Session-scoped and read-only: a test that changes files copies the folder first."""
from __future__ import annotations

from pathlib import Path

import pytest

from isoaudit.records import load_records
from isoaudit.review import assemble_review
from isoaudit.synthetic import make_sample
from tests.builders import REVIEW_UNIT, write_district, write_records

REPOSITORY = Path(__file__).resolve().parents[1]


def pytest_configure(config):
    config.addinivalue_line("markers", "browser: drives the app in a real browser (Playwright and Chromium)")


@pytest.fixture(scope="session")
def small_district(tmp_path_factory) -> Path:
    """The synthetic sample district at a tenth of its size (the same communes, fewer dossiers)."""
    folder = tmp_path_factory.mktemp("small_district") / "records"
    make_sample(folder, scale=0.1)
    return folder


@pytest.fixture(scope="session")
def sample_records():
    """The repository's ``sample_records/`` as ``load_records`` reads it."""
    return load_records(REPOSITORY / "sample_records")


@pytest.fixture(scope="session")
def commune_folder(tmp_path_factory) -> Path:
    """A records folder with one commune (``tests.builders.UNIT``) whose figures are known."""
    return write_records(tmp_path_factory.mktemp("commune"))


@pytest.fixture(scope="session")
def commune_records(commune_folder):
    return load_records(commune_folder)


@pytest.fixture(scope="session")
def review_district(tmp_path_factory) -> Path:
    """A commune (``tests.builders.REVIEW_UNIT``) whose two years of records give every review input."""
    return write_district(tmp_path_factory.mktemp("review_district"))


@pytest.fixture(scope="session")
def review_pack(review_district):
    """That commune's management-review pack for 2025."""
    return assemble_review(load_records(review_district), REVIEW_UNIT, 2025)
