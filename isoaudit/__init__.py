"""isoaudit: internal audits and management reviews for Vietnamese public agencies under TCVN ISO 9001:2015.

The public API, by layer (each name is imported on first use, so ``import isoaudit`` stays light):

- records in: ``load_records``, ``Records``, ``read_dossier_log``;
- domain: ``WorkCalendar``, ``records_calendar``, ``assess`` (timeliness), ``summarise``, ``UnitYear`` (every
  figure), ``compute_evidence``, ``evaluate_objectives``, ``load_checklist``, ``assemble_review``;
- sampling: ``attribute_sample_size``, ``select_sample``, ``evaluate_sample``;
- runs: ``open_audit`` (the audit form), ``run_batch``, ``make_sample``.
"""
from importlib import import_module
from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("isoaudit")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0.1.0"

_API = {
    "load_records": "isoaudit.records", "Records": "isoaudit.records", "read_dossier_log": "isoaudit.records",
    "WorkCalendar": "isoaudit.calendar", "records_calendar": "isoaudit.calendar",
    "assess": "isoaudit.timeliness", "summarise": "isoaudit.timeliness_summary", "UnitYear": "isoaudit.measures",
    "compute_evidence": "isoaudit.evidence", "evaluate_objectives": "isoaudit.objectives",
    "load_checklist": "isoaudit.checklist", "assemble_review": "isoaudit.review",
    "attribute_sample_size": "isoaudit.sampling.sizes", "select_sample": "isoaudit.sampling.selection",
    "evaluate_sample": "isoaudit.sampling.evaluation", "open_audit": "isoaudit.notebook.audit_form",
    "run_batch": "isoaudit.batch", "make_sample": "isoaudit.synthetic",
}
__all__ = ["__version__", *_API]


def __getattr__(name: str):
    # Imported on first use: the command line's help and a notebook's first cell should not pay for all of it.
    if name in _API:
        value = getattr(import_module(_API[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'isoaudit' has no attribute {name!r}")
