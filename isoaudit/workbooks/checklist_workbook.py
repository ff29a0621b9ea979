"""The checklist as a workbook auditors edit in Excel and give back to ``isoaudit.checklist.load_checklist``."""
from __future__ import annotations

import os

import pandas as pd

from isoaudit.checklist import COLUMNS, clauses, evidence_keys
from isoaudit.i18n import check_lang, label
from isoaudit.outputs.xlsx import SheetSpec, write_workbook


def export_checklist_xlsx(checklist: pd.DataFrame, path: str | os.PathLike, lang: str = "vi") -> None:
    """Write ``checklist`` (canonical columns) to ``path``: the items sheet first, headed in ``lang``, then the
    clause list and the evidence-key vocabulary for reference. ``load_checklist(path)`` reads it back."""
    check_lang(lang)
    items = SheetSpec(
        frame=checklist[list(COLUMNS)],
        headers={column: label(f"checklist.col.{column}", lang) for column in COLUMNS},
        title_lines=[label("checklist.title", lang), label("checklist.hint", lang)],
    )
    clause_list = clauses()[["clause", "title_vi", "title_en", "parent"]]
    clause_sheet = SheetSpec(
        frame=clause_list,
        headers={
            "clause": label("checklist.col.clause", lang),
            "title_vi": label("checklist.col.clause_title_vi", lang),
            "title_en": label("checklist.col.clause_title_en", lang),
            "parent": label("checklist.col.parent", lang),
        },
    )
    keys = evidence_keys()[["key", f"description_{lang}", "records"]]
    key_sheet = SheetSpec(
        frame=keys,
        headers={
            "key": label("checklist.col.key", lang),
            f"description_{lang}": label("checklist.col.description", lang),
            "records": label("checklist.col.records", lang),
        },
    )
    write_workbook(path, {
        label("checklist.sheet.items", lang): items,
        label("checklist.sheet.clauses", lang): clause_sheet,
        label("checklist.sheet.evidence_keys", lang): key_sheet,
    }, lang)
