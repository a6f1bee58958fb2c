"""Settings: read once from IMGSEARCH_* environment variables (and an optional .env), then passed down."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

PREFIX = "IMGSEARCH_"

STORAGE_BACKENDS = ("local", "s3")
INDEX_BACKENDS = ("local", "pinecone", "s3vectors")
EMBEDDER_BACKENDS = ("local", "bedrock")
DESCRIBER_BACKENDS = ("local", "bedrock", "openai")


class ConfigError(ValueError):
    """A setting has a value the product cannot use."""


@dataclass(frozen=True)
class Settings:
    """Every knob of the product; one instance per process."""

    data_dir: Path = Path("./data")
    storage: str = "local"
    database_url: str = field(default="", repr=False)  # empty: SQLite under data_dir; may hold a password
    index: str = "local"
    embedder: str = "local"
    describer: str = "local"

    # Limits on what an upload may be.
    max_upload_mb: float = 25.0
    # Set from `make bench`'s memory per megapixel (README, "Limits"): one decode of the largest
    # photo allowed stays near 200 MB, and at most max_decodes run at once.
    max_pixels: int = 50_000_000
    max_decodes: int = 2
    allowed_formats: tuple[str, ...] = ("JPEG", "PNG", "WEBP", "GIF")
    thumbnail_px: int = 480

    # Local back ends.
    recognition: bool = True  # the local describer's object and scene classifier (EfficientNet-lite0)
    faces: bool = True  # the local describer's face detector (people counts)
    ocr: bool = True
    tesseract_cmd: str = "tesseract"
    ocr_timeout_s: float = 30.0
    workers: int = 1
    # How long a worker's claim on an image lasts; after that the image counts as stuck and any
    # worker (or retry) may take it. Keep it above the slowest describe + embed, and on AWS at the
    # ingest Lambda's timeout so that Lambda's own retries can take over a timed-out invocation.
    processing_lease_s: int = 300

    # Accounts and limits (per account; 0 means no limit).
    auth: bool = True  # off: one local library, served on a loopback address only
    user: str = ""  # the account whose library the command line works on (--user)
    allowed_hosts: tuple[str, ...] = ()  # Host names answered; empty: the public URL's, else loopback
    searches_per_minute: int = 60
    uploads_per_minute: int = 600
    logins_per_minute: int = 10
    daily_upload_photos: int = 1000
    daily_upload_mb: float = 10240.0

    # Web.
    host: str = "127.0.0.1"
    port: int = 8000
    page_size: int = 48
    secret_key: str = field(default="", repr=False)
    public_url: str = ""  # the site's own origin, for CORS on presigned uploads

    # AWS.
    aws_region: str = "us-east-1"
    aws_endpoint_url: str = ""
    s3_bucket: str = ""
    s3_originals_prefix: str = "originals/"
    s3_thumbnails_prefix: str = "thumbnails/"
    presign_expiry_s: int = 300
    ingest_dlq_url: str = ""  # the ingest function's dead-letter queue, for `imgsearch redrive`
    bedrock_describer_model: str = "global.anthropic.claude-haiku-4-5-20251001-v1:0"
    bedrock_embed_model: str = "cohere.embed-english-v3"
    bedrock_max_tokens: int = 400
    # Every AWS call: botocore's standard retry mode (throttling backs off), these many attempts,
    # each bounded by the connect timeout and a read timeout (Bedrock's own, or the general one).
    aws_max_attempts: int = 3
    aws_connect_timeout_s: float = 10.0
    aws_read_timeout_s: float = 60.0
    bedrock_timeout_s: float = 30.0
    db_timeout_s: float = 30.0  # PostgreSQL: connecting, and the longest a statement may stay silent
    create_index: bool = True  # create the vector index when missing (the web function leaves it to ingest)

    # Pinecone.
    pinecone_api_key: str = field(default="", repr=False)
    pinecone_index: str = "imgsearch"
    pinecone_namespace: str = ""
    pinecone_cloud: str = "aws"
    pinecone_region: str = "us-east-1"
    pinecone_host: str = ""  # set to talk to a given index host (e.g. a local stand-in)
    pinecone_control_host: str = ""

    # Amazon S3 Vectors.
    s3vectors_bucket: str = ""
    s3vectors_index: str = "descriptions"

    # SSM SecureString parameter names holding secrets in the cloud.
    ssm_database_url_param: str = ""
    ssm_pinecone_api_key_param: str = ""
    ssm_secret_key_param: str = ""  # the web app's session key

    # Any OpenAI-compatible vision endpoint (vLLM, Ollama, OpenAI).
    openai_base_url: str = ""
    openai_api_key: str = field(default="", repr=False)
    openai_model: str = ""

    log_level: str = "INFO"

    # ------------------------------------------------------------------ derived

    @property
    def sqlalchemy_url(self) -> str:
        """The metadata database URL; SQLite under the data dir unless one is given."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'imgsearch.db').resolve()}"

    @property
    def media_dir(self) -> Path:
        return self.data_dir / "media"

    @property
    def index_dir(self) -> Path:
        return self.data_dir / "index"

    @property
    def max_upload_bytes(self) -> int:
        return int(self.max_upload_mb * 1024 * 1024)

    @property
    def accounts_required(self) -> bool:
        """Whether people must sign in: unless accounts are off for a local library on this machine."""
        return self.auth or self.storage == "s3" or not is_loopback(self.host)

    @property
    def host_allow_list(self) -> tuple[str, ...]:
        """The Host names the web app answers (a name alone allows any port)."""
        if self.allowed_hosts:
            return self.allowed_hosts
        if self.public_url:
            from urllib.parse import urlsplit

            return ((urlsplit(self.public_url).netloc or "").lower(),)
        return LOOPBACK_HOSTS

    @property
    def bedrock_worst_case_s(self) -> float:
        """The longest one Bedrock call may take with every attempt hanging, backoff included."""
        # Standard retry mode sleeps a random 0..2^n s (at most 20 s) before attempt n + 1.
        backoff = sum(min(2.0**n, 20.0) for n in range(1, self.aws_max_attempts))
        return self.aws_max_attempts * (self.aws_connect_timeout_s + self.bedrock_timeout_s) + backoff

    def with_overrides(self, **changes: Any) -> Settings:
        """A copy with some fields changed (values are coerced like environment strings)."""
        return _build({**asdict(self), **changes})

    def validate(self) -> Settings:
        """Raise ConfigError for a choice that cannot work."""
        _choice("storage", self.storage, STORAGE_BACKENDS)
        _choice("index", self.index, INDEX_BACKENDS)
        _choice("embedder", self.embedder, EMBEDDER_BACKENDS)
        _choice("describer", self.describer, DESCRIBER_BACKENDS)
        if self.storage == "s3" and not self.s3_bucket:
            raise ConfigError("IMGSEARCH_STORAGE=s3 needs IMGSEARCH_S3_BUCKET")
        if self.index == "s3vectors" and not self.s3vectors_bucket:
            raise ConfigError("IMGSEARCH_INDEX=s3vectors needs IMGSEARCH_S3VECTORS_BUCKET")
        if self.describer == "bedrock" and self.bedrock_worst_case_s >= self.processing_lease_s:
            # A hung Bedrock must mark the photo failed while its claim (on Lambda: the invocation) lasts.
            raise ConfigError(
                f"a Bedrock call may take up to {self.bedrock_worst_case_s:.0f} s "
                "(IMGSEARCH_AWS_MAX_ATTEMPTS x (IMGSEARCH_AWS_CONNECT_TIMEOUT_S + "
                "IMGSEARCH_BEDROCK_TIMEOUT_S) + backoff), not less than "
                f"IMGSEARCH_PROCESSING_LEASE_S={self.processing_lease_s}"
            )
        if self.describer == "openai" and not (self.openai_base_url and self.openai_model):
            raise ConfigError(
                "IMGSEARCH_DESCRIBER=openai needs IMGSEARCH_OPENAI_BASE_URL and IMGSEARCH_OPENAI_MODEL"
            )
        if self.max_upload_mb <= 0:
            raise ConfigError("IMGSEARCH_MAX_UPLOAD_MB must be positive")
        names = (
            "workers",
            "page_size",
            "max_pixels",
            "max_decodes",
            "thumbnail_px",
            "processing_lease_s",
            "port",
            "aws_max_attempts",
        )
        for name in names:
            if getattr(self, name) < 1:
                raise ConfigError(f"IMGSEARCH_{name.upper()} must be at least 1")
        limits = ("searches_per_minute", "uploads_per_minute", "logins_per_minute", "daily_upload_photos")
        for name in (*limits, "daily_upload_mb"):
            if getattr(self, name) < 0:
                raise ConfigError(f"IMGSEARCH_{name.upper()} must be 0 (no limit) or more")
        from imgsearch.formats import FORMATS

        known = tuple(FORMATS)
        unknown = [f for f in self.allowed_formats if f not in known]
        if unknown or not self.allowed_formats:
            got = ", ".join(unknown) or "none"
            raise ConfigError(f"IMGSEARCH_ALLOWED_FORMATS may list only {', '.join(known)} (got {got})")
        return self


LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "[::1]")


def is_loopback(host: str) -> bool:
    """Whether an address to listen on is this machine's alone."""
    host = host.strip().strip("[]").lower()
    return host in ("localhost", "::1") or host.startswith("127.")


def _choice(name: str, value: str, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise ConfigError(f"IMGSEARCH_{name.upper()}={value!r} is not one of: {', '.join(allowed)}")


def _coerce(name: str, kind: Any, raw: Any) -> Any:
    if not isinstance(raw, str):
        return raw
    text = raw.strip()
    try:
        if kind in (bool, "bool"):
            lowered = text.lower()
            if lowered in ("1", "true", "yes", "on"):
                return True
            if lowered in ("0", "false", "no", "off", ""):
                return False
            raise ValueError(text)
        if kind in (int, "int"):
            return int(text)
        if kind in (float, "float"):
            return float(text)
        if kind in (Path, "Path"):
            return Path(text)
        if kind in ("tuple[str, ...]",):
            parts = (part.strip() for part in text.split(","))
            # Formats are named in capitals (JPEG), host names in lower case.
            return tuple(p.upper() if name == "allowed_formats" else p.lower() for p in parts if p)
    except ValueError:
        raise ConfigError(f"{PREFIX}{name.upper()}={raw!r} is not a valid {kind}") from None
    return text


def _build(values: Mapping[str, Any]) -> Settings:
    kinds = {f.name: f.type for f in fields(Settings)}
    unknown = set(values) - set(kinds)
    if unknown:
        raise ConfigError(f"unknown settings: {', '.join(sorted(unknown))}")
    coerced = {name: _coerce(name, kinds[name], raw) for name, raw in values.items()}
    return replace(Settings(), **coerced)


def load_settings(
    environ: Mapping[str, str] | None = None,
    env_file: str | os.PathLike[str] | None = ".env",
    overrides: Mapping[str, Any] | None = None,
) -> Settings:
    """Read settings once: defaults < .env file < environment < explicit overrides."""
    values: dict[str, Any] = {}
    if env_file and Path(env_file).is_file():
        from dotenv import dotenv_values

        values.update(_strip_prefix(dotenv_values(env_file)))
    values.update(_strip_prefix(os.environ if environ is None else environ))
    known = {f.name for f in fields(Settings)}
    unknown = sorted(k for k in values if k not in known)
    if unknown:
        # A typo would otherwise be silently ignored.
        logging.getLogger(__name__).warning(
            "ignoring unknown settings: %s", ", ".join(PREFIX + k.upper() for k in unknown)
        )
    values = {k: v for k, v in values.items() if k in known}
    if overrides:
        values.update(overrides)
    return _build(values).validate()


def _strip_prefix(env: Mapping[str, str | None]) -> dict[str, str]:
    return {
        key[len(PREFIX) :].lower(): value
        for key, value in env.items()
        if key.startswith(PREFIX) and value is not None
    }
