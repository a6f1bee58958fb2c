"""The local describer: colours named in everyday words, visible text read by tesseract."""

import logging
import shutil

import pytest
from PIL import Image

from imgsearch.describers.local import LocalDescriber
from imgsearch.describers.local.colours import colour_sentence, dominant_colours, nearest_name
from imgsearch.describers.local.ocr import TesseractOCR
from photos import photo


@pytest.mark.parametrize(
    ("rgb", "name"),
    [
        ((200, 30, 30), "red"),
        ((20, 30, 90), "navy blue"),
        ((128, 128, 128), "grey"),
        ((250, 250, 250), "white"),
        ((40, 160, 40), "green"),
        ((245, 215, 40), "yellow"),
        ((120, 70, 35), "brown"),
    ],
)
def test_colours_get_the_names_people_search_with(rgb, name):
    assert nearest_name(rgb) == name


def test_dominant_colours_are_ranked_by_area():
    image = Image.new("RGB", (100, 100), (200, 30, 30))
    image.paste((128, 128, 128), (0, 0, 100, 30))
    colours = dominant_colours(image)
    assert [name for name, _ in colours] == ["red", "grey"]
    assert colours[0][1] == pytest.approx(0.7, abs=0.05)
    assert colour_sentence(colours) == "Colours: mostly red, with grey."


@pytest.mark.ocr
@pytest.mark.skipif(shutil.which("tesseract") is None, reason="tesseract-ocr is not installed")
def test_visible_text_is_read():
    data = photo(size=(900, 600), text="ACME HARDWARE TOTAL 42.17")
    description = LocalDescriber(TesseractOCR()).describe(data, {})
    assert "ACME" in description.details["text"]
    assert "HARDWARE" in description.details["text"]
    assert "Text in the photo: ACME HARDWARE" in description.text


def test_missing_tesseract_is_said_once_and_description_carries_on(caplog):
    describer = LocalDescriber(TesseractOCR("no-such-tesseract-binary"))
    with caplog.at_level(logging.WARNING):
        first = describer.describe(photo(text="HELLO"), {})
        second = describer.describe(photo(text="HELLO", seed=3), {})
    warnings = [r for r in caplog.records if "OCR is off" in r.getMessage()]
    assert len(warnings) == 1
    assert "text" not in first.details and "text" not in second.details
    assert first.text.startswith("Colours:")
