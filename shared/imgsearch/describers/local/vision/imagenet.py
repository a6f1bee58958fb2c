"""The 1000 ImageNet-1k classes with the everyday words people search by, from imagenet_classes.tsv.

The table ships inside the package (never downloaded at run time). Its class order is the standard
ImageNet-1k one (torchvision, timm, Keras: the sorted WordNet ids). The ids and lemmas come from timm
1.0.31's wheel (`timm/data/_info/imagenet_synsets.txt` and `imagenet_synset_to_lemma.txt`, Apache-2.0;
the lemmas are Princeton WordNet 3.0's), the `terms` and `category` from WordNet 3.0's noun hypernyms
plus a hand-reviewed override table; `scripts/build_imagenet_terms.py` rebuilds it.

Columns: `name` is the label people would say ("taxi" rather than "cab"), `synonyms` the synset's
other WordNet lemmas (complete, so some are rare or ambiguous: prefer `terms` for matching),
`terms` the words to search by, most specific first ("tabby cat", "cat", "pet", "animal").

Every class has exactly one category:
- animal: mammals, birds, fish, reptiles, amphibians, insects and other invertebrates (0-397).
- plant: flowers, fungi, seeds and other plant parts, crops in the field, hay.
- food: dishes, fruit, vegetables, bread, desserts (solid food).
- drink: beverages, and the bottles and glasses photographed with them (beer, wine, soda).
- person: the three classes that are people (baseball player, groom, scuba diver).
- vehicle: cars, trucks, buses, trains, bicycles, boats, aircraft, spacecraft, sleds, carts.
- building: buildings, shops, and other built structures (bridges, towers, fences, monuments, docks).
- landscape: natural scenes (mountain, cliff, valley, volcano, seashore, lakeside, coral reef...).
- clothing: garments, footwear, headwear, and what is worn or carried on the person (bags, jewellery,
  glasses, watches, masks).
- furniture: chairs, tables, beds, sofas, cabinets, shelves.
- electronics: computers, phones, screens, cameras, audio and other electronic devices.
- instrument: musical instruments and their accessories (plectrum, drumstick).
- sport: sports, games and outdoor gear (balls, rackets, gym apparatus, skis, tents).
- tool: hand and power tools, farm machines, measuring and optical instruments, hardware.
- weapon: guns, bows, cannons, missiles, and armour.
- household: things at home or in the office: kitchenware, containers, appliances, toiletries,
  linen, lamps, clocks, stationery, toys.
- other: everything else (signs, traffic lights, car parts, medical gear, web sites, bubbles...).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources

CATEGORIES: tuple[str, ...] = (
    "animal",
    "plant",
    "food",
    "drink",
    "person",
    "vehicle",
    "building",
    "landscape",
    "clothing",
    "furniture",
    "electronics",
    "instrument",
    "sport",
    "tool",
    "weapon",
    "household",
    "other",
)
TSV_NAME = "imagenet_classes.tsv"
COLUMNS = ("index", "wnid", "name", "synonyms", "terms", "category")
# A term shared by classes that together hold less probability than this is noise, not a finding.
MIN_SHARE = 0.1


@dataclass(frozen=True)
class ImageNetClass:
    """One ImageNet-1k class: its index in the classifier's output, WordNet id, and search words."""

    index: int
    wnid: str
    name: str
    synonyms: tuple[str, ...]
    terms: tuple[str, ...]
    category: str


@functools.cache
def imagenet_classes() -> tuple[ImageNetClass, ...]:
    """All 1000 classes in index order, read once from the TSV shipped in this package."""
    text = resources.files(__package__).joinpath(TSV_NAME).read_text(encoding="utf-8")
    return parse_table(text.splitlines())


def parse_table(lines: Iterable[str]) -> tuple[ImageNetClass, ...]:
    """Parse the TSV's lines ("#" comments, a header, then one row per class in index order)."""
    rows = [line.rstrip("\n").split("\t") for line in lines if line.strip() and not line.startswith("#")]
    if not rows or tuple(rows[0]) != COLUMNS:
        raise ValueError(f"{TSV_NAME}: the header must be {' '.join(COLUMNS)}")
    classes = []
    for position, row in enumerate(rows[1:]):
        if len(row) != len(COLUMNS):
            raise ValueError(f"{TSV_NAME}: row {position} has {len(row)} columns, not {len(COLUMNS)}")
        index, wnid, name, synonyms, terms, category = row
        if int(index) != position:
            raise ValueError(f"{TSV_NAME}: row {position} says index {index}")
        if category not in CATEGORIES:
            raise ValueError(f"{TSV_NAME}: class {index} has unknown category {category!r}")
        classes.append(
            ImageNetClass(
                index=int(index),
                wnid=wnid,
                name=name,
                synonyms=tuple(word for word in synonyms.split("|") if word),
                terms=tuple(word for word in terms.split("|") if word),
                category=category,
            )
        )
    return tuple(classes)


def everyday_terms(
    classes_and_probs: list[tuple[ImageNetClass, float]], min_share: float = MIN_SHARE
) -> list[tuple[str, float]]:
    """Each term's probability summed over the classes carrying it: (term, sum) >= min_share, best first."""
    # Five dog breeds at 0.1 each make "dog" 0.5 though no breed is sure: that is the point of the terms.
    totals: dict[str, float] = {}
    spelling: dict[str, str] = {}
    for cls, prob in classes_and_probs:
        if prob <= 0:
            continue
        seen: set[str] = set()
        for term in cls.terms:
            key = term.lower()
            if key in seen:  # a class counts once towards each term
                continue
            seen.add(key)
            spelling.setdefault(key, term)
            totals[key] = totals.get(key, 0.0) + prob
    # Stable sort: equal sums keep first-seen order, so "dog" stays ahead of "pet" and "animal".
    ranked = sorted(totals.items(), key=lambda item: -item[1])
    return [(spelling[key], total) for key, total in ranked if total >= min_share]


def _word_set(text: str) -> frozenset[str]:
    """A comma-separated list of words and phrases as a set (the lists below read better as text)."""
    return frozenset(" ".join(word.split()) for word in text.split(",") if word.strip())


# Mass nouns, activities and words used without an article ("coffee", "food", "skiing", "underwater"),
# and plurals that do not end in -s. Matched against the phrase's head noun (or its last two words).
NO_ARTICLE = _word_set(
    """
    alcohol, american football, archery, armor, armour, artillery, asparagus, audio, baking, bedding,
    beekeeping, beer, beeswax, billiards, boxing, brass, bread, broccoli, broth, camping, canola,
    carbonara, cattle, cereal, chaos, chess, children, chocolate, christmas, clay, cleaning, clergy,
    clothing, coffee, consomme, construction, corn, croquet, denim, diving, dough, eggnog, energy,
    equipment, fabric, farming, feet, fishing, food, furniture, gambling, garbage, gear, geese, golf,
    graduation, grain, grass, guacamole, hair spray, hairspray, halloween, hay, heating, hockey, honey,
    hummus, ice cream, ink, internet, ironing, jewellery, jewelry, karting, knitting, laundry, lingerie,
    livestock, luggage, lumber, mail, maize, makeup, mashed potato, may day, meat, medical, medicine,
    men, mice, military, milk, money, motorsport, music, nature, navigation, oilseed rape, packaging,
    paint, paper, parachuting, parking, pasta, people, perfume, ping pong, police, pottery, poultry,
    powder, power, racing, rapeseed, rice, rugby, salt, sand, sauce, scenery, science, seafood, sewing,
    shopping, skiing, skydiving, snooker, snorkeling, snorkelling, snow, soccer, soup, space, spaghetti,
    spinning, stationery, steam, stew, sunscreen, swimming, syrup, table tennis, tea, teeth, tennis,
    timber, tobacco, toilet paper, traffic, trash, underwater, velvet, water, weightlifting, whiskey,
    wildlife, wine, women, wood, woodworking, wool, yarn
    """
)
MASS_SUFFIXES = ("ware", "wear", "ics")  # kitchenware, footwear, electronics
# Words ending in -s that are singular ("a lens"), and plurals ending in -is or -us ("skis").
SINGULAR_S = _word_set(
    """
    alias, atlas, bias, canvas, cosmos, gas, kudos, lens, longlegs, pancreas, patas, pyrenees, rhinoceros,
    series, species, triceratops
    """
)
PLURAL_S = _word_set("bikinis, emus, gnus, kiwis, menus, skis, taxis")
# Letters whose names start with a vowel sound, for initialisms read letter by letter ("an ATM").
VOWEL_SOUND_LETTERS = frozenset("AEFHILMNORSX")
# Vowel-letter starts read with a consonant sound ("a unicorn", "a European", "a one-piece").
CONSONANT_SOUND_STARTS = tuple(
    sorted(_word_set("eu, ewe, one, ubi, uku, uni, ura, ure, uri, use, usu, uten, uter, util, utop"))
)
# Consonant-letter starts read with a vowel sound ("an hour").
VOWEL_SOUND_STARTS = ("hour", "honest", "honor", "honour", "heir")
# The head noun of "ear of corn" or "mortar and pestle" is the part before these.
JOINTS = (" of ", " on ", " and ", " with ", " for ", " des ", " de ")


def with_article(phrase: str) -> str:
    """The phrase after "a" or "an", or bare for mass nouns and plurals ("coffee", "jeans")."""
    phrase = phrase.strip()
    if not phrase or phrase.split()[0].lower() in ("a", "an", "the", "some"):
        return phrase
    if takes_no_article(phrase):
        return phrase
    return f"{'an' if starts_with_vowel_sound(phrase) else 'a'} {phrase}"


def takes_no_article(phrase: str) -> bool:
    """Whether the phrase is a mass noun, an activity or a plural, judged by its head noun."""
    head = phrase.lower().replace("-", " ")
    for joint in JOINTS:
        head = head.split(joint)[0]
    words = head.split()
    if not words:
        return False
    last = words[-1].strip("'")
    if " ".join(words[-2:]) in NO_ARTICLE or last in NO_ARTICLE or last.endswith(MASS_SUFFIXES):
        return True
    if last in PLURAL_S:
        return True
    if not last.endswith("s") or last in SINGULAR_S:
        return False
    # -ss, -us and -is are mostly singular (glass, bus, iris); other -s endings mostly plural.
    return not last.endswith(("ss", "us", "is"))


def starts_with_vowel_sound(phrase: str) -> bool:
    """Whether the phrase's first word is spoken starting with a vowel sound (so takes "an")."""
    word = phrase.split()[0].split("-")[0]
    letters = "".join(ch for ch in word if ch.isalnum())
    if not letters:
        return False
    if letters[0].isdigit():  # "an 8-track", "an 11-piece", "an 18th-century"
        return letters.startswith("8") or (letters[:2] in ("11", "18") and not letters[2:3].isdigit())
    if letters.isupper():  # an initialism or a letter: "an ATM", "an RV", "a TV", "a T-shirt", "an X-ray"
        return letters[0] in VOWEL_SOUND_LETTERS
    lower = letters.lower()
    if lower.startswith(VOWEL_SOUND_STARTS):
        return True
    if lower.startswith(CONSONANT_SOUND_STARTS):
        return False
    return lower[0] in "aeiou"
