"""Best-of timings for the benchmarks: a baseline and the code measured against it are run in turn, round after
round, so that both see the same machine (this one's speed drifts by a tenth or more from minute to minute: timed
in blocks, the 200,000-row xlsx reading ratio went from 1.09 to 1.26 with the code unchanged)."""
from __future__ import annotations

import time


def best_of_each(*actions, repeat: int = 2) -> list[float]:
    """The best seconds of each of ``actions`` over ``repeat`` rounds, each round running them all in turn."""
    times = [[] for _ in actions]
    for _ in range(repeat):
        for action, spent in zip(actions, times):
            start = time.perf_counter()
            action()
            spent.append(time.perf_counter() - start)
    return [min(spent) for spent in times]


def best_of(work, repeat: int = 2) -> float:
    """The best seconds of ``repeat`` runs of ``work`` (a timing shown for the record, no ratio made of it)."""
    return best_of_each(work, repeat=repeat)[0]
