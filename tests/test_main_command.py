"""The README's main command typed as a user types it (relative paths, in a terminal), and every figure that
appears in more than one of its outputs compared across them."""
from __future__ import annotations

import html
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from isoaudit.audit_record import load_audit
from isoaudit.findings import read_register

REPOSITORY = Path(__file__).resolve().parents[1]


def page_text(path: Path) -> str:
    """What a reader sees on a page: tags dropped, entities decoded, spaces folded."""
    text = re.sub(r"<style.*?</style>|<script.*?</script>", " ", path.read_text(encoding="utf-8"), flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", text)).split())


@pytest.fixture(scope="session")
def main_command(tmp_path_factory):
    """``isoaudit batch sample_records --out reports`` run in a folder holding a copy of the sample district,
    exactly as the README says (relative paths), in a separate process."""
    home = tmp_path_factory.mktemp("user")
    shutil.copytree(REPOSITORY / "sample_records", home / "sample_records")
    command = [str(Path(sys.executable).with_name("isoaudit")), "batch", "sample_records", "--out", "reports"]
    if not Path(command[0]).exists():
        command = [sys.executable, "-m", "isoaudit", *command[1:]]
    done = subprocess.run(command, cwd=home, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    return home


def summary_rows(home: Path) -> pd.DataFrame:
    frame = pd.read_excel(home / "reports" / "summary.xlsx", sheet_name=0, header=2, dtype=str, engine="calamine")
    return frame.set_index("Mã đơn vị")


@pytest.mark.slow
def test_main_command_with_relative_paths_reports_each_units_real_answers_and_findings(main_command):
    home = main_command
    records = home / "sample_records"
    summary = summary_rows(home)
    index = page_text(home / "reports" / "index.html")
    audited = 0
    for unit in summary.index:
        unit_dir = records / "audits" / unit
        report = page_text(next((home / "reports").glob(f"{unit}_*")) / "danh_gia_noi_bo.html")
        saved = unit_dir / "DGNB-2025.xlsx"
        if not saved.exists():  # not started: nothing answered, but the checklist has its questions
            assert summary.loc[unit, "Số câu đã đánh giá"] == "0"
            assert summary.loc[unit, "Tổng số câu hỏi"] == summary.loc[summary.index[0], "Tổng số câu hỏi"]
            continue
        answered, total = load_audit(saved).progress()
        audited += answered > 0
        assert f"Đã đánh giá {answered}/{total} mục" in report, unit
        assert "Chưa có phiếu đánh giá" not in report, unit
        assert int(summary.loc[unit, "Số câu đã đánh giá"]) == answered
        assert int(summary.loc[unit, "Tổng số câu hỏi"]) == total
        assert f"({answered}/{total} câu)" in index or answered == 0
        # The findings this audit put in the unit's register are in its report.
        register = read_register(records / "findings" / f"{unit}_findings.xlsx")
        mine = register[register["audit_id"].eq("DGNB-2025").fillna(False)]
        for finding_id in mine["finding_id"]:
            assert finding_id in report, (unit, finding_id)
        if len(mine):
            assert "Không có phát hiện nào" not in report, unit
    assert audited >= 2  # the sample has complete and half-way audits: the check above is not vacuous
