"""The audit form driven from Python as the notebook's widgets would drive it, and the report it renders."""
from __future__ import annotations

import datetime as dt
import os

import pytest
from openpyxl import load_workbook

from isoaudit.checklist import BUNDLED, clause_coverage, evidence_keys
from isoaudit.errors import ChecklistError, RecordsError
from isoaudit.notebook.audit_form import in_frontend, open_audit
from isoaudit.notebook.records_folder import find_records_folder
from isoaudit.outputs.audit_report import render_report
from isoaudit.records import load_records
from isoaudit.records.units import known_unit_code
from isoaudit.workbooks.audit_file import load_audit
from tests.test_evidence import UNIT, write_records

AS_OF = dt.date(2025, 12, 31)


@pytest.fixture(scope="module")
def records(tmp_path_factory):
    return load_records(write_records(tmp_path_factory.mktemp("district")))


@pytest.fixture
def audit_dir(tmp_path):
    return tmp_path


def open_form(records, audit_dir, **options):
    return open_audit(records, UNIT, "DGNB-2025", as_of=AS_OF, audit_dir=audit_dir, **options)


def answers_on_disk(path) -> dict[str, tuple]:
    """Item id -> (result word, evidence, notes, auditor) as Excel shows the answers sheet."""
    rows = list(load_workbook(path)["Trả lời"].iter_rows(values_only=True))
    header = next(i for i, row in enumerate(rows) if row[0] == "Mã mục")
    return {row[0]: (row[3], row[4], row[5], row[6]) for row in rows[header + 1:]}


def test_setting_a_widget_value_saves_the_file(records, audit_dir):
    form = open_form(records, audit_dir, auditor="Lê Thị Bình")
    assert not form.path.exists()
    item = form.item_widgets("8.5.1-01")
    item.result.value = "minor"
    assert answers_on_disk(form.path)["8.5.1-01"] == ("Không phù hợp nhẹ", None, None, "Lê Thị Bình")
    item.evidence.value = "Sổ theo dõi hồ sơ năm 2025, hồ sơ D2"
    item.notes.value = "<b>Hai</b> hồ sơ trả trễ hạn"
    assert answers_on_disk(form.path)["8.5.1-01"] == (
        "Không phù hợp nhẹ", "Sổ theo dõi hồ sơ năm 2025, hồ sơ D2", "<b>Hai</b> hồ sơ trả trễ hạn", "Lê Thị Bình")
    assert form.progress() == (1, len(form.record.answers))
    assert form._view.progress.value == 1
    item.result.value = ""  # back to "not answered"
    assert answers_on_disk(form.path)["8.5.1-01"][0] is None
    assert load_audit(form.path).plan.auditors == ("Lê Thị Bình",)


def test_opening_and_reporting_write_nothing(records, audit_dir):
    form = open_form(records, audit_dir)
    html = render_report(form)
    assert "BÁO CÁO ĐÁNH GIÁ NỘI BỘ" in html and "Chưa có phiếu đánh giá" in html
    assert list(audit_dir.iterdir()) == []


def test_reopening_resumes_where_the_auditor_left_off(records, audit_dir):
    form = open_form(records, audit_dir, auditor="An")
    first_clause = form.resume_clause()
    assert first_clause == "4.1"
    for item_id in form.shown_items():
        form.item_widgets(item_id).result.value = "conforms"
    form.item_widgets("4.2-01").notes.value = "Đang xem danh sách các bên quan tâm"
    again = open_form(records, audit_dir)
    assert again.resume_clause() == "4.2"
    assert again.shown_items() == ["4.2-01", "4.2-02", "4.2-03"]
    assert again.item_widgets("4.1-01").result.value == "conforms"
    assert again.item_widgets("4.2-01").notes.value == "Đang xem danh sách các bên quan tâm"
    assert again.progress()[0] == 4  # the four questions of 4.1


def test_every_clause_is_in_the_form(records, audit_dir):
    form = open_form(records, audit_dir)
    coverage = clause_coverage(form.checklist)
    assert coverage.loc[coverage["leaf"], "covered"].all()
    form.widget()
    offered = [value for _, value in form._view.clause.options]
    assert offered == list(dict.fromkeys(form.checklist["clause"]))
    for clause in offered:
        form.show_clause(clause)
        shown = form.shown_items()
        assert shown and set(form.checklist.set_index("id").loc[shown, "clause"]) == {clause}


def test_items_show_their_automatic_evidence(records, audit_dir):
    form = open_form(records, audit_dir)
    evidence = form.item_evidence().set_index("id")
    assert evidence.at["8.5.1-01", "status"] == "attention"
    header = form.item_widgets("8.5.1-01").box.children[0].value
    assert "60,0 %" in header and "Từ hồ sơ" in header


def test_a_broken_checklist_is_rejected_clearly(records, audit_dir, tmp_path_factory):
    text = BUNDLED.read_text(encoding="utf-8-sig").splitlines()
    text[2] = text[2].replace("4.1-02,4.1,", "4.1-01,4.1,")  # a duplicate id on row 3
    text[3] = text[3].replace("4.1-03,4.1,", "4.1-03,4.9,")  # a clause the standard does not have, row 4
    broken = tmp_path_factory.mktemp("checklist") / "hong.csv"
    broken.write_text("\n".join(text), encoding="utf-8")
    with pytest.raises(ChecklistError) as error:
        open_form(records, audit_dir, checklist=broken)
    message = error.value.message("vi")
    assert "hong.csv" in message and "Dòng 3" in message and "Dòng 4" in message
    assert list(audit_dir.iterdir()) == []


def test_two_auditors_on_one_file_merge_and_conflicts_are_reported(records, audit_dir):
    an = open_form(records, audit_dir, auditor="An")
    binh = open_form(records, audit_dir, auditor="Bình")
    an.item_widgets("7.1.2-01").result.value = "conforms"
    binh.item_widgets("7.1.3-01").result.value = "observation"  # Bình had not seen An's save: merged
    assert {k: v[0] for k, v in answers_on_disk(binh.path).items() if v[0]} == {
        "7.1.2-01": "Phù hợp", "7.1.3-01": "Khuyến nghị"}
    assert binh.item_widgets("7.1.2-01").result.value == "conforms"  # An's answer shows in Bình's form
    binh.item_widgets("8.5.3-01").result.value = "minor"
    an.item_widgets("8.5.3-01").result.value = "conforms"
    assert an.conflicts["id"].tolist() == ["8.5.3-01"]
    assert an.conflicts.loc[0, "result_theirs"] == "minor"
    assert "Phiếu kia" in an._view.status.value
    assert "Câu trả lời khác nhau" in render_report(an)


def test_report_shows_answers_evidence_and_findings_escaped(records, audit_dir):
    form = open_form(records, audit_dir, auditor="An")
    form.answer("8.5.1-01", result="minor", notes="<script>alert('x')</script> hồ sơ D2 trễ")
    form.answer("4.1-01", result="conforms")
    html = render_report(form)
    assert "<script>alert" not in html and "&lt;script&gt;" in html
    for heading in ("1. Kế hoạch đánh giá", "2. Tổng hợp kết quả", "3. Kết quả theo điều khoản",
                    "4. Bằng chứng tự động từ hồ sơ", "5. Phát hiện và hành động khắc phục"):
        assert heading in html
    assert "DGNB-2025-8.5.1-01" in html and "Lặp lại (DG2024-8.5.1-01)" in html
    assert "Đã đánh giá 2/" in html
    english = render_report(form, "en")
    assert "INTERNAL AUDIT REPORT" in english and "Minor nonconformity" in english


def test_the_register_button_writes_the_findings(records, audit_dir):
    form = open_form(records, audit_dir, auditor="An")
    form.item_widgets("8.5.1-01").result.value = "major"
    form._view.register_button.click()
    register = audit_dir / "findings" / f"{UNIT}_findings.xlsx"
    assert register.exists()
    assert "thêm 1 phát hiện" in form._view.status.value
    rows = list(load_workbook(register).worksheets[0].iter_rows(values_only=True))
    assert any(row[0] == "DGNB-2025-8.5.1-01" and row[4] == "Không phù hợp nặng" for row in rows)


def test_records_folder_found_from_the_notebook_folder_or_the_repository_root(tmp_path, monkeypatch):
    (tmp_path / "notebooks" / "audit").mkdir(parents=True)
    (tmp_path / "sample_records").mkdir()
    for cwd in (tmp_path, tmp_path / "notebooks" / "audit"):
        monkeypatch.chdir(cwd)
        assert find_records_folder("../../sample_records") == (tmp_path / "sample_records").resolve()
    assert find_records_folder(str(tmp_path / "sample_records")) == tmp_path / "sample_records"
    with pytest.raises(RecordsError) as missing:
        find_records_folder("../../khong_co")
    assert "not found" in missing.value.message("en")


def test_unit_codes_that_lost_their_leading_zeros(records):
    assert known_unit_code(records, 2266) == "02266"
    assert known_unit_code(records, "02266") == "02266"
    assert known_unit_code(records, "99999") == "99999"
    with pytest.raises(RecordsError, match="99999"):
        open_audit(records, "99999", as_of=AS_OF)


def test_defaults_pick_the_first_commune_and_the_latest_year(records, audit_dir):
    form = open_audit(records, as_of=AS_OF, audit_dir=audit_dir)
    assert form.record.plan.unit_code == UNIT and form.record.plan.year == 2025
    assert form.record.plan.audit_id == "DGNB-2025" and form.record.plan.unit_name == "Xã Thái Bình"
    assert form.path == audit_dir / "audits" / UNIT / "DGNB-2025.xlsx"
    assert not in_frontend()
    assert os.fspath(form.folder) == os.fspath(audit_dir)
    keys = evidence_keys()["key"].tolist()
    assert form.evidence["key"].tolist()[:len(keys)] == keys
    # after them, the log analytics' finding candidates, one a reason flagged (analytics/candidates.py)
    assert all(key.startswith("analytics:") for key in form.evidence["key"].tolist()[len(keys):])
