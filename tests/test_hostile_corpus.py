"""The hostile-input corpus (``tests/hostile_cases.py``) through the real command, as a user meets it.

Every case asserts the exit code, the sentence the user sees, where it says the problem is (file, row, column
as the file's header names it), and that nothing the command printed or wrote carries a live payload: no
traceback or exception name, no control character or bidirectional override on the terminal, Vietnamese
unless ``--lang en``, no formula left live in a workbook, no markup left live in a page, no control character
in a workbook or a Word report, no cell beyond what Excel holds, and no file written outside ``--out``.
"""
from __future__ import annotations

import html
import json
import os
import re
import subprocess
import sys
import tempfile
import zipfile
from collections import Counter
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook

import isoaudit.cli as cli
from tests.builders import write_district, write_records
from tests.hostile_cases import CASES, Case, prepare

VIETNAMESE = re.compile("[àáảãạăằắẳẵặâầấẩẫậđèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵ]", re.IGNORECASE)
TERMINAL_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
TEXT_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
PYTHON_NOISE = re.compile(r"Traceback \(most recent call last\)|\b[A-Z]\w*(Error|Exception)\b|\b[A-Z]\w*Warning:"
                          r"|^\[IPKernelApp\]", re.MULTILINE)
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")
LIVE_MARKUP = re.compile(r"<script>alert\(1\)|<img src=x onerror", re.IGNORECASE)
EXCEL_ESCAPE = re.compile("_x([0-9A-Fa-f]{4})_")
EXCEL_CELL_LIMIT = 32767
EXIT_NOTHING_DONE = (2, 3, 4)


def _param(case: Case):
    marks = []
    if case.slow:
        marks.append(pytest.mark.slow)
    if case.defect:
        marks.append(pytest.mark.xfail(strict=True, reason=case.defect))
    return pytest.param(case, id=case.name, marks=marks)


@pytest.fixture(scope="session")
def hostile_bases(tmp_path_factory) -> dict[str, Path]:
    """The small commune of ``write_records`` (copied to hs/) and the review commune (copied to xa/)."""
    commune = tmp_path_factory.mktemp("hostile_commune")
    write_records(commune)
    district = tmp_path_factory.mktemp("hostile_district")
    write_district(district)
    return {"commune": commune, "district": district}


@pytest.mark.parametrize("case", [_param(case) for case in CASES])
def test_hostile_input(case: Case, hostile_bases, tmp_path, capsys, monkeypatch):
    root = tmp_path / "work"
    root.mkdir()
    crash_folder = tmp_path / "tmp"
    crash_folder.mkdir()
    argv = prepare(case, root, hostile_bases)
    before = _snapshot(root)
    if case.subprocess:
        code, out, err = _run_as_a_user(argv, root, crash_folder)
    else:
        capsys.readouterr()  # what building the case printed
        code, out, err = _run_in_process(argv, root, crash_folder, capsys, monkeypatch)
    written = _written(before, _snapshot(root))
    shown = f"$ isoaudit {' '.join(argv)}\nexit {code}\n--- stdout\n{out[-4000:]}\n--- stderr\n{err[-4000:]}"

    assert code == case.code, shown
    _assert_terminal_clean(case, out, err, shown)
    _assert_message_and_location(case, code, out, err, shown)
    _assert_writes(case, code, root, written, shown)


# ---- running the command ------------------------------------------------------------------------------------
def _run_in_process(argv, root, crash_folder, capsys, monkeypatch) -> tuple[int, str, str]:
    monkeypatch.chdir(root)
    monkeypatch.setattr(tempfile, "tempdir", str(crash_folder))  # a crash log stays in the test's folder
    monkeypatch.delenv("ISOAUDIT_DEBUG", raising=False)
    try:
        code = cli.main(list(argv))
    except SystemExit as stop:  # argparse refusing an option
        code = stop.code
    out, err = capsys.readouterr()
    return code, out, err


def _run_as_a_user(argv, root, crash_folder) -> tuple[int, str, str]:
    env = {k: v for k, v in os.environ.items() if k != "ISOAUDIT_DEBUG"}
    env["TMPDIR"] = str(crash_folder)
    done = subprocess.run([sys.executable, "-m", "isoaudit", *argv], cwd=root, env=env, capture_output=True,
                          timeout=600)
    # What reaches the terminal must be UTF-8 text: decoding strictly is part of the check.
    return done.returncode, done.stdout.decode("utf-8"), done.stderr.decode("utf-8")


# ---- what the user reads ------------------------------------------------------------------------------------
def _assert_terminal_clean(case: Case, out: str, err: str, shown: str) -> None:
    for name, text in (("stdout", out), ("stderr", err)):
        noise = PYTHON_NOISE.search(text)
        assert noise is None, f"{name} shows Python's own words {noise.group()!r}\n{shown}"
        control = TERMINAL_CONTROL.search(text)
        assert control is None, f"{name} holds the raw control character {control.group()!r}\n{shown}"
    last = err.strip().splitlines()[-1] if err.strip() else ""
    if case.lang == "vi":
        assert not last or VIETNAMESE.search(last), f"the last line of stderr is not Vietnamese\n{shown}"
    else:
        assert not last or not VIETNAMESE.search(_unquoted(last, case)), f"Vietnamese in an English run\n{shown}"


def _assert_message_and_location(case: Case, code: int, out: str, err: str, shown: str) -> None:
    out, err = _unwrapped(out), _unwrapped(err)
    text = out + "\n" + err
    if code in EXIT_NOTHING_DONE:
        assert case.says in err, f"the sentence {case.says!r} is not on standard error\n{shown}"
    lines = [line for line in text.splitlines() if case.says in line]
    assert lines, f"the sentence {case.says!r} is not shown\n{shown}"
    if case.lang == "en":
        assert not any(VIETNAMESE.search(_unquoted(line, case)) for line in lines), f"not English\n{shown}"
    if case.row is not None or case.column is not None:
        lines = [line for line in lines if _has_row(line, case.row) and (case.column or "") in line]
        assert lines, f"no line says {case.says!r} at row {case.row}, column {case.column!r}\n{shown}"
    if case.file is not None:
        assert any(_names_file(text, line, case.file) for line in lines), \
            f"{case.file!r} is not named with {case.says!r}\n{shown}"
    for more in case.shows:
        assert more in text, f"{more!r} is not shown\n{shown}"
    for wrong in case.absent:
        assert wrong not in text, f"{wrong!r} is shown\n{shown}"


def _unwrapped(text: str) -> str:
    """``text`` with each table cell that goes on over further lines (validate wraps long messages under their
    column, the cells before it blank) joined back into one line."""
    lines: list[str] = []
    for line in text.splitlines():
        if lines and lines[-1].strip() and re.match(r" {10,}\S", line):
            lines[-1] += " " + line.strip()
        else:
            lines.append(line)
    return "\n".join(lines)


def _has_row(line: str, row: int | None) -> bool:
    return row is None or re.search(rf"(?<![\d/.:,]){row}(?![\d/.:,])", line) is not None


def _names_file(text: str, line: str, file: str) -> bool:
    """``file`` is on ``line``, or on the nearest heading above it ("Tệp …", "File …")."""
    if file in line:
        return True
    above = text[:text.index(line)].splitlines()
    heading = next((h for h in reversed(above) if h.startswith(("Tệp", "File"))), "")
    return file in heading


def _unquoted(line: str, case: Case) -> str:
    """``line`` without what is quoted from the user's files (cell values, headers, paths, file names)."""
    line = re.sub(r'"[^"]*"', "", line)
    for known in (case.file, case.column):
        if known:
            line = line.replace(known, "")
    return re.sub(r"\S*[/\\]\S*", "", line)


# ---- what the command wrote ---------------------------------------------------------------------------------
def _snapshot(root: Path) -> dict[str, tuple[int, int]]:
    return {p.relative_to(root).as_posix(): (p.stat().st_size, p.stat().st_mtime_ns)
            for p in root.rglob("*") if p.is_file()}


def _written(before: dict, after: dict) -> list[str]:
    return sorted(path for path, stamp in after.items() if before.get(path) != stamp)


def _assert_writes(case: Case, code: int, root: Path, written: list[str], shown: str) -> None:
    if code in EXIT_NOTHING_DONE:
        assert not written, f"nothing was done (exit {code}) yet files were written: {written}\n{shown}"
    out = case.out.rstrip("/") if case.out else None
    outside = [p for p in written
               if not (out and (p == out or p.startswith(out + "/"))) and p not in case.also_writes]
    assert not outside, f"written outside the output ({case.out}): {outside}\n{shown}"
    if out and code in (0, 1):
        assert (root / out).exists(), f"{case.out} was not written\n{shown}"
    texts = [_check_written_file(root / path) for path in written]
    for piece in case.evidence:
        assert any(piece in t for t in texts), f"{piece!r} is in none of the files written {written}"


def _check_written_file(path: Path) -> str:
    """Assert ``path`` holds no live payload; its text, for the case's evidence."""
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        return _check_workbook(path)
    if suffix == ".docx":
        return _check_word(path)
    if suffix in (".html", ".htm"):
        text = path.read_text(encoding="utf-8")
        _check_markup(text, path.name)
        return text
    if suffix in (".ipynb", ".json"):
        text = path.read_text(encoding="utf-8")
        for markup in _html_outputs(json.loads(text)):
            _check_markup(markup, path.name)
        return text
    if suffix == ".csv":
        text = path.read_text(encoding="utf-8-sig")
        for line in text.splitlines():
            for cell in line.split(","):
                assert not cell.strip('"').startswith(FORMULA_START), f"{path.name}: live formula {cell!r}"
        return text
    return ""


def _check_workbook(path: Path) -> str:
    book = load_workbook(path)
    texts = []
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                where = f"{path.name} [{sheet.title}]{cell.coordinate}"
                assert cell.data_type != "f", f"{where} is a formula: {cell.value!r}"
                if not isinstance(cell.value, str):
                    continue
                # Excel reads _x001B_ in a cell as the character it escapes.
                value = EXCEL_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), cell.value)
                assert not value.startswith(FORMULA_START), f"{where} starts like a formula: {value[:80]!r}"
                control = TEXT_CONTROL.search(value)
                assert control is None, f"{where} holds the control character {control.group()!r}"
                assert len(value) <= EXCEL_CELL_LIMIT, f"{where} holds {len(value)} characters"
                texts.append(value)
    return "\n".join(texts)


def _check_word(path: Path) -> str:
    texts = []
    with zipfile.ZipFile(path) as package:
        for name in package.namelist():
            if not (name.startswith("word/") and name.endswith(".xml")):
                continue
            xml = package.read(name).decode("utf-8")
            for field in re.findall(r"<w:instrText[^>]*>([^<]*)<|w:instr=\"([^\"]*)\"", xml):
                instruction = html.unescape("".join(field))
                assert "http://x" not in instruction and "cmd|" not in instruction, \
                    f"{path.name} {name}: a field runs input text {instruction!r}"
            text = html.unescape(re.sub(r"<[^>]+>", "", xml))
            control = TEXT_CONTROL.search(text)
            assert control is None, f"{path.name} {name} holds the control character {control.group()!r}"
            texts.append(text)
    return "\n".join(texts)


def _check_markup(text: str, name: str) -> None:
    live = LIVE_MARKUP.search(text)
    assert live is None, f"{name}: input markup left live: {text[max(0, live.start() - 80):live.end() + 40]!r}"
    control = TEXT_CONTROL.search(text)
    assert control is None, f"{name} holds the control character {control.group()!r}"


def _html_outputs(value):
    """Every "text/html" output of a notebook (or any JSON holding one)."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "text/html":
                yield "".join(item) if isinstance(item, list) else str(item)
            else:
                yield from _html_outputs(item)
    elif isinstance(value, list):
        for item in value:
            yield from _html_outputs(item)


# ---- the corpus itself ----------------------------------------------------------------------------------------
def test_the_corpus_is_large_varied_and_well_formed():
    names = [case.name for case in CASES]
    assert len(names) == len(set(names))
    assert len(CASES) >= 60
    kinds = Counter(case.kind for case in CASES)
    assert set(kinds) == {"files", "cells", "support files", "payloads", "folders", "options", "worksheets"}
    assert 3 <= sum(case.subprocess for case in CASES) <= 5
    assert sum("batch" in case.name for case in CASES) <= 3  # a batch starts notebook kernels: kept few
    for case in CASES:
        if case.lang == "vi":
            assert VIETNAMESE.search(case.says), case.name
        if case.out:
            assert not Path(case.out).is_absolute()


def _workbook(path: Path, value, data_type: str = "s") -> Path:
    book = Workbook()
    book.active["A1"] = value
    book.active["A1"].data_type = data_type
    book.save(path)
    return path


@pytest.mark.parametrize("value, data_type", [('=HYPERLINK("http://x","y")', "s"), ("=1+1", "f"),
                                              ("+cmd|' /C calc'!A0", "s"), ("\uff1d1+1", "s"),
                                              ("Trần _x001B_[2J", "s")])
def test_the_workbook_check_catches_a_live_payload(tmp_path, value, data_type):
    with pytest.raises(AssertionError):
        _check_written_file(_workbook(tmp_path / "x.xlsx", value, data_type))


def test_the_workbook_check_passes_a_neutralised_payload(tmp_path):
    assert _check_written_file(_workbook(tmp_path / "x.xlsx", "'=HYPERLINK(\"http://x\",\"y\")")).startswith("'=")


@pytest.mark.parametrize("markup", ["<td><img src=x onerror=alert(1)></td>", "<p><script>alert(1)</script></p>",
                                    "<p>Trần \x1b[2J</p>"])
def test_the_page_check_catches_live_markup(tmp_path, markup):
    (tmp_path / "x.html").write_text(markup, encoding="utf-8")
    with pytest.raises(AssertionError):
        _check_written_file(tmp_path / "x.html")


@pytest.mark.parametrize("printed", ["Xã \x1b[2JThái Bình", "Nguyễn \u202enA", "KeyError: 'unit_code'",
                                     "Traceback (most recent call last):"])
def test_the_terminal_check_catches_what_a_user_must_not_see(printed):
    case = CASES[0]
    with pytest.raises(AssertionError):
        _assert_terminal_clean(case, printed, "", printed)
