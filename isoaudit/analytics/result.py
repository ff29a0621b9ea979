"""What every audit-analytics test gives back (issue #18): a table of what it found, the numbers its
paragraph is worded with, the ISO 9001 clause it bears on, and the dossiers it flags, each with the reason an
auditor would read beside it in the sample worksheet and the audit form.

A test never says a dossier is wrong: it says what in the log looks unlike the rest and what that may hide.
The words (title, what it means, what it does not prove, each reason) live in ``data/labels_analytics.toml``
under ``analytics.<test>.*``; the thresholds in ``data/analytics.toml``.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from isoaudit.i18n import format_number

# One row per flagged dossier: its id and the reason code (worded by ``analytics.<test>.reason.<reason>``);
# then one column per value a reason's words name, kept typed (dates as datetime64, counts as numbers) and
# written out only for the rows a report shows (``AnalyticsResult.details``): a million-row log can flag
# hundreds of thousands of dossiers, and a report lists a few dozen.
FLAGGED_COLUMNS = ["dossier_id", "reason"]
# How a detail value is written in the words: a day dd/mm/yyyy, a moment dd/mm/yyyy HH:MM, a time HH:MM;
# "int": a whole number (a count stays 3, not 3.0, though the frame's column holds floats where another
# reason has no value); "value": a number or text as it is (None when missing).
DETAIL_KINDS = ("date", "stamp", "clock", "int", "value")
_FORMATS = {"date": "%d/%m/%Y", "stamp": "%d/%m/%Y %H:%M", "clock": "%H:%M"}


@dataclass(frozen=True)
class AnalyticsResult:
    """The outcome of one test on one unit and period.

    ``table``: what it found, ready to show (no citizen's personal data; columns worded by
    ``analytics.col.<column>``). ``params``: the numbers the paragraph ``analytics.<test>.found`` (or
    ``.none``) is worded with. ``flagged``: ``FLAGGED_COLUMNS``. ``missing``: a reason code
    (``analytics.missing.<code>``) when the records cannot support the test; then nothing else is set."""

    test: str
    clause: str
    table: pd.DataFrame = field(default_factory=pd.DataFrame)
    params: dict = field(default_factory=dict)
    flagged: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=FLAGGED_COLUMNS))
    missing: str | None = None
    # Per reason, the detail columns its words name and how each is written (``DETAIL_KINDS``).
    detail_fields: dict = field(default_factory=dict)

    @property
    def available(self) -> bool:
        return self.missing is None

    @property
    def quiet(self) -> bool:
        """Whether the test found nothing to look at (an available test with no flagged dossier or row)."""
        return self.available and self.flagged.empty and self.table.empty

    def details(self, rows: pd.DataFrame | None = None, lang: str | None = None) -> list[dict]:
        """The values each flagged row's words name (its reason's fields, written as the report writes them:
        plain text and numbers), for ``rows`` (some rows of ``flagged``; default all). With ``lang``, a
        number with decimals is written as that language writes it (0,7 in Vietnamese)."""
        return reason_details(self.flagged if rows is None else rows, self.detail_fields, lang)


@dataclass(frozen=True)
class Detail:
    """A detail value per flagged dossier and how it is written (``DETAIL_KINDS``)."""

    values: object
    kind: str = "value"


def dates(values) -> Detail:
    return Detail(values, "date")


def stamps(values) -> Detail:
    return Detail(values, "stamp")


def clock(values) -> Detail:
    return Detail(values, "clock")


class Flags:
    """The dossiers a test flags, reason by reason: ``add`` each reason's rows of the test's frame (by
    position in ``ids``, its dossier ids) with their detail columns, ``add_ids`` dossiers outside that frame
    (rows the reader set aside); then ``frame`` (``FLAGGED_COLUMNS`` and the details), ``dossiers`` (how many
    distinct dossiers) and ``fields`` (for ``AnalyticsResult``). Positions, not ids, are kept until the
    frame is built: a million-row log can flag hundreds of thousands of rows, counted without hashing ids."""

    def __init__(self, ids: pd.Series | None = None) -> None:
        self._ids = ids
        self._parts: list[tuple[np.ndarray | None, pd.Series | None, str, dict]] = []
        self.fields: dict[str, dict[str, str]] = {}

    def add(self, rows, reason: str, **detail) -> None:
        """Flag the dossiers at positions ``rows`` of ``ids`` for ``reason``; ``detail``: equal-length arrays
        (plain values) or ``Detail`` (dates, stamps, clock times)."""
        rows = np.asarray(rows, dtype=np.int64)
        self._part(rows, None, reason, detail)

    def add_ids(self, ids, reason: str, **detail) -> None:
        """Flag dossiers by id (any array-like), for rows not in the test's frame."""
        ids = ids.reset_index(drop=True) if isinstance(ids, pd.Series) else pd.Series(np.asarray(ids, dtype=object))
        self._part(None, ids, reason, detail)

    def _part(self, rows, ids, reason: str, detail: dict) -> None:
        kinds = {name: value.kind if isinstance(value, Detail) else _plain_kind(value)
                 for name, value in detail.items()}
        self.fields.setdefault(reason, kinds)
        if not len(rows if ids is None else ids):
            return
        columns = {name: _column(value.values if isinstance(value, Detail) else value, kinds[name])
                   for name, value in detail.items()}
        self._parts.append((rows, ids, reason, columns))

    @property
    def empty(self) -> bool:
        """Whether no dossier was flagged yet."""
        return not self._parts

    def counts(self) -> dict[str, int]:
        """How many rows each reason flagged (reasons that flagged none left out)."""
        counted: dict[str, int] = {}
        for rows, ids, reason, _ in self._parts:
            counted[reason] = counted.get(reason, 0) + len(rows if ids is None else ids)
        return counted

    def dossiers(self) -> int:
        """How many distinct dossiers are flagged (a dossier flagged for two reasons counts once)."""
        if not self._parts:
            return 0
        if any(ids is not None for _, ids, _, _ in self._parts):
            return int(self.frame()["dossier_id"].nunique())
        seen = np.zeros(len(self._ids), dtype=bool)
        for rows, _, _, _ in self._parts:
            seen[rows] = True
        return int(seen.sum())

    def frame(self) -> pd.DataFrame:
        """``FLAGGED_COLUMNS`` then each detail column, in the order the reasons were added; a detail column
        is missing (NaN, NaT) on the rows of reasons that do not name it, as ``pandas.concat`` would leave it.
        Built column by column: concatenating a frame per reason cost more than the test itself."""
        if not self._parts:
            return pd.DataFrame(columns=FLAGGED_COLUMNS)
        sizes = [len(rows) if ids is None else len(ids) for rows, ids, _, _ in self._parts]
        if all(ids is None for _, ids, _, _ in self._parts):  # taken from the array: no index to take along
            ids = pd.Series(self._ids.array.take(np.concatenate([rows for rows, _, _, _ in self._parts])))
        else:
            ids = pd.concat([self._ids.iloc[rows] if ids is None else ids for rows, ids, _, _ in self._parts])
        reasons = list(dict.fromkeys(reason for _, _, reason, _ in self._parts))
        codes = np.repeat([reasons.index(reason) for _, _, reason, _ in self._parts], sizes).astype(np.int8)
        # The reasons as categories and the text details as objects: pandas guessing the type of 200,000 Python
        # strings (or writing out as many reasons) costs more than the test's own work on them.
        data = {"dossier_id": ids.astype("str").reset_index(drop=True),
                "reason": pd.Categorical.from_codes(codes, categories=reasons)}
        names = list(dict.fromkeys(name for _, _, _, columns in self._parts for name in columns))
        for name in names:
            values = _stacked([columns.get(name) for _, _, _, columns in self._parts], sizes)
            data[name] = pd.Series(values, dtype=object, copy=False) if values.dtype == object else values
        return pd.DataFrame(data, copy=False)  # every array is this frame's own


def _stacked(parts: list, sizes: list[int]) -> np.ndarray:
    """One detail column from each reason's values (None where a reason does not name it)."""
    given = [np.asarray(values) for values in parts if values is not None]
    if len(given) == len(parts):
        return np.concatenate(given)
    kinds = {values.dtype.kind for values in given}
    if kinds == {"M"}:
        missing = np.datetime64("NaT")
        dtype = np.result_type(*given)
    elif kinds <= set("iuf"):
        missing, dtype = np.nan, np.float64
    else:
        missing, dtype = np.nan, object
    return np.concatenate([np.asarray(values, dtype=dtype) if values is not None else
                           np.full(size, missing, dtype=dtype) for values, size in zip(parts, sizes)])


def reason_details(rows: pd.DataFrame, fields: dict, lang: str | None = None) -> list[dict]:
    """Each of ``rows``'s words' values (see ``AnalyticsResult.details``), reason by reason vectorised."""
    details: list[dict] = [{} for _ in range(len(rows))]
    if not len(rows):
        return details
    reasons = rows["reason"].to_numpy(dtype=object)
    for reason in pd.unique(reasons):
        at = np.flatnonzero(reasons == reason)
        kinds = fields.get(reason, {})
        written = {name: _written(rows[name].to_numpy()[at] if name in rows else np.full(len(at), None), kind,
                                  lang)
                   for name, kind in kinds.items()}
        for place, values in zip(at, zip(*written.values()) if written else [()] * len(at)):
            details[place] = dict(zip(written, values))
    return details


def _column(values, kind: str):
    values = values.to_numpy() if isinstance(values, (pd.Series, pd.Index)) else values
    if kind in _FORMATS:
        values = np.asarray(values)
        return values if values.dtype.kind == "M" else pd.to_datetime(values).to_numpy()
    return values


def _plain_kind(values) -> str:
    dtype = getattr(values, "dtype", None)
    return "int" if dtype is not None and pd.api.types.is_integer_dtype(dtype) else "value"


def _written(values: np.ndarray, kind: str, lang: str | None) -> list:
    if kind in _FORMATS:
        return pd.Series(pd.to_datetime(values)).dt.strftime(_FORMATS[kind]).fillna("").tolist()
    if kind == "int":
        return [None if _missing(v) else int(v) for v in values]
    plain = [None if _missing(v) else v.item() if isinstance(v, np.generic) else v for v in values]
    if lang is None:
        return plain
    return [format_number(v, lang) if isinstance(v, float) else v for v in plain]


def _missing(value) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):  # a list or array is a value
        return False
