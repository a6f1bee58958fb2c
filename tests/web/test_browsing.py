"""The pages without their script: the gallery by month, a photo's neighbours, acting on several photos,
the first run and its sample photos, search chips and the "no photos match" state, CSRF fields."""

from __future__ import annotations

import re

import pytest

import imgsearch.samples
import real_photos
from imgsearch.models import Status
from photos import photo

from .test_pages import gallery_filenames


def month_headings(html: str) -> list[str]:
    return re.findall(r'<h2 class="month-heading"[^>]*>([^<]+)</h2>', html)


@pytest.fixture
def dated(indexed):
    """Photos taken in 2021 and 2023 and one with no date (grouped by the day it was added)."""
    return indexed(
        ("may-2021.jpg", photo(caption="a red kite over a field", taken="2021:05:02 10:00:00", seed=1)),
        ("undated.jpg", photo(caption="a blue door", seed=2)),
        ("march-2023.jpg", photo(caption="a bowl of soup", taken="2023:03:14 19:30:00", seed=3)),
        ("june-2021.jpg", photo(caption="a sandcastle", taken="2021:06:20 15:00:00", seed=4)),
    )


def test_the_gallery_is_grouped_by_month_taken_newest_first(client, dated):
    page = client.get("/").text
    # page_size is 2 in the web tests: the undated photo (added today) is newest, then March 2023.
    assert gallery_filenames(page) == ["undated.jpg", "march-2023.jpg"]
    assert month_headings(page)[1:] == ["March 2023"]
    second = client.get("/?page=2").text
    assert gallery_filenames(second) == ["june-2021.jpg", "may-2021.jpg"]
    assert month_headings(second) == ["June 2021", "May 2021"]
    # Each tile carries the photo's shape: 640 × 480 is 4:3, the class nearest 2^(3/8) = 1.297.
    assert 'class="tile ar19"' in page and 'data-width="640" data-height="480"' in page


def test_a_photo_page_links_to_its_neighbours_in_the_gallery(client, dated):
    html = client.get(f"/images/{dated['june-2021.jpg']}").text
    assert f'rel="prev" href="/images/{dated["march-2023.jpg"]}"' in html
    assert f'rel="next" href="/images/{dated["may-2021.jpg"]}"' in html
    first = client.get(f"/images/{dated['undated.jpg']}").text
    assert 'rel="prev"' not in first and f'rel="next" href="/images/{dated["march-2023.jpg"]}"' in first


def test_selected_photos_are_deleted_after_a_confirmation_page(client, library, dated):
    ids = [dated["may-2021.jpg"], dated["undated.jpg"]]
    form = {"action": "delete", "ids": ids, "next": "/search?q=kite"}

    asked = client.post("/images/bulk", data=form)
    assert asked.status_code == 200
    assert "Delete 2 photos?" in asked.text
    assert all(f'name="ids" value="{i}"' in asked.text for i in ids)
    assert library.repository.count() == 4

    done = client.post("/images/bulk", data={**form, "confirm": "yes"})
    assert done.status_code == 302 and done.headers["Location"] == "/search?q=kite"
    assert library.repository.count() == 2
    assert "Deleted may-2021.jpg, undated.jpg." in client.get("/").text


def test_selected_photos_are_described_again(client, worker, library, dated):
    ids = [dated["march-2023.jpg"], dated["june-2021.jpg"]]
    response = client.post("/images/bulk", data={"action": "redescribe", "ids": ids}, follow_redirects=True)
    assert "Describing again: march-2023.jpg, june-2021.jpg." in response.text
    assert worker.join(timeout=30)
    assert {library.repository.get(i).status for i in ids} == {Status.INDEXED}


@pytest.mark.parametrize(
    ("form", "status", "says"),
    [
        ({"action": "delete"}, 302, None),
        ({"action": "explode", "ids": ["x"]}, 400, "delete or redescribe"),
        ({"action": "delete", "ids": ["nope"]}, 404, "None of the selected photos exist"),
        ({"action": "delete", "ids": ["x"], "next": "https://evil.example/"}, 404, None),
    ],
)
def test_bulk_actions_refuse_what_makes_no_sense(client, form, status, says):
    response = client.post("/images/bulk", data=form)
    assert response.status_code == status
    if says:
        assert says in response.text
    if status == 302:
        assert response.headers["Location"] == "/"  # never another site's address


def test_the_first_run_explains_and_offers_the_sample_photos(client, worker, library):
    page = client.get("/").text
    assert "Your photos, found by what is in them" in page
    assert "What the describer on this machine sees" in page
    assert "IMGSEARCH_DESCRIBER=openai" in page
    samples = imgsearch.samples.sample_photos()
    if not samples:
        pytest.skip("scikit-image is not installed (make install adds it)")
    assert f"Try {len(samples)} sample photos" in page

    response = client.post("/samples", follow_redirects=True)

    assert f"{len(samples)} sample photos added" in response.text
    assert library.repository.count() == len(samples)
    again = client.post("/samples", follow_redirects=True).text
    assert f"0 sample photos added ({len(samples)} already in your library)" in again
    assert worker.join(timeout=120)
    assert library.repository.count(Status.INDEXED) == len(samples)


def test_without_scikit_image_the_first_run_says_how_to_get_the_samples(client, monkeypatch):
    monkeypatch.setattr(imgsearch.samples, "PACKAGE", "not_an_installed_package")
    page = client.get("/").text
    assert "sample photos</button>" not in page
    assert "pip install --no-deps scikit-image" in page
    assert client.post("/samples").status_code == 404


def test_search_shows_filters_and_date_words_as_removable_chips(client, dated):
    html = client.get("/search", query_string={"q": "kite in May 2021", "colour": "red"}).text
    chips = dict(
        re.findall(
            r'<li class="chip chip-\w+"><span>([^<]+)</span>\s*<a class="chip-remove" href="([^"]+)"', html
        )
    )
    assert set(chips) == {"taken May 2021", "colour: red"}
    assert chips["taken May 2021"] == "/search?q=kite&amp;colour=red"
    assert chips["colour: red"] == "/search?q=kite+in+May+2021"
    assert gallery_filenames(html) == ["may-2021.jpg"]


def test_no_match_says_so_and_suggests_what_to_try(client, dated, indexed):
    indexed(("cat.jpg", real_photos.data("cat")))  # a real photo: the describer names what it shows
    html = client.get("/search", query_string={"q": "zzzzqqq", "orientation": "portrait"}).text
    assert "No photos match" in html
    assert gallery_filenames(html) == []
    assert 'href="/search?q=zzzzqqq">Search without “portrait”' in html
    assert "Your photos show, among others:" in html


def test_every_form_carries_the_session_csrf_token(app, client, dated):
    # A browser's session (not the bearer token of the `client` fixture): its forms need the token.
    user = client.user
    browser = app.test_client()
    with browser.session_transaction() as session:
        session.update({"uid": user.id, "v": user.session_version, "csrf": "T"})
    image_id = dated["may-2021.jpg"]
    for path in ["/", "/upload", "/search?q=kite", f"/images/{image_id}"]:
        html = browser.get(path).text
        assert '<meta name="csrf-token" content="T">' in html, path
        forms = re.findall(r'<form[^>]*method="post".*?</form>', html, re.S)
        assert forms, path
        assert all('name="csrf_token" value="T"' in form for form in forms), path
    assert (
        'name="csrf_token" value="T"'
        in browser.post(f"/images/{image_id}/delete", data={"csrf_token": "T"}).text
    )
    # Without the token, nothing is deleted.
    assert (
        browser.post(
            "/images/bulk", data={"action": "delete", "ids": [image_id], "confirm": "yes"}
        ).status_code
        == 403
    )
    assert client.get(f"/api/images/{image_id}").status_code == 200
