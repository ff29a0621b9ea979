"""A CSV export with one quotation mark never closed: the rows after it must not vanish into one cell without a
word. And Excel's "Unicode Text" (UTF-16, tab-separated, with or without its BOM) is a table like any CSV."""
from __future__ import annotations

import pytest

from isoaudit.cli import main
from isoaudit.records import load_records
from isoaudit.records.grid import open_grid
from isoaudit.records.inspect import inspect_file
from tests.builders import UNIT, write_sheet
from tests.test_records_formats import windows_1258

HEADER = ["Mã hồ sơ", "Mã TTHC", "Chủ hồ sơ", "Địa chỉ", "Ngày nhận", "Ngày hẹn trả", "Ngày trả kết quả"]
NAMES = ["Nguyễn Văn An", "Trần Thị Bình", "Lê Văn Cường", "Phạm Thị Dung", "Hoàng Văn Em"]


def export_rows(count: int) -> list[list[str]]:
    """A software export's rows: some addresses hold the delimiter (quoted, as the software writes them)."""
    rows = []
    for number in range(1, count + 1):
        day = 2 + number % 20
        address = "Thôn Đông, xã Thái Bình" if number % 3 == 0 else "Thôn Tây"
        rows.append([f"HS-{number:03d}", "1.001193", NAMES[number % 5], address, f"{day:02d}/01/2025 08:00",
                     f"{day:02d}/01/2025", f"{day:02d}/01/2025 10:00"])
    return rows


def lines_of(rows: list[list[str]], delimiter: str = ",") -> list[str]:
    def cell(text):
        return f'"{text}"' if delimiter in text or "\n" in text else text
    return [delimiter.join(cell(c) for c in row) for row in rows]


def write_folder(folder, log_lines: list[str], encode=lambda text: text.encode("utf-8"), name=f"{UNIT}_2025.csv"):
    write_sheet(folder / "units.xlsx", ["Mã đơn vị", "Tên đơn vị", "Cấp"],
                [[UNIT, "Xã Thái Bình", "Xã"], ["02269", "Xã Tân Long", "Xã"]])
    write_sheet(folder / "procedures.xlsx", ["Mã TTHC", "Tên TTHC", "Thời hạn giải quyết"],
                [["1.001193", "Đăng ký khai sinh", 0]])
    (folder / "dossiers").mkdir()
    (folder / "dossiers" / name).write_bytes(encode("\r\n".join(log_lines) + "\r\n"))
    write_sheet(folder / "dossiers" / "02269_2025.xlsx", HEADER, export_rows(3))
    return folder


def unclosed(line: str, name: str) -> str:
    """``line`` with the quote before ``name`` left open, as a hand edit in Notepad leaves it."""
    return line.replace(name, '"' + name, 1)


@pytest.mark.parametrize("later_quotes", [False, True], ids=["to-the-end", "closed-by-a-later-quote"])
def test_a_quote_never_closed_is_located_and_the_file_is_not_used_in_part(tmp_path, capsys, later_quotes):
    rows = export_rows(39)
    if not later_quotes:  # no quoted cell after line 5: the open quote runs to the end of the file
        for row in rows[4:]:
            row[3] = "Thôn Tây"
    lines = lines_of([HEADER] + rows)
    lines[4] = unclosed(lines[4], NAMES[4])  # line 5 of 40
    folder = write_folder(tmp_path, lines)
    records = load_records(folder)
    [damage] = [p for p in records.problems if p.file == f"dossiers/{UNIT}_2025.csv"]
    assert (damage.code, damage.severity, damage.row) == ("records.unclosed_quote", "error", 5)
    said = damage.message("vi")
    assert said.startswith(f"Dấu ngoặc kép (\") mở ô \"{NAMES[4]},Thôn Tây,")
    assert "ở dòng 5 không được đóng" in said and "tệp chưa được dùng" in said and "Notepad" in said
    if not later_quotes:
        assert "nên 35 dòng sau bị gộp vào ô đó" in said
    assert "line 5" in damage.message("en")
    assert max(len(damage.message(lang)) for lang in ("vi", "en")) <= 200  # as much as `validate` shows
    # Not 4 rows of the file in silence: none of it, said; the other commune's log is read.
    assert set(records.dossiers["unit_code"]) == {"02269"}

    assert main(["validate", str(folder)]) == 1
    out = capsys.readouterr().out
    assert f"Tệp dossiers/{UNIT}_2025.csv" in out and "ở dòng 5 không được đóng" in out and "rồi lưu lại" in out


def test_a_quote_left_open_on_the_last_line_but_one(tmp_path):
    lines = lines_of([HEADER] + export_rows(12))
    lines[11] = unclosed(lines[11], "Thôn Tây") if "Thôn Tây" in lines[11] else unclosed(lines[11], "1.001193")
    path = write_folder(tmp_path, lines) / "dossiers" / f"{UNIT}_2025.csv"
    found = inspect_file(path)
    assert found.error is not None and found.error.code == "records.unclosed_quote"
    assert found.error.params["row"] == 12 and found.error.params["lines"] == 1


def test_a_long_export_damaged_after_the_first_rows_inspect_looks_at(tmp_path):
    lines = lines_of([HEADER] + export_rows(300))
    lines[250] = unclosed(lines[250], NAMES[250 % 5])
    path = write_folder(tmp_path, lines) / "dossiers" / f"{UNIT}_2025.csv"
    found = inspect_file(path)
    assert not found.usable
    assert [(p.code, p.row) for p in found.problems] == [("records.unclosed_quote", 251)]


def test_a_semicolon_export_from_a_vietnamese_windows(tmp_path):
    lines = lines_of([HEADER] + export_rows(30), ";")
    lines[7] = unclosed(lines[7], NAMES[7 % 5])
    records = load_records(write_folder(tmp_path, lines, windows_1258))
    [damage] = [p for p in records.problems if p.file == f"dossiers/{UNIT}_2025.csv"]
    assert (damage.code, damage.row, damage.params["cell"]) == ("records.unclosed_quote", 8,
                                                                lines[7].split('"')[1][:29] + "…")
    assert damage.params["cell"].startswith(f"{NAMES[7 % 5]};Thôn Tây;")  # NFC, as any Vietnamese text


def test_cells_written_on_several_lines_are_not_damage(tmp_path):
    """A note or an address written on two or three lines, commas and all, is one cell, as Excel shows it."""
    rows = export_rows(20)
    rows[2][3] = "Số 12, ngõ 3, đường Trần Phú,\nphường Hùng Vương, thị xã Phú Thọ"
    rows[5][3] = "Tổ 5\nThôn Đông, xã Thái Bình\n(gần chợ, cạnh UBND xã)"
    rows[9][2] = 'Công ty TNHH "An Phát"'
    lines = lines_of([HEADER] + rows)
    lines[10] = lines[10].replace('"Công ty TNHH "An Phát""', '"Công ty TNHH ""An Phát"""')
    records = load_records(write_folder(tmp_path, lines))
    assert [p for p in records.problems if p.severity == "error"] == []
    mine = records.dossiers[records.dossiers["unit_code"] == UNIT]
    assert len(mine) == 20 and mine["source_row"].tolist() == list(range(2, 22))
    assert mine["applicant"].iloc[9] == 'Công ty TNHH "An Phát"'


# ---- empty characters (NUL) left in cells ------------------------------------------------------------------------
@pytest.mark.parametrize("where", [2, 60], ids=["in-the-first-4-kb", "further-on"])
def test_a_few_empty_characters_are_removed_and_said_where(tmp_path, where):
    """An export that is text apart from a stray NUL or two is read; each cell it was in is named, by row and by
    the column's header, and read without it."""
    rows = export_rows(80)
    rows[where - 2][2] = rows[where - 2][2].replace(" ", "\x00 ", 1)
    rows[where - 1][3] = "Thôn Tây\x00\x00"
    folder = write_folder(tmp_path, lines_of([HEADER] + rows))
    records = load_records(folder)
    found = [(p.file, p.row, p.column, p.value, p.severity) for p in records.problems
             if p.code == "records.empty_character_removed"]
    assert found == [(f"dossiers/{UNIT}_2025.csv", where, "Chủ hồ sơ", NAMES[(where - 1) % 5], "warning"),
                     (f"dossiers/{UNIT}_2025.csv", where + 1, "Địa chỉ", "Thôn Tây", "warning")]
    mine = records.dossiers[records.dossiers["unit_code"] == UNIT]
    assert len(mine) == 80 and not mine["applicant"].str.contains("\x00").any()
    assert "ký tự rỗng" in [p for p in records.problems if p.code == "records.empty_character_removed"][0].message()


def test_a_binary_file_named_csv_is_still_refused(tmp_path):
    lines = lines_of([HEADER] + export_rows(5))
    folder = write_folder(tmp_path, lines)
    (folder / "dossiers" / f"{UNIT}_2025.csv").write_bytes(b"SQLite format 3\x00" + bytes(4000) + b"a,b\n" * 20)
    records = load_records(folder)
    assert [(p.file, p.code) for p in records.problems if p.severity == "error"] == [
        (f"dossiers/{UNIT}_2025.csv", "not_a_spreadsheet")]


# ---- Excel's "Unicode Text" --------------------------------------------------------------------------------------
@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be"], ids=["bom", "le-no-bom", "be-no-bom"])
@pytest.mark.parametrize("name", [f"{UNIT}_2025.txt", f"{UNIT}_2025.csv", f"{UNIT}_2025.xls"])
def test_unicode_text_is_read_as_a_table(tmp_path, encoding, name):
    lines = lines_of([HEADER] + export_rows(25), "\t")
    folder = write_folder(tmp_path, lines, lambda text: text.encode(encoding), name)
    grid = open_grid(folder / "dossiers" / name)
    assert grid.format == "csv" and next(iter(grid.rows)) == HEADER
    records = load_records(folder)
    assert [p for p in records.problems if p.severity == "error"] == [], records.problems_table()
    mine = records.dossiers[records.dossiers["unit_code"] == UNIT]
    assert len(mine) == 25 and mine["applicant"].iloc[0] == NAMES[1]
    assert mine["received_at"].notna().all()
