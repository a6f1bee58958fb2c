"""AWS clients, created once per process and reused across Lambda invocations."""

from __future__ import annotations

from functools import cached_property
from typing import Any

from imgsearch.config import Settings


class AwsClients:
    """boto3 clients with the standard retry mode; an endpoint URL points them at an emulator."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._secrets: dict[str, str] = {}

    def _client(self, service: str, **config: Any) -> Any:
        import boto3
        from botocore.config import Config

        options = {"retries": {"mode": "standard", "max_attempts": self.settings.bedrock_max_attempts}}
        options.update(config)
        return boto3.session.Session().client(
            service,
            region_name=self.settings.aws_region,
            endpoint_url=self.settings.aws_endpoint_url or None,
            config=Config(**options),
        )

    @cached_property
    def s3(self) -> Any:
        # SigV4 everywhere: presigned POSTs and URLs must carry the region.
        return self._client("s3", signature_version="s3v4")

    @cached_property
    def ssm(self) -> Any:
        return self._client("ssm")

    @cached_property
    def bedrock_runtime(self) -> Any:
        timeout = self.settings.bedrock_timeout_s
        return self._client("bedrock-runtime", read_timeout=timeout, connect_timeout=10)

    def secret(self, name: str) -> str:
        """A SecureString parameter's value, read once per process (never logged)."""
        if name not in self._secrets:
            response = self.ssm.get_parameter(Name=name, WithDecryption=True)
            self._secrets[name] = response["Parameter"]["Value"]
        return self._secrets[name]
