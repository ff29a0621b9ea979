"""Batch speed: seconds per unit against the floor, papermill executing an empty notebook with the same kernel.

    python benchmarks/bench_batch.py [--copies 2] [--scale 0.1]

Each unit runs two notebooks (audit and review), so the floor per unit is two empty-notebook executions,
measured in the same run. Goals: a unit costs at most 2x its floor, and 2 jobs run at least 1.6x faster than 1.
Both runs are whole batches as a user starts them: reading the records, every unit, the province's pages; each
is repeated, 1 and 2 jobs in turn, and the fastest run of each counts (a shared machine's load varies a lot
between runs).

The province is the synthetic sample written to a temporary folder, twice over by default (24 communes and wards
at the year's end, with the units merged into them on 1/7/2025 as their history) at a tenth of their dossiers.
A unit is one the batch ran: the units merged away are rows of the registry, not units of the batch. With few
units the speed-up of 2 jobs is bounded by how the units split between the two lanes.
"""
from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import nbformat
from timing import best_of, best_of_each

from isoaudit.batch.notebook_run import execute_notebook
from isoaudit.batch.run import run_batch
from isoaudit.synthetic import make_sample


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=2,
                        help="copies of the sample province (its communes and their reform history)")
    parser.add_argument("--scale", type=float, default=0.1, help="share of the sample's dossiers per commune")
    parser.add_argument("--repeat", type=int, default=2, help="runs of each batch; the fastest counts")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="isoaudit-bench-") as folder:
        folder = Path(folder)
        make_sample(folder / "records", scale=args.scale, copies=args.copies)
        empty = folder / "empty.ipynb"
        nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("pass")]), str(empty))
        execute_notebook(empty, folder / "warm", {})  # the first kernel start pays for cold disk caches
        floor = best_of(lambda: execute_notebook(empty, folder / "floor", {}), 3) * 2
        # Every run redoes every unit (force); 1 and 2 jobs in alternating rounds (``timing``), the fastest of
        # each counting, as the floor's does.
        batches = []
        one, two = best_of_each(
            lambda: batches.append(run_batch(folder / "records", folder / "out1", jobs=1, force=True, progress=False)),
            lambda: batches.append(run_batch(folder / "records", folder / "out2", jobs=2, force=True, progress=False)),
            repeat=args.repeat)
    # The units the batch ran (the communes and wards at the year's end), not every row of the registry: the
    # sample's reform history holds the units merged away too, which are history in their successors' reports.
    units = len(batches[0].results)
    failed = sorted({result.unit_code for batch in batches for result in batch.failed})
    if failed:
        raise SystemExit(f"units failed, the timings would not count them: {', '.join(failed)}")
    per_unit = one / units
    print(f"units: {units} (communes and wards at the year's end)")
    print(f"floor per unit (2 empty notebooks)  {floor:6.2f} s")
    print(f"batch, 1 job, whole run             {one:6.2f} s")
    print(f"batch, 1 job, per unit              {per_unit:6.2f} s   ratio to floor {per_unit / floor:5.2f}"
          "  (goal <= 2)")
    print(f"batch, 2 jobs, whole run            {two:6.2f} s   speed-up vs 1 job {one / two:5.2f}  (goal >= 1.6)")



if __name__ == "__main__":
    main()
