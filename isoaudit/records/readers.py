"""Public readers: one spreadsheet file in, one canonical DataFrame out (see ``isoaudit.schema``).

Each ``read_*`` function has a ``*_table`` twin returning the whole ``Table`` (frame, problems, title rows,
header labels), which ``load_records`` uses so that every file is parsed once.
"""
from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from isoaudit.errors import RecordsError
from isoaudit.problems import ERROR, Problem
from isoaudit.records.table import Table, read_table
from isoaudit.records.vocabulary import canonical_words

_UNIT_PREFIX = re.compile(r"^([0-9A-Za-z.\-]*\d[0-9A-Za-z.\-]*)_")


def read_dossier_log(path, sheet=None, mapping: dict | None = None, problems: list | None = None,
                     alias_file=None) -> pd.DataFrame:
    """A dossier log (tracking book or software export) as canonical dossier rows.

    ``mapping`` maps headers of an unusual export to canonical columns, e.g. {"Ngày nộp": "received_at"}.
    Problems are appended to ``problems`` when given; otherwise a file that cannot be used raises RecordsError.
    ``unit_code`` comes from its column, else from a file name starting with the unit code ("26734_2025.xlsx").
    """
    return _deliver(dossier_table(path, sheet, mapping, alias_file), problems)


def read_procedures(path, sheet=None, mapping: dict | None = None, problems: list | None = None,
                    alias_file=None) -> pd.DataFrame:
    """A procedure catalogue; ``legal_days`` in working days (0 = same day)."""
    return _deliver(procedure_table(path, sheet, mapping, alias_file), problems)


def read_units(path, sheet=None, mapping: dict | None = None, problems: list | None = None,
               alias_file=None) -> pd.DataFrame:
    """The unit registry: provinces, districts, communes and wards with their codes."""
    return _deliver(unit_table(path, sheet, mapping, alias_file), problems)


def read_objectives(path, sheet=None, mapping: dict | None = None, problems: list | None = None,
                    alias_file=None) -> pd.DataFrame:
    """A quality-objectives plan; ``unit_code`` from its column or the file name prefix."""
    return _deliver(objective_table(path, sheet, mapping, alias_file), problems)


def dossier_table(path, sheet=None, mapping=None, alias_file=None) -> Table:
    table = read_table(path, "dossiers", sheet, mapping, alias_file)
    _unit_from_file_name(table, path)
    table.frame["channel"] = _canonical(table, "channel")
    return table


def procedure_table(path, sheet=None, mapping=None, alias_file=None) -> Table:
    table = read_table(path, "procedures", sheet, mapping, alias_file)
    table.frame["level"] = _canonical(table, "level")
    table.frame["supplement_rule"] = _canonical(table, "supplement_rule")
    return table


def unit_table(path, sheet=None, mapping=None, alias_file=None) -> Table:
    table = read_table(path, "units", sheet, mapping, alias_file)
    table.frame["level"] = _canonical(table, "level")
    return table


def objective_table(path, sheet=None, mapping=None, alias_file=None) -> Table:
    table = read_table(path, "objectives", sheet, mapping, alias_file)
    _unit_from_file_name(table, path)
    return table


def survey_table(path, sheet=None, mapping=None, alias_file=None) -> Table:
    table = read_table(path, "surveys", sheet, mapping, alias_file)
    _unit_from_file_name(table, path)
    table.frame["rating"] = _canonical(table, "rating")
    return table


def feedback_table(path, sheet=None, mapping=None, alias_file=None) -> Table:
    table = read_table(path, "feedback", sheet, mapping, alias_file)
    _unit_from_file_name(table, path)
    table.frame["channel"] = _canonical(table, "channel")
    table.frame["feedback_type"] = _canonical(table, "feedback_type")
    return table


def decision_table(path, sheet=None, mapping=None, alias_file=None) -> Table:
    table = read_table(path, "decisions", sheet, mapping, alias_file)
    _unit_from_file_name(table, path)
    table.frame["category"] = _canonical(table, "category")
    table.frame["status"] = _canonical(table, "status", vocabulary="decision_status")
    return table


def finding_table(path, sheet=None, mapping=None, alias_file=None) -> Table:
    table = read_table(path, "findings", sheet, mapping, alias_file)
    _unit_from_file_name(table, path)
    table.frame["grade"] = _canonical(table, "grade")
    table.frame["status"] = _canonical(table, "status", vocabulary="action_status")
    return table


TABLE_READERS = {
    "dossiers": dossier_table,
    "procedures": procedure_table,
    "units": unit_table,
    "objectives": objective_table,
    "surveys": survey_table,
    "feedback": feedback_table,
    "decisions": decision_table,
    "findings": finding_table,
}


def read_record_file(path, kind: str, sheet=None, mapping: dict | None = None, problems: list | None = None,
                     alias_file=None) -> pd.DataFrame:
    """Any record kind of ``isoaudit.schema.KINDS`` from one file (surveys, feedback, decisions, findings...)."""
    return _deliver(TABLE_READERS[kind](path, sheet, mapping, alias_file), problems)


def unit_code_from_name(path) -> str | None:
    """The unit code a file name starts with ('26734_xa_hoa_binh.xlsx' -> '26734'), if any."""
    match = _UNIT_PREFIX.match(Path(path).name)
    return match.group(1) if match else None


def _unit_from_file_name(table: Table, path) -> None:
    prefix = unit_code_from_name(path)
    if prefix is not None:
        table.frame["unit_code"] = table.frame["unit_code"].fillna(prefix)


def _canonical(table: Table, column: str, vocabulary: str | None = None) -> pd.Series:
    values = table.frame[column]
    mapped, bad = canonical_words(values, vocabulary or column)
    for index in bad.nonzero()[0]:
        table.problems.append(Problem(f"unknown_{vocabulary or column}", file=table.frame["source_file"].iat[index],
                                      row=int(table.frame["source_row"].iat[index]),
                                      column=table.labels.get(column, column), value=values.iat[index]))
    return mapped


def _deliver(table: Table, problems: list | None) -> pd.DataFrame:
    if problems is not None:
        problems.extend(table.problems)
        return table.frame
    fatal = [p for p in table.problems if p.severity == ERROR]
    if fatal:
        first = fatal[0]
        error = RecordsError(first.code, **{"file": first.file, "sheet": first.sheet, "column": first.column,
                                            **first.params})
        error.problems = table.problems
        raise error
    return table.frame
