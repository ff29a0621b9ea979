"""``isoaudit batch FOLDER --out DIR``: every commune's audit and management-review reports, and the district page."""
from __future__ import annotations

import sys

from isoaudit.batch.run import run_batch
from isoaudit.errors import IsoauditError
from isoaudit.i18n import label
from isoaudit.safety import user_path


def register(subparsers):
    parser = subparsers.add_parser(
        "batch",
        help="lập báo cáo đánh giá nội bộ và xem xét của lãnh đạo cho mọi xã, phường và trang tổng hợp của huyện",
        description="Đọc và kiểm tra thư mục hồ sơ của huyện một lần, rồi chạy sổ tay đánh giá nội bộ và sổ tay xem xét "
        "của lãnh đạo cho từng đơn vị (song song), ghi báo cáo HTML, Word và trang tổng hợp DIR/index.html, "
        "DIR/summary.xlsx. Đơn vị lỗi được ghi lý do, các đơn vị khác vẫn chạy; mã thoát 1 khi có đơn vị lỗi. "
        "Chạy lại chỉ làm lại các đơn vị có hồ sơ, sổ tay hoặc tham số thay đổi (trừ khi có --force).",
    )
    parser.add_argument("folder", nargs="?", default="sample_records", type=user_path,
                        help="thư mục hồ sơ của huyện (mặc định: sample_records)")
    parser.add_argument("--out", default="reports", metavar="THƯ_MỤC", type=user_path, help="thư mục ghi báo cáo (mặc định: reports)")
    parser.add_argument("--jobs", type=int, default=None, metavar="N",
                        help="số tiến trình chạy song song (mặc định: số lõi CPU)")
    parser.add_argument("--units", nargs="+", metavar="MÃ", help="chỉ chạy các đơn vị này")
    parser.add_argument("--year", type=int, metavar="NĂM", help="năm được xem xét (mặc định: năm gần nhất có hồ sơ)")
    parser.add_argument("--force", action="store_true", help="làm lại mọi đơn vị, kể cả khi không có gì thay đổi")
    parser.add_argument("--executor", choices=["local", "dask"], default="local",
                        help="local: các tiến trình trên máy này; dask: gửi tới một cụm Dask có sẵn")
    parser.add_argument("--scheduler", metavar="ĐỊA_CHỈ", help="địa chỉ bộ điều phối Dask, ví dụ tcp://10.0.0.5:8786")
    parser.add_argument("--quiet", action="store_true", help="không hiện thanh tiến độ")
    parser.set_defaults(func=run)
    return parser


def run(args) -> int:
    lang = args.lang
    if args.executor == "dask" and not args.scheduler:
        raise IsoauditError("batch.scheduler_needed")
    batch = run_batch(args.folder, args.out, jobs=args.jobs, units=args.units, year=args.year, lang=lang,
                      force=args.force, executor=args.executor, scheduler=args.scheduler,
                      progress=not args.quiet)
    for result in batch.failed:
        print(label("batch.failed_unit", lang, unit=f"{result.unit_name} ({result.unit_code})", error=result.error),
              file=sys.stderr)
    done = sum(r.status == "done" for r in batch.results)
    unchanged = sum(r.status == "unchanged" for r in batch.results)
    print(label("batch.done", lang, done=done, unchanged=unchanged, failed=len(batch.failed), index=batch.index))
    return 1 if batch.failed else 0
