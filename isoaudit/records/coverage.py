"""Nothing lost in silence: the figures a table read from one file cannot give, because a column they need
is absent from its header or holds no readable value in any row.

The rules are ``isoaudit/data/figure_needs.csv``, one row per need: ``kind`` (a record kind of
``isoaudit.schema``), ``columns`` (canonical columns, ``|`` between alternatives: any one of them filled is
enough) and ``figures`` (``;`` between codes, each worded by the message ``coverage.figure.<code>``).
"""
from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import pandas as pd

from isoaudit import schema
from isoaudit.i18n import LANGS, message
from isoaudit.problems import WARNING, Problem
from isoaudit.records.aliases import typical_header

NEEDS_FILE = "figure_needs.csv"


@dataclass(frozen=True)
class Need:
    """Figures that need one of ``columns`` filled."""

    kind: str
    columns: tuple[str, ...]
    figures: tuple[str, ...]
    # An event column (a supplement asked, an apology letter) left empty says the event never happened: only
    # its absence is a gap. A column every dossier fills (receipt, applicant, channel) is a gap empty too.
    empty_is_gap: bool = True


def figure_gaps(frame: pd.DataFrame, labels: dict[str, str], file: str, kind: str = "dossiers",
                sheet: str = "") -> list[Problem]:
    """Warnings, one per need of ``figure_needs(kind)`` that ``frame`` (a table read from ``file``, whose
    header was found) cannot meet: code ``figure_gap_absent`` when none of its columns is in the header
    (``labels``: canonical column -> header text as written), ``figure_gap_empty`` when they are but no row
    holds a value (cells that could not be read count as empty; a table without rows is not judged on this).
    Each message names, in its language, the column and the figures that cannot be computed; the problem's
    column is the header as the file writes it, or as files usually write it when absent (never a code)."""
    problems = []
    for need in figure_needs(kind):
        present = [c for c in need.columns if c in labels]
        figures = {lang: "; ".join(message(f"coverage.figure.{code}", lang) for code in need.figures)
                   for lang in LANGS}
        if not present:
            columns = {lang: " / ".join(message(f"coverage.column.{name}", lang) for name in need.columns)
                       for lang in LANGS}
            usual = " / ".join(typical_header(kind, name) for name in need.columns)
            problems.append(Problem("figure_gap_absent", file=file, sheet=sheet, column=usual,
                                    severity=WARNING, params={"column_vi": columns["vi"], "column_en": columns["en"],
                                                              "figures_vi": figures["vi"], "figures_en": figures["en"]}))
        elif need.empty_is_gap and len(frame) and not any(frame[c].notna().any() for c in present if c in frame):
            problems.append(Problem("figure_gap_empty", file=file, sheet=sheet,
                                    column=" / ".join(labels[c] for c in present), severity=WARNING,
                                    params={"figures_vi": figures["vi"], "figures_en": figures["en"]}))
    return problems


def figure_needs(kind: str | None = None) -> tuple[Need, ...]:
    """The needs of ``kind`` (every kind's when None), in file order."""
    return tuple(need for need in _needs() if kind is None or need.kind == kind)


@lru_cache(maxsize=1)
def _needs() -> tuple[Need, ...]:
    text = resources.files("isoaudit.data").joinpath(NEEDS_FILE).read_text(encoding="utf-8")
    needs = []
    for number, row in enumerate(csv.DictReader(text.splitlines()), start=2):
        kind = (row.get("kind") or "").strip()
        columns = tuple(c.strip() for c in (row.get("columns") or "").split("|") if c.strip())
        figures = tuple(f.strip() for f in (row.get("figures") or "").split(";") if f.strip())
        known = {c.name for c in schema.KINDS.get(kind, ())}
        if not columns or not figures or not set(columns) <= known:
            raise ValueError(f"{NEEDS_FILE} line {number}: needs a kind of isoaudit.schema, its columns and "
                             f"figures (got {kind!r}, {columns}, {figures})")
        empty_is_gap = (row.get("when_empty") or "gap").strip() != "no_event"
        needs.append(Need(kind, columns, figures, empty_is_gap))
    return tuple(needs)
