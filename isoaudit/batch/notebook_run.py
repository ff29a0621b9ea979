"""Run a parameterised notebook with papermill into a folder, with a kernel that is found on a fresh install.

The kernel is the current interpreter's ``python3`` kernel: the one ipykernel ships (jupyter_client finds it
even when no kernelspec was ever installed) or an installed spec whose command is ``python``/``python3``
(jupyter_client runs those with the current interpreter). A ``python3`` spec installed elsewhere that points
at another interpreter (which may lack isoaudit) is bypassed with a private spec for this interpreter.
"""
from __future__ import annotations

import json
import os
import sys
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Mapping

from isoaudit.batch.kernel_session import register_engine
from isoaudit.resources import REPOSITORY
from isoaudit.safety import inside, safe_filename

KERNEL_NAME = "python3"
NOTEBOOK_FOLDERS = ("audit", "management_review")  # notebooks/<name>/ of the repository
DEFAULT_TIMEOUT = 900  # seconds per cell: a district's records load in well under that


@dataclass
class NotebookRun:
    """The executed notebook (written even when a cell failed) and the failure, if any."""

    notebook: Path
    error: str | None = None  # "<ErrorName>: <message>" of the failing cell
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
    import papermill
    from papermill.exceptions import PapermillExecutionError

    notebook = Path(notebook)
    target = inside(out_dir, safe_filename(name or notebook.name, "notebook.ipynb"))
    target.parent.mkdir(parents=True, exist_ok=True)
    # Papermill writes as it goes: run into a hidden file beside the target, move it in place at the end.
    partial = target.with_name(f".{target.stem}.{os.getpid()}.tmp.ipynb")
    failure = None
    cwd = Path(cwd or notebook.parent)
    common = dict(parameters=dict(parameters or {}), progress_bar=False, log_output=False,
                  request_save_on_cell_execute=False, execution_timeout=timeout, language="python")
    try:
        try:
            if session is not None:
                session.prepare(cwd)
                papermill.execute_notebook(str(notebook), str(partial), kernel_name=session.kernel_name,
                                           engine_name=register_engine(), session=session, **common)
            else:
                with kernel_available(kernel_name) as kernel:
                    # The kernel's start-up log (e.g. its note on local TCP transport) is not for the user.
                    papermill.execute_notebook(str(notebook), str(partial), kernel_name=kernel, cwd=str(cwd),
                                               extra_arguments=["--IPKernelApp.log_level=ERROR"], **common)
        except PapermillExecutionError as error:
            failure = NotebookRun(target, f"{error.ename}: {error.evalue}", error.cell_index)
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    return failure or NotebookRun(target)


def find_records_folder(records, start=None) -> Path:
    """The records folder a notebook parameter names, found whether the kernel runs in the notebook's folder
    (JupyterLab, papermill) or above it (papermill from the repository root): an absolute path as given;
    a relative one under ``start`` (default: the working folder) or any of its parents, then under their
    ``notebooks/<name>/`` folders (so "../../sample_records" works from the root too), then beside the
    isoaudit package (an editable install). Raises ``RecordsError`` listing the places tried."""
    from isoaudit.errors import RecordsError

    given = Path(records).expanduser()
    if given.is_absolute():
        return given
    start = Path(start or Path.cwd()).resolve()
    bases = list(dict.fromkeys([start, *start.parents, REPOSITORY]))
    candidates = [base / given for base in bases]
    candidates += [base / "notebooks" / name / given for base in bases for name in NOTEBOOK_FOLDERS]
    for candidate in candidates:
        if candidate.is_dir():
            return candidate.resolve()
    tried = list(dict.fromkeys(str(c.resolve()) for c in candidates))
    raise RecordsError("audit.records_not_found", path=str(records), tried="; ".join(tried[:6]))


def kernel_for_this_interpreter(kernel_name: str = KERNEL_NAME) -> bool:
    """Whether ``kernel_name`` resolves to a kernel running this very interpreter."""
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    try:
        spec = KernelSpecManager().get_kernel_spec(kernel_name)
    except NoSuchKernel:
        return False
    command = spec.argv[0] if spec.argv else ""
    # jupyter_client replaces these with sys.executable when it launches the kernel.
    if command in {"python", f"python{sys.version_info[0]}", "python%i.%i" % sys.version_info[:2]}:
        return True
    try:
        return Path(command).resolve() == Path(sys.executable).resolve()
    except OSError:
        return False


@contextmanager
def kernel_available(kernel_name: str = KERNEL_NAME) -> Iterator[str]:
    """Yield a kernel name that runs this interpreter: ``kernel_name`` itself, or a private spec put first
    on JUPYTER_PATH for the duration of the run."""
    if kernel_for_this_interpreter(kernel_name):
        yield kernel_name
        return
    with tempfile.TemporaryDirectory(prefix="isoaudit-kernel-") as folder:
        spec_dir = Path(folder, "kernels", kernel_name)
        spec_dir.mkdir(parents=True)
        spec = {
            "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
            "display_name": "Python 3 (isoaudit)",
            "language": "python",
        }
        (spec_dir / "kernel.json").write_text(json.dumps(spec), encoding="utf-8")
        previous = os.environ.get("JUPYTER_PATH")
        os.environ["JUPYTER_PATH"] = os.pathsep.join(filter(None, [folder, previous]))
        try:
            yield kernel_name
        finally:
            if previous is None:
                os.environ.pop("JUPYTER_PATH", None)
            else:
                os.environ["JUPYTER_PATH"] = previous
