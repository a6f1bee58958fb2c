"""make bedrock-check: one describe and one embed through a real bedrock-runtime client (under Stubber)."""

from __future__ import annotations

import sys
from pathlib import Path

from bedrock_stub import BedrockStub, bedrock_client

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))
import bedrock_check

HAIKU = "global.anthropic.claude-haiku-4-5-20251001-v1:0"


def check_settings(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no .env
    return bedrock_check.settings_for_check({"IMGSEARCH_BEDROCK_DESCRIBER_MODEL": HAIKU})


def test_both_calls_are_made_and_their_cost_printed(tmp_path, monkeypatch, capsys):
    stub = BedrockStub(bedrock_client(), describer_model=HAIKU, embed_model="cohere.embed-english-v3")
    stub.describe_as('{"description": "A red square on a white background.", "text": "HELLO"}')

    assert bedrock_check.check(check_settings(tmp_path, monkeypatch), stub.client) == 0

    out = capsys.readouterr().out
    assert f"ok   describe with {HAIKU}: 1200 + 80 tokens, $0.00160" in out
    assert "ok   embed with cohere.embed-english-v3: 1024 dimensions" in out
    assert [name for name, _ in stub.calls] == ["Converse", "InvokeModel"]


def test_a_model_the_account_cannot_use_fails_with_what_to_do(tmp_path, monkeypatch, capsys):
    stub = BedrockStub(bedrock_client(), describer_model=HAIKU)
    stub.fail_describe(
        "AccessDeniedException", "You don't have access to the model with the specified model ID."
    )

    assert bedrock_check.check(check_settings(tmp_path, monkeypatch), stub.client) == 1

    err = capsys.readouterr().err
    assert "FAIL describe" in err and "AccessDeniedException" in err
    assert "subscribe through AWS Marketplace" in err


def test_without_credentials_it_skips_clearly(tmp_path, monkeypatch, capsys):
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.chdir(tmp_path)

    assert bedrock_check.main() == 0
    assert "skipped: no AWS credentials" in capsys.readouterr().out
