"""One unit's reports from its notebooks: the management review (HTML, Word, executed notebook, decisions
template) and the audit report (HTML, executed notebook). Used by ``isoaudit review`` and ``isoaudit batch``."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import isoaudit
from isoaudit.audit_record import audit_path, load_audit
from isoaudit.decisions import decisions_path, write_decisions_template
from isoaudit.notebook_run import NotebookRun, execute_notebook
from isoaudit.outputs.review_docx import write_review_docx
from isoaudit.outputs.review_html import export_html, export_notebook_page
from isoaudit.review import ReviewPack, assemble_review
from isoaudit.safety import inside, safe_filename

NOTEBOOK_DIR = Path(isoaudit.__file__).resolve().parents[1] / "notebooks"
REVIEW_NOTEBOOK = NOTEBOOK_DIR / "management_review" / "management_review.ipynb"
AUDIT_NOTEBOOK = NOTEBOOK_DIR / "audit" / "clause_audit.ipynb"


@dataclass
class UnitReports:
    """What was written for one unit (paths inside the output folder) and the notebook failure, if any."""

    files: dict[str, Path] = field(default_factory=dict)  # kind -> path
    error: str | None = None
    pack: ReviewPack | None = None
    decisions: str | None = None  # where the chair's decisions file is (or the files already recorded)

    @property
    def ok(self) -> bool:
        return self.error is None


def review_reports(records, unit_code: str, year: int, out_dir, *, lang: str = "vi", records_param: str,
                   as_of=None, report_date: date | None = None, decisions_folder=None,
                   notebook: Path = REVIEW_NOTEBOOK, base: str | None = None) -> UnitReports:
    """The review pack of ``unit_code``: Word report, executed notebook and its HTML page in ``out_dir``.

    ``records_param`` is what the notebook is given to load the same records (a folder or a records cache).
    ``decisions_folder``: where the chair's decisions workbook is left if none exists (None: no workbook).
    """
    pack = assemble_review(records, unit_code, year, lang=lang, as_of=as_of)
    base = base or safe_filename(f"{pack.unit_code}_xem_xet_lanh_dao_{pack.year}", "xem_xet_lanh_dao")
    reports = UnitReports(pack=pack)
    if decisions_folder is not None:
        reports.decisions, written = leave_decisions_file(records, pack, decisions_folder, lang)
        if written is not None:
            reports.files["decisions"] = written
    reports.files["review_docx"] = write_review_docx(pack, inside(out_dir, base + ".docx"), report_date,
                                                     reports.decisions)
    parameters = {"records": records_param, "unit": pack.unit_code, "year": pack.year, "lang": lang,
                  "as_of": pack.parameters["as_of"]}
    run = execute_notebook(notebook, out_dir, parameters, name=base + ".ipynb")
    reports.files["review_notebook"] = run.notebook
    if not run.ok:
        reports.error = run.error
        return reports
    reports.files["review_html"] = export_html(run.notebook, pack, inside(out_dir, base + ".html"))
    return reports


def audit_reports(records, unit_code: str, year: int, out_dir, *, lang: str = "vi", records_param: str,
                  audit_dir, base: str = "danh_gia_noi_bo", notebook: Path = AUDIT_NOTEBOOK) -> UnitReports:
    """The audit report of ``unit_code``: the audit notebook run without anyone at the keyboard (it reads the
    audit saved under ``audit_dir`` and writes nothing there), exported as a page without code."""
    parameters = {"records": records_param, "unit": unit_code, "year": year, "lang": lang,
                  "audit_dir": str(audit_dir), "interactive": False}
    run: NotebookRun = execute_notebook(notebook, out_dir, parameters, name=base + ".ipynb")
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


def audit_progress(audit_dir, unit_code: str, year: int) -> dict:
    """The state of the unit's audit of ``year`` (audit id ``DGNB-<year>``, the notebook's default)."""
    path = audit_path(audit_dir, unit_code, f"DGNB-{year}")
    if not path.is_file():
        return {"audit_status": "not_started", "audit_answered": 0, "audit_total": 0}
    answered, total = load_audit(path).progress()
    status = "complete" if total and answered >= total else ("in_progress" if answered else "not_started")
    return {"audit_status": status, "audit_answered": answered, "audit_total": total}


def leave_decisions_file(records, pack: ReviewPack, folder, lang: str) -> tuple[str, Path | None]:
    """Leave the chair's decisions workbook in ``folder`` unless one exists, or this review's decisions are
    already recorded under another name (never replaced). Returns (what the report names, path written)."""
    path = decisions_path(folder, pack.unit_code, pack.year)
    recorded = records.decisions[(records.decisions["unit_code"] == pack.unit_code).fillna(False)
                                 & (records.decisions["year"] == pack.year).fillna(False)]
    if len(recorded) and not path.exists():
        return ", ".join(sorted(set(recorded["source_file"].astype(str)))), None
    written = write_decisions_template(path, pack.unit_code, pack.unit_name, pack.year, pack.proposals, lang)
    return path.name, path if written else None
