"""``Records``: everything read from one records folder, as canonical frames with the problems found."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from isoaudit.problems import Problem, has_errors, problems_frame
from isoaudit.records.readers import unit_code_from_name
from isoaudit.records.table import empty_frame


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
            return frame[frame["unit_code"].isin(codes).fillna(False).to_numpy(bool)].reset_index(drop=True)

        files = set()
        for frame in (self.dossiers, self.objectives, self.surveys, self.feedback, self.decisions, self.findings,
                      self.statistics):
            files |= set(own(frame)["source_file"])
        # A file that could not be read has no rows to say whose it is: its name does ("26734_2025.xlsx").
        files |= {Path(f).name for f in self.files if unit_code_from_name(f) in codes}
        # Problems name a file of a subfolder by its path in the folder ("surveys/26734_2025.xlsx").
        files |= {shown_path(f, self.folder) for f in self.files if Path(f).name in files}
        return Records(
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
            problems=[p for p in self.problems if p.file in files or p.file in _shared_files(self)],
            files=self.files,
            cached_digests=self.cached_digests,
            statistics=own(self.statistics),
        )

    def file_digests(self) -> pd.DataFrame:
        """Each input file with its SHA-256, so a report can be reproduced from the same inputs. Hashed once:
        a batch asks for them for every unit."""
        if self.cached_digests is None:
            rows = [{"file": str(f.relative_to(self.folder)), "sha256": _sha256(f)} for f in self.files]
            self.cached_digests = pd.DataFrame(rows, columns=["file", "sha256"])
        return self.cached_digests


def shown_path(path, folder) -> str:
    """How problems and reports name the input file ``path`` of the records folder ``folder``: its path in the
    folder with "/" ("surveys/26734_2025.xlsx"; a file at the top is its name), so that two files of the same
    name in different subfolders are told apart."""
    try:
        return Path(path).relative_to(folder).as_posix()
    except ValueError:
        return Path(path).name


def _shared_files(records: Records) -> set[str]:
    return {f.name for f in records.files if f.parent == records.folder}


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
