"""Search on SQLite and on a real PostgreSQL: hybrid ranking, exact phrases and codes, the cut-off,
every filter, date words, pagination and sorting, similar photos and near-duplicates.

One library per database, built once: real photos (no captions, described by the on-device
recognition) beside photos that carry their own captions, dates and cameras in EXIF, all ingested
through the normal path.
"""

from __future__ import annotations

import shutil
from datetime import date

import pytest

import real_photos
from imgsearch.config import load_settings
from imgsearch.library import Library
from imgsearch.models import SearchFilters, Status
from imgsearch.pipeline.query import parse_filters
from imgsearch.pipeline.search import SearchRequest
from photos import photo
from real_photos import jpeg

TODAY = date(2026, 12, 4)
PORTRAIT, SQUARE = (480, 640), (500, 500)
BLUE, RED, GREEN = (30, 90, 200), (200, 30, 30), (40, 140, 60)

CAPTIONED = {
    "harlow": dict(
        caption="A till receipt from Harlow Hardware: screws, a hinge and sandpaper, total 23.40",
        taken="2023:05:14 10:02:00",
        make="Google",
        model="Pixel 7",
        colour=(235, 235, 230),
    ),
    "marlow": dict(
        caption="A till receipt from Marlow Hardwood Flooring: oak boards and glue, total 310.00",
        taken="2023:06:02 16:40:00",
        make="Apple",
        model="iPhone 13",
        colour=(230, 232, 236),
        size=PORTRAIT,
    ),
    "beach 2023": dict(
        caption="Children building a sandcastle on a sunny beach with buckets and spades",
        taken="2023:07:20 15:00:00",
        make="Apple",
        model="iPhone 13",
        colour=BLUE,
    ),
    "beach at night": dict(
        caption="A bonfire on the beach at night with friends sitting around it",
        taken="2021:08:03 22:40:00",
        colour=(20, 20, 40),
        size=SQUARE,
    ),
    "error": dict(
        caption="A laptop screen showing error 0x80070005: access is denied",
        taken="2024:01:10 09:15:00",
        colour=(10, 60, 160),
    ),
    "look-alike error": dict(
        caption="A laptop screen showing error 0x80070057: the parameter is incorrect",
        taken="2024:01:11 09:20:00",
        colour=(10, 60, 160),
    ),
    "cake": dict(
        caption="A chocolate birthday cake with candles and icing that reads happy birthday Sam",
        taken="2022:05:01 18:00:00",
        colour=(90, 50, 20),
    ),
    "party": dict(
        caption="Happy children at a birthday party with balloons and paper hats",
        taken="2022:05:02 17:30:00",
        colour=RED,
    ),
    "forest": dict(
        caption="A path through a green forest in autumn with fallen leaves",
        taken="2019:10:12 11:00:00",
        colour=GREEN,
        size=PORTRAIT,
    ),
}


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def album(request, tmp_path_factory, embedder):
    """(library, {name: image id}) for one database."""
    folder = tmp_path_factory.mktemp(f"search-{request.param}")
    database_url = ""
    if request.param == "postgres":
        database_url = request.getfixturevalue("postgres_server").create_database("search")
    settings = load_settings(
        environ={},
        env_file=None,
        overrides={"data_dir": str(folder), "database_url": database_url, "ocr": False},
    )
    library = Library(settings, embedder=embedder)
    files = {name: photo(seed=n + 1, **options) for n, (name, options) in enumerate(CAPTIONED.items())}
    for name in ("cat", "coffee", "astronaut", "rocket"):
        files[name] = real_photos.data(name)
    cat = real_photos.load("cat")
    files["small cat"] = jpeg(cat.resize((cat.width // 2, cat.height // 2)), quality=60)
    ids = {}
    for name, data in files.items():
        image = library.ingest.process(library.ingest.add(data, f"{name}.jpg").image.id)
        assert image.status == Status.INDEXED, image.error
        ids[name] = image.id
    return library, ids


def find(library, query="", everything=False, per_page=20, page=1, sort="relevance", **filters):
    request = SearchRequest(
        query=query,
        filters=parse_filters(filters) if filters else SearchFilters(),
        sort=sort,
        page=page,
        per_page=per_page,
        everything=everything,
        today=TODAY,
    )
    return library.search.find(request)


def names(album, page) -> list[str]:
    _, ids = album
    by_id = {image_id: name for name, image_id in ids.items()}
    return [by_id[r.image.id] for r in page.results]


# ---------------------------------------------------------------------- ranking


@pytest.mark.parametrize(
    ("query", "first"),
    [
        ("receipt from the hardware store", "harlow"),
        ("kids at the beach", "beach 2023"),
        ("cat", "cat"),
        ("a cup of coffee", "coffee"),
        ("rocket launch", "rocket"),
        ("autumn woods", "forest"),
    ],
)
def test_the_right_photo_comes_first(album, query, first):
    library, _ = album
    assert names(album, find(library, query))[0] in {first, "small cat"} if first == "cat" else {first}


def test_exact_words_read_in_a_photo_win_over_look_alikes(album):
    library, _ = album
    shown = names(album, find(library, "harlow hardware"))
    assert shown[0] == "harlow"
    assert "marlow" not in shown[:1]


def test_a_code_must_be_there_as_written(album):
    library, _ = album
    assert names(album, find(library, "error 0x80070005")) == ["error"]
    assert names(album, find(library, "0x80070057")) == ["look-alike error"]


def test_a_quoted_phrase_must_be_there_as_written(album):
    library, _ = album
    # Both hold "happy" and "birthday"; only the cake holds them side by side.
    assert names(album, find(library, '"happy birthday"')) == ["cake"]
    assert set(names(album, find(library, "happy birthday"))[:2]) == {"cake", "party"}


def test_one_result_per_photo_with_its_best_snippet(album):
    library, _ = album
    page = find(library, "sandcastle", everything=True)
    ids = [r.image.id for r in page.results]
    assert len(ids) == len(set(ids))
    assert "sandcastle" in page.results[0].snippet.lower()


@pytest.mark.parametrize("query", ["zzzzqqq", "giraffe", "snowboarding down a mountain"])
def test_a_query_nothing_answers_shows_nothing_but_the_full_ranking_is_there(album, query):
    library, _ = album
    page = find(library, query)
    assert page.results == [] and page.total == 0
    assert page.hidden > 0
    everything = find(library, query, everything=True, per_page=100)
    assert len(everything.results) == everything.total == page.hidden
    assert everything.hidden == 0


def test_the_cut_off_hides_the_weak_tail_of_an_answered_query(album):
    library, ids = album
    page = find(library, "birthday cake with candles")
    assert names(album, page)[0] == "cake"
    assert page.hidden > 0 and page.total + page.hidden == len(ids)


# ---------------------------------------------------------------------- filters


def test_date_range_filters_alone_list_the_photos_taken_then_newest_first(album):
    library, _ = album
    page = find(library, **{"from": "2023", "to": "2023-12-31"})
    assert names(album, page) == ["beach 2023", "marlow", "harlow"]
    assert all(r.score is None for r in page.results)


def test_filters_combine_with_a_query(album):
    library, _ = album
    assert names(album, find(library, "receipt", camera="pixel")) == ["harlow"]
    assert names(album, find(library, "receipt", orientation="portrait")) == ["marlow"]


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"camera": "iphone"}, {"marlow", "beach 2023"}),
        ({"orientation": "square"}, {"beach at night", "astronaut"}),
        ({"orientation": "portrait"}, {"marlow", "forest"}),
        ({"people": "1"}, {"astronaut"}),
        ({"people": "1+"}, {"astronaut"}),
        ({"label": "cat"}, {"cat", "small cat"}),
        ({"label": "cats"}, {"cat", "small cat"}),
        ({"colour": "green"}, {"forest"}),
    ],
)
def test_each_filter_alone(album, filters, expected):
    library, _ = album
    assert set(names(album, find(library, per_page=50, **filters))) == expected


def test_photos_without_faces_count_as_no_people(album):
    library, _ = album
    shown = set(names(album, find(library, per_page=50, people="0")))
    assert "harlow" in shown and "astronaut" not in shown


@pytest.mark.ocr
@pytest.mark.skipif(shutil.which("tesseract") is None, reason="tesseract-ocr is not installed")
def test_visible_text_filter(tmp_path, embedder):
    settings = load_settings(environ={}, env_file=None, overrides={"data_dir": str(tmp_path)})
    library = Library(settings, embedder=embedder)
    ingest = library.ingest
    sign = ingest.process(ingest.add(photo(text="OPEN 24 HOURS", seed=3), "sign.jpg").image.id)
    plain = ingest.process(ingest.add(photo(colour=GREEN, seed=4), "plain.jpg").image.id)
    with_text = library.search.find(SearchRequest(filters=parse_filters({"text": "yes"})))
    without = library.search.find(SearchRequest(filters=parse_filters({"text": "no"})))
    assert [r.image.id for r in with_text.results] == [sign.id]
    assert [r.image.id for r in without.results] == [plain.id]


@pytest.mark.parametrize(
    ("query", "expected", "label"),
    [
        ("beach 2023", ["beach 2023"], "2023"),
        ("beach at night", ["beach at night"], "at night"),
        ("receipt from may 2023", ["harlow"], "May 2023"),
        ("photos from May 2022", ["party", "cake"], "May 2022"),
    ],
)
def test_date_words_become_a_filter(album, query, expected, label):
    library, _ = album
    page = find(library, query)
    assert page.parsed.dates is not None and page.parsed.dates.label == label
    assert names(album, page) == expected


# ---------------------------------------------------------------------- pages and order


def test_pages_of_results_add_up_to_the_whole_list(album):
    library, _ = album
    whole = names(album, find(library, "beach", everything=True, per_page=100))
    first = find(library, "beach", everything=True, per_page=4)
    second = find(library, "beach", everything=True, per_page=4, page=2)
    assert first.total == second.total == len(whole) and first.pages == -(-len(whole) // 4)
    assert names(album, first) + names(album, second) == whole[:8]


def test_sort_by_date_taken_newest_first(album):
    library, _ = album
    page = find(library, "receipt", sort="date", everything=True, per_page=100)
    dated = [r.image.taken_at for r in page.results if r.image.taken_at]
    assert dated == sorted(dated, reverse=True) and len(dated) >= 2


# ---------------------------------------------------------------------- more like this


def test_similar_photos_put_the_copy_of_the_cat_first_and_never_the_photo_itself(album):
    library, ids = album
    similar = library.search.similar(ids["cat"], limit=5)
    assert similar and similar[0].image.id == ids["small cat"]
    assert ids["cat"] not in [r.image.id for r in similar]


def test_a_resized_recompressed_copy_is_a_near_duplicate(album):
    library, ids = album
    cat = library.repository.get(ids["cat"])
    assert [i.id for i in library.search.duplicates_of(cat)] == [ids["small cat"]]
    groups = library.search.duplicate_groups()
    assert [sorted(i.id for i in g) for g in groups] == [sorted([ids["cat"], ids["small cat"]])]


def test_a_search_never_depends_on_another_accounts_photos(database_url, tmp_path, embedder):
    """Scores, the cut-off and what a word weighs are one library's: another account's photos,
    holding the same words, change none of them."""
    settings = load_settings(
        environ={},
        env_file=None,
        overrides={
            "data_dir": str(tmp_path),
            "database_url": database_url,
            "ocr": False,
            "recognition": False,
        },
    )
    alice = Library(settings, embedder=embedder)
    for n, caption in enumerate(
        ["A red kayak on a calm lake", "A wooden cabin in the snow", "A dog on a beach"]
    ):
        image = alice.ingest.process(
            alice.ingest.add(photo(caption=caption, seed=n + 1), f"a{n}.jpg").image.id
        )
        assert image.status == Status.INDEXED
    queries = ["red kayak", "kayak on a lake", "cabin", "giraffe"]

    def answers():
        return {q: [(r.image.id, r.score) for r in alice.search.search(q)] for q in queries}

    before = answers()
    bob = alice.for_owner("b" * 32)
    for n in range(6):
        caption = f"Kayak number {n}: a red kayak, another kayak, kayaks on a lake"
        image = bob.ingest.process(bob.ingest.add(photo(caption=caption, seed=50 + n), f"b{n}.jpg").image.id)
        assert image.status == Status.INDEXED
    assert answers() == before
    assert not {i for results in answers().values() for i, _ in results} & {
        r.image.id for r in bob.search.search("kayak", limit=20)
    }
