"""A unit's quality objectives and plan for the year (``objectives/<code>_muc_tieu_<year>.xlsx``), from the
objectives of ``synthetic_objectives.toml``; objectives judged by hand carry the result typed at year end."""
from __future__ import annotations

from datetime import datetime

from isoaudit.synthetic.sheets import Sheet, form_heading, signatures, static_sheet
from isoaudit.synthetic.units import UnitProfile, agency, parent_name
from isoaudit.synthetic.words import objective_words

_WIDTHS = [10, 48, 36, 14, 26, 26, 14, 16, 8]  # of the objectives workbook's columns


def objectives_sheet(unit: UnitProfile, year: int, rng) -> Sheet:
    """The unit's quality objectives and plan; manual objectives carry the result typed at year end."""
    words = objective_words()
    targets = words["on_time_targets"]
    on_time_target = targets[unit.index % len(targets)]
    # Results typed at year end, drawn in this order whichever objectives report them.
    satisfaction = _percent(rng.uniform(84, 97))
    trained = words["trained"][0] if rng.random() < 0.8 else words["trained"][1]
    complaints = str(int(rng.random() < 0.25))
    online = "" if unit.index % 3 == 0 else _percent(rng.uniform(20, 45))
    reported = {"satisfaction": satisfaction, "training": trained, "complaints": complaints, "online": online or None}
    header = list(words["header"])
    rows = []
    for i, objective in enumerate(words["objectives"], 1):
        month = objective["deadline_month"]
        deadline = datetime(year, month, 30 if month == 6 else 31)
        rows.append([f"MT{i:02d}", objective["objective"], objective["indicator"],
                     objective.get("target") or on_time_target, objective.get("measure"), objective["owner"],
                     deadline, reported.get(objective.get("result")), year])
    width = len(header)
    preamble = [
        *form_heading(width, agency(parent_name(unit).upper()), agency(unit.unit_name.upper()), 5),
        ([], "title"),
        ([words["title"].format(year=year)], "title"),
        ([words["decision"].format(year=year, unit=unit.lower_name)], "title"),
        ([], "title"),
        (header, "header"),
    ]
    sheet = static_sheet(words["sheet"], preamble, rows, _WIDTHS)
    sheet.date_formats = {6: "dd/mm/yyyy"}
    sheet.footer = [[], *signatures(width, words["preparer"], 5, words["chair"])]
    return sheet


def _percent(value: float) -> str:
    """One decimal with a decimal comma, as typed in a Vietnamese workbook: 91,4 %."""
    return f"{value:.1f}".replace(".", ",") + " %"
