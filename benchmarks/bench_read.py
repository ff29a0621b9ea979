"""Reading speed of a large dossier log: read_dossier_log against a bare python-calamine parse.

    python benchmarks/bench_read.py [--rows 200000] [--memory-rows 1000000]

Prints the seconds of (1) a bare calamine parse of the file to Python rows, (2) read_dossier_log and
(3) pandas.read_excel(engine="openpyxl"), and the ratios to (1). Goal: read_dossier_log within 1.5x of (1).
With --memory-rows it also measures, in child processes, the peak memory of read_dossier_log on an xlsx and a
CSV log of that many rows, and of calamine loading the xlsx alone: calamine always loads a whole sheet, so
its own peak is the floor for xlsx (goal: under 1.5 GB for 1,000,000 rows). Generated logs are cached in
benchmarks/_data/.
"""
from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import python_calamine

from isoaudit.records import read_dossier_log
from isoaudit.synthetic import write_dossier_log

DATA = Path(__file__).parent / "_data"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--memory-rows", type=int, default=0)
    parser.add_argument("--skip-openpyxl", action="store_true", help="pandas+openpyxl takes minutes on big files")
    parser.add_argument("--measure-peak", help=argparse.SUPPRESS)
    parser.add_argument("--calamine-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure_peak:
        if args.calamine_only:
            python_calamine.CalamineWorkbook.from_path(args.measure_peak).get_sheet_by_index(0)
        else:
            read_dossier_log(args.measure_peak, problems=[])
        print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
        return

    path = generated_log(args.rows)
    bare = best_of(lambda: python_calamine.CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python())
    ours = best_of(lambda: read_dossier_log(path, problems=[]))
    print(f"rows: {args.rows:,}  file: {path.name}")
    print(f"bare calamine parse      {bare:8.2f} s")
    print(f"read_dossier_log         {ours:8.2f} s   ratio {ours / bare:5.2f}  (goal <= 1.5)")
    if not args.skip_openpyxl:
        slow = best_of(lambda: pd.read_excel(path, engine="openpyxl"), repeat=1)
        print(f"pandas.read_excel openpyxl {slow:6.2f} s   ratio {slow / bare:5.2f}")
    if args.memory_rows:
        rows = args.memory_rows
        for what, path, extra in (("calamine sheet load alone (xlsx floor)", generated_log(rows), ["--calamine-only"]),
                                  ("read_dossier_log, xlsx", generated_log(rows), []),
                                  ("read_dossier_log, csv", generated_log(rows, ".csv"), [])):
            out = subprocess.run([sys.executable, __file__, "--measure-peak", str(path), *extra], capture_output=True,
                                 text=True, check=True)
            peak_mb = float(out.stdout.strip().splitlines()[-1])
            print(f"peak memory, {rows:,} rows, {what:40s} {peak_mb:7,.0f} MB  (goal < 1,536 MB)")


def generated_log(rows: int, suffix: str = ".xlsx") -> Path:
    DATA.mkdir(exist_ok=True)
    path = DATA / f"dossiers_{rows}{suffix}"
    if not path.exists():
        print(f"generating {path} ...", flush=True)
        write_dossier_log(path, rows=rows, seed=7, layout="flat")
    return path


def best_of(work, repeat: int = 2) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return min(times)


if __name__ == "__main__":
    main()
