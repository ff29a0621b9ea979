"""The one place where user-facing text is worded: messages and labels in Vietnamese (default) and English.

Wording lives in ``isoaudit/data/messages*.toml`` and ``isoaudit/data/labels*.toml`` (one file per concern,
merged at first use): one table per key with ``vi`` and ``en`` strings using ``{name}`` placeholders.
"""
from __future__ import annotations

import tomllib
from datetime import date, datetime
from functools import lru_cache
from importlib import resources

LANGS = ("vi", "en")
DEFAULT_LANG = "vi"


def message(code: str, lang: str = DEFAULT_LANG, **params) -> str:
    """The message ``code`` worded in ``lang`` with ``params`` filled in."""
    return _word(_table("messages"), code, lang, params)


def label(key: str, lang: str = DEFAULT_LANG, **params) -> str:
    """A report label (titles, column headers, status names) in ``lang``."""
    return _word(_table("labels"), key, lang, params)


def check_lang(lang: str) -> str:
    if lang not in LANGS:
        raise ValueError(f"lang must be one of {LANGS}, not {lang!r}")
    return lang


def format_date(value, lang: str = DEFAULT_LANG) -> str:
    """dd/mm/yyyy in both languages (the form Vietnamese agencies use); empty for a missing date."""
    if value is None or value != value:  # NaT and NaN compare unequal to themselves
        return ""
    if isinstance(value, (datetime, date)):
        return value.strftime("%d/%m/%Y")
    return str(value)


def format_number(value, lang: str = DEFAULT_LANG, digits: int = 1) -> str:
    """A number with ``digits`` decimals and thousands grouped: 1.234,5 in Vietnamese, 1,234.5 in English;
    "-" for a missing one."""
    if value is None or value != value:
        return "-"
    text = f"{value:,.{digits}f}"
    if lang == "vi":
        text = text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")
    return text


def format_percent(rate, lang: str = DEFAULT_LANG, digits: int = 1) -> str:
    """A rate 0..1 as a percentage (``format_number``); "-" for a missing one."""
    if rate is None or rate != rate:
        return "-"
    return f"{format_number(rate * 100, lang, digits)} %"


def _word(table: dict, key: str, lang: str, params: dict) -> str:
    check_lang(lang)
    entry = table.get(key)
    if entry is None:
        # An unknown key must still tell the user something useful.
        return key + (" " + repr(params) if params else "")
    template = entry.get(lang) or entry.get(DEFAULT_LANG, key)
    try:
        return template.format(**params)
    except (KeyError, IndexError, ValueError):
        return template


@lru_cache(maxsize=None)
def _table(prefix: str) -> dict:
    merged: dict = {}
    for entry in sorted(resources.files("isoaudit.data").iterdir(), key=lambda e: e.name):
        if entry.name.startswith(prefix) and entry.name.endswith(".toml"):
            with entry.open("rb") as handle:
                merged.update(_flatten(tomllib.load(handle)))
    return merged


def _flatten(table: dict, prefix: str = "") -> dict:
    """``[timeliness.late]`` is a nested table in TOML; keys are used dotted (``timeliness.late``)."""
    flat = {}
    for key, value in table.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and not (set(value) & set(LANGS)):
            flat.update(_flatten(value, name + "."))
        else:
            flat[name] = value
    return flat
