"""A unit's periodic statistics form (form II.06a) as the agency would report it: an xlsx with the official
heading, the report's title and period, a three-row header with merged groups, a row of column numbers, a row
per field and a totals row, the figures its one-stop software counts from the dossier log; or misreported.

``write_unit_form(folder, records, unit_code, start, end)`` writes ``folder/statistics/<unit>_thong_ke_<end>.xlsx``
(the unit from the file name's leading code, the period from the title), ``misreport`` ({line: change}) adds
to a line of the largest field and of the totals, as a report edited by hand would be. The form's words are
labels (``agency_statistics.form.*`` in ``data/labels_agency_statistics.toml``): the reader's aliases name the
same headers.
"""
from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from isoaudit.agency_statistics import AgencyStatistics, period_statistics
from isoaudit.i18n import label
from isoaudit.reported_statistics import LINES, by_field
from isoaudit.synthetic.sheets import Sheet, form_heading, signatures, spread, write_xlsx

# The form's words (keys written out, so the wording tests see them).
_WORDS = {
    "agency": "agency_statistics.form.agency",
    "office": "agency_statistics.form.office",
    "code": "agency_statistics.form.code",
    "title": "agency_statistics.form.title",
    "period": "agency_statistics.form.period",
    "quarter": "agency_statistics.form.quarter",
    "year": "agency_statistics.form.year",
    "count_unit": "agency_statistics.form.count_unit",
    "number": "agency_statistics.form.number",
    "field": "agency_statistics.form.field",
    "received": "agency_statistics.form.received",
    "results": "agency_statistics.form.results",
    "total": "agency_statistics.form.total",
    "in_period": "agency_statistics.form.in_period",
    "online": "agency_statistics.form.online",
    "counter": "agency_statistics.form.counter",
    "carried_over": "agency_statistics.form.carried_over",
    "handled": "agency_statistics.form.handled",
    "early": "agency_statistics.form.early",
    "on_time": "agency_statistics.form.on_time",
    "late": "agency_statistics.form.late",
    "in_progress": "agency_statistics.form.in_progress",
    "within_time": "agency_statistics.form.within_time",
    "overdue": "agency_statistics.form.overdue",
    "totals": "agency_statistics.form.totals",
    "no_field": "agency_statistics.form.no_field",
    "reporter": "agency_statistics.form.reporter",
    "head": "agency_statistics.form.head",
}
WIDTH = 2 + len(LINES)  # STT, field, then the form's lines in its order
HEADER_ROW = 7  # the Excel row of the header's first row, below six rows of heading and title


def write_unit_form(folder, records, unit_code: str, start, end, misreport: Mapping[str, int] | None = None,
                    calendar=None, lang: str = "vi") -> Path:
    """The form of ``unit_code`` for ``start``..``end`` (dates) counted from ``records`` as its software counts,
    written as ``folder/statistics/<unit_code>_thong_ke_<yyyy_mm_dd of end>.xlsx``; its path."""
    statistics = period_statistics(records, unit_code, start, end, calendar=calendar)
    units = records.units
    names = units.loc[(units["unit_code"] == unit_code).fillna(False).to_numpy(bool), "unit_name"]
    unit_name = str(names.iloc[0]) if len(names) else unit_code
    path = Path(folder) / "statistics" / f"{unit_code}_thong_ke_{statistics.end:%Y_%m_%d}.xlsx"
    path.parent.mkdir(parents=True, exist_ok=True)
    return write_statistics_form(path, statistics, records.procedures, unit_name, misreport, lang)


def write_statistics_form(path, statistics: AgencyStatistics, procedures: pd.DataFrame, unit_name: str,
                          misreport: Mapping[str, int] | None = None, lang: str = "vi") -> Path:
    """Write ``statistics`` (one unit's period) as its agency's form to ``path``: a row per field of
    ``procedures``, the software's count, with ``misreport``'s changes ({line of ``LINES``: signed change})
    made to the largest field and to the totals."""
    rows = by_field(statistics, procedures, "software")
    rows["field"] = rows["field"].fillna(_word("no_field", lang))
    totals = rows[list(LINES)].sum()
    if misreport:
        unknown = set(misreport) - set(LINES)
        if unknown:
            raise ValueError(f"misreport names lines the form does not have: {sorted(unknown)}")
        largest = int(rows["received_total"].idxmax()) if len(rows) else None
        for line, change in misreport.items():
            if largest is not None:
                rows.loc[largest, line] += change
            totals[line] += change
    body = [[number, row.field, *(int(getattr(row, line)) for line in LINES)]
            for number, row in enumerate(rows.itertuples(index=False), start=1)]
    body.append([_word("totals", lang), None, *(int(totals[line]) for line in LINES)])
    totals_row = HEADER_ROW + 4 + len(body) - 1
    sheet = Sheet(name="II.06a", preamble=_preamble(statistics, unit_name, lang), columns=[],
                  body=lambda: iter([body]), footer=[[None] * WIDTH, *signatures(WIDTH, _word("reporter", lang), 9,
                                                                                  _word("head", lang))],
                  merges=[*_HEADER_MERGES, f"A{totals_row}:B{totals_row}"],
                  widths=[6, 36, *([11] * len(LINES))], freeze=f"C{HEADER_ROW + 4}", rows=len(body))
    write_xlsx(Path(path), [sheet])
    return Path(path)


# The header's merged cells: STT and field down its three rows; the two groups of the first row; under them the
# total, "in the period" over its two channels, "from the previous period", and the handled / in progress groups.
_R1, _R2, _R3 = HEADER_ROW, HEADER_ROW + 1, HEADER_ROW + 2
_HEADER_MERGES = [f"A{_R1}:A{_R3}", f"B{_R1}:B{_R3}", f"C{_R1}:F{_R1}", f"G{_R1}:M{_R1}", f"C{_R2}:C{_R3}",
                  f"D{_R2}:E{_R2}", f"F{_R2}:F{_R3}", f"G{_R2}:J{_R2}", f"K{_R2}:M{_R2}"]


def _preamble(statistics: AgencyStatistics, unit_name: str, lang: str) -> list:
    start, end = statistics.start, statistics.end
    period = _word("period", lang, name=_period_name(start, end, lang),
                   start=f"{start.day}/{start.month}/{start.year}", end=f"{end.day}/{end.month}/{end.year}")
    words = {key: _word(key, lang) for key in ("number", "field", "received", "results", "total", "in_period",
                                                 "online", "counter", "carried_over", "handled", "early", "on_time",
                                                 "late", "in_progress", "within_time", "overdue")}
    first = spread(WIDTH, {0: words["number"], 1: words["field"], 2: words["received"], 6: words["results"]})
    second = spread(WIDTH, {2: words["total"], 3: words["in_period"], 5: words["carried_over"], 6: words["handled"],
                            10: words["in_progress"]})
    third = spread(WIDTH, {3: words["online"], 4: words["counter"], 6: words["total"], 7: words["early"],
                           8: words["on_time"], 9: words["late"], 10: words["total"], 11: words["within_time"],
                           12: words["overdue"]})
    return [*form_heading(WIDTH, _word("agency", lang, unit=unit_name),
                          _word("office", lang), 6),
            (spread(WIDTH, {WIDTH - 1: _word("code", lang)}), "title"),
            (spread(WIDTH, {0: _word("title", lang, unit=unit_name.upper())}), "title"),
            (spread(WIDTH, {0: period}), "title"),
            (spread(WIDTH, {WIDTH - 1: _word("count_unit", lang)}), "title"),
            (first, "header"), (second, "header"), (third, "header"),
            ([f"({n})" for n in range(1, WIDTH + 1)], "numbers")]


def _period_name(start: pd.Timestamp, end: pd.Timestamp, lang: str) -> str:
    """The quarter's name ("Quy IV nam 2025") for a reporting quarter (15th of a month to the 14th three months
    on), else the year."""
    quarter = {3: "I", 6: "II", 9: "III", 12: "IV"}.get(end.month)
    if quarter and start.day == 15 and end.day == 14 and (end - pd.DateOffset(months=3)).normalize() == \
            start - pd.Timedelta(days=1):
        return _word("quarter", lang, quarter=quarter, year=end.year)
    return _word("year", lang, year=end.year)


def _word(key: str, lang: str, **params) -> str:
    return label(_WORDS[key], lang, **params)
