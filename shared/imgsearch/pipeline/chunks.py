"""Splitting a description into the pieces that get a vector each."""

from __future__ import annotations

import re

MAX_CHUNKS = 16


def description_chunks(text: str, max_chars: int) -> list[str]:
    """Chunk 0 is the whole description (cut at max_chars); then one chunk per line, long lines split.

    Scoring an image by its best chunk lets one strong line (a caption, the visible text) win
    without the rest of the description diluting it, and names the part of it that matched.
    """
    lines = searchable_lines(text)
    if not lines:
        return []
    text = "\n".join(lines)
    chunks = [_cut(text.replace("\n", " "), max_chars)]
    if len(lines) > 1 or len(text) > max_chars:
        for line in lines:
            chunks.extend(_split(line, max_chars))
    return chunks[:MAX_CHUNKS]


def searchable_lines(text: str) -> list[str]:
    """The description's lines worth searching: all but the ones that only say something is absent.

    "No people." or "No visible text." would make every photo without people match a search for
    people (an embedding does not understand "no", and a keyword match sees "people").
    """
    return [
        line
        for line in (raw.strip() for raw in (text or "").splitlines())
        if line and not _ABSENT.match(line)
    ]


_ABSENT = re.compile(
    r"^(?:there (?:is|are) )?no(?:t any)? (?:visible )?"
    r"(?:people|persons?|humans?|one|faces?|text|writing|words|lettering|signs?)"
    r"(?: (?:is|are) )?(?: ?(?:visible|shown|present|in the (?:photo|image|picture)))?\.?$",
    re.IGNORECASE,
)


def _split(line: str, max_chars: int) -> list[str]:
    if len(line) <= max_chars:
        return [line]
    pieces: list[str] = []
    current = ""
    for sentence in re.split(r"(?<=[.!?])\s+", line):
        while len(sentence) > max_chars:
            head = _cut(sentence, max_chars)
            pieces.append(head)
            sentence = sentence[len(head) :].strip()
        if current and len(current) + 1 + len(sentence) > max_chars:
            pieces.append(current)
            current = sentence
        else:
            current = f"{current} {sentence}".strip()
    if current:
        pieces.append(current)
    return pieces


def _cut(text: str, max_chars: int) -> str:
    if len(text) <= max_chars:
        return text
    cut = text[:max_chars]
    space = cut.rfind(" ")
    return cut[:space] if space > max_chars // 2 else cut
