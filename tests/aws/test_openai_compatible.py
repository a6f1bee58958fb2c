"""The OpenAI-compatible describer against a loopback /v1/chat/completions server."""

from __future__ import annotations

import base64
import io

import pytest
from loopback import LoopbackServer, Reply
from PIL import Image

from imgsearch.describers.openai import OpenAIDescriber, chat_completions_url
from imgsearch.describers.prompt import MAX_REPLY_CHARS, SYSTEM_PROMPT
from imgsearch.errors import BackendError
from photos import photo


def completion(text: str, finish_reason: str = "stop") -> dict:
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "choices": [
            {"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": finish_reason}
        ],
        "usage": {"prompt_tokens": 900, "completion_tokens": 40, "total_tokens": 940},
    }


def test_sends_the_same_prompt_and_a_scaled_data_uri():
    with LoopbackServer(lambda request: Reply(200, completion("A green field under a blue sky."))) as server:
        describer = OpenAIDescriber(server.url, "qwen2.5-vl", api_key="sk-test")
        description = describer.describe(photo(size=(2400, 1600), fmt="PNG"), {"captions": ["Harvest day"]})

    (request,) = server.received
    assert request.path == "/v1/chat/completions"
    assert request.headers["Authorization"] == "Bearer sk-test"
    body = request.json()
    assert body["model"] == "qwen2.5-vl" and body["max_tokens"] == 600
    assert body["messages"][0] == {"role": "system", "content": SYSTEM_PROMPT}
    text, image = body["messages"][1]["content"]
    assert "Harvest day" in text["text"] and "<facts>" in text["text"]
    prefix, encoded = image["image_url"]["url"].split(",", 1)
    assert prefix == "data:image/png;base64"
    with Image.open(io.BytesIO(base64.b64decode(encoded))) as sent:
        assert sent.format == "PNG" and sent.size == (1312, 875)  # 1.15 megapixels
    assert description.text == "A green field under a blue sky."
    assert description.details["model"] == "qwen2.5-vl"


def test_reply_is_bounded_and_cleaned():
    with LoopbackServer(
        lambda request: Reply(200, completion("A dog\x1b]0;x\x07 runs.\n" + "woof " * 2000))
    ) as server:
        description = OpenAIDescriber(server.url, "m").describe(photo(), {})
    assert len(description.text) <= MAX_REPLY_CHARS
    assert description.text.startswith("A dog ]0;x runs.\nwoof")
    assert description.details["truncated"] is True


def test_rate_limits_are_retried_then_succeed():
    replies = iter([Reply(429, {"error": "slow down"}), Reply(200, completion("A bridge."))])
    with LoopbackServer(lambda request: next(replies)) as server:
        description = OpenAIDescriber(server.url, "m", backoff_s=0).describe(photo(), {})
    assert description.text == "A bridge."
    assert len(server.received) == 2


def test_a_refusal_is_not_retried():
    refusal = Reply(400, {"error": {"message": "model does not support images"}})
    with LoopbackServer(lambda request: refusal) as server:
        describer = OpenAIDescriber(server.url, "m", backoff_s=0)
        with pytest.raises(BackendError, match=r"HTTP 400: .*does not support images"):
            describer.describe(photo(), {})
    assert len(server.received) == 1


def test_a_timeout_is_a_backend_error():
    with LoopbackServer(lambda request: Reply(200, completion("late"), delay_s=1.0)) as server:
        describer = OpenAIDescriber(server.url, "m", timeout_s=0.2, max_attempts=1)
        with pytest.raises(BackendError, match="timed out"):
            describer.describe(photo(), {})


@pytest.mark.parametrize(
    ("base", "url"),
    [
        ("http://localhost:11434", "http://localhost:11434/v1/chat/completions"),
        ("http://localhost:8000/v1/", "http://localhost:8000/v1/chat/completions"),
        ("https://api.openai.com/v1", "https://api.openai.com/v1/chat/completions"),
    ],
)
def test_base_url_with_or_without_v1(base, url):
    assert chat_completions_url(base) == url
