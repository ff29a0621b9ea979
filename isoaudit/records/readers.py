"""Public readers: one spreadsheet file in, one canonical DataFrame out (see ``isoaudit.schema``).

``record_table`` returns the whole ``Table`` (frame, problems, title rows, header labels), which
``load_records`` uses so that every file is parsed once.
"""
from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from isoaudit import schema
from isoaudit.errors import RecordsError
from isoaudit.problems import ERROR, Problem
from isoaudit.records.statistics_form import check_statistics_form
from isoaudit.records.table import Table, read_table
from isoaudit.records.vocabulary import canonical_words

_YEAR_IN_NAME = re.compile(r"(?:^|[_\-\s])((?:19|20)\d{2})(?:$|[_\-\s])")
_UNIT_PREFIX = re.compile(r"^([0-9A-Za-z.\-]*\d[0-9A-Za-z.\-]*)_")


def read_dossier_log(path, sheet=None, mapping: dict | None = None, problems: list | None = None,
                     alias_file=None) -> pd.DataFrame:
    """A dossier log (tracking book or software export) as canonical dossier rows.

    ``mapping`` maps headers of an unusual export to canonical columns, e.g. {"Ngày nộp": "received_at"}.
    Problems are appended to ``problems`` when given; otherwise a file that cannot be used raises RecordsError.
    ``unit_code`` comes from its column, else from a file name starting with the unit code ("26734_2025.xlsx").
    """
    return _deliver(record_table(path, "dossiers", sheet, mapping, alias_file), problems)


def read_procedures(path, sheet=None, mapping: dict | None = None, problems: list | None = None,
                    alias_file=None) -> pd.DataFrame:
    """A procedure catalogue; ``legal_days`` in working days (0 = same day)."""
    return _deliver(record_table(path, "procedures", sheet, mapping, alias_file), problems)


def read_units(path, sheet=None, mapping: dict | None = None, problems: list | None = None,
               alias_file=None) -> pd.DataFrame:
    """The unit registry: provinces, districts, communes and wards with their codes."""
    return _deliver(record_table(path, "units", sheet, mapping, alias_file), problems)


def read_objectives(path, sheet=None, mapping: dict | None = None, problems: list | None = None,
                    alias_file=None) -> pd.DataFrame:
    """A quality-objectives plan; ``unit_code`` from its column or the file name prefix."""
    return _deliver(record_table(path, "objectives", sheet, mapping, alias_file), problems)


def record_table(path, kind: str, sheet=None, mapping=None, alias_file=None) -> Table:
    """One file read as ``kind``: canonical columns, controlled words (``schema.CONTROLLED``) turned into codes,
    and the unit taken from the file name where the rows do not give it."""
    table = read_table(path, kind, sheet, mapping, alias_file)
    if kind != "units" and "unit_code" in table.frame:
        _unit_from_file_name(table, path)
    if kind == "decisions":
        _year_from_file_name(table, path)
    if kind == "statistics":
        check_statistics_form(table)
    for column, vocabulary in schema.CONTROLLED.get(kind, {}).items():
        table.frame[column] = _canonical(table, column, vocabulary)
    return table


def read_record_file(path, kind: str, sheet=None, mapping: dict | None = None, problems: list | None = None,
                     alias_file=None) -> pd.DataFrame:
    """Any record kind of ``isoaudit.schema.KINDS`` from one file (surveys, feedback, decisions, findings...)."""
    return _deliver(record_table(path, kind, sheet, mapping, alias_file), problems)


def unit_code_from_name(path) -> str | None:
    """The unit code a file name starts with ('26734_xa_hoa_binh.xlsx' -> '26734'), if any."""
    match = _UNIT_PREFIX.match(Path(path).name)
    return match.group(1) if match else None


def _unit_from_file_name(table: Table, path) -> None:
    prefix = unit_code_from_name(path)
    if prefix is not None:
        table.frame["unit_code"] = table.frame["unit_code"].fillna(prefix)


def _year_from_file_name(table: Table, path) -> None:
    """A decision the chair added without its review's year belongs to the year the file is named after
    (``26734_quyet_dinh_2025.xlsx``)."""
    match = _YEAR_IN_NAME.search(Path(path).stem)
    if match is not None:
        table.frame["year"] = table.frame["year"].fillna(int(match.group(1)))


def _canonical(table: Table, column: str, vocabulary: str) -> pd.Series:
    values = table.frame[column]
    mapped = table.codes.pop(column, None)  # worked out as the column was read, a block at a time
    if mapped is None or len(mapped) != len(values):
        mapped, bad = canonical_words(values, vocabulary)
    else:
        mapped = mapped.set_axis(values.index)
        bad = (values.notna() & mapped.isna()).to_numpy(bool)  # a word written that has no code
    for index in bad.nonzero()[0]:
        table.problems.append(Problem(f"unknown_{vocabulary}", file=table.frame["source_file"].iat[index],
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
