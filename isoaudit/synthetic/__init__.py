"""A realistic but fictional district's records, for demos, tests and benchmarks.

``make_sample(out_dir)`` writes a whole records folder for the fictional Thị xã Thanh Lâm (Tỉnh Phú Thọ):
``units.xlsx``, ``procedures.xlsx``, ``calendar.csv``, ``dossiers/`` (one year's log per ward or commune, as
official tracking books or software exports), ``objectives/`` and a ``README.md`` listing the problems
planted on purpose. ``write_dossier_log(path, rows)`` writes one large log for benchmarks.

The same seed gives byte-identical files (workbook timestamps are fixed). Data tables (procedures, units,
names) live in ``isoaudit/data/synthetic_*.csv``; this module holds the mechanism. Behaviour follows the
receipt rules of ``isoaudit.timeliness`` (working days of ``isoaudit.calendar``), computed independently.
"""
from __future__ import annotations

import csv
import dataclasses
import io
import re
import shutil
import unicodedata
import zipfile
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Callable, Iterator

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.cell_range import CellRange
from openpyxl.writer.excel import ExcelWriter

from isoaudit.calendar import WorkCalendar
from isoaudit.checklist import checklist_for_level, load_checklist
from isoaudit.errors import IsoauditError
from isoaudit.records.readers import read_record_file
from isoaudit.safety import atomic_write, inside
from isoaudit.text import fold
from isoaudit.workbooks.audit_file import (
    AuditPlan,
    audit_path,
    new_audit,
    save_audit,
    set_answer,
)

# ---- the district ----------------------------------------------------------------------------------------
PROVINCE = "Tỉnh Phú Thọ"
DISTRICT = "Thị xã Thanh Lâm"
CATALOGUE_DECISION = "Quyết định số 512/QĐ-UBND ngày 14/03/{year} của Chủ tịch Ủy ban nhân dân tỉnh Phú Thọ"
FIXED_TIME = datetime(2025, 1, 1)  # stamped into every workbook so the same seed gives the same bytes
LEVEL_WORDS = {"province": "Tỉnh", "district": "Thị xã", "commune": "Xã", "ward": "Phường"}
RULE_WORDS = {"pause": "Tạm dừng", "restart": "Tính lại từ đầu"}
CHANNELS = ("Trực tiếp", "Trực tuyến", "Bưu chính")
POSTAL_SHARE = 0.015
BASE_LATE_RATE = 0.02  # late share of an ordinary procedure at an ordinary unit
STUCK_SHARE = 0.1  # of the late-prone dossiers, those never returned by the year's end (overdue)
SATURDAY_SHARE = 0.04  # counter dossiers received on Saturday mornings where the unit opens then
CHUNK_ROWS = 20_000
# Minutes after midnight.
OPENS, MORNING_ENDS, AFTERNOON_OPENS, CLOSES, NOON = 450, 690, 810, 1020, 720
DEFAULT_CUTOFF = 900


@dataclass(frozen=True)
class UnitProfile:
    """A unit of the sample district and how its one-stop counter behaves.

    ``late_factor`` multiplies the base late share; ``apology_share`` is the share of late dossiers given an
    apology letter with a new appointment; ``appointment_beyond_share`` the share of receipts whose
    appointment is later than the law allows (a nonconformity planted on purpose).
    """

    unit_code: str
    unit_name: str
    level: str
    parent_code: str
    saturday_reception: bool
    officers: int
    dossiers: int
    late_factor: float
    apology_share: float
    appointment_beyond_share: float
    style: str
    index: int

    @property
    def lower_name(self) -> str:
        """'Phường Bình Minh' -> 'phường Bình Minh' (as written inside a sentence or an address)."""
        return self.unit_name[:1].lower() + self.unit_name[1:]

    @property
    def slug(self) -> str:
        return fold(self.unit_name).replace(" ", "_")


@dataclass(frozen=True)
class LogStyle:
    """How one unit's dossier log looks: a software export (flat) or an official tracking book."""

    layout: str  # "flat" or "official"
    suffix: str = ".xlsx"
    columns: tuple[tuple[str, str], ...] = ()  # flat: (field, header) in order
    title: bool = False  # flat: a short report title above the header
    with_code: bool = True  # official: a "Mã TTHC" column beside the name
    date_mix: tuple[float, float, float] = (1.0, 0.0, 0.0)  # official: Excel dates, serial numbers, text
    name_noise: float = 0.0  # official: names in upper case, NFD or with stray spaces
    id_style: str = "dvc"  # "dvc": national portal style ids; "book": the book's running numbers


_EXPORT_A = (
    ("dossier_id", "Mã hồ sơ"), ("procedure_code", "Mã TTHC"), ("procedure_name", "Tên TTHC"),
    ("field", "Lĩnh vực"), ("channel", "Hình thức nộp"), ("applicant", "Người nộp"),
    ("applicant_contact", "Địa chỉ"), ("received_at", "Ngày tiếp nhận"), ("due_date", "Ngày hẹn trả"),
    ("returned_date", "Ngày trả kết quả"), ("supplement_requested_at", "Ngày yêu cầu bổ sung"),
    ("supplement_received_at", "Ngày nhận bổ sung"), ("apology_date", "Ngày phiếu xin lỗi"),
    ("new_due_date", "Ngày hẹn trả mới"), ("officer", "Cán bộ tiếp nhận"), ("note", "Ghi chú"),
)
_EXPORT_B = (
    ("dossier_id", "Số biên nhận"), ("unit_code", "Mã đơn vị"), ("procedure_code", "Mã thủ tục"),
    ("procedure_name", "Tên thủ tục"), ("field", "Lĩnh vực"), ("channel", "Kênh nộp"),
    ("applicant", "Chủ hồ sơ"), ("applicant_contact", "Địa chỉ, số điện thoại"),
    ("received_at", "Thời gian tiếp nhận"), ("due_date", "Hạn giải quyết"),
    ("returned_date", "Thời gian trả kết quả"), ("supplement_requested_at", "Yêu cầu bổ sung"),
    ("supplement_received_at", "Nhận bổ sung"), ("apology_date", "Ngày xin lỗi"),
    ("new_due_date", "Hẹn lại ngày trả kết quả"), ("officer", "Người tiếp nhận"), ("status_text", "Trạng thái"),
    ("note", "Ghi chú"),
)
_EXPORT_C = (
    ("dossier_id", "Mã số hồ sơ"), ("procedure_code", "Mã thủ tục hành chính"),
    ("procedure_name", "Tên thủ tục hành chính"), ("field", "Lĩnh vực"), ("channel", "Hình thức tiếp nhận"),
    ("applicant", "Tổ chức cá nhân nộp hồ sơ"), ("applicant_contact", "Địa chỉ"),
    ("received_at", "Ngày nhận hồ sơ"), ("due_date", "Ngày hẹn trả kết quả"), ("returned_date", "Ngày hoàn thành"),
    ("supplement_requested_at", "Ngày yêu cầu bổ sung"), ("supplement_received_at", "Ngày nhận bổ sung"),
    ("apology_date", "Phiếu xin lỗi"), ("new_due_date", "Ngày hẹn trả mới"), ("officer", "Công chức tiếp nhận"),
    ("status_text", "Trạng thái"), ("note", "Ghi chú"),
)
LOG_STYLES = {
    "export_a": LogStyle("flat", columns=_EXPORT_A),
    "export_b": LogStyle("flat", suffix=".csv", columns=_EXPORT_B),
    "export_c": LogStyle("flat", columns=_EXPORT_C, title=True),
    "book_code": LogStyle("official"),
    "book_name": LogStyle("official", with_code=False, date_mix=(0.6, 0.2, 0.2), name_noise=0.15, id_style="book"),
    "book_name_text": LogStyle("official", with_code=False, date_mix=(0.2, 0.3, 0.5), name_noise=0.25,
                               id_style="book"),
    "book_code_mixed": LogStyle("official", date_mix=(0.5, 0.25, 0.25), name_noise=0.1),
}

# The official form's columns (Thông tư 01/2018/TT-VPCP), plus the supplement and apology columns many
# provinces add. The five date columns sit under one merged "Ngày, tháng, năm" cell.
DATE_GROUP = "Ngày, tháng, năm"
_OFFICIAL_BEFORE = (
    ("row_number", "STT"), ("dossier_id", "Mã hồ sơ"), ("procedure_code", "Mã TTHC"),
    ("procedure_name", "Tên thủ tục hành chính"), ("sets", "Số lượng hồ sơ (bộ)"),
    ("applicant", "Tên cá nhân, tổ chức"), ("applicant_contact", "Địa chỉ, số điện thoại"),
    ("handling_agency", "Cơ quan chủ trì giải quyết"),
)
_OFFICIAL_DATES = (
    ("received_at", "Nhận hồ sơ"), ("due_date", "Hẹn trả kết quả"),
    ("transferred_date", "Chuyển hồ sơ đến cơ quan giải quyết"),
    ("result_received_date", "Nhận kết quả từ cơ quan giải quyết"),
    ("returned_date", "Trả kết quả cho cá nhân, tổ chức"),
)
_OFFICIAL_AFTER = (
    ("supplement_requested_at", "Yêu cầu bổ sung"), ("supplement_received_at", "Nhận bổ sung"),
    ("apology_date", "Phiếu xin lỗi"), ("new_due_date", "Hẹn trả lại"), ("note", "Ghi chú"),
)
DATETIME_FIELDS = ("received_at", "returned_date", "supplement_requested_at", "supplement_received_at")
DATE_FIELDS = ("due_date", "apology_date", "new_due_date", "transferred_date", "result_received_date")


@dataclass(frozen=True)
class Plant:
    """A validation problem planted on purpose in one unit's log (see ``PLANTS``)."""

    unit_code: str
    kind: str  # returned_before_received, duplicate_id, unreadable_received, unreadable_returned,
    # unknown_procedure, empty_received
    value: str | None = None


PLANTS = (
    Plant("08011", "returned_before_received"),
    Plant("08014", "duplicate_id"),
    Plant("08017", "unreadable_received", "31/02/{year} 09:15"),
    Plant("08023", "unknown_procedure", "Đăng ký tạm trú"),
    Plant("08026", "empty_received"),
    Plant("08029", "unknown_procedure", "Cấp giấy phép xây dựng nhà ở riêng lẻ"),
    Plant("08035", "unreadable_returned", "khong ro"),
)
# Which column each kind of plant touches, and the problem code isoaudit.records reports for it.
_PLANT_TARGET = {
    "returned_before_received": ("returned_date", "returned_before_received"),
    "duplicate_id": ("dossier_id", "duplicate_id"),
    "unreadable_received": ("received_at", "unreadable_datetime"),
    "unreadable_returned": ("returned_date", "unreadable_datetime"),
    "unknown_procedure": ("procedure_name", "unknown_procedure"),
    "empty_received": ("received_at", "missing_value"),
}


@dataclass
class PlantedProblem:
    """Where a planted problem is: file, Excel row (or CSV line), column header, the value written."""

    file: str
    row: int
    column: str
    value: str
    kind: str
    expected_code: str


@dataclass
class SampleSummary:
    """What ``make_sample`` wrote: files with their data rows, planted problems, behaviour per unit."""

    folder: Path
    files: list[tuple[str, int]] = field(default_factory=list)
    planted: list[PlantedProblem] = field(default_factory=list)
    behaviour: pd.DataFrame | None = None

    @property
    def dossier_count(self) -> int:
        return sum(rows for name, rows in self.files if name.startswith("dossiers/"))


# ---- public API ----------------------------------------------------------------------------------------------
def make_sample(out_dir, seed: int = 2025, year: int = 2025, scale: float = 1.0, copies: int = 1) -> SampleSummary:
    """Write the sample district's records folder into ``out_dir`` for ``year``.

    ``scale`` multiplies every unit's dossier count (tests use a small one); ``copies`` > 1 gives the district
    more communes (see ``district_units``). Same seed, same bytes. Besides the
    year's logs and objectives, each commune gets what its management review reads (``_write_review_inputs``):
    the previous year's log, satisfaction surveys, feedback, the previous review's decisions and a findings
    register.
    """
    out = Path(out_dir)
    units = district_units(copies)
    communes = [u for u in units if u.dossiers]
    catalogue = load_catalogue()
    decisions = calendar_decisions(year)
    calendar = district_calendar(year)
    summary = SampleSummary(out)
    streams = np.random.SeedSequence(seed).spawn(len(communes))

    _write_xlsx(inside(out, "units.xlsx"), [_units_sheet(units, year)])
    summary.files.append(("units.xlsx", len(units)))
    _write_xlsx(inside(out, "procedures.xlsx"), [_procedures_sheet(catalogue, year)])
    summary.files.append(("procedures.xlsx", len(catalogue)))
    _write_calendar(inside(out, "calendar.csv"), decisions)
    summary.files.append(("calendar.csv", len(decisions)))

    behaviour, logs = [], []
    for unit, stream in zip(communes, streams):
        rng = np.random.default_rng(stream)
        n = max(int(round(unit.dossiers * scale)), 30)
        dossiers = generate_dossiers(unit, year, rng, n=n, catalogue=catalogue, calendar=calendar,
                                     neighbours=units)
        style = LOG_STYLES[unit.style]
        name = f"{unit.unit_code}_{unit.slug}_{year}{style.suffix}"
        sheet = dossier_sheet(dossiers, style, unit, year, rng)
        planted = [_plant(sheet, dossiers, p, year, rng, name) for p in PLANTS if p.unit_code == unit.unit_code]
        _write_log(inside(out, "dossiers", name), sheet)
        summary.files.append((f"dossiers/{name}", n))
        summary.planted += planted
        clean = dossiers.drop(index=sheet.planted_rows)
        behaviour.append(_behaviour(unit, clean, year))
        logs.append(clean)

        objectives = _objectives_sheet(unit, year, rng)
        objectives_name = f"{unit.unit_code}_muc_tieu_{year}.xlsx"
        _write_xlsx(inside(out, "objectives", objectives_name), [objectives])
        summary.files.append((f"objectives/{objectives_name}", objectives.rows))
    summary.behaviour = pd.DataFrame(behaviour)
    _write_review_inputs(out, summary, units, communes, logs, catalogue, calendar, seed, year, scale)
    _write_audits(out, summary, communes, year)
    _write_readme(inside(out, "README.md"), summary, seed, year)
    return summary


def write_dossier_log(path, rows: int, seed: int = 2025, layout: str = "flat", year: int = 2025) -> Path:
    """One large dossier log for benchmarks: ``rows`` dossiers of the whole district (flat software export
    with a unit column) or of its biggest ward (official tracking book). ``.xlsx`` or ``.csv`` by suffix.

    Rows are generated whole but converted to cells and written chunk by chunk (openpyxl write-only).
    """
    path = Path(path)
    if path.suffix.lower() not in (".xlsx", ".csv"):
        raise IsoauditError("synthetic.bad_suffix", file=path.name)
    if rows < 1:
        raise IsoauditError("synthetic.bad_rows", rows=rows)
    if layout not in ("flat", "official"):
        raise IsoauditError("synthetic.bad_layout", layout=layout)
    rng = np.random.default_rng(seed)
    units = district_units()
    communes = [u for u in units if u.dossiers]
    catalogue = load_catalogue()
    calendar = district_calendar(year)
    if layout == "flat":
        weights = np.array([u.dossiers for u in communes], dtype=float)
        counts = rng.multinomial(rows, weights / weights.sum())
        parts = [generate_dossiers(u, year, rng, n=int(k), catalogue=catalogue, calendar=calendar, neighbours=units)
                 for u, k in zip(communes, counts) if k]
        dossiers = pd.concat(parts, ignore_index=True).sort_values("received_at", kind="stable", ignore_index=True)
        style = LogStyle("flat", suffix=path.suffix.lower(), columns=_EXPORT_B)
        unit = communes[0]
    else:
        unit = communes[0]
        dossiers = generate_dossiers(unit, year, rng, n=rows, catalogue=catalogue, calendar=calendar,
                                     neighbours=units)
        style = dataclasses.replace(LOG_STYLES["book_code_mixed"], suffix=path.suffix.lower())
    _write_log(path, dossier_sheet(dossiers, style, unit, year, rng))
    return path


def district_units(copies: int = 1) -> list[UnitProfile]:
    """The sample district and its wards and communes (``isoaudit/data/synthetic_units.csv``).

    ``copies`` > 1 adds ``copies - 1`` more sets of look-alike communes (codes plus 100, 200..., names
    numbered 2, 3...): a district of realistic size for benchmarks, the first set unchanged."""
    table = _data_frame("synthetic_units.csv")
    units = [
        UnitProfile(
            unit_code=r.unit_code, unit_name=r.unit_name, level=r.level, parent_code=r.parent_code,
            saturday_reception=r.saturday_reception == "true", officers=int(r.officers), dossiers=int(r.dossiers),
            late_factor=float(r.late_factor), apology_share=float(r.apology_share),
            appointment_beyond_share=float(r.appointment_beyond_share), style=r.style or "", index=i,
        )
        for i, r in enumerate(table.itertuples(index=False))
    ]
    communes = [u for u in units if u.dossiers]
    for copy in range(1, copies):
        units += [dataclasses.replace(u, unit_code=f"{int(u.unit_code) + 100 * copy:0{len(u.unit_code)}d}",
                                      unit_name=f"{u.unit_name} {copy + 1}", index=len(units) + k)
                  for k, u in enumerate(communes)]
    return units


def load_catalogue() -> pd.DataFrame:
    """The commune-level procedure catalogue with the generator's behaviour columns.

    Canonical columns (``legal_days`` in working days, ``cutoff_time`` "15:00" for same-day procedures) plus
    ``changed`` (the procedure's last change), ``legal_basis``, ``handled_by``, ``weight`` (relative
    volume), ``late_factor``, ``online_share``, ``supplement_share`` (fractions 0..1), ``code_source``.
    """
    table = _data_frame("synthetic_procedures.csv")
    district = DISTRICT[:1].lower() + DISTRICT[1:]
    frame = pd.DataFrame({
        "procedure_code": table["code"], "procedure_name": table["name"], "field": table["field"],
        "level": "commune", "legal_days": table["legal_days"].astype(int),
        "supplement_rule": table["supplement_rule"], "process_code": table["process_code"],
        "process_version": table["process_version"],
        "effective_date": pd.to_datetime(table["process_effective"]),
        "changed": pd.to_datetime(table["changed"]), "fee": table["fee"], "legal_basis": table["legal_basis"],
        "handled_by": table["handled_by"].str.replace("{district}", district, regex=False),
        "weight": table["weight"].astype(float), "late_factor": table["late_factor"].astype(float),
        "online_share": table["online_share"].astype(float),
        "supplement_share": table["supplement_share"].astype(float), "code_source": table["code_source"],
    })
    frame["cutoff_time"] = pd.Series("15:00", index=frame.index, dtype="string").where(frame["legal_days"] == 0)
    return frame


def calendar_decisions(year: int) -> pd.DataFrame:
    """Provincial decisions of ``year`` no library knows: a day off for a provincial festival (third Monday
    of August) worked back the next Saturday, and a storm day off for one commune (last Monday of September).

    Columns ``date`` (datetime64), ``kind`` ("off"/"work"), ``description``, ``unit_code`` (<NA>: every unit).
    """
    festival = _nth_weekday(year, 8, 0, 3)
    storm = _nth_weekday(year, 9, 0, -1)
    rows = [
        (festival, "off", f"Nghỉ phục vụ Lễ hội Văn hóa - Du lịch tỉnh năm {year} (Quyết định số 1520/QĐ-UBND "
                          f"của UBND tỉnh)", pd.NA),
        (festival + pd.Timedelta(days=5), "work", f"Làm bù cho ngày {festival:%d/%m/%Y} (Quyết định số 1520/QĐ-UBND "
                                                  f"của UBND tỉnh)", pd.NA),
        (storm, "off", "Tạm dừng tiếp nhận, giải quyết hồ sơ do ảnh hưởng của bão (Công văn của UBND thị xã)",
         "08032"),
    ]
    frame = pd.DataFrame(rows, columns=["date", "kind", "description", "unit_code"])
    frame["date"] = pd.to_datetime(frame["date"])
    frame["unit_code"] = frame["unit_code"].astype("string")
    return frame


def district_calendar(year: int) -> WorkCalendar:
    """Vietnam's national calendar plus the sample district's own decisions of ``year`` (``calendar.csv``)."""
    return WorkCalendar.vietnam().with_decisions(calendar_decisions(year))


def legal_due_dates(received_at: pd.Series, legal_days, cutoff_minutes, calendar: WorkCalendar,
                    saturday_reception: bool = False) -> pd.Series:
    """Legal due dates (midnight) of dossiers received at ``received_at``: same-day procedures (``legal_days``
    0) due that day, or the next working day after the cut-off (minutes after midnight); others due on the
    ``legal_days``-th working day counted from the day after receipt. See ``isoaudit.timeliness``."""
    received = received_at.to_numpy().astype("datetime64[m]")
    year = int(pd.Timestamp(received.min()).year)
    workdays = _working_days(calendar, year - 1, year + 1)
    saturdays = workdays[:0]
    if saturday_reception:
        saturdays = _reception_saturdays(calendar.with_saturday_reception(), year - 1, year + 1)
    legal = np.broadcast_to(np.asarray(legal_days, dtype=np.int64), received.shape)
    cutoff = np.broadcast_to(np.asarray(cutoff_minutes, dtype=np.int64), received.shape)
    due = _due_index(received, legal, cutoff, workdays, saturdays)
    return pd.Series(workdays[due].astype("datetime64[us]"), index=received_at.index)


# ---- dossier generation -----------------------------------------------------------------------------------
def generate_dossiers(unit: UnitProfile, year: int, rng: np.random.Generator, n: int | None = None,
                      catalogue: pd.DataFrame | None = None, calendar: WorkCalendar | None = None,
                      neighbours: list[UnitProfile] | None = None, until: int | None = None) -> pd.DataFrame:
    """One year of ``unit``'s dossiers, sorted by receipt: canonical dossier columns plus what the generator
    knows (``field``, ``legal_days``, ``legal_due_date`` with pauses, ``status`` as of 31/12, ``sets``,
    ``appointment_beyond_legal``, ``late_without_apology``, ``status_text``).

    The log is seen at the end of year ``until`` (default ``year``): what happens later (returns, supplements,
    apologies) is not in it yet. A previous year's log seen a year later has its January returns."""
    n = unit.dossiers if n is None else n
    catalogue = load_catalogue() if catalogue is None else catalogue
    calendar = calendar or district_calendar(year)
    if unit.saturday_reception:
        calendar = calendar.with_saturday_reception([unit.unit_code])
    calendar = calendar.for_unit(unit.unit_code)
    workdays = _working_days(calendar, year - 1, year + 1)
    saturdays = _reception_saturdays(calendar, year, year) if unit.saturday_reception else workdays[:0]
    first, last = np.datetime64(f"{year}-01-01"), np.datetime64(f"{year}-12-31")

    weights = catalogue["weight"].to_numpy() * rng.lognormal(0.0, 0.3, len(catalogue))  # each unit its own mix
    proc = rng.choice(len(catalogue), n, p=weights / weights.sum())
    channel = _channels(rng, catalogue["online_share"].to_numpy()[proc])
    received = _receipt_times(rng, channel, workdays, saturdays, first, last)
    order = np.argsort(received, kind="stable")
    proc, channel, received = proc[order], channel[order], received[order]

    def column(name: str) -> np.ndarray:
        """A catalogue column, one value per dossier."""
        return catalogue[name].to_numpy()[proc]

    legal = column("legal_days").astype(np.int64)
    cutoff = np.where(legal == 0, DEFAULT_CUTOFF, CLOSES)

    day = received.astype("datetime64[D]")
    minute = (received - day.astype("datetime64[m]")).astype(np.int64)
    # Dates are handled as indexes into ``workdays``: adding k means k working days later.
    idx = np.searchsorted(workdays, day)  # the receipt day, or the next working day
    after = idx + (workdays[idx] == day)  # the first working day after the receipt day
    due = _due_index(received, legal, cutoff, workdays, saturdays)
    supplement, asked, supplied, legal_due = _supplements(rng, legal, after, due, column("supplement_share"),
                                                          column("supplement_rule") == "restart")
    written = due + (rng.random(n) < unit.appointment_beyond_share) * rng.integers(1, 4, n)
    # The office works to the appointment it wrote, moved by the supplement's wait like the legal due date.
    target = written + (legal_due - due)
    late_rate = np.clip(BASE_LATE_RATE * unit.late_factor * column("late_factor"), 0.0, 0.6)
    earliest = np.where(supplement, supplied, np.where(legal > 0, after, idx))
    late, stuck, returned = _returns(rng, late_rate, legal, target, earliest)
    apology, apology_at, new_due = _apologies(rng, unit.apology_share, late, stuck, target, returned, idx)

    # Times of day: after whatever happened earlier that day, else in office hours.
    supplied_minute = rng.integers(OPENS + 15, CLOSES - 15, n)
    earlier_that_day = np.where(workdays[returned] == day, minute,
                                np.where(supplement & (returned == supplied), supplied_minute, -1))
    returned_minute = np.where(earlier_that_day >= 0, np.minimum(earlier_that_day + rng.integers(15, 120, n), 1075),
                               rng.integers(OPENS + 15, CLOSES - 10, n))
    asked_minute = rng.integers(480, 990, n)
    transferred = np.minimum(idx + np.where(legal > 0, rng.integers(0, 2, n), 0), returned)
    result_back = np.maximum(returned - np.where(legal > 0, rng.integers(0, 2, n), 0), transferred)

    seen = year if until is None else until
    end = np.datetime64(f"{seen}-12-31T23:59", "m")
    returned_at = _at(workdays, returned, returned_minute)
    returned_at = np.where(stuck | (returned_at > end), np.datetime64("NaT"), returned_at)
    asked_at = np.where(supplement, _at(workdays, asked, asked_minute), np.datetime64("NaT"))
    asked_at = np.where(asked_at > end, np.datetime64("NaT"), asked_at)
    supplied_at = np.where(np.isnat(asked_at), np.datetime64("NaT"), _at(workdays, supplied, supplied_minute))
    supplied_at = np.where(supplied_at > end, np.datetime64("NaT"), supplied_at)
    returned_at = np.where(~np.isnat(asked_at) & np.isnat(supplied_at), np.datetime64("NaT"), returned_at)
    apology_day = np.where(apology, workdays[apology_at], np.datetime64("NaT"))
    apology_day = np.where(apology_day > end, np.datetime64("NaT"), apology_day)
    new_due_day = np.where(np.isnat(apology_day), np.datetime64("NaT"), workdays[new_due])
    result_day = np.where(np.isnat(returned_at), np.datetime64("NaT"), workdays[result_back])

    legal_due_day = workdays[legal_due]
    status = _status(returned_at, legal_due_day, np.datetime64(f"{seen}-12-31"))
    frame = pd.DataFrame({
        "dossier_id": _dossier_ids(unit, received, year, rng),
        "unit_code": pd.Categorical.from_codes(np.zeros(n, dtype=np.int8), [unit.unit_code]),
        "procedure_code": pd.Categorical.from_codes(proc, catalogue["procedure_code"].astype(str).tolist()),
        "procedure_name": pd.Categorical.from_codes(proc, catalogue["procedure_name"].astype(str).tolist()),
        "field": pd.Categorical(column("field")),
    })
    applicant, contact = _applicants(rng, n, unit, neighbours or [unit], frame["field"].to_numpy())
    handled = column("handled_by")
    frame = frame.assign(
        applicant=applicant,
        applicant_contact=contact,
        received_at=received.astype("datetime64[us]"),
        due_date=workdays[written].astype("datetime64[us]"),
        returned_date=returned_at.astype("datetime64[us]"),
        channel=pd.Categorical.from_codes(channel, list(CHANNELS)),
        supplement_requested_at=asked_at.astype("datetime64[us]"),
        supplement_received_at=supplied_at.astype("datetime64[us]"),
        apology_date=apology_day.astype("datetime64[us]"),
        new_due_date=new_due_day.astype("datetime64[us]"),
        handling_agency=pd.Categorical(np.where(handled == "unit", f"UBND {unit.lower_name}", handled)),
        transferred_date=workdays[transferred].astype("datetime64[us]"),
        result_received_date=result_day.astype("datetime64[us]"),
        officer=_officers(rng, n, unit),
        legal_days=legal,
        legal_due_date=legal_due_day.astype("datetime64[us]"),
        status=status,
        sets=np.where(rng.random(n) < 0.03, 2, 1),
    )
    frame["appointment_beyond_legal"] = written > due  # the appointment is written at receipt
    frame["late_without_apology"] = frame["status"].isin(["late", "overdue"]).to_numpy() & np.isnat(apology_day)
    frame["status_text"] = _status_text(frame)
    frame["note"] = _notes(rng, frame, supplement)
    return frame


def _supplements(rng, legal, after, due, share, restart):
    """Which dossiers wait for a supplement, when it is asked (between the day after receipt and the legal due
    date) and supplied (1..15 working days later), and the legal due date once the wait is allowed for:
    "pause" adds the working days waited, "restart" counts the legal time afresh from the supplement."""
    n = len(legal)
    supplement = (legal > 0) & (rng.random(n) < share)
    asked = np.minimum(after + (rng.random(n) * np.maximum(due - after, 0)).astype(np.int64), due)
    supplied = asked + np.minimum(rng.geometric(0.3, n), 15)
    legal_due = np.where(supplement, np.where(restart, supplied + legal, due + (supplied - asked)), due)
    return supplement, asked, supplied, legal_due


def _returns(rng, late_rate, legal, target, earliest):
    """Return days: mostly on or before the target (multi-day procedures often early), late ones 1..25
    working days after it; a few late-prone multi-day dossiers are stuck, never returned (overdue at year end)."""
    n = len(legal)
    late = rng.random(n) < late_rate
    stuck = (rng.random(n) < late_rate * STUCK_SHARE) & (legal > 0)
    early = rng.choice(4, n, p=[0.5, 0.25, 0.15, 0.1])
    on_time = np.maximum(np.where(legal > 0, target - early, target), earliest)
    return late, stuck, np.where(late, target + np.minimum(rng.geometric(0.35, n), 25), on_time)


def _apologies(rng, share, late, stuck, target, returned, idx):
    """Apology letters for a ``share`` of late and stuck dossiers, dated on or just before the target, with a
    new appointment usually kept (12 % missed again)."""
    n = len(late)
    apology = (late | stuck) & (rng.random(n) < share)
    apology_at = np.maximum(target - rng.integers(0, 2, n), idx)
    missed = rng.random(n) < 0.12
    new_due = np.where(missed, np.maximum(target + 1, returned - rng.integers(1, 3, n)),
                       returned + rng.choice([0, 0, 1, 2], n))
    new_due = np.where(stuck & ~late, target + rng.integers(3, 10, n), new_due)
    return apology, apology_at, new_due


def _channels(rng, online_share: np.ndarray) -> np.ndarray:
    """Codes into ``CHANNELS``: counter, online, postal."""
    draw = rng.random(len(online_share))
    return np.where(draw < online_share, 1, np.where(draw < online_share + POSTAL_SHARE, 2, 0)).astype(np.int8)


def _receipt_times(rng, channel, workdays, saturdays, first, last) -> np.ndarray:
    """datetime64[m] of receipt: counters on working days in office hours (and Saturday mornings where the
    unit opens then); online dossiers on any day and at any hour."""
    n = len(channel)
    open_days = workdays[(workdays >= first) & (workdays <= last)]
    load = rng.lognormal(0.0, 0.25, len(open_days))  # busy and quiet days
    day = open_days[rng.choice(len(open_days), n, p=load / load.sum())]
    morning = rng.random(n) < 0.62
    minute = np.where(morning, rng.integers(OPENS, MORNING_ENDS, n), rng.integers(AFTERNOON_OPENS, CLOSES, n))
    if len(saturdays):
        on_saturday = (channel == 0) & (rng.random(n) < SATURDAY_SHARE)
        day = np.where(on_saturday, saturdays[rng.integers(0, len(saturdays), n)], day)
        minute = np.where(on_saturday, rng.integers(OPENS, MORNING_ENDS, n), minute)
    online = channel == 1
    any_day = first + rng.integers(0, int((last - first).astype(int)) + 1, n)
    office = rng.random(n) < 0.65
    # Never exactly 00:00: a receipt at midnight reads as "no time recorded".
    online_minute = np.where(office, rng.integers(420, CLOSES, n), rng.integers(1, 1440, n))
    day = np.where(online, any_day, day)
    minute = np.where(online, online_minute, minute)
    postal = channel == 2
    minute = np.where(postal, rng.integers(480, 960, n), minute)
    return day.astype("datetime64[m]") + minute.astype("timedelta64[m]")


def _due_index(received, legal, cutoff, workdays, saturdays) -> np.ndarray:
    """Index into ``workdays`` of each dossier's legal due date at receipt (rules of ``isoaudit.timeliness``)."""
    day = received.astype("datetime64[D]")
    minute = (received - day.astype("datetime64[m]")).astype(np.int64)
    idx = np.searchsorted(workdays, day)  # first working day on or after the receipt day
    is_workday = workdays[np.minimum(idx, len(workdays) - 1)] == day
    on_saturday = np.isin(day, saturdays) & (minute < NOON) & ~is_workday
    after_cutoff = (minute > cutoff) | (minute == 0)
    same_day = idx + (is_workday & after_cutoff)
    # Counting starts the working day after receipt; a non-working-day receipt counts as received on the
    # next working day, except at a Saturday reception, where it counts as received on the Saturday.
    later = idx + legal - on_saturday
    return np.where(legal == 0, same_day, later)


STATUSES = ("early", "on_time", "late", "in_progress", "overdue")


def _status(returned_at, legal_due_day, last) -> pd.Categorical:
    """Status as of ``last`` against the legal due date (codes of ``STATUSES``)."""
    returned_day = returned_at.astype("datetime64[D]")
    codes = np.where(returned_day < legal_due_day, 0, np.where(returned_day == legal_due_day, 1, 2))
    codes = np.where(np.isnat(returned_at), np.where(last <= legal_due_day, 3, 4), codes)
    return pd.Categorical.from_codes(codes.astype(np.int8), STATUSES)


def _at(workdays, index, minute) -> np.ndarray:
    return workdays[index].astype("datetime64[m]") + minute.astype("timedelta64[m]")


def _dossier_ids(unit: UnitProfile, received, year, rng) -> pd.Series:
    """Portal-style ids (agency code, yymmdd, running number of the day) or the book's running numbers.

    ``received`` is sorted, so a dossier's running number is its distance from the day's first dossier.
    """
    n = len(received)
    style = LOG_STYLES.get(unit.style, LOG_STYLES["export_a"])
    if style.id_style == "book":
        return "TN-" + pd.Series(np.arange(1, n + 1).astype(str), dtype="str").str.zfill(5).radd(f"{year}-")
    days = received.astype("datetime64[D]")
    stamp = pd.DatetimeIndex(days)
    yymmdd = (stamp.year % 100) * 10000 + stamp.month * 100 + stamp.day
    running = np.arange(n) - np.searchsorted(days, days) + 1
    text = lambda values: pd.Series(np.asarray(values).astype(str), dtype="str")  # noqa: E731
    return f"000.{unit.index:02d}.41.H25-" + text(yymmdd).str.zfill(6) + "-" + text(running).str.zfill(4)


def _applicants(rng, n, unit, neighbours, fields) -> tuple[pd.Series, pd.Series]:
    """Fictional citizens (weighted Vietnamese surnames) or companies, with address and mobile number."""
    names = _names()
    male = rng.random(n) < 0.5

    def pick(kind: str) -> np.ndarray:
        return _pick(rng, names[kind], n)

    def text(values) -> pd.Series:
        # Arrow-backed strings: a million names cost tens of MB, not the hundreds Python str objects would.
        return pd.Series(values, dtype="str")

    person = text(pick("surname")) + " " + text(np.where(male, pick("middle_m"), pick("middle_f"))) + " " + \
        text(np.where(male, pick("given_m"), pick("given_f")))
    company = rng.random(n) < np.where(fields == "Chứng thực", 0.03, 0.0)
    firm = text(rng.choice(["Công ty TNHH ", "Công ty Cổ phần "], n)) + text(pick("company"))
    applicant = person.where(~company, firm)

    places = [u for u in neighbours if u.dossiers] or [unit]
    own = places.index(unit) if unit in places else 0
    home = np.where(rng.random(n) < 0.88, own, rng.integers(0, len(places), n))
    wards = np.array([u.level == "ward" for u in places])[home]
    place_names = text(np.array([u.lower_name for u in places], dtype=object)[home])
    number = text(rng.integers(1, 16, n).astype(str))
    street = "Số " + text(rng.integers(1, 250, n).astype(str)) + ", đường " + text(pick("street"))
    quarter = ("Tổ dân phố " + number).where(rng.random(n) < 0.5, street)
    address = quarter.where(wards, "Khu " + number) + ", " + place_names
    prefixes = np.array(["032", "033", "034", "035", "036", "037", "038", "039", "086", "096", "097", "098",
                         "091", "094", "088", "081", "082", "083", "084", "085", "070", "076", "077", "078",
                         "079", "089", "090", "093", "056", "058"])
    phone = text(prefixes[rng.integers(0, len(prefixes), n)]) + text(rng.integers(0, 10**7, n).astype(str)).str.zfill(7)
    return applicant, address + " - " + phone


def _officers(rng, n, unit: UnitProfile) -> pd.Categorical:
    """The unit's one-stop officers (fictional), the first of them receiving the most."""
    names = _names()
    count = max(unit.officers, 1)
    male = rng.random(count) < 0.4
    people = []
    for m in male:
        name = " ".join(_pick(rng, names[kind], 1)[0] for kind in
                        ("surname", "middle_m" if m else "middle_f", "given_m" if m else "given_f"))
        people.append(name if name not in people else f"{name} ({len(people) + 1})")
    share = np.linspace(2.0, 1.0, count)
    return pd.Categorical.from_codes(rng.choice(count, n, p=share / share.sum()), people)


def _status_text(frame: pd.DataFrame) -> pd.Categorical:
    """What a one-stop software shows in its status column."""
    waiting = frame["supplement_requested_at"].notna() & frame["supplement_received_at"].isna()
    codes = np.where(frame["returned_date"].notna(), 0, np.where(waiting, 1, 2)).astype(np.int8)
    return pd.Categorical.from_codes(codes, ["Đã trả kết quả", "Chờ bổ sung", "Đang xử lý"])


_NOTES = (None, "Yêu cầu bổ sung giấy tờ", "Trễ hạn, đã gửi phiếu xin lỗi và hẹn lại",
          "Chờ ý kiến cơ quan phối hợp", "Đang giải quyết", "Nộp 02 bộ")


def _notes(rng, frame: pd.DataFrame, supplement: np.ndarray) -> pd.Categorical:
    """A few notes clerks typically write (codes of ``_NOTES``; most rows have none)."""
    draw = rng.random(len(frame))
    late = (frame["status"] == "late").to_numpy()
    has_apology = frame["apology_date"].notna().to_numpy()
    code = np.zeros(len(frame), dtype=np.int8)
    code[supplement & (draw < 0.5)] = 1
    code[late & has_apology & (draw < 0.6)] = 2
    code[late & ~has_apology & (draw < 0.3)] = 3
    code[frame["returned_date"].isna().to_numpy()] = 4
    code[frame["sets"].to_numpy() == 2] = 5
    return pd.Categorical.from_codes(code - 1, _NOTES[1:])  # code -1: no note


# ---- management review inputs -------------------------------------------------------------------------------
REVIEW_STREAM = 9302  # the review inputs draw from a stream of their own: the year's logs stay byte-identical
PREVIOUS_SHARE = 0.9  # the previous year's dossier count, as a share of the year's
SURVEY_SHARE = 0.12  # survey answers per dossier (one answer a day at most: a counter's feedback device)
FEEDBACK_DAYS = 10  # working days the sample agencies give themselves to answer feedback
MARKUP_UNIT = "08023"  # its feedback holds markup typed in a web form (the review notebook's default unit)
RATING_WORDS = ("Rất hài lòng", "Hài lòng", "Bình thường", "Không hài lòng")
# Rating probabilities for a dossier returned in time, and for one returned late or still overdue.
RATING_ON_TIME = (0.45, 0.43, 0.09, 0.03)
RATING_LATE = (0.05, 0.30, 0.30, 0.35)
FEEDBACK_CHANNELS = ("Trực tiếp", "Trực tuyến", "Bưu chính")
FEEDBACK_TYPES = {"feedback": "Phản ánh", "recommendation": "Kiến nghị", "complaint": "Khiếu nại"}
CATEGORY_WORDS = {"improvement": "cải tiến", "qms_change": "thay đổi HTQLCL", "resources": "nguồn lực"}
DECISION_STATUSES = ("hoàn thành", "đang thực hiện", "chưa thực hiện", "hủy")
GRADE_WORDS = {"major": "Không phù hợp nặng", "minor": "Không phù hợp nhẹ", "observation": "Khuyến nghị",
               "improvement": "Cơ hội cải tiến"}
OWNERS = ("Bộ phận Một cửa", "Công chức Tư pháp - Hộ tịch", "Công chức Văn phòng - Thống kê",
          "Công chức Địa chính - Xây dựng", "Thư ký ISO", "Phó Chủ tịch UBND")


def _write_review_inputs(out: Path, summary: SampleSummary, units, communes, logs, catalogue, calendar,
                         seed: int, year: int, scale: float) -> None:
    """Per commune: ``dossiers/<code>_<slug>_<year-1>.xlsx`` (software export, seen at the end of ``year``),
    ``surveys/<code>_khao_sat_<y>.xlsx`` for both years, ``feedback/<code>_phan_anh_<year>.xlsx``,
    ``reviews/<code>_quyet_dinh_<year-1>.xlsx`` and ``findings/<code>_findings.xlsx`` (audits of both years)."""
    rng = np.random.default_rng([seed, REVIEW_STREAM])
    texts = _data_frame("synthetic_review.csv")
    workdays = _working_days(calendar, year - 1, year)
    for unit, current in zip(communes, logs):
        n = max(int(round(unit.dossiers * scale * PREVIOUS_SHARE)), 30)
        previous = generate_dossiers(unit, year - 1, rng, n=n, catalogue=catalogue, calendar=calendar,
                                     neighbours=units, until=year)
        # Seen a year later, nearly everything was returned; the few dossiers never returned were closed.
        previous = previous[previous["returned_date"].notna()].reset_index(drop=True)
        name = f"{unit.unit_code}_{unit.slug}_{year - 1}.xlsx"
        _write_log(inside(out, "dossiers", name), dossier_sheet(previous, LOG_STYLES["export_a"], unit, year - 1, rng))
        summary.files.append((f"dossiers/{name}", len(previous)))
        for log, log_year in ((previous, year - 1), (current, year)):
            sheet = _surveys_sheet(unit, log, log_year, rng, texts)
            _add_file(out, summary, "surveys", f"{unit.unit_code}_khao_sat_{log_year}.xlsx", sheet)
        sheet = _feedback_sheet(unit, year, rng, texts, workdays, scale)
        _add_file(out, summary, "feedback", f"{unit.unit_code}_phan_anh_{year}.xlsx", sheet)
        sheet = _decisions_sheet(unit, year - 1, rng, texts)
        _add_file(out, summary, "reviews", f"{unit.unit_code}_quyet_dinh_{year - 1}.xlsx", sheet)
        sheet = _findings_sheet(unit, year, rng, texts, current)
        _add_file(out, summary, "findings", f"{unit.unit_code}_findings.xlsx", sheet)


def _add_file(out: Path, summary: SampleSummary, folder: str, name: str, sheet: Sheet) -> None:
    _write_xlsx(inside(out, folder, name), [sheet])
    summary.files.append((f"{folder}/{name}", sheet.rows))


def _surveys_sheet(unit: UnitProfile, dossiers: pd.DataFrame, year: int, rng, texts: pd.DataFrame) -> Sheet:
    """Answers of citizens whose dossier was returned in ``year``, one a day at most; dissatisfaction follows
    lateness."""
    returned = dossiers[(dossiers["returned_date"].dt.year == year).fillna(False).to_numpy(bool)]
    shuffled = returned.iloc[rng.permutation(len(returned))]
    day = shuffled["returned_date"].dt.normalize()
    one_a_day = shuffled[~day.duplicated().to_numpy()]
    count = int(np.clip(round(len(dossiers) * SURVEY_SHARE), 12, 230))
    picked = one_a_day.iloc[:count].sort_values("returned_date", kind="stable")
    late = picked["status"].isin(["late", "overdue"]).to_numpy()
    cumulative = np.where(late[:, None], np.cumsum(RATING_LATE), np.cumsum(RATING_ON_TIME))
    rating = (rng.random(len(picked))[:, None] > cumulative).sum(axis=1).clip(0, 3)
    comments = texts.loc[texts["kind"] == "survey_comment", "text"].to_numpy(dtype=object)
    commented = (rating >= 2) & (rng.random(len(picked)) < 0.6)
    comment = np.where(commented, comments[rng.integers(0, len(comments), len(picked))], None)
    rows = [[d.to_pydatetime().replace(hour=0, minute=0), i, c, p, RATING_WORDS[r], m, a]
            for d, i, c, p, r, m, a in zip(picked["returned_date"].dt.normalize(), picked["dossier_id"],
                                           picked["procedure_code"].astype(str), picked["procedure_name"].astype(str),
                                           rating, comment, picked["applicant"])]
    header = ["Ngày khảo sát", "Mã hồ sơ", "Mã TTHC", "Tên TTHC", "Mức độ hài lòng", "Ý kiến góp ý",
              "Người được khảo sát"]
    sheet = _static_sheet("Khảo sát", _review_preamble(unit, f"KẾT QUẢ KHẢO SÁT SỰ HÀI LÒNG NĂM {year}", header),
                          rows, [13, 26, 11, 42, 16, 40, 22])
    sheet.date_formats = {0: "dd/mm/yyyy"}
    return sheet


def _feedback_sheet(unit: UnitProfile, year: int, rng, texts: pd.DataFrame, workdays: np.ndarray,
                    scale: float) -> Sheet:
    """The year's feedback, recommendations and complaints: most answered within ``FEEDBACK_DAYS`` working
    days, some late, some received late in the year still waiting."""
    n = 3 + int(rng.poisson(max(unit.dossiers * scale, 30) / 200))
    days = workdays[(workdays >= np.datetime64(f"{year}-01-01")) & (workdays <= np.datetime64(f"{year}-12-31"))]
    received = np.sort(rng.choice(len(days), n, replace=False))
    first = np.searchsorted(workdays, days[0])
    index = first + received
    due = index + FEEDBACK_DAYS
    late = rng.random(n) < (0.35 if unit.late_factor >= 2 else 0.15)
    answered = np.where(late, due + rng.integers(1, 8, n), index + rng.integers(2, FEEDBACK_DAYS + 1, n))
    end = np.datetime64(f"{year}-12-31")
    waiting = workdays[np.minimum(answered, len(workdays) - 1)] > end
    kinds = rng.choice(list(FEEDBACK_TYPES), n, p=[0.5, 0.35, 0.15])
    results = texts.loc[texts["kind"] == "feedback_result", "text"].to_numpy(dtype=object)
    names = _names()
    rows = []
    for k in range(n):
        options = texts[(texts["kind"] == "feedback") & (texts["key"] == kinds[k])]["text"].to_numpy(dtype=object)
        content = options[rng.integers(0, len(options))]
        kind = kinds[k]
        if unit.unit_code == MARKUP_UNIT and k == 0:
            markup = texts[texts["kind"] == "feedback_markup"].iloc[0]
            content, kind = markup["text"], markup["key"]
        citizen = " ".join(_pick(rng, names[part], 1)[0] for part in ("surname", "middle_f", "given_f"))
        rows.append([f"PA-{year}-{unit.unit_code}-{k + 1:02d}", _datetime(workdays[index[k]]),
                     FEEDBACK_CHANNELS[rng.integers(0, 3)], FEEDBACK_TYPES[kind], content, None,
                     _datetime(workdays[due[k]]), None if waiting[k] else _datetime(workdays[answered[k]]),
                     None if waiting[k] else results[rng.integers(0, len(results))], citizen])
    header = ["Số phản ánh", "Ngày tiếp nhận", "Hình thức tiếp nhận", "Loại", "Nội dung", "Thủ tục liên quan",
              "Hạn trả lời", "Ngày trả lời", "Kết quả xử lý", "Người phản ánh"]
    sheet = _static_sheet("Phản ánh, kiến nghị",
                          _review_preamble(unit, f"SỔ THEO DÕI PHẢN ÁNH, KIẾN NGHỊ NĂM {year}", header), rows,
                          [22, 13, 14, 11, 60, 20, 13, 13, 36, 22])
    sheet.date_formats = {1: "dd/mm/yyyy", 6: "dd/mm/yyyy", 7: "dd/mm/yyyy"}
    return sheet


def _decisions_sheet(unit: UnitProfile, review_year: int, rng, texts: pd.DataFrame) -> Sheet:
    """The decisions of the review held at the end of ``review_year``, with where they stood a year later
    (the weak commune finished fewer)."""
    options = texts[texts["kind"] == "decision"].reset_index(drop=True)
    count = int(rng.integers(3, 6))
    picked = options.iloc[np.sort(rng.choice(len(options), count, replace=False))]
    weak = unit.late_factor >= 2
    status = rng.choice(4, count, p=[0.25, 0.3, 0.4, 0.05] if weak else [0.5, 0.25, 0.15, 0.1])
    results = texts.loc[texts["kind"] == "decision_result", "text"].to_numpy(dtype=object)
    rows = []
    for number, (decision, status_code) in enumerate(zip(picked.itertuples(index=False), status), start=1):
        month = int(rng.integers(3, 13))
        deadline = (pd.Timestamp(review_year + 1, month, 1) + pd.offsets.MonthEnd(0)).to_pydatetime()
        rows.append([review_year, f"{review_year}-{number:02d}", decision.text, CATEGORY_WORDS[decision.key],
                     OWNERS[int(rng.integers(0, len(OWNERS)))], deadline, DECISION_STATUSES[status_code],
                     results[rng.integers(0, len(results))] if status_code == 0 else None])
    header = ["Năm xem xét", "Mã quyết định", "Nội dung quyết định", "Loại", "Người thực hiện", "Thời hạn",
              "Tình trạng", "Kết quả thực hiện"]
    title = f"QUYẾT ĐỊNH VÀ HÀNH ĐỘNG SAU XEM XÉT CỦA LÃNH ĐẠO NĂM {review_year}"
    sheet = _static_sheet("Quyết định", _review_preamble(unit, title, header), rows, [11, 14, 70, 16, 28, 12, 16, 36])
    sheet.date_formats = {5: "dd/mm/yyyy"}
    return sheet


def _findings_sheet(unit: UnitProfile, year: int, rng, texts: pd.DataFrame, current: pd.DataFrame) -> Sheet:
    """The findings register after the internal audits of ``year - 1`` and ``year`` (October): the earlier
    audit's actions mostly verified, the later one's open or in progress, some past their deadline. Some
    communes repeat a nonconformity under the same clause; some have an action on risks (clause 6.1)."""
    findings = texts[texts["kind"] == "finding"].reset_index(drop=True)
    nonconformities = findings.index[findings["grade"].isin(["major", "minor"])].to_numpy()
    risk = findings.index[findings["clause"] == "6.1"].to_numpy()
    repeat = unit.unit_code == MARKUP_UNIT or unit.late_factor >= 2 or rng.random() < 0.4
    late_ids = current.loc[current["status"].isin(["late", "overdue"]), "dossier_id"].astype(str).tolist()
    rows = []
    for audit_year in (year - 1, year):
        audit_id = f"DGNB-{audit_year}"
        raised = pd.Timestamp(audit_year, 10, int(rng.integers(6, 25)))
        chosen = list(rng.choice(len(findings), int(rng.integers(2, 4)), replace=False))
        if repeat:
            chosen.append(int(nonconformities[0]))  # 8.5.1 in both audits
        if audit_year == year and (unit.unit_code == MARKUP_UNIT or rng.random() < 0.5):
            chosen.append(int(risk[0]))
        for position in dict.fromkeys(chosen):
            item = findings.iloc[position]
            deadline = raised + pd.Timedelta(days=int(rng.integers(20, 75)))
            if audit_year < year:
                status = rng.choice(["đã kiểm tra hiệu lực", "đã thực hiện", "không hiệu lực"], p=[0.7, 0.2, 0.1])
            else:
                status = rng.choice(["mở", "đang thực hiện", "đã thực hiện"], p=[0.4, 0.35, 0.25])
            verified = status in ("đã kiểm tra hiệu lực", "không hiệu lực")
            dossiers = "; ".join(late_ids[:2]) if item["key"].startswith("8.5.1") and audit_year == year else None
            rows.append([f"{audit_id}-{item['key']}", audit_id, unit.unit_code, item["clause"],
                         GRADE_WORDS[item["grade"]], item["text"], dossiers, "checklist", raised.to_pydatetime(),
                         item["action"], OWNERS[int(rng.integers(0, len(OWNERS)))], deadline.to_pydatetime(),
                         status, (deadline + pd.Timedelta(days=20)).to_pydatetime() if verified else None,
                         ("Có hiệu lực" if status == "đã kiểm tra hiệu lực" else "Chưa có hiệu lực, mở lại hành động")
                         if verified else None])
    header = ["Mã phát hiện", "Mã cuộc đánh giá", "Mã đơn vị", "Điều khoản", "Mức độ", "Mô tả", "Hồ sơ liên quan",
              "Nguồn", "Ngày phát hiện", "Hành động khắc phục", "Người thực hiện", "Thời hạn", "Trạng thái",
              "Ngày kiểm tra", "Kết quả kiểm tra hiệu lực"]
    title = "SỔ THEO DÕI SỰ KHÔNG PHÙ HỢP VÀ HÀNH ĐỘNG KHẮC PHỤC"
    sheet = _static_sheet("Phát hiện", _review_preamble(unit, title, header), rows,
                          [22, 13, 9, 9, 18, 60, 30, 10, 13, 45, 26, 12, 18, 13, 30])
    sheet.date_formats = {8: "dd/mm/yyyy", 11: "dd/mm/yyyy", 13: "dd/mm/yyyy"}
    return sheet


def _review_preamble(unit: UnitProfile, title: str, header: list[str]) -> list:
    width = len(header)
    return [
        (_spread(width, {0: f"UBND {DISTRICT.upper()}", 3: "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"}), "title"),
        (_spread(width, {0: f"UBND {unit.unit_name.upper()}", 3: "Độc lập - Tự do - Hạnh phúc"}), "title"),
        ([], "title"),
        ([title], "title"),
        ([], "title"),
        (header, "header"),
    ]


def _datetime(day: np.datetime64) -> datetime:
    return pd.Timestamp(day).to_pydatetime()


# ---- the log as a sheet ----------------------------------------------------------------------------------
@dataclass
class Sheet:
    """One sheet to write: rows above the table, the table body (produced chunk by chunk), rows below it.

    ``preamble`` rows carry a style ("title", "header", "numbers"); ``date_formats`` maps body column
    positions to the number format of date cells; ``excel_rows`` the Excel row of each data row.
    """

    name: str
    preamble: list[tuple[list, str]]
    columns: list[str]
    body: Callable[[], Iterator[list[list]]]
    footer: list[list] = field(default_factory=list)
    merges: list[str] = field(default_factory=list)
    widths: list[float] = field(default_factory=list)
    date_formats: dict[int, str] = field(default_factory=dict)
    freeze: str | None = None
    rows: int = 0
    excel_rows: np.ndarray | None = None
    overrides: dict[tuple[int, str], object] = field(default_factory=dict)
    planted_rows: list[int] = field(default_factory=list)


def dossier_sheet(dossiers: pd.DataFrame, style: LogStyle, unit: UnitProfile, year: int, rng) -> Sheet:
    """The log of ``dossiers`` laid out as ``style`` says (values converted chunk by chunk when written)."""
    n = len(dossiers)
    as_text = style.suffix == ".csv"
    if style.layout == "flat":
        keys = [k for k, _ in style.columns]
        headers = [h for _, h in style.columns]
        preamble = []
        if style.title:
            preamble = [([f"UBND {unit.unit_name.upper()}"], "title"), (["DANH SÁCH HỒ SƠ TIẾP NHẬN"], "title"),
                        ([f"Từ ngày 01/01/{year} đến ngày 31/12/{year}"], "title"), ([], "title")]
        preamble.append((headers, "header"))
        forms = np.zeros(n, dtype=np.int8)
        noise = np.zeros(n, dtype=np.int8)
        blank_before = np.zeros(n, dtype=bool)
        merges = []
        freeze = f"A{len(preamble) + 1}"
    else:
        before = [c for c in _OFFICIAL_BEFORE if style.with_code or c[0] != "procedure_code"]
        keys = [k for k, _ in before + list(_OFFICIAL_DATES) + list(_OFFICIAL_AFTER)]
        width = len(keys)
        group = len(before)  # 0-based position of the first date column
        right = max(width - 6, group + 1)
        preamble = [
            (_spread(width, {0: f"UBND {DISTRICT.upper()}", right: "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"}), "title"),
            (_spread(width, {0: f"UBND {unit.unit_name.upper()}", right: "Độc lập - Tự do - Hạnh phúc"}), "title"),
            ([], "title"),
            (_spread(width, {0: "SỔ THEO DÕI HỒ SƠ"}), "title"),
            (_spread(width, {0: f"(Từ ngày 01/01/{year} đến ngày 31/12/{year})"}), "title"),
            ([], "title"),
        ]
        top = [h for _, h in before] + [DATE_GROUP] + [None] * 4 + [h for _, h in _OFFICIAL_AFTER]
        sub = [None] * group + [h for _, h in _OFFICIAL_DATES] + [None] * len(_OFFICIAL_AFTER)
        preamble += [(top, "header"), (sub, "header"), ([f"({i})" for i in range(1, width + 1)], "numbers")]
        header_row = 7
        merges = [f"A1:{_col(right)}1", f"{_col(right + 1)}1:{_col(width)}1",
                  f"A2:{_col(right)}2", f"{_col(right + 1)}2:{_col(width)}2",
                  f"A4:{_col(width)}4", f"A5:{_col(width)}5",
                  f"{_col(group + 1)}{header_row}:{_col(group + 5)}{header_row}"]
        merges += [f"{_col(c)}{header_row}:{_col(c)}{header_row + 1}"
                   for c in range(1, width + 1) if not group < c <= group + 5]
        forms = rng.choice(3, n, p=np.asarray(style.date_mix) / sum(style.date_mix)).astype(np.int8)
        noise = np.where(rng.random(n) < style.name_noise, rng.integers(1, 4, n), 0).astype(np.int8)
        month = dossiers["received_at"].dt.month.to_numpy()
        blank_before = np.r_[False, month[1:] != month[:-1]] | (rng.random(n) < 0.003)
        blank_before[0] = False
        freeze = None
    first_body_row = len(preamble) + 1
    excel_rows = first_body_row + np.arange(n) + np.cumsum(blank_before)
    sheet = Sheet(name="Sổ theo dõi hồ sơ" if style.layout == "official" else "Danh sách hồ sơ",
                  preamble=preamble, columns=keys, body=lambda: iter(()), merges=merges, freeze=freeze, rows=n,
                  excel_rows=excel_rows)
    if style.layout == "official":  # the footer follows the body's last row
        last = int(excel_rows[-1]) if n else first_body_row
        total_row = last + 2
        sheet.footer = [[], [f"Tổng cộng: {n} hồ sơ"], [],
                        _spread(len(keys), {len(keys) - 5: f"{unit.unit_name}, ngày 31 tháng 12 năm {year}"}),
                        _spread(len(keys), {1: "NGƯỜI LẬP SỔ", len(keys) - 5: "THỦ TRƯỞNG ĐƠN VỊ"}),
                        _spread(len(keys), {1: "(Ký, ghi rõ họ tên)", len(keys) - 5: "(Ký, đóng dấu)"}),
                        [], [], [],
                        _spread(len(keys), {1: str(dossiers["officer"].iloc[0]) if n else ""})]
        sheet.merges.append(f"A{total_row}:D{total_row}")
    sheet.date_formats = {
        i: ("dd/mm/yyyy hh:mm" if key in DATETIME_FIELDS else "dd/mm/yyyy")
        for i, key in enumerate(keys) if key in DATETIME_FIELDS + DATE_FIELDS
    }
    sheet.widths = [_width(key) for key in keys]

    def body() -> Iterator[list[list]]:
        for start in range(0, n, CHUNK_ROWS):
            stop = min(start + CHUNK_ROWS, n)
            chunk = dossiers.iloc[start:stop]
            columns = [_cells(chunk, key, style, forms[start:stop], noise[start:stop], as_text, start)
                       for key in keys]
            for (row, key), value in sheet.overrides.items():
                if start <= row < stop:
                    columns[keys.index(key)][row - start] = value
            rows = [list(r) for r in zip(*columns)]
            if blank_before[start:stop].any():
                rows = _with_blanks(rows, blank_before[start:stop])
            yield rows

    sheet.body = body
    return sheet


def _cells(chunk: pd.DataFrame, key: str, style: LogStyle, forms, noise, as_text: bool, start: int) -> list:
    """One column of a chunk as spreadsheet cells (or CSV text)."""
    n = len(chunk)
    if key == "row_number":
        return list(range(start + 1, start + n + 1))
    if key == "sets":
        return chunk["sets"].tolist()
    if key in DATETIME_FIELDS or key in DATE_FIELDS:
        return _date_cells(chunk[key], key in DATETIME_FIELDS, style, forms, as_text)
    values = chunk[key].astype(object).to_numpy()
    values = np.where(pd.isna(values), None, values)
    if key == "procedure_name" and noise.any():
        values = values.copy()
        for kind, change in ((1, str.upper), (2, lambda t: unicodedata.normalize("NFD", t)),
                             (3, lambda t: "  " + t.replace(" ", "  ", 1) + " ")):
            hit = noise == kind
            values[hit] = [change(v) for v in values[hit]]
    return [("" if v is None else v) for v in values] if as_text else values.tolist()


def _date_cells(series: pd.Series, with_time: bool, style: LogStyle, forms, as_text: bool) -> list:
    """Dates as the file holds them: Excel dates, serial numbers or day-first text (mixed in official books)."""
    stamps = series.to_numpy(dtype="datetime64[us]")
    missing = np.isnat(stamps)
    if as_text:
        text = series.dt.strftime("%d/%m/%Y %H:%M" if with_time else "%d/%m/%Y")
        return text.fillna("").tolist()
    cells = stamps.astype("datetime64[us]").astype(object)
    if style.layout == "official" and (forms != 0).any():
        cells = cells.copy()
        serial = (stamps - np.datetime64("1899-12-30T00:00", "us")) / np.timedelta64(1, "m") / 1440.0
        serial_cells = np.round(serial * 1440) / 1440 if with_time else np.floor(serial)
        part = lambda values: values.astype("Int64").astype("string")  # noqa: E731 - no '.0' from NaT floats
        loose = part(series.dt.day) + "/" + part(series.dt.month) + "/" + part(series.dt.year)
        if with_time:
            loose = loose + " " + series.dt.strftime("%H:%M")
        as_serial = (forms == 1) & ~missing
        as_loose = (forms == 2) & ~missing
        cells[as_serial] = [float(v) if with_time else int(v) for v in serial_cells[as_serial]]
        cells[as_loose] = loose.to_numpy(dtype=object)[as_loose]
    return cells.tolist()


def _with_blanks(rows: list[list], blank_before: np.ndarray) -> list[list]:
    out = []
    for row, blank in zip(rows, blank_before):
        if blank:
            out.append([])
        out.append(row)
    return out


def _plant(sheet: Sheet, dossiers: pd.DataFrame, plant: Plant, year: int, rng, file_name: str) -> PlantedProblem:
    """Put ``plant`` into one data row of ``sheet`` (away from the edges) and say where it is."""
    n = len(dossiers)
    column, code = _PLANT_TARGET[plant.kind]
    if column not in sheet.columns:
        raise ValueError(f"{plant.kind} needs a {column} column in {file_name}")
    candidates = np.arange(max(n // 5, 1), max(4 * n // 5, 2))
    taken = set(sheet.planted_rows)
    if plant.kind in ("returned_before_received", "unreadable_returned"):
        candidates = candidates[dossiers["returned_date"].notna().to_numpy()[candidates]]
    candidates = np.array([c for c in candidates if c not in taken and c - 1 not in taken])
    row = int(rng.choice(candidates))
    as_text = file_name.endswith(".csv")
    received = dossiers["received_at"].iloc[row]
    if plant.kind == "returned_before_received":
        value = (received - pd.Timedelta(days=2)).replace(hour=10, minute=0).to_pydatetime()
        shown = f"{value:%d/%m/%Y %H:%M}"
        value = shown if as_text else value
    elif plant.kind == "duplicate_id":
        value = shown = str(dossiers["dossier_id"].iloc[row - 1])
    elif plant.kind == "empty_received":
        value, shown = ("" if as_text else None), ""
    else:
        value = shown = plant.value.format(year=year)
    sheet.overrides[(row, column)] = value
    sheet.planted_rows.append(row)
    header = _header_of(sheet, column)
    return PlantedProblem(file=f"dossiers/{file_name}", row=int(sheet.excel_rows[row]), column=header,
                          value=shown, kind=plant.kind, expected_code=code)


def _header_of(sheet: Sheet, key: str) -> str:
    position = sheet.columns.index(key)
    for cells, style in reversed(sheet.preamble):
        if style == "header" and position < len(cells) and cells[position]:
            return cells[position]
    return key


# ---- other record files -----------------------------------------------------------------------------------
def _units_sheet(units: list[UnitProfile], year: int) -> Sheet:
    header = ["STT", "Mã ĐVHC", "Tên đơn vị", "Cấp", "Mã đơn vị cấp trên", "Tiếp nhận sáng thứ Bảy",
              "Số công chức một cửa"]
    rows = [[i, u.unit_code, u.unit_name, LEVEL_WORDS[u.level], u.parent_code,
             "Có" if u.saturday_reception else "Không", u.officers or None] for i, u in enumerate(units, 1)]
    preamble = [([f"UBND {DISTRICT.upper()}"], "title"),
                (["DANH SÁCH CƠ QUAN, ĐƠN VỊ ÁP DỤNG HỆ THỐNG QUẢN LÝ CHẤT LƯỢNG THEO TCVN ISO 9001:2015"], "title"),
                ([f"(Năm {year})"], "title"), ([], "title"), (header, "header")]
    return _static_sheet("Đơn vị", preamble, rows, [6, 10, 24, 10, 18, 22, 20])


def _procedures_sheet(catalogue: pd.DataFrame, year: int) -> Sheet:
    header = ["STT", "Mã TTHC", "Tên thủ tục hành chính", "Lĩnh vực", "Cấp thực hiện",
              "Thời hạn giải quyết (ngày làm việc)", "Giờ tiếp nhận cuối", "Khi yêu cầu bổ sung", "Phí, lệ phí",
              "Căn cứ pháp lý", "Mã quy trình nội bộ", "Phiên bản quy trình", "Ngày ban hành",
              "Ngày sửa đổi, bổ sung"]
    rows = []
    for i, p in enumerate(catalogue.itertuples(index=False), 1):
        rows.append([
            i, p.procedure_code, p.procedure_name, p.field, "Cấp xã",
            "Trong ngày" if p.legal_days == 0 else int(p.legal_days),
            p.cutoff_time if isinstance(p.cutoff_time, str) else None, RULE_WORDS[p.supplement_rule], p.fee,
            p.legal_basis, p.process_code if isinstance(p.process_code, str) else None,
            p.process_version if isinstance(p.process_version, str) else None,
            None if pd.isna(p.effective_date) else p.effective_date.to_pydatetime(),
            None if pd.isna(p.changed) else p.changed.to_pydatetime(),
        ])
    width = len(header)
    preamble = [
        (_spread(width, {0: "ỦY BAN NHÂN DÂN", 8: "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"}), "title"),
        (_spread(width, {0: PROVINCE.upper(), 8: "Độc lập - Tự do - Hạnh phúc"}), "title"),
        ([], "title"),
        (["DANH MỤC THỦ TỤC HÀNH CHÍNH THUỘC THẨM QUYỀN GIẢI QUYẾT CỦA ỦY BAN NHÂN DÂN CẤP XÃ"], "title"),
        ([f"ÁP DỤNG TRÊN ĐỊA BÀN {DISTRICT.upper()}"], "title"),
        ([f"(Ban hành kèm theo {CATALOGUE_DECISION.format(year=year)})"], "title"),
        ([], "title"),
        (header, "header"),
    ]
    sheet = _static_sheet("Danh mục TTHC", preamble, rows, [6, 11, 60, 16, 10, 14, 10, 14, 28, 40, 14, 10, 13, 13])
    sheet.date_formats = {12: "dd/mm/yyyy", 13: "dd/mm/yyyy"}
    return sheet


# Objectives of one unit's yearly plan: (objective, indicator, target, measure key, owner, deadline month).
_OBJECTIVES = (
    ("Giải quyết hồ sơ thủ tục hành chính đúng hạn", "Tỷ lệ hồ sơ giải quyết đúng hạn", None, "on_time_rate",
     "Bộ phận Một cửa", 12),
    ("Hồ sơ trễ hạn đều có phiếu xin lỗi và hẹn lại ngày trả kết quả", "Số hồ sơ trễ hạn không có phiếu xin lỗi",
     "0", "late_without_apology_count", "Công chức Văn phòng - Thống kê", 12),
    ("Xây dựng, áp dụng quy trình nội bộ cho tất cả TTHC thuộc thẩm quyền", "Tỷ lệ TTHC có quy trình nội bộ",
     "100 %", "process_coverage", "Thư ký ISO", 6),
    ("Nâng cao mức độ hài lòng của người dân, tổ chức", "Tỷ lệ phiếu khảo sát hài lòng", "≥ 90 %",
     "satisfaction_rate", "Bộ phận Một cửa", 12),
    ("Cán bộ, công chức được phổ biến, tập huấn về HTQLCL", "Tỷ lệ CBCC được tập huấn", "100 %", None,
     "Thư ký ISO", 6),
    ("Xử lý phản ánh, kiến nghị của người dân đúng thời hạn", "Số phản ánh, kiến nghị quá hạn xử lý", "0", None,
     "Chủ tịch UBND", 12),
    ("Tăng tỷ lệ hồ sơ nộp trực tuyến", "Tỷ lệ hồ sơ tiếp nhận trực tuyến", "≥ 30 %", None, "Bộ phận Một cửa", 12),
)


def _objectives_sheet(unit: UnitProfile, year: int, rng) -> Sheet:
    """The unit's quality objectives and plan; manual objectives carry the result typed at year end."""
    on_time_target = ["≥ 98 %", "100 %", "≥ 95 %", "≥ 98 %"][unit.index % 4]
    satisfaction = f"{rng.uniform(84, 97):.1f}".replace(".", ",") + " %"
    trained = "100 %" if rng.random() < 0.8 else "92 %"
    complaints = str(int(rng.random() < 0.25))
    online = "" if unit.index % 3 == 0 else f"{rng.uniform(20, 45):.1f}".replace(".", ",") + " %"
    actuals = [None, None, None, satisfaction, trained, complaints, online or None]
    header = ["Mã mục tiêu", "Mục tiêu chất lượng", "Chỉ số", "Chỉ tiêu cần đạt", "Cách đo", "Người chịu trách nhiệm",
              "Thời hạn hoàn thành", "Kết quả thực hiện", "Năm"]
    rows = []
    for i, ((objective, indicator, target, measure, owner, month), actual) in enumerate(zip(_OBJECTIVES, actuals), 1):
        deadline = datetime(year, month, 30 if month == 6 else 31)
        rows.append([f"MT{i:02d}", objective, indicator, target or on_time_target, measure, owner, deadline, actual,
                     year])
    width = len(header)
    preamble = [
        (_spread(width, {0: f"UBND {DISTRICT.upper()}", 5: "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"}), "title"),
        (_spread(width, {0: f"UBND {unit.unit_name.upper()}", 5: "Độc lập - Tự do - Hạnh phúc"}), "title"),
        ([], "title"),
        ([f"MỤC TIÊU CHẤT LƯỢNG VÀ KẾ HOẠCH THỰC HIỆN NĂM {year}"], "title"),
        ([f"(Kèm theo Quyết định số 05/QĐ-UBND ngày 06/01/{year} của Chủ tịch UBND {unit.lower_name})"], "title"),
        ([], "title"),
        (header, "header"),
    ]
    sheet = _static_sheet("Mục tiêu chất lượng", preamble, rows, [10, 48, 36, 14, 26, 26, 14, 16, 8])
    sheet.date_formats = {6: "dd/mm/yyyy"}
    sheet.footer = [[], _spread(width, {1: "NGƯỜI LẬP", 5: "CHỦ TỊCH"}),
                    _spread(width, {1: "(Ký, ghi rõ họ tên)", 5: "(Ký, đóng dấu)"})]
    return sheet


def _static_sheet(name: str, preamble: list, rows: list[list], widths: list[float]) -> Sheet:
    return Sheet(name=name, preamble=preamble, columns=[], body=lambda: iter([rows]), widths=widths,
                 freeze=f"A{len(preamble) + 1}", rows=len(rows))


def _write_calendar(path: Path, decisions: pd.DataFrame) -> None:
    """``date,type,description,unit_code`` with dd/mm/yyyy dates and Vietnamese types (UTF-8, no BOM)."""
    words = {"off": "nghỉ", "work": "làm việc"}
    with atomic_write(path, "w") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["date", "type", "description", "unit_code"])
        for row in decisions.itertuples(index=False):
            writer.writerow([f"{row.date:%d/%m/%Y}", words[row.kind], row.description,
                             "" if pd.isna(row.unit_code) else row.unit_code])


# ---- writers ------------------------------------------------------------------------------------------------
_THIN = Side(style="thin")
_STYLES = {
    "title": {"font": Font(bold=True)},
    "header": {"font": Font(bold=True), "fill": PatternFill("solid", fgColor="DDEBF7"),
               "alignment": Alignment(horizontal="center", vertical="center", wrap_text=True),
               "border": Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)},
    "numbers": {"font": Font(italic=True), "alignment": Alignment(horizontal="center")},
}


def _write_log(path: Path, sheet: Sheet) -> None:
    if path.suffix.lower() == ".csv":
        _write_csv(path, sheet)
    else:
        _write_xlsx(path, [sheet])


def _write_xlsx(path: Path, sheets: list[Sheet]) -> None:
    """Stream ``sheets`` into an xlsx (openpyxl write-only) with fixed timestamps, atomically."""
    book = Workbook(write_only=True)
    book.properties.creator = "isoaudit"
    book.properties.created = book.properties.modified = FIXED_TIME
    for spec in sheets:
        ws = book.create_sheet(spec.name)
        for position, width in enumerate(spec.widths, 1):
            ws.column_dimensions[get_column_letter(position)].width = width
        if spec.freeze:
            ws.freeze_panes = spec.freeze
        for cells, style in spec.preamble:
            ws.append([_styled(ws, value, style) for value in cells])
        formats = list(spec.date_formats.items())
        for chunk in spec.body():
            for row in chunk:
                for position, number_format in formats:
                    if position < len(row) and isinstance(row[position], datetime):
                        cell = WriteOnlyCell(ws, value=row[position])
                        cell.number_format = number_format if (row[position].hour or row[position].minute
                                                               or "h" not in number_format) else "dd/mm/yyyy"
                        row[position] = cell
                ws.append(row)
        for cells in spec.footer:
            ws.append([_styled(ws, value, "title") if value else value for value in cells])
        for reference in spec.merges:
            ws.merged_cells.add(CellRange(reference))
    with atomic_write(path) as handle:
        archive = _StableZip(handle, "w", zipfile.ZIP_DEFLATED, allowZip64=True)
        ExcelWriter(book, archive).save()


def _write_csv(path: Path, sheet: Sheet) -> None:
    """UTF-8 with a BOM (what Excel's "CSV UTF-8" writes), CRLF line ends."""
    with atomic_write(path, "wb") as raw:
        handle = io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")
        writer = csv.writer(handle, lineterminator="\r\n")
        for cells, _style in sheet.preamble:
            writer.writerow(["" if c is None else c for c in cells])
        for chunk in sheet.body():
            writer.writerows(chunk)
        writer.writerows(sheet.footer)
        handle.flush()
        handle.detach()


def _styled(ws, value, style: str):
    if value is None:
        return None
    cell = WriteOnlyCell(ws, value=value)
    for attribute, setting in _STYLES[style].items():
        setattr(cell, attribute, setting)
    return cell


class _StableZip(zipfile.ZipFile):
    """A zip whose entries all carry ``FIXED_TIME``, so the same workbook always gives the same bytes."""

    def writestr(self, zinfo_or_arcname, data, compress_type=None, compresslevel=None):
        if not isinstance(zinfo_or_arcname, zipfile.ZipInfo):
            zinfo_or_arcname = self._entry(zinfo_or_arcname)
        super().writestr(zinfo_or_arcname, data, compress_type, compresslevel)

    def write(self, filename, arcname=None, compress_type=None, compresslevel=None):
        # openpyxl's write-only sheets arrive as temporary files: stream them, never load them whole.
        size = Path(filename).stat().st_size
        with open(filename, "rb") as source, self.open(self._entry(arcname or filename), "w",
                                                        force_zip64=size > 2**30) as target:
            shutil.copyfileobj(source, target, 1 << 20)

    @staticmethod
    def _entry(name) -> zipfile.ZipInfo:
        entry = zipfile.ZipInfo(str(name), date_time=FIXED_TIME.timetuple()[:6])
        entry.compress_type = zipfile.ZIP_DEFLATED
        entry.external_attr = 0o644 << 16
        return entry


# ---- saved internal audits ---------------------------------------------------------------------------------
AUDITORS = ("Nguyễn Thị Thu Hà", "Trần Văn Minh", "Lê Thị Hồng Nhung", "Phạm Quốc Bảo")
AUDIT_EXCLUDED = "8.3"  # design and development: excluded by every commune, with a justification


def _write_audits(out: Path, summary: SampleSummary, communes, year: int) -> None:
    """``audits/<code>/DGNB-<year>.xlsx`` as the audit notebook saves it, agreeing with the findings register:
    the items behind the year's findings carry their grade, design (8.3) is not applicable, the rest conform.
    The last commune has not started its audit and the one before it is half way, as in a real year."""

    checklist = checklist_for_level(load_checklist(lang="vi"), "commune")
    audit_id = f"DGNB-{year}"
    for number, unit in enumerate(communes[:-1]):
        register = read_record_file(inside(out, "findings", f"{unit.unit_code}_findings.xlsx"), "findings",
                                    problems=[])
        grades = {fid.removeprefix(f"{audit_id}-"): grade for fid, grade
                  in zip(register["finding_id"], register["grade"]) if str(fid).startswith(audit_id)}
        lead, member = AUDITORS[number % 4], AUDITORS[(number + 1) % 4]
        start = datetime(year, 10, 6 + number)
        plan = AuditPlan(audit_id, unit.unit_code, unit.unit_name, year, start.date(), start.date(), lead,
                         (lead, member))
        record = new_audit(plan, checklist)
        answered = len(record.answers) if number < len(communes) - 2 else len(record.answers) * 3 // 5
        answers = record.answers
        for position, (item, clause) in enumerate(zip(answers["id"][:answered], answers["clause"][:answered])):
            result = grades.get(item, "not_applicable" if clause.startswith(AUDIT_EXCLUDED) else "conforms")
            answers = set_answer(answers, item, result=result, evidence=AUDIT_EVIDENCE[result],
                                 auditor=lead if position % 2 else member,
                                 at=start.replace(hour=8) + pd.Timedelta(minutes=4 * position))
        path = audit_path(out, unit.unit_code, audit_id)
        with _stable_copy(path) as draft:
            save_audit(dataclasses.replace(record, answers=answers), draft, keep_versions=None)
        summary.files.append((path.relative_to(Path(out).resolve()).as_posix(), answered))


AUDIT_EVIDENCE = {
    "conforms": "Đã xem hồ sơ, tài liệu và phỏng vấn công chức phụ trách: đáp ứng.",
    "major": "Nhiều hồ sơ cùng lỗi, chưa có hành động khắc phục hiệu lực (xem sổ theo dõi phát hiện).",
    "minor": "Một số hồ sơ chưa đáp ứng (xem sổ theo dõi phát hiện).",
    "observation": "Đáp ứng nhưng cần theo dõi thêm (xem sổ theo dõi phát hiện).",
    "improvement": "Đáp ứng; có đề xuất cải tiến (xem sổ theo dõi phát hiện).",
    "not_applicable": "Loại trừ trong phạm vi HTQLCL, có lý giải trong sổ tay chất lượng.",
}


class _stable_copy:
    """A draft path for a workbook written by other code, copied to ``path`` with ``FIXED_TIME`` stamped on
    every zip entry and document property, so that the sample stays byte-identical for a seed."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.draft = self.path.with_name(f".{self.path.stem}.draft.xlsx")

    def __enter__(self) -> Path:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        return self.draft

    def __exit__(self, kind, error, trace):
        try:
            if kind is None:
                stamp = FIXED_TIME.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
                with zipfile.ZipFile(self.draft) as source, atomic_write(self.path) as handle:
                    with _StableZip(handle, "w", zipfile.ZIP_DEFLATED) as target:
                        for entry in source.infolist():
                            data = source.read(entry.filename)
                            if entry.filename == "docProps/core.xml":
                                data = re.sub(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*", rb"\g<1>" + stamp, data)
                            target.writestr(entry.filename, data)
        finally:
            self.draft.unlink(missing_ok=True)
        return False


# ---- README of the sample -----------------------------------------------------------------------------------
def _behaviour(unit: UnitProfile, dossiers: pd.DataFrame, year: int) -> dict:
    """What the generator made happen in one unit, by its own reckoning (planted rows left out)."""
    status = dossiers["status"]
    judged = status.isin(["early", "on_time", "late"])
    return {
        "unit_code": unit.unit_code, "unit_name": unit.unit_name, "dossiers": len(dossiers),
        "returned": int(judged.sum()),
        "on_time_rate": float(status.isin(["early", "on_time"]).sum() / max(int(judged.sum()), 1)),
        "late": int((status == "late").sum()), "overdue": int((status == "overdue").sum()),
        "in_progress": int((status == "in_progress").sum()),
        "late_without_apology": int(dossiers["late_without_apology"].sum()),
        "appointment_beyond_legal": int(dossiers["appointment_beyond_legal"].sum()),
        "supplements": int(dossiers["supplement_requested_at"].notna().sum()),
        "online": int((dossiers["channel"] == "Trực tuyến").sum()),
    }


def _write_readme(path: Path, summary: SampleSummary, seed: int, year: int) -> None:
    lines = [
        f"# Bộ hồ sơ mẫu: {DISTRICT} ({PROVINCE}), năm {year} / Sample records of a fictional district",
        "",
        f"Tạo bởi `isoaudit make-sample --out ... --seed {seed} --year {year}` (cùng seed thì cùng nội dung). "
        f"{DISTRICT}, mã đơn vị, tên người dân, địa chỉ, số điện thoại đều là **giả định**. Mã TTHC của các "
        "thủ tục chính (khai sinh 1.001193, kết hôn 1.000894, khai tử 1.000656, chứng thực 2.000815, 2.000884, "
        "xác nhận tình trạng hôn nhân 1.004873...) là mã quốc gia; một số mã khác chỉ có dạng hợp lý "
        "(cột `code_source` = plausible trong `isoaudit/data/synthetic_procedures.csv`).",
        "",
        f"Generated by `isoaudit make-sample --out ... --seed {seed} --year {year}` (same seed, same content). "
        "The district, unit codes, citizens' names, addresses and phone numbers are **fictional**. The codes of the "
        "main procedures are the national ones; some others only look plausible (see `code_source`).",
        "",
        "## Tệp / Files",
        "",
        "| Tệp / File | Số dòng dữ liệu / Data rows |",
        "|---|---|",
    ]
    lines += [f"| `{name}` | {rows} |" for name, rows in summary.files]
    lines += [
        "",
        "Sổ theo dõi hồ sơ theo mẫu (tiêu đề, tiêu đề cột hai dòng có ô gộp, dòng số thứ tự cột, dòng trống, "
        "dòng tổng cộng, phần ký) / official tracking books (title rows, two-row merged header, column numbers, "
        "blank rows, totals row, signature block): "
        + ", ".join(f"`{n}`" for n, _ in summary.files if n.startswith("dossiers/") and _is_official(n)) + ". "
        "Các tệp khác là tệp xuất từ phần mềm một cửa / the others are software exports (one CSV UTF-8 with BOM).",
        "",
        "## Lỗi cài sẵn để kiểm tra phần đọc dữ liệu / Validation problems planted on purpose",
        "",
        "| Tệp / File | Dòng / Row | Cột / Column | Giá trị / Value | Lỗi / Problem | "
        "Mã lỗi mong đợi / Expected code |",
        "|---|---|---|---|---|---|",
    ]
    descriptions = {
        "returned_before_received": "Ngày trả trước ngày nhận / returned before received",
        "duplicate_id": "Trùng mã hồ sơ với dòng trên / same dossier id as the row above",
        "unreadable_received": "Ngày nhận không đọc được / unreadable received date",
        "unreadable_returned": "Ngày trả không đọc được / unreadable returned date",
        "unknown_procedure": "Thủ tục không có trong danh mục / procedure not in the catalogue",
        "empty_received": "Thiếu ngày nhận / empty received date",
    }
    lines += [f"| `{p.file}` | {p.row} | {p.column} | {p.value or '(trống / empty)'} | {descriptions[p.kind]} | "
              f"`{p.expected_code}` |" for p in summary.planted]
    lines += [
        "",
        "## Tình hình giải quyết do bộ sinh tạo ra / Behaviour the generator planted",
        "",
        f"Tính theo quy tắc của `isoaudit.timeliness` tại ngày 31/12/{year}, không kể các dòng lỗi cài sẵn. "
        "Xã Đồng Tâm được tạo yếu hơn (nhiều hồ sơ trễ, ít phiếu xin lỗi); thủ tục đất đai, bảo trợ xã hội trễ "
        "nhiều hơn; một số giấy tiếp nhận hẹn trả muộn hơn thời hạn luật định (không phù hợp cài sẵn); "
        "một số quy trình nội bộ ban hành trước lần sửa đổi gần nhất của thủ tục, hai thủ tục chưa có quy trình.",
        "",
        f"By the rules of `isoaudit.timeliness` as of 31/12/{year}, planted rows left out. Xã Đồng Tâm is the weak "
        "commune (many late dossiers, few apology letters); land and social-protection procedures are late more "
        "often; some receipts give an appointment later than the law allows (a planted nonconformity); some "
        "internal processes predate the procedure's last change and two procedures have no process at all.",
        "",
        "| Mã / Code | Đơn vị / Unit | Hồ sơ / Dossiers | Đã trả / Returned | Đúng hạn / On time | Trễ / Late | "
        "Quá hạn / Overdue | Đang giải quyết / In progress | Trễ không xin lỗi / Late, no apology | "
        "Hẹn quá hạn luật / Appointment beyond legal | Bổ sung / Supplements | Trực tuyến / Online |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in summary.behaviour.itertuples(index=False):
        lines.append(f"| {r.unit_code} | {r.unit_name} | {r.dossiers} | {r.returned} | "
                     f"{r.on_time_rate * 100:.1f} % | {r.late} | {r.overdue} | {r.in_progress} | "
                     f"{r.late_without_apology} | {r.appointment_beyond_legal} | {r.supplements} | {r.online} |")
    lines += [
        "",
        "## Lịch / Calendar",
        "",
        "`calendar.csv`: quyết định của tỉnh (một ngày nghỉ lễ hội, làm bù thứ Bảy sau đó) và một ngày nghỉ do bão "
        "của Xã Vạn Xuân (08032) / provincial decisions (a festival day off worked back the next Saturday) and a "
        "storm day off for one commune. Ngày nghỉ lễ quốc gia lấy từ gói `holidays` / national holidays come from "
        "the `holidays` package.",
        "",
        "## Đầu vào xem xét của lãnh đạo / Management review inputs",
        "",
        f"Mỗi xã, phường còn có: sổ hồ sơ năm {year - 1} (tệp xuất phần mềm, để so sánh xu hướng), phiếu khảo sát "
        f"sự hài lòng năm {year - 1} và {year} (`surveys/`), sổ phản ánh, kiến nghị năm {year} (`feedback/`), "
        f"quyết định của lần xem xét năm {year - 1} với tình trạng thực hiện (`reviews/`) và sổ theo dõi sự không "
        f"phù hợp sau hai cuộc đánh giá nội bộ DGNB-{year - 1}, DGNB-{year} (`findings/`: có hành động quá hạn, "
        f"điểm không phù hợp lặp lại ở điều khoản 8.5.1, hành động về rủi ro theo điều khoản 6.1). Một phản ánh "
        f"của {MARKUP_UNIT} có thẻ HTML (`<b>`) do người dân gõ trên cổng trực tuyến, để kiểm tra việc mã hóa "
        "khi hiển thị báo cáo.",
        "",
        f"Each commune also has: its {year - 1} log (a software export, for the trend), satisfaction surveys of "
        f"{year - 1} and {year}, its {year} feedback register, the decisions of its {year - 1} management review "
        f"with their status, and a findings register after the internal audits DGNB-{year - 1} and DGNB-{year} "
        f"(overdue actions, a nonconformity repeated under clause 8.5.1, actions on risks under 6.1). One feedback "
        f"of {MARKUP_UNIT} holds HTML markup (`<b>`) typed in the online form, to check that reports escape it.",
        "",
    ]
    with atomic_write(path, "w") as handle:
        handle.write("\n".join(lines))


def _is_official(name: str) -> bool:
    code = Path(name).name.split("_")[0]
    unit = next((u for u in district_units() if u.unit_code == code), None)
    return unit is not None and LOG_STYLES[unit.style].layout == "official"


# ---- small helpers ------------------------------------------------------------------------------------------
@lru_cache(maxsize=None)
def _data_text(name: str) -> str:
    return resources.files("isoaudit.data").joinpath(name).read_text(encoding="utf-8")


def _data_frame(name: str) -> pd.DataFrame:
    return pd.read_csv(io.StringIO(_data_text(name)), dtype=str, keep_default_na=False).replace("", None)


@lru_cache(maxsize=1)
def _names() -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Name parts by kind (surname, middle_m, middle_f, given_m, given_f, street, company) with weights."""
    table = _data_frame("synthetic_names.csv")
    parts = {}
    for kind, rows in table.groupby("kind", sort=False):
        weights = rows["weight"].astype(float).to_numpy()
        parts[kind] = (rows["value"].to_numpy(dtype=object), weights / weights.sum())
    return parts


def _pick(rng, part: tuple[np.ndarray, np.ndarray], n: int) -> np.ndarray:
    values, weights = part
    return values[rng.choice(len(values), n, p=weights)]


def _working_days(calendar: WorkCalendar, first_year: int, last_year: int) -> np.ndarray:
    """The calendar's working days (datetime64[D], sorted) from 01/01/first_year to 31/12/last_year+1."""
    days = np.arange(np.datetime64(f"{first_year}-01-01"), np.datetime64(f"{last_year + 2}-01-01"))
    return days[calendar.is_working_day(days)]


def _reception_saturdays(calendar: WorkCalendar, first_year: int, last_year: int) -> np.ndarray:
    """Saturdays (not declared off, not working days) on which a Saturday-reception unit receives."""
    days = np.arange(np.datetime64(f"{first_year}-01-01"), np.datetime64(f"{last_year + 1}-01-01"))
    return days[calendar.is_reception_day(days) & ~calendar.is_working_day(days)]


def _nth_weekday(year: int, month: int, weekday: int, nth: int) -> pd.Timestamp:
    """The ``nth`` (1-based; -1 = last) ``weekday`` (Monday 0) of ``month``."""
    days = pd.date_range(f"{year}-{month:02d}-01", periods=pd.Period(f"{year}-{month:02d}").days_in_month)
    matching = days[days.day_of_week == weekday]
    return matching[nth - 1 if nth > 0 else nth]


def _spread(width: int, cells: dict[int, str]) -> list:
    row = [None] * width
    for position, value in cells.items():
        row[min(position, width - 1)] = value
    return row


def _col(position: int) -> str:
    return get_column_letter(position)


def _width(key: str) -> float:
    return {"row_number": 6, "dossier_id": 26, "procedure_code": 11, "procedure_name": 42, "sets": 9,
            "applicant": 22, "applicant_contact": 38, "handling_agency": 26, "officer": 20, "note": 24,
            "field": 16, "channel": 12, "status_text": 14, "unit_code": 9}.get(key, 16)
