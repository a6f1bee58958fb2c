"""What a photo says of itself: embedded captions and keywords, date taken, camera, lens, GPS, size.

Every describer gets these facts; the pipeline turns them into sentences after the describer's own.
"""

from __future__ import annotations

import io
import logging
import re
import xml.etree.ElementTree as ET
from datetime import datetime
from typing import Any

from PIL import Image, IptcImagePlugin

from imgsearch.models import orientation

log = logging.getLogger(__name__)

# EXIF tags (TIFF/EXIF 2.32 numbers).
IMAGE_DESCRIPTION, MAKE, MODEL, DATETIME, ARTIST = 0x010E, 0x010F, 0x0110, 0x0132, 0x013B
EXIF_IFD, GPS_IFD = 0x8769, 0x8825
DATETIME_ORIGINAL, USER_COMMENT, LENS_MAKE, LENS_MODEL = 0x9003, 0x9286, 0xA433, 0xA434
XP_TITLE, XP_COMMENT, XP_KEYWORDS, XP_SUBJECT = 0x9C9B, 0x9C9C, 0x9C9E, 0x9C9F

NS = {
    "x": "adobe:ns:meta/",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "dc": "http://purl.org/dc/elements/1.1/",
    "photoshop": "http://ns.adobe.com/photoshop/1.0/",
}
MAX_XMP_BYTES = 512 * 1024
MAX_TEXT = 2000

# Camera software writes these when the user wrote nothing.
PLACEHOLDER_CAPTIONS = {
    "",
    "default",
    "olympus digital camera",
    "sony dsc",
    "digital camera",
    "image",
    "picture",
    "camera",
    "exif_jpeg_picture",
    "lg digital camera",
    "samsung digital camera",
}


def extract_facts(data: bytes) -> dict[str, Any]:
    """Read every embedded signal a photo carries; missing ones are simply absent."""
    facts: dict[str, Any] = {}
    with Image.open(io.BytesIO(data)) as image:
        facts["format"] = image.format
        width, height = image.size
        exif = image.getexif()
        if exif.get(0x0112, 1) in (5, 6, 7, 8):  # turned a quarter: EXIF orientation 5-8
            width, height = height, width
        facts["width"], facts["height"] = width, height
        facts["orientation"] = orientation(width, height)
        captions: list[str] = []
        keywords: list[str] = []
        _from_exif(exif, facts, captions, keywords)
        _from_xmp(_xmp_bytes(image), captions, keywords)
        _from_iptc(image, captions, keywords)
        _from_comments(image, captions)
        if getattr(image, "n_frames", 1) > 1:
            facts["frames"] = image.n_frames
    facts["captions"] = [c for c in _unique(captions) if not is_software_stamp(c)]
    facts["keywords"] = _unique(keywords)
    return {k: v for k, v in facts.items() if v not in (None, [], "")}


def fact_sentences(facts: dict[str, Any]) -> list[str]:
    """Readable sentences for the facts that are not about what the photo shows."""
    lines: list[str] = []
    taken = facts.get("taken_at")
    if taken:
        when = datetime.fromisoformat(taken)
        part_of_day = _part_of_day(when.hour)
        lines.append(
            f"Taken on {when.strftime('%A')} {when.day} {when.strftime('%B %Y')} at "
            f"{when.strftime('%H:%M')}, in the {part_of_day}."
        )
    camera = " ".join(p for p in (facts.get("camera_make"), facts.get("camera_model")) if p)
    lens = facts.get("lens")
    if camera and lens:
        lines.append(f"Camera: {camera}, lens {lens}.")
    elif camera or lens:
        lines.append(f"Camera: {camera or lens}.")
    gps = facts.get("gps")
    if gps:
        lat, lon = gps["latitude"], gps["longitude"]
        place = f"{abs(lat):.5f}° {'N' if lat >= 0 else 'S'}, {abs(lon):.5f}° {'E' if lon >= 0 else 'W'}"
        lines.append(f"Location: {place}.")
    if facts.get("width") and facts.get("height"):
        kind = "Animated image" if facts.get("frames") else f"{facts['orientation'].capitalize()} photo"
        lines.append(f"{kind}, {facts['width']} × {facts['height']} pixels.")
    return lines


def caption_sentences(facts: dict[str, Any]) -> list[str]:
    """The photo's own captions verbatim, then its keywords."""
    lines = [_sentence(c) for c in facts.get("captions", [])]
    if facts.get("keywords"):
        lines.append("Keywords: " + ", ".join(facts["keywords"]) + ".")
    return lines


def taken_at(facts: dict[str, Any]) -> datetime | None:
    value = facts.get("taken_at")
    return datetime.fromisoformat(value) if value else None


# Encoders and editors sign files in the comment and description fields; that says nothing of the
# photo. Matched as patterns of the signature, not as a list of files.
_STAMP = re.compile(
    r"^\s*(?:file\s+)?(?:created|written|generated|edited|processed|optimi[sz]ed|converted|saved|"
    r"encoded|compressed|exported|modified)\s+(?:with|by|using)\b"
    r"|^\s*creator:"
    r"|\b(?:gd-jpeg|ijg jpeg|libjpeg|imagemagick|graphicsmagick|lead technologies|jpegmini|"
    r"intel\(r\) jpeg|quality\s*=\s*\d+)",
    re.IGNORECASE,
)
_URL = re.compile(r"\b(?:https?|ftp)://\S+", re.IGNORECASE)


def is_software_stamp(text: str) -> bool:
    """Whether a caption field holds an encoder's signature, a bare link or a code, not words."""
    if _STAMP.search(text):
        return True
    without_links = _URL.sub(" ", text)
    if len(without_links.strip(" :.-")) < len(text) / 2:
        return True  # mostly a link ("File source: http://...")
    tokens = without_links.split()
    codes = [t for t in tokens if any(ch.isdigit() for ch in t) and not re.search(r"[^\W\d_]{4,}", t)]
    codes += [t for t in tokens if re.fullmatch(r"(?:0x)?[0-9a-f]{6,}|[A-Z]{2,5}_?\d+\w*", t, re.IGNORECASE)]
    return not tokens or len(set(codes)) * 2 > len(tokens)  # mostly codes ("cmp3.10 0x75ff", "IMG_2041")


# ---------------------------------------------------------------- EXIF


def _from_exif(exif: Image.Exif, facts: dict, captions: list[str], keywords: list[str]) -> None:
    captions.append(_text(exif.get(IMAGE_DESCRIPTION)))
    for tag in (XP_TITLE, XP_COMMENT, XP_SUBJECT):
        captions.append(_xp_text(exif.get(tag)))
    keywords.extend(_split_keywords(_xp_text(exif.get(XP_KEYWORDS))))
    facts["camera_make"] = _text(exif.get(MAKE))
    facts["camera_model"] = _text(exif.get(MODEL))
    make, model = facts["camera_make"], facts["camera_model"]
    if make and model and model.lower().startswith(make.lower().split()[0]):
        facts["camera_make"] = None  # "Canon" + "Canon EOS R6" reads better as the model alone
    facts["artist"] = _text(exif.get(ARTIST))
    sub = _ifd(exif, EXIF_IFD)
    captions.append(_user_comment(sub.get(USER_COMMENT)))
    lens = _text(sub.get(LENS_MODEL))
    lens_make = _text(sub.get(LENS_MAKE))
    facts["lens"] = f"{lens_make} {lens}" if lens_make and lens and lens_make not in lens else lens
    stamp = _text(sub.get(DATETIME_ORIGINAL)) or _text(exif.get(DATETIME))
    facts["taken_at"] = _exif_datetime(stamp)
    facts["gps"] = _gps(_ifd(exif, GPS_IFD))


def _ifd(exif: Image.Exif, tag: int) -> dict:
    try:
        return dict(exif.get_ifd(tag))
    except Exception:  # a damaged sub-IFD should cost us that IFD only
        log.debug("unreadable EXIF IFD %#x", tag, exc_info=True)
        return {}


def _exif_datetime(value: str | None) -> str | None:
    if not value:
        return None
    match = re.match(r"(\d{4})[:-](\d{2})[:-](\d{2})[ T](\d{2}):(\d{2}):?(\d{2})?", value)
    if not match:
        return None
    try:
        parts = [int(p) if p else 0 for p in match.groups()]
        return datetime(*parts).isoformat()
    except ValueError:
        return None


def _gps(gps: dict) -> dict[str, float] | None:
    try:
        lat = _degrees(gps[2], gps.get(1, "N"))
        lon = _degrees(gps[4], gps.get(3, "E"))
    except (KeyError, TypeError, ValueError, ZeroDivisionError):
        return None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180) or (lat == 0 and lon == 0):
        return None
    result = {"latitude": round(lat, 6), "longitude": round(lon, 6)}
    if 6 in gps:
        try:
            altitude = float(gps[6])
            result["altitude_m"] = round(-altitude if gps.get(5) in (1, b"\x01") else altitude, 1)
        except (TypeError, ValueError, ZeroDivisionError):
            pass
    return result


def _degrees(dms: Any, ref: Any) -> float:
    d, m, s = (float(x) for x in dms)
    value = d + m / 60 + s / 3600
    ref = ref.decode() if isinstance(ref, bytes) else str(ref)
    return -value if ref.strip().upper() in ("S", "W") else value


def _user_comment(value: Any) -> str | None:
    if not isinstance(value, bytes):
        return _text(value)
    head, body = value[:8], value[8:]
    if head.startswith(b"UNICODE"):
        # EXIF says UCS-2 in the file's byte order; most writers use big-endian, some little.
        text = body.decode("utf-16-be", "ignore")
        if text and sum(ord(ch) > 0x3000 for ch in text) > len(text) // 2:
            text = body.decode("utf-16-le", "ignore")
        return _text(text)
    if head.startswith(b"ASCII") or head == b"\x00" * 8:
        return _text(body.decode("utf-8", "ignore"))
    return _text(value.decode("utf-8", "ignore"))


def _xp_text(value: Any) -> str | None:
    if isinstance(value, (bytes, tuple, list)):
        raw = bytes(value)
        return _text(raw.decode("utf-16-le", "ignore"))
    return _text(value)


# ---------------------------------------------------------------- XMP


def _xmp_bytes(image: Image.Image) -> bytes | None:
    for key in ("xmp", "XML:com.adobe.xmp"):
        value = image.info.get(key)
        if value:
            return value.encode("utf-8") if isinstance(value, str) else value
    return None


def _from_xmp(packet: bytes | None, captions: list[str], keywords: list[str]) -> None:
    if not packet or len(packet) > MAX_XMP_BYTES or b"<!ENTITY" in packet:
        return
    start = packet.find(b"<x:xmpmeta")
    end = packet.rfind(b"</x:xmpmeta>")
    if start >= 0 and end > start:
        packet = packet[start : end + len(b"</x:xmpmeta>")]
    try:
        root = ET.fromstring(packet)
    except ET.ParseError:
        log.debug("unparseable XMP packet")
        return
    for tag in ("dc:title", "dc:description", "photoshop:Headline"):
        for element in root.iter(_qname(tag)):
            captions.extend(_rdf_values(element))
        # Short form: the property as an attribute of rdf:Description.
        for desc in root.iter(_qname("rdf:Description")):
            captions.append(_text(desc.get(_qname(tag))))
    for element in root.iter(_qname("dc:subject")):
        keywords.extend(v for v in _rdf_values(element) if v)


def _rdf_values(element: ET.Element) -> list[str]:
    items = [_text(li.text) for li in element.iter(_qname("rdf:li"))]
    if not items:
        items = [_text(element.text)]
    return [i for i in items if i]


def _qname(name: str) -> str:
    prefix, local = name.split(":")
    return f"{{{NS[prefix]}}}{local}"


# ---------------------------------------------------------------- IPTC, comments


def _from_iptc(image: Image.Image, captions: list[str], keywords: list[str]) -> None:
    try:
        iptc = IptcImagePlugin.getiptcinfo(image) or {}
    except Exception:  # Pillow raises assorted errors on damaged IPTC blocks
        log.debug("unreadable IPTC block", exc_info=True)
        return
    for key in ((2, 5), (2, 105), (2, 120)):  # object name, headline, caption-abstract
        for value in _iptc_values(iptc.get(key)):
            captions.append(value)
    for value in _iptc_values(iptc.get((2, 25))):
        keywords.append(value)


def _iptc_values(value: Any) -> list[str]:
    if value is None:
        return []
    values = value if isinstance(value, list) else [value]
    out = []
    for v in values:
        if isinstance(v, bytes):
            try:
                v = v.decode("utf-8")
            except UnicodeDecodeError:
                v = v.decode("latin-1")
        text = _text(v)
        if text:
            out.append(text)
    return out


def _from_comments(image: Image.Image, captions: list[str]) -> None:
    comment = image.info.get("comment")
    if isinstance(comment, bytes):
        comment = comment.decode("utf-8", "ignore")
    captions.append(_text(comment))
    texts = getattr(image, "text", None) or {}  # PNG tEXt/iTXt chunks
    for key in ("Title", "Description", "Comment", "Subject"):
        captions.append(_text(texts.get(key)))


# ---------------------------------------------------------------- text helpers


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bytes):
        value = value.decode("utf-8", "ignore")
    text = " ".join(str(value).replace("\x00", " ").split())
    if text.lower().strip(" .") in PLACEHOLDER_CAPTIONS:
        return None
    return text[:MAX_TEXT] or None


def _split_keywords(value: str | None) -> list[str]:
    if not value:
        return []
    return [k.strip() for k in re.split(r"[;,]", value) if k.strip()]


def _unique(values: list[str | None]) -> list[str]:
    seen: set[str] = set()
    out = []
    for value in values:
        if value and value.casefold() not in seen:
            seen.add(value.casefold())
            out.append(value)
    return out


def _sentence(text: str) -> str:
    text = text.strip()
    return text if text[-1:] in ".!?\"'" else text + "."


def _part_of_day(hour: int) -> str:
    if 5 <= hour < 12:
        return "morning"
    if 12 <= hour < 17:
        return "afternoon"
    if 17 <= hour < 21:
        return "evening"
    return "night"
