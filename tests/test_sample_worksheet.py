"""The sample worksheet round trip: write it, fill it in as an auditor would (openpyxl), read it back, evaluate."""
from __future__ import annotations

import argparse
import json
import re
import shutil
import unicodedata
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import Workbook, load_workbook

from isoaudit.cli import sample as sample_cli
from isoaudit.errors import IsoauditError, WorksheetError
from isoaudit.sampling.evaluation import (
    FINDING_COLUMNS,
    evaluate_sample,
    grade_for,
    has_fee,
    load_sample_checks,
    worksheet_checks,
)
from isoaudit.sampling.selection import build_frame, select_sample
from isoaudit.workbooks.findings_register import read_register
from isoaudit.workbooks.sample_worksheet import (
    CONTROL_SHEET,
    write_sample_findings,
    write_sample_workbook,
)
from isoaudit.workbooks.sample_worksheet_read import (
    load_filled_sample,
    read_filled_sample,
)
from tests.builders import write_sheet
from tests.test_selection import PROCEDURES, assessed_dossiers, plan

SAMPLE_SHEET, COVER_SHEET = "Kiểm tra mẫu", "Thông tin mẫu"
CHECKS = load_sample_checks()
HEADERS = {row.id: f"{row.label_vi} ({row.clause})" for row in CHECKS.itertuples()}


@pytest.fixture(scope="module")
def sample():
    frame, description = build_frame(assessed_dossiers(), "26734", procedures=PROCEDURES, unit_name="UBND xã Tân Phú")
    return select_sample(frame, description, plan(stratify="procedure", key_items="overdue"))


@pytest.fixture(scope="module")
def blank_worksheet(sample, tmp_path_factory):
    return write_sample_workbook(tmp_path_factory.mktemp("blank") / "mau_kiem_tra.xlsx", sample,
                                 worksheet_checks(sample), created=date(2025, 12, 31))


@pytest.fixture
def worksheet(tmp_path, blank_worksheet):
    """A fresh copy of the blank worksheet for each test to fill in its own way."""
    return Path(shutil.copy(blank_worksheet, tmp_path / blank_worksheet.name))


def columns(sheet) -> dict[str, int]:
    """Header text -> column number, as an auditor finds a column by its title."""
    return {cell.value: cell.column for cell in sheet[1] if cell.value}


def fill(path, out=None, fail=None, answer="Đạt", notes=None):
    """Answer every open cell with ``answer``; ``fail``: {check id: [dossier ids]} answered Không đạt."""
    book = load_workbook(path)
    sheet = book[SAMPLE_SHEET]
    where = columns(sheet)
    rows = {sheet.cell(row=r, column=2).value: r for r in range(2, sheet.max_row + 1)}
    for check, header in HEADERS.items():
        for r in range(2, sheet.max_row + 1):
            cell = sheet.cell(row=r, column=where[header])
            if cell.value is None:
                cell.value = answer
        for dossier in (fail or {}).get(check, []):
            sheet.cell(row=rows[dossier], column=where[header]).value = "Không đạt"
    for dossier, text in (notes or {}).items():
        sheet.cell(row=rows[dossier], column=where["Ghi chú"]).value = text
    book.save(out or path)
    return out or path


# ---- the workbook as written ----------------------------------------------------------------------------

def test_worksheet_layout(worksheet, sample):
    book = load_workbook(worksheet)
    assert book.sheetnames == [COVER_SHEET, SAMPLE_SHEET, CONTROL_SHEET]
    assert book[CONTROL_SHEET].sheet_state == "veryHidden"
    sheet = book[SAMPLE_SHEET]
    where = columns(sheet)
    for header in ["STT", "Mã hồ sơ", "Tên thủ tục hành chính", "Ngày nhận", "Hạn giải quyết theo quy định",
                   "Tình trạng", "Ghi chú", *HEADERS.values()]:
        assert header in where
    assert sheet.freeze_panes == "C2"
    assert sheet.max_row == 1 + len(sample.dossiers)
    assert sheet.column_dimensions["B"].width >= 20
    # One drop-down over every check cell, with the three answers.
    (validation,) = sheet.data_validations.dataValidation
    assert validation.formula1 == '"Đạt,Không đạt,Không áp dụng"'
    first, last = min(where[h] for h in HEADERS.values()), max(where[h] for h in HEADERS.values())
    assert str(validation.sqref) == f"{sheet.cell(2, first).coordinate}:{sheet.cell(sheet.max_row, last).coordinate}"
    # Facts: the legal due date and the status in Vietnamese; the apology check only where late.
    dossiers = sample.dossiers.reset_index(drop=True)
    for offset, dossier in dossiers.iterrows():
        row = offset + 2
        assert sheet.cell(row, where["Mã hồ sơ"]).value == dossier["dossier_id"]
        assert sheet.cell(row, where["Hạn giải quyết theo quy định"]).value == dossier["legal_due_date"]
        apology = sheet.cell(row, where[HEADERS["apology_letter"]]).value
        assert (apology is None) == (dossier["status"] in ("late", "overdue"))
    statuses = {sheet.cell(r, where["Tình trạng"]).value for r in range(2, sheet.max_row + 1)}
    assert "Quá hạn, chưa trả kết quả" in statuses and "Đúng hạn" in statuses
    # Answer cells are open, facts locked; the sheet is protected without a password.
    assert sheet.protection.sheet and not sheet.protection.password
    assert sheet.cell(2, where[HEADERS["complete_dossier"]]).protection.locked is False
    assert sheet.cell(2, where["Mã hồ sơ"]).protection.locked is True


def test_cover_records_frame_parameters_and_seed(worksheet, sample):
    cover = load_workbook(worksheet)[COVER_SHEET]
    values = {row[0]: row[1] for row in cover.iter_rows(min_row=4, max_row=21, values_only=True)}
    assert values["Đơn vị"] == "26734"
    assert values["Tên đơn vị"] == "UBND xã Tân Phú"
    assert values["Độ tin cậy"] == 0.95 and values["Tỷ lệ sai lệch chấp nhận được"] == 0.05
    assert values["Hạt giống ngẫu nhiên (seed)"] == 20250101
    assert values["Cỡ mẫu thống kê (hồ sơ)"] == sample.size
    assert values["Số hồ sơ trọng điểm"] == len(sample.key_items) > 0
    assert values["Phân tầng"] == "Theo thủ tục hành chính"


def test_existing_file_is_never_overwritten(worksheet, sample):
    fill(worksheet)
    before = worksheet.read_bytes()
    with pytest.raises(IsoauditError) as error:
        write_sample_workbook(worksheet, sample, worksheet_checks(sample))
    assert error.value.code == "sampling.output_exists" and "--force" in error.value.message("vi")
    assert worksheet.read_bytes() == before
    write_sample_workbook(worksheet, sample, worksheet_checks(sample), force=True)
    assert read_filled_sample(worksheet).answers["answer"].notna().sum() == 0


# ---- round trip -----------------------------------------------------------------------------------------

def test_filled_worksheet_is_evaluated_into_findings(worksheet, sample):
    random = list(sample.statistical["dossier_id"])
    key = list(sample.key_items["dossier_id"])
    fill(worksheet, fail={"process_control_slip": random[:6], "receipt_slip": random[10:12],
                          "complete_dossier": random[20:21], "apology_letter": key[:2]},
         notes={random[0]: "Phiếu kiểm soát thiếu chữ ký bước thẩm định"})
    filled = load_filled_sample(worksheet)
    evaluation = evaluate_sample(filled.answers, filled.parameters, raised_date=date(2026, 1, 15))
    results = evaluation.results.set_index("check_id")
    n = len(random)

    assert results.loc["process_control_slip", ["n", "deviations", "key_n"]].tolist() == [n, 6, len(key)]
    assert results.loc["process_control_slip", "outcome"] == "not_reliable"
    assert results.loc["process_control_slip", "grade"] == "major"  # 6/n is above 5 %
    assert results.loc["receipt_slip", "outcome"] == "not_reliable"
    assert results.loc["receipt_slip", "grade"] == "minor"  # 2/n is below 5 %, the upper limit above
    # One deviation is what the plan expected (1 %): the control can still be relied on.
    assert results.loc["complete_dossier", "outcome"] == "reliable"
    assert pd.isna(results.loc["complete_dossier", "grade"])
    # Key items evaluated apart: two overdue dossiers without an apology letter.
    assert results.loc["apology_letter", ["key_n", "key_deviations"]].tolist() == [len(key), 2]
    assert results.loc["apology_letter", "grade"] == "major"

    findings = evaluation.findings.set_index("finding_id")
    assert list(evaluation.findings.columns) == FINDING_COLUMNS
    # Ids a reader can say: unit, year sampled, the check's number on the cover (process_control_slip is 3rd).
    assert findings.index.str.fullmatch(r"26734-2025-\d\d").all() and findings.index.is_unique
    control = findings.loc["26734-2025-03"]
    assert control["clause"] == "8.5.2" and control["grade"] == "major" and control["source"] == "sample"
    assert control["unit_code"] == "26734" and control["status"] == "open"
    assert control["dossier_ids"] == "; ".join(random[:6])
    assert "Có phiếu kiểm soát quá trình giải quyết hồ sơ" in control["description"]
    assert "6/" in control["description"] and "n = " in control["evidence"] and "k = 6" in control["evidence"]
    assert "thiếu chữ ký" in control["evidence"]
    assert control["raised_date"] == pd.Timestamp("2026-01-15")
    apology = findings.loc["26734-2025-06"]
    assert apology["clause"] == "8.7" and "trọng điểm" in apology["description"]
    assert apology["dossier_ids"] == "; ".join(key[:2])
    assert "26734-2025-01" not in findings.index  # complete_dossier: reliable
    again = evaluate_sample(filled.answers, filled.parameters, raised_date=date(2026, 2, 1)).findings
    assert again["finding_id"].tolist() == evaluation.findings["finding_id"].tolist()  # stable
    # English on request.
    english = evaluate_sample(filled.answers, filled.parameters, lang="en").findings
    assert english["description"].str.contains("Sample check").any()


def test_answers_in_any_spelling_are_understood(worksheet, sample):
    fill(worksheet, answer=unicodedata.normalize("NFD", " đạt "))
    book = load_workbook(worksheet)
    sheet = book[SAMPLE_SHEET]
    column = columns(sheet)[HEADERS["complete_dossier"]]
    sheet.cell(2, column).value = "KHONG DAT"
    sheet.cell(3, column).value = "không áp dụng"
    book.save(worksheet)
    filled = load_filled_sample(worksheet)
    answers = filled.answers[filled.answers["check_id"] == "complete_dossier"].set_index("row")["answer"]
    assert answers[2] == "fail" and answers[3] == "not_applicable" and answers[4] == "pass"
    result = evaluate_sample(filled.answers, filled.parameters).results.set_index("check_id")
    assert result.loc["complete_dossier", "n"] == len(sample.statistical) - 1  # not applicable is not counted


def test_sorting_the_rows_is_harmless(worksheet):
    fill(worksheet, fail={"receipt_slip": []})
    book = load_workbook(worksheet)
    sheet = book[SAMPLE_SHEET]
    rows = [[c.value for c in row] for row in sheet.iter_rows(min_row=2)]
    for r, values in enumerate(reversed(rows), start=2):
        for c, value in enumerate(values, start=1):
            sheet.cell(r, c).value = value
    book.save(worksheet)
    assert read_filled_sample(worksheet).problems == []


def test_every_mistake_is_named(worksheet, sample):
    fill(worksheet)
    book = load_workbook(worksheet)
    sheet = book[SAMPLE_SHEET]
    where = columns(sheet)
    letter = {header: sheet.cell(1, column).column_letter for header, column in where.items()}
    complete, receipt = letter[HEADERS["complete_dossier"]], letter[HEADERS["receipt_slip"]]
    sheet[f"{complete}3"] = None  # a blank answer
    sheet[f"{receipt}4"] = "OK"  # not in the list
    sheet[f"{letter['Tên thủ tục hành chính']}5"] = "Cấp giấy phép xây dựng"  # a fact typed over
    sheet[f"{letter['Ngày nhận']}6"] = sheet[f"{letter['Ngày nhận']}6"].value + pd.Timedelta(days=1)
    apology = letter[HEADERS["apology_letter"]]
    not_applicable_row = next(r for r in range(2, 8) if sheet[f"{apology}{r}"].value == "Không áp dụng")
    sheet[f"{apology}{not_applicable_row}"] = "Đạt"  # answered where the check does not apply
    deleted = sheet["B8"].value
    sheet.delete_rows(8)
    last = sheet.max_row + 1
    sheet[f"B{last}"] = "H12.26-26734-2599-99999"  # a dossier that is not in the sample
    sheet[f"{complete}{last}"] = "Đạt"
    cover = book[COVER_SHEET]
    confidence = next(row[1] for row in cover.iter_rows(min_row=4) if row[0].value == "Độ tin cậy")
    confidence.value = 0.9
    book.save(worksheet)

    filled = read_filled_sample(worksheet)
    found = {(p.code, p.sheet, p.params.get("cell")) for p in filled.problems}
    assert found == {
        ("sampling.ws_parameter_changed", COVER_SHEET, confidence.coordinate),
        ("sampling.ws_answer_missing", SAMPLE_SHEET, f"{complete}3"),
        ("sampling.ws_answer_invalid", SAMPLE_SHEET, f"{receipt}4"),
        ("sampling.ws_fact_changed", SAMPLE_SHEET, f"{letter['Tên thủ tục hành chính']}5"),
        ("sampling.ws_fact_changed", SAMPLE_SHEET, f"{letter['Ngày nhận']}6"),
        ("sampling.ws_answer_not_applicable", SAMPLE_SHEET, f"{apology}{not_applicable_row}"),
        ("sampling.ws_row_deleted", SAMPLE_SHEET, None),
        ("sampling.ws_row_added", SAMPLE_SHEET, f"B{last}"),
    }
    deleted_problem = next(p for p in filled.problems if p.code == "sampling.ws_row_deleted")
    assert deleted_problem.params == {"dossier": deleted, "original_row": 8}
    with pytest.raises(WorksheetError) as error:
        load_filled_sample(worksheet)
    text = error.value.message("vi")
    assert text.startswith("Phiếu kiểm tra mẫu mau_kiem_tra.xlsx có 8 vấn đề")
    for cell in [f"{complete}3", f"{receipt}4", f"{letter['Ngày nhận']}6", f"B{last}", confidence.coordinate]:
        assert re.search(rf"Ô {cell}\b", text)
    assert "chưa điền kết quả" in text and "\"OK\" không phải một trong Đạt, Không đạt, Không áp dụng" in text
    assert f"Thiếu hồ sơ {deleted}" in text
    assert "Cell " in error.value.message("en")


def test_header_and_control_tampering(worksheet):
    fill(worksheet)
    book = load_workbook(worksheet)
    book[SAMPLE_SHEET]["F1"] = "Thủ tục"
    control = book[CONTROL_SHEET]
    control.cell(row=7, column=4).value = "sửa"
    book.save(worksheet)
    problems = read_filled_sample(worksheet).problems
    assert [(p.code, p.params.get("cell")) for p in problems] == [
        ("sampling.ws_control_altered", None), ("sampling.ws_header_changed", "F1")]


def test_a_workbook_that_is_not_a_worksheet_is_refused(tmp_path):
    book = Workbook()
    book.active["A1"] = "Sổ theo dõi hồ sơ"
    book.save(tmp_path / "so.xlsx")
    with pytest.raises(WorksheetError) as error:
        read_filled_sample(tmp_path / "so.xlsx")
    assert error.value.code == "sampling.ws_not_a_worksheet"
    (tmp_path / "hong.xlsx").write_bytes(b"not a workbook")
    with pytest.raises(WorksheetError):
        read_filled_sample(tmp_path / "hong.xlsx")
    with pytest.raises(WorksheetError):
        read_filled_sample(tmp_path / "khong_co.xlsx")


def test_text_that_looks_like_a_formula_is_kept_as_text(tmp_path):
    dossiers = assessed_dossiers(30)
    dossiers.loc[0, "applicant"] = "=HYPERLINK(\"http://x\",\"bấm\")"
    dossiers.loc[1, "applicant"] = "@SUM(1+1)"
    frame, description = build_frame(dossiers, "26734")
    sample = select_sample(frame, description, plan(expected_rate=0.0, confidence=0.999))  # every dossier
    path = write_sample_workbook(tmp_path / "mau.xlsx", sample, worksheet_checks(sample))
    sheet = load_workbook(path)[SAMPLE_SHEET]
    applicants = {sheet.cell(r, columns(sheet)["Tổ chức, cá nhân nộp"]).value for r in range(2, sheet.max_row + 1)}
    assert "'=HYPERLINK(\"http://x\",\"bấm\")" in applicants and "'@SUM(1+1)" in applicants
    fill(path)
    assert read_filled_sample(path).problems == []


def test_findings_workbook(worksheet, sample, tmp_path):
    fill(worksheet, fail={"process_control_slip": list(sample.statistical["dossier_id"][:6])})
    filled = load_filled_sample(worksheet)
    evaluation = evaluate_sample(filled.answers, filled.parameters)
    out = write_sample_findings(tmp_path / "phat_hien.xlsx", evaluation)
    book = load_workbook(out)
    assert book.sheetnames == ["Phát hiện", "Đánh giá mẫu"]
    header = [c.value for c in book["Phát hiện"][1]]
    assert header[:6] == ["Mã phát hiện", "Mã cuộc đánh giá", "Mã đơn vị", "Điều khoản", "Mức độ", "Mô tả"]
    grades = {row[4] for row in book["Phát hiện"].iter_rows(min_row=2, values_only=True)}
    assert "Không phù hợp nặng" in grades
    with pytest.raises(IsoauditError):
        write_sample_findings(out, evaluation)
    # In English too it reads as words, and the register reads it back as the same findings (issue #20).
    english = write_sample_findings(tmp_path / "findings.xlsx", evaluate_sample(filled.answers, filled.parameters,
                                                                               lang="en"), lang="en")
    rows = list(load_workbook(english).worksheets[0].iter_rows(values_only=True))
    assert rows[0][:5] == ("Finding ID", "Audit ID", "Unit code", "Clause", "Grade") and "major" not in rows[1]
    back = read_register(english)
    assert back["grade"].tolist() == evaluation.findings["grade"].tolist()
    assert back["finding_id"].tolist() == evaluation.findings["finding_id"].tolist()


def test_grading_rule_and_fee_texts():
    assert grade_for(86, 0, 0.05) is None
    assert grade_for(86, 4, 0.05) == "minor"
    assert grade_for(86, 5, 0.05) == "major"
    fees = pd.Series(["50.000 đồng/hồ sơ", "Miễn phí", "Không", "0 đồng", None, "2.000 đồng/trang"], dtype="string")
    assert has_fee(fees).tolist() == [True, False, False, False, False, True]


# ---- command line ---------------------------------------------------------------------------------------

def parser():
    root = argparse.ArgumentParser()
    sub = root.add_subparsers()
    sample_cli.register(sub).add_argument("--lang", default="vi")  # as isoaudit.cli does
    return root


def test_sample_evaluate_command(worksheet, sample, tmp_path, capsys):
    fill(worksheet, fail={"receipt_slip": list(sample.statistical["dossier_id"][:3])})
    out = tmp_path / "phat_hien.xlsx"
    args = parser().parse_args(["sample-evaluate", str(worksheet), "--out", str(out)])
    assert args.func(args) == 0
    printed = capsys.readouterr().out
    assert "Không tin cậy được" in printed and "Không phù hợp" in printed and out.exists()
    book = load_workbook(worksheet)
    book[SAMPLE_SHEET]["B2"] = "sửa"
    book.save(worksheet)
    args = parser().parse_args(["sample-evaluate", str(worksheet)])
    with pytest.raises(WorksheetError) as error:
        args.func(args)
    assert "Ô B2" in error.value.message("vi")


@pytest.mark.slow  # reads a records folder: a few seconds
def test_sample_command_on_a_records_folder(tmp_path, capsys):
    write_sheet(tmp_path / "units.xlsx", ["Mã đơn vị", "Tên đơn vị", "Cấp"],
                [["26734", "Xã Tân Phú", "Xã"], ["26737", "Xã Phú Hòa", "Xã"]])
    write_sheet(tmp_path / "procedures.xlsx", ["Mã TTHC", "Tên TTHC", "Lĩnh vực", "Thời hạn giải quyết", "Phí"],
                [["2.000815", "Chứng thực bản sao từ bản chính", "Chứng thực", 0, "2.000 đồng/trang"],
                 ["1.004873", "Xác nhận tình trạng hôn nhân", "Hộ tịch", 3, "Miễn phí"]])
    (tmp_path / "dossiers").mkdir()
    rows = []
    for i in range(120):
        day = 2 + i % 20
        code = "2.000815" if i % 3 else "1.004873"
        returned = "" if i % 40 == 0 else f"{day + (4 if code == '1.004873' else 0):02d}/06/2025 14:00"
        rows.append([f"TP-{i:03d}", code, f"{day:02d}/06/2025 08:{i % 60:02d}", f"{day:02d}/06/2025", returned])
    write_sheet(tmp_path / "dossiers" / "26734_2025.xlsx",
                ["Mã hồ sơ", "Mã TTHC", "Ngày tiếp nhận", "Ngày hẹn trả", "Ngày trả kết quả"], rows)
    out = tmp_path / "mau.xlsx"
    argv = ["sample", str(tmp_path), "--unit", "26734", "--confidence", "95%", "--tolerable", "0,05",
            "--expected", "0.01", "--seed", "7", "--from", "01/06/2025", "--to", "30/06/2025",
            "--stratify", "procedure", "--key-items", "overdue", "--as-of", "31/07/2025", "--out", str(out)]
    args = parser().parse_args(argv)
    assert args.func(args) == 0
    assert "hạt giống ngẫu nhiên 7" in capsys.readouterr().out
    parameters = json.loads(load_workbook(out)[CONTROL_SHEET]["B3"].value)
    assert parameters["seed"] == 7 and parameters["unit_code"] == "26734" and parameters["key_items"] == "overdue"
    assert parameters["frame_population"] == 120
    filled = read_filled_sample(out)
    key_items = filled.answers.drop_duplicates("dossier_id").query("key_item")["dossier_id"]
    assert set(key_items) == {"TP-000", "TP-040", "TP-080"}  # never returned: overdue on 31/07/2025
    fees = filled.answers[(filled.answers["check_id"] == "fee_receipt") & filled.answers["applies"]]
    assert fees["dossier_id"].map(lambda d: int(d[3:]) % 3 != 0).all()  # only chứng thực charges a fee
    # The same command again refuses to overwrite; the same seed elsewhere gives the same sample.
    with pytest.raises(IsoauditError):
        args.func(args)
    again = tmp_path / "mau2.xlsx"
    args = parser().parse_args(argv[:-1] + [str(again)])
    args.func(args)
    ids = [row[1] for row in load_workbook(out)[SAMPLE_SHEET].iter_rows(min_row=2, values_only=True)]
    assert ids == [row[1] for row in load_workbook(again)[SAMPLE_SHEET].iter_rows(min_row=2, values_only=True)]
