"""The whole pipeline (add, process, search, delete) with its metadata on SQLite and on PostgreSQL."""

from __future__ import annotations

from datetime import datetime

from imgsearch.config import load_settings
from imgsearch.library import Library
from imgsearch.models import Status
from photos import photo


def test_ingest_and_search_with_sql_metadata(database_url, tmp_path, embedder):
    settings = load_settings(
        environ={},
        env_file=None,
        overrides={"data_dir": str(tmp_path / "data"), "database_url": database_url, "ocr": False},
    )
    library = Library(settings, embedder=embedder)
    photos = {
        "harbour.jpg": photo(caption="Fishing boats in the harbour at dawn", taken="2024:07:14 06:03:00"),
        "cake.png": photo(fmt="PNG", colour=(250, 240, 200), xmp_description="A birthday cake with candles"),
        "dog.jpg": photo(colour=(30, 120, 30), iptc_caption="A dog running on the grass", seed=5),
    }
    ids = {}
    for name, data in photos.items():
        added = library.ingest.add(data, name)
        image = library.ingest.process(added.image.id)
        assert image.status == Status.INDEXED, image.error
        ids[name] = image.id

    assert library.ingest.add(photos["dog.jpg"], "again.jpg").created is False
    assert library.search.search("boats in a harbour")[0].image.id == ids["harbour.jpg"]
    assert library.search.search("birthday cake")[0].image.id == ids["cake.png"]
    stored = library.repository.get(ids["harbour.jpg"])
    assert stored.taken_at == datetime(2024, 7, 14, 6, 3)
    assert "Fishing boats in the harbour at dawn" in stored.description
    assert library.repository.count(Status.INDEXED) == 3

    library.ingest.delete(ids["dog.jpg"])
    assert library.repository.count() == 2
    assert ids["dog.jpg"] not in {r.image.id for r in library.search.search("a dog running on the grass")}
