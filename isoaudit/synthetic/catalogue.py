"""The commune-level procedure catalogue the sample province applies, and its workbook (``procedures.xlsx``)."""
from __future__ import annotations

import pandas as pd

from isoaudit.synthetic.sheets import Sheet, form_heading, static_sheet
from isoaudit.synthetic.units import district_name, province_name
from isoaudit.synthetic.words import district_words, procedure_table

_WIDTHS = [6, 11, 60, 16, 10, 14, 10, 14, 28, 40, 14, 10, 13, 13]  # of the procedures workbook's columns


def load_catalogue() -> pd.DataFrame:
    """The commune-level procedure catalogue with the generator's behaviour columns.

    Canonical columns (``legal_days`` in working days, ``cutoff_time`` "15:00" for same-day procedures) plus
    ``changed`` (the procedure's last change), ``legal_basis``, ``handled_by``, ``weight`` (relative
    volume), ``late_factor``, ``online_share``, ``supplement_share`` (fractions 0..1), ``code_source``.
    """
    table = procedure_table()
    district = district_name()[:1].lower() + district_name()[1:]
    frame = pd.DataFrame({
        "procedure_code": table["code"], "procedure_name": table["name"], "field": table["field"],
        "level": "commune", "legal_days": table["legal_days"].astype(int),
        "supplement_rule": table["supplement_rule"], "process_code": table["process_code"],
        "process_version": table["process_version"],
        "effective_date": pd.to_datetime(table["process_effective"]),
        "changed": pd.to_datetime(table["changed"]), "fee": table["fee"], "legal_basis": table["legal_basis"],
        "handled_by": table["handled_by"].str.replace("{district}", district, regex=False),
        "weight": table["weight"].astype(float), "late_factor": table["late_factor"].astype(float),
        "online_share": table["online_share"].astype(float),
        "supplement_share": table["supplement_share"].astype(float), "code_source": table["code_source"],
    })
    frame["cutoff_time"] = pd.Series("15:00", index=frame.index, dtype="string").where(frame["legal_days"] == 0)
    return frame


def procedures_sheet(catalogue: pd.DataFrame, year: int) -> Sheet:
    """``procedures.xlsx``: the catalogue as the province publishes it, with the internal processes."""
    words = district_words()
    sheet_words = words["procedures_sheet"]
    rows = []
    for i, p in enumerate(catalogue.itertuples(index=False), 1):
        rows.append([
            i, p.procedure_code, p.procedure_name, p.field, sheet_words["level"],
            sheet_words["same_day"] if p.legal_days == 0 else int(p.legal_days),
            p.cutoff_time if isinstance(p.cutoff_time, str) else None, words["supplement_rules"][p.supplement_rule],
            p.fee, p.legal_basis, p.process_code if isinstance(p.process_code, str) else None,
            p.process_version if isinstance(p.process_version, str) else None,
            None if pd.isna(p.effective_date) else p.effective_date.to_pydatetime(),
            None if pd.isna(p.changed) else p.changed.to_pydatetime(),
        ])
    header = list(sheet_words["header"])
    decision = words["district"]["catalogue_decision"].format(year=year)
    preamble = [
        *form_heading(len(header), sheet_words["committee"], province_name().upper(), 8),
        ([], "title"),
        ([sheet_words["title"]], "title"),
        ([sheet_words["area"].format(province=province_name().upper())], "title"),
        ([sheet_words["issued"].format(decision=decision)], "title"),
        ([], "title"),
        (header, "header"),
    ]
    sheet = static_sheet(sheet_words["sheet"], preamble, rows, _WIDTHS)
    sheet.date_formats = {12: "dd/mm/yyyy", 13: "dd/mm/yyyy"}
    return sheet
