"""Visible text, read by the tesseract command line (Debian's tesseract-ocr), when it is installed."""

from __future__ import annotations

import io
import logging
import shutil
import subprocess
import threading
import time

from PIL import Image, ImageOps

log = logging.getLogger(__name__)

MIN_CONFIDENCE = 60
MAX_CHARS = 1500
MAX_EDGE = 2400
MIN_EDGE = 1000
LOOK_AGAIN_S = 30.0  # a missing tesseract is looked for again this often: installing it needs no restart


class TesseractOCR:
    """Reads words tesseract is confident of; says once if tesseract is missing, then does without.

    A tesseract installed while the server runs is found within LOOK_AGAIN_S and used from then on.
    """

    def __init__(self, command: str = "tesseract", timeout_s: float = 30.0) -> None:
        self.command = command
        self.timeout_s = timeout_s
        self._lock = threading.Lock()
        self._path = shutil.which(command)
        self._looked_at = time.monotonic()
        self._warned = False

    @property
    def available(self) -> bool:
        """Whether tesseract can be run (looked for again if it was missing a while ago)."""
        if self._path is None and time.monotonic() - self._looked_at >= LOOK_AGAIN_S:
            with self._lock:
                self._looked_at = time.monotonic()
                self._path = shutil.which(self.command)
                if self._path and self._warned:
                    log.warning(
                        "OCR is on now: found %s. Photos added before can be read with "
                        "`imgsearch redescribe --all`.",
                        self._path,
                    )
        return self._path is not None

    def warn_if_missing(self) -> bool:
        """Say (once) that OCR is off because tesseract is missing; True if it is missing."""
        if self.available:
            return False
        if not self._warned:
            self._warned = True
            log.warning(
                "OCR is off: %r was not found. Install Debian's tesseract-ocr (sudo apt-get install "
                "tesseract-ocr) to read text in photos; it is picked up without a restart.",
                self.command,
            )
        return True

    def read_text(self, image: Image.Image) -> str:
        """The text tesseract reads in the image, line by line; empty when there is none."""
        if self.warn_if_missing():
            return ""
        png = _prepare(image)
        try:
            done = subprocess.run(
                [self._path, "stdin", "stdout", "--psm", "3", "tsv"],
                input=png,
                capture_output=True,
                timeout=self.timeout_s,
                check=False,
            )
        except subprocess.TimeoutExpired:
            log.warning("OCR gave up after %.0f s", self.timeout_s)
            return ""
        if done.returncode != 0:
            log.warning("tesseract failed: %s", done.stderr.decode("utf-8", "ignore").strip()[:300])
            return ""
        return _confident_lines(done.stdout.decode("utf-8", "ignore"))[:MAX_CHARS]


def _prepare(image: Image.Image) -> bytes:
    gray = ImageOps.grayscale(image)
    long_edge = max(gray.size)
    if long_edge > MAX_EDGE:
        gray.thumbnail((MAX_EDGE, MAX_EDGE))
    elif long_edge < MIN_EDGE:
        scale = MIN_EDGE / long_edge
        gray = gray.resize((round(gray.width * scale), round(gray.height * scale)), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    gray.save(out, "PNG")
    return out.getvalue()


def _confident_lines(tsv: str) -> str:
    lines: dict[tuple[str, str, str, str], list[str]] = {}
    for row in tsv.splitlines()[1:]:
        cols = row.split("\t")
        if len(cols) < 12 or cols[0] != "5":  # level 5 rows are words
            continue
        try:
            confidence = float(cols[10])
        except ValueError:
            continue
        word = cols[11].strip()
        if confidence < MIN_CONFIDENCE or not any(ch.isalnum() for ch in word):
            continue
        lines.setdefault((cols[1], cols[2], cols[3], cols[4]), []).append(word)
    return "\n".join(" ".join(words) for words in lines.values())
