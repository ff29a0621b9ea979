"""The pages isoaudit writes, read on a phone (390 px) and a laptop (1280 px) in Chromium, and printed from it
(#20 item 4): nothing wider than the screen but the tables' own scroll boxes, captions wrapped to the screen,
the unit column kept in view while a table scrolls, and on paper A4 with whole tables."""
from __future__ import annotations

import importlib.util
import re

import pytest

from isoaudit.batch.run import BatchResult, UnitResult
from isoaudit.outputs.analytics_page import write_analytics_page
from isoaudit.outputs.review_html import footer_html, page_html, section_html, table_html
from isoaudit.outputs.rollup import write_rollup
from tests.test_analytics_page import batch as analytics_batch
from tests.test_browser import CHROMIUM

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(importlib.util.find_spec("playwright") is None, reason="not installed: playwright"),
    pytest.mark.skipif(CHROMIUM is None, reason="no Chromium: apt-get install chromium, or set ISOAUDIT_CHROMIUM"),
]
WIDTHS = (390, 1280)
A4_PORTRAIT = (595.3, 841.9)  # width and height in points
A4_LANDSCAPE = (841.9, 595.3)


@pytest.fixture(scope="module")
def pages(tmp_path_factory, review_pack):
    """A review page, a province page and an analytics page, written as isoaudit writes them."""
    import pandas as pd

    folder = tmp_path_factory.mktemp("pages")
    body = "".join(section_html(s) + "".join(table_html(t) for t in s.tables) for s in review_pack.sections)
    review = folder / "review.html"
    review.write_text(page_html(body, review_pack.title, review_pack.lang,
                                footer_html(review_pack.inputs, review_pack.parameters, review_pack.version,
                                            review_pack.lang)), encoding="utf-8")
    results = [UnitResult(f"0{8000 + i}", f"Xã có tên khá dài số {i}", str(folder / f"u{i}"), "done",
                          summary={"on_time_rate": 0.9 + i / 100, "returned": 100 + i, "overdue": i,
                                   "late_without_apology": 1, "online_rate": 0.3, "actions_open": 2,
                                   "actions_overdue": 1, "objectives_met": 3, "objectives_total": 5,
                                   "audit_status": "complete", "findings_by_clause": {"8.5.1": 2, "7.5.3": 1}})
               for i in range(9)]
    batch = BatchResult(folder, 2025, results, area="Tỉnh Phú Thọ")
    worst = pd.DataFrame([{"procedure_code": "1.004873", "procedure_name": "Xác nhận tình trạng hôn nhân",
                           "returned": 50, "late": 5, "overdue": 1, "on_time_rate": 0.9}])
    rollup = write_rollup(batch, worst)
    analytics_folder = folder / "analytics"
    analytics_folder.mkdir()
    analytics = write_analytics_page(analytics_batch(analytics_folder), pd.DataFrame(
        {"unit_code": [], "clause": [], "raised_date": pd.to_datetime([])}))
    return {"review": review, "rollup": rollup, "analytics": analytics}


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM)
        yield launched
        launched.close()


MEASURE = """() => {
  const width = window.innerWidth;
  const outside = el => el.getBoundingClientRect().right > width + 1;
  return {
    page: document.documentElement.scrollWidth,
    captions: [...document.querySelectorAll('caption, .caption, .iso-caption, h1, h2, p')].filter(outside)
                .map(e => e.textContent.slice(0, 60)),
    images: [...document.querySelectorAll('img')].filter(outside).length,
    sticky: [...document.querySelectorAll('.scroll th[scope=row], .iso-table td:first-child')].slice(0, 1)
              .map(e => getComputedStyle(e).position),
  };
}"""


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("name", ["review", "rollup", "analytics"])
def test_nothing_is_wider_than_the_screen_but_a_tables_scroll_box(browser, pages, name, width):
    page = browser.new_page(viewport={"width": width, "height": 800})
    page.goto(pages[name].resolve().as_uri())
    found = page.evaluate(MEASURE)
    page.close()
    assert found["page"] <= width + 1, f"{name} is {found['page']} px wide on a {width} px screen"
    assert found["captions"] == [], f"cut off at {width} px: {found['captions']}"
    assert found["images"] == 0
    assert found["sticky"] in ([], ["sticky"])  # the unit's column stays in view while the figures scroll


@pytest.mark.parametrize("name, paper", [("review", A4_PORTRAIT), ("rollup", A4_LANDSCAPE),
                                         ("analytics", A4_LANDSCAPE)])
def test_printed_from_the_browser_on_a4_with_whole_tables(browser, pages, name, paper):
    page = browser.new_page()
    page.goto(pages[name].resolve().as_uri())
    page.emulate_media(media="print")
    overflow = page.evaluate("() => [...document.querySelectorAll('.scroll, .iso-table')]"
                             ".map(e => getComputedStyle(e).overflowX)")
    pdf = page.pdf(prefer_css_page_size=True, print_background=True)
    page.close()
    assert overflow and set(overflow) <= {"visible"}  # no scroll box on paper: the whole table prints
    box = re.search(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)", pdf)
    assert box and tuple(round(float(v)) for v in box.groups()) == pytest.approx(paper, abs=2)
