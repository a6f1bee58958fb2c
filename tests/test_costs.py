"""List prices in one table, the running cost of describing photos, and the estimate per 1,000."""

from __future__ import annotations

import pytest

from imgsearch import costs
from imgsearch.models import ImageRecord


def described(model: str | None, used_in: int | None, used_out: int | None) -> ImageRecord:
    details = {"model": model, "input_tokens": used_in, "output_tokens": used_out} if model else {}
    return ImageRecord("id", "hash", "originals/x.jpg", "x.jpg", "image/jpeg", 1, 1, 1, details=details)


@pytest.mark.parametrize(
    ("model_id", "expected"),
    [
        # 1M tokens in and 1M out: global profiles at list price, geographic ones 10% more.
        ("global.anthropic.claude-haiku-4-5-20251001-v1:0", 6.00),
        ("us.anthropic.claude-haiku-4-5-20251001-v1:0", 6.60),
        ("eu.anthropic.claude-sonnet-4-5-20250929-v1:0", 19.80),
        ("anthropic.claude-sonnet-4-5-20250929-v1:0", 18.00),  # in-region
        ("us.amazon.nova-lite-v1:0", 0.30),  # Nova: no premium for the us. profile
        ("amazon.nova-lite-v1:0", 0.30),
    ],
)
def test_a_calls_cost_follows_its_profile(model_id, expected):
    assert costs.call_cost(model_id, 1_000_000, 1_000_000) == pytest.approx(expected)


def test_an_unknown_model_has_no_price():
    assert costs.call_cost("meta.llama3-2-90b-instruct-v1:0", 1000, 100) is None


def test_the_running_cost_adds_up_the_tokens_recorded_on_each_photo():
    batches = [
        [
            described("us.anthropic.claude-sonnet-4-5-20250929-v1:0", 1200, 80),
            described("us.anthropic.claude-sonnet-4-5-20250929-v1:0", 1800, 120),
            described(None, None, None),  # described locally: free, and not counted
        ],
        [described("global.anthropic.claude-haiku-4-5-20251001-v1:0", 1500, 150), described("x.y", 10, 10)],
    ]

    usage = {entry.model: entry for entry in costs.running_cost(batches)}

    sonnet = usage["us.anthropic.claude-sonnet-4-5-20250929-v1:0"]
    assert (sonnet.photos, sonnet.input_tokens, sonnet.output_tokens) == (2, 3000, 200)
    assert sonnet.dollars == pytest.approx((3000 * 3.30 + 200 * 16.50) / 1e6)
    assert sonnet.per_thousand == pytest.approx(sonnet.dollars * 500)
    assert usage["global.anthropic.claude-haiku-4-5-20251001-v1:0"].dollars == pytest.approx(
        (1500 * 1.0 + 150 * 5.0) / 1e6
    )
    assert usage["x.y"].dollars is None and usage["x.y"].per_thousand is None


def test_claude_is_sent_1_15_megapixels_and_billed_by_anthropics_rule():
    haiku = costs.vision_model("us.anthropic.claude-haiku-4-5-20251001-v1:0")
    width, height = costs.sent_size((4032, 3024), haiku.max_pixels)
    assert (width, height) == (1237, 928)  # 1,147,936 pixels: within 1.15 megapixels, however Pillow rounds
    assert haiku.image_tokens(width, height) == 1531  # width x height / 750, rounded up


def test_the_estimate_lists_every_item_of_a_photos_cost():
    for model in costs.VISION_MODELS:
        items = dict(costs.estimate_per_thousand(model, "s3vectors"))
        assert items[f"{model.name}: describe"] == max(items.values())  # describing dominates
        assert all(dollars > 0 for dollars in items.values())
    nova = costs.vision_model("us.amazon.nova-lite-v1:0")
    pinecone = sum(d for _, d in costs.estimate_per_thousand(nova, "pinecone"))
    s3vectors = sum(d for _, d in costs.estimate_per_thousand(nova, "s3vectors"))
    assert pinecone > s3vectors  # ~10 vectors of 4 KB: 42 write units against S3 Vectors' 128 KB minimum
