"""A realistic but fictional province's records, for demos, tests and benchmarks.

``make_sample(out_dir)`` writes a whole records folder for the sample province after the reform of 1/7/2025:
``units.xlsx`` (the province, its former district and former wards and communes with their end dates, their
successors with start dates and predecessors: one code can name two units), ``procedures.xlsx``,
``calendar.csv``, ``dossiers/`` (one log a code and year, as official tracking books or software exports; a
code kept through the reform has one log spanning it), ``objectives/``, the management review's inputs, saved
audits and a ``README.md`` listing the problems planted on purpose. ``write_dossier_log(path, rows)`` writes
one large log for benchmarks.

The same seed gives byte-identical files (workbook timestamps are fixed). Every word the province says (names,
headers, titles, sentences) and its tables (units, procedures, names, plants) live in
``isoaudit/data/synthetic_*``; this package holds the mechanism. Behaviour follows the receipt rules of
``isoaudit.timeliness`` (working days of ``isoaudit.calendar``), computed independently.

Modules, one concern each: ``sample`` (the folder), ``big_log`` (the benchmark log), ``units``, ``unit_logs``
(which logs a year has and whose dossiers each holds), ``catalogue``, ``district_calendar``, ``due_dates``,
``dossiers`` (generation), ``people``, ``log_layouts`` (exports and official books), ``plants``,
``objectives``, ``review_inputs``, ``audits``, ``readme``, ``sheets`` (the byte-stable writers) and ``words``
(the data files).
"""
from __future__ import annotations

from isoaudit.synthetic.big_log import write_dossier_log
from isoaudit.synthetic.catalogue import load_catalogue
from isoaudit.synthetic.district_calendar import calendar_decisions, district_calendar
from isoaudit.synthetic.dossiers import STATUSES, generate_dossiers
from isoaudit.synthetic.due_dates import legal_due_dates
from isoaudit.synthetic.log_layouts import LOG_STYLES, LogStyle, dossier_sheet
from isoaudit.synthetic.plants import Plant, PlantedProblem, plants
from isoaudit.synthetic.review_inputs import MARKUP_UNIT
from isoaudit.synthetic.sample import SampleSummary, make_sample
from isoaudit.synthetic.sheets import FIXED_TIME, Sheet
from isoaudit.synthetic.units import UnitProfile, district_units

__all__ = [
    "FIXED_TIME", "LOG_STYLES", "MARKUP_UNIT", "STATUSES", "LogStyle", "Plant", "PlantedProblem", "SampleSummary",
    "Sheet", "UnitProfile", "calendar_decisions", "district_calendar", "district_units", "dossier_sheet",
    "generate_dossiers", "legal_due_dates", "load_catalogue", "make_sample", "plants", "write_dossier_log",
]
