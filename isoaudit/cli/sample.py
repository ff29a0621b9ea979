"""``isoaudit sample FOLDER ...``: draw a statistical sample of dossiers into a worksheet to fill in Excel;
``isoaudit sample-evaluate FILLED.xlsx``: check the filled worksheet, evaluate each check, raise findings."""
from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path

import pandas as pd

from isoaudit.analytics.run import MODULES, flagged_dossiers, run_analytics
from isoaudit.calendar import records_calendar
from isoaudit.cli import add_command, whole_number
from isoaudit.cli.textable import render_table
from isoaudit.dates import parse_date
from isoaudit.errors import IsoauditError
from isoaudit.i18n import DEFAULT_LANG, format_percent, label
from isoaudit.measures import UnitYear
from isoaudit.problems import ERROR, WARNING
from isoaudit.records import load_records
from isoaudit.records.units import known_unit_code, unit_choices
from isoaudit.safety import user_path
from isoaudit.sampling.evaluation import evaluate_sample, worksheet_checks
from isoaudit.sampling.selection import (
    KEY_ITEM_CHOICES,
    STRATIFY_COLUMNS,
    SamplePlan,
    build_frame,
    new_seed,
    select_sample,
)
from isoaudit.sampling.sizes import rate_text
from isoaudit.timeliness import assess
from isoaudit.workbooks.sample_worksheet import (
    refuse_existing,
    write_sample_findings,
    write_sample_workbook,
)
from isoaudit.workbooks.sample_worksheet_read import load_filled_sample

_SHOWN = ["clause", "check", "n", "deviations", "upper_limit", "outcome", "key", "grade"]


def register(subparsers, lang: str = DEFAULT_LANG):
    """``sample`` and ``sample-evaluate``; returns the parser of ``sample``."""
    parser = add_command(subparsers, "sample", lang)
    day, xlsx = label("cli.metavar.date", lang), label("cli.metavar.xlsx", lang)
    rate, rate_type = label("cli.metavar.rate", lang), _rate_type(lang)
    parser.add_argument("folder", type=user_path, metavar=label("cli.metavar.records_folder", lang),
                        help=label("cli.arg.records_folder", lang))
    parser.add_argument("--unit", required=True, metavar=label("cli.metavar.code", lang),
                        help=label("cli.sample.unit", lang))
    parser.add_argument("--confidence", type=rate_type, default=0.95, metavar=rate,
                        help=label("cli.sample.confidence", lang))
    parser.add_argument("--tolerable", type=rate_type, default=0.05, metavar=rate,
                        help=label("cli.sample.tolerable", lang))
    parser.add_argument("--expected", type=rate_type, default=0.0, metavar=rate,
                        help=label("cli.sample.expected", lang))
    parser.add_argument("--seed", type=whole_number(lang), metavar=label("cli.metavar.number", lang),
                        help=label("cli.sample.seed", lang))
    parser.add_argument("--from", dest="start", metavar=day, help=label("cli.sample.from", lang))
    parser.add_argument("--to", dest="end", metavar=day, help=label("cli.arg.to", lang))
    parser.add_argument("--as-of", dest="as_of", metavar=day, help=label("cli.sample.as_of", lang))
    parser.add_argument("--stratify", choices=[*STRATIFY_COLUMNS, "none"], default="none",
                        help=label("cli.sample.stratify", lang))
    parser.add_argument("--key-items", dest="key_items", choices=[*KEY_ITEM_CHOICES, "none"], default="none",
                        help=label("cli.sample.key_items", lang))
    parser.add_argument("--out", required=True, type=user_path, metavar=xlsx, help=label("cli.sample.out", lang))
    parser.add_argument("--force", action="store_true", help=label("cli.sample.force", lang))
    parser.set_defaults(func=run)

    evaluate = add_command(subparsers, "sample-evaluate", lang)
    evaluate.add_argument("filled", type=user_path, metavar=label("cli.metavar.worksheet", lang),
                          help=label("cli.sample-evaluate.filled", lang))
    evaluate.add_argument("--out", type=user_path, metavar=xlsx, help=label("cli.sample-evaluate.out", lang))
    evaluate.add_argument("--audit-id", dest="audit_id", metavar=label("cli.metavar.code", lang),
                          help=label("cli.sample-evaluate.audit_id", lang))
    evaluate.add_argument("--force", action="store_true", help=label("cli.sample-evaluate.force", lang))
    evaluate.set_defaults(func=run_evaluate)
    return parser


def run(args) -> int:
    """Draw the sample and write the worksheet."""
    lang, out = args.lang, Path(args.out)
    _check_xlsx(out)
    refuse_existing(out, args.force)  # before reading the records: no work lost to a refusal at the end
    start, end = parse_date(args.start, "--from"), parse_date(args.end, "--to")
    as_of = parse_date(args.as_of, "--as-of") or date.today()
    records = load_records(args.folder, lang=lang)
    unit = known_unit_code(records, args.unit)  # "8029" as typed is the registry's "08029"
    units = set(records.dossiers["unit_code"].dropna())
    if unit not in units:
        raise IsoauditError("sampling.unknown_unit", unit=unit, units=unit_choices(records, units))
    calendar = records_calendar(records)
    dossiers = records.dossiers[(records.dossiers["unit_code"] == unit).fillna(False).to_numpy(bool)]
    if start is None and end is None and dossiers["received_at"].notna().any():
        # An audit looks at one year: by default the latest year the unit received dossiers.
        year = int(dossiers["received_at"].dt.year.max())
        start, end = date(year, 1, 1), date(year, 12, 31)
    assessed = assess(dossiers.reset_index(drop=True), records.procedures, calendar, as_of=as_of)
    # The log analytics run first: the population's completeness is said before any sample is drawn, and
    # the dossiers they flag can be the key items, each with why.
    year_checked = (start or end or date.today()).year
    results = run_analytics(UnitYear(records, unit, year_checked, as_of=as_of, calendar=calendar))
    for line in analytics_lines(results, lang, key_items_flagged=args.key_items == "flagged"):
        print(line)
    assessed = with_flag_reasons(assessed, flagged_dossiers(results, lang), lang)
    names = records.units.loc[records.units["unit_code"] == unit, "unit_name"].dropna()
    frame, description = build_frame(assessed, unit, start, end, unit_name=names.iloc[0] if len(names) else "",
                                     procedures=records.procedures)
    plan = SamplePlan(args.confidence, args.tolerable, args.expected,
                      args.seed if args.seed is not None else new_seed(),
                      None if args.stratify == "none" else args.stratify,
                      None if args.key_items == "none" else args.key_items)
    sample = select_sample(frame, description, plan)
    write_sample_workbook(out, sample, worksheet_checks(sample), force=args.force, lang=lang)
    print(label("sampling.cli.written", lang, path=str(out), size=len(sample.statistical),
                population=sample.population, key_count=len(sample.key_items), seed=plan.seed))
    problems = records.problems
    errors = sum(p.severity == ERROR for p in problems)
    warnings = sum(p.severity == WARNING for p in problems)
    if errors or warnings:
        print(label("sampling.cli.records_problems", lang, errors=errors, warnings=warnings,
                    excluded=len(records.excluded_dossiers), folder=args.folder))
    return 0


def run_evaluate(args) -> int:
    """Check the filled worksheet (refused with every problem named), evaluate it, print and write."""
    lang = args.lang
    if args.out:
        _check_xlsx(Path(args.out))
        refuse_existing(Path(args.out), args.force)
    filled = load_filled_sample(args.filled)
    parameters = filled.parameters
    evaluation = evaluate_sample(filled.answers, parameters, lang, audit_id=args.audit_id)
    print(label("sampling.cli.evaluated", lang, file=filled.path.name, unit=parameters["unit_code"],
                confidence=rate_text(parameters["confidence"], lang),
                tolerable=rate_text(parameters["tolerable_rate"], lang), seed=parameters["seed"]))
    print()
    print(render_table(_shown(evaluation.results, lang),
                       {c: label(f"sampling.result.{c}", lang) for c in _SHOWN if c != "key"}
                       | {"key": label("sampling.result.key_deviations", lang)}, max_width=60))
    print()
    for number, row in enumerate(evaluation.results.itertuples(), start=1):
        print(f"{number}. [{row.clause}] {row.check}: {row.conclusion}")
    print()
    count = len(evaluation.findings)
    print(label("sampling.cli.findings_count", lang, count=count) if count else label("sampling.cli.no_findings", lang))
    if args.out:
        write_sample_findings(args.out, evaluation, force=args.force, lang=lang)
        print(label("sampling.cli.findings_written", lang, count=count, path=args.out))
    return 0


def _shown(results: pd.DataFrame, lang: str) -> pd.DataFrame:
    """The evaluation table for the terminal: rates as percentages, codes as words."""
    return pd.DataFrame({
        "clause": results["clause"],
        "check": results["check"],
        "n": results["n"],
        "deviations": results["deviations"],
        "upper_limit": results["upper_limit"].map(lambda r: format_percent(r, lang, digits=2)),
        "outcome": results["outcome"].map(lambda o: label(f"sampling.outcome.{o}", lang)),
        "key": [f"{k}/{n}" if n else "" for k, n in zip(results["key_deviations"], results["key_n"])],
        "grade": results["grade"].map(lambda g: label(f"sampling.grade.{g}", lang), na_action="ignore"),
    })


def _rate_type(lang: str):
    """The type of a rate option: a rate typed as 0.05, 0,05 or 5%, as a fraction 0..1 (range checked by
    isoaudit.sampling.sizes); anything else refused with a message in ``lang``."""
    def rate(text: str) -> float:
        cleaned = text.strip().replace(",", ".")
        try:
            return float(cleaned[:-1]) / 100 if cleaned.endswith("%") else float(cleaned)
        except ValueError:
            raise argparse.ArgumentTypeError(label("cli.sample.bad_rate", lang, text=text)) from None
    return rate


def _check_xlsx(path: Path) -> None:
    if path.suffix.lower() != ".xlsx":
        raise IsoauditError("sampling.bad_output", path=str(path))


def analytics_lines(results, lang: str, key_items_flagged: bool = False) -> list[str]:
    """One line per analytics test: what it found in few words (the population check first), with the dossiers
    it flagged counted once each, and the hint of ``--key-items flagged`` only to a user who did not give it."""
    lines = []
    for result in results:
        title = label(f"analytics.{result.test}.title", lang)
        count = int(result.flagged["dossier_id"].nunique()) if result.available else 0
        if not result.available:
            key = "sampling.cli.analytics_missing"
        elif not count:
            key = "sampling.cli.analytics_quiet"
        else:
            key = "sampling.cli.analytics_checked" if key_items_flagged else "sampling.cli.analytics_found"
        lines.append(label(key, lang, test=title, count=count))
    return lines


def with_flag_reasons(assessed: pd.DataFrame, flagged: pd.DataFrame, lang: str) -> pd.DataFrame:
    """``assessed`` with ``key_reason``: why the log analytics flagged each dossier (all reasons, "; "), <NA>
    for the others."""
    if flagged.empty:
        return assessed.assign(key_reason=pd.Series(pd.NA, index=assessed.index, dtype="string"))
    words = [label(MODULES[test].REASON_KEYS[reason], lang, **(detail or {}))
             for test, reason, detail in zip(flagged["test"], flagged["reason"], flagged["detail"])]
    reasons = pd.Series(words, index=flagged.index).groupby(flagged["dossier_id"]).agg("; ".join)
    return assessed.assign(key_reason=assessed["dossier_id"].map(reasons).astype("string"))
