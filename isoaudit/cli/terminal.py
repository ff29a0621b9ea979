"""Text safe to print on a terminal: a cell of a file must not move the cursor, colour the terminal or pass
for a line of the report. No heavy import: ``isoaudit --help`` loads it."""
from __future__ import annotations

import unicodedata


def terminal_safe(text: str) -> str:
    """``text`` on one line without control characters (escape sequences, bidirectional overrides, carriage
    returns, line breaks): a cell of a file must not move the cursor, colour the terminal, reverse what follows
    or pass for a line of the report."""
    kept = []
    for ch in text:
        category = unicodedata.category(ch)
        if category in ("Cc", "Zl", "Zp"):
            kept.append(" ")
        elif category != "Cf":
            kept.append(ch)
    return "".join(kept)
