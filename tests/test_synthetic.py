"""The sample province generator: reproducible bytes, the registry before and after the reform of 1/7/2025
(a reused code, a split commune), logs that span the reform, the official book's layout, planted problems
where the README says, behaviour that the records reader and the timeliness rules agree with."""
from __future__ import annotations

import argparse
import ast
import csv
import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import python_calamine
from openpyxl import load_workbook

from isoaudit import synthetic
from isoaudit.calendar import WorkCalendar
from isoaudit.cli import make_sample as make_sample_cli
from isoaudit.errors import IsoauditError
from isoaudit.records import load_records, read_dossier_log
from isoaudit.synthetic.unit_logs import year_logs
from isoaudit.synthetic.units import units_sheet
from isoaudit.timeliness import assess

SCALE = 0.05  # about 400 dossiers a year province-wide: every layout and every plant, in a few seconds
REFORM = pd.Timestamp(2025, 7, 1)  # the successors of the reform take over


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    return synthetic.make_sample(tmp_path_factory.mktemp("sample") / "records", seed=11, scale=SCALE)


def test_same_seed_gives_the_same_bytes(sample, tmp_path):
    again = synthetic.make_sample(tmp_path / "again", seed=11, scale=SCALE)
    names = sorted(p.relative_to(sample.folder) for p in sample.folder.rglob("*") if p.is_file())
    assert names == sorted(p.relative_to(again.folder) for p in again.folder.rglob("*") if p.is_file())
    # README, units, procedures, calendar; per code held in 2024 (9 former units and 4 communes kept as they
    # were) a 2024 log, its surveys and its review's decisions, and a 2025 log (08014 ends on 30/06/2025, the
    # other codes go on); per unit of the end of 2025 (8 successors and the 4 kept communes) objectives, 2025
    # surveys, feedback and findings; a saved audit for all of them but 08035; two reported statistics forms
    # (data/synthetic_analytics.toml).
    assert len(names) == 1 + 3 + 13 * 4 + 12 * 4 + 11 + 2
    for name in names:
        assert (sample.folder / name).read_bytes() == (again.folder / name).read_bytes(), name
    # Another seed, other dossiers (one log is enough to see it: a whole second sample costs seconds).
    one, other = (synthetic.write_dossier_log(tmp_path / f"seed_{seed}.csv", 50, seed=seed) for seed in (11, 12))
    assert one.read_bytes() != other.read_bytes()


def test_official_book_has_title_rows_merged_header_numbers_totals_and_signature(sample):
    name = "dossiers/08029_xa_dong_tam_2025.xlsx"
    rows = dict(sample.files)[name]
    sheet = load_workbook(sample.folder / name).active
    merged = {str(r) for r in sheet.merged_cells.ranges}
    values = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert values[0][0] == "UBND TỈNH PHÚ THỌ" and "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in values[0]
    assert values[1][0] == "UBND XÃ ĐỒNG TÂM" and "Độc lập - Tự do - Hạnh phúc" in values[1]
    assert values[3][0] == "SỔ THEO DÕI HỒ SƠ"
    assert values[4][0] == "(Từ ngày 01/01/2025 đến ngày 31/12/2025)"
    top, sub, numbers = values[6], values[7], values[8]
    group = top.index("Ngày, tháng, năm")
    assert f"{_letter(group)}7:{_letter(group + 4)}7" in merged
    assert sub[group:group + 5] == ["Nhận hồ sơ", "Hẹn trả kết quả", "Chuyển hồ sơ đến cơ quan giải quyết",
                                    "Nhận kết quả từ cơ quan giải quyết", "Trả kết quả cho cá nhân, tổ chức"]
    assert {"A7:A8", "B7:B8", f"{_letter(len(top) - 1)}7:{_letter(len(top) - 1)}8"} <= merged
    assert "Mã TTHC" not in top and "Tên thủ tục hành chính" in top  # this book names procedures only
    assert numbers == [f"({i})" for i in range(1, len(top) + 1)]
    body = values[9:]
    totals = next(i for i, r in enumerate(body) if r[0] == f"Tổng cộng: {rows} hồ sơ")
    data = [r for r in body[:totals] if any(v is not None for v in r)]
    assert len(data) == rows
    assert any(all(v is None for v in r) for r in body[:totals - 1])  # blank rows inside the table
    assert any("NGƯỜI LẬP SỔ" in r for r in body[totals:]) and any("(Ký, ghi rõ họ tên)" in r for r in body[totals:])
    received = [r[group] for r in data]
    assert {type(v) for v in received} == {dt.datetime, float, str}  # Excel dates, serial numbers, d/m/yyyy text


def test_flat_exports_use_known_headers_and_the_csv_has_a_bom(sample):
    raw = (sample.folder / "dossiers/08041_phuong_phong_chau_2025.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    header = next(csv.reader(raw.decode("utf-8-sig").splitlines()))
    assert header[:3] == ["Số biên nhận", "Mã đơn vị", "Mã thủ tục"]
    sheet = load_workbook(sample.folder / "dossiers/08026_xa_phu_loc_2025.xlsx").active
    header = [cell.value for cell in sheet[1]]
    assert header[7:9] == ["Ngày nộp hồ sơ", "Ngày tiếp nhận"]  # the portal's submission, then the receipt
    received = next(sheet.iter_rows(min_row=2, max_row=2))[8]
    assert isinstance(received.value, dt.datetime) and received.number_format == "dd/mm/yyyy hh:mm"
    properties = load_workbook(sample.folder / "units.xlsx").properties
    assert properties.created == properties.modified == synthetic.FIXED_TIME


def test_planted_problems_sit_where_the_readme_says(sample):
    assert {p.kind for p in sample.planted} == {"returned_before_received", "duplicate_id", "unreadable_received",
                                               "unreadable_returned", "unknown_procedure", "empty_received"}
    assert len(sample.planted) == 7 and len({p.file for p in sample.planted}) == 7
    readme = (sample.folder / "README.md").read_text(encoding="utf-8")
    current = {u.unit_code: u for u in synthetic.district_units() if u.valid_on(dt.date(2025, 12, 31))}
    for planted in sample.planted:
        assert f"| `{planted.file}` | {planted.row} | {planted.column} |" in readme
        assert _cell_text(sample.folder / planted.file, planted.row, planted.column) == planted.value
        code = Path(planted.file).name.split("_")[0]
        assert planted.file.startswith(f"dossiers/{code}_{current[code].slug}_2025")  # a present unit's log
    # In a log two units wrote, the problem sits in the present unit's part (received from 01/07/2025).
    spanning = next(p for p in sample.planted if p.file.startswith("dossiers/08011_"))
    log = _log_frame(sample.folder / spanning.file)
    row = log.index[log["excel_row"] == spanning.row][0]
    assert log.loc[row - 1, "received"] >= REFORM and log.loc[row + 1, "received"] >= REFORM


def test_records_reader_finds_exactly_the_planted_problems(sample):
    records = load_records(sample.folder)
    found = {(p.file, p.row, p.code) for p in records.problems if not p.code.startswith("figure_gap")}
    planted = {(p.file, p.row, p.expected_code) for p in sample.planted}  # both name it "dossiers/..."
    assert found == planted
    # The official books of 2025 have no channel column: the online and postal shares are said to be missing.
    gaps = {(p.file, p.column) for p in records.problems if p.code.startswith("figure_gap")}
    assert gaps and all(column == "Hình thức nộp" and file.endswith("_2025.xlsx") for file, column in gaps)
    assert len(records.units) == 23 and len(records.procedures) >= 25
    codes = set(records.dossiers["unit_code"].str.split("@").str[0])  # a former unit of a reused code: code@day
    assert codes == {u.unit_code for u in synthetic.district_units() if u.dossiers}
    assert records.objectives.groupby("unit_code")["measure"].apply(lambda m: "on_time_rate" in set(m)).all()


def test_management_review_inputs_read_back(sample):
    records = load_records(sample.folder)
    units = synthetic.district_units()
    communes = {u.unit_code for u in units if u.dossiers and u.valid_on(dt.date(2025, 12, 31))}
    former = {u.unit_code for u in units if u.dossiers and u.valid_on(dt.date(2024, 12, 31))}
    assert "08014" in former - communes  # merged into 08011 on 01/07/2025
    codes = records.dossiers["unit_code"].str.split("@").str[0]
    years = records.dossiers.groupby(codes)["received_at"].apply(lambda r: set(r.dt.year))
    assert all(years[code] == {2024, 2025} for code in former)
    previous = records.dossiers[records.dossiers["received_at"].dt.year == 2024]
    assert previous["returned_date"].notna().all()  # seen a year later: every previous-year dossier returned
    assert (previous["returned_date"].dt.year == 2025).any()  # December dossiers returned in January
    surveys = records.surveys
    survey_codes = surveys["unit_code"].str.split("@").str[0]
    assert set(survey_codes[surveys["survey_date"].dt.year == 2024]) == former  # the former units' surveys
    assert set(survey_codes[surveys["survey_date"].dt.year == 2025]) == communes
    assert set(surveys["survey_date"].dt.year) == {2024, 2025}
    assert not surveys.duplicated(["unit_code", "survey_date"]).any()  # one answer a day per counter
    assert set(surveys["rating"]) == {"very_satisfied", "satisfied", "neutral", "dissatisfied"}
    assert surveys["dossier_id"].isin(records.dossiers["dossier_id"]).mean() > 0.95
    feedback = records.feedback
    # A register of the year is its code's: entries before 01/07/2025 may be read as the former unit's.
    assert set(feedback["unit_code"].str.split("@").str[0]) == communes
    assert (feedback["received_date"].dt.year == 2025).all()
    assert {"feedback", "recommendation"} <= set(feedback["feedback_type"])
    assert (feedback["handled_date"] > feedback["due_date"]).any()  # some answered late
    markup = feedback[feedback["content"].str.contains("<b>", regex=False)]
    assert markup["unit_code"].str.split("@").str[0].tolist() == [synthetic.MARKUP_UNIT]
    decisions = records.decisions
    assert set(decisions["unit_code"].str.split("@").str[0]) == former and set(decisions["year"]) == {2024}
    assert decisions["status"].notna().all() and (decisions["deadline"].dt.year == 2025).all()
    findings = records.findings
    assert set(findings["audit_id"]) == {"DGNB-2024", "DGNB-2025"}
    assert set(findings["unit_code"].str.split("@").str[0]) == communes
    of_unit = findings[findings["unit_code"].str.split("@").str[0] == synthetic.MARKUP_UNIT]
    repeated = of_unit[of_unit["clause"] == "8.5.1"]["audit_id"]
    assert set(repeated) == {"DGNB-2024", "DGNB-2025"} and "6.1" in set(of_unit["clause"])
    pending = findings["status"].isin(["open", "in_progress"])
    assert ((findings["deadline"] < pd.Timestamp(2025, 12, 31)) & pending).any()
    assert not [p for p in records.problems if p.file.endswith(("khao_sat_2024.xlsx", "khao_sat_2025.xlsx",
                                                                 "phan_anh_2025.xlsx", "findings.xlsx"))]


def test_generated_statuses_agree_with_the_timeliness_rules():
    units = {u.unit_code: u for u in synthetic.district_units()}
    decisions = synthetic.calendar_decisions(2025)
    calendar = WorkCalendar.vietnam().with_decisions(decisions)
    catalogue = synthetic.load_catalogue()
    frames = [synthetic.generate_dossiers(units[code], 2025, np.random.default_rng(5), n=1500, catalogue=catalogue,
                                          calendar=calendar, neighbours=list(units.values()))
              for code in ("08011", "08029", "08032")]  # Saturday reception, weak commune, storm day off
    dossiers = pd.concat(frames, ignore_index=True)
    dossiers["unit_code"] = dossiers["unit_code"].astype("string")
    dossiers["procedure_code"] = dossiers["procedure_code"].astype("string")
    mine = dossiers.pop("status").astype(str)
    stopped = (mine == "stopped").to_numpy()  # 08032's software says so from 01/07/2025 (Nghị định 118/2025)
    dossiers["log_status"] = pd.Series(np.where(stopped, "stopped", None), dtype="string")
    assessed = assess(dossiers.drop(columns=["legal_days", "legal_due_date"]), catalogue,
                      calendar.with_saturday_reception(["08011"]), as_of="2025-12-31")
    assert stopped.any()
    assert (assessed["status"].astype(str)[~stopped] == mine[~stopped]).all()
    assert assessed["status"][stopped].isna().all() and (assessed["unassessable_reason"][stopped] == "stopped").all()


def test_behaviour_weak_commune_land_procedures_apologies_and_open_dossiers():
    units = {u.unit_code: u for u in synthetic.district_units()}
    rng = np.random.default_rng(3)
    normal = synthetic.generate_dossiers(units["08011"], 2025, rng, n=4000, neighbours=list(units.values()))
    weak = synthetic.generate_dossiers(units["08029"], 2025, rng, n=4000, neighbours=list(units.values()))
    late = lambda frame: frame["status"].isin(["late", "overdue"]).mean()  # noqa: E731
    assert late(normal) < 0.05 < 0.10 < late(weak)
    land = normal["field"] == "Đất đai"
    assert late(normal[land]) > 2 * late(normal[~land])
    late_rows = weak[weak["status"] == "late"]
    assert 0.1 < late_rows["apology_date"].notna().mean() < 0.9  # some late dossiers have no apology letter
    assert (late_rows["new_due_date"].dropna() > late_rows.loc[late_rows["new_due_date"].notna(), "due_date"]).all()
    assert weak["returned_date"].isna().any() and (weak["status"] == "overdue").any()
    assert weak["appointment_beyond_legal"].any() and weak["supplement_requested_at"].notna().any()
    for frame in (normal, weak):
        returned = frame.dropna(subset=["returned_date"])
        assert (returned["returned_date"] > returned["received_at"]).all()
        assert (frame["due_date"] >= frame["received_at"].dt.normalize()).all()
        online = frame[frame["channel"] == "Trực tuyến"]["received_at"]
        counter = frame[frame["channel"] == "Trực tiếp"]["received_at"]
        assert (online.dt.day_of_week >= 5).any() and (online.dt.hour >= 18).any()
        minutes = counter.dt.hour * 60 + counter.dt.minute
        assert minutes.between(7 * 60 + 30, 17 * 60).all()
    calendar = WorkCalendar.vietnam().with_decisions(synthetic.calendar_decisions(2025))
    counter = weak[weak["channel"] == "Trực tiếp"]["received_at"]
    assert calendar.is_working_day(counter).all()  # make-up Saturdays included, holidays never
    assert (counter.dt.day_of_week == 5).any()
    saturdays = normal[normal["channel"] == "Trực tiếp"]["received_at"]
    saturdays = saturdays[~calendar.is_working_day(saturdays)]
    assert len(saturdays) and (saturdays.dt.day_of_week == 5).all() and (saturdays.dt.hour < 12).all()
    assert weak["applicant"].str.match(r"^(Công ty|[A-ZĐÂ][^ ]+ [^ ]+ [^ ]+$)").all()


@pytest.mark.parametrize("received, legal_days, saturday, expected", [
    ("24/01/2025 10:00", 0, False, "24/01/2025"),  # same day before the cut-off
    ("24/01/2025 16:00", 0, False, "03/02/2025"),  # after 15:00, then the Tết break
    ("29/04/2025 10:00", 3, False, "07/05/2025"),  # 30/4, 1/5, 2/5 off, then a weekend
    ("25/04/2025 10:00", 3, False, "29/04/2025"),  # Saturday 26/4 is a make-up working day
    ("15/08/2025 09:00", 2, False, "20/08/2025"),  # the province's festival day off (calendar.csv)
    ("11/10/2025 09:00", 3, True, "15/10/2025"),  # Saturday reception: counting starts on Monday
    ("11/10/2025 09:00", 3, False, "16/10/2025"),  # online on a Saturday: received on Monday
    ("12/10/2025 23:00", 0, False, "13/10/2025"),  # online on Sunday night, same-day procedure
])
def test_legal_due_dates(received, legal_days, saturday, expected):
    calendar = WorkCalendar.vietnam().with_decisions(synthetic.calendar_decisions(2025))
    stamps = pd.Series([pd.to_datetime(received, dayfirst=True)])
    due = synthetic.legal_due_dates(stamps, legal_days, 900, calendar, saturday_reception=saturday)
    assert due.iloc[0] == pd.to_datetime(expected, dayfirst=True)


def test_calendar_file_has_the_agreed_header(sample):
    lines = (sample.folder / "calendar.csv").read_text(encoding="utf-8").splitlines()
    assert lines[0] == "date,type,description,unit_code"
    assert lines[1].startswith("18/08/2025,nghỉ,") and lines[2].startswith("23/08/2025,làm việc,")
    assert lines[3].endswith(",08032")


def test_write_dossier_log_flat_xlsx_and_official_csv(tmp_path):
    flat = synthetic.write_dossier_log(tmp_path / "flat.xlsx", 400, seed=1)
    sheet = load_workbook(flat, read_only=True).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:2] == ("Số biên nhận", "Mã đơn vị") and len(rows) == 401
    assert len({r[1] for r in rows[1:]}) > 1  # the whole district
    official = synthetic.write_dossier_log(tmp_path / "book.csv", 300, seed=1, layout="official")
    lines = list(csv.reader(official.read_text(encoding="utf-8-sig").splitlines()))
    assert lines[3][0] == "SỔ THEO DÕI HỒ SƠ" and ["Tổng cộng: 300 hồ sơ"] in lines
    with pytest.raises(IsoauditError) as raised:
        synthetic.write_dossier_log(tmp_path / "log.ods", 10)
    assert raised.value.code == "synthetic.bad_suffix"


def test_cli_writes_a_large_log(tmp_path, capsys):
    parser = argparse.ArgumentParser()
    make_sample_cli.register(parser.add_subparsers())
    args = parser.parse_args(["make-sample", "--rows", "250", "--out", str(tmp_path / "big.csv")])
    assert args.func(args) == 0
    assert (tmp_path / "big.csv").read_text(encoding="utf-8-sig").count("\n") == 251
    assert "big.csv" in capsys.readouterr().out


def test_cli_never_writes_over_a_folder_that_holds_records_unless_forced(tmp_path):
    records = tmp_path / "ho_so"
    (records / "dossiers").mkdir(parents=True)
    (records / "units.xlsx").write_bytes(b"an agency's real registry")
    parser = argparse.ArgumentParser()
    make_sample_cli.register(parser.add_subparsers())
    args = parser.parse_args(["make-sample", "--out", str(records)])
    with pytest.raises(IsoauditError) as raised:
        args.func(args)
    assert raised.value.code == "synthetic.output_exists" and "--force" in raised.value.message("vi")
    assert (records / "units.xlsx").read_bytes() == b"an agency's real registry"
    big = tmp_path / "big.csv"
    big.write_text("kept", encoding="utf-8")
    args = parser.parse_args(["make-sample", "--rows", "10", "--out", str(big)])
    with pytest.raises(IsoauditError):
        args.func(args)
    args = parser.parse_args(["make-sample", "--rows", "10", "--out", str(big), "--force"])
    assert args.func(args) == 0 and big.read_text(encoding="utf-8-sig").count("\n") == 11


def test_a_big_log_holds_every_row_asked_for_and_reads_back(tmp_path):
    # Its speed is the benchmarks' business (bench_read.py writes and caches 200,000 and 1,000,000 rows).
    path = synthetic.write_dossier_log(tmp_path / "big.xlsx", 3_000, seed=2)
    assert python_calamine.CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).height == 3_001
    problems = []
    frame = read_dossier_log(path, problems=problems)
    assert len(frame) == 3_000 and not [p for p in problems if p.severity == "error"]


def _letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(index + 1)


def _cell_text(path, row: int, header: str) -> str:
    """The cell under ``header`` at Excel row (or CSV line) ``row``, as text ('' when empty)."""
    if path.suffix == ".csv":
        lines = list(csv.reader(path.read_text(encoding="utf-8-sig").splitlines()))
        return lines[row - 1][lines[0].index(header)]
    sheet = load_workbook(path).active
    header_row = next(r for r in sheet.iter_rows(max_row=12) if any(c.value == header for c in r))
    column = next(c.column for c in header_row if c.value == header)
    value = sheet.cell(row=row, column=column).value
    if isinstance(value, dt.datetime):
        return f"{value:%d/%m/%Y %H:%M}"
    return "" if value is None else str(value)


def test_saved_audits_agree_with_the_findings_register(sample):
    from isoaudit.records import load_records
    from isoaudit.workbooks.audit_file import load_audit

    records = load_records(sample.folder)
    audit = load_audit(sample.folder / "audits" / "08023" / "DGNB-2025.xlsx")
    graded = audit.answers.set_index("id")["result"]
    register = records.findings[(records.findings["unit_code"] == "08023").fillna(False)
                                & (records.findings["audit_id"] == "DGNB-2025").fillna(False)]
    for finding_id, grade in zip(register["finding_id"], register["grade"]):
        assert graded[finding_id.removeprefix("DGNB-2025-")] == grade
    assert set(graded[audit.answers["clause"].str.startswith("8.3").to_numpy()]) == {"not_applicable"}
    assert audit.progress() == (len(audit.answers), len(audit.answers))
    half = load_audit(sample.folder / "audits" / "08032" / "DGNB-2025.xlsx").progress()
    assert 0 < half[0] < half[1]
    assert not (sample.folder / "audits" / "08035").exists()
    assert not (sample.folder / "audits" / "08014").exists()  # merged on 01/07/2025: no audit of its own


def test_a_bigger_district_adds_look_alike_communes_after_the_sample_ones():
    sample, bigger = synthetic.district_units(), synthetic.district_units(copies=3)
    assert bigger[: len(sample)] == sample
    communes = [u for u in sample if u.dossiers]
    assert len(bigger) == len(sample) + 2 * len(communes)
    # A code names one unit on any given day; a copy's predecessors are codes of its own set.
    assert len({(u.unit_code, u.valid_from) for u in bigger}) == len(bigger)
    copy = next(u for u in bigger if u.unit_code == "08111" and u.valid_from)
    assert copy.unit_name == "Phường Thanh Lâm 2" and copy.predecessors == ("08111", "08114")
    former = next(u for u in bigger if u.unit_code == "08123" and u.valid_to)
    assert former.unit_name == "Xã Thanh Hà 2" and former.dossiers == 600 and former.parent_code == "241"


def test_the_generator_keeps_its_words_in_data_files():
    """Every word the sample district says lives in isoaudit/data/synthetic_*: no string literal in the Python of
    isoaudit/synthetic/ (docstrings and the literal parts of f-strings included) holds a non-ASCII character."""
    package = Path(synthetic.__file__)
    assert package.name == "__init__.py"
    found = []
    for path in sorted(package.parent.glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        found += [f"{path.name}:{node.lineno}: {node.value!r}" for node in ast.walk(tree)
                  if isinstance(node, ast.Constant) and isinstance(node.value, str | bytes)
                  and not node.value.isascii()]
    assert not found


# ---- the province after the reform of 1/7/2025 ----------------------------------------------------------------
def test_the_registry_holds_the_province_before_and_after_the_reform(sample):
    sheet = load_workbook(sample.folder / "units.xlsx").active
    rows = [list(r) for r in sheet.iter_rows()]
    assert rows[0][0].value == "UBND TỈNH PHÚ THỌ" and rows[1][0].value.endswith("CỦA TỈNH PHÚ THỌ")
    header = [c.value for c in rows[4]]
    assert header == ["STT", "Mã ĐVHC", "Tên đơn vị", "Cấp", "Mã đơn vị cấp trên", "Tiếp nhận sáng thứ Bảy",
                      "Số công chức một cửa", "Hiệu lực từ ngày", "Hiệu lực đến ngày", "Đơn vị trước sắp xếp",
                      "Căn cứ"]
    units = {(r[1].value, r[2].value): r for r in rows[5:]}
    province, district = units["25", "Tỉnh Phú Thọ"], units["241", "Thị xã Thanh Lâm"]
    assert province[7].value is None and province[8].value is None  # open-ended: empty
    assert district[8].value == dt.datetime(2025, 6, 30) and district[8].number_format == "dd/mm/yyyy"
    # The reused code: one code, a former ward until 30/06/2025 and its successor from 01/07/2025.
    before, after = units["08011", "Phường Hùng Vương"], units["08011", "Phường Thanh Lâm"]
    assert before[4].value == "241" and before[8].value == dt.datetime(2025, 6, 30) and before[7].value is None
    assert after[4].value == "25" and after[7].value == dt.datetime(2025, 7, 1) and after[8].value is None
    assert after[7].number_format == "dd/mm/yyyy" and after[9].value == "08011; 08014"
    assert after[10].value.startswith("Nghị quyết của Ủy ban Thường vụ Quốc hội về sắp xếp đơn vị hành chính cấp xã")
    assert not any(ch.isdigit() for ch in after[10].value.split("năm")[0])  # no made-up resolution number
    # Xã Phú Lộc is split between two successors: old to new is many-to-many.
    successors = [name for (code, name), r in units.items() if r[9].value and "08026" in r[9].value.split("; ")]
    assert successors == ["Phường Trường Xuân", "Xã Phú Lộc"]
    current = [r for r in rows[5:] if r[4].value == "25" and r[1].value.startswith("08")]
    assert len(current) == 12
    records = load_records(sample.folder)
    assert not [p for p in records.problems if p.file == "units.xlsx"]


def test_a_kept_code_has_one_log_across_the_reform_and_an_ended_code_stops(sample):
    spanning = _log_frame(sample.folder / "dossiers/08011_phuong_thanh_lam_2025.xlsx")
    assert spanning["received"].min() < REFORM <= spanning["received"].max()
    assert spanning["id"].is_unique  # one numbering for the code's whole year
    ended = _log_frame(sample.folder / "dossiers/08014_phuong_tan_thinh_2025.csv")
    assert ended["received"].max() < REFORM and ended["received"].min() < pd.Timestamp(2025, 2, 1)
    assert not list((sample.folder / "dossiers").glob("08014_*_2025.xlsx"))


def test_dossiers_are_stopped_only_under_the_2025_decree():
    units = {u.unit_code: u for u in synthetic.district_units()}  # the units of 2025's end
    rng = np.random.default_rng(8)
    with_status = synthetic.generate_dossiers(units["08020"], 2025, rng, n=3000)  # its export shows a status
    stopped = with_status[with_status["status"] == "stopped"]
    assert len(stopped) and (stopped["received_at"] >= REFORM).all()
    assert (stopped["status_text"] == "Dừng xử lý").all() and stopped["returned_date"].isna().all()
    without = synthetic.generate_dossiers(units["08011"], 2025, rng, n=3000)  # no status column to say it
    assert not (without["status"] == "stopped").any()


def test_the_sample_has_stopped_dossiers_after_the_reform(sample_records):
    dossiers = sample_records.dossiers
    stopped = dossiers[(dossiers["log_status"] == "stopped").fillna(False).to_numpy(bool)]
    assert len(stopped) >= 5 and (stopped["received_at"] >= REFORM).all()


def test_2026_has_the_successors_and_2025_as_its_previous_year(tmp_path):
    made = synthetic.make_sample(tmp_path / "records", seed=3, year=2026, scale=SCALE)
    names = {Path(name).name for name, _ in made.files if name.startswith("dossiers/")}
    assert {"08011_phuong_thanh_lam_2026.xlsx", "08011_phuong_thanh_lam_2025.xlsx",
            "08014_phuong_tan_thinh_2025.xlsx"} <= names  # the merged ward's 2025 log as the previous year
    assert not [name for name in names if name.startswith("08014_") and name.endswith("_2026.xlsx")]
    assert len(made.planted) == 7
    objectives = {Path(name).name.split("_")[0] for name, _ in made.files if name.startswith("objectives/")}
    assert "08014" not in objectives and "08011" in objectives and len(objectives) == 12
    assert load_workbook(made.folder / "units.xlsx").active.max_row - 5 == 23


def test_2024_has_the_former_units_and_knows_nothing_of_the_reform():
    units = synthetic.district_units()
    logs = year_logs(units, 2024)
    assert len(logs) == 13 and all(len(log.parts) == 1 and log.last_day == dt.date(2024, 12, 31) for log in logs)
    assert [log.owner.unit_name for log in logs if log.owner.unit_code == "08011"] == ["Phường Hùng Vương"]
    rows = next(units_sheet(units, 2024).body())
    assert len(rows) == 15  # the province, the district, 9 wards and communes, 4 communes of the province
    assert not any(row[7] or row[8] or row[9] or row[10] for row in rows)  # no end, successor or resolution yet


def _log_frame(path: Path) -> pd.DataFrame:
    """A flat software export's Excel row (or CSV line), id, receipt and status, read naively."""
    if path.suffix == ".csv":
        rows = list(csv.reader(path.read_text(encoding="utf-8-sig").splitlines()))
        start = 0
    else:
        rows = [list(r) for r in load_workbook(path, read_only=True).active.iter_rows(values_only=True)]
        start = next(i for i, r in enumerate(rows) if r and r[0] in ("Mã hồ sơ", "Mã số hồ sơ", "Số biên nhận"))
    header = list(rows[start])
    received = next(h for h in header if h in ("Ngày tiếp nhận", "Thời gian tiếp nhận", "Ngày nhận hồ sơ"))
    body = [list(r) + [None] * (len(header) - len(r)) for r in rows[start + 1:] if r and r[0]]
    frame = pd.DataFrame(body, columns=header)
    return pd.DataFrame({
        "excel_row": [start + 2 + i for i in range(len(body))],
        "id": frame[header[0]],
        "received": pd.to_datetime(frame[received], dayfirst=True, errors="coerce"),
        "status": frame["Trạng thái"] if "Trạng thái" in frame else None,
    })
