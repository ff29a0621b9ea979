"""A batch unit's records read, and its year judged, once in its kernel for both of its notebooks.

A batch worker's kernel runs a unit's audit notebook and then its review notebook (``batch.kernel_session``):
both read that unit's rows of the batch's records cache and judge the same year of its dossiers. The last
unit read is kept here, so the review gets the audit's ``Records`` and ``UnitYear`` instead of reading and
judging them again. Only a records cache read for one unit is kept, and only while its manifest is the same
file (each batch writes a new one); a records folder, which a person may be editing, is read every time.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from isoaudit.measures import UnitYear, default_as_of
from isoaudit.records import load_records
from isoaudit.records.cache import cache_version
from isoaudit.records.units import known_unit_code
from isoaudit.review import assemble_review as assemble_pack


def read_records(folder, lang: str = "vi", unit: str | None = None):
    """``load_records(folder, lang, unit=unit)``: the kept ``Records`` when it is the same unit of the same
    records cache."""
    key = _cache_key(folder, unit)
    if key is not None and key == _kept.key:
        return _kept.records
    records = load_records(folder, lang, unit=unit)
    if key is not None:
        _kept.replace(key, records)
    return records


def judged_year(records, unit_code: str, year: int, as_of=None) -> UnitYear:
    """``UnitYear(records, unit_code, year, as_of)`` with the records' own calendar; made once for the kept
    records (the audit's evidence and the review read the same judged dossiers and figures)."""
    key = (str(unit_code), int(year), default_as_of(year, as_of))
    kept = records is _kept.records
    if kept and key in _kept.years:
        return _kept.years[key]
    unit_year = UnitYear(records, unit_code, year, as_of=as_of)
    if kept:
        _kept.years[key] = unit_year
    return unit_year


def assemble_review(records, unit_code: str, year: int, lang: str = "vi", as_of=None, calendar=None):
    """``review.assemble_review``, from the year the audit judged when ``records`` are the kept ones."""
    unit_year = None
    if calendar is None and records is _kept.records:
        unit_year = judged_year(records, known_unit_code(records, unit_code), year, as_of)
    return assemble_pack(records, unit_code, year, lang, as_of, calendar, unit_year=unit_year)


@dataclass
class _Kept:
    """The last unit read from a records cache: its key (cache, manifest, unit), records and judged years."""

    key: tuple | None = None
    records: object = None
    years: dict = field(default_factory=dict)

    def replace(self, key: tuple, records) -> None:
        self.key, self.records, self.years = key, records, {}


_kept = _Kept()


def _cache_key(folder, unit) -> tuple | None:
    """What identifies one unit's read of a records cache; None for a records folder or a whole cache."""
    if unit is None or not str(unit).strip():
        return None
    try:
        version = cache_version(folder)
    except OSError:  # not a cache (or not there: load_records says so)
        return None
    return str(Path(folder).resolve()), version, str(unit).strip()
