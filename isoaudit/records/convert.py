"""Vectorised conversion of raw cell columns to canonical types.

Each converter takes a list of raw cells (str, float, int, date, datetime, time, '' for empty; text, date and
datetime also a pyarrow string array of a column read column-wise, '' for empty) and returns
``(series, bad)``: the typed pandas Series and a boolean mask of cells that were filled but unreadable.

Dates are always day first (Vietnamese practice). They are read as real Excel dates, Excel serial numbers,
14-digit ``yyyyMMddHHmmss`` numbers (the national portal's exchange format) or text in any of these forms:
``05/03/2025``, ``5/3/2025 8:30``, ``05/03/2025 08:30:00``, ``08:30, 05/03/2025``, ``08:30 05/03/2025``,
``20250305083000``, ``2025-03-05 08:30`` and the receipt slip's own words typed by hand: ``8 giờ 30 phút, ngày
05/3/2025``, ``08h30 ngày 05/03/2025``, ``ngày 05 tháng 3 năm 2025`` (with or without diacritics, NFC or NFD,
any case, extra spaces, a trailing "."). Software exports are read by one regular expression over the whole
column; only the cells it leaves are folded and tried against the hand-written forms.
"""
from __future__ import annotations

import datetime as dt
import re

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from pandas.api.types import infer_dtype

from isoaudit.arrow_text import byte_lengths, utf8_buffers
from isoaudit.text import fold, fold_series

EXCEL_EPOCH = np.datetime64("1899-12-30", "us")
_SERIAL_RANGE = (1.0, 2958465.0)  # 01/01/1900 .. 31/12/9999
_EXCHANGE_RANGE = (1e13, 1e14)  # 14 digits: yyyyMMddHHmmss
_NAT = np.datetime64("NaT", "us")

# What software exports write: d/m/yyyy, optionally with H:MM or HH:MM:SS after it. Tried on the text as written.
_AS_EXPORTED = (r"^(?P<d>\d{1,2})[/.\-](?P<m>\d{1,2})[/.\-](?P<y>\d{4})"
                r"(?:[ T]+(?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2}))?)?$")
# What people write, tried on folded text (no diacritics, lower case, single spaces, no trailing "."):
# "8 gio 30 phut", "08h30", "8 gio", "08:30:00"; "ngay 05/3/2025", "ngay 05 thang 3 nam 2025", "5-3-2025".
_CLOCK = r"(?P<H>\d{1,2}) ?(?:gio|h|:) ?(?:(?P<M>\d{1,2}) ?(?:phut|p)?)?(?::(?P<S>\d{2}))?"
_DAY = r"(?:ngay ?)?(?P<d>\d{1,2}) ?(?:[/.\-]|thang) ?(?P<m>\d{1,2}) ?(?:[/.\-]|nam) ?(?P<y>\d{4})"
_ISO = r"(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})"
_AS_WRITTEN = (
    rf"^(?:luc ?)?{_CLOCK} ?[,;\-]? ?{_DAY}$",  # the time first: "8 gio 30 phut, ngay 05/3/2025", "08:30 05/03/2025"
    rf"^{_DAY}(?: ?[,;\-]? ?(?:luc ?)?{_CLOCK})?$",  # the day first, with or without a time
    rf"^{_ISO}(?:(?: |t){_CLOCK})?$",  # what other software (and pandas) writes
)
# The forms nearly every export writes ("05/03/2025", "05/03/2025 08:30"), read first (``_read_fixed``).
_FIXED_FORMS = ((r"^\d\d/\d\d/\d{4}$", "%d/%m/%Y"), (r"^\d\d/\d\d/\d{4} \d\d:\d\d$", "%d/%m/%Y %H:%M"))
# Text of only these letters is already NFC (each is its own NFC, none combines with the one before it:
# tests/test_fast_reading.py checks): Vietnamese written precomposed, as nearly all software writes it, is not
# normalised again, which would cost more than reading it.
NFC_LETTERS = ((0, 0x250), (0x1E00, 0x1F00))  # code point ranges, the end excluded
_MAYBE_NOT_NFC = "[^" + "".join(f"\\x{{{start:X}}}-\\x{{{end - 1:X}}}" for start, end in NFC_LETTERS) + "]"
_SPACES_TO_FOLD = r"\s\s|[^\S ]"
_MAY_NEED_CLEANING = _SPACES_TO_FOLD + "|" + _MAYBE_NOT_NFC
_TRUE = {"co", "x", "yes", "true", "1", "dung", "y"}
_FALSE = {"khong", "no", "false", "0", "sai", "n", ""}
_SAME_DAY = {"trong ngay", "ngay trong ngay", "same day", "trong ngay lam viec"}


def to_datetime(cells, keep_time: bool = True) -> tuple[pd.Series, np.ndarray]:
    """Dates (and times) from any mix of Excel dates, serial numbers, 14-digit numbers and day-first text."""
    if isinstance(cells, (pa.Array, pa.ChunkedArray)):  # text read column-wise ('' for empty), as "string" below
        if isinstance(cells, pa.ChunkedArray):
            cells = cells.combine_chunks()
        if not _is_text(cells):  # an xlsx column of one type (``fast_xlsx``): numbers, dates or nothing
            return _dated(*_typed_dates(cells), keep_time)
        if cells.null_count == len(cells):  # a column the file does not have, or of nothing: nothing to read
            return _dated(np.full(len(cells), _NAT), np.zeros(len(cells), dtype=bool), keep_time)
        # The forms nearly every export writes are read from the cells as they are (they have no spaces to trim);
        # only the others are trimmed and read by ``_from_text``.
        out = np.full(len(cells), _NAT)
        filled = _read_digits(cells, out)
        if filled is None:
            filled = np.zeros(len(cells), dtype=bool)
        # Empty cells ('' or null: most of a column of supplements or apologies) are neither read nor trimmed.
        rest = np.flatnonzero(~filled & (byte_lengths(cells) > 0))
        if len(rest):
            text = pc.utf8_trim_whitespace(cells if len(rest) == len(cells) else cells.take(pa.array(rest)))
            filled[rest] = pc.fill_null(pc.not_equal(text, ""), False).to_numpy(zero_copy_only=False)
            out[rest] = _from_text(text)
        return _dated(out, filled, keep_time)
    values = as_cells(cells)
    filled = pd.notna(values)
    kind = infer_dtype(values, skipna=True)
    if kind == "empty":
        result = np.full(len(values), _NAT)
    elif kind in ("datetime", "date", "datetime64"):
        result = pd.Series(pd.to_datetime(values, errors="coerce")).astype("datetime64[us]").to_numpy()
    elif kind == "string":
        text = pc.utf8_trim_whitespace(pa.array(values, type=pa.string(), from_pandas=True))
        filled &= pc.fill_null(pc.not_equal(text, ""), False).to_numpy(zero_copy_only=False)  # spaces: empty
        result = _from_text(text)
    elif kind in ("floating", "integer", "mixed-integer-float"):
        result = _from_number(values.astype(float))
    else:
        filled &= np.array([not (isinstance(v, str) and not v.strip()) for v in values], dtype=bool)
        result = _from_mixed(values)
    return _dated(result, filled, keep_time)


def _stamps(values: np.ndarray) -> pd.Series:
    """A Series of datetime64[us] ``values`` as they are (pandas' casting checks skipped: they cost more than
    the conversion on blocks of a CSV)."""
    if values.dtype == np.dtype("datetime64[us]"):
        return pd.Series(values, copy=False)
    return pd.Series(values, dtype="datetime64[us]")


def _is_text(cells: pa.Array) -> bool:
    return pa.types.is_string(cells.type) or pa.types.is_large_string(cells.type)


def _typed_dates(cells: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """(datetime64[us], filled) of an Arrow column of numbers (serials, as the "floating" cells below), timestamps
    (as the date cells below) or nulls; null for an empty cell."""
    filled = cells.is_valid().to_numpy(zero_copy_only=False)
    if pa.types.is_floating(cells.type):
        return _from_number(cells.to_numpy(zero_copy_only=False)), filled
    if pa.types.is_timestamp(cells.type):
        stamps = cells.cast(pa.timestamp("us")).to_numpy(zero_copy_only=False)
        return stamps.astype("datetime64[us]", copy=False), filled
    return np.full(len(cells), _NAT), filled


def _typed_text(cells: pa.Array) -> pa.Array:
    """An Arrow column of numbers, timestamps or nulls as the text ``_text_of`` makes of each cell (each distinct
    value written once: such columns are rare, and repeat)."""
    uniques = pc.unique(cells)
    written = pa.array([_text_of(value) for value in uniques.to_pylist()], type=pa.string())
    return written.take(pc.index_in(cells, value_set=uniques))


def _dated(stamps: np.ndarray, filled: np.ndarray, keep_time: bool) -> tuple[pd.Series, np.ndarray]:
    """The converter's answer for datetime64[us] ``stamps`` read from the cells, ``filled`` where not empty."""
    missing = np.isnat(stamps)
    if not keep_time:  # midnight of the day, as Series.dt.normalize, in whole numbers
        micro = stamps.view(np.int64)
        stamps = np.where(missing, micro, micro - micro % 86_400_000_000).view("datetime64[us]")
    return _stamps(stamps), filled & missing


def to_date(cells) -> tuple[pd.Series, np.ndarray]:
    """Calendar dates (time of day dropped)."""
    return to_datetime(cells, keep_time=False)


def to_text(cells) -> tuple[pd.Series, np.ndarray]:
    """Clean text (NFC, folded spaces); numbers typed into text columns lose a spurious '.0'."""
    if isinstance(cells, (pa.Array, pa.ChunkedArray)) and not _is_text(cells):
        cells = _typed_text(cells.combine_chunks() if isinstance(cells, pa.ChunkedArray) else cells)
    if isinstance(cells, (pa.Array, pa.ChunkedArray)):  # text read column-wise ('' for empty), cleaned in Arrow
        # A block at a time, in the large strings pandas keeps, so that no whole copy of a column is made on the
        # way; '' needs no turning into None first: cleaned, it is None.
        blocks = cells.chunks if isinstance(cells, pa.ChunkedArray) else [cells]
        head = cells[:1000]
        if cells.null_count == len(cells):  # a column the file does not have: nothing to clean
            pieces = [block.cast(pa.large_string()) for block in blocks]
        elif pc.count_distinct(head, mode="all").as_py() < 0.5 * len(head):
            # A column that repeats (procedure names, channels, officers): each value cleaned once.
            uniques = pc.unique(cells)
            cleaned = _clean_text(uniques)
            if cleaned.null_count == uniques.null_count and pc.all(pc.equal(cleaned, uniques)).as_py() is not False:
                pieces = [block.cast(pa.large_string()) for block in blocks]  # already clean (as exports are)
            else:
                pieces = [pc.take(cleaned, pc.index_in(block, value_set=uniques)).cast(pa.large_string())
                          for block in blocks]
        else:
            pieces = [_clean_text(block).cast(pa.large_string()) for block in blocks]
        text = pa.chunked_array(pieces, type=pa.large_string())
        return pd.Series(pd.array(text, dtype="string")), np.zeros(len(cells), dtype=bool)
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
    # The bytes tell whether anything but the ends may need cleaning (it rarely does): then each step looks again.
    if _may_need_cleaning(text):
        if not pc.all(pc.string_is_ascii(text)).as_py() and pc.any(pc.match_substring_regex(text,
                                                                                             _MAYBE_NOT_NFC)).as_py():
            text = pc.utf8_normalize(text, "NFC")
        text = _trimmed(text)
        if pc.any(pc.match_substring_regex(text, _SPACES_TO_FOLD)).as_py():
            text = pc.replace_substring_regex(text, r"\s+", " ")
    else:
        text = _trimmed(text)
    empty = pc.equal(text, "")
    if not pc.any(empty).as_py():
        return text  # no copy made for nothing: a column of ids or names rarely has an empty cell
    return pc.if_else(empty, pa.scalar(None, text.type), text)


def _may_need_cleaning(text: pa.Array) -> bool:
    """Whether some cell of ``text`` may hold runs of white space, white space other than a space (as the regular
    expression ``_SPACES_TO_FOLD`` says), or a letter ``_MAYBE_NOT_NFC`` matches: from the UTF-8 bytes of the
    column, a few passes of whole-number comparisons, where those regular expressions would read each cell. It may
    say yes for nothing (two spaces across two cells, the bytes of a null cell): the steps then look again."""
    if not (pa.types.is_string(text.type) or pa.types.is_large_string(text.type)) or len(text) == 0:
        return pc.any(pc.match_substring_regex(text, _MAY_NEED_CLEANING)).as_py() or False
    offsets, data = utf8_buffers(text)
    data = data[offsets[0]:offsets[-1]]
    if not len(data):
        return False
    if (data < 32).any() and np.isin(data, _OTHER_SPACES).any():
        return True
    spaces = data == 32
    if (spaces[:-1] & spaces[1:]).any():
        return True
    if not (data >= 0x80).any():
        return False  # ASCII is NFC
    # UTF-8 of the letters NFC_LETTERS allows: one byte (ASCII), two bytes led by C2-C8, or C9 and 80-8F
    # (U+0080-U+024F), or E1 then B8-BB (U+1E00-U+1EFF). Any other lead byte is some other letter. Each lead is
    # compared with the byte after it over the whole column at once (no index of the leads: Vietnamese has many);
    # a byte above C9 can only be a lead.
    if ((data > 0xC9) & (data != 0xE1)).any():
        return True
    if data[-1] in (0xC9, 0xE1):
        return True  # a lead cut off at the end (not in valid UTF-8): some other letter
    lead, after = data[:-1], data[1:]
    return bool(((lead == 0xC9) & (after >= 0x90)).any() or ((lead == 0xE1) & ((after < 0xB8) | (after > 0xBB))).any())


_OTHER_SPACES = np.array([9, 10, 12, 13], dtype=np.uint8)  # what \s holds besides the space: \t \n \f \r


def _trimmed(text: pa.Array) -> pa.Array:
    """``text`` without white space at either end of a cell (``utf8_trim_whitespace``), not copied when the first
    and last bytes of the cells show there is none (as in nearly every column: ids, names, addresses)."""
    return pc.utf8_trim_whitespace(text) if _may_need_trimming(text) else text


def _may_need_trimming(text: pa.Array) -> bool:
    """Whether some cell of ``text`` may begin or end with a character ``utf8_trim_whitespace`` removes: ASCII
    white space and controls up to the space, or a letter whose UTF-8 starts with C2, E2, E3 (U+0080-U+00BF,
    U+2000-U+3FFF) or with E1 outside the Vietnamese letters (E1 B8-BB); tests/test_csv_fast_paths.py checks every
    character Arrow trims is among them. It may say yes for nothing: the cells are then trimmed."""
    if not (pa.types.is_string(text.type) or pa.types.is_large_string(text.type)) or len(text) == 0:
        return True
    offsets, data = utf8_buffers(text)
    filled = byte_lengths(text, offsets) > 0
    if not filled.any():
        return False
    starts, ends = offsets[:-1][filled], offsets[1:][filled]
    last = len(data) - 1
    first, second = data[starts], data[np.minimum(starts + 1, last)]
    final, before, third = data[ends - 1], data[np.maximum(ends - 2, 0)], data[np.maximum(ends - 3, 0)]
    # A lead byte C2 or E1-E3 two or three places from the end starts the cell's last letter (valid UTF-8 has
    # only continuation bytes after a lead).
    leading = (first <= 0x20) | (first == 0xC2) | (first == 0xE2) | (first == 0xE3) | \
        ((first == 0xE1) & ((second < 0xB8) | (second > 0xBB)))
    trailing = (final <= 0x20) | ((final >= 0x80) & ((before == 0xC2) | (third == 0xE2) | (third == 0xE3) | (
        (third == 0xE1) & ((before < 0xB8) | (before > 0xBB)))))
    return bool(leading.any() or trailing.any())


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


def _from_number(numbers: np.ndarray) -> np.ndarray:
    """Excel serial numbers (days since 30/12/1899) and 14-digit ``yyyyMMddHHmmss`` numbers as datetime64[us]."""
    numbers = np.asarray(numbers, dtype=float)
    out = np.full(len(numbers), _NAT)
    serial = (numbers >= _SERIAL_RANGE[0]) & (numbers <= _SERIAL_RANGE[1])
    if serial.any():
        days = numbers[serial]
        # Excel counts a 29/02/1900 that never was: serials before it are one day later than the epoch says
        # (serial 1 is 01/01/1900, as Excel and calamine show it).
        days = days + (days < 60)
        # Round to the second: serials carry float noise (08:30 stored as 08:29:59.99998).
        seconds = np.round(days * 86400).astype(np.int64)
        out[serial] = EXCEL_EPOCH + seconds.astype("timedelta64[s]").astype("timedelta64[us]")
    exchange = (numbers >= _EXCHANGE_RANGE[0]) & (numbers < _EXCHANGE_RANGE[1]) & (numbers == np.floor(numbers))
    if exchange.any():
        whole = numbers[exchange].astype(np.int64)
        out[exchange] = _assemble(whole // 10**10, whole // 10**8 % 100, whole // 10**6 % 100,
                                  whole // 10**4 % 100, whole // 100 % 100, whole % 100)
    return out


def _from_text(text: pa.Array) -> np.ndarray:
    """Day-first text (trimmed) as datetime64[us]; NaT where no form fits."""
    out = np.full(len(text), _NAT)
    todo = pc.fill_null(pc.not_equal(text, ""), False).to_numpy(zero_copy_only=False)
    read = _read_digits(text, out)  # the forms nearly every export writes, from the bytes of the column
    if read is not None:
        todo &= ~read
    todo = np.flatnonzero(todo)
    if not len(todo):
        return out
    rest = text if len(todo) == len(text) else text.take(pa.array(todo))
    if read is None:
        for pattern, layout in _FIXED_FORMS:
            todo, rest = _read_fixed(pattern, layout, rest, todo, out)
    todo, rest = _read_form(_AS_EXPORTED, rest, todo, out)
    if len(todo):
        # Plain numbers in text: CSV exports of serial dates and of the exchange format.
        number = pc.fill_null(pc.match_substring_regex(rest, r"^\d+(?:\.\d+)?$"), False)
        if pc.any(number).as_py():
            hit = number.to_numpy(zero_copy_only=False)
            out[todo[hit]] = _from_number(pc.cast(rest.filter(number), pa.float64()).to_numpy())
            todo, rest = todo[~hit], rest.filter(pc.invert(number))
    if len(todo):
        rest = _fold_written(rest)
        for pattern in _AS_WRITTEN:
            todo, rest = _read_form(pattern, rest, todo, out)
            if not len(todo):
                break
    return out


_DIGIT_FORMS = {10: "dd/dd/dddd", 16: "dd/dd/dddd dd:dd"}  # ``_FIXED_FORMS`` by length: d a digit, else itself


def _read_digits(text: pa.Array, out: np.ndarray) -> np.ndarray | None:
    """``_FIXED_FORMS`` read from the column's bytes, a character place at a time over the cells of their length
    (no regular expression, no Python object): ``out`` filled where a cell has one of these forms (NaT for a day
    the month does not have, as strptime and ``_assemble`` say), and where that is returned; None for an array
    whose bytes are not laid out as plain strings (the regular expressions then read it)."""
    if not (pa.types.is_string(text.type) or pa.types.is_large_string(text.type)) or len(text) == 0:
        return None
    offsets, data = utf8_buffers(text)
    if not len(data):
        return np.zeros(len(text), dtype=bool)
    lengths = byte_lengths(text, offsets)
    read = np.zeros(len(text), dtype=bool)
    for length, form in _DIGIT_FORMS.items():
        places = np.flatnonzero(lengths == length)
        if not len(places):
            continue
        first = offsets[places[0]]
        if offsets[places[-1]] - first == length * (len(places) - 1):  # their bytes lie side by side (no gap)
            chars = data[first:first + length * len(places)].reshape(len(places), length)
        else:
            chars = data[offsets[places][:, None] + np.arange(length)]
        fits = np.ones(len(places), dtype=bool)
        for place, expected in enumerate(form):
            if expected == "d":
                fits &= chars[:, place] - 48 < 10  # uint8: a byte below '0' wraps above 9
            else:
                fits &= chars[:, place] == ord(expected)
        if not fits.any():
            continue
        if not fits.all():
            chars, places = chars[fits], places[fits]

        def two(place):  # the number of the two digits at ``place``: 10 * (a - 48) + (b - 48)
            return chars[:, place].astype(np.int32) * 10 + chars[:, place + 1] - 528

        day, month, year, zero = two(0), two(3), two(6) * 100 + two(8), np.zeros(len(places), dtype=np.int32)
        hour, minute = (two(11), two(14)) if length == 16 else (zero, zero)
        out[places] = _assemble(year, month, day, hour, minute, zero)
        read[places] = True
    return read


def _read_fixed(pattern: str, layout: str, text: pa.Array, todo: np.ndarray, out: np.ndarray):
    """``_read_form`` for a form of fixed width that ``_AS_EXPORTED`` reads too, by Arrow's strptime (several
    times faster than extracting the parts); a day the month does not have is no date, as ``_assemble`` says."""
    hit = pc.fill_null(pc.match_substring_regex(text, pattern), False)
    if not pc.any(hit).as_py():
        return todo, text
    matched = text.filter(hit)
    stamps = pc.strptime(matched, layout, "us", error_is_null=True)
    # strptime rolls 31/04 over into 01/05 and takes year 0; the day it gives must be the day written.
    real = pc.and_(pc.equal(pc.day(stamps), pc.cast(pc.utf8_slice_codeunits(matched, 0, 2), pa.int64())),
                   pc.greater_equal(pc.year(stamps), 1))
    stamps = pc.if_else(pc.fill_null(real, False), stamps, pa.scalar(None, stamps.type))
    mask = hit.to_numpy(zero_copy_only=False)
    out[todo[mask]] = stamps.to_numpy(zero_copy_only=False).astype("datetime64[us]")
    return todo[~mask], text.filter(pc.invert(hit))


def _read_form(pattern: str, text: pa.Array, todo: np.ndarray, out: np.ndarray) -> tuple[np.ndarray, pa.Array]:
    """Fill ``out`` at positions ``todo`` where ``text`` fits ``pattern``; the positions and text still unread."""
    parts = pc.extract_regex(text, pattern)
    hit = parts.is_valid().to_numpy(zero_copy_only=False)
    if not hit.any():
        return todo, text
    parts = parts.filter(pa.array(hit))
    names = {parts.type.field(i).name for i in range(parts.type.num_fields)}

    def number(name):
        if name not in names:
            return np.zeros(len(parts), dtype=np.int64)
        # A part the text left out ("" from the regex) is 0: "0" + "" reads as 0, "0" + "08" as 8.
        part = parts.field(name)
        padded = pc.binary_join_element_wise(pa.scalar("0", part.type), part, pa.scalar("", part.type))
        return pc.cast(padded, pa.int64()).to_numpy()

    out[todo[hit]] = _assemble(*(number(name) for name in ("y", "m", "d", "H", "M", "S")))
    return todo[~hit], text.filter(pa.array(~hit))


def _fold_written(text: pa.Array) -> pa.Array:
    """Text as the hand-written forms are matched: no diacritics (NFC or NFD alike), lower case, runs of
    spaces (also non-breaking) as one, no trailing full stop."""
    text = pc.replace_substring_regex(pc.utf8_normalize(text, "NFD"), r"\p{Mn}", "")
    text = pc.replace_substring(pc.utf8_lower(text), "đ", "d")
    text = pc.replace_substring_regex(text, r"[\s\p{Z}]+", " ")
    return pc.utf8_trim(text, " .")


def _assemble(year, month, day, hour, minute, second) -> np.ndarray:
    """datetime64[us] from whole-number parts (int64 arrays); NaT where they make no real date or time of day
    (31/02, month 13, 25:00) or a year outside 1-9999 (four digits: every form read gives no other)."""
    ok = (year >= 1) & (year < len(_YEAR_STARTS)) & (month >= 1) & (month <= 12) & (day >= 1) & (day <= 31)
    ok &= (hour < 24) & (minute < 60) & (second < 60)
    # Days since 01/01/1970 from tables by year and month: no datetime64 casts, a few whole-number passes.
    year, month = np.where(ok, year, 1970), np.where(ok, month, 1) - 1
    leap = _LEAP_YEARS[year]
    ok &= day <= _MONTH_DAYS[month] + (leap & (month == 1))  # 31/02 is no day
    days = _YEAR_STARTS[year] + _MONTH_STARTS[month] + (leap & (month >= 2)) + np.where(ok, day, 1) - 1
    seconds = days * 86400 + np.where(ok, hour * 3600 + minute * 60 + second, 0)
    stamps = (seconds * 1_000_000).astype("datetime64[us]")
    stamps[~ok] = _NAT
    return stamps


def _year_starts() -> np.ndarray:
    """Days from 01/01/1970 to 01/01 of each year 0-9999 (H. Hinnant's days_from_civil, for 1 January)."""
    shifted = np.arange(10_000, dtype=np.int64) - 1
    era = shifted // 400
    of_era = shifted - era * 400
    return era * 146097 + of_era * 365 + of_era // 4 - of_era // 100 + 306 - 719468


_YEARS = np.arange(10_000)
_LEAP_YEARS = (_YEARS % 4 == 0) & ((_YEARS % 100 != 0) | (_YEARS % 400 == 0))
_YEAR_STARTS = _year_starts()
_MONTH_DAYS = np.array([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype=np.int64)
_MONTH_STARTS = np.concatenate([[0], np.cumsum(_MONTH_DAYS)[:-1]])


def _from_mixed(values: np.ndarray) -> np.ndarray:
    """The slow path, for a column mixing real dates, numbers and text (hand-edited books)."""
    out = np.full(len(values), _NAT)
    kinds = np.array([type(v) for v in values], dtype=object)
    is_dt = np.isin(kinds, [dt.datetime, dt.date, pd.Timestamp])
    is_num = np.isin(kinds, [float, int, np.float64, np.int64])
    is_str = np.isin(kinds, [str])
    if is_dt.any():
        out[is_dt] = pd.to_datetime(values[is_dt].tolist(), errors="coerce").to_numpy(dtype="datetime64[us]")
    if is_num.any():
        out[is_num] = _from_number(values[is_num].astype(float))
    if is_str.any():
        out[is_str] = _from_text(pc.utf8_trim_whitespace(pa.array(values[is_str].tolist(), type=pa.string())))
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
