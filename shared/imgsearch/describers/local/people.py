"""People in a photo, from the faces found in it, in the words people search with."""

from __future__ import annotations

from typing import Any

# A face this large (share of the photo's area) makes the photo a portrait or a selfie.
PORTRAIT_FACE_SHARE = 0.02
NUMBERS = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")


def people_details(faces: list[Any], size: tuple[int, int]) -> dict[str, Any]:
    """The count and the boxes, for the image's details (and the people filter)."""
    return {
        "count": len(faces),
        "portrait": is_portrait(faces, size),
        "faces": [[*map(int, f.box), round(float(f.score), 3)] for f in faces],
    }


def people_sentence(faces: list[Any], size: tuple[int, int]) -> str:
    """'1 person, a portrait (…)', '2 people (…)', 'A group of 6 people (…)'; '' for none.

    Nothing is said of a photo without faces: "no people" would make it match a search for people.
    """
    count = len(faces)
    if count == 0:
        return ""
    if count == 1:
        if is_portrait(faces, size):
            return "1 person, a portrait (one person, a selfie or close-up of a face)."
        return "1 person (one person)."
    # "persons" too, so that a search for a person finds photos of several people as well.
    word = NUMBERS[count] if count < len(NUMBERS) else str(count)
    if count == 2:
        return "2 people (two people, two persons)."
    return f"A group of {count} people ({word} people, {word} persons, a group photo)."


def is_portrait(faces: list[Any], size: tuple[int, int]) -> bool:
    width, height = size
    if len(faces) != 1 or not width or not height:
        return False
    _, _, w, h = faces[0].box
    return (w * h) / (width * height) >= PORTRAIT_FACE_SHARE
