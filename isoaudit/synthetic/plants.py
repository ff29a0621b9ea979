"""Validation problems planted on purpose in the sample logs (``synthetic_plants.csv``), each where the README
says and with the problem code ``isoaudit.records`` reports for it."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from isoaudit.synthetic.sheets import Sheet
from isoaudit.synthetic.words import plant_table

# Which column each kind of plant touches, and the problem code isoaudit.records reports for it.
_PLANT_TARGET = {
    "returned_before_received": ("returned_date", "returned_before_received"),
    "duplicate_id": ("dossier_id", "duplicate_id"),
    "unreadable_received": ("received_at", "unreadable_datetime"),
    "unreadable_returned": ("returned_date", "unreadable_datetime"),
    "unknown_procedure": ("procedure_name", "unknown_procedure"),
    "empty_received": ("received_at", "missing_value"),
}


@dataclass(frozen=True)
class Plant:
    """A validation problem to plant in one unit's log: its ``kind`` (a key of ``_PLANT_TARGET``) and, for
    the kinds that write a given text, the ``value`` (``{year}`` filled in)."""

    unit_code: str
    kind: str
    value: str | None = None


@dataclass
class PlantedProblem:
    """Where a planted problem is: file, Excel row (or CSV line), column header, the value written."""

    file: str
    row: int
    column: str
    value: str
    kind: str
    expected_code: str


def plants() -> list[Plant]:
    """The problems to plant, in the order they are planted (``synthetic_plants.csv``)."""
    return [Plant(r.unit_code, r.kind, r.value) for r in plant_table().itertuples(index=False)]


def plant_problem(sheet: Sheet, dossiers: pd.DataFrame, plant: Plant, year: int, rng, file_name: str,
                  rows: np.ndarray | None = None) -> PlantedProblem:
    """Put ``plant`` into one data row of ``sheet`` (away from the edges of the rows ``rows`` marks, by
    default all: a log two units wrote gets it in its present unit's part) and say where it is."""
    column, code = _PLANT_TARGET[plant.kind]
    if column not in sheet.columns:
        raise ValueError(f"{plant.kind} needs a {column} column in {file_name}")
    allowed = np.flatnonzero(np.ones(len(dossiers), dtype=bool) if rows is None else rows)
    n = len(allowed)
    candidates = allowed[max(n // 5, 1):max(4 * n // 5, 2)]
    taken = set(sheet.planted_rows)
    if plant.kind in ("returned_before_received", "unreadable_returned"):
        candidates = candidates[dossiers["returned_date"].notna().to_numpy()[candidates]]
    candidates = np.array([c for c in candidates if c not in taken and c - 1 not in taken])
    row = int(rng.choice(candidates))
    as_text = file_name.endswith(".csv")
    received = dossiers["received_at"].iloc[row]
    if plant.kind == "returned_before_received":
        value = (received - pd.Timedelta(days=2)).replace(hour=10, minute=0).to_pydatetime()
        shown = f"{value:%d/%m/%Y %H:%M}"
        value = shown if as_text else value
    elif plant.kind == "duplicate_id":
        value = shown = str(dossiers["dossier_id"].iloc[row - 1])
    elif plant.kind == "empty_received":
        value, shown = ("" if as_text else None), ""
    else:
        value = shown = plant.value.format(year=year)
    sheet.overrides[(row, column)] = value
    sheet.planted_rows.append(row)
    header = _header_of(sheet, column)
    return PlantedProblem(file=f"dossiers/{file_name}", row=int(sheet.excel_rows[row]), column=header,
                          value=shown, kind=plant.kind, expected_code=code)


def _header_of(sheet: Sheet, key: str) -> str:
    position = sheet.columns.index(key)
    for cells, style in reversed(sheet.preamble):
        if style == "header" and position < len(cells) and cells[position]:
            return cells[position]
    return key
