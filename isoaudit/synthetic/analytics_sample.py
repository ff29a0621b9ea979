"""The sample province's patterns for the audit analytics and its agencies' reported statistics forms
(``data/synthetic_analytics.toml``): which unit's log gets which test's plants, which units reported a form
for which period, honestly or not, and the README's section saying so."""
from __future__ import annotations

import tomllib
from functools import lru_cache
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from isoaudit.synthetic import plants_backfill, plants_supplements
from isoaudit.synthetic.plant_runs import plant_all
from isoaudit.synthetic.plants_calendar import plant_calendar
from isoaudit.synthetic.plants_population import plant_population


def planters() -> dict:
    counts = analytics_settings().get("counts", {})
    return {"population": lambda frame, rng, calendar: plant_population(frame, rng),
            "calendar": lambda frame, rng, calendar: plant_calendar(frame, rng, calendar=calendar),
            "supplements": lambda frame, rng, calendar: plant_all(plants_supplements.PLANTS, frame, rng, calendar,
                                                                  counts.get("supplements")),
            "backfill": lambda frame, rng, calendar: plant_all(plants_backfill.PLANTS, frame, rng, calendar,
                                                               counts.get("backfill"))}


@lru_cache(maxsize=1)
def analytics_settings() -> dict:
    return tomllib.loads(resources.files("isoaudit.data").joinpath("synthetic_analytics.toml")
                         .read_text(encoding="utf-8"))


def plant_analytics(unit_code: str, dossiers: pd.DataFrame, own: np.ndarray, calendar, seed: int,
                    scale: float = 1.0) -> tuple[pd.DataFrame, list[tuple[str, str, list[str]]]]:
    """``dossiers`` with the patterns of the tests planted in ``unit_code``'s log, in its own rows (``own``),
    and what was planted: (test, reason, ids). Nothing for a unit no test names, nor in a sample smaller than
    ``min_scale``: its logs are too short to hold the patterns, and tests use it as the quiet province."""
    settings = analytics_settings()
    tests = [test for test, unit in settings["plants"].items() if unit == unit_code]
    if not tests or scale < settings["min_scale"]:
        return dossiers, []
    mine, others = dossiers[own], dossiers[~own]
    planted = []
    rng = np.random.default_rng([seed, int(unit_code)])
    for test in tests:
        mine, found = planters()[test](mine.reset_index(drop=True), rng, calendar)
        planted += [(test, reason, list(ids)) for reason, ids in found.items() if len(ids)]
        if found.get("batch_returns"):
            # Their receipts were moved to put their appointment on the one day: the day written in their
            # codes no longer is, and the completeness test sees exactly that.
            planted.append(("population", "moved_receipt", list(found["batch_returns"])))
    frame = pd.concat([others, mine], ignore_index=True).sort_values("received_at", kind="stable",
                                                                     ignore_index=True)
    return frame, planted


def write_statistics_forms(out: Path, year: int) -> list[tuple[str, str, str, dict, str]]:
    """The reported forms of ``data/synthetic_analytics.toml`` written into ``out/statistics/`` from the
    sample's own records (as the software counts them, then misreported where asked): (unit, start, end,
    changes, the file's path in the folder) each."""
    from isoaudit.records import load_records
    from isoaudit.synthetic.statistics_form import write_unit_form

    records = load_records(out)
    written = []
    for form in analytics_settings()["forms"]:
        start, end = (pd.to_datetime(form[k].format(year=year), dayfirst=True) for k in ("start", "end"))
        if start.year < year - 1 or end.year != year:
            continue
        changes = dict(form.get("misreport") or {})
        path = write_unit_form(out, records, form["unit"], start, end, misreport=changes or None)
        written.append((form["unit"], f"{start:%d/%m/%Y}", f"{end:%d/%m/%Y}", changes,
                        path.relative_to(out).as_posix()))
    return written


def readme_section(planted: list[tuple[str, str, str, list[str]]], forms, year: int) -> str:
    """The README's section on the planted patterns (unit, test, reason, ids) and the reported forms."""
    words = analytics_settings()["readme"]
    lines = ["", words["heading"], "", words["intro"].format(year=year), "", words["header"]]
    lines += [words["row"].format(unit=unit, test=test, reason=reason, ids=", ".join(ids))
              for unit, test, reason, ids in planted]
    if forms:
        lines += ["", words["forms"]]
        for unit, start, end, changes, _ in forms:
            if changes:
                lines.append(words["form_misreported"].format(unit=unit, start=start, end=end, changes=", ".join(
                    f"{line} {value:+d}" for line, value in changes.items())))
            else:
                lines.append(words["form_honest"].format(unit=unit, start=start, end=end))
    return "\n".join(lines) + "\n"
