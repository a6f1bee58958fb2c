"""Photos in an S3 bucket: originals and thumbnails under separate prefixes, shown via presigned URLs."""

from __future__ import annotations

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

    def url(self, key: str, filename: str | None = None) -> str | None:
        """A short-lived GET URL (the bucket itself is private)."""
        params: dict[str, Any] = {"Bucket": self.bucket, "Key": key}
        if filename:
            safe = filename.replace('"', "").replace("\\", "")
            params["ResponseContentDisposition"] = f'inline; filename="{safe}"'
        return self.client.generate_presigned_url("get_object", Params=params, ExpiresIn=self.expiry_s)

    def presigned_post(self, key: str, max_bytes: int, expiry_s: int | None = None) -> dict[str, Any]:
        """A form the browser posts one file with straight to S3: this key only, images only, size-capped."""
        return self.client.generate_presigned_post(
            Bucket=self.bucket,
            Key=key,
            Fields={"success_action_status": "201"},
            Conditions=[
                ["content-length-range", 1, max_bytes],
                ["starts-with", "$Content-Type", "image/"],
                {"success_action_status": "201"},
            ],
            ExpiresIn=expiry_s or self.expiry_s,
        )
