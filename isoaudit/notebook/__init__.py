"""What the notebooks import, in one place: the interactive audit form (``audit_screen``) and its report, the
management-review pack and the helpers that show and save it. ``load_records`` and ``assemble_review`` are
those of ``notebook.unit_records``: a batch unit's two notebooks read its records and judge its year once."""
from isoaudit.notebook.audit_form import in_frontend, open_audit
from isoaudit.notebook.audit_view import audit_screen
from isoaudit.notebook.records_folder import find_records_folder
from isoaudit.notebook.unit_records import assemble_review
from isoaudit.notebook.unit_records import read_records as load_records
from isoaudit.outputs.audit_report import render_report
from isoaudit.outputs.review_files import save_review
from isoaudit.outputs.review_html import show_header, show_section

__all__ = ["assemble_review", "audit_screen", "find_records_folder", "in_frontend", "load_records", "open_audit",
           "render_report", "save_review", "show_header", "show_section"]
