"""S3 event notifications as typed records: as S3 sends them, or as a failure destination keeps them.

The ingest function reads S3's events; `imgsearch redrive` reads the same events back from the
dead-letter queue, where Lambda's on-failure destination wrapped each one in `requestPayload`.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote_plus

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ObjectEvent:
    """One record of an S3 event notification, with its key decoded."""

    action: str  # "created" or "removed"
    name: str  # e.g. "ObjectCreated:Put"
    bucket: str
    key: str
    etag: str | None = None
    version_id: str | None = None
    size: int | None = None


@dataclass(frozen=True)
class FailedInvocation:
    """An event the ingest function gave up on (one dead-letter message), and why it failed."""

    records: list[ObjectEvent]
    error: str  # the function's last error message, if the destination record kept it
    attempts: int | None = None


def parse_s3_event(event: dict[str, Any]) -> list[ObjectEvent]:
    """The S3 records of an event notification that create or remove objects."""
    records: list[ObjectEvent] = []
    for raw in event.get("Records") or []:
        if raw.get("eventSource") != "aws:s3":
            log.warning("ignoring a record from %s", raw.get("eventSource"))
            continue
        name = str(raw.get("eventName", ""))
        if name.startswith("ObjectCreated:"):
            action = "created"
        elif name.startswith(("ObjectRemoved:", "LifecycleExpiration:")):
            action = "removed"
        else:
            log.info("ignoring %s", name)
            continue
        s3 = raw.get("s3") or {}
        obj = s3.get("object") or {}
        records.append(
            ObjectEvent(
                action=action,
                name=name,
                bucket=(s3.get("bucket") or {}).get("name", ""),
                key=unquote_plus(obj.get("key", "")),  # S3 sends keys form-encoded
                etag=(obj.get("eTag") or "").strip('"') or None,
                version_id=obj.get("versionId") or None,
                size=obj.get("size"),
            )
        )
    return records


def parse_failure(body: str) -> FailedInvocation:
    """A dead-letter message: Lambda's on-failure destination record, or a bare S3 event.

    Raises ValueError for a message that is neither (it is left in the queue).
    """
    try:
        document = json.loads(body)
    except ValueError as exc:
        raise ValueError(f"not JSON ({exc})") from None
    if not isinstance(document, dict):
        raise ValueError("not a JSON object")
    payload = document.get("requestPayload", document)
    if not isinstance(payload, dict) or not isinstance(payload.get("Records"), list):
        raise ValueError("holds no S3 event (no requestPayload.Records)")
    response = document.get("responsePayload")
    error = str(response.get("errorMessage") or "") if isinstance(response, dict) else ""
    attempts = (document.get("requestContext") or {}).get("approximateInvokeCount")
    return FailedInvocation(parse_s3_event(payload), error, attempts)
