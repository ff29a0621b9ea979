"""One unit's reports from its notebooks: the management review (HTML, Word, executed notebook, decisions
template) and the audit report (HTML, executed notebook). Used by ``isoaudit review`` and ``isoaudit batch``."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import isoaudit
from isoaudit.batch.notebook_run import NotebookRun, execute_notebook
from isoaudit.checklist import checklist_for_level, load_checklist
from isoaudit.i18n import format_date
from isoaudit.outputs.review_files import ReviewFacts, read_review_facts
from isoaudit.outputs.review_html import export_notebook_page
from isoaudit.resources import shipped_file
from isoaudit.safety import inside, safe_filename, user_path
from isoaudit.workbooks.audit_file import (
    AuditPlan,
    AuditRecord,
    audit_path,
    load_audit_for,
)

REVIEW_NOTEBOOK = shipped_file("notebooks", "management_review", "management_review.ipynb")
AUDIT_NOTEBOOK = shipped_file("notebooks", "audit", "clause_audit.ipynb")


@dataclass
class UnitReports:
    """What was written for one unit (paths inside the output folder) and the notebook failure, if any."""

    files: dict[str, Path] = field(default_factory=dict)  # kind -> path
    error: str | None = None
    facts: ReviewFacts | None = None  # a review's facts, once its notebook has run

    @property
    def ok(self) -> bool:
        return self.error is None


def review_reports(unit_code: str, year: int, out_dir, *, lang: str = "vi", records_param: str, as_of=None,
                   report_date: date | None = None, decisions_folder=None, notebook: Path = REVIEW_NOTEBOOK,
                   base: str | None = None, session=None) -> UnitReports:
    """The review of ``unit_code``: the notebook run with papermill writes the Word report (and leaves the
    chair's decisions workbook in ``decisions_folder`` if given and none exists); its page is exported here.

    ``records_param`` is what the notebook is given to load the records (a folder or a records cache).
    ``session``: the ``KernelSession`` to run the notebook in (None: a kernel of its own).
    """
    base = base or safe_filename(f"{unit_code}_xem_xet_lanh_dao_{year}", "xem_xet_lanh_dao")
    word_report = inside(out_dir, base + ".docx")
    # The notebook runs in its own folder: a relative path would be looked for there.
    parameters = {"records": str(user_path(records_param)), "unit": unit_code, "year": year, "lang": lang,
                  "as_of": format_date(as_of) or None, "word_report": str(word_report),
                  "decisions_dir": str(user_path(decisions_folder)) if decisions_folder is not None else None,
                  "report_date": format_date(report_date) or None}
    run = execute_notebook(notebook, out_dir, parameters, name=base + ".ipynb", session=session)
    reports = UnitReports(files={"review_notebook": run.notebook})
    if not run.ok:
        reports.error = run.error
        return reports
    facts = reports.facts = read_review_facts(word_report)
    reports.files["review_docx"] = word_report
    if facts.decisions_written:
        reports.files["decisions"] = Path(facts.decisions_written)
    reports.files["review_html"] = export_notebook_page(
        run.notebook, inside(out_dir, base + ".html"), facts.page_title, facts.lang, facts.inputs_frame,
        facts.parameters, facts.version)
    return reports


def audit_reports(records, unit_code: str, year: int, out_dir, *, lang: str = "vi", records_param: str,
                  audit_dir, base: str = "danh_gia_noi_bo", notebook: Path = AUDIT_NOTEBOOK,
                  session=None) -> UnitReports:
    """The audit report of ``unit_code``: the audit notebook run without anyone at the keyboard (it reads the
    audit saved under ``audit_dir`` and writes nothing there), exported as a page without code.

    Raises ``WorksheetError`` before any notebook runs when the unit's audit file is refused (its plan names
    another unit, audit id or year: ``check_audit_file``), so the unit fails with that reason in ``lang``."""
    check_audit_file(records, audit_dir, unit_code, year)
    parameters = {"records": str(user_path(records_param)), "unit": unit_code, "year": year, "lang": lang,
                  "audit_dir": str(user_path(audit_dir)), "interactive": False}
    run: NotebookRun = execute_notebook(notebook, out_dir, parameters, name=base + ".ipynb", session=session)
    reports = UnitReports(files={"audit_notebook": run.notebook})
    if not run.ok:
        reports.error = run.error
        return reports
    unit_name = str(records.units.set_index("unit_code")["unit_name"].get(unit_code, unit_code))
    title = f"{isoaudit.i18n.label('batch.link.audit_html', lang)}: {unit_name} ({year})"
    reports.files["audit_html"] = export_notebook_page(run.notebook, inside(out_dir, base + ".html"), title, lang,
                                                       records.for_unit(unit_code).file_digests(),
                                                       {k: v for k, v in parameters.items() if k != "interactive"})
    return reports


AUDIT_STATUSES = ("not_started", "in_progress", "complete")  # audit_progress's "audit_status"


def check_audit_file(records, audit_dir, unit_code: str, year: int) -> AuditRecord | None:
    """The unit's audit of ``year`` as its file holds it (None when there is none yet). Raises
    ``WorksheetError`` (``audit.plan_mismatch``), reading only, when the file's plan names another unit, audit
    id or year: the audit notebook would refuse it, and no report may use another unit's answers."""
    path = audit_path(audit_dir, unit_code, _audit_id(year))
    if not path.is_file():
        return None
    stat = path.stat()
    name = records.units.set_index("unit_code")["unit_name"].get(unit_code)
    expected = AuditPlan(_audit_id(year), unit_code, name if isinstance(name, str) else "", year)
    # A batch checks the file before the unit's notebooks run and again for its progress: read it once.
    key = (str(path), stat.st_mtime_ns, stat.st_size, stat.st_ino, expected,
           tuple(records.units["unit_code"].astype(str)))
    last = _last_check[0]  # one read: a Dask worker's threads check their units side by side
    if last is not None and last[0] == key:
        return last[1]
    record = load_audit_for(path, expected, records.units["unit_code"])
    _last_check[0] = (key, record)
    return record


_last_check: list = [None]  # (key, record) of check_audit_file's last file read


def audit_progress(records, audit_dir, unit_code: str, year: int) -> dict:
    """The state of the unit's audit of ``year`` (audit id ``DGNB-<year>``, the notebook's default). An audit
    not started still has its questions: the bundled checklist cut to the unit's level."""
    record = check_audit_file(records, audit_dir, unit_code, year)
    if record is None:
        level = records.units.set_index("unit_code")["level"].get(unit_code)
        items = load_checklist()
        if isinstance(level, str):
            items = checklist_for_level(items, level)
        return {"audit_status": "not_started", "audit_answered": 0, "audit_total": len(items)}
    answered, total = record.progress()
    status = "complete" if total and answered >= total else ("in_progress" if answered else "not_started")
    return {"audit_status": status, "audit_answered": answered, "audit_total": total}


def _audit_id(year: int) -> str:
    return f"DGNB-{year}"  # the audit notebook's default audit id (notebook.audit_form.DEFAULT_AUDIT_PREFIX)
