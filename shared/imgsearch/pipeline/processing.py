"""Processing photos: thumbnail, describe, embed, index; and describing them again."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from imgsearch.errors import LeaseLost, NotFound, describe_error
from imgsearch.models import ImageRecord, Status, VectorRecord, VisualEmbedding, vector_id
from imgsearch.pipeline.chunks import MAX_CHUNKS, description_chunks
from imgsearch.pipeline.facets import apply_facets

log = logging.getLogger("imgsearch.pipeline")

# Near-duplicates: perceptual hashes this close (of 64 bits; resized and recompressed copies differ
# by 0-4, different photos by ~30), or visual embeddings this alike (crops; local back ends only).
DUPLICATE_HASH_BITS = 10
DUPLICATE_VISUAL = 0.90
DUPLICATE_HASH_VISUAL = 0.80  # a hash match between photos whose visual embeddings are less alike is chance


class ProcessPhotos:
    """The part of IngestService that makes stored photos searchable (see IngestService for the fields)."""

    def process(self, image_id: str, data: bytes | None = None) -> ImageRecord:
        """Thumbnail, describe, embed and index a stored image; a failure is recorded on the image.

        Returns the image as it ends up (indexed, or failed with its error). An image another worker
        holds is returned as it is. data is the stored photo when the caller has just read it (so it
        is not read again). Raises NotFound if the image is deleted (even while processing, in which
        case what this call wrote is removed again).
        """
        return self._run(image_id, again=False, data=data)

    def redescribe(self, image_id: str) -> ImageRecord:
        """Describe an image again with the current describer, then re-embed and re-index it.

        The image stays searchable (with its earlier description) while this runs. If describing or
        embedding fails, an image that was indexed (or queued again after being indexed) keeps its
        earlier description and vectors, with the failure noted in its error; one that was not is
        marked failed, as process() does.
        Raises NotFound as process() does.
        """
        return self._run(image_id, again=True)

    def is_current(self, record: ImageRecord) -> bool:
        """Whether the image was described by the describer configured now (redescribe would redo it)."""
        return record.status == Status.INDEXED and record.details.get("describer") == self.describer.name

    # ------------------------------------------------------------------ steps

    def _run(self, image_id: str, again: bool, data: bytes | None = None) -> ImageRecord:
        before = self.repository.get(image_id) if again else None
        record = self.repository.claim(image_id, again=again)
        if record is None:
            current = self.repository.get(image_id)
            if current is None:
                raise NotFound(f"no image with id {image_id}")
            return current
        lease = record.attempts  # our claim; writes made after losing it change nothing
        indexing = False
        try:
            visual = self._describe(record, data)
            if not again:
                self.repository.update(record, lease=lease)  # the description is kept if embedding fails
            indexing = True
            self._index(record, lease, visual)
            return record
        except LeaseLost:
            return self._lost(record)
        except Exception as exc:  # every failure is kept on the image, to be retried
            log.warning("processing %s (%s) failed: %s", record.id, record.filename, describe_error(exc))
            log.debug("processing %s failed", record.id, exc_info=True)
            if before is not None and before.status != Status.FAILED and before.vector_count > 0:
                # It was indexed (maybe queued again since): it keeps what it had.
                return self._keep_earlier(before, record.attempts, exc, rewrite=indexing)
            record.status = Status.FAILED
            record.error = describe_error(exc)
            try:
                return self.repository.update(record, lease=lease)
            except LeaseLost:
                return self._lost(record)

    def _keep_earlier(self, before: ImageRecord, lease: int, exc: Exception, rewrite: bool) -> ImageRecord:
        """A redescribe failed: put the earlier description back (and its vectors, if some were replaced)."""
        if rewrite:
            try:
                self._write_vectors({before.id: before.description or ""})
            except Exception:  # the index itself is failing; reindex repairs it later
                log.warning("could not restore the vectors of %s; run imgsearch reindex", before.id)
        before.attempts = lease
        before.error = "Describing it again failed: " + describe_error(exc)
        try:
            return self.repository.update(before, lease=lease)
        except LeaseLost:
            return self._lost(before)

    def _describe(self, record: ImageRecord, data: bytes | None = None) -> VisualEmbedding | None:
        """Thumbnail (once), embedded facts and the describer's view, into the record (not saved).

        Returns the describer's visual embedding of the photo, if it makes one.
        """
        from imgsearch import metadata
        from imgsearch.photos import difference_hash, make_thumbnail

        if data is None:
            data = self.storage.get(record.storage_key)
        record.phash = difference_hash(data)
        if record.thumbnail_key is None:
            thumb_key = self.thumbnail_key(record.id)
            self.storage.put(thumb_key, make_thumbnail(data, self.limits.thumbnail_px), "image/jpeg")
            record.thumbnail_key = thumb_key
        facts = metadata.extract_facts(data)
        seen = self.describer.describe(data, facts)
        lines = [*metadata.caption_sentences(facts), seen.text, *metadata.fact_sentences(facts)]
        record.description = "\n".join(line for line in lines if line and line.strip())
        record.details = {**facts, **seen.details, "describer": self.describer.name}
        record.taken_at = metadata.taken_at(facts)
        apply_facets(record)
        return seen.visual

    def _index(self, record: ImageRecord, lease: int, visual: VisualEmbedding | None) -> None:
        """Embed and index the record's description (and its visual embedding), then mark it indexed."""
        count = self._write_vectors({record.id: record.description or ""})[record.id]
        if self.visual_index is not None and visual is not None:
            embedding = VectorRecord(record.id, record.id, 0, list(visual.values), visual.model, self.owner)
            self.visual_index.upsert([embedding])
        record.vector_count = count
        record.embedder = self.embedder.name
        record.status = Status.INDEXED
        record.error = None
        record.indexed_at = datetime.now(UTC)
        self.repository.update(record, lease=lease)
        self._group_duplicates(record, visual)

    def _group_duplicates(self, record: ImageRecord, visual: VisualEmbedding | None) -> None:
        """Put the image in one group with the photos it is a near-duplicate of (if any)."""
        from imgsearch.photos import hash_is_informative

        # A featureless photo (flat, dark, evenly shaded) looks like every other one to both the hash
        # and the classifier's features: it is only ever a duplicate of its own bytes.
        if not (record.phash and hash_is_informative(record.phash)):
            return
        near = [i for i in self.repository.near_hashes(record.phash, DUPLICATE_HASH_BITS) if i != record.id]
        if self.visual_index is not None and visual is not None:
            if near:  # where both photos have a visual embedding, it must agree with the hash
                theirs = self.visual_index.fetch(near)
                near = [
                    i
                    for i in near
                    if i not in theirs or _dot(visual.values, theirs[i]) >= DUPLICATE_HASH_VISUAL
                ]
            alike = [
                m.image_id
                for m in self.visual_index.query(list(visual.values), top_k=8)
                if m.image_id != record.id and m.score >= DUPLICATE_VISUAL
            ]
            hashes = self.repository.hashes_of(alike)
            near.extend(i for i in alike if i in hashes and hash_is_informative(hashes[i]))
        if near:
            members = [record.id, *dict.fromkeys(near)]
            self.repository.join_duplicates(members, group=min(members))

    def _lost(self, record: ImageRecord) -> ImageRecord:
        """Our claim ended while we worked: deleted (undo our writes) or taken over (leave it be)."""
        current = self.repository.get(record.id)
        if current is None:
            self._forget_derived(record)
            raise NotFound(f"image {record.id} was deleted while it was being processed")
        return current

    def _write_vectors(self, descriptions: dict[str, str]) -> dict[str, int]:
        """Embed and index each image's description chunks, replacing what it had; chunk counts back."""
        owners: list[tuple[str, int]] = []
        texts: list[str] = []
        for image_id, description in descriptions.items():
            chunks = description_chunks(description, self.embedder.max_chars)
            owners.extend((image_id, n) for n in range(len(chunks)))
            texts.extend(chunks)
        vectors = self.embedder.embed_documents(texts) if texts else []
        records = [
            VectorRecord(vector_id(image_id, n), image_id, n, values, self.embedder.name, self.owner)
            for (image_id, n), values in zip(owners, vectors, strict=True)
        ]
        self.index.upsert(records)
        counts = dict.fromkeys(descriptions, 0)
        for image_id, _ in owners:
            counts[image_id] += 1
        # Chunks past the new count belong to an older, longer description.
        self.index.delete([vector_id(i, n) for i, count in counts.items() for n in range(count, MAX_CHUNKS)])
        return counts

    def _forget_derived(self, record: ImageRecord) -> None:
        """Remove what was made from an image's bytes: vectors, visual embedding, thumbnail."""
        # Vector ids are the image id and a chunk number below MAX_CHUNKS: this finds them all.
        self.index.delete([vector_id(record.id, n) for n in range(MAX_CHUNKS)])
        if self.visual_index is not None:
            self.visual_index.delete([record.id])
        if record.thumbnail_key:
            self.storage.delete(record.thumbnail_key)
            record.thumbnail_key = None
        record.vector_count = 0
        record.duplicate_group = None


def _dot(a, b) -> float:
    return float(sum(x * y for x, y in zip(a, b, strict=True)))
