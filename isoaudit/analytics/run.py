"""Every audit-analytics test of a unit's year, in the order a report shows them (issue #18).

Each test is a module of ``isoaudit.analytics`` with ``TEST`` (its name), ``CLAUSE``, the keys of its words
(``REASON_KEYS``, ``MISSING_KEYS``, ``COLUMN_KEYS`` and any other ``*_KEYS`` for the codes of its table) and
the function that runs it on a ``measures.UnitYear``.
"""
from __future__ import annotations

from types import ModuleType

import pandas as pd

from isoaudit.analytics import backfill, calendar_anomalies, population, supplements
from isoaudit.analytics.result import AnalyticsResult
from isoaudit.unit_history import area_previous_year

# (module, the function running it on a UnitYear): population first, as the issue asks (before sampling).
TESTS: tuple[tuple[ModuleType, object], ...] = (
    (population, population.check_population),
    (calendar_anomalies, calendar_anomalies.check_calendar_anomalies),
    (supplements, supplements.supplements),
    (backfill, backfill.backfill),
)
TEST_NAMES = tuple(module.TEST for module, _ in TESTS)
MODULES = {module.TEST: module for module, _ in TESTS}


def run_analytics(unit_year, previous: pd.DataFrame | None = None) -> list[AnalyticsResult]:
    """Every test's result for ``unit_year``, in ``TESTS`` order. ``previous``: the year before's judged
    dossiers the tests compare with (default: the area's, ``unit_history.area_previous_year``). The year's
    officers and procedures are grouped once for the two tests that compare them (the costliest step on a big
    log)."""
    if previous is None:
        previous = area_previous_year(unit_year).received
    groups = None
    if not unit_year.received.empty:
        groups = supplements.dossier_groups(unit_year.received, previous)
    shared = {supplements.supplements, backfill.backfill}
    return [run(unit_year, groups=groups, previous=previous) if run in shared else run(unit_year)
            for _, run in TESTS]


def flagged_dossiers(results, lang: str | None = None) -> pd.DataFrame:
    """Every dossier any test flagged, once per (dossier, test, reason): ``dossier_id``, ``test``, ``clause``,
    ``reason``, ``detail`` (the values its reason's words name, ``AnalyticsResult.details``, in ``lang``)."""
    parts = [result.flagged[["dossier_id", "reason"]].assign(test=result.test, clause=result.clause,
                                                             detail=result.details(lang=lang))
             for result in results if result.available and len(result.flagged)]
    if not parts:
        return pd.DataFrame(columns=["dossier_id", "test", "clause", "reason", "detail"])
    return pd.concat(parts, ignore_index=True)[["dossier_id", "test", "clause", "reason", "detail"]]
