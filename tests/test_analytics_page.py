"""The province's analytics page of a batch (#18 item 7): funnel, flags per unit, clause changes, programme."""
from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from isoaudit.batch.run import BatchResult, UnitResult
from isoaudit.i18n import label
from isoaudit.outputs.analytics_page import write_analytics_page

TEMPLATE = Path(__file__).resolve().parents[1] / "isoaudit" / "templates" / "analytics_page.html.j2"


def unit(code, name, returned, on_time, analytics, **more):
    summary = {"returned": returned, "on_time": on_time, "received": returned + 20, "analytics": analytics, **more}
    return UnitResult(code, name, f"/out/{code}", "done", summary=summary)


def batch(tmp_path):
    results = [
        unit("08011", "Phường Thanh Lâm", 2000, 1960, {"backfill": {"clause": "8.5.1", "flagged": 15},
                                                       "population": {"clause": "7.5.3", "flagged": 0}}),
        unit("08029", "Xã <b>Đồng Tâm</b>", 1000, 880, {"backfill": {"clause": "8.5.1", "flagged": 0},
                                                         "population": {"clause": "7.5.3", "flagged": None}},
             actions_overdue=2),
        unit("08032", "Xã Vạn Xuân", 12, 10, {}),
        UnitResult("08035", "Xã Kim Đức", "/out/08035", "failed", error="hỏng"),
    ]
    return BatchResult(tmp_path, 2025, results, area="Tỉnh Phú Thọ")


def page(tmp_path) -> str:
    findings = pd.DataFrame({"unit_code": ["08029", "08029"], "clause": ["8.5.1", "8.5.1"],
                             "raised_date": pd.to_datetime(["2025-03-01", "2025-04-01"])})
    return write_analytics_page(batch(tmp_path), findings).read_text(encoding="utf-8")


def rows_of(html: str, caption_start: str) -> list[str]:
    table = html[html.index(caption_start):]
    table = table[:table.index("</table>")]
    return [re.sub(r"<[^>]+>", "|", row) for row in re.findall(r"<tr.*?</tr>", table, re.S)][1:]


def test_the_page_names_the_province_and_escapes_what_spreadsheets_typed(tmp_path):
    html = page(tmp_path)
    assert "Phân tích sổ theo dõi hồ sơ năm 2025: Tỉnh Phú Thọ" in html
    assert "<b>Đồng Tâm</b>" not in html and "&lt;b&gt;Đồng Tâm&lt;/b&gt;" in html
    assert 'src="data:image/png;base64,' in html  # the funnel chart travels with the page


def test_the_funnel_table_puts_the_commune_below_its_limits_first(tmp_path):
    rows = rows_of(page(tmp_path), "Tỷ lệ đúng hạn của từng đơn vị")
    assert "08029" in rows[0] and "Dưới giới hạn 99,8 %" in rows[0]
    small = next(r for r in rows if "08032" in r)
    assert "Trong giới hạn" in small  # 10 of 12 is noise, not a rank
    assert not any("08035" in r for r in rows)  # a failed unit has no figures to place


def test_a_test_that_could_not_run_says_no_data_never_zero(tmp_path):
    rows = rows_of(page(tmp_path), "Số hồ sơ được đánh dấu")
    mine = next(r for r in rows if "08029" in r)
    assert "không có số liệu" in mine.lower()


def test_the_programme_puts_the_high_risk_clause_first(tmp_path):
    rows = rows_of(page(tmp_path), "Điều khoản đề xuất đánh giá")
    assert "08011" in rows[0] and "8.5.1" in rows[0] and "Cao" in rows[0] and "15 hồ sơ trả kết quả dồn hoặc ghi lùi ngày" in rows[0]
    assert any("08029" in r and "9.1.3" in r for r in rows)  # below the funnel's limits
    assert any("08029" in r and "10.2" in r for r in rows)  # overdue corrective actions


def test_clauses_with_more_findings_than_last_year_are_listed(tmp_path):
    rows = rows_of(page(tmp_path), "Số phát hiện đánh giá theo đơn vị và điều khoản")
    assert len(rows) == 1 and "8.5.1" in rows[0] and "|0|" in rows[0] and "|2|" in rows[0]


def test_every_key_of_the_template_exists():
    keys = re.findall(r"""\bt\(\s*["']([^"']+)["']""", TEMPLATE.read_text(encoding="utf-8"))
    assert keys
    params = {"date": "01/12/2025", "version": "1"}
    for key in keys:
        assert label(f"batch.analytics.{key}", "vi", **params) and label(f"batch.analytics.{key}", "en", **params)


def test_the_province_page_says_which_units_reported_statistics_and_how_they_compare(tmp_path):
    from isoaudit.outputs.rollup import write_rollup

    base = {"on_time_rate": 0.9, "returned": 100, "overdue": 0}
    results = [
        UnitResult("08011", "Phường Thanh Lâm", str(tmp_path / "a"), "done", summary={**base, "reported": {
            "forms": 1, "reported_rate": 0.962, "software_rate": 0.962, "law_rate": 0.95, "differ_software": 0,
            "differ_law": 3}}),
        UnitResult("08029", "Xã Đồng Tâm", str(tmp_path / "b"), "done", summary={**base, "reported": {
            "forms": 1, "reported_rate": 0.895, "software_rate": 0.877, "law_rate": 0.85, "differ_software": 2,
            "differ_law": 4}}),
        UnitResult("08032", "Xã Vạn Xuân", str(tmp_path / "c"), "done", summary={**base, "reported": None}),
    ]
    page = write_rollup(BatchResult(tmp_path, 2025, results, area="Tỉnh Phú Thọ"), pd.DataFrame(
        columns=["procedure_code", "procedure_name", "returned", "late", "overdue", "on_time_rate"]))
    text = page.read_text(encoding="utf-8")
    assert "khớp với phần mềm: báo cáo 96,2 %, phần mềm 96,2 %" in text
    assert "2 chỉ tiêu khác phần mềm: báo cáo 89,5 %, phần mềm 87,7 %" in text
    row = text[text.index("(08032)"):]
    assert "không có biểu báo cáo" in row[:row.index("</tr>")]


def test_a_large_province_names_only_the_points_below_the_warning_limit():
    from isoaudit.outputs.analytics_page import NAMED_POINTS, _named_points

    bands = ["below_alarm", "below_warning", "above_warning", "within"] + ["within"] * NAMED_POINTS
    points = pd.DataFrame({"unit_code": [f"{8000 + i:05d}" for i in range(len(bands))],
                           "band": pd.array(bands, dtype="string")})
    assert list(_named_points(points)["unit_code"]) == ["08000", "08001"]
    small = points.head(NAMED_POINTS)
    assert list(_named_points(small)["unit_code"]) == list(small["unit_code"])  # a small province: every point
