"""From signals to next year's audit programme (issue #18, item 6; ISO 9001 clause 9.2.2 asks that the audit
programme take the importance of the processes and the results of previous audits into account).

Each commune gets a risk score per clause, the weighted sum of its signals: dossiers each analytics test
flagged (on the test's clause), its funnel band (below the province's control limits: clause 9.1.3),
corrective actions overdue and findings repeated (10.2). Weights, the score that makes a clause high or
medium priority, the quarter each priority is audited in and the sampling rates per priority are data
(``data/analytics_risk.toml``), so an ISO office can tune them without code.

The programme proposes, per commune, the clauses to audit in priority order with a sample size from the
attribute-sampling plan of ``sampling.sizes`` (finite population: the commune's dossiers of the year).
A proposal, not a decision: the auditor reads the signals behind each score.
"""
from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import pandas as pd

from isoaudit.sampling.sizes import attribute_sample_size

RISK_FILE = "analytics_risk.toml"
SIGNAL_COLUMNS = ["unit_code", "clause", "signal", "count"]
SCORE_COLUMNS = ["unit_code", "clause", "score", "priority", "signals"]
PROGRAMME_COLUMNS = ["unit_code", "clause", "priority", "score", "quarter", "population", "sample_size",
                     "confidence", "tolerable_rate", "signals"]


@dataclass(frozen=True)
class RiskSettings:
    weights: dict  # signal -> points per occurrence
    caps: dict  # signal -> most points it can give (one noisy signal must not decide alone)
    high: float
    medium: float
    quarters: dict  # priority -> quarter (1..4)
    sampling: dict  # priority -> {"confidence": .., "tolerable_rate": .., "expected_rate": ..}


@lru_cache(maxsize=1)
def risk_settings() -> RiskSettings:
    data = tomllib.loads(resources.files("isoaudit.data").joinpath(RISK_FILE).read_text(encoding="utf-8"))
    return RiskSettings(weights=data["weights"], caps=data.get("caps", {}), high=float(data["thresholds"]["high"]),
                        medium=float(data["thresholds"]["medium"]), quarters=data["quarters"],
                        sampling=data["sampling"])


def analytics_signals(unit_code: str, results) -> pd.DataFrame:
    """``SIGNAL_COLUMNS`` from one commune's analytics results (an iterable of ``AnalyticsResult``): one row
    per test with flagged dossiers, on the test's clause."""
    rows = [{"unit_code": unit_code, "clause": r.clause, "signal": r.test, "count": len(r.flagged)}
            for r in results if r.available and len(r.flagged)]
    return pd.DataFrame(rows, columns=SIGNAL_COLUMNS)


def funnel_signals(funnel_table: pd.DataFrame) -> pd.DataFrame:
    """A commune below the province's control limits (``analytics.funnel.funnel``) is a signal on 9.1.3."""
    below = funnel_table[funnel_table["band"].isin(["below_warning", "below_alarm"]).fillna(False).to_numpy(bool)]
    return pd.DataFrame({"unit_code": below["unit_code"], "clause": "9.1.3",
                         "signal": "funnel_" + below["band"].astype(str), "count": 1}, columns=SIGNAL_COLUMNS)


def action_signals(unit_code: str, overdue_actions: int | None, repeated_findings: int | None) -> pd.DataFrame:
    """Corrective actions past their deadline and nonconformities repeated under one clause: signals on
    10.2 (None: the records do not say; no signal, not 0)."""
    rows = [{"unit_code": unit_code, "clause": "10.2", "signal": signal, "count": int(count)}
            for signal, count in (("actions_overdue", overdue_actions), ("repeated_findings", repeated_findings))
            if count]
    return pd.DataFrame(rows, columns=SIGNAL_COLUMNS)


def risk_scores(signals: pd.DataFrame) -> pd.DataFrame:
    """``SCORE_COLUMNS``: one row per commune and clause with a signal, highest score first. ``signals``
    lists (signal, count) in the order given."""
    settings = risk_settings()
    if signals.empty:
        return pd.DataFrame(columns=SCORE_COLUMNS)
    frame = signals.copy()
    weight = frame["signal"].map(lambda s: settings.weights.get(s, settings.weights.get("default", 1.0)))
    cap = frame["signal"].map(lambda s: settings.caps.get(s, float("inf")))
    frame["points"] = (weight * frame["count"]).clip(upper=cap)
    frame["said"] = list(zip(frame["signal"], frame["count"].astype(int)))
    scores = frame.groupby(["unit_code", "clause"], sort=False).agg(score=("points", "sum"),
                                                                    signals=("said", list)).reset_index()
    scores["priority"] = scores["score"].map(lambda s: "high" if s >= settings.high else
                                             "medium" if s >= settings.medium else "low")
    return scores.sort_values(["score", "unit_code", "clause"], ascending=[False, True, True])[SCORE_COLUMNS] \
        .reset_index(drop=True)


def audit_programme(scores: pd.DataFrame, populations: dict) -> pd.DataFrame:
    """``PROGRAMME_COLUMNS``: the clauses to audit per commune, by priority, with the quarter and the sample
    size for its dossiers (``populations``: unit code -> dossiers received in the year; a commune without
    dossiers gets no sample size)."""
    settings = risk_settings()
    rows = []
    for row in scores.itertuples():
        plan = settings.sampling[row.priority]
        population = populations.get(row.unit_code)
        size = attribute_sample_size(plan["confidence"], plan["tolerable_rate"], plan.get("expected_rate", 0.0),
                                     population=int(population)) if population else None
        rows.append({"unit_code": row.unit_code, "clause": row.clause, "priority": row.priority,
                     "score": row.score, "quarter": settings.quarters[row.priority],
                     "population": population, "sample_size": size, "confidence": plan["confidence"],
                     "tolerable_rate": plan["tolerable_rate"], "signals": row.signals})
    frame = pd.DataFrame(rows, columns=PROGRAMME_COLUMNS)
    order = {"high": 0, "medium": 1, "low": 2}
    return frame.assign(_o=frame["priority"].map(order)).sort_values(["_o", "score"], ascending=[True, False]) \
        .drop(columns="_o").reset_index(drop=True)
