"""Reading speed and memory of large dossier logs, each against a baseline measured in the same run (#19 item 1).

    python benchmarks/bench_read.py [--rows 200000] [--csv-rows 1000000] [--memory-rows 1000000] [--repeat 5]
                                    [--memory-of csv|xlsx|both]

Prints, with each ratio to its baseline:
- xlsx, ``--rows`` rows: read_dossier_log (its body read by fastexcel too: ``records/fast_xlsx.py``) against
  polars ``read_excel`` (fastexcel: calamine straight to Arrow; fastexcel's own load to Arrow when polars is not
  installed). Goal <= 1.2x. A bare python-calamine parse to Python rows is shown too, for the record.
- CSV, ``--csv-rows`` rows: read_dossier_log against ``pandas.read_csv(engine="pyarrow")``. Goal <= 2x.
- with ``--memory-rows``: the peak memory (each in its own child process) of read_dossier_log on a CSV log of that
  many rows (goal < 1 GB) and on an xlsx log against polars ``read_excel`` of it (goal < 1.2x); ``--memory-of``
  measures only one of them (``--rows 0 --memory-of csv``: the CSV alone, no xlsx log written or read).
Times are the best of ``--repeat`` rounds (5: this machine's speed drifts by a tenth and more from minute to
minute, and the best of two or three rounds left each ratio a few hundredths to either side of its goal from run to
run), each running the baseline and ours in turn. Generated logs are cached in benchmarks/_data/ (a 1,000,000-row
xlsx takes minutes to write).
"""
from __future__ import annotations

import argparse
import resource
import subprocess
import sys
from pathlib import Path

import pandas as pd
import python_calamine
from timing import best_of_each

from isoaudit.records import fast_xlsx, read_dossier_log
from isoaudit.synthetic import write_dossier_log

DATA = Path(__file__).parent / "_data"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000, help="rows of the xlsx log timed")
    parser.add_argument("--csv-rows", type=int, default=1_000_000, help="rows of the CSV log timed")
    parser.add_argument("--memory-rows", type=int, default=0, help="rows of the logs whose peak memory is measured")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--memory-of", choices=("csv", "xlsx", "both"), default="both",
                        help="which logs' peak memory --memory-rows measures")
    parser.add_argument("--measure-peak", help=argparse.SUPPRESS)
    parser.add_argument("--baseline", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure_peak:
        path = Path(args.measure_peak)
        if args.baseline:
            (excel_baseline()[1] if path.suffix == ".xlsx" else csv_baseline)(path)
        else:
            read_dossier_log(path, problems=[])
        print(peak_of_this_process())
        return

    if args.rows:
        path = generated_log(args.rows)
        name, excel = excel_baseline()
        floor, bare, ours = best_of_each(
            lambda: excel(path),
            lambda: python_calamine.CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python(),
            lambda: read_dossier_log(path, problems=[]),
            repeat=args.repeat)
        print(f"xlsx, {args.rows:,} rows")
        print(f"  {name:40s} {floor:7.2f} s")
        print(f"  {'bare python-calamine parse':40s} {bare:7.2f} s   ratio {bare / floor:5.2f}")
        print(f"  {'read_dossier_log':40s} {ours:7.2f} s   ratio {ours / floor:5.2f}  (goal <= 1.2)"
              + ("" if fast_xlsx.available() else "  [fastexcel missing: read cell by cell]"))
    if args.csv_rows:
        path = generated_log(args.csv_rows, ".csv")
        floor, ours = best_of_each(lambda: csv_baseline(path), lambda: read_dossier_log(path, problems=[]),
                                   repeat=args.repeat)
        print(f"CSV, {args.csv_rows:,} rows")
        print(f"  {'pandas.read_csv(engine=pyarrow)':40s} {floor:7.2f} s")
        print(f"  {'read_dossier_log':40s} {ours:7.2f} s   ratio {ours / floor:5.2f}  (goal <= 2.0)")
    if args.memory_rows:
        rows = args.memory_rows
        print(f"peak memory, {rows:,} rows")
        if args.memory_of in ("csv", "both"):
            csv_peak = peak(generated_log(rows, ".csv"))
            print(f"  {'read_dossier_log, CSV':40s} {csv_peak:7,.0f} MB  (goal < 1,024 MB)")
        if args.memory_of in ("xlsx", "both"):
            xlsx = generated_log(rows)
            floor, ours = peak(xlsx, baseline=True), peak(xlsx)
            print(f"  {excel_baseline()[0] + ', xlsx':40s} {floor:7,.0f} MB")
            print(f"  {'read_dossier_log, xlsx':40s} {ours:7,.0f} MB   ratio {ours / floor:5.2f}  (goal < 1.2)")


def excel_baseline():
    """(name, reader) of the xlsx floor: polars read_excel, else fastexcel's load of the sheet to Arrow."""
    try:
        import polars
    except ImportError:
        import fastexcel
        return "fastexcel load_sheet to Arrow", lambda path: fastexcel.read_excel(path).load_sheet(0).to_arrow()
    return "polars.read_excel (fastexcel)", lambda path: polars.read_excel(path, engine="calamine")


def csv_baseline(path: Path):
    return pd.read_csv(path, engine="pyarrow")


def peak_of_this_process() -> float:
    """This process's peak resident memory (MB): VmHWM, which starts again at exec. ru_maxrss keeps the forking
    parent's (the benchmark's own, over a gigabyte after the timings) on Linux, so it serves only elsewhere."""
    try:
        with open("/proc/self/status") as status:
            line = next(line for line in status if line.startswith("VmHWM:"))
        return int(line.split()[1]) / 1024
    except (OSError, StopIteration):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def peak(path: Path, baseline: bool = False) -> float:
    """The peak resident memory (MB) of a child process reading ``path``."""
    command = [sys.executable, __file__, "--measure-peak", str(path), *(["--baseline"] if baseline else [])]
    out = subprocess.run(command, capture_output=True, text=True, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def generated_log(rows: int, suffix: str = ".xlsx") -> Path:
    DATA.mkdir(exist_ok=True)
    path = DATA / f"dossiers_{rows}{suffix}"
    if not path.exists():
        print(f"generating {path} ...", flush=True)
        write_dossier_log(path, rows=rows, seed=7, layout="flat")
    return path


if __name__ == "__main__":
    main()
