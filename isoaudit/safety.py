"""Guards for everything isoaudit writes: formula injection, paths outside the output folder, torn files."""
from __future__ import annotations

import os
import re
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pandas as pd

from isoaudit.errors import OutputPathError

# A cell starting with one of these is run as a formula by Excel or LibreOffice (OWASP CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")
_UNSAFE_NAME = re.compile(r'[\\/:*?"<>|\x00-\x1f]+')


# The apostrophe ``neutralise_formula`` puts before such text, found again when a written file is read back.
NEUTRALISED_APOSTROPHE = re.compile("^'(?=[" + re.escape("".join(_FORMULA_START)) + "])")


def restore_neutralised(value):
    """Text as it was before ``neutralise_formula`` (a Series of text, or one text); other values as is."""
    if isinstance(value, pd.Series):
        return value.str.replace(NEUTRALISED_APOSTROPHE, "", regex=True)
    return NEUTRALISED_APOSTROPHE.sub("", value) if isinstance(value, str) else value


# Characters XML 1.0 cannot carry (xlsx, docx): openpyxl and python-docx refuse a cell or run holding one.
_XML_ILLEGAL = re.compile("[\x00-\x08\x0c\x0e-\x1f\ufffe\uffff]")


def xml_text(text: str) -> str:
    """``text`` as a workbook or Word document can hold it: a Word soft line break (\\x0b) becomes a line
    break, other control characters are dropped (they carry nothing a reader sees)."""
    return _XML_ILLEGAL.sub("", text.replace("\x0b", "\n"))


def neutralise_formula(value):
    """A cell value made safe to write: text loses the control characters XML cannot carry (``xml_text``)
    and, when a spreadsheet would run it as a formula, gets a leading apostrophe; other values pass as is."""
    if isinstance(value, str):
        value = xml_text(value)
        if value.startswith(_FORMULA_START):
            return "'" + value
    return value


# A list line ("- kiểm tra sổ", "+ ý hai"): what auditors type, and a cell marked as text (``workbook_text``) is
# never run as a formula, so a workbook keeps it exactly as typed instead of behind a visible apostrophe.
_LIST_LINE = re.compile(r"^[-+] ")


def workbook_text(value) -> tuple[object, bool]:
    """``value`` as a workbook cell holds it, and whether that cell is marked as text (Excel's quote prefix: it
    stays text even when someone edits the cell). A list line ("- kiểm tra sổ") is written as typed and marked;
    any other value is ``neutralise_formula``'s (a formula keeps its apostrophe, ``restore_neutralised`` on
    reading)."""
    if isinstance(value, str) and _LIST_LINE.match(xml_text(value)):
        return xml_text(value), True
    return neutralise_formula(value), False


def safe_filename(name: str, default: str = "file") -> str:
    """A single path component made from untrusted text (a unit's name, say): no separators, no dots first."""
    cleaned = _UNSAFE_NAME.sub("_", str(name)).strip().lstrip(".").strip()
    return cleaned[:120] or default


def user_path(text: str | os.PathLike) -> Path:
    """A path as a user typed it (``~`` expanded, relative to the working folder), made absolute once, where
    it enters isoaudit: notebooks and worker processes run in other folders and must get the same place."""
    return Path(os.path.abspath(Path(text).expanduser()))


def inside(out_dir: str | os.PathLike, *parts: str) -> Path:
    """``out_dir / parts`` after checking it stays inside ``out_dir`` (no '..', no absolute parts)."""
    root = Path(out_dir).resolve()
    target = root.joinpath(*parts).resolve()
    if target != root and root not in target.parents:
        raise OutputPathError("output_outside_folder", path=str(target), folder=str(root))
    return target


@contextmanager
def atomic_write(path: str | os.PathLike, mode: str = "wb", durable: bool = True) -> Iterator:
    """Write to a temporary file beside ``path`` and move it into place only when the block succeeds.

    An interrupted write leaves the previous file intact and no half-written file behind. ``durable``: the
    bytes are on the disk before the move (a power cut cannot leave an empty file); a cache whose reader checks
    its entries can do without that wait.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, mode, **({} if "b" in mode else {"encoding": "utf-8"})) as handle:
            yield handle
            handle.flush()
            if durable:
                os.fsync(handle.fileno())
        # mkstemp makes the file private (0600); give it the permissions any other new file would get.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except OSError as error:
        Path(tmp).unlink(missing_ok=True)
        # A full disk or a target locked by Excel names the hidden temporary file, or no file at all: the
        # user knows the file they asked for.
        error.filename, error.filename2 = str(path), None
        raise
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
