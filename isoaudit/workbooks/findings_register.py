"""The findings register as a workbook: one row per finding, headed with words ``load_records`` recognises.

Sheet 1 (the register, read back as record kind ``findings``): the canonical ``FINDINGS`` columns under
headers in the chosen language (each also an alias of data/column_aliases.csv), grades and action
statuses as words of ``isoaudit/data/vocabulary.csv`` (with a drop-down list; other words are still
accepted), then two columns the reader ignores: overdue and repeated, recomputed at every write and
highlighted. Sheet 2: the words allowed for grades and statuses.
"""
from __future__ import annotations

import io
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from openpyxl import load_workbook
from openpyxl.styles import PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from isoaudit.findings import FINDING_COLUMNS, conform, flag_findings, merge_register, source_label
from isoaudit.i18n import check_lang, format_date, label
from isoaudit.outputs.xlsx import SheetSpec, write_workbook
from isoaudit.records.readers import read_record_file
from isoaudit.safety import atomic_write, inside, restore_neutralised, safe_filename
from isoaudit.schema import ACTION_STATUSES, FINDINGS, GRADES
from isoaudit.schema import columns as kind_columns

OVERDUE_FILL = PatternFill("solid", fgColor="F8CBAD")
REPEATED_FILL = PatternFill("solid", fgColor="FFE699")
_COLUMNS = [c.name for c in FINDINGS]
FINDINGS_FOLDER = "findings"


@dataclass
class RegisterUpdate:
    """The register as written, and what changed: ids added, ids of existing rows whose empty cells were
    filled, and ids of this audit's rows no longer raised by its answers (kept, for the auditor to close)."""

    path: Path
    findings: pd.DataFrame
    added: list[str] = field(default_factory=list)
    filled: list[str] = field(default_factory=list)
    withdrawn: list[str] = field(default_factory=list)


# ---- the register file -------------------------------------------------------------------------------------
def register_path(folder, unit_code: str) -> Path:
    """``folder/findings/<unit_code>_findings.xlsx`` (the unit code first: ``load_records`` reads it)."""
    return inside(folder, FINDINGS_FOLDER, safe_filename(unit_code, "unit") + "_findings.xlsx")


def read_register(path, problems: list | None = None) -> pd.DataFrame:
    """The findings of a register file (``FINDING_COLUMNS``); an empty frame when it does not exist.

    A grade or status word the vocabulary does not know is kept as written (and reported in ``problems``),
    so rewriting the register never loses it.
    """
    path = Path(path)
    if not path.exists():
        return conform(pd.DataFrame(columns=FINDING_COLUMNS))
    found: list = []
    frame = read_record_file(path, "findings", problems=found)
    for problem in found:
        column = {"unknown_grade": "grade", "unknown_action_status": "status"}.get(problem.code)
        if column and problem.row is not None:
            frame.loc[(frame["source_row"] == problem.row).to_numpy(bool), column] = str(problem.value)
    if problems is not None:
        problems.extend(found)
    text_columns = [c.name for c in FINDINGS if c.kind == "text"]
    for column in text_columns:
        frame[column] = restore_neutralised(frame[column])
    return conform(frame[[c for c in kind_columns("findings") if c in FINDING_COLUMNS]])


def update_register(folder, unit_code: str, new: pd.DataFrame, *, audit_id: str | None = None, as_of=None,
                    unit_name: str = "", lang: str = "vi") -> RegisterUpdate:
    """Add ``new`` findings to the unit's register in ``folder`` and rewrite it, flags recomputed.

    ``audit_id``: the audit ``new`` comes from; its rows in the register that ``new`` no longer has are
    reported as withdrawn (kept: only a person deletes a finding).
    """
    path = register_path(folder, unit_code)
    existing = read_register(path)
    merged, added, filled = merge_register(existing, new)
    withdrawn = []
    if audit_id is not None:
        of_audit = existing[(existing["audit_id"] == audit_id).fillna(False).to_numpy(bool)]
        withdrawn = of_audit.loc[~of_audit["finding_id"].isin(new["finding_id"]).to_numpy(bool), "finding_id"].tolist()
    flagged = flag_findings(merged, as_of)
    write_findings_register(path, flagged, unit_code=unit_code, unit_name=unit_name, as_of=as_of, lang=lang)
    return RegisterUpdate(path, flagged, added, filled, withdrawn)


def write_findings_register(path: str | os.PathLike, findings: pd.DataFrame, *, unit_code: str = "",
                            unit_name: str = "", as_of=None, lang: str = "vi") -> None:
    """Write ``findings`` (``FINDINGS`` columns plus ``overdue``, ``repeated``, ``repeat_of`` from
    ``isoaudit.findings.flag_findings``) to ``path``: atomic, injection-safe, flags highlighted."""
    check_lang(lang)
    frame = _register_frame(findings, lang)
    headers = {c: register_header(c, lang) for c in frame.columns}
    as_of_text = format_date(pd.Timestamp(as_of if as_of is not None else pd.Timestamp.today()).date(), lang)
    title = [label("audit.register.title", lang),
             label("audit.register.unit", lang, unit=unit_name or unit_code, code=unit_code),
             label("audit.register.as_of", lang, date=as_of_text)]
    words = pd.DataFrame({
        "kind": [label("audit.register.col.grade", lang)] * len(GRADES)
        + [label("audit.register.col.status", lang)] * len(ACTION_STATUSES),
        "word": [_grade_word(g, lang) for g in GRADES] + [_status_word(s, lang) for s in ACTION_STATUSES],
    })
    with tempfile.TemporaryDirectory(prefix="isoaudit-register-") as folder:
        draft = Path(folder, "register.xlsx")
        write_workbook(draft, {
            label("audit.register.sheet", lang): SheetSpec(frame, headers, title),
            label("audit.register.words_sheet", lang): SheetSpec(words, {
                "kind": label("audit.register.words.kind", lang), "word": label("audit.register.words.word", lang)}),
        }, lang)
        book = load_workbook(draft)
    _decorate(book.worksheets[0], frame, headers, lang=lang)
    buffer = io.BytesIO()
    book.save(buffer)
    with atomic_write(path) as handle:
        handle.write(buffer.getvalue())


def register_header(column: str, lang: str = "vi") -> str:
    """The header of a register column: Vietnamese words of the alias table, or the canonical name."""
    return label(f"audit.register.col.{column}", lang)


def _register_frame(findings: pd.DataFrame, lang: str) -> pd.DataFrame:
    frame = findings.reindex(columns=_COLUMNS).copy()
    frame["grade"] = frame["grade"].map(lambda g: _grade_word(g, lang), na_action="ignore")
    frame["status"] = frame["status"].map(lambda s: _status_word(s, lang), na_action="ignore")
    frame["source"] = frame["source"].map(lambda s: source_label(s, lang), na_action="ignore")
    yes = label("audit.register.yes", lang)
    overdue = findings["overdue"] if "overdue" in findings else pd.Series(False, index=findings.index)
    repeated = findings["repeated"] if "repeated" in findings else pd.Series(False, index=findings.index)
    repeat_of = findings["repeat_of"] if "repeat_of" in findings else pd.Series(pd.NA, index=findings.index)
    frame["overdue"] = pd.Series(overdue.to_numpy(bool), index=frame.index).map({True: yes, False: None})
    frame["repeated"] = [label("audit.register.repeat_of", lang, ids=ids) if flag else None
                         for flag, ids in zip(repeated.to_numpy(bool), repeat_of)]
    return frame


def _grade_word(code, lang: str) -> str:
    # The words of the language asked for: data/vocabulary.csv reads both languages' words back.
    return label(f"audit.result.{code}", lang) if code in GRADES else str(code)


def _status_word(code, lang: str) -> str:
    return label(f"audit.action_status.{code}", lang) if code in ACTION_STATUSES else str(code)


def _decorate(sheet, frame: pd.DataFrame, headers: dict[str, str], lang: str) -> None:
    """Drop-down lists for grade and status, flag cells highlighted."""
    first_header = headers[frame.columns[0]]
    header_row = next(cell.row for cell in sheet["A"] if cell.value == first_header)
    last = header_row + max(len(frame), 1) + 200  # room for rows typed by hand
    for column, words in (("grade", [_grade_word(g, lang) for g in GRADES]),
                          ("status", [_status_word(s, lang) for s in ACTION_STATUSES])):
        letter = get_column_letter(frame.columns.get_loc(column) + 1)
        # showErrorMessage off: a word typed another way ("NC nhẹ") is still allowed; the list only helps.
        validation = DataValidation(type="list", formula1='"' + ",".join(words) + '"', allow_blank=True,
                                    showErrorMessage=False)
        validation.add(f"{letter}{header_row + 1}:{letter}{last}")
        sheet.add_data_validation(validation)
    for column, fill in (("overdue", OVERDUE_FILL), ("repeated", REPEATED_FILL)):
        position = frame.columns.get_loc(column) + 1
        for offset, value in enumerate(frame[column]):
            if isinstance(value, str) and value:
                sheet.cell(row=header_row + 1 + offset, column=position).fill = fill
