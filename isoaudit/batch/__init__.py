"""Every unit's notebooks for a whole province or district: the run (``run``), its worker processes and
kernels (``workers``, ``kernel_session``), the papermill runner (``notebook_run``) and one unit's reports
(``unit_reports``)."""
from isoaudit.batch.run import BatchResult, UnitJob, UnitResult, run_batch

__all__ = ["BatchResult", "UnitJob", "UnitResult", "run_batch"]
