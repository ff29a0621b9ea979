"""Plain-text tables for the terminal, aligned for Vietnamese text (combining marks take no width)."""
from __future__ import annotations

import unicodedata

import pandas as pd

from isoaudit.cli.terminal import terminal_safe


def render_table(frame: pd.DataFrame, headers: dict | None = None, max_width: int = 90) -> str:
    """``frame`` as aligned text columns; ``headers`` renames columns; long cells are cut at ``max_width``."""
    headers = headers or {}
    names = [terminal_safe(str(headers.get(c, c))) for c in frame.columns]
    rows = [[_cell(v, max_width) for v in row] for row in frame.itertuples(index=False, name=None)]
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


def _width(text: str) -> int:
    return sum(0 if unicodedata.combining(ch) else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))
