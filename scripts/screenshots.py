"""Regenerate the README's screenshots (`make screenshots`) from real photos, in Debian's Chromium.

A fresh library in a temporary folder, the product as `make run` serves it (the local describer:
EfficientNet-lite0, faces, colours, tesseract when installed), and real photographs that ship inside
PyPI packages: the sample set (scikit-image) and, when they are installed (`make dev`), matplotlib's
and scikit-learn's. Nothing is staged: the captions, dates and groups are what the product made of
those files. The uploads go through the upload page with the network slowed, so the bars are
caught half way.
"""

from __future__ import annotations

import argparse
import importlib.util
import logging
import tempfile
from contextlib import contextmanager
from pathlib import Path

from imgsearch.config import load_settings
from imgsearch.samples import sample_photos
from imgsearch_web import create_app
from imgsearch_web.serving import in_background

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
DESKTOP = {"width": 1280, "height": 860}
PHONE = {"width": 390, "height": 844}
TIMEOUT_MS = 180_000
ACCOUNT, PASSWORD = "alice", "a password for the screenshots only"
# Other real photos in packages the tests install (public domain, CC BY 2.0; see tests/real_photos.py).
MORE_PHOTOS = [
    ("matplotlib", "mpl-data/sample_data/grace_hopper.jpg"),
    ("sklearn", "datasets/images/china.jpg"),
    ("sklearn", "datasets/images/flower.jpg"),
]


def photo_files() -> list[Path]:
    """The photos to upload: the sample set, and the tests' other real photos where installed."""
    files = [s.path for s in sample_photos() if s.path]
    if not files:
        raise SystemExit("The sample photos are not installed: run `make install` (it adds scikit-image).")
    for package, relative in MORE_PHOTOS:
        spec = importlib.util.find_spec(package)
        if spec and spec.submodule_search_locations:
            path = Path(next(iter(spec.submodule_search_locations))) / relative
            if path.is_file():
                files.append(path)
    return files


@contextmanager
def serving(data_dir: Path):
    """The product over a fresh library, as `make run` serves it (the local describer included)."""
    settings = load_settings(
        environ={}, env_file=None, overrides={"data_dir": str(data_dir), "page_size": 48}
    )
    app = create_app(settings=settings)
    app.extensions["imgsearch"].accounts.add_user(ACCOUNT, PASSWORD)
    try:
        with in_background(app) as url:
            yield url
    finally:
        app.extensions["imgsearch_worker"].stop()


def upload(page, url: str, files: list[Path], out: Path) -> None:
    """Drop the photos on the upload page with the network slowed; shoot while some are on their way."""
    page.goto(f"{url}/upload")
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send(
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": 40, "downloadThroughput": -1, "uploadThroughput": 600_000},
    )
    page.get_by_label("Choose photos").set_input_files([str(f) for f in files])
    page.wait_for_function(
        """() => {
            const states = [...document.querySelectorAll('.file-row')].map(r => r.dataset.state);
            return states.includes('uploading') && states.some(s => s === 'indexed' || s === 'processing');
        }""",
        timeout=TIMEOUT_MS,
    )
    page.screenshot(path=str(out / "upload.png"))
    cdp.send(
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1},
    )
    page.locator("[data-summary]", has_text="all ready to search").wait_for(timeout=TIMEOUT_MS)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, nargs="?", default=Path("docs/screenshots"))
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # not a line per request
    from playwright.sync_api import sync_playwright

    files = photo_files()
    with (
        tempfile.TemporaryDirectory(prefix="imgsearch-screenshots-") as data,
        serving(Path(data)) as url,
        sync_playwright() as playwright,
    ):
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport=DESKTOP)
        page.set_default_timeout(TIMEOUT_MS)

        page.goto(url)  # the sign-in page first, as for anyone
        page.fill("#name", ACCOUNT)
        page.fill("#password", PASSWORD)
        page.locator("form.login button").click()
        page.wait_for_url(f"{url}/")
        page.screenshot(path=str(args.out / "first-run.png"), full_page=True)
        upload(page, url, files, args.out)

        page.goto(url)
        page.wait_for_load_state("networkidle")
        page.screenshot(path=str(args.out / "gallery.png"), full_page=True)

        page.goto(f"{url}/search?q=a+person&people=1")
        page.wait_for_load_state("networkidle")
        page.locator(".tile-link").first.hover()
        page.wait_for_timeout(300)
        page.screenshot(path=str(args.out / "search.png"))

        page.goto(url)
        page.locator(".tile", has=page.get_by_label("Select chelsea.png")).locator(".tile-link").click()
        page.locator(".lightbox[open] .photo-title").wait_for()
        page.wait_for_load_state("networkidle")
        page.screenshot(path=str(args.out / "lightbox.png"))

        phone = page.context.browser.new_context(
            viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True
        ).new_page()
        phone.context.add_cookies(page.context.cookies())
        phone.goto(url)
        phone.wait_for_load_state("networkidle")
        phone.screenshot(path=str(args.out / "phone.png"))
        browser.close()
    for name in ("first-run", "upload", "gallery", "search", "lightbox", "phone"):
        print(f"{args.out / name}.png")


if __name__ == "__main__":
    main()
