"""Describing photos with a vision model on Amazon Bedrock, through the model-agnostic Converse API."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from imgsearch.aws import bedrock_error
from imgsearch.describers.prompt import (
    MAX_IMAGE_PIXELS,
    SYSTEM_PROMPT,
    prepare_image,
    reply_description,
    user_prompt,
)
from imgsearch.models import Description


class BedrockDescriber:
    """Describer over a bedrock-runtime client (retries and timeouts are the client's config)."""

    def __init__(self, client: Any, model_id: str, max_tokens: int = 400) -> None:
        from imgsearch.costs import vision_model

        self.client = client
        self.model_id = model_id
        self.max_tokens = max_tokens
        self.name = f"bedrock:{model_id}"
        known = vision_model(model_id)
        self.max_pixels = known.max_pixels if known else MAX_IMAGE_PIXELS

    def describe(self, data: bytes, facts: dict) -> Description:
        """Ask the model what the photo shows.

        Raises BackendError when Bedrock fails (throttled after retries, timed out, refused the
        request) or the reply holds no description.
        """
        image, fmt = prepare_image(data, self.max_pixels)
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
        stop_reason = response.get("stopReason")
        usage = response.get("usage", {})
        return reply_description(
            self.model_id,
            raw,
            stop_reason,
            stop_reason == "max_tokens",
            usage.get("inputTokens"),
            usage.get("outputTokens"),
        )
