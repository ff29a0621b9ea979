"""An audit file is opened only for the audit its plan names: a file copied from another unit's folder, or whose
plan was edited by hand to name another unit, audit id or year, is refused with a message that says what the
file says, what was expected and what to do, and the file is left exactly as it was."""
from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
from openpyxl import load_workbook

from isoaudit.batch.run import make_job, run_unit, select_units
from isoaudit.batch.unit_reports import audit_progress, audit_reports, check_audit_file
from isoaudit.checklist import load_checklist
from isoaudit.errors import WorksheetError
from isoaudit.notebook.audit_form import FormNotOpened, open_audit
from isoaudit.records import load_records
from isoaudit.records.cache import save_cache
from isoaudit.workbooks.audit_file import (
    AuditPlan,
    audit_path,
    load_audit,
    load_audit_for,
    new_audit,
    save_audit,
    set_answer,
)
from tests.builders import AS_OF, UNIT, YEAR, write_records

OTHER_UNIT = "02269"  # the second commune of tests.builders' district
NAMES = {UNIT: "Xã Thái Bình", OTHER_UNIT: "Xã Tân Long"}
AUDIT_ID = f"DGNB-{YEAR}"


@pytest.fixture(scope="module")
def records(tmp_path_factory):
    return load_records(write_records(tmp_path_factory.mktemp("district")))


def saved_audit(folder: Path, unit: str = UNIT, audit_id: str = AUDIT_ID, year: int | None = YEAR) -> Path:
    """An audit of ``unit`` with one answer, written by isoaudit where the unit's audit is kept."""
    record = new_audit(AuditPlan(audit_id, unit, NAMES.get(unit, ""), year), load_checklist())
    record.answers = set_answer(record.answers, "8.5.1-01", result="major", notes="Hồ sơ D4 quá hạn",
                                auditor="Lê Thị Bình", at=dt.datetime(2025, 11, 3, 9, 30))
    return save_audit(record, audit_path(folder, unit, audit_id))


def edit_plan(path: Path, **cells) -> None:
    """Change cells of the Plan sheet as someone would in Excel: the value beside the item named ``cell``."""
    names = {"unit_code": "Mã đơn vị", "audit_id": "Mã cuộc đánh giá", "year": "Năm được đánh giá"}
    book = load_workbook(path)
    for row in book["Kế hoạch"].iter_rows():
        for name, value in cells.items():
            if row[0].value == names[name]:
                row[1].value = value
    book.save(path)


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` and its bytes: nothing overwritten, no version, no file added."""
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


# ---- the notebook form ------------------------------------------------------------------------------------------
def test_a_file_naming_another_unit_is_not_opened_and_is_left_untouched(records, tmp_path):
    path = saved_audit(tmp_path)
    edit_plan(path, unit_code=OTHER_UNIT)
    before = snapshot(tmp_path)
    with pytest.raises(FormNotOpened) as refused:
        open_audit(records, UNIT, AUDIT_ID, as_of=AS_OF, audit_dir=tmp_path, auditor="An")
    text = refused.value.message("vi")
    assert str(path) in text
    assert f"trang Kế hoạch của tệp ghi mã đơn vị {OTHER_UNIT}" in text
    assert f"đang được mở cho mã đơn vị {UNIT}" in text
    assert "khác nhau ở ô 'Mã đơn vị'" in text and "Tệp được giữ nguyên" in text
    assert str(tmp_path / "audits" / OTHER_UNIT / f"{AUDIT_ID}.xlsx") in text  # where the file belongs
    assert "hãy sửa ô 'Mã đơn vị' ở trang Kế hoạch" in text
    assert "was not opened" in refused.value.message("en")
    assert isinstance(refused.value, WorksheetError)
    assert snapshot(tmp_path) == before
    assert not (path.parent / "versions").exists()


def test_a_copy_is_never_advised_to_be_moved_over_the_other_units_own_audit(records, tmp_path):
    theirs = saved_audit(tmp_path, OTHER_UNIT)
    path = audit_path(tmp_path, UNIT, AUDIT_ID)
    path.parent.mkdir(parents=True)
    shutil.copyfile(theirs, path)  # copied into the wrong commune's folder
    before = snapshot(tmp_path)
    with pytest.raises(FormNotOpened) as refused:
        open_audit(records, UNIT, AUDIT_ID, as_of=AS_OF, audit_dir=tmp_path)
    text = refused.value.message("vi")
    assert f"ghi mã đơn vị {OTHER_UNIT} (Xã Tân Long)" in text and f"mở cho mã đơn vị {UNIT} (Xã Thái Bình)" in text
    assert f"đơn vị {OTHER_UNIT} (Xã Tân Long) đã có tệp {theirs}, đừng ghi đè lên tệp đó" in text
    assert snapshot(tmp_path) == before


def test_another_audit_id_or_year_is_refused_too(records, tmp_path):
    path = saved_audit(tmp_path)
    edit_plan(path, audit_id="DGNB-2024")
    before = snapshot(tmp_path)
    with pytest.raises(FormNotOpened, match="DGNB-2024") as refused:
        open_audit(records, UNIT, AUDIT_ID, as_of=AS_OF, audit_dir=tmp_path)
    assert "'Mã cuộc đánh giá'" in refused.value.message("vi")
    edit_plan(path, audit_id=AUDIT_ID, year=2024)
    before = snapshot(tmp_path)
    with pytest.raises(FormNotOpened) as refused:
        open_audit(records, UNIT, AUDIT_ID, year=YEAR, as_of=AS_OF, audit_dir=tmp_path)
    text = refused.value.message("vi")
    assert "năm 2024" in text and f"năm {YEAR}" in text and "'Năm được đánh giá'" in text
    assert f"sửa ô 'Năm được đánh giá' ở trang Kế hoạch thành {YEAR}" in text
    assert snapshot(tmp_path) == before


def test_a_blank_year_and_a_code_that_lost_its_zeros_are_not_a_mismatch(records, tmp_path):
    path = saved_audit(tmp_path)
    edit_plan(path, year=None, unit_code=int(UNIT), audit_id=" dgnb 2025 ")  # Excel turned "02266" into 2266
    form = open_audit(records, UNIT, AUDIT_ID, as_of=AS_OF, audit_dir=tmp_path)
    assert form.record.plan.year is None and form.record.plan.unit_code == "2266"
    assert form.record.answers.set_index("id").at["8.5.1-01", "result"] == "major"


def test_a_notebook_shows_the_refusal_as_a_message_not_a_traceback(records, tmp_path, capsys):
    from IPython.core.interactiveshell import InteractiveShell

    path = saved_audit(tmp_path)
    edit_plan(path, unit_code=OTHER_UNIT)
    shell = InteractiveShell.instance()
    try:
        shell.user_ns.update(open_audit=open_audit, records=records, folder=tmp_path)
        result = shell.run_cell(f"audit = open_audit(records, {UNIT!r}, {AUDIT_ID!r}, audit_dir=folder)")
    finally:
        InteractiveShell.clear_instance()
    shown = capsys.readouterr().out
    assert isinstance(result.error_in_exec, FormNotOpened)
    assert shown.strip().startswith("Không mở tệp đánh giá") and OTHER_UNIT in shown
    assert "Traceback" not in shown and "File " not in shown


def test_the_form_does_not_save_into_a_file_another_unit_put_there_meanwhile(records, tmp_path):
    form = open_audit(records, UNIT, AUDIT_ID, as_of=AS_OF, audit_dir=tmp_path, auditor="An")
    form.item_widgets("4.1-01").result.value = "conforms"  # the file now exists
    other = saved_audit(tmp_path, OTHER_UNIT)
    shutil.copyfile(other, form.path)  # someone copies the other commune's audit over this one
    before = snapshot(tmp_path)
    form.item_widgets("4.2-01").result.value = "minor"
    status = form._view.status.value
    assert "Không lưu được vào tệp" in status and f"{AUDIT_ID} ({OTHER_UNIT}, {YEAR})" in status
    assert f"{AUDIT_ID} ({UNIT}, {YEAR})" in status
    assert snapshot(tmp_path) == before  # no merge into it, no version of it
    assert load_audit(form.path).plan.unit_code == OTHER_UNIT


# ---- the batch ------------------------------------------------------------------------------------------------
def test_the_batch_refuses_the_file_before_any_notebook_runs(records, tmp_path):
    folder = Path(records.folder)
    path = saved_audit(folder)
    try:
        edit_plan(path, unit_code=OTHER_UNIT)
        before = snapshot(folder / "audits")
        out = tmp_path / "out"
        for check in (lambda: check_audit_file(records, folder, UNIT, YEAR),
                      lambda: audit_progress(records, folder, UNIT, YEAR),
                      lambda: audit_reports(records, UNIT, YEAR, out, records_param=str(folder), audit_dir=folder)):
            with pytest.raises(WorksheetError) as refused:
                check()
            assert refused.value.code == "audit.plan_mismatch" and str(path) in refused.value.message("vi")
        assert not out.exists()  # the notebook never ran
        assert check_audit_file(records, folder, OTHER_UNIT, YEAR) is None  # the other unit has no audit yet
        assert snapshot(folder / "audits") == before
    finally:
        shutil.rmtree(folder / "audits")


def test_a_batch_unit_with_another_units_audit_file_fails_saying_why(records, tmp_path):
    folder = Path(records.folder)
    path = saved_audit(folder)
    try:
        edit_plan(path, unit_code=OTHER_UNIT)
        before = snapshot(folder / "audits")
        out = tmp_path / "out"
        out.mkdir()
        cache = save_cache(records, out / "_cache")
        unit = next(select_units(records, [UNIT]).itertuples())
        result = run_unit(make_job(records, unit, out, cache, YEAR, "vi", False))
        assert result.status == "failed"
        assert result.error.startswith(f"Không mở tệp đánh giá {path}")
        assert f"mã đơn vị {OTHER_UNIT}" in result.error and f"mã đơn vị {UNIT}" in result.error
        assert snapshot(folder / "audits") == before
    finally:
        shutil.rmtree(folder / "audits")


def test_load_audit_for_compares_codes_as_the_registry_writes_them(tmp_path):
    path = saved_audit(tmp_path, unit="8023")
    assert load_audit_for(path, AuditPlan(AUDIT_ID, "08023", year=YEAR), ["08023", "08026"]).plan.unit_code == "8023"
    # Two registry codes with the same digits are two units: "8023" is not "08023" then.
    with pytest.raises(WorksheetError) as refused:
        load_audit_for(path, AuditPlan(AUDIT_ID, "08023", year=YEAR), ["08023", "8023"])
    assert "ghi mã đơn vị 8023" in refused.value.message("vi")
