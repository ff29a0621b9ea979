"""Saves that cannot lose data: auditors in separate processes saving the same audit at the same instant, a
nonconformity and a note on one question, two different notes (a conflict kept until settled), saves the system
refuses (a lock held elsewhere, no permission, a full disk), other auditors' answers brought in, and text that
reads back exactly as it was typed."""
from __future__ import annotations

import errno
import multiprocessing
import os
import time

import pandas as pd
import pytest
from filelock import FileLock
from openpyxl import load_workbook

from isoaudit import safety
from isoaudit.checklist import load_checklist
from isoaudit.notebook import audit_form
from isoaudit.notebook.audit_form import AuditForm
from isoaudit.schema import RESULTS
from isoaudit.workbooks import audit_lock
from isoaudit.workbooks.audit_file import (
    AuditPlan,
    audit_path,
    list_versions,
    load_audit,
    new_audit,
    save_audit,
    set_answer,
)
from isoaudit.workbooks.audit_lock import lock_path

PLAN = AuditPlan("DGNB-2025", "02266", "Xã Thái Bình", 2025, scope_clauses=("7", "8"))
ROUNDS = 20
SPAWN = multiprocessing.get_context("spawn")  # as two browsers' kernels: nothing shared but the file


@pytest.fixture(scope="module")
def checklist():
    return load_checklist()


@pytest.fixture
def path(tmp_path):
    return audit_path(tmp_path, PLAN.unit_code, PLAN.audit_id)


def open_form(path, checklist, auditor: str, **options) -> AuditForm:
    return AuditForm.open(path, PLAN, checklist, auditor=auditor, folder=path.parent.parent.parent, **options)


def on_disk(path) -> pd.DataFrame:
    return load_audit(path).answers.set_index("id")


def item_ids(checklist) -> list[str]:
    return new_audit(PLAN, checklist).answers["id"].tolist()


# ---- two processes, the same instant -----------------------------------------------------------------------------
def round_answers(auditor: str, ids: list[str], number: int) -> list[tuple[str, dict]]:
    """What each auditor answers in round ``number``: both the same question (An its result and evidence, Bình
    its notes), and Bình a question of their own every other round."""
    if auditor == "An":
        return [(ids[number], {"result": RESULTS[number % len(RESULTS)], "evidence": f"An {number}\n- sổ {number}"})]
    answers = [(ids[number], {"notes": f"- Bình {number}\n- dòng hai"})]
    if number % 2:
        answers.append((ids[ROUNDS + number], {"result": "minor"}))
    return answers


def auditor_process(path, auditor: str, barrier, results) -> None:
    """One auditor's kernel: open the audit, then answer at the same instant as the other, round after round."""
    checklist = load_checklist()
    form = open_form(path, checklist, auditor, lock_timeout=60)
    ids = item_ids(checklist)
    failures = []
    for number in range(ROUNDS):
        barrier.wait(timeout=120)
        for item_id, fields in round_answers(auditor, ids, number):
            if not form.answer(item_id, **fields):
                failures.append(form.save_error)
    barrier.wait(timeout=120)  # both done: what this session shows now, after one look at the file
    form.refresh_from_disk()
    shown = {row.id: (row.result, row.evidence, row.notes) for row in form.record.answers.itertuples()}
    results.put((auditor, failures, shown, len(form.conflicts)))


def test_two_processes_saving_at_the_same_instant_lose_no_answer(path, checklist):
    barrier, results = SPAWN.Barrier(2), SPAWN.Queue()
    workers = [SPAWN.Process(target=auditor_process, args=(path, name, barrier, results)) for name in ("An", "Bình")]
    for worker in workers:
        worker.start()
    reports = {}
    for _ in workers:
        auditor, failures, shown, conflicts = results.get(timeout=180)
        reports[auditor] = (failures, shown, conflicts)
    for worker in workers:
        worker.join(timeout=30)
        assert worker.exitcode == 0
    ids = item_ids(checklist)
    expected = {}
    for number in range(ROUNDS):
        for auditor in ("An", "Bình"):
            for item_id, fields in round_answers(auditor, ids, number):
                expected.setdefault(item_id, {}).update(fields)
    saved = on_disk(path)
    for item_id, fields in expected.items():
        for field, value in fields.items():
            assert str(saved.at[item_id, field]) == value, (item_id, field)
    assert saved["result"].notna().sum() == ROUNDS + ROUNDS // 2
    for auditor, (failures, shown, conflicts) in reports.items():
        assert failures == [] and conflicts == 0, auditor
        for item_id, fields in expected.items():  # nobody sees an answer turn back to unanswered
            values = dict(zip(("result", "evidence", "notes"), shown[item_id]))
            assert all(str(values[field]) == value for field, value in fields.items()), (auditor, item_id)
    assert load_audit(path).conflicts.empty


# ---- merging field by field -------------------------------------------------------------------------------------
def test_a_nonconformity_and_a_note_on_the_same_question_both_stay(path, checklist):
    an, binh = open_form(path, checklist, "An"), open_form(path, checklist, "Bình")
    an.answer("8.5.1-01", result="major", evidence="Hồ sơ D2 trễ 5 ngày")
    assert binh.answer("8.5.1-01", notes="Đơn vị đã nhận lỗi")  # Bình's screen had not seen An's answer
    saved = on_disk(path).loc["8.5.1-01"]
    assert saved[["result", "evidence", "notes"]].tolist() == ["major", "Hồ sơ D2 trễ 5 ngày", "Đơn vị đã nhận lỗi"]
    assert binh.record.answers.set_index("id").at["8.5.1-01", "result"] == "major"
    assert binh.status().merged_count == 1 and binh.conflicts.empty
    assert an.refresh_from_disk() == ["8.5.1-01"]  # An's screen, without saving
    assert an.record.answers.set_index("id").at["8.5.1-01", "notes"] == "Đơn vị đã nhận lỗi"
    an.answer("8.5.2-01", result="conforms")  # An's next save does not overwrite Bình's note
    assert on_disk(path).at["8.5.1-01", "notes"] == "Đơn vị đã nhận lỗi"


def test_a_true_conflict_is_kept_listed_survives_reopening_and_is_settled(path, checklist):
    an, binh = open_form(path, checklist, "An"), open_form(path, checklist, "Bình")
    an.answer("8.5.3-01", notes="Không có sổ giao nhận")
    binh.answer("8.5.3-01", notes="Có sổ, ghi thiếu ngày", result="observation")
    saved = on_disk(path).loc["8.5.3-01"]
    assert saved["notes"] == "Không có sổ giao nhận"  # the file keeps the note saved first ...
    assert saved["result"] == "observation"  # ... and takes what only Bình changed
    rows = binh.conflict_rows()  # ... and Bình's note waits beside it, shown with both values
    assert [(r["id"], r["field"], r["mine"], r["theirs"], r["their_auditor"], r["mine_auditor"]) for r in rows] == [
        ("8.5.3-01", "notes", "Có sổ, ghi thiếu ngày", "Không có sổ giao nhận", "An", "Bình")]
    assert rows[0]["field_label"] == "Ghi chú" and rows[0]["clause"] == "8.5.3" and rows[0]["question"]
    assert pd.Timestamp(rows[0]["their_time"]) <= pd.Timestamp(rows[0]["mine_time"])
    assert binh.record.answers.set_index("id").at["8.5.3-01", "notes"] == "Không có sổ giao nhận"
    assert binh.status().conflicts == 1

    assert "Xung đột" in load_workbook(path).sheetnames  # persisted: a restart does not lose it
    again = open_form(path, checklist, "Chi")
    assert [(r["field"], r["mine"], r["theirs"]) for r in again.conflict_rows()] == [
        ("notes", "Có sổ, ghi thiếu ngày", "Không có sổ giao nhận")]
    assert an.refresh_from_disk() == ["8.5.3-01"] and len(an.conflict_rows()) == 1

    assert an.settle("8.5.3-01", "notes", rows[0]["mine"])  # An agrees with Bình's note
    assert on_disk(path).at["8.5.3-01", "notes"] == "Có sổ, ghi thiếu ngày"
    assert an.conflict_rows() == [] and load_audit(path).conflicts.empty
    assert "Xung đột" not in load_workbook(path).sheetnames
    assert binh.refresh_from_disk() == ["8.5.3-01"] and binh.conflict_rows() == []
    assert binh.answer("8.5.4-01", result="conforms") and load_audit(path).conflicts.empty  # not brought back


def test_a_conflicting_result_is_settled_with_its_code(path, checklist):
    an, binh = open_form(path, checklist, "An", lang="en"), open_form(path, checklist, "Bình")
    an.answer("7.1.3-01", result="minor")
    binh.answer("7.1.3-01", result="conforms")
    row = binh.conflict_rows()[0]
    assert (row["mine"], row["mine_shown"], row["theirs"], row["theirs_shown"]) == (
        "conforms", "Phù hợp", "minor", "Không phù hợp nhẹ")
    an.refresh_from_disk()
    assert an.conflict_rows()[0]["field_label"] == "Result" and an.conflict_rows()[0]["theirs_shown"] == \
        "Minor nonconformity"
    assert binh.settle("7.1.3-01", "result", row["mine"])
    assert on_disk(path).at["7.1.3-01", "result"] == "conforms" and load_audit(path).conflicts.empty


# ---- saves that fail -------------------------------------------------------------------------------------------
def hold_lock(lock_file, held, release) -> None:
    with FileLock(lock_file):
        held.set()
        release.wait(60)


def versions_of(path) -> list:
    return list_versions(path.parent, PLAN.audit_id)


def test_a_lock_held_elsewhere_past_the_timeout_fails_in_vietnamese_and_the_retry_keeps_everything(path, checklist):
    form = open_form(path, checklist, "An", lock_timeout=0.3)
    assert form.answer("7.1.1-01", result="conforms")
    versions = versions_of(path)
    held, release = SPAWN.Event(), SPAWN.Event()
    holder = SPAWN.Process(target=hold_lock, args=(str(lock_path(path)), held, release))
    holder.start()
    try:
        assert held.wait(60)
        assert form.answer("7.1.2-01", result="minor", notes="- thiếu biên bản") is False  # raises nothing
        assert "đang được một phiên đánh giá khác lưu" in form.save_error and "0.3 giây" in form.save_error
        state = form.status()
        assert state.pending and state.save_error == form.save_error and state.failed_at is not None
        assert form.answer("7.1.3-01", evidence="Sổ theo dõi") is False  # the next answer tries again
        assert form.record.answers.set_index("id").at["7.1.2-01", "result"] == "minor"  # kept in the form
        assert pd.isna(on_disk(path).at["7.1.2-01", "result"])
        assert versions_of(path) == versions  # a failed attempt keeps no version
    finally:
        release.set()
        holder.join(30)
    assert form.retry_save() and form.save_error is None and not form.status().pending
    saved = on_disk(path)
    assert (saved.at["7.1.2-01", "result"], saved.at["7.1.2-01", "notes"]) == ("minor", "- thiếu biên bản")
    assert saved.at["7.1.3-01", "evidence"] == "Sổ theo dõi" and saved.at["7.1.1-01", "result"] == "conforms"
    assert len(versions_of(path)) == len(versions) + 1
    assert form.retry_save()  # nothing pending: nothing to do


@pytest.mark.parametrize(("error", "words"), [
    (PermissionError(errno.EACCES, "Permission denied"), "Không đọc hoặc ghi được"),
    (OSError(errno.ENOSPC, "No space left on device"), "Ổ đĩa đã đầy"),
])
def test_a_write_the_system_refuses_keeps_the_answers_and_adds_no_version(path, checklist, monkeypatch, error, words):
    form = open_form(path, checklist, "An")
    assert form.answer("8.2.1-01", result="conforms")
    assert form.answer("8.2.1-01", notes="lần hai")
    before, versions = path.read_bytes(), versions_of(path)
    real_replace = os.replace

    def refused(source, target, *args, **kwargs):
        if str(target) == str(path) or error.errno == errno.ENOSPC:  # a full disk refuses the version copy too
            raise error
        return real_replace(source, target, *args, **kwargs)

    monkeypatch.setattr(safety.os, "replace", refused)
    assert form.answer("8.2.2-01", result="major", evidence="dòng 1\ndòng 2") is False
    assert form.save_error.startswith(words) and str(path) in form.save_error
    assert form.status().pending and form.saved_at is not None  # the last save that went through
    assert path.read_bytes() == before and versions_of(path) == versions
    assert not [p for p in path.parent.rglob("*.tmp")]
    monkeypatch.undo()
    assert form.retry_save() and form.save_error is None
    saved = on_disk(path)
    assert saved.at["8.2.2-01", "result"] == "major" and saved.at["8.2.2-01", "evidence"] == "dòng 1\ndòng 2"
    assert saved.at["8.2.1-01", "notes"] == "lần hai"
    assert len(versions_of(path)) == len(versions) + 1


# ---- others' answers brought in -----------------------------------------------------------------------------------
def test_refresh_brings_in_the_others_answers_keeping_unsaved_ones(path, checklist, monkeypatch):
    an, binh = open_form(path, checklist, "An"), open_form(path, checklist, "Bình")
    assert binh.refresh_from_disk() == []  # no file yet
    an.answer("7.2-01", result="conforms")
    an.answer("7.3-01", notes="Đã phổ biến chính sách")

    def refused(*args, **kwargs):
        raise OSError(errno.EBUSY, "Device or resource busy", str(path))

    monkeypatch.setattr(audit_form, "save_locked", refused)  # Bình's answer cannot be saved for now
    assert binh.answer("7.4-01", result="observation") is False and "Excel" in binh.save_error
    monkeypatch.undo()
    assert sorted(binh.refresh_from_disk()) == ["7.2-01", "7.3-01"]
    shown = binh.record.answers.set_index("id")
    assert shown.at["7.2-01", "result"] == "conforms" and shown.at["7.3-01", "notes"] == "Đã phổ biến chính sách"
    assert shown.at["7.4-01", "result"] == "observation" and binh.status().pending  # still Bình's, not saved yet

    def no_reading(*args, **kwargs):
        raise AssertionError("the file did not change: nothing to read")

    monkeypatch.setattr(audit_lock, "_read_stable", no_reading)
    started = time.perf_counter()
    assert binh.refresh_from_disk() == []
    assert time.perf_counter() - started < 0.05
    monkeypatch.undo()
    assert binh.retry_save()
    saved = on_disk(path)
    assert saved.loc[["7.2-01", "7.4-01"], "result"].tolist() == ["conforms", "observation"]
    assert an.refresh_from_disk() == ["7.4-01"]


def test_the_view_is_told_what_changed(path, checklist):
    an, binh = open_form(path, checklist, "An"), open_form(path, checklist, "Bình")

    class View:
        def __init__(self):
            self.calls = []

        def refresh(self, changed_ids):
            self.calls.append(list(changed_ids))

    binh._view = View()
    an.answer("8.1-01", result="conforms")
    binh.answer("8.3-01", result="not_applicable")
    assert binh._view.calls == [["8.1-01"]]
    an.answer("8.1-01", evidence="Kế hoạch năm")
    assert binh.refresh_from_disk() == ["8.1-01"] and binh._view.calls[-1] == ["8.1-01"]
    assert binh.refresh_from_disk() == [] and len(binh._view.calls) == 2  # unchanged: nothing to show


# ---- text as typed -----------------------------------------------------------------------------------------------
TEXTS = {"evidence": ["Sổ theo dõi\nHồ sơ D2, D3", "- a\n- b", "=1+1", '=HYPERLINK("http://x","bấm")', "@SUM(A1)",
                      "  hai  khoảng   trắng  "],
         "notes": ["- kiểm tra sổ", "+ ý hai\n\nđoạn mới", "-1+2", "dòng\r\nWindows", "\t=1+1", "- "]}


def test_line_breaks_and_a_leading_dash_read_back_exactly_and_formulas_stay_text(path, checklist):
    record = new_audit(PLAN, checklist)
    ids = record.answers["id"].tolist()
    typed = {}
    for number, (evidence, notes) in enumerate(zip(TEXTS["evidence"], TEXTS["notes"])):
        record.answers = set_answer(record.answers, ids[number], evidence=evidence, notes=notes, auditor="An")
        typed[ids[number]] = (evidence, notes)
    save_audit(record, path)
    back = on_disk(path)
    kept = {"  hai  khoảng   trắng  ": "hai  khoảng   trắng", "dòng\r\nWindows": "dòng\nWindows", "\t=1+1": "=1+1",
            "- ": "-"}  # the ends trimmed, Windows line ends as "\n"
    for item_id, (evidence, notes) in typed.items():
        assert back.at[item_id, "evidence"] == kept.get(evidence, evidence)
        assert back.at[item_id, "notes"] == kept.get(notes, notes)
    pd.testing.assert_frame_equal(load_audit(path).answers, record.answers)  # what was kept is what reads back

    sheet = load_workbook(path)["Trả lời"]
    cells = [cell for row in sheet.iter_rows(min_col=5, max_col=6) for cell in row if cell.value is not None]
    assert cells and all(cell.data_type == "s" for cell in cells)
    for cell in cells:  # no live formula: text a spreadsheet would run keeps the package's apostrophe
        assert not str(cell.value).startswith(safety._FORMULA_START) or safety._LIST_LINE.match(cell.value)
    by_value = {cell.value: cell for cell in cells}
    assert "'=1+1" in by_value and "'=HYPERLINK(\"http://x\",\"bấm\")" in by_value and "'-1+2" in by_value
    assert by_value["- kiểm tra sổ"].quotePrefix and by_value["- a\n- b"].quotePrefix  # text, no apostrophe shown


def test_text_typed_in_the_form_reads_back_as_typed_after_reopening(path, checklist):
    form = open_form(path, checklist, "An")
    form.answer("8.4-01", evidence="Hợp đồng\n- số 12\n- số 15", notes="- kiểm tra sổ - đối chiếu")
    form.answer("8.4-01", notes="- kiểm tra sổ\n- đối chiếu")  # a line break alone is a change
    again = open_form(path, checklist, "Bình").record.answers.set_index("id").loc["8.4-01"]
    assert (again["evidence"], again["notes"]) == ("Hợp đồng\n- số 12\n- số 15", "- kiểm tra sổ\n- đối chiếu")
