"""The generator's words and tables, read from ``isoaudit/data/synthetic_*``: one small loader a data file.

Everything the sample province says (names, headers, titles, sentences, the README) is data; the modules of
this package hold codes, numbers and mechanism. TOML files come back as plain dicts and lists, CSV files as
DataFrames of text (empty cells None). Each file is read once; what a loader returns must not be changed.
"""
from __future__ import annotations

import io
import string
import tomllib
from functools import cache
from importlib import resources

import numpy as np
import pandas as pd


def district_words() -> dict:
    """Province, unit levels, the official form's heading, calendar decisions, the registry workbooks."""
    return _toml("synthetic_district.toml")


def dossier_words() -> dict:
    """Channels, statuses, notes, applicants' addresses, the titles of exports and tracking books."""
    return _toml("synthetic_dossiers.toml")


def objective_words() -> dict:
    """The quality objectives every unit plans (``objectives``) and the words of their workbook."""
    return _toml("synthetic_objectives.toml")


def review_words() -> dict:
    """Ratings, owners and the words of the survey, feedback, decisions and findings workbooks."""
    return _toml("synthetic_review.toml")


def audit_words() -> dict:
    """The internal auditors and the evidence written beside each audit result."""
    return _toml("synthetic_audits.toml")


def readme_words() -> dict:
    """The sample's README.md as a template, with its table rows and problem descriptions."""
    return _toml("synthetic_readme.toml")


def unit_table() -> pd.DataFrame:
    """The province's units before and after the reform, with how each counter behaves (``synthetic_units.csv``)."""
    return _csv("synthetic_units.csv")


def procedure_table() -> pd.DataFrame:
    """The commune-level procedure catalogue with its behaviour columns (``synthetic_procedures.csv``)."""
    return _csv("synthetic_procedures.csv")


def review_texts() -> pd.DataFrame:
    """Sentences the review inputs pick from, by ``kind`` and ``key`` (``synthetic_review.csv``)."""
    return _csv("synthetic_review.csv")


def plant_table() -> pd.DataFrame:
    """Validation problems planted on purpose: ``unit_code``, ``kind``, ``value`` (``synthetic_plants.csv``)."""
    return _csv("synthetic_plants.csv")


@cache
def log_columns(layout: str) -> tuple[tuple[str, str], ...]:
    """(field, header) pairs of one log layout, in order (``synthetic_log_columns.csv``)."""
    table = _csv("synthetic_log_columns.csv")
    rows = table[table["layout"] == layout]
    return tuple(zip(rows["key"], rows["header"]))


@cache
def name_parts() -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Name parts by kind (surname, middle_m, middle_f, given_m, given_f, street, company) with their weights
    as fractions 0..1 (``synthetic_names.csv``)."""
    table = _csv("synthetic_names.csv")
    parts = {}
    for kind, rows in table.groupby("kind", sort=False):
        weights = rows["weight"].astype(float).to_numpy()
        parts[kind] = (rows["value"].to_numpy(dtype=object), weights / weights.sum())
    return parts


def fill(template: str, **columns) -> pd.Series:
    """``template.format(**columns)`` row by row, where ``columns`` are Series of text of one length.

    Vectorised: the template's literal parts and columns are concatenated in order (no format specs)."""
    filled = None
    for literal, name, _spec, _conversion in string.Formatter().parse(template):
        for part in ([literal] if literal else []) + ([columns[name]] if name is not None else []):
            filled = part if filled is None else filled + part
    return filled


@cache
def _text(name: str) -> str:
    return resources.files("isoaudit.data").joinpath(name).read_text(encoding="utf-8")


def _csv(name: str) -> pd.DataFrame:
    # A new frame each call: callers may filter or reassign it freely.
    return pd.read_csv(io.StringIO(_text(name)), dtype=str, keep_default_na=False).replace("", None)


@cache
def _toml(name: str) -> dict:
    return tomllib.loads(_text(name))
