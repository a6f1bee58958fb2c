"""The offline describer: no vision model, so it uses every real signal the photo has."""

from __future__ import annotations

from typing import Any

from imgsearch.describers.local.colours import colour_sentence, dominant_colours
from imgsearch.describers.local.ocr import TesseractOCR
from imgsearch.models import Description
from imgsearch.photos import open_upright

# The network whose pooled features are each photo's visual embedding (see vision/efficientnet.py).
VISUAL_MODEL = "efficientnet-lite0"
VISUAL_DIMENSION = 1280


# Raised whenever what the local describer says of a photo changes, so `redescribe --all` redoes them.
VERSION = 2


class LocalDescriber:
    """Dominant colours and visible text; the photo's own captions come from the pipeline's facts."""

    def __init__(self, ocr: TesseractOCR | None = None) -> None:
        self.ocr = ocr

    @property
    def name(self) -> str:
        """This describer and what it can use right now (a photo described with less is out of date)."""
        parts = ["colours"]
        if self.ocr is not None and self.ocr.available:
            parts.append("ocr")
        return f"local/{VERSION}: {', '.join(parts)}"

    def describe(self, data: bytes, facts: dict[str, Any]) -> Description:
        image = open_upright(data)
        details: dict[str, Any] = {}
        lines: list[str] = []
        colours = dominant_colours(image)
        if colours:
            details["colours"] = [c.name for c in colours]
            details["palette"] = [c.to_dict() for c in colours]
            lines.append(colour_sentence(colours) or "")
        if self.ocr is not None:
            text = self.ocr.read_text(image)
            if text:
                details["text"] = text
                lines.append("Text in the photo: " + " / ".join(text.splitlines()) + ".")
        return Description(text="\n".join(line for line in lines if line), details=details)
