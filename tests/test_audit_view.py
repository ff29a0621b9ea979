"""The audit form's widgets without a browser: values set as the browser sets them (``set_state``), widgets
updated in place, typing saved after a pause, moving through the checklist, a failed save said in red, the
auditor's name and unit remembered, the form resuming where its auditor stopped."""
from __future__ import annotations

import asyncio
import datetime as dt

import pytest
from filelock import FileLock

from isoaudit.notebook import audit_view, settings
from isoaudit.notebook.audit_form import open_audit
from isoaudit.notebook.audit_view import audit_screen
from isoaudit.records import load_records
from isoaudit.workbooks.audit_file import load_audit
from tests.test_evidence import UNIT, write_records

AS_OF = dt.date(2025, 12, 31)


@pytest.fixture(scope="module")
def records(tmp_path_factory):
    return load_records(write_records(tmp_path_factory.mktemp("district")))


@pytest.fixture(autouse=True)
def own_settings(tmp_path, monkeypatch):
    """Each test remembers names in its own settings folder, never the developer's."""
    monkeypatch.setenv(settings.CONFIG_ENV, str(tmp_path / "config"))


def open_form(records, folder, **options):
    return open_audit(records, UNIT, "DGNB-2025", as_of=AS_OF, audit_dir=folder, **options)


def typed(widget, text: str) -> None:
    """What the browser does when a person types: the value arrives through the comm, not from code."""
    widget.set_state({"value": text})


def saved(form, item_id: str) -> dict:
    answers = load_audit(form.path).answers.set_index("id")
    return {field: answers.at[item_id, field] for field in ("result", "evidence", "notes", "auditor")}


def run_in_loop(steps):
    """Run ``steps`` (a coroutine function) in an event loop, as the kernel runs widget events."""
    asyncio.run(steps())


# ---- in place ---------------------------------------------------------------------------------------------------
def test_answering_changes_no_widget_and_no_box_shown(records, tmp_path):
    form = open_form(records, tmp_path, auditor="An")
    view = form._view or (form.widget() and form._view)
    view.show_clause("8.5.1")
    shown = list(view.body.children)
    widgets = {i: (w.result, w.evidence, w.notes, w.box) for i, w in view.items.items()}
    item = view.items["8.5.1-01"]
    item.result.set_state({"index": 3})  # a click on "Không phù hợp nhẹ"
    assert saved(form, "8.5.1-01")["result"] == "minor"
    typed(item.notes, "Hai hồ sơ trễ hạn")
    assert list(view.body.children) == shown and all(a is b for a, b in zip(view.body.children, shown))
    assert {i: (w.result, w.evidence, w.notes, w.box) for i, w in view.items.items()} == widgets
    # the clause's questions, with any finding candidate of the log analytics under it
    total = int((form.checklist["clause"] == "8.5.1").sum())
    assert f"(1/{total})" in view.clause.label and view.clause.value == "8.5.1"


def test_another_auditors_save_is_set_only_where_it_differs(records, tmp_path):
    an = open_form(records, tmp_path, auditor="An")
    binh = open_form(records, tmp_path, auditor="Bình")
    an.widget(), binh.widget()
    binh.answer("8.5.1-02", result="conforms", evidence="Sổ theo dõi")
    item = an._view.items["8.5.1-02"]
    sets = []
    for widget in (item.result, item.evidence, item.notes):
        widget.observe(lambda change, sets=sets: sets.append(change["name"]), names="value")
    an.refresh_from_disk()
    assert (item.result.value, item.evidence.value, item.notes.value) == ("conforms", "Sổ theo dõi", "")
    assert sets == ["value", "value"]  # the notes were equal: left alone
    assert load_audit(an.path).answers.set_index("id").at["8.5.1-02", "auditor"] == "Bình"  # nothing saved back


# ---- typing ---------------------------------------------------------------------------------------------------------
def test_typing_is_saved_after_a_pause_with_its_last_value_and_line_breaks(records, tmp_path, monkeypatch):
    monkeypatch.setattr(audit_view, "TYPING_PAUSE", 0.3)

    async def steps():
        form = open_form(records, tmp_path, auditor="An")
        view = form.widget() and form._view
        box = view.items["4.1-01"].evidence
        for text in ("Đã", "Đã xem", "Đã xem biên bản\nhọp tháng 3"):
            typed(box, text)
            await asyncio.sleep(0.05)
        assert not form.path.exists() and view.typing("4.1-01", "evidence")
        await asyncio.sleep(0.5)
        assert not view.typing("4.1-01", "evidence")
        assert saved(form, "4.1-01")["evidence"].split() == ["Đã", "xem", "biên", "bản", "họp", "tháng", "3"]
        assert form.record.answers.set_index("id").at["4.1-01", "evidence"] == "Đã xem biên bản\nhọp tháng 3"
        assert box.value == "Đã xem biên bản\nhọp tháng 3"  # shown as typed
        form.refresh_from_disk()
        assert box.value == "Đã xem biên bản\nhọp tháng 3"

    run_in_loop(steps)


def test_a_box_being_typed_in_is_not_overwritten_and_a_conflict_is_settled_in_the_form(records, tmp_path, monkeypatch):
    monkeypatch.setattr(audit_view, "TYPING_PAUSE", 5)

    async def steps():
        an, binh = open_form(records, tmp_path, auditor="An"), open_form(records, tmp_path, auditor="Bình")
        view = an.widget() and an._view
        typed(view.items["4.2-01"].notes, "Đang gõ dở")
        binh.answer("4.2-01", notes="Ghi chú của Bình")
        view.refresh(["4.2-01"])
        assert view.items["4.2-01"].notes.value == "Đang gõ dở"
        view.items["4.1-01"].result.set_state({"index": 1})  # a click elsewhere: the typing is saved first
        assert not view.typing("4.2-01", "notes")
        assert saved(an, "4.1-01")["result"] == "conforms"
        # Both wrote the notes: the file keeps Bình's, saved first; An's is set aside, to settle in the form.
        assert view.items["4.2-01"].notes.value == "Ghi chú của Bình"
        assert "Đang gõ dở" in view.status.value and "Ghi chú của Bình" in view.status.value
        keep_mine = view.conflicts.children[0].children[1]
        keep_mine.click()
        assert view.items["4.2-01"].notes.value == "Đang gõ dở" and saved(an, "4.2-01")["notes"] == "Đang gõ dở"
        assert not an.conflict_rows() and view.conflicts.layout.display == "none"

    run_in_loop(steps)


# ---- moving ---------------------------------------------------------------------------------------------------------
def test_previous_next_clause_and_question_and_next_unanswered(records, tmp_path):
    form = open_form(records, tmp_path, auditor="An")
    view = form.widget() and form._view
    clauses = [value for _, value in view.clause.options]
    view.show_clause(clauses[0])
    view.buttons["next_clause"].click()
    assert view.clause.value == clauses[1] and form.shown_items() == view._ids_of(clauses[1])
    view.buttons["previous_clause"].click()
    view.buttons["previous_clause"].click()  # stays on the first
    assert view.clause.value == clauses[0]
    first_ids = view._ids_of(clauses[0])
    view.show_clause(clauses[0], first_ids[-1])
    view.buttons["next_item"].click()  # past the clause's last question: the next clause
    assert view.current == view._ids_of(clauses[1])[0] and view.clause.value == clauses[1]
    view.buttons["previous_item"].click()
    assert view.current == first_ids[-1] and view.clause.value == clauses[0]
    for item_id in list(view.items)[:3]:
        form.answer(item_id, result="conforms")
    view.show_clause(clauses[0], list(view.items)[0])
    view.buttons["next_unanswered"].click()
    assert view.current == list(view.items)[3]
    assert "isoaudit-current" in view.items[view.current].box._dom_classes


def test_the_form_resumes_at_the_item_its_auditor_answered_last(records, tmp_path):
    an = open_form(records, tmp_path, auditor="An")
    an.answer("8.5.1-03", result="conforms")
    binh = open_form(records, tmp_path, auditor="Bình")
    binh.answer("9.1.2-01", result="minor")
    again = open_form(records, tmp_path, auditor="An")
    again.widget()
    assert again._view.current == "8.5.1-03" and again._view.clause.value == "8.5.1"
    assert "8.5.1-03" in again.shown_items()


# ---- saving that fails ----------------------------------------------------------------------------------------------
def test_a_failed_save_is_red_with_its_reason_and_saved_by_the_retry(records, tmp_path):
    form = open_form(records, tmp_path, auditor="An", lock_timeout=0.2)
    form.answer("4.1-01", result="conforms")
    view = form.widget() and form._view
    with FileLock(str(form.path) + ".lock"):  # another save holds the file
        view.items["4.2-01"].result.value = "minor"
        assert 'class="error"' in view.status.value and "Đã lưu lúc" not in view.status.value
        assert form.status().pending
    view._tick()
    assert 'class="ok"' in view.status.value and "Đã lưu lúc" in view.status.value
    assert saved(form, "4.2-01")["result"] == "minor"


# ---- remembered -----------------------------------------------------------------------------------------------------
def test_the_auditors_name_is_remembered_not_written_in_the_records(records, tmp_path):
    form = open_form(records, tmp_path)
    view = form.widget() and form._view
    assert "ô «Người đánh giá»" in view.status.value  # no name yet: the form asks for one
    view.auditor.value = "Trần Văn Minh"
    assert settings.remembered_auditor() == "Trần Văn Minh"
    again = open_form(records, tmp_path)
    again.widget()
    assert again._view.auditor.value == "Trần Văn Minh" and again.auditor == "Trần Văn Minh"
    again.answer("4.1-01", result="conforms")
    assert saved(again, "4.1-01")["auditor"] == "Trần Văn Minh"
    assert not list(tmp_path.rglob("settings.json"))[0].is_relative_to(records.folder)


def test_with_no_unit_the_screen_offers_the_registry_and_remembers_the_choice(records, tmp_path):
    screen = audit_screen(records, "", "DGNB-2025", as_of=AS_OF, audit_dir=tmp_path)
    root = screen.widget()
    codes = [value for _, value in screen.unit.options]
    assert codes == list(records.units["unit_code"]) and screen.form.record.plan.unit_code == UNIT
    other = next(code for code in codes if code != UNIT)
    screen.unit.value = other
    assert screen.form.record.plan.unit_code == other and root.children[-1] is screen.form.widget()
    assert audit_screen(records, "", "DGNB-2025", as_of=AS_OF, audit_dir=tmp_path).form.record.plan.unit_code == other
    assert audit_screen(records, "", "DGNB-2025", as_of=AS_OF, audit_dir=tmp_path, interactive=False) \
        .form.record.plan.unit_code == UNIT  # a report run by papermill does not depend on who sat here


def test_the_form_says_which_edition_of_the_checklist_it_asks(records, tmp_path):
    form = open_form(records, tmp_path)
    form.widget()
    assert form._view.edition.value == ("Bộ câu hỏi: ISO 9001:2015 + Amd 1:2024 (TCVN ISO 9001:2015), "
                                        "cập nhật ngày 30/11/2026")
    assert form._view.edition in form._view.root.children
