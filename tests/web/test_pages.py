"""The HTML pages over the real pipeline: upload form, gallery, search, one image, its files."""

from __future__ import annotations

import io
import re

from PIL import Image

from imgsearch_web.templating import highlight
from photos import photo

from .samples import KITTEN_QUERY


def gallery_filenames(html: str) -> list[str]:
    """The photos in a grid (gallery or results), in order, by the label of their selection box."""
    return re.findall(r'class="tile-select"[^>]*aria-label="Select ([^"]+)"', html)


result_filenames = gallery_filenames


def tile_statuses(html: str) -> dict[str, str]:
    """Each tile's status, and the note shown on it (empty when none is shown)."""
    tiles = re.findall(r'<li class="tile .*?</li>', html, re.S)
    out = {}
    for tile in tiles:
        name = re.search(r'aria-label="Select ([^"]+)"', tile).group(1)
        note = re.search(r'<span class="tile-status[^"]*" data-role="status"( hidden)?[^>]*>([^<]*)<', tile)
        out[name] = "" if note.group(1) else note.group(2)
    return out


def test_upload_page_takes_many_images_and_labels_its_input(client):
    html = client.get("/upload").text

    assert re.search(
        r'<input id="files" class="file-input" name="files" type="file" multiple accept="image/\*"', html
    )
    assert '<label for="files"' in html
    assert 'data-mode="local"' in html
    assert 'action="/upload" method="post" enctype="multipart/form-data"' in html
    assert '<input id="site-search" type="search" name="q"' in html  # the search box on every page


def test_upload_form_accepts_a_batch_and_explains_the_bad_file(
    post_files, worker, client, cat_jpeg, bike_png
):
    response = post_files(
        ("cat.jpg", cat_jpeg), ("notes.txt", b"not an image"), ("bike.png", bike_png), url="/upload"
    )

    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    page = client.get("/").text
    assert "2 photos added." in page
    assert "notes.txt: not an image (its contents are not a format we can read)" in page
    assert gallery_filenames(page) == ["bike.png", "cat.jpg"]

    assert worker.join(timeout=30)
    page = client.get("/").text
    assert tile_statuses(page) == {"bike.png": "", "cat.jpg": ""}  # indexed: no note on the photo
    # The alt text is what the photo shows, from its description.
    assert re.search(
        r'<img src="/images/[0-9a-f]{32}/thumbnail" alt="A grey cat asleep on a red sofa\.', page
    )


def test_upload_form_with_only_bad_files_goes_back_to_the_form(post_files, client):
    response = post_files(("notes.txt", b"not an image"), url="/upload", follow_redirects=True)

    assert response.request.path == "/upload"
    assert "notes.txt: not an image" in response.text
    assert "photos added" not in response.text


def test_gallery_is_newest_first_with_pages(indexed, client, cat_jpeg, bike_png, boat_jpeg):
    indexed(("cat.jpg", cat_jpeg), ("bike.png", bike_png), ("boat.jpg", boat_jpeg))

    first = client.get("/").text
    second = client.get("/?page=2").text

    assert gallery_filenames(first) == ["boat.jpg", "bike.png"]
    assert gallery_filenames(second) == ["cat.jpg"]
    assert 'rel="next" href="/?page=2">Older →' in first and "Newer" not in first
    assert 'rel="prev" href="/?page=1">← Newer' in second
    assert "Page 2 of 2" in second
    assert gallery_filenames(client.get("/?page=99").text) == ["cat.jpg"]


def test_gallery_shows_pending_images_and_polls_for_them(make_app, client_for, cat_jpeg):
    app = make_app({"START_WORKER": False})
    client = client_for(app)
    image_id = client.post("/api/images", data={"files": [(io.BytesIO(cat_jpeg), "cat.jpg")]}).json["files"][
        0
    ]["id"]

    page = client.get("/").text

    assert f'data-image-id="{image_id}" data-status="pending"' in page
    assert 'data-images-url="/api/images"' in page  # where app.js asks for fresh statuses
    assert tile_statuses(page) == {"cat.jpg": "waiting to be described"}
    assert "1 being described" in page
    assert client.get(f"/images/{image_id}/thumbnail").status_code == 404


def test_search_page_ranks_the_cat_first(indexed, client, cat_jpeg, bike_png, boat_jpeg):
    indexed(("cat.jpg", cat_jpeg), ("bike.png", bike_png), ("boat.jpg", boat_jpeg))

    response = client.get("/search", query_string={"q": KITTEN_QUERY})

    assert response.status_code == 200
    assert result_filenames(response.text)[0] == "cat.jpg"
    assert "Results for “kitten napping on the couch”" in response.text
    assert re.search(r'<span class="score"[^>]*>0\.\d\d</span>', response.text)
    assert 'value="kitten napping on the couch"' in response.text  # the query stays in the box


def test_search_page_marks_the_query_words_in_the_snippet(indexed, client, cat_jpeg):
    indexed(("cat.jpg", cat_jpeg))

    html = client.get("/search", query_string={"q": "grey cats on the sofa"}).text

    assert "a <mark>grey</mark> <mark>cat</mark> asleep on a red <mark>sofa</mark>." in html


def test_highlighting_escapes_before_marking():
    marked = highlight('<b>cat</b> & "dog" & amp', "cat amp the")
    assert str(marked) == "&lt;b&gt;<mark>cat</mark>&lt;/b&gt; &amp; &#34;dog&#34; &amp; <mark>amp</mark>"
    assert str(highlight("on the sofa", "on the")) == "on the sofa"


def test_model_text_is_escaped_on_every_page(indexed, client):
    caption = '<img src=x onerror="alert(1)"> a cat'
    ids = indexed(("<em>odd.jpg", photo(caption=caption, seed=3)))
    image_id = next(iter(ids.values()))

    for path in ("/", f"/images/{image_id}", "/search?q=cat"):
        html = client.get(path).text
        assert "<img src=x" not in html and "<em>odd" not in html, path
        assert "&lt;em&gt;odd.jpg" in html, path


def test_empty_search_answers_400_with_a_hint(client):
    response = client.get("/search?q=+")
    assert response.status_code == 400
    assert "Type a few words" in response.text


def test_image_page_shows_the_description_and_the_metadata(indexed, client):
    data = photo(
        caption="a lighthouse at dusk",
        make="Canon",
        model="Canon EOS R6",
        lens="RF24-105mm F4 L IS USM",
        taken="2023:07:14 20:45:10",
        gps=(48.858, 2.2945),
    )
    image_id = indexed(("lighthouse.jpg", data))["lighthouse.jpg"]

    html = client.get(f"/images/{image_id}").text

    assert "<p>a lighthouse at dusk.</p>" in html
    assert re.search(r'data-role="status" hidden>ready to search<', html)
    for label, value in [
        ("Camera", "Canon EOS R6"),
        ("Lens", "RF24-105mm F4 L IS USM"),
        ("Taken", "14 Jul 2023, 20:45"),
        ("Size", "640 × 480 pixels"),
        ("Orientation", "landscape"),
    ]:
        assert re.search(rf'<th scope="row">{label}</th><td>{re.escape(value)}', html), label
    assert "48.85800, 2.29450" in html
    assert f'action="/images/{image_id}/delete"' in html and "data-confirm=" in html
    assert "Retry" not in html
    assert "Taken 14 Jul 2023, 20:45" in html


def test_a_failed_image_shows_its_error_and_can_be_retried(client, worker, failed_image, cat_jpeg):
    image, restore = failed_image(cat_jpeg, "cat.jpg")

    html = client.get(f"/images/{image.id}").text
    assert re.search(r'data-role="status"\s*>failed<', html)
    assert "FileNotFoundError" in html
    assert f'<form method="post" action="/images/{image.id}/retry" data-action="retry">' in html

    restore()
    response = client.post(f"/images/{image.id}/retry")
    assert response.status_code == 302
    assert worker.join(timeout=30)

    html = client.get(f"/images/{image.id}").text
    assert "cat.jpg: processing again." in html
    assert re.search(r'data-role="status" hidden>ready to search<', html)
    assert "Retry" not in html


def test_describe_again_from_the_image_page(indexed, client, worker, cat_jpeg):
    image_id = indexed(("cat.jpg", cat_jpeg))["cat.jpg"]
    page = client.get(f"/images/{image_id}").get_data(as_text=True)
    assert f'action="/images/{image_id}/redescribe"' in page and "Describe again" in page

    response = client.post(f"/images/{image_id}/redescribe", follow_redirects=True)

    assert "Describing cat.jpg again" in response.get_data(as_text=True)
    assert worker.join(timeout=30)
    assert client.get(f"/api/images/{image_id}").json["status"] == "indexed"


def test_the_local_server_logs_each_request_without_its_query(app, client, caplog):
    import logging

    from werkzeug.test import Client

    from imgsearch_web.serving import AccessLog

    with caplog.at_level(logging.INFO, logger="imgsearch.web"):
        Client(AccessLog(app)).get("/search?q=private+words", environ_base=client.environ_base)
    line = next(r.getMessage() for r in caplog.records if r.name == "imgsearch.web")
    assert line.startswith("GET /search 200 ")
    assert "private" not in line


def test_delete_from_the_image_page_asks_first(indexed, client, cat_jpeg, bike_png):
    ids = indexed(("cat.jpg", cat_jpeg), ("bike.png", bike_png))

    # Without its script (which asks in a dialog), the page asks on a page of its own.
    asked = client.post(f"/images/{ids['cat.jpg']}/delete")
    assert asked.status_code == 200
    assert "Delete cat.jpg?" in asked.text and "This cannot be undone" in asked.text
    assert '<input type="hidden" name="confirm" value="yes">' in asked.text
    assert client.get(f"/images/{ids['cat.jpg']}").status_code == 200

    response = client.post(f"/images/{ids['cat.jpg']}/delete", data={"confirm": "yes"}, follow_redirects=True)

    assert response.request.path == "/"
    assert "Deleted cat.jpg." in response.text
    assert gallery_filenames(response.text) == ["bike.png"]
    assert client.get(f"/images/{ids['cat.jpg']}").status_code == 404
    assert "cat.jpg" not in result_filenames(client.get("/search", query_string={"q": KITTEN_QUERY}).text)
    assert client.post(f"/images/{ids['cat.jpg']}/delete", data={"confirm": "yes"}).status_code == 404


def test_thumbnail_and_original_are_served_with_their_types(indexed, client, web_settings, bike_png):
    image_id = indexed(("bike.png", bike_png))["bike.png"]

    thumb = client.get(f"/images/{image_id}/thumbnail")
    original = client.get(f"/images/{image_id}/original")

    assert thumb.status_code == 200 and thumb.mimetype == "image/jpeg"
    with Image.open(io.BytesIO(thumb.data)) as small:
        assert small.format == "JPEG"
        assert max(small.size) <= web_settings.thumbnail_px
    assert original.mimetype == "image/png"
    assert original.data == bike_png
    assert original.headers["Content-Disposition"] == "inline; filename=bike.png"
    for response in (thumb, original):
        assert response.headers["Cache-Control"] == "private, max-age=31536000, immutable"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
    again = client.get(f"/images/{image_id}/thumbnail", headers={"If-None-Match": thumb.headers["ETag"]})
    assert again.status_code == 304


def test_unknown_image_pages_are_404(client):
    for path in ("/images/nope", "/images/nope/thumbnail", "/images/nope/original"):
        response = client.get(path)
        assert response.status_code == 404
        assert "No image with id nope." in response.text


def test_an_oversize_upload_gets_a_clear_413_page(make_app, web_settings):
    app = make_app(settings=web_settings.with_overrides(max_upload_mb=0.05))
    too_big = b"x" * (app.config["MAX_CONTENT_LENGTH"] + 1)

    response = app.test_client().post("/upload", data={"files": [(io.BytesIO(too_big), "big.jpg")]})

    assert response.status_code == 413
    assert "The upload is too large" in response.text
    assert "Send fewer photos at a time." in response.text


def test_pages_carry_a_content_security_policy(client):
    policy = client.get("/").headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy
