"""The sample's ``README.md``: the province's units before and after the reform, what each file holds, where
the planted problems are and what the generator made happen in each unit (the template and its words in
``synthetic_readme.toml``)."""
from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd

from isoaudit.safety import atomic_write
from isoaudit.synthetic.log_layouts import LOG_STYLES
from isoaudit.synthetic.plants import PlantedProblem
from isoaudit.synthetic.review_inputs import MARKUP_UNIT
from isoaudit.synthetic.units import (
    UnitProfile,
    district_name,
    province_name,
    reform_day,
)
from isoaudit.synthetic.words import dossier_words, readme_words

_ONLINE = 1  # the online channel's code (its position in the channels words)


def behaviour(unit: UnitProfile, dossiers: pd.DataFrame, year: int) -> dict:
    """What the generator made happen in one unit, by its own reckoning (planted rows left out): counts of
    dossiers by status and ``on_time_rate`` (a fraction 0..1 of the returned ones)."""
    status = dossiers["status"]
    judged = status.isin(["early", "on_time", "late"])
    return {
        "unit_code": unit.unit_code, "unit_name": unit.unit_name, "dossiers": len(dossiers),
        "returned": int(judged.sum()),
        "on_time_rate": float(status.isin(["early", "on_time"]).sum() / max(int(judged.sum()), 1)),
        "late": int((status == "late").sum()), "overdue": int((status == "overdue").sum()),
        "in_progress": int((status == "in_progress").sum()),
        "late_without_apology": int(dossiers["late_without_apology"].sum()),
        "appointment_beyond_legal": int(dossiers["appointment_beyond_legal"].sum()),
        "supplements": int(dossiers["supplement_requested_at"].notna().sum()),
        "online": int((dossiers["channel"] == dossier_words()["channels"][_ONLINE]).sum()),
    }


def write_readme(path: Path, units: list[UnitProfile], files: list[tuple[str, int]], planted: list[PlantedProblem],
                 behaviours: pd.DataFrame, seed: int, year: int) -> None:
    """Write the README of a sample made with ``seed`` for ``year`` from ``units`` (the registry) that holds
    ``files`` (path, data rows)."""
    words = readme_words()
    official = ", ".join(words["official_file"].format(name=name) for name, _ in files
                         if name.startswith("dossiers/") and _is_official(name, units, year))
    by_code = {}
    for unit in units:
        by_code.setdefault(unit.unit_code, []).append(unit)
    reused = [code for code, holders in by_code.items() if len({u.unit_name for u in holders}) > 1]
    reform = reform_day()
    values = {"district": district_name(), "province": province_name(), "seed": seed, "year": year,
              "previous": year - 1, "markup_unit": MARKUP_UNIT, "official_files": official,
              "reform": f"{reform:%d/%m/%Y}", "reused": ", ".join(reused) or words["empty"]}
    end = date(year, 12, 31)
    tables = {
        "{units}": [_unit_row(u, by_code, words) for u in units
                    if u.dossiers and (u.valid_from or date.min) <= end],
        "{files}": [words["file_row"].format(name=name, rows=rows) for name, rows in files],
        "{planted}": [words["planted_row"].format(file=p.file, row=p.row, column=p.column,
                                                  value=p.value or words["empty"], problem=words["problems"][p.kind],
                                                  code=p.expected_code) for p in planted],
        "{behaviour}": [words["behaviour_row"].format(on_time=r.on_time_rate * 100, **r._asdict())
                        for r in behaviours.itertuples(index=False)],
    }
    lines = []
    for line in words["text"].split("\n"):
        lines += tables[line] if line in tables else [line.format(**values)]
    with atomic_write(path, "w") as handle:
        handle.write("\n".join(lines))


def _unit_row(unit: UnitProfile, by_code: dict[str, list[UnitProfile]], words: dict) -> str:
    """One unit of the registry: its code, name, validity and predecessors (each the unit of that code valid
    the day before this one began)."""
    before = []
    for code in unit.predecessors:
        eve = date.fromordinal(unit.valid_from.toordinal() - 1)
        names = [u.unit_name for u in by_code.get(code, []) if u.valid_on(eve)]
        before.append(words["predecessor"].format(code=code, name=names[0] if names else ""))
    period = words["period"]
    valid = (period["from"].format(day=f"{unit.valid_from:%d/%m/%Y}") if unit.valid_from else
             period["to"].format(day=f"{unit.valid_to:%d/%m/%Y}") if unit.valid_to else period["always"])
    return words["unit_row"].format(code=unit.unit_code, name=unit.unit_name, valid=valid,
                                    predecessors=", ".join(before) or "")


def _is_official(name: str, units: list[UnitProfile], year: int) -> bool:
    # The year's logs only (the previous year's are software exports), by the style of the unit named.
    if not name.endswith(f"_{year}.xlsx"):
        return False
    file = Path(name).name
    unit = next((u for u in units if file.startswith(f"{u.unit_code}_{u.slug}_")), None)
    return unit is not None and LOG_STYLES[unit.style].layout == "official"
