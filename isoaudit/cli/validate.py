"""``isoaudit validate FOLDER``: read a records folder and list every problem, grouped by file."""
from __future__ import annotations

from isoaudit.cli import add_command
from isoaudit.cli.textable import render_table
from isoaudit.i18n import DEFAULT_LANG, label
from isoaudit.problems import ERROR, WARNING
from isoaudit.records import load_records
from isoaudit.safety import user_path


def register(subparsers, lang: str = DEFAULT_LANG):
    parser = add_command(subparsers, "validate", lang)
    parser.add_argument("folder", type=user_path, metavar=label("cli.metavar.records_folder", lang),
                        help=label("cli.arg.records_folder", lang))
    parser.add_argument("--strict", action="store_true", help=label("cli.validate.strict", lang))
    parser.set_defaults(func=run)
    return parser


def run(args) -> int:
    lang = args.lang
    records = load_records(args.folder, lang=lang)
    table = records.problems_table(lang)
    print(label("validate.summary", lang, files=len(records.files), units=len(records.units),
                procedures=len(records.procedures), dossiers=len(records.dossiers),
                objectives=len(records.objectives)))
    if table.empty:
        print(label("validate.ok", lang))
        return 0
    for file, group in table.groupby("file", sort=True):
        print()
        print(label("validate.file_heading", lang, file=file))
        shown = group.assign(severity=group["severity"].map(lambda s: label(f"severity.{s}", lang)))
        headers = {k: label(f"records.{k}", lang) for k in ("row", "column", "message")}
        headers["severity"] = ""
        print(render_table(shown[["severity", "row", "column", "message"]], headers, max_width=100,
                           wrap=("message",)))
    errors = int((table["severity"] == ERROR).sum())
    warnings = int((table["severity"] == WARNING).sum())
    print()
    print(label("validate.counts", lang, errors=errors, warnings=warnings, excluded=len(records.excluded_dossiers)))
    return 1 if errors or (args.strict and warnings) else 0
