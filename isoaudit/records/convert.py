"""Vectorised conversion of raw cell columns to canonical types.

Each converter takes a list of raw cells (str, float, int, date, datetime, time, '' for empty) and returns
``(series, bad)``: the typed pandas Series and a boolean mask of cells that were filled but unreadable.
Dates are always day first (Vietnamese practice), as real Excel dates, Excel serial numbers or text.
"""
from __future__ import annotations

import datetime as dt
import re

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from pandas.api.types import infer_dtype

from isoaudit.text import fold, fold_series

EXCEL_EPOCH = pd.Timestamp("1899-12-30")
_SERIAL_RANGE = (1.0, 2958465.0)  # 01/01/1900 .. 31/12/9999

# d/m/yyyy or d-m-yyyy or d.m.yyyy, optionally with a time after (or before) it; or ISO yyyy-mm-dd.
_TIME = r"(?P<H>\d{1,2})\s*[:hH]\s*(?P<M>\d{2})?(?::(?P<S>\d{2}))?"
_DMY = r"(?P<d>\d{1,2})\s*[/.\-]\s*(?P<m>\d{1,2})\s*[/.\-]\s*(?P<y>\d{4})"
_YMD = r"(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})"
_DATE_PATTERNS = [
    rf"^{_DMY}(?:[\sT,]+{_TIME})?$",
    rf"^{_TIME}[\s,]+(?:ngày\s*)?{_DMY}$",
    rf"^{_YMD}(?:[\sT]+{_TIME})?$",
]
_TRUE = {"co", "x", "yes", "true", "1", "dung", "y"}
_FALSE = {"khong", "no", "false", "0", "sai", "n", ""}
_SAME_DAY = {"trong ngay", "ngay trong ngay", "same day", "trong ngay lam viec"}


def to_datetime(cells, keep_time: bool = True) -> tuple[pd.Series, np.ndarray]:
    """Dates (and times) from any mix of Excel dates, serial numbers and day-first text."""
    values = as_cells(cells)
    filled = pd.notna(values)
    kind = infer_dtype(values, skipna=True)
    if kind == "empty":
        result = pd.Series(pd.NaT, index=range(len(values)), dtype="datetime64[us]")
    elif kind in ("datetime", "date", "datetime64"):
        result = pd.Series(pd.to_datetime(values, errors="coerce")).astype("datetime64[us]")
    elif kind == "string":
        text = pd.Series(values, dtype="string").str.strip()
        filled &= (text != "").fillna(False).to_numpy()  # a cell of spaces is empty
        result = _parse_text(text)
    elif kind in ("floating", "integer", "mixed-integer-float"):
        result = _from_serial(pd.Series(values, dtype=float))
    else:
        result = _mixed_to_datetime(pd.Series(values, dtype=object))
    bad = filled & result.isna().to_numpy()
    if not keep_time:
        result = result.dt.normalize()
    return result, bad


def to_date(cells) -> tuple[pd.Series, np.ndarray]:
    """Calendar dates (time of day dropped)."""
    return to_datetime(cells, keep_time=False)


def to_text(cells) -> tuple[pd.Series, np.ndarray]:
    """Clean text (NFC, folded spaces); numbers typed into text columns lose a spurious '.0'."""
    values = as_cells(cells)
    if infer_dtype(values, skipna=True) not in ("string", "empty"):
        values = np.array([v if isinstance(v, str) or v is None else _text_of(v) for v in values], dtype=object)
    # Columns that repeat (procedure names, channels, officers) are cleaned once per distinct value; mostly
    # unique ones (ids, names, addresses) are cleaned whole: hashing them would cost more than it saves.
    head = values[:1000]
    repeats = len(head) and len(set(head.tolist())) < 0.5 * len(head)
    if repeats:
        codes, uniques = pd.factorize(values, use_na_sentinel=True)
        cleaned = _clean_text(pa.array(uniques, type=pa.string(), from_pandas=True))
        result = pd.Series(pd.array(cleaned, dtype="string").take(codes, allow_fill=True))
    else:
        result = pd.Series(pd.array(_clean_text(pa.array(values, type=pa.string(), from_pandas=True)),
                                    dtype="string"))
    return result, np.zeros(len(values), dtype=bool)


def _clean_text(text: pa.Array) -> pa.Array:
    """NFC (only where some text is not ASCII), runs of white space folded, ends trimmed, '' as missing."""
    if not pc.all(pc.string_is_ascii(text)).as_py():
        text = pc.utf8_normalize(text, "NFC")
    text = pc.utf8_trim_whitespace(text)
    if pc.any(pc.match_substring_regex(text, r"\s\s|[^\S ]")).as_py():
        text = pc.replace_substring_regex(text, r"\s+", " ")
    return pc.if_else(pc.equal(text, ""), pa.scalar(None, pa.string()), text)


def as_cells(cells) -> np.ndarray:
    """Raw cells as an object array with empty cells ('' from calamine and CSV) turned into None."""
    values = np.array(cells, dtype=object) if not isinstance(cells, np.ndarray) else cells.astype(object, copy=True)
    if values.ndim != 1:
        values = values.reshape(-1)
    if len(values):
        values[values == ""] = None
    return values


def to_int(cells: list) -> tuple[pd.Series, np.ndarray]:
    """Whole numbers; text such as '05 ngày làm việc' gives 5, 'Trong ngày' gives 0 (same-day)."""
    text, _ = to_text(cells)
    folded = fold_series(text)
    number = pd.to_numeric(text.str.replace(",", ".", regex=False), errors="coerce")
    extracted = pd.to_numeric(folded.str.extract(r"^(-?\d+(?:\.\d+)?)\b", expand=False), errors="coerce")
    number = number.fillna(extracted)
    number = number.mask(folded.isin(_SAME_DAY).fillna(False), 0)
    whole = number.notna() & (number == number.round())
    bad = (text.notna() & ~whole).to_numpy()
    return number.where(whole).astype("Int64"), bad


def to_time(cells: list) -> tuple[pd.Series, np.ndarray]:
    """Times of day as 'HH:MM' text (from time cells, fractions of a day, '15:00', '15h', '15h30')."""
    # Catalogues are small (tens of rows): a plain loop is clearer than a vectorised parser here.
    values = as_cells(cells)
    series = pd.Series([_time_text(cell) for cell in values], dtype="string")
    bad = pd.notna(values) & series.isna().to_numpy()
    return series, bad


def to_bool(cells: list) -> tuple[pd.Series, np.ndarray]:
    """Yes/no from 'Có'/'Không', 'x', 1/0, TRUE/FALSE; empty is False."""
    text, _ = to_text(cells)
    folded = text.fillna("").map(fold)
    truth = folded.isin(_TRUE)
    bad = (~truth & ~folded.isin(_FALSE)).to_numpy()
    return truth.astype(bool), bad


def to_number(cells: list) -> tuple[pd.Series, np.ndarray]:
    text, _ = to_text(cells)
    number = pd.to_numeric(text.str.replace("%", "", regex=False).str.replace(",", ".", regex=False), errors="coerce")
    return number.astype(float), (text.notna() & number.isna()).to_numpy()


CONVERTERS = {
    "text": to_text,
    "int": to_int,
    "number": to_number,
    "date": to_date,
    "datetime": to_datetime,
    "time": to_time,
    "bool": to_bool,
}


def _from_serial(serials: pd.Series) -> pd.Series:
    ok = serials.between(*_SERIAL_RANGE)
    days = serials.where(ok)
    # Round to the minute: serials carry float noise (0.99999 of a minute).
    stamps = EXCEL_EPOCH + pd.to_timedelta((days * 1440).round(), unit="min")
    return stamps.astype("datetime64[us]")


def _mixed_to_datetime(raw: pd.Series) -> pd.Series:
    """The slow path, for a column mixing real dates, serial numbers and text (hand-edited books)."""
    kinds = raw.map(type)
    result = pd.Series(pd.NaT, index=raw.index, dtype="datetime64[us]")
    is_dt = kinds.isin([dt.datetime, dt.date, pd.Timestamp])
    is_num = kinds.isin([float, int, np.float64, np.int64])
    is_str = kinds == str
    if is_dt.any():
        result[is_dt] = pd.to_datetime(raw[is_dt].tolist(), errors="coerce")
    if is_num.any():
        result[is_num] = _from_serial(raw[is_num].astype(float))
    if is_str.any():
        result[is_str] = _parse_text(raw[is_str].astype("string").str.strip())
    return result


def _parse_text(text: pd.Series) -> pd.Series:
    out = pd.Series(pd.NaT, index=text.index, dtype="datetime64[us]")
    remaining = text
    for pattern in _DATE_PATTERNS:
        if remaining.empty:
            break
        parts = remaining.str.extract(pattern)
        hit = parts["y"].notna()
        if hit.any():
            p = parts[hit].fillna({"H": "0", "M": "0", "S": "0"})
            frame = pd.DataFrame({
                "year": p["y"].astype(int), "month": p["m"].astype(int), "day": p["d"].astype(int),
                "hour": p["H"].astype(int), "minute": p["M"].astype(int), "second": p["S"].astype(int),
            })
            out[frame.index] = pd.to_datetime(frame, errors="coerce")
        remaining = remaining[~hit]
    # Plain numbers in text (CSV exports of serial dates).
    numeric = pd.to_numeric(remaining, errors="coerce")
    if numeric.notna().any():
        out[numeric[numeric.notna()].index] = _from_serial(numeric[numeric.notna()])
    return out


def _text_of(cell) -> object:
    if cell is None or cell == "":
        return None
    if isinstance(cell, float):
        if cell != cell:
            return None
        return str(int(cell)) if cell.is_integer() else str(cell)
    if isinstance(cell, (dt.datetime, pd.Timestamp)):
        return cell.strftime("%d/%m/%Y %H:%M") if (cell.hour or cell.minute) else cell.strftime("%d/%m/%Y")
    if isinstance(cell, dt.date):
        return cell.strftime("%d/%m/%Y")
    if isinstance(cell, dt.time):
        return cell.strftime("%H:%M")
    return str(cell)


def _time_text(cell) -> str | None:
    if isinstance(cell, dt.datetime):
        return cell.strftime("%H:%M")
    if isinstance(cell, dt.time):
        return cell.strftime("%H:%M")
    if isinstance(cell, (int, float)) and not isinstance(cell, bool):
        if 0 <= cell < 1:
            minutes = round(cell * 1440)
            return f"{minutes // 60:02d}:{minutes % 60:02d}"
        if 0 <= cell <= 23 and float(cell).is_integer():
            return f"{int(cell):02d}:00"
        return None
    if isinstance(cell, str):
        text = fold(cell).replace(" ", "")
        if not text:
            return None
        match = re.fullmatch(r"(?:sau)?(\d{1,2})(?:h|gio|:)?(\d{2})?(?:phut|p)?", text)
        if match and int(match.group(1)) < 24 and int(match.group(2) or 0) < 60:
            return f"{int(match.group(1)):02d}:{int(match.group(2) or 0):02d}"
    return None
