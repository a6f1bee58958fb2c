"""The whole product in headless Chromium, with real photos: drop them on the upload page and watch
them become searchable, search and filter, the lightbox and selecting several photos with the
keyboard, every page checked by axe-core; the pages without JavaScript; uploads straight to S3."""

from __future__ import annotations

import base64
import os
import re
from pathlib import Path

import boto3
import pytest
from moto.server import ThreadedMotoServer

import real_photos
from imgsearch_web.serving import in_background as serving
from photos import photo

from .a11y import assert_accessible, violations
from .samples import BOAT, CAT

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
TIMEOUT_MS = 30_000


@pytest.fixture
def browser():
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


PASSWORD = "correct horse battery staple"


def sign_in(page, url: str, app, name: str = "alice") -> None:
    """Give the page a signed-in session cookie for the account (made if needed), without a request.

    The first test signs in through the form instead, as a person does.
    """
    accounts = app.extensions["imgsearch"].accounts
    user = accounts.user(name) or accounts.add_user(name, PASSWORD)
    session = {"uid": user.id, "v": user.session_version, "csrf": "browser-test-token", "_permanent": True}
    value = app.session_interface.get_signing_serializer(app).dumps(session)
    page.context.add_cookies([{"name": app.config["SESSION_COOKIE_NAME"], "value": value, "url": url}])


@pytest.fixture
def live_url(app):
    """The app (with its ingest worker running) over real HTTP."""
    with serving(app) as url:
        yield url


@pytest.fixture
def s3_endpoint(monkeypatch):
    """A moto S3 server (it answers browsers with CORS headers) and an empty bucket in it."""
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, "testing")
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1").create_bucket(Bucket="photos")
    yield endpoint
    server.stop()


@pytest.fixture
def app(make_app, web_settings):
    # A 1 MB limit per photo, so a file too large for it is cheap to make.
    return make_app(settings=web_settings.with_overrides(page_size=12, max_upload_mb=1))


def new_page(browser, **options):
    page = browser.new_page(**{"viewport": {"width": 1280, "height": 860}, **options})
    page.set_default_timeout(TIMEOUT_MS)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    return page, errors


def path_of(page) -> str:
    # page.url lags behind history.back() after replaceState; the page's own location does not.
    return page.evaluate("location.pathname")


def drop(page, files: list[dict]) -> None:
    """Drag files over the window and drop them, as a browser does (a DataTransfer of File objects)."""
    page.evaluate(
        """files => {
            const transfer = new DataTransfer();
            for (const {name, type, data} of files) {
                const bytes = Uint8Array.from(atob(data), c => c.charCodeAt(0));
                transfer.items.add(new File([bytes], name, {type}));
            }
            const init = {dataTransfer: transfer, bubbles: true, cancelable: true};
            document.body.dispatchEvent(new DragEvent('dragenter', init));
            document.body.dispatchEvent(new DragEvent('dragover', init));
            window.__overlayShown = !document.querySelector('[data-drop-overlay]').hidden;
            document.body.dispatchEvent(new DragEvent('drop', init));
        }""",
        [
            {"name": f["name"], "type": f["mimeType"], "data": base64.b64encode(f["buffer"]).decode()}
            for f in files
        ],
    )


def tab_to(page, selector: str, limit: int = 40) -> None:
    """Press Tab until the focus is on an element matching selector: what keyboard-only use does."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("s => document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"Tab never reached {selector}")


def tile_names(page) -> list[str]:
    return [
        label.removeprefix("Select ")
        for label in page.locator(".tile-select").evaluate_all(
            "boxes => boxes.map(b => b.getAttribute('aria-label'))"
        )
    ]


def test_a_photo_app_from_sign_in_to_lightbox_with_the_keyboard(browser, live_url, app):
    accounts = app.extensions["imgsearch"].accounts
    library = app.extensions["imgsearch"].for_owner(accounts.add_user("alice", PASSWORD).id)
    photos = {
        "chelsea.png": real_photos.data("cat"),
        "coffee.png": real_photos.data("coffee"),
        "astronaut.png": real_photos.data("astronaut"),
        "rocket.jpg": real_photos.data("rocket"),
        "grace_hopper.jpg": real_photos.data("uniform"),
    }
    files = [
        {"name": n, "mimeType": "image/png" if n.endswith("png") else "image/jpeg", "buffer": d}
        for n, d in photos.items()
    ]
    files += [
        {"name": "notes.txt", "mimeType": "text/plain", "buffer": b"not an image"},
        {"name": "big.jpg", "mimeType": "image/jpeg", "buffer": os.urandom(1_300_000)},
        {"name": "cat-again.png", "mimeType": "image/png", "buffer": photos["chelsea.png"]},
    ]
    page, errors = new_page(browser)
    sent = []
    page.on("request", lambda r: r.method == "POST" and r.url.endswith("/api/images") and sent.append(r))

    # Signing in, with the keyboard: every page sends a visitor to the form first, and back.
    page.goto(live_url)
    page.wait_for_url(re.compile(r"/login"))
    assert_accessible(page)
    page.keyboard.type("alice")
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_url}/")

    # First run: the empty gallery explains itself.
    assert page.get_by_role("heading", name="Your photos, found by what is in them").is_visible()
    assert_accessible(page)

    # Upload: drop photos anywhere on the page; each file gets a bar and an outcome in words.
    page.goto(f"{live_url}/upload")
    assert_accessible(page)
    drop(page, files)
    assert page.evaluate("window.__overlayShown") and page.locator("[data-drop-overlay]").is_hidden()
    assert page.locator(".file-row progress").count() == len(files)
    summary = page.locator("[data-summary]")
    summary.filter(has_text="all ready to search").wait_for(timeout=90_000)
    assert summary.inner_text().startswith(
        "5 photos added, 1 already in your library, 2 refused · all ready to search."
    )
    rows = dict(
        zip(
            page.locator(".file-row .file-name").all_inner_texts(),
            page.locator(".file-row .file-state").all_inner_texts(),
            strict=True,
        )
    )
    assert rows["big.jpg"] == "too large: 1.2 MB, limit 1.0 MB"
    assert rows["notes.txt"].startswith("not an image")
    again = [rows["chelsea.png"], rows["cat-again.png"]]
    assert sorted(again) == ["already in your library", "ready to search"]
    assert all(rows[name] == "ready to search" for name in photos if name != "chelsea.png")
    assert len(sent) == len(files) - 1  # one request a file; the one too large was never sent
    assert_accessible(page)

    # The gallery: a justified grid, no status notes once every photo is ready.
    page.goto(live_url)
    assert sorted(tile_names(page)) == sorted(photos)
    assert page.locator(".tile-status:visible").count() == 0
    heights = {
        round(b["height"])
        for b in page.locator(".tile").evaluate_all("tiles => tiles.map(t => t.getBoundingClientRect())")
        if b
    }
    assert len(heights) <= 2, heights  # one height per row (at most two rows of five photos)
    assert_accessible(page)

    # Search with the keyboard: the results are a grid; a result shows its score and snippet on focus.
    tab_to(page, "#site-search")
    page.keyboard.type("a cat")
    page.keyboard.press("Enter")
    page.locator("[data-photo-grid]").wait_for()
    assert tile_names(page)[0] == "chelsea.png"
    assert page.get_by_role("searchbox").input_value() == "a cat"
    tab_to(page, ".tile-link")
    why = page.locator(".tile-why").first
    page.wait_for_function("el => getComputedStyle(el).opacity === '1'", arg=why.element_handle())
    assert re.match(r"[01]\.\d\d \w", why.inner_text())
    assert_accessible(page)

    # Filters: a chip for each, removable; date words become a chip of their own.
    page.goto(f"{live_url}/search?q=uniform")
    page.get_by_text("Filters", exact=True).click()
    page.get_by_label("Orientation").select_option("portrait")
    page.get_by_role("button", name="Apply").click()
    page.locator(".chip", has_text="portrait").wait_for()
    assert tile_names(page) == ["grace_hopper.jpg"]
    page.get_by_role("link", name="Remove the filter “portrait”").click()
    page.wait_for_function("() => !location.search.includes('orientation')")
    page.goto(f"{live_url}/search?q=cat+in+2015")
    assert page.locator(".chip-date").inner_text().startswith("taken 2015")
    assert page.get_by_role("heading", name="No photos match").is_visible()
    assert page.get_by_role("link", name="Search without “taken 2015”").is_visible()
    assert_accessible(page)

    # The lightbox, with the keyboard: Enter opens, arrows move, the URL is the photo's own, Esc closes.
    page.goto(live_url)
    names = tile_names(page)
    ids = page.locator(".tile").evaluate_all("tiles => tiles.map(t => t.dataset.imageId)")
    tab_to(page, ".tile-link")
    page.keyboard.press("Enter")
    page.locator(".lightbox[open] .photo-title").wait_for()
    assert path_of(page) == f"/images/{ids[0]}"
    assert page.locator(".lightbox .photo-title").inner_text() == names[0]
    assert_accessible(page)
    page.keyboard.press("ArrowRight")
    page.locator(".lightbox .photo-title", has_text=names[1]).wait_for()
    assert path_of(page) == f"/images/{ids[1]}"
    page.keyboard.press("ArrowLeft")
    page.locator(".lightbox .photo-title", has_text=names[0]).wait_for()
    # Follow "similar" from the first photo that has a similar one (people look like people).
    for name in names[1:]:
        if page.locator(".lightbox [data-role=similar] a").count():
            break
        page.keyboard.press("ArrowRight")
        page.locator(".lightbox .photo-title", has_text=name).wait_for()
    similar = page.locator(".lightbox [data-role=similar] a").first
    similar_id = similar.get_attribute("href").rsplit("/", 1)[1]
    similar.click()
    page.wait_for_function("id => location.pathname.endsWith(id)", arg=similar_id)
    page.locator(".lightbox .photo-title", has_text=names[ids.index(similar_id)]).wait_for()
    page.keyboard.press("Escape")
    page.wait_for_function("() => location.pathname === '/'")
    assert page.locator(".lightbox[open]").count() == 0
    assert page.evaluate("document.activeElement.classList.contains('tile-link')")
    # Back closes it too: the lightbox is one history entry over the gallery.
    page.keyboard.press("Enter")
    page.locator(".lightbox[open]").wait_for()
    page.go_back()
    page.wait_for_function("() => !document.querySelector('.lightbox[open]') && location.pathname === '/'")

    # Select with the keyboard (Space, then Shift+Space for a run) and delete, after confirming.
    page.locator(".tile-link").first.focus()
    page.keyboard.press("Space")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("Shift+Space")
    bar = page.locator("[data-selection-bar]")
    bar.locator("[data-role=selection-count]", has_text="2 photos selected").wait_for()
    assert_accessible(page)
    bar.get_by_role("button", name="Delete").click()
    dialog = page.get_by_role("dialog", name="Delete 2 photos? This cannot be undone.")
    dialog.get_by_role("button", name="Delete 2 photos").click()
    page.wait_for_function("() => document.querySelectorAll('.tile').length === 3")
    assert tile_names(page) == names[2:]
    page.locator("[data-count=photos]", has_text="3 photos").wait_for()
    assert library.repository.count() == 3

    # Select with the mouse (click, shift-click) and describe them again: they follow it live.
    boxes = page.locator(".tile-select")
    boxes.nth(0).click()
    boxes.nth(2).click(modifiers=["Shift"])
    bar.locator("[data-role=selection-count]", has_text="3 photos selected").wait_for()
    bar.get_by_role("button", name="Describe again").click()
    page.locator(".tile-status:visible").first.wait_for()
    page.wait_for_function(
        "() => [...document.querySelectorAll('.tile')].every(t => t.dataset.status === 'indexed')"
    )
    assert page.locator(".tile-status:visible").count() == 0

    # A photo's own page, and an error page.
    page.goto(f"{live_url}/images/{ids[3]}")
    assert page.get_by_role("heading", level=1).inner_text() == names[3]
    assert_accessible(page)
    page.keyboard.press("ArrowLeft")
    page.wait_for_url(f"{live_url}/images/{ids[2]}")
    page.goto(f"{live_url}/images/nope")
    assert_accessible(page)

    # Signing out: the header's button; the photos are then behind the sign-in page again.
    page.get_by_role("button", name="alice · Sign out").click()
    page.wait_for_url(re.compile(r"/login"))
    page.goto(live_url)
    page.wait_for_url(re.compile(r"/login"))
    assert errors == []


def test_more_photos_load_as_you_scroll_and_back_returns_to_the_same_place(browser, make_app, web_settings):
    app = make_app(settings=web_settings.with_overrides(page_size=4))
    library = app.extensions["imgsearch"]
    for n in range(9):
        image = library.ingest.add(photo(size=(320 + 40 * n, 240), seed=n + 1), f"photo-{n}.jpg").image
        library.ingest.process(image.id)
    page, errors = new_page(browser, viewport={"width": 600, "height": 400})

    with serving(app) as url:
        sign_in(page, url, app)
        page.goto(url)
        page.mouse.wheel(0, 5000)
        page.wait_for_function("() => document.querySelectorAll('.tile').length === 9")
        assert tile_names(page) == [f"photo-{n}.jpg" for n in reversed(range(9))]
        assert page.locator("[data-pager]").count() == 0  # nothing more to load
        page.locator(".tile").last.scroll_into_view_if_needed()
        scrolled = page.evaluate("window.scrollY")
        page.wait_for_timeout(300)  # the place is saved a moment after scrolling stops
        page.goto(f"{url}/upload")  # away, with a full navigation (Chromium reloads the gallery on Back)
        page.go_back()
        page.wait_for_function("() => document.querySelectorAll('.tile').length === 9")
        page.wait_for_function("y => Math.abs(window.scrollY - y) < 5", arg=scrolled)
    assert errors == []


def test_axe_finds_what_it_should(browser):
    page, _ = new_page(browser)
    page.set_content('<html><body><img src="data:,"><button></button></body></html>')
    assert {v["id"] for v in violations(page)} >= {"image-alt", "button-name"}


def test_without_javascript_the_gallery_search_and_deleting_still_work(browser, live_url, app, ingest_bytes):
    for n, caption in enumerate([CAT, BOAT, "a birthday cake with candles"]):
        ingest_bytes(photo(caption=caption, seed=n + 1), f"photo-{n}.jpg")
    page, _ = new_page(browser, java_script_enabled=False)
    sign_in(page, live_url, app)  # the first account takes over the photos added before it

    page.goto(live_url)
    assert tile_names(page) == ["photo-2.jpg", "photo-1.jpg", "photo-0.jpg"]
    page.get_by_label("Select photo-2.jpg").check()
    page.get_by_label("Select photo-0.jpg").check()
    page.get_by_role("button", name="Delete").click()
    assert page.get_by_role("heading", name="Delete 2 photos?").is_visible()
    page.get_by_role("button", name="Delete 2 photos").click()
    assert page.get_by_text("Deleted photo-2.jpg, photo-0.jpg.").is_visible()
    assert tile_names(page) == ["photo-1.jpg"]

    page.get_by_role("searchbox").fill("sailing boat")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/search\?q=sailing\+boat$"))
    assert tile_names(page) == ["photo-1.jpg"]
    # (axe-core needs JavaScript to run; these pages are checked with it in the test above.)


def test_cloud_upload_goes_from_the_browser_straight_to_s3(
    browser, s3_endpoint, make_app, web_settings, cat_jpeg
):
    from imgsearch_ingest.handler import ObjectEvent, handle_record

    settings = web_settings.with_overrides(storage="s3", s3_bucket="photos", aws_endpoint_url=s3_endpoint)
    app = make_app(settings=settings)
    page, errors = new_page(browser)

    with serving(app) as url:
        sign_in(page, url, app)
        page.goto(f"{url}/upload")
        page.get_by_label("Choose photos").set_input_files(
            [
                {"name": "cat.jpg", "mimeType": "image/jpeg", "buffer": cat_jpeg},
                {"name": "notes.txt", "mimeType": "text/plain", "buffer": b"not an image"},
            ]
        )
        summary = page.locator("[data-summary]")
        summary.filter(has_text="1 left to describe").wait_for()
        assert summary.inner_text() == "1 photo added, 1 refused · 1 left to describe."
        rows = page.locator(".file-row")
        assert rows.nth(0).get_attribute("data-state") == "uploaded"
        assert rows.nth(1).get_attribute("data-state") == "refused"
        assert "text/plain is not an image we take" in rows.nth(1).inner_text()

        s3 = boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1")
        (stored,) = s3.list_objects_v2(Bucket="photos", Prefix=settings.s3_originals_prefix)["Contents"]
        head = s3.head_object(Bucket="photos", Key=stored["Key"])
        assert head["ContentType"] == "image/jpeg"
        assert head["Metadata"] == {"filename": "cat.jpg"}
        assert s3.get_object(Bucket="photos", Key=stored["Key"])["Body"].read() == cat_jpeg

        # S3 tells the ingest function; the page learns the photo's id from its key and follows it.
        handle_record(
            app.extensions["imgsearch"], ObjectEvent("created", "ObjectCreated:Post", "photos", stored["Key"])
        )
        summary.filter(has_text="all ready to search").wait_for()
        assert rows.nth(0).locator(".file-state").inner_text() == "ready to search"
        assert rows.nth(0).locator("a.file-name").get_attribute("href").startswith("/images/")
    assert errors == []
