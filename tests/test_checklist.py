"""The audit checklist: bundled content, the loader's checks, the xlsx round trip and the level filter."""
from __future__ import annotations

import csv
import re
import unicodedata

import openpyxl
import pandas.testing as pdt
import pytest

from isoaudit.checklist import (
    BUNDLED,
    COLUMNS,
    LANG_COLUMNS,
    checklist_for_level,
    clause_coverage,
    clauses,
    evidence_keys,
    load_checklist,
)
from isoaudit.errors import ChecklistError
from isoaudit.workbooks.checklist_workbook import export_checklist_xlsx

# Every clause and sub-clause of ISO 9001:2015 from 4.1 to 10.3 (domain README, section 2), typed out here so
# that a change to the clause list or the checklist cannot silently shrink what an audit covers.
SUB_CLAUSES = """
4.1 4.2 4.3 4.4 5.1.1 5.1.2 5.2.1 5.2.2 5.3 6.1 6.2 6.3
7.1.1 7.1.2 7.1.3 7.1.4 7.1.5 7.1.6 7.2 7.3 7.4 7.5.1 7.5.2 7.5.3
8.1 8.2.1 8.2.2 8.2.3 8.2.4 8.3 8.4 8.5.1 8.5.2 8.5.3 8.5.4 8.5.5 8.5.6 8.6 8.7
9.1.1 9.1.2 9.1.3 9.2 9.3.1 9.3.2 9.3.3 10.1 10.2 10.3
""".split()

# Letters only Vietnamese uses (after NFC): a Vietnamese sentence without any of them is not Vietnamese.
VIETNAMESE_LETTERS = re.compile(r"[ăâđêôơưàáảãạằắẳẵặầấẩẫậèéẻẽẹềếểễệìíỉĩịòóỏõọồốổỗộờớởỡợùúủũụừứửữựỳýỷỹỵ]",
                                re.IGNORECASE)

HEADER = ["id", "clause", "clause_title_vi", "clause_title_en", "question_vi", "question_en",
          "evidence_vi", "evidence_en", "levels", "evidence_key"]


def write_csv(path, rows, header=HEADER):
    with open(path, "w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def item(id_, clause, question_vi, question_en, levels, key="", evidence_vi="", evidence_en=""):
    return [id_, clause, "", "", question_vi, question_en, evidence_vi, evidence_en, levels, key]


@pytest.fixture(scope="module")
def bundled():
    return load_checklist()


# ---- bundled content -------------------------------------------------------------------------------------

def test_bundled_checklist_covers_every_sub_clause(bundled):
    coverage = clause_coverage(bundled)
    leaves = coverage.loc[coverage["leaf"], "clause"].tolist()
    assert leaves == SUB_CLAUSES
    assert coverage.loc[coverage["leaf"], "items"].ge(1).all()
    assert coverage["covered"].all()  # headings 4..10 too
    assert set(bundled["clause"]) <= set(SUB_CLAUSES)
    assert 70 <= len(bundled) <= 120


def test_bundled_items_are_bilingual_and_vietnamese_has_diacritics(bundled):
    for column in COLUMNS[:8]:
        assert bundled[column].notna().all(), column
        assert (bundled[column].str.len() > 2).all(), column
    for column in ("question_vi", "evidence_vi", "clause_title_vi"):
        text = bundled[column].str.normalize("NFC")
        assert text.str.contains(VIETNAMESE_LETTERS).all(), column
    for column in ("question_vi", "question_en"):
        assert bundled[column].str.endswith("?").all(), column
    # English columns hold English: no Vietnamese letters slipped in.
    for column in ("question_en", "evidence_en", "clause_title_en"):
        assert not bundled[column].str.contains(VIETNAMESE_LETTERS).any(), column


def test_bundled_file_is_utf8_with_bom_and_nfc():
    raw = BUNDLED.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    text = raw.decode("utf-8-sig")
    assert unicodedata.normalize("NFC", text) == text


def test_bundled_ids_levels_and_evidence_keys(bundled):
    assert bundled["id"].is_unique
    assert (bundled["id"].str.rsplit("-", n=1).str[0] == bundled["clause"]).all()
    assert bundled["levels"].str.fullmatch(r"(province|district|commune)(;(district|commune))*").all()
    keys = set(bundled["evidence_key"].dropna())
    vocabulary = evidence_keys()
    assert keys == set(vocabulary["key"])  # every key is used and every used key is defined
    assert vocabulary[["description_vi", "description_en", "records"]].ne("").all().all()
    # Items the records can answer, by clause, as the issue lists them.
    by_key = bundled.dropna(subset=["evidence_key"]).groupby("evidence_key")["clause"].agg(set)
    assert "6.2" in by_key["objectives_plan_exists"]
    assert "8.7" in by_key["late_without_apology"]
    assert "10.2" in by_key["corrective_actions_overdue"]
    assert "9.3.2" in by_key["previous_review_actions"]


def test_design_exclusion_and_citizens_papers_are_asked(bundled):
    design = bundled.loc[bundled["clause"] == "8.3", "question_vi"].str.cat(sep=" ")
    assert "loại trừ" in design
    property_items = bundled.loc[bundled["clause"] == "8.5.3", "question_vi"].str.cat(sep=" ")
    assert "bản gốc" in property_items
    postal = bundled.loc[bundled["clause"] == "8.4", "question_vi"].str.cat(sep=" ")
    assert "bưu chính" in postal


def test_clause_list_is_consistent():
    table = clauses()
    assert table["clause"].is_unique
    assert set(table["parent"].dropna()) <= set(table["clause"])
    children = table.dropna(subset=["parent"])
    assert (children["clause"].str.rsplit(".", n=1).str[0] == children["parent"]).all()
    assert table[["title_vi", "title_en"]].notna().all().all()


def test_language_columns_follow_lang(bundled):
    english = load_checklist(lang="en")
    pdt.assert_series_equal(english["question"], english["question_en"], check_names=False)
    pdt.assert_series_equal(bundled["question"], bundled["question_vi"], check_names=False)
    assert list(bundled.columns) == list(COLUMNS) + list(LANG_COLUMNS)
    assert all(str(dtype) == "string" for dtype in bundled.dtypes)


# ---- broken files ----------------------------------------------------------------------------------------

def broken_rows():
    return [
        item("8.5.3-01", "8.5.3", "Giấy tờ bản gốc có được trả lại đủ không?", "Are originals returned?", "commune"),
        item("8.5.3-02", "8.5.3", "Giấy tờ có bị thất lạc không?", "Are papers lost?", "xaa"),         # row 3
        item("8.5.3-01", "8.5.3", "Mã trùng?", "Same id?", "district"),                              # row 4
        item("", "8.5.1", "Không có mã?", "No id?", "commune", "on_time_rate"),                    # row 5
        item("11.2-01", "11.2", "Điều khoản lạ?", "Unknown clause?", "district"),                  # row 6
        item("8.6-01", "", "", "", ""),                                                           # row 7
        item("8.7-01", "8.7", "Khóa lạ?", "Unknown key?", "province", "ontime_rate"),               # row 8
        item("8.7-02", "8.7", "Hai khóa?", "Two keys?", "province", "on_time_rate; overdue_dossiers"),  # row 9
    ]


def test_broken_file_names_every_row_item_and_column(tmp_path):
    path = write_csv(tmp_path / "danh_muc.csv", broken_rows())
    with pytest.raises(ChecklistError) as caught:
        load_checklist(path)
    error = caught.value
    vi, en = error.message("vi"), error.message("en")
    expected_vi = [
        "Dòng 3 (mục 8.5.3-02), cột levels: cấp 'xaa' không hợp lệ; dùng province, district, commune",
        "Dòng 4 (mục 8.5.3-01), cột id: mã mục '8.5.3-01' trùng với dòng 2",
        "Dòng 5, cột id: mã mục trống",
        "Dòng 6 (mục 11.2-01), cột clause: điều khoản '11.2' không có",
        "Dòng 7 (mục 8.6-01), cột clause: chưa ghi điều khoản",
        "Dòng 7 (mục 8.6-01), cột question_vi: câu hỏi trống",
        "Dòng 7 (mục 8.6-01), cột levels: chưa ghi cấp áp dụng",
        "Dòng 8 (mục 8.7-01), cột evidence_key: khóa bằng chứng 'ontime_rate' không có trong danh mục",
        "Dòng 9 (mục 8.7-02), cột evidence_key: chỉ được ghi một khóa bằng chứng",
    ]
    expected_en = [
        "Row 3 (item 8.5.3-02), column levels: level 'xaa' is not valid",
        "Row 4 (item 8.5.3-01), column id: item id '8.5.3-01' is already used on row 2",
        "Row 5, column id: the item id is empty",
        "Row 6 (item 11.2-01), column clause: clause '11.2' is not a clause",
        "Row 7 (item 8.6-01), column clause: the clause is empty",
        "Row 7 (item 8.6-01), column question_vi: the question is empty",
        "Row 7 (item 8.6-01), column levels: no level given",
        "Row 8 (item 8.7-01), column evidence_key: evidence key 'ontime_rate' is not in the vocabulary",
        "Row 9 (item 8.7-02), column evidence_key: only one evidence key is allowed",
    ]
    for line in expected_vi:
        assert line in vi
    for line in expected_en:
        assert line in en
    assert "danh_muc.csv có 9 lỗi" in vi
    assert error.code == "checklist.invalid"
    assert len(error.params["problems"]) == 9
    # Listed in row order, so an auditor fixes the file top to bottom.
    rows = [int(n) for n in re.findall(r"^- Dòng (\d+)", vi, flags=re.MULTILINE)]
    assert rows == sorted(rows)


def test_missing_columns_are_all_named(tmp_path):
    rows = [["4.1-01", "Cơ quan đã xác định bối cảnh chưa?"]]
    path = write_csv(tmp_path / "thieu_cot.csv", rows, header=["Mã mục", "Ghi chú"])
    with pytest.raises(ChecklistError) as caught:
        load_checklist(path)
    vi, en = caught.value.message("vi"), caught.value.message("en")
    assert "Thiếu cột clause" in vi and "Thiếu cột levels" in vi and "Thiếu cột câu hỏi" in vi
    assert "Thiếu cột id" not in vi
    assert "Column clause is missing" in en and "Column levels is missing" in en


def test_unreadable_files_raise_checklist_error(tmp_path):
    latin = tmp_path / "ansi.csv"
    # Excel's plain "CSV" on a Vietnamese Windows writes code page 1258 (tone marks as combining characters).
    text = "id,clause,question_vi,levels\n4.1-01,4.1,Bô\u0301i ca\u0309nh?,commune\n"
    latin.write_bytes(text.encode("cp1258"))
    assert load_checklist(latin)["question_vi"].tolist() == ["Bối cảnh?"]  # read, and NFC
    garbled = tmp_path / "garbled.csv"
    garbled.write_bytes(text.encode("utf-8")[:-2] + b"\x81\x90\x9d\n")  # no code page defines these bytes
    with pytest.raises(ChecklistError) as caught:
        load_checklist(garbled)
    assert caught.value.code == "csv_not_utf8"
    with pytest.raises(ChecklistError) as caught:
        load_checklist(tmp_path / "khong_co.csv")
    assert caught.value.code == "file_not_found"
    empty_body = write_csv(tmp_path / "rong.csv", [["", "", "", "", "", "", "", "", "", ""]])
    with pytest.raises(ChecklistError) as caught:
        load_checklist(empty_body)
    assert "không có mục câu hỏi nào" in str(caught.value)  # the user's language, also in a traceback
    assert "no checklist items" in caught.value.message("en")


# ---- what an auditor may write ---------------------------------------------------------------------------

def test_vietnamese_headers_level_words_and_one_language(tmp_path):
    header = ["Mã mục", "Điều khoản", "Câu hỏi", "Bằng chứng cần xem", "Cấp áp dụng", "Khóa bằng chứng tự động"]
    rows = [
        ["8.5.1-01", "8.5.1", "Hồ sơ có được trả đúng hạn không?", "Sổ theo dõi hồ sơ", "Xã; phường", "On time rate"],
        ["8.7-01", "8.7.", "Hồ sơ trễ hạn có phiếu xin lỗi không?", "Phiếu xin lỗi", "huyện, tỉnh", ""],
        ["", "", "", "", "", ""],  # a blank row left between items is not an item
        ["9.2-01", 9.2, "Có kế hoạch đánh giá nội bộ năm không?", "Kế hoạch", "commune;district;province", ""],
    ]
    path = write_csv(tmp_path / "tieng_viet.csv", rows, header=header)
    frame = load_checklist(path, lang="en")
    assert frame["id"].tolist() == ["8.5.1-01", "8.7-01", "9.2-01"]
    assert frame["clause"].tolist() == ["8.5.1", "8.7", "9.2"]
    assert frame["levels"].tolist() == ["commune", "province;district", "province;district;commune"]
    assert frame["evidence_key"].tolist()[0] == "on_time_rate"
    assert frame["question_en"].isna().all()
    # English asked, only Vietnamese written: the Vietnamese text stands in; titles come from the clause list.
    assert frame["question"].tolist()[0] == "Hồ sơ có được trả đúng hạn không?"
    assert frame["clause_title_en"].tolist() == ["Control of production and service provision",
                                                 "Control of nonconforming outputs", "Internal audit"]


# ---- xlsx export and import ------------------------------------------------------------------------------

@pytest.mark.parametrize("lang", ["vi", "en"])
def test_xlsx_round_trip_is_equal(bundled, tmp_path, lang):
    path = tmp_path / f"checklist_{lang}.xlsx"
    export_checklist_xlsx(bundled, path, lang=lang)
    pdt.assert_frame_equal(load_checklist(path), bundled)
    book = openpyxl.load_workbook(path)
    assert len(book.sheetnames) == 3
    assert book.worksheets[0].max_row == len(bundled) + 4  # two title lines, a blank row, the header


def test_xlsx_round_trip_keeps_text_a_spreadsheet_would_run(tmp_path):
    rows = [item("8.6-01", "8.6", "=Kết quả có được ký duyệt?", "-Is it signed?", "district",
                 evidence_vi="- phiếu kiểm soát; - sổ theo dõi", evidence_en="+ slip")]
    original = load_checklist(write_csv(tmp_path / "a.csv", rows))
    export_checklist_xlsx(original, tmp_path / "a.xlsx")
    sheet = openpyxl.load_workbook(tmp_path / "a.xlsx").worksheets[0]
    assert sheet.cell(sheet.max_row, 5).value.startswith("'=")  # neutralised in the workbook
    pdt.assert_frame_equal(load_checklist(tmp_path / "a.xlsx"), original)


def test_edited_workbook_errors_give_excel_row_numbers(bundled, tmp_path):
    path = tmp_path / "da_sua.xlsx"
    export_checklist_xlsx(bundled, path)
    book = openpyxl.load_workbook(path)
    sheet = book.worksheets[0]
    target = next(r for r in range(1, sheet.max_row + 1) if sheet.cell(r, 1).value == "8.5.3-02")
    sheet.cell(target, 9).value = "xaa"
    sheet.cell(target + 1, 2).value = "8.9"
    book.save(path)
    with pytest.raises(ChecklistError) as caught:
        load_checklist(path)
    vi = caught.value.message("vi")
    assert f"Dòng {target} (mục 8.5.3-02), cột Cấp áp dụng: cấp 'xaa' không hợp lệ" in vi
    assert f"Dòng {target + 1} (mục 8.5.3-03), cột Điều khoản: điều khoản '8.9'" in vi
    assert "có 2 lỗi" in vi


# ---- level filter and coverage ---------------------------------------------------------------------------

@pytest.fixture
def small(tmp_path):
    rows = [
        item("6.2-01", "6.2", "Có kế hoạch mục tiêu năm không?", "Is there an objectives plan?",
             "province;district;commune", "objectives_plan_exists"),
        item("6.2-02", "6.2", "Phòng ban có mục tiêu riêng không?", "Do departments have objectives?",
             "province;district"),
        item("8.5.1-01", "8.5.1", "Hộ tịch trả trong ngày không?", "Same-day civil status?", "district;commune"),
        item("8.5.3-01", "8.5.3", "Bản gốc được trả lại không?", "Originals returned?", "commune"),
    ]
    return load_checklist(write_csv(tmp_path / "small.csv", rows))


def test_checklist_for_level(small):
    assert checklist_for_level(small, "province")["id"].tolist() == ["6.2-01", "6.2-02"]
    assert checklist_for_level(small, "district")["id"].tolist() == ["6.2-01", "6.2-02", "8.5.1-01"]
    commune = checklist_for_level(small, "commune")["id"].tolist()
    assert commune == ["6.2-01", "8.5.1-01", "8.5.3-01"]
    assert checklist_for_level(small, "ward")["id"].tolist() == commune
    assert checklist_for_level(small, "Phường")["id"].tolist() == commune
    assert checklist_for_level(small, "huyện")["id"].tolist() == ["6.2-01", "6.2-02", "8.5.1-01"]
    with pytest.raises(ChecklistError) as caught:
        checklist_for_level(small, "thôn")
    assert "Cấp 'thôn' không hợp lệ" in caught.value.message("vi")


def test_clause_coverage_of_a_partial_checklist(small):
    coverage = clause_coverage(small, lang="en").set_index("clause")
    assert coverage.loc["6.2", "items"] == 2 and coverage.loc["6.2", "covered"]
    assert coverage.loc["8.5.1", "covered"] and not coverage.loc["8.5.2", "covered"]
    assert coverage.loc["8.5", "items"] == 2 and not coverage.loc["8.5", "covered"]
    assert coverage.loc["8", "items"] == 2
    assert coverage.loc["6", "items"] == 2 and not coverage.loc["6", "covered"]  # 6.1 and 6.3 have no item
    assert coverage.loc["4.1", "items"] == 0 and not coverage.loc["4.1", "covered"]
    assert coverage.loc["8.5.3", "title"] == "Property belonging to customers or external providers"
    assert not coverage.loc["8.5", "leaf"] and coverage.loc["8.5.3", "leaf"]
