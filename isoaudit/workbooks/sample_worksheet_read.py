"""Reading a filled sample worksheet back, with every alteration and every missing answer named.

The worksheet's layout and its control data are described in ``isoaudit.workbooks.sample_worksheet``. A
worksheet is refused when its control data does not match its SHA-256, when a cover parameter, a header or a
dossier fact differs from the control copy, when a row was added, copied or deleted, or when an answer is
missing, not one of Đạt / Không đạt / Không áp dụng, or given where the check does not apply. Rows are
matched by dossier id, so sorting or filtering the sheet is harmless. Every problem comes back at once, each
naming its sheet and cell (e.g. F12).
"""
from __future__ import annotations

import json
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from openpyxl import load_workbook

from isoaudit.errors import WorksheetError
from isoaudit.i18n import label
from isoaudit.problems import ERROR, Problem
from isoaudit.safety import restore_neutralised
from isoaudit.workbooks.sample_format import (
    ANSWER_COLUMNS,
    ANSWERS,
    CONTROL_SHEET,
    CONTROL_TABLE_ROW,
    FORMAT,
    answer_code,
    control_digest,
    control_table_header,
    stored,
)

_ISO = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?: (\d{2}):(\d{2}):\d{2})?$")


@dataclass
class FilledSample:
    """A filled worksheet: the parameters stored with the sample, the answers (``ANSWER_COLUMNS``, one row
    per dossier and check; ``answer`` one of ``ANSWERS`` or <NA>) and the problems found."""

    path: Path
    parameters: dict
    answers: pd.DataFrame
    problems: list[Problem] = field(default_factory=list)


def load_filled_sample(path) -> FilledSample:
    """``read_filled_sample``, raising ``WorksheetError`` ``sampling.ws_rejected`` listing every problem."""
    filled = read_filled_sample(path)
    if filled.problems:
        raise WorksheetError("sampling.ws_rejected", file=filled.path.name, count=len(filled.problems),
                             details_vi=describe(filled.problems, "vi"), details_en=describe(filled.problems, "en"),
                             problems=filled.problems)
    return filled


def read_filled_sample(path) -> FilledSample:
    """Read a filled worksheet. Raises ``WorksheetError`` only when the file is not a sample worksheet at all;
    everything else wrong is in ``problems``."""
    path = Path(path)
    if not path.is_file():
        raise WorksheetError("sampling.ws_not_found", file=str(path))
    if path.stat().st_size == 0:  # a copy that failed, or a file Excel was still writing
        raise WorksheetError("sampling.ws_empty", file=path.name)
    try:
        book = load_workbook(path, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as error:
        raise WorksheetError("sampling.ws_unreadable", file=path.name, reason=type(error).__name__) from None
    if CONTROL_SHEET not in book.sheetnames or book[CONTROL_SHEET]["A1"].value != FORMAT:
        raise WorksheetError("sampling.ws_not_a_worksheet", file=path.name, sheet=CONTROL_SHEET)
    reader = _Reader(path.name, book)
    return FilledSample(path, reader.parameters, reader.answers(), reader.problems)


PROBLEMS_LISTED = 10  # a worksheet left blank has hundreds of empty cells: a summary, then the first few


def describe(problems: list[Problem], lang: str = "vi") -> str:
    """The problems in a few lines: the empty answer cells counted (how many, of how many dossiers, the
    first), then up to ``PROBLEMS_LISTED`` problems one a line ('- Trang "Kiểm tra mẫu": Ô F12 (...): ...')
    and how many more."""
    empty = [p for p in problems if p.code == "sampling.ws_answer_missing"]
    lines = []
    if len(empty) > 1:
        dossiers = len({p.params.get("dossier") for p in empty})
        lines.append("- " + label("sampling.cli.empty_answers", lang, count=len(empty), dossiers=dossiers,
                                  first=empty[0].params.get("cell", "")))
        problems = [p for p in problems if p.code != "sampling.ws_answer_missing"]
    lines += [f"- {label('sampling.cli.cell', lang, sheet=p.sheet)}: {p.message(lang)}"
              for p in problems[:PROBLEMS_LISTED]]
    if len(problems) > PROBLEMS_LISTED:
        lines.append(label("sampling.cli.more_problems", lang, count=len(problems) - PROBLEMS_LISTED))
    return "\n".join(lines)


class _Reader:
    """One pass over a worksheet: control data first, then the cover, then the sample sheet."""

    def __init__(self, file: str, book):
        self.file, self.book = file, book
        self.problems: list[Problem] = []
        control = book[CONTROL_SHEET]
        text = control["B3"].value or ""
        try:
            self.parameters = json.loads(text)
        except json.JSONDecodeError:
            raise WorksheetError("sampling.ws_not_a_worksheet", file=file, sheet=CONTROL_SHEET) from None
        table = [list(row) for row in control.iter_rows(min_row=CONTROL_TABLE_ROW, values_only=True)]
        width = len(control_table_header(self.parameters))
        table = [["" if v is None else str(v) for v in row[:width]] + [""] * (width - len(row)) for row in table]
        table = [row for row in table if any(row)]
        if control_digest(text, table) != control["B2"].value:
            self._problem("sampling.ws_control_altered", CONTROL_SHEET)
        self.control = pd.DataFrame(table[1:], columns=control_table_header(self.parameters), dtype="string")

    # ---- answers ---------------------------------------------------------------------------------------
    def answers(self) -> pd.DataFrame:
        self._check_cover()
        sheet_name = self.parameters["sheets"]["sample"]
        if sheet_name not in self.book.sheetnames:
            self._problem("sampling.ws_sheet_missing", sheet_name, params={"sheet": sheet_name})
            return pd.DataFrame(columns=ANSWER_COLUMNS)
        sheet = self.book[sheet_name]
        columns = self.parameters["columns"]
        if not self._headers_intact(sheet, columns):
            return pd.DataFrame(columns=ANSWER_COLUMNS)
        grid = self._grid(sheet, columns)
        matched = self._match_rows(grid, sheet.title)
        self._compare_facts(matched, columns, sheet.title)
        return self._answers(matched, columns, sheet.title)

    def _check_cover(self) -> None:
        name = self.parameters["sheets"]["cover"]
        if name not in self.book.sheetnames:
            self._problem("sampling.ws_sheet_missing", name, params={"sheet": name})
            return
        sheet = self.book[name]
        for key, (cell, expected) in self.parameters["cover_cells"].items():
            found = stored(sheet[cell].value)
            if found != expected:
                row = sheet[cell].row
                header = sheet.cell(row=row, column=1).value or key
                self._problem("sampling.ws_parameter_changed", name, row, cell, _shown(found),
                              {"cell": cell, "header": str(header), "expected": _shown(expected)})

    def _headers_intact(self, sheet, columns: list[dict]) -> bool:
        row = self.parameters["header_row"]
        intact = True
        for spec in columns:
            cell = f"{spec['letter']}{row}"
            found = stored(sheet[cell].value)
            if found != stored(spec["header"]):
                intact = False
                self._problem("sampling.ws_header_changed", sheet.title, row, cell, _shown(found),
                              {"cell": cell, "expected": spec["header"]})
        return intact

    def _grid(self, sheet, columns: list[dict]) -> pd.DataFrame:
        """The sheet's rows below the header (blank rows dropped) with their Excel row number."""
        first = self.parameters["first_row"]
        rows = list(sheet.iter_rows(min_row=first, max_col=len(columns), values_only=True))
        keys = [c["key"] for c in columns]
        grid = pd.DataFrame([list(r) + [None] * (len(keys) - len(r)) for r in rows], columns=keys, dtype="object")
        grid["excel_row"] = np.arange(first, first + len(grid))
        blank = grid[keys].map(lambda v: v is None or (isinstance(v, str) and not v.strip())).all(axis=1)
        return grid[~blank].reset_index(drop=True)

    def _match_rows(self, grid: pd.DataFrame, sheet: str) -> pd.DataFrame:
        """Sheet rows joined to the control table by dossier id; added, copied and deleted rows reported."""
        id_letter = self._letter("dossier_id")
        grid = grid.assign(id_key=grid["dossier_id"].map(stored).astype("string"))
        control = self.control.rename(columns={"row": "original_row"})
        known = grid["id_key"].isin(control["dossier_id"])
        for row, value in zip(grid.loc[~known, "excel_row"], grid.loc[~known, "dossier_id"]):
            cell = f"{id_letter}{row}"
            self._problem("sampling.ws_row_added", sheet, row, cell, _shown(stored(value)), {"cell": cell})
        repeated = known & grid["id_key"].duplicated()
        first_rows = grid[known].drop_duplicates("id_key").set_index("id_key")["excel_row"]
        for row, key in zip(grid.loc[repeated, "excel_row"], grid.loc[repeated, "id_key"]):
            cell = f"{id_letter}{row}"
            self._problem("sampling.ws_row_duplicated", sheet, row, cell, _shown(key),
                          {"cell": cell, "dossier": _raw(key), "first_row": int(first_rows[key])})
        kept = grid[known & ~repeated]
        for original, key in zip(*control.loc[~control["dossier_id"].isin(kept["id_key"]),
                                              ["original_row", "dossier_id"]].T.to_numpy()):
            self._problem("sampling.ws_row_deleted", sheet, params={"dossier": _raw(key),
                                                                   "original_row": int(original)})
        return kept.merge(control, left_on="id_key", right_on="dossier_id", suffixes=("", "_control"))

    def _compare_facts(self, matched: pd.DataFrame, columns: list[dict], sheet: str) -> None:
        for spec in columns:
            if spec["kind"] != "fact" or spec["key"] in ("dossier_id", "row_number"):
                continue  # the id matched the row; the running number changes harmlessly when rows are sorted
            found = matched[spec["key"]].map(stored).astype("string")
            expected = matched[f"{spec['key']}_control"].fillna("")
            for row, value, want, dossier in zip(*matched.loc[found != expected, ["excel_row", spec["key"],
                                                                                  f"{spec['key']}_control",
                                                                                  "id_key"]].T.to_numpy()):
                cell = f"{spec['letter']}{row}"
                self._problem("sampling.ws_fact_changed", sheet, row, cell, _shown(stored(value)),
                              {"cell": cell, "header": spec["header"], "dossier": _raw(dossier),
                               "expected": _shown(want or "")})

    def _answers(self, matched: pd.DataFrame, columns: list[dict], sheet: str) -> pd.DataFrame:
        allowed = ", ".join(label(f"sampling.answer.{code}", self.parameters.get("lang", "vi")) for code in ANSWERS)
        not_applicable = label("sampling.answer.not_applicable", self.parameters.get("lang", "vi"))
        notes = matched["note"].map(lambda v: None if v is None else str(v).strip() or None).astype("string")
        frames = []
        for spec in (c for c in columns if c["kind"] == "check"):
            code = answer_code(matched[spec["key"]].map(lambda v: None if v is None else str(v)))
            applies = matched[f"applies:{spec['key']}"].eq("1").to_numpy(dtype=bool)
            problems = [
                ("sampling.ws_answer_missing", applies & code.isna().to_numpy()),
                ("sampling.ws_answer_invalid", applies & code.eq("invalid").fillna(False).to_numpy(dtype=bool)),
                ("sampling.ws_answer_not_applicable",
                 ~applies & code.isin(["pass", "fail", "invalid"]).fillna(False).to_numpy(dtype=bool)),
            ]
            for problem_code, mask in problems:
                for row, value, dossier in zip(*matched.loc[mask, ["excel_row", spec["key"], "id_key"]].T.to_numpy()):
                    cell = f"{spec['letter']}{row}"
                    self._problem(problem_code, sheet, row, cell, _shown(stored(value)),
                                  {"cell": cell, "header": spec["header"], "dossier": _raw(dossier),
                                   "allowed": allowed, "expected": not_applicable})
            frames.append(pd.DataFrame({
                "dossier_id": matched["id_key"].map(_raw).astype("string"),
                "row": matched["excel_row"].astype("Int64"),
                "key_item": matched["key_item"].eq("1").astype(bool),
                "check_id": spec["key"],
                "applies": applies,
                "answer": code.where(applies & code.isin(ANSWERS).fillna(False)).astype("string"),
                "note": notes,
            }))
        order = {CONTROL_SHEET: 0, self.parameters["sheets"]["cover"]: 1, sheet: 2}
        self.problems.sort(key=lambda p: (order.get(p.sheet, 3), p.row is not None, p.row or 0, len(p.column),
                                          p.column))
        if not frames:
            return pd.DataFrame(columns=ANSWER_COLUMNS)
        return pd.concat(frames, ignore_index=True)[ANSWER_COLUMNS]

    # ---- helpers ---------------------------------------------------------------------------------------
    def _letter(self, key: str) -> str:
        return next(c["letter"] for c in self.parameters["columns"] if c["key"] == key)

    def _problem(self, code: str, sheet: str, row: int | None = None, column: str = "", value=None,
                 params: dict | None = None) -> None:
        letter = re.sub(r"\d+", "", column)
        self.problems.append(Problem(code, file=self.file, sheet=sheet, row=None if row is None else int(row),
                                     column=letter, value=value, severity=ERROR, params=params or {}))


def _raw(key) -> str:
    """A dossier id as the records hold it (the control copy is neutralised against formulas)."""
    return restore_neutralised(str(key))


def _shown(text: str) -> str:
    """A stored value as a reader expects it: ISO dates as dd/mm/yyyy (hh:mm)."""
    match = _ISO.match(text or "")
    if not match:
        return _raw(text or "")
    year, month, day, hour, minute = match.groups()
    return f"{day}/{month}/{year}" + (f" {hour}:{minute}" if hour else "")
