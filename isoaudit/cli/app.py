"""``isoaudit app [RECORDS_FOLDER] [--port N] [--review] [--unit CODE]``: the audit form (with ``--review``, the
management review) as a web page on this computer, without code, until Ctrl-C.

The notebook is copied, with the records folder injected as its parameters (papermill's ``parameterize``) and
its cells meant for JupyterLab users (tagged ``notebook-only``: how to run it) left out, into a temporary
folder; Voilà serves that copy, each browser page running it in its own kernel. Ctrl-C stops Voilà and its
kernels and removes the folder.
"""
from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from isoaudit.cli import add_command, whole_number
from isoaudit.errors import EXIT_INPUT, EXIT_INTERNAL, RecordsError
from isoaudit.i18n import DEFAULT_LANG, label
from isoaudit.notebook_format import load_notebook_format
from isoaudit.safety import user_path

DEFAULT_PORT = 8866  # Voilà's own
PORTS_TRIED = 30  # without --port: the first free one from DEFAULT_PORT on
START_TIMEOUT = 120  # seconds for Voilà to listen
STOP_TIMEOUT = 10  # seconds for Voilà and its kernels to stop before they are killed
HIDDEN_TAG = "notebook-only"


def register(subparsers, lang: str = DEFAULT_LANG):
    parser = add_command(subparsers, "app", lang)
    parser.add_argument("folder", nargs="?", default="sample_records", type=user_path,
                        metavar=label("cli.metavar.records_folder", lang), help=label("cli.app.folder", lang))
    parser.add_argument("--port", type=whole_number(lang), metavar=label("cli.metavar.number", lang),
                        help=label("cli.app.port", lang))
    parser.add_argument("--review", action="store_true", help=label("cli.app.review", lang))
    parser.add_argument("--unit", metavar=label("cli.metavar.code", lang), help=label("cli.app.unit", lang))
    parser.set_defaults(func=run)
    return parser


def run(args) -> int:
    from isoaudit.batch.unit_reports import AUDIT_NOTEBOOK, REVIEW_NOTEBOOK

    lang = args.lang
    folder = Path(args.folder)
    if not folder.is_dir():
        raise RecordsError("folder_not_found", folder=str(folder))
    port = args.port if args.port is not None else free_port(DEFAULT_PORT)
    if port is None or not port_is_free(port):
        print(label("cli.app.port_busy", lang, port=args.port or DEFAULT_PORT), file=sys.stderr)
        return EXIT_INPUT
    print(label("cli.app.starting", lang, folder=str(folder)), flush=True)
    if args.review:
        notebook, name = REVIEW_NOTEBOOK, label("cli.app.page_review", lang)
        parameters = review_parameters(folder, args.unit, lang)
    else:
        notebook, name = AUDIT_NOTEBOOK, label("cli.app.page_audit", lang)
        parameters = {"records": str(folder), "lang": lang, "interactive": True}
        if args.unit:
            parameters["unit"] = args.unit
    work = Path(tempfile.mkdtemp(prefix="isoaudit-app-"))
    server = None
    previous = signal.signal(signal.SIGTERM, _interrupt)  # stopped by a service manager: as by Ctrl-C
    try:
        page = write_page(notebook, parameters, work / f"{name}.ipynb")
        log = work / "voila.log"
        server = start_voila(page, port, log)
        if not wait_until_listening(server, port):
            kept = Path(tempfile.gettempdir()) / f"isoaudit-app-{time.strftime('%Y%m%d-%H%M%S')}.log"
            shutil.copyfile(log, kept)
            print(label("cli.app.failed", lang, log=str(kept)), file=sys.stderr)
            return EXIT_INTERNAL
        print(label("cli.app.serving", lang, url=f"http://localhost:{port}/"), flush=True)
        print(label("cli.app.stop_hint", lang), flush=True)
        server.wait()
        print(label("cli.app.ended", lang), file=sys.stderr)
        return EXIT_INTERNAL
    finally:  # Ctrl-C included: KeyboardInterrupt goes on to the command's last word ("Đã dừng.", exit 130)
        if server is not None:
            stop(server)
        shutil.rmtree(work, ignore_errors=True)
        signal.signal(signal.SIGTERM, previous)


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def review_parameters(folder: Path, unit: str | None, lang: str) -> dict:
    """The review notebook's parameters: ``unit`` (default: the registry's first commune) and its latest year."""
    from isoaudit.notebook.audit_form import default_year
    from isoaudit.records import load_records
    from isoaudit.records.units import default_unit, known_unit_code

    records = load_records(folder, lang=lang)
    unit = known_unit_code(records, unit) if unit else default_unit(records)
    return {"records": str(folder), "unit": unit, "year": default_year(records, unit), "lang": lang}


def write_page(notebook: Path, parameters: dict, target: Path) -> Path:
    """``notebook`` with ``parameters`` injected after its parameters cell and its ``notebook-only`` cells left
    out, written to ``target``."""
    load_notebook_format()
    import nbformat
    from papermill.iorw import load_notebook_node
    from papermill.parameterize import parameterize_notebook

    page = parameterize_notebook(load_notebook_node(str(notebook)), parameters)
    page.cells = [cell for cell in page.cells if HIDDEN_TAG not in cell.metadata.get("tags", [])]
    nbformat.write(page, target)
    return target


def start_voila(page: Path, port: int, log: Path) -> subprocess.Popen:
    """Voilà serving ``page`` on ``port`` (this computer only), its output in ``log``, in a process group of
    its own: Ctrl-C reaches this command, which stops Voilà and its kernels itself."""
    command = [sys.executable, "-m", "voila", str(page), f"--port={port}", "--no-browser", "--Voila.ip=127.0.0.1",
               "--Voila.port_retries=0", "--theme=light", "--show_tracebacks=False"]
    group = {"creationflags": subprocess.CREATE_NEW_PROCESS_GROUP} if os.name == "nt" else {"start_new_session": True}
    with open(log, "wb") as out:
        return subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                cwd=page.parent, **group)


def wait_until_listening(server: subprocess.Popen, port: int, timeout: float = START_TIMEOUT) -> bool:
    """Whether Voilà listens on ``port`` within ``timeout`` seconds (False as soon as it exits)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            return False
        if not port_is_free(port):
            return True
        time.sleep(0.2)
    return False


def stop(server: subprocess.Popen) -> None:
    """Stop Voilà and its kernels: politely, then by force after ``STOP_TIMEOUT`` seconds."""
    if server.poll() is not None:
        return
    try:
        if os.name == "nt":
            server.terminate()
        else:
            os.killpg(server.pid, signal.SIGTERM)
        server.wait(STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        if os.name == "nt":
            server.kill()
        else:
            os.killpg(server.pid, signal.SIGKILL)
        server.wait()
    except ProcessLookupError:
        pass
    if os.name != "nt":
        try:  # kernels Voilà started and left behind in its group
            os.killpg(server.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass


def free_port(start: int = DEFAULT_PORT, tries: int = PORTS_TRIED) -> int | None:
    """The first port from ``start`` on that nothing listens on (None when ``tries`` are taken)."""
    return next((port for port in range(start, start + tries) if port_is_free(port)), None)


def port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.settimeout(0.5)
        return probe.connect_ex(("127.0.0.1", port)) != 0
