"""Looking after what the library holds: retry, requeue, delete, reindex, describe again."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from imgsearch.errors import Conflict, NotFound
from imgsearch.models import ImageRecord, Status


class MaintainLibrary:
    """The part of IngestService that repairs and rebuilds (see IngestService for the fields)."""

    def retry(self, image_id: str) -> ImageRecord:
        """Process a failed, pending or stuck image again, here and now (see process)."""
        return self.process(image_id)

    def requeue(self, image_id: str) -> ImageRecord:
        """Mark a failed or stuck image pending, for a worker (or the ingest Lambda) to take.

        Raises NotFound, or Conflict when the image is indexed or being processed right now.
        """
        record = self.repository.requeue(image_id)
        if record is not None:
            return record
        current = self.repository.get(image_id)
        if current is None:
            raise NotFound(f"no image with id {image_id}")
        if current.status == Status.PENDING:
            return current
        raise Conflict(f"only failed or stuck images can be retried; this one is {current.status.value}")

    def queue_again(self, image_id: str) -> ImageRecord:
        """Mark an indexed, failed or stuck image pending, to be described again by a worker.

        Raises NotFound, or Conflict when it is being processed right now.
        """
        record = self.repository.requeue(image_id, again=True)
        if record is not None:
            return record
        current = self.repository.get(image_id)
        if current is None:
            raise NotFound(f"no image with id {image_id}")
        if current.status == Status.PENDING:
            return current
        raise Conflict("this photo is being processed right now; try again when it is done")

    def delete(self, image_id: str) -> ImageRecord:
        """Remove an image's vectors, files and row, in that order, so search never shows a ghost."""
        record = self.repository.get(image_id)
        if record is None:
            raise NotFound(f"no image with id {image_id}")
        self._forget_derived(record)
        self.storage.delete(record.storage_key)
        self.repository.delete(image_id)
        # A worker that was processing it notices at its next write and removes what it wrote.
        return record

    def reindex(self, progress: Callable[[int], None] | None = None, batch_size: int = 64) -> int:
        """Rebuild the vectors of every indexed image from its stored description; returns the count.

        Idempotent: vector ids derive from image ids, so running it twice gives the same index.
        Failed images are left to retry (their description may not match what is stored).
        """
        done = 0
        for batch in self.repository.iter_described(batch_size):
            indexed = {r.id: r.description or "" for r in batch if r.status == Status.INDEXED}
            counts = self._write_vectors(indexed)
            for image_id, count in counts.items():
                self.repository.record_vectors(image_id, count, self.embedder.name)
            done += len(indexed)
            if progress:
                progress(len(batch))
        return done

    def outdated(self, force: bool = False) -> Iterator[ImageRecord]:
        """Images that describing again would change: indexed by another describer, or failed.

        With force, every indexed or failed image. Pending and processing ones are left to their
        worker. Because each image is checked as it comes, an interrupted run resumes where it
        stopped.
        """
        for batch in self.repository.iter_all():
            for record in batch:
                if record.status == Status.FAILED or (
                    record.status == Status.INDEXED and (force or not self.is_current(record))
                ):
                    yield record
