"""Sample checks: which check applies to which dossier, what the auditor's answers say, and the findings.

The checks are data, ``isoaudit/data/sample_checks.csv`` (id, clause, label_vi, label_en, applies_when), so an
audit team can add its own. ``applies_when`` is one of ``APPLIES_WHEN``: ``all``; ``returned`` (a result was
returned); ``due`` (returned, or past its legal due date); ``late`` (late or overdue); ``fee`` (the procedure
charges a fee); ``supplement`` (a supplement was requested).

Per check, over the statistical sample: n = dossiers where the check applies and was not answered "not
applicable", k = those that failed; the upper deviation limit at the sample's confidence, over the frame's
dossiers to which the check applies as a finite population. Key items are counted apart. A stratified
sample is evaluated as one simple random sample: its allocation is proportional, so it is (nearly)
self-weighting.

Grading, one rule for every check:
- a check whose upper limit is above the tolerable rate with deviations found is a nonconformity: **major**
  when the deviation rate seen in the sample itself (k/n) is above the tolerable rate (the control fails
  even before any allowance for sampling risk: the upper limit is far above tolerable), **minor** otherwise;
- no deviation but too few dossiers to conclude (upper limit still above tolerable): an **observation**
  (extend the sample), not a nonconformity;
- any deviation among the key items: a finding graded by the same rate rule over the key items checked.
A check failing both ways gives one finding with the more severe grade.

A finding's id is the unit, the year sampled and the check's number on the worksheet's cover: ``08029-2025-07``
(the seventh check). Evaluating the same worksheet again gives the same ids; registers written with the ids of
earlier versions (``08029-7-process_control_slip``) still load, their ids being plain text.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from isoaudit.errors import IsoauditError
from isoaudit.i18n import check_lang, format_percent, label
from isoaudit.sampling.sizes import evaluate_control, rate_text
from isoaudit.schema import FINDINGS, GRADES
from isoaudit.text import fold_series

CHECK_COLUMNS = ("id", "clause", "label_vi", "label_en", "applies_when")
APPLIES_WHEN = ("all", "returned", "due", "late", "fee", "supplement")
RESULT_COLUMNS = ["check_id", "clause", "check", "population", "n", "deviations", "deviation_rate",
                  "upper_limit", "tolerable_rate", "outcome", "key_n", "key_deviations", "grade", "conclusion",
                  "failing_dossiers"]
FINDING_COLUMNS = [c.name for c in FINDINGS]
SOURCE = "sample"
BUNDLED = "sample_checks.csv"
# A fee text that charges nothing: "Không", "Miễn phí", "0 đồng", "free"...
_NO_FEE = re.compile(r"^(?:khong|mien|free|none|0\b)")
_NONZERO_DIGIT = re.compile(r"[1-9]")
_SEVERITY = {grade: rank for rank, grade in enumerate(reversed(GRADES))}  # improvement < ... < major


@dataclass
class SampleEvaluation:
    """``results``: one row per check (``RESULT_COLUMNS``); ``findings``: canonical FINDINGS columns."""

    results: pd.DataFrame
    findings: pd.DataFrame


def load_sample_checks(path=None) -> pd.DataFrame:
    """The sample checks (``CHECK_COLUMNS``, pandas string) of ``path``, or the bundled list.

    Raises ``IsoauditError`` ``sampling.checks_invalid`` naming every broken row.
    """
    if path is None:
        with resources.files("isoaudit.data").joinpath(BUNDLED).open("r", encoding="utf-8-sig") as handle:
            frame = pd.read_csv(handle, dtype="string", keep_default_na=False)
        name = BUNDLED
    else:
        frame = pd.read_csv(Path(path), dtype="string", keep_default_na=False, encoding="utf-8-sig")
        name = Path(path).name
    return _validated_checks(frame, name)


def check_applies(dossiers: pd.DataFrame, checks: pd.DataFrame) -> pd.DataFrame:
    """A boolean frame (index of ``dossiers``, one column per check id): does the check apply to the dossier?"""
    conditions = _conditions(dossiers)
    return pd.DataFrame({row.id: conditions[row.applies_when] for row in checks.itertuples()},
                        index=dossiers.index, columns=list(checks["id"]))


@dataclass
class WorksheetChecks:
    """The checks of a sample worksheet, computed for the sample: ``checks`` (``CHECK_COLUMNS``), ``applies``
    (one row per sampled dossier, in order, one boolean column per check id) and ``populations`` (per check
    id, the frame's non-key dossiers it applies to; <NA> without a frame)."""

    checks: pd.DataFrame
    applies: pd.DataFrame
    populations: pd.Series


def worksheet_checks(sample, checks: pd.DataFrame | None = None) -> WorksheetChecks:
    """What ``checks`` (default: the bundled list) say about ``sample`` (a ``selection.Sample``)."""
    checks = load_sample_checks() if checks is None else checks
    applies = check_applies(sample.dossiers, checks).reset_index(drop=True)
    frame = sample.frame_dossiers
    if frame is None:
        populations = pd.Series(pd.NA, index=checks["id"], dtype="Int64")
    else:
        populations = check_applies(frame[~frame["key_item"]], checks).sum().astype("Int64")
    return WorksheetChecks(checks, applies, populations)


def has_fee(fee: pd.Series) -> pd.Series:
    """True where a procedure's fee text charges something ('50.000 đồng'), False for 'Không', 'Miễn phí', ''."""
    folded = fold_series(fee.astype("string")).fillna("")
    return (folded.str.contains(_NONZERO_DIGIT) & ~folded.str.contains(_NO_FEE)).astype(bool)


def evaluate_sample(answers: pd.DataFrame, parameters: dict, lang: str = "vi", raised_date: date | None = None,
                    audit_id: str | None = None) -> SampleEvaluation:
    """Evaluate a filled sample: per-check results and the findings they raise.

    ``answers``: ``ANSWER_COLUMNS`` (``answer`` one of ``ANSWERS``, <NA> where the check does not apply).
    ``parameters``: ``unit_code``, ``seed``, ``confidence``, ``tolerable_rate``, ``key_items`` and ``checks``
    (a list of dicts with ``CHECK_COLUMNS`` and ``population``: the frame's non-key dossiers to which the
    check applies, or None for the binomial model), as stored in the sample worksheet.
    """
    check_lang(lang)
    checks = pd.DataFrame(parameters["checks"])
    counted = answers[answers["applies"].astype(bool) & answers["answer"].isin(["pass", "fail"]).fillna(False)]
    failed = counted["answer"] == "fail"
    tally = counted.assign(fail=failed).groupby(["check_id", "key_item"])["fail"].agg(["size", "sum"])
    failing = counted[failed].groupby("check_id")["dossier_id"].agg(lambda ids: list(dict.fromkeys(ids)))
    rows = [_result(check, tally, failing, parameters, lang) for check in checks.to_dict("records")]
    results = pd.DataFrame(rows, columns=RESULT_COLUMNS)
    notes = answers[answers["note"].notna()].drop_duplicates("dossier_id").set_index("dossier_id")["note"]
    findings = _findings(results, parameters, notes, lang, raised_date or date.today(), audit_id)
    return SampleEvaluation(results, findings)


def grade_for(n: int, deviations: int, tolerable_rate: float) -> str | None:
    """The grade of ``deviations`` found in ``n`` dossiers (see the module's rule); None when there are none."""
    if deviations <= 0 or n <= 0:
        return None
    return "major" if deviations / n > tolerable_rate + 1e-12 else "minor"


# ---- helpers ------------------------------------------------------------------------------------------

def _result(check: dict, tally: pd.DataFrame, failing: pd.Series, parameters: dict, lang: str) -> dict:
    def counts(key_item: bool) -> tuple[int, int]:
        if (check["id"], key_item) in tally.index:
            size, fails = tally.loc[(check["id"], key_item)]
            return int(size), int(fails)
        return 0, 0

    n, k = counts(False)
    key_n, key_k = counts(True)
    population = check.get("population")
    population = None if population is None or pd.isna(population) else max(int(population), n)
    evaluation = evaluate_control(n, k, parameters["confidence"], parameters["tolerable_rate"],
                                  population if population else None)
    grades = []
    if evaluation.outcome == "not_reliable":
        grades.append(grade_for(n, k, evaluation.tolerable_rate))
    elif evaluation.outcome == "insufficient":
        grades.append("observation")
    grades.append(grade_for(key_n, key_k, evaluation.tolerable_rate))
    grades = [g for g in grades if g]
    conclusion = evaluation.conclusion(lang)
    if key_n:
        conclusion += " " + label("sampling.conclusion.key_items", lang, n=key_n, deviations=key_k)
    return {
        "check_id": check["id"], "clause": check["clause"], "check": check[f"label_{lang}"],
        "population": population, "n": n, "deviations": k, "deviation_rate": evaluation.deviation_rate,
        "upper_limit": evaluation.upper_limit if n else float("nan"), "tolerable_rate": evaluation.tolerable_rate,
        "outcome": evaluation.outcome, "key_n": key_n, "key_deviations": key_k,
        "grade": max(grades, key=_SEVERITY.get) if grades else None, "conclusion": conclusion,
        "failing_dossiers": failing.get(check["id"], []),
    }


def _findings(results: pd.DataFrame, parameters: dict, notes: pd.Series, lang: str, raised: date,
              audit_id: str | None) -> pd.DataFrame:
    raised_at = pd.Timestamp(raised)
    year = _worksheet_year(parameters, raised)
    rows = []
    for number, result in enumerate(results.to_dict("records"), start=1):
        if pd.isna(result["grade"]):
            continue
        ids = result["failing_dossiers"]
        rows.append({
            "finding_id": _finding_id(parameters["unit_code"], year, number),
            "audit_id": audit_id,
            "unit_code": parameters["unit_code"],
            "clause": result["clause"],
            "grade": result["grade"],
            "description": _description(result, parameters, lang),
            "evidence": _evidence(result, parameters, notes.reindex(ids).dropna(), lang),
            "dossier_ids": "; ".join(ids) if ids else None,
            "source": SOURCE,
            "raised_date": raised_at,
            "status": "open",
        })
    frame = pd.DataFrame(rows, columns=FINDING_COLUMNS)
    for column in FINDINGS:
        if column.kind == "date":
            frame[column.name] = pd.to_datetime(frame[column.name])
        else:
            frame[column.name] = frame[column.name].astype("string")
    return frame


def _finding_id(unit_code: str, year: int, number: int) -> str:
    """A sample finding's id: unit, year, the check's number on the worksheet (``08029-2025-07``). The same
    worksheet evaluated again gives the same ids, so the register finds its rows."""
    return f"{unit_code}-{int(year)}-{int(number):02d}"


def _worksheet_year(parameters: dict, raised: date) -> int:
    """The year a worksheet samples: of its period's end, else its start, else when it was made, else
    ``raised``."""
    for key in ("date_to", "date_from", "created"):
        if parameters.get(key):
            return int(str(parameters[key])[:4])
    return raised.year


def _description(result: dict, parameters: dict, lang: str) -> str:
    words = dict(check=result["check"], n=result["n"], deviations=result["deviations"],
                 confidence=rate_text(parameters["confidence"], lang),
                 tolerable=rate_text(result["tolerable_rate"], lang),
                 limit=format_percent(result["upper_limit"], lang, digits=2))
    parts = []
    if result["outcome"] in ("not_reliable", "insufficient"):
        parts.append(label(f"sampling.finding.{result['outcome']}", lang, **words))
    if result["key_deviations"]:
        kind = label(f"sampling.key_items.{parameters.get('key_items') or 'none'}", lang)
        parts.append(label("sampling.finding.key_items", lang, kind=kind, n=result["key_n"],
                           deviations=result["key_deviations"], check=result["check"]))
    return " ".join(parts)


def _evidence(result: dict, parameters: dict, notes: pd.Series, lang: str) -> str:
    population = result["population"]
    parts = []
    if result["n"]:
        parts.append(label("sampling.finding.evidence", lang, n=result["n"], deviations=result["deviations"],
                           rate=format_percent(result["deviation_rate"], lang, digits=2),
                           limit=format_percent(result["upper_limit"], lang, digits=2),
                           confidence=rate_text(parameters["confidence"], lang),
                           tolerable=rate_text(result["tolerable_rate"], lang),
                           population="-" if population is None else population, seed=parameters["seed"]))
    if result["key_n"]:
        parts.append(label("sampling.finding.evidence_key", lang, n=result["key_n"],
                           deviations=result["key_deviations"]))
    if len(notes):
        shown = "; ".join(f"{dossier}: {note}" for dossier, note in notes.items())
        parts.append(label("sampling.finding.evidence_notes", lang, notes=shown))
    return " ".join(parts)


def _conditions(dossiers: pd.DataFrame) -> dict[str, pd.Series]:
    index = dossiers.index

    def column(name: str) -> pd.Series:
        return dossiers[name] if name in dossiers else pd.Series(pd.NA, index=index, dtype="object")

    status = column("status").astype("string")
    return {
        "all": pd.Series(True, index=index),
        "returned": column("returned_date").notna(),
        "due": (status.notna() & (status != "in_progress")).fillna(False).astype(bool),
        "late": status.isin(["late", "overdue"]).fillna(False).astype(bool),
        "fee": has_fee(column("fee")),
        "supplement": column("supplement_requested_at").notna(),
    }


def _validated_checks(frame: pd.DataFrame, name: str) -> pd.DataFrame:
    missing = [c for c in CHECK_COLUMNS if c not in frame]
    if missing:
        raise IsoauditError("sampling.checks_missing_columns", file=name, columns=", ".join(missing))
    frame = frame[list(CHECK_COLUMNS)].apply(lambda c: c.str.strip()).replace("", pd.NA)
    bad = []
    for row, item in zip(range(2, len(frame) + 2), frame.itertuples(index=False)):  # row 1 is the header
        if any(pd.isna(getattr(item, c)) for c in CHECK_COLUMNS):
            bad.append(f"{row}: {', '.join(c for c in CHECK_COLUMNS if pd.isna(getattr(item, c)))}")
        elif item.applies_when not in APPLIES_WHEN:
            bad.append(f"{row}: applies_when = {item.applies_when}")
    duplicated = frame["id"].duplicated() & frame["id"].notna()
    bad += [f"{row}: id = {value}" for row, value in zip(np.flatnonzero(duplicated) + 2, frame["id"][duplicated])]
    if bad:
        raise IsoauditError("sampling.checks_invalid", file=name, rows="; ".join(bad),
                            choices=", ".join(APPLIES_WHEN))
    return frame.reset_index(drop=True)
