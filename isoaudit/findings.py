"""Findings and their corrective actions (clause 10.2): raised by an audit, followed in a register.

Every checklist answer graded major, minor, observation or improvement becomes a finding (canonical
``isoaudit.schema.FINDINGS`` columns), its id ``<audit_id>-<item id>`` (e.g. ``DGNB-2025-8.5.3-01``): stable,
so raising the findings of the same audit again finds the same rows. A nonconformity (major or minor) then
lives through ``ACTION_STATUSES``: open, in progress, done, verified effective, or not effective.

The register of a unit is ``FOLDER/findings/<unit_code>_findings.xlsx`` (``register_path``), which
``load_records`` reads back as record kind ``findings``. ``update_register`` adds new findings and never
overwrites what someone typed into an existing row: rows are matched by ``finding_id``, only their empty
cells are filled.

``flag_findings`` adds the flags the register and the audit report show (``FLAG_COLUMNS``):

- ``overdue``: a deadline before ``as_of`` and the action not done (status not done or verified effective);
- ``repeated``: a nonconformity of a unit under a clause where the same unit had one in an earlier audit
  (audits ordered by their first raised date, then id); ``repeat_of`` names the earliest audit's findings.
"""
from __future__ import annotations

from datetime import date

import pandas as pd

from isoaudit.i18n import check_lang, label
from isoaudit.schema import ACTION_STATUSES, FINDINGS, GRADES

FINDING_COLUMNS = [c.name for c in FINDINGS]
FLAG_COLUMNS = ["nonconformity", "overdue", "repeated", "repeat_of"]
NONCONFORMITY_GRADES = ("major", "minor")
ACTION_FINISHED = ("done", "verified_effective")
SOURCE = "checklist"
# Codes of the ``source`` column and the labels that word them (``source_label``).
_SOURCE_LABELS = {"checklist": "audit.finding_source.checklist", "sample": "audit.finding_source.sample",
                  "manual": "audit.finding_source.manual"}
FINDING_SOURCES = tuple(_SOURCE_LABELS)


def findings_from_audit(record, evidence: pd.DataFrame | None = None, checklist: pd.DataFrame | None = None,
                        raised_date: date | None = None, lang: str = "vi") -> pd.DataFrame:
    """The findings an audit raises: one per answer graded in ``GRADES`` (``FINDING_COLUMNS``).

    Description: the auditor's notes, else the item's question; evidence: the auditor's evidence, then the
    automatic evidence of the item's key when it needs attention; ``dossier_ids``: that key's items, for the
    keys about dossiers. ``evidence`` is ``compute_evidence``'s frame, ``checklist`` gives each item's key.
    Raised on the answer's date, else ``raised_date``, else the plan's end date. Status: open.
    """
    check_lang(lang)
    plan, answers = record.plan, record.answers
    graded = answers[answers["result"].isin(GRADES).to_numpy(bool)].reset_index(drop=True)
    auto = _automatic(graded, evidence, checklist, lang)
    fallback = pd.Timestamp(raised_date or plan.end_date or date.today()).normalize()
    description = graded["notes"].fillna(graded["question"])
    evidence_text = _join(graded["evidence"], auto["text"])
    frame = pd.DataFrame({
        "finding_id": (plan.audit_id + "-" + graded["id"]).astype("string"),
        "audit_id": pd.Series(plan.audit_id, index=graded.index, dtype="string"),
        "unit_code": pd.Series(plan.unit_code, index=graded.index, dtype="string"),
        "clause": graded["clause"].astype("string"),
        "grade": graded["result"].astype("string"),
        "description": description.astype("string"),
        "evidence": evidence_text.astype("string"),
        "dossier_ids": auto["dossier_ids"].astype("string"),
        "source": pd.Series(SOURCE, index=graded.index, dtype="string"),
        "raised_date": graded["answered_at"].dt.normalize().fillna(fallback).astype("datetime64[us]"),
    })
    frame["status"] = pd.Series("open", index=graded.index, dtype="string")
    return conform(frame)


def conform(findings: pd.DataFrame) -> pd.DataFrame:
    """``findings`` with exactly ``FINDING_COLUMNS`` in order and canonical types (missing ones empty)."""
    data = {}
    for column in FINDINGS:
        values = findings[column.name] if column.name in findings else pd.Series(pd.NA, index=findings.index)
        if column.kind == "date":
            data[column.name] = pd.to_datetime(values, errors="coerce").dt.normalize().astype("datetime64[us]")
        else:
            data[column.name] = values.astype("string")
    return pd.DataFrame(data, index=findings.index).reset_index(drop=True)


def flag_findings(findings: pd.DataFrame, as_of=None) -> pd.DataFrame:
    """``findings`` with ``FLAG_COLUMNS`` added (see the module docstring); ``as_of`` default today."""
    as_of = pd.Timestamp(as_of if as_of is not None else date.today()).normalize()
    frame = findings.reset_index(drop=True)
    grade = frame["grade"].astype("string")
    status = frame["status"].astype("string").fillna("open")
    nonconformity = grade.isin(NONCONFORMITY_GRADES).fillna(False).astype(bool)
    overdue = ((frame["deadline"] < as_of) & ~status.isin(ACTION_FINISHED)).fillna(False).astype(bool)
    repeated, repeat_of = _repeats(frame, nonconformity)
    return frame.assign(nonconformity=nonconformity, overdue=overdue, repeated=repeated, repeat_of=repeat_of)


def _repeats(frame: pd.DataFrame, nonconformity: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Per finding: repeated (bool) and the ids of the earliest audit's findings in its unit and clause."""
    repeated = pd.Series(False, index=frame.index)
    repeat_of = pd.Series(pd.NA, index=frame.index, dtype="string")
    keys = ["unit_code", "clause"]
    nc = frame.loc[nonconformity.to_numpy(bool), ["finding_id", "audit_id", "raised_date", *keys]].copy()
    nc = nc.dropna(subset=keys)
    if nc.empty:
        return repeated, repeat_of
    # Findings without an audit (typed by hand) each count as an audit of their own.
    nc["audit"] = nc["audit_id"].fillna(nc["finding_id"])
    audits = nc.groupby([*keys, "audit"], as_index=False)["raised_date"].min()
    audits = audits.sort_values([*keys, "raised_date", "audit"], na_position="last", kind="stable")
    audits["order"] = audits.groupby(keys).cumcount()
    nc = nc.merge(audits[[*keys, "audit", "order"]], on=[*keys, "audit"], how="left").set_axis(nc.index)
    first = nc[nc["order"] == 0].groupby(keys)["finding_id"].agg("; ".join).rename("first_ids")
    nc = nc.join(first, on=keys)
    later = nc["order"] > 0
    repeated.loc[nc.index[later.to_numpy(bool)]] = True
    repeat_of.loc[nc.index[later.to_numpy(bool)]] = nc.loc[later, "first_ids"].astype("string")
    return repeated, repeat_of


def merge_register(existing: pd.DataFrame, new: pd.DataFrame) -> tuple[pd.DataFrame, list[str], list[str]]:
    """``existing`` rows as they are (their empty cells filled from ``new`` rows of the same id), then the
    ``new`` rows whose id is not there yet. Returns the register, the ids added and the ids filled."""
    existing, new = conform(existing), conform(new).drop_duplicates("finding_id")
    known = existing["finding_id"].isin(new["finding_id"]).to_numpy(bool)
    current = existing.loc[known].drop(columns="finding_id")
    # Row by row positions: the register may hold the same id twice if someone copied a row.
    update = new.set_index("finding_id").reindex(existing.loc[known, "finding_id"]).set_axis(current.index)
    filled_rows = current.fillna(update[current.columns])
    changed = filled_rows.notna().sum(axis=1) > current.notna().sum(axis=1)
    merged = existing.copy()
    merged.loc[known, current.columns] = filled_rows
    added = new[~new["finding_id"].isin(existing["finding_id"]).to_numpy(bool)]
    result = pd.concat([merged, added], ignore_index=True) if len(added) else merged
    return conform(result), added["finding_id"].tolist(), existing.loc[changed.index[changed], "finding_id"].tolist()


def grade_label(code, lang: str = "vi") -> str:
    """The word for a grade in ``lang``; an unknown word is returned as written."""
    if code is None or pd.isna(code):
        return ""
    return label(f"audit.result.{code}", lang) if code in GRADES else str(code)


def source_label(code, lang: str = "vi") -> str:
    """The words for where a finding comes from (``FINDING_SOURCES``) in ``lang``; another word as written."""
    if code is None or pd.isna(code):
        return ""
    return label(_SOURCE_LABELS[code], lang) if code in _SOURCE_LABELS else str(code)


def status_label(code, lang: str = "vi") -> str:
    """The word for an action status in ``lang``; an unknown word is returned as written."""
    if code is None or pd.isna(code):
        return ""
    return label(f"audit.action_status.{code}", lang) if code in ACTION_STATUSES else str(code)


def _automatic(graded: pd.DataFrame, evidence: pd.DataFrame | None, checklist: pd.DataFrame | None,
               lang: str) -> pd.DataFrame:
    """Per graded answer: the automatic evidence text of its key when it needs attention, and the
    dossiers (items) of dossier keys."""
    empty = pd.DataFrame({"text": pd.Series(pd.NA, index=graded.index, dtype="string"),
                          "dossier_ids": pd.Series(pd.NA, index=graded.index, dtype="string")})
    if evidence is None or checklist is None or graded.empty:
        return empty
    keys = graded[["id"]].merge(checklist[["id", "evidence_key"]], on="id", how="left")
    joined = keys.merge(evidence, left_on="evidence_key", right_on="key", how="left").set_axis(graded.index)
    attention = (joined["status"] == "attention").fillna(False)
    text = joined[f"text_{lang}"].where(attention)
    # The log analytics' finding candidates (keys "analytics:<test>:<reason>") list the flagged dossiers too.
    about_dossiers = (joined["evidence_key"].isin(_DOSSIER_KEYS)
                      | joined["evidence_key"].astype("string").str.startswith("analytics:")).fillna(False)
    return pd.DataFrame({"text": text.astype("string"),
                         "dossier_ids": joined["items"].where(attention & about_dossiers).astype("string")})


def _join(first: pd.Series, second: pd.Series) -> pd.Series:
    """Two text columns joined with a new line where both are filled."""
    both = first.notna() & second.notna()
    joined = first.fillna(second)
    return joined.where(~both, first + "\n" + second)


# Evidence keys whose items are dossier ids (the others list procedures, objectives, findings...).
_DOSSIER_KEYS = ("on_time_rate", "overdue_dossiers", "late_without_apology", "appointment_beyond_legal",
                 "supplement_requests")
