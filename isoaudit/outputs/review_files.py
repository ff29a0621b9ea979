"""What a management review leaves on disk besides its page: the Word report, the chair's decisions workbook
and the review's facts (``<report>.json``: what the page footer and a district roll-up need).

The review notebook calls ``save_review`` in its last cell, so the report is written from the pack the
notebook has just shown, with the charts it has already drawn; ``isoaudit review`` and the batch read the
facts back with ``read_review_facts`` instead of assembling the pack a second time.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path

import pandas as pd

from isoaudit.dates import parse_date
from isoaudit.outputs.review_docx import write_review_docx
from isoaudit.outputs.review_html import page_title
from isoaudit.safety import atomic_write
from isoaudit.workbooks.decisions_workbook import (
    decisions_path,
    write_decisions_template,
)


@dataclass
class ReviewFacts:
    """A written review in plain values: the unit, the page title, the footer's inputs and parameters, the
    headline figures, the warnings (clause, text) and where the chair's decisions are recorded."""

    unit_code: str
    unit_name: str
    year: int
    lang: str
    page_title: str
    parameters: dict
    inputs: list[dict]  # {"file", "sha256"}
    version: str
    figures: dict = field(default_factory=dict)
    warnings: list[list[str]] = field(default_factory=list)  # [clause, text]
    decisions: str | None = None  # the decisions file named in the report (None: not asked for)
    decisions_written: str | None = None  # the workbook left for the chair this time, if any

    @property
    def inputs_frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.inputs, columns=["file", "sha256"])


def save_review(pack, records, word_report=None, decisions_dir=None, report_date=None) -> dict[str, Path]:
    """Write what was asked for and return it by kind: the decisions workbook in ``decisions_dir`` (left for
    the chair unless one exists or this review's decisions are already recorded), the Word report at
    ``word_report`` (``report_date``: a date or "dd/mm/yyyy", default today) and the facts beside it."""
    written: dict[str, Path] = {}
    decisions = decisions_written = None
    if decisions_dir:
        decisions, path = leave_decisions_file(records, pack, decisions_dir, pack.lang)
        if path is not None:
            written["decisions"] = decisions_written = path
    if word_report:
        word_report = Path(word_report)
        written["review_docx"] = write_review_docx(pack, word_report, _day(report_date), decisions)
        facts = ReviewFacts(
            unit_code=pack.unit_code, unit_name=pack.unit_name, year=pack.year, lang=pack.lang,
            page_title=page_title(pack),
            parameters=dict(pack.parameters), inputs=pack.inputs[["file", "sha256"]].to_dict("records"),
            version=pack.version, figures=dict(pack.figures),
            warnings=[[pack.section(key).clause, text] for key, text in pack.warnings],
            decisions=decisions, decisions_written=str(decisions_written) if decisions_written else None)
        written["review_facts"] = facts_path(word_report)
        with atomic_write(written["review_facts"], "w") as handle:
            json.dump(asdict(facts), handle, ensure_ascii=False, indent=1, default=str)
    return written


def facts_path(word_report) -> Path:
    return Path(word_report).with_suffix(".json")


def read_review_facts(word_report) -> ReviewFacts:
    """The facts ``save_review`` wrote beside ``word_report``."""
    data = json.loads(facts_path(word_report).read_text(encoding="utf-8"))
    return ReviewFacts(**data)


def leave_decisions_file(records, pack, folder, lang: str) -> tuple[str, Path | None]:
    """Leave the chair's decisions workbook in ``folder`` unless one exists, or this review's decisions are
    already recorded under another name (never replaced). Returns (what the report names, path written)."""
    path = decisions_path(folder, pack.unit_code, pack.year)
    recorded = records.decisions[(records.decisions["unit_code"] == pack.unit_code).fillna(False)
                                 & (records.decisions["year"] == pack.year).fillna(False)]
    if len(recorded) and not path.exists():
        return ", ".join(sorted(set(recorded["source_file"].astype(str)))), None
    written = write_decisions_template(path, pack.unit_code, pack.unit_name, pack.year, pack.proposals, lang)
    return path.name, path if written else None


def _day(value) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return parse_date(str(value), "report_date")
