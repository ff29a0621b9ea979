"""The whole sample records folder of the fictional district: registries, calendar, a year's logs with
planted problems, objectives, management review inputs, saved audits and a README."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from isoaudit.safety import inside
from isoaudit.synthetic.audits import write_audits
from isoaudit.synthetic.catalogue import load_catalogue, procedures_sheet
from isoaudit.synthetic.district_calendar import (
    calendar_decisions,
    district_calendar,
    write_calendar,
)
from isoaudit.synthetic.dossiers import generate_dossiers
from isoaudit.synthetic.log_layouts import LOG_STYLES, dossier_sheet
from isoaudit.synthetic.objectives import objectives_sheet
from isoaudit.synthetic.plants import PlantedProblem, plant_problem, plants
from isoaudit.synthetic.readme import behaviour, write_readme
from isoaudit.synthetic.review_inputs import write_review_inputs
from isoaudit.synthetic.sheets import write_log, write_xlsx
from isoaudit.synthetic.units import district_units, units_sheet


@dataclass
class SampleSummary:
    """What ``make_sample`` wrote: files with their data rows, planted problems, behaviour per unit."""

    folder: Path
    files: list[tuple[str, int]] = field(default_factory=list)
    planted: list[PlantedProblem] = field(default_factory=list)
    behaviour: pd.DataFrame | None = None

    @property
    def dossier_count(self) -> int:
        return sum(rows for name, rows in self.files if name.startswith("dossiers/"))


def make_sample(out_dir, seed: int = 2025, year: int = 2025, scale: float = 1.0, copies: int = 1) -> SampleSummary:
    """Write the sample district's records folder into ``out_dir`` for ``year``.

    ``scale`` multiplies every unit's dossier count (tests use a small one); ``copies`` > 1 gives the district
    more communes (see ``district_units``). Same seed, same bytes. Besides the year's logs and objectives, each
    commune gets what its management review reads (``write_review_inputs``): the previous year's log,
    satisfaction surveys, feedback, the previous review's decisions and a findings register.
    """
    out = Path(out_dir)
    units = district_units(copies)
    communes = [u for u in units if u.dossiers]
    catalogue = load_catalogue()
    decisions = calendar_decisions(year)
    calendar = district_calendar(year)
    summary = SampleSummary(out)
    streams = np.random.SeedSequence(seed).spawn(len(communes))
    to_plant = plants()

    write_xlsx(inside(out, "units.xlsx"), [units_sheet(units, year)])
    summary.files.append(("units.xlsx", len(units)))
    write_xlsx(inside(out, "procedures.xlsx"), [procedures_sheet(catalogue, year)])
    summary.files.append(("procedures.xlsx", len(catalogue)))
    write_calendar(inside(out, "calendar.csv"), decisions)
    summary.files.append(("calendar.csv", len(decisions)))

    behaviours, logs = [], []
    for unit, stream in zip(communes, streams):
        rng = np.random.default_rng(stream)
        n = max(int(round(unit.dossiers * scale)), 30)
        dossiers = generate_dossiers(unit, year, rng, n=n, catalogue=catalogue, calendar=calendar,
                                     neighbours=units)
        style = LOG_STYLES[unit.style]
        name = f"{unit.unit_code}_{unit.slug}_{year}{style.suffix}"
        sheet = dossier_sheet(dossiers, style, unit, year, rng)
        planted = [plant_problem(sheet, dossiers, p, year, rng, name) for p in to_plant
                   if p.unit_code == unit.unit_code]
        write_log(inside(out, "dossiers", name), sheet)
        summary.files.append((f"dossiers/{name}", n))
        summary.planted += planted
        clean = dossiers.drop(index=sheet.planted_rows)
        behaviours.append(behaviour(unit, clean, year))
        logs.append(clean)

        objectives = objectives_sheet(unit, year, rng)
        objectives_name = f"{unit.unit_code}_muc_tieu_{year}.xlsx"
        write_xlsx(inside(out, "objectives", objectives_name), [objectives])
        summary.files.append((f"objectives/{objectives_name}", objectives.rows))
    summary.behaviour = pd.DataFrame(behaviours)
    summary.files += write_review_inputs(out, units, communes, logs, catalogue, calendar, seed, year, scale)
    summary.files += write_audits(out, communes, year)
    write_readme(inside(out, "README.md"), summary.files, summary.planted, summary.behaviour, seed, year)
    return summary
