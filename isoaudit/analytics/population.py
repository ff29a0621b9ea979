"""Is the population complete? What the dossier codes of a log say about the dossiers it does not hold.

A one-stop software numbers every dossier it receives: ``000.00.14.H56-250123-0003`` is the agency's code,
the receipt day (yymmdd) and the running number within that day; a hand-kept book numbers through the year
(``TN-2025-00299``, ``01/2025``). The patterns isoaudit reads, with the scope of each numbering (day or
year), are data (``data/analytics_population.toml``). Per numbering (pattern, prefix, day or year):

- a gap: numbers missing between the lowest and the highest of a day or year: dossiers numbered (received)
  but not in the log. The dossier after each gap is flagged as the place to look (``after_gap``).
  Numbers before the lowest or after the highest cannot be seen missing, and a numbering that fills less
  than ``min_density`` of its ranges is another centre's (dossiers lodged here under 118/2025, numbered
  by the centre that received them): its holes are not gaps; the params name it as not examined;
- a duplicated code: two rows of the log under one code (``duplicate_code``; the later rows are set aside
  by ``isoaudit.records`` as ``duplicate_id`` and are read back here from the excluded rows);
- a moved receipt: the day (or year) in the code differs from the day (year) of ``received_at``, and from
  that of ``submitted_at`` (a portal numbers an online dossier on submission) (``moved_receipt``).

Codes no pattern reads are counted; below ``min_parsed_share`` (or ``min_parsed`` codes) of the year's codes
read, the test is not available (``missing="too_few_parsed"``). Rows set aside by ``isoaudit.records``
(an unreadable date, an unknown procedure) were logged: their codes count as present.

The agency's own periodic statistics (``Records.statistics``, Biểu II.06a) are the second source: for each
form of the unit with a known period ending in the year, the dossiers it says were received in the period
(online + at the counter, else total - carried over) against the distinct codes the log has received in it.
More reported than logged is the same question as a gap; no form says so (``statistics_missing``).

Clause **7.5.3** (control of documented information: a record kept complete, protected from loss of
integrity, its changes controlled): the test looks at the log as a record, not at the service. Whether a
missing dossier was also mishandled (8.5.1) is for the sample it points to.
"""
from __future__ import annotations

import tomllib
from dataclasses import dataclass, replace
from functools import cached_property, lru_cache
from importlib import resources

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from isoaudit.analytics.code_heads import distinct_heads, seq_width, split_tails, uniform_codes
from isoaudit.analytics.result import AnalyticsResult, Flags, stamps
from isoaudit.analytics.supplements import days
from isoaudit.records.statistics_form import comparable_period
from isoaudit.reported_statistics import reported_forms

TEST = "population"
CLAUSE = "7.5.3"
SETTINGS_FILE = "analytics_population.toml"
SCOPES = ("day", "year")
REASONS = ("after_gap", "duplicate_code", "moved_receipt")
# The words of each reason, scope and column (keys written out: the wording tests read them here).
REASON_KEYS = {
    "after_gap": "analytics.population.reason.after_gap",
    "duplicate_code": "analytics.population.reason.duplicate_code",
    "moved_receipt": "analytics.population.reason.moved_receipt",
}
SCOPE_KEYS = {"day": "analytics.population.scope.day", "year": "analytics.population.scope.year"}
MISSING_KEYS = {
    "no_dossiers": "analytics.population.missing.no_dossiers",
    "too_few_parsed": "analytics.population.missing.too_few_parsed",
    "no_statistics_form": "analytics.population.missing.no_statistics_form",
    "no_received_line": "analytics.population.missing.no_received_line",
}
TABLE_COLUMNS = ["population_prefix", "population_scope", "population_period", "population_missing",
                 "population_count"]
COLUMN_KEYS = {
    "population_prefix": "analytics.col.population_prefix",
    "population_scope": "analytics.col.population_scope",
    "population_period": "analytics.col.population_period",
    "population_missing": "analytics.col.population_missing",
    "population_count": "analytics.col.population_count",
}
STATISTICS_COLUMNS = ["start", "end", "reported", "logged", "difference", "source_file"]
PARSED_COLUMNS = ["pattern", "prefix", "scope", "day", "year", "seq"]
_SEQ_LIMIT = 10_000_000  # running numbers have at most 6 digits


@dataclass(frozen=True)
class Pattern:
    name: str
    regex: str
    scope: str
    date_format: str | None = None


@dataclass(frozen=True)
class Settings:
    patterns: tuple[Pattern, ...]
    min_parsed_share: float  # 0..1
    min_parsed: int
    min_density: float  # 0..1
    unparsed_examples: int


def check_population(unit_year) -> AnalyticsResult:
    """The test on one unit's judged year (``measures.UnitYear``): its log's codes (the rows isoaudit set
    aside included) and the agency's reported statistics of the year."""
    own = unit_year.own
    log = _log_rows(own.dossiers, own.excluded_dossiers)
    result = population_check(log, unit_year.year)
    if not result.available:
        return result
    reconciliation = reconcile_statistics(own.statistics, log, unit_year.unit_code, unit_year.year)
    params = dict(result.params)
    params.update(_reconciliation_params(reconciliation))
    return AnalyticsResult(TEST, CLAUSE, result.table, params, result.flagged,
                           detail_fields=result.detail_fields)


def population_check(log: pd.DataFrame, year: int, settings: Settings | None = None) -> AnalyticsResult:
    """The test on a log frame (``dossier_id``, ``received_at``, optional ``submitted_at``; every row the
    log holds, rows set aside included), for the codes of ``year``: what the sampling code calls on its
    frame before drawing. Without the agency's statistics (see ``check_population``)."""
    settings = settings or load_settings()
    year = int(year)
    log = log.reset_index(drop=True)
    codes = read_codes(log["dossier_id"], settings)
    # The receipts compared as stamped (a stamp in the year is a day in it): only the year's are made days.
    stamps = log["received_at"]
    stamps = stamps.to_numpy() if isinstance(stamps.dtype, np.dtype) and stamps.dtype.kind == "M" else \
        days(log, "received_at")
    first, after = np.datetime64(f"{year}-01-01", "D"), np.datetime64(f"{year + 1}-01-01", "D")
    in_year = ((stamps >= first) & (stamps < after)) | codes.per_code(codes.head_year == year, False)
    if not in_year.any():
        return AnalyticsResult(TEST, CLAUSE, missing="no_dossiers")
    kept = None  # the year's rows of the log, when not all: positions below are among the year's rows
    if not in_year.all():
        kept = np.flatnonzero(in_year)
        codes = codes.take(kept)
    received = days(log, "received_at", kept)
    read = codes.head >= 0
    share = float(read.mean())
    if read.sum() < settings.min_parsed or share < settings.min_parsed_share:
        return AnalyticsResult(TEST, CLAUSE, missing="too_few_parsed")
    unread = np.flatnonzero(~read)  # none in the usual log
    numbers = _numbers(codes, read, every=not len(unread))
    gaps, after, sparse = _gaps(codes, numbers, year, settings)
    duplicates = _duplicates(log, kept, numbers, unread)
    moved = _moved(log, kept, codes, received, read)
    flags = Flags(log["dossier_id"])
    for found, reason in ((after, "after_gap"), (duplicates, "duplicate_code"), (moved, "moved_receipt")):
        if found:
            flags.add(_in_log(kept, found["positions"]), reason, **found["details"])
    unparsed = log["dossier_id"].iloc[_in_log(kept, unread[:settings.unparsed_examples])]
    heads_read = np.bincount(codes.head[read] if len(unread) else codes.head, minlength=len(codes.head_pattern)) > 0
    params = {
        "codes": int(len(read)), "parsed": int(len(read) - len(unread)), "unparsed": int(len(unread)),
        "parsed_share": share, "unparsed_examples": ", ".join(unparsed.astype(str)),
        "gap_numbers": int(gaps["population_count"].sum()) if len(gaps) else 0,
        "gap_periods": int(len(gaps)), "gaps": int(len(after.get("positions", ()))),
        "duplicates": int(len(duplicates.get("positions", ()))),
        "moved": int(len(moved.get("positions", ()))),
        "sparse_prefixes": ", ".join(sparse),
        "patterns": ", ".join(codes.pattern_names[i] for i in np.unique(codes.head_pattern[heads_read])),
    }
    return AnalyticsResult(TEST, CLAUSE, gaps, params, flags.frame(), detail_fields=flags.fields)


@dataclass(frozen=True)
class CodeReading:
    """Each code read by the first pattern that matches it, head by head. Per code: ``head``, its row in the
    heads' arrays (-1 when no pattern reads it), and ``seq``, its running number (-1 when unread). Per head
    (a code less its running number, or a whole code where a pattern reads codes one by one):
    ``head_pattern`` (index in the settings' patterns), ``head_prefix`` (index in ``prefix_names``),
    ``head_day`` (the day written in the code, datetime64[D], NaT unless day scope) and ``head_year``. A log
    of a year has a few thousand heads for a million codes: what depends on the numbering only is computed
    per head, and the per-code arrays (``pattern``, ``prefix``, ``day``, ``year``) are spread when asked."""

    head: np.ndarray
    seq: np.ndarray
    head_pattern: np.ndarray
    head_prefix: np.ndarray
    head_day: np.ndarray
    head_year: np.ndarray
    prefix_names: list[str]
    pattern_names: list[str]
    pattern_scopes: list[str]

    def per_code(self, values: np.ndarray, missing, rows: np.ndarray | None = None) -> np.ndarray:
        """A per-head array spread to the codes (to those at ``rows`` only, when given), ``missing`` for the
        codes no pattern reads."""
        heads = self.head if rows is None else self.head[rows]
        return np.append(values, np.array([missing], dtype=values.dtype))[heads]  # -1 takes the last

    @cached_property
    def head_day_scope(self) -> np.ndarray:
        """Whether each head's numbering runs within a day."""
        return np.array([scope == "day" for scope in self.pattern_scopes], dtype=bool)[self.head_pattern]

    @cached_property
    def pattern(self) -> np.ndarray:
        return self.per_code(self.head_pattern, -1)

    @cached_property
    def prefix(self) -> np.ndarray:
        return self.per_code(self.head_prefix, -1)

    @cached_property
    def day(self) -> np.ndarray:
        return self.per_code(self.head_day, np.datetime64("NaT"))

    @cached_property
    def year(self) -> np.ndarray:
        return self.per_code(self.head_year, -1)

    @cached_property
    def day_scope(self) -> np.ndarray:
        """Whether each code is numbered within a day (False when unread)."""
        return self.per_code(self.head_day_scope, False)

    def take(self, rows: np.ndarray) -> CodeReading:
        """The reading of ``rows`` only (positions or a boolean mask)."""
        return replace(self, head=self.head[rows], seq=self.seq[rows])

    def frame(self, index: pd.Index) -> pd.DataFrame:
        """As ``parse_codes`` gives it (``PARSED_COLUMNS``)."""
        scopes = np.array([SCOPES.index(scope) for scope in self.pattern_scopes] + [-1], dtype=np.int64)
        columns = {
            "pattern": pd.Categorical.from_codes(self.pattern, categories=self.pattern_names),
            "prefix": pd.Categorical.from_codes(self.prefix, categories=self.prefix_names),
            "scope": pd.Categorical.from_codes(scopes[self.pattern], categories=list(SCOPES)),
            "day": self.day.astype("datetime64[us]"),
            "year": self.year,
            "seq": self.seq,
        }
        parsed = pd.DataFrame(index=index)
        for name, values in columns.items():  # one by one: a frame built from a dict copies same-typed columns
            parsed[name] = values
        return parsed


def parse_codes(ids: pd.Series, settings: Settings | None = None) -> pd.DataFrame:
    """Each code read by the first pattern that matches it (``PARSED_COLUMNS``; <NA> for codes no pattern
    reads): the pattern's name, the numbering's prefix ('' when the pattern has none), its scope (these three
    categorical), the day written in the code (day scope), its year (-1 when unread) and the running number
    (-1 when unread). See ``read_codes``."""
    return read_codes(ids, settings).frame(ids.index)


def read_codes(ids: pd.Series, settings: Settings | None = None) -> CodeReading:
    """Each code of ``ids`` read by the first pattern that matches it. Vectorised: RE2 in Arrow, the codes as
    written first, then trimmed and upper-cased."""
    settings = settings or load_settings()
    n = len(ids)
    text = _arrow_text(ids)
    head = seq = None  # made when the first pattern does not read every code
    heads: list[tuple] = []  # per pattern that read codes: its heads' pattern, prefix, day and year
    total = 0  # heads so far
    prefixes: dict[str, int] = {}
    left = None  # the positions of the codes not read yet; None while that is every code (the usual log is
    # read at once by the first pattern, and needs no array of a million positions)
    for normalised in (False, True):
        if left is not None and not len(left):
            break
        subset = text if left is None or len(left) == n else text.take(pa.array(left))
        if normalised:
            subset = pc.utf8_upper(pc.utf8_trim_whitespace(subset))
        for number, rule in enumerate(settings.patterns):
            if left is not None and not len(left):
                break
            matched, found, pick, numbers = _match(subset, rule)
            if not matched.any():
                continue
            names = {found.type.field(i).name for i in range(found.type.num_fields)}
            if "date" in names:
                days = _digit_dates(found.field("date"), rule.date_format or "%y%m%d")
                years, head_ok = _years(days), ~np.isnat(days)
            else:
                years = pc.cast(found.field("year"), pa.int64()).to_numpy()
                years = np.where(years < 100, years + 2000, years)
                days = np.full(len(found), np.datetime64("NaT"), dtype="datetime64[D]")
                head_ok = np.ones(len(found), dtype=bool)
            prefix = _prefix_codes(found.field("prefix") if "prefix" in names else None, len(found), prefixes)
            heads.append((np.full(len(found), number, dtype=np.int64), prefix, days, years))
            if head is None and len(pick) == n and head_ok.all():  # the usual log: every code read at once
                head, seq, left = pick, numbers, np.zeros(0, dtype=np.int64)
                break
            if head is None:
                head, seq = np.full(n, -1, dtype=np.int64), np.full(n, -1, dtype=np.int64)
                left = np.arange(n)
            ok = head_ok[pick]
            rows = left[matched][ok]
            head[rows], seq[rows] = total + pick[ok], numbers[ok]
            total += len(found)
            keep = np.ones(len(left), dtype=bool)
            keep[np.flatnonzero(matched)[ok]] = False
            left, subset = left[keep], subset.filter(pa.array(keep))
    if head is None:
        head, seq = np.full(n, -1, dtype=np.int64), np.full(n, -1, dtype=np.int64)
    columns = [np.concatenate(parts) for parts in zip(*heads)] if heads else \
        [np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, "datetime64[D]"), np.zeros(0, np.int64)]
    return CodeReading(head, seq, *columns, list(prefixes), [p.name for p in settings.patterns],
                       [p.scope for p in settings.patterns])


def _match(text: pa.Array, rule: Pattern) -> tuple[np.ndarray, pa.StructArray, np.ndarray, np.ndarray]:
    """Which codes of ``text`` ``rule`` reads: (whether each matched, the groups read, for each matched code
    its row in those groups, its running number). Head by head when the pattern allows it (``code_heads``),
    else one match per code."""
    width = seq_width(rule.regex)
    if width is not None:
        uniform = uniform_codes(text, width)
        if uniform is not None:
            tails, heads, index = uniform[1:]
            tailed = None  # every code
        else:
            digits, tails = split_tails(text, width)
            heads, index = distinct_heads(text, digits)
            tailed = np.flatnonzero(digits > 0)
        found = pc.extract_regex(heads, rule.regex)
        head_read = np.asarray(found.is_valid().to_numpy(zero_copy_only=False), dtype=bool)
        if tailed is None and head_read.all():  # the usual log: every code read, each head its own row
            return np.ones(len(text), dtype=bool), found, index, tails
        read = head_read[index]
        matched = np.zeros(len(text), dtype=bool)
        matched[read if tailed is None else tailed[read]] = True
        kept = np.full(len(head_read), -1, dtype=np.int64)
        kept[head_read] = np.arange(int(head_read.sum()))  # a read head's row among the read heads
        return matched, found.filter(pa.array(head_read)), kept[index[read]], tails[matched]
    found = pc.extract_regex(text, rule.regex)
    matched = np.asarray(found.is_valid().to_numpy(zero_copy_only=False), dtype=bool)
    if matched.any() and not matched.all():
        found = found.filter(pa.array(matched))
    numbers = pc.cast(found.field("seq"), pa.int64()).to_numpy() if matched.any() else np.zeros(0, np.int64)
    return matched, found, np.arange(int(matched.sum())), numbers


def _arrow_text(ids: pd.Series) -> pa.Array:
    """The codes as an Arrow string array (zero-copy for pandas' Arrow-backed strings)."""
    try:
        text = pa.array(ids, from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        text = pa.array(ids.astype("string").to_numpy(dtype=object, na_value=None), type=pa.large_string())
    if isinstance(text, pa.ChunkedArray):
        text = text.combine_chunks()
    if pa.types.is_dictionary(text.type):
        text = text.dictionary_decode()
    if not (pa.types.is_string(text.type) or pa.types.is_large_string(text.type)):
        text = pc.cast(text, pa.large_string())
    return text


def _prefix_codes(found: pa.Array | None, size: int, prefixes: dict[str, int]) -> np.ndarray:
    """Codes of the prefixes read (into ``prefixes``, name -> code, grown as new names come)."""
    if found is None:
        return np.full(size, prefixes.setdefault("", len(prefixes)), dtype=np.int64)
    encoded = pc.dictionary_encode(pc.fill_null(found, ""))
    local = np.array([prefixes.setdefault(str(name), len(prefixes)) for name in encoded.dictionary.to_pylist()],
                     dtype=np.int64)
    return local[encoded.indices.to_numpy(zero_copy_only=False)] if len(local) else np.zeros(size, np.int64)


def reconcile_statistics(statistics: pd.DataFrame, log: pd.DataFrame, unit_code, year: int) -> pd.DataFrame:
    """Each reported form of ``unit_code`` whose known period ends in ``year`` (``STATISTICS_COLUMNS``):
    the dossiers it reports received in the period (online + at the counter, else total - carried over;
    <NA> when the form gives neither), the distinct codes ``log`` has received in it, and the difference
    (reported - logged: more reported than logged means dossiers the log does not hold)."""
    rows = []
    received = None  # read only when the unit reported a form of the year (most logs: none)
    for form in reported_forms(statistics, unit_code):
        if not comparable_period(form.start, form.end) or form.end.year != int(year):
            continue
        if received is None:
            received = pd.to_datetime(log["received_at"]).dt.normalize()
        figures = form.figures
        if figures.get("received_online") is not None and figures.get("received_counter") is not None:
            reported = figures["received_online"] + figures["received_counter"]
        elif figures.get("received_total") is not None and figures.get("received_carried_over") is not None:
            reported = figures["received_total"] - figures["received_carried_over"]
        else:
            reported = None
        inside = ((received >= form.start) & (received <= form.end)).fillna(False).to_numpy(bool)
        logged = int(log.loc[inside, "dossier_id"].nunique())
        rows.append({"start": form.start, "end": form.end, "reported": reported, "logged": logged,
                     "difference": None if reported is None else reported - logged,
                     "source_file": form.source_file})
    frame = pd.DataFrame(rows, columns=STATISTICS_COLUMNS)
    for column in ("reported", "difference"):
        frame[column] = pd.array(frame[column], dtype="Int64")
    return frame


def compress_numbers(numbers) -> str:
    """Sorted running numbers as ranges: [12, 13, 14, 15, 18] -> "12–15, 18"."""
    numbers = np.unique(np.asarray(numbers, dtype=np.int64))
    if not len(numbers):
        return ""
    breaks = np.flatnonzero(np.diff(numbers) != 1) + 1
    starts, ends = numbers[np.r_[0, breaks]], numbers[np.r_[breaks - 1, len(numbers) - 1]]
    return ", ".join(str(a) if a == b else f"{a}–{b}" for a, b in zip(starts, ends))


@lru_cache(maxsize=1)
def load_settings() -> Settings:
    """``data/analytics_population.toml``, checked: each pattern has a known scope and the groups it needs."""
    with resources.files("isoaudit.data").joinpath(SETTINGS_FILE).open("rb") as handle:
        data = tomllib.load(handle)
    patterns = []
    for entry in data["patterns"]:
        rule = Pattern(entry["name"], entry["regex"], entry["scope"], entry.get("date_format"))
        needs = "(?P<seq>" in rule.regex and ("(?P<date>" if rule.scope == "day" else "(?P<year>") in rule.regex
        if rule.scope not in SCOPES or not needs:
            raise ValueError(f"{SETTINGS_FILE}: pattern {rule.name!r} needs a scope of {SCOPES} and the groups "
                             f"seq and {'date' if rule.scope == 'day' else 'year'}")
        patterns.append(rule)
    return Settings(tuple(patterns), float(data["min_parsed_share"]), int(data["min_parsed"]),
                    float(data["min_density"]), int(data["unparsed_examples"]))


# ---- helpers ----------------------------------------------------------------------------------------------
def _log_rows(dossiers: pd.DataFrame, excluded: pd.DataFrame) -> pd.DataFrame:
    columns = [c for c in ("dossier_id", "received_at", "submitted_at") if c in dossiers]
    parts = [dossiers[columns]]
    if excluded is not None and len(excluded) and "dossier_id" in excluded:
        parts.append(excluded.reindex(columns=columns))
    log = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0].reset_index(drop=True)
    present = log["dossier_id"].notna().to_numpy(bool)
    log = (log if present.all() else log[present]).reset_index(drop=True)
    if "received_at" not in log:
        log["received_at"] = pd.NaT
    # Dates already read as dates are kept as they are; without submissions, ``days`` reads every one as NaT.
    for column in ("received_at", "submitted_at"):
        if column in log and log[column].dtype.kind != "M":
            log[column] = pd.to_datetime(log[column])
    return log


def _digit_dates(written: pa.Array, form: str) -> np.ndarray:
    """Dates written as digits in the order of ``form`` (made of %Y, %y, %m, %d: "%y%m%d" reads 250123) as
    datetime64[D]; NaT for an impossible date (month 13, 30 February)."""
    widths = {"%Y": 4, "%y": 2, "%m": 2, "%d": 2}
    fields = [form[i:i + 2] for i in range(0, len(form), 2)]
    if any(field not in widths for field in fields):
        raise ValueError(f"{SETTINGS_FILE}: date_format {form!r} must be made of %Y, %y, %m and %d")
    value = pc.cast(written, pa.int64()).to_numpy(zero_copy_only=False)
    parts, right = {}, sum(widths[f] for f in fields)
    for field in fields:
        right -= widths[field]
        parts[field] = value // 10 ** right % 10 ** widths[field]
    year = parts.get("%Y", parts.get("%y", 0) + 2000)
    month, day = parts.get("%m", 1), parts.get("%d", 1)
    valid = (month >= 1) & (month <= 12) & (day >= 1) & (day <= 31)
    months = (year - 1970) * 12 + np.where(valid, month, 1) - 1
    dates = months.astype("datetime64[M]").astype("datetime64[D]") + (np.where(valid, day, 1) - 1)
    # A day past the month's end spills into the next month: not a date.
    valid &= dates.astype("datetime64[M]").astype(np.int64) == months
    return np.where(valid, dates, np.datetime64("NaT"))


def _years(days: np.ndarray) -> np.ndarray:
    """The year of each datetime64[D] (-1 for NaT)."""
    years = days.astype("datetime64[Y]").astype(np.int64) + 1970
    return np.where(np.isnat(days), -1, years)


@dataclass(frozen=True)
class _Numbers:
    """The read codes sorted by numbering (pattern, prefix, day or year) and running number: ``rows`` their
    positions in the log, ``group`` their numbering's code, ``seq`` their number; ``group_starts`` where each
    numbering's codes start in that order, ``group_rows`` a row of each numbering, ``group_prefix`` each
    numbering's prefix (pattern and prefix) code, ``prefix_names`` the prefix of each such code."""

    rows: np.ndarray
    group: np.ndarray
    seq: np.ndarray
    group_starts: np.ndarray
    group_rows: np.ndarray
    group_prefix: np.ndarray
    prefix_names: list[str]

    @property
    def repeated(self) -> np.ndarray:
        """Positions in the sorted order of the codes whose numbering and number another code has too."""
        same = (self.group[1:] == self.group[:-1]) & (self.seq[1:] == self.seq[:-1])
        return np.flatnonzero(np.r_[same, False] | np.r_[False, same])


def _numbers(codes: CodeReading, read: np.ndarray, every: bool) -> _Numbers:
    """The read codes (``read``) in their numberings; ``every``: whether every code is read (the usual log: no
    positions to take the read ones by)."""
    rows = None if every else np.flatnonzero(read)
    prefix_count = len(codes.prefix_names) + 1
    # Per head: its prefix (pattern and prefix) and period (day or year); a numbering is the two together.
    head_prefix = codes.head_pattern * prefix_count + codes.head_prefix
    period = np.where(codes.head_day_scope, codes.head_day.astype(np.int64), codes.head_year)
    impossible = codes.head_day_scope & np.isnat(codes.head_day)  # a day no calendar has, written in the code
    if impossible.any():  # one period of their own, just below the others (NaT's int64 is the least: overflow)
        period[impossible] = period[~impossible].min(initial=0) - 1
    low = period.min(initial=0)
    head_key = head_prefix * (period.max(initial=0) - low + 1) + (period - low)
    group, count = _head_groups(codes.head if every else codes.head[rows], head_key)
    order, group, seq = _by_group_and_number(group, codes.seq if every else codes.seq[rows], count)
    rows = order if every else rows[order]
    starts = np.searchsorted(group, np.arange(count))  # every numbering 0..count-1 has codes
    prefix_codes, prefix_keys = pd.factorize(head_prefix[codes.head[rows[starts]]])
    names = codes.prefix_names + [""]
    prefix_names = [names[key % prefix_count] or codes.pattern_names[key // prefix_count] for key in prefix_keys]
    return _Numbers(rows, group, seq, starts, rows[starts], prefix_codes.astype(np.int64), prefix_names)


def _head_groups(heads: np.ndarray, head_key: np.ndarray) -> tuple[np.ndarray, int]:
    """Each code's numbering (``heads``: its head; ``head_key``: each head's numbering key), coded 0..k-1 in
    order of first appearance among the codes (as ``pandas.factorize(head_key[heads])`` codes them), and k.
    Coded head by head: a year's log has a few thousand heads for half a million codes."""
    first = _first_positions(heads, len(head_key))
    seen = np.flatnonzero(first >= 0)
    seen = seen[np.argsort(first[seen], kind="stable")]  # the heads in order of first appearance
    found, uniques = pd.factorize(head_key[seen])
    head_group = np.full(len(head_key), -1, dtype=np.int64)
    head_group[seen] = found
    return head_group[heads], len(uniques)


def _by_group_and_number(group: np.ndarray, seq: np.ndarray, groups: int
                         ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The order sorting the codes by numbering ``group`` then running number ``seq``, codes alike in both
    kept in log order (a stable sort), with ``group`` and ``seq`` in that order. Radix sorts of 16-bit keys
    where they fit: a log numbered as it was received needs only the sort by numbering."""
    if groups <= 1 << 16:
        order = np.argsort(group.astype(np.uint16), kind="stable")  # numpy radix-sorts 16-bit keys
        grouped, numbers = group[order], seq[order]
        if not ((grouped[1:] == grouped[:-1]) & (numbers[1:] < numbers[:-1])).any():
            return order, grouped, numbers
        if len(seq) and 0 <= seq.min() and seq.max() < 1 << 16:
            by_number = np.argsort(seq.astype(np.uint16), kind="stable")
            order = by_number[np.argsort(group[by_number].astype(np.uint16), kind="stable")]
            return order, group[order], seq[order]
    order = np.argsort(group * _SEQ_LIMIT + seq, kind="stable")
    return order, group[order], seq[order]


def _first_positions(codes: np.ndarray, count: int) -> np.ndarray:
    """The first position of each code 0..count-1 in ``codes`` (-1 for a code absent)."""
    positions = np.full(count, -1, dtype=np.int64)
    positions[codes[::-1]] = np.arange(len(codes))[::-1]  # the last write, the first appearance, stays
    return positions


def _prefixes(codes: CodeReading, rows: np.ndarray) -> np.ndarray:
    """The prefix of the codes at ``rows`` ('' where none)."""
    names = np.array(codes.prefix_names + [""], dtype=object)
    return names[codes.per_code(codes.head_prefix, -1, rows)]  # -1 (unread) takes the last: ''


def _scopes(codes: CodeReading, rows: np.ndarray) -> np.ndarray:
    """The numbering scope ("day", "year") of the codes at ``rows`` ('' where unread)."""
    return np.array(codes.pattern_scopes + [""], dtype=object)[codes.per_code(codes.head_pattern, -1, rows)]


def _gaps(codes: CodeReading, numbers: _Numbers, year: int, settings: Settings):
    """The table of gaps of the numberings of ``year``, the rows after each gap with their details, and the
    prefixes not examined (too sparse to be the unit's own numbering)."""
    g, s = numbers.group, numbers.seq
    count = len(numbers.group_rows)
    # Per numbering: its span (highest - lowest + 1) and distinct numbers; per prefix: how full its spans are.
    # The codes are sorted by numbering then number: a numbering's lowest is its first code, its highest its last.
    ends = np.append(numbers.group_starts[1:], len(s))[:count]  # where each numbering's codes end
    first, last = s[numbers.group_starts], s[ends - 1]
    same = np.r_[False, g[1:] == g[:-1]]
    step = np.r_[0, np.diff(s)]
    distinct = np.bincount(g[~same | (step != 0)], minlength=count)
    prefixes = len(numbers.prefix_names)
    density = np.bincount(numbers.group_prefix, weights=distinct, minlength=prefixes) / np.maximum(
        np.bincount(numbers.group_prefix, weights=last - first + 1, minlength=prefixes), 1)
    dense_prefix = density >= settings.min_density
    sparse = sorted(numbers.prefix_names[i] for i in np.flatnonzero(~dense_prefix))
    # The year a numbering belongs to: the day's year or the year written in the code.
    examined = dense_prefix[numbers.group_prefix] & (codes.per_code(codes.head_year, -1, numbers.group_rows) == year)
    gap_at = np.flatnonzero(same & (step > 1) & examined[g])
    if not len(gap_at):
        return pd.DataFrame(columns=TABLE_COLUMNS), {}, sparse
    low, high = s[gap_at - 1] + 1, s[gap_at] - 1
    ranges = np.where(low == high, low.astype(str), np.char.add(np.char.add(low.astype(str), "–"), high.astype(str)))
    gaps = pd.DataFrame({"group": g[gap_at], "range": ranges, "count": high - low + 1})
    table = gaps.groupby("group", sort=False).agg(population_missing=("range", ", ".join),
                                                  population_count=("count", "sum")).reset_index()
    rows = numbers.group_rows[table["group"].to_numpy()]
    table.insert(0, "population_prefix", _prefixes(codes, rows))
    table.insert(1, "population_scope", _scopes(codes, rows))
    table.insert(2, "population_period", _period_text(codes, rows))
    table = table.drop(columns="group").astype({"population_count": int})
    table = table.sort_values(["population_prefix", "population_period"], kind="stable").reset_index(drop=True)
    after_rows = numbers.rows[gap_at]
    details = {"prefix": _prefixes(codes, after_rows), "period": _period_text(codes, after_rows),
               "missing": ranges.astype(object), "count": high - low + 1}
    return table[TABLE_COLUMNS], {"positions": after_rows, "details": details}, sparse


def _period_text(codes: CodeReading, rows: np.ndarray) -> np.ndarray:
    """dd/mm/yyyy of a day numbering, yyyy of a year numbering."""
    day = pd.Series(codes.per_code(codes.head_day, np.datetime64("NaT"), rows)).dt.strftime("%d/%m/%Y")
    year = codes.per_code(codes.head_year, -1, rows).astype(str)
    return np.where(codes.per_code(codes.head_day_scope, False, rows), day.to_numpy(dtype=object), year).astype(object)


def _in_log(kept: np.ndarray | None, positions: np.ndarray) -> np.ndarray:
    """Positions among the year's rows as rows of the log (``kept``: the year's rows, None when all)."""
    return positions if kept is None else kept[positions]


def _duplicates(log: pd.DataFrame, kept: np.ndarray | None, numbers: _Numbers, unread: np.ndarray) -> dict:
    """Every row whose code another row also has: read to the same number of the same numbering ("…-0003"
    and "…-003" too), or, for codes no pattern reads (at ``unread``), the same code as written (trimmed, upper
    case)."""
    repeated = numbers.repeated
    rows = numbers.rows[repeated]
    if len(unread):
        text = log["dossier_id"].iloc[_in_log(kept, unread)].astype(str).str.strip().str.upper()
        rows = np.r_[rows, unread[text.duplicated(keep=False).to_numpy(bool)]]
    if not len(rows):
        return {}
    rows = np.sort(rows)
    ids = log["dossier_id"].iloc[_in_log(kept, rows)].astype(str).to_numpy()
    counts = pd.Series(ids).map(pd.Series(ids).value_counts()).to_numpy()
    received = pd.to_datetime(log["received_at"].iloc[_in_log(kept, rows)]).to_numpy()
    return {"positions": rows, "details": {"count": counts, "received": stamps(received)}}


def _moved(log: pd.DataFrame, kept: np.ndarray | None, codes: CodeReading, received: np.ndarray,
           read: np.ndarray) -> dict:
    """Rows whose code's day (day numbering) or year (year numbering) is not that of the receipt, nor of the
    online submission."""
    # Without the column every submission is missing (NaT, unlike any day): the receipt alone is compared.
    submitted = days(log, "submitted_at", kept) if "submitted_at" in log else None
    day_scope = codes.day_scope
    known = read & ~np.isnat(received)
    moved = day_scope & (codes.day != received)
    if submitted is not None:
        moved &= codes.day != submitted
    by_year = np.flatnonzero(read & ~day_scope)
    if len(by_year):
        year = codes.year[by_year]
        moved[by_year] = year != _years(received[by_year])
        if submitted is not None:
            moved[by_year] &= year != _years(submitted[by_year])
    rows = np.flatnonzero(known & moved)
    if not len(rows):
        return {}
    written = np.where(day_scope[rows], pd.Series(codes.day[rows]).dt.strftime("%d/%m/%Y").to_numpy(dtype=object),
                       codes.year[rows].astype(str))
    moments = pd.to_datetime(log["received_at"].iloc[_in_log(kept, rows)]).to_numpy()
    return {"positions": rows, "details": {"code_date": written.astype(str).astype(object),
                                           "received": stamps(moments)}}


def _reconciliation_params(reconciliation: pd.DataFrame) -> dict:
    """The paragraph's numbers of the comparison with the agency's statistics; ``statistics_missing`` (a
    code of ``MISSING_KEYS``) when there is nothing to compare."""
    if reconciliation.empty:
        return {"statistics_missing": "no_statistics_form", "statistics": []}
    given = reconciliation[reconciliation["reported"].notna().to_numpy(bool)]
    if given.empty:
        return {"statistics_missing": "no_received_line", "statistics": []}
    rows = [{"start": f"{r.start:%d/%m/%Y}", "end": f"{r.end:%d/%m/%Y}", "reported": int(r.reported),
             "logged": int(r.logged), "difference": int(r.difference), "source_file": str(r.source_file)}
            for r in given.itertuples(index=False)]
    largest = max(rows, key=lambda row: abs(row["difference"]))
    return {"statistics_missing": None, "statistics": rows, "statistics_forms": len(rows),
            "statistics_differing": sum(1 for row in rows if row["difference"] != 0),
            "statistics_start": largest["start"], "statistics_end": largest["end"],
            "statistics_reported": largest["reported"], "statistics_logged": largest["logged"],
            "statistics_difference": largest["difference"]}
