"""The file format of the sample worksheet, shared by its writer (``outputs.sample_workbook``) and its
reader (``records.sample_workbook``): the hidden control sheet, how cell values are compared, the digest
that detects tampering, and the answer words an auditor may type."""
from __future__ import annotations

import hashlib
import json
import unicodedata
from datetime import date, datetime, time, timedelta
from functools import lru_cache

import pandas as pd

from isoaudit.i18n import label
from isoaudit.safety import neutralise_formula
from isoaudit.text import fold, fold_series

FORMAT = "isoaudit.sample_worksheet"
VERSION = 1
CONTROL_SHEET = "_isoaudit"
CONTROL_TABLE_ROW = 5  # header of the control table; its rows follow
ANSWERS = ("pass", "fail", "not_applicable")
ANSWER_COLUMNS = ["dossier_id", "row", "key_item", "check_id", "applies", "answer", "note"]


def cell_key(value) -> str:
    """A cell value as text that survives a save in Excel or LibreOffice: numbers without float noise,
    date-times to the second (ISO), dates as ISO dates, text in NFC; '' for an empty cell."""
    if value is None or (isinstance(value, float) and value != value):
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, datetime):
        value = (value + timedelta(microseconds=500_000)).replace(microsecond=0)
        return value.date().isoformat() if value.time() == time(0) else value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return value.isoformat(timespec="seconds")
    if isinstance(value, (int, float)):
        number = float(value)
        return str(int(number)) if number.is_integer() else repr(round(number, 9))
    return unicodedata.normalize("NFC", str(value))


def stored(value) -> str:
    """How a cell value is kept in the control sheet (and compared): ``cell_key``, made formula-safe."""
    return neutralise_formula(cell_key(value))


def control_digest(parameters_json: str, table: list[list]) -> str:
    """SHA-256 of the control data: the parameters' JSON text and the control table's cells as text."""
    rows = [["" if v is None else str(v) for v in row] for row in table]
    payload = json.dumps([parameters_json, rows], ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def control_table_header(parameters: dict) -> list[str]:
    facts = [c["key"] for c in parameters["columns"] if c["kind"] == "fact"]
    return ["row", "key_item", *facts, *(f"applies:{c['id']}" for c in parameters["checks"])]


def answer_code(values: pd.Series) -> pd.Series:
    """Answers typed in a worksheet (any case, with or without diacritics, Vietnamese or English) as codes of
    ``ANSWERS``; <NA> for a blank cell, ``invalid`` for anything else."""
    words = _answer_words()
    folded = fold_series(values.astype("string"))
    codes = folded.map(words).astype("string")
    blank = folded.isna() | (folded == "").fillna(True)
    return codes.mask(~blank & codes.isna(), "invalid").mask(blank, pd.NA)


@lru_cache(maxsize=1)
def _answer_words() -> dict[str, str]:
    """Folded answer word -> code, from the labels of both languages plus the usual abbreviations."""
    words = {fold(label(f"sampling.answer.{code}", lang)): code for code in ANSWERS for lang in ("vi", "en")}
    words.update({"kd": "fail", "kad": "not_applicable", "n a": "not_applicable", "na": "not_applicable"})
    return words
