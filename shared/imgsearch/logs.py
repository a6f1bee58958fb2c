"""Logging set-up shared by the entry points."""

from __future__ import annotations

import logging

# At DEBUG these log request and response bodies, which hold decrypted secrets (SSM) and API keys.
QUIET = ("botocore", "boto3", "urllib3", "s3transfer", "httpx", "httpcore", "pinecone", "alembic")


def configure(level: str) -> None:
    """Set the product's log level; third-party wire loggers stay at WARNING whatever it is."""
    logging.getLogger().setLevel(getattr(logging, level.upper(), logging.INFO))
    for name in QUIET:
        logging.getLogger(name).setLevel(logging.WARNING)
