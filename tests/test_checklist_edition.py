"""The checklist is current: the climate questions of ISO 9001:2015 Amd 1:2024 at 4.1 and 4.2, and every
checklist carries its edition (``<name>.meta.toml`` beside it), which the audit report shows."""
from __future__ import annotations

import csv
import datetime as dt
import re

import pytest

from isoaudit.checklist import BUNDLED, ChecklistEdition, checklist_edition, edition_path, load_checklist
from isoaudit.errors import ChecklistError
from isoaudit.notebook.audit_form import open_audit
from isoaudit.outputs.audit_report import render_report
from isoaudit.records import load_records
from tests.test_evidence import UNIT, write_records

CLIMATE_ITEMS = ("4.1-03", "4.1-04", "4.2-02", "4.2-03")
AS_OF = dt.date(2025, 12, 31)


@pytest.fixture(scope="module")
def bundled():
    return load_checklist().set_index("id")


@pytest.fixture(scope="module")
def records(tmp_path_factory):
    return load_records(write_records(tmp_path_factory.mktemp("district")))


def older_edition(folder, name="danh_muc_2015.csv"):
    """The bundled checklist as it was before the amendment: no climate questions, no edition file."""
    with open(BUNDLED, encoding="utf-8-sig", newline="") as handle:
        rows = [row for row in csv.reader(handle) if row[0] not in CLIMATE_ITEMS]
    path = folder / name
    with open(path, "w", encoding="utf-8-sig", newline="") as handle:
        csv.writer(handle).writerows(rows)
    return path


# ---- the amendment's questions ------------------------------------------------------------------------------

def test_climate_questions_at_4_1_and_4_2_in_both_languages(bundled):
    for item in CLIMATE_ITEMS:
        assert bundled.at[item, "clause"] == item.split("-")[0]
        assert bundled.at[item, "levels"] == "province;district;commune"
    assert list(bundled.index[bundled["clause"] == "4.1"]) == ["4.1-01", "4.1-02", "4.1-03", "4.1-04"]
    assert list(bundled.index[bundled["clause"] == "4.2"]) == ["4.2-01", "4.2-02", "4.2-03"]
    # The context analysis concludes on climate change; interested parties' climate-related requirements.
    for item in ("4.1-03", "4.2-02"):
        assert "biến đổi khí hậu" in bundled.at[item, "question_vi"]
        assert "climate change" in bundled.at[item, "question_en"]
    assert "kết luận" in bundled.at["4.1-03", "question_vi"]
    # Storms and floods stopping the one-stop desk, online lodging as the way to carry on.
    for word in ("bão", "lũ", "một cửa", "trực tuyến", "bưu chính"):
        assert word in bundled.at["4.1-04", "question_vi"], word
    assert "online" in bundled.at["4.1-04", "question_en"]
    assert "thiên tai" in bundled.at["4.2-03", "question_vi"] and "disaster" in bundled.at["4.2-03", "question_en"]


def test_climate_questions_are_the_agencys_own_questions_not_the_standards_words(bundled):
    for item in CLIMATE_ITEMS:
        vi, en = bundled.at[item, "question_vi"], bundled.at[item, "question_en"]
        assert vi.endswith("?") and en.endswith("?")
        assert "cơ quan" in vi and "agency" in en  # asked of a Vietnamese agency, not of "the organization"
        assert re.search(r"một cửa|hồ sơ|TTHC|người dân", vi)
        assert not re.search(r"\b(shall|organi[sz]ation)\b", en, re.IGNORECASE)
        assert "tổ chức phải" not in vi
        assert bundled.at[item, "evidence_vi"] and bundled.at[item, "evidence_en"]


# ---- the edition ------------------------------------------------------------------------------------------

def test_bundled_edition_is_declared_beside_the_checklist(bundled):
    assert edition_path() == BUNDLED.with_name("iso9001_hcc.meta.toml")
    edition = checklist_edition()
    assert edition.edition == "ISO 9001:2015 + Amd 1:2024 (TCVN ISO 9001:2015)"
    assert isinstance(edition.updated, dt.date)
    assert edition.items == len(bundled)  # the count stays true when questions are added
    assert edition.describe("vi") == f"{edition.edition}, cập nhật ngày {edition.updated:%d/%m/%Y}"
    assert edition.describe("en") == f"{edition.edition}, revised {edition.updated:%d/%m/%Y}"


def test_a_checklist_without_an_edition_loads_and_says_its_edition_is_unknown(tmp_path):
    path = older_edition(tmp_path)
    items = load_checklist(path)
    assert not set(CLIMATE_ITEMS) & set(items["id"])
    assert len(items) == len(load_checklist()) - len(CLIMATE_ITEMS)
    edition = checklist_edition(path)
    assert edition == ChecklistEdition()
    assert edition.describe("vi") == "không rõ phiên bản" and edition.describe("en") == "edition unknown"


def test_a_user_declares_the_edition_of_an_own_checklist(tmp_path):
    path = older_edition(tmp_path)
    edition_path(path).write_text('edition = "ISO 9001:2015 (TCVN ISO 9001:2015)"\nitems = 106\n', encoding="utf-8")
    edition = checklist_edition(path)
    assert edition == ChecklistEdition("ISO 9001:2015 (TCVN ISO 9001:2015)", None, 106)
    assert edition.describe("vi") == "ISO 9001:2015 (TCVN ISO 9001:2015)"


@pytest.mark.parametrize("text, named", [("edition = ", "danh_muc_2015.meta.toml"),
                                         ('updated = "mùa mưa"', "updated"), ("items = true", "items")])
def test_a_broken_edition_file_is_named(tmp_path, text, named):
    path = older_edition(tmp_path)
    edition_path(path).write_text(text, encoding="utf-8")
    with pytest.raises(ChecklistError) as error:
        checklist_edition(path)
    assert "danh_muc_2015.meta.toml" in error.value.message("vi") and named in error.value.message("en")
    assert len(load_checklist(path)) > 0  # the questions themselves still load


# ---- shown in the audit report ----------------------------------------------------------------------------

def test_the_audit_report_shows_the_bundled_edition(records, tmp_path):
    form = open_audit(records, UNIT, "DGNB-2025", as_of=AS_OF, audit_dir=tmp_path)
    assert set(CLIMATE_ITEMS) <= set(form.record.answers["id"])
    html = render_report(form)
    assert "Phiên bản bộ câu hỏi" in html
    assert "ISO 9001:2015 + Amd 1:2024 (TCVN ISO 9001:2015), cập nhật ngày" in html
    assert "Checklist edition</th><td>ISO 9001:2015 + Amd 1:2024" in render_report(form, "en")


def test_the_audit_report_of_an_older_checklist_says_its_edition_is_unknown(records, tmp_path):
    path = older_edition(tmp_path)
    form = open_audit(records, UNIT, "DGNB-2025", checklist=path, as_of=AS_OF, audit_dir=tmp_path / "audits")
    assert not set(CLIMATE_ITEMS) & set(form.record.answers["id"])
    form.answer("4.1-01", result="conforms")
    html = render_report(form)
    assert "danh_muc_2015.csv" in html and "không rõ phiên bản" in html
    assert "edition unknown" in render_report(form, "en")
    edition_path(path).write_text("edition = ", encoding="utf-8")  # broken: named in the report, not fatal
    assert "danh_muc_2015.meta.toml" in render_report(form)
