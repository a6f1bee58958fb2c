"""Describing photos with a vision model on Amazon Bedrock, through the model-agnostic Converse API."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from imgsearch.aws import bedrock_error
from imgsearch.describers.prompt import SYSTEM_PROMPT, clean_reply, prepare_image, user_prompt
from imgsearch.errors import BackendError
from imgsearch.models import Description


class BedrockDescriber:
    """Describer over a bedrock-runtime client (retries and timeouts are the client's config)."""

    def __init__(self, client: Any, model_id: str, max_tokens: int = 600) -> None:
        self.client = client
        self.model_id = model_id
        self.max_tokens = max_tokens
        self.name = f"bedrock:{model_id}"

    def describe(self, data: bytes, facts: dict) -> Description:
        """Ask the model what the photo shows.

        Raises BackendError when Bedrock fails (throttled after retries, timed out, refused the
        request) or the reply holds no description.
        """
        image, fmt = prepare_image(data)
        try:
            response = self.client.converse(
                modelId=self.model_id,
                system=[{"text": SYSTEM_PROMPT}],
                messages=[
                    {
                        "role": "user",
                        "content": [
                            {"image": {"format": fmt, "source": {"bytes": image}}},
                            {"text": user_prompt(facts)},
                        ],
                    }
                ],
                inferenceConfig={"maxTokens": self.max_tokens, "temperature": 0.2},
            )
        except (ClientError, BotoCoreError) as exc:
            raise bedrock_error("describing a photo", self.model_id, exc) from exc
        blocks = response.get("output", {}).get("message", {}).get("content", [])
        raw = "\n".join(block["text"] for block in blocks if isinstance(block.get("text"), str))
        text, cut = clean_reply(raw)
        stop_reason = response.get("stopReason")
        if not text:
            raise BackendError(f"{self.model_id} returned no description (stop reason: {stop_reason})")
        usage = response.get("usage", {})
        details: dict[str, Any] = {
            "model": self.model_id,
            "stop_reason": stop_reason,
            "input_tokens": usage.get("inputTokens"),
            "output_tokens": usage.get("outputTokens"),
        }
        if cut or stop_reason == "max_tokens":
            details["truncated"] = True
        return Description(text=text, details=details)
