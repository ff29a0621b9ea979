"""``isoaudit make-sample``: write the sample province's records folder, or one large log for benchmarks.

    isoaudit make-sample --out sample_records [--seed 2025] [--year 2025]
    isoaudit make-sample --rows 1000000 --out big.csv [--layout flat|official]
"""
from __future__ import annotations

import time

from isoaudit.cli import add_command, whole_number
from isoaudit.errors import IsoauditError
from isoaudit.i18n import DEFAULT_LANG, label, message
from isoaudit.safety import user_path
from isoaudit.synthetic import make_sample, write_dossier_log


def register(subparsers, lang: str = DEFAULT_LANG):
    parser = add_command(subparsers, "make-sample", lang)
    number, whole = label("cli.metavar.number", lang), whole_number(lang)
    parser.add_argument("--out", required=True, type=user_path, metavar=label("cli.metavar.path", lang),
                        help=label("cli.make-sample.out", lang))
    parser.add_argument("--seed", type=whole, default=2025, metavar=number, help=label("cli.make-sample.seed", lang))
    parser.add_argument("--year", type=whole, default=2025, metavar=label("cli.metavar.year", lang),
                        help=label("cli.make-sample.year", lang))
    parser.add_argument("--rows", type=whole, default=None, metavar=number, help=label("cli.make-sample.rows", lang))
    parser.add_argument("--layout", choices=["flat", "official"], default="flat",
                        help=label("cli.make-sample.layout", lang))
    parser.add_argument("--force", action="store_true", help=label("cli.make-sample.force", lang))
    parser.set_defaults(func=run)
    return parser


def run(args) -> int:
    lang = args.lang
    started = time.perf_counter()
    # A folder that already holds files may be an agency's real records: written over only when told to.
    out = args.out
    if not args.force and (out.is_file() or (out.is_dir() and any(out.iterdir()))):
        raise IsoauditError("synthetic.output_exists", path=str(out))
    if args.rows is not None:
        path = write_dossier_log(args.out, args.rows, seed=args.seed, layout=args.layout, year=args.year)
        print(message("synthetic.log_written", lang, rows=args.rows, file=str(path),
                      seconds=f"{time.perf_counter() - started:.1f}"))
        return 0
    summary = make_sample(args.out, seed=args.seed, year=args.year)
    print(message("synthetic.sample_written", lang, folder=str(summary.folder), files=len(summary.files),
                  dossiers=summary.dossier_count, planted=len(summary.planted)))
    return 0
