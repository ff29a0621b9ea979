"""``isoaudit make-sample``: write the sample district's records folder, or one large log for benchmarks.

    isoaudit make-sample --out sample_records [--seed 2025] [--year 2025]
    isoaudit make-sample --rows 1000000 --out big.csv [--layout flat|official]
"""
from __future__ import annotations

import time

from isoaudit.i18n import message
from isoaudit.safety import user_path
from isoaudit.synthetic import make_sample, write_dossier_log


def register(subparsers):
    parser = subparsers.add_parser(
        "make-sample",
        help="tạo bộ hồ sơ mẫu của một thị xã giả định, hoặc một sổ hồ sơ lớn để đo hiệu năng",
        description="Tạo thư mục hồ sơ mẫu (đơn vị, danh mục TTHC, lịch, sổ theo dõi hồ sơ của từng xã, phường, "
        "mục tiêu chất lượng) với một số lỗi cài sẵn được liệt kê trong README.md. Với --rows: ghi một tệp "
        "sổ hồ sơ lớn (.xlsx hoặc .csv). Cùng --seed thì cùng nội dung.",
    )
    parser.add_argument("--out", required=True, type=user_path,
                        help="thư mục kết quả (bộ hồ sơ mẫu) hoặc tệp .xlsx/.csv (khi có --rows)")
    parser.add_argument("--seed", type=int, default=2025, help="hạt giống ngẫu nhiên (mặc định: 2025)")
    parser.add_argument("--year", type=int, default=2025, help="năm của sổ hồ sơ (mặc định: 2025)")
    parser.add_argument("--rows", type=int, default=None, help="số hồ sơ của một tệp sổ lớn để đo hiệu năng")
    parser.add_argument("--layout", choices=["flat", "official"], default="flat",
                        help="với --rows: tệp xuất phần mềm (flat, cả thị xã) hay sổ theo dõi theo mẫu (official)")
    parser.set_defaults(func=run)
    return parser


def run(args) -> int:
    lang = getattr(args, "lang", "vi")
    started = time.perf_counter()
    if args.rows is not None:
        path = write_dossier_log(args.out, args.rows, seed=args.seed, layout=args.layout, year=args.year)
        print(message("synthetic.log_written", lang, rows=args.rows, file=str(path),
                      seconds=f"{time.perf_counter() - started:.1f}"))
        return 0
    summary = make_sample(args.out, seed=args.seed, year=args.year)
    print(message("synthetic.sample_written", lang, folder=str(summary.folder), files=len(summary.files),
                  dossiers=summary.dossier_count, planted=len(summary.planted)))
    return 0
