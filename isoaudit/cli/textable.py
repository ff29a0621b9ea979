"""Plain-text tables for the terminal, aligned for Vietnamese text (combining marks take no width)."""
from __future__ import annotations

import textwrap
import unicodedata

import pandas as pd

from isoaudit.cli.terminal import terminal_safe


def render_table(frame: pd.DataFrame, headers: dict | None = None, max_width: int = 90,
                 wrap: tuple[str, ...] = ()) -> str:
    """``frame`` as aligned text columns; ``headers`` renames columns; long cells are cut at ``max_width``,
    except in the columns ``wrap`` (messages, whose end says what to do), whose text goes on over further
    lines of the same width."""
    headers = headers or {}
    names = [terminal_safe(str(headers.get(c, c))) for c in frame.columns]
    wrapped = [c in wrap for c in frame.columns]
    rows = []
    for row in frame.itertuples(index=False, name=None):
        cells = [_lines(v, max_width) if w else [_cell(v, max_width)] for v, w in zip(row, wrapped)]
        for depth in range(max(len(c) for c in cells)):
            rows.append([c[depth] if depth < len(c) else "" for c in cells])
    widths = [max([_width(n)] + [_width(r[i]) for r in rows]) for i, n in enumerate(names)]
    lines = ["  ".join(_pad(n, w) for n, w in zip(names, widths)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(_pad(c, w) for c, w in zip(r, widths)).rstrip() for r in rows]
    return "\n".join(lines)


def _cell(value, max_width: int) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return ""
    text = terminal_safe(unicodedata.normalize("NFC", str(value)))
    return text if len(text) <= max_width else text[: max_width - 1] + "…"


def _lines(value, max_width: int) -> list[str]:
    text = _cell(value, len(str(value)) + 1 if value is not None else 1)
    return textwrap.wrap(text, max_width, break_long_words=True, break_on_hyphens=False) or [""]


def _width(text: str) -> int:
    return sum(0 if unicodedata.combining(ch) else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))
