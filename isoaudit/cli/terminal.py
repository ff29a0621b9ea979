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


def printable(text: str) -> str:
    """``text`` with its lines kept and nothing else that steers a terminal: line breaks, carriage returns (a
    progress bar) and tabs stay; escape sequences, bells, other control characters and bidirectional
    overrides go."""
    return "".join(ch for ch in text if ch in "\n\r\t" or unicodedata.category(ch) not in ("Cc", "Cf"))


class InertStream:
    """A text stream (standard output or error) that passes on ``printable`` text only: whatever a command
    prints (a unit's name in a heading, a file's name, a cell quoted in a message) cannot act on the
    terminal. Everything else is the wrapped stream's."""

    def __init__(self, stream):
        self._stream = stream

    def write(self, text: str) -> int:
        self._stream.write(printable(text))
        return len(text)

    def writelines(self, lines) -> None:
        for line in lines:
            self.write(line)

    def __getattr__(self, name):
        return getattr(self._stream, name)
