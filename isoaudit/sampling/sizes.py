"""Attribute sampling for tests of controls: how many dossiers to check, and what the deviations found mean.

Rates are fractions 0..1. ``confidence`` is the one-sided confidence level (0.95 for 95 %), ``tolerable_rate``
the deviation rate the auditor can accept in the population (TDR), ``expected_rate`` the rate expected
(EDR). Without ``population`` the binomial model (a large population) is used, as in the AICPA tables;
with it, the hypergeometric model of a finite population of ``population`` dossiers, which needs fewer.

- Sample size: the smallest n such that, with k = ceil(n * EDR) deviations found, the chance of finding at
  most k deviations when the population's rate is the tolerable one is at most 1 - confidence. Finite
  population: X ~ Hypergeometric(N, M = floor(TDR * N), n), and never more than N.
- Upper deviation limit of k deviations in n: Clopper-Pearson ``beta.ppf(confidence, k + 1, n - k)``;
  finite population: the largest M/N for which P(X <= k) is still above 1 - confidence.
- The control can be relied on when the upper limit is at or below the tolerable rate.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from isoaudit.errors import IsoauditError
from isoaudit.i18n import format_percent, label

MAX_SAMPLE_SIZE = 100_000  # beyond this a "sample" is no longer practical: the rates asked for are too close
OUTCOMES = ("reliable", "not_reliable", "insufficient", "no_items")
_CHUNK = 4_096  # candidate sample sizes evaluated at once
_EPS = 1e-9  # rates typed as decimals (0.07 * 100 = 7.000000000000001) must not round up a whole deviation


def _stats():
    """scipy.stats, imported when a size or a limit is first worked out: importing it costs 60 MB, and a
    province's batch imports this module in a process (and its reader processes) that may never sample."""
    from scipy import stats

    return stats


def attribute_sample_size(confidence: float, tolerable_rate: float, expected_rate: float = 0.0,
                          population: int | None = None) -> int:
    """The smallest sample size (dossiers) for these rates; binomial, or hypergeometric for ``population``.

    Raises ``IsoauditError`` (``sampling.*`` codes) for rates out of range or an impractical size.
    """
    _check_rates(confidence, tolerable_rate, expected_rate)
    alpha = 1.0 - confidence
    if population is None:
        return _first_size(lambda n: _stats().binom.cdf(expected_deviations(n, expected_rate), n, tolerable_rate),
                           alpha, MAX_SAMPLE_SIZE, confidence, tolerable_rate, expected_rate)
    population = _check_population(population)
    tolerable_count = int(np.floor(tolerable_rate * population + _EPS))
    found = _first_size(
        lambda n: _stats().hypergeom.cdf(expected_deviations(n, expected_rate), population, tolerable_count, n),
        alpha, population, confidence, tolerable_rate, expected_rate, required=False)
    # No size below N does it (fewer than one tolerable deviation in the population): check every dossier.
    return population if found is None else found


def expected_deviations(n, expected_rate: float):
    """Deviations expected in a sample of ``n`` (scalar or array): ceil(n * expected_rate)."""
    return np.ceil(np.asarray(n) * expected_rate - _EPS).astype(np.int64)


def upper_deviation_limit(n: int, deviations: int, confidence: float, population: int | None = None) -> float:
    """One-sided upper limit (0..1) of the population's deviation rate after ``deviations`` in ``n``.

    Binomial: Clopper-Pearson. Finite ``population``: the largest M/N with P(X <= k) > 1 - confidence.
    No dossier checked (n = 0) proves nothing: the limit is 1.
    """
    n, deviations = int(n), int(deviations)
    if not 0 <= deviations <= n:
        raise IsoauditError("sampling.bad_deviations", n=n, deviations=deviations)
    if not 0.0 < confidence < 1.0:
        raise IsoauditError("sampling.bad_confidence", value=confidence)
    if n == 0:
        return 1.0
    if population is None:
        return 1.0 if deviations == n else float(_stats().beta.ppf(confidence, deviations + 1, n - deviations))
    population = _check_population(population)
    if n > population:
        raise IsoauditError("sampling.sample_above_population", n=n, population=population)
    counts = np.arange(population + 1)
    still_likely = _stats().hypergeom.cdf(deviations, population, counts, n) > 1.0 - confidence
    # P(X <= k) falls as M grows: the last M still likely is the limit.
    return float(counts[still_likely].max() / population)


@dataclass(frozen=True)
class ControlEvaluation:
    """What ``deviations`` found in ``n`` dossiers say about a control, at ``confidence``."""

    n: int
    deviations: int
    confidence: float
    tolerable_rate: float
    upper_limit: float
    population: int | None = None

    @property
    def deviation_rate(self) -> float:
        """Deviations in the sample / n (NaN when nothing was checked)."""
        return self.deviations / self.n if self.n else float("nan")

    @property
    def reliable(self) -> bool:
        return self.n > 0 and self.upper_limit <= self.tolerable_rate + 1e-12

    @property
    def outcome(self) -> str:
        """``reliable``; ``not_reliable`` (deviations push the limit above tolerable); ``insufficient`` (no
        deviation, but too few dossiers to conclude); ``no_items`` (nothing checked)."""
        if self.n == 0:
            return "no_items"
        if self.reliable:
            return "reliable"
        return "not_reliable" if self.deviations else "insufficient"

    def conclusion(self, lang: str = "vi") -> str:
        """The conclusion in words an auditor signs."""
        return label(f"sampling.conclusion.{self.outcome}", lang, n=self.n, deviations=self.deviations,
                     confidence=rate_text(self.confidence, lang), tolerable=rate_text(self.tolerable_rate, lang),
                     limit=format_percent(self.upper_limit, lang, digits=2))


def evaluate_control(n: int, deviations: int, confidence: float, tolerable_rate: float,
                     population: int | None = None) -> ControlEvaluation:
    """Evaluate ``deviations`` found in ``n`` checked dossiers against the tolerable rate."""
    _check_rates(confidence, tolerable_rate, 0.0)
    limit = upper_deviation_limit(n, deviations, confidence, population)
    return ControlEvaluation(int(n), int(deviations), confidence, tolerable_rate, limit, population)


def rate_text(rate: float, lang: str = "vi") -> str:
    """A parameter rate as a percentage with only the digits it needs: 0.95 -> '95 %', 0.025 -> '2,5 %'."""
    for digits in (0, 1, 2):
        if abs(rate * 100 - round(rate * 100, digits)) < 1e-9:
            return format_percent(rate, lang, digits=digits)
    return format_percent(rate, lang, digits=3)


def _first_size(cdf, alpha: float, limit: int, confidence, tolerable, expected, required: bool = True):
    """The first n in 1..limit with cdf(n) <= alpha, evaluating whole blocks of candidates at once: small blocks
    first, as most sizes are tens of dossiers (a province's audit programme asks for hundreds of sizes)."""
    start = 1
    for size in _block_sizes():
        if start > limit:
            break
        candidates = np.arange(start, min(start + size, limit + 1))
        hits = np.flatnonzero(cdf(candidates) <= alpha)
        if hits.size:
            return int(candidates[hits[0]])
        start += size
    if required:
        raise IsoauditError("sampling.size_too_large", limit=limit, confidence=f"{confidence:.2%}",
                            tolerable=f"{tolerable:.2%}", expected=f"{expected:.2%}")
    return None


def _block_sizes():
    """Candidate sizes tried at once, in turn: 64, 256, 1,024, then ``_CHUNK`` each time."""
    yield from (64, 256, 1_024)
    while True:
        yield _CHUNK


def _check_rates(confidence: float, tolerable_rate: float, expected_rate: float) -> None:
    if not 0.0 < confidence < 1.0:
        raise IsoauditError("sampling.bad_confidence", value=confidence)
    if not 0.0 < tolerable_rate < 1.0:
        raise IsoauditError("sampling.bad_tolerable", value=tolerable_rate)
    if not 0.0 <= expected_rate < tolerable_rate:
        raise IsoauditError("sampling.bad_expected", value=expected_rate, tolerable=tolerable_rate)


def _check_population(population) -> int:
    if isinstance(population, bool) or int(population) != population or population < 1:
        raise IsoauditError("sampling.bad_population", value=population)
    return int(population)
