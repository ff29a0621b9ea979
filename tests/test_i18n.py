"""Every word isoaudit shows exists in both languages: each entry of the wording files is complete, and every key
the code asks for (written out, or built at run time from a code) is in them. A missing one raises."""
from __future__ import annotations

import ast
import csv
import importlib
import re
from functools import cache
from pathlib import Path
from string import Formatter
from typing import Callable, NamedTuple

import pandas as pd
import pytest

import isoaudit
from isoaudit import errors, i18n
from isoaudit.i18n import (
    KINDS,
    LANGS,
    MissingWording,
    has_label,
    has_message,
    label,
    message,
    wording_files,
)

PACKAGE = Path(isoaudit.__file__).parent


# ---- the lookup ----------------------------------------------------------------------------------------------
def test_a_missing_key_raises_naming_the_key():
    with pytest.raises(MissingWording, match="review.no_such_label"):
        label("review.no_such_label")
    with pytest.raises(KeyError):  # MissingWording is a KeyError: code catching lookups keeps working
        message("no_such_message", "en")
    assert not has_label("review.no_such_label") and has_label("batch.title")
    assert not has_message("no_such_message") and has_message("missing_value")


def test_a_language_missing_or_a_placeholder_not_given_raises(monkeypatch):
    monkeypatch.setattr(i18n, "_table", lambda kind: {"x.one_language": {"vi": "Chỉ tiếng Việt"},
                                                      "x.year": {"vi": "Năm {year}", "en": "Year {year}"}})
    assert label("x.one_language", "vi") == "Chỉ tiếng Việt"
    with pytest.raises(MissingWording, match="x.one_language.*'en'"):
        label("x.one_language", "en")
    assert label("x.year", "en", year=2025) == "Year 2025"
    with pytest.raises(MissingWording, match=r"x.year.*\{year\}"):
        label("x.year", "en")


# ---- (a) the wording files -------------------------------------------------------------------------------------
def placeholders(template: str, lang: str | None = None) -> set[str]:
    """The names a template fills: "{year}", "{row.status}", "{day:02d}" give year, row, day. With ``lang``, a
    name ending in the template's own language ("{details_vi}" in the vi text) counts without it: such a
    parameter is given in both languages and each text takes its own."""
    names = {re.split(r"[.\[]", name)[0] for _, name, _, _ in Formatter().parse(template) if name is not None}
    return {name.removesuffix(f"_{lang}") if lang else name for name in names}


@pytest.mark.parametrize("kind", KINDS)
def test_every_entry_has_vi_and_en_with_the_same_placeholders(kind):
    wrong = []
    for file, entries in wording_files(kind).items():
        for key, entry in entries.items():
            if not isinstance(entry, dict) or set(entry) - set(LANGS):
                wrong.append(f"{file} [{key}]: a table of {'/'.join(LANGS)} strings only, not {entry!r}")
                continue
            empty = [lang for lang in LANGS if not isinstance(entry.get(lang), str) or not entry[lang].strip()]
            if empty:
                wrong.append(f"{file} [{key}]: no {', '.join(empty)} text")
                continue
            try:
                names = {lang: placeholders(entry[lang], lang) for lang in LANGS}
            except ValueError as error:
                wrong.append(f"{file} [{key}]: not a template ({error})")
                continue
            if "" in names["vi"] | names["en"]:
                wrong.append(f"{file} [{key}]: a placeholder without a name ({{}})")
            elif names["vi"] != names["en"]:
                wrong.append(f"{file} [{key}]: placeholders differ: vi {sorted(names['vi'])}, en {sorted(names['en'])}")
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("kind", KINDS)
def test_no_key_is_defined_in_two_files(kind):
    # Files are merged: a key in two files would silently take the wording of the later one.
    seen, twice = {}, []
    for file, entries in wording_files(kind).items():
        for key in entries:
            if key in seen:
                twice.append(f"[{key}] in {seen[key]} and {file}")
            seen.setdefault(key, file)
    assert not twice, "\n".join(twice)


# ---- (b) the keys the code asks for ------------------------------------------------------------------------------
def _error_classes(cls: type = errors.IsoauditError) -> list[type]:
    """IsoauditError and every subclass (RecordsError, WorksheetError ...): each words itself from a code."""
    return [cls, *(sub for direct in cls.__subclasses__() for sub in _error_classes(direct))]


# Calls whose first argument is a key: the function's name -> (wording kind, prefix the function adds).
# ``t`` is the review's wrapper (``label(f"review.{key}")``, in review/context.py and the two review outputs).
KEY_CALLS = {"label": ("labels", ""), "message": ("messages", ""), "t": ("labels", "review."),
             "Problem": ("messages", ""), **{cls.__name__: ("messages", "") for cls in _error_classes()}}
# records/validate.py words its rules' problems from their codes: ``exclude("missing_value", ...)``.
RULE_CALLS = {"exclude", "flag"}
RULE_MODULE = "isoaudit.records.validate"
SILENT_RULES = {"unreadable_excluded"}  # a reason only: _apply words no problem for it (reported on reading)


class Site(NamedTuple):
    """A key the code asks for: written out (``key``) or built by an f-string (``pattern``, its placeholders
    as "{}"); ``looped`` holds the values of the collection the code loops over there, when it says."""
    where: str
    kind: str | None
    key: str | None = None
    pattern: str | None = None
    looped: tuple | None = None


@cache
def sources() -> dict[str, ast.Module]:
    """Every module of isoaudit, parsed, by its dotted name."""
    modules = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        modules[name] = ast.parse(path.read_text(encoding="utf-8"), str(path))
    return modules


def namespaces() -> set[str]:
    """The first words of dotted keys ("audit", "review", "cli" ...): an f-string starting with one of them
    followed by a dot is taken for a key, wherever it is (assigned, passed on, returned)."""
    return {key.split(".")[0] for kind in KINDS for file in wording_files(kind).values() for key in file
            if "." in key}


@cache
def key_sites() -> tuple[Site, ...]:
    shaped = re.compile(rf"^({'|'.join(sorted(namespaces()))})\.")
    sites = []
    for module, tree in sources().items():
        parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
        as_argument = set()
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            kind, prefix, argument = _key_argument(node, module)
            if argument is None:
                continue
            where = f"{module}:{node.lineno}"
            as_argument.add(argument)
            if isinstance(argument, ast.Constant) and isinstance(argument.value, str):
                sites.append(Site(where, kind, key=prefix + argument.value))
            elif isinstance(argument, ast.JoinedStr):
                sites.append(Site(where, kind, pattern=prefix + _pattern(argument),
                                  looped=_looped(argument, parents, module)))
        for node in ast.walk(tree):
            if isinstance(node, ast.JoinedStr) and node not in as_argument and shaped.match(_pattern(node)):
                sites.append(Site(f"{module}:{node.lineno}", None, pattern=_pattern(node),
                                  looped=_looped(node, parents, module)))
    return tuple(sites)


def _key_argument(call: ast.Call, module: str):
    """(kind, prefix, the node of the key) when ``call`` asks for a key, else (None, "", None)."""
    name = _called(call)
    if name in RULE_CALLS and module == RULE_MODULE:
        code = call.args[0] if call.args else None
        silent = isinstance(code, ast.Constant) and code.value in SILENT_RULES
        return ("messages", "", code) if not silent else (None, "", None)
    if name not in KEY_CALLS:
        return None, "", None
    kind, prefix = KEY_CALLS[name]
    code = next((k.value for k in call.keywords if k.arg == "code"), None) if name == "Problem" else None
    return kind, prefix, code or (call.args[0] if call.args else None)


def _called(call: ast.Call) -> str | None:
    """The name of the function called: ``label(...)`` or ``i18n.label(...)``; of methods, only ``.t(...)``
    (``error.message(lang)`` is a method of an error, not a lookup)."""
    if isinstance(call.func, ast.Name):
        return call.func.id
    if isinstance(call.func, ast.Attribute):
        if call.func.attr == "t" or (isinstance(call.func.value, ast.Name) and call.func.value.id == "i18n"):
            return call.func.attr
    return None


def _pattern(fstring: ast.JoinedStr) -> str:
    return "".join(part.value if isinstance(part, ast.Constant) else "{}" for part in fstring.values)


# -- the values a loop variable takes, read from the code
_UNKNOWN = object()


def _looped(fstring: ast.JoinedStr, parents: dict, module: str) -> tuple | None:
    """The values of the one placeholder of ``fstring`` when it is a loop variable (of a comprehension or a
    ``for``) over a literal collection, a local literal or a module's constant; None when the code does not
    say (a column of a frame, an attribute, a parameter, a filtered loop)."""
    formatted = [part for part in fstring.values if isinstance(part, ast.FormattedValue)]
    if len(formatted) != 1 or not isinstance(formatted[0].value, ast.Name):
        return None
    name, node = formatted[0].value.id, fstring
    while node in parents:
        node = parents[node]
        loops = getattr(node, "generators", None) or ([node] if isinstance(node, ast.For) else [])
        for loop in loops:
            position = _bound(loop.target, name)
            if position is None:
                continue
            if getattr(loop, "ifs", None):
                return None
            items = _collection(loop.iter, _function_of(node, parents), module)
            if items is None:
                return None
            values = tuple(item if position < 0 else _element(item, position) for item in items)
            return None if any(v is _UNKNOWN for v in values) else values
    return None


def _bound(target, name: str) -> int | None:
    """-1 when ``target`` is ``name``, its index when ``name`` is an element of a tuple target, else None."""
    if isinstance(target, ast.Name):
        return -1 if target.id == name else None
    if isinstance(target, ast.Tuple):
        for index, element in enumerate(target.elts):
            if isinstance(element, ast.Name) and element.id == name:
                return index
    return None


def _element(item, position: int):
    return item[position] if isinstance(item, tuple) and len(item) > position else _UNKNOWN


def _function_of(node, parents: dict):
    while node in parents and not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        node = parents[node]
    return node if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) else None


def _collection(expression, function, module: str) -> list | None:
    if isinstance(expression, (ast.Tuple, ast.List, ast.Set)):
        items = []
        for element in expression.elts:
            if isinstance(element, ast.Starred):
                inner = _collection(element.value, function, module)
                if inner is None:
                    return None
                items += inner
            else:
                items.append(_literal(element))
        return items
    if isinstance(expression, ast.Dict):
        return [_literal(key) for key in expression.keys]
    if isinstance(expression, ast.IfExp):
        body, orelse = (_collection(e, function, module) for e in (expression.body, expression.orelse))
        return None if body is None or orelse is None else body + orelse
    if isinstance(expression, ast.Call) and getattr(expression.func, "id", None) == "range":
        bounds = [_literal(a) for a in expression.args]
        return list(range(*bounds)) if all(isinstance(b, int) for b in bounds) else None
    if isinstance(expression, ast.Name):
        assigned = [node.value for node in ast.walk(function) if isinstance(node, ast.Assign)
                    and any(isinstance(t, ast.Name) and t.id == expression.id for t in node.targets)] \
            if function is not None else []
        if assigned:
            return _collection(assigned[-1], function, module) if len(assigned) == 1 else None
        value = getattr(importlib.import_module(module), expression.id, _UNKNOWN)
        if isinstance(value, (list, tuple, set, frozenset, dict)):
            return list(value)
    return None


def _literal(node):
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.Tuple):
        return tuple(_literal(e) for e in node.elts)
    return _UNKNOWN


# -- what the code passes to a function, read from its calls
def call_literals(function: str, position: int, keyword: str) -> list:
    """The literal values given to ``function`` (at ``position`` or as ``keyword``) in all of isoaudit; the
    elements of a literal list given there."""
    values = []
    for tree in sources().values():
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or _called(node) != function:
                continue
            given = node.args[position] if len(node.args) > position else next(
                (k.value for k in node.keywords if k.arg == keyword), None)
            if isinstance(given, (ast.List, ast.Tuple)):
                values += [e.value for e in given.elts if isinstance(e, ast.Constant)]
            elif isinstance(given, ast.Constant):
                values.append(given.value)
    return values


def keyword_constants(module: str, keyword: str) -> list[str]:
    """The literal strings ``module`` gives as ``keyword=`` in any call (``Figure(..., missing="no_surveys")``)."""
    return [k.value.value for node in ast.walk(sources()[module]) if isinstance(node, ast.Call)
            for k in node.keywords if k.arg == keyword and isinstance(k.value, ast.Constant)]


def evidence_keys() -> list[str]:
    with (PACKAGE / "data" / "evidence_keys.csv").open(encoding="utf-8") as handle:
        return [row["key"] for row in csv.DictReader(handle)]


def vocabulary(kind: str) -> list[str]:
    """The canonical codes of a kind of controlled words (isoaudit/data/vocabulary.csv)."""
    with (PACKAGE / "data" / "vocabulary.csv").open(encoding="utf-8") as handle:
        return sorted({row["canonical"] for row in csv.DictReader(handle) if row["kind"] == kind})


def excluded_dossier_reasons() -> list[str]:
    """Why a dossier is set aside: the codes of the ``exclude`` rules of records/validate.check_dossiers, and
    the ``reason=`` given elsewhere in that module (a procedure not in the catalogue)."""
    check = next(node for node in ast.walk(sources()[RULE_MODULE])
                 if isinstance(node, ast.FunctionDef) and node.name == "check_dossiers")
    return [*{node.args[0].value for node in ast.walk(check) if isinstance(node, ast.Call)
              and _called(node) == "exclude" and isinstance(node.args[0], ast.Constant)},
            *keyword_constants(RULE_MODULE, "reason")]


def status_word_keys() -> list[tuple[str, str]]:
    """``review.<kind>.<code>`` of review/context.status_words: each kind it is called with, and the codes
    isoaudit knows for it (other codes are shown as written)."""
    from isoaudit.schema import GRADES
    codes = {"grade_short": GRADES, "reason": excluded_dossier_reasons()}
    return [(kind, code) for kind in set(call_literals("status_words", 2, "kind"))
            for code in codes.get(kind) or vocabulary(kind)]


def vocabulary_keys() -> list[tuple[str, str]]:
    """``vocabulary.<kind>.<code>``: every code of every kind of controlled words, as a user reads it."""
    with (PACKAGE / "data" / "vocabulary.csv").open(encoding="utf-8") as handle:
        return sorted({(row["kind"], row["canonical"]) for row in csv.DictReader(handle)})


def timeliness_columns() -> list[str]:
    """Columns of the frames the timeliness command and workbook show: summaries, late lists and details."""
    from isoaudit.outputs.timeliness_workbook import DETAIL_COLUMNS
    from isoaudit.timeliness_summary import COUNT_COLUMNS, GROUPINGS, LIST_COLUMNS
    keys = [c for columns in GROUPINGS.values() for c in columns]
    return [*keys, "unit_name", "procedure_name", *COUNT_COLUMNS, *LIST_COLUMNS, *DETAIL_COLUMNS]


def rollup_columns() -> list[str]:
    from isoaudit.measures import worst_procedures
    from isoaudit.outputs.rollup import SUMMARY_COLUMNS
    return [*SUMMARY_COLUMNS, *worst_procedures(pd.DataFrame(), 1).columns, "clause"]


class Dynamic(NamedTuple):
    """Where the values of a key built at run time come from. ``values`` None: only from the collection the code
    loops over at each place (read from the code); WRAPPER: a function that prefixes the key it is given
    (the keys its callers give are checked instead)."""
    kind: str
    values: Callable[[], object] | str | None = None


WRAPPER = "wrapper"


def _module(name: str, attribute: str) -> Callable[[], object]:
    return lambda: getattr(importlib.import_module(name), attribute)


UNIT_STATUSES = _module("isoaudit.batch.run", "UNIT_STATUSES")


def AUDIT_STATUSES():  # noqa: N802 - read like the constants beside it
    """The audit states of unit_reports.audit_progress, and the roll-up's "none" for a unit that failed."""
    return (*_module("isoaudit.batch.unit_reports", "AUDIT_STATUSES")(), "none")

# Every key pattern built at run time, "{}" for each placeholder. A pattern the code builds but this table
# lacks fails test_every_key_built_at_run_time_is_listed: add it with where its values come from.
DYNAMIC = {
    # wrappers
    "review.{}": Dynamic("labels", WRAPPER),  # the review's t(); its callers are the "review." keys below
    "batch.{}": Dynamic("labels", WRAPPER),  # outputs/rollup.py's t() for templates/rollup.html.j2
    # outputs/analytics_page.py's t() for templates/analytics_page.html.j2 (its keys: test_analytics_page)
    "batch.analytics.{}": Dynamic("labels", WRAPPER),
    # review/analytics_section.py: each test's words, by the tests of analytics/run.py
    "analytics.{}.{}": Dynamic("labels", lambda: [(test, kind) for test in _module("isoaudit.analytics.run",
                                                                                    "TEST_NAMES")()
                                                  for kind in ("title", "found", "none", "meaning", "not_proof")]),
    "analytics.{}.title": Dynamic("labels", _module("isoaudit.analytics.run", "TEST_NAMES")),
    # audit
    "audit.action_status.{}": Dynamic("labels", _module("isoaudit.schema", "ACTION_STATUSES")),
    "audit.col.{}": Dynamic("labels"),
    "audit.conflict.col.{}": Dynamic("labels"),
    "audit.evidence.{}": Dynamic("messages", evidence_keys),
    "audit.evidence_status.{}": Dynamic("labels", _module("isoaudit.evidence", "STATUSES")),
    "audit.plan.{}": Dynamic("labels"),
    "audit.register.col.{}": Dynamic("labels", lambda: [c.name for c in _module("isoaudit.schema", "FINDINGS")()]),
    "audit.report.{}": Dynamic("labels"),
    "audit.report.col.{}": Dynamic("labels"),
    "audit.report.finding.{}": Dynamic("labels"),
    "audit.result.{}": Dynamic("labels", _module("isoaudit.schema", "RESULTS")),
    "audit.result_words.{}": Dynamic("labels"),
    # the district roll-up
    "batch.audit.{}": Dynamic("labels", AUDIT_STATUSES),
    "batch.audit_word.{}": Dynamic("labels", AUDIT_STATUSES),
    "batch.col.{}": Dynamic("labels", rollup_columns),
    "batch.link.{}": Dynamic("labels", lambda: ("audit_html", "review_html", "review_docx")),  # rollup._page_rows
    "batch.status.{}": Dynamic("labels", UNIT_STATUSES),
    # checklist, coverage, measures, objectives, records
    "checklist.col.{}": Dynamic("labels", lambda: [*_module("isoaudit.checklist", "COLUMNS")(),
                                                   *_module("isoaudit.checklist", "LANG_COLUMNS")()]),
    "coverage.column.{}": Dynamic("messages", lambda: {c for need in _module("isoaudit.records.coverage",
                                                                             "figure_needs")()() for c in need.columns}),
    "coverage.figure.{}": Dynamic("messages", lambda: {f for need in _module("isoaudit.records.coverage",
                                                                             "figure_needs")()() for f in need.figures}),
    "measures.missing.{}": Dynamic("messages", lambda: keyword_constants("isoaudit.measures", "missing")),
    "objectives.note.{}": Dynamic("labels", _module("isoaudit.objectives", "NOTES")),
    "records.{}": Dynamic("labels"),
    "severity.{}": Dynamic("labels", lambda: (_module("isoaudit.problems", "ERROR")(),
                                              _module("isoaudit.problems", "WARNING")())),
    "unreadable_{}": Dynamic("messages", lambda: sorted({c.kind for columns in _module("isoaudit.schema", "KINDS")()
                                                         .values() for c in columns} - {"text"})),
    "unknown_{}": Dynamic("messages", lambda: sorted({v for kind in _module("isoaudit.schema", "CONTROLLED")()
                                                      .values() for v in kind.values()})),
    # the management review
    "review.{}.{}": Dynamic("labels", status_word_keys),
    "review.{}.unknown": Dynamic("labels", lambda: set(call_literals("status_words", 2, "kind"))),
    "review.col.{}": Dynamic("labels", lambda: call_literals("new_table", 3, "columns")),
    "review.table.{}": Dynamic("labels", lambda: call_literals("new_table", 1, "key")),
    "review.section.{}": Dynamic("labels", _module("isoaudit.review.pack", "SECTION_KEYS")),
    "review.docx.month.{}": Dynamic("labels", lambda: range(1, 13)),
    "review.month_short.{}": Dynamic("labels", lambda: range(1, 13)),  # review/wording.month_label
    "review.docx.recipient.{}": Dynamic("labels"),
    "review.grade.{}": Dynamic("labels"),
    "review.indicator.{}": Dynamic("labels"),
    "review.provider.{}": Dynamic("labels"),
    "review.rating.{}": Dynamic("labels"),
    "review.source.{}": Dynamic("labels", _module("isoaudit.objectives", "RESULT_SOURCES")),
    "review.decisions.col.{}": Dynamic("labels"),
    "review.decisions.word.category.{}": Dynamic("labels", lambda: vocabulary("category")),
    # sampling
    "sampling.answer.{}": Dynamic("labels"),
    "sampling.applies.{}": Dynamic("labels", _module("isoaudit.sampling.evaluation", "APPLIES_WHEN")),
    "sampling.col.{}": Dynamic("labels", _module("isoaudit.workbooks.sample_worksheet", "FACT_COLUMNS")),
    "sampling.conclusion.{}": Dynamic("labels", _module("isoaudit.sampling.sizes", "OUTCOMES")),
    "sampling.cover.{}": Dynamic("labels"),
    "sampling.cover.instruction_{}": Dynamic("labels"),
    "sampling.finding.{}": Dynamic("labels", lambda: ("not_reliable", "insufficient")),  # as evaluation.py tests
    "sampling.finding_col.{}": Dynamic("labels"),
    "sampling.grade.{}": Dynamic("labels", _module("isoaudit.schema", "GRADES")),
    "sampling.key_items.{}": Dynamic("labels", lambda: [*_module("isoaudit.sampling.selection",
                                                                 "KEY_ITEM_CHOICES")(), "none"]),
    "sampling.outcome.{}": Dynamic("labels", _module("isoaudit.sampling.sizes", "OUTCOMES")),
    "sampling.result.{}": Dynamic("labels", _module("isoaudit.sampling.evaluation", "RESULT_COLUMNS")),
    "sampling.stratify.{}": Dynamic("labels", lambda: [*_module("isoaudit.sampling.selection",
                                                                "STRATIFY_COLUMNS")(), "none"]),
    # timeliness
    "timeliness.by_{}_heading": Dynamic("labels", lambda: ("unit", "procedure")),  # cli/timeliness.py
    "timeliness.col.{}": Dynamic("labels", timeliness_columns),
    "timeliness.reason.{}": Dynamic("labels", _module("isoaudit.timeliness", "REASONS")),
    "timeliness.sheet.{}": Dynamic("labels"),
    "timeliness.status.{}": Dynamic("labels", _module("isoaudit.timeliness", "STATUSES")),
    # controlled words shown in the user's language (timeliness workbook, isoaudit inspect)
    "vocabulary.{}.{}": Dynamic("labels", vocabulary_keys),
    # isoaudit inspect
    "inspect.col.{}": Dynamic("labels"),
    "inspect.format.{}": Dynamic("labels", _module("isoaudit.records.inspect", "FORMATS")),
    "inspect.ignored.{}": Dynamic("labels", _module("isoaudit.records.inspect", "IGNORED")),
    "inspect.kind.{}": Dynamic("labels", _module("isoaudit.schema", "KINDS")),
    # the command line
    "cli.{}.help": Dynamic("labels", _module("isoaudit.cli", "COMMANDS")),
    "cli.{}.description": Dynamic("labels", _module("isoaudit.cli", "COMMANDS")),
}


def exists(kind: str, key: str) -> bool:
    return has_label(key) if kind == "labels" else has_message(key)


def test_every_key_written_out_exists():
    missing = [f"{site.where}: {site.kind[:-1]} {site.key!r}" for site in key_sites()
               if site.key is not None and not exists(site.kind, site.key)]
    assert not missing, "no such key in isoaudit/data:\n" + "\n".join(missing)


def test_every_key_built_at_run_time_is_listed():
    unknown = sorted({f"{site.where}: {site.pattern}" for site in key_sites()
                      if site.pattern is not None and site.pattern not in DYNAMIC})
    assert not unknown, ("keys built at run time that this test cannot check: add each pattern to DYNAMIC with "
                         "where its values come from\n" + "\n".join(unknown))


def test_every_listed_pattern_is_still_built():
    built = {site.pattern for site in key_sites()} | set(template_keys()[1])
    assert not set(DYNAMIC) - built, f"no longer in the code: {sorted(set(DYNAMIC) - built)}"


@pytest.mark.parametrize("pattern", sorted(DYNAMIC))
def test_every_key_built_at_run_time_exists(pattern):
    dynamic = DYNAMIC[pattern]
    if dynamic.values == WRAPPER:
        return
    sites = [site for site in key_sites() if site.pattern == pattern]
    values = set()
    if dynamic.values is not None:
        values |= set(dynamic.values())
    for site in sites:
        if site.looped is None and dynamic.values is None:
            pytest.fail(f"{site.where}: the code does not say which values {pattern} takes; give them in DYNAMIC")
        values |= set(site.looped or ())
    assert values, pattern
    keys = sorted({pattern.format(*(value if isinstance(value, tuple) else (value,))) for value in values})
    missing = [key for key in keys if not exists(dynamic.kind, key)]
    assert not missing, f"{pattern}: no {dynamic.kind} " + ", ".join(missing)


def test_no_key_is_built_by_adding_strings():
    """``"audit." + code`` would escape the checks above: keys are built with f-strings."""
    shaped = re.compile(rf"^({'|'.join(sorted(namespaces()))})\.")
    added = [f"{module}:{node.lineno}" for module, tree in sources().items() for node in ast.walk(tree)
             if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add) and isinstance(node.left, ast.Constant)
             and isinstance(node.left.value, str) and shaped.match(node.left.value)]
    assert not added, added


def test_every_key_shaped_string_is_a_key():
    """A string written like a key ("audit.bad_result_row") anywhere in the code, even passed on in a variable,
    is one (file names such as "calendar.csv" excepted)."""
    shaped = re.compile(rf"^({'|'.join(sorted(namespaces()))})\.[a-z0-9_]+(\.[a-z0-9_-]+)*$")
    file_name = re.compile(r"\.(csv|xlsx|xls|ods|toml|json|html|ipynb|docx|txt|md|py)$")
    missing = []
    for module, tree in sources().items():
        in_fstrings = {part for node in ast.walk(tree) if isinstance(node, ast.JoinedStr) for part in node.values}
        for node in ast.walk(tree):
            if (isinstance(node, ast.Constant) and isinstance(node.value, str) and node not in in_fstrings
                    and shaped.match(node.value) and not file_name.search(node.value)
                    and not has_label(node.value) and not has_message(node.value)):
                missing.append(f"{module}:{node.lineno}: {node.value!r}")
    assert not missing, "\n".join(missing)


def problem_fields() -> set[str]:
    """The names problems.Problem.message fills in itself, besides the problem's ``params``: the keywords of
    its call to ``message`` (and the keys of a literal ``**{...}`` there)."""
    method = next(node for node in ast.walk(sources()["isoaudit.problems"])
                  if isinstance(node, ast.FunctionDef) and node.name == "message")
    call = next(node for node in ast.walk(method) if isinstance(node, ast.Call) and _called(node) == "message")
    names = {k.arg for k in call.keywords if k.arg}
    for splat in (k.value for k in call.keywords if k.arg is None and isinstance(k.value, ast.Dict)):
        names |= {key.value for key in splat.keys if isinstance(key, ast.Constant)}
    return names


def test_every_placeholder_of_a_key_written_out_is_given():
    """``label("timeliness.as_of", lang, date=...)``: the template's placeholders are all given (calls that pass
    ``**params`` on are not checked)."""
    unfilled = []
    for module, tree in sources().items():
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            kind, prefix, argument = _key_argument(node, module)
            if not (isinstance(argument, ast.Constant) and isinstance(argument.value, str)) or kind is None:
                continue
            name = getattr(node.func, "id", getattr(node.func, "attr", None))
            if name in RULE_CALLS:
                continue
            key = prefix + argument.value
            if name == "Problem":
                params = next((k.value for k in node.keywords if k.arg == "params"), None)
                if params is not None and not isinstance(params, ast.Dict):
                    continue
                given = problem_fields() | {k.value for k in (params.keys if params else [])
                                            if isinstance(k, ast.Constant)}
            elif any(k.arg is None for k in node.keywords):
                continue
            else:
                given = {k.arg for k in node.keywords}
            if exists(kind, key):
                entry = i18n._table(kind)[key]
                wanted = placeholders(entry["vi"]) | placeholders(entry["en"])
                if wanted - given:
                    unfilled.append(f"{module}:{node.lineno}: {key} needs {sorted(wanted - given)}")
    assert not unfilled, "\n".join(unfilled)


# ---- keys in the district page's template ---------------------------------------------------------------------------
TEMPLATE = PACKAGE / "templates" / "rollup.html.j2"


def template_keys() -> tuple[list[str], list[str]]:
    """The keys ``t("...")`` of templates/rollup.html.j2 (prefixed "batch." by outputs/rollup.py), and the
    patterns of those built there (``t("link." ~ kind)``)."""
    text = TEMPLATE.read_text(encoding="utf-8")
    written = re.findall(r"""\bt\(\s*["']([^"']+)["']\s*[,)]""", text)
    built = re.findall(r"""\bt\(\s*["']([^"']+)["']\s*~""", text)
    return [f"batch.{key}" for key in written], [f"batch.{start}{{}}" for start in built]


def test_every_key_of_the_district_page_template_exists():
    written, built = template_keys()
    assert written and built
    assert [key for key in written if not has_label(key)] == []
    assert set(built) <= set(DYNAMIC), f"add to DYNAMIC: {sorted(set(built) - set(DYNAMIC))}"
