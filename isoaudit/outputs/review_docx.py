"""The management review as a Word report laid out as a Vietnamese administrative document.

Layout after Nghị định 30/2020/NĐ-CP (Phụ lục I): A4, margins 20 mm top and bottom, 30 mm left, 15 mm right;
Times New Roman 13-14 pt; a borderless two-column heading (the agency and the document number on the left,
the national name and motto with the place and date on the right); the document type and its title centred
in bold; the body justified with a first-line indent; recipients ("Nơi nhận:") bottom left and the signature
block bottom right; page numbers centred at the top from page 2. The content is the ``ReviewPack``, the same
the notebook shows. The document ends with the recipients and the signature: it is signed and issued as it is.
How it was made (isoaudit's version, the parameters, every input file with its SHA-256) is kept out of its
pages: in the document's properties (File > Properties: title, subject, author, comments) and in the review's
facts that ``outputs.review_files`` writes beside it (``<report>.json``).
"""
from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from xml.sax.saxutils import escape as xml_escape

from docx import Document
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.shared import Cm, Mm, Pt

from isoaudit.i18n import check_lang, label
from isoaudit.outputs.charts import chart_png
from isoaudit.safety import atomic_write, xml_text

FONT = "Times New Roman"
BODY_PT = 14
HEADING_PT = 13
TABLE_PT = 11
SMALLEST_TABLE_PT = 9  # a wide table's smallest print, still readable on paper
TEXT_WIDTH_CM = 16.5  # A4 width less the 30 mm and 15 mm margins
CHAR_CM = 0.21  # an average character of Times New Roman at the table's 11 pt (bold headers are wider)
CELL_PADDING_CM = 0.42  # the cell's left and right margins
MIN_COLUMN_CM = 1.0
MIN_TEXT_CM = 3.0
TEXT_LINES = 4  # a long text in a table should not wrap to more lines than this when the page allows
LEAST_TEXT_CM = 4.5
_LETTER_WIDTHS = {**dict.fromkeys("0123456789", 0.95), **dict.fromkeys(" .,:;/-()'|", 0.55)}
CHART_WIDTH = Cm(15.5)
CELL_STYLE = "Table Text"  # the paragraph style of table cells: a report holds hundreds of them
CELL_STYLE_ID = "TableText"
HEADER_FILL = "E8F0F8"
# Prefixes of unit names that are not part of the place name ("Xã Thanh Hà" is dated at "Thanh Hà").
_LEVEL_PREFIXES = ("Thành phố ", "Thị trấn ", "Thị xã ", "Phường ", "Huyện ", "Quận ", "Tỉnh ", "Xã ")
# Sections of clause 9.3.2 as the numbered parts of the report: 1, 2, 3.1..3.7, 4, 5, 6.
_NUMBERS = {"a": "1", "b": "2", "c1": "3.1", "c2": "3.2", "c3": "3.3", "c4": "3.4", "c5": "3.5", "c6": "3.6",
            "c7": "3.7", "d": "4", "e": "5", "f": "6"}


def write_review_docx(pack, path, report_date: date | None = None, decisions_file: str | None = None) -> Path:
    """Write ``pack`` as a Word report to ``path`` (atomically). ``report_date`` (default today) is the date
    in the heading; ``decisions_file`` is named in the conclusion as where the chair records decisions."""
    check_lang(pack.lang)
    document = _document()
    t = _words(pack.lang)
    _heading_block(document, pack, report_date or date.today(), t)
    _title(document, pack, t)
    _paragraph(document, t("docx.intro", unit=in_sentence(pack.unit_name), year=pack.year), indent=True)
    _part(document, t("docx.part_inputs"))
    for section in pack.sections:
        if section.key == "c1":
            _subheading(document, f"3. {t('docx.part_performance')}")
        _section(document, section, t)
    # The conclusion stays on the page of the signature: a page holding only "Nơi nhận" and a signature is
    # not a document anyone signs (Word and LibreOffice keep a paragraph with the table that follows it).
    ending = [_part(document, t("docx.part_outputs")),
              _paragraph(document, t("docx.outputs"), indent=True)]
    if decisions_file:
        ending.append(_paragraph(document, t("docx.decisions_file", file=decisions_file), indent=True))
    for paragraph in ending:
        paragraph.paragraph_format.keep_with_next = True
    _signature(document, pack, t)
    _properties(document, pack, t)
    buffer = io.BytesIO()
    document.save(buffer)
    path = Path(path)
    with atomic_write(path) as handle:
        handle.write(buffer.getvalue())
    return path


def place_name(unit_name: str) -> str:
    """The place in the date line: the unit's name without its level ("Phường Hùng Vương" -> "Hùng Vương")."""
    for prefix in _LEVEL_PREFIXES:
        if unit_name.startswith(prefix):
            return unit_name[len(prefix):]
    return unit_name


def in_sentence(unit_name: str) -> str:
    """The unit's name inside a sentence: its level in lower case ("Ủy ban nhân dân phường Hùng Vương")."""
    for prefix in _LEVEL_PREFIXES:
        if unit_name.startswith(prefix):
            return prefix.lower() + unit_name[len(prefix):]
    return unit_name


def date_line(place: str, day: date, lang: str) -> str:
    """"Hùng Vương, ngày 05 tháng 01 năm 2026": days below 10 and months below 3 take a leading zero
    ("Tân Phú, 5 January 2026" in English); the words are the labels ``review.docx.date_line`` and
    ``review.docx.month.<1..12>``."""
    return label("review.docx.date_line", lang, place=place, day=day.day, year=day.year,
                 month=label(f"review.docx.month.{day.month}", lang))


# ---- blocks ------------------------------------------------------------------------------------------------------
def _heading_block(document, pack, report_date: date, t) -> None:
    table = document.add_table(rows=1, cols=2)
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    _no_borders(table)
    _widths(table, (Cm(6.0), Cm(10.5)))
    left, right = table.rows[0].cells
    _cell_line(left, t("docx.agency"), bold=True, size=HEADING_PT, first=True)
    _cell_line(left, pack.unit_name.upper(), bold=True, size=HEADING_PT)
    _rule(left, Cm(1.9))  # a line about a third of the agency name's width
    _cell_line(left, t("docx.number"), size=HEADING_PT)
    _cell_line(right, t("docx.nation"), bold=True, size=12, first=True)
    _cell_line(right, t("docx.motto"), bold=True, size=HEADING_PT)
    _rule(right, Cm(2.2))  # as long as the motto
    _cell_line(right, date_line(place_name(pack.unit_name), report_date, pack.lang), italic=True, size=BODY_PT)


def _title(document, pack, t) -> None:
    _paragraph(document, t("docx.document_type"), bold=True, align=WD_ALIGN_PARAGRAPH.CENTER, before=18)
    _paragraph(document, pack.title, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER, before=0)
    rule = _paragraph(document, "", align=WD_ALIGN_PARAGRAPH.CENTER, before=0)
    _bottom_border(rule, indent=Cm(6.2))


def _part(document, text: str):
    return _paragraph(document, text, bold=True, before=12)


def _subheading(document, text: str) -> None:
    _paragraph(document, text, bold=True, before=8, indent=True)


def _section(document, section, t) -> None:
    _subheading(document, f"{_NUMBERS[section.key]}. {section.title} ({t('docx.clause')} {section.clause})")
    for warning in section.warnings:
        paragraph = _paragraph(document, "", indent=True, italic=True)
        _run(paragraph, f"{t('warning_prefix')}: ", bold=True, italic=True)
        _run(paragraph, warning, italic=True)
    for sentence in section.sentences:
        _paragraph(document, sentence, indent=True)
    for chart in section.charts:
        _caption(document, chart.caption)
        picture = document.add_paragraph()
        picture.alignment = WD_ALIGN_PARAGRAPH.CENTER
        picture.add_run().add_picture(io.BytesIO(chart_png(chart)), width=CHART_WIDTH)
    for table in section.tables:
        _caption(document, table.caption)
        _table(document, table)


def _table(document, review_table) -> None:
    """A data table: shaded bold header repeated on each page, numbers right-aligned, fixed column widths.
    Written as one piece of WordprocessingML: a review has hundreds of cells, and building them one property
    at a time through python-docx took longer than the rest of the report."""
    shown = review_table.display()
    numeric = review_table.numeric()
    texts = [shown.iloc[:, p].astype(str).tolist() for p in range(shown.shape[1])]  # each column's cells, once
    # A column with nothing in it only takes width from the others on a portrait page (the web page keeps it).
    filled = [position for position, cells in enumerate(texts) if any(cells)]
    if filled and len(filled) < len(texts):
        shown, numeric, texts = shown.iloc[:, filled], [numeric[p] for p in filled], [texts[p] for p in filled]
    size, column_widths = _fitting(list(zip(shown.columns, texts)), numeric)
    widths = [round(width.twips) for width in column_widths]
    grid = "".join(f'<w:gridCol w:w="{w}"/>' for w in widths)
    header = "".join(_cell_xml(text, w, bold=True, align="center", size=size - 1, fill=HEADER_FILL)
                     for text, w in zip(shown.columns, widths))
    rows = ["<w:tr>" + "".join(_cell_xml(value, w, align="right" if number else None, size=size)
                               for value, w, number in zip(values, widths, numeric)) + "</w:tr>"
            for values in shown.itertuples(index=False, name=None)]
    table = parse_xml(
        f"<w:tbl {nsdecls('w')}><w:tblPr><w:tblStyle w:val=\"TableGrid\"/><w:tblW w:type=\"auto\" w:w=\"0\"/>"
        '<w:jc w:val="center"/><w:tblLayout w:type="fixed"/>'
        '<w:tblLook w:firstColumn="1" w:firstRow="1" w:lastColumn="0" w:lastRow="0" w:noHBand="0" w:noVBand="1"'
        f' w:val="04A0"/></w:tblPr><w:tblGrid>{grid}</w:tblGrid>'
        f'<w:tr><w:trPr><w:tblHeader w:val="true"/></w:trPr>{header}</w:tr>{"".join(rows)}</w:tbl>')
    document.element.body._insert_tbl(table)
    document.add_paragraph().paragraph_format.space_after = Pt(0)


def _cell_xml(value, width: int, bold: bool = False, align: str | None = None, size: int = TABLE_PT,
              fill: str | None = None) -> str:
    """One table cell (width in twentieths of a point) in the cell paragraph style."""
    shading = f'<w:shd w:val="clear" w:color="auto" w:fill="{fill}"/>' if fill else ""
    justify = f'<w:jc w:val="{align}"/>' if align else ""
    run_properties = ("<w:b/>" if bold else "") + (f'<w:sz w:val="{size * 2}"/>' if size != TABLE_PT else "")
    return (f'<w:tc><w:tcPr><w:tcW w:type="dxa" w:w="{width}"/>{shading}</w:tcPr>'
            f'<w:p><w:pPr><w:pStyle w:val="{CELL_STYLE_ID}"/>{justify}</w:pPr>'
            f'<w:r>{f"<w:rPr>{run_properties}</w:rPr>" if run_properties else ""}'
            f'{_text_xml("" if value is None else str(value))}</w:r></w:p></w:tc>')


def _text_xml(text: str) -> str:
    """A run's text: line breaks and tabs as Word's own elements, as python-docx writes them."""
    lines = []
    for line in _xml_safe(text).replace("\r\n", "\n").split("\n"):
        parts = [f'<w:t xml:space="preserve">{xml_escape(part)}</w:t>' if part else "" for part in line.split("\t")]
        lines.append("<w:tab/>".join(parts))
    return "<w:br/>".join(lines)


def _fitting(texts: list[tuple[str, list[str]]], numeric: list[bool]) -> tuple[int, list]:
    """The table's font size (TABLE_PT, or down to SMALLEST_TABLE_PT for a wide table whose texts would
    otherwise be squeezed to a few letters a line) and its column widths at that size. ``texts``: each shown
    column's header and cells."""
    columns = [_ColumnText.of(column, cells) for column, cells in texts]  # measured once, for every size
    for size in range(TABLE_PT, SMALLEST_TABLE_PT - 1, -1):
        widths, fits = _column_widths(columns, numeric, CHAR_CM * size / TABLE_PT)
        if fits:
            break
    return size, widths


@dataclass
class _ColumnText:
    """What a column's width depends on, in average letters (``_letters``): its longest cell, word and header."""

    longest: int  # characters of its longest cell
    unbreakable: bool  # short cells without spaces, such as codes "PA-2025-08023-01"
    cells: float  # letters of the widest cell
    words: float  # letters of the widest word of its cells
    header_words: float  # letters of the header's widest word
    header: float  # letters of the whole header

    @classmethod
    def of(cls, column, cells: list[str]) -> "_ColumnText":
        longest = max((len(c) for c in cells), default=0)
        return cls(longest=longest, unbreakable=longest <= 20 and not any(" " in c for c in cells),
                   cells=_widest(cells), words=_widest(w for c in cells for w in c.split()),
                   header_words=_widest(str(column).split()), header=_widest([str(column)]))


def _widest(texts) -> float:
    return max((_letters(t) for t in texts), default=0)


def _column_widths(columns: list[_ColumnText], numeric: list[bool], char_cm: float = CHAR_CM) -> tuple[list, bool]:
    """Widths filling the text width, and whether every column got what it needs: numbers, dates and short
    codes get their longest cell (or header word), long texts share the rest in proportion to their length,
    each keeping at least its longest word and room for its longest text in ``TEXT_LINES`` lines (up to
    ``LEAST_TEXT_CM``) when the page allows: a name column does not wrap to eight lines beside wide dates."""
    def need(letters: float) -> float:
        return letters * char_cm + CELL_PADDING_CM

    fixed, weights, least = {}, {}, {}
    for position, (column, number) in enumerate(zip(columns, numeric)):
        # A header wraps, but to three lines at most: "Theo phần mềm (ngày hẹn trả)" not a word a line.
        header = max(need(column.header_words), (need(column.header) - CELL_PADDING_CM) / 3 + CELL_PADDING_CM)
        if number or column.longest <= 12 or column.unbreakable:
            fixed[position] = max(need(column.cells), header, MIN_COLUMN_CM)
        else:
            weights[position] = min(column.longest, 60)
            in_lines = min((need(column.cells) - CELL_PADDING_CM) / TEXT_LINES + CELL_PADDING_CM, LEAST_TEXT_CM)
            least[position] = max(min(need(column.words), MIN_TEXT_CM), in_lines, header)
    room = TEXT_WIDTH_CM - sum(fixed.values())
    spare = room - sum(least.values())
    widths = dict(fixed)
    if spare >= 0:
        total = sum(weights.values()) or 1
        widths.update({p: least[p] + spare * w / total for p, w in weights.items()})
    else:
        # Not even the longest words fit: long texts shrink first, to a narrow floor, then everything.
        floor = 1.2
        share = max(room, floor * len(least)) / (sum(least.values()) or 1)
        widths.update({p: max(least[p] * share, floor) for p in least})
    scale = min(1.0, TEXT_WIDTH_CM / sum(widths.values()))
    return [Cm(widths[p] * scale) for p in range(len(columns))], spare >= 0 and scale == 1.0


def _letters(text: str) -> float:
    """The width of ``text`` in average letters: capitals a third wider ("MT01" must not wrap in a column sized
    for "mt01"), digits a little and spaces and punctuation much narrower (a date is not ten letters wide)."""
    return sum(_LETTER_WIDTHS.get(ch, 4 / 3 if ch.isupper() else 1.0) for ch in text)


def _signature(document, pack, t) -> None:
    table = document.add_table(rows=1, cols=2)
    _no_borders(table)
    _widths(table, (Cm(8.5), Cm(8.0)))
    left, right = table.rows[0].cells
    _cell_line(left, t("docx.recipients"), bold=True, italic=True, size=12, first=True,
               align=WD_ALIGN_PARAGRAPH.LEFT)
    recipients = []
    if pack.parent_name:
        recipients.append(t("docx.recipient.parent", parent=pack.parent_name))
    recipients += [t(f"docx.recipient.{key}") for key in ("steering", "leaders", "staff", "archive")]
    for line in recipients:
        _cell_line(left, line, size=11, align=WD_ALIGN_PARAGRAPH.LEFT)
    _cell_line(right, t("docx.on_behalf"), bold=True, size=BODY_PT, first=True)
    _cell_line(right, t("docx.signer"), bold=True, size=BODY_PT)
    for _ in range(4):  # room for the signature and the seal
        _cell_line(right, "", size=BODY_PT)


def _properties(document, pack, t) -> None:
    """The report's provenance in its core properties, where File > Properties shows it and no page prints it:
    isoaudit's version and the parameters (the records folder by its name only), and as identifier one SHA-256
    over every input file's name and SHA-256 (the list itself is in the review's facts beside the report).
    Word limits each property to 255 characters."""
    properties = document.core_properties
    properties.title = pack.title[:255]
    properties.subject = t("docx.document_type")[:255]
    properties.author = pack.unit_name[:255]
    properties.keywords = "ISO 9001; 9.3"
    properties.version = str(pack.version)[:255]
    properties.identifier = inputs_digest(pack.inputs)
    parameters = ", ".join(f"{k}={Path(str(v)).name if k == 'records' else v}" for k, v in pack.parameters.items())
    comments = f"{t('footer.version', version=pack.version)} {t('footer.parameters')}: {parameters}"
    properties.comments = _xml_safe(comments)[:255]


def inputs_digest(inputs) -> str:
    """SHA-256 of the input list (``file`` and ``sha256`` columns), one "file sha256" line per input: a
    report's inputs can be checked against its facts with one value."""
    text = "\n".join(f"{row.file} {row.sha256}" for row in inputs.itertuples(index=False))
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


# ---- document set-up and low-level helpers -------------------------------------------------------------------
def _document():
    document = Document()
    section = document.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin = section.bottom_margin = Mm(20)
    section.left_margin, section.right_margin = Mm(30), Mm(15)
    section.different_first_page_header_footer = True  # no page number on the first page
    _page_number(section.header.paragraphs[0])
    style = document.styles["Normal"]
    style.font.name = FONT
    style.font.size = Pt(BODY_PT)
    # East-Asian and complex-script slots too, or Word falls back to another font for some characters.
    fonts = style.element.get_or_add_rPr().get_or_add_rFonts()
    for attribute in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(attribute), FONT)
    style.paragraph_format.space_after = Pt(0)
    style.paragraph_format.space_before = Pt(6)
    style.paragraph_format.line_spacing = 1.1
    cells = document.styles.add_style(CELL_STYLE, WD_STYLE_TYPE.PARAGRAPH)
    cells.style_id = CELL_STYLE_ID
    cells.base_style = style
    cells.font.size = Pt(TABLE_PT)
    cells.paragraph_format.space_before = cells.paragraph_format.space_after = Pt(1)
    cells.paragraph_format.line_spacing = 1.0
    return document


def _words(lang: str):
    return lambda key, **params: label(f"review.{key}", lang, **params)


def _paragraph(document, text: str, bold=False, italic=False, indent=False, align=WD_ALIGN_PARAGRAPH.JUSTIFY,
               before: int | None = None, size: int | None = None):
    paragraph = document.add_paragraph()
    paragraph.alignment = align
    if indent:
        paragraph.paragraph_format.first_line_indent = Cm(1.27)
    if before is not None:
        paragraph.paragraph_format.space_before = Pt(before)
    if text:
        _run(paragraph, text, bold=bold, italic=italic, size=size)
    return paragraph


def _caption(document, text: str) -> None:
    paragraph = _paragraph(document, text, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER, before=8, size=12)
    paragraph.paragraph_format.keep_with_next = True
    paragraph.paragraph_format.space_after = Pt(3)


def _run(paragraph, text: str, bold=False, italic=False, size: int | None = None, font: str | None = None):
    run = paragraph.add_run(_xml_safe(text))
    # Only what differs from the paragraph's style is written: each property is an XML element.
    if bold:
        run.bold = True
    if italic:
        run.italic = True
    if size:
        run.font.size = Pt(size)
    if font:
        run.font.name = font
    return run


def _cell_line(cell, text: str, bold=False, italic=False, size: int = BODY_PT, first=False,
               align=WD_ALIGN_PARAGRAPH.CENTER) -> None:
    paragraph = cell.paragraphs[0] if first else cell.add_paragraph()
    paragraph.alignment = align
    paragraph.paragraph_format.space_before = Pt(0)
    paragraph.paragraph_format.first_line_indent = Cm(0)
    _run(paragraph, text, bold=bold, italic=italic, size=size)


def _widths(table, widths) -> None:
    """Fixed column widths, set on the grid and on every cell (Word reads one, LibreOffice the other)."""
    table.autofit = False
    for column, width in zip(table.columns, widths):
        column.width = width
    for row in table.rows:
        for cell, width in zip(row.cells, widths):
            cell.width = width


def _rule(cell, indent) -> None:
    """A short centred line under the agency name or the motto (a bottom border with side indents)."""
    paragraph = cell.add_paragraph()
    paragraph.paragraph_format.space_before = Pt(0)
    _bottom_border(paragraph, indent)
    _run(paragraph, "", size=4)


def _bottom_border(paragraph, indent) -> None:
    paragraph.paragraph_format.left_indent = indent
    paragraph.paragraph_format.right_indent = indent
    properties = paragraph._p.get_or_add_pPr()
    borders = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    for key, value in (("w:val", "single"), ("w:sz", "6"), ("w:space", "1"), ("w:color", "000000")):
        bottom.set(qn(key), value)
    borders.append(bottom)
    properties.append(borders)


def _no_borders(table) -> None:
    properties = table._tbl.tblPr
    borders = OxmlElement("w:tblBorders")
    for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
        element = OxmlElement(f"w:{edge}")
        element.set(qn("w:val"), "nil")
        borders.append(element)
    properties.append(borders)


def _page_number(paragraph) -> None:
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = paragraph.add_run()
    run.font.size = Pt(BODY_PT)
    for kind, text in (("begin", None), (None, "PAGE"), ("end", None)):
        if kind:
            element = OxmlElement("w:fldChar")
            element.set(qn("w:fldCharType"), kind)
        else:
            element = OxmlElement("w:instrText")
            element.set(qn("xml:space"), "preserve")
            element.text = text
        run._r.append(element)


def _xml_safe(text) -> str:
    """Text from the records may hold control characters XML cannot carry; python-docx would refuse them."""
    return xml_text(str(text))
