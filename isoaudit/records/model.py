"""``Records``: everything read from one records folder, as canonical frames with the problems found."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import pandas as pd

from isoaudit.problems import Problem, has_errors, problems_frame
from isoaudit.records.readers import unit_code_from_name
from isoaudit.records.table import empty_frame
from isoaudit.records.units_in_time import ancestors


@dataclass
class Records:
    """Everything read from one records folder. Frames have the canonical columns of ``isoaudit.schema``."""

    folder: Path
    units: pd.DataFrame
    procedures: pd.DataFrame
    dossiers: pd.DataFrame
    objectives: pd.DataFrame
    surveys: pd.DataFrame
    feedback: pd.DataFrame
    decisions: pd.DataFrame
    findings: pd.DataFrame
    excluded_dossiers: pd.DataFrame  # rows not usable, with a ``reason`` code; their problems are listed
    calendar_days: pd.DataFrame  # the folder's own days off and working days (calendar.csv), may be empty
    problems: list[Problem] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)
    cached_digests: pd.DataFrame | None = None  # the input files' digests, once computed or read from a cache
    # The periodic statistics the agencies reported themselves (statistics/), may be empty.
    statistics: pd.DataFrame = field(default_factory=lambda: empty_frame("statistics"))

    def problems_table(self, lang: str = "vi") -> pd.DataFrame:
        return problems_frame(self.problems, lang)

    @property
    def has_errors(self) -> bool:
        return has_errors(self.problems)

    def for_unit(self, unit_code: str) -> "Records":
        """The same records restricted to one unit (its dossiers, objectives and problems)."""
        return self.for_units([unit_code])

    def for_units(self, unit_codes) -> "Records":
        """The same records restricted to some units (a merged commune and the units it was formed from)."""
        codes = set(unit_codes)

        def own(frame: pd.DataFrame) -> pd.DataFrame:
            return rows_of_units(frame, codes)

        files = set()
        for frame in (self.dossiers, self.objectives, self.surveys, self.feedback, self.decisions, self.findings,
                      self.statistics):
            files |= set(own(frame)["source_file"].unique())
        # A file that could not be read has no rows to say whose it is: its name does ("26734_2025.xlsx").
        files |= {name for code in codes for name in self._names_by_unit.get(code, ())}
        # Problems name a file of a subfolder by its path in the folder ("surveys/26734_2025.xlsx").
        files |= {shown_path(f, self.folder) for name in files for f in self._files_by_name.get(name, ())}
        shared = self._shared_files
        records = Records(
            folder=self.folder,
            units=self.units,
            procedures=self.procedures,
            dossiers=own(self.dossiers),
            objectives=own(self.objectives),
            surveys=own(self.surveys),
            feedback=own(self.feedback),
            decisions=own(self.decisions),
            findings=own(self.findings),
            calendar_days=self.calendar_days,
            excluded_dossiers=self.excluded_dossiers[self.excluded_dossiers["source_file"].isin(files)]
            .reset_index(drop=True),
            problems=[p for p in self.problems if p.file in files or p.file in shared],
            files=self.files,
            cached_digests=self.cached_digests,
            statistics=own(self.statistics),
        )
        # The same folder, files and registry: what was worked out about them once serves every unit's copy.
        records.take_work(self.shared_work())
        return records

    def shared_work(self) -> dict:
        """What was worked out once about the folder, its files and its registry (worked out now if not yet), for
        another ``Records`` of the same ones to take over (``take_work``): a unit's copy, another read of a cache."""
        return {key: getattr(self, key) for key in _SHARED_WORK}

    def take_work(self, work: dict) -> None:
        """Take over ``shared_work`` of a ``Records`` of the same folder, files and registry."""
        self.__dict__.update(work)

    def ancestors(self, key: str) -> list[tuple[str, int]]:
        """``units_in_time.ancestors`` of the unit ``key`` in this registry: (key, generation), nearest first.
        Worked out once per unit: a unit's reports ask for its lineage many times."""
        if key not in self._lineages:
            self._lineages[key] = ancestors(self.units, key)
        return list(self._lineages[key])

    @cached_property
    def _lineages(self) -> dict[str, list[tuple[str, int]]]:
        return {}

    @cached_property
    def _files_by_name(self) -> dict[str, list]:
        """The input files by name (a province has a thousand: a unit's reports look them up many times)."""
        by_name: dict[str, list] = {}
        for f in self.files:
            by_name.setdefault(Path(f).name, []).append(f)
        return by_name

    @cached_property
    def _names_by_unit(self) -> dict[str | None, list[str]]:
        """The input files' names by the unit code their name starts with (None: no code)."""
        by_unit: dict[str | None, list[str]] = {}
        for name in self._files_by_name:
            by_unit.setdefault(unit_code_from_name(name), []).append(name)
        return by_unit

    @cached_property
    def _shared_files(self) -> set[str]:
        """The names of the files at the folder's top (registry, catalogue, calendar): every unit's."""
        return {f.name for f in self.files if f.parent == self.folder}

    def file_digests(self) -> pd.DataFrame:
        """Each input file with its SHA-256, so a report can be reproduced from the same inputs. Hashed once:
        a batch asks for them for every unit."""
        if self.cached_digests is None:
            rows = [{"file": str(f.relative_to(self.folder)), "sha256": file_sha256(f)} for f in self.files]
            self.cached_digests = pd.DataFrame(rows, columns=["file", "sha256"])
        return self.cached_digests


_SHARED_WORK = ("_files_by_name", "_names_by_unit", "_shared_files", "_lineages")


def shown_path(path, folder) -> str:
    """How problems and reports name the input file ``path`` of the records folder ``folder``: its path in the
    folder with "/" ("surveys/26734_2025.xlsx"; a file at the top is its name), so that two files of the same
    name in different subfolders are told apart."""
    try:
        return Path(path).relative_to(folder).as_posix()
    except ValueError:
        return Path(path).name


def file_sha256(path: Path) -> str:
    """The SHA-256 (hex) of a file's bytes, read in blocks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def rows_of_units(frame: pd.DataFrame, codes: set) -> pd.DataFrame:
    """The rows of ``frame`` whose ``unit_code`` is one of ``codes``, numbered from 0."""
    mine = frame["unit_code"].isin(codes).fillna(False).to_numpy(bool)
    # Records read for one unit hold its rows only: they need no copying row by row.
    return (frame if mine.all() else frame[mine]).reset_index(drop=True)
