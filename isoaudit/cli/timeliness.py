"""``isoaudit timeliness FOLDER``: how many dossiers were returned early, on time or late, by unit (or by
procedure for one unit), the dossiers most days late, and optionally the whole assessment as a workbook."""
from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pandas as pd

from isoaudit.calendar import records_calendar
from isoaudit.cli import add_command
from isoaudit.cli.textable import render_table
from isoaudit.dates import parse_date
from isoaudit.errors import IsoauditError
from isoaudit.i18n import DEFAULT_LANG, format_date, format_percent, label
from isoaudit.measures import default_as_of, judge_as_of, latest_year
from isoaudit.one_stop_rules import rule_set_counts
from isoaudit.outputs.timeliness_workbook import shown_values, write_timeliness_workbook
from isoaudit.problems import ERROR, WARNING
from isoaudit.records import load_records
from isoaudit.records.calendar_file import find_calendar_file
from isoaudit.records.units import known_unit_code, unit_choices
from isoaudit.safety import user_path
from isoaudit.timeliness_summary import late_list, summarise, timeliness_tables

LATE_SHOWN = 10  # dossiers listed on screen; the workbook has them all
_TABLE_COLUMNS = ["dossiers", "early", "on_time", "late", "in_progress", "overdue", "on_time_rate",
                  "late_without_apology"]


def register(subparsers, lang: str = DEFAULT_LANG):
    parser = add_command(subparsers, "timeliness", lang)
    day, code = label("cli.metavar.date", lang), label("cli.metavar.code", lang)
    parser.add_argument("folder", type=user_path, metavar=label("cli.metavar.records_folder", lang),
                        help=label("cli.arg.records_folder", lang))
    parser.add_argument("--unit", metavar=code, help=label("cli.timeliness.unit", lang))
    parser.add_argument("--from", dest="start", metavar=day, help=label("cli.timeliness.from", lang))
    parser.add_argument("--to", dest="end", metavar=day, help=label("cli.arg.to", lang))
    parser.add_argument("--as-of", dest="as_of", metavar=day, help=label("cli.timeliness.as_of", lang))
    parser.add_argument("--out", type=user_path, metavar=label("cli.metavar.xlsx", lang),
                        help=label("cli.timeliness.out", lang))
    parser.set_defaults(func=run)
    return parser


def run(args) -> int:
    lang = args.lang
    start, end = parse_date(args.start, "--from"), parse_date(args.end, "--to")
    as_of = parse_date(args.as_of, "--as-of")
    if start and end and start > end:
        raise IsoauditError("timeliness.bad_period", start=format_date(start), end=format_date(end))
    if args.out and Path(args.out).suffix.lower() != ".xlsx":
        raise IsoauditError("timeliness.bad_output", path=args.out)

    records = load_records(args.folder, lang=lang)
    if args.unit is not None:  # "8029" as typed is the registry's "08029"
        args.unit = known_unit_code(records, args.unit)
    calendar, decisions = records_calendar(records), records.calendar_days
    default_period = start is None and end is None
    if default_period:
        # The year the batch, the reviews and the district page report on, judged on the same day: the same
        # figures as theirs. --from/--to choose another period.
        year = latest_year(_in_scope(records, args.unit, None, None))
        start, end = date(year, 1, 1), date(year, 12, 31)
        as_of = as_of or default_as_of(year).date()
    as_of = as_of or date.today()
    dossiers = _in_scope(records, args.unit, start, end)
    assessed = judge_as_of(dossiers, records.procedures, calendar, as_of)

    titles = _title_lines(records, args.unit, start, end, as_of, lang)
    if default_period:
        titles[1] = label("timeliness.period_default", lang, year=start.year, start=format_date(start),
                          end=format_date(end))
    for line in [label("timeliness.title", lang), *titles, _calendar_line(records, decisions, lang)]:
        print(line)
    _print_problems(records, args.folder, lang)
    print()
    if assessed.empty:
        print(label("timeliness.no_dossiers", lang))
    else:
        _print_summary(assessed, by_procedure=bool(args.unit), lang=lang)
    if args.out:
        write_timeliness_workbook(args.out, timeliness_tables(assessed), lang, titles)
        print()
        print(label("timeliness.written", lang, path=args.out))
    return 0


def _in_scope(records, unit: str | None, start: date | None, end: date | None) -> pd.DataFrame:
    """The dossiers of ``unit`` (all when None) received between ``start`` and ``end`` (inclusive), with
    the unit's name beside its code."""
    dossiers = records.dossiers
    if unit is not None:
        unit = unit.strip()
        known = set(records.units["unit_code"].dropna()) | set(dossiers["unit_code"].dropna())
        if unit not in known:
            raise IsoauditError("timeliness.unknown_unit", unit=unit,
                                units=unit_choices(records, set(dossiers["unit_code"].dropna())))
        dossiers = dossiers[(dossiers["unit_code"] == unit).fillna(False).to_numpy(bool)]
    received = dossiers["received_at"].dt.normalize()
    keep = pd.Series(True, index=dossiers.index)
    if start is not None:
        keep &= (received >= pd.Timestamp(start)).fillna(False)
    if end is not None:
        keep &= (received <= pd.Timestamp(end)).fillna(False)
    dossiers = dossiers[keep.to_numpy(bool)]
    names = records.units.drop_duplicates("unit_code").set_index("unit_code")["unit_name"]
    return dossiers.assign(unit_name=dossiers["unit_code"].map(names)).reset_index(drop=True)


def _title_lines(records, unit, start, end, as_of, lang) -> list[str]:
    if unit is None:
        scope = label("timeliness.scope_all", lang)
    else:
        names = records.units.loc[records.units["unit_code"] == unit, "unit_name"]
        scope = label("timeliness.scope_unit", lang, unit=f"{names.iloc[0]} ({unit})" if len(names) else unit)
    period = label("timeliness.period", lang, start=format_date(start) or "...", end=format_date(end) or "...")
    return [scope, period, label("timeliness.as_of", lang, date=format_date(as_of))]


def _calendar_line(records, decisions: pd.DataFrame, lang: str) -> str:
    path = find_calendar_file(records.folder)
    extra = label("timeliness.calendar_extra", lang, decisions=len(decisions), file=path.name) if len(decisions) else ""
    line = label("timeliness.calendar_used", lang, extra=extra)
    if "saturday_reception" in records.units:
        saturday = records.units.loc[records.units["saturday_reception"].astype("boolean").fillna(False)
                                     .to_numpy(bool), "unit_name"].dropna()
        if len(saturday):
            line += " " + label("timeliness.saturday_units", lang, units=", ".join(saturday))
    return line


def _print_problems(records, folder, lang: str) -> None:
    """How many problems the records have; `isoaudit validate` lists them."""
    errors = sum(p.severity == ERROR for p in records.problems)
    warnings = sum(p.severity == WARNING for p in records.problems)
    if errors or warnings:
        print(label("timeliness.records_problems", lang, errors=errors, warnings=warnings,
                    excluded=len(records.excluded_dossiers), folder=folder))


def _print_summary(assessed: pd.DataFrame, by_procedure: bool, lang: str) -> None:
    overall = summarise(assessed).iloc[0]
    print(label("timeliness.overall", lang, **{k: int(overall[k]) for k in
                                                ("dossiers", "early", "on_time", "late", "in_progress", "overdue",
                                                 "unassessable")}))
    print(label("timeliness.rate_line", lang, rate=format_percent(overall["on_time_rate"], lang)))
    rule_sets = _rule_sets_line(assessed, lang)
    if rule_sets:
        print(rule_sets)
    print(label("timeliness.flags_line", lang, late_without_apology=int(overall["late_without_apology"]),
                appointment_beyond_legal=int(overall["appointment_beyond_legal"])))
    by = "procedure" if by_procedure else "unit"
    table = summarise(assessed, by)
    keys = ["procedure_code", "procedure_name"] if by_procedure else ["unit_code", "unit_name"]
    table = table[[c for c in keys if c in table] + _TABLE_COLUMNS]
    table = table.assign(on_time_rate=table["on_time_rate"].map(lambda rate: format_percent(rate, lang)))
    print()
    print(label(f"timeliness.by_{by}_heading", lang))
    print(render_table(table, _headers(table, lang), max_width=50))
    late = late_list(assessed)
    if len(late):
        shown = late.sort_values("days_late", ascending=False, kind="stable").head(LATE_SHOWN)
        shown = shown_values(shown[[c for c in ("dossier_id", "unit_name", "procedure_code", "legal_due_date",
                                                "returned_date", "status", "days_late", "late_without_apology")
                                    if c in shown]], lang)
        print()
        print(label("timeliness.late_heading", lang, shown=len(shown), total=len(late)))
        shown = shown.assign(**{c: shown[c].map(lambda v: format_date(v, lang))
                                for c in ("legal_due_date", "returned_date") if c in shown})
        print(render_table(shown, _headers(shown, lang), max_width=40))


def _rule_sets_line(dossiers: pd.DataFrame, lang: str) -> str:
    """Which one-stop rule set judged how many dossiers, by date of receipt ("" when none has a date)."""
    counts = rule_set_counts(dossiers)
    parts = []
    for row in counts[counts["dossiers"] > 0].itertuples():
        words = {"count": row.dossiers, "name": row.name_en if lang == "en" else row.name_vi}
        if row.period == "before":
            parts.append(label("timeliness.rule_set.before", lang,
                               date=format_date(row.valid_to + timedelta(days=1)), **words))
        elif row.period == "from":
            parts.append(label("timeliness.rule_set.from", lang, date=format_date(row.valid_from), **words))
        elif row.period == "between":
            parts.append(label("timeliness.rule_set.between", lang, start=format_date(row.valid_from),
                               end=format_date(row.valid_to), **words))
        else:
            parts.append(label("timeliness.rule_set.always", lang, **words))
    return label("timeliness.rule_sets", lang, parts="; ".join(parts)) if parts else ""


def _headers(frame: pd.DataFrame, lang: str) -> dict[str, str]:
    return {column: label(f"timeliness.col.{column}", lang) for column in frame.columns}
