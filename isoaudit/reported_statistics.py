"""The periodic statistics an agency reported (Biểu II.06a, ``Records.statistics``) compared line by line with
the same form recomputed from its dossier log for exactly the reported period (``agency_statistics``), as the
one-stop software counts and by law.

Rules:

- A reported form is one unit, one period, one file: its totals row when it has one (checked against the sum
  of its fields when read), else the sum of its field rows; a row without a field is the totals row (agencies
  write "Tổng cộng" across the STT column). A line the form does not give (a column absent, or
  empty in every row) is missing, never 0; a blank cell in a line the form gives elsewhere is 0, as forms
  leave zeros blank. A form without a known period is not compared (said when it was read).
- Recomputed: ``period_statistics`` of the unit from the period's first to its last day, judged as of its
  last day. Received online: new dossiers whose channel is online; at the counter or by post: the other new
  ones.
- Reported ≠ software count: the report is not the software's own count of the log — dossiers missing from
  the log (or the log from the software), or figures edited by hand. Software ≠ law: stored appointments
  beyond the legal time, set-aside and waiting dossiers counted on time. Neither proves a report false by
  itself: the period, the scope (inter-agency dossiers, another unit's counter) or the export's date may
  differ; the dossiers behind a line are the sample to check.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import pandas as pd

from isoaudit.agency_statistics import AgencyStatistics, period_statistics
from isoaudit.records.statistics_form import FIGURES, comparable_period, is_totals

LINES = FIGURES  # the form's lines, in its order (received_total ... in_progress_overdue)
HANDLED_JUDGED = ("handled_early", "handled_on_time", "handled_late")
# The label of each line (keys written out, so the wording tests see them).
LINE_KEYS = {
    "received_total": "agency_statistics.reported.received_total",
    "received_online": "agency_statistics.reported.received_online",
    "received_counter": "agency_statistics.reported.received_counter",
    "received_carried_over": "agency_statistics.reported.received_carried_over",
    "handled_total": "agency_statistics.reported.handled_total",
    "handled_early": "agency_statistics.reported.handled_early",
    "handled_on_time": "agency_statistics.reported.handled_on_time",
    "handled_late": "agency_statistics.reported.handled_late",
    "in_progress_total": "agency_statistics.reported.in_progress_total",
    "in_progress_within_time": "agency_statistics.reported.in_progress_within_time",
    "in_progress_overdue": "agency_statistics.reported.in_progress_overdue",
}
COMPARISON_COLUMNS = ["line", "reported", "software", "law", "reported_minus_software", "reported_minus_law"]


@dataclass(frozen=True)
class ReportedForm:
    """One form as the agency reported it: ``figures`` by line of ``LINES`` (None: the form does not give it)."""

    unit_code: str | None
    start: pd.Timestamp | None
    end: pd.Timestamp | None
    figures: dict
    source_file: str
    source_rows: tuple[int, ...]
    from_totals: bool  # read from the form's totals row (else the sum of its field rows)

    def on_time_rate(self) -> float | None:
        """(early + on time) / (early + on time + late) as reported, 0..1; None when a line is missing."""
        return _rate(self.figures)


@dataclass(frozen=True)
class StatisticsComparison:
    """A reported form beside the form recomputed for its unit and period."""

    reported: ReportedForm
    computed: AgencyStatistics

    @cached_property
    def table(self) -> pd.DataFrame:
        """One row per line of ``LINES`` (``COMPARISON_COLUMNS``): the reported, software and law counts
        (nullable Int64: <NA> where the form does not give the line) and the differences."""
        software, law = computed_lines(self.computed, "software"), computed_lines(self.computed, "law")
        table = pd.DataFrame({"line": list(LINES),
                              "reported": pd.array([self.reported.figures.get(line) for line in LINES], "Int64"),
                              "software": pd.array([software[line] for line in LINES], "Int64"),
                              "law": pd.array([law[line] for line in LINES], "Int64")})
        table["reported_minus_software"] = table["reported"] - table["software"]
        table["reported_minus_law"] = table["reported"] - table["law"]
        return table

    @property
    def missing_lines(self) -> list[str]:
        return self.table.loc[self.table["reported"].isna().to_numpy(bool), "line"].tolist()

    @property
    def lines_differing_from_software(self) -> list[str]:
        return _differing(self.table, "reported_minus_software")

    @property
    def lines_differing_from_law(self) -> list[str]:
        return _differing(self.table, "reported_minus_law")

    @property
    def software_differs_from_law(self) -> bool:
        return bool((self.table["software"] != self.table["law"]).any())

    @property
    def largest_difference(self) -> tuple[str, int] | None:
        """The line whose reported figure is furthest from the software's count, and by how much (signed)."""
        differences = self.table.set_index("line")["reported_minus_software"].dropna()
        differences = differences[differences != 0]
        if differences.empty:
            return None
        line = differences.abs().idxmax()
        return line, int(differences[line])

    def on_time_rate(self, way: str) -> float | None:
        """(early + on time) / (early + on time + late), 0..1, ``way`` one of reported, software, law."""
        if way == "reported":
            return self.reported.on_time_rate()
        return _rate(computed_lines(self.computed, way))


@dataclass(frozen=True)
class ReportedSummary:
    """A unit's reported statistics against its log in a year, for the province roll-up: the latest form of
    the year (``start``..``end``), its on-time rate reported, as the software counts and by law (0..1, None
    without a figure), and the lines that differ over all ``forms`` of the year."""

    unit_code: str
    forms: int
    start: pd.Timestamp
    end: pd.Timestamp
    reported_rate: float | None
    software_rate: float | None
    law_rate: float | None
    lines_differing_from_software: int
    lines_differing_from_law: int
    lines_missing: int


def reported_forms(statistics: pd.DataFrame, unit_code: str | None = None) -> list[ReportedForm]:
    """The forms of ``statistics`` (a ``Records.statistics`` frame), of ``unit_code`` when given, one per unit,
    period and file, in order of their period's end."""
    frame = statistics if unit_code is None else statistics[(statistics["unit_code"] == unit_code).fillna(False)
                                                            .to_numpy(bool)]
    if frame.empty:
        return []
    frame = frame.assign(_totals=is_totals(frame))
    forms = []
    keys = ["unit_code", "period_from", "period_to", "source_file"]
    for (unit, start, end, file), group in frame.groupby(keys, dropna=False, sort=False):
        totals = group[group["_totals"]]
        fields = group[~group["_totals"]]
        figures = {}
        for line in LINES:
            given = group[line].notna().any()
            if not given:
                figures[line] = None
            elif len(totals) and pd.notna(totals[line].iloc[-1]):
                figures[line] = int(totals[line].iloc[-1])
            else:  # no totals row, or its cell blank: the fields' sum (blank cells 0)
                figures[line] = int(fields[line].fillna(0).sum())
        forms.append(ReportedForm(None if pd.isna(unit) else unit, None if pd.isna(start) else start,
                                  None if pd.isna(end) else end, figures, file,
                                  tuple(int(r) for r in group["source_row"]), bool(len(totals))))
    return sorted(forms, key=lambda form: (form.end is None, form.end or pd.Timestamp.min, form.source_file))


def compare_reported(records, unit_code: str, year: int | None = None, calendar=None) -> list[StatisticsComparison]:
    """Each of the unit's reported forms with a known period (ending in ``year`` when given) beside the form
    recomputed for that period."""
    comparisons = []
    for form in reported_forms(records.statistics, unit_code):
        if not comparable_period(form.start, form.end):  # said when the form was read
            continue
        if year is not None and form.end.year != int(year):
            continue
        computed = period_statistics(records, unit_code, form.start, form.end, calendar=calendar)
        comparisons.append(StatisticsComparison(form, computed))
    return comparisons


def reported_summary(records, unit_code: str, year: int, calendar=None) -> ReportedSummary | None:
    """The roll-up's summary of ``unit_code``'s reported statistics of ``year``; None when it reported no form
    (with a known period) for that year."""
    comparisons = compare_reported(records, unit_code, year, calendar)
    if not comparisons:
        return None
    latest = comparisons[-1]
    return ReportedSummary(
        unit_code, len(comparisons), latest.reported.start, latest.reported.end, latest.on_time_rate("reported"),
        latest.on_time_rate("software"), latest.on_time_rate("law"),
        sum(len(c.lines_differing_from_software) for c in comparisons),
        sum(len(c.lines_differing_from_law) for c in comparisons),
        sum(len(c.missing_lines) for c in comparisons))


def computed_lines(statistics: AgencyStatistics, way: str) -> dict[str, int]:
    """The form's lines (``LINES``) recomputed one way (``software`` or ``law``)."""
    lines = {line: statistics.count(line, way) for line in LINES if line in set(statistics.table["line"])}
    new = statistics.dossiers[~statistics.dossiers["carried_over"].to_numpy(bool)]
    online = int((new["channel"] == "online").fillna(False).sum())
    lines["received_online"], lines["received_counter"] = online, len(new) - online
    return lines


def by_field(statistics: AgencyStatistics, procedures: pd.DataFrame, way: str = "software") -> pd.DataFrame:
    """The form's lines per field (``field`` then ``LINES``; dossiers of a procedure without a field under
    <NA>), as ``way`` counts them: the rows an agency's form would have."""
    dossiers = statistics.dossiers
    fields = procedures.drop_duplicates("procedure_code").set_index("procedure_code")["field"]
    field = dossiers["procedure_code"].map(fields).astype("string")
    line = dossiers[f"{way}_line"]
    new = ~dossiers["carried_over"].to_numpy(bool)
    online = (dossiers["channel"] == "online").fillna(False).to_numpy(bool)
    counts = pd.DataFrame({
        "field": field,
        "received_total": 1,
        "received_online": (new & online).astype(int),
        "received_counter": (new & ~online).astype(int),
        "received_carried_over": (~new).astype(int),
        "handled_total": line.str.startswith("handled").astype(int),
        **{name: (line == name).astype(int) for name in HANDLED_JUDGED},
        "in_progress_total": line.str.startswith("in_progress").astype(int),
        "in_progress_within_time": (line == "in_progress_within_time").astype(int),
        "in_progress_overdue": (line == "in_progress_overdue").astype(int),
    })
    return counts.groupby("field", dropna=False, sort=True)[list(LINES)].sum().reset_index()


def _differing(table: pd.DataFrame, column: str) -> list[str]:
    return table.loc[(table[column] != 0).fillna(False).to_numpy(bool), "line"].tolist()


def _rate(figures: dict) -> float | None:
    values = [figures.get(line) for line in HANDLED_JUDGED]
    if any(value is None for value in values) or not sum(values):
        return None
    return (values[0] + values[1]) / sum(values)
