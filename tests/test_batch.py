"""The batch over a district: every unit's reports, a broken commune, reruns, the roll-up page.

Dask: test_dask_cluster.py."""
from __future__ import annotations

import gc
import os
import shutil
import signal
import subprocess
import sys
import time
from types import SimpleNamespace

import openpyxl
import pandas as pd
import pytest

from isoaudit.batch.run import BatchResult, UnitResult, make_job, run_batch
from isoaudit.cli import main
from isoaudit.measures import worst_procedures
from isoaudit.outputs.rollup import write_rollup
from isoaudit.records import load_records
from tests.processes import sigint_as_in_a_terminal

UNITS = ["08023", "08029", "08035"]  # two official books and one that the test breaks


@pytest.fixture(scope="module")
def district(small_district):
    return small_district


@pytest.mark.slow
def test_batch_makes_every_report_survives_a_broken_commune_and_skips_what_did_not_change(district, tmp_path):
    records = tmp_path / "records"
    shutil.copytree(district, records)
    broken = next((records / "dossiers").glob("08035_*.xlsx"))
    broken.write_bytes(b"PK\x03\x04 this zip is cut short")
    out = tmp_path / "reports"

    assert main(["batch", str(records), "--out", str(out), "--units", *UNITS, "--jobs", "2", "--quiet"]) == 1
    assert gc.get_freeze_count() == 0  # what the batch froze while its units ran is collectable again
    summary = pd.read_excel(out / "summary.xlsx", sheet_name=0, header=2, dtype=str, engine="calamine")
    statuses = dict(zip(summary["Mã đơn vị"], summary["Tình trạng lập báo cáo"]))
    assert statuses == {"08023": "Đã lập", "08029": "Đã lập", "08035": "Lỗi"}
    page = (out / "index.html").read_text(encoding="utf-8")
    assert broken.name in page  # the reason names the damaged file
    for unit in ("08023", "08029"):
        folder = next(out.glob(f"{unit}_*"))
        assert {"danh_gia_noi_bo.html", "xem_xet_lanh_dao.html", "xem_xet_lanh_dao.docx"} <= \
            {p.name for p in folder.iterdir()}
        review = (folder / "xem_xet_lanh_dao.html").read_text(encoding="utf-8")
        assert "assemble_review(" not in review and "show_section(" not in review  # no code cells
        assert f'href="{folder.name}/xem_xet_lanh_dao.html"' in page
    assert not list(out.glob("08035_*")) and (out / "_logs").is_dir()
    assert not any((records / "reviews").glob("*_quyet_dinh_2025.xlsx"))  # nothing written into the records
    assert "Nguyễn" not in page and "Trần" not in page  # no citizen's name on the roll-up

    # A rerun redoes nothing that did not change; the broken unit still fails.
    first = {u: next(out.glob(f"{u}_*")) / ".fingerprint" for u in ("08023", "08029")}
    stamps = {u: f.stat().st_mtime_ns for u, f in first.items()}
    batch = run_batch(records, out, units=UNITS, jobs=2, progress=False)
    assert [r.status for r in batch.results] == ["unchanged", "unchanged", "failed"]
    assert {u: f.stat().st_mtime_ns for u, f in first.items()} == stamps

    # Changing one commune's log reruns that commune only.
    log = next((records / "dossiers").glob("08029_*.xlsx"))
    log.write_bytes(log.read_bytes())  # same bytes: still unchanged
    shutil.copyfile(next((district / "dossiers").glob("08035_*.xlsx")), broken)  # repaired
    batch = run_batch(records, out, units=UNITS, jobs=2, progress=False)
    assert [r.status for r in batch.results] == ["unchanged", "unchanged", "done"], batch.results[2].error
    assert not batch.failed and not (out / "_partial").exists()

    # One unit run again on its own: the others stay on the district page as they were.
    batch = run_batch(records, out, units=["08029"], force=True, progress=False)
    assert [(r.unit_code, r.status) for r in batch.results] == \
        [("08023", "unchanged"), ("08029", "done"), ("08035", "unchanged")]
    assert "08023" in (out / "index.html").read_text(encoding="utf-8")
    # Another language's reports are not mixed in.
    batch = run_batch(records, out, units=["08029"], lang="en", progress=False)
    assert [r.unit_code for r in batch.results] == ["08029"]


def test_roll_up_escapes_markup_in_names_and_keeps_links_inside(tmp_path):
    evil = '<script>alert("x")</script>'
    folder = tmp_path / "08023_x"
    folder.mkdir()
    (folder / "xem_xet_lanh_dao.html").write_text("ok", encoding="utf-8")
    results = [
        UnitResult("08023", f"Xã {evil}", str(folder), "done", outputs={"review_html": "xem_xet_lanh_dao.html"},
                   summary={"on_time_rate": 0.9, "overdue": 2, "findings_by_clause": {"8.5.1": 2}}),
        UnitResult("08029", "Xã B", str(tmp_path / "08029_b"), "failed", error=f"tệp {evil} hỏng"),
    ]
    index = write_rollup(BatchResult(tmp_path, 2025, results), worst_procedures(pd.DataFrame(), 10), "vi")
    page = index.read_text(encoding="utf-8")
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert 'href="08023_x/xem_xet_lanh_dao.html"' in page and "90,0 %" in page
    # A figure the unit's records could not give is said to be missing, never shown as 0.
    row = page[page.index("08023"):page.index("08029")]
    assert "không có số liệu" in row and ">0<" not in row
    # A failed unit is a row that says why, in the page and the workbook; its audit is not "not audited".
    failed = page[page.index("08029"):]
    assert "tệp &lt;script&gt;" in failed and "Chưa đánh giá" not in failed
    sheet = openpyxl.load_workbook(tmp_path / "summary.xlsx").worksheets[0]
    rows = [[c for c in row if c not in (None, "")] for row in sheet.iter_rows(values_only=True)]
    failed_row = next(row for row in rows if "08029" in row)
    assert "Lỗi" in failed_row and any("hỏng" in str(c) for c in failed_row)
    assert "Chưa đánh giá" not in failed_row


@pytest.fixture(scope="module")
def district_records(district):
    return load_records(district)


@pytest.mark.parametrize("name", ["../../etc", "/abs/path", "..", "Xã <b>A</b>/..\\b"])
def test_unit_folders_stay_inside_the_output_folder(district_records, tmp_path, name):
    records = district_records
    unit = SimpleNamespace(unit_code=name, unit_name=name)
    job = make_job(records, unit, tmp_path, tmp_path / "_cache", 2025, "vi", False)
    assert tmp_path.resolve() in __import__("pathlib").Path(job.folder).resolve().parents


@pytest.mark.slow
@pytest.mark.parametrize("jobs", ["1", "2"])
def test_ctrl_c_stops_cleanly_and_the_next_run_finishes_the_rest(district, tmp_path, jobs):
    """Ctrl-C reaches the whole process group, as in a terminal: the batch says it stopped, prints no
    traceback, leaves no kernel running and no half-built unit folder; the next run does what is left."""
    out = tmp_path / "out"
    command = [sys.executable, "-c", "import sys; from isoaudit.cli import main; sys.exit(main())", "batch",
               str(district), "--out", str(out), "--quiet", "--jobs", jobs, "--units", *UNITS[:2]]
    batch = subprocess.Popen(command, start_new_session=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             preexec_fn=sigint_as_in_a_terminal)  # noqa: PLW1509 - see it
    deadline = time.monotonic() + 120
    # Wait until the review notebook runs in a kernel (the audit one is done): a cell cut short is the hard case.
    while time.monotonic() < deadline and not any(
            "audit: ok" in log.read_text(encoding="utf-8") for log in (out / "_partial").glob("*/log.txt")):
        assert batch.poll() is None, batch.communicate()[0].decode("utf-8")
        time.sleep(0.05)
    time.sleep(0.3)
    os.killpg(batch.pid, signal.SIGINT)
    output = batch.communicate(timeout=120)[0].decode("utf-8")
    assert batch.returncode == 130
    assert "Traceback" not in output and "Đã dừng" in output
    time.sleep(1)
    left = subprocess.run(["pgrep", "-s", str(batch.pid)], capture_output=True, text=True).stdout.split()
    assert not left  # no worker, no kernel of the batch's session still running
    for unit in UNITS[:2]:  # a unit folder is either complete or absent
        assert all((folder / ".fingerprint").exists() for folder in out.glob(f"{unit}_*"))
    again = run_batch(district, out, units=UNITS[:2], jobs=int(jobs), progress=False)
    assert {r.status for r in again.results if r.unit_code in UNITS[:2]} <= {"done", "unchanged"}
    assert all((next(out.glob(f"{unit}_*")) / "xem_xet_lanh_dao.docx").exists() for unit in UNITS[:2])
    assert not list((out / "_partial").glob("*"))
