"""On-device recognition end to end: real photos without captions, ingested the normal way, found by
what is in them; people counted; labels, scores and a visual embedding kept; similar photos and
near-duplicates."""

from __future__ import annotations

import numpy as np
import pytest

import real_photos
from imgsearch.config import load_settings
from imgsearch.library import Library
from imgsearch.models import Status
from real_photos import jpeg

NAMES = ["cat", "coffee", "rocket", "astronaut", "uniform", "temple", "flower", "camera"]


@pytest.fixture(scope="module")
def album(tmp_path_factory, embedder):
    """A library of real photos (no captions) plus two and three people side by side, a smaller
    recompressed copy of the cat and a crop of it; {name: image record}."""
    settings = load_settings(
        environ={}, env_file=None, overrides={"data_dir": str(tmp_path_factory.mktemp("album")), "ocr": False}
    )
    library = Library(settings, embedder=embedder)
    files = {name: real_photos.data(name) for name in NAMES}
    cat = real_photos.load("cat")
    files["two people"] = jpeg(real_photos.two_people())
    files["three people"] = jpeg(real_photos.three_people())
    files["small cat"] = jpeg(cat.resize((cat.width // 2, cat.height // 2)), quality=60)
    files["cropped cat"] = jpeg(cat.crop((40, 25, cat.width - 40, cat.height - 25)))
    images = {}
    for name, data in files.items():
        image = library.ingest.process(library.ingest.add(data, f"photo-{len(images)}.jpg").image.id)
        assert image.status == Status.INDEXED, image.error
        images[name] = library.repository.get(image.id)
    return library, images


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("cat", "cat"),
        ("kitten", "cat"),
        ("coffee", "coffee"),
        ("a cup of espresso", "coffee"),
        ("rocket", "rocket"),
        ("building", "temple"),
        ("flower", "flower"),
        ("woman in uniform", "uniform"),
    ],
)
def test_plain_searches_find_what_is_in_photos_without_captions(album, query, expected):
    library, images = album
    copies = {"cat": ("cat", "small cat", "cropped cat")}.get(expected, (expected,))
    results = library.search.search(query, limit=5)
    assert results, f"nothing shown for {query!r}"
    assert results[0].image.id in {images[name].id for name in copies}, [r.image.filename for r in results]


def test_a_search_for_a_person_finds_photos_of_people_first(album):
    library, images = album
    with_people = {images[n].id for n in ("astronaut", "uniform", "camera", "two people", "three people")}
    results = library.search.search("person", limit=5)
    assert results and results[0].image.id in with_people


@pytest.mark.parametrize("query", ["giraffe", "snowboarding", "a passport photo"])
def test_nothing_is_shown_for_what_no_photo_shows(album, query):
    library, _ = album
    assert library.search.search(query) == []


@pytest.mark.parametrize(
    ("name", "count", "words"),
    [
        ("astronaut", 1, "1 person, a portrait"),
        ("uniform", 1, "1 person"),
        ("two people", 2, "2 people"),
        ("three people", 3, "A group of 3 people"),
        ("cat", 0, None),
        ("coffee", 0, None),
    ],
)
def test_people_are_counted_and_said(album, name, count, words):
    _, images = album
    image = images[name]
    assert image.details["people"]["count"] == count
    assert image.people == count
    if words:
        assert words in image.description
    else:
        assert "person" not in image.description and "people" not in image.description


def test_the_description_reads_like_a_caption_and_keeps_every_label_and_score(album):
    _, images = album
    cat = images["cat"]
    first = cat.description.splitlines()[0]
    assert "cat" in first.lower() and "animal" in first
    labels = cat.details["labels"]
    assert labels[0]["score"] >= labels[-1]["score"] > 0
    assert all({"name", "score", "index", "category"} <= set(label) for label in labels)
    assert {"cat", "animal"} <= set(cat.labels)
    assert cat.to_dict()["labels"] == cat.labels
    assert cat.details["describer"].startswith("local/")
    assert "efficientnet-lite0" in cat.details["describer"]


def test_only_what_the_caption_names_becomes_a_label(album):
    # The details keep every candidate class down to 1%; a filter or a search by label sees only
    # the classes and everyday terms the describer was sure enough to name.
    _, images = album
    for image in images.values():
        named = {t["term"].lower() for t in image.details.get("terms", [])}
        named |= {c["name"].lower() for c in image.details.get("labels", []) if c["score"] >= 0.15}
        weak = {c["name"].lower() for c in image.details.get("labels", []) if c["score"] < 0.15}
        assert set(image.labels) <= named
        assert not (weak - named) & set(image.labels)
    assert any(c["score"] < 0.15 for c in images["cat"].details["labels"])  # there were weak ones


def test_textures_and_diagrams_get_no_made_up_caption(embedder, tmp_path):
    from PIL import Image

    settings = load_settings(environ={}, env_file=None, overrides={"data_dir": str(tmp_path), "ocr": False})
    library = Library(settings, embedder=embedder)
    flat = Image.new("RGB", (320, 240), (128, 128, 130))
    image = library.ingest.process(library.ingest.add(jpeg(flat), "grey.jpg").image.id)
    assert image.description.splitlines()[0].startswith("Colours:")


def test_each_photo_has_a_unit_visual_embedding(album):
    library, images = album
    assert library.visual_index.count() == len(images)
    vector = np.asarray(library.visual_index.fetch([images["cat"].id])[images["cat"].id])
    assert vector.shape == (1280,) and abs(np.linalg.norm(vector) - 1) < 1e-4


def test_similar_photos_put_copies_of_the_cat_first_and_never_the_photo_itself(album):
    library, images = album
    similar = library.search.similar(images["cat"].id, limit=5)
    ids = [r.image.id for r in similar]
    assert images["cat"].id not in ids
    assert set(ids[:2]) == {images["small cat"].id, images["cropped cat"].id}
    assert similar[0].score > 0.9


def test_resized_recompressed_and_cropped_copies_are_grouped_as_near_duplicates(album):
    library, images = album
    cat = library.repository.get(images["cat"].id)
    group = {i.id for i in library.search.duplicates_of(cat)}
    assert group == {images["small cat"].id, images["cropped cat"].id}
    groups = library.search.duplicate_groups()
    assert len(groups) == 1 and len(groups[0]) == 3
    assert library.repository.get(images["coffee"].id).duplicate_group is None


def test_describing_again_upgrades_photos_described_without_recognition(embedder, tmp_path):
    overrides = {"data_dir": str(tmp_path), "ocr": False, "recognition": False, "faces": False}
    before = Library(load_settings(environ={}, env_file=None, overrides=overrides), embedder=embedder)
    image = before.ingest.process(before.ingest.add(real_photos.data("cat"), "IMG_0001.png").image.id)
    assert "cat" not in image.description.lower()
    assert before.search.search("cat") == []

    after = Library(
        load_settings(environ={}, env_file=None, overrides={**overrides, "recognition": True, "faces": True}),
        embedder=embedder,
    )
    assert [r.id for r in after.ingest.outdated()] == [image.id]
    upgraded = after.ingest.redescribe(image.id)
    assert "cat" in upgraded.description.lower()
    assert after.search.search("cat")[0].image.id == image.id
    assert list(after.ingest.outdated()) == []
