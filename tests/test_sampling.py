"""Attribute sampling against the published AICPA table (docs: /work/shared/domain/sampling.md)."""
from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from isoaudit.errors import IsoauditError
from isoaudit.sampling.sizes import (
    attribute_sample_size,
    evaluate_control,
    expected_deviations,
    rate_text,
    upper_deviation_limit,
)

TOLERABLE = (0.03, 0.04, 0.05, 0.06, 0.08, 0.10)
# Binomial sizes at 95 % confidence (expected deviations), EDR rows x TDR columns; None where the table has "-".
TABLE_95 = {
    0.0: [(99, 0), (74, 0), (59, 0), (49, 0), (36, 0), (29, 0)],
    0.005: [(157, 1), (117, 1), (93, 1), (78, 1), (58, 1), (46, 1)],
    0.01: [(257, 3), (156, 2), (93, 1), (78, 1), (58, 1), (46, 1)],
    0.02: [None, (294, 6), (181, 4), (127, 3), (77, 2), (46, 1)],
}
CELLS_95 = [(edr, tdr, cell) for edr, row in TABLE_95.items() for tdr, cell in zip(TOLERABLE, row) if cell]


def test_the_table_has_23_cells():
    assert len(CELLS_95) == 23


@pytest.mark.parametrize("edr,tdr,cell", CELLS_95, ids=[f"edr{e}-tdr{t}" for e, t, _ in CELLS_95])
def test_binomial_sizes_match_the_aicpa_table_at_95(edr, tdr, cell):
    size, deviations = cell
    assert attribute_sample_size(0.95, tdr, edr) == size
    assert int(expected_deviations(size, edr)) == deviations


@pytest.mark.parametrize("tdr,size", [(0.05, 45), (0.10, 22)])
def test_binomial_sizes_at_90_percent(tdr, size):
    assert attribute_sample_size(0.90, tdr, 0.0) == size


def test_size_is_the_smallest_that_works():
    n = attribute_sample_size(0.95, 0.05, 0.01)
    k = int(expected_deviations(n, 0.01))
    assert stats.binom.cdf(k, n, 0.05) <= 0.05
    # One fewer: the rule fails (k is recomputed for n - 1).
    assert stats.binom.cdf(int(expected_deviations(n - 1, 0.01)), n - 1, 0.05) > 0.05


def test_rates_typed_as_decimals_do_not_gain_a_deviation():
    # 0.07 * 100 is 7.000000000000001 in floating point: still 7 expected deviations, not 8.
    assert int(expected_deviations(100, 0.07)) == 7
    assert list(expected_deviations(np.array([1, 93, 94, 100]), 0.01)) == [1, 1, 1, 1]


def test_upper_limit_of_one_deviation_in_93():
    assert upper_deviation_limit(93, 1, 0.95) == pytest.approx(0.04999, abs=1e-5)
    assert evaluate_control(93, 1, 0.95, 0.05).reliable


def test_upper_limit_is_clopper_pearson():
    for n, k in [(59, 0), (59, 2), (120, 7)]:
        assert upper_deviation_limit(n, k, 0.95) == pytest.approx(stats.beta.ppf(0.95, k + 1, n - k))
    assert upper_deviation_limit(59, 0, 0.95) == pytest.approx(1 - 0.05 ** (1 / 59))
    assert upper_deviation_limit(5, 5, 0.95) == 1.0
    assert upper_deviation_limit(0, 0, 0.95) == 1.0


def test_table_sizes_are_enough_when_the_expected_deviations_are_found():
    for edr, tdr, (size, deviations) in CELLS_95:
        assert upper_deviation_limit(size, deviations, 0.95) <= tdr
    for tdr, (size, _) in zip(TOLERABLE, TABLE_95[0.0]):
        assert upper_deviation_limit(size - 1, 0, 0.95) > tdr  # one dossier fewer is not enough


@pytest.mark.parametrize("edr", [0.0, 0.01])
def test_finite_population_needs_fewer_and_never_more_than_the_population(edr):
    binomial = attribute_sample_size(0.95, 0.05, edr)
    populations = [20, 40, 60, 100, 200, 500, 1000, 5000, 20000]
    sizes = [attribute_sample_size(0.95, 0.05, edr, population=n) for n in populations]
    assert all(size <= min(binomial, n) for size, n in zip(sizes, populations))
    assert sizes[3] < binomial  # 100 dossiers: a real saving
    assert sizes == sorted(sizes)  # grows with the population (where TDR * N is whole)
    assert sizes[-1] >= binomial - 1  # and tends to the binomial size


def test_finite_population_sizes_follow_the_hypergeometric_rule():
    n = attribute_sample_size(0.95, 0.05, 0.0, population=200)
    assert stats.hypergeom.cdf(0, 200, 10, n) <= 0.05 < stats.hypergeom.cdf(0, 200, 10, n - 1)


def test_population_with_no_tolerable_deviation_is_checked_in_full():
    # 5 % of 10 dossiers is less than one: only a census can show the rate is tolerable.
    assert attribute_sample_size(0.95, 0.05, 0.0, population=10) == 10
    assert attribute_sample_size(0.95, 0.05, 0.0, population=1) == 1


def test_finite_upper_limit():
    n = attribute_sample_size(0.95, 0.05, 0.0, population=200)
    limit = upper_deviation_limit(n, 0, 0.95, population=200)
    assert limit <= 0.05
    assert limit < upper_deviation_limit(n, 0, 0.95)  # a finite population narrows the limit
    # The limit is the largest M/N still likely: M + 1 is not.
    m = round(limit * 200)
    assert stats.hypergeom.cdf(0, 200, m, n) > 0.05 >= stats.hypergeom.cdf(0, 200, m + 1, n)
    # A census knows the rate exactly.
    assert upper_deviation_limit(40, 3, 0.95, population=40) == pytest.approx(3 / 40)


def test_outcomes_and_conclusions():
    assert evaluate_control(59, 0, 0.95, 0.05).outcome == "reliable"
    failed = evaluate_control(59, 3, 0.95, 0.05)
    assert failed.outcome == "not_reliable" and not failed.reliable
    assert evaluate_control(10, 0, 0.95, 0.05).outcome == "insufficient"
    assert evaluate_control(0, 0, 0.95, 0.05).outcome == "no_items"
    text = failed.conclusion()
    assert "59 hồ sơ" in text and "không thể tin cậy" in text and "95 %" in text and "12,62 %" in text
    assert "cannot be relied on" in failed.conclusion("en")
    assert "có thể tin cậy" in evaluate_control(93, 1, 0.95, 0.05).conclusion()


def test_rate_text_shows_only_needed_digits():
    assert rate_text(0.95) == "95 %"
    assert rate_text(0.025) == "2,5 %"
    assert rate_text(0.025, "en") == "2.5 %"


@pytest.mark.parametrize("args", [(1.0, 0.05, 0.0), (0.95, 0.0, 0.0), (0.95, 0.05, 0.05), (0.95, 0.05, -0.01)])
def test_bad_rates_are_refused(args):
    with pytest.raises(IsoauditError) as error:
        attribute_sample_size(*args)
    assert error.value.code.startswith("sampling.bad_")
    assert error.value.message("vi")  # worded, not a bare key


def test_bad_population_and_counts_are_refused():
    with pytest.raises(IsoauditError):
        attribute_sample_size(0.95, 0.05, 0.0, population=0)
    with pytest.raises(IsoauditError):
        upper_deviation_limit(10, 11, 0.95)
    with pytest.raises(IsoauditError):
        upper_deviation_limit(30, 0, 0.95, population=20)


def test_impractical_size_is_refused():
    with pytest.raises(IsoauditError) as error:
        attribute_sample_size(0.99, 0.0011, 0.001)
    assert error.value.code == "sampling.size_too_large"
