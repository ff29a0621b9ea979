"""Dossiers matched to the catalogue (``validate.match_procedures``): by code, else by the folded name."""
from __future__ import annotations

import pandas as pd

from isoaudit.records.validate import match_procedures


def _dossiers(codes, names) -> pd.DataFrame:
    return pd.DataFrame({"dossier_id": [f"H{i}" for i in range(len(codes))],
                         "procedure_code": pd.array(codes, dtype="string"),
                         "procedure_name": pd.array(names, dtype="string"),
                         "source_file": pd.array(["so.xlsx"] * len(codes), dtype="string"),
                         "source_row": range(5, 5 + len(codes))})


CATALOGUE = pd.DataFrame({"procedure_code": pd.array(["1.001", "1.002", "1.003"], dtype="string"),
                          "procedure_name": pd.array(["Chứng thực bản sao", "Đăng ký khai sinh", None],
                                                     dtype="string")})


def test_a_dossier_is_matched_by_code_or_by_its_name_as_written_in_any_case():
    matched = match_procedures(_dossiers(["1.001", None, "9.9"], [None, "ĐĂNG KÝ  KHAI SINH", "chứng thực bản sao"]),
                               CATALOGUE)
    assert list(matched.kept["procedure_code"]) == ["1.001", "1.002", "1.001"]
    assert list(matched.kept["procedure_name"]) == ["Chứng thực bản sao", "Đăng ký khai sinh", "Chứng thực bản sao"]
    assert matched.problems == []


def test_a_dossier_of_an_unknown_code_and_no_name_is_not_given_the_catalogue_row_without_a_name():
    # The missing name once matched the catalogue's missing name: the dossier took procedure 1.003 unseen.
    matched = match_procedures(_dossiers(["9.9", "1.003"], [None, None]), CATALOGUE)
    assert list(matched.kept["procedure_code"]) == ["1.003"]
    assert list(matched.excluded["procedure_code"]) == ["9.9"]
    assert [(p.code, p.row, p.column, p.value) for p in matched.problems] == \
        [("unknown_procedure", 5, "procedure_code", "9.9")]
