"""The year's internal audits as the audit notebook saves them (``audits/<code>/DGNB-<year>.xlsx``), agreeing
with each commune's findings register; auditors and evidence from ``synthetic_audits.toml``."""
from __future__ import annotations

import dataclasses
from datetime import datetime
from pathlib import Path

import pandas as pd

from isoaudit.checklist import checklist_for_level, load_checklist
from isoaudit.records.readers import read_record_file
from isoaudit.safety import inside
from isoaudit.synthetic.sheets import stable_copy
from isoaudit.synthetic.words import audit_words
from isoaudit.workbooks.audit_file import (
    AuditPlan,
    audit_path,
    new_audit,
    save_audit,
    set_answer,
)

AUDIT_EXCLUDED = "8.3"  # design and development: excluded by every commune, with a justification
NOT_STARTED = "08035"  # the commune that has not started its audit of the year
HALF_WAY = "08032"  # the commune half way through it


def write_audits(out: Path, communes, year: int) -> list[tuple[str, int]]:
    """``audits/<code>/DGNB-<year>.xlsx`` as the audit notebook saves it, agreeing with the findings register:
    the items behind the year's findings carry their grade, design (8.3) is not applicable, the rest conform.
    ``NOT_STARTED`` has not started its audit and ``HALF_WAY`` is half way, as in a real year (without them,
    the last commune and the one before it).

    Reads the findings registers already written under ``out``; returns the files written (path under
    ``out``, items answered), in order."""
    words = audit_words()
    auditors, evidence = words["auditors"], words["evidence"]
    checklist = checklist_for_level(load_checklist(lang="vi"), "commune")
    audit_id = f"DGNB-{year}"
    codes = [u.unit_code for u in communes]
    not_started = NOT_STARTED if NOT_STARTED in codes else codes[-1]
    half_way = HALF_WAY if HALF_WAY in codes else codes[-2] if len(codes) > 1 else None
    files = []
    for number, unit in enumerate(u for u in communes if u.unit_code != not_started):
        register = read_record_file(inside(out, "findings", f"{unit.unit_code}_findings.xlsx"), "findings",
                                    problems=[])
        grades = {fid.removeprefix(f"{audit_id}-"): grade for fid, grade
                  in zip(register["finding_id"], register["grade"]) if str(fid).startswith(audit_id)}
        lead, member = auditors[number % len(auditors)], auditors[(number + 1) % len(auditors)]
        start = datetime(year, 10, 6 + number % 20)  # in October, whatever the number of communes
        plan = AuditPlan(audit_id, unit.unit_code, unit.unit_name, year, start.date(), start.date(), lead,
                         (lead, member))
        record = new_audit(plan, checklist)
        answered = len(record.answers) * 3 // 5 if unit.unit_code == half_way else len(record.answers)
        answers = record.answers
        for position, (item, clause) in enumerate(zip(answers["id"][:answered], answers["clause"][:answered])):
            result = grades.get(item, "not_applicable" if clause.startswith(AUDIT_EXCLUDED) else "conforms")
            answers = set_answer(answers, item, result=result, evidence=evidence[result],
                                 auditor=lead if position % 2 else member,
                                 at=start.replace(hour=8) + pd.Timedelta(minutes=4 * position))
        path = audit_path(out, unit.unit_code, audit_id)
        with stable_copy(path) as draft:
            save_audit(dataclasses.replace(record, answers=answers), draft, keep_versions=None)
        files.append((path.relative_to(Path(out).resolve()).as_posix(), answered))
    return files
