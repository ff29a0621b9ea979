"""Checks across the rows of each record kind and between kinds. Every problem comes back at once.

Row problems are warnings: the row is excluded (``excluded`` mask) or kept and flagged, and the rest of the
file is used. Problems that make a whole file unusable are errors and are raised where the file is read. Values
that were read but cannot be right (a receipt dated 1900) are checked against the plausibility table
(``records/plausibility.py``), which says whether the row is flagged, excluded, or excluded with an error.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import pandas as pd

from isoaudit import schema
from isoaudit.problems import ERROR, WARNING, Problem
from isoaudit.records.plausibility import implausible
from isoaudit.records.units_in_time import overlapping_rows
from isoaudit.text import fold, fold_series, text_of_each_distinct


class Rule(NamedTuple):
    """A row check: the problem ``code``, the rows that fail (``mask``), the column named in the message,
    whether a failing row is set aside (``excludes``) or kept with a warning, the problem's severity and
    further placeholders of its message."""

    code: str
    mask: object  # boolean array-like, one per row
    column: str
    excludes: bool
    severity: str = WARNING
    params: dict | None = None


def exclude(code: str, mask, column: str) -> Rule:
    """A rule whose failing rows are set aside, with ``code`` as their reason."""
    return Rule(code, mask, column, excludes=True)


def flag(code: str, mask, column: str) -> Rule:
    """A rule whose failing rows are kept, with a warning."""
    return Rule(code, mask, column, excludes=False)


def implausible_values(frame: pd.DataFrame, kind: str) -> list[Rule]:
    """The rules of the plausibility table (``isoaudit/data/plausibility.csv``) that cells of ``frame`` fail,
    judged on the day the records are read."""
    return [Rule(f.code, f.mask, f.column, excludes=f.action != "flag",
                 severity=ERROR if f.action == "error" else WARNING, params={"bound": f.bound})
            for f in implausible(frame, kind)]


@dataclass
class Checked:
    """A frame after checks: rows kept, rows excluded (with a ``reason`` code), and the problems found."""

    kept: pd.DataFrame
    excluded: pd.DataFrame
    problems: list[Problem]


def check_units(units: pd.DataFrame, labels: dict | None = None) -> Checked:
    rules = [
        exclude("missing_value", units["unit_code"].isna() | units["unit_name"].isna(), "unit_code"),
        # One code may name two units at different times (the 2025 reform): a duplicate only when they overlap.
        exclude("duplicate_id", overlapping_rows(units), "unit_code"),
        *implausible_values(units, "units"),  # 0 one-stop officers: no dossiers per officer
    ]
    return _apply(units, rules, labels)


def check_procedures(procedures: pd.DataFrame, labels: dict | None = None) -> Checked:
    days = procedures["legal_days"]
    rules = [
        exclude("missing_value", procedures["procedure_code"].isna(), "procedure_code"),
        exclude("duplicate_id", _later_duplicates(procedures, ["procedure_code"]), "procedure_code"),
        flag("missing_legal_days", days.isna(), "legal_days"),
        *implausible_values(procedures, "procedures"),  # 0..365 working days: 99,999,999 days is refused
    ]
    return _apply(procedures, rules, labels)


def check_objectives(objectives: pd.DataFrame, labels: dict | None = None) -> Checked:
    rules = [
        exclude("missing_value", objectives["objective"].isna(), "objective"),
        flag("missing_target", objectives["target"].isna(), "target"),
        # A target without a number cannot be compared with any result ("càng cao càng tốt"); said here, where
        # the row is known, as well as in the review, which shows the objective as not measurable.
        flag("target_no_number", objectives["target"].notna() & ~objectives["target"].astype("string")
             .str.contains(r"\d", regex=True).fillna(False), "target"),
        exclude("missing_value", objectives["year"].isna(), "year"),
        exclude("unknown_unit_code", objectives["unit_code"].isna(), "unit_code"),
        *implausible_values(objectives, "objectives"),
    ]
    return _apply(objectives, rules, labels)


def check_dossiers(dossiers: pd.DataFrame, unreadable: set, labels: dict | None = None, *,
                   moving: bool = False) -> Checked:
    """``unreadable`` holds (file, row, column) of cells already reported as unreadable, not to repeat them.
    ``moving``: when rows are set aside, the kept ones are moved out of ``dossiers`` a column at a time, leaving it
    without columns (``_rows_kept``), for a caller that lets it go: a province's million dossiers held twice
    were the records' peak memory."""
    received = dossiers["received_at"].dt.normalize()
    returned = dossiers["returned_date"].dt.normalize()
    requested = dossiers["supplement_requested_at"]
    supplied = dossiers["supplement_received_at"]
    rules = [
        exclude("missing_value", dossiers["dossier_id"].isna(), "dossier_id"),
        exclude("missing_value", _missing_not_reported(dossiers, "received_at", unreadable), "received_at"),
        # A date that could not be read would make a returned dossier look overdue, or a pause vanish.
        exclude("unreadable_excluded", _reported(dossiers, "received_at", unreadable), "received_at"),
        exclude("unreadable_excluded", _reported(dossiers, "returned_date", unreadable), "returned_date"),
        exclude("unreadable_excluded", _reported(dossiers, "supplement_requested_at", unreadable),
                "supplement_requested_at"),
        exclude("unreadable_excluded", _reported(dossiers, "supplement_received_at", unreadable),
                "supplement_received_at"),
        # A receipt dated 1900 or next decade cannot be judged; other implausible dates are flagged.
        *implausible_values(dossiers, "dossiers"),
        exclude("missing_procedure", dossiers["procedure_code"].isna() & dossiers["procedure_name"].isna(),
                "procedure_name"),
        exclude("returned_before_received", (returned < received).fillna(False), "returned_date"),
        flag("due_before_received", (dossiers["due_date"] < received).fillna(False), "due_date"),
        exclude("supplement_before_request", (supplied < requested).fillna(False), "supplement_received_at"),
        flag("supplement_before_received", (requested.dt.normalize() < received).fillna(False),
             "supplement_requested_at"),
        flag("new_due_before_due", (dossiers["new_due_date"] < dossiers["due_date"]).fillna(False), "new_due_date"),
    ]
    return _then_duplicates(dossiers, rules, ["unit_code", "dossier_id"], "dossier_id", labels, moving)


# The columns that identify one record of a kind within a unit; a kind without one has no duplicates check.
ID_COLUMNS = {"feedback": ["feedback_id"], "decisions": ["year", "decision_id"], "findings": ["finding_id"]}


def check_required(frame: pd.DataFrame, kind: str, labels: dict | None = None) -> Checked:
    """Rows missing a required value are excluded; so is a row repeating the id of an earlier one. Implausible
    values are reported as the plausibility table says."""
    rules = [*(exclude("missing_value", frame[c].isna(), c) for c in schema.required(kind)),
             *implausible_values(frame, kind)]
    ids = ID_COLUMNS.get(kind)
    if not ids:
        return _apply(frame, rules, labels)
    keys = (["unit_code"] if "unit_code" in frame else []) + ids
    return _then_duplicates(frame, rules, keys, ids[-1], labels)


def match_procedures(dossiers: pd.DataFrame, procedures: pd.DataFrame, labels: dict | None = None,
                     moving: bool = False) -> Checked:
    """Give every dossier its catalogue code and name: by code when it has one, else by normalised name.

    Dossiers naming a procedure that is not in the catalogue are excluded and reported. ``moving``: ``dossiers``
    itself gets the two columns and gives up the others to the rows kept (``_rows_kept``), for a caller that lets
    it go: a province's million dossiers held twice, once as read and once as matched, were its peak memory.
    """
    if not moving:
        dossiers = dossiers.copy(deep=False)  # copy-on-write: only the two columns set below are new
    by_code = procedures.dropna(subset=["procedure_code"]).drop_duplicates("procedure_code")
    names = by_code.set_index("procedure_code")["procedure_name"]
    codes_by_name = dict(zip(fold_series(by_code["procedure_name"]), by_code["procedure_code"]))
    code = dossiers["procedure_code"]
    known = code.isin(names.index)
    from_name = text_of_each_distinct(dossiers["procedure_name"], lambda name: codes_by_name.get(fold(name)))
    resolved = code.where(known, from_name)
    named = code.notna() | dossiers["procedure_name"].notna()
    unknown = (resolved.isna() & named).to_numpy()
    labels = labels or {}
    problems = []
    for row in dossiers.loc[unknown].itertuples():
        column = "procedure_code" if pd.notna(row.procedure_code) else "procedure_name"
        problems.append(Problem("unknown_procedure", file=row.source_file, row=int(row.source_row),
                                column=labels.get(row.source_file, {}).get(column, column),
                                value=getattr(row, column)))
    dossiers["procedure_code"] = resolved.fillna(code)
    dossiers["procedure_name"] = text_of_each_distinct(resolved, names.to_dict().get).fillna(dossiers["procedure_name"])
    excluded = dossiers.loc[unknown].assign(reason="unknown_procedure").reset_index(drop=True)
    return Checked(_rows_kept(dossiers, unknown, moving), excluded, problems)


def _then_duplicates(frame: pd.DataFrame, rules, keys: list[str], column: str, labels: dict | None,
                     moving: bool = False) -> Checked:
    """``rules`` applied, then the rows they kept that repeat the ``keys`` of an earlier kept row set aside as
    duplicates (said in ``column``): a row excluded for its dates does not hide a later good one. The rows kept
    are taken once, at the end: a province's million dossiers copied at each step were its records' peak."""
    first, reason, problems = _judged(frame, rules, labels)
    usable = np.flatnonzero(~first)
    later = np.zeros(len(frame), dtype=bool)
    later[usable[_later_duplicates(frame[keys].take(usable) if first.any() else frame[keys], keys)]] = True
    second, repeated_reason, repeated = _judged(frame, [exclude("duplicate_id", later, column)], labels)
    excluded = pd.concat([_rows_excluded(frame, first, reason), _rows_excluded(frame, second, repeated_reason)],
                         ignore_index=True)
    return Checked(_rows_kept(frame, first | second, moving), excluded, problems + repeated)


def _apply(frame: pd.DataFrame, rules, labels: dict | None) -> Checked:
    """``labels`` maps file name -> {canonical column: header as written in that file}."""
    excluded, reason, problems = _judged(frame, rules, labels)
    return Checked(_rows_kept(frame, excluded), _rows_excluded(frame, excluded, reason), problems)


def _rows_excluded(frame: pd.DataFrame, excluded: np.ndarray, reason: pd.Series) -> pd.DataFrame:
    """The rows ``excluded``, numbered from 0, with their ``reason``."""
    return frame.loc[excluded].assign(reason=reason[excluded]).reset_index(drop=True)


def _judged(frame: pd.DataFrame, rules, labels: dict | None) -> tuple[np.ndarray, pd.Series, list[Problem]]:
    """Which rows of ``frame`` the ``rules`` exclude, the first reason of each, and the problems of every rule.
    ``labels`` maps file name -> {canonical column: header as written in that file}."""
    labels = labels or {}
    problems: list[Problem] = []
    excluded = np.zeros(len(frame), dtype=bool)
    reason = pd.Series(pd.NA, index=frame.index, dtype="string")
    for code, mask, column, exclude, severity, params in rules:
        mask = np.asarray(mask, dtype=bool)
        if not mask.any():
            continue
        rows = frame.loc[mask]
        # Cells that could not be read were reported when the file was read: exclude, don't repeat.
        silent = code == "unreadable_excluded"
        for file, row, value in [] if silent else zip(rows["source_file"], rows["source_row"], rows[column]):
            shown = labels.get(str(file), {}).get(column, column)
            problems.append(Problem(code, file=str(file), row=int(row), column=shown, value=value,
                                    severity=severity, params={"excluded": exclude, **(params or {})}))
        if exclude:
            reason = reason.mask(mask & reason.isna().to_numpy(), code)
            excluded |= mask
    return excluded, reason, problems


def _rows_kept(frame: pd.DataFrame, dropped: np.ndarray, moving: bool = False) -> pd.DataFrame:
    """The rows of ``frame`` not ``dropped``, numbered from 0. Not a copy when none is dropped (the usual case):
    a province's million dossiers were copied whole at each of three checks, the records' peak memory.
    ``moving``: each column taken is removed from ``frame`` at once, so that the frame's memory is let go as
    its copy is made, not after (the caller must not need ``frame`` again)."""
    if not dropped.any():
        return frame.reset_index(drop=True)
    if not moving:
        return frame.loc[~dropped].reset_index(drop=True)
    positions = np.flatnonzero(~dropped)
    names = frame.columns
    taken = {}
    for name in list(names):
        taken[name] = frame[name].take(positions).reset_index(drop=True)
        del frame[name]
    return pd.DataFrame(taken, columns=names)


def _later_duplicates(frame: pd.DataFrame, keys: list[str]) -> np.ndarray:
    filled = frame[keys].notna().all(axis=1)
    return (filled & frame.duplicated(keys, keep="first")).to_numpy()


def _reported(frame: pd.DataFrame, column: str, unreadable: set) -> np.ndarray:
    result = np.zeros(len(frame), dtype=bool)
    empty = np.flatnonzero(frame[column].isna().to_numpy())
    if unreadable and len(empty):
        files, rows = frame["source_file"].to_numpy(), frame["source_row"].to_numpy()
        result[empty] = [(files[i], int(rows[i]), column) in unreadable for i in empty]
    return result


def _missing_not_reported(frame: pd.DataFrame, column: str, unreadable: set) -> np.ndarray:
    return frame[column].isna().to_numpy() & ~_reported(frame, column, unreadable)
