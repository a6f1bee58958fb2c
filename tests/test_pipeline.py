"""The ingest pipeline and search over the embedded default back ends."""

import pytest

from imgsearch.embedders.minilm import MiniLMEmbedder
from imgsearch.errors import InvalidImage, NotFound
from imgsearch.library import Library
from imgsearch.models import Status
from photos import photo

CAT = "a grey cat asleep on a red sofa"
BIKE = "a bicycle leaning on a brick wall"
BEACH = "kids building a sandcastle at the beach"
RECEIPT = "receipt from the hardware store: hammer, nails, 42.17"


@pytest.fixture
def four_photos(ingest_bytes):
    return {
        "cat": ingest_bytes(photo(caption=CAT, colour=(200, 30, 30), patch=(128, 128, 128)), "cat.jpg"),
        "bike": ingest_bytes(photo(xmp_description=BIKE, colour=(150, 60, 40)), "bike.jpg"),
        "beach": ingest_bytes(photo(iptc_caption=BEACH, colour=(240, 220, 160)), "beach.jpg"),
        "receipt": ingest_bytes(photo(user_comment=RECEIPT, colour=(250, 250, 250)), "receipt.jpg"),
    }


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("kitten napping on the couch", "cat"),
        ("bike against a wall", "bike"),
        ("children playing on the sand", "beach"),
        ("receipt from the hardware store", "receipt"),
        ("shopping bill for tools", "receipt"),
    ],
)
def test_paraphrases_find_the_right_photo_first(library, four_photos, query, expected):
    from imgsearch.pipeline.search import SearchRequest

    # Shown: the right photo first, or nothing when a paraphrase shares no word (nor a synonym)
    # with any description and is not alike enough to pass the cut-off; never a wrong photo first.
    results = library.search.search(query, limit=4)
    assert not results or results[0].image.id == four_photos[expected].id
    ranking = library.search.find(SearchRequest(query=query, everything=True)).results
    assert ranking[0].image.id == four_photos[expected].id
    assert ranking[0].score > ranking[1].score
    assert len({r.image.id for r in ranking}) == len(ranking) == 4  # one result per image


def test_results_carry_the_matching_part_of_the_description(library, four_photos):
    best = library.search.search("kitten napping on the couch", limit=1)[0]
    assert best.snippet == CAT + "."
    assert best.to_dict()["filename"] == "cat.jpg"
    assert CAT in best.to_dict()["description"]


def test_description_is_readable_text_with_every_signal(ingest_bytes):
    image = ingest_bytes(
        photo(
            caption=CAT,
            make="Canon",
            model="Canon EOS R6",
            taken="2025:06:14 15:04:00",
            gps=(48.8584, 2.2945),
        )
    )
    lines = image.description.splitlines()
    assert lines[0] == CAT + "."
    assert "Colours: red." in lines
    assert "Camera: Canon EOS R6." in lines
    assert any(line.startswith("Taken on Saturday 14 June 2025") for line in lines)
    assert "Location: 48.85840° N, 2.29450° E." in lines
    assert lines[-1] == "Landscape photo, 640 × 480 pixels."
    assert image.taken_at.isoformat() == "2025-06-14T15:04:00"
    assert image.details["colours"][0] == "red"


def test_the_same_bytes_twice_give_one_image(library):
    data = photo(caption=CAT)
    first = library.ingest.add(data, "cat.jpg")
    second = library.ingest.add(data, "copy-of-cat.jpg")
    assert first.created and not second.created
    assert second.image.id == first.image.id
    assert library.repository.count() == 1
    assert sorted(p.name for p in (library.settings.media_dir / "originals" / "local").iterdir()) == [
        f"{first.image.id}.jpg"
    ]


@pytest.mark.parametrize(
    ("data", "filename", "message"),
    [
        (b"", "empty.jpg", "the file is empty"),
        (b"just some notes", "notes.txt", "not an image"),
        (photo(fmt="BMP"), "old.bmp", "BMP images are not accepted"),
        (photo()[:300], "cut.jpg", "damaged or truncated"),
        (photo(size=(800, 600), text="noise")[:-2000], "half.jpg", "damaged or truncated"),
        (photo(size=(3000, 3000)), "huge.jpg", "over the 5 megapixel limit"),
    ],
)
def test_bad_files_are_refused_clearly_and_store_nothing(tmp_path, embedder, data, filename, message):
    from imgsearch.config import load_settings

    settings = load_settings(
        environ={}, env_file=None, overrides={"data_dir": str(tmp_path), "max_pixels": "5000000"}
    )
    library = Library(settings, embedder=embedder)
    with pytest.raises(InvalidImage, match=message):
        library.ingest.add(data, filename)
    assert library.repository.count() == 0
    originals = settings.media_dir / "originals"
    assert not originals.exists() or not any(originals.iterdir())


def test_oversized_file_is_refused(tmp_path, embedder):
    from imgsearch.config import load_settings

    settings = load_settings(
        environ={}, env_file=None, overrides={"data_dir": str(tmp_path), "max_upload_mb": "0.001"}
    )
    with pytest.raises(InvalidImage, match=r"over the 0\.0 MB limit"):
        Library(settings, embedder=embedder).ingest.add(photo(), "big.jpg")


def test_a_failed_ingest_keeps_the_image_and_can_be_retried(settings, embedder, tmp_path):
    # The model files are missing: embedding fails after the photo was stored and described.
    broken = Library(settings, embedder=MiniLMEmbedder(model_dir=tmp_path / "no-model-here"))
    added = broken.ingest.add(photo(caption=CAT), "cat.jpg")
    failed = broken.ingest.process(added.image.id)
    assert failed.status == Status.FAILED
    assert "no-model-here" in failed.error
    assert broken.storage.exists(failed.storage_key)
    assert failed.description.startswith(CAT)  # the description survived the failure

    fixed = Library(settings, embedder=embedder)
    retried = fixed.ingest.retry(added.image.id)
    assert retried.status == Status.INDEXED and retried.error is None
    assert retried.attempts == 2
    assert fixed.search.search("kitten napping on the couch")[0].image.id == added.image.id


def test_delete_removes_row_files_and_vectors(library, four_photos):
    cat = four_photos["cat"]
    library.ingest.delete(cat.id)
    assert library.repository.get(cat.id) is None
    assert not library.storage.exists(cat.storage_key)
    assert not library.storage.exists(cat.thumbnail_key)
    assert cat.id not in {r.image.id for r in library.search.search("cat on a sofa", limit=10)}
    assert library.index.count() == sum(r.vector_count for r in library.repository.list())
    with pytest.raises(NotFound):
        library.ingest.delete(cat.id)


def test_everything_survives_a_restart(settings, embedder, four_photos):
    again = Library(settings, embedder=embedder)
    assert again.repository.count() == 4
    assert again.search.search("kitten napping on the couch")[0].image.id == four_photos["cat"].id


def test_reindex_rebuilds_vectors_from_descriptions_and_is_idempotent(library, four_photos):
    ids = [f"{img.id}#{n}" for img in four_photos.values() for n in range(img.vector_count)]
    library.index.delete(ids)
    assert library.index.count() == 0
    assert library.ingest.reindex() == 4
    count = library.index.count()
    assert library.ingest.reindex() == 4
    assert library.index.count() == count == len(ids)
    assert library.search.search("kitten napping on the couch")[0].image.id == four_photos["cat"].id


def test_empty_query_finds_nothing(library, four_photos):
    assert library.search.search("   ") == []


# ---------------------------------------------------------------------------- races and recovery


def test_deleting_a_photo_while_it_is_processed_does_not_bring_it_back(settings, embedder):
    from imgsearch.describers.local import LocalDescriber

    class DeletedMidway(LocalDescriber):
        """Someone presses Delete while the photo is being described."""

        def describe(self, data, facts):
            library.ingest.delete(image_id)
            return super().describe(data, facts)

    library = Library(settings, embedder=embedder, describer=DeletedMidway())
    image_id = library.ingest.add(photo(caption=CAT), "cat.jpg").image.id
    with pytest.raises(NotFound, match="deleted while it was being processed"):
        library.ingest.process(image_id)
    assert library.repository.get(image_id) is None
    assert library.index.count() == 0
    assert not any(p.is_file() for p in (settings.media_dir / "thumbnails").rglob("*"))
    assert library.search.search("kitten napping on the couch") == []


def test_a_photo_stuck_in_processing_is_taken_over_after_its_lease(tmp_path, embedder):
    import time

    from imgsearch.config import load_settings
    from imgsearch.errors import Conflict, LeaseLost

    settings = load_settings(
        environ={}, env_file=None, overrides={"data_dir": str(tmp_path), "processing_lease_s": "1"}
    )
    library = Library(settings, embedder=embedder)
    image_id = library.ingest.add(photo(caption=CAT), "cat.jpg").image.id
    crashed = library.repository.claim(image_id)  # a worker took it, then its process died
    with pytest.raises(Conflict):
        library.ingest.requeue(image_id)  # still within its lease: someone is on it
    time.sleep(1.2)
    assert library.ingest.requeue(image_id).status == Status.PENDING
    assert library.ingest.process(image_id).status == Status.INDEXED
    # The dead worker's late write changes nothing.
    crashed.status, crashed.error = Status.FAILED, "late"
    with pytest.raises(LeaseLost):
        library.repository.update(crashed, lease=crashed.attempts)
    assert library.repository.get(image_id).status == Status.INDEXED


def test_the_background_worker_picks_up_pending_work_left_by_a_previous_run(library):
    from imgsearch.worker import IngestWorker

    ids = [library.ingest.add(photo(caption=f"photo {n}", seed=n + 1), f"{n}.jpg").image.id for n in range(3)]
    worker = IngestWorker(library).start()  # a fresh start finds them pending
    try:
        assert worker.join(timeout=60)
    finally:
        worker.stop()
    assert {library.repository.get(i).status for i in ids} == {Status.INDEXED}


def test_an_update_never_recreates_a_deleted_row(library):
    image = library.ingest.add(photo(caption=CAT), "cat.jpg").image
    library.ingest.delete(image.id)
    with pytest.raises(NotFound):
        library.repository.update(image)
    assert library.repository.get(image.id) is None
