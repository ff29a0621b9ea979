"""What each command says, and the exit code it ends with, when the system or a service fails it: a folder it
cannot write, a full disk, a file locked by Excel, an unreachable Dask scheduler, a worker that dies, or a
defect of isoaudit itself. One Vietnamese sentence, never a traceback."""
from __future__ import annotations

import dataclasses
import errno
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

import pytest

import isoaudit.batch.workers as workers
import isoaudit.cli as cli
from isoaudit.batch.notebook_run import cell_error
from isoaudit.batch.run import UnitJob, _reason, lost_unit
from isoaudit.errors import (
    EXIT_FILES,
    EXIT_INTERNAL,
    EXIT_SERVICE,
    RecordsError,
    file_access_error,
)
from isoaudit.safety import atomic_write

REPOSITORY = Path(__file__).resolve().parent.parent
SAMPLE = str(REPOSITORY / "sample_records")


def run(capsys, *argv) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_an_output_folder_that_is_a_file_is_refused_before_reading(capsys, tmp_path):
    taken = tmp_path / "bao_cao"
    taken.write_text("not a folder", encoding="utf-8")
    code, out, err = run(capsys, "batch", SAMPLE, "--out", str(taken), "--quiet")
    assert code == EXIT_FILES
    assert f'Thư mục kết quả "{taken}" đã có và là một tệp' in err
    assert "Traceback" not in err + out
    assert taken.read_text(encoding="utf-8") == "not a folder"


def test_an_output_folder_under_a_file_is_refused(capsys, tmp_path):
    (tmp_path / "a").write_text("x", encoding="utf-8")
    code, _, err = run(capsys, "batch", SAMPLE, "--out", str(tmp_path / "a" / "b"), "--quiet")
    assert code == EXIT_FILES
    assert "là tệp chứ không phải thư mục" in err


def test_a_full_disk_names_the_file_asked_for(capsys, tmp_path, monkeypatch):
    target = tmp_path / "dung_han.xlsx"

    def full(fd):  # a full disk shows when the written data is flushed to it
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("isoaudit.safety.os.fsync", full)
    code, _, err = run(capsys, "timeliness", SAMPLE, "--unit", "08023", "--out", str(target))
    assert code == EXIT_FILES
    assert err.strip().splitlines()[-1] == (f'Ổ đĩa đã đầy, không ghi được "{target}". Hãy giải phóng dung lượng '
                                            "hoặc chọn thư mục trên ổ đĩa khác rồi chạy lại.")
    assert list(tmp_path.iterdir()) == []  # no half-written file, no temporary file left


def test_a_file_locked_by_excel_on_windows_is_said_so(tmp_path):
    locked = PermissionError(errno.EACCES, "The process cannot access the file", str(tmp_path / "summary.xlsx"))
    locked.winerror = 32  # ERROR_SHARING_VIOLATION, as Windows reports a file Excel holds open
    error = file_access_error(locked)
    assert error.exit_code == EXIT_FILES
    assert error.message("vi").startswith(f'Tệp "{tmp_path / "summary.xlsx"}" đang được một chương trình khác')
    assert "Excel" in error.message("en")


def test_a_write_refused_in_atomic_write_names_the_target_not_the_temporary_file(tmp_path):
    target = tmp_path / "index.html"
    with pytest.raises(OSError) as caught, atomic_write(target, "w"):
        raise OSError(errno.EACCES, "Permission denied", str(tmp_path / ".index.html.x1y2.tmp"))
    assert caught.value.filename == str(target)
    assert file_access_error(caught.value).code == "system.no_access"


def test_an_unreachable_scheduler_is_one_sentence_and_code_4(capsys, tmp_path, monkeypatch):
    monkeypatch.setattr(workers, "SCHEDULER_TIMEOUT", 1)
    out = tmp_path / "out"
    code, stdout, err = run(capsys, "batch", SAMPLE, "--out", str(out), "--executor", "dask",
                            "--scheduler", "tcp://127.0.0.1:9", "--quiet")
    assert code == EXIT_SERVICE
    assert err.startswith("Không kết nối được tới bộ điều phối Dask ở tcp://127.0.0.1:9 sau 1 giây")
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err + stdout
    assert not (out / "index.html").exists()


@pytest.mark.parametrize("address", ["nonsense", "tcp://10.0.0.5", "http://10.0.0.5:8786", "10.0.0.5:port"])
def test_a_malformed_scheduler_address_is_refused_at_once(capsys, tmp_path, address):
    code, _, err = run(capsys, "--lang", "en", "batch", SAMPLE, "--out", str(tmp_path / "o"),
                       "--executor", "dask", "--scheduler", address)
    assert code == EXIT_SERVICE
    assert err.strip() == (f'"{address}" is not a Dask scheduler address: it must read tcp://host:port, '
                           "e.g. tcp://10.0.0.5:8786.")


def test_a_defect_ends_in_one_sentence_and_a_crash_log(capsys, tmp_path, monkeypatch):
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))

    def defect(*args, **kwargs):
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr("isoaudit.cli.validate.load_records", defect)
    code, out, err = run(capsys, "validate", SAMPLE)
    assert code == EXIT_INTERNAL
    [log] = tmp_path.glob("isoaudit-crash-*.log")
    assert err.strip() == (f"isoaudit gặp lỗi ngoài dự kiến (ZeroDivisionError). Chi tiết đã ghi vào {log}: "
                           "xin gửi tệp đó cho người hỗ trợ.")
    assert "Traceback" not in err + out
    assert "ZeroDivisionError: division by zero" in log.read_text(encoding="utf-8")


def test_isoaudit_debug_shows_the_traceback_to_a_developer(monkeypatch):
    monkeypatch.setenv("ISOAUDIT_DEBUG", "1")
    monkeypatch.setattr("isoaudit.cli.validate.load_records", lambda *a, **k: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        cli.main(["validate", SAMPLE])


def _job(code: str, tmp_path: Path) -> UnitJob:
    return UnitJob(unit_code=code, unit_name=f"Xã {code}", folder=str(tmp_path / code), records_folder="",
                   cache="", year=2025, lang="vi", force=True, fingerprint="")


def _die_on_08026(job):
    if job.unit_code == "08026":
        raise MemoryError  # out of memory in the middle of a unit: run_unit's own guard did not see it through
    return job.unit_code


def test_a_unit_whose_run_dies_fails_alone_not_the_batch(tmp_path):
    jobs = [_job(code, tmp_path) for code in ("08023", "08026")]
    runner = workers.UnitRunner(_die_on_08026, 2, tmp_path / "_logs", eager=False, lost=lost_unit)
    with runner:
        results = runner.run(jobs, False, "vi")
    assert "08023" in results
    [lost] = [r for r in results if not isinstance(r, str)]
    assert (lost.unit_code, lost.status) == ("08026", "failed")
    assert lost.error.startswith("Tiến trình chạy đơn vị này dừng đột ngột") and "MemoryError" in lost.error


def test_a_lost_worker_is_worded_in_english_too(tmp_path):
    job = dataclasses.replace(_job("08023", tmp_path), lang="en")
    result = lost_unit(job, BrokenProcessPool("A process in the process pool was terminated abruptly"))
    assert result.error.startswith("The process running this unit stopped suddenly")
    assert "BrokenProcessPool" in result.error


def test_a_units_reason_words_the_systems_refusal_and_isoaudits_own_errors():
    full = OSError(errno.ENOSPC, "No space left on device", "/srv/bao_cao/08023/kiem_tra.docx")
    assert _reason(full, "vi").startswith('Ổ đĩa đã đầy, không ghi được "/srv/bao_cao/08023/kiem_tra.docx"')
    assert _reason(RecordsError("csv_not_utf8", file="a.csv"), "vi") == RecordsError(
        "csv_not_utf8", file="a.csv").message("vi")
    assert _reason(KeyError("x"), "en") == ("unexpected error (KeyError); the details are in the unit's log in "
                                            "the _logs folder")


def test_a_notebook_cells_isoaudit_error_is_shown_as_worded():
    worded = RecordsError("csv_not_utf8", file="a.csv").message("vi")
    assert cell_error("RecordsError", worded) == worded
    assert cell_error("ValueError", "bad") == "ValueError: bad"


def test_an_isoaudit_error_reads_in_the_process_language(monkeypatch):
    error = RecordsError("csv_not_utf8", file="a.csv")
    monkeypatch.setenv("ISOAUDIT_LANG", "en")
    assert str(error) == error.message("en")
    monkeypatch.delenv("ISOAUDIT_LANG")
    assert str(error) == error.message("vi")


def test_an_isoaudit_error_crosses_processes_with_its_parameters():
    import pickle

    error = pickle.loads(pickle.dumps(RecordsError("csv_not_utf8", file="a.csv")))
    assert type(error) is RecordsError and error.params == {"file": "a.csv"}


def test_a_notebook_shows_an_isoaudit_error_as_its_message(monkeypatch):
    monkeypatch.delenv("ISOAUDIT_LANG", raising=False)
    error = RecordsError("csv_not_utf8", file="a.csv")
    assert error._render_traceback_() == error.message("vi").splitlines()  # what IPython prints instead
