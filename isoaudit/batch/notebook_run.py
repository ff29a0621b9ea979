"""Run a parameterised notebook with papermill into a folder, in a kernel of this interpreter
(``batch.kernels``) or in a batch worker's kernel (``batch.kernel_session``)."""
from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from isoaudit.batch.kernels import KERNEL_NAME, kernel_available
from isoaudit.errors import isoaudit_error_names
from isoaudit.notebook_format import load_notebook_format
from isoaudit.safety import inside, safe_filename

DEFAULT_TIMEOUT = 900  # seconds per cell: a district's records load in well under that


@dataclass
class NotebookRun:
    """The executed notebook (written even when a cell failed) and the failure, if any."""

    notebook: Path
    error: str | None = None  # the message of the failing cell's error (``cell_error``)
    failed_cell: int | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


def execute_notebook(notebook, out_dir, parameters: Mapping | None = None, *, name: str | None = None,
                     kernel_name: str = KERNEL_NAME, timeout: int = DEFAULT_TIMEOUT,
                     cwd=None, session=None) -> NotebookRun:
    """Execute ``notebook`` with ``parameters`` injected; the executed copy goes to ``out_dir/name``.

    A failing cell does not raise: the run comes back with ``error`` set (the executed notebook shows where).
    ``cwd`` defaults to the notebook's folder, so relative paths in it behave as when opened in JupyterLab.
    ``session``: a ``KernelSession`` to run in (a batch worker's); None: a new kernel for this run.
    """
    # papermill (and the engine, which needs it) take a second to import: only runs that execute pay for it.
    load_notebook_format()
    import papermill
    from papermill.exceptions import PapermillExecutionError

    from isoaudit.batch.engine import ENGINE_NAME

    notebook = Path(notebook)
    target = inside(out_dir, safe_filename(name or notebook.name, "notebook.ipynb"))
    target.parent.mkdir(parents=True, exist_ok=True)
    # Papermill writes as it goes: run into a hidden file beside the target, move it in place at the end.
    partial = target.with_name(f".{target.stem}.{os.getpid()}.tmp.ipynb")
    failure = None
    cwd = Path(cwd or notebook.parent)
    common = {"parameters": dict(parameters or {}), "progress_bar": False, "log_output": False,
              "request_save_on_cell_execute": False, "execution_timeout": timeout, "language": "python"}
    try:
        try:
            if session is not None:
                session.prepare(cwd)
                papermill.execute_notebook(str(notebook), str(partial), kernel_name=session.kernel_name,
                                           engine_name=ENGINE_NAME, session=session, **common)
            else:
                with kernel_available(kernel_name) as kernel:
                    # The kernel's start-up log (e.g. its note on local TCP transport) is not for the user.
                    papermill.execute_notebook(str(notebook), str(partial), kernel_name=kernel, cwd=str(cwd),
                                               extra_arguments=["--IPKernelApp.log_level=ERROR"], **common)
        except PapermillExecutionError as error:
            failure = NotebookRun(target, cell_error(error.ename, error.evalue), error.cell_index)
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    return failure or NotebookRun(target)


def cell_error(name: str, text: str) -> str:
    """What a failing cell's error says to a user: isoaudit's own errors are already worded (in the language
    of ``isoaudit.i18n.process_lang``) and shown as they are; others keep their kind, "ValueError: ..."."""
    return text if name in isoaudit_error_names() else f"{name}: {text}"
