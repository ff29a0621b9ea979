"""``isoaudit inspect FILE``: what isoaudit makes of one spreadsheet, before anything else is run on it. Exit
code 0 when the file can be used, 1 when it cannot (not a spreadsheet, no header, a required column missing),
2 for a usage error (argparse's, a file or sheet that does not exist)."""
from __future__ import annotations

import datetime as dt

import pandas as pd

from isoaudit import schema
from isoaudit.cli import add_command
from isoaudit.cli.terminal import terminal_safe
from isoaudit.cli.textable import render_table
from isoaudit.i18n import DEFAULT_LANG, has_label, label
from isoaudit.records.inspect import UNKNOWN, Inspection, inspect_file
from isoaudit.records.vocabulary import known_words
from isoaudit.safety import user_path

PROBLEMS_SHOWN = 20  # lines of reading problems; `isoaudit validate` lists them all
SAMPLE_WIDTH = 30  # characters of one sample value
TABLE_COLUMNS = ("letter", "header", "read_as", "samples")


def register(subparsers, lang: str = DEFAULT_LANG):
    parser = add_command(subparsers, "inspect", lang)
    parser.add_argument("file", type=user_path, metavar=label("cli.metavar.file", lang),
                        help=label("cli.inspect.file", lang))
    parser.add_argument("--kind", choices=list(schema.KINDS), help=label("cli.inspect.kind", lang))
    parser.add_argument("--sheet", metavar=label("cli.metavar.sheet", lang), help=label("cli.inspect.sheet", lang))
    parser.add_argument("--aliases", type=user_path, metavar=label("cli.metavar.csv", lang),
                        help=label("cli.inspect.aliases", lang))
    parser.set_defaults(func=run)
    return parser


def run(args) -> int:
    lang = args.lang
    found = inspect_file(args.file, args.kind, args.sheet, args.aliases)
    for line in report_lines(found, lang):
        print(terminal_safe(line))
    return 0 if found.usable else 1


def report_lines(found: Inspection, lang: str) -> list[str]:
    """The report of ``found`` in ``lang``, line by line."""
    fmt = label(f"inspect.format.{found.format}", lang) if has_label(f"inspect.format.{found.format}") \
        else found.format
    lines = [label("inspect.title", lang), label("inspect.file", lang, file=found.file, format=fmt)]
    if found.error is not None and not found.candidates:  # the file could not be opened
        return lines + [found.error.message(lang), "", label("inspect.unusable", lang)]
    lines.append(label("inspect.sheet", lang, sheet=found.sheet) if found.sheet else label("inspect.no_sheet", lang))
    if found.alias_file:
        lines.append(label("inspect.aliases", lang, file=found.alias_file))
    lines.append(_kind_line(found, lang))
    if found.error is not None:
        return lines + ["", found.error.message(lang), "", label("inspect.unusable", lang)]
    if found.title_lines:
        lines += ["", label("inspect.titles_heading", lang), *(f"  {text}" for text in found.title_lines)]
    lines += ["", label("inspect.header_heading", lang),
              *(f"  {label('inspect.header_row', lang, row=row, text=text)}" for row, text in found.header_rows)]
    lines += ["", label("inspect.columns_heading", lang), *_columns_table(found, lang).split("\n")]
    if any(column.ignored == UNKNOWN for column in found.columns):
        lines.append(label("inspect.unknown_hint", lang))
    lines += ["", label("inspect.rows", lang, rows=found.rows)]
    lines += ["", label("inspect.missing_heading", lang)]
    missing = [label("inspect.missing_required", lang, column=column) for column in found.missing_required]
    missing += [gap.message(lang) for gap in found.gaps]
    lines += [f"  - {text}" for text in missing] or [f"  {label('inspect.nothing_missing', lang)}"]
    lines += ["", *_problem_lines(found, lang), "",
              label("inspect.usable" if found.usable else "inspect.unusable", lang)]
    return lines


def _kind_line(found: Inspection, lang: str) -> str:
    if found.kind is None:
        return label("inspect.kind_none", lang)
    scores = dict(found.candidates)
    words = label(f"inspect.kind.{found.kind}", lang)
    if found.forced:
        return label("inspect.kind_forced", lang, kind_words=words, kind=found.kind, columns=scores.get(found.kind, 0))
    runner_up = next(((kind, count) for kind, count in found.candidates if kind != found.kind and count), None)
    others = label("inspect.kind_others", lang, kind=runner_up[0], columns=runner_up[1]) if runner_up else ""
    return label("inspect.kind_guessed", lang, kind_words=words, kind=found.kind, columns=scores[found.kind],
                 others=others)


def _columns_table(found: Inspection, lang: str) -> str:
    rows = []
    controlled = schema.CONTROLLED.get(found.kind or "", {})
    for column in found.columns:
        words = {}
        if column.canonical is not None:
            read_as = column.canonical
            if column.canonical in controlled:  # read as a code: shown as the user's word for it
                words = _vocabulary_words(controlled[column.canonical], lang)
        else:
            why = label(f"inspect.ignored.{column.ignored}", lang, instead=terminal_safe(column.instead))
            read_as = label("inspect.read_as_ignored", lang, why=why)
        samples = "; ".join(_shown(words.get(value, value) if isinstance(value, str) else value, lang)
                            for value in column.samples)
        rows.append({"letter": column.letter, "header": terminal_safe(column.header), "read_as": read_as,
                     "samples": samples})
    frame = pd.DataFrame(rows, columns=list(TABLE_COLUMNS))
    headers = {key: label(f"inspect.col.{key}", lang) for key in TABLE_COLUMNS}
    return render_table(frame, headers, max_width=60)


def _vocabulary_words(vocabulary: str, lang: str) -> dict[str, str]:
    """Code -> word in ``lang`` of a controlled vocabulary, as labelled ``vocabulary.<vocabulary>.<code>``."""
    return {code: label(f"vocabulary.{vocabulary}.{code}", lang) for code in known_words(vocabulary)}


def _problem_lines(found: Inspection, lang: str) -> list[str]:
    if not found.problems:
        return [label("inspect.no_problems", lang)]
    lines = [label("inspect.problems_heading", lang, count=len(found.problems))]
    for problem in found.problems[:PROBLEMS_SHOWN]:
        where = label("inspect.where_row", lang, row=problem.row) if problem.row is not None \
            else label("inspect.where_file", lang)
        if problem.column:
            where = f"{where}, {problem.column}"
        lines.append("  " + label("inspect.problem_line", lang, severity=label(f"severity.{problem.severity}", lang),
                                  where=where, message=problem.message(lang)))
    if len(found.problems) > PROBLEMS_SHOWN:
        lines.append("  " + label("inspect.more_problems", lang, count=len(found.problems) - PROBLEMS_SHOWN))
    return lines


def _shown(value, lang: str) -> str:
    """A sample value as the auditor reads it: dates dd/mm/yyyy HH:MM, numbers in the language's way."""
    if isinstance(value, (pd.Timestamp, dt.datetime)):
        text = value.strftime("%d/%m/%Y %H:%M")
    elif isinstance(value, dt.date):
        text = value.strftime("%d/%m/%Y")
    elif isinstance(value, dt.time):
        text = value.strftime("%H:%M")
    elif isinstance(value, bool):
        text = label("inspect.yes" if value else "inspect.no", lang)
    elif isinstance(value, float):
        text = str(int(value)) if value.is_integer() else f"{value:.6g}"
        text = text.replace(".", ",") if lang == "vi" else text
    else:
        text = " ".join(str(value).split())
    text = terminal_safe(text)
    return text if len(text) <= SAMPLE_WIDTH else text[:SAMPLE_WIDTH - 1] + "…"
