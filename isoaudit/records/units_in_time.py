"""Units in time (domain brief §6): since the 2025 reform the same code can name two units, one before and one
after a date. The registry says when each unit existed (``valid_from``, ``valid_to``; empty: no limit) and
which units it was formed from (``predecessors``: codes, each meaning the unit of that code on the day before
``valid_from``; many-to-many, since a former commune can be split between two new ones).

Inside isoaudit a unit is named by its *key*: its code, except for an earlier unit whose code a later one
reuses, keyed ``<code>@<its last day, yyyy-mm-dd>`` (``08011@2025-06-30``). Rows of records are attributed to
the unit their code named on their date (a dossier's receipt, a survey's day, an objective's year), never by
guessing: a date no unit of that code covers is said, and the row is not counted.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np
import pandas as pd

from isoaudit.i18n import format_date, label
from isoaudit.problems import ERROR, Problem

KEY_SEPARATOR = "@"
# What each kind of record is dated by, for attribution: a date column, or a year (the whole year).
DATED_BY = {
    "dossiers": ("date", "received_at"),
    "objectives": ("year", "year"),
    "surveys": ("date", "survey_date"),
    "feedback": ("date", "received_date"),
    "decisions": ("year", "year"),
    "findings": ("date", "raised_date"),
    "statistics": ("date", "period_to"),
}
_FIRST, _LAST = pd.Timestamp(1900, 1, 1), pd.Timestamp(2200, 12, 31)  # no limit, in the datetime range


def written_code(key) -> str:
    """The code as the registry writes it, of a unit key (``08011@2025-06-30`` -> ``08011``)."""
    return str(key).split(KEY_SEPARATOR, 1)[0]


def overlapping_rows(units: pd.DataFrame) -> pd.Series:
    """Rows whose code an earlier row of the registry already has for an overlapping period (a duplicate in
    the old sense: the same code twice without dates is one)."""
    start, end = _bounds(units)
    overlapping = pd.Series(False, index=units.index)
    for _, rows in units.groupby(units["unit_code"].astype("string"), sort=False).groups.items():
        seen = []
        for index in rows:
            if any(start[index] <= end[other] and start[other] <= end[index] for other in seen):
                overlapping[index] = True
            else:
                seen.append(index)
    return overlapping


def keyed_registry(units: pd.DataFrame) -> pd.DataFrame:
    """The registry with each unit's key as ``unit_code``: the latest unit of a code keeps it, earlier ones
    are keyed by their last day. Expects overlapping rows already set aside (``overlapping_rows``)."""
    if units.empty:
        return units
    units = units.copy()
    start, end = _bounds(units)
    codes = units["unit_code"].astype("string")
    latest = start.groupby(codes).transform("max")
    earlier = codes.duplicated(keep=False) & (start < latest) & units["valid_to"].notna()
    units.loc[earlier, "unit_code"] = [f"{code}{KEY_SEPARATOR}{day:%Y-%m-%d}"
                                      for code, day in zip(codes[earlier], units.loc[earlier, "valid_to"])]
    units["unit_code"] = units["unit_code"].astype("string")
    return units


def registry_problems(units: pd.DataFrame, labels: dict) -> list[Problem]:
    """Dates that end before they start, and predecessors the registry cannot name on the day before the
    successor was formed. ``units``: the keyed registry; ``labels``: the file name -> its header labels."""
    problems = []
    file, headers = next(iter(labels.items())) if labels else ("units", {})
    backwards = (units["valid_to"] < units["valid_from"]).fillna(False)
    for row in units[backwards].itertuples():
        problems.append(Problem("unit_dates_backwards", file=file, row=_row(row), severity=ERROR,
                                column=headers.get("valid_to", "valid_to"), value=row.valid_to,
                                params={"start": format_date(row.valid_from, "vi"),
                                        "unit": written_code(row.unit_code)}))
    named_on = _NamedOn(units)
    for row in units[units["predecessors"].notna()].itertuples():
        column = headers.get("predecessors", "predecessors")
        if pd.isna(row.valid_from):
            problems.append(Problem("predecessors_without_date", file=file, row=_row(row), column=column,
                                    value=row.predecessors,
                                    params={"date_column": headers.get("valid_from", "valid_from")}))
            continue
        for code in split_codes(row.predecessors):
            if named_on(code, row.valid_from - pd.Timedelta(days=1)) is None:
                problems.append(Problem("unknown_predecessor", file=file, row=_row(row), column=column,
                                        value=code, params={"day": format_date(row.valid_from - pd.Timedelta(days=1),
                                                                               "vi")}))
    return problems


def split_codes(text) -> list[str]:
    """The codes of a predecessors cell ("08011; 08014", "08011, 08014" or one per line)."""
    if text is None or pd.isna(text):
        return []
    return [code.strip() for code in str(text).replace(",", ";").replace("\n", ";").split(";") if code.strip()]


class _NamedOn:
    """The key of the unit a code named on a day (None when none did) in one registry, its codes as written and its
    periods worked out once: a province's registry names a hundred predecessors, each looked up on its day."""

    def __init__(self, units: pd.DataFrame):
        self.keys = units["unit_code"]
        self.written = registry_codes(units)
        self.written_once = set(self.written.dropna())
        self.start, self.end = _bounds(units)

    def __call__(self, code: str, day) -> str | None:
        code = _digits_as_written(self.written_once, code)
        covering = (self.written == code).to_numpy(bool) & ((self.start <= day) & (day <= self.end)).to_numpy(bool)
        first = np.flatnonzero(covering)
        return str(self.keys.iloc[first[0]]) if len(first) else None


def predecessor_links(units: pd.DataFrame) -> pd.DataFrame:
    """One row per (``successor``, ``predecessor``, ``date``): the keys of a unit and of a unit it was formed
    from on ``date`` (the successor's first day). Predecessors the registry does not name are left out
    (``registry_problems`` says so). One join over the registry: the reports ask for a unit's lineage often."""
    formed = units[(units["predecessors"].notna() & units["valid_from"].notna()).to_numpy(bool)]
    codes = registry_codes(units)
    written = set(codes.dropna())  # once, not once per code
    wanted = pd.DataFrame([(str(u.unit_code), _digits_as_written(written, code), u.valid_from)
                           for u in formed.itertuples() for code in split_codes(u.predecessors)],
                          columns=["successor", "code", "date"])
    start, end = _bounds(units)
    registry = pd.DataFrame({"predecessor": units["unit_code"].astype(str).to_numpy(),
                             "code": codes.to_numpy(),
                             "start": start.to_numpy(), "end": end.to_numpy()})
    joined = wanted.merge(registry, on="code")
    day = pd.to_datetime(joined["date"]) - pd.Timedelta(days=1)
    named = (joined["start"] <= day) & (day <= joined["end"]) & (joined["predecessor"] != joined["successor"])
    return joined.loc[named.to_numpy(bool), ["successor", "predecessor", "date"]].reset_index(drop=True)


def ancestors(units: pd.DataFrame, key: str) -> list[tuple[str, int]]:
    """The units ``key`` was formed from, and theirs, as (key, generation): 1 for a direct predecessor."""
    links = predecessor_links(units)
    found, frontier, generation = [], [key], 0
    while frontier:
        generation += 1
        parents = links[links["successor"].isin(frontier)]["predecessor"].tolist()
        frontier = [p for p in dict.fromkeys(parents) if p != key and p not in {f for f, _ in found}]
        found += [(p, generation) for p in frontier]
    return found


def successors(units: pd.DataFrame, key: str) -> list[str]:
    """The units ``key`` became part of (several when it was split)."""
    links = predecessor_links(units)
    return links.loc[links["predecessor"] == key, "successor"].drop_duplicates().tolist()


def valid_units(units: pd.DataFrame, day) -> pd.Series:
    """Which registry rows are units on ``day``."""
    start, end = _bounds(units)
    return ((start <= pd.Timestamp(day)) & (pd.Timestamp(day) <= end)).to_numpy(bool)


@dataclass
class Attributed:
    """A frame's rows with ``unit_code`` set to the key of the unit on each row's date; ``outside`` marks
    rows kept on the only unit of their code though dated outside its period, ``unplaced`` rows whose code
    names several units and none on their date (set aside)."""

    frame: pd.DataFrame
    outside: np.ndarray
    unplaced: np.ndarray


def attribute(frame: pd.DataFrame, units: pd.DataFrame, kind: str) -> Attributed:
    """Each row of ``frame`` (codes as the registry writes them, or keys) given the key of the unit its code
    named on its date (``DATED_BY[kind]``). A row without a date goes to the latest unit of its code."""
    frame = frame.copy(deep=False)  # copy-on-write: the caller's frame keeps its columns
    outside = np.zeros(len(frame), dtype=bool)
    unplaced = np.zeros(len(frame), dtype=bool)
    if frame.empty or units.empty or kind not in DATED_BY:
        return Attributed(frame, outside, unplaced)
    codes = _written_codes(frame["unit_code"].astype("string"))
    dated = _dated_codes(units)
    # Only the codes this file names: a commune's file names one, a province's registry holds hundreds.
    named = [code for code in codes.dropna().unique() if code in dated]
    keys = frame["unit_code"].astype("string").to_numpy(dtype=object)
    changed = False
    if named:
        first, last = _row_periods(frame, *DATED_BY[kind])
    for code in named:
        starts, ends, chosen = dated[code]
        mine = (codes == code).fillna(False).to_numpy(bool)
        a, b = first[mine], last[mine]
        # The latest unit whose period overlaps the row's: a dossier's day, or an objective's whole year.
        overlaps = (starts[None, :] <= b[:, None]) & (a[:, None] <= ends[None, :])
        latest = np.where(overlaps.any(axis=1), overlaps.shape[1] - 1 - overlaps[:, ::-1].argmax(axis=1), -1)
        placed = latest >= 0
        own = keys[mine]
        own[placed] = chosen[latest[placed]]
        if len(chosen) == 1:
            own[~placed] = chosen[0]
            outside[np.flatnonzero(mine)[~placed]] = True
        else:
            own[~placed] = None
            unplaced[np.flatnonzero(mine)[~placed]] = True
        changed = changed or not np.array_equal(own, keys[mine])
        keys[mine] = own
    if unplaced.any():  # said with the code as written: the key is gone
        frame["source_code"] = codes
    if changed or frame["unit_code"].dtype != pd.array([], dtype="string").dtype:  # most rows keep their code
        frame["unit_code"] = pd.array(keys, dtype="string")
    return Attributed(frame, outside, unplaced)


def registry_codes(units: pd.DataFrame) -> pd.Series:
    """Each unit of the registry ``units`` by its code as written (``written_code`` of its key)."""
    return _written_codes(units["unit_code"].astype("string"))


def _written_codes(keys: pd.Series) -> pd.Series:
    """``written_code`` of each key of a string Series; the Series itself when no key has a date (a file's
    column holds a code or two: they are looked at, not its thousands of rows)."""
    if all(KEY_SEPARATOR not in key for key in keys.dropna().unique()):
        return keys
    return keys.map(written_code, na_action="ignore")


def _dated_codes(units: pd.DataFrame) -> dict:
    """Each code that needs a date to tell its unit (written by several units, or by one with a period): its
    units' starts, ends and keys, in order of start. Made once per registry: a province's 1,200 files each
    asked for it, a millisecond or five each time."""
    # Found by comparing the registry with those seen (a batch's workers get a copy of it with each file).
    with _DATED_CODES_LOCK:
        for kept, found in _DATED_CODES:
            if _same_dates(units, kept):
                return found
    registry = units.assign(code=registry_codes(units))
    start, end = _bounds(registry)
    dated = registry[(registry["code"].duplicated(keep=False) | registry["valid_from"].notna()
                      | registry["valid_to"].notna()).to_numpy(bool)]
    found = {}
    for code, rows in dated.groupby("code", sort=False):
        order = start[rows.index].sort_values().index
        found[code] = (start[order].to_numpy(), end[order].to_numpy(),
                       np.asarray(registry.loc[order, "unit_code"].astype(str), dtype=object))
    kept = (units.index.copy(), {c: units[c].copy() for c in _DATED_COLUMNS})
    with _DATED_CODES_LOCK:
        if len(_DATED_CODES) >= 4:  # a batch has one registry; tests and notebooks a few
            _DATED_CODES.clear()
        _DATED_CODES.append((kept, found))
    return found


def _same_dates(units: pd.DataFrame, kept: tuple) -> bool:
    """Whether ``units`` has the index, codes and dates ``kept`` (a copy of them when ``_dated_codes`` was
    made for a registry): a few comparisons of arrays, not a hash of the whole registry."""
    index, columns = kept
    try:
        return units.index.equals(index) and type(units.index) is type(index) and all(
            units[c].array.equals(column.array) for c, column in columns.items())
    except (KeyError, TypeError, ValueError):
        return False


_DATED_COLUMNS = ("unit_code", "valid_from", "valid_to")
_DATED_CODES: list = []  # (a copy of a registry's index and _DATED_COLUMNS, its _dated_codes)
_DATED_CODES_LOCK = threading.Lock()  # Dask workers attribute files in threads


def attribution_problems(attributed: Attributed, units: pd.DataFrame, kind: str, file: str,
                         labels: dict) -> list[Problem]:
    """One warning per unit for the rows kept though dated outside its period (with the first row), one per
    row set aside because no unit of its code existed on its date."""
    frame = attributed.frame
    date_column = DATED_BY[kind][1]
    column = labels.get(date_column, date_column)
    problems = []
    if attributed.outside.any():
        outside = frame[attributed.outside]
        for key, rows in outside.groupby("unit_code", sort=False):
            unit = units[units["unit_code"] == key].iloc[0]
            problems.append(Problem("unit_outside_period", file=file, row=int(rows["source_row"].iloc[0]),
                                    column=column, value=rows[date_column].iloc[0],
                                    params={"count": len(rows), "unit": written_code(key),
                                            "name": str(unit["unit_name"]), "period": period_text(unit)}))
    codes = frame["source_code"] if "source_code" in frame else None
    unplaced = np.flatnonzero(attributed.unplaced)
    written = registry_codes(units) if len(unplaced) else None
    for index in unplaced:
        row = frame.iloc[index]
        code = str(codes.iloc[index]) if codes is not None else ""
        named = units[(written == code).to_numpy(bool)]
        problems.append(Problem("unit_not_on_date", file=file, row=int(row["source_row"]), column=column,
                                value=row[date_column],
                                params={"unit": code, "periods": "; ".join(
                                    f"{u['unit_name']} ({period_text(u)})" for _, u in named.iterrows())}))
    return problems


def period_text(unit, lang: str = "vi") -> str:
    """A unit's period in words ("từ 01/07/2025", "đến 30/06/2025", "01/07/2025 – 31/12/2030"), or ""."""
    start, end = unit.get("valid_from"), unit.get("valid_to")
    if pd.isna(start) and pd.isna(end):
        return ""
    if pd.isna(end):
        return label("units_in_time.from", lang, start=format_date(start, lang))
    if pd.isna(start):
        return label("units_in_time.until", lang, end=format_date(end, lang))
    return label("units_in_time.between", lang, start=format_date(start, lang), end=format_date(end, lang))


def _row_periods(frame: pd.DataFrame, by: str, column: str) -> tuple[np.ndarray, np.ndarray]:
    """The first and last day of each row's date (its day, or its year); unknown: all time."""
    if by == "year":
        years = pd.to_numeric(frame[column], errors="coerce").astype("Int64")
        found = _year_periods(years)
        if found is not None:
            return found
        first = pd.to_datetime(years.astype("string") + "-01-01", errors="coerce")
        last = pd.to_datetime(years.astype("string") + "-12-31", errors="coerce")
    else:
        first = last = pd.to_datetime(frame[column], errors="coerce").dt.normalize()
    return (first.fillna(_FIRST).to_numpy(dtype="datetime64[ns]"),
            last.fillna(_LAST).to_numpy(dtype="datetime64[ns]"))


def _year_periods(years: pd.Series) -> tuple[np.ndarray, np.ndarray] | None:
    """``_row_periods`` of whole years counted as numbers, not parsed from text; None when a year is one a
    nanosecond date cannot hold (or one text would have written otherwise): then the text is parsed."""
    missing = years.isna().to_numpy(bool)
    counted = years.to_numpy(dtype="int64", na_value=2000)
    if not ((counted >= 1678) & (counted <= 2261)).all():
        return None
    since = counted - 1970
    first = since.astype("datetime64[Y]").astype("datetime64[ns]")
    last = ((since + 1).astype("datetime64[Y]").astype("datetime64[D]") - 1).astype("datetime64[ns]")
    first[missing], last[missing] = np.datetime64(_FIRST, "ns"), np.datetime64(_LAST, "ns")
    return first, last


def _bounds(units: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    start = pd.to_datetime(units["valid_from"], errors="coerce").dt.normalize().fillna(_FIRST)
    end = pd.to_datetime(units["valid_to"], errors="coerce").dt.normalize().fillna(_LAST)
    return start, end


def _digits_as_written(written: set, code: str) -> str:
    """``code`` as the registry writes it (``written``: its codes as written) when only leading zeros differ
    ("8011" for "08011")."""
    if code in written or not code.isdigit():
        return code
    same = [w for w in written if w.isdigit() and w.lstrip("0") == code.lstrip("0")]
    return same[0] if len(same) == 1 else code


def _row(row) -> int | None:
    return int(row.source_row) if pd.notna(getattr(row, "source_row", None)) else None
