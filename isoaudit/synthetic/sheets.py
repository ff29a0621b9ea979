"""A sheet to write, and the writers that give the same bytes for the same sheet.

A ``Sheet`` holds rows above the table (titles, headers), the table body (produced chunk by chunk) and rows
below it. ``write_xlsx`` streams sheets with openpyxl's write-only mode, ``write_csv`` writes Excel's
"CSV UTF-8". Every workbook carries ``FIXED_TIME`` in its document properties and zip entries, so the same
seed gives the same bytes.
"""
from __future__ import annotations

import csv
import io
import re
import shutil
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import numpy as np
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.cell_range import CellRange
from openpyxl.writer.excel import ExcelWriter

from isoaudit.safety import atomic_write
from isoaudit.synthetic.words import district_words

FIXED_TIME = datetime(2025, 1, 1)  # stamped into every workbook so the same seed gives the same bytes


@dataclass
class Sheet:
    """One sheet to write: rows above the table, the table body (produced chunk by chunk), rows below it.

    ``preamble`` rows carry a style ("title", "header", "numbers"); ``date_formats`` maps body column
    positions to the number format of date cells; ``excel_rows`` the Excel row of each data row.
    """

    name: str
    preamble: list[tuple[list, str]]
    columns: list[str]
    body: Callable[[], Iterator[list[list]]]
    footer: list[list] = field(default_factory=list)
    merges: list[str] = field(default_factory=list)
    widths: list[float] = field(default_factory=list)
    date_formats: dict[int, str] = field(default_factory=dict)
    freeze: str | None = None
    rows: int = 0
    excel_rows: np.ndarray | None = None
    overrides: dict[tuple[int, str], object] = field(default_factory=dict)
    planted_rows: list[int] = field(default_factory=list)


def static_sheet(name: str, preamble: list, rows: list[list], widths: list[float]) -> Sheet:
    """A sheet whose body is ``rows``, frozen below its preamble."""
    return Sheet(name=name, preamble=preamble, columns=[], body=lambda: iter([rows]), widths=widths,
                 freeze=f"A{len(preamble) + 1}", rows=len(rows))


def form_heading(width: int, upper: str, lower: str, right: int) -> list:
    """The two heading rows of an official form, ``width`` cells wide: the issuing bodies on the left
    (``upper`` above ``lower``), the national title and motto from position ``right`` (0-based)."""
    form = district_words()["form"]
    return [(spread(width, {0: upper, right: form["nation"]}), "title"),
            (spread(width, {0: lower, right: form["motto"]}), "title")]


def signatures(width: int, left: str, right: int, right_role: str) -> list[list]:
    """The signature block's two rows: who signs on the left (position 1, signature only) and on the right
    (position ``right``, signature and seal)."""
    form = district_words()["form"]
    return [spread(width, {1: left, right: right_role}), spread(width, {1: form["signed"], right: form["sealed"]})]


def spread(width: int, cells: dict[int, str]) -> list:
    """A row of ``width`` cells holding ``cells`` (position: value; positions past the end go last)."""
    row = [None] * width
    for position, value in cells.items():
        row[min(position, width - 1)] = value
    return row


def write_log(path: Path, sheet: Sheet) -> None:
    """A dossier log as ``.csv`` or ``.xlsx``, by the suffix of ``path``."""
    if path.suffix.lower() == ".csv":
        write_csv(path, sheet)
    else:
        write_xlsx(path, [sheet])


def write_xlsx(path: Path, sheets: list[Sheet]) -> None:
    """Stream ``sheets`` into an xlsx (openpyxl write-only) with fixed timestamps, atomically."""
    book = Workbook(write_only=True)
    book.properties.creator = "isoaudit"
    book.properties.created = book.properties.modified = FIXED_TIME
    for spec in sheets:
        ws = book.create_sheet(spec.name)
        for position, width in enumerate(spec.widths, 1):
            ws.column_dimensions[get_column_letter(position)].width = width
        if spec.freeze:
            ws.freeze_panes = spec.freeze
        for cells, style in spec.preamble:
            ws.append([_styled(ws, value, style) for value in cells])
        formats = list(spec.date_formats.items())
        for chunk in spec.body():
            for row in chunk:
                for position, number_format in formats:
                    if position < len(row) and isinstance(row[position], datetime):
                        cell = WriteOnlyCell(ws, value=row[position])
                        cell.number_format = number_format if (row[position].hour or row[position].minute
                                                               or "h" not in number_format) else "dd/mm/yyyy"
                        row[position] = cell
                ws.append(row)
        for cells in spec.footer:
            ws.append([_styled(ws, value, "title") if value else value for value in cells])
        for reference in spec.merges:
            ws.merged_cells.add(CellRange(reference))
    with atomic_write(path) as handle:
        archive = _StableZip(handle, "w", zipfile.ZIP_DEFLATED, allowZip64=True)
        ExcelWriter(book, archive).save()


def write_csv(path: Path, sheet: Sheet) -> None:
    """UTF-8 with a BOM (what Excel's "CSV UTF-8" writes), CRLF line ends."""
    with atomic_write(path, "wb") as raw:
        handle = io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")
        writer = csv.writer(handle, lineterminator="\r\n")
        for cells, _style in sheet.preamble:
            writer.writerow(["" if c is None else c for c in cells])
        for chunk in sheet.body():
            writer.writerows(chunk)
        writer.writerows(sheet.footer)
        handle.flush()
        handle.detach()


class stable_copy:
    """A draft path for a workbook written by other code, copied to ``path`` with ``FIXED_TIME`` stamped on
    every zip entry and document property, so that the sample stays byte-identical for a seed."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.draft = self.path.with_name(f".{self.path.stem}.draft.xlsx")

    def __enter__(self) -> Path:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        return self.draft

    def __exit__(self, kind, error, trace):
        try:
            if kind is None:
                stamp = FIXED_TIME.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
                with (zipfile.ZipFile(self.draft) as source, atomic_write(self.path) as handle,
                      _StableZip(handle, "w", zipfile.ZIP_DEFLATED) as target):
                    for entry in source.infolist():
                        data = source.read(entry.filename)
                        if entry.filename == "docProps/core.xml":
                            data = re.sub(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*", rb"\g<1>" + stamp, data)
                        target.writestr(entry.filename, data)
        finally:
            self.draft.unlink(missing_ok=True)
        return False


_THIN = Side(style="thin")
_STYLES = {
    "title": {"font": Font(bold=True)},
    "header": {"font": Font(bold=True), "fill": PatternFill("solid", fgColor="DDEBF7"),
               "alignment": Alignment(horizontal="center", vertical="center", wrap_text=True),
               "border": Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)},
    "numbers": {"font": Font(italic=True), "alignment": Alignment(horizontal="center")},
}


def _styled(ws, value, style: str):
    if value is None:
        return None
    cell = WriteOnlyCell(ws, value=value)
    for attribute, setting in _STYLES[style].items():
        setattr(cell, attribute, setting)
    return cell


class _StableZip(zipfile.ZipFile):
    """A zip whose entries all carry ``FIXED_TIME``, so the same workbook always gives the same bytes."""

    def writestr(self, zinfo_or_arcname, data, compress_type=None, compresslevel=None):
        if not isinstance(zinfo_or_arcname, zipfile.ZipInfo):
            zinfo_or_arcname = self._entry(zinfo_or_arcname)
        super().writestr(zinfo_or_arcname, data, compress_type, compresslevel)

    def write(self, filename, arcname=None, compress_type=None, compresslevel=None):
        # openpyxl's write-only sheets arrive as temporary files: stream them, never load them whole.
        size = Path(filename).stat().st_size
        with open(filename, "rb") as source, self.open(self._entry(arcname or filename), "w",
                                                        force_zip64=size > 2**30) as target:
            shutil.copyfileobj(source, target, 1 << 20)

    @staticmethod
    def _entry(name) -> zipfile.ZipInfo:
        entry = zipfile.ZipInfo(str(name), date_time=FIXED_TIME.timetuple()[:6])
        entry.compress_type = zipfile.ZIP_DEFLATED
        entry.external_attr = 0o644 << 16
        return entry
