"""The local vector index: exact cosine top-k, persisted, safe with concurrent readers and a writer."""

import multiprocessing

import numpy as np
import pytest

from imgsearch.index.local import DimensionMismatch, LocalVectorIndex
from imgsearch.models import VectorRecord


def _vec(*values: float, dim: int = 4) -> list[float]:
    v = np.zeros(dim, dtype=np.float32)
    v[: len(values)] = values
    return v.tolist()


def _rec(image: str, chunk: int, values: list[float]) -> VectorRecord:
    return VectorRecord(f"{image}#{chunk}", image, chunk, values, "test")


@pytest.fixture
def index(tmp_path):
    return LocalVectorIndex(tmp_path / "vectors.sqlite", dimension=4)


def test_top_k_is_exact_cosine_best_first(index):
    index.upsert([_rec("a", 0, _vec(1, 0)), _rec("b", 0, _vec(1, 1)), _rec("c", 0, _vec(0, 1))])
    matches = index.query(_vec(1, 0.1), top_k=2)
    assert [m.image_id for m in matches] == ["a", "b"]
    assert matches[0].score == pytest.approx(1 / np.sqrt(1.01), abs=1e-5)
    assert matches[1].score == pytest.approx(1.1 / (np.sqrt(2) * np.sqrt(1.01)), abs=1e-5)


def test_upserting_an_id_again_replaces_it(index):
    index.upsert([_rec("a", 0, _vec(1, 0))])
    index.upsert([_rec("a", 0, _vec(0, 1))])
    assert index.count() == 1
    assert index.query(_vec(0, 1), top_k=1)[0].score == pytest.approx(1.0)


def test_delete_removes_vectors(index):
    index.upsert([_rec("a", 0, _vec(1, 0)), _rec("a", 1, _vec(0, 1)), _rec("b", 0, _vec(1, 1))])
    index.delete(["a#0", "a#1", "missing#0"])
    assert [m.image_id for m in index.query(_vec(1, 0), top_k=10)] == ["b"]


def test_vectors_survive_a_restart(tmp_path):
    first = LocalVectorIndex(tmp_path / "v.sqlite", 4)
    first.upsert([_rec("a", 0, _vec(1, 0))])
    first.close()
    again = LocalVectorIndex(tmp_path / "v.sqlite", 4)
    assert [m.id for m in again.query(_vec(1, 0), 5)] == ["a#0"]


def test_a_reader_sees_another_writers_commits(tmp_path):
    reader = LocalVectorIndex(tmp_path / "v.sqlite", 4)
    writer = LocalVectorIndex(tmp_path / "v.sqlite", 4)
    assert reader.count() == 0
    writer.upsert([_rec("a", 0, _vec(1, 0))])
    assert reader.count() == 1  # appended incrementally
    writer.delete(["a#0"])
    writer.upsert([_rec("b", 0, _vec(0, 1))])
    assert [m.image_id for m in reader.query(_vec(0, 1), 5)] == ["b"]  # full reload after a delete


def test_wrong_dimension_is_refused(index):
    with pytest.raises(DimensionMismatch):
        index.upsert([_rec("a", 0, [1.0, 0.0])])


def _write_many(path: str, start: int, count: int) -> None:
    index = LocalVectorIndex(path, 4)
    for n in range(start, start + count):
        index.upsert([_rec(f"img{n}", 0, _vec(1, n / 100))])


def test_concurrent_writer_processes_and_a_reader_lose_nothing(tmp_path):
    path = str(tmp_path / "v.sqlite")
    reader = LocalVectorIndex(path, 4)
    ctx = multiprocessing.get_context("spawn")
    writers = [ctx.Process(target=_write_many, args=(path, k * 40, 40)) for k in range(2)]
    for w in writers:
        w.start()
    seen = 0
    while any(w.is_alive() for w in writers):
        count = reader.count()
        assert count >= seen  # readers never see a half-written state going backwards
        seen = count
        reader.query(_vec(1, 0), 5)
    for w in writers:
        w.join()
        assert w.exitcode == 0
    assert reader.count() == 80


def test_a_search_of_first_chunks_only_sees_whole_descriptions(index):
    index.upsert(
        [
            _rec("a", 0, _vec(1, 0)),
            _rec("a", 1, _vec(0, 1)),  # a line of a, very close to the query
            _rec("b", 0, _vec(0.6, 0.8)),
            _rec("c", 0, _vec(0, 0, 1)),
        ]
    )
    query = _vec(0, 1)
    assert [(m.image_id, m.chunk) for m in index.query(query, top_k=2)] == [("a", 1), ("b", 0)]
    heads = index.query(query, top_k=3, heads_only=True)
    assert [(m.image_id, m.chunk) for m in heads] == [("b", 0), ("a", 0), ("c", 0)]
    assert [m.image_id for m in index.query(query, top_k=3, within=["a", "c"], heads_only=True)] == ["a", "c"]
    index.delete(["b#0"])  # deletes reload everything, heads included
    assert [m.image_id for m in index.query(query, top_k=3, heads_only=True)] == ["a", "c"]


def test_a_search_within_a_few_images_scores_only_their_vectors(tmp_path):
    index = LocalVectorIndex(tmp_path / "many.sqlite", dimension=4)
    index.upsert([_rec(f"img{n}", 0, _vec(1, n / 100)) for n in range(100)])
    matches = index.query(_vec(1, 1), top_k=5, within=["img3", "img97", "missing"])
    assert [m.image_id for m in matches] == ["img97", "img3"]
    assert index.fetch(["img3#0", "nope"]).keys() == {"img3#0"}
