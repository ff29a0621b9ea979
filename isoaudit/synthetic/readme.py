"""The sample's ``README.md``: what each file holds, where the planted problems are and what the generator
made happen in each unit (the template and its words in ``synthetic_readme.toml``)."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from isoaudit.safety import atomic_write
from isoaudit.synthetic.log_layouts import LOG_STYLES
from isoaudit.synthetic.plants import PlantedProblem
from isoaudit.synthetic.review_inputs import MARKUP_UNIT
from isoaudit.synthetic.units import (
    UnitProfile,
    district_name,
    district_units,
    province_name,
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


def write_readme(path: Path, files: list[tuple[str, int]], planted: list[PlantedProblem], behaviours: pd.DataFrame,
                 seed: int, year: int) -> None:
    """Write the README of a sample made with ``seed`` for ``year`` that holds ``files`` (path, data rows)."""
    words = readme_words()
    official = ", ".join(words["official_file"].format(name=name) for name, _ in files
                         if name.startswith("dossiers/") and _is_official(name))
    values = {"district": district_name(), "province": province_name(), "seed": seed, "year": year,
              "previous": year - 1, "markup_unit": MARKUP_UNIT, "official_files": official}
    tables = {
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


def _is_official(name: str) -> bool:
    # By the unit's style only: a unit keeping an official book is listed for both years' logs.
    code = Path(name).name.split("_")[0]
    unit = next((u for u in district_units() if u.unit_code == code), None)
    return unit is not None and LOG_STYLES[unit.style].layout == "official"
