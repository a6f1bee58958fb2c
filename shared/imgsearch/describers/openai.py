"""Describing photos with any OpenAI-compatible vision endpoint (vLLM, Ollama, OpenAI) over httpx."""

from __future__ import annotations

import base64
import time
from typing import Any

import httpx

from imgsearch.describers.prompt import (
    SYSTEM_PROMPT,
    clean_reply,
    prepare_image,
    reply_description,
    user_prompt,
)
from imgsearch.errors import BackendError
from imgsearch.models import Description

RETRY_STATUSES = {429, 500, 502, 503, 504}


class OpenAIDescriber:
    """Describer over /v1/chat/completions, the photo sent as a data URI; one HTTP client per process."""

    def __init__(
        self,
        base_url: str,
        model: str,
        api_key: str = "",
        *,
        max_tokens: int = 600,
        timeout_s: float = 120.0,
        max_attempts: int = 3,
        backoff_s: float = 1.0,
    ) -> None:
        self.model = model
        self.max_tokens = max_tokens
        self.max_attempts = max(1, max_attempts)
        self.backoff_s = backoff_s
        self.name = f"openai:{model}"
        self.url = chat_completions_url(base_url)
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self.client = httpx.Client(headers=headers, timeout=httpx.Timeout(timeout_s, connect=10.0))

    def describe(self, data: bytes, facts: dict) -> Description:
        """Ask the model what the photo shows.

        Raises BackendError when the endpoint times out, keeps answering 429/5xx after retries,
        refuses the request, or replies without a description.
        """
        image, fmt = prepare_image(data)
        uri = f"data:image/{fmt};base64,{base64.b64encode(image).decode('ascii')}"
        body = {
            "model": self.model,
            "messages": [
                {"role": "system", "content": SYSTEM_PROMPT},
                {
                    "role": "user",
                    "content": [
                        {"type": "text", "text": user_prompt(facts)},
                        {"type": "image_url", "image_url": {"url": uri}},
                    ],
                },
            ],
            "max_tokens": self.max_tokens,
            "temperature": 0.2,
        }
        payload = self._post(body)
        try:
            choice = payload["choices"][0]
            content = choice["message"]["content"]
        except (KeyError, IndexError, TypeError) as exc:
            raise BackendError(f"{self.model} returned no choices ({exc!r})") from None
        if isinstance(content, list):  # some servers answer in content parts
            content = "\n".join(p.get("text", "") for p in content if isinstance(p, dict))
        stop_reason = choice.get("finish_reason")
        usage = payload.get("usage") or {}
        return reply_description(
            self.model,
            content if isinstance(content, str) else "",
            stop_reason,
            stop_reason == "length",
            usage.get("prompt_tokens"),
            usage.get("completion_tokens"),
        )

    def _post(self, body: dict[str, Any]) -> dict[str, Any]:
        for attempt in range(1, self.max_attempts + 1):
            try:
                response = self.client.post(self.url, json=body)
            except httpx.TimeoutException as exc:
                problem = f"{self.url} timed out ({type(exc).__name__})"
            except httpx.HTTPError as exc:
                problem = f"could not reach {self.url} ({type(exc).__name__}: {exc})"
            else:
                if response.status_code < 400:
                    try:
                        return response.json()
                    except ValueError:
                        raise BackendError(f"{self.url} returned a reply that is not JSON") from None
                snippet, _ = clean_reply(response.text, 300)
                problem = f"{self.url} answered HTTP {response.status_code}: {snippet.replace(chr(10), ' ')}"
                if response.status_code not in RETRY_STATUSES:
                    raise BackendError(problem)
            if attempt < self.max_attempts:
                time.sleep(self.backoff_s * 2 ** (attempt - 1))
        raise BackendError(f"{problem} (after {self.max_attempts} attempts)")

    def close(self) -> None:
        self.client.close()


def chat_completions_url(base_url: str) -> str:
    """The chat completions URL for a base URL given with or without its /v1."""
    base = base_url.rstrip("/")
    if base.endswith("/chat/completions"):
        return base
    if not base.endswith("/v1"):
        base += "/v1"
    return base + "/chat/completions"
