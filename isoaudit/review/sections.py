"""The twelve review inputs of clause 9.3.2 (a, b, c1..c7, d, e, f), one builder each, and the improvement
opportunities (f) proposed from the data."""
from __future__ import annotations

from datetime import timedelta

import pandas as pd

from isoaudit.decisions import decision_status_counts, decisions_file_name
from isoaudit.i18n import format_date, format_percent, label, message
from isoaudit.measures import MIN_RETURNED_TO_RANK, SATISFIED, UnitYear, changed_dates
from isoaudit.one_stop_rules import apology_forms, rule_set_counts
from isoaudit.review.analytics_section import analytics_of_unit, candidates_sentence
from isoaudit.review.context import (
    WORST_PROCEDURES,
    ReviewContext,
    action_statuses,
    dossiers_outside_catalogue,
    overall,
    status_words,
    trend,
)
from isoaudit.review.history_section import formed_by_merger, history_of_unit
from isoaudit.review.pack import CLAUSES, ReviewChart, ReviewSection, ReviewTable
from isoaudit.review.statistics_section import statistics_two_ways
from isoaudit.review.tables import lacks, new_section, new_table
from isoaudit.review.wording import (
    decimal_text,
    indicator_text,
    measured_text,
    month_label,
    points_text,
)
from isoaudit.text import fold, fold_series


def _previous_actions(context: ReviewContext) -> ReviewSection:
    """(a) The decisions of earlier reviews and where they stand."""
    section = new_section(context, "a")
    carried = context.carried
    previous_year = context.year - 1
    if not (carried["year"] == previous_year).any():
        section.warnings.append(context.t("warn.no_decisions", year=previous_year,
                                          file=decisions_file_name(context.unit["unit_code"], previous_year)))
    if carried.empty:
        return section
    counts = decision_status_counts(carried)
    section.sentences.append(context.t("text.decisions", **counts))
    if counts["unknown"]:
        section.warnings.append(context.t("warn.decision_status_unknown", count=counts["unknown"]))
    shown = carried.assign(status=status_words(context, carried["status"], "decision_status"))
    section.tables.append(new_table(context, "decisions", shown, ["decision_id", "year", "decision", "owner",
                                                               "deadline", "status", "result", "overdue"],
                                 {"year": "text"}))
    return section


def _issues(context: ReviewContext) -> ReviewSection:
    """(b) Changes in the procedure catalogue and internal processes that lag behind them."""
    section = new_section(context, "b")
    procedures = context.unit_procedures
    if lacks(section, procedures, context.t("warn.no_catalogue")):
        return section
    changed = changed_dates(procedures)
    in_year = lambda dates: ((dates >= context.start) & (dates <= context.end)).fillna(False)  # noqa: E731
    base = ["procedure_code", "procedure_name", "field"]
    if changed is None:
        section.warnings.append(context.t("warn.no_change_dates"))
    else:
        frame = procedures.assign(changed_date=changed)
        amended = frame[in_year(frame["changed_date"])].sort_values("changed_date")
        section.sentences.append(context.t("text.catalogue_changes", count=len(amended), year=context.year,
                                           total=len(procedures)))
        if len(amended):
            section.tables.append(new_table(context, "catalogue_changes", amended,
                                         base + ["changed_date", "process_code", "process_version", "effective_date"]))
        # The same processes the audit's evidence calls outdated (``measures.UnitYear.processes``).
        processes = context.unit_year.processes
        outdated = processes[processes["outdated"].to_numpy(bool)]
        section.sentences.append(context.t("text.outdated_processes", count=len(outdated)))
        if len(outdated):
            section.tables.append(new_table(context, "outdated_processes", outdated,
                                         base + ["process_code", "process_version", "effective_date", "changed_date"]))
    revised = procedures[in_year(procedures["effective_date"])]
    section.sentences.append(context.t("text.processes_revised", count=len(revised), year=context.year))
    missing = procedures[procedures["process_code"].isna()]
    section.sentences.append(context.t("text.no_process", count=len(missing)))
    if len(missing):
        section.tables.append(new_table(context, "no_process", missing, base + ["legal_days"]))
    removed = dossiers_outside_catalogue(context)
    if len(removed):
        section.sentences.append(context.t("text.outside_catalogue", count=int(removed["dossiers"].sum()),
                                           procedures=len(removed)))
        section.tables.append(new_table(context, "outside_catalogue", removed, ["procedure_name", "dossiers"]))
    return section


def _satisfaction(context: ReviewContext) -> ReviewSection:
    """(c1) Satisfaction surveys, and feedback or complaints with how fast they were answered."""
    section = new_section(context, "c1")
    surveys = context.surveys
    if not lacks(section, surveys, context.t("warn.no_surveys", year=context.year)):
        rate = context.measures["satisfaction_rate"]
        section.sentences.append(context.t("text.surveys", count=len(surveys), rate=format_percent(rate, context.lang)))
        previous_rate = context.previous_year.value("satisfaction_rate")
        if previous_rate is not None:
            section.sentences.append(context.t("text.surveys_previous", year=context.year - 1,
                                               rate=format_percent(previous_rate, context.lang),
                                               change=points_text(rate - previous_rate, context.lang)))
        ratings = ["very_satisfied", "satisfied", "neutral", "dissatisfied"]
        counts = surveys["rating"].value_counts().reindex(ratings, fill_value=0)
        by_rating = pd.DataFrame({"rating": [context.t(f"rating.{r}") for r in ratings],
                                  "answers": counts.to_numpy(), "share": counts.to_numpy() / len(surveys)})
        section.tables.append(new_table(context, "ratings", by_rating, ["rating", "answers", "share"],
                                     {"share": "percent"}))
        section.charts.append(ReviewChart("ratings", context.t("chart.ratings", year=context.year), "bar",
                                          by_rating.set_index("rating")[["share"]].rename(
                                              columns={"share": str(context.year)}),
                                          percent=True, lang=context.lang))
        unhappy = surveys[~surveys["rating"].isin(SATISFIED).fillna(False) & surveys["comment"].notna()]
        if len(unhappy):
            shown = unhappy.assign(rating=status_words(context, unhappy["rating"], "rating"))
            section.tables.append(new_table(context, "survey_comments", shown.head(20),
                                         ["survey_date", "procedure_name", "rating", "comment"]))
    feedback = context.feedback
    if lacks(section, feedback, context.t("warn.no_feedback", year=context.year)):
        return section
    handled = feedback["handled_date"].notna()
    section.sentences.append(context.t(
        "text.feedback", count=len(feedback), complaints=int(feedback["feedback_type"].eq("complaint").sum()),
        handled=int(handled.sum()), on_time=int(feedback["on_time"].fillna(False).sum()),
        late=int((feedback["on_time"] == False).sum()), open=int((~handled).sum()),  # noqa: E712
        overdue=int(feedback["overdue"].sum()),
        days=decimal_text(feedback["handling_days"].astype("float").mean(), context.lang)))
    shown = feedback.assign(feedback_type=status_words(context, feedback["feedback_type"], "feedback_type"))
    section.tables.append(new_table(context, "feedback", shown.sort_values("received_date"),
                                 ["feedback_id", "received_date", "feedback_type", "content", "procedure_name",
                                  "due_date", "handled_date", "handling_days", "on_time"]))
    return section


def _objectives_section(context: ReviewContext) -> ReviewSection:
    """(c2) Each quality objective: target, the result the unit reported and the one recomputed from the
    records, met or not (judged on the recomputed figure where the records give one)."""
    section = new_section(context, "c2")
    result = context.objectives
    if lacks(section, result, context.t("warn.no_objectives", year=context.year)):
        return section
    met = result["met"]
    section.sentences.append(context.t("text.objectives", total=len(result), met=int(met.fillna(False).sum()),
                                       missed=int((met == False).sum()), unknown=int(met.isna().sum())))  # noqa: E712
    lang = context.lang
    for row in result.itertuples():
        where = {"objective": row.objective, "file": row.source_file, "row": row.source_row,
                 "target": row.target if isinstance(row.target, str) else ""}
        if isinstance(row.note, str):
            text = label(f"objectives.note.{row.note}", lang, measure=row.measure if isinstance(row.measure, str)
                         else "", **where)
            if row.note == "no_data":  # why the records cannot give it
                text += " " + context.missing_text(context.figure(row.measure))
            section.warnings.append(text)
        if not pd.isna(row.discrepancy) and bool(row.discrepancy):
            section.warnings.append(label("objectives.discrepancy", lang, **where,
                                          reported=measured_text(row.reported, row.target_unit, lang),
                                          recomputed=measured_text(row.recomputed, row.target_unit, lang)))
    shown = result.assign(
        reported_text=[measured_text(v, u, lang) for v, u in zip(result["reported"], result["target_unit"])],
        recomputed_text=[("" if not isinstance(m, str) else message("measures.no_data", lang) if pd.isna(v)
                          else measured_text(v, u, lang))
                         for v, u, m in zip(result["recomputed"], result["target_unit"], result["measure"])],
        met=[context.t("met.yes") if m is True else context.t("met.no") if m is False
             else context.t("met.unmeasurable") if n == "no_data" else context.t("met.unknown")
             for m, n in zip(met.astype(object).where(met.notna(), None), result["note"])],
        result_source=result["result_source"].map(lambda s: context.t(f"source.{s}")),
    )
    section.tables.append(new_table(context, "objectives", shown, ["objective_id", "objective", "target",
                                                                "reported_text", "recomputed_text",
                                                                "result_source", "met"]))
    return section


def _timeliness(context: ReviewContext) -> ReviewSection:
    """(c3) On-time rates by field, procedure and month, against the previous year."""
    section = new_section(context, "c3")
    current, previous = context.current, context.previous
    merged = formed_by_merger(context)
    if lacks(section, current, context.t("warn.no_dossiers", year=context.year)):
        if merged:
            history_of_unit(context, section)
        return section
    totals = overall(current)
    section.sentences.append(context.t(
        "text.timeliness", received=int(totals["received"]), returned=int(totals["returned"]),
        rate=format_percent(totals["on_time_rate"], context.lang), late=int(totals["late"]),
        in_progress=int(totals["in_progress"]), overdue=int(totals["overdue"])))
    rule_sets = _rule_sets_sentence(context, rule_set_counts(current))
    if rule_sets:
        section.sentences.append(rule_sets)
    if merged:  # its own previous year may not exist: its predecessors' years are the trend
        history_of_unit(context, section)
    # A unit formed in a merger has no previous year of its own to miss: its history table stands for it.
    if not (previous.empty and merged) and \
            not lacks(section, previous, context.t("warn.no_previous_dossiers", year=context.year - 1)):
        before = overall(previous)
        section.sentences.append(context.t(
            "text.timeliness_previous", year=context.year - 1,
            rate=format_percent(before["on_time_rate"], context.lang),
            change=points_text(totals["on_time_rate"] - before["on_time_rate"], context.lang)))
    unjudged = int(current["status"].isna().sum())
    if unjudged:
        section.warnings.append(context.t("warn.unjudged", count=unjudged))
    columns = ["received", "returned", "late", "in_progress", "overdue", "on_time_rate", "previous_rate", "change"]
    formats = {"on_time_rate": "percent", "previous_rate": "percent", "change": "points"}
    by_field = trend(context, "field").sort_values("on_time_rate", na_position="last")
    section.tables.append(new_table(context, "by_field", by_field, ["field"] + columns, formats))
    by_procedure = context.by_procedure.sort_values(["on_time_rate", "received"], ascending=[True, False],
                                            na_position="last")
    section.tables.append(new_table(context, "by_procedure", by_procedure,
                                    ["procedure_code", "procedure_name"] + columns, formats))
    by_month = trend(context, "month").set_index("month").reindex(range(1, 13)).reset_index()
    by_month["month_label"] = [month_label(m, context.lang) for m in by_month["month"]]
    for column in ("received", "returned", "early", "on_time", "late", "in_progress", "overdue"):
        by_month[column] = by_month[column].fillna(0).astype("int64")
    section.tables.append(new_table(context, "by_month", by_month, ["month_label"] + columns, formats))
    rates = pd.DataFrame({str(context.year): by_month["on_time_rate"].to_numpy()}, index=by_month["month_label"])
    if not previous.empty:
        rates[str(context.year - 1)] = by_month["previous_rate"].to_numpy()
    section.charts.append(ReviewChart("by_month", context.t("chart.by_month", year=context.year), "line", rates,
                                      percent=True, target=context.on_time_target,
                                      target_label=context.t("chart.target"), lang=context.lang))
    fields = by_field.dropna(subset=["on_time_rate"]).set_index("field")
    field_rates = pd.DataFrame({str(context.year): fields["on_time_rate"]})
    if not previous.empty:
        field_rates[str(context.year - 1)] = fields["previous_rate"]
    section.charts.append(ReviewChart("by_field", context.t("chart.by_field", year=context.year), "barh",
                                      field_rates, percent=True, target=context.on_time_target,
                                      target_label=context.t("chart.target"), lang=context.lang))
    statistics_two_ways(context, section)
    analytics_of_unit(context, section)
    return section


def _rule_sets_sentence(context: ReviewContext, counts: pd.DataFrame) -> str:
    """(c3) Which one-stop rule set judged how many dossiers, by date of receipt ("" when none has a date)."""
    lang = context.lang
    parts = []
    for row in counts[counts["dossiers"] > 0].itertuples():
        name = row.name_en if lang == "en" else row.name_vi
        if row.period == "always":
            return context.t("text.rule_set_all", count=row.dossiers, name=name)
        if row.period == "before":
            when = context.t("rule_set_when.before", date=format_date(row.valid_to + timedelta(days=1), lang))
        elif row.period == "from":
            when = context.t("rule_set_when.from", date=format_date(row.valid_from, lang))
        else:
            when = context.t("rule_set_when.between", start=format_date(row.valid_from, lang),
                             end=format_date(row.valid_to, lang))
        if parts:
            parts.append(context.t("text.rule_set_next", when=when, count=row.dossiers, name=name))
        else:
            parts.append(context.t("text.rule_set_first", when=when, count=row.dossiers, name=name))
    return "; ".join(parts) + "." if parts else ""


def _nonconformities(context: ReviewContext) -> ReviewSection:
    """(c4) Findings and corrective actions: still open, overdue, done but not verified, repeated."""
    section = new_section(context, "c4")
    findings = context.findings
    candidates = candidates_sentence(context)
    if candidates:  # the analytics' flags wait in the audit form for the auditor to accept or dismiss
        section.sentences.append(candidates)
    if lacks(section, findings, context.t("warn.no_findings")):
        return section
    nc = findings["nonconformity"]
    section.sentences.append(context.t(
        "text.findings", total=len(findings), nc=int(nc.sum()), open=int(findings["open"].sum()),
        overdue=int(findings["overdue"].sum()), unverified=int(findings["unverified"].sum()),
        repeated=int(findings["repeated"].sum())))
    grades = ["major", "minor", "observation", "improvement"]
    by_grade = pd.DataFrame({
        "grade": [context.t(f"grade.{g}") for g in grades],
        "findings": [int(findings["grade"].eq(g).sum()) for g in grades],
        "open": [int((findings["grade"].eq(g) & findings["open"]).sum()) for g in grades],
        "overdue": [int((findings["grade"].eq(g) & findings["overdue"]).sum()) for g in grades],
    })
    section.tables.append(new_table(context, "by_grade", by_grade, ["grade", "findings", "open", "overdue"]))
    pending = findings[findings["open"] | findings["unverified"] | findings["repeated"]]
    if len(pending):
        shown = pending.assign(grade=status_words(context, pending["grade"], "grade_short"),
                               status=action_statuses(context, pending["status"]))
        section.tables.append(new_table(context, "open_findings", shown.sort_values(["overdue", "deadline"],
                                                                                 ascending=[False, True]),
                                     ["finding_id", "clause", "grade", "description", "owner", "deadline",
                                      "status", "overdue", "repeated"]))
    return section


def _monitoring(context: ReviewContext) -> ReviewSection:
    """(c5) Other monitoring results: conformity of dossier handling, channels, data quality."""
    section = new_section(context, "c5")
    current, previous = context.current, context.previous
    if lacks(section, current, context.t("warn.no_dossiers", year=context.year)):
        return section
    # Each indicator is a ``measures`` figure; one the records cannot support says so instead of a zero.
    keys = {"late_without_apology": "late_without_apology_count",
            "appointment_beyond_legal": "appointment_beyond_legal_count", "overdue": "overdue_count",
            "supplement_share": "supplement_rate", "online_share": "online_rate", "postal_share": "postal_rate"}
    no_data = message("measures.no_data", context.lang)

    def shown(unit_year: UnitYear, key: str) -> str:
        figure = unit_year.figure(keys[key])
        return indicator_text(key, figure.value, context.lang) if figure.available else no_data

    indicators = pd.DataFrame({
        "indicator": [context.t(f"indicator.{k}") for k in keys],
        "current": [shown(context.unit_year, k) for k in keys],
        "previous": [shown(context.previous_year, k) if len(previous) else "" for k in keys],
    })
    section.tables.append(ReviewTable("indicators", context.t("table.indicators", year=context.year), indicators,
                                      {"indicator": context.t("col.indicator"), "current": str(context.year),
                                       "previous": str(context.year - 1)},
                                      {"current": "numtext", "previous": "numtext"}, context.lang))
    for key in ("online_rate", "postal_rate"):
        figure = context.figure(key)
        if not figure.available:
            section.warnings.append(context.missing_text(figure))
            break  # one channel sentence says it for both
    section.sentences.append(context.t(
        "text.monitoring", late_without_apology=int(context.figure("late_without_apology_count").count),
        beyond=int(context.figure("appointment_beyond_legal_count").count)))
    without = context.current[context.current["late_without_apology"].fillna(False).to_numpy(bool)] \
        if "late_without_apology" in context.current else context.current.iloc[:0]
    if len(without):  # the letter each was owed is the form of the rules in force when it was received
        section.sentences.append(context.t("text.apology_forms",
                                           forms="; ".join(apology_forms(without["received_at"], context.lang))))
    excluded = len(context.own.excluded_dossiers)
    problems = len(context.own.problems)
    section.sentences.append(context.t("text.data_quality", problems=problems, excluded=excluded))
    if excluded:
        reasons = context.own.excluded_dossiers["reason"].astype("string").value_counts(dropna=False)
        data = pd.DataFrame({"reason": status_words(context, pd.Series(reasons.index), "reason").to_numpy(),
                             "dossiers": reasons.to_numpy()})
        section.tables.append(new_table(context, "excluded", data, ["reason", "dossiers"]))
    return section


def _audits(context: ReviewContext) -> ReviewSection:
    """(c6) Internal audits of the year and what they found."""
    section = new_section(context, "c6")
    findings = context.findings
    of_year = findings[context.in_year(findings["raised_date"])]
    if lacks(section, of_year, context.t("warn.no_audits", year=context.year)):
        return section
    audits = of_year.assign(audit_id=of_year["audit_id"].fillna(context.t("no_audit_id")))
    grades = ["major", "minor", "observation", "improvement"]
    table = audits.groupby("audit_id").agg(first=("raised_date", "min"), findings=("finding_id", "size"),
                                           open=("open", "sum")).reset_index()
    for grade in grades:
        counts = audits[audits["grade"] == grade].groupby("audit_id").size()
        table[grade] = table["audit_id"].map(counts).fillna(0).astype("int64")
    section.sentences.append(context.t("text.audits", audits=len(table), findings=len(of_year),
                                       major=int(table["major"].sum()), minor=int(table["minor"].sum())))
    section.tables.append(new_table(context, "audits", table.sort_values("first"),
                                 ["audit_id", "first", "findings"] + grades + ["open"]))
    clauses = of_year.groupby("clause").size().sort_values(ascending=False).head(10)
    section.charts.append(ReviewChart("audit_clauses", context.t("chart.audit_clauses", year=context.year), "barh",
                                      pd.DataFrame({context.t("col.findings"): clauses.astype(float)}),
                                      integer=True, lang=context.lang))
    return section


def _providers(context: ReviewContext) -> ReviewSection:
    """(c7) External providers: public postal service, and other agencies that handle transferred dossiers."""
    section = new_section(context, "c7")
    current = context.current
    postal = current[current["channel"].eq("postal").fillna(False)]
    # The tracking book's "handling agency" is often the unit itself (the counter hands the dossier to its own
    # officer); only another agency is an external provider.
    own_name = fold(str(context.unit["unit_name"]))
    agency = fold_series(current["handling_agency"].astype("string"))
    external = (agency.notna() & ~agency.str.contains(own_name, regex=False)).fillna(False).to_numpy(bool)
    transferred = current[external]
    postal_rate = context.figure("postal_rate")
    if postal.empty and transferred.empty:
        section.warnings.append(context.t("warn.no_providers", year=context.year))
        if not postal_rate.available and not current.empty:
            section.warnings.append(context.missing_text(postal_rate))
        return section
    rows = []
    # Without a recorded channel the postal row would read as "no dossier by post": leave it out, and say why.
    groups = (("postal", postal),) if postal_rate.available else ()
    for key, frame in (*groups, ("transferred", transferred), ("all", current)):
        counts = overall(frame)
        rows.append({"provider": context.t(f"provider.{key}"), "received": len(frame),
                     "returned": int(counts["returned"]), "on_time_rate": float(counts["on_time_rate"])})
    held = context.calendar.working_days_between(transferred["transferred_date"].dt.normalize(),
                                                 transferred["result_received_date"].dt.normalize()) \
        if len(transferred) else pd.Series([], dtype="Int64")
    table = pd.DataFrame(rows)
    section.tables.append(new_table(context, "providers", table, ["provider", "received", "returned", "on_time_rate"],
                                 {"on_time_rate": "percent"}))
    postal_count = str(len(postal)) if postal_rate.available else message("measures.no_data", context.lang)
    section.sentences.append(context.t("text.providers", postal=postal_count, transferred=len(transferred),
                                       days=decimal_text(held.astype("float").mean(), context.lang)))
    if not postal_rate.available:
        section.warnings.append(context.missing_text(postal_rate))
    elif postal.empty:
        section.warnings.append(context.t("warn.no_postal", year=context.year))
    return section


def _resources(context: ReviewContext) -> ReviewSection:
    """(d) Workload of the one-stop counter: dossiers received per officer, per month and per working day."""
    section = new_section(context, "d")
    officers = context.unit["officers"]
    current = context.current
    if lacks(section, current, context.t("warn.no_dossiers", year=context.year)):
        return section
    months = pd.date_range(context.start, context.end, freq="MS")
    ends = months + pd.offsets.MonthEnd(0)
    working = context.calendar.for_unit(context.unit["unit_code"]).working_days_between(
        pd.Series(months - pd.Timedelta(days=1)), pd.Series(ends))
    received = current.groupby("month").size().reindex(range(1, 13), fill_value=0)
    table = pd.DataFrame({"month_label": [month_label(m, context.lang) for m in range(1, 13)],
                          "received": received.to_numpy(), "working_days": working.to_numpy()})
    if pd.isna(officers) or int(officers) <= 0:
        section.warnings.append(context.t("warn.no_officers"))
        section.tables.append(new_table(context, "load", table, ["month_label", "received", "working_days"]))
        return section
    officers = int(officers)
    table["per_officer"] = table["received"] / officers
    table["per_officer_day"] = table["per_officer"] / table["working_days"].where(table["working_days"] > 0)
    busiest = table.loc[table["per_officer"].idxmax()]
    section.sentences.append(context.t(
        "text.load", officers=officers, per_month=decimal_text(table["per_officer"].mean(), context.lang),
        per_day=decimal_text(context.figure("dossiers_per_officer_day").value, context.lang),
        month=busiest["month_label"], peak=decimal_text(busiest["per_officer"], context.lang)))
    section.tables.append(new_table(context, "load", table, ["month_label", "received", "working_days", "per_officer",
                                                          "per_officer_day"], {"per_officer_day": "decimal2"}))
    section.charts.append(ReviewChart("load", context.t("chart.load", year=context.year), "bar",
                                      pd.DataFrame({context.t("col.per_officer"): table["per_officer"].to_numpy()},
                                                   index=table["month_label"]),
                                      value_label=context.t("chart.per_officer_axis"), lang=context.lang))
    return section


def _risks(context: ReviewContext) -> ReviewSection:
    """(e) Actions on risks and opportunities: findings under clause 6.1 and their actions, and the signals
    of risks coming true (procedures whose on-time rate fell)."""
    section = new_section(context, "e")
    findings = context.findings
    risk = findings[findings["clause"].astype("string").str.startswith("6.1").fillna(False)]
    if not lacks(section, risk, context.t("warn.no_risk_actions")):
        done = (~risk["open"]).sum()
        section.sentences.append(context.t("text.risk_actions", total=len(risk), done=int(done),
                                           overdue=int(risk["overdue"].sum())))
        shown = risk.assign(status=action_statuses(context, risk["status"]))
        section.tables.append(new_table(context, "risk_actions", shown, ["finding_id", "description",
                                                                      "corrective_action", "owner", "deadline",
                                                                      "status"]))
    falling = context.by_procedure
    falling = falling[(falling["change"] <= -5) & (falling["returned"] >= MIN_RETURNED_TO_RANK)].sort_values("change")
    if context.previous.empty:
        section.warnings.append(context.t("warn.no_previous_dossiers", year=context.year - 1))
    else:
        section.sentences.append(context.t("text.risk_signals", count=len(falling)))
        if len(falling):
            section.tables.append(new_table(context, "risk_signals", falling,
                                         ["procedure_code", "procedure_name", "returned", "on_time_rate",
                                          "previous_rate", "change"],
                                         {"on_time_rate": "percent", "previous_rate": "percent", "change": "points"}))
    return section


def _improvement(context: ReviewContext) -> ReviewSection:
    """(f) Opportunities for improvement proposed from the data, for the chair to decide on."""
    section = new_section(context, "f")
    proposals = context.proposals
    if lacks(section, proposals, context.t("warn.no_opportunities")):
        return section
    section.sentences.append(context.t("text.opportunities", count=len(proposals)))
    shown = proposals.assign(number=range(1, len(proposals) + 1),
                             source=proposals["source"].map(lambda k: CLAUSES[k]))
    section.tables.append(new_table(context, "opportunities", shown, ["number", "opportunity", "source"]))
    return section


BUILDERS = (_previous_actions, _issues, _satisfaction, _objectives_section, _timeliness, _nonconformities,
             _monitoring, _audits, _providers, _resources, _risks, _improvement)


def opportunities(context: ReviewContext) -> pd.DataFrame:
    """Improvement opportunities (columns ``opportunity``, ``category``, ``source``): worst procedures,
    repeated findings, missed objectives, overdue actions and decisions, late replies to citizens."""
    t, lang = context.t, context.lang
    items: list[tuple[str, str, str]] = []
    procedures = context.by_procedure
    worst = procedures[(procedures["returned"] >= MIN_RETURNED_TO_RANK)
                       & (procedures["on_time_rate"] < context.on_time_target)].nsmallest(WORST_PROCEDURES,
                                                                                         "on_time_rate")
    for row in worst.itertuples():
        items.append((t("opportunity.worst_procedure", procedure=row.procedure_name,
                        rate=format_percent(row.on_time_rate, lang), late=int(row.late + row.overdue)),
                      "improvement", "c3"))
    missed = context.objectives[(context.objectives["met"] == False).fillna(False)]  # noqa: E712
    for row in missed.itertuples():
        items.append((t("opportunity.missed_objective", objective=row.objective, target=row.target,
                        result=measured_text(row.measured, row.target_unit, lang)), "improvement", "c2"))
    findings = context.findings
    for clause, group in findings[findings["repeated"]].groupby("clause"):
        earlier = sorted({i for ids in group["repeat_of"].dropna() for i in str(ids).split("; ")})
        items.append((t("opportunity.repeated_finding", clause=clause, findings="; ".join(group["finding_id"]),
                        earlier="; ".join(earlier)), "qms_change", "c4"))
    overdue = int(findings["overdue"].sum())
    if overdue:
        items.append((t("opportunity.overdue_actions", count=overdue), "improvement", "c4"))
    no_apology = context.measures.get("late_without_apology_count") or 0
    if no_apology:
        items.append((t("opportunity.late_without_apology", count=int(no_apology)), "improvement", "c5"))
    late_replies = int((context.feedback["on_time"] == False).sum() + context.feedback["overdue"].sum())  # noqa: E712
    if late_replies:
        items.append((t("opportunity.late_feedback", count=late_replies), "improvement", "c1"))
    unfinished = context.carried[context.carried["overdue"]]
    if len(unfinished):
        items.append((t("opportunity.unfinished_decisions", count=len(unfinished)), "improvement", "a"))
    per_day = context.figure("dossiers_per_officer_day").value
    if per_day is not None:
        if per_day > 10:  # a one-stop officer can check and receive about ten dossiers a day with care
            items.append((t("opportunity.workload", per_day=decimal_text(per_day, lang)), "resources", "d"))
    return pd.DataFrame(items, columns=["opportunity", "category", "source"])
