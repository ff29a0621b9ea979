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
from docx import Document

from isoaudit.workbooks.audit_file import load_audit
from isoaudit.workbooks.findings_register import read_register

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
    # (the timeliness command below reuses the program part of this command line)
    done = subprocess.run(command, cwd=home, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    timeliness = [*command[:-4], "timeliness", "sample_records", "--out", "timeliness.xlsx"]
    done = subprocess.run(timeliness, cwd=home, capture_output=True, text=True, timeout=600)
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


# ---- every figure that appears in more than one output, compared across them --------------------------------
NO_DATA = "không có số liệu"


def docx_text(path: Path) -> str:
    document = Document(str(path))
    parts = [p.text for p in document.paragraphs]
    parts += [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    return " ".join(" ".join(parts).split())


def one(pattern: str, text: str, where: str) -> str:
    found = set(re.findall(pattern, text))
    assert len(found) == 1, (where, pattern, found)
    return found.pop()


def percent(value) -> str:
    """A summary.xlsx or workbook rate (0..1) as the pages write it."""
    return NO_DATA if value == NO_DATA else f"{float(value) * 100:.1f} %".replace(".", ",")


def index_cells(home: Path, unit: str) -> list[str]:
    page = (home / "reports" / "index.html").read_text(encoding="utf-8")
    row = page[page.index(f"({unit})"):]
    row = row[:row.index("</tr>")]
    return [html.unescape(cell).strip() for cell in re.findall(r'<td class="num">(.*?)</td>', row)]


def figures_by_output(home: Path, unit: str) -> dict[str, dict[str, str]]:
    """The figures of ``unit`` as each output shows them (text as a reader sees it)."""
    summary = summary_rows(home).loc[unit]
    folder = next((home / "reports").glob(f"{unit}_*"))
    cells = index_cells(home, unit)
    outputs = {
        "index.html": {"on_time": cells[0], "overdue": cells[1], "late_without_apology": cells[2],
                       "online": cells[3]},
        "summary.xlsx": {"on_time": percent(summary["Tỷ lệ đúng hạn"]), "overdue": summary["Quá hạn chưa trả"],
                         "late_without_apology": summary["Trễ hạn không có phiếu xin lỗi"],
                         "online": percent(summary["Tỷ lệ hồ sơ trực tuyến"])},
    }
    for name, text in (("review page", page_text(folder / "xem_xet_lanh_dao.html")),
                       ("Word report", docx_text(folder / "xem_xet_lanh_dao.docx"))):
        outputs[name] = {
            "on_time": one(r"tỷ lệ trước hạn và đúng hạn đạt (\d+,\d %)", text, name),
            "overdue": one(r"(\d+) hồ sơ quá hạn chưa trả tại ngày cuối kỳ", text, name),
            "late_without_apology": one(r"Có (\d+) hồ sơ trễ hạn không có phiếu xin lỗi", text, name),
            "online": one(r"Tỷ lệ hồ sơ tiếp nhận trực tuyến (không có số liệu|\d+,\d %)", text, name),
        }
    audit = page_text(folder / "danh_gia_noi_bo.html")
    overdue = re.findall(r"(\d+) hồ sơ quá hạn chưa trả kết quả tại ngày", audit)
    outputs["audit report"] = {
        "on_time": one(r"(\d+,\d %) hồ sơ trả kết quả trước hạn hoặc đúng hạn", audit, "audit"),
        "overdue": overdue[0] if overdue else ("0" if "Không có hồ sơ quá hạn chưa trả" in audit else "?"),
        "late_without_apology": one(r"(\d+)/\d+ hồ sơ trễ hạn hoặc quá hạn không có phiếu xin lỗi", audit, "audit"),
    }
    workbook = pd.read_excel(home / "timeliness.xlsx", sheet_name="Theo đơn vị", dtype=str, engine="calamine")
    row = workbook.set_index("Mã đơn vị").loc[unit]
    outputs["timeliness.xlsx"] = {"on_time": percent(row["Tỷ lệ đúng hạn"]), "overdue": row["Quá hạn chưa trả"],
                                  "late_without_apology": row["Trễ hạn không có phiếu xin lỗi"]}
    return outputs


@pytest.mark.slow
def test_every_figure_is_the_same_in_every_output(main_command):
    home = main_command
    units = summary_rows(home).index
    assert len(units) == 12  # the province's communes and wards at the end of 2025 (8 formed on 1/7, 4 kept)
    missing_online = 0
    for unit in units:
        outputs = figures_by_output(home, unit)
        for figure in ("on_time", "overdue", "late_without_apology", "online"):
            shown = {name: values[figure] for name, values in outputs.items() if figure in values}
            assert len(set(shown.values())) == 1, (unit, figure, shown)
        missing_online += outputs["index.html"]["online"] == NO_DATA
    # Five sample communes keep 2025 books without a channel column: said to be missing everywhere, never 0.
    assert missing_online == 5
