"""Finding candidates from the log analytics, for the audit form (issue #18, item 6).

Each reason a test flagged dossiers for becomes one question of the unit's audit, under the test's clause:
"the log shows N dossiers that … — a nonconformity?", with the flagged dossiers and why each was flagged as
its evidence. The auditor opens the dossiers, then answers: conforms (dismissed: the flag had an
explanation) or a grade (accepted: the answer becomes a finding of the register, as any question's does).
So a flag goes to a finding without leaving the form, and the answer is saved, merged and reported as every
other answer is. The question's id is stable (``DL-<test>-<reason>``): the same flag keeps its answer across
sessions; a flag that no longer shows keeps its saved answer in the audit file.
"""
from __future__ import annotations

import pandas as pd

from isoaudit.analytics.run import MODULES
from isoaudit.checklist import COLUMNS, complete_items
from isoaudit.i18n import LANGS, label

ID_PREFIX = "DL"
EVIDENCE_KEY_PREFIX = "analytics:"  # an evidence key of a candidate: not a key of data/evidence_keys.csv
DOSSIERS_LISTED = 50  # in a candidate's evidence text; its items list every dossier
ALL_LEVELS = "province;district;commune"


def evidence_description(key, lang: str = "vi") -> str | None:
    """What a candidate's evidence key is about (its test's title), None for another key."""
    parts = str(key).split(":")
    if str(key).startswith(EVIDENCE_KEY_PREFIX) and len(parts) == 3 and parts[1] in MODULES:
        return label(f"analytics.{parts[1]}.title", lang)
    return None


def candidate_id(test: str, reason: str) -> str:
    return f"{ID_PREFIX}-{test}-{reason}"


def candidate_items(results, lang: str = "vi") -> tuple[pd.DataFrame, pd.DataFrame]:
    """(checklist rows, evidence rows) of one question per (test, reason) with flagged dossiers: the rows in
    ``checklist.COLUMNS`` (and the language columns of ``lang``), the evidence in ``evidence.EVIDENCE_COLUMNS``
    with status "attention" and the flagged dossiers' ids as its items."""
    items, evidence = [], []
    for result in results:
        if not result.available or result.flagged.empty:
            continue
        module = MODULES[result.test]
        for reason, rows in result.flagged.groupby("reason", sort=False):
            key = f"{EVIDENCE_KEY_PREFIX}{result.test}:{reason}"
            words = {lang_: _words(module, result, reason, rows, lang_) for lang_ in LANGS}
            items.append({"id": candidate_id(result.test, reason), "clause": result.clause,
                          "clause_title_vi": pd.NA, "clause_title_en": pd.NA,
                          **{f"question_{lang_}": words[lang_][0] for lang_ in LANGS},
                          **{f"evidence_{lang_}": label("analytics.candidate.look_at", lang_) for lang_ in LANGS},
                          "levels": ALL_LEVELS, "evidence_key": key})
            evidence.append({"key": key, "value": float(len(rows)), "status": "attention",
                             **{f"text_{lang_}": words[lang_][1] for lang_ in LANGS},
                             "items": "; ".join(rows["dossier_id"].astype(str))})
    checklist = complete_items(pd.DataFrame(items, columns=list(COLUMNS)), lang)
    frame = pd.DataFrame(evidence, columns=["key", "value", "status", "text_vi", "text_en", "items"])
    frame["value"] = frame["value"].astype("Float64")
    return checklist, frame


def _words(module, result, reason: str, rows: pd.DataFrame, lang: str) -> tuple[str, str]:
    """The candidate's question and its evidence text (each flagged dossier with why) in ``lang``."""
    title = label(f"analytics.{result.test}.title", lang)
    question = label("analytics.candidate.question", lang, test=title, count=len(rows))
    listed_rows = rows.head(DOSSIERS_LISTED)
    listed = [f"{dossier}: {label(module.REASON_KEYS[reason], lang, **detail)}"
              for dossier, detail in zip(listed_rows["dossier_id"], result.details(listed_rows, lang))]
    more = label("analytics.candidate.more", lang, count=len(rows) - DOSSIERS_LISTED) \
        if len(rows) > DOSSIERS_LISTED else ""
    return question, "; ".join(listed) + (f" {more}" if more else "")

