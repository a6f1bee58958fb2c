"""Wiring: the back ends chosen once from the settings, and the services built on them.

Each entry point (CLI, web app, Lambda handler) builds one Library per process and passes it down.
Back ends are built on first use, so a process only pays for what it touches (a search never loads
the describer; a listing never loads the embedding model).

A Library is one owner's: its repository and vector indexes see only that owner's photos. The one
built from the settings is the local library (LOCAL_OWNER); for_owner(user_id) gives another
account's, sharing every client, connection and model with it.
"""

from __future__ import annotations

import re
import threading
from datetime import timedelta
from functools import cached_property
from typing import TYPE_CHECKING

from imgsearch.config import Settings
from imgsearch.models import LOCAL_OWNER
from imgsearch.ports import Describer, Embedder, ImageRepository, Storage, VectorIndex

ACCOUNT_ID = re.compile(r"^[0-9a-f]{32}$")  # as imgsearch.accounts makes them (uuid4().hex)

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from imgsearch.accounts import Accounts
    from imgsearch.limits import Limits
    from imgsearch.liveness import ProcessMarks
    from imgsearch.pipeline.ingest import IngestService
    from imgsearch.pipeline.search import SearchService

BACK_ENDS = ("storage", "repository", "index", "visual_index", "embedder", "describer", "aws", "engine")


class _built(cached_property):
    """A cached_property built once even when threads race for it (Python 3.12 dropped that lock)."""

    def __get__(self, instance, owner=None):
        if instance is None:
            return self
        cache = instance.__dict__
        if self.attrname not in cache:
            with instance._lock:
                if self.attrname not in cache:
                    cache[self.attrname] = self.func(instance)
        return cache[self.attrname]


class Library:
    """One owner's photo library: its back ends and the ingest and search services over them."""

    def __init__(self, settings: Settings, **backends: object) -> None:
        """Back ends may be passed in by name (storage, repository, index, embedder, describer, ...)."""
        self.settings = settings
        self.owner = LOCAL_OWNER
        self._root: Library | None = None
        self._lock = threading.RLock()
        for name, value in backends.items():
            if name not in BACK_ENDS:
                raise TypeError(f"unknown back end {name!r}")
            self.__dict__[name] = value  # pre-fills the cached_property

    def for_owner(self, owner: str) -> Library:
        """The library of another owner (an account's id), over the same back ends."""
        if owner == self.owner:
            return self
        root = self._root or self
        other = Library(root.settings)
        other.owner = owner
        other._root = root
        return other

    def owner_of_key(self, key: str) -> str | None:
        """Whose photo a stored key is: originals/<account id>/..., as the web app hands out keys.

        Keys in no account's folder (put there before accounts existed, or by hand) belong to the
        local library; a key in the folder of an account that does not exist (removed meanwhile) to
        no one.
        """
        prefix = self.settings.s3_originals_prefix
        rest = key[len(prefix) :] if key.startswith(prefix) else key
        folder, slash, _ = rest.partition("/")
        if not slash or folder == LOCAL_OWNER or not ACCOUNT_ID.match(folder):
            return LOCAL_OWNER
        return folder if self.accounts.user_by_id(folder) is not None else None

    # ------------------------------------------------------------------ back ends
    # An owner's Library takes the shared ones from the local library it was made from.

    @_built
    def aws(self):
        """AWS clients, built once (only for the cloud back ends)."""
        if self._root is not None:
            return self._root.aws
        from imgsearch.aws import AwsClients

        return AwsClients(self.settings)

    @_built
    def storage(self) -> Storage:
        if self._root is not None:
            return self._root.storage
        if self.settings.storage == "s3":
            from imgsearch.storage.s3 import S3Storage

            return S3Storage(self.aws.s3, self.settings.s3_bucket, self.settings.presign_expiry_s)
        from imgsearch.storage.local import LocalStorage

        return LocalStorage(self.settings.media_dir)

    @_built
    def engine(self) -> Engine:
        """The metadata database, migrated to the current schema."""
        if self._root is not None:
            return self._root.engine
        from imgsearch.db.engine import create_engine
        from imgsearch.db.migrate import upgrade

        url = self.settings.sqlalchemy_url
        if self.settings.ssm_database_url_param and not self.settings.database_url:
            url = self.aws.secret(self.settings.ssm_database_url_param)
        engine = create_engine(url, self.settings.db_timeout_s)
        upgrade(engine)
        return engine

    @_built
    def repository(self) -> ImageRepository:
        if self._root is not None:
            return self._root.repository.for_owner(self.owner)
        from imgsearch.db.repository import SqlImageRepository

        worker = self.marks.hold() if self.marks is not None else None
        lease = timedelta(seconds=self.settings.processing_lease_s)
        return SqlImageRepository(self.engine, lease=lease, owner=self.owner, worker=worker)

    @_built
    def everyone(self) -> ImageRepository:
        """Every owner's images at once: only for the ingest worker's sweeps, never for a request."""
        return self.repository.for_owner(None)

    @_built
    def marks(self) -> ProcessMarks | None:
        """This process's mark on the images it claims (local storage only; see imgsearch.liveness)."""
        if self._root is not None:
            return self._root.marks
        if self.settings.storage != "local":
            return None
        from imgsearch.liveness import ProcessMarks

        return ProcessMarks(self.settings.data_dir / "run")

    @_built
    def accounts(self) -> Accounts:
        if self._root is not None:
            return self._root.accounts
        from imgsearch.accounts import Accounts
        from imgsearch.db.accounts import SqlAccountStore

        return Accounts(SqlAccountStore(self.engine))

    @_built
    def limits(self) -> Limits:
        """Each account's rates and daily quota (rates in this process locally, in the database on AWS)."""
        if self._root is not None:
            return self._root.limits
        from imgsearch.db.limits import SqlRates, SqlUsage
        from imgsearch.limits import MB, Allowances, Limits, MemoryRates

        s = self.settings
        allowances = Allowances(
            searches_per_minute=s.searches_per_minute,
            uploads_per_minute=s.uploads_per_minute,
            logins_per_minute=s.logins_per_minute,
            photos_per_day=s.daily_upload_photos,
            bytes_per_day=int(s.daily_upload_mb * MB),
        )
        rates = SqlRates(self.engine) if s.storage == "s3" else MemoryRates()
        return Limits(allowances, rates, SqlUsage(self.engine))

    @_built
    def embedder(self) -> Embedder:
        if self._root is not None:
            return self._root.embedder
        if self.settings.embedder == "bedrock":
            from imgsearch.embedders.bedrock import BedrockEmbedder

            return BedrockEmbedder(self.aws.bedrock_runtime, self.settings.bedrock_embed_model)
        from imgsearch.embedders.minilm import MiniLMEmbedder

        return MiniLMEmbedder()

    @_built
    def index(self) -> VectorIndex:
        if self._root is not None:
            return self._root.index.for_owner(self.owner)
        if self.settings.index == "pinecone":
            from imgsearch.index.pinecone import PineconeIndex

            api_key = self.settings.pinecone_api_key
            if not api_key and self.settings.ssm_pinecone_api_key_param:
                api_key = self.aws.secret(self.settings.ssm_pinecone_api_key_param)
            return PineconeIndex.connect(self.settings, api_key, self.embedder.dimension)
        if self.settings.index == "s3vectors":
            from imgsearch.index.s3vectors import S3VectorsIndex

            s = self.settings
            client, dimension = self.aws.s3vectors, self.embedder.dimension
            return S3VectorsIndex.connect(
                client, s.s3vectors_bucket, s.s3vectors_index, dimension, s.create_index
            )
        from imgsearch.index.local import LocalVectorIndex

        dimension = self.embedder.dimension
        return LocalVectorIndex(self.settings.index_dir / f"vectors-{dimension}.sqlite", dimension)

    @_built
    def visual_index(self) -> VectorIndex | None:
        """Each photo's visual embedding, for similar photos and near-duplicates (local back ends only)."""
        if self._root is not None:
            shared = self._root.visual_index
            return shared.for_owner(self.owner) if shared is not None else None
        if self.settings.index != "local":
            return None  # in the cloud, photos are compared by their description vectors
        from imgsearch.describers.local import VISUAL_DIMENSION, VISUAL_MODEL
        from imgsearch.index.local import LocalVectorIndex

        path = self.settings.index_dir / f"visual-{VISUAL_MODEL}-{VISUAL_DIMENSION}.sqlite"
        return LocalVectorIndex(path, VISUAL_DIMENSION)

    @_built
    def describer(self) -> Describer:
        if self._root is not None:
            return self._root.describer
        kind = self.settings.describer
        if kind == "bedrock":
            from imgsearch.describers.bedrock import BedrockDescriber

            return BedrockDescriber(
                self.aws.bedrock_runtime,
                self.settings.bedrock_describer_model,
                max_tokens=self.settings.bedrock_max_tokens,
            )
        if kind == "openai":
            from imgsearch.describers.openai import OpenAIDescriber

            return OpenAIDescriber(
                self.settings.openai_base_url,
                self.settings.openai_model,
                api_key=self.settings.openai_api_key,
            )
        from imgsearch.describers.local import LocalDescriber
        from imgsearch.describers.local.ocr import TesseractOCR

        s = self.settings
        ocr = TesseractOCR(s.tesseract_cmd, s.ocr_timeout_s) if s.ocr else None
        classifier = faces = None
        if s.recognition:
            from imgsearch.describers.local.vision.efficientnet import EfficientNetLite0

            classifier = EfficientNetLite0()
        if s.faces:
            from imgsearch.describers.local.vision.faces import default_face_detector

            faces = default_face_detector()
        return LocalDescriber(ocr, classifier, faces)

    # ------------------------------------------------------------------ services

    @_built
    def ingest(self) -> IngestService:
        from imgsearch.pipeline.ingest import IngestService, Limits

        s = self.settings
        return IngestService(
            limits=Limits(s.max_upload_bytes, s.max_pixels, s.allowed_formats, s.thumbnail_px),
            storage=self.storage,
            repository=self.repository,
            index=_Lazy(lambda: self.index),  # only touched once an image reaches the index step
            visual_index=self.visual_index,
            embedder=_Lazy(lambda: self.embedder),
            describer=_Lazy(lambda: self.describer),
            originals_prefix=s.s3_originals_prefix,
            thumbnails_prefix=s.s3_thumbnails_prefix,
            owner=self.owner,
        )

    @_built
    def search(self) -> SearchService:
        from imgsearch.pipeline.search import SearchService

        return SearchService(
            repository=self.repository,
            index=self.index,
            embedder=self.embedder,
            visual_index=self.visual_index,
        )

    # ------------------------------------------------------------------ reports

    def describe_setup(self) -> list[str]:
        """What a person starting the server should know: the library's size, what describes photos."""
        from imgsearch.models import Status

        repo = self.everyone  # every account's photos: the server describes them all
        total, waiting = repo.count(), repo.count(Status.PENDING) + repo.count(Status.PROCESSING)
        lines = [
            f"{total} photo{'' if total == 1 else 's'} in the libraries ({waiting} waiting to be described)"
        ]
        describer = self.describer
        lines.extend(getattr(describer, "summary", lambda: [f"photos are described by {describer.name}"])())
        outdated = repo.count_outdated(describer.name)
        if outdated:
            lines.append(
                f"{outdated} photo{'' if outdated == 1 else 's'} were described by an earlier describer: "
                "`imgsearch redescribe --all` describes them again"
            )
        return lines


class _Lazy:
    """Stands in for a back end until something uses it, so adding a photo never loads a model."""

    def __init__(self, build) -> None:
        self._build = build

    def __getattr__(self, name: str):
        return getattr(self._build(), name)
