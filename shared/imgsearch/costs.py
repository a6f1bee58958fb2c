"""What the cloud back ends cost: list prices in one table, the running cost of describing photos,
and an estimate per 1,000 photos (`imgsearch cost`, `imgsearch cost --estimate`).

Prices are USD list prices for us-east-1, on-demand, as of 2026-12-04, from:
  https://aws.amazon.com/bedrock/pricing/ (Anthropic, Amazon and Cohere models; Claude 4.5 models
    cost 10% more through a geographic inference profile such as "us." than through "global.")
  https://aws.amazon.com/lambda/pricing/ (arm64), https://aws.amazon.com/api-gateway/pricing/
    (HTTP APIs), https://aws.amazon.com/s3/pricing/ (S3 Standard, and S3 Vectors: PutVectors bills
    at least 128 KB per request), https://aws.amazon.com/cloudwatch/pricing/ (logs)
  https://www.pinecone.io/pricing/ (serverless Standard: write units of 1 KB, at least 5 a request)
Check them before relying on the figures: prices change, and other regions differ.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from imgsearch.describers.prompt import INSTRUCTIONS, MAX_IMAGE_PIXELS, SYSTEM_PROMPT
from imgsearch.models import ImageRecord

PRICES_AS_OF = "2026-12-04"

# Cross-region inference profile prefixes (a model id without one is invoked in-region).
PROFILE_PREFIXES = ("global.", "us-gov.", "us.", "eu.", "apac.", "jp.", "au.", "ca.")


@dataclass(frozen=True)
class VisionModel:
    """A describer model on Bedrock: what it costs and how much of a photo it is sent.

    All of them take the same Converse request: the photo as bytes (JPEG, PNG, WebP or GIF), a
    system prompt, maxTokens and temperature.
    """

    name: str
    profile_id: str  # the id to configure: the cheapest inference profile that serves it
    input_per_m: float  # USD per 1M input tokens (global profile, or in-region)
    output_per_m: float
    geo_premium: float  # price multiplier through a geographic profile ("us.", "eu.", ...)
    max_pixels: int  # the photo is scaled to at most this many pixels
    seconds: float  # typical time to describe a photo (the ingest function waits for it)

    def image_tokens(self, width: int, height: int) -> int:
        """Input tokens for an image of this size, by the model maker's published rule."""
        if "anthropic." in self.profile_id:
            return math.ceil(width * height / 750)  # Anthropic: tokens = width x height / 750
        # Amazon Nova's table: 900x450 ~800, 900x900 ~1,300, 1400x900 ~1,800 tokens.
        return round(300 + 1.2 * width * height / 1000)


VISION_MODELS = (
    VisionModel(
        "Claude Haiku 4.5",
        "global.anthropic.claude-haiku-4-5-20251001-v1:0",
        1.00,
        5.00,
        1.10,
        MAX_IMAGE_PIXELS,
        3.0,
    ),
    VisionModel(
        "Claude Sonnet 4.5",
        "global.anthropic.claude-sonnet-4-5-20250929-v1:0",
        3.00,
        15.00,
        1.10,
        MAX_IMAGE_PIXELS,
        6.0,
    ),
    # Nova rescales every photo so a side reaches ~896 px: 0.8 megapixels keep its token count down.
    VisionModel("Amazon Nova Lite", "us.amazon.nova-lite-v1:0", 0.06, 0.24, 1.00, 800_000, 2.0),
)

# Everything else a photo costs, per unit.
EMBED_PER_M = 0.10  # Cohere Embed v3, per 1M tokens
LAMBDA_GB_S = 0.0000133334  # arm64
LAMBDA_REQUEST = 0.20 / 1e6
API_REQUEST = 1.00 / 1e6
S3_PUT = 0.005 / 1000  # PUT, POST, COPY
S3_GET = 0.0004 / 1000
S3_GB_MONTH = 0.023
S3VECTORS_PUT_GB = 0.20  # logical GB written, at least 128 KB per PutVectors request
S3VECTORS_GB_MONTH = 0.06
PINECONE_WRITE_UNIT = 4.00 / 1e6  # 1 per KB written, at least 5 per request
LOGS_GB = 0.50

# What one photo typically is and does (estimates, see README, "What it costs"; `imgsearch cost`
# shows the real token counts once photos are described): a 12-megapixel 4:3 phone photo; the
# system prompt and instructions; a ~160-token JSON reply (at most 60 words of description, 8
# labels, 4 colours, 200 characters of text; never more than IMGSEARCH_BEDROCK_MAX_TOKENS); ~10
# chunks of 1,024 floats, embedded from ~300 tokens (the description once whole, once line by
# line); 1 GB of ingest memory while the model answers plus ~1 s of the function's own work.
PHOTO_SIZE = (4032, 3024)
REPLY_TOKENS = 160
CHUNKS = 10
EMBED_TOKENS = 300
VECTOR_KB = 4.2
INGEST_GB = 1.0
OWN_SECONDS = 1.0


def vision_model(model_id: str) -> VisionModel | None:
    """The table's entry for a configured model id (any inference profile of it), or None."""
    base = _base(model_id)
    return next((m for m in VISION_MODELS if _base(m.profile_id) == base), None)


def call_cost(model_id: str, input_tokens: int, output_tokens: int) -> float | None:
    """List price of one call, or None for a model the table does not know."""
    model = vision_model(model_id)
    if model is None:
        return None
    premium = (
        1.0
        if model_id.startswith("global.") or not model_id.startswith(PROFILE_PREFIXES)
        else model.geo_premium
    )
    return premium * (input_tokens * model.input_per_m + output_tokens * model.output_per_m) / 1e6


@dataclass
class ModelUsage:
    """What one describer model has cost so far, from the token counts recorded on each photo."""

    model: str
    photos: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    dollars: float | None = 0.0

    @property
    def per_thousand(self) -> float | None:
        return None if self.dollars is None or not self.photos else self.dollars * 1000 / self.photos


def running_cost(batches: Iterable[list[ImageRecord]]) -> list[ModelUsage]:
    """Per describer model, the photos it described, their tokens and their list price."""
    usage: dict[str, ModelUsage] = {}
    for batch in batches:
        for record in batch:
            details = record.details or {}
            model, used_in, used_out = (
                details.get("model"),
                details.get("input_tokens"),
                details.get("output_tokens"),
            )
            if not model or not isinstance(used_in, int) or not isinstance(used_out, int):
                continue  # described locally, or before tokens were recorded
            entry = usage.setdefault(model, ModelUsage(model))
            entry.photos += 1
            entry.input_tokens += used_in
            entry.output_tokens += used_out
            cost = call_cost(model, used_in, used_out)
            entry.dollars = None if cost is None or entry.dollars is None else entry.dollars + cost
    return sorted(usage.values(), key=lambda entry: -entry.photos)


def estimate_per_thousand(model: VisionModel, vector_index: str = "s3vectors") -> list[tuple[str, float]]:
    """What 1,000 typical photos cost, item by item, with this describer and vector index."""
    width, height = sent_size(PHOTO_SIZE, model.max_pixels)
    prompt_tokens = math.ceil((len(SYSTEM_PROMPT) + len(INSTRUCTIONS)) / 4) + 30  # ~4 characters a token
    describe = (
        call_cost(model.profile_id, model.image_tokens(width, height) + prompt_tokens, REPLY_TOKENS) or 0.0
    )
    seconds = model.seconds + OWN_SECONDS
    vector_kb = CHUNKS * VECTOR_KB
    if vector_index == "pinecone":
        vectors = max(5, math.ceil(vector_kb)) * PINECONE_WRITE_UNIT
    else:
        vectors = max(128, vector_kb) / 1024 / 1024 * S3VECTORS_PUT_GB
    items = [
        (f"{model.name}: describe", describe),
        ("Cohere Embed: embed the description", EMBED_TOKENS * EMBED_PER_M / 1e6),
        (
            "Lambda: ingest (1 GB) and web, API Gateway",
            INGEST_GB * seconds * LAMBDA_GB_S + 3 * LAMBDA_REQUEST + 2 * API_REQUEST,
        ),
        ("S3: upload, read, thumbnail", 2 * S3_PUT + S3_GET),
        (f"{'Pinecone' if vector_index == 'pinecone' else 'S3 Vectors'}: write ~{CHUNKS} vectors", vectors),
        ("CloudWatch Logs (~2 KB)", 2 / 1024 / 1024 * LOGS_GB),
    ]
    return [(item, dollars * 1000) for item, dollars in items]


def sent_size(size: tuple[int, int], max_pixels: int) -> tuple[int, int]:
    """The size a photo is sent at to the describer (at most: Pillow may round its short side down)."""
    from imgsearch.describers.prompt import LONG_EDGE_PX
    from imgsearch.photos import scaled_size

    return scaled_size(size, LONG_EDGE_PX, max_pixels)


def _base(model_id: str) -> str:
    for prefix in PROFILE_PREFIXES:
        if model_id.startswith(prefix):
            return model_id[len(prefix) :]
    return model_id
