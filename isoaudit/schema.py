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


def _cols(*specs: tuple) -> tuple[Column, ...]:
    return tuple(Column(*spec) for spec in specs)


UNITS = _cols(
    ("unit_code", "text", True),
    ("unit_name", "text", True),
    ("level", "text", True),  # province, district, commune, ward
    ("parent_code", "text"),
    ("saturday_reception", "bool"),  # the one-stop counter receives dossiers on Saturday mornings
    ("officers", "int"),  # one-stop officers, for the dossier load per officer
)

PROCEDURES = _cols(
    ("procedure_code", "text", True),
    ("procedure_name", "text", True),
    ("field", "text"),
    ("level", "text"),
    ("legal_days", "int", True),  # working days; 0 = same day
    ("cutoff_time", "time"),  # same-day procedures: received after it, due the next working day
    ("supplement_rule", "text"),  # pause (default) or restart: how waiting for a supplement counts
    ("process_code", "text"),
    ("process_version", "text"),
    ("effective_date", "date"),  # of the internal process version
    ("changed_date", "date"),  # the procedure's last amendment in the catalogue
    ("fee", "text"),
)

DOSSIERS = _cols(
    ("dossier_id", "text", True),
    ("unit_code", "text"),  # from the column, else the file name, else the title rows
    ("procedure_code", "text"),  # from the column, else matched to the catalogue by name
    ("procedure_name", "text"),
    ("applicant", "text", False, True),
    ("applicant_contact", "text", False, True),
    ("received_at", "datetime", True),
    ("due_date", "date", True),  # the appointment written on the receipt
    ("returned_date", "datetime"),  # empty while not returned
    ("channel", "text"),
    ("supplement_requested_at", "datetime"),
    ("supplement_received_at", "datetime"),
    ("apology_date", "date"),
    ("new_due_date", "date"),
    ("handling_agency", "text"),
    ("transferred_date", "datetime"),
    ("result_received_date", "datetime"),
    ("officer", "text"),
    ("note", "text"),
)

OBJECTIVES = _cols(
    ("unit_code", "text"),  # from the column, else the file name
    ("year", "int", True),
    ("objective_id", "text"),
    ("objective", "text", True),
    ("indicator", "text"),
    ("target", "text", True),  # as written, e.g. "≥ 98 %"
    ("measure", "text"),  # a key isoaudit computes from records (e.g. on_time_rate), or empty
    ("owner", "text"),
    ("deadline", "date"),
    ("actual", "text"),  # the manual result, when there is no measure key
)

# Citizen satisfaction survey answers (phiếu khảo sát), one row per answer.
SURVEYS = _cols(
    ("unit_code", "text"),  # from the column, else the file name
    ("survey_date", "date", True),
    ("dossier_id", "text"),
    ("procedure_code", "text"),
    ("procedure_name", "text"),
    ("rating", "text", True),  # very_satisfied, satisfied, neutral, dissatisfied (see vocabulary.csv)
    ("comment", "text"),
    ("respondent", "text", False, True),
)

# Citizens' feedback, recommendations and complaints (phản ánh, kiến nghị) and how they were handled.
FEEDBACK = _cols(
    ("unit_code", "text"),
    ("feedback_id", "text", True),
    ("received_date", "date", True),
    ("channel", "text"),
    ("feedback_type", "text"),  # feedback, recommendation, complaint (see vocabulary.csv)
    ("content", "text", True),
    ("procedure_name", "text"),
    ("due_date", "date"),  # the date a reply was due, when the agency set one
    ("handled_date", "date"),  # empty while not handled
    ("result", "text"),
    ("citizen", "text", False, True),
)

# Decisions of a management review (9.3.3), filled by the chair; next year's review reads them as input (a).
DECISIONS = _cols(
    ("unit_code", "text"),
    ("year", "int", True),  # the year of the review that took the decision
    ("decision_id", "text", True),
    ("decision", "text", True),
    ("category", "text"),  # improvement, qms_change, resources (see vocabulary.csv)
    ("owner", "text"),
    ("deadline", "date"),
    ("status", "text"),  # open, in_progress, done, cancelled (see vocabulary.csv)
    ("result", "text"),
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
    "dossiers": {"channel": "channel"},
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
FINDINGS = _cols(
    ("finding_id", "text", True),
    ("audit_id", "text"),
    ("unit_code", "text", True),
    ("clause", "text", True),  # ISO 9001:2015 clause number, e.g. "8.5.1"
    ("grade", "text", True),  # major, minor, observation, improvement (see GRADES)
    ("description", "text", True),
    ("evidence", "text"),
    ("dossier_ids", "text"),  # dossiers involved, separated by "; "
    ("source", "text"),  # checklist, sample, manual
    ("raised_date", "date"),
    ("correction", "text"),
    ("root_cause", "text"),
    ("corrective_action", "text"),
    ("owner", "text"),
    ("deadline", "date"),
    ("status", "text"),  # open, in_progress, done, verified_effective, not_effective (see ACTION_STATUSES)
    ("verification_date", "date"),
    ("verification_result", "text"),
)
KINDS["findings"] = FINDINGS

# Audit results and finding grades as Vietnamese auditors use them; labels in data/labels*.toml.
RESULTS = ("conforms", "major", "minor", "observation", "improvement", "not_applicable")
GRADES = ("major", "minor", "observation", "improvement")
ACTION_STATUSES = ("open", "in_progress", "done", "verified_effective", "not_effective")
