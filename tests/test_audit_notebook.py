"""The clause-audit notebook: committed clean, and run by papermill into a readable report that writes nothing."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import nbformat
import pytest

from isoaudit.batch.notebook_run import execute_notebook
from isoaudit.notebook.audit_form import open_audit
from tests.test_evidence import UNIT, write_records

NOTEBOOK = Path(__file__).resolve().parent.parent / "notebooks" / "audit" / "clause_audit.ipynb"


def test_committed_notebook_is_thin_clean_and_parameterised():
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert all(not cell.outputs and cell.execution_count is None for cell in code)
    parameters = [cell for cell in code if "parameters" in cell.metadata.get("tags", [])]
    assert len(parameters) == 1
    names = {line.split("=")[0].strip() for line in parameters[0].source.splitlines() if "=" in line}
    assert {"records", "unit", "audit_id", "checklist", "lang"} <= names
    assert 'records = "../../sample_records"' in parameters[0].source
    assert all(len(cell.source.splitlines()) <= 8 for cell in code if cell not in parameters)


@pytest.mark.slow
def test_papermill_run_renders_the_recorded_audit_and_writes_nothing(tmp_path):
    (tmp_path / "district").mkdir()
    folder = write_records(tmp_path / "district")
    form = open_audit(folder, UNIT, "DGNB-2025", as_of=dt.date(2025, 12, 31), auditor="Lê Thị Bình")
    form.answer("8.5.1-01", result="minor", evidence="Sổ theo dõi 2025", notes="Hồ sơ D2, D3 trả trễ hạn")
    form.answer("4.1-01", result="conforms")
    before = {p: p.stat().st_mtime_ns for p in folder.rglob("*")}

    run = execute_notebook(NOTEBOOK, tmp_path / "out", {"records": str(folder), "unit": 2266, "year": 2025,
                                                        "audit_id": "DGNB-2025"})
    assert run.ok, run.error
    assert {p: p.stat().st_mtime_ns for p in folder.rglob("*")} == before

    executed = nbformat.read(run.notebook, as_version=4)
    outputs = [output for cell in executed.cells if cell.cell_type == "code" for output in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    html = "".join(o.get("data", {}).get("text/html", "") for o in outputs)
    assert "BÁO CÁO ĐÁNH GIÁ NỘI BỘ THEO TCVN ISO 9001:2015" in html
    assert "Xã Thái Bình (02266)" in html
    assert "Hồ sơ D2, D3 trả trễ hạn" in html and "Không phù hợp nhẹ" in html
    assert "DGNB-2025-8.5.1-01" in html and "Lặp lại (DG2024-8.5.1-01)" in html
    assert "4. Bằng chứng tự động từ hồ sơ" in html
    assert not [o for o in outputs if "application/vnd.jupyter.widget-view+json" in o.get("data", {})]


def test_the_checklist_is_parsed_once_and_again_when_its_file_changes(tmp_path):
    from isoaudit.checklist import BUNDLED, load_checklist

    path = tmp_path / "checklist.csv"
    path.write_bytes(BUNDLED.read_bytes())
    first = load_checklist(path)
    first.loc[0, "question"] = "đã sửa trong bộ nhớ"  # a caller's change stays its own
    assert load_checklist(path).loc[0, "question"] != "đã sửa trong bộ nhớ"
    # An edit of the same length, saved at once: the file's bytes tell it apart, not its size or time.
    question = load_checklist(path).loc[0, "question_vi"]
    path.write_bytes(path.read_bytes().replace(question.encode(), question[::-1].encode(), 1))
    assert load_checklist(path).loc[0, "question_vi"] == question[::-1]


def test_a_batch_reads_the_unit_audit_file_once_for_its_check_and_its_progress(tmp_path, monkeypatch):
    from isoaudit.batch import unit_reports
    from isoaudit.records import load_records

    (tmp_path / "district").mkdir()
    folder = write_records(tmp_path / "district")
    form = open_audit(folder, UNIT, "DGNB-2025", as_of=dt.date(2025, 12, 31), auditor="Lê Thị Bình")
    form.answer("4.1-01", result="conforms")
    records = load_records(folder)
    reads = []
    read = unit_reports.load_audit_for
    monkeypatch.setattr(unit_reports, "load_audit_for", lambda *args: reads.append(args) or read(*args))
    unit_reports.check_audit_file(records, folder, UNIT, 2025)  # before the notebooks run
    assert unit_reports.audit_progress(records, folder, UNIT, 2025)["audit_answered"] == 1
    assert len(reads) == 1
    form.answer("8.5.1-01", result="minor")  # saved: the file changed, its progress too
    assert unit_reports.audit_progress(records, folder, UNIT, 2025)["audit_answered"] == 2
    assert len(reads) == 2
