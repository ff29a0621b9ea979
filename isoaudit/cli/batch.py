"""``isoaudit batch FOLDER --out DIR``: every commune's audit and management-review reports, and the district page."""
from __future__ import annotations

import sys

from isoaudit.batch.run import run_batch
from isoaudit.cli import add_command, whole_number
from isoaudit.errors import IsoauditError
from isoaudit.i18n import DEFAULT_LANG, label
from isoaudit.safety import user_path


def register(subparsers, lang: str = DEFAULT_LANG):
    parser = add_command(subparsers, "batch", lang)
    parser.add_argument("folder", nargs="?", default="sample_records", type=user_path,
                        metavar=label("cli.metavar.records_folder", lang), help=label("cli.batch.folder", lang))
    parser.add_argument("--out", default="reports", type=user_path, metavar=label("cli.metavar.folder", lang),
                        help=label("cli.batch.out", lang))
    parser.add_argument("--jobs", type=whole_number(lang), default=None, metavar=label("cli.metavar.number", lang),
                        help=label("cli.batch.jobs", lang))
    parser.add_argument("--units", nargs="+", metavar=label("cli.metavar.code", lang),
                        help=label("cli.batch.units", lang))
    parser.add_argument("--year", type=whole_number(lang), metavar=label("cli.metavar.year", lang),
                        help=label("cli.batch.year", lang))
    parser.add_argument("--force", action="store_true", help=label("cli.batch.force", lang))
    parser.add_argument("--executor", choices=["local", "dask"], default="local",
                        help=label("cli.batch.executor", lang))
    parser.add_argument("--scheduler", metavar=label("cli.metavar.address", lang),
                        help=label("cli.batch.scheduler", lang))
    parser.add_argument("--quiet", action="store_true", help=label("cli.batch.quiet", lang))
    parser.set_defaults(func=run)
    return parser


def run(args) -> int:
    lang = args.lang
    if args.executor == "dask" and not args.scheduler:
        raise IsoauditError("batch.scheduler_needed")
    batch = run_batch(args.folder, args.out, jobs=args.jobs, units=args.units, year=args.year, lang=lang,
                      force=args.force, executor=args.executor, scheduler=args.scheduler,
                      progress=not args.quiet)
    for result in batch.failed:
        print(label("batch.failed_unit", lang, unit=f"{result.unit_name} ({result.unit_code})", error=result.error),
              file=sys.stderr)
    done = sum(r.status == "done" for r in batch.results)
    unchanged = sum(r.status == "unchanged" for r in batch.results)
    print(label("batch.done", lang, done=done, unchanged=unchanged, failed=len(batch.failed), index=batch.index))
    return 1 if batch.failed else 0
