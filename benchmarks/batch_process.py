"""One batch in a process of its own, started as a user's ``isoaudit batch`` starts (for ``bench_province.py``).

    python benchmarks/batch_process.py FOLDER OUT JOBS [--force]

This process imports what the command imports to run a batch (``isoaudit.batch.run``), and nothing of the
benchmark: a process started by ``multiprocessing`` imports the benchmark's own module again, with nbformat's
schema checker and the province's generator, 3 seconds of every run that a user's batch never pays. Its readers
start as the command's do (this Python's default way). When the batch is done it prints one line,
``RESULT <json>``: its steps, the units' statuses, and the seconds and codes of the units done.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

RESULT = "RESULT "


def main(argv: list[str]) -> None:
    from isoaudit.batch.run import run_batch

    folder, out, jobs = Path(argv[0]), Path(argv[1]), int(argv[2])
    batch = run_batch(folder, out, jobs=jobs, force="--force" in argv[3:], progress=False)
    done = [r for r in batch.results if r.status == "done"]
    outcome = {"phases": batch.phases, "statuses": [r.status for r in batch.results],
               "seconds": [r.seconds for r in done], "codes": [r.unit_code for r in done]}
    print(RESULT + json.dumps(outcome), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
