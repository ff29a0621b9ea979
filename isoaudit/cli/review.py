"""``isoaudit review FOLDER --unit CODE --year YYYY --out DIR``: the management review pack of one unit.

Writes into DIR a web page (the notebook executed by papermill, exported without code), a Word report in the
layout of an administrative report, and the executed notebook; leaves the decisions workbook for the chair
in ``FOLDER/reviews/`` unless one exists already (it is never replaced).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from isoaudit.batch.unit_reports import REVIEW_NOTEBOOK, review_reports
from isoaudit.cli import add_command, whole_number
from isoaudit.dates import parse_date
from isoaudit.errors import IsoauditError, RecordsError
from isoaudit.i18n import DEFAULT_LANG, label, message
from isoaudit.measures import refuse_future_year
from isoaudit.records import load_records
from isoaudit.records.units import known_unit_code, unit_choices
from isoaudit.safety import user_path


def register(subparsers, lang: str = DEFAULT_LANG):
    parser = add_command(subparsers, "review", lang)
    day, code = label("cli.metavar.date", lang), label("cli.metavar.code", lang)
    parser.add_argument("folder", type=user_path, metavar=label("cli.metavar.records_folder", lang),
                        help=label("cli.arg.records_folder", lang))
    parser.add_argument("--unit", required=True, metavar=code, help=label("cli.review.unit", lang))
    parser.add_argument("--year", required=True, type=whole_number(lang), metavar=label("cli.metavar.year", lang),
                        help=label("cli.review.year", lang))
    parser.add_argument("--out", required=True, type=user_path, metavar=label("cli.metavar.folder", lang),
                        help=label("cli.review.out", lang))
    parser.add_argument("--as-of", dest="as_of", metavar=day, help=label("cli.review.as_of", lang))
    parser.add_argument("--report-date", dest="report_date", metavar=day, help=label("cli.review.report_date", lang))
    parser.add_argument("--no-decisions-file", dest="decisions_file", action="store_false",
                        help=label("cli.review.no_decisions_file", lang))
    # For developers: another notebook rendering the same pack.
    parser.add_argument("--notebook", type=user_path, metavar=label("cli.metavar.notebook", lang),
                        help=argparse.SUPPRESS)
    parser.set_defaults(func=run)
    return parser


def run(args) -> int:
    lang = args.lang
    as_of = parse_date(args.as_of, "--as-of")
    report_date = parse_date(args.report_date, "--report-date")
    notebook = Path(args.notebook) if args.notebook else REVIEW_NOTEBOOK
    if not notebook.is_file():
        raise IsoauditError("review.notebook_missing", path=str(notebook))
    refuse_future_year(args.year)
    # Read here first: a wrong folder or unit code gets its own clear message, before any kernel starts.
    records = load_records(args.folder, lang=lang)
    unit = known_unit_code(records, args.unit)
    if unit not in set(records.units["unit_code"]):
        raise RecordsError("review.unknown_unit", unit=unit, units=unit_choices(records, records.units["unit_code"]))
    folder = Path(records.folder).resolve()
    reports = review_reports(unit, args.year, args.out, lang=lang, records_param=str(folder), as_of=as_of,
                             report_date=report_date, decisions_folder=folder if args.decisions_file else None,
                             notebook=notebook)
    if not reports.ok:
        print(message("review.notebook_failed", lang, error=reports.error,
                      notebook=str(reports.files["review_notebook"])), file=sys.stderr)
        return 1
    facts = reports.facts
    if "decisions" in reports.files:
        print(label("review.cli.decisions_written", lang, path=str(reports.files["decisions"])))
    elif args.decisions_file:
        print(label("review.cli.decisions_kept", lang, path=facts.decisions))
    for kind in ("review_docx", "review_html"):
        print(label("review.cli.written", lang, path=str(reports.files[kind])))
    if facts.warnings:
        print(label("review.cli.warnings", lang, count=len(facts.warnings)))
        for clause, warning in facts.warnings:
            print(f"  [{clause}] {warning}")
    return 0
