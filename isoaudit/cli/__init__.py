"""The ``isoaudit`` command. Each subcommand lives in its own module with ``register`` and ``run``."""
from __future__ import annotations

import argparse
import importlib
import sys

from isoaudit import __version__
from isoaudit.errors import IsoauditError

# Modules of isoaudit.cli, in the order their commands are listed in --help.
COMMANDS = ["validate", "timeliness", "sample", "review", "batch", "make_sample"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="isoaudit",
        description="Đánh giá nội bộ và xem xét của lãnh đạo theo TCVN ISO 9001:2015 cho cơ quan hành chính nhà nước.",
    )
    parser.add_argument("--version", action="version", version=f"isoaudit {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="LỆNH")
    for name in COMMANDS:
        module = importlib.import_module(f"isoaudit.cli.{name}")
        sub = module.register(subparsers)
        sub.add_argument("--lang", choices=["vi", "en"], default="vi",
                         help="ngôn ngữ của thông báo và báo cáo (mặc định: vi)")
    return parser


def main(argv: list[str] | None = None) -> int:
    _utf8_console()
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return args.func(args)
    except IsoauditError as error:
        print(error.message(args.lang), file=sys.stderr)
        return 2
    except BrokenPipeError:  # output piped into `head` and closed early: not an error of ours
        sys.stderr.close()
        return 0
    except KeyboardInterrupt:
        print("Đã dừng." if args.lang == "vi" else "Interrupted.", file=sys.stderr)
        return 130


def _utf8_console() -> None:
    # Windows consoles and some CI runners default to a non-UTF-8 encoding; Vietnamese must still print.
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.reconfigure(encoding="utf-8")
        except (AttributeError, ValueError):
            pass


if __name__ == "__main__":
    sys.exit(main())
