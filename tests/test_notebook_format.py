"""nbformat imported without jsonschema's IRI grammar (1.6 s of every notebook command's start): notebooks are still
validated, and the grammar's package is left importable for whoever wants it."""
from __future__ import annotations

import importlib.util
import json
import subprocess
import sys

import pytest

from isoaudit.batch.unit_reports import AUDIT_NOTEBOOK

pytestmark = pytest.mark.skipif(importlib.util.find_spec("rfc3987_syntax") is None,
                                reason="rfc3987_syntax is not installed: jsonschema has no IRI grammar to import")


def _in_fresh_python(code: str) -> dict:
    """What ``code`` prints as JSON on its last line, run in a new interpreter (the imports of this one don't count)."""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_a_notebook_run_imports_papermill_without_the_iri_grammar_and_still_validates_notebooks():
    seen = _in_fresh_python(f"""
import json, sys
from isoaudit.notebook_format import load_notebook_format
load_notebook_format()
import papermill, nbformat
loaded = "rfc3987_syntax" in sys.modules
notebook = nbformat.read({str(AUDIT_NOTEBOOK)!r}, as_version=4)
nbformat.validate(notebook)
notebook.cells[0]["cell_type"] = "not a cell type"
try:
    nbformat.validate(notebook)
    refused = False
except nbformat.ValidationError:
    refused = True
import rfc3987_syntax
print(json.dumps({{"loaded": loaded, "refused": refused, "later": rfc3987_syntax.__name__}}))
""")
    assert seen == {"loaded": False, "refused": True, "later": "rfc3987_syntax"}


def test_the_html_export_path_skips_the_grammar_too():
    seen = _in_fresh_python("""
import json, sys
from isoaudit.outputs.review_html import page_exporter
page_exporter()
print(json.dumps({"loaded": "rfc3987_syntax" in sys.modules, "nbconvert": "nbconvert" in sys.modules}))
""")
    assert seen == {"loaded": False, "nbconvert": True}


def test_a_grammar_already_imported_is_left_as_it_is():
    seen = _in_fresh_python("""
import json, sys
import rfc3987_syntax
from isoaudit.notebook_format import load_notebook_format
load_notebook_format()
import jsonschema
print(json.dumps({"same": sys.modules["rfc3987_syntax"] is rfc3987_syntax,
                  "iri": "iri" in jsonschema.FormatChecker().checkers}))
""")
    assert seen == {"same": True, "iri": True}
