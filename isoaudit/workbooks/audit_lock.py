"""Saving one audit file that several auditors' forms write at the same time, without losing an answer.

A save (``save_locked``) holds a file lock beside the audit (``<audit>.xlsx.lock``, a ``filelock.FileLock``, given
up after ``LOCK_TIMEOUT`` seconds) for its whole cycle: read the file as it is on disk, merge it with the
session's answers field by field against the version the session last read or wrote (its ``DiskState``, the
common ancestor), write the result atomically, and keep the digest of the very bytes written. Two forms saving
at the same instant therefore take turns, and the second merges what the first wrote.

The merge (``audit_file.merge_answers``, ``merge_conflicts``): a field (result, evidence, notes) only one side
changed takes that side; a field both changed to different values keeps the value already in the file (saved
first, by the other auditor) and the session's value is set aside as a conflict, listed in the file's Conflicts
sheet until someone settles it by choosing a value. No value is dropped silently, and what an auditor has
saved does not change under them without a trace.

``refresh`` merges the file into a session the same way without writing. It takes no lock (every save replaces
the file in one step, so a reader sees one whole version or the next) and costs one ``stat`` when the file has
not changed. Neither function touches a session: both return what the session becomes (``Sync``).
"""
from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path

import pandas as pd
from filelock import FileLock

from isoaudit.workbooks.audit_file import (
    KEEP_VERSIONS,
    AuditPlan,
    AuditRecord,
    audit_bytes,
    bytes_digest,
    check_same_audit,
    empty_conflicts,
    load_audit,
    merge_answers,
    merge_conflicts,
    per_field_conflicts,
    replace_audit,
    same_answers,
    same_conflicts,
)

LOCK_TIMEOUT = 5.0  # seconds a save waits for another session's save (a save takes well under one) before failing
LOCK_SUFFIX = ".lock"
_READ_ATTEMPTS = 5  # a file replaced while it was being read is read again


@dataclass(frozen=True)
class DiskState:
    """The audit file as a session last read or wrote it: the common ancestor of its next merge.

    ``plan`` None and ``digest`` None: there was no file. ``signature`` (inode, modification time in ns, size)
    tells cheaply whether the file was replaced since."""

    plan: AuditPlan | None
    answers: pd.DataFrame
    conflicts: pd.DataFrame
    digest: str | None = None
    signature: tuple | None = None

    @classmethod
    def unsaved(cls, record: AuditRecord) -> DiskState:
        """The state of a session on an audit that has no file yet."""
        return cls(None, record.answers, per_field_conflicts(record.conflicts))


@dataclass
class Sync:
    """What a session becomes after a save or a refresh.

    ``record``: its answers and conflicts now (its own changes not yet saved stay in, after a refresh);
    ``disk``: the file's state it is based on; ``changed_ids``: the items whose answer the session shows
    differently now (others' answers merged in); ``new_conflicts``: the fields set aside by this merge;
    ``written``: whether the file was written (a save that changes nothing writes nothing)."""

    record: AuditRecord
    disk: DiskState
    changed_ids: list[str]
    new_conflicts: pd.DataFrame
    written: bool = False


def lock_path(path) -> Path:
    """The lock file of the audit file ``path``: ``<audit>.xlsx.lock`` beside it (left there; it holds nothing)."""
    path = Path(path)
    return path.with_name(path.name + LOCK_SUFFIX)


def read_audit_state(path, load=load_audit) -> tuple[AuditRecord, DiskState] | None:
    """The audit at ``path`` (read by ``load``, default ``load_audit``) with the state it was read in (its digest
    is of the bytes that were parsed); None when there is no file."""
    found = _read_stable(Path(path), None, load)
    if found is None:
        return None
    record, data, signature = found
    return record, DiskState(record.plan, record.answers, per_field_conflicts(record.conflicts), bytes_digest(data),
                             signature)


def save_locked(record: AuditRecord, path, disk: DiskState, *, lang: str = "vi",
                keep_versions: int | None = KEEP_VERSIONS, unit_codes=None, timeout: float = LOCK_TIMEOUT) -> Sync:
    """Save a session's ``record`` (plan, answers, conflicts) to ``path``, merged with what is on disk, under the
    lock; ``disk``: the state the session last read or wrote.

    Raises, having written nothing (and kept no version): ``filelock.Timeout`` when another save holds the lock
    longer than ``timeout`` seconds; ``OSError`` when the file cannot be read or written; ``WorksheetError``
    when the file now holds another audit (``audit.save_other_audit``) or cannot be read.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(lock_path(path)), timeout=timeout):
        found = _read_stable(path, disk.digest)
        if found is None:
            merged, previous, signature = replace(record, conflicts=per_field_conflicts(record.conflicts)), None, None
            changed, new = [], empty_conflicts()
        else:
            theirs, previous, signature = found
            if theirs is None:  # the file as this session left it
                theirs = AuditRecord(disk.plan or record.plan, disk.answers, disk.conflicts)
            else:
                check_same_audit(path, theirs.plan, record.plan, unit_codes)
            merged, changed, new = _merged(record, disk, theirs)
            if _same_content(merged, theirs):
                state = DiskState(theirs.plan, theirs.answers, theirs.conflicts, bytes_digest(previous), signature)
                return Sync(replace(merged, conflicts=theirs.conflicts), state, changed, new, written=False)
        data = audit_bytes(merged, lang)
        replace_audit(path, data, merged.plan.audit_id, previous, signature[1] / 1e9 if signature else None,
                      keep_versions)
        state = DiskState(merged.plan, merged.answers, merged.conflicts, bytes_digest(data), _signature(path))
    return Sync(merged, state, changed, new, written=True)


def refresh(record: AuditRecord, path, disk: DiskState, unit_codes=None) -> Sync | None:
    """A session's ``record`` with what others saved to ``path`` since ``disk`` merged in (nothing written);
    None when the file did not change (or is gone: the session's next save writes it again).

    Raises ``WorksheetError`` when the file now holds another audit or cannot be read, ``OSError`` when it
    cannot be read at all."""
    path = Path(path)
    signature = _signature(path)
    if signature is None or signature == disk.signature:
        return None
    found = _read_stable(path, disk.digest)
    if found is None:
        return None
    theirs, data, signature = found
    if theirs is None:  # touched, not changed
        return Sync(record, replace(disk, signature=signature), [], empty_conflicts())
    check_same_audit(path, theirs.plan, record.plan, unit_codes)
    merged, changed, new = _merged(record, disk, theirs)
    state = DiskState(theirs.plan, theirs.answers, per_field_conflicts(theirs.conflicts), bytes_digest(data), signature)
    return Sync(merged, state, changed, new)


# ---- helpers ---------------------------------------------------------------------------------------------------
def _merged(record: AuditRecord, disk: DiskState, theirs: AuditRecord) -> tuple[AuditRecord, list[str], pd.DataFrame]:
    """The session's record merged with the file's (``theirs``), ``disk`` being their common ancestor: the
    record, the items it shows differently now, the fields newly set aside."""
    merge = merge_answers(record.answers, theirs.answers, base=disk.answers, keep="theirs")
    conflicts = merge_conflicts(record.conflicts, disk.conflicts, theirs.conflicts, merge.conflicts, merge.answers)
    plan = theirs.plan  # the file's plan (edited in Excel, perhaps), with this session's auditors
    for name in record.plan.auditors:
        plan = plan.with_auditor(name)
    return AuditRecord(plan, merge.answers, conflicts), merge.taken_from_theirs, merge.conflicts


def _same_content(record: AuditRecord, theirs: AuditRecord) -> bool:
    return (record.plan == theirs.plan and same_answers(record.answers, theirs.answers)
            and same_conflicts(record.conflicts, theirs.conflicts))


def _read_stable(path: Path, known_digest: str | None, load=load_audit):
    """(record, bytes, signature) of the file at ``path``, the record None when the bytes are those of
    ``known_digest`` (nothing to parse); None when there is no file. The bytes are read before the record
    is parsed, and read again when the file was replaced meanwhile, so the digest kept is never that of a
    newer version than the record's."""
    found = None
    for _ in range(_READ_ATTEMPTS):
        before = _signature(path)
        if before is None:
            return None
        try:
            data = path.read_bytes()
        except FileNotFoundError:  # replaced between stat and open
            continue
        record = None if bytes_digest(data) == known_digest else load(path)
        found = (record, data, before)
        if _signature(path) == before:
            return found
    return found


def _signature(path: Path) -> tuple | None:
    try:
        stat = os.stat(path)
    except FileNotFoundError:
        return None
    return stat.st_ino, stat.st_mtime_ns, stat.st_size
