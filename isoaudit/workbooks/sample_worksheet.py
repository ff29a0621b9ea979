"""The sample worksheet an auditor fills in Excel, and the findings workbook of its evaluation.

Layout of the worksheet (sheet names in the worksheet's language):

- cover ("Thông tin mẫu"): the frame (unit, period, procedures), the parameters (confidence, tolerable and
  expected rates, model, size, seed, stratification, key items), the strata, the checks and how to fill in;
- sample ("Kiểm tra mẫu"): header on row 1 (frozen with the first two columns), one row per dossier: its
  facts (``FACT_COLUMNS`` present in the sample, locked), then one column per check with a drop-down
  (Đạt / Không đạt / Không áp dụng; cells where the check does not apply are pre-filled "Không áp dụng",
  grey and locked), then a free note column. The sheet is protected without a password: a guard against
  slips, not a lock;
- control (``CONTROL_SHEET``, very hidden): A1 the format name, B1 its version, B2 a SHA-256, B3 the
  parameters as JSON (frame, plan, columns with headers, checks with the population each applies to, the
  cover cells and what they hold), and from row 5 a table: per dossier its original row, key-item flag,
  every fact as written (``stored``) and whether each check applies. The SHA-256 covers B3 and the table.

Reading it back (``isoaudit.workbooks.sample_worksheet_read``) recomputes the SHA-256 (the control data was not
edited), then compares every cover cell, header cell and fact cell with the control copy, matching rows by
dossier id, so that every altered cell, added or deleted row is named. The SHA-256 has no secret key: it
detects slips and naive edits, not a forger who recomputes it.
"""
from __future__ import annotations

import io
import json
import os
from datetime import date, datetime, time
from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.formatting.rule import CellIsRule
from openpyxl.styles import Alignment, Font, PatternFill, Protection
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from isoaudit import __version__
from isoaudit.errors import IsoauditError
from isoaudit.findings import source_label, status_label
from isoaudit.i18n import check_lang, label
from isoaudit.outputs import print_setup
from isoaudit.outputs.xlsx import (
    DATE_FORMAT,
    DATETIME_FORMAT,
    HEADER_FILL,
    HEADER_FONT,
    SheetSpec,
    cell_value,
    write_workbook,
)
from isoaudit.safety import atomic_write, neutralise_formula
from isoaudit.sampling.evaluation import (
    FINDING_COLUMNS,
    RESULT_COLUMNS,
    SampleEvaluation,
    WorksheetChecks,
)
from isoaudit.sampling.selection import Sample
from isoaudit.workbooks.sample_format import (
    ANSWERS,
    CONTROL_SHEET,
    CONTROL_TABLE_ROW,
    FORMAT,
    VERSION,
    control_digest,
    control_table_header,
    stored,
)

HEADER_ROW = 1
FIRST_ROW = 2
# Facts shown per dossier, in order; a column the sample lacks is left out (stratum: only when stratified).
FACT_COLUMNS = ("row_number", "dossier_id", "sample_kind", "key_reason", "stratum", "procedure_code",
                "procedure_name", "applicant", "received_at", "due_date", "legal_due_date", "returned_date", "status",
                "days_late", "apology_date", "supplement_requested_at")
NOTE = "note"
# The widest a fact column grows (its content decides below that): long names wrap rather than widen the page.
_MAX_WIDTHS = {"row_number": 6, "dossier_id": 26, "sample_kind": 12, "key_reason": 40, "stratum": 22,
               "procedure_code": 12,
               "procedure_name": 32, "applicant": 22, "received_at": 16, "due_date": 11, "legal_due_date": 11,
               "returned_date": 16, "status": 12, "days_late": 8, "apology_date": 11, "supplement_requested_at": 11}
_CHECK_WIDTH, _NOTE_WIDTH = 15, 26
_COVER_WIDTHS = (46, 30, 60, 34, 14)
_ANSWER_FILL = PatternFill("solid", fgColor="FFF2CC")
_NOT_APPLICABLE_FILL = PatternFill("solid", fgColor="D9D9D9")
_PASS_FILL = PatternFill("solid", fgColor="C6EFCE")
_FAIL_FILL = PatternFill("solid", fgColor="FFC7CE")
_UNLOCKED = Protection(locked=False)


def write_sample_workbook(path: str | os.PathLike, sample: Sample, checks: WorksheetChecks, *,
                          force: bool = False, lang: str = "vi", created: date | None = None) -> Path:
    """Write the worksheet for ``sample`` to ``path`` atomically, with ``checks``
    (``sampling.evaluation.worksheet_checks`` of the sample).

    Refuses (``IsoauditError`` ``sampling.output_exists``) to replace an existing file unless ``force``:
    it may hold an auditor's answers.
    """
    check_lang(lang)
    path = Path(path)
    refuse_existing(path, force)
    created = created or date.today()
    book = Workbook()
    cover = book.active
    cover.title = label("sampling.sheet.cover", lang)
    sheet = book.create_sheet(label("sampling.sheet.sample", lang))
    control = book.create_sheet(CONTROL_SHEET)

    facts = _facts(sample, lang)
    applies = checks.applies
    columns = _columns(facts, checks.checks, lang)
    _write_sample_sheet(sheet, facts, applies, columns, lang)
    check_list = _check_list(checks)
    cover_cells = _write_cover(cover, sample, check_list, sheet.title, created, lang)

    parameters = {
        "format": FORMAT, "version": VERSION, "lang": lang, "created": created.isoformat(),
        "unit_code": sample.frame.unit_code, "unit_name": sample.frame.unit_name,
        "date_from": _iso(sample.frame.date_from), "date_to": _iso(sample.frame.date_to),
        "procedure_codes": list(sample.frame.procedure_codes), "frame_population": sample.frame.population,
        "confidence": sample.plan.confidence, "tolerable_rate": sample.plan.tolerable_rate,
        "expected_rate": sample.plan.expected_rate, "seed": sample.plan.seed, "stratify": sample.plan.stratify,
        "key_items": sample.plan.key_items, "size": sample.size, "population": sample.population,
        "model": "finite", "rows": len(facts),
        "sheets": {"cover": cover.title, "sample": sheet.title},
        "header_row": HEADER_ROW, "first_row": FIRST_ROW,
        "columns": columns, "checks": check_list, "cover_cells": cover_cells,
    }
    _write_control(control, parameters, facts, applies, sample.dossiers["key_item"])
    buffer = io.BytesIO()
    book.save(buffer)
    with atomic_write(path) as handle:
        handle.write(buffer.getvalue())
    return path


def write_sample_findings(path: str | os.PathLike, evaluation: SampleEvaluation, *, force: bool = False,
                          lang: str = "vi") -> Path:
    """The findings (first sheet, headers the records layer reads back) and the per-check evaluation."""
    check_lang(lang)
    path = Path(path)
    refuse_existing(path, force)
    findings = evaluation.findings.copy()
    # Words of the language asked for, each read back by the vocabulary (data/vocabulary.csv)
    findings["grade"] = findings["grade"].map(lambda g: label(f"sampling.grade.{g}", lang), na_action="ignore")
    findings["status"] = findings["status"].map(lambda s: status_label(s, lang), na_action="ignore")
    findings["source"] = findings["source"].map(lambda s: source_label(s, lang), na_action="ignore")
    results = evaluation.results.copy()
    results["check_id"] = range(1, len(results) + 1)  # the check's number on the cover, not its code
    results["outcome"] = results["outcome"].map(lambda o: label(f"sampling.outcome.{o}", lang))
    results["grade"] = results["grade"].map(lambda g: label(f"sampling.grade.{g}", lang), na_action="ignore")
    write_workbook(path, {
        label("sampling.sheet.findings", lang): SheetSpec(
            findings, {c: label(f"sampling.finding_col.{c}", lang) for c in FINDING_COLUMNS}),
        label("sampling.sheet.evaluation", lang): SheetSpec(
            results, {c: label(f"sampling.result.{c}", lang) for c in RESULT_COLUMNS},
            percent_columns=("deviation_rate", "upper_limit", "tolerable_rate")),
    }, lang)
    return path


def refuse_existing(path: Path, force: bool) -> None:
    """An existing file may hold an auditor's work: replace it only when told to."""
    if path.exists() and not force:
        raise IsoauditError("sampling.output_exists", path=str(path))


# ---- the sample sheet ---------------------------------------------------------------------------------

def _facts(sample: Sample, lang: str) -> pd.DataFrame:
    """The fact cells of each sampled dossier, as the sheet shows them (labels in ``lang``)."""
    dossiers = sample.dossiers.reset_index(drop=True)
    shown = {}
    for key in FACT_COLUMNS:
        if key == "row_number":
            shown[key] = pd.Series(range(1, len(dossiers) + 1))
        elif key == "sample_kind":
            shown[key] = dossiers["key_item"].map({True: label("sampling.kind.key", lang),
                                                   False: label("sampling.kind.random", lang)})
        elif key == "key_reason":
            # Why the log analytics flagged a key item (isoaudit sample --key-items flagged): only then shown.
            if sample.plan.key_items == "flagged" and key in dossiers:
                shown[key] = dossiers[key].astype("string").where(dossiers["key_item"].to_numpy(bool))
        elif key == "stratum":
            if sample.plan.stratify:
                shown[key] = dossiers["stratum"].astype("string").replace("", label("sampling.stratum_unknown",
                                                                                      lang))
        elif key == "status" and key in dossiers:
            # The statuses are worded once, by the timeliness assessment; unjudged dossiers get ours.
            shown[key] = (dossiers["status"].astype("string")
                          .map(lambda s: label(f"timeliness.status.{s}", lang), na_action="ignore")
                          .fillna(label("sampling.status_unknown", lang)))
        elif key == "days_late" and key in dossiers:
            # Zero days late says nothing an auditor needs: show the count only where there is one.
            days = dossiers["days_late"].astype("Int64")
            shown[key] = days.where(days > 0)
        elif key in dossiers:
            shown[key] = dossiers[key]
    return pd.DataFrame(shown)


def _columns(facts: pd.DataFrame, checks: pd.DataFrame, lang: str) -> list[dict]:
    """Every column of the sample sheet: key, kind (fact, check, note), header text and letter."""
    specs = [{"key": key, "kind": "fact", "header": label(f"sampling.col.{key}", lang)} for key in facts.columns]
    specs += [{"key": row.id, "kind": "check", "header": f"{getattr(row, 'label_' + lang)} ({row.clause})"}
              for row in checks.itertuples()]
    specs.append({"key": NOTE, "kind": "note", "header": label("sampling.col.note", lang)})
    for number, spec in enumerate(specs, start=1):
        spec["letter"] = get_column_letter(number)
        spec["header"] = neutralise_formula(spec["header"])
    return specs


def _write_sample_sheet(sheet, facts: pd.DataFrame, applies: pd.DataFrame, columns: list[dict],
                        lang: str) -> None:
    answers = [label(f"sampling.answer.{code}", lang) for code in ANSWERS]
    not_applicable = answers[2]
    last = FIRST_ROW + len(facts) - 1
    fitted = print_setup.column_widths([facts[c].map(cell_value) for c in facts.columns],
                                       [s["header"] for s in columns[:len(facts.columns)]])
    widths = [min(width, _MAX_WIDTHS.get(column, width)) for column, width in zip(facts.columns, fitted)]
    widths += [_CHECK_WIDTH if spec["kind"] == "check" else _NOTE_WIDTH for spec in columns[len(facts.columns):]]
    for spec in columns:
        cell = sheet[f"{spec['letter']}{HEADER_ROW}"]
        cell.value = spec["header"]
        cell.font, cell.alignment = HEADER_FONT, Alignment(wrap_text=True, vertical="center")
        cell.fill = HEADER_FILL if spec["kind"] == "fact" else _ANSWER_FILL
    print_setup.set_widths(sheet, widths)
    print_setup.wrap_row(sheet, HEADER_ROW, widths, bold=True)  # check titles wrap over several lines

    for offset, row in enumerate(facts.itertuples(index=False, name=None)):
        for column, value in enumerate(row, start=1):
            _fact_cell(sheet.cell(row=FIRST_ROW + offset, column=column), value)
        # A long procedure name wraps: the row grows so that it does not run over the rows below.
        print_setup.wrap_row(sheet, FIRST_ROW + offset, widths[:len(row)])
    for column, spec in enumerate(columns[len(facts.columns):], start=len(facts.columns) + 1):
        for offset in range(len(facts)):
            cell = sheet.cell(row=FIRST_ROW + offset, column=column)
            if spec["kind"] == "check" and not applies.at[offset, spec["key"]]:
                cell.value, cell.fill = not_applicable, _NOT_APPLICABLE_FILL
            else:
                cell.protection = _UNLOCKED
            cell.alignment = Alignment(wrap_text=spec["kind"] == "note", vertical="top")

    check_columns = [s["letter"] for s in columns if s["kind"] == "check"]
    if len(facts) and check_columns:
        _answer_validation(sheet, check_columns, last, answers, lang)
    sheet.auto_filter.ref = f"A{HEADER_ROW}:{columns[-1]['letter']}{max(last, HEADER_ROW)}"
    print_setup.set_up_page(sheet, widths, HEADER_ROW, freeze_column=3, lang=lang)
    _protect(sheet)


def _fact_cell(cell, value) -> None:
    value = cell_value(value)
    cell.value = value
    if isinstance(value, datetime):
        cell.number_format = DATETIME_FORMAT if (value.hour or value.minute) else DATE_FORMAT
    elif isinstance(value, date):
        cell.number_format = DATE_FORMAT
    cell.alignment = Alignment(vertical="top")


def _answer_validation(sheet, letters: list[str], last: int, answers: list[str], lang: str) -> None:
    choices = ", ".join(answers)
    validation = DataValidation(type="list", formula1='"' + ",".join(answers) + '"', allow_blank=True,
                                showErrorMessage=True, showInputMessage=True, errorStyle="stop",
                                promptTitle=label("sampling.dv.prompt_title", lang),
                                prompt=label("sampling.dv.prompt", lang, answers=choices),
                                errorTitle=label("sampling.dv.error_title", lang),
                                error=label("sampling.dv.error", lang, answers=choices))
    ranges = f"{letters[0]}{FIRST_ROW}:{letters[-1]}{last}"  # the check columns are side by side
    validation.add(ranges)
    sheet.add_data_validation(validation)
    # Colour the answers as they are typed, so a reviewer sees the failures at a glance.
    sheet.conditional_formatting.add(ranges, CellIsRule(operator="equal", formula=[f'"{answers[1]}"'],
                                                        fill=_FAIL_FILL))
    sheet.conditional_formatting.add(ranges, CellIsRule(operator="equal", formula=[f'"{answers[0]}"'],
                                                        fill=_PASS_FILL))


def _protect(sheet) -> None:
    # No password: this keeps facts from being typed over by mistake; the control sheet catches the rest.
    protection = sheet.protection
    protection.sheet = True
    protection.formatCells = protection.formatColumns = protection.formatRows = False
    protection.autoFilter = protection.sort = False


# ---- the cover ----------------------------------------------------------------------------------------

def _check_list(checks: WorksheetChecks) -> list[dict]:
    """The checks as stored with the sample, each with the frame's non-key dossiers it applies to."""
    populations = checks.populations
    return [{"id": row.id, "clause": row.clause, "label_vi": row.label_vi, "label_en": row.label_en,
             "applies_when": row.applies_when,
             "population": None if pd.isna(populations[row.id]) else int(populations[row.id])}
            for row in checks.checks.itertuples()]


def _write_cover(sheet, sample: Sample, check_list: list[dict], sample_sheet: str, created: date,
                 lang: str) -> dict:
    """Write the cover; return {parameter: [cell, stored value]} of every cell the reader checks."""
    frame, plan = sample.frame, sample.plan
    open_date = label("sampling.cover.open_date", lang)
    entries = [
        ("unit_code", frame.unit_code, None),
        ("unit_name", frame.unit_name or None, None),
        ("date_from", _as_datetime(frame.date_from) or open_date, DATE_FORMAT),
        ("date_to", _as_datetime(frame.date_to) or open_date, DATE_FORMAT),
        ("procedures", ", ".join(frame.procedure_codes) or label("sampling.cover.all_procedures", lang), None),
        ("frame_size", frame.population, "0"),
        ("key_items", label(f"sampling.key_items.{plan.key_items or 'none'}", lang), None),
        ("key_count", int(sample.dossiers["key_item"].sum()), "0"),
        ("population", sample.population, "0"),
        ("confidence", plan.confidence, _percent_format(plan.confidence)),
        ("tolerable", plan.tolerable_rate, _percent_format(plan.tolerable_rate)),
        ("expected", plan.expected_rate, _percent_format(plan.expected_rate)),
        ("model", label("sampling.model.finite", lang), None),
        ("size", sample.size, "0"),
        ("rows", len(sample.dossiers), "0"),
        ("stratify", label(f"sampling.stratify.{plan.stratify or 'none'}", lang), None),
        ("seed", plan.seed, "0"),
        ("created", _as_datetime(created), DATE_FORMAT),
    ]
    sheet["A1"] = neutralise_formula(label("sampling.cover.title", lang))
    sheet["A1"].font = Font(bold=True, size=14)
    sheet["A2"] = neutralise_formula(label("sampling.cover.subtitle", lang, version=__version__))
    sheet["A2"].font = Font(italic=True)
    cells = {}
    row = 4
    for key, value, number_format in entries:
        name = sheet.cell(row=row, column=1, value=neutralise_formula(label(f"sampling.cover.{key}", lang)))
        name.font = Font(bold=True)
        cell = sheet.cell(row=row, column=2, value=cell_value(value))
        cell.alignment = Alignment(horizontal="left")
        if number_format and not isinstance(value, str):
            cell.number_format = number_format
        cells[key] = [cell.coordinate, stored(cell.value)]
        print_setup.wrap_row(sheet, row, _COVER_WIDTHS[:1], bold=True)
        row += 1

    row += 1
    if plan.stratify:
        row = _cover_table(sheet, row, label("sampling.cover.strata_title", lang),
                           [label(f"sampling.col.{c}", lang) for c in ("stratum", "population", "sample")],
                           [[s or label("sampling.stratum_unknown", lang), p, n]
                            for s, p, n in sample.strata.itertuples(index=False, name=None)])
    row = _cover_table(sheet, row, label("sampling.cover.checks_title", lang),
                       [label(f"sampling.col.{c}", lang)
                        for c in ("check_id", "clause", "check", "applies_when", "check_population")],
                       # numbered, as the findings they raise are (unit-year-number), not by their codes
                       [[number, c["clause"], c[f"label_{lang}"],
                         label(f"sampling.applies.{c['applies_when']}", lang), c["population"]]
                        for number, c in enumerate(check_list, start=1)])
    instructions = sheet.cell(row=row, column=1,
                              value=neutralise_formula(label("sampling.cover.instructions_title", lang)))
    instructions.font = Font(bold=True)
    answers = ", ".join(label(f"sampling.answer.{code}", lang) for code in ANSWERS)
    words = dict(sheet=sample_sheet, answers=answers, not_applicable=label("sampling.answer.not_applicable", lang))
    for number in range(1, 6):
        row += 1
        sheet.cell(row=row, column=1, value=neutralise_formula(label(f"sampling.cover.instruction_{number}", lang,
                                                                     **words)))
        print_setup.title_row(sheet, row, len(_COVER_WIDTHS), _COVER_WIDTHS, bold=False,
                              line_height=print_setup.LINE_HEIGHT)
    for title_row in (1, 2):
        print_setup.title_row(sheet, title_row, len(_COVER_WIDTHS), _COVER_WIDTHS)
    print_setup.set_widths(sheet, _COVER_WIDTHS)
    print_setup.set_up_page(sheet, _COVER_WIDTHS, lang=lang)
    _protect(sheet)
    return cells


def _cover_table(sheet, row: int, title: str, headers: list[str], rows: list[list]) -> int:
    sheet.cell(row=row, column=1, value=neutralise_formula(title)).font = Font(bold=True)
    row += 1
    for column, header in enumerate(headers, start=1):
        cell = sheet.cell(row=row, column=column, value=neutralise_formula(header))
        cell.font, cell.fill = HEADER_FONT, HEADER_FILL
    print_setup.wrap_row(sheet, row, _COVER_WIDTHS[:len(headers)], bold=True)
    for values in rows:
        row += 1
        for column, value in enumerate(values, start=1):
            sheet.cell(row=row, column=column, value=cell_value(value)).alignment = Alignment(
                wrap_text=True, vertical="top", horizontal="left")
        print_setup.wrap_row(sheet, row, _COVER_WIDTHS[:len(values)])
    return row + 2


# ---- the control sheet --------------------------------------------------------------------------------

def _write_control(sheet, parameters: dict, facts: pd.DataFrame, applies: pd.DataFrame,
                   key_items: pd.Series) -> None:
    header = control_table_header(parameters)
    table = [header]
    key_flags = key_items.reset_index(drop=True)
    for offset, row in enumerate(facts.itertuples(index=False, name=None)):
        table.append([str(FIRST_ROW + offset), "1" if key_flags[offset] else "0",
                      *(stored(cell_value(v)) for v in row),
                      *("1" if applies.at[offset, c["id"]] else "0" for c in parameters["checks"])])
    parameters_json = json.dumps(parameters, ensure_ascii=False, sort_keys=True)
    sheet["A1"], sheet["B1"] = FORMAT, VERSION
    sheet["A2"], sheet["B2"] = "sha256", control_digest(parameters_json, table)
    sheet["A3"], sheet["B3"] = "parameters", parameters_json
    for offset, values in enumerate(table):
        for column, value in enumerate(values, start=1):
            sheet.cell(row=CONTROL_TABLE_ROW + offset, column=column, value=neutralise_formula(value))
    sheet.sheet_state = "veryHidden"
    sheet.protection.sheet = True


def _percent_format(rate: float) -> str:
    return "0%" if abs(rate * 100 - round(rate * 100)) < 1e-9 else "0.0#%"


def _as_datetime(value) -> datetime | None:
    return None if value is None else datetime.combine(value, time(0))


def _iso(value) -> str | None:
    return None if value is None else value.isoformat()
