"""The user's own calendar decisions (``FOLDER/calendar.csv``): provincial days off, make-up working days,
future years no library knows yet, for every unit or for one.

One row a decision; headers in Vietnamese or English, diacritics and case optional::

    Ngày,Loại,Nội dung,Mã đơn vị
    02/01/2026,nghỉ,Nghỉ bù Tết Dương lịch theo Quyết định của UBND tỉnh,
    10/01/2026,làm việc,Làm bù cho ngày 02/01/2026,
    15/05/2025,nghỉ,Đại hội Đảng bộ xã (chỉ xã Tân Phú),26734

``Loại`` (type) is ``nghỉ``/``off`` or ``làm việc``/``work``; dates are day first. A CSV saved by Excel as
"CSV UTF-8" (with a BOM) or without a BOM, separated by commas or semicolons, or an xlsx, are all read.

``tet_problems`` warns of the years of a folder's dossiers whose Tết days off and swaps no recorded decision
gives (neither isoaudit's national decisions table nor this file).
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from isoaudit.calendar import TET_WINDOW, years_without_tet_decision
from isoaudit.errors import RecordsError
from isoaudit.problems import ERROR, WARNING, Problem
from isoaudit.records.convert import to_date, to_text
from isoaudit.records.grid import RECORD_SUFFIXES, open_grid
from isoaudit.records.header import SCAN_ROWS, find_header
from isoaudit.text import fold

CALENDAR_NAMES = ("calendar", "lich lam viec", "lich nghi", "ngay nghi")
CALENDAR_COLUMNS = ["date", "kind", "description", "unit_code", "source_file", "source_row"]
KINDS = ("off", "work")
# Calendar days after its receipt a dossier is taken to run (legal times rarely pass 30 working days): a dossier
# received in late November or December reaches the next year's Tết.
REACH_DAYS = 60

# Folded header text -> column.
_HEADERS = {
    **dict.fromkeys(["date", "ngay", "ngay thang", "ngay thang nam"], "date"),
    **dict.fromkeys(["type", "kind", "loai", "loai ngay", "nghi hay lam"], "kind"),
    **dict.fromkeys(["description", "noi dung", "mo ta", "ghi chu", "ly do", "can cu", "ten ngay"],
                    "description"),
    **dict.fromkeys(["unit code", "unit_code", "unit", "ma don vi", "don vi", "ma dvhc", "ap dung cho"],
                    "unit_code"),
}
# Folded type word -> kind.
_KIND_WORDS = {
    **dict.fromkeys(["off", "day off", "holiday", "nghi", "ngay nghi", "nghi le", "nghi bu"], "off"),
    **dict.fromkeys(["work", "working", "working day", "workday", "lam", "lam viec", "ngay lam viec",
                     "lam bu", "di lam"], "work"),
}


def find_calendar_file(folder) -> Path | None:
    """The calendar file of a records folder (``calendar.csv``, also ``lich_lam_viec.csv`` or xlsx), or None."""
    folder = Path(folder)
    if not folder.is_dir():
        return None
    found = sorted(
        path for path in folder.iterdir()
        if path.is_file() and path.suffix.lower() in RECORD_SUFFIXES and not path.name.startswith(("~$", "."))
        and fold(path.stem) in CALENDAR_NAMES
    )
    return found[0] if found else None


def read_calendar_file(path) -> tuple[pd.DataFrame, list[Problem]]:
    """Decisions in file order (columns ``CALENDAR_COLUMNS``: ``date`` datetime64, ``kind`` "off"/"work",
    ``unit_code`` <NA> for every unit) and the problems found. A bad row is left out and reported with its
    row number; the rest of the file is used."""
    path = Path(path)
    name = path.name
    try:
        grid = open_grid(path)
    except RecordsError as error:
        return empty_calendar(), [Problem(error.code, file=name, severity=ERROR, params=error.params)]
    rows = list(grid.rows)
    header = find_header(rows[:SCAN_ROWS], _HEADERS, min_columns=2)
    if header is None or not {"date", "kind"} <= set(header.positions):
        return empty_calendar(), [Problem("calendar.no_header", file=name, sheet=grid.sheet, severity=ERROR,
                                  params={"file": name})]
    body = rows[header.first_data_index:]
    first_row = grid.first_row + header.first_data_index
    cells = {column: [_cell(row, index) for row in body] for column, index in header.positions.items()}
    dates, _ = to_date(cells["date"])
    kinds_text, _ = to_text(cells["kind"])
    kinds = kinds_text.map(lambda text: _KIND_WORDS.get(fold(text)) if isinstance(text, str) else None)
    kinds = kinds.astype("string")
    empty = pd.Series([all(_blank(c) for c in row) for row in body], dtype=bool)
    frame = pd.DataFrame({
        "date": dates,
        "kind": kinds,
        "description": to_text(cells.get("description", [""] * len(body)))[0],
        "unit_code": to_text(cells.get("unit_code", [""] * len(body)))[0],
        "source_file": pd.Series([name] * len(body), dtype="string"),
        "source_row": pd.Series(range(first_row, first_row + len(body)), dtype="Int64"),
    })
    problems: list[Problem] = []
    bad_date = ~empty & frame["date"].isna()
    bad_kind = ~empty & frame["kind"].isna()
    for column, bad, code in (("date", bad_date, "calendar.bad_date"), ("kind", bad_kind, "calendar.bad_kind")):
        for position in bad[bad].index:
            problems.append(Problem(code, file=name, sheet=grid.sheet, row=int(frame.at[position, "source_row"]),
                                    column=header.labels[column], value=cells[column][position], severity=WARNING))
    frame = frame[~(empty | bad_date | bad_kind)]
    problems += _conflicts(frame, name, grid.sheet, header.labels["kind"])
    return frame.reset_index(drop=True), problems


def tet_problems(calendar_days: pd.DataFrame, received, file: str = "calendar.csv") -> list[Problem]:
    """One warning for each year the dossiers received on ``received`` reach (their receipt years, and the
    next year's Tết for those received within ``REACH_DAYS`` of it) whose Tết decision is recorded neither in
    the national decisions table nor in ``calendar_days`` (as ``read_calendar_file`` returns, any unit's days):
    due dates around that Tết are counted from the statutory days alone."""
    received = pd.to_datetime(pd.Series(received), errors="coerce").dropna()
    reached = received + pd.Timedelta(days=REACH_DAYS)
    (first_month, first_day), _ = TET_WINDOW
    into_tet = (reached.dt.month > first_month) | ((reached.dt.month == first_month) & (reached.dt.day >= first_day))
    years = set(received.dt.year.unique().tolist()) | set(reached[into_tet].dt.year.unique().tolist())
    missing = years_without_tet_decision(years, calendar_days["date"])
    return [Problem("calendar.no_tet_decision", file=file, value=year, severity=WARNING, params={"year": year})
            for year in missing]


def _conflicts(frame: pd.DataFrame, name: str, sheet: str, kind_label: str) -> list[Problem]:
    """One date decided both ways for the same units: the later row wins, and the user is told."""
    scope = frame["unit_code"].fillna("")
    keyed = frame.assign(_scope=scope)
    problems = []
    for (_, _), group in keyed.groupby(["date", "_scope"], sort=False):
        if group["kind"].nunique() > 1:
            last = group.iloc[-1]
            problems.append(Problem("calendar.conflict", file=name, sheet=sheet, row=int(last["source_row"]),
                                    column=kind_label, value=last["date"], severity=WARNING,
                                    params={"rows": ", ".join(str(r) for r in group["source_row"])}))
    return problems


def _cell(row: list, index: int):
    return row[index] if index < len(row) else ""


def _blank(cell) -> bool:
    return cell is None or (isinstance(cell, str) and not cell.strip())


def empty_calendar() -> pd.DataFrame:
    return pd.DataFrame({
        "date": pd.Series([], dtype="datetime64[us]"),
        "kind": pd.Series([], dtype="string"),
        "description": pd.Series([], dtype="string"),
        "unit_code": pd.Series([], dtype="string"),
        "source_file": pd.Series([], dtype="string"),
        "source_row": pd.Series([], dtype="Int64"),
    })
