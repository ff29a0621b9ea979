"""The command line's help and argparse's own messages, in Vietnamese by default and in English with --lang en
given before or after the command; --help answers without importing what the commands run on."""
from __future__ import annotations

import argparse
import ast
import gettext
import inspect
import re
import subprocess
import sys

import pytest

import isoaudit.cli as cli
from isoaudit.i18n import label, label_keys

VIETNAMESE = re.compile(r"[À-ỹĐđ]")  # letters with Vietnamese diacritics
ARGPARSE_ENGLISH = ("usage:", "options:", "positional arguments", "show this help message", "error:",
                    "the following arguments are required", "invalid choice", "unrecognized arguments")


def run(capsys, *argv) -> tuple[int, str, str]:
    """``isoaudit *argv``: exit code, what it printed and what it complained about."""
    try:
        code = cli.main(list(argv))
    except SystemExit as exit_:  # --help, --version and argparse's errors end here
        code = exit_.code
    out, err = capsys.readouterr()
    return code, out, err


def test_the_help_is_vietnamese_by_default(capsys):
    code, out, _ = run(capsys, "--help")
    assert code == 0
    assert out.startswith("cách dùng: isoaudit")
    assert "tùy chọn:" in out and "các lệnh:" in out and "LỆNH" in out
    assert "-h, --help       hiện hướng dẫn này rồi thoát" in out
    assert all(name in out for name in cli.COMMANDS)
    assert "kiểm tra thư mục hồ sơ và liệt kê mọi vấn đề" in out
    assert not [words for words in ARGPARSE_ENGLISH if words in out]


def test_the_help_in_english(capsys):
    code, out, _ = run(capsys, "--lang", "en", "--help")
    assert code == 0
    assert out.startswith("usage: isoaudit") and "options:" in out and "COMMAND" in out
    assert "check a records folder and list every problem" in out
    assert not VIETNAMESE.search(out), VIETNAMESE.findall(out)


@pytest.mark.parametrize("command", list(cli.COMMANDS))
@pytest.mark.parametrize("where", ["before", "after"])
def test_each_commands_help_in_both_languages(capsys, command, where):
    code, vi, _ = run(capsys, command, "--help")
    assert code == 0 and vi.startswith(f"cách dùng: isoaudit {command}") and "tùy chọn:" in vi
    assert not [words for words in ARGPARSE_ENGLISH if words in vi]
    argv = ["--lang", "en", command, "--help"] if where == "before" else [command, "--help", "--lang=en"]
    code, en, _ = run(capsys, *argv)
    assert code == 0 and en.startswith(f"usage: isoaudit {command}")
    assert not VIETNAMESE.search(en), (command, VIETNAMESE.findall(en))


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_every_option_that_takes_a_value_names_it_in_the_language(lang):
    """A value without a metavar would show argparse's upper-cased option name (OUT, JOBS) in both languages."""
    with cli.argparse_words(lang):
        parser = cli.build_parser(lang)
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    unnamed = [f"{name} {action.dest}" for name, command in commands.choices.items() for action in command._actions
               if action.nargs != 0 and action.metavar is None and action.choices is None
               and action.help != argparse.SUPPRESS]
    assert unnamed == []


def test_lang_before_or_after_the_command_reaches_the_command(capsys, monkeypatch):
    seen = []
    monkeypatch.setattr("isoaudit.cli.validate.run", lambda args: seen.append(args.lang) or 0)
    for argv in (["validate", "x"], ["--lang", "en", "validate", "x"], ["validate", "x", "--lang", "en"],
                 ["--lang=en", "validate", "x"], ["--lang", "en", "validate", "x", "--lang", "vi"]):
        assert run(capsys, *argv)[0] == 0
    assert seen == ["vi", "en", "en", "en", "vi"]


@pytest.mark.parametrize("argv, lang, command", [
    ([], "vi", None),
    (["--help"], "vi", None),
    (["--lang", "en", "--help"], "en", None),
    (["batch", "--help", "--lang", "en"], "en", "batch"),
    (["--lang=en", "make-sample", "--out", "x"], "en", "make-sample"),
    (["--la", "en", "validate", "x"], "en", "validate"),  # a prefix argparse accepts
    (["--lang", "fr", "validate"], "vi", "validate"),  # argparse refuses it, in Vietnamese
    (["--lang", "validate"], "vi", None),  # "validate" is taken as the language, as argparse does
    (["nope"], "vi", None),
    (["validate", "--", "--lang", "en"], "vi", "validate"),
])
def test_the_language_and_command_are_known_before_parsing(argv, lang, command):
    assert cli.requested(argv) == (lang, command)


def test_argparse_errors_in_the_language(capsys):
    code, _, err = run(capsys, "validate")
    assert code == 2 and "isoaudit validate: lỗi: thiếu đối số bắt buộc: THƯ_MỤC_HỒ_SƠ" in err
    code, _, err = run(capsys, "batch", "--executor", "nope")
    assert code == 2
    assert ("isoaudit batch: lỗi: đối số --executor: giá trị không hợp lệ: 'nope' "
            "(chọn một trong: 'local', 'dask')") in err
    code, _, err = run(capsys, "batch", "--jobs", "hai")
    assert code == 2 and "giá trị số nguyên không hợp lệ: 'hai'" in err
    code, _, err = run(capsys, "sample", "x", "--unit", "1", "--out", "a.xlsx", "--confidence", "cao")
    assert code == 2 and "'cao': cần một tỷ lệ như 0.05 hoặc 5%" in err
    code, _, err = run(capsys, "nope")
    assert code == 2 and "giá trị không hợp lệ: 'nope'" in err and "LỆNH" in err
    code, _, err = run(capsys, "batch", "--executor", "nope", "--lang", "en")
    assert code == 2 and "error: argument --executor: invalid choice: 'nope'" in err
    code, _, err = run(capsys, "--lang", "en", "validate", "a", "b")
    assert code == 2 and "error: unrecognized arguments: b" in err
    code, _, err = run(capsys, "--lang", "en", "batch", "--jobs", "two")
    assert code == 2 and "invalid whole number value: 'two'" in err


def test_argparse_is_left_as_it_was(capsys):
    run(capsys, "--help")
    run(capsys, "validate")
    assert argparse._ is gettext.gettext and argparse.ngettext is gettext.ngettext


def test_version_and_no_command(capsys):
    code, out, _ = run(capsys, "--version")
    assert code == 0 and out.startswith("isoaudit ")
    code, out, _ = run(capsys, "--lang", "en")
    assert code == 2 and out.startswith("usage: isoaudit")


def test_help_does_not_import_what_the_commands_run_on():
    """``isoaudit --help`` is instant: no pandas, no command module (each imports its whole machinery); only the
    standard-library-only helper that makes printed text terminal-safe."""
    script = ("import sys\nfrom isoaudit.cli import main\ntry:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
              "print(sorted(m for m in sys.modules if m == 'pandas' or m.startswith('isoaudit.cli.')\n"
              "             and m != 'isoaudit.cli.terminal'))")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "[]"


# ---- argparse's own words ----------------------------------------------------------------------------------------
# What argparse words for the programmer who builds a parser wrongly, never for a user: left in English.
DEVELOPER_ONLY = {
    ".__call__() not defined", "'required' is an invalid argument for positionals",
    "mutually exclusive arguments must be optional", "%r is not callable",
    "cannot merge actions - two groups are named %r",
    "invalid option string %(option)r: must start with a character %(prefix_chars)r",
    "dest= is required for options like %r", "invalid conflict_resolution value: %r",
    "cannot have multiple subparser arguments", "conflicting subparser: %s", "conflicting subparser alias: %s",
    'argument "-" with mode %r', "conflicting option string: %s", "conflicting option strings: %s",
}


def argparse_texts() -> set[str]:
    """Every text this Python's argparse asks gettext for (the literal arguments of its ``_`` and ``ngettext``)."""
    texts = set()
    for node in ast.walk(ast.parse(inspect.getsource(argparse))):
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) in ("_", "ngettext"):
            texts |= {a.value for a in node.args if isinstance(a, ast.Constant) and isinstance(a.value, str)}
    return texts


def test_every_argparse_text_a_user_can_meet_is_translated():
    translated = {label(key, "en") for key in label_keys("argparse.")}
    untranslated = argparse_texts() - translated - DEVELOPER_ONLY
    assert not untranslated, f"add to isoaudit/data/labels_argparse.toml: {sorted(untranslated)}"
    assert not translated - argparse_texts(), "argparse no longer has these texts: their en must be its new text"


def test_argparse_translations_keep_its_placeholders():
    placeholders = re.compile(r"%(?:\(\w+\))?[sr]")
    for key in label_keys("argparse."):
        assert sorted(placeholders.findall(label(key, "vi"))) == sorted(placeholders.findall(label(key, "en"))), key


def test_a_cell_holding_escape_sequences_is_printed_inert(tmp_path, capsys):
    """``validate`` quotes cells of the records: an escape sequence, a bell or a bidirectional override typed
    into a cell must reach the terminal as plain text."""
    from isoaudit.cli import main
    from tests.builders import write_sheet

    write_sheet(tmp_path / "units.xlsx", ["Mã đơn vị", "Tên đơn vị", "Cấp"], [["02266", "Xã Thái Bình", "Xã"]])
    write_sheet(tmp_path / "procedures.xlsx", ["Mã TTHC", "Tên TTHC", "Thời hạn giải quyết"],
                [["1.001193", "Đăng ký khai sinh", 0]])
    (tmp_path / "dossiers").mkdir()
    (tmp_path / "dossiers" / "02266_2025.csv").write_text(  # a text export can carry any character
        "Mã hồ sơ,Mã TTHC,Ngày nhận,Ngày hẹn trả\nA,1.001193,\x1b[2J\x1b]0;pwned\x07\u202e05/01/2025,06/01/2025\n",
        encoding="utf-8")
    assert main(["validate", str(tmp_path)]) in (0, 1)
    out = capsys.readouterr().out
    assert "pwned" in out  # the text is shown...
    assert not any(ch in out for ch in "\x1b\x07\u202e")  # ...but nothing in it acts on the terminal
