"""IngestService: everything that changes what the library holds, one module per job.

Adding photos is in adding.py, making them searchable (and describing them again) in processing.py,
repair and rebuilds in maintenance.py, replaying failed events and reconciling storage, rows and
vectors in recovery.py; this class holds the back ends they share.
"""

from __future__ import annotations

from imgsearch.models import LOCAL_OWNER
from imgsearch.pipeline.adding import Added, AddPhotos, Limits, Registered, clean_filename
from imgsearch.pipeline.maintenance import MaintainLibrary
from imgsearch.pipeline.processing import ProcessPhotos
from imgsearch.pipeline.recovery import RecoverLibrary
from imgsearch.ports import Describer, Embedder, ImageRepository, Storage, VectorIndex

__all__ = ["Added", "IngestService", "Limits", "Registered", "clean_filename"]


class IngestService(AddPhotos, ProcessPhotos, MaintainLibrary, RecoverLibrary):
    """Adds, processes, describes again, deletes and reindexes photos over the given back ends.

    visual_index, when given, keeps each photo's visual embedding (the local back ends); without
    it, photos are compared by their description vectors.
    """

    def __init__(
        self,
        *,
        limits: Limits,
        storage: Storage,
        repository: ImageRepository,
        index: VectorIndex,
        embedder: Embedder,
        describer: Describer,
        visual_index: VectorIndex | None = None,
        originals_prefix: str = "originals/",
        thumbnails_prefix: str = "thumbnails/",
        owner: str = LOCAL_OWNER,
    ) -> None:
        """owner: whose library this is; the repository and indexes given must be that owner's view."""
        self.limits = limits
        self.storage = storage
        self.repository = repository
        self.index = index
        self.embedder = embedder
        self.describer = describer
        self.visual_index = visual_index
        self.originals_prefix = originals_prefix
        self.thumbnails_prefix = thumbnails_prefix
        self.owner = owner

    def original_key(self, image_id: str, extension: str) -> str:
        """Where a new photo's original is stored: under its owner's folder."""
        return f"{self.originals_prefix}{self.owner}/{image_id}.{extension}"

    def thumbnail_key(self, image_id: str) -> str:
        return f"{self.thumbnails_prefix}{self.owner}/{image_id}.jpg"
