"""The one place where user-facing text is worded: messages and labels in Vietnamese (default) and English.

Wording lives in ``isoaudit/data/messages*.toml`` and ``isoaudit/data/labels*.toml`` (one file per concern,
merged at first use): one table per key with ``vi`` and ``en`` strings using ``{name}`` placeholders.
A key that is not there, a language missing from its table or a placeholder left unfilled raises
``MissingWording``: a user never sees a raw key, and a test sees every gap. Code that shows words only when
they exist (a code from a file, worded when isoaudit knows it) asks ``has_label`` / ``has_message`` first.
"""
from __future__ import annotations

import os
import tomllib
from datetime import date, datetime
from functools import lru_cache
from importlib import resources

LANGS = ("vi", "en")
DEFAULT_LANG = "vi"
KINDS = ("labels", "messages")  # the two families of wording files, by the start of their names


class MissingWording(KeyError):
    """A label or message that cannot be worded: unknown key, a language missing, a placeholder not given,
    or a template that is not a valid ``str.format`` template."""

    def __str__(self) -> str:  # KeyError would show the sentence in quotes
        return str(self.args[0])


def message(code: str, lang: str = DEFAULT_LANG, **params) -> str:
    """The message ``code`` worded in ``lang`` with ``params`` filled in."""
    return _word("messages", code, lang, params)


def label(key: str, lang: str = DEFAULT_LANG, **params) -> str:
    """A report label (titles, column headers, status names) in ``lang``."""
    return _word("labels", key, lang, params)


def has_message(code: str) -> bool:
    """Whether ``code`` is a message (for codes that come from data rather than from isoaudit's code)."""
    return code in _table("messages")


def has_label(key: str) -> bool:
    """Whether ``key`` is a label (for codes that come from data, e.g. a status typed in a workbook)."""
    return key in _table("labels")


def label_keys(prefix: str = "") -> list[str]:
    """Every label key starting with ``prefix``, sorted."""
    return sorted(key for key in _table("labels") if key.startswith(prefix))


def wording_files(kind: str) -> dict[str, dict]:
    """Each wording file of ``kind`` ("labels" or "messages") by file name: its entries by dotted key, as
    written (no merging, no checks), for tests and tools that look at the files themselves."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, not {kind!r}")
    files = {}
    for entry in sorted(resources.files("isoaudit.data").iterdir(), key=lambda e: e.name):
        if entry.name.startswith(kind) and entry.name.endswith(".toml"):
            with entry.open("rb") as handle:
                files[entry.name] = _flatten(tomllib.load(handle))
    return files


def process_lang() -> str:
    """The language of text that has no caller to ask (an error's ``str``, shown in a notebook or a log): the
    environment's ``ISOAUDIT_LANG`` when it is one of ``LANGS`` (a batch sets it for its kernels), else
    Vietnamese."""
    lang = os.environ.get("ISOAUDIT_LANG", DEFAULT_LANG)
    return lang if lang in LANGS else DEFAULT_LANG


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


def _word(kind: str, key: str, lang: str, params: dict) -> str:
    check_lang(lang)
    entry = _table(kind).get(key)
    if entry is None:
        raise MissingWording(f"no {kind[:-1]} {key!r} in isoaudit/data/{kind}_*.toml")
    template = entry.get(lang) if isinstance(entry, dict) else None
    if not isinstance(template, str) or not template:
        raise MissingWording(f"the {kind[:-1]} {key!r} has no {lang!r} wording in isoaudit/data/{kind}_*.toml")
    try:
        return template.format(**params)
    except KeyError as missing:
        raise MissingWording(f"the {kind[:-1]} {key!r} ({lang}) needs {{{missing.args[0]}}}; "
                             f"given: {', '.join(sorted(params)) or 'nothing'}") from None
    except (IndexError, ValueError, AttributeError) as error:
        raise MissingWording(f"the {kind[:-1]} {key!r} ({lang}) is not a valid template: {error}") from None


@lru_cache(maxsize=None)
def _table(kind: str) -> dict:
    merged: dict = {}
    for entries in wording_files(kind).values():
        merged.update(entries)
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
