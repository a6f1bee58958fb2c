"""The local describer: colours named in everyday words, visible text read by tesseract."""

import logging
import shutil

import pytest
from PIL import Image

from imgsearch.describers.local import LocalDescriber
from imgsearch.describers.local.colours import colour_sentence, dominant_colours, name_of
from imgsearch.describers.local.ocr import TesseractOCR
from photos import photo


@pytest.mark.parametrize(
    ("rgb", "name"),
    [
        ((200, 30, 30), "red"),
        ((20, 30, 90), "navy blue"),
        ((30, 35, 60), "navy blue"),  # a dark uniform: dim, but blue
        ((128, 128, 128), "grey"),
        ((250, 250, 250), "white"),
        ((10, 10, 12), "black"),
        ((40, 160, 40), "green"),
        ((60, 90, 40), "green"),  # sunlit foliage (was "dark grey")
        ((30, 50, 25), "dark green"),  # foliage in shade
        ((230, 114, 76), "orange"),  # a spacesuit's orange (was "red")
        ((255, 128, 0), "orange"),
        ((110, 160, 220), "blue"),  # a clear sky (was never named)
        ((211, 228, 254), "light blue"),  # a pale sky
        ((245, 215, 40), "yellow"),
        ((120, 70, 35), "brown"),
        ((255, 192, 203), "pink"),
        ((128, 0, 128), "purple"),
        ((0, 128, 128), "teal"),
    ],
)
def test_colours_get_the_names_people_search_with(rgb, name):
    assert name_of(rgb) == name


def test_dominant_colours_are_ranked_by_weighted_area():
    image = Image.new("RGB", (100, 100), (200, 30, 30))
    image.paste((128, 128, 128), (0, 0, 100, 30))
    colours = dominant_colours(image)
    assert [c.name for c in colours] == ["red", "grey"]
    assert [c.basic for c in colours] == ["red", "grey"]
    assert colours[0].share > 0.7  # the red is colourful and holds the centre: it counts for more
    assert colour_sentence(colours) == "Colours: mostly red, with grey."


def test_a_colourful_subject_outweighs_a_larger_plain_background():
    image = Image.new("RGB", (120, 120), (150, 150, 150))
    image.paste((235, 110, 40), (40, 40, 80, 80))  # a small orange thing in the middle
    names = [c.name for c in dominant_colours(image)]
    assert names[:2] == ["grey", "orange"]
    orange = next(c for c in dominant_colours(image) if c.name == "orange")
    assert orange.share > 2 * (40 * 40) / (120 * 120)  # far more than its share of the pixels


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
    assert "Colours:" in first.text


def test_tesseract_installed_while_running_is_picked_up(tmp_path, monkeypatch, caplog):
    from imgsearch.describers.local import ocr

    monkeypatch.setattr(ocr, "LOOK_AGAIN_S", 0.0)
    monkeypatch.setenv("PATH", str(tmp_path))
    reader = ocr.TesseractOCR("tesseract")
    with caplog.at_level(logging.WARNING):
        assert reader.warn_if_missing()
        fake = tmp_path / "tesseract"  # "installed" now: a stand-in that reads nothing
        fake.write_text("#!/bin/sh\necho 'level\tpage_num\tblock_num\tpar_num\tline_num'\n")
        fake.chmod(0o755)
        assert reader.available
    messages = [r.getMessage() for r in caplog.records]
    assert any("OCR is off" in m and "without a restart" in m for m in messages)
    assert any("OCR is on now" in m and "imgsearch redescribe --all" in m for m in messages)
    assert reader.read_text(Image.new("RGB", (50, 50))) == ""
