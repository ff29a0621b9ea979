"""A whole province through the batch: 150 communes, about 1,000,000 dossiers over two years (issue #19).

    python benchmarks/bench_province.py [--communes 150] [--dossiers 1000000] [--jobs 1,2] [--rounds 2]
                                        [--skip-one-job]
    python benchmarks/bench_province.py --communes 20 --dossiers 100000 --rounds 1   # a quick check, minutes

The province is built once by ``province_build.py`` (CSV logs, under a minute) and cached in
``benchmarks/_data/``. Each run is a whole batch as a user starts it (``run_batch``, ``--force``): reading the
records, every unit's two notebooks, the province's pages. Prints, per number of jobs: the whole wall time and
its steps (read, cache, fingerprints, units, roll-up), the peak resident memory of the main process, of each
reader and kernel and of the whole process tree at once (sampled with psutil every ``SAMPLE_SECONDS``: the sum
of RSS, as the issue measured it, counts shared libraries and pages once per process; the sum of PSS counts
them once, and is printed beside it); then the cost of a unit against the cold floor (papermill executing an
empty notebook with the same kernel, twice: a unit runs two notebooks; measured just before each run, as this
machine's speed wanders within minutes), counted as the issue counted its 6.4 s:
the units' step (in core seconds) over the units, the whole run's share printed beside it; the speed-up of 2 jobs
over 1 (the fastest runs, and round by round), beside the machine's own ceiling for it: the same units' notebook
work in two plain processes side by side against one (``unit_work.py``; a virtual machine's two cores seldom
double this work); and a rerun after one commune's dossier log changed (only that commune should be redone).
Last, every figure against its goal in the issue.

Each batch runs in a process of its own, started afresh as a user's ``isoaudit batch`` is (``batch_process.py``,
which imports what the command imports and nothing of the benchmark): its readers are forked from a process that
holds only that batch, and its memory is measured alone (the benchmark's own process, which
ran the floor, is left out). The runs read a copy of the cached province made of hard links, in which the changed
log is a new file: the cache itself is never modified. Each number of jobs runs ``--rounds`` times, in turn (1 job,
2 jobs, 1 job, 2 jobs): this machine's speed wanders by a tenth from minute to minute, and the fastest run of each
counts for the times, as the floor's best of three does; memory counts the largest peak of every run.
``--skip-one-job`` leaves out the 1-job run (5 minutes at full size): the cost per unit is then the 2-job run's
core time per unit, and no speed-up is printed.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import psutil
from batch_process import RESULT
from province_build import DATA, province_records
from timing import best_of
from unit_work import scaling

from isoaudit.batch.notebook_run import execute_notebook

YEAR = 2025  # the province's last year: the batch's
SAMPLE_SECONDS = 0.25
# The sampler shares the machine with the batch: in a 2-job run it takes from the batch's cores what it uses,
# in a 1-job run it has the idle core. Listing the tree walks /proc and reading a PSS walks every page table
# (33 ms for a batch's 3 processes): done every second, they took 3.7 % of a core, 2 % of a 2-job run.
TREE_EVERY = 4  # samples: a new process (a reader, a kernel) is seen within a second, its memory grows slower
PSS_EVERY = 20  # samples: every 5 seconds; PSS is printed beside the RSS the goal counts
GOALS = {  # issue #19 item 2
    "whole": 300.0,  # seconds for the whole province with 2 jobs on 2 cores
    "per_unit": 1.5,  # a unit's cost, as a multiple of the cold floor
    "memory": 2.0,  # GB, peak of the whole process tree
    "speed_up": 1.8,  # 2 jobs against 1
    "rerun": 60.0,  # seconds, a rerun after one commune's file changed
}


@dataclass
class Run:
    """One batch run: its wall time, steps, units by status and memory peaks (bytes)."""

    jobs: int
    wall: float = 0.0
    phases: dict = field(default_factory=dict)
    statuses: dict = field(default_factory=dict)
    unit_seconds: list = field(default_factory=list)
    done_units: list = field(default_factory=list)  # the codes of the units done, in the batch's order
    floor: float = 0.0  # the cold floor measured just before the run (seconds)
    peaks: dict = field(default_factory=dict)  # "main", "reader <pid>", "kernel <pid>" -> peak RSS
    tree_peak: int = 0  # the largest sum of the tree's RSS at one instant
    tree_pss_peak: int = 0  # the same with shared pages counted once (PSS), sampled less often


def main() -> None:
    args = _arguments()
    records = province_records(args.communes, args.dossiers, YEAR, rebuild=args.rebuild)
    jobs = [int(j) for j in args.jobs.split(",") if not (args.skip_one_job and int(j) == 1)]
    with tempfile.TemporaryDirectory(prefix=".bench-province-", dir=DATA) as work:
        work = Path(work)
        folder = linked_copy(records, work / "records")
        every: dict[int, list[Run]] = {n: [] for n in jobs}
        for round_ in range(args.rounds):  # the numbers of jobs in turn: a slow spell of the machine hits each alike
            for n in jobs:
                # The floor just before each run: the machine's speed of another minute would be in the ratio.
                floor = cold_floor(work)
                # A new output folder each time: a run into an earlier one would take its files' reads from there.
                every[n].append(measured(folder, work / f"out{n}-{round_}", n, force=True, floor=floor))
                report(every[n][-1])
        last = max(jobs)
        ceiling = None
        if args.ceiling_units >= 2 and 1 in jobs and len(jobs) > 1:
            ceiling = machine_ceiling(work / f"out{last}-{args.rounds - 1}", every[last][-1].done_units, folder,
                                      args.ceiling_units, work)
        changed = change_one_log(folder)
        rerun = measured(folder, work / f"out{last}-{args.rounds - 1}", last, force=False)
        print(f"rerun after {changed} changed:", flush=True)
        report(rerun)
    summary({n: fastest(runs) for n, runs in every.items()}, rerun,
            [run for runs in every.values() for run in runs], args.rounds, ceiling)


def fastest(runs: list[Run]) -> Run:
    """The run of least wall time: the machine's load only ever adds to a run's time (as the floor's best of three)."""
    return min(runs, key=lambda run: run.wall)


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--communes", type=int, default=150, help="communes and wards at the year's end")
    parser.add_argument("--dossiers", type=int, default=1_000_000, help="dossiers over the two years")
    parser.add_argument("--jobs", default="1,2", help="numbers of jobs to run the batch with, comma-separated")
    parser.add_argument("--skip-one-job", action="store_true", help="leave out the 1-job run (the slowest)")
    parser.add_argument("--rounds", type=int, default=2,
                        help="runs of each number of jobs, in turn; the fastest of each counts (default 2)")
    parser.add_argument("--rebuild", action="store_true", help="build the province again even if cached")
    parser.add_argument("--ceiling-units", type=int, default=12,
                        help="units whose notebooks' work is timed in 1 process and in 2 side by side, the "
                             "machine's own ceiling for the speed-up (default 12; 0: not measured)")
    return parser.parse_args()


def linked_copy(source: Path, target: Path) -> Path:
    """``source`` copied as hard links (instant, no disk): a file replaced in the copy leaves the source as is."""
    shutil.copytree(source, target, copy_function=os.link)
    return target


def cold_floor(work: Path) -> float:
    """Two executions of an empty notebook by papermill, each starting its kernel (the best of three)."""
    empty = work / "empty.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("pass")]), str(empty))
    execute_notebook(empty, work / "warm", {})  # the first kernel start pays for cold disk caches
    return 2 * best_of(lambda: execute_notebook(empty, work / "floor", {}), 3)


def machine_ceiling(out: Path, codes: list[str], records: Path, count: int, work: Path) -> float | None:
    """The machine's own 2-core scaling for what a unit costs (``unit_work``): ``count`` of the units ``codes``
    that the batch run into ``out`` did, spread over the province, in one process against two side by side, from
    that run's records cache."""
    codes = sorted(codes)
    step = max(1, len(codes) // count)
    units = codes[::step][:count - count % 2]
    try:
        alone, pair = scaling(out / "_cache", records, YEAR, units, work / "ceiling")
    except Exception as error:  # noqa: BLE001 - the ceiling is for the record; the province's figures go on
        print(f"the machine's own scaling: not measured ({type(error).__name__}: {error})", flush=True)
        return None
    print(f"the machine's own scaling, {len(units)} units' notebook work (no kernel, no batch): 1 process "
          f"{alone:.1f} s, 2 side by side {pair:.1f} s: {alone / pair:.2f}x", flush=True)
    return alone / pair


def measured(folder: Path, out: Path, jobs: int, force: bool, floor: float = 0.0) -> Run:
    """A batch of ``folder`` into ``out`` run in a new process started as a user's command starts
    (``batch_process.py``: nothing of this one in it), while the memory of that process and all its descendants
    is sampled. Its wall time counts its start and imports, up to the line that says the batch is done;
    ``floor``: the cold floor measured just before it, kept with the run."""
    run = Run(jobs, floor=floor)
    command = [sys.executable, str(Path(__file__).with_name("batch_process.py")), str(folder), str(out), str(jobs),
               *(["--force"] if force else [])]
    stop = threading.Event()
    started = time.perf_counter()
    batch = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, encoding="utf-8")
    sampler = threading.Thread(target=_sample_tree, args=(run, batch.pid, stop), daemon=True)
    sampler.start()
    try:
        outcome = None
        for line in batch.stdout:  # printed as the batch ends: a batch that died ends the output without it
            if line.startswith(RESULT):
                run.wall = time.perf_counter() - started
                outcome = json.loads(line[len(RESULT):])
        code = batch.wait()
    finally:
        stop.set()
        sampler.join()
    if outcome is None:
        raise RuntimeError(f"the batch of {folder} with {jobs} job(s) ended without its result (exit code {code})")
    run.phases, run.unit_seconds, run.done_units = outcome["phases"], outcome["seconds"], outcome["codes"]
    for status in outcome["statuses"]:
        run.statuses[status] = run.statuses.get(status, 0) + 1
    return run


def _sample_tree(run: Run, pid: int, stop: threading.Event) -> None:
    """Peak RSS by process (named by its role) of the batch process ``pid`` and its descendants, and of that whole
    tree at one instant, until ``stop``; the tree is listed again every ``TREE_EVERY`` samples and its PSS summed
    every ``PSS_EVERY``, so that the sampler takes little of the cores the batch runs on."""
    try:
        main = psutil.Process(pid)
    except psutil.Error:  # it ended already
        return
    roles: dict[int, str] = {pid: "main"}
    tree = [main]
    count = 0
    while not stop.wait(SAMPLE_SECONDS):
        total = pss = 0
        if count % TREE_EVERY == 0:
            try:
                tree = [main, *main.children(recursive=True)]
            except psutil.Error:  # the batch process ended
                break
        with_pss = count % PSS_EVERY == 0
        count += 1
        for process in tree:
            try:
                rss = process.memory_info().rss
                if process.pid not in roles:  # its command line read once, not at every sample
                    roles[process.pid] = f"{_role(process)} {process.pid}"
                pss += process.memory_full_info().pss if with_pss else 0
            except psutil.Error:  # ended since the listing
                continue
            total += rss
            role = roles[process.pid]
            run.peaks[role] = max(run.peaks.get(role, 0), rss)
        run.tree_peak = max(run.tree_peak, total)
        run.tree_pss_peak = max(run.tree_pss_peak, pss)


def _role(process: psutil.Process) -> str:
    """A kernel runs ipykernel; any other descendant is one of the batch's readers."""
    return "kernel" if any("ipykernel" in part for part in process.cmdline()) else "reader"


def change_one_log(folder: Path) -> str:
    """Drop the last dossier of the last commune's log of the latest year, as a new file (the hard link to
    the cache is broken, not written through). Returns the file's name."""
    path = max((folder / "dossiers").glob("*.csv"), key=lambda p: (p.stem[-4:], p.name))
    lines = path.read_bytes().rstrip(b"\r\n").split(b"\r\n")
    path.unlink()
    path.write_bytes(b"\r\n".join(lines[:-1]) + b"\r\n")
    return path.name


def report(run: Run) -> None:
    """The run's wall time, steps, units and memory peaks."""
    steps = ", ".join(f"{name} {seconds:.1f}" for name, seconds in run.phases.items())
    units = ", ".join(f"{count} {status}" for status, count in run.statuses.items())
    floor = f"   floor just before: {run.floor:.2f} s" if run.floor else ""
    print(f"batch, {run.jobs} job(s): whole run {run.wall:7.1f} s   ({steps} s)   units: {units}{floor}")
    if run.unit_seconds:
        seconds = sorted(run.unit_seconds)
        print(f"  unit seconds (in its lane): median {seconds[len(seconds) // 2]:.2f}, max {seconds[-1]:.2f}")
    peaks = ", ".join(f"{role} {size / 1e9:.2f}" for role, size in sorted(run.peaks.items()))
    print(f"  peak RSS GB: {peaks}; whole tree {run.tree_peak / 1e9:.2f} (PSS, shared pages once: "
          f"{run.tree_pss_peak / 1e9:.2f})", flush=True)


def summary(runs: dict[int, Run], rerun: Run, every: list[Run], rounds: int,
            ceiling: float | None = None) -> None:
    """Every figure against its goal (issue #19 item 2): times from the fastest run of each number of jobs
    (``runs``), memory from the largest of all runs (``every`` and the rerun); beside the speed-up, the
    machine's own scaling of a unit's work (``ceiling``), which no batch can pass."""
    last = runs[max(runs)]
    units = sum(last.statuses.values())
    basis = runs.get(1, last)
    floor = basis.floor  # measured just before that run
    # A unit's cost as the issue measured it (its 6.4 s: the units' step, 488 s with 2 jobs, over 153 units): the
    # step in which the units run, in core seconds per unit with more than one job. The whole run per unit, reading
    # and roll-up included, is printed beside it, for the record.
    per_unit = basis.phases.get("units", basis.wall) * basis.jobs / units
    whole_per_unit = basis.wall * basis.jobs / units
    print()
    print(f"province: {units} units, read {last.phases.get('read', 0):.1f} s; times: the fastest of {rounds} run(s) "
          f"of each number of jobs ({', '.join(f'{n} job(s) {run.wall:.1f} s' for n, run in sorted(runs.items()))})")
    _goal(f"whole province, {last.jobs} job(s)", f"{last.wall:7.1f} s", last.wall <= GOALS["whole"],
          f"<= {GOALS['whole']:.0f} s")
    _goal(f"per unit ({basis.jobs} job(s), {per_unit:.2f} s), to floor {floor:.2f} s", f"{per_unit / floor:7.2f}",
          per_unit / floor <= GOALS["per_unit"], f"<= {GOALS['per_unit']}")
    print(f"{'  the whole run per unit (reading, roll-up)':<48} {whole_per_unit / floor:>10.2f}   "
          f"({whole_per_unit:.2f} s; no goal of its own)")
    memory = max(run.tree_peak for run in [*every, rerun]) / 1e9
    _goal("peak memory of the process tree (sum of RSS)", f"{memory:7.2f} GB", memory <= GOALS["memory"],
          f"<= {GOALS['memory']} GB")
    shared_once = max(run.tree_pss_peak for run in [*every, rerun]) / 1e9
    _goal("  the same, shared pages counted once (PSS)", f"{shared_once:7.2f} GB", shared_once <= GOALS["memory"],
          f"<= {GOALS['memory']} GB")
    if 1 in runs and len(runs) > 1:
        speed_up = runs[1].wall / last.wall
        # Three decimals: a speed-up of 1.796 printed as 1.80 beside "NOT MET" reads as a contradiction.
        _goal(f"{last.jobs} jobs against 1, speed-up", f"{speed_up:7.3f}", speed_up >= GOALS["speed_up"],
              f">= {GOALS['speed_up']}")
        pairs = [one.wall / many.wall for one, many in zip(every_of(every, 1), every_of(every, last.jobs))]
        print(f"{'  round by round':<48} {', '.join(f'{ratio:.3f}' for ratio in pairs):>10}")
        if ceiling is not None:
            print(f"{'  the machine, notebook work: 2 processes vs 1':<48} {ceiling:>10.2f}   "
                  f"(its ceiling; no goal of its own)")
    redone = rerun.statuses.get("done", 0) + rerun.statuses.get("failed", 0)
    _goal(f"rerun after one change ({redone} unit(s) redone)", f"{rerun.wall:7.1f} s",
          rerun.wall < GOALS["rerun"] and redone == 1, f"< {GOALS['rerun']:.0f} s, 1 unit")


def every_of(runs: list[Run], jobs: int) -> list[Run]:
    """The runs with ``jobs`` jobs, in the order they ran."""
    return [run for run in runs if run.jobs == jobs]


def _goal(what: str, value: str, met: bool, goal: str) -> None:
    print(f"{what:<48} {value:>10}   goal {goal:<14} {'met' if met else 'NOT MET'}")


if __name__ == "__main__":
    main()
