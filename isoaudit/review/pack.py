"""The review pack: sections of tables, charts, sentences and warnings, as every output renders them."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import pandas as pd

from isoaudit import __version__
from isoaudit.i18n import label
from isoaudit.review.wording import format_column

SECTION_KEYS = ("a", "b", "c1", "c2", "c3", "c4", "c5", "c6", "c7", "d", "e", "f")
CLAUSES = {"a": "9.3.2 a)", "b": "9.3.2 b)", "c1": "9.3.2 c) 1)", "c2": "9.3.2 c) 2)", "c3": "9.3.2 c) 3)",
           "c4": "9.3.2 c) 4)", "c5": "9.3.2 c) 5)", "c6": "9.3.2 c) 6)", "c7": "9.3.2 c) 7)", "d": "9.3.2 d)",
           "e": "9.3.2 e)", "f": "9.3.2 f)"}


@dataclass
class ReviewTable:
    """A table of the report: ``frame`` holds typed values; ``headers`` names (and orders) the columns shown.

    ``formats`` overrides how a column is shown: ``percent`` (0..1), ``points`` (percentage points),
    ``int``, ``decimal``, ``decimal2``, ``date``, ``yesno``, ``text``, ``numtext`` (figures already written
    as text, aligned as numbers); otherwise the dtype decides.
    """

    key: str
    title: str
    frame: pd.DataFrame
    headers: dict[str, str]
    formats: dict[str, str] = field(default_factory=dict)
    lang: str = "vi"
    number: int = 0  # numbered across the report by assemble_review
    shown: pd.DataFrame | None = field(default=None, repr=False, compare=False)  # ``display()``, made once

    @property
    def caption(self) -> str:
        return label("review.table_caption", self.lang, number=self.number, title=self.title)

    def numeric(self) -> list[bool]:
        """For each shown column, whether it holds numbers (right-aligned in the page and the report)."""
        kinds = ("int", "percent", "points", "decimal", "decimal2", "numtext")
        return [self.formats.get(c) in kinds if c in self.formats else
                pd.api.types.is_numeric_dtype(self.frame[c]) and not pd.api.types.is_bool_dtype(self.frame[c])
                for c in self.headers]

    def display(self) -> pd.DataFrame:
        """Text cells as the report shows them (dd/mm/yyyy, decimal comma in Vietnamese), labelled headers.
        Formatted once: the page and the Word report show the same cells."""
        if self.shown is None:
            shown = {}
            for column, header in self.headers.items():
                # A no-break space keeps "98 %" and "≥ 90 %" on one line in narrow cells.
                text = format_column(self.frame[column], self.formats.get(column), self.lang)
                shown[header] = text.str.replace(" %", "\u00a0%", regex=False)
            self.shown = pd.DataFrame(shown, index=self.frame.index).reset_index(drop=True)
        return self.shown.copy(deep=False)  # copy-on-write: a caller's change never reaches the table


@dataclass
class ReviewChart:
    """A chart: ``data`` has one row per category (its index, shown as labels) and one column per series."""

    key: str
    title: str
    kind: str  # bar, barh, line
    data: pd.DataFrame
    percent: bool = False
    integer: bool = False  # counts: whole-number ticks
    value_label: str = ""
    target: float | None = None  # a reference line, e.g. the objective's target
    target_label: str = ""
    lang: str = "vi"
    number: int = 0
    rendered: dict = field(default_factory=dict, repr=False, compare=False)  # (dpi, titled) -> PNG bytes

    @property
    def caption(self) -> str:
        return label("review.chart_caption", self.lang, number=self.number, title=self.title)


@dataclass
class ReviewSection:
    """One review input: ``key`` (a, b, c1..c7, d, e, f), its clause and title, what the data says."""

    key: str
    clause: str
    title: str
    lang: str = "vi"
    sentences: list[str] = field(default_factory=list)
    tables: list[ReviewTable] = field(default_factory=list)
    charts: list[ReviewChart] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def heading(self) -> str:
        return f"{self.clause} {self.title}"


@dataclass
class ReviewPack:
    """Everything the report says about one unit's year, and what it was computed from."""

    unit_code: str
    unit_name: str
    unit_level: str
    parent_name: str
    year: int
    lang: str
    as_of: date
    sections: list[ReviewSection]
    proposals: pd.DataFrame  # improvement opportunities (f): opportunity, category, source
    inputs: pd.DataFrame  # file, sha256
    parameters: dict
    figures: dict = field(default_factory=dict)  # headline numbers for roll-ups (see ``_figures``)
    version: str = __version__

    def section(self, key: str) -> ReviewSection:
        return next(s for s in self.sections if s.key == key)

    @property
    def title(self) -> str:
        return label("review.report_title", self.lang, year=self.year)

    @property
    def warnings(self) -> list[tuple[str, str]]:
        """(section key, warning) for every warning of the pack."""
        return [(s.key, w) for s in self.sections for w in s.warnings]
