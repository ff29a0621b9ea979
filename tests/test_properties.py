"""Properties that must hold for any input, checked with hypothesis: dates read back as written (never day and
month swapped, impossible dates refused, never a crash), the header of a table found below any title block,
and the timeliness rules against a plain day-by-day count of the civil-service calendar.

The expected values are computed here independently (string formatting, the ``holidays`` package and loops
over days), never with the functions under test. No example database is kept (``database=None``): a failure
prints its example, and the repository stays clean.
"""
from __future__ import annotations

import calendar as month_calendar
import csv
import datetime as dt
import io
import random
import re
import tempfile
import unicodedata
from functools import lru_cache
from importlib import resources
from pathlib import Path

import holidays
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from isoaudit import schema
from isoaudit.calendar import WorkCalendar
from isoaudit.dates import parse_date
from isoaudit.errors import IsoauditError
from isoaudit.records.aliases import alias_table
from isoaudit.records.convert import to_date, to_datetime
from isoaudit.records.header import find_header
from isoaudit.records.table import read_table
from isoaudit.text import fold
from isoaudit.timeliness import assess
from tests.builders import excel_serial, write_sheet

# Examples stay small and few enough for the whole file to run in about half a minute; the generators aim at
# the boundaries of the rules (cut-off minute, Saturday noon, the due date itself) rather than at volume.
FAST = settings(max_examples=100, deadline=None, database=None)
SLOW = settings(max_examples=50, deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
ORACLE = settings(SLOW, max_examples=100)


# ================================================================================================================
# 1. Dates as written
# ================================================================================================================
def _days_in_month(year: int, month: int) -> int:
    return month_calendar.monthrange(year, month)[1]


@st.composite
def real_dates(draw, first: int = 1900, last: int = 2100) -> dt.date:
    """Any real date; half the time with day and month both 1..12, where a swap would still make a date."""
    year = draw(st.integers(first, last))
    month = draw(st.integers(1, 12))
    if draw(st.booleans()):
        day = draw(st.integers(1, 12))
    else:
        day = draw(st.integers(1, _days_in_month(year, month)))
    return dt.date(year, month, day)


@st.composite
def impossible_day_month(draw) -> tuple[int, int, int]:
    """(day, month, year) that make no date: day 0, a day past the month's end, month 0 or 13..99."""
    year = draw(st.integers(1900, 2100))
    kind = draw(st.sampled_from(["day0", "past_end", "month0", "month13"]))
    if kind == "day0":
        return 0, draw(st.integers(1, 12)), year
    if kind == "past_end":
        month = draw(st.integers(1, 12))
        return draw(st.integers(_days_in_month(year, month) + 1, 99)), month, year
    day = draw(st.integers(1, 28))
    return day, (0 if kind == "month0" else draw(st.integers(13, 99))), year


SEPARATORS = st.sampled_from(["/", "-", "."])
PADDING = st.sampled_from(["", " ", "  ", "\t", " \n", "\u00a0"])


def _day_text(day: int, month: int, year: int, padded: bool, separator: str) -> str:
    return (f"{day:02d}{separator}{month:02d}{separator}{year:04d}" if padded
            else f"{day}{separator}{month}{separator}{year:04d}")


@given(real_dates(1000, 9999), st.booleans(), SEPARATORS, PADDING, PADDING)
@FAST
def test_parse_date_reads_any_real_date_day_first(day, padded, separator, before, after):
    text = before + _day_text(day.day, day.month, day.year, padded, separator) + after
    assert parse_date(text, "--as-of") == day


@given(impossible_day_month(), st.booleans(), SEPARATORS)
@FAST
def test_parse_date_refuses_impossible_dates(parts, padded, separator):
    text = _day_text(*parts, padded, separator)
    with pytest.raises(IsoauditError) as refused:
        parse_date(text, "--as-of")
    assert refused.value.code == "timeliness.bad_date"


ARBITRARY_TEXT = st.one_of(
    st.text(),
    st.text(st.characters(codec="utf-8")),  # control characters, every plane
    st.text(alphabet="0123456789/-.: ", max_size=40),  # digit soup
    st.text(max_size=30).map(lambda s: s * 400),  # long
)


@given(ARBITRARY_TEXT)
@FAST
def test_parse_date_never_fails_otherwise_than_by_refusing(text):
    try:
        result = parse_date(text, "--from")
    except IsoauditError as exc:
        assert exc.code == "timeliness.bad_date"
    else:  # read, then read day first: the three numbers as typed
        parts = re.split(r"\s*[/.\-]\s*", text.strip())
        assert [int(part) for part in parts] == [result.day, result.month, result.year]


@st.composite
def written_datetimes(draw) -> tuple[str, dt.datetime]:
    """(text as a software export writes it, the datetime it means), surrounded by stray white space."""
    day = draw(real_dates())
    separator = draw(SEPARATORS)
    padded = draw(st.booleans())
    clock = draw(st.sampled_from(["none", "HH:MM", "H:MM", "HH:MM:SS"]))
    hour, minute, second = draw(st.integers(0, 23)), draw(st.integers(0, 59)), draw(st.integers(0, 59))
    iso = draw(st.integers(0, 5)) == 0  # yyyy-mm-dd, as other software writes
    text = f"{day:%Y-%m-%d}" if iso else _day_text(day.day, day.month, day.year, padded, separator)
    meant = dt.datetime(day.year, day.month, day.day)
    if clock != "none":
        text += " " + (f"{hour}:{minute:02d}" if clock == "H:MM" else f"{hour:02d}:{minute:02d}")
        meant = meant.replace(hour=hour, minute=minute)
        if clock == "HH:MM:SS":
            text += f":{second:02d}"
            meant = meant.replace(second=second)
    return draw(PADDING) + text + draw(PADDING), meant


def _as_list(series: pd.Series) -> list:
    return [None if pd.isna(v) else pd.Timestamp(v).to_pydatetime() for v in series]


@given(st.lists(written_datetimes(), min_size=1, max_size=20))
@FAST
def test_dates_written_as_text_read_back_exactly(cells):
    texts = [text for text, _ in cells]
    read, bad = to_datetime(texts)
    assert _as_list(read) == [meant for _, meant in cells]
    assert not bad.any()
    days, bad_days = to_date(texts)
    assert _as_list(days) == [dt.datetime(m.year, m.month, m.day) for _, m in cells]
    assert not bad_days.any()


@st.composite
def datetimes_to_the_second(draw, first: int = 1900, last: int = 2100) -> dt.datetime:
    day = draw(real_dates(first, last))
    return dt.datetime(day.year, day.month, day.day, draw(st.integers(0, 23)), draw(st.integers(0, 59)),
                       draw(st.integers(0, 59)))


def excel_1900_serial(value: dt.datetime) -> float:
    """The serial Excel shows for ``value``: days since 30/12/1899, except before 1/3/1900, where Excel (counting a
    29/02/1900 that never was) starts from 31/12/1899, so that serial 1 is 01/01/1900."""
    return excel_serial(value) - (value < dt.datetime(1900, 3, 1))


@given(st.lists(datetimes_to_the_second() | datetimes_to_the_second(1900, 1900), min_size=1, max_size=20))
@FAST
def test_excel_serial_numbers_read_back_to_the_second(values):
    read, bad = to_datetime([excel_1900_serial(v) for v in values])
    assert _as_list(read) == values and not bad.any()
    # A CSV export writes the same serial as text.
    read, bad = to_datetime([repr(excel_1900_serial(v)) for v in values])
    assert _as_list(read) == values and not bad.any()


@given(st.lists(st.one_of(datetimes_to_the_second(), real_dates()), min_size=1, max_size=20))
@FAST
def test_real_excel_dates_read_back_exactly(values):
    read, bad = to_datetime(values)
    expected = [v if isinstance(v, dt.datetime) else dt.datetime(v.year, v.month, v.day) for v in values]
    assert _as_list(read) == expected and not bad.any()


@given(st.lists(st.one_of(written_datetimes(), datetimes_to_the_second().map(lambda v: (v, v)),
                          datetimes_to_the_second().map(lambda v: (excel_1900_serial(v), v))),
                min_size=1, max_size=20))
@FAST
def test_a_column_mixing_text_serials_and_real_dates_reads_each_cell_back(cells):
    read, bad = to_datetime([cell for cell, _ in cells])
    assert _as_list(read) == [meant for _, meant in cells] and not bad.any()


@st.composite
def impossible_written_dates(draw) -> str:
    """Text that looks like a date but is none: 31/02/2025, 00/01/2025, 2025-13-01, 05/03/2025 25:00."""
    day, month, year = draw(impossible_day_month())
    form = draw(st.sampled_from(["day_first", "iso", "bad_clock"]))
    if form == "iso":
        return f"{year:04d}-{month:02d}-{day:02d}"
    if form == "bad_clock":
        real = draw(real_dates())
        hour, minute = draw(st.sampled_from([(24, 0), (25, 30), (99, 0), (8, 60), (23, 99)]))
        return f"{real:%d/%m/%Y} {hour:02d}:{minute:02d}"
    text = _day_text(day, month, year, draw(st.booleans()), draw(SEPARATORS))
    if draw(st.booleans()):
        text += f" {draw(st.integers(0, 23)):02d}:{draw(st.integers(0, 59)):02d}"
    return text


@given(st.lists(st.one_of(impossible_written_dates().map(lambda t: (t, None)), written_datetimes()),
                min_size=1, max_size=20))
@FAST
def test_impossible_dates_are_refused_never_shifted(cells):
    read, bad = to_datetime([cell for cell, _ in cells])
    assert _as_list(read) == [meant for _, meant in cells]
    assert bad.tolist() == [meant is None for _, meant in cells]


ARBITRARY_CELLS = st.lists(st.one_of(
    ARBITRARY_TEXT, st.none(), st.integers(-2**63, 2**63 - 1), st.floats(), st.booleans(),
    st.datetimes(), st.dates(), st.times(),
), max_size=15)


@given(st.one_of(st.lists(ARBITRARY_TEXT, max_size=15), ARBITRARY_CELLS))
@FAST
def test_reading_dates_never_raises_and_reports_exactly_the_unread_cells(cells):
    read, bad = to_datetime(cells)
    assert len(read) == len(bad) == len(cells)
    filled = np.array([not (c is None or (isinstance(c, float) and np.isnan(c)) or (isinstance(c, str) and not c.strip()))
                       for c in cells], dtype=bool)
    # A filled cell is either read or reported; an empty one is neither.
    assert (bad == (filled & read.isna().to_numpy())).all()
    assert not (bad & ~filled).any()


# ================================================================================================================
# 2. Finding the header below the title block
# ================================================================================================================
@lru_cache(maxsize=1)
def _dossier_aliases() -> dict[str, str]:
    """Folded alias (under no parent) -> the column it names in a dossier log, read from the bundled alias file
    with its own rule (highest priority among columns the kind has; the first row on a tie)."""
    known = {c.name for c in schema.KINDS["dossiers"]} | {"skip", "unused"}
    text = resources.files("isoaudit.data").joinpath("column_aliases.csv").read_text(encoding="utf-8")
    best: dict[str, tuple[int, str]] = {}
    for row in csv.DictReader(io.StringIO(text)):
        if row["kind"] != "dossiers" or (row.get("parent") or "").strip() or row["column"] not in known:
            continue
        key, priority = fold(row["alias"]), int(row.get("priority") or 50)
        if key not in best or priority > best[key][0]:
            best[key] = (priority, row["column"])
    return {key: column for key, (_, column) in best.items()}


@lru_cache(maxsize=1)
def _aliases_as_written() -> dict[str, list[str]]:
    """Column -> its aliases as the alias file writes them (under no parent), those that really name it."""
    text = resources.files("isoaudit.data").joinpath("column_aliases.csv").read_text(encoding="utf-8")
    meanings = _dossier_aliases()
    found: dict[str, list[str]] = {}
    for row in csv.DictReader(io.StringIO(text)):
        if row["kind"] == "dossiers" and not (row.get("parent") or "").strip() \
                and meanings.get(fold(row["alias"])) == row["column"] and row["alias"] not in found.get(row["column"], []):
            found.setdefault(row["column"], []).append(row["alias"])
    return found


def _names_a_column(text: str) -> bool:
    """Whether any alias (or any parent header) appears as whole words in ``text``: such text is not junk."""
    words = f" {fold(text)} "
    keys = set(_dossier_aliases()) | {"ngay thang nam", "tra ket qua", "nhan ket qua"}
    return any(f" {key} " in words for key in keys)


HEADER_COLUMNS = ["dossier_id", "procedure", "received_at", "due_date"]  # required (procedure: code or name)
OPTIONAL_COLUMNS = ["returned_date", "applicant", "channel", "note"]
TITLES = ["ỦY BAN NHÂN DÂN XÃ HÒA BÌNH", "UBND HUYỆN YÊN SƠN", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
          "Độc lập - Tự do - Hạnh phúc", "SỔ THEO DÕI HỒ SƠ", "(Từ ngày 01/01/2025 đến ngày 31/12/2025)",
          "Hòa Bình, ngày 05 tháng 3 năm 2025", "Bộ phận Một cửa", "Kỳ báo cáo: Quý I/2025", "Số: 12/BC-UBND"]
UNKNOWN_HEADERS = ["STT", "Số lượng hồ sơ (bộ)", "Lệ phí", "Số tờ", "Xếp loại", "Mã vạch", "Lưu trữ"]
PROCEDURE_CODES = ["1.001193", "2.000815", "1.004873", "1.001776"]
PROCEDURE_NAMES = ["Đăng ký khai sinh", "Chứng thực bản sao từ bản chính", "Xác nhận tình trạng hôn nhân"]


def _strip_diacritics(text: str) -> str:
    bare = "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))
    return bare.replace("đ", "d").replace("Đ", "D")


@st.composite
def written_header(draw, alias: str, number: int) -> str:
    """``alias`` as people really type it in a header cell."""
    text = draw(st.sampled_from([str.upper, str.lower, str.title, str]))(alias)
    if draw(st.booleans()):
        text = _strip_diacritics(text)
    elif draw(st.booleans()):
        text = unicodedata.normalize("NFD", text)
    if " " in text and draw(st.booleans()):
        text = text.replace(" ", draw(st.sampled_from(["  ", "\n", "\r\n", " \n "])), 1)
    numbering = draw(st.sampled_from(["", f" ({number})", f"({number}) ", f"{number}. ", ":"]))
    text = text + numbering if numbering.startswith(" ") or numbering == ":" else numbering + text
    return draw(PADDING) + text + draw(PADDING)


JUNK = st.one_of(
    st.sampled_from(TITLES),
    st.text(st.characters(codec="utf-8", exclude_categories=["Cs", "Cc"]), min_size=1, max_size=25)
    .filter(lambda t: t.strip() and not _names_a_column(t)),
    st.integers(-10**6, 10**6), st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.dates(dt.date(2000, 1, 1), dt.date(2030, 12, 31)),
)


@st.composite
def title_rows(draw, width: int) -> list[list]:
    """0..10 rows above the header: blank rows, and rows with a few titles or junk cells here and there."""
    count = draw(st.integers(0, 10))
    rows = []
    for index in range(count):
        row = [None] * width
        if draw(st.integers(0, 3)):
            for _ in range(draw(st.integers(1, 3))):
                row[draw(st.integers(0, width - 1))] = draw(JUNK)
        # Now and then a title row holds header words too (a summary block: "Mã hồ sơ", "Ngày nhận"), naming
        # fewer columns than the header; never in two rows on end nor right above the header, where it would
        # make a two-row header.
        if (count - index) % 2 == 0 and draw(st.integers(0, 2)) == 0:
            named = draw(st.lists(st.sampled_from(sorted(_aliases_as_written())), min_size=1, max_size=2,
                                  unique=True))
            for column in named:
                row[draw(st.integers(0, width - 1))] = draw(st.sampled_from(_aliases_as_written()[column]))
        rows.append(row)
    return rows


@st.composite
def dossier_sheets(draw):
    """(title rows, header, a row of column numbers or None, data rows, expectations)."""
    columns = HEADER_COLUMNS + draw(st.lists(st.sampled_from(OPTIONAL_COLUMNS), unique=True, max_size=3))
    extras = draw(st.lists(st.sampled_from(UNKNOWN_HEADERS), unique=True, max_size=3))
    by_name = draw(st.booleans())  # the log names the procedure instead of giving its code
    order = draw(st.permutations(columns + [f"extra:{e}" for e in extras]))
    lead = draw(st.integers(0, 2))  # empty columns left of the table
    aliases = _aliases_as_written()
    header = [None] * lead
    for number, column in enumerate(order, start=1):
        if column.startswith("extra:"):
            header.append(column[6:])
            continue
        canonical = ("procedure_name" if by_name else "procedure_code") if column == "procedure" else column
        header.append(draw(written_header(draw(st.sampled_from(aliases[canonical])), number)))
    width = len(header)
    numbers = [None] * lead + [f"({n})" for n in range(1, len(order) + 1)] if draw(st.booleans()) else None

    n_rows = draw(st.integers(1, 12))
    received = draw(st.lists(datetimes_to_the_second(2020, 2030).map(lambda v: v.replace(second=0)),
                             min_size=n_rows, max_size=n_rows))
    unreadable = draw(st.lists(st.booleans(), min_size=n_rows, max_size=n_rows))
    rows, expected = [], []
    for i in range(n_rows):
        values = {
            "dossier_id": f"HS-{i + 1:05d}",
            "procedure": draw(st.sampled_from(PROCEDURE_NAMES if by_name else PROCEDURE_CODES)),
            "received_at": received[i],
            "due_date": (received[i] + dt.timedelta(days=draw(st.integers(0, 30)))).date(),
            "returned_date": received[i] + dt.timedelta(hours=draw(st.integers(1, 900))),
            "applicant": draw(st.sampled_from(["Nguyễn Văn A", "Trần Thị B", "Lê Văn C"])),
            "channel": draw(st.sampled_from(["Trực tiếp", "Trực tuyến", "Bưu chính"])),
            "note": draw(st.sampled_from(["", "Đã bổ sung", "Chuyển huyện"])),
        }
        cells = {**values}
        if unreadable[i]:
            cells["received_at"] = draw(impossible_written_dates())
        elif draw(st.booleans()):
            cells["received_at"] = f"{received[i]:%d/%m/%Y %H:%M}"
        row = [None] * lead
        for column in order:
            row.append(f"x{i}" if column.startswith("extra:") else (cells[column] or None))
        rows.append(row)
        expected.append(values | {"received_at": None if unreadable[i] else values["received_at"]})
    return draw(title_rows(width)), header, numbers, rows, expected, by_name, order


def _read_sheet(title, header, numbers, rows):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "26734_2025.xlsx"
        write_sheet(path, header, ([numbers] if numbers else []) + rows, title_rows=title)
        return read_table(path, "dossiers")


@given(dossier_sheets())
@SLOW
def test_the_header_is_found_below_any_title_block_and_every_row_read_under_it(sheet):
    title, header, numbers, rows, expected, by_name, order = sheet
    table = _read_sheet(title, header, numbers, rows)
    assert not [p for p in table.problems if p.severity == "error"], table.problems
    frame = table.frame
    first_data_row = len(title) + 2 + (numbers is not None)  # Excel rows are 1-based
    assert frame["source_row"].tolist() == list(range(first_data_row, first_data_row + len(rows)))
    assert frame["dossier_id"].tolist() == [e["dossier_id"] for e in expected]
    procedure = "procedure_name" if by_name else "procedure_code"
    assert frame[procedure].tolist() == [e["procedure"] for e in expected]
    assert _as_list(frame["received_at"]) == [e["received_at"] for e in expected]
    assert _as_list(frame["due_date"]) == [dt.datetime.combine(e["due_date"], dt.time()) for e in expected]
    for optional in ("returned_date", "applicant", "channel"):
        if optional in order:
            read = frame[optional].tolist()
            written = [e[optional] for e in expected]
            assert (_as_list(frame[optional]) if optional == "returned_date" else read) == written
    # An impossible date is refused where it stands, with a problem naming its row, never shifted.
    unreadable_rows = sorted(p.row for p in table.problems if p.code == "unreadable_datetime")
    assert unreadable_rows == [row for row, e in zip(range(first_data_row, 10**6), expected)
                               if e["received_at"] is None]


def test_a_header_word_in_the_title_block_above_a_two_part_heading_is_no_third_header_row():
    """Found by the property above: a summary line naming two columns, then the two-part heading (the committee
    and the province), then the header. The heading is no group row, and the summary line's words stand over
    other columns' headers: read as a three-row header, "Ngày nhận kết quả" took the "STT" column."""
    title = [["apology_date", None, None, "result_received_date", None],
             ["ỦY BAN NHÂN DÂN XÃ HÒA BÌNH", "UBND HUYỆN YÊN SƠN", None, None, None]]
    header = ["DOSSIER_ID", "PROCEDURE_CODE", "RECEIVED_AT", "STT", "DUE_DATE"]
    rows = [[f"HS-{i}", "1.001193", dt.datetime(2020, 1, 1), f"x{i}", dt.date(2020, 1, 1)] for i in range(3)]
    table = _read_sheet(title, header, None, rows)
    assert table.labels["received_at"] == "RECEIVED_AT" and "result_received_date" not in table.labels
    assert table.frame["received_at"].tolist() == [pd.Timestamp(2020, 1, 1)] * 3
    assert not [p for p in table.problems if p.code == "unreadable_datetime"]


@given(dossier_sheets(), st.integers(0, 39))
@FAST
def test_find_header_picks_the_real_header_row_in_a_grid(sheet, extra_blank):
    """The grid-level search alone, faster, with the header pushed down by blank rows (up to the scan depth)."""
    title, header, numbers, rows, _, by_name, order = sheet
    title = title + [[None] * len(header)] * extra_blank
    assume(len(title) < 39)
    grid = [["" if c is None else c for c in row] for row in title + [header] + ([numbers] if numbers else []) + rows]
    found = find_header(grid, alias_table("dossiers"))
    assert found is not None
    assert found.first_data_index == len(title) + 1 + (numbers is not None)
    lead = len(header) - len(order)
    for position, column in enumerate(order, start=lead):
        if column == "procedure":
            column = "procedure_name" if by_name else "procedure_code"
        if not column.startswith("extra:"):
            assert found.positions[column] == position, (column, found.positions)
    assert set(found.positions) <= {"procedure_name" if by_name else "procedure_code", *order}


# ================================================================================================================
# 3. Timeliness against a plain count of working days
# ================================================================================================================
def _national_days() -> tuple[frozenset, frozenset]:
    """(days off, make-up working days) of 2022-2030: the ``holidays`` package, then the national decisions
    isoaudit ships, when it ships them (``data/national_decisions.csv``: a later row wins on the same day)."""
    table = holidays.country_holidays("VN", years=range(2022, 2031))
    off, work = set(table.keys()), {d for d in table.weekend_workdays if 2022 <= d.year <= 2030}
    decisions = resources.files("isoaudit.data").joinpath("national_decisions.csv")
    for row in csv.DictReader(io.StringIO(decisions.read_text(encoding="utf-8")) if decisions.is_file() else []):
        day = dt.datetime.strptime(row["date"].strip(), "%d/%m/%Y").date()
        working = row["type"].strip() == "làm việc"
        (work if working else off).add(day)
        (off if working else work).discard(day)
    return frozenset(off), frozenset(work)


NATIONAL_OFF, NATIONAL_WORK = _national_days()
UNITS = ["U1", "U2", "U3"]
STATUS_ON_TIME = {"early", "on_time"}
ONE_DAY = dt.timedelta(days=1)


class PlainCalendar:
    """Working days counted one day at a time: Monday to Friday, national days off and make-up working days
    from ``holidays``, then the user's days off and working days on top."""

    def __init__(self, off=(), work=(), saturday_reception=False):
        self.off = (NATIONAL_OFF - set(work)) | set(off)
        self.work = (NATIONAL_WORK - set(off)) | set(work)
        self.saturday_reception = saturday_reception

    def working(self, day: dt.date) -> bool:
        return day in self.work or (day.weekday() < 5 and day not in self.off)

    def next_working(self, day: dt.date) -> dt.date:
        """``day`` itself when it is a working day, else the first working day after it."""
        while not self.working(day):
            day += ONE_DAY
        return day

    def nth_after(self, day: dt.date, n: int) -> dt.date:
        for _ in range(n):
            day += ONE_DAY
            while not self.working(day):
                day += ONE_DAY
        return day

    def between(self, start: dt.date, end: dt.date) -> int:
        """Working days d with start < d <= end; minus those with end < d <= start when end is earlier."""
        if end < start:
            return -self.between(end, start)
        count, day = 0, start
        while day < end:
            day += ONE_DAY
            count += self.working(day)
        return count

    def due(self, received: dt.datetime, legal_days: int, cutoff: int) -> dt.date:
        """The receipt rules as the domain brief and ``timeliness``' docstring word them. A Saturday receipt at
        00:00 (no time written) counts as a morning one at a Saturday reception, as ``assess`` does."""
        day, minute = received.date(), received.hour * 60 + received.minute
        if legal_days == 0:
            in_time = self.working(day) and 0 < minute <= cutoff  # 00:00: no time written, benefit of the doubt
            return day if in_time else self.nth_after(day, 1)
        at_counter = self.working(day) or (self.saturday_reception and day.weekday() == 5
                                           and day not in self.off and minute < 12 * 60)
        start = day if at_counter else self.next_working(day)
        return self.nth_after(start, legal_days)


def expected_assessment(row: dict, procedure: dict, plain: PlainCalendar, as_of: dt.date) -> dict:
    received, returned = row["received_at"], row["returned_date"]
    if returned is not None and returned.date() < received.date():
        return {"status": None, "reason": "returned_before_received"}
    legal, cutoff = procedure["legal_days"], procedure["cutoff"]
    due = first_due = plain.due(received, legal, cutoff)
    asked, supplied = row["supplement_requested_at"], row["supplement_received_at"]
    waiting = False
    if asked is not None and received.date() <= asked.date() <= first_due \
            and (supplied is None or supplied.date() >= asked.date()):
        waiting = supplied is None and returned is None
        resumed = supplied or returned or dt.datetime.combine(as_of, dt.time())
        resumed = max(resumed.replace(second=0, microsecond=0), asked.replace(second=0, microsecond=0))
        if procedure["rule"] == "restart":  # afresh from the moment the clock resumed, never due earlier
            due = max(plain.due(resumed, legal, cutoff), first_due)
        else:
            due = plain.nth_after(first_due, plain.between(asked.date(), plain.next_working(resumed.date())))
    end = returned.date() if returned is not None else as_of
    if returned is not None:
        status = "early" if end < due else "on_time" if end == due else "late"
    else:
        status = "in_progress" if as_of <= due else "overdue"
    late = status in ("late", "overdue")
    return {"status": status, "reason": None, "legal_due_date": due, "waiting_supplement": waiting,
            "supplement_days": plain.between(first_due, due),
            "days_late": max(plain.between(due, end), 1) if late else 0}


# Days around the national days off and make-up Saturdays, where the counting rules bite.
NOTABLE_DAYS = sorted(d for d in NATIONAL_OFF | NATIONAL_WORK if 2024 <= d.year <= 2026)
FIRST_DAY, LAST_DAY = dt.date(2024, 1, 1), dt.date(2026, 12, 31)


@st.composite
def minutes(draw, cutoff: int, saturday: bool = False) -> int:
    """Minutes after midnight, often right at a boundary of the rules: the cut-off, Saturday noon, 00:00."""
    kinds = ["noon", "noon", "cutoff", "any", "midnight"] if saturday else \
        ["any", "midnight", "cutoff", "cutoff", "noon", "late"]
    kind = draw(st.sampled_from(kinds))
    if kind == "any":
        return draw(st.integers(1, 24 * 60 - 1))
    if kind == "midnight":
        return 0
    if kind == "late":
        return draw(st.integers(cutoff + 1, 24 * 60 - 1))
    centre = cutoff if kind == "cutoff" else 12 * 60
    return min(max(centre + draw(st.sampled_from([-1, 0, 0, 1])), 0), 24 * 60 - 1)


@st.composite
def days(draw) -> dt.date:
    kind = draw(st.sampled_from(["any", "notable", "saturday"]))
    day = draw(st.dates(FIRST_DAY, LAST_DAY))
    if kind == "notable":
        day = draw(st.sampled_from(NOTABLE_DAYS)) + dt.timedelta(days=draw(st.integers(-3, 3)))
    elif kind == "saturday":
        day += dt.timedelta(days=(5 - day.weekday()) % 7)
    return day


def _at(day: dt.date, minute: int) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(minute // 60, minute % 60))


@st.composite
def near(draw, day: dt.date, cutoff: int, before: int, after: int) -> dt.datetime:
    """A moment from ``before`` days before ``day`` to ``after`` days after it, mostly within a day of it."""
    offset = draw(st.one_of(st.integers(-1, 1), st.integers(-before, after)))
    return _at(day + dt.timedelta(days=max(-before, offset)), draw(minutes(cutoff)))


@st.composite
def procedures_catalogue(draw) -> list[dict]:
    count = draw(st.integers(1, 4))
    return [{"code": f"P{i}", "legal_days": draw(st.sampled_from([0, 0, 0, 1, 3, 5, 15, 60]) | st.integers(0, 60)),
             "cutoff": draw(st.sampled_from([None, 15 * 60, 16 * 60, 11 * 60 + 30])),
             "rule": draw(st.sampled_from([None, "pause", "restart"]))} for i in range(count)]


@st.composite
def dossier_rows(draw, catalogue: list[dict], setting: dict) -> list[dict]:
    """Dossiers received, asked for a supplement and returned around the days where the rules change their
    answer: the due date itself, the day before and after it (computed by the plain calendar)."""
    rows = []
    for i in range(draw(st.integers(1, 20))):
        procedure = draw(st.sampled_from(catalogue))
        cutoff = 15 * 60 if procedure["cutoff"] is None else procedure["cutoff"]
        unit = draw(st.sampled_from(UNITS + [None]))
        day = draw(days())
        received = _at(day, draw(minutes(cutoff, saturday=day.weekday() == 5)))
        due = plain_calendar(setting, unit).due(received, procedure["legal_days"], cutoff)
        asked = supplied = None
        if draw(st.booleans()):
            asked = draw(st.sampled_from([received.date(), due]) | st.dates(received.date() - 2 * ONE_DAY, due))
            asked = _at(asked, draw(minutes(cutoff)))
            supplied = draw(st.none() | near(asked.date(), cutoff, 3, 40))
        returned = draw(st.none() | near(due, cutoff, (due - received.date()).days + 3, 60))
        rows.append({"dossier_id": f"HS-{i:03d}", "unit_code": unit, "procedure_code": procedure["code"],
                     "received_at": received, "returned_date": returned, "supplement_requested_at": asked,
                     "supplement_received_at": supplied})
    return rows


CALENDAR_DAYS = st.dates(dt.date(2024, 1, 1), dt.date(2027, 6, 30))


@st.composite
def calendar_settings(draw) -> dict:
    """Days off and working days for every unit, days off for unit U2 alone, Saturday reception for all or U1."""
    off = draw(st.lists(CALENDAR_DAYS | days(), max_size=6, unique=True))
    work = draw(st.lists(days().filter(lambda d: d.weekday() >= 5), max_size=3, unique=True))
    work = [d for d in work if d not in off]
    u2_off = draw(st.lists(CALENDAR_DAYS | days(), max_size=4, unique=True))
    saturday = draw(st.sampled_from(["none", "all", "U1"]))
    return {"off": off, "work": work, "u2_off": u2_off, "saturday": saturday}


def work_calendar(setting: dict) -> WorkCalendar:
    calendar = WorkCalendar.vietnam().with_days_off(setting["off"]).with_working_days(setting["work"])
    if setting["u2_off"]:
        calendar = calendar.with_days_off(setting["u2_off"], unit_code="U2")
    if setting["saturday"] == "all":
        calendar = calendar.with_saturday_reception()
    elif setting["saturday"] == "U1":
        calendar = calendar.with_saturday_reception(["U1"])
    return calendar


def plain_calendar(setting: dict, unit: str | None) -> PlainCalendar:
    off = set(setting["off"]) | (set(setting["u2_off"]) if unit == "U2" else set())
    # A unit's own day off overrides a shared working day.
    work = set(setting["work"]) - (set(setting["u2_off"]) if unit == "U2" else set())
    return PlainCalendar(off, work, setting["saturday"] == "all" or (setting["saturday"] == "U1" and unit == "U1"))


def dossier_frame(rows: list[dict]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["dossier_id", "unit_code", "procedure_code", "received_at",
                                        "returned_date", "supplement_requested_at", "supplement_received_at"])
    for column in ("dossier_id", "unit_code", "procedure_code"):
        frame[column] = frame[column].astype("string")
    for column in ("received_at", "returned_date", "supplement_requested_at", "supplement_received_at"):
        frame[column] = pd.to_datetime(frame[column]).astype("datetime64[us]")
    return frame


def procedure_frame(catalogue: list[dict]) -> pd.DataFrame:
    return pd.DataFrame({
        "procedure_code": pd.array([p["code"] for p in catalogue], dtype="string"),
        "legal_days": pd.array([p["legal_days"] for p in catalogue], dtype="Int64"),
        "cutoff_time": pd.array([None if p["cutoff"] is None else f"{p['cutoff'] // 60:02d}:{p['cutoff'] % 60:02d}"
                                 for p in catalogue], dtype="string"),
        "supplement_rule": pd.array([p["rule"] for p in catalogue], dtype="string"),
    })


@st.composite
def timeliness_cases(draw):
    """(procedures, dossiers, calendar setting, as of): as of mostly near one dossier's return or due date."""
    setting = draw(calendar_settings())
    catalogue = draw(procedures_catalogue())
    rows = draw(dossier_rows(catalogue, setting))
    row = draw(st.sampled_from(rows))
    as_of = draw(CALENDAR_DAYS | near(row["received_at"].date(), 15 * 60, 0, 90).map(lambda m: m.date()))
    return catalogue, rows, setting, as_of


def _judge(catalogue, rows, setting, as_of, calendar=None) -> pd.DataFrame:
    return assess(dossier_frame(rows), procedure_frame(catalogue), calendar or work_calendar(setting), as_of=as_of)


def _day(value) -> dt.date | None:
    return None if pd.isna(value) else pd.Timestamp(value).date()


def _statuses(frame: pd.DataFrame) -> list:
    return [None if pd.isna(s) else s for s in frame["status"]]


def test_the_plain_calendar_agrees_with_the_national_calendar_it_stands_for():
    """The oracle below is only as good as its days: check it against WorkCalendar on every day of 2024-2027."""
    days = pd.Series(pd.date_range("2024-01-01", "2027-12-31"))
    plain = PlainCalendar()
    assert WorkCalendar.vietnam().is_working_day(days).tolist() == [plain.working(d.date()) for d in days]


@given(timeliness_cases())
@ORACLE
def test_due_dates_and_statuses_follow_the_rules_counted_day_by_day(case):
    catalogue, rows, setting, as_of = case
    frame = _judge(catalogue, rows, setting, as_of)
    procedures = {p["code"]: {**p, "cutoff": 15 * 60 if p["cutoff"] is None else p["cutoff"]} for p in catalogue}
    for row, (_, got) in zip(rows, frame.iterrows()):
        want = expected_assessment(row, procedures[row["procedure_code"]],
                                   plain_calendar(setting, row["unit_code"]), as_of)
        context = (row, procedures[row["procedure_code"]], setting, as_of)
        if want["status"] is None:
            assert pd.isna(got["status"]) and got["unassessable_reason"] == want["reason"], context
            continue
        assert _day(got["legal_due_date"]) == want["legal_due_date"], context
        assert got["status"] == want["status"], context
        assert got["days_late"] == want["days_late"], context
        assert got["supplement_days"] == want["supplement_days"], context
        assert bool(got["waiting_supplement"]) == want["waiting_supplement"], context


@st.composite
def same_day_restarts_from_the_return(draw):
    """A same-day procedure under "restart": supplement asked for on the day of receipt, never recorded as
    received; the dossier returned on a later working day, within that day's cut-off."""
    received = _at(PlainCalendar().next_working(draw(days())), draw(st.integers(1, 14 * 60 + 59)))
    asked = received + dt.timedelta(minutes=draw(st.integers(0, 15 * 60 - received.hour * 60 - received.minute)))
    day = PlainCalendar().nth_after(received.date(), draw(st.integers(1, 20)))
    returned = dt.datetime.combine(day, dt.time(draw(st.integers(0, 14)), draw(st.integers(1, 59))))
    return {"dossier_id": "HS-1", "unit_code": None, "procedure_code": "P0", "received_at": received,
            "returned_date": returned, "supplement_requested_at": asked, "supplement_received_at": None}


@given(same_day_restarts_from_the_return())
@example({"dossier_id": "HS-1", "unit_code": None, "procedure_code": "P0",
          "received_at": dt.datetime(2024, 1, 2, 9), "returned_date": dt.datetime(2024, 1, 3, 9),
          "supplement_requested_at": dt.datetime(2024, 1, 2, 10), "supplement_received_at": None})
@settings(max_examples=10, deadline=None, database=None)
def test_a_restart_from_the_return_counts_from_the_moment_of_the_return(row):
    """Restarted at the return (here within the cut-off of a working day), a same-day procedure is due that
    very day: returned then, it is on time, not early, and waited one working day, not two."""
    catalogue = [{"code": "P0", "legal_days": 0, "cutoff": None, "rule": "restart"}]
    setting = {"off": [], "work": [], "u2_off": [], "saturday": "none"}
    got = _judge(catalogue, [row], setting, dt.date(2027, 1, 1)).iloc[0]
    assert _day(got["legal_due_date"]) == row["returned_date"].date()
    assert got["status"] == "on_time"
    assert got["supplement_days"] == PlainCalendar().between(row["received_at"].date(), row["returned_date"].date())


@given(st.integers(1, 14 * 60 + 59), st.dates(dt.date(2024, 1, 1), dt.date(2026, 12, 31)))
@example(10 * 60, dt.date(2024, 6, 3))
@settings(max_examples=10, deadline=None, database=None)
def test_a_restart_still_waiting_at_as_of_counts_from_the_moment_of_the_request(minute, day):
    """Judged as of the day a same-day dossier's supplement was asked for (within the cut-off), still waiting:
    restarted at the request, it is due that day, having waited no working day."""
    day = PlainCalendar().next_working(day)
    asked = dt.datetime.combine(day, dt.time(minute // 60, minute % 60))
    row = {"dossier_id": "HS-1", "unit_code": None, "procedure_code": "P0",
           "received_at": dt.datetime.combine(day, dt.time(0, 1)), "returned_date": None,
           "supplement_requested_at": asked, "supplement_received_at": None}
    catalogue = [{"code": "P0", "legal_days": 0, "cutoff": None, "rule": "restart"}]
    setting = {"off": [], "work": [], "u2_off": [], "saturday": "none"}
    got = _judge(catalogue, [row], setting, day).iloc[0]
    assert _day(got["legal_due_date"]) == day and got["supplement_days"] == 0


@given(st.dates(dt.date(2024, 1, 1), dt.date(2026, 12, 31)), st.integers(1, 15 * 60))
@example(dt.date(2024, 1, 2), 1)
@settings(max_examples=10, deadline=None, database=None)
def test_a_supplement_never_brings_the_due_date_forward_after_a_receipt_without_time(day, minute):
    """Received on a working day with no time written (00:00: due the next working day, the benefit of the
    doubt), a same-day dossier under "restart" gets its supplement that day at a written time within the
    cut-off: waiting for it cannot shorten the time, so it stays due the next working day at the earliest."""
    day = PlainCalendar().next_working(day)
    row = {"dossier_id": "HS-1", "unit_code": None, "procedure_code": "P0", "received_at": _at(day, 0),
           "returned_date": None, "supplement_requested_at": _at(day, 0), "supplement_received_at": _at(day, minute)}
    catalogue = [{"code": "P0", "legal_days": 0, "cutoff": None, "rule": "restart"}]
    setting = {"off": [], "work": [], "u2_off": [], "saturday": "none"}
    got = _judge(catalogue, [row], setting, day).iloc[0]
    assert _day(got["legal_due_date"]) >= PlainCalendar().nth_after(day, 1)
    assert got["supplement_days"] >= 0


@given(timeliness_cases())
@SLOW
def test_waiting_for_a_supplement_never_brings_the_due_date_forward(case):
    """Paused or restarted, a supplement never shortens the time: under "restart" too (a supplement brought on
    a Saturday morning, or at a written time on a day whose receipt had none, would otherwise count from
    before the dossier's own receipt rules put it)."""
    catalogue, rows, setting, as_of = case
    calendar = work_calendar(setting)
    plain = [{**row, "supplement_requested_at": None, "supplement_received_at": None} for row in rows]
    without = _judge(catalogue, plain, setting, as_of, calendar)
    with_supplements = _judge(catalogue, rows, setting, as_of, calendar)
    for row, (_, old), (_, new) in zip(rows, without.iterrows(), with_supplements.iterrows()):
        if pd.isna(old["status"]):
            continue
        assert _day(new["legal_due_date"]) >= _day(old["legal_due_date"]), (row, setting, as_of)
        assert new["supplement_days"] >= 0
        if row["supplement_requested_at"] is None:
            assert _day(new["legal_due_date"]) == _day(old["legal_due_date"]) and new["supplement_days"] == 0


@given(timeliness_cases())
@SLOW
def test_the_legal_due_date_is_never_before_the_day_of_receipt_and_on_time_means_by_it(case):
    catalogue, rows, setting, as_of = case
    frame = _judge(catalogue, rows, setting, as_of)
    for row, (_, got) in zip(rows, frame.iterrows()):
        if pd.isna(got["status"]):
            continue
        due = _day(got["legal_due_date"])
        assert due >= row["received_at"].date()
        returned = row["returned_date"]
        if returned is not None:
            assert (got["status"] in STATUS_ON_TIME) == (returned.date() <= due)
            assert (got["status"] == "late") == (returned.date() > due)
            assert (got["status"] == "on_time") == (returned.date() == due)
        else:
            assert got["status"] == ("in_progress" if as_of <= due else "overdue")


@given(timeliness_cases(), st.lists(CALENDAR_DAYS, min_size=1, max_size=3), st.sampled_from([None, *UNITS]))
@SLOW
def test_a_new_day_off_never_brings_a_due_date_forward_nor_makes_a_dossier_late(case, days_off, unit):
    catalogue, rows, setting, as_of = case
    calendar = work_calendar(setting)
    before = _judge(catalogue, rows, setting, as_of, calendar)
    after = _judge(catalogue, rows, setting, as_of, calendar.with_days_off(days_off, unit_code=unit))
    for row, (_, old), (_, new) in zip(rows, before.iterrows(), after.iterrows()):
        if pd.isna(old["status"]):
            continue
        context = (row, days_off, unit, setting, as_of)
        assert _day(new["legal_due_date"]) >= _day(old["legal_due_date"]), context
        if old["status"] in STATUS_ON_TIME or old["status"] == "in_progress":
            assert new["status"] == old["status"] or (old["status"] == "on_time" and new["status"] == "early"), \
                context
        if new["status"] in ("late", "overdue"):
            assert old["status"] == new["status"], context


@given(timeliness_cases(), st.integers(1, 30))
@SLOW
def test_more_legal_days_never_give_an_earlier_due_date(case, more):
    catalogue, rows, setting, as_of = case
    longer = [{**p, "legal_days": p["legal_days"] + more} for p in catalogue]
    calendar = work_calendar(setting)
    before = _judge(catalogue, rows, setting, as_of, calendar)
    after = _judge(longer, rows, setting, as_of, calendar)
    for row, (_, old), (_, new) in zip(rows, before.iterrows(), after.iterrows()):
        if not pd.isna(old["status"]):
            assert _day(new["legal_due_date"]) >= _day(old["legal_due_date"]), (row, more, setting)
            if old["status"] in STATUS_ON_TIME:
                assert new["status"] in STATUS_ON_TIME


@given(timeliness_cases(), st.randoms(use_true_random=False))
@SLOW
def test_the_assessment_of_a_dossier_does_not_depend_on_row_order(case, rng: random.Random):
    catalogue, rows, setting, as_of = case
    calendar = work_calendar(setting)
    frame = dossier_frame(rows)
    order = list(range(len(frame)))
    rng.shuffle(order)
    shuffled = frame.iloc[order]
    straight = assess(frame, procedure_frame(catalogue), calendar, as_of=as_of)
    mixed = assess(shuffled, procedure_frame(catalogue), calendar, as_of=as_of)
    assert mixed.index.tolist() == shuffled.index.tolist()  # rows and index kept as given
    pd.testing.assert_frame_equal(mixed.sort_index(), straight.sort_index())


def test_a_title_line_between_a_column_word_and_the_header_makes_no_three_row_header():
    """Found by Hypothesis: a lone committee name between a title cell that names a column and the header is
    a title line, not the middle of a three-row header (whose middle row holds groups)."""
    grid = [["apology_date", "", "", "", ""], ["ỦY BAN NHÂN DÂN XÃ HÒA BÌNH", "", "", "", ""],
            ["", "DOSSIER_ID", "PROCEDURE_CODE", "RECEIVED_AT", "DUE_DATE"],
            ["", "HS-00001", "1.001193", "05/03/2025", "06/03/2025"]]
    found = find_header(grid, alias_table("dossiers"))
    assert found.first_data_index == 3
    assert set(found.positions) == {"dossier_id", "procedure_code", "received_at", "due_date"}
