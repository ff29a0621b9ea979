"""Canonical record kinds: the columns every reader returns and every computation relies on.

Column types: ``text`` (pandas string), ``int`` (nullable Int64), ``number`` (float), ``date`` (datetime64,
midnight), ``datetime`` (datetime64, date and local time), ``time`` (text ``HH:MM``), ``bool``.
Required columns must be found in a file's header; optional ones are added empty when absent.
Columns ``source_file`` and ``source_row`` (the Excel row number) are added to every record read, so any
figure can be traced back to the row an auditor can open.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Column:
    name: str
    kind: str  # text, int, number, date, datetime, time, bool
    required: bool = False
    personal: bool = False  # citizens' personal data: kept out of roll-ups


UNITS = (
    Column("unit_code", "text", required=True),
    Column("unit_name", "text", required=True),
    Column("level", "text", required=True),  # province, district, commune, ward
    Column("parent_code", "text"),
    Column("saturday_reception", "bool"),  # the one-stop counter receives dossiers on Saturday mornings
    Column("officers", "int"),  # one-stop officers, for the dossier load per officer
    # Units in time (domain brief §6): the days a unit exists, from and to (both empty: always), and the units
    # it was formed from, by code, separated by ";" — each the unit of that code on the day before valid_from.
    Column("valid_from", "date"),
    Column("valid_to", "date"),
    Column("predecessors", "text"),
    Column("basis", "text"),  # the resolution that formed or dissolved the unit
)

PROCEDURES = (
    Column("procedure_code", "text", required=True),
    Column("procedure_name", "text", required=True),
    Column("field", "text"),
    Column("level", "text"),
    Column("legal_days", "int", required=True),  # working days; 0 = same day
    Column("cutoff_time", "time"),  # same-day procedures: received after it, due the next working day
    Column("supplement_rule", "text"),  # pause (default) or restart: how waiting for a supplement counts
    Column("process_code", "text"),
    Column("process_version", "text"),
    Column("effective_date", "date"),  # of the internal process version
    Column("changed_date", "date"),  # the procedure's last amendment in the catalogue
    Column("fee", "text"),
)

DOSSIERS = (
    Column("dossier_id", "text", required=True),
    Column("unit_code", "text"),  # from the column, else the file name, else the title rows
    Column("procedure_code", "text"),  # from the column, else matched to the catalogue by name
    Column("procedure_name", "text"),
    Column("applicant", "text", personal=True),
    Column("applicant_contact", "text", personal=True),
    Column("received_at", "datetime", required=True),
    # An online dossier's submission on the portal ("Ngày nộp hồ sơ"); the clock starts at received_at.
    Column("submitted_at", "datetime"),
    Column("due_date", "date", required=True),  # the appointment written on the receipt
    Column("returned_date", "datetime"),  # empty while not returned
    Column("channel", "text"),
    # The one-stop software's status of the dossier when the log was exported (see vocabulary.csv,
    # dossier_state; how each state counts: data/dossier_states.csv). Not ``status``: assess() outputs that.
    Column("log_status", "text"),
    Column("supplement_requested_at", "datetime"),
    Column("supplement_received_at", "datetime"),
    Column("apology_date", "date"),
    Column("new_due_date", "date"),
    Column("handling_agency", "text"),
    Column("transferred_date", "datetime"),
    Column("result_received_date", "datetime"),
    Column("officer", "text"),
    Column("note", "text"),
)

OBJECTIVES = (
    Column("unit_code", "text"),  # from the column, else the file name
    Column("year", "int", required=True),
    Column("objective_id", "text"),
    Column("objective", "text", required=True),
    Column("indicator", "text"),
    Column("target", "text", required=True),  # as written, e.g. "≥ 98 %"
    Column("measure", "text"),  # a key isoaudit computes from records (e.g. on_time_rate), or empty
    Column("owner", "text"),
    Column("deadline", "date"),
    Column("actual", "text"),  # the manual result, when there is no measure key
)

# Citizen satisfaction survey answers (phiếu khảo sát), one row per answer.
SURVEYS = (
    Column("unit_code", "text"),  # from the column, else the file name
    Column("survey_date", "date", required=True),
    Column("dossier_id", "text"),
    Column("procedure_code", "text"),
    Column("procedure_name", "text"),
    Column("rating", "text", required=True),  # very_satisfied, satisfied, neutral, dissatisfied (see vocabulary.csv)
    Column("comment", "text"),
    Column("respondent", "text", personal=True),
)

# Citizens' feedback, recommendations and complaints (phản ánh, kiến nghị) and how they were handled.
FEEDBACK = (
    Column("unit_code", "text"),
    Column("feedback_id", "text", required=True),
    Column("received_date", "date", required=True),
    Column("channel", "text"),
    Column("feedback_type", "text"),  # feedback, recommendation, complaint (see vocabulary.csv)
    Column("content", "text", required=True),
    Column("procedure_name", "text"),
    Column("due_date", "date"),  # the date a reply was due, when the agency set one
    Column("handled_date", "date"),  # empty while not handled
    Column("result", "text"),
    Column("citizen", "text", personal=True),
)

# Decisions of a management review (9.3.3), filled by the chair; next year's review reads them as input (a).
DECISIONS = (
    Column("unit_code", "text"),
    Column("year", "int", required=True),  # the year of the review that took the decision
    Column("decision_id", "text", required=True),
    Column("decision", "text", required=True),
    Column("category", "text"),  # improvement, qms_change, resources (see vocabulary.csv)
    Column("owner", "text"),
    Column("deadline", "date"),
    Column("status", "text"),  # open, in_progress, done, cancelled (see vocabulary.csv)
    Column("result", "text"),
)

KINDS: dict[str, tuple[Column, ...]] = {
    "units": UNITS,
    "procedures": PROCEDURES,
    "dossiers": DOSSIERS,
    "objectives": OBJECTIVES,
    "surveys": SURVEYS,
    "feedback": FEEDBACK,
    "decisions": DECISIONS,
}

# Columns written in controlled words (Vietnamese or English), mapped when read to canonical codes through the
# vocabulary of the same or the named kind in ``isoaudit/data/vocabulary.csv``.
CONTROLLED: dict[str, dict[str, str]] = {
    "units": {"level": "level"},
    "procedures": {"level": "level", "supplement_rule": "supplement_rule"},
    "dossiers": {"channel": "channel", "log_status": "dossier_state"},
    "surveys": {"rating": "rating"},
    "feedback": {"channel": "channel", "feedback_type": "feedback_type"},
    "decisions": {"category": "category", "status": "decision_status"},
    "findings": {"grade": "grade", "status": "action_status"},
}

SOURCE_COLUMNS = ("source_file", "source_row")


def columns(kind: str) -> list[str]:
    """The canonical column names of ``kind``, in order, followed by the source columns."""
    return [c.name for c in KINDS[kind]] + list(SOURCE_COLUMNS)


def required(kind: str) -> list[str]:
    return [c.name for c in KINDS[kind] if c.required]


def personal_columns(kind: str) -> list[str]:
    """Columns holding citizens' personal data, to drop from roll-ups and shared reports."""
    return [c.name for c in KINDS[kind] if c.personal]


def column(kind: str, name: str) -> Column:
    return next(c for c in KINDS[kind] if c.name == name)

# Findings register (clause 10.2): every nonconformity, observation or improvement opportunity with its
# corrective-action life. Written by audits and by the sample worksheet evaluation; read back the same way.
FINDINGS = (
    Column("finding_id", "text", required=True),
    Column("audit_id", "text"),
    Column("unit_code", "text", required=True),
    Column("clause", "text", required=True),  # ISO 9001:2015 clause number, e.g. "8.5.1"
    Column("grade", "text", required=True),  # major, minor, observation, improvement (see GRADES)
    Column("description", "text", required=True),
    Column("evidence", "text"),
    Column("dossier_ids", "text"),  # dossiers involved, separated by "; "
    Column("source", "text"),  # checklist, sample, manual
    Column("raised_date", "date"),
    Column("correction", "text"),
    Column("root_cause", "text"),
    Column("corrective_action", "text"),
    Column("owner", "text"),
    Column("deadline", "date"),
    Column("status", "text"),  # open, in_progress, done, verified_effective, not_effective (see ACTION_STATUSES)
    Column("verification_date", "date"),
    Column("verification_result", "text"),
)
KINDS["findings"] = FINDINGS

# The periodic statistics form on TTHC results the agency itself reported (Biểu II.06a), one row per field (lĩnh
# vực) and a totals row; the unit and period come from the columns or the title rows. Read to be compared with
# the form recomputed from the dossier log (``isoaudit.agency_statistics``).
STATISTICS = (
    Column("unit_code", "text"),
    Column("period_from", "date"),
    Column("period_to", "date"),
    Column("field", "text"),
    Column("received_total", "int", required=True),
    Column("received_online", "int"),
    Column("received_counter", "int"),  # at the counter or by post
    Column("received_carried_over", "int"),
    Column("handled_total", "int"),
    Column("handled_early", "int"),
    Column("handled_on_time", "int"),
    Column("handled_late", "int"),
    Column("in_progress_total", "int"),
    Column("in_progress_within_time", "int"),
    Column("in_progress_overdue", "int"),
)
KINDS["statistics"] = STATISTICS

# Audit results and finding grades as Vietnamese auditors use them; labels in data/labels*.toml.
RESULTS = ("conforms", "major", "minor", "observation", "improvement", "not_applicable")
GRADES = ("major", "minor", "observation", "improvement")
ACTION_STATUSES = ("open", "in_progress", "done", "verified_effective", "not_effective")
