"""Batch speed: seconds per unit against the floor, papermill executing an empty notebook with the same kernel.

    python benchmarks/bench_batch.py [--units 4]

Each unit runs two notebooks (audit and review), so the floor per unit is two empty-notebook executions,
measured in the same run. Goals: a unit costs at most 2x its floor, and 2 jobs run at least 1.6x faster than 1.
The district is the synthetic sample at a tenth of its size, written to a temporary folder.
"""
from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import nbformat

from isoaudit.batch import run_batch
from isoaudit.notebook_run import execute_notebook
from isoaudit.synthetic import make_sample


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=4, help="how many communes to run")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="isoaudit-bench-") as folder:
        folder = Path(folder)
        make_sample(folder / "records", scale=0.1)
        empty = folder / "empty.ipynb"
        nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("pass")]), str(empty))
        execute_notebook(empty, folder / "warm", {})  # the first kernel start pays for cold disk caches
        floor = _best(lambda: execute_notebook(empty, folder / "floor", {}), 3) * 2
        from isoaudit.records import load_records

        codes = load_records(folder / "records").units.query("level in ['commune', 'ward']")["unit_code"]
        codes = codes.tolist()[: args.units]
        one = _timed(lambda: run_batch(folder / "records", folder / "out1", units=codes, jobs=1, progress=False))
        two = _timed(lambda: run_batch(folder / "records", folder / "out2", units=codes, jobs=2, progress=False))
    per_unit = one / len(codes)
    print(f"units: {len(codes)}")
    print(f"floor per unit (2 empty notebooks)  {floor:6.2f} s")
    print(f"batch, 1 job, per unit              {per_unit:6.2f} s   ratio to floor {per_unit / floor:5.2f}  (goal <= 2)")
    print(f"batch, 2 jobs, whole run            {two:6.2f} s   speed-up vs 1 job {one / two:5.2f}  (goal >= 1.6)")


def _timed(work) -> float:
    start = time.perf_counter()
    work()
    return time.perf_counter() - start


def _best(work, repeat: int) -> float:
    return min(_timed(work) for _ in range(repeat))


if __name__ == "__main__":
    main()
