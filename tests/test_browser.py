"""The audit form as auditors use it: ``isoaudit app`` serving it with Voilà, driven in Chromium by Playwright
at a laptop's size. Answering by keyboard alone, a restart that resumes where the auditor stopped, two
pages saving at the same moment, a save that fails while another process holds the file.

One server for the module, on a copy of ``sample_records``; the tests answer questions of Xã Kim Đức (08035
after the reform of 1/7/2025, the one commune the sample has no audit of) that no other test answers, and 08032
for the restart. Skipped,
saying why, without Playwright, Chromium or Voilà."""
from __future__ import annotations

import importlib.util
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pandas as pd
import pytest
from filelock import FileLock

from isoaudit.errors import WorksheetError
from isoaudit.workbooks.audit_file import load_audit
from tests.conftest import REPOSITORY
from tests.processes import sigint_as_in_a_terminal

CHROMIUM = next((path for path in (os.environ.get("ISOAUDIT_CHROMIUM"), shutil.which("chromium"),
                                   shutil.which("chromium-browser"), "/usr/bin/chromium")
                 if path and Path(path).exists()), None)
MISSING = [name for name in ("playwright", "voila") if importlib.util.find_spec(name) is None]
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(bool(MISSING), reason=f"not installed: {', '.join(MISSING)} (pip install {' '.join(MISSING)})"),
    pytest.mark.skipif(CHROMIUM is None, reason="no Chromium: apt-get install chromium, or set ISOAUDIT_CHROMIUM"),
]
LAPTOP = {"width": 1366, "height": 768}
LOADED = 120_000  # ms for a page: a kernel starts and runs the notebook (reading the records)
SHOTS = Path(os.environ.get("ISOAUDIT_SCREENSHOTS", "")) if os.environ.get("ISOAUDIT_SCREENSHOTS") else None
AUDIT_ID = "DGNB-2025"  # the sample district's dossiers are of 2025


class App:
    """``isoaudit app RECORDS --port N`` in a process of its own, stopped as a person stops it: Ctrl-C."""

    def __init__(self, records: Path, config: Path):
        self.records, self.config = records, config
        self.process = None
        self.url = None

    def start(self) -> None:
        port = _free_port()
        env = {**os.environ, "ISOAUDIT_CONFIG_DIR": str(self.config), "PYTHONUNBUFFERED": "1"}
        command = [sys.executable, "-m", "isoaudit", "app", str(self.records), "--port", str(port)]
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                                        cwd=self.records.parent,
                                        preexec_fn=sigint_as_in_a_terminal)  # noqa: PLW1509 - see it
        lines = []
        reader = threading.Thread(target=lambda: lines.extend(self.process.stdout), daemon=True)
        reader.start()
        deadline = time.monotonic() + 120
        while not any("http://" in line for line in lines):
            assert self.process.poll() is None, self.process.stderr.read()
            assert time.monotonic() < deadline, "the app did not say its address within 120 s"
            time.sleep(0.2)
        line = next(line for line in lines if "http://" in line)
        assert line.startswith("Trang web đã sẵn sàng."), line
        self.url = line[line.index("http://"):].split()[0]

    def stop(self) -> tuple[int, str]:
        """Ctrl-C; the exit code and what the app said."""
        self.process.send_signal(signal.SIGINT)
        code = self.process.wait(60)
        return code, self.process.stderr.read()


@pytest.fixture(scope="module")
def records(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("app") / "ho_so"
    shutil.copytree(REPOSITORY / "sample_records", folder)
    return folder


@pytest.fixture(scope="module")
def app(records, tmp_path_factory):
    server = App(records, tmp_path_factory.mktemp("config"))
    server.start()
    yield server
    if server.process.poll() is None:
        server.stop()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield chromium
        chromium.close()


# ---- driving the page -----------------------------------------------------------------------------------------------
def open_page(browser, app):
    page = browser.new_page(viewport=LAPTOP)
    page.set_default_timeout(60_000)  # a loaded CI machine answers widget messages slowly
    page.goto(app.url)
    page.wait_for_selector(".isoaudit-item", timeout=LOADED)
    return page


def choose_unit(page, code: str) -> None:
    units = page.locator("select").first
    if units.input_value().startswith(code):
        return
    form = page.locator(".isoaudit-form").element_handle()
    # The code itself, not a former unit's key that begins with it ("08035@2025-06-30"): the sample's registry
    # holds the communes before and after the reform of 1/7/2025.
    option = units.locator("option", has_text=re.compile(rf"^\s*{re.escape(code)}\s")).first
    units.select_option(label=option.text_content())
    page.wait_for_function("form => !form.isConnected", arg=form)
    page.wait_for_selector(".isoaudit-item")


def choose_clause(page, clause: str) -> None:
    clauses = page.locator(".isoaudit-bar select")
    clauses.select_option(label=clauses.locator("option", has_text=f"{clause} ").first.text_content())
    page.locator(".isoaudit-item", has_text=f"{clause}-01").wait_for()


def type_name(page, name: str) -> None:
    box = page.locator(".isoaudit-bar input[type=text]")
    box.fill("")
    box.press_sequentially(name)


def item(page, item_id: str):
    return page.locator(".isoaudit-item", has=page.locator(".isoaudit-question", has_text=item_id))


def result_button(page, item_id: str, word: str):
    return item(page, item_id).locator("button.widget-toggle-button", has_text=word).first


def active_result(page, item_id: str) -> str:
    return item(page, item_id).locator("button.mod-active").text_content()


def focused(page) -> str:
    """What has the keyboard focus: "button:<text>", "textarea", "select", ..."""
    return page.evaluate("""() => { const e = document.activeElement;
        return e.tagName === 'BUTTON' ? 'button:' + e.textContent.trim() : e.tagName.toLowerCase(); }""")


def tab_until(page, wanted: str, limit: int = 40) -> None:
    for _ in range(limit):
        page.keyboard.press("Tab")
        if focused(page) == wanted:
            return
    raise AssertionError(f"Tab never reached {wanted}")


def answers(records: Path, unit: str) -> dict:
    """Item id -> result, evidence, notes, auditor as the unit's audit file holds them (None: empty)."""
    frame = load_audit(records / "audits" / unit / f"{AUDIT_ID}.xlsx").answers.set_index("id")
    fields = ["result", "evidence", "notes", "auditor"]
    return {i: {f: None if pd.isna(row[f]) else row[f] for f in fields} for i, row in frame[fields].iterrows()}


def wait_for(condition, timeout: float = 20, every: float = 0.3):
    deadline = time.monotonic() + timeout
    while True:
        try:
            value = condition()
        except (OSError, KeyError, WorksheetError):  # no file yet
            value = None
        if value:
            return value
        assert time.monotonic() < deadline, "timed out"
        time.sleep(every)


def shot(page, name: str) -> None:
    if SHOTS is not None:
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"{name}.png"))


# ---- the tests ----------------------------------------------------------------------------------------------------
def test_answering_by_keyboard_alone_is_saved_as_typed(app, browser, records):
    page = open_page(browser, app)
    choose_unit(page, "08035")
    type_name(page, "Lê Thị Bình")
    choose_clause(page, "4.1")
    page.locator(".isoaudit-bar select").focus()
    tab_until(page, "button:Chưa đánh giá")  # the first question's result
    page.keyboard.press("Tab")
    assert focused(page) == "button:Phù hợp"
    page.keyboard.press("Enter")
    tab_until(page, "textarea")  # its evidence
    page.keyboard.type("Biên bản họp ngày 05/3")
    page.keyboard.press("Enter")
    page.keyboard.type("Kế hoạch năm 2025 <đã ký>")
    wait_for(lambda: answers(records, "08035")["4.1-01"]["evidence"])  # saved after a pause in typing
    saved = answers(records, "08035")["4.1-01"]
    assert saved["result"] == "conforms" and saved["auditor"] == "Lê Thị Bình"
    assert saved["evidence"] == "Biên bản họp ngày 05/3\nKế hoạch năm 2025 <đã ký>"  # line break and all
    assert active_result(page, "4.1-01") == "Phù hợp"
    assert item(page, "4.1-01").locator("textarea").first.input_value() == \
        "Biên bản họp ngày 05/3\nKế hoạch năm 2025 <đã ký>"  # shown exactly as typed
    status = page.locator(".isoaudit-status .ok")
    assert status.text_content().startswith("Đã lưu lúc") and f"{AUDIT_ID}.xlsx" in status.text_content()
    shot(page, "keyboard")
    page.close()


def test_a_restart_resumes_where_the_auditor_stopped_with_the_name_remembered(app, browser, records):
    page = open_page(browser, app)
    choose_unit(page, "08032")
    type_name(page, "Phạm Văn Dũng")
    choose_clause(page, "6.2")
    result_button(page, "6.2-01", "Khuyến nghị").click()
    wait_for(lambda: answers(records, "08032")["6.2-01"]["result"] == "observation")
    page.close()
    code, said = app.stop()
    assert code == 130 and "Đã dừng." in said and "Traceback" not in said  # Ctrl-C stops it cleanly
    app.start()
    page = open_page(browser, app)
    assert page.locator("select").first.input_value().startswith("08032")  # the unit last audited here
    assert page.locator(".isoaudit-bar input[type=text]").input_value() == "Phạm Văn Dũng"
    assert page.locator(".isoaudit-bar select").input_value().startswith("6.2 ")
    assert "isoaudit-current" in item(page, "6.2-01").get_attribute("class")
    assert active_result(page, "6.2-01") == "Khuyến nghị"
    shot(page, "resumed")
    page.close()


def test_two_pages_saving_at_the_same_moment_lose_nothing(app, browser, records):
    pages = [open_page(browser, app) for _ in range(2)]
    for page, name in zip(pages, ("An", "Bình")):
        choose_unit(page, "08035")
        type_name(page, name)
        choose_clause(page, "8.5.1")
    first, second = result_button(pages[0], "8.5.1-01", "Phù hợp"), result_button(pages[1], "8.5.1-02",
                                                                                  "Không phù hợp nhẹ")
    first.click()  # and at once the other: both kernels save at the same moment
    second.click()
    saved = wait_for(lambda: (lambda a: a if a["8.5.1-01"]["result"] and a["8.5.1-02"]["result"] else None)(
        answers(records, "08035")))
    assert (saved["8.5.1-01"]["result"], saved["8.5.1-01"]["auditor"]) == ("conforms", "An")
    assert (saved["8.5.1-02"]["result"], saved["8.5.1-02"]["auditor"]) == ("minor", "Bình")
    # Each page shows the other's answer after its next look at the file.
    wait_for(lambda: active_result(pages[0], "8.5.1-02") == "Không phù hợp nhẹ")
    wait_for(lambda: active_result(pages[1], "8.5.1-01") == "Phù hợp")
    shot(pages[0], "two_pages")
    for page in pages:
        page.close()


def test_a_save_that_cannot_be_made_is_red_and_made_when_the_file_is_free(app, browser, records):
    page = open_page(browser, app)
    choose_unit(page, "08035")
    type_name(page, "Hoàng Thị Lan")
    choose_clause(page, "7.2")
    path = records / "audits" / "08035" / f"{AUDIT_ID}.xlsx"
    before = path.read_bytes()
    with FileLock(str(path) + ".lock"):  # another program holds the audit file
        result_button(page, "7.2-01", "Phù hợp").click()
        error = page.locator(".isoaudit-status .error").first
        error.wait_for(timeout=30_000)
        assert error.text_content().startswith("CHƯA LƯU ĐƯỢC") and path.name in error.text_content()
        assert "Đã lưu lúc" not in page.locator(".isoaudit-status").first.text_content()
        assert path.read_bytes() == before
        shot(page, "save_failed")
    page.locator(".isoaudit-status .ok").first.wait_for(timeout=30_000)  # retried on its own
    assert answers(records, "08035")["7.2-01"]["result"] == "conforms"
    assert page.locator(".isoaudit-status .error").count() == 0
    page.close()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
