"""Shipped files are found in a clone and in a regular install."""
from isoaudit import resources
from isoaudit.batch.unit_reports import AUDIT_NOTEBOOK, REVIEW_NOTEBOOK
from isoaudit.checklist import BUNDLED


def test_a_clone_reads_the_repository_copies():
    for path in (AUDIT_NOTEBOOK, REVIEW_NOTEBOOK, BUNDLED):
        assert path.is_file() and path.is_relative_to(resources.REPOSITORY)


def test_a_regular_install_reads_the_copies_under_share(tmp_path, monkeypatch):
    installed = tmp_path / "prefix" / "share" / "isoaudit"
    (installed / "notebooks" / "audit").mkdir(parents=True)
    (installed / "notebooks" / "audit" / "clause_audit.ipynb").write_text("{}", encoding="utf-8")
    monkeypatch.setattr(resources, "REPOSITORY", tmp_path / "site-packages")
    monkeypatch.setattr(resources, "INSTALLED", installed)
    assert resources.shipped_file("notebooks", "audit", "clause_audit.ipynb") == \
        installed / "notebooks" / "audit" / "clause_audit.ipynb"
    # Nowhere at all: the repository path, so the message names where it was expected.
    assert resources.shipped_file("checklists", "x.csv") == tmp_path / "site-packages" / "checklists" / "x.csv"
