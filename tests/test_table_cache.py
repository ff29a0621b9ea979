"""What each records file gave, kept between runs: a rerun reads again only the files whose bytes changed, and
gets exactly the records a fresh read gives (frames with their types, problems with their values)."""
from __future__ import annotations

import datetime as dt
import decimal
import multiprocessing
import shutil
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

import isoaudit.records.load as load
from isoaudit.batch import run
from isoaudit.errors import IsoauditError
from isoaudit.problems import Problem
from isoaudit.records import load_records
from isoaudit.records.cache import problem_from_json, problem_json
from isoaudit.records.table_cache import FileRead, TableCache

SAMPLE = Path(__file__).resolve().parents[1] / "sample_records"
FRAMES = ("units", "procedures", "dossiers", "objectives", "surveys", "feedback", "decisions", "findings",
          "excluded_dossiers", "calendar_days", "statistics")
# Files of the sample province: two units' records of every kind, a log with an unreadable date, a CSV log.
PICKED = ["units.xlsx", "procedures.xlsx", "calendar.csv", "dossiers/08011_phuong_hung_vuong_2024.xlsx",
          "dossiers/08014_phuong_tan_thinh_2025.csv", "dossiers/08017_phuong_binh_minh_2025.xlsx",
          "objectives/08011_muc_tieu_2025.xlsx", "surveys/08011_khao_sat_2025.xlsx", "surveys/08014_khao_sat_2024.xlsx",
          "feedback/08011_phan_anh_2025.xlsx", "findings/08011_findings.xlsx", "reviews/08014_quyet_dinh_2024.xlsx",
          "statistics/08011_thong_ke_2025_12_14.xlsx"]
# A row received after Phường Tân Thịnh was merged (30/06/2025): kept on it, with a warning whose value is a date.
LATE_ROW = ("000.03.41.H25-250801-0001,08014,2.000815,Chứng thực bản sao từ bản chính,Chứng thực,Trực tiếp,"
            "Hoàng Việt Hải,Tổ dân phố 6,01/08/2025 10:52,01/08/2025,01/08/2025 11:44,,,,,Vũ Kim Huệ,"
            "Đã trả kết quả,\r\n")


@pytest.fixture
def folder(tmp_path) -> Path:
    """Part of the sample province, with a row dated outside its unit's period and a damaged log."""
    folder = tmp_path / "records"
    for name in PICKED:
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(SAMPLE / name, folder / name)
    with (folder / "dossiers/08014_phuong_tan_thinh_2025.csv").open("a", encoding="utf-8", newline="") as handle:
        handle.write(LATE_ROW)
    (folder / "dossiers/08020_hong.xlsx").write_bytes(b"PK\x03\x04 cut short")
    return folder


@pytest.fixture
def reads(monkeypatch) -> list[str]:
    """The names of the files ``load_records`` reads (``record_table``), as it reads them."""
    names = []
    real = load.record_table

    def counted(path, *args, **kwargs):
        names.append(Path(path).name)
        return real(path, *args, **kwargs)

    monkeypatch.setattr(load, "record_table", counted)
    return names


def assert_same_records(got, expected) -> None:
    for name in FRAMES:
        pd.testing.assert_frame_equal(getattr(got, name), getattr(expected, name), obj=name)
    assert _exactly(got.problems) == _exactly(expected.problems)
    assert got.files == expected.files


def _exactly(problems: list[Problem]) -> list:
    """Problems compared with their parameters and the types of their values (``==`` leaves both out)."""
    return [(p, repr(p.value), type(p.value), repr(p.params)) for p in problems]


def test_a_rerun_reads_no_file_again_and_gives_exactly_the_fresh_records(folder, tmp_path, reads):
    fresh = load_records(folder)
    assert any(p.code == "unit_outside_period" and isinstance(p.value, pd.Timestamp) for p in fresh.problems)
    assert any(p.code == "unreadable_datetime" for p in fresh.problems)
    assert any(p.file == "dossiers/08020_hong.xlsx" and p.severity == "error" for p in fresh.problems)
    tables = tmp_path / "out" / "_cache" / "tables"
    assert_same_records(load_records(folder, table_cache=tables), fresh)  # the first run keeps every file's read
    assert len(list(tables.glob("*.parquet"))) == len(fresh.files) - 3  # not the registry, catalogue, calendar
    reads.clear()

    again = load_records(folder, table_cache=tables)
    assert reads == ["units.xlsx", "procedures.xlsx"]  # read whole every time: every file's read depends on them
    assert_same_records(again, fresh)
    assert again.dossiers["received_at"].dtype == fresh.dossiers["received_at"].dtype
    assert again.objectives["year"].dtype == "Int64"
    assert again.cached_digests is not None  # hashed once, to find the reads
    pd.testing.assert_frame_equal(again.file_digests(), fresh.file_digests())


def test_only_the_changed_file_is_read_again_and_its_old_read_goes(folder, tmp_path, reads):
    tables = tmp_path / "tables"
    load_records(folder, table_cache=tables)
    entries = set(tables.iterdir())
    log = folder / "dossiers/08014_phuong_tan_thinh_2025.csv"
    log.write_bytes(log.read_bytes().replace(LATE_ROW.encode("utf-8"), b""))
    (folder / "surveys/08014_khao_sat_2024.xlsx").unlink()
    reads.clear()

    again = load_records(folder, table_cache=tables)
    assert reads == ["units.xlsx", "procedures.xlsx", log.name]
    assert_same_records(again, load_records(folder))
    assert not any(p.code == "unit_outside_period" for p in again.problems)
    now = set(tables.iterdir())
    assert len(now) == len(entries) - 1 and len(now - entries) == 1  # the old log's and the survey's reads removed


def test_a_changed_registry_or_alias_file_reads_every_file_again(folder, tmp_path, reads):
    tables = tmp_path / "tables"
    load_records(folder, table_cache=tables)
    (folder / "column_aliases.csv").write_text("kind,column,alias\ndossiers,note,Ghi chú thêm\n", encoding="utf-8")
    reads.clear()
    assert_same_records(load_records(folder, table_cache=tables), load_records(folder))
    every_file = len(PICKED) - 1 + 1  # not the calendar (its own reader), and the damaged log
    assert len(reads) == 2 * every_file  # each file once with the cache, once without


def test_a_registry_that_gives_other_units_reads_every_file_again(folder, tmp_path, reads):
    tables = tmp_path / "tables"
    assert any(p.code == "unit_outside_period" for p in load_records(folder, table_cache=tables).problems)
    registry = openpyxl.load_workbook(folder / "units.xlsx")
    sheet = registry.active
    row = next(r for r in sheet.iter_rows(min_row=6) if r[1].value == "08014")
    row[8].value = None  # Phường Tân Thịnh no longer ends on 30/06/2025: its late row is within its period
    registry.save(folder / "units.xlsx")
    again = load_records(folder, table_cache=tables)
    assert not any(p.code == "unit_outside_period" for p in again.problems)
    assert_same_records(again, load_records(folder))


def test_a_damaged_or_foreign_entry_is_ignored_and_the_file_read_again(folder, tmp_path, reads):
    tables = tmp_path / "tables"
    fresh = load_records(folder, table_cache=tables)
    entries = sorted(tables.iterdir())
    entries[0].write_bytes(b"")
    entries[1].write_bytes(entries[1].read_bytes()[:-100])
    entries[2].write_bytes(entries[3].read_bytes())  # another file's read under this file's name
    (tables / ".x.parquet.tmp").write_bytes(b"left by an interrupted write")
    reads.clear()

    assert_same_records(load_records(folder, table_cache=tables), fresh)
    assert len(reads) == 2 + 3
    assert sorted(tables.iterdir()) == entries  # written again, the leftover gone
    reads.clear()
    load_records(folder, table_cache=tables)
    assert len(reads) == 2


def test_files_read_in_worker_processes_give_exactly_the_fresh_records(folder, tmp_path, reads):
    fresh = load_records(folder)
    reads.clear()
    with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("fork")) as pool:
        got = load_records(folder, table_cache=tmp_path / "tables", read_in=pool)
    # This process reads the registry and catalogue, and those files no worker had started when it needed one.
    assert reads[:2] == ["units.xlsx", "procedures.xlsx"] and len(set(reads)) == len(reads)
    assert len(reads) - 2 < len(PICKED) - 3  # the workers read some
    assert_same_records(got, fresh)
    pd.testing.assert_frame_equal(got.file_digests(), fresh.file_digests())
    assert any(p.file == "dossiers/08020_hong.xlsx" and p.severity == "error" for p in got.problems)


class _IdleWorkers:
    """A pool whose workers never get to the files (all busy with something else)."""

    def submit(self, *args, **kwargs) -> Future:
        return Future()


def test_files_no_worker_started_are_read_by_the_process_itself_once(folder, tmp_path, reads):
    fresh = load_records(folder)
    fresh_reads = list(reads)
    reads.clear()
    got = load_records(folder, table_cache=tmp_path / "tables", read_in=_IdleWorkers())
    assert reads == fresh_reads and len(reads) > 2  # every file once, in order, here
    assert_same_records(got, fresh)


class _LostWorkers:
    """A pool whose workers die before answering (killed, out of memory)."""

    def submit(self, *args, **kwargs) -> Future:
        future = Future()
        future.set_exception(BrokenProcessPool("a worker died"))
        return future


def test_files_whose_worker_died_are_read_by_the_process_itself(folder, tmp_path, reads):
    fresh = load_records(folder)
    reads.clear()
    got = load_records(folder, table_cache=tmp_path / "tables", read_in=_LostWorkers())
    assert len(reads) == len(PICKED) - 1 + 1  # not the calendar (its own reader), and the damaged log
    assert_same_records(got, fresh)


def test_a_file_written_to_while_it_is_read_is_not_kept(folder, tmp_path, monkeypatch):
    log = folder / "dossiers/08014_phuong_tan_thinh_2025.csv"
    before = log.read_bytes()
    real = load.record_table

    def edited_meanwhile(path, *args, **kwargs):  # after the cache hashed the file, before it is read
        if Path(path) == log:
            with log.open("a", encoding="utf-8", newline="") as handle:
                handle.write(LATE_ROW.replace("0001", "0002"))
        return real(path, *args, **kwargs)

    monkeypatch.setattr(load, "record_table", edited_meanwhile)
    tables = tmp_path / "tables"
    load_records(folder, table_cache=tables)
    monkeypatch.setattr(load, "record_table", real)
    log.write_bytes(before)  # the bytes it was hashed with: their read was never seen
    assert_same_records(load_records(folder, table_cache=tables), load_records(folder))


def test_a_cache_folder_that_cannot_be_written_costs_time_not_the_records(folder, tmp_path):
    taken = tmp_path / "a_file"
    taken.write_text("not a folder")
    assert_same_records(load_records(folder, table_cache=taken), load_records(folder))
    assert taken.read_text() == "not a folder"


def test_a_read_parquet_would_not_give_back_is_not_kept(tmp_path):
    cache = TableCache(tmp_path, "context")
    mixed = pd.DataFrame({"value": [1, "mot", None]})  # Python objects: 1 would come back as text, or fail
    strange = Problem("odd", file="a.xlsx", value=object())
    header = FileRead(None, {"received_at": ("Ngày", "nhận")}, [])  # a tuple would come back from JSON as a list
    plain = FileRead(pd.DataFrame({"n": pd.array([1, None], dtype="Int64")}), {"n": "Số"}, [])
    for name, read in [("mixed.csv", FileRead(mixed, {}, [])), ("strange.csv", FileRead(None, {}, [strange])),
                       ("header.csv", header), ("plain.csv", plain)]:
        (tmp_path / name).write_text(name)
        cache.put(tmp_path / name, name, "dossiers", read)
    cache.close()

    again = TableCache(tmp_path, "context")
    assert again.get(tmp_path / "mixed.csv", "mixed.csv", "dossiers") is None
    assert again.get(tmp_path / "strange.csv", "strange.csv", "dossiers") is None
    assert again.get(tmp_path / "header.csv", "header.csv", "dossiers") is None
    kept = again.get(tmp_path / "plain.csv", "plain.csv", "dossiers")
    pd.testing.assert_frame_equal(kept.frame, plain.frame)
    assert kept.labels == {"n": "Số"}
    assert TableCache(tmp_path, "another isoaudit").get(tmp_path / "plain.csv", "plain.csv", "dossiers") is None


@pytest.mark.parametrize("value", [
    None, "31/02/2025", 7, 2.5, True, pd.Timestamp("2025-08-01 10:52"), pd.Timestamp("2025-08-01", tz="Asia/Bangkok"),
    pd.NaT, pd.NA, dt.datetime(2025, 1, 2, 3, 4), dt.date(2025, 1, 2), dt.time(15, 30), pd.Timedelta(hours=2),
    decimal.Decimal("1.10"), np.int64(8023), np.float64(0.25), np.bool_(True), np.datetime64("2025-01-02T03:04"),
    np.datetime64("NaT"), np.timedelta64(2, "h"),
    ["08011", 8011], ("a", pd.Timestamp("2025-01-01")),
])
def test_a_problem_comes_back_from_json_with_the_type_of_its_value(value):
    problem = Problem("unknown_unit", file="dossiers/x.csv", row=3, column="Mã đơn vị", value=value,
                      params={"unit": value, "count": 2})
    back = problem_from_json(problem_json(problem, strict=True))
    assert (back.code, back.file, back.row, back.column, back.severity) == \
        (problem.code, problem.file, problem.row, problem.column, problem.severity)
    for got, expected in [(back.value, value), (back.params["unit"], value)]:
        assert type(got) is type(expected) and repr(got) == repr(expected)
    assert back.message("vi") == problem.message("vi")


def test_a_value_of_another_type_is_text_in_a_manifest_and_refused_by_a_strict_cache():
    problem = Problem("odd", value={"a": 1})
    assert problem_from_json(problem_json(problem)).value == "{'a': 1}"
    for refused in (problem, Problem("odd", row=np.int64(3)), Problem("odd", column=("Ngày", "nhận"))):
        with pytest.raises(TypeError):
            problem_json(refused, strict=True)


def test_the_batch_keeps_the_reads_in_its_cache_folder(tmp_path, monkeypatch):
    asked = {}

    class Stop(Exception):
        pass

    def stop(folder, **kwargs):
        asked.update(kwargs)
        raise Stop

    monkeypatch.setattr(run, "load_records", stop)
    with pytest.raises(Stop):
        run.run_batch(tmp_path / "records", tmp_path / "out", units=["08011"], progress=False)
    assert Path(asked["table_cache"]) == (tmp_path / "out" / "_cache" / "tables").resolve()
    assert asked["read_in"] is None  # a run of named units starts no worker before it knows they exist


def test_a_batch_that_did_nothing_leaves_no_reads_its_workers_kept(folder, tmp_path, monkeypatch):
    def refused(records, codes, year=None):  # after the reading: a batch stopped by what the records say
        assert len(records.dossiers)
        raise IsoauditError("batch.unknown_units", units="08099")

    monkeypatch.setattr(run, "select_units", refused)
    out = tmp_path / "out"
    with pytest.raises(IsoauditError):
        run.run_batch(folder, out, jobs=2, progress=False)  # a first run: its workers read the files
    tables = out / "_cache" / "tables"
    assert not (tables.is_dir() and any(tables.iterdir()))  # what the workers kept goes with the run
