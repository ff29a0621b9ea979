"""Text from spreadsheets written back into workbooks and Word documents: control characters never break a
write, formulas never run."""
from __future__ import annotations

import os

import pandas as pd
from openpyxl import load_workbook

from isoaudit.outputs.xlsx import SheetSpec, write_workbook
from isoaudit.safety import atomic_write, neutralise_formula, xml_text

HOSTILE = ["Nộp\x01 hồ sơ", "dòng một\x0bdòng hai", "NUL\x00ở giữa", "\x1f=1+1", "=HYPERLINK(\"http://x\")", "\x1b[2J"]


def test_control_characters_are_dropped_and_a_soft_line_break_kept():
    assert xml_text("dòng một\x0bdòng hai") == "dòng một\ndòng hai"
    assert xml_text("Nộp\x01 hồ sơ\x00") == "Nộp hồ sơ"
    assert xml_text("tab\tand\nlines\r") == "tab\tand\nlines\r"  # what XML can carry stays


def test_a_workbook_of_hostile_text_writes_and_reads_back_without_a_live_formula(tmp_path):
    path = tmp_path / "out.xlsx"
    write_workbook(path, {"Sheet": SheetSpec(pd.DataFrame({"text": HOSTILE}), {"text": "Nội dung"})})
    cells = [row[0] for row in load_workbook(path).active.iter_rows(min_row=2, values_only=True)]
    assert cells == ["Nộp hồ sơ", "dòng một\ndòng hai", "NULở giữa", "'=1+1", "'=HYPERLINK(\"http://x\")", "[2J"]
    assert neutralise_formula(12.5) == 12.5


def test_a_write_is_on_the_disk_before_it_is_moved_into_place_unless_a_cache_does_without(tmp_path, monkeypatch):
    synced = []
    monkeypatch.setattr(os, "fsync", lambda fd: synced.append(fd))
    with atomic_write(tmp_path / "report.xlsx") as handle:
        handle.write(b"answers")
    with atomic_write(tmp_path / "entry.parquet", durable=False) as handle:
        handle.write(b"kept read")
    assert len(synced) == 1
    assert (tmp_path / "report.xlsx").read_bytes() == b"answers"
    assert (tmp_path / "entry.parquet").read_bytes() == b"kept read"
