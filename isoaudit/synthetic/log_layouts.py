"""How a dossier log looks on paper: a one-stop software's export (flat) or the official tracking book of
Thong tu 01/2018/TT-VPCP (title rows, a two-row merged header, column numbers, blank rows, totals and a
signature block, dates written three ways). Headers are in ``synthetic_log_columns.csv``."""
from __future__ import annotations

import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd
from openpyxl.utils import get_column_letter

from isoaudit.synthetic.sheets import Sheet, form_heading, signatures, spread
from isoaudit.synthetic.units import UnitProfile, agency, parent_name
from isoaudit.synthetic.words import dossier_words, log_columns

CHUNK_ROWS = 20_000
DATETIME_FIELDS = ("received_at", "submitted_at", "returned_date", "supplement_requested_at", "supplement_received_at")
DATE_FIELDS = ("due_date", "apology_date", "new_due_date", "transferred_date", "result_received_date")


@dataclass(frozen=True)
class LogStyle:
    """How one unit's dossier log looks: a software export (flat) or an official tracking book."""

    layout: str  # "flat" or "official"
    suffix: str = ".xlsx"
    columns: str = ""  # flat: the layout of synthetic_log_columns.csv giving its (field, header) in order
    title: bool = False  # flat: a short report title above the header
    with_code: bool = True  # official: a procedure code column beside the name
    date_mix: tuple[float, float, float] = (1.0, 0.0, 0.0)  # official: Excel dates, serial numbers, text
    name_noise: float = 0.0  # official: names in upper case, NFD or with stray spaces
    id_style: str = "dvc"  # "dvc": national portal style ids; "book": the book's running numbers


LOG_STYLES = {
    "export_a": LogStyle("flat", columns="export_a"),
    "export_b": LogStyle("flat", suffix=".csv", columns="export_b"),
    "export_c": LogStyle("flat", columns="export_c", title=True),
    "book_code": LogStyle("official"),
    "book_name": LogStyle("official", with_code=False, date_mix=(0.6, 0.2, 0.2), name_noise=0.15, id_style="book"),
    "book_name_text": LogStyle("official", with_code=False, date_mix=(0.2, 0.3, 0.5), name_noise=0.25,
                               id_style="book"),
    "book_code_mixed": LogStyle("official", date_mix=(0.5, 0.25, 0.25), name_noise=0.1),
}

# The official book's columns are three runs of synthetic_log_columns.csv: those before the five date columns
# (which sit under one merged group cell), the dates, and the supplement and apology columns many provinces
# add after them.
_BOOK_BEFORE, _BOOK_DATES, _BOOK_AFTER = "book_before", "book_dates", "book_after"
_WIDTHS = {"row_number": 6, "dossier_id": 26, "procedure_code": 11, "procedure_name": 42, "sets": 9,
           "applicant": 22, "applicant_contact": 38, "handling_agency": 26, "officer": 20, "note": 24,
           "field": 16, "channel": 12, "status_text": 14, "unit_code": 9}


def dossier_sheet(dossiers: pd.DataFrame, style: LogStyle, unit: UnitProfile, year: int, rng,
                  last_day: date | None = None) -> Sheet:
    """The log of ``dossiers`` laid out as ``style`` says (values converted chunk by chunk when written): a
    year's, or up to the day ``last_day`` of it for a unit that ended then."""
    words = dossier_words()
    last_day = last_day or date(year, 12, 31)
    period = words["period"].format(year=year, last=f"{last_day:%d/%m/%Y}")
    n = len(dossiers)
    as_text = style.suffix == ".csv"
    if style.layout == "flat":
        columns = log_columns(style.columns)
        keys = [k for k, _ in columns]
        headers = [h for _, h in columns]
        preamble = []
        if style.title:
            preamble = [([agency(unit.unit_name.upper())], "title"), ([words["export"]["title"]], "title"),
                        ([period], "title"), ([], "title")]
        preamble.append((headers, "header"))
        forms = np.zeros(n, dtype=np.int8)
        noise = np.zeros(n, dtype=np.int8)
        blank_before = np.zeros(n, dtype=bool)
        merges = []
        freeze = f"A{len(preamble) + 1}"
    else:
        book = words["book"]
        before = [c for c in log_columns(_BOOK_BEFORE) if style.with_code or c[0] != "procedure_code"]
        dates, after = log_columns(_BOOK_DATES), log_columns(_BOOK_AFTER)
        keys = [k for k, _ in before + list(dates) + list(after)]
        width = len(keys)
        group = len(before)  # 0-based position of the first date column
        right = max(width - 6, group + 1)
        preamble = [
            *form_heading(width, agency(parent_name(unit).upper()), agency(unit.unit_name.upper()), right),
            ([], "title"),
            (spread(width, {0: book["title"]}), "title"),
            (spread(width, {0: book["period"].format(period=period)}), "title"),
            ([], "title"),
        ]
        top = [h for _, h in before] + [book["date_group"]] + [None] * 4 + [h for _, h in after]
        sub = [None] * group + [h for _, h in dates] + [None] * len(after)
        preamble += [(top, "header"), (sub, "header"), ([f"({i})" for i in range(1, width + 1)], "numbers")]
        header_row = 7
        merges = [f"A1:{_col(right)}1", f"{_col(right + 1)}1:{_col(width)}1",
                  f"A2:{_col(right)}2", f"{_col(right + 1)}2:{_col(width)}2",
                  f"A4:{_col(width)}4", f"A5:{_col(width)}5",
                  f"{_col(group + 1)}{header_row}:{_col(group + 5)}{header_row}"]
        merges += [f"{_col(c)}{header_row}:{_col(c)}{header_row + 1}"
                   for c in range(1, width + 1) if not group < c <= group + 5]
        forms = rng.choice(3, n, p=np.asarray(style.date_mix) / sum(style.date_mix)).astype(np.int8)
        noise = np.where(rng.random(n) < style.name_noise, rng.integers(1, 4, n), 0).astype(np.int8)
        month = dossiers["received_at"].dt.month.to_numpy()
        blank_before = np.r_[False, month[1:] != month[:-1]] | (rng.random(n) < 0.003)
        blank_before[0] = False
        freeze = None
    first_body_row = len(preamble) + 1
    excel_rows = first_body_row + np.arange(n) + np.cumsum(blank_before)
    sheet = Sheet(name=words["book" if style.layout == "official" else "export"]["sheet"],
                  preamble=preamble, columns=keys, body=lambda: iter(()), merges=merges, freeze=freeze, rows=n,
                  excel_rows=excel_rows)
    if style.layout == "official":  # the footer follows the body's last row
        last = int(excel_rows[-1]) if n else first_body_row
        total_row = last + 2
        signer = len(keys) - 5  # the unit's head signs under the last columns
        signed_on = book["place_and_date"].format(place=unit.unit_name, day=f"{last_day:%d}", month=last_day.month,
                                                  year=year)
        sheet.footer = [[], [book["total"].format(count=n)], [],
                        spread(len(keys), {signer: signed_on}),
                        *signatures(len(keys), book["keeper"], signer, book["head"]),
                        [], [], [],
                        spread(len(keys), {1: str(dossiers["officer"].iloc[0]) if n else ""})]
        sheet.merges.append(f"A{total_row}:D{total_row}")
    sheet.date_formats = {
        i: ("dd/mm/yyyy hh:mm" if key in DATETIME_FIELDS else "dd/mm/yyyy")
        for i, key in enumerate(keys) if key in DATETIME_FIELDS + DATE_FIELDS
    }
    sheet.widths = [_WIDTHS.get(key, 16) for key in keys]

    def body() -> Iterator[list[list]]:
        for start in range(0, n, CHUNK_ROWS):
            stop = min(start + CHUNK_ROWS, n)
            chunk = dossiers.iloc[start:stop]
            columns = [_cells(chunk, key, style, forms[start:stop], noise[start:stop], as_text, start)
                       for key in keys]
            for (row, key), value in sheet.overrides.items():
                if start <= row < stop:
                    columns[keys.index(key)][row - start] = value
            rows = [list(r) for r in zip(*columns)]
            if blank_before[start:stop].any():
                rows = _with_blanks(rows, blank_before[start:stop])
            yield rows

    sheet.body = body
    return sheet


def _cells(chunk: pd.DataFrame, key: str, style: LogStyle, forms, noise, as_text: bool, start: int) -> list:
    """One column of a chunk as spreadsheet cells (or CSV text)."""
    n = len(chunk)
    if key == "row_number":
        return list(range(start + 1, start + n + 1))
    if key == "sets":
        return chunk["sets"].tolist()
    if key not in chunk:  # a column the layout has and these dossiers never fill (an older year's submission)
        return [""] * n if as_text else [None] * n
    if key in DATETIME_FIELDS or key in DATE_FIELDS:
        return _date_cells(chunk[key], key in DATETIME_FIELDS, style, forms, as_text)
    values = chunk[key].astype(object).to_numpy()
    values = np.where(pd.isna(values), None, values)
    if key == "procedure_name" and noise.any():
        values = values.copy()
        for kind, change in ((1, str.upper), (2, lambda t: unicodedata.normalize("NFD", t)),
                             (3, lambda t: "  " + t.replace(" ", "  ", 1) + " ")):
            hit = noise == kind
            values[hit] = [change(v) for v in values[hit]]
    return [("" if v is None else v) for v in values] if as_text else values.tolist()


def _date_cells(series: pd.Series, with_time: bool, style: LogStyle, forms, as_text: bool) -> list:
    """Dates as the file holds them: Excel dates, serial numbers or day-first text (mixed in official books)."""
    stamps = series.to_numpy(dtype="datetime64[us]")
    missing = np.isnat(stamps)
    if as_text:
        text = series.dt.strftime("%d/%m/%Y %H:%M" if with_time else "%d/%m/%Y")
        return text.fillna("").tolist()
    cells = stamps.astype("datetime64[us]").astype(object)
    if style.layout == "official" and (forms != 0).any():
        cells = cells.copy()
        serial = (stamps - np.datetime64("1899-12-30T00:00", "us")) / np.timedelta64(1, "m") / 1440.0
        serial_cells = np.round(serial * 1440) / 1440 if with_time else np.floor(serial)
        part = lambda values: values.astype("Int64").astype("string")  # noqa: E731 - no '.0' from NaT floats
        loose = part(series.dt.day) + "/" + part(series.dt.month) + "/" + part(series.dt.year)
        if with_time:
            loose = loose + " " + series.dt.strftime("%H:%M")
        as_serial = (forms == 1) & ~missing
        as_loose = (forms == 2) & ~missing
        cells[as_serial] = [float(v) if with_time else int(v) for v in serial_cells[as_serial]]
        cells[as_loose] = loose.to_numpy(dtype=object)[as_loose]
    return cells.tolist()


def _with_blanks(rows: list[list], blank_before: np.ndarray) -> list[list]:
    out = []
    for row, blank in zip(rows, blank_before):
        if blank:
            out.append([])
        out.append(row)
    return out


def _col(position: int) -> str:
    return get_column_letter(position)
