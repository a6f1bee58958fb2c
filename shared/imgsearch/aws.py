"""AWS clients, created once per process and reused across Lambda invocations."""

from __future__ import annotations

from functools import cached_property
from typing import Any

from imgsearch.config import Settings
from imgsearch.errors import BackendError

# Bedrock's ways of saying "too much, too fast"; botocore's standard mode has already retried them.
THROTTLING_CODES = {
    "ThrottlingException",
    "TooManyRequestsException",
    "ServiceQuotaExceededException",
    "ServiceUnavailableException",
    "ModelNotReadyException",
}


class AwsClients:
    """boto3 clients with the standard retry mode; an endpoint URL points them at an emulator."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._secrets: dict[str, str] = {}

    def _client(self, service: str, **config: Any) -> Any:
        import boto3
        from botocore.config import Config

        options = {
            "retries": {"mode": "standard", "total_max_attempts": self.settings.aws_max_attempts},
            "connect_timeout": self.settings.aws_connect_timeout_s,
            "read_timeout": self.settings.aws_read_timeout_s,
        }
        options.update(config)
        return boto3.session.Session().client(
            service,
            region_name=self.settings.aws_region,
            endpoint_url=self.settings.aws_endpoint_url or None,
            config=Config(**options),
        )

    @cached_property
    def s3(self) -> Any:
        # SigV4 and the regional virtual-hosted name: presigned POSTs and URLs must carry the region,
        # and a new bucket outside us-east-1 answers the global name with a redirect CORS cannot follow.
        # Emulators (an endpoint URL) want path-style addressing instead.
        style = "path" if self.settings.aws_endpoint_url else "virtual"
        return self._client("s3", signature_version="s3v4", s3={"addressing_style": style})

    @cached_property
    def ssm(self) -> Any:
        return self._client("ssm")

    @cached_property
    def sqs(self) -> Any:
        return self._client("sqs")

    @cached_property
    def s3vectors(self) -> Any:
        return self._client("s3vectors")

    @cached_property
    def bedrock_runtime(self) -> Any:
        # Its own read timeout: a description takes seconds, and its worst case is checked against
        # the lease when the settings are read (Settings.bedrock_worst_case_s).
        return self._client("bedrock-runtime", read_timeout=self.settings.bedrock_timeout_s)

    def secret(self, name: str) -> str:
        """A SecureString parameter's value, read once per process (never logged)."""
        if name not in self._secrets:
            response = self.ssm.get_parameter(Name=name, WithDecryption=True)
            self._secrets[name] = response["Parameter"]["Value"]
        return self._secrets[name]


def bedrock_error(action: str, model_id: str, exc: Exception) -> BackendError:
    """A readable BackendError for a failed Bedrock call (a botocore ClientError or BotoCoreError)."""
    from botocore.exceptions import (
        ClientError,
        ConnectTimeoutError,
        EndpointConnectionError,
        ReadTimeoutError,
    )

    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        code = error.get("Code", "Unknown")
        message = error.get("Message", "")
        if code in THROTTLING_CODES:
            return BackendError(
                f"Bedrock throttled {action} with {model_id} ({code}) and the retries ran out; "
                "try again later or raise the account's quota"
            )
        return BackendError(f"Bedrock refused {action} with {model_id}: {code}: {message}".rstrip(": "))
    if isinstance(exc, (ReadTimeoutError, ConnectTimeoutError)):
        return BackendError(f"Bedrock timed out {action} with {model_id} ({exc})")
    if isinstance(exc, EndpointConnectionError):
        return BackendError(f"could not reach Bedrock for {action} with {model_id} ({exc})")
    return BackendError(f"Bedrock failed {action} with {model_id}: {type(exc).__name__}: {exc}")
