"""How every sheet isoaudit writes prints: A4, one page wide, header rows repeated, a title that fits.

openpyxl neither measures text nor computes row heights, so widths and heights are estimated here from the
length of the text: a column is as wide as its content (bounded), text longer than its column wraps, and a
row is as high as its most wrapped cell. Widths are in Excel's units (about one digit of the default
11-point font), heights in points.
"""
from __future__ import annotations

import math
import textwrap
from collections.abc import Iterable, Sequence

from openpyxl.styles import Alignment
from openpyxl.styles.cell_style import StyleArray
from openpyxl.utils import get_column_letter

from isoaudit.i18n import label

MIN_WIDTH, MAX_WIDTH = 6.0, 50.0
SHORT_HEADER = 10  # characters: a header this short stays on one line
# What fits across A4 at 100 % between the margins below, in width units: wider sheets turn to landscape,
# and a sheet wider than WIDE_PAGE has its widest columns narrowed (their text wraps) so that fitting it to
# one page wide does not shrink the print to an unreadable size.
PORTRAIT_PAGE, LANDSCAPE_PAGE = 95.0, 140.0
WIDE_PAGE = 2.0 * LANDSCAPE_PAGE
NARROWEST_WRAPPED = 20.0
LINE_HEIGHT = 15.0  # points per line of the default font
TITLE_LINE_HEIGHT = 18.0
MARGINS = dict(left=0.5, right=0.5, top=0.6, bottom=0.7, header=0.3, footer=0.3)  # inches
TOP = Alignment(vertical="top")
FOOTER = "&P / &N"  # page numbers without a word, for a writer that does not know the language


def column_widths(columns: Sequence[Iterable], headers: Sequence[str]) -> list[float]:
    """A width per column from its values (any iterable, ``None`` for empty) and its header: the longest
    value, a short header, or the longest word or half of a long one (it wraps, on two lines if it can),
    bounded by ``MIN_WIDTH`` .. ``MAX_WIDTH``; then, when
    the whole is wider than ``WIDE_PAGE``, the widest columns narrowed (not below ``NARROWEST_WRAPPED``)."""
    widths = []
    for values, header in zip(columns, headers):
        longest = max((_text_width(v) for v in values if v is not None), default=0)
        header_words = max((len(w) for w in str(header).split()), default=0)
        header_fit = len(str(header)) + 2 if len(str(header)) <= SHORT_HEADER else \
            max(header_words + 2, min(math.ceil(len(str(header)) / 2) + 2, 16))  # on two lines
        widths.append(min(max(longest + 2, header_fit, MIN_WIDTH), MAX_WIDTH))
    return narrowed(widths, WIDE_PAGE)


def narrowed(widths: list[float], budget: float) -> list[float]:
    """``widths`` with the widest capped at one common width so that they add up to ``budget`` if they can
    (never below ``NARROWEST_WRAPPED`` nor below a column's own width)."""
    if sum(widths) <= budget:
        return list(widths)
    low, high = NARROWEST_WRAPPED, max(widths)
    for _ in range(30):  # bisect the cap
        cap = (low + high) / 2
        if sum(min(w, cap) for w in widths) > budget:
            high = cap
        else:
            low = cap
    return [min(w, low) for w in widths]


def line_count(value, width: float, bold: bool = False) -> int:
    """How many lines ``value`` takes in a wrapped cell ``width`` units wide (its own line breaks kept)."""
    if value is None:
        return 1
    text = str(value)
    per_line = max(int(width * (0.95 if bold else 1.1)) - 1, 1)  # Calibri 11: letters narrower than "0"
    return max(sum(max(len(textwrap.wrap(part, per_line, break_long_words=True)), 1)
                   for part in text.split("\n")), 1)


def row_height(lines: int, line_height: float = LINE_HEIGHT) -> float:
    """Points for a row of ``lines`` lines."""
    return lines * line_height + 3


def wrap_row(sheet, row: int, widths: Sequence[float], first_column: int = 1, bold: bool = False,
             minimum_lines: int = 1) -> None:
    """Wrap the text cells of ``row`` that do not fit their column and make the row high enough."""
    lines = minimum_lines
    for offset, width in enumerate(widths):
        cell = sheet.cell(row=row, column=first_column + offset)
        if isinstance(cell.value, str) and (len(cell.value) > width - 2 or "\n" in cell.value):
            needed = line_count(cell.value, width, bold)
            if needed > 1 or "\n" in cell.value:
                alignment = cell.alignment
                cell.alignment = Alignment(wrap_text=True, vertical=alignment.vertical or "top",
                                           horizontal=alignment.horizontal)
            lines = max(lines, needed)
    if lines > 1:
        sheet.row_dimensions[row].height = row_height(lines)
        align_top(sheet, row, first_column, len(widths))


def align_top(sheet, row: int, first_column: int, count: int) -> None:
    """Top-align the cells of a row that holds wrapped text, so that its one-line cells stand level with the
    first line of the wrapped ones (Excel puts them at the bottom)."""
    # Through the style array's alignment id: assigning an Alignment costs openpyxl a hash of the style each
    # time, which made a province's detail sheet (15,000 rows) several times slower to write.
    top = sheet.parent._alignments.add(TOP)
    for column in range(first_column, first_column + count):
        cell = sheet._cells.get((row, column))
        if cell is None or cell.value is None:
            continue
        if cell._style is None:  # a cell never styled
            cell._style = StyleArray()
        if cell._style.alignmentId == 0:  # the default alignment (bottom)
            cell._style.alignmentId = top


def title_row(sheet, row: int, columns: int, widths: Sequence[float], bold: bool = True,
              line_height: float = TITLE_LINE_HEIGHT) -> None:
    """Merge ``row`` across the table's ``columns``, wrap its text and give it the height it needs, so that a
    title line is never cut by the edge of the page nor split between two."""
    cell = sheet.cell(row=row, column=1)
    if columns > 1:
        sheet.merge_cells(start_row=row, start_column=1, end_row=row, end_column=columns)
    cell.alignment = Alignment(wrap_text=True, vertical="top")
    lines = line_count(cell.value, sum(widths[:columns]) * (0.9 if bold else 1.0), bold)
    sheet.row_dimensions[row].height = row_height(lines, line_height)


def set_widths(sheet, widths: Sequence[float], first_column: int = 1) -> None:
    for offset, width in enumerate(widths):
        sheet.column_dimensions[get_column_letter(first_column + offset)].width = round(width, 1)


def set_up_page(sheet, widths: Sequence[float], header_row: int | None = None, freeze_column: int = 1,
                lang: str | None = None) -> None:
    """A4, landscape when wider than a portrait page, fitted to one page wide (as many pages long as it
    takes), ``header_row`` repeated on every page and the panes frozen below it (and left of
    ``freeze_column``), margins of ``MARGINS``, page numbers in the footer ("Trang 2/5" in ``lang``, "2 / 5"
    without one)."""
    setup = sheet.page_setup
    setup.paperSize = sheet.PAPERSIZE_A4
    setup.orientation = "landscape" if sum(widths) > PORTRAIT_PAGE else "portrait"
    setup.fitToWidth, setup.fitToHeight = 1, 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    for side, inches in MARGINS.items():
        setattr(sheet.page_margins, side, inches)
    sheet.print_options.horizontalCentered = True
    if header_row:
        sheet.print_title_rows = f"{header_row}:{header_row}"
        sheet.freeze_panes = sheet.cell(row=header_row + 1, column=freeze_column)
    for footer in (sheet.oddFooter, sheet.evenFooter, sheet.firstFooter):
        footer.center.text = label("print.footer", lang) if lang else FOOTER


def _text_width(value) -> int:
    """The width of a value as shown: the longest of its lines (numbers and dates as they print)."""
    if isinstance(value, float):
        return 10 if math.isfinite(value) else 3
    if hasattr(value, "year") and hasattr(value, "month"):
        return 16 if getattr(value, "hour", 0) or getattr(value, "minute", 0) else 10
    return max((len(line) for line in str(value).split("\n")), default=0)
