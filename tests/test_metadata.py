"""Every embedded signal a photo carries is read, and a photo without them still works."""

import io

import pytest
from PIL import Image

from imgsearch.metadata import caption_sentences, extract_facts, fact_sentences
from photos import photo


@pytest.mark.parametrize(
    ("signal", "expected"),
    [
        ({"caption": "a grey cat asleep on a red sofa"}, "a grey cat asleep on a red sofa"),
        ({"user_comment": "grandma's birthday cake"}, "grandma's birthday cake"),
        ({"xmp_description": "sunset over the harbour"}, "sunset over the harbour"),
        ({"iptc_caption": "Hardware store receipt"}, "Hardware store receipt"),
    ],
)
def test_captions_are_used_verbatim(signal, expected):
    facts = extract_facts(photo(**signal))
    assert facts["captions"] == [expected]
    assert caption_sentences(facts)[0].rstrip(".") == expected


def test_keywords_from_xmp_and_iptc_are_merged_without_repeats():
    facts = extract_facts(photo(xmp_subjects=["beach", "kids"], iptc_keywords=["Kids", "summer"]))
    assert facts["keywords"] == ["beach", "kids", "summer"]
    assert "Keywords: beach, kids, summer." in caption_sentences(facts)


def test_camera_lens_date_and_gps():
    facts = extract_facts(
        photo(
            make="Canon",
            model="Canon EOS R6",
            lens="RF24-105mm F4 L IS USM",
            taken="2025:06:14 15:04:00",
            gps=(51.5007, -0.1246),
        )
    )
    assert facts["camera_model"] == "Canon EOS R6"
    assert "camera_make" not in facts  # the model already names the maker
    assert facts["lens"] == "RF24-105mm F4 L IS USM"
    assert facts["taken_at"] == "2025-06-14T15:04:00"
    assert facts["gps"] == pytest.approx({"latitude": 51.5007, "longitude": -0.1246}, abs=1e-4)
    text = " ".join(fact_sentences(facts))
    assert "Taken on Saturday 14 June 2025 at 15:04, in the afternoon." in text
    assert "Camera: Canon EOS R6, lens RF24-105mm F4 L IS USM." in text
    assert "51.50070° N, 0.12460° W" in text


def test_orientation_and_size_follow_the_exif_rotation():
    image = Image.new("RGB", (600, 400), (10, 10, 10))
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90°: the camera was held upright
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    facts = extract_facts(out.getvalue())
    assert (facts["width"], facts["height"], facts["orientation"]) == (400, 600, "portrait")
    assert "Portrait photo, 400 × 600 pixels." in fact_sentences(facts)


def test_camera_placeholder_captions_are_ignored():
    facts = extract_facts(photo(caption="OLYMPUS DIGITAL CAMERA"))
    assert "captions" not in facts


def test_png_text_chunks_are_captions():
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    info.add_text("Description", "whiteboard with the sprint plan")
    out = io.BytesIO()
    Image.new("RGB", (50, 40), "white").save(out, "PNG", pnginfo=info)
    assert extract_facts(out.getvalue())["captions"] == ["whiteboard with the sprint plan"]


def test_a_photo_with_no_metadata_has_only_its_shape():
    facts = extract_facts(photo(fmt="PNG"))
    assert set(facts) == {"format", "width", "height", "orientation"}


@pytest.mark.parametrize(
    "stamp",
    [
        "File written by Adobe Photoshop? 5.0",
        "CREATOR: gd-jpeg v1.0 (using IJG JPEG v62), quality = 90",
        "Created with GIMP",
        "cmp3.10.3.2Lq3 0x756ffbf7",
        "File source: http://commons.wikimedia.org/wiki/File:Example.jpg",
        "IMG_2041",
    ],
)
def test_encoder_signatures_links_and_codes_are_not_captions(stamp):
    data = photo(caption=stamp)
    assert extract_facts(data).get("captions", []) == []


@pytest.mark.parametrize(
    "caption",
    ["Made in Italy sign on a shop", "Receipt 42.17 EUR", "Kids at the beach, 2019", "Saved in Rome"],
)
def test_captions_people_wrote_are_kept(caption):
    assert extract_facts(photo(caption=caption))["captions"] == [caption]


@pytest.mark.parametrize(
    ("size", "orientation"),
    [((371, 370), "square"), ((400, 400), "square"), ((451, 300), "landscape"), ((300, 451), "portrait")],
)
def test_near_square_photos_are_square(size, orientation):
    facts = extract_facts(photo(size=size))
    assert facts["orientation"] == orientation
    assert f"{orientation.capitalize()} photo" in fact_sentences(facts)[-1]
