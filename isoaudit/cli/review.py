"""``isoaudit review FOLDER --unit CODE --year YYYY --out DIR``: the management review pack of one unit.

Writes into DIR a web page (the notebook executed by papermill, exported without code), a Word report in the
layout of an administrative report, and the executed notebook; leaves the decisions workbook for the chair
in ``FOLDER/reviews/`` unless one exists already (it is never replaced).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import isoaudit
from isoaudit.cli.timeliness import parse_date
from isoaudit.decisions import decisions_path, write_decisions_template
from isoaudit.errors import IsoauditError
from isoaudit.i18n import label, message
from isoaudit.notebook_run import execute_notebook
from isoaudit.outputs.review_docx import write_review_docx
from isoaudit.outputs.review_html import export_html
from isoaudit.records import load_records
from isoaudit.review import assemble_review
from isoaudit.safety import inside, safe_filename

NOTEBOOK = Path("notebooks", "management_review", "management_review.ipynb")


def register(subparsers):
    parser = subparsers.add_parser(
        "review",
        help="lập báo cáo xem xét của lãnh đạo (điều 9.3) cho một đơn vị: trang HTML và báo cáo Word",
        description="Tổng hợp các đầu vào xem xét của lãnh đạo (ISO 9001:2015 điều 9.3.2) của một đơn vị trong một năm "
        "từ thư mục hồ sơ; ghi trang HTML (đọc được trên điện thoại), báo cáo Word theo thể thức văn bản hành chính "
        "và tạo tệp quyết định để Chủ tịch ghi kết luận (reviews/<mã>_quyet_dinh_<năm>.xlsx, không ghi đè tệp đã có).",
    )
    parser.add_argument("folder", help="thư mục hồ sơ (ví dụ: sample_records)")
    parser.add_argument("--unit", required=True, metavar="MÃ", help="mã đơn vị được xem xét")
    parser.add_argument("--year", required=True, type=int, metavar="NĂM", help="năm được xem xét")
    parser.add_argument("--out", required=True, metavar="THƯ_MỤC", help="thư mục ghi báo cáo")
    parser.add_argument("--as-of", dest="as_of", metavar="NGÀY",
                        help="ngày chốt số liệu (dd/mm/yyyy; mặc định: cuối năm, hoặc hôm nay nếu sớm hơn)")
    parser.add_argument("--report-date", dest="report_date", metavar="NGÀY",
                        help="ngày ghi trên báo cáo Word (dd/mm/yyyy; mặc định: hôm nay)")
    parser.add_argument("--no-decisions-file", dest="decisions_file", action="store_false",
                        help="không tạo tệp quyết định trong thư mục hồ sơ")
    # For developers: another notebook rendering the same pack.
    parser.add_argument("--notebook", metavar="TỆP.ipynb", help=argparse.SUPPRESS)
    parser.set_defaults(func=run)
    return parser


def run(args) -> int:
    lang = args.lang
    as_of = parse_date(args.as_of, "--as-of")
    report_date = parse_date(args.report_date, "--report-date")
    notebook = Path(args.notebook) if args.notebook else default_notebook()
    if not notebook.is_file():
        raise IsoauditError("review.notebook_missing", path=str(notebook))
    records = load_records(args.folder, lang=lang)
    pack = assemble_review(records, args.unit, args.year, lang=lang, as_of=as_of)
    base = safe_filename(f"{pack.unit_code}_xem_xet_lanh_dao_{pack.year}", "xem_xet_lanh_dao")
    out = Path(args.out)

    decisions_note = None
    if args.decisions_file:
        decisions_note = _decisions_file(records, pack, lang)

    docx_path = write_review_docx(pack, inside(out, base + ".docx"), report_date, decisions_note)
    print(label("review.cli.written", lang, path=str(docx_path)))
    parameters = {"records": str(Path(args.folder).resolve()), "unit": pack.unit_code, "year": pack.year,
                  "lang": lang, "as_of": pack.parameters["as_of"]}
    executed = execute_notebook(notebook, out, parameters, name=base + ".ipynb")
    if not executed.ok:
        print(message("review.notebook_failed", lang, error=executed.error, notebook=str(executed.notebook)),
              file=sys.stderr)
        return 1
    html_path = export_html(executed.notebook, pack, inside(out, base + ".html"))
    print(label("review.cli.written", lang, path=str(html_path)))
    warnings = pack.warnings
    if warnings:
        print(label("review.cli.warnings", lang, count=len(warnings)))
        for key, warning in warnings:
            print(f"  [{pack.section(key).clause}] {warning}")
    return 0


def default_notebook() -> Path:
    """The review notebook of the repository isoaudit runs from (an editable install or a source tree)."""
    return Path(isoaudit.__file__).resolve().parents[1] / NOTEBOOK


def _decisions_file(records, pack, lang: str) -> str:
    """Leave the decisions workbook for the chair; an existing one (or decisions of this review already
    recorded under another name) is kept as it is. Returns the path to name in the report."""
    path = decisions_path(records.folder, pack.unit_code, pack.year)
    shown = str(path.relative_to(Path(records.folder).resolve()))
    recorded = records.decisions[(records.decisions["unit_code"] == pack.unit_code).fillna(False)
                                 & (records.decisions["year"] == pack.year).fillna(False)]
    if len(recorded) and not path.exists():
        files = ", ".join(sorted(set(recorded["source_file"].astype(str))))
        print(label("review.cli.decisions_recorded", lang, files=files))
        return files
    if write_decisions_template(path, pack.unit_code, pack.unit_name, pack.year, pack.proposals, lang):
        print(label("review.cli.decisions_written", lang, path=str(path)))
    else:
        print(label("review.cli.decisions_kept", lang, path=str(path)))
    return shown
