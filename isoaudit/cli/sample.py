"""``isoaudit sample FOLDER ...``: draw a statistical sample of dossiers into a worksheet to fill in Excel;
``isoaudit sample-evaluate FILLED.xlsx``: check the filled worksheet, evaluate each check, raise findings."""
from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path

import pandas as pd

from isoaudit.calendar import records_calendar
from isoaudit.cli.textable import render_table
from isoaudit.dates import parse_date
from isoaudit.errors import IsoauditError
from isoaudit.i18n import format_percent, label
from isoaudit.problems import ERROR, WARNING
from isoaudit.records import load_records
from isoaudit.safety import user_path
from isoaudit.sampling.evaluation import evaluate_sample
from isoaudit.sampling.selection import (
    KEY_ITEM_STATUSES,
    STRATIFY_COLUMNS,
    SamplePlan,
    build_frame,
    new_seed,
    select_sample,
)
from isoaudit.sampling.sizes import rate_text
from isoaudit.timeliness import assess
from isoaudit.workbooks.sample_worksheet import (
    refuse_existing,
    write_sample_findings,
    write_sample_workbook,
)
from isoaudit.workbooks.sample_worksheet_read import load_filled_sample

_SHOWN = ["clause", "check", "n", "deviations", "upper_limit", "outcome", "key", "grade"]


def register(subparsers):
    parser = subparsers.add_parser(
        "sample",
        help="chọn mẫu thống kê hồ sơ và lập phiếu kiểm tra mẫu (Excel)",
        description="Chọn ngẫu nhiên (có hạt giống ghi lại) một mẫu hồ sơ của một đơn vị, cỡ mẫu theo độ tin cậy và "
        "tỷ lệ sai lệch chấp nhận được, rồi lập phiếu kiểm tra để người đánh giá điền bằng Excel. "
        "Tỷ lệ ghi dạng 0.05 hoặc 5%; ngày ghi dạng ngày/tháng/năm.",
    )
    parser.add_argument("folder", type=user_path, help="thư mục hồ sơ (ví dụ: sample_records)")
    parser.add_argument("--unit", required=True, metavar="MÃ", help="mã đơn vị được chọn mẫu")
    parser.add_argument("--confidence", type=_rate, default=0.95, metavar="TỶ_LỆ", help="độ tin cậy (mặc định 0.95)")
    parser.add_argument("--tolerable", type=_rate, default=0.05, metavar="TỶ_LỆ",
                        help="tỷ lệ sai lệch chấp nhận được (mặc định 0.05)")
    parser.add_argument("--expected", type=_rate, default=0.0, metavar="TỶ_LỆ",
                        help="tỷ lệ sai lệch dự kiến (mặc định 0)")
    parser.add_argument("--seed", type=int, metavar="SỐ",
                        help="hạt giống ngẫu nhiên (mặc định: tạo mới và ghi vào phiếu)")
    parser.add_argument("--from", dest="start", metavar="NGÀY",
                        help="hồ sơ tiếp nhận từ ngày (dd/mm/yyyy; mặc định: cả năm gần nhất có hồ sơ của đơn vị)")
    parser.add_argument("--to", dest="end", metavar="NGÀY", help="hồ sơ tiếp nhận đến ngày (dd/mm/yyyy)")
    parser.add_argument("--as-of", dest="as_of", metavar="NGÀY",
                        help="ngày xét hồ sơ chưa trả kết quả (dd/mm/yyyy; mặc định: hôm nay)")
    parser.add_argument("--stratify", choices=[*STRATIFY_COLUMNS, "none"], default="none",
                        help="phân tầng theo thủ tục (procedure) hoặc lĩnh vực (field); mặc định không")
    parser.add_argument("--key-items", dest="key_items", choices=[*KEY_ITEM_STATUSES, "none"], default="none",
                        help="kiểm tra toàn bộ hồ sơ quá hạn (overdue) hoặc trễ hạn (late), đánh giá riêng")
    parser.add_argument("--out", required=True, metavar="TỆP.xlsx", type=user_path, help="phiếu kiểm tra mẫu sẽ lập")
    parser.add_argument("--force", action="store_true", help="ghi đè tệp đã có (mất phần đã điền)")
    parser.set_defaults(func=run)

    evaluate = subparsers.add_parser(
        "sample-evaluate",
        help="kiểm tra phiếu kiểm tra mẫu đã điền, kết luận và lập phát hiện",
        description="Đọc phiếu kiểm tra mẫu đã điền, từ chối phiếu bị sửa hoặc điền thiếu (nêu từng ô), đánh giá "
        "từng nội dung kiểm tra theo giới hạn sai lệch trên, và ghi các phát hiện khi có --out.",
        conflict_handler="resolve",  # a --lang added later by the command list replaces the one below
    )
    evaluate.add_argument("filled", type=user_path, help="phiếu kiểm tra mẫu đã điền (.xlsx)")
    evaluate.add_argument("--out", metavar="TỆP.xlsx", type=user_path, help="ghi phát hiện và bảng đánh giá ra bảng tính")
    evaluate.add_argument("--audit-id", dest="audit_id", metavar="MÃ", help="mã cuộc đánh giá ghi vào phát hiện")
    evaluate.add_argument("--force", action="store_true", help="ghi đè tệp phát hiện đã có")
    # The command list gives --lang to the parser register returns; this second one needs its own.
    evaluate.add_argument("--lang", choices=["vi", "en"], default="vi",
                          help="ngôn ngữ của thông báo và báo cáo (mặc định: vi)")
    evaluate.set_defaults(func=run_evaluate)
    return parser


def run(args) -> int:
    """Draw the sample and write the worksheet."""
    lang, out = args.lang, Path(args.out)
    _check_xlsx(out)
    refuse_existing(out, args.force)  # before reading the records: no work lost to a refusal at the end
    start, end = parse_date(args.start, "--from"), parse_date(args.end, "--to")
    as_of = parse_date(args.as_of, "--as-of") or date.today()
    records = load_records(args.folder, lang=lang)
    unit = args.unit.strip()
    units = sorted(set(records.dossiers["unit_code"].dropna()))
    if unit not in units:
        raise IsoauditError("sampling.unknown_unit", unit=unit, units=", ".join(units) or "-")
    calendar = records_calendar(records)
    dossiers = records.dossiers[(records.dossiers["unit_code"] == unit).fillna(False).to_numpy(bool)]
    if start is None and end is None and dossiers["received_at"].notna().any():
        # An audit looks at one year: by default the latest year the unit received dossiers.
        year = int(dossiers["received_at"].dt.year.max())
        start, end = date(year, 1, 1), date(year, 12, 31)
    assessed = assess(dossiers.reset_index(drop=True), records.procedures, calendar, as_of=as_of)
    names = records.units.loc[records.units["unit_code"] == unit, "unit_name"].dropna()
    frame, description = build_frame(assessed, unit, start, end, unit_name=names.iloc[0] if len(names) else "",
                                     procedures=records.procedures)
    plan = SamplePlan(args.confidence, args.tolerable, args.expected,
                      args.seed if args.seed is not None else new_seed(),
                      None if args.stratify == "none" else args.stratify,
                      None if args.key_items == "none" else args.key_items)
    sample = select_sample(frame, description, plan)
    write_sample_workbook(out, sample, force=args.force, lang=lang)
    print(label("sampling.cli.written", lang, path=str(out), size=len(sample.statistical),
                population=sample.population, key_count=len(sample.key_items), seed=plan.seed))
    problems = records.problems
    errors = sum(p.severity == ERROR for p in problems)
    warnings = sum(p.severity == WARNING for p in problems)
    if errors or warnings:
        print(label("sampling.cli.records_problems", lang, errors=errors, warnings=warnings,
                    excluded=len(records.excluded_dossiers), folder=args.folder))
    return 0


def run_evaluate(args) -> int:
    """Check the filled worksheet (refused with every problem named), evaluate it, print and write."""
    lang = args.lang
    if args.out:
        _check_xlsx(Path(args.out))
        refuse_existing(Path(args.out), args.force)
    filled = load_filled_sample(args.filled)
    parameters = filled.parameters
    evaluation = evaluate_sample(filled.answers, parameters, lang, audit_id=args.audit_id)
    print(label("sampling.cli.evaluated", lang, file=filled.path.name, unit=parameters["unit_code"],
                confidence=rate_text(parameters["confidence"], lang),
                tolerable=rate_text(parameters["tolerable_rate"], lang), seed=parameters["seed"]))
    print()
    print(render_table(_shown(evaluation.results, lang),
                       {c: label(f"sampling.result.{c}", lang) for c in _SHOWN if c != "key"}
                       | {"key": label("sampling.result.key_deviations", lang)}, max_width=60))
    print()
    for number, row in enumerate(evaluation.results.itertuples(), start=1):
        print(f"{number}. [{row.clause}] {row.check}: {row.conclusion}")
    print()
    count = len(evaluation.findings)
    print(label("sampling.cli.findings_count", lang, count=count) if count else label("sampling.cli.no_findings", lang))
    if args.out:
        write_sample_findings(args.out, evaluation, force=args.force, lang=lang)
        print(label("sampling.cli.findings_written", lang, count=count, path=args.out))
    return 0


def _shown(results: pd.DataFrame, lang: str) -> pd.DataFrame:
    """The evaluation table for the terminal: rates as percentages, codes as words."""
    return pd.DataFrame({
        "clause": results["clause"],
        "check": results["check"],
        "n": results["n"],
        "deviations": results["deviations"],
        "upper_limit": results["upper_limit"].map(lambda r: format_percent(r, lang, digits=2)),
        "outcome": results["outcome"].map(lambda o: label(f"sampling.outcome.{o}", lang)),
        "key": [f"{k}/{n}" if n else "" for k, n in zip(results["key_deviations"], results["key_n"])],
        "grade": results["grade"].map(lambda g: label(f"sampling.grade.{g}", lang), na_action="ignore"),
    })


def _rate(text: str) -> float:
    """A rate typed as 0.05, 0,05 or 5%: a fraction 0..1 (range checked by isoaudit.sampling.sizes)."""
    cleaned = text.strip().replace(",", ".")
    try:
        return float(cleaned[:-1]) / 100 if cleaned.endswith("%") else float(cleaned)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}': cần một tỷ lệ như 0.05 hoặc 5%") from None


def _check_xlsx(path: Path) -> None:
    if path.suffix.lower() != ".xlsx":
        raise IsoauditError("sampling.bad_output", path=str(path))
