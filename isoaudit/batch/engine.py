"""The papermill engine that runs a notebook in a batch worker's kept kernel (``kernel_session``).

Importing this module registers the engine under ``ENGINE_NAME``; ``notebook_run`` imports it only when a
notebook is run.
"""
from __future__ import annotations

from papermill.clientwrap import PapermillNotebookClient
from papermill.engines import NBClientEngine, papermill_engines
from papermill.log import logger

from isoaudit.batch.kernel_session import KernelSession

ENGINE_NAME = "isoaudit-session"


class SessionEngine(NBClientEngine):
    """papermill's nbclient engine with the session's kernel and connection: nbclient then neither starts,
    connects to nor stops a kernel."""

    @classmethod
    def execute_managed_notebook(cls, nb_man, kernel_name, log_output=False, stdout_file=None, stderr_file=None,
                                 start_timeout=60, execution_timeout=None, session: KernelSession | None = None,
                                 **kwargs):
        client = PapermillNotebookClient(
            nb_man, km=session.manager, timeout=execution_timeout, startup_timeout=start_timeout,
            kernel_name=kernel_name, log=logger, log_output=log_output, stdout_file=stdout_file,
            stderr_file=stderr_file)
        client.kc = session.client
        # papermill writes the whole notebook as each cell starts and ends, for whoever watches it run. A batch
        # runs it into a hidden file that is moved in place when it ends, watched by no one: it is written once,
        # by ``notebook_complete``, which papermill calls after the cells, also after a failing one.
        output_path, nb_man.output_path = nb_man.output_path, None
        try:
            return client.execute()
        finally:
            nb_man.output_path = output_path


papermill_engines.register(ENGINE_NAME, SessionEngine)
