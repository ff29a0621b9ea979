"""Findings raised by an audit, their flags, and the register an auditor fills in Excel."""
from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from openpyxl import load_workbook

from isoaudit.findings import (
    FINDING_COLUMNS,
    conform,
    findings_from_audit,
    flag_findings,
    merge_register,
    source_label,
)
from isoaudit.records import load_records
from isoaudit.records.readers import read_record_file
from isoaudit.workbooks.audit_file import AuditPlan, new_audit, set_answer
from isoaudit.workbooks.findings_register import (
    read_register,
    register_path,
    update_register,
    write_findings_register,
)

AT = dt.datetime(2025, 11, 3, 10, 0)
CHECKLIST = pd.DataFrame({
    "id": ["7.5.3-01", "8.5.1-01", "8.5.1-02", "8.5.3-01", "9.1.2-01"],
    "clause": ["7.5.3", "8.5.1", "8.5.1", "8.5.3", "9.1.2"],
    "question": ["Tài liệu có được kiểm soát?", "Hồ sơ có trả đúng hạn?", "Có phiếu xin lỗi khi trễ hạn?",
                 "Bản gốc của người dân có được giữ gìn?", "Có khảo sát sự hài lòng?"],
    "evidence_key": [None, "on_time_rate", "late_without_apology", None, "satisfaction_rate"],
}).astype("string")
EVIDENCE = pd.DataFrame({
    "key": ["on_time_rate", "late_without_apology", "satisfaction_rate"],
    "value": [0.6, 2.0, 0.95],
    "status": ["attention", "attention", "ok"],
    "text_vi": ["60,0 % hồ sơ đúng hạn", "2 hồ sơ trễ không xin lỗi", "95,0 % hài lòng"],
    "text_en": ["60.0 % on time", "2 late without apology", "95.0 % satisfied"],
    "items": ["D3; D2", "D2; D4", None],
})


def audit(audit_id="DGNB-2025", unit="02266", answers=()):
    record = new_audit(AuditPlan(audit_id, unit, "Xã Thái Bình", 2025, end_date=dt.date(2025, 11, 4)), CHECKLIST)
    for item, result, notes in answers:
        record.answers = set_answer(record.answers, item, result=result, notes=notes, auditor="An", at=AT)
    return record


def finding(finding_id, audit_id, clause, grade="minor", unit="02266", raised=None, deadline=None, status=None):
    return {"finding_id": finding_id, "audit_id": audit_id, "unit_code": unit, "clause": clause, "grade": grade,
            "description": "x", "raised_date": pd.Timestamp(raised) if raised else pd.NaT,
            "deadline": pd.Timestamp(deadline) if deadline else pd.NaT, "status": status}


def test_every_graded_answer_becomes_a_finding_with_a_stable_id():
    record = audit(answers=[("8.5.1-01", "minor", "D2 và D3 trả trễ"), ("8.5.3-01", "major", None),
                            ("9.1.2-01", "improvement", "Nên khảo sát trực tuyến"), ("7.5.3-01", "conforms", None),
                            ("8.5.1-02", "not_applicable", None)])
    found = findings_from_audit(record, EVIDENCE, CHECKLIST)
    assert list(found.columns) == FINDING_COLUMNS
    assert found["finding_id"].tolist() == ["DGNB-2025-8.5.1-01", "DGNB-2025-8.5.3-01", "DGNB-2025-9.1.2-01"]
    assert found["grade"].tolist() == ["minor", "major", "improvement"]
    # The notes describe the finding; without notes, the question does.
    assert found["description"].tolist() == ["D2 và D3 trả trễ", "Bản gốc của người dân có được giữ gìn?",
                                             "Nên khảo sát trực tuyến"]
    # The automatic evidence that needs attention comes along, with the dossiers involved.
    assert found.loc[0, "evidence"] == "60,0 % hồ sơ đúng hạn" and found.loc[0, "dossier_ids"] == "D3; D2"
    assert pd.isna(found.loc[2, "evidence"])  # satisfaction was fine: no automatic evidence against it
    assert (found["status"] == "open").all() and (found["raised_date"] == pd.Timestamp(2025, 11, 3)).all()
    assert (found["source"] == "checklist").all() and (found["unit_code"] == "02266").all()


def test_overdue_actions():
    frame = conform(pd.DataFrame([
        finding("A", "X", "8.5.1", deadline="2025-06-30", status="in_progress"),
        finding("B", "X", "8.5.2", deadline="2025-06-30", status="done"),
        finding("C", "X", "8.5.3", deadline="2025-06-30", status="verified_effective"),
        finding("D", "X", "8.5.4", deadline="2025-06-30", status="not_effective"),
        finding("E", "X", "8.5.5", deadline="2025-06-30"),
        finding("F", "X", "8.5.6", deadline="2026-01-31", status="open"),
        finding("G", "X", "8.6"),
    ]))
    flagged = flag_findings(frame, as_of=dt.date(2025, 12, 31)).set_index("finding_id")
    assert flagged.index[flagged["overdue"]].tolist() == ["A", "D", "E"]
    assert flag_findings(frame, as_of=dt.date(2025, 6, 30))["overdue"].sum() == 0  # due that day: not yet late


def test_repeated_findings_same_clause_same_unit_later_audit():
    frame = conform(pd.DataFrame([
        finding("2024-1", "DG2024", "8.5.1", raised="2024-11-15"),
        finding("2024-2", "DG2024", "8.5.1", raised="2024-11-15"),  # twice in one audit: not a repeat
        finding("2025-1", "DG2025", "8.5.1", "major", raised="2025-11-03"),
        finding("2025-2", "DG2025", "7.5.3", raised="2025-11-03"),  # new clause
        finding("2025-3", "DG2025", "8.5.1", unit="02269", raised="2025-11-03"),  # another unit
        finding("2025-4", "DG2025", "9.1.2", "observation", raised="2025-11-03"),
        finding("2024-5", "DG2024", "9.1.2", "observation", raised="2024-11-15"),  # observations never repeat
        finding("2026-1", "DG2026", "8.5.1", raised="2026-03-01"),
        finding("hand", None, "7.5.3", raised="2026-01-10"),  # typed by hand: an audit of its own
    ]))
    flagged = flag_findings(frame, as_of=dt.date(2026, 3, 31)).set_index("finding_id")
    assert flagged.index[flagged["repeated"]].tolist() == ["2025-1", "2026-1", "hand"]
    assert flagged.at["2025-1", "repeat_of"] == "2024-1; 2024-2"
    assert flagged.at["hand", "repeat_of"] == "2025-2"
    assert pd.isna(flagged.at["2024-1", "repeat_of"])


def test_register_round_trip_and_load_records(tmp_path):
    record = audit(answers=[("8.5.1-01", "minor", "=HYPERLINK(\"http://x\") trễ hạn"), ("8.5.3-01", "major", None)])
    update = update_register(tmp_path, "02266", findings_from_audit(record, EVIDENCE, CHECKLIST),
                             audit_id="DGNB-2025", as_of=dt.date(2025, 12, 31), unit_name="Xã Thái Bình")
    assert update.path == register_path(tmp_path, "02266") == tmp_path / "findings" / "02266_findings.xlsx"
    assert update.added == ["DGNB-2025-8.5.1-01", "DGNB-2025-8.5.3-01"]
    sheet = load_workbook(update.path).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    header = next(row for row in rows if row[0] == "Mã phát hiện")
    assert header[:7] == ("Mã phát hiện", "Mã cuộc đánh giá", "Mã đơn vị", "Điều khoản", "Mức độ", "Mô tả", "Bằng chứng")
    first = rows[rows.index(header) + 1]
    assert first[4] == "Không phù hợp nhẹ" and first[header.index("Tình trạng")] == "Chưa thực hiện"
    assert first[5].startswith("'=HYPERLINK")  # formula injection neutralised
    back = read_register(update.path)
    assert back["description"].iloc[0] == "=HYPERLINK(\"http://x\") trễ hạn"
    assert back["grade"].tolist() == ["minor", "major"] and back["status"].tolist() == ["open", "open"]
    canonical = read_record_file(update.path, "findings")
    assert canonical["finding_id"].tolist() == update.added
    records = load_records(tmp_path)
    assert records.findings["finding_id"].tolist() == update.added


def test_rewriting_never_overwrites_what_the_auditor_typed(tmp_path):
    record = audit(answers=[("8.5.1-01", "minor", "D2 trễ hạn"), ("8.5.3-01", "major", None)])
    path = update_register(tmp_path, "02266", findings_from_audit(record), audit_id="DGNB-2025").path
    book = load_workbook(path)
    sheet = book.worksheets[0]
    header_row = next(c.row for c in sheet["A"] if c.value == "Mã phát hiện")
    column = {sheet.cell(row=header_row, column=c).value: c for c in range(1, sheet.max_column + 1)}
    first, second = header_row + 1, header_row + 2
    sheet.cell(row=first, column=column["Mô tả"]).value = "Hai hồ sơ hộ tịch trả trễ, không xin lỗi"
    sheet.cell(row=first, column=column["Nguyên nhân gốc"]).value = "Chưa phân công người theo dõi hạn"
    sheet.cell(row=first, column=column["Hành động khắc phục"]).value = "Giao công chức một cửa rà soát hằng ngày"
    sheet.cell(row=first, column=column["Thời hạn"]).value = dt.datetime(2025, 12, 15)
    sheet.cell(row=first, column=column["Tình trạng"]).value = "Đang thực hiện"
    sheet.cell(row=second, column=column["Tình trạng"]).value = "xong rồi"  # a word the vocabulary lacks
    book.save(path)

    record.answers = set_answer(record.answers, "8.5.1-01", notes="Mô tả mới trong phiếu", auditor="An")
    record.answers = set_answer(record.answers, "8.5.3-01", result="conforms", auditor="An")
    record.answers = set_answer(record.answers, "9.1.2-01", result="observation", auditor="An")
    update = update_register(tmp_path, "02266", findings_from_audit(record, EVIDENCE, CHECKLIST),
                             audit_id="DGNB-2025", as_of=dt.date(2025, 12, 31))
    assert update.added == ["DGNB-2025-9.1.2-01"]
    assert update.withdrawn == ["DGNB-2025-8.5.3-01"]  # no longer raised: kept for a person to close
    assert update.filled == ["DGNB-2025-8.5.1-01"]  # its empty evidence cell got the automatic evidence
    back = read_register(path).set_index("finding_id")
    assert back.at["DGNB-2025-8.5.1-01", "description"] == "Hai hồ sơ hộ tịch trả trễ, không xin lỗi"
    assert back.at["DGNB-2025-8.5.1-01", "root_cause"] == "Chưa phân công người theo dõi hạn"
    assert back.at["DGNB-2025-8.5.1-01", "status"] == "in_progress"
    assert back.at["DGNB-2025-8.5.1-01", "evidence"] == "60,0 % hồ sơ đúng hạn"
    assert back.at["DGNB-2025-8.5.3-01", "status"] == "xong rồi"
    assert back.index.tolist() == ["DGNB-2025-8.5.1-01", "DGNB-2025-8.5.3-01", "DGNB-2025-9.1.2-01"]
    # The overdue action is flagged in the file, in a column the reader ignores.
    rows = list(load_workbook(path).worksheets[0].iter_rows(values_only=True))
    header = next(row for row in rows if row[0] == "Mã phát hiện")
    flags = {row[0]: row[header.index("Quá thời hạn khắc phục")] for row in rows[rows.index(header) + 1:]}
    assert flags == {"DGNB-2025-8.5.1-01": "Có", "DGNB-2025-8.5.3-01": None, "DGNB-2025-9.1.2-01": None}


def test_an_empty_audit_raises_nothing(tmp_path):
    found = findings_from_audit(audit(answers=[("7.5.3-01", "conforms", None)]), EVIDENCE, CHECKLIST)
    assert found.empty and list(found.columns) == FINDING_COLUMNS
    assert read_register(register_path(tmp_path, "02266")).empty


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_register_reads_back_in_either_language(tmp_path, lang):
    record = audit(answers=[("8.5.1-01", "minor", "trễ")])
    update = update_register(tmp_path, "02266", findings_from_audit(record), lang=lang)
    back = read_register(update.path)
    assert back[["finding_id", "grade", "status", "clause"]].values.tolist() == [
        ["DGNB-2025-8.5.1-01", "minor", "open", "8.5.1"]]
    # A reader sees words, not codes, in either language (issue #20): the headers and the grade.
    sheet = load_workbook(update.path).worksheets[0]
    words = [c.value for row in sheet.iter_rows(max_row=8) for c in row if isinstance(c.value, str)]
    assert ("Finding ID" if lang == "en" else "Mã phát hiện") in words and "finding_id" not in words
    assert ("Minor nonconformity" if lang == "en" else "Không phù hợp nhẹ") in words and "minor" not in words


def test_a_register_with_ids_of_earlier_versions_still_loads_and_sources_are_worded(tmp_path):
    # Sample findings were once "<unit>-<seed>-<check code>"; now "<unit>-<year>-<check number>" (issue #20).
    old, new = finding("02266-7-process_control_slip", None, "8.5.2"), finding("02266-2025-03", None, "8.5.2")
    old["source"], new["source"] = "sample", "checklist"
    path = tmp_path / "02266_findings.xlsx"
    write_findings_register(path, flag_findings(pd.DataFrame([old, new])), unit_code="02266")
    back = read_register(path)
    assert back["finding_id"].tolist() == ["02266-7-process_control_slip", "02266-2025-03"]
    # The register shows where a finding comes from in words, and reads its words back as they are.
    assert back["source"].tolist() == ["Kiểm tra mẫu hồ sơ", "Đánh giá theo điều khoản"]
    assert source_label("sample", "en") == "Dossier sample check" and source_label("Nhập tay") == "Nhập tay"
    merged, added, _ = merge_register(back, conform(pd.DataFrame([new])))
    assert added == [] and len(merged) == 2  # the same id again is the same row
