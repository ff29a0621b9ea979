"""One large dossier log for benchmarks: the whole province's software export, or its biggest ward's
official tracking book."""
from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd

from isoaudit.errors import IsoauditError
from isoaudit.synthetic.catalogue import load_catalogue
from isoaudit.synthetic.district_calendar import district_calendar
from isoaudit.synthetic.dossiers import generate_dossiers
from isoaudit.synthetic.log_layouts import LOG_STYLES, LogStyle, dossier_sheet
from isoaudit.synthetic.sheets import write_log
from isoaudit.synthetic.units import district_units, units_at_end


def write_dossier_log(path, rows: int, seed: int = 2025, layout: str = "flat", year: int = 2025) -> Path:
    """One large dossier log for benchmarks: ``rows`` dossiers of the whole province's units of the year's end
    (flat software export with a unit column) or of its biggest ward (official tracking book). ``.xlsx`` or
    ``.csv`` by suffix.

    Rows are generated whole but converted to cells and written chunk by chunk (openpyxl write-only).
    """
    path = Path(path)
    if path.suffix.lower() not in (".xlsx", ".csv"):
        raise IsoauditError("synthetic.bad_suffix", file=path.name)
    if rows < 1:
        raise IsoauditError("synthetic.bad_rows", rows=rows)
    if layout not in ("flat", "official"):
        raise IsoauditError("synthetic.bad_layout", layout=layout)
    rng = np.random.default_rng(seed)
    # The units of the year's end: a log covers the year as if they had held it all.
    communes = units_at_end(district_units(), year)
    catalogue = load_catalogue()
    calendar = district_calendar(year)
    if layout == "flat":
        weights = np.array([u.dossiers for u in communes], dtype=float)
        counts = rng.multinomial(rows, weights / weights.sum())
        parts = [generate_dossiers(u, year, rng, n=int(k), catalogue=catalogue, calendar=calendar, neighbours=communes)
                 for u, k in zip(communes, counts) if k]
        dossiers = pd.concat(parts, ignore_index=True).sort_values("received_at", kind="stable", ignore_index=True)
        # The export with a unit column, so that one file can hold every unit.
        style = LogStyle("flat", suffix=path.suffix.lower(), columns="export_b")
        unit = communes[0]
    else:
        unit = communes[0]
        dossiers = generate_dossiers(unit, year, rng, n=rows, catalogue=catalogue, calendar=calendar,
                                     neighbours=communes)
        style = dataclasses.replace(LOG_STYLES["book_code_mixed"], suffix=path.suffix.lower())
    write_log(path, dossier_sheet(dossiers, style, unit, year, rng))
    return path
