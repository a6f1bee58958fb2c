"""Visible text, read by the tesseract command line (Debian's tesseract-ocr), when it is installed."""

from __future__ import annotations

import io
import logging
import shutil
import subprocess

from PIL import Image, ImageOps

log = logging.getLogger(__name__)

MIN_CONFIDENCE = 60
MAX_CHARS = 1500
MAX_EDGE = 2400
MIN_EDGE = 1000


class TesseractOCR:
    """Reads words tesseract is confident of; says once if tesseract is missing, then does without."""

    def __init__(self, command: str = "tesseract", timeout_s: float = 30.0) -> None:
        self.command = command
        self.timeout_s = timeout_s
        self._path = shutil.which(command)
        self._warned = False

    @property
    def available(self) -> bool:
        return self._path is not None

    def read_text(self, image: Image.Image) -> str:
        """The text tesseract reads in the image, line by line; empty when there is none."""
        if not self._path:
            if not self._warned:
                log.warning(
                    "OCR is off: %r was not found (install Debian's tesseract-ocr to read text in photos)",
                    self.command,
                )
                self._warned = True
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
