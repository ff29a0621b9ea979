"""The audit file: plan and answers round trip, versions, atomic saves, Excel edits, merging two auditors."""
from __future__ import annotations

import datetime as dt
import os
import shutil
from dataclasses import replace

import pandas as pd
import pytest
from openpyxl import load_workbook

from isoaudit import safety
from isoaudit.checklist import clause_coverage, load_checklist
from isoaudit.errors import WorksheetError
from isoaudit.workbooks.audit_file import (
    AuditPlan,
    audit_path,
    list_versions,
    load_audit,
    merge_answers,
    merge_audits,
    new_audit,
    result_codes,
    save_audit,
    set_answer,
)
from isoaudit.workbooks.audit_lock import read_audit_state, save_locked

PLAN = AuditPlan("DGNB-2025", "02266", "Xã Thái Bình", 2025, dt.date(2025, 11, 3), dt.date(2025, 11, 4),
                 "Nguyễn Văn An", ("Nguyễn Văn An", "Lê Thị Bình"), ("7.5", "8.5"), ("QT-HT-01",))
AT = dt.datetime(2025, 11, 3, 9, 30)


@pytest.fixture(scope="module")
def checklist():
    return load_checklist()


@pytest.fixture
def record(checklist):
    record = new_audit(PLAN, checklist)
    answers = set_answer(record.answers, "8.5.1-01", result="minor", evidence="=SUM(A1) sổ theo dõi",
                         notes="Hồ sơ D2, D3 trễ hạn, không có phiếu xin lỗi", auditor="Lê Thị Bình", at=AT)
    answers = set_answer(answers, "7.5.3-01", result="conforms", auditor="Nguyễn Văn An", at=AT)
    record.answers = answers
    return record


def test_scope_keeps_the_clauses_planned_and_their_sub_clauses(record):
    assert set(record.answers["clause"].str.split(".").str[:2].str.join(".")) == {"7.5", "8.5"}
    assert record.progress() == (2, len(record.answers))


def test_every_clause_of_the_standard_has_items_in_a_full_audit(checklist):
    full = new_audit(AuditPlan("A", "02266"), checklist)
    assert full.answers["id"].tolist() == checklist["id"].tolist()
    coverage = clause_coverage(full.answers)
    assert coverage.loc[coverage["leaf"], "covered"].all()


def test_round_trip_keeps_plan_and_answers(tmp_path, record):
    path = save_audit(record, audit_path(tmp_path, "02266", "DGNB-2025"))
    assert path == tmp_path / "audits" / "02266" / "DGNB-2025.xlsx"
    back = load_audit(path)
    assert back.plan == PLAN
    pd.testing.assert_frame_equal(back.answers, record.answers)


def test_the_file_reads_in_excel_in_vietnamese(tmp_path, record):
    path = save_audit(record, tmp_path / "a.xlsx")
    book = load_workbook(path)
    assert book.sheetnames == ["Kế hoạch", "Trả lời"]
    rows = list(book["Trả lời"].iter_rows(values_only=True))
    header = next(i for i, row in enumerate(rows) if row[0] == "Mã mục")
    assert rows[header][:4] == ("Mã mục", "Điều khoản", "Câu hỏi", "Kết quả")
    by_id = {row[0]: row for row in rows[header + 1:]}
    assert by_id["8.5.1-01"][3] == "Không phù hợp nhẹ"
    assert by_id["8.5.1-01"][4] == "'=SUM(A1) sổ theo dõi"  # neutralised in the file, restored when read
    assert by_id["8.5.1-01"][7] == AT
    plan = {row[0]: row[1] for row in book["Kế hoạch"].iter_rows(values_only=True) if row[0]}
    assert plan["Chuyên gia đánh giá"] == "Nguyễn Văn An; Lê Thị Bình"
    assert plan["Ngày bắt đầu"] == dt.datetime(2025, 11, 3)


def test_words_an_auditor_types_in_excel_are_read_as_codes(tmp_path, record):
    path = save_audit(record, tmp_path / "a.xlsx")
    book = load_workbook(path)
    sheet = book["Trả lời"]
    header = next(c.row for c in sheet["A"] if c.value == "Mã mục")
    rows = {sheet.cell(row=r, column=1).value: r for r in range(header + 1, sheet.max_row + 1)}
    sheet.cell(row=rows["8.5.1-01"], column=4).value = "NC nặng"
    sheet.cell(row=rows["7.5.3-01"], column=4).value = "KHONG AP DUNG"
    sheet.cell(row=rows["8.5.2-01"], column=4).value = "Cơ hội cải tiến"
    sheet.cell(row=rows["8.5.2-01"], column=6).value = "Nên niêm yết thêm bảng giá"
    book.save(path)
    answers = load_audit(path).answers.set_index("id")
    assert answers.loc[["8.5.1-01", "7.5.3-01", "8.5.2-01"], "result"].tolist() == [
        "major", "not_applicable", "improvement"]
    assert answers.at["8.5.2-01", "notes"] == "Nên niêm yết thêm bảng giá"
    words = pd.Series(["Phù hợp", "minor", "Quan sát", "Not applicable", "tốt"], dtype="string")
    assert result_codes(words).tolist() == ["conforms", "minor", "observation", "not_applicable", pd.NA]


def test_a_broken_answers_sheet_is_rejected_with_every_row(tmp_path, record):
    path = save_audit(record, tmp_path / "a.xlsx")
    book = load_workbook(path)
    sheet = book["Trả lời"]
    header = next(c.row for c in sheet["A"] if c.value == "Mã mục")
    sheet.cell(row=header + 1, column=4).value = "tốt lắm"
    sheet.cell(row=header + 3, column=1).value = sheet.cell(row=header + 2, column=1).value
    book.save(path)
    with pytest.raises(WorksheetError) as error:
        load_audit(path)
    text = error.value.message("vi")
    assert f"Dòng {header + 1}" in text and "tốt lắm" in text and "Phù hợp" in text
    assert f"Dòng {header + 3}" in text and "bị trùng" in text
    assert "Row" in error.value.message("en")


def test_every_save_keeps_the_previous_version(tmp_path, record):
    path = audit_path(tmp_path, "02266", "DGNB-2025")
    save_audit(record, path)
    assert list_versions(path.parent, "DGNB-2025") == []
    first = path.read_bytes()
    record.answers = set_answer(record.answers, "8.5.2-01", result="observation", auditor="An")
    save_audit(record, path)
    versions = list_versions(path.parent, "DGNB-2025")
    assert len(versions) == 1 and versions[0].read_bytes() == first
    for result in ("conforms", "minor", "major"):
        record.answers = set_answer(record.answers, "8.5.2-01", result=result, auditor="An")
        save_audit(record, path, keep_versions=2)
    kept = list_versions(path.parent, "DGNB-2025")
    assert len(kept) == 2
    assert load_audit(kept[-1]).answers.set_index("id").at["8.5.2-01", "result"] == "minor"


def test_an_interrupted_save_leaves_the_previous_file_intact(tmp_path, record, monkeypatch):
    path = save_audit(record, tmp_path / "a.xlsx")
    before = path.read_bytes()

    real_fdopen = os.fdopen

    class Torn:
        """Writes half of what it is given, then the machine 'loses power'."""

        def __init__(self, handle):
            self.handle = handle

        def write(self, data):
            self.handle.write(data[: len(data) // 2])
            self.handle.flush()
            raise OSError("disk full")

        def __getattr__(self, name):
            return getattr(self.handle, name)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.handle.close()

    opened = []

    def fdopen(fd, mode, **kw):
        # The first file written is the copy of the previous version; the second, the audit file, is torn.
        opened.append(fd)
        handle = real_fdopen(fd, mode, **kw)
        return Torn(handle) if len(opened) == 2 else handle

    monkeypatch.setattr(safety.os, "fdopen", fdopen)
    record.answers = set_answer(record.answers, "8.5.2-01", result="major", auditor="An")
    with pytest.raises(OSError) as torn:
        save_audit(record, path, keep_versions=None)
    assert torn.value.args[0] == "disk full"  # atomic_write may name the file the user asked for
    monkeypatch.undo()
    assert len(opened) == 2
    assert path.read_bytes() == before
    assert not [p for p in path.parent.iterdir() if p.name.endswith(".tmp")]
    assert load_audit(path).answers.set_index("id").at["8.5.2-01", "result"] is pd.NA


def test_merge_takes_each_side_and_reports_conflicts(record):
    base = record.answers
    mine = set_answer(base, "8.5.2-01", result="conforms", auditor="An", at=AT)
    mine = set_answer(mine, "8.5.3-01", result="minor", notes="Không có sổ giao nhận bản gốc", auditor="An", at=AT)
    mine = set_answer(mine, "8.5.4-01", result="conforms", auditor="An", at=AT)
    theirs = set_answer(base, "7.5.1-01", result="observation", auditor="Bình", at=AT)
    theirs = set_answer(theirs, "8.5.3-01", result="conforms", auditor="Bình", at=AT)
    theirs = set_answer(theirs, "8.5.4-01", result="conforms", auditor="Bình", at=AT)
    merged = merge_answers(mine, theirs, base=base)
    result = merged.answers.set_index("id")["result"]
    assert result["8.5.2-01"] == "conforms" and result["7.5.1-01"] == "observation"
    assert result["8.5.3-01"] == "minor"  # a conflict keeps mine until someone decides
    assert merged.answers.set_index("id").at["8.5.3-01", "notes"] == "Không có sổ giao nhận bản gốc"
    assert merged.taken_from_theirs == ["7.5.1-01"]
    conflict = merged.conflicts.set_index("id")
    assert conflict.index.tolist() == ["8.5.3-01"] and conflict.at["8.5.3-01", "field"] == "result"
    assert conflict.at["8.5.3-01", "result_mine"] == "minor"
    assert conflict.at["8.5.3-01", "result_theirs"] == "conforms"
    assert conflict.at["8.5.3-01", "auditor_theirs"] == "Bình"
    # Without a common base, an item answered on both sides differently is a conflict; the same answer is not.
    two_way = merge_answers(mine, theirs)
    assert two_way.conflicts["id"].tolist() == ["8.5.3-01"]
    assert two_way.answers.set_index("id").at["7.5.1-01", "result"] == "observation"


def test_merge_audits_joins_auditors_and_refuses_another_audit(record, checklist):
    mine = new_audit(AuditPlan("DGNB-2025", "02266", auditors=("An",)), checklist)
    mine.answers = set_answer(mine.answers, "4.1-01", result="conforms", auditor="An")
    theirs = new_audit(AuditPlan("DGNB-2025", "02266", "Xã Thái Bình", 2025, auditors=("Bình",)), checklist)
    theirs.answers = set_answer(theirs.answers, "4.2-01", result="minor", auditor="Bình")
    merged, conflicts = merge_audits(mine, theirs)
    assert merged.plan.auditors == ("An", "Bình") and merged.plan.unit_name == "Xã Thái Bình"
    assert merged.progress()[0] == 2 and conflicts.empty
    other = new_audit(AuditPlan("DGNB-2024", "02266"), checklist)
    with pytest.raises(WorksheetError) as refused:
        merge_audits(mine, other)
    assert "different audits" in refused.value.message("en")


def test_saving_over_another_auditors_save_merges_instead_of_overwriting(tmp_path, record):
    path = save_audit(record, tmp_path / "a.xlsx")
    read_by_me, my_disk = read_audit_state(path)
    read_by_them, their_disk = read_audit_state(path)
    theirs = set_answer(read_by_them.answers, "8.5.2-01", result="observation", auditor="Bình")
    theirs = set_answer(theirs, "8.5.3-01", result="conforms", auditor="Bình")
    save_locked(replace(read_by_them, plan=read_by_them.plan.with_auditor("Bình"), answers=theirs), path, their_disk)
    mine = set_answer(read_by_me.answers, "8.5.4-01", result="conforms", auditor="An")
    mine = set_answer(mine, "8.5.3-01", result="minor", auditor="An")
    sync = save_locked(replace(read_by_me, answers=mine), path, my_disk)
    saved = load_audit(path)
    on_disk = saved.answers.set_index("id")["result"]
    assert on_disk["8.5.2-01"] == "observation" and on_disk["8.5.4-01"] == "conforms"
    assert on_disk["8.5.3-01"] == "conforms"  # the answer saved first stays in the file; mine is set aside
    assert sync.new_conflicts["id"].tolist() == ["8.5.3-01"]
    assert saved.conflicts[["id", "field", "result_mine", "result_theirs", "auditor_theirs"]].values.tolist() == [
        ["8.5.3-01", "result", "minor", "conforms", "Bình"]]
    assert "Bình" in saved.plan.auditors
    # Their save survives in the versions folder too.
    versions = list_versions(path.parent, "DGNB-2025")
    assert load_audit(versions[-1]).answers.set_index("id").at["8.5.3-01", "result"] == "conforms"


def test_saving_never_merges_into_a_file_another_unit_put_there(tmp_path, record, checklist):
    path = save_audit(record, audit_path(tmp_path, "02266", "DGNB-2025"))
    read, disk = read_audit_state(path)
    other = new_audit(replace(PLAN, unit_code="02269", unit_name="Xã Tân Long"), checklist)
    shutil.copyfile(save_audit(other, tmp_path / "xa_tan_long.xlsx"), path)  # copied over it meanwhile
    before, versions = path.read_bytes(), list_versions(path.parent, "DGNB-2025")
    mine = set_answer(read.answers, "8.5.4-01", result="conforms", auditor="An")
    with pytest.raises(WorksheetError) as refused:
        save_locked(replace(read, answers=mine), path, disk)
    text = refused.value.message("vi")
    assert text.startswith(f"Không lưu được vào tệp {path}")
    assert "(DGNB-2025 (02269, 2025))" in text and "(DGNB-2025 (02266, 2025))" in text
    assert str(tmp_path / "audits" / "02269" / "DGNB-2025.xlsx") in text
    assert path.read_bytes() == before and list_versions(path.parent, "DGNB-2025") == versions


def test_merge_audits_compares_codes_and_years_as_a_person_means_them(checklist):
    mine = new_audit(AuditPlan("DGNB-2025", "02266", year=2025), checklist)
    same = new_audit(AuditPlan("dgnb 2025", "2266", year=None), checklist)  # zeros lost, year left blank
    assert merge_audits(mine, same)[0].plan.unit_code == "02266"
    with pytest.raises(WorksheetError) as refused:
        merge_audits(mine, new_audit(AuditPlan("DGNB-2025", "02266", year=2024), checklist))
    assert refused.value.message("vi") == ("Không gộp được: hai phiếu thuộc hai cuộc đánh giá khác nhau "
                                           "(DGNB-2025 (02266, 2025) và DGNB-2025 (02266, 2024))")


def test_set_answer_rejects_unknown_results_and_items(record):
    with pytest.raises(WorksheetError) as refused:
        set_answer(record.answers, "8.5.1-01", result="good")
    assert "not valid" in refused.value.message("en")
    with pytest.raises(WorksheetError) as refused:
        set_answer(record.answers, "99.1-01", result="conforms")
    assert "not in the audit" in refused.value.message("en")
    cleared = set_answer(record.answers, "8.5.1-01", result="", notes=None)
    row = cleared.set_index("id").loc["8.5.1-01"]
    assert pd.isna(row["result"]) and pd.isna(row["notes"]) and row["evidence"] == "=SUM(A1) sổ theo dõi"
