"""Photos in an S3 bucket: originals and thumbnails under separate prefixes, shown via presigned URLs."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any


class S3Storage:
    """Storage over one private bucket; the client comes from imgsearch.aws (created once per process)."""

    def __init__(self, client: Any, bucket: str, expiry_s: int = 300) -> None:
        self.client = client
        self.bucket = bucket
        self.expiry_s = expiry_s

    def put(self, key: str, data: bytes, content_type: str) -> None:
        self.client.put_object(Bucket=self.bucket, Key=key, Body=data, ContentType=content_type)

    def get(self, key: str) -> bytes:
        return self.client.get_object(Bucket=self.bucket, Key=key)["Body"].read()

    def read(self, key: str, max_bytes: int | None = None) -> tuple[bytes, dict[str, Any]]:
        """An object's bytes (at most max_bytes + 1 of them, if given) and its GET response headers.

        The headers' "Size" is the whole object's size, also when only its beginning was read.
        """
        params: dict[str, Any] = {"Bucket": self.bucket, "Key": key}
        if max_bytes is not None:
            params["Range"] = f"bytes=0-{max_bytes}"
        response = self.client.get_object(**params)
        data = response["Body"].read()
        info = {k: v for k, v in response.items() if k not in ("Body", "ResponseMetadata")}
        total = str(info.get("ContentRange", "")).rpartition("/")[2]
        info["Size"] = int(total) if total.isdigit() else len(data)
        return data, info

    def head(self, key: str) -> dict[str, Any]:
        return self.client.head_object(Bucket=self.bucket, Key=key)

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=key)

    def exists(self, key: str) -> bool:
        from botocore.exceptions import ClientError

        try:
            self.client.head_object(Bucket=self.bucket, Key=key)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return False
            raise
        return True

    def keys(self, prefix: str) -> Iterator[str]:
        """Every key under prefix, 1,000 per ListObjectsV2 page."""
        for page in self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=prefix):
            for item in page.get("Contents", []):
                yield item["Key"]

    def touch(self, key: str) -> None:
        """Copy an object onto itself, so S3 announces it again (ObjectCreated:Copy) and ingest reruns."""
        head = self.client.head_object(Bucket=self.bucket, Key=key)
        metadata = {**head.get("Metadata", {}), "requeued": str(int(time.time()))}
        self.client.copy_object(
            Bucket=self.bucket,
            Key=key,
            CopySource={"Bucket": self.bucket, "Key": key},
            Metadata=metadata,
            MetadataDirective="REPLACE",  # S3 refuses a copy onto itself that changes nothing
            ContentType=head.get("ContentType", "binary/octet-stream"),
        )

    def url(
        self,
        key: str,
        filename: str | None = None,
        *,
        expiry_s: int | None = None,
        content_type: str | None = None,
    ) -> str | None:
        """A short-lived GET URL (the bucket itself is private).

        content_type overrides what the uploader declared, so a stored file is always served as the
        type we validated.
        """
        params: dict[str, Any] = {"Bucket": self.bucket, "Key": key}
        if filename:
            safe = filename.replace('"', "").replace("\\", "")
            params["ResponseContentDisposition"] = f'inline; filename="{safe}"'
        if content_type:
            params["ResponseContentType"] = content_type
        return self.client.generate_presigned_url(
            "get_object", Params=params, ExpiresIn=expiry_s or self.expiry_s
        )

    def presigned_post(
        self,
        key: str,
        max_bytes: int,
        expiry_s: int | None = None,
        metadata: dict[str, str] | None = None,
        content_type: str | None = None,
    ) -> dict[str, Any]:
        """A form the browser posts one file with straight to S3: this key only, images only, size-capped.

        Each `metadata` item becomes an `x-amz-meta-<name>` field the policy pins to that value, and
        so does content_type (an image/ type), so what is stored carries the type we checked.
        """
        fields: dict[str, str] = {"success_action_status": "201"}
        if content_type:
            fields["Content-Type"] = content_type
        fields.update({f"x-amz-meta-{name}": value for name, value in (metadata or {}).items()})
        return self.client.generate_presigned_post(
            Bucket=self.bucket,
            Key=key,
            Fields=fields,
            Conditions=[
                ["content-length-range", 1, max_bytes],
                ["starts-with", "$Content-Type", "image/"],
                *({name: value} for name, value in fields.items()),
            ],
            ExpiresIn=expiry_s or self.expiry_s,
        )
