"""Nothing lost: replaying the events ingest gave up on (redrive), and squaring storage, rows and
vectors with each other (reconcile).

On AWS a photo whose every ingest attempt failed leaves its S3 event in the dead-letter queue for 14
days; one that failed before a row existed is otherwise invisible. Redrive replays those events;
reconcile finds what no event will bring back (originals with no row, rows with no original, indexed
rows with no vectors, vectors with no row) and, with fix, repairs each.
"""

from __future__ import annotations

import logging
import posixpath
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from imgsearch.events import ObjectEvent, parse_failure
from imgsearch.models import ImageRecord, Status
from imgsearch.pipeline.adding import ORIGINAL_DELETED

if TYPE_CHECKING:
    from imgsearch.pipeline.ingest import IngestService

log = logging.getLogger("imgsearch.pipeline")


@dataclass(frozen=True)
class DeadLetter:
    """One message of a dead-letter queue."""

    id: str
    body: str
    receipt: str = ""


class DeadLetters(Protocol):
    """A dead-letter queue (the ingest function's SQS on-failure destination)."""

    def receive(self) -> Iterator[DeadLetter]:
        """Every message, each once (received messages stay hidden from others while this runs)."""
        ...

    def delete(self, letter: DeadLetter) -> None: ...

    def release(self, letters: Iterable[DeadLetter]) -> None:
        """Make these messages visible again at once (they stay in the queue)."""
        ...


@dataclass(frozen=True)
class Replayed:
    """What replaying one record of a failed event did."""

    key: str
    action: str
    outcome: str
    error: str = ""  # why the ingest function had failed on it


@dataclass
class RedriveReport:
    replayed: list[Replayed] = field(default_factory=list)
    removed: int = 0  # messages done with and deleted from the queue
    kept: list[tuple[str, str]] = field(default_factory=list)  # (message id, why it stays)


@dataclass
class Reconciliation:
    """What does not square, and (with fix) what was done about it."""

    orphan_originals: list[str] = field(default_factory=list)  # stored, but no row
    missing_originals: list[ImageRecord] = field(default_factory=list)  # a row, but no original
    unindexed: list[ImageRecord] = field(default_factory=list)  # indexed, but its vectors are missing
    orphan_vectors: list[str] = field(default_factory=list)  # vectors of no row
    fixed: bool = False

    @property
    def clean(self) -> bool:
        return not (self.orphan_originals or self.missing_originals or self.unindexed or self.orphan_vectors)


class RecoverLibrary:
    """The part of IngestService that recovers lost work (see IngestService for the fields)."""

    def redrive(
        self,
        letters: DeadLetters,
        bucket: str,
        owner_of: Callable[[str], IngestService | None],
        dry_run: bool = False,
    ) -> RedriveReport:
        """Replay each failed event: uploads are announced again, removals are applied here.

        owner_of gives the ingest service of the key's owner (None: a folder of no account). A
        message is deleted once every record in it is replayed; one that cannot be read, or whose
        replay fails, stays in the queue (and the report says why). With dry_run nothing changes.
        """
        report = RedriveReport()
        kept: list[DeadLetter] = []
        for letter in letters.receive():
            try:
                failure = parse_failure(letter.body)
            except ValueError as exc:
                report.kept.append((letter.id, f"unreadable: {exc}"))
                kept.append(letter)
                continue
            problems = []
            for record in failure.records:
                outcome = self._replay(record, bucket, owner_of, dry_run)
                problems += [outcome] if outcome.startswith("failed") else []
                report.replayed.append(Replayed(record.key, record.action, outcome, failure.error))
            if dry_run or problems:
                if problems:
                    report.kept.append((letter.id, "; ".join(problems)))
                kept.append(letter)
            else:
                letters.delete(letter)
                report.removed += 1
        letters.release(kept)
        return report

    def _replay(
        self, record: ObjectEvent, bucket: str, owner_of: Callable[[str], IngestService | None], dry_run: bool
    ) -> str:
        if record.bucket != bucket:
            return f"skipped: event for bucket {record.bucket!r}"
        if not record.key.startswith(self.originals_prefix) or record.key.endswith("/"):
            return "skipped: not an original"
        if dry_run:
            return "would announce again" if record.action == "created" else "would remove"
        try:
            owners = owner_of(record.key)
            if owners is None:
                return "skipped: in the folder of no account"
            if record.action == "removed":
                return owners.forget_stored(record.key)[0]
            if not self.storage.exists(record.key):
                return "gone (deleted since)"
            return owners.announce(record.key)
        except Exception as exc:  # reported and kept in the queue, to be redriven later
            log.debug("replaying %s failed", record.key, exc_info=True)
            return f"failed: {type(exc).__name__}: {exc}"

    def announce(self, key: str) -> str:
        """Have a stored original ingested: S3 announces it again to the ingest function (a copy onto
        itself); local storage has no listener, so it is recorded and processed here."""
        touch = getattr(self.storage, "touch", None)
        if touch is not None:
            touch(key)
            return "announced again"
        data = self.storage.get(key)
        registered = self.register_stored(key, data, posixpath.basename(key))
        if not registered.needs_processing:
            return registered.outcome
        image = self.process(registered.image.id, data=data)
        return image.status.value if not image.error else f"{image.status.value}: {image.error}"

    # ------------------------------------------------------------------ reconcile

    def reconcile(self, fix: bool = False, stored: Iterable[str] | None = None) -> Reconciliation:
        """Compare this owner's stored originals, rows and vectors; with fix, repair what does not square.

        stored: the owner's original keys (the caller sorts a shared folder's keys by owner); by
        default every key under the originals prefix.

        Originals with no row are ingested (announced again on S3), rows with no original are
        deleted, indexed rows missing vectors are re-embedded from their description, and vectors
        of no row are deleted. Uploads refused on purpose (their file deleted, the row kept to say
        why) are not missing anything.
        """
        stored = set(self.storage.keys(self.originals_prefix) if stored is None else stored)
        rows: dict[str, ImageRecord] = {}
        for batch in self.repository.iter_all():
            rows.update((record.id, record) for record in batch)
        chunks: dict[str, int] = {}
        orphans: list[str] = []
        for vector_id in self.index.ids():
            image_id = vector_id.rpartition("#")[0] or vector_id
            if image_id in rows:
                chunks[image_id] = chunks.get(image_id, 0) + 1
            else:
                orphans.append(vector_id)
        keys = {record.storage_key for record in rows.values()}
        found = Reconciliation(
            orphan_originals=sorted(stored - keys),
            missing_originals=[
                r
                for r in rows.values()
                if r.storage_key not in stored and not r.details.get(ORIGINAL_DELETED)
            ],
            unindexed=[
                r
                for r in rows.values()
                if r.status == Status.INDEXED
                and r.storage_key in stored
                and chunks.get(r.id, 0) != r.vector_count
            ],
            orphan_vectors=sorted(orphans),
        )
        if fix and not found.clean:
            self._repair(found)
        return found

    def _repair(self, found: Reconciliation) -> None:
        for key in found.orphan_originals:
            log.info("reconcile: %s has no row: %s", key, self.announce(key))
        for record in found.missing_originals:
            self.delete(record.id)
        if found.unindexed:
            counts = self._write_vectors({r.id: r.description or "" for r in found.unindexed})
            for image_id, count in counts.items():
                self.repository.record_vectors(image_id, count, self.embedder.name)
        if found.orphan_vectors:
            self.index.delete(found.orphan_vectors)
        found.fixed = True
