"""The whole sample records folder of the fictional province: registries, calendar, a year's logs with
planted problems, objectives, management review inputs, saved audits and a README."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from isoaudit.safety import inside
from isoaudit.synthetic.analytics_sample import plant_analytics, readme_section, write_statistics_forms
from isoaudit.synthetic.audits import write_audits
from isoaudit.synthetic.catalogue import load_catalogue, procedures_sheet
from isoaudit.synthetic.district_calendar import (
    calendar_decisions,
    district_calendar,
    write_calendar,
)
from isoaudit.synthetic.log_layouts import LOG_STYLES, dossier_sheet
from isoaudit.synthetic.objectives import objectives_sheet
from isoaudit.synthetic.plants import PlantedProblem, plant_problem, plants
from isoaudit.synthetic.readme import behaviour, write_readme
from isoaudit.synthetic.review_inputs import write_review_inputs
from isoaudit.synthetic.sheets import write_log, write_xlsx
from isoaudit.synthetic.unit_logs import log_dossiers, part_of, year_logs
from isoaudit.synthetic.units import district_units, units_at_end, units_sheet


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
    """Write the sample province's records folder into ``out_dir`` for ``year``.

    The registry holds the province's units before and after the reform of 1/7/2025; each code held in the
    year gets one log (``year_logs``: a reused or kept code's log spans the reform, a code that ended stops
    on its last day). ``scale`` multiplies every unit's dossier count (tests use a small one); ``copies`` > 1
    gives the province more communes (see ``district_units``). Same seed, same bytes. The units valid at the
    year's end get objectives and what their management review reads (``write_review_inputs``): the previous
    year's logs, satisfaction surveys, feedback, the previous review's decisions and a findings register.
    """
    out = Path(out_dir)
    units = district_units(copies)
    logs = year_logs(units, year)
    current = units_at_end(units, year)
    catalogue = load_catalogue()
    decisions = calendar_decisions(year)
    calendar = district_calendar(year)
    summary = SampleSummary(out)
    streams = np.random.SeedSequence(seed).spawn(len(logs))
    to_plant = plants()

    registry = units_sheet(units, year)
    write_xlsx(inside(out, "units.xlsx"), [registry])
    summary.files.append(("units.xlsx", registry.rows))
    write_xlsx(inside(out, "procedures.xlsx"), [procedures_sheet(catalogue, year)])
    summary.files.append(("procedures.xlsx", len(catalogue)))
    write_calendar(inside(out, "calendar.csv"), decisions)
    summary.files.append(("calendar.csv", len(decisions)))

    behaviours, year_dossiers, analytics_planted = [], {}, []
    for log, stream in zip(logs, streams):
        rng = np.random.default_rng(stream)
        unit = log.owner
        dossiers = log_dossiers(log, year, rng, units, scale, catalogue=catalogue, calendar=calendar)
        if "submitted_at" not in dossiers:  # the portal's submission: only the analytics' plants write one
            dossiers["submitted_at"] = pd.Series(pd.NaT, index=dossiers.index, dtype="datetime64[us]")
        dossiers, patterns = plant_analytics(unit.unit_code, dossiers, part_of(log, dossiers, unit), calendar, seed,
                                             scale)
        analytics_planted += [(unit.unit_code, *pattern) for pattern in patterns]
        style = LOG_STYLES[unit.style]
        name = f"{unit.unit_code}_{unit.slug}_{year}{style.suffix}"
        sheet = dossier_sheet(dossiers, style, unit, year, rng, last_day=log.last_day)
        own_part = part_of(log, dossiers, unit)
        planted = [plant_problem(sheet, dossiers, p, year, rng, name, rows=own_part) for p in to_plant
                   if p.unit_code == unit.unit_code]
        write_log(inside(out, "dossiers", name), sheet)
        summary.files.append((f"dossiers/{name}", len(dossiers)))
        summary.planted += planted
        clean = dossiers.drop(index=sheet.planted_rows)
        behaviours.append(behaviour(unit, clean, year))
        year_dossiers[unit.unit_code] = clean
        if unit not in current:
            continue
        objectives = objectives_sheet(unit, year, rng)
        objectives_name = f"{unit.unit_code}_muc_tieu_{year}.xlsx"
        write_xlsx(inside(out, "objectives", objectives_name), [objectives])
        summary.files.append((f"objectives/{objectives_name}", objectives.rows))
    summary.behaviour = pd.DataFrame(behaviours)
    summary.files += write_review_inputs(out, units, year_dossiers, catalogue, calendar, seed, year, scale)
    summary.files += write_audits(out, current, year)
    forms = write_statistics_forms(out, year)
    summary.files += [(path, 0) for *_, path in forms]
    write_readme(inside(out, "README.md"), units, summary.files, summary.planted, summary.behaviour, seed, year)
    with open(inside(out, "README.md"), "a", encoding="utf-8") as handle:
        handle.write(readme_section(analytics_planted, forms, year))
    return summary
