"""Dates as users type them on the command line and in parameters: day first, as Vietnamese agencies write."""
from __future__ import annotations

import re
from datetime import date

from isoaudit.errors import IsoauditError

_DATE = re.compile(r"^\s*(\d{1,2})\s*[/.\-]\s*(\d{1,2})\s*[/.\-]\s*(\d{4})\s*$")


def parse_date(text: str | None, option: str) -> date | None:
    """A date typed day first (dd/mm/yyyy, also d/m/yyyy, d-m-yyyy, d.m.yyyy); None when not given.
    ``option`` names where it was typed, for the error message."""
    if text is None:
        return None
    match = _DATE.match(text)
    try:
        if not match:
            raise ValueError(text)
        day, month, year = (int(part) for part in match.groups())
        return date(year, month, day)
    except ValueError:
        raise IsoauditError("timeliness.bad_date", value=text, option=option) from None
