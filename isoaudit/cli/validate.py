"""``isoaudit validate FOLDER``: read a records folder and list every problem, grouped by file."""
from __future__ import annotations

from isoaudit.cli.textable import render_table
from isoaudit.i18n import label
from isoaudit.problems import ERROR, WARNING
from isoaudit.records import load_records
from isoaudit.safety import user_path


def register(subparsers):
    parser = subparsers.add_parser(
        "validate",
        help="kiểm tra thư mục hồ sơ và liệt kê mọi vấn đề",
        description="Đọc thư mục hồ sơ của huyện/xã và liệt kê mọi vấn đề theo từng tệp. "
        "Mã thoát 1 khi có lỗi, 0 khi chỉ còn cảnh báo.",
    )
    parser.add_argument("folder", type=user_path, help="thư mục hồ sơ (ví dụ: sample_records)")
    parser.add_argument("--strict", action="store_true", help="coi cảnh báo như lỗi (mã thoát 1)")
    parser.set_defaults(func=run)
    return parser


def run(args) -> int:
    lang = args.lang
    records = load_records(args.folder, lang=lang)
    table = records.problems_table(lang)
    print(label("validate.summary", lang, files=len(records.files), units=len(records.units),
                procedures=len(records.procedures), dossiers=len(records.dossiers),
                objectives=len(records.objectives)))
    if table.empty:
        print(label("validate.ok", lang))
        return 0
    for file, group in table.groupby("file", sort=True):
        print()
        print(label("validate.file_heading", lang, file=file))
        shown = group.assign(severity=group["severity"].map(lambda s: label(f"severity.{s}", lang)))
        headers = {k: label(f"records.{k}", lang) for k in ("row", "column", "message")}
        headers["severity"] = ""
        print(render_table(shown[["severity", "row", "column", "message"]], headers, max_width=200))
    errors = int((table["severity"] == ERROR).sum())
    warnings = int((table["severity"] == WARNING).sum())
    print()
    print(label("validate.counts", lang, errors=errors, warnings=warnings, excluded=len(records.excluded_dossiers)))
    return 1 if errors or (args.strict and warnings) else 0
