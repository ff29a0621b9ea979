"""The ``isoaudit`` command. Each command lives in its own module with ``register`` and ``run``.

Every word of the help comes from the labels files (``labels_cli.toml``; argparse's own words from
``labels_argparse.toml``) in the language asked for with ``--lang``, before or after the command.
"""
from __future__ import annotations

import argparse
import importlib
import os
import sys
import tempfile
import time
import traceback
from contextlib import contextmanager
from pathlib import Path

from isoaudit import __version__
from isoaudit.cli.terminal import InertStream, terminal_safe
from isoaudit.errors import (
    EXIT_INPUT,
    EXIT_INTERNAL,
    EXIT_INTERRUPTED,
    EXIT_OK,
    IsoauditError,
    user_error,
)
from isoaudit.i18n import DEFAULT_LANG, LANGS, label, label_keys

# Commands in the order --help lists them, each with the module of isoaudit.cli that declares and runs it.
COMMANDS = {"app": "app", "inspect": "inspect", "validate": "validate", "timeliness": "timeliness", "sample": "sample",
            "sample-evaluate": "sample", "review": "review", "batch": "batch", "make-sample": "make_sample"}


def main(argv: list[str] | None = None) -> int:
    _utf8_console()
    argv = sys.argv[1:] if argv is None else list(argv)
    lang, command = requested(argv)
    with argparse_words(lang):
        parser = build_parser(lang, [command] if command else [])
        args = parser.parse_args(argv)
        if not getattr(args, "func", None):
            parser.print_help()
            return EXIT_INPUT
    saved = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = InertStream(sys.stdout), InertStream(sys.stderr)
    try:
        return run_command(args)
    finally:
        sys.stdout, sys.stderr = saved


def run_command(args) -> int:
    """Run the parsed command; whatever goes wrong ends in one sentence on standard error and an exit code of
    ``isoaudit.errors`` (documented in the README), never a traceback."""
    try:
        return args.func(args)
    except BrokenPipeError:  # output piped into `head` and closed early: not an error of ours
        sys.stderr.close()
        return EXIT_OK
    except KeyboardInterrupt:
        print(label("cli.interrupted", args.lang), file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as error:  # noqa: BLE001 - the command's last word; see ``failure``
        if os.environ.get("ISOAUDIT_DEBUG"):
            raise
        failure = as_isoaudit_error(error)
        print(terminal_safe(failure.message(args.lang)), file=sys.stderr)  # it may quote a cell of a file
        return failure.exit_code


def as_isoaudit_error(error: Exception) -> IsoauditError:
    """``error`` as the error a user is told: isoaudit's own as they are; the system's refusals (a locked file,
    a full disk) worded; anything else is a defect of isoaudit, whose details go to a crash log."""
    worded = user_error(error)
    if worded is not None:
        return worded
    log = crash_log(error)
    if log is None:
        return InternalError("system.internal_no_log", error=type(error).__name__)
    return InternalError("system.internal", error=type(error).__name__, log=str(log))


class InternalError(IsoauditError):
    """A defect of isoaudit, reported as such."""

    exit_code = EXIT_INTERNAL


def crash_log(error: Exception) -> Path | None:
    """Write ``error``'s traceback, with the version and the command line, to a file in the temporary folder;
    its path, or None when even that cannot be written."""
    text = "".join(traceback.format_exception(error))
    name = f"isoaudit-crash-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}.log"
    path = Path(tempfile.gettempdir()) / name
    try:
        path.write_text(f"isoaudit {__version__}\n{' '.join(sys.argv)}\n\n{text}", encoding="utf-8")
    except OSError:
        return None
    return path


def build_parser(lang: str = DEFAULT_LANG, commands: list[str] | None = None) -> argparse.ArgumentParser:
    """The parser of ``isoaudit`` worded in ``lang``. Every command is listed with its line of help; only the
    ``commands`` named (default: all) get their options, so that ``isoaudit --help`` does not import what
    runs every command (pandas and the notebook machinery). argparse's own words are in ``lang`` inside
    ``argparse_words(lang)`` only."""
    parser = argparse.ArgumentParser(prog="isoaudit", description=label("cli.description", lang))
    parser.add_argument("--version", action="version", version=f"isoaudit {__version__}",
                        help=label("cli.version", lang))
    parser.add_argument("--lang", choices=LANGS, default=DEFAULT_LANG, help=label("cli.lang", lang))
    subparsers = parser.add_subparsers(dest="command", title=label("cli.commands", lang),
                                       metavar=label("cli.metavar.command", lang))
    modules = set(COMMANDS.values()) if commands is None else {COMMANDS[name] for name in commands}
    for name, module in COMMANDS.items():
        if name in subparsers.choices:  # declared with another command of its module
            continue
        if module in modules:
            importlib.import_module(f"isoaudit.cli.{module}").register(subparsers, lang)
        else:
            add_command(subparsers, name, lang)
    return parser


def add_command(subparsers, name: str, lang: str = DEFAULT_LANG) -> argparse.ArgumentParser:
    """The parser of the command ``name``, with its help and description (labels ``cli.<name>.help`` and
    ``cli.<name>.description``) and the ``--lang`` every command takes; ``register`` adds the rest."""
    # "resolve": a caller that builds its own parser around a module's ``register`` (the tests do) may declare
    # --lang again; its declaration replaces this one instead of failing.
    parser = subparsers.add_parser(name, help=label(f"cli.{name}.help", lang),
                                   description=label(f"cli.{name}.description", lang), conflict_handler="resolve")
    # The default is the language the parser is built in (the --lang given before the command, see
    # ``requested``): argparse lets a command's defaults overwrite what was parsed before the command.
    parser.add_argument("--lang", choices=LANGS, default=lang, help=label("cli.lang", lang))
    return parser


def whole_number(lang: str = DEFAULT_LANG):
    """``int`` as an option's type, named in ``lang``: argparse names the type in its "invalid <type> value"
    error ("giá trị số nguyên không hợp lệ: 'x'"), and ``int`` is no word for a user."""
    def parse(text: str) -> int:
        return int(text)
    parse.__name__ = label("cli.whole_number", lang)
    return parse


def requested(argv: list[str]) -> tuple[str, str | None]:
    """The language and the command a command line asks for, read before argparse reads it: the help must be
    worded while the parser is built, and only the command asked for needs its module imported.

    ``--lang`` may come before or after the command, as ``--lang en``, ``--lang=en`` or a prefix argparse
    accepts (``--la en``); the last one wins, as in argparse. A value that is not a language, or a command
    that does not exist, is left for argparse to refuse (in the language found so far)."""
    lang, command = DEFAULT_LANG, None
    tokens = iter(argv)
    for token in tokens:
        if token == "--":
            break
        option, equals, value = token.partition("=")
        if len(option) > 2 and "--lang".startswith(option):
            value = value if equals else next(tokens, "")
            lang = value if value in LANGS else lang
        elif command is None and not token.startswith("-"):
            command = token  # top-level options take no value but --lang: the first word is the command
    return lang, command if command in COMMANDS else None


@contextmanager
def argparse_words(lang: str):
    """argparse's own words ("usage:", "options", "show this help message and exit", its error messages) in
    ``lang`` while the block runs.

    argparse asks ``gettext`` for each of them by its English text, through the names ``_`` and ``ngettext``
    of its module, at the moment it builds a parser, formats help or reports an error. isoaudit installs no
    gettext catalogue (compiled .mo files chosen by environment variables); instead both names point, while
    the block runs, at a lookup in the ``argparse.*`` labels (whose ``en`` is argparse's text verbatim), and
    are put back after. A subclass of ArgumentParser or HelpFormatter could not reach them all: they are
    spread over the parser, the formatter, the actions and ArgumentError. Text the labels lack stays English.
    """
    words = {label(key, "en"): label(key, lang) for key in label_keys("argparse.")}

    def gettext(text: str) -> str:
        return words.get(text, text)

    def ngettext(singular: str, plural: str, count: int) -> str:
        return gettext(singular if count == 1 else plural)

    saved = argparse._, argparse.ngettext
    argparse._, argparse.ngettext = gettext, ngettext
    try:
        yield
    finally:
        argparse._, argparse.ngettext = saved


def _utf8_console() -> None:
    # Windows consoles and some CI runners default to a non-UTF-8 encoding; Vietnamese must still print.
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.reconfigure(encoding="utf-8")
        except (AttributeError, ValueError):
            pass


if __name__ == "__main__":
    sys.exit(main())
