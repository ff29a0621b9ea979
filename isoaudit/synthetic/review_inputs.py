"""What each commune's management review reads besides the year's log: the previous year's logs, satisfaction
surveys, the feedback register, the previous review's decisions and the findings register. The previous year's
records belong to the units of that year (before the reform of 1/7/2025, the former ones).

The review inputs draw from a random stream of their own, so the year's logs do not depend on them.
Sentences are picked from ``synthetic_review.csv``, words from ``synthetic_review.toml``.
"""
from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from isoaudit.safety import inside
from isoaudit.synthetic.district_calendar import working_days
from isoaudit.synthetic.log_layouts import LOG_STYLES, dossier_sheet
from isoaudit.synthetic.people import person_name
from isoaudit.synthetic.sheets import (
    Sheet,
    form_heading,
    static_sheet,
    write_log,
    write_xlsx,
)
from isoaudit.synthetic.unit_logs import log_dossiers, year_logs
from isoaudit.synthetic.units import UnitProfile, agency, parent_name, units_at_end
from isoaudit.synthetic.words import dossier_words, review_texts, review_words

REVIEW_STREAM = 9302  # the review inputs draw from a stream of their own: the year's logs stay byte-identical
PREVIOUS_SHARE = 0.9  # the previous year's dossier count, as a share of the year's
SURVEY_SHARE = 0.12  # survey answers per dossier (one answer a day at most: a counter's feedback device)
FEEDBACK_DAYS = 10  # working days the sample agencies give themselves to answer feedback
MARKUP_UNIT = "08023"  # its feedback holds markup typed in a web form (the review notebook's default unit)
# Rating probabilities (most to least satisfied) for a dossier returned in time, and for one returned late or
# still overdue.
RATING_ON_TIME = (0.45, 0.43, 0.09, 0.03)
RATING_LATE = (0.05, 0.30, 0.30, 0.35)
FEEDBACK_TYPES = ("feedback", "recommendation", "complaint")  # drawn with probabilities 0.5, 0.35, 0.15


def write_review_inputs(out: Path, units, year_dossiers: dict[str, pd.DataFrame], catalogue, calendar, seed: int,
                        year: int, scale: float) -> list[tuple[str, int]]:
    """The previous year's logs ``dossiers/<code>_<slug>_<year-1>.xlsx`` (software exports seen at the end of
    ``year``, one a code as ``year_logs`` says); for the units valid at the end of ``year - 1`` (the former
    ones, before the reform) ``surveys/<code>_khao_sat_<year-1>.xlsx`` and the decisions of their review
    ``reviews/<code>_quyet_dinh_<year-1>.xlsx``; for those valid at the end of ``year`` (``year_dossiers``:
    their code's log of the year) ``surveys/<code>_khao_sat_<year>.xlsx``, ``feedback/<code>_phan_anh_<year>.xlsx``
    and ``findings/<code>_findings.xlsx`` (audits of both years).

    Returns the files written (path under ``out``, data rows), in order."""
    rng = np.random.default_rng([seed, REVIEW_STREAM])
    texts = review_texts()
    workdays = working_days(calendar, year - 1, year)
    files = []
    previous_dossiers = {}
    for log in year_logs(units, year - 1):
        unit = log.owner
        previous = log_dossiers(log, year - 1, rng, units, scale, share=PREVIOUS_SHARE, until=year,
                                catalogue=catalogue, calendar=calendar)
        # Seen a year later, nearly everything was returned; the few dossiers never returned were closed.
        previous = previous[previous["returned_date"].notna()].reset_index(drop=True)
        name = f"{unit.unit_code}_{unit.slug}_{year - 1}.xlsx"
        write_log(inside(out, "dossiers", name),
                  dossier_sheet(previous, LOG_STYLES["export_a"], unit, year - 1, rng, last_day=log.last_day))
        files.append((f"dossiers/{name}", len(previous)))
        previous_dossiers[unit.unit_code] = previous
    for unit in units_at_end(units, year - 1):
        sheet = _surveys_sheet(unit, previous_dossiers[unit.unit_code], year - 1, rng, texts)
        files.append(_write(out, "surveys", f"{unit.unit_code}_khao_sat_{year - 1}.xlsx", sheet))
        sheet = _decisions_sheet(unit, year - 1, rng, texts)
        files.append(_write(out, "reviews", f"{unit.unit_code}_quyet_dinh_{year - 1}.xlsx", sheet))
    for unit in units_at_end(units, year):
        current = year_dossiers[unit.unit_code]
        sheet = _surveys_sheet(unit, current, year, rng, texts)
        files.append(_write(out, "surveys", f"{unit.unit_code}_khao_sat_{year}.xlsx", sheet))
        sheet = _feedback_sheet(unit, year, rng, texts, workdays, scale)
        files.append(_write(out, "feedback", f"{unit.unit_code}_phan_anh_{year}.xlsx", sheet))
        sheet = _findings_sheet(unit, year, rng, texts, current)
        files.append(_write(out, "findings", f"{unit.unit_code}_findings.xlsx", sheet))
    return files


def _write(out: Path, folder: str, name: str, sheet: Sheet) -> tuple[str, int]:
    write_xlsx(inside(out, folder, name), [sheet])
    return f"{folder}/{name}", sheet.rows


def _surveys_sheet(unit: UnitProfile, dossiers: pd.DataFrame, year: int, rng, texts: pd.DataFrame) -> Sheet:
    """Answers of citizens whose dossier was returned in ``year``, one a day at most; dissatisfaction follows
    lateness."""
    words = review_words()
    returned = dossiers[(dossiers["returned_date"].dt.year == year).fillna(False).to_numpy(bool)]
    shuffled = returned.iloc[rng.permutation(len(returned))]
    day = shuffled["returned_date"].dt.normalize()
    one_a_day = shuffled[~day.duplicated().to_numpy()]
    count = int(np.clip(round(len(dossiers) * SURVEY_SHARE), 12, 230))
    picked = one_a_day.iloc[:count].sort_values("returned_date", kind="stable")
    late = picked["status"].isin(["late", "overdue"]).to_numpy()
    cumulative = np.where(late[:, None], np.cumsum(RATING_LATE), np.cumsum(RATING_ON_TIME))
    rating = (rng.random(len(picked))[:, None] > cumulative).sum(axis=1).clip(0, 3)
    comments = texts.loc[texts["kind"] == "survey_comment", "text"].to_numpy(dtype=object)
    commented = (rating >= 2) & (rng.random(len(picked)) < 0.6)
    comment = np.where(commented, comments[rng.integers(0, len(comments), len(picked))], None)
    ratings = words["ratings"]
    rows = [[d.to_pydatetime().replace(hour=0, minute=0), i, c, p, ratings[r], m, a]
            for d, i, c, p, r, m, a in zip(picked["returned_date"].dt.normalize(), picked["dossier_id"],
                                           picked["procedure_code"].astype(str), picked["procedure_name"].astype(str),
                                           rating, comment, picked["applicant"])]
    sheet_words = words["surveys"]
    sheet = static_sheet(sheet_words["sheet"], _review_preamble(unit, sheet_words, year), rows,
                         [13, 26, 11, 42, 16, 40, 22])
    sheet.date_formats = {0: "dd/mm/yyyy"}
    return sheet


def _feedback_sheet(unit: UnitProfile, year: int, rng, texts: pd.DataFrame, workdays: np.ndarray,
                    scale: float) -> Sheet:
    """The year's feedback, recommendations and complaints: most answered within ``FEEDBACK_DAYS`` working
    days, some late, some received late in the year still waiting."""
    sheet_words = review_words()["feedback"]
    channels = dossier_words()["channels"]
    n = 3 + int(rng.poisson(max(unit.dossiers * scale, 30) / 200))
    days = workdays[(workdays >= np.datetime64(f"{year}-01-01")) & (workdays <= np.datetime64(f"{year}-12-31"))]
    received = np.sort(rng.choice(len(days), n, replace=False))
    first = np.searchsorted(workdays, days[0])
    index = first + received
    due = index + FEEDBACK_DAYS
    late = rng.random(n) < (0.35 if unit.late_factor >= 2 else 0.15)
    answered = np.where(late, due + rng.integers(1, 8, n), index + rng.integers(2, FEEDBACK_DAYS + 1, n))
    end = np.datetime64(f"{year}-12-31")
    waiting = workdays[np.minimum(answered, len(workdays) - 1)] > end
    kinds = rng.choice(list(FEEDBACK_TYPES), n, p=[0.5, 0.35, 0.15])
    results = texts.loc[texts["kind"] == "feedback_result", "text"].to_numpy(dtype=object)
    # The markup goes in the first entry the unit itself received (a successor's: from its first day).
    own = workdays[index] >= np.datetime64(unit.valid_from or date(year, 1, 1), "D")
    markup_entry = int(np.argmax(own)) if own.any() else 0
    rows = []
    for k in range(n):
        options = texts[(texts["kind"] == "feedback") & (texts["key"] == kinds[k])]["text"].to_numpy(dtype=object)
        content = options[rng.integers(0, len(options))]
        kind = kinds[k]
        if unit.unit_code == MARKUP_UNIT and k == markup_entry:
            markup = texts[texts["kind"] == "feedback_markup"].iloc[0]
            content, kind = markup["text"], markup["key"]
        citizen = person_name(rng, male=False)
        rows.append([f"PA-{year}-{unit.unit_code}-{k + 1:02d}", _datetime(workdays[index[k]]),
                     channels[rng.integers(0, 3)], sheet_words["types"][kind], content, None,
                     _datetime(workdays[due[k]]), None if waiting[k] else _datetime(workdays[answered[k]]),
                     None if waiting[k] else results[rng.integers(0, len(results))], citizen])
    sheet = static_sheet(sheet_words["sheet"], _review_preamble(unit, sheet_words, year), rows,
                         [22, 13, 14, 11, 60, 20, 13, 13, 36, 22])
    sheet.date_formats = {1: "dd/mm/yyyy", 6: "dd/mm/yyyy", 7: "dd/mm/yyyy"}
    return sheet


def _decisions_sheet(unit: UnitProfile, review_year: int, rng, texts: pd.DataFrame) -> Sheet:
    """The decisions of the review held at the end of ``review_year``, with where they stood a year later
    (the weak commune finished fewer)."""
    words = review_words()
    sheet_words = words["decisions"]
    owners = words["owners"]
    options = texts[texts["kind"] == "decision"].reset_index(drop=True)
    count = int(rng.integers(3, 6))
    picked = options.iloc[np.sort(rng.choice(len(options), count, replace=False))]
    weak = unit.late_factor >= 2
    # Status codes: positions in the decisions' statuses (0 done, 1 in progress, 2 not started, 3 cancelled).
    status = rng.choice(4, count, p=[0.25, 0.3, 0.4, 0.05] if weak else [0.5, 0.25, 0.15, 0.1])
    results = texts.loc[texts["kind"] == "decision_result", "text"].to_numpy(dtype=object)
    rows = []
    for number, (decision, status_code) in enumerate(zip(picked.itertuples(index=False), status), start=1):
        month = int(rng.integers(3, 13))
        deadline = (pd.Timestamp(review_year + 1, month, 1) + pd.offsets.MonthEnd(0)).to_pydatetime()
        rows.append([review_year, f"{review_year}-{number:02d}", decision.text,
                     sheet_words["categories"][decision.key], owners[int(rng.integers(0, len(owners)))], deadline,
                     sheet_words["statuses"][status_code],
                     results[rng.integers(0, len(results))] if status_code == 0 else None])
    sheet = static_sheet(sheet_words["sheet"], _review_preamble(unit, sheet_words, review_year), rows,
                         [11, 14, 70, 16, 28, 12, 16, 36])
    sheet.date_formats = {5: "dd/mm/yyyy"}
    return sheet


def _findings_sheet(unit: UnitProfile, year: int, rng, texts: pd.DataFrame, current: pd.DataFrame) -> Sheet:
    """The findings register after the internal audits of ``year - 1`` and ``year`` (October): the earlier
    audit's actions mostly verified, the later one's open or in progress, some past their deadline. Some
    communes repeat a nonconformity under the same clause; some have an action on risks (clause 6.1)."""
    words = review_words()
    sheet_words = words["findings"]
    statuses = sheet_words["statuses"]
    owners = words["owners"]
    findings = texts[texts["kind"] == "finding"].reset_index(drop=True)
    nonconformities = findings.index[findings["grade"].isin(["major", "minor"])].to_numpy()
    risk = findings.index[findings["clause"] == "6.1"].to_numpy()
    repeat = unit.unit_code == MARKUP_UNIT or unit.late_factor >= 2 or rng.random() < 0.4
    late_ids = current.loc[current["status"].isin(["late", "overdue"]), "dossier_id"].astype(str).tolist()
    rows = []
    for audit_year in (year - 1, year):
        audit_id = f"DGNB-{audit_year}"
        raised = pd.Timestamp(audit_year, 10, int(rng.integers(6, 25)))
        chosen = list(rng.choice(len(findings), int(rng.integers(2, 4)), replace=False))
        if repeat:
            chosen.append(int(nonconformities[0]))  # 8.5.1 in both audits
        if audit_year == year and (unit.unit_code == MARKUP_UNIT or rng.random() < 0.5):
            chosen.append(int(risk[0]))
        for position in dict.fromkeys(chosen):
            item = findings.iloc[position]
            deadline = raised + pd.Timedelta(days=int(rng.integers(20, 75)))
            if audit_year < year:
                status = rng.choice([statuses["verified"], statuses["done"], statuses["not_effective"]],
                                    p=[0.7, 0.2, 0.1])
            else:
                status = rng.choice([statuses["open"], statuses["in_progress"], statuses["done"]],
                                    p=[0.4, 0.35, 0.25])
            verified = status in (statuses["verified"], statuses["not_effective"])
            dossiers = "; ".join(late_ids[:2]) if item["key"].startswith("8.5.1") and audit_year == year else None
            effectiveness = sheet_words["effective" if status == statuses["verified"] else "not_effective"]
            rows.append([f"{audit_id}-{item['key']}", audit_id, unit.unit_code, item["clause"],
                         sheet_words["grades"][item["grade"]], item["text"], dossiers, "checklist",
                         raised.to_pydatetime(), item["action"], owners[int(rng.integers(0, len(owners)))],
                         deadline.to_pydatetime(), status,
                         (deadline + pd.Timedelta(days=20)).to_pydatetime() if verified else None,
                         effectiveness if verified else None])
    sheet = static_sheet(sheet_words["sheet"], _review_preamble(unit, sheet_words, year), rows,
                         [22, 13, 9, 9, 18, 60, 30, 10, 13, 45, 26, 12, 18, 13, 30])
    sheet.date_formats = {8: "dd/mm/yyyy", 11: "dd/mm/yyyy", 13: "dd/mm/yyyy"}
    return sheet


def _review_preamble(unit: UnitProfile, sheet_words: dict, year: int) -> list:
    """The form heading, the sheet's title (``{year}`` filled in) and its header."""
    header = list(sheet_words["header"])
    return [
        *form_heading(len(header), agency(parent_name(unit).upper()), agency(unit.unit_name.upper()), 3),
        ([], "title"),
        ([sheet_words["title"].format(year=year)], "title"),
        ([], "title"),
        (header, "header"),
    ]


def _datetime(day: np.datetime64) -> datetime:
    return pd.Timestamp(day).to_pydatetime()
