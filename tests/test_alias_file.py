"""A records folder's own ``column_aliases.csv``: read in whatever encoding and separator Excel saved it in, read
once per load, and every line that cannot be used reported by its line number, once, never a traceback."""
from __future__ import annotations

import os

import pytest

from isoaudit.cli import main
from isoaudit.records import aliases, load_records
from isoaudit.records.inspect import inspect_file
from tests.builders import UNIT, write_sheet
from tests.test_records_formats import windows_1258

# The commune's software names the receipt and the applicant in its own words, which only the folder's alias
# file explains; without it the log has no receipt date (a required column).
LOG_HEADER = ["Mã hồ sơ", "Mã TTHC", "Ngày nộp đơn", "Người đứng đơn", "Ngày hẹn trả", "Ngày trả kết quả"]
LOG_ROWS = [
    ["HS-001", "1.001193", "06/01/2025 08:00", "Nguyễn Văn An", "06/01/2025", "06/01/2025 10:00"],
    ["HS-002", "1.001193", "07/01/2025 09:30", "Trần Thị Bình", "07/01/2025", "07/01/2025 15:00"],
    ["HS-003", "1.001193", "08/01/2025 14:00", "Lê Văn Cường", "09/01/2025", ""],
]
GOOD_LINES = [["dossiers", "received_at", "Ngày nộp đơn"], ["dossiers", "applicant", "Người đứng đơn"]]


def write_folder(folder):
    write_sheet(folder / "units.xlsx", ["Mã đơn vị", "Tên đơn vị", "Cấp"],
                [[UNIT, "Xã Thái Bình", "Xã"], ["02269", "Xã Tân Long", "Xã"]])
    write_sheet(folder / "procedures.xlsx", ["Mã TTHC", "Tên TTHC", "Thời hạn giải quyết"],
                [["1.001193", "Đăng ký khai sinh", 0]])
    (folder / "dossiers").mkdir()
    write_sheet(folder / "dossiers" / f"{UNIT}_2025.xlsx", LOG_HEADER, LOG_ROWS)
    write_sheet(folder / "dossiers" / "02269_2025.xlsx", LOG_HEADER, LOG_ROWS)
    (folder / "objectives").mkdir()
    write_sheet(folder / "objectives" / f"{UNIT}_2025.xlsx", ["Năm", "Mục tiêu", "Chỉ tiêu cần đạt"],
                [[2025, "Giải quyết hồ sơ đúng hạn", "≥ 98 %"]])
    return folder


def csv_text(lines: list[list[str]], delimiter: str = ",") -> str:
    def cell(text):
        return f'"{text}"' if delimiter in text else text
    return "".join(delimiter.join(cell(c) for c in line) + "\r\n" for line in lines)


def alias_problems(records):
    return [p for p in records.problems if p.file == "column_aliases.csv"]


@pytest.mark.parametrize("encode, delimiter", [
    (lambda text: text.encode("utf-8"), ","),
    (lambda text: text.encode("utf-8-sig"), ","),  # Excel's "CSV UTF-8"
    (windows_1258, ";"),  # Excel's plain "CSV" on a Vietnamese Windows, whose list separator is ";"
    (windows_1258, ","),
    (lambda text: text.encode("utf-16"), "\t"),  # Excel's "Unicode Text": UTF-16LE with a BOM, tabs
    (lambda text: text.encode("utf-16-le"), "\t"),  # the same from a web system, without the BOM
], ids=["utf8", "utf8-bom", "cp1258-semicolon", "cp1258-comma", "utf16-bom-tab", "utf16le-tab"])
def test_an_alias_file_in_any_encoding_excel_saves_is_read(tmp_path, encode, delimiter):
    folder = write_folder(tmp_path)
    text = csv_text([["kind", "column", "alias"], *GOOD_LINES], delimiter)
    (folder / "column_aliases.csv").write_bytes(encode(text))
    records = load_records(folder)
    assert alias_problems(records) == []
    assert not records.has_errors, records.problems_table()
    assert sorted(records.dossiers["applicant"].dropna()) == sorted(2 * ["Nguyễn Văn An", "Trần Thị Bình",
                                                                           "Lê Văn Cường"])
    assert records.dossiers["received_at"].notna().all()


def test_an_alias_file_from_a_western_windows_is_read(tmp_path):
    folder = write_folder(tmp_path)
    for unit in (UNIT, "02269"):
        write_sheet(folder / "dossiers" / f"{unit}_2025.xlsx", ["Mã hồ sơ", "Mã TTHC", "Date de dépôt", "Ngày hẹn trả"],
                    [row[:3] + [row[4]] for row in LOG_ROWS])
    (folder / "column_aliases.csv").write_bytes(
        csv_text([["kind", "column", "alias"], ["dossiers", "received_at", "Date de dépôt"]], ";").encode("cp1252"))
    records = load_records(folder)
    assert alias_problems(records) == [] and not records.has_errors
    assert len(records.dossiers) == 6 and records.dossiers["received_at"].notna().all()


def test_an_alias_file_in_no_encoding_is_one_located_error_and_the_folder_still_reads(tmp_path, capsys):
    folder = write_folder(tmp_path)
    write_sheet(folder / "dossiers" / "02269_2025.xlsx", ["Mã hồ sơ", "Mã TTHC", "Ngày tiếp nhận", "Ngày hẹn trả"],
                [[row[0], row[1], row[2], row[4]] for row in LOG_ROWS])
    (folder / "column_aliases.csv").write_bytes(
        "kind,column,alias\ndossiers,received_at,Ngày nộp đơn\n".encode() + b"dossiers,applicant,\x81\x8d\x90\x9d\n")
    records = load_records(folder)
    [problem] = alias_problems(records)
    assert (problem.code, problem.severity, problem.row) == ("alias_file_undecodable", "error", 3)
    assert problem.message("vi") == (
        "Không đọc được column_aliases.csv: từ dòng 3, tệp không ở mã UTF-8, UTF-16, Windows-1258 hay 1252, nên "
        "chưa dùng tên cột nào trong tệp; hãy mở bằng Excel, lưu kiểu \"CSV UTF-8\"")
    assert "line 3" in problem.message("en")
    # The log written with the usual headers is read; the one that needed the aliases says which column lacks.
    assert set(records.dossiers["unit_code"]) == {"02269"}
    assert any(p.code == "missing_column" and p.file == f"dossiers/{UNIT}_2025.xlsx" for p in records.problems)

    assert main(["validate", str(folder)]) == 1
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err and "UnicodeDecodeError" not in out + err
    assert "Tệp column_aliases.csv" in out and "lưu kiểu \"CSV UTF-8\"" in out  # the whole message
    # A long message goes on over lines of at most 100 characters instead of losing its end.
    message_lines = out[out.index("Không đọc được column_aliases.csv"):].splitlines()[:3]
    assert " ".join(line.strip() for line in message_lines).startswith(problem.message("vi"))
    assert all(len(line.strip()) <= 100 for line in message_lines)
    # inspect reports the alias file's error, but a workbook read with the usual headers is still usable.
    found = inspect_file(folder / "dossiers" / "02269_2025.xlsx")
    assert found.usable and any(p.code == "alias_file_undecodable" for p in found.problems)


def test_every_bad_line_is_reported_once_with_its_line_and_what_to_write(tmp_path, capsys):
    folder = write_folder(tmp_path)
    lines = [
        ["kind", "column", "alias"],  # 1
        *GOOD_LINES,  # 2, 3
        ["dossiers", "officer", "Cán bộ, công chức tiếp nhận"],  # 4: a comma in the alias, not quoted
        ["dossiers", "due_date"],  # 5: no alias at all
        ["ho_so", "returned_date", "Ngày trả kết quả"],  # 6: no such kind
        ["dossiers", "recieved_at", "Thời điểm nộp"],  # 7: a column misspelt
        ["dossiers", "note", ""],  # 8: an empty alias
        ["dossiers", "unit_name", "Nơi nộp"],  # 9: a column of units only, planned for dossiers: no problem
        [""],  # 10: a blank line Excel leaves
        ["Surveys", "Rating", "Mức độ hài lòng"],  # 11: case does not matter
    ]
    text = "".join(",".join(line) + "\r\n" for line in lines)  # as typed in Notepad: nothing quoted
    (folder / "column_aliases.csv").write_text(text, encoding="utf-8")
    records = load_records(folder)
    found = [(p.row, p.code, p.severity) for p in alias_problems(records)]
    assert found == [(4, "alias_fields", "warning"), (5, "alias_fields", "warning"), (6, "alias_kind", "warning"),
                     (7, "alias_column", "warning"), (8, "alias_empty", "warning")]
    words = {p.row: p.message("vi") for p in alias_problems(records)}
    assert words[4] == ("column_aliases.csv, dòng 4: có 4 ô nhưng tiêu đề có 3 (kind,column,alias); dòng bị bỏ "
                        "qua. Tên cột có dấu phẩy thì đặt trong ngoặc kép: \"Ngày, giờ nhận\"")
    assert words[5].startswith("column_aliases.csv, dòng 5: có 2 ô nhưng tiêu đề có 3")
    assert words[6] == ("column_aliases.csv, dòng 6: không có loại bảng \"ho_so\" (ô kind); hãy ghi một trong: "
                        "units, procedures, dossiers, objectives, surveys, feedback, decisions, findings, statistics. "
                        "Dòng bị bỏ qua")
    assert words[7] == ("column_aliases.csv, dòng 7: không có cột \"recieved_at\" (ô column); với dossiers hãy ghi "
                        "như received_at, result_received_date (đủ ở mục Canonical columns của README), skip, "
                        "unused. Dòng bị bỏ qua")
    assert "ô alias trống" in words[8]
    # `isoaudit validate` shows 200 characters of a message: what to write must be within them.
    assert all(len(p.message(lang)) <= 200 for p in alias_problems(records) for lang in ("vi", "en"))
    # The good lines are used: the logs are read with their receipt dates and applicants.
    assert not records.has_errors and records.dossiers["received_at"].notna().all()
    assert records.dossiers["applicant"].notna().all()

    assert main(["validate", str(folder)]) == 0
    out = capsys.readouterr().out
    assert out.count("column_aliases.csv, dòng 6:") == 1 and "Tệp column_aliases.csv" in out
    assert "…" not in out.split("Tệp column_aliases.csv")[1]  # no message of the alias file cut short


def test_a_priority_that_is_not_a_whole_number_and_the_five_column_format(tmp_path):
    folder = write_folder(tmp_path)
    (folder / "column_aliases.csv").write_text(
        "kind;column;alias;parent;priority\n"
        "dossiers;received_at;Ngày nộp đơn;;60\n"
        "dossiers;applicant;Người đứng đơn;;cao\n"
        "dossiers;applicant;Người đứng đơn;;70,5\n"
        "dossiers;returned_date;Ngày trả kết quả;;90.0\n", encoding="utf-8")
    records = load_records(folder)
    found = [(p.row, p.code, p.value) for p in alias_problems(records)]
    assert found == [(3, "alias_priority", "cao"), (4, "alias_priority", "70,5")]
    assert alias_problems(records)[0].message("vi") == (
        "column_aliases.csv, dòng 3: priority \"cao\" không phải số nguyên; hãy ghi một số như 60 (lớn hơn thì "
        "được ưu tiên) hoặc để trống (là 50). Dòng bị bỏ qua")
    assert records.dossiers["applicant"].isna().all()  # the lines left out are not used
    assert records.dossiers["received_at"].notna().all()


def test_an_alias_file_without_its_header_line_says_so(tmp_path):
    folder = write_folder(tmp_path)
    (folder / "column_aliases.csv").write_text("dossiers,received_at,Ngày nộp đơn\n", encoding="utf-8")
    records = load_records(folder)
    [problem] = alias_problems(records)
    assert (problem.code, problem.row) == ("alias_header", 1)
    assert problem.message("vi") == (
        "column_aliases.csv, dòng 1: cần dòng tiêu đề kind,column,alias (thêm parent,priority nếu cần), thiếu kind, "
        "column, alias (đang ghi: dossiers, received_at, Ngày nộp đơn); chưa dùng dòng nào của tệp")
    # Nothing of it is used: the logs lack their receipt date, and that message points at the alias file.
    missing = [p for p in records.problems if p.code == "missing_column"]
    assert missing and all("column_aliases.csv" in p.message("vi") for p in missing)


def test_the_alias_file_is_read_once_per_load_and_again_when_it_changes(tmp_path, monkeypatch):
    folder = write_folder(tmp_path)
    path = folder / "column_aliases.csv"
    path.write_text(csv_text([["kind", "column", "alias"], *GOOD_LINES, ["dossiers", "nope", "X"]]),
                    encoding="utf-8")
    opened = []
    real = aliases.open_grid
    monkeypatch.setattr(aliases, "open_grid", lambda p, *a: opened.append(p) or real(p, *a))
    aliases._read_alias_file.cache_clear()
    records = load_records(folder)
    assert len(opened) == 1  # 3 logs of 2 kinds, units and procedures, every kind asked: one reading
    assert [p.row for p in alias_problems(records)] == [4]
    load_records(folder)
    assert len(opened) == 1
    path.write_text(csv_text([["kind", "column", "alias"], *GOOD_LINES]), encoding="utf-8")
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 1_000_000_000))
    assert alias_problems(load_records(folder)) == [] and len(opened) == 2


def test_inspect_shows_the_alias_files_problems(tmp_path):
    folder = write_folder(tmp_path)
    (folder / "column_aliases.csv").write_text(
        csv_text([["kind", "column", "alias"], *GOOD_LINES, ["dossiers", "recieved_at", "Thời điểm nộp"]]),
        encoding="utf-8")
    found = inspect_file(folder / "dossiers" / f"{UNIT}_2025.xlsx")
    assert found.alias_file == "column_aliases.csv" and found.usable
    assert [(p.file, p.row, p.code) for p in found.problems] == [("column_aliases.csv", 4, "alias_column")]


def test_the_alias_file_counts_among_the_folders_inputs(tmp_path):
    """A change to it changes what the reports depend on (the batch compares the inputs' digests)."""
    folder = write_folder(tmp_path)
    (folder / "column_aliases.csv").write_text(csv_text([["kind", "column", "alias"], *GOOD_LINES]),
                                               encoding="utf-8")
    records = load_records(folder)
    assert "column_aliases.csv" in set(records.file_digests()["file"])
