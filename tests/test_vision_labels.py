"""ImageNet-1k class names and everyday search terms: the shipped table, term aggregation, articles."""

from __future__ import annotations

import fnmatch
import re
import tomllib
from importlib import resources
from pathlib import Path

import pytest

from imgsearch.describers.local.vision.imagenet import (
    CATEGORIES,
    ImageNetClass,
    everyday_terms,
    imagenet_classes,
    parse_table,
    with_article,
)

ROOT = Path(__file__).resolve().parent.parent
TSV = ROOT / "shared/imgsearch/describers/local/vision/imagenet_classes.tsv"


def terms_of(index: int) -> tuple[str, ...]:
    return imagenet_classes()[index].terms


def lowered(cls: ImageNetClass) -> set[str]:
    return {term.lower() for term in cls.terms}


# --- the table -------------------------------------------------------------------------------------


def test_1000_classes_in_index_order_with_unique_sorted_wnids():
    classes = imagenet_classes()
    assert len(classes) == 1000
    assert [cls.index for cls in classes] == list(range(1000))
    wnids = [cls.wnid for cls in classes]
    assert all(re.fullmatch(r"n\d{8}", wnid) for wnid in wnids)
    assert len(set(wnids)) == 1000
    # The standard ImageNet-1k order (torchvision, timm, Keras) is the wnids sorted.
    assert wnids == sorted(wnids)


# Checked against timm 1.0.31's imagenet_synsets.txt (line index+1) and imagenet_synset_to_lemma.txt.
WELL_KNOWN = [
    (0, "n01440764", "tench"),
    (1, "n01443537", "goldfish"),
    (151, "n02085620", "Chihuahua"),
    (207, "n02099601", "golden retriever"),
    (281, "n02123045", "tabby"),
    (285, "n02124075", "Egyptian cat"),
    (417, "n02782093", "balloon"),
    (468, "n02930766", "cab"),
    (657, "n03773504", "missile"),
    (698, "n03877845", "palace"),
    (817, "n04285008", "sports car"),
    (963, "n07873807", "pizza"),
    (967, "n07920052", "espresso"),
    (978, "n09428293", "seashore"),
    (999, "n15075141", "toilet tissue"),
]


@pytest.mark.parametrize(("index", "wnid", "first_lemma"), WELL_KNOWN)
def test_well_known_indices_match_the_standard_order(index, wnid, first_lemma):
    cls = imagenet_classes()[index]
    assert cls.wnid == wnid
    # WordNet's first lemma is either the name or, where a commoner word was picked, a synonym.
    assert first_lemma in (cls.name, *cls.synonyms)


def test_names_are_the_words_people_say():
    classes = imagenet_classes()
    assert classes[281].name == "tabby cat"
    assert classes[468].name == "taxi"
    assert "cab" in classes[468].synonyms
    assert classes[285].name == "Egyptian cat"  # proper nouns keep their capital
    assert classes[967].name == "espresso"


def test_every_row_has_terms_and_a_category_from_the_fixed_set():
    for cls in imagenet_classes():
        assert cls.name, cls
        assert cls.terms, cls
        assert cls.category in CATEGORIES, cls
        assert all(term and term == term.strip() and "\t" not in term for term in cls.terms), cls
        assert len(lowered(cls)) == len(cls.terms), f"duplicate term in {cls}"


def test_every_category_is_used():
    used = {cls.category for cls in imagenet_classes()}
    assert used == set(CATEGORIES)


def test_the_brief_examples():
    assert terms_of(281) == ("tabby cat", "cat", "pet", "animal")
    assert {"coffee", "drink"} <= set(terms_of(967))
    assert {"missile", "rocket"} <= set(terms_of(657))
    assert {"palace", "building"} <= set(terms_of(698))
    assert {"beach", "coast", "sea", "water", "landscape"} <= set(terms_of(978))
    assert terms_of(817)[0] == "sports car" and {"car", "vehicle"} <= set(terms_of(817))
    assert {"golden retriever", "dog", "pet", "animal"} <= set(terms_of(207))
    assert {"pizza", "food"} <= set(terms_of(963))


def test_everyday_words_for_jargon_labels():
    assert "laptop" in terms_of(681)  # notebook, notebook computer
    assert "phone" in terms_of(487)  # cellular telephone
    assert {"TV", "television"} <= set(terms_of(851))
    assert "glasses" in terms_of(837)  # sunglasses
    assert "glasses" in terms_of(836)  # "sunglass" is a lens in WordNet; its photos are sunglasses
    assert "temple" in terms_of(832)  # stupa
    assert "clownfish" in terms_of(393)  # anemone fish


def rows_with(term: str) -> set[int]:
    return {cls.index for cls in imagenet_classes() if term in lowered(cls)}


def test_general_words_where_they_must_be():
    classes = imagenet_classes()
    assert set(range(151, 269)) <= rows_with("dog")
    assert set(range(151, 269)) <= rows_with("pet")
    assert set(range(281, 286)) == rows_with("cat")
    for start, stop, word in [
        (0, 7, "fish"),
        (389, 398, "fish"),
        (7, 25, "bird"),
        (80, 101, "bird"),
        (127, 147, "bird"),
        (25, 33, "amphibian"),
        (52, 69, "snake"),
        (300, 327, "insect"),
        (321, 327, "butterfly"),
        (365, 383, "primate"),
        (948, 958, "fruit"),
        (970, 971, "landscape"),
        (972, 981, "landscape"),  # 971 is "bubble"
        (991, 998, "mushroom"),
    ]:
        assert set(range(start, stop)) <= rows_with(word), word
    for cls in classes:
        if cls.index < 398:
            assert cls.category == "animal" and cls.terms[-1] == "animal", cls
        else:
            assert cls.category != "animal" and "animal" not in cls.terms, cls
        if cls.category in ("vehicle", "food", "drink", "person"):
            assert cls.category in cls.terms, cls


def test_no_term_leaks_onto_unrelated_classes():
    # Rules attach words through WordNet's hypernyms; these catch a rule that reaches too far.
    assert rows_with("dog") == set(range(151, 269)) | {273, 676}  # a dingo; a muzzle, worn by a dog
    vehicles = {cls.index for cls in imagenet_classes() if cls.category == "vehicle"}
    assert rows_with("vehicle") == vehicles | {657, 744}  # missiles are weapons, and rockets vehicles
    assert rows_with("food") <= {cls.index for cls in imagenet_classes() if cls.category == "food"}
    assert not rows_with("truck") & {656, 734}  # a minivan and a police van are no trucks
    assert "alcohol" not in terms_of(968)  # "cup" is a punch in WordNet; its photos are cups
    assert "alcohol" not in terms_of(969)  # eggnog
    assert "hedgehog" not in terms_of(334)  # a WordNet lemma of porcupine, but another animal
    assert "building" not in terms_of(598)  # home theater: a living-room TV, not a theatre


def test_terms_go_from_specific_to_general():
    for index, before, after in [(281, "cat", "animal"), (207, "dog", "animal"), (80, "bird", "animal")]:
        terms = terms_of(index)
        assert terms.index(before) < terms.index(after)


# --- reading the shipped file ------------------------------------------------------------------------


def test_the_table_is_read_through_the_package_resources_once():
    assert imagenet_classes() is imagenet_classes()
    shipped = resources.files("imgsearch.describers.local.vision").joinpath("imagenet_classes.tsv")
    assert shipped.is_file()
    assert parse_table(shipped.read_text(encoding="utf-8").splitlines()) == imagenet_classes()


def test_the_tsv_names_its_sources():
    head = "".join(
        line for line in TSV.read_text(encoding="utf-8").splitlines(True)[:6] if line.startswith("#")
    )
    assert "timm" in head and "imagenet_synsets.txt" in head and "WordNet" in head
    assert "build_imagenet_terms.py" in head


def test_the_tsv_is_package_data():
    # Without a package-data entry a wheel install would not carry the table.
    config = tomllib.loads((ROOT / "shared/pyproject.toml").read_text(encoding="utf-8"))
    patterns = config["tool"]["setuptools"]["package-data"]["imgsearch"]
    relative = "describers/local/vision/imagenet_classes.tsv"
    assert any(fnmatch.fnmatch(relative, pattern) for pattern in patterns), patterns


def test_parse_table_rejects_a_broken_table():
    header = "index\twnid\tname\tsynonyms\tterms\tcategory"
    with pytest.raises(ValueError, match="header"):
        parse_table(["index\twnid"])
    with pytest.raises(ValueError, match="index"):
        parse_table([header, "1\tn00000001\tx\t\tx\tother"])
    with pytest.raises(ValueError, match="category"):
        parse_table([header, "0\tn00000001\tx\t\tx\tgadget"])
    assert parse_table(["# a comment", header, "0\tn00000001\tx\ty|z\tx|w\tother"])[0].synonyms == ("y", "z")


# --- everyday_terms -----------------------------------------------------------------------------------


def test_everyday_terms_sum_mass_across_classes():
    classes = imagenet_classes()
    breeds = [(classes[index], 0.1) for index in (207, 208, 235, 250, 254)]  # five dog breeds
    terms = dict(everyday_terms(breeds))
    assert terms["dog"] == pytest.approx(0.5)
    assert terms["pet"] == pytest.approx(0.5)
    assert terms["golden retriever"] == pytest.approx(0.1)
    ranked = [term for term, _ in everyday_terms(breeds)]
    assert ranked[:3] == ["dog", "pet", "animal"]  # ties keep the specific word first


def test_everyday_terms_sorted_and_thresholded():
    classes = imagenet_classes()
    mixed = [(classes[281], 0.4), (classes[282], 0.3), (classes[207], 0.2), (classes[963], 0.02)]
    result = everyday_terms(mixed)
    sums = [total for _, total in result]
    assert sums == sorted(sums, reverse=True)
    terms = dict(result)
    assert terms["cat"] == pytest.approx(0.7)
    assert terms["animal"] == pytest.approx(0.9)
    assert terms["pet"] == pytest.approx(0.9)
    assert "pizza" not in terms  # 0.02 is under the default min_share
    assert "pizza" in dict(everyday_terms(mixed, min_share=0.01))
    assert result[0][0] in ("animal", "pet")


def test_everyday_terms_counts_a_class_once_and_ignores_zero():
    cls = ImageNetClass(0, "n00000001", "thing", (), ("Thing", "thing", "object"), "other")
    assert everyday_terms([(cls, 0.5), (cls, 0.0)]) == [("Thing", 0.5), ("object", 0.5)]
    assert everyday_terms([]) == []


# --- with_article ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("phrase", "expected"),
    [
        ("cat", "a cat"),
        ("animal", "an animal"),
        ("espresso", "an espresso"),
        ("unicorn", "a unicorn"),
        ("umbrella", "an umbrella"),
        ("uniform", "a uniform"),
        ("hour", "an hour"),
        ("hourglass", "an hourglass"),
        ("honeycomb", "a honeycomb"),
        ("European fire salamander", "a European fire salamander"),
        ("Egyptian cat", "an Egyptian cat"),
        ("one-piece swimsuit", "a one-piece swimsuit"),
        ("ewer", "a ewer"),
        ("ATM", "an ATM"),
        ("RV", "an RV"),
        ("TV", "a TV"),
        ("MP3 player", "an MP3 player"),
        ("T-shirt", "a T-shirt"),
        ("iPod", "an iPod"),
        ("ear of corn", "an ear of corn"),
        ("bird of prey", "a bird of prey"),
        ("mortar and pestle", "a mortar and pestle"),
        ("coffee", "coffee"),
        ("food", "food"),
        ("water", "water"),
        ("clothing", "clothing"),
        ("furniture", "furniture"),
        ("red wine", "red wine"),
        ("ice cream", "ice cream"),
        ("corn on the cob", "corn on the cob"),
        ("kitchenware", "kitchenware"),
        ("footwear", "footwear"),
        ("electronics", "electronics"),
        ("jeans", "jeans"),
        ("sunglasses", "sunglasses"),
        ("swimming trunks", "swimming trunks"),
        ("glass", "a glass"),
        ("bus", "a bus"),
        ("hippopotamus", "a hippopotamus"),
        ("iris", "an iris"),
        ("lens", "a lens"),
        ("triceratops", "a triceratops"),
        ("coffee mug", "a coffee mug"),
        ("toilet paper", "toilet paper"),
        ("paper towel", "a paper towel"),
        ("an apple", "an apple"),
        ("", ""),
    ],
)
def test_with_article(phrase, expected):
    assert with_article(phrase) == expected


def test_with_article_reads_well_on_every_name():
    # Never "an" before a consonant letter except silent-h words and initialisms, never a doubled article.
    for cls in imagenet_classes():
        text = with_article(cls.name)
        assert not text.startswith(("a a ", "an an ", "a an ")), text
        if text.startswith("an ") and text[3].lower() not in "aeiou":
            assert text[3:].startswith(("hour", "RV", "MP3", "SLR", "X")), text
