"""A small memo of a reader's answers: a province's thousand files ask the same questions again and again."""
from __future__ import annotations

from typing import Callable, Hashable, TypeVar

T = TypeVar("T")


def remembered(memo: dict, key: Hashable, compute: Callable[[], T], limit: int) -> T:
    """``compute()``, kept in ``memo`` under ``key`` for the next call. The memo is emptied when it holds ``limit``
    answers (a reader asks about a few of each kind), and a key that cannot be hashed is computed, not kept."""
    try:
        return memo[key]
    except KeyError:
        pass
    except TypeError:  # a cell or a column type that cannot key a dict
        return compute()
    value = compute()
    if len(memo) >= limit:
        memo.clear()
    memo[key] = value
    return value
