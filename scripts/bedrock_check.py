#!/usr/bin/env python3
"""make bedrock-check: one Converse call and one embedding call with the deployer's own credentials.

An account's first call to a Marketplace model (Claude) subscribes it, and only a principal allowed
to subscribe may make it: run this once, as yourself, before the first upload. It reads the models
and region from IMGSEARCH_* settings (.env included) or terraform/terraform.tfvars, describes a small
generated picture, embeds a sentence and prints what each cost. Without AWS credentials it says so
and exits 0 (nothing to check here).
"""

from __future__ import annotations

import io
import os
import re
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
TFVARS = ROOT / "terraform" / "terraform.tfvars"


def tfvars(path: Path = TFVARS) -> dict[str, str]:
    """The plain string settings of a terraform.tfvars file (enough for the models and region)."""
    if not path.is_file():
        return {}
    pattern = re.compile(r'^\s*([a-z_]+)\s*=\s*"([^"]*)"', re.MULTILINE)
    return dict(pattern.findall(path.read_text()))


def settings_for_check(environ: dict[str, str] | None = None):
    """Settings for a Bedrock describer and embedder, the tfvars filling what the environment lacks."""
    from imgsearch.config import load_settings

    from_tf = tfvars()
    given = os.environ if environ is None else environ
    overrides: dict[str, Any] = {"describer": "bedrock", "embedder": "bedrock"}
    for setting, variable in (
        ("aws_region", "aws_region"),
        ("bedrock_describer_model", "bedrock_describer_model"),
        ("bedrock_embed_model", "bedrock_embed_model"),
    ):
        if variable in from_tf and f"IMGSEARCH_{setting.upper()}" not in given:
            overrides[setting] = from_tf[variable]
    return load_settings(environ=environ, overrides=overrides)


def picture() -> bytes:
    """A small picture with something to say about it: a red square on white, with a word."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (320, 240), "white")
    draw = ImageDraw.Draw(image)
    draw.rectangle((100, 60, 220, 180), fill=(200, 30, 30))
    draw.text((120, 200), "HELLO", fill="black")
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def check(settings, runtime: Any) -> int:
    """Describe the picture and embed a sentence through this bedrock-runtime client; 0 if both work."""
    from imgsearch.costs import call_cost
    from imgsearch.describers.bedrock import BedrockDescriber
    from imgsearch.embedders.bedrock import BedrockEmbedder
    from imgsearch.errors import BackendError

    failed = 0
    describer = BedrockDescriber(runtime, settings.bedrock_describer_model, settings.bedrock_max_tokens)
    try:
        seen = describer.describe(picture(), {})
        used_in, used_out = seen.details.get("input_tokens") or 0, seen.details.get("output_tokens") or 0
        cost = call_cost(settings.bedrock_describer_model, used_in, used_out)
        price = f", ${cost:.5f}" if cost is not None else ""
        print(f"ok   describe with {settings.bedrock_describer_model}: {used_in} + {used_out} tokens{price}")
        print("     " + seen.text.replace("\n", "\n     "))
    except BackendError as exc:
        failed += 1
        print(f"FAIL describe with {settings.bedrock_describer_model}: {exc}", file=sys.stderr)
    try:
        embedder = BedrockEmbedder(runtime, settings.bedrock_embed_model)
        vector = embedder.embed_query("a red square on a white background")
        print(f"ok   embed with {settings.bedrock_embed_model}: {len(vector)} dimensions")
    except BackendError as exc:
        failed += 1
        print(f"FAIL embed with {settings.bedrock_embed_model}: {exc}", file=sys.stderr)
    if failed:
        print(
            "Enable the models in the Bedrock console (Model access), accept Anthropic's use-case form, "
            "and make this first call as a user allowed to subscribe through AWS Marketplace.",
            file=sys.stderr,
        )
    return 1 if failed else 0


def main() -> int:
    import boto3

    from imgsearch.aws import AwsClients
    from imgsearch.config import ConfigError

    try:
        settings = settings_for_check()
    except ConfigError as exc:
        print(f"bedrock-check: configuration error: {exc}", file=sys.stderr)
        return 2
    if boto3.session.Session().get_credentials() is None:
        print("bedrock-check: skipped: no AWS credentials here (aws configure, or AWS_PROFILE=...)")
        return 0
    print(f"bedrock-check: {settings.aws_region}, as the caller of your current AWS credentials")
    return check(settings, AwsClients(settings).bedrock_runtime)


if __name__ == "__main__":
    sys.exit(main())
