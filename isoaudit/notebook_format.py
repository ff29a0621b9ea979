"""Importing nbformat (and papermill, nbclient, nbconvert, which import it) without jsonschema's IRI grammar.

nbformat validates notebooks with jsonschema, and jsonschema, as it is imported, imports ``rfc3987_syntax`` where it
is installed (JupyterLab's server brings it), to check the "iri" formats of schemas. That package builds some thirty
Earley parsers as it is imported: 1.6 s of every command that runs or exports a notebook, on one core, paid again by
each batch before its first unit (python-jsonschema/jsonschema#1428). No notebook schema has an IRI format, so
``load_notebook_format`` imports jsonschema without it; anything that imports ``rfc3987_syntax`` later gets it.
"""
from __future__ import annotations

import sys

_IRI_GRAMMAR = "rfc3987_syntax"


def load_notebook_format() -> None:
    """Import jsonschema (once a process) without ``rfc3987_syntax``; call before importing nbformat, papermill,
    nbclient or nbconvert. Nothing is changed once jsonschema is imported, or when something has already imported
    that package (it is then used as usual)."""
    if "jsonschema" in sys.modules or _IRI_GRAMMAR in sys.modules:
        return
    # A None entry makes ``import rfc3987_syntax`` raise ImportError, which jsonschema takes as "not installed".
    sys.modules[_IRI_GRAMMAR] = None
    try:
        import jsonschema  # noqa: F401 - imported for its side: its format checkers are made now, without IRIs
    finally:
        if sys.modules.get(_IRI_GRAMMAR, False) is None:  # still the refusal set above
            del sys.modules[_IRI_GRAMMAR]
