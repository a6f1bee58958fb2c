"""Real photos for tests, made with Pillow: embedded captions (EXIF, XMP, IPTC), drawn text, GPS."""

from __future__ import annotations

import io
import struct

from PIL import Image, ImageDraw, ImageFont

XMP_TEMPLATE = """<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/">
   <dc:description><rdf:Alt><rdf:li xml:lang="x-default">{description}</rdf:li></rdf:Alt></dc:description>
   <dc:subject><rdf:Bag>{subjects}</rdf:Bag></dc:subject>
  </rdf:Description>
 </rdf:RDF>
</x:xmpmeta>
<?xpacket end="w"?>"""


def photo(
    *,
    size: tuple[int, int] = (640, 480),
    colour: tuple[int, int, int] = (200, 30, 30),
    patch: tuple[int, int, int] | None = None,
    fmt: str = "JPEG",
    caption: str | None = None,
    user_comment: str | None = None,
    xmp_description: str | None = None,
    xmp_subjects: list[str] | None = None,
    iptc_caption: str | None = None,
    iptc_keywords: list[str] | None = None,
    text: str | None = None,
    make: str | None = None,
    model: str | None = None,
    lens: str | None = None,
    taken: str | None = None,
    gps: tuple[float, float] | None = None,
    seed: int = 0,
) -> bytes:
    """A photo with exactly the signals asked for; `seed` makes otherwise equal photos differ."""
    image = Image.new("RGB", size, colour)
    draw = ImageDraw.Draw(image)
    if patch:
        w, h = size
        draw.rectangle([w // 4, h // 4, 3 * w // 4, 3 * h // 4], fill=patch)
    if seed:
        draw.point([(seed % size[0], (seed // size[0]) % size[1])], fill=(seed % 256, 7, 7))
    if text:
        draw.rectangle([0, 0, size[0], size[1] // 3], fill=(255, 255, 255))
        font = ImageFont.load_default(size=max(24, size[1] // 12))
        draw.text((20, 20), text, fill=(0, 0, 0), font=font)
    exif = Image.Exif()
    if caption:
        exif[0x010E] = caption
    if make:
        exif[0x010F] = make
    if model:
        exif[0x0110] = model
    sub = exif.get_ifd(0x8769)
    if user_comment:
        sub[0x9286] = b"ASCII\x00\x00\x00" + user_comment.encode("ascii")
    if lens:
        sub[0xA434] = lens
    if taken:
        sub[0x9003] = taken
    if gps:
        lat, lon = gps
        exif.get_ifd(0x8825).update(
            {1: "N" if lat >= 0 else "S", 2: _dms(lat), 3: "E" if lon >= 0 else "W", 4: _dms(lon)}
        )
    out = io.BytesIO()
    options: dict = {}
    if fmt in ("JPEG", "PNG", "WEBP") and len(exif.tobytes()) > 8:
        options["exif"] = exif
    if xmp_description or xmp_subjects:
        subjects = "".join(f"<rdf:li>{s}</rdf:li>" for s in xmp_subjects or [])
        packet = XMP_TEMPLATE.format(description=xmp_description or "", subjects=subjects)
        if fmt == "PNG":  # Pillow's PNG writer has no xmp option: the packet goes in an iTXt chunk
            from PIL.PngImagePlugin import PngInfo

            info = PngInfo()
            info.add_itxt("XML:com.adobe.xmp", packet)
            options["pnginfo"] = info
        else:
            options["xmp"] = packet.encode()
    image.save(out, fmt, **options)
    data = out.getvalue()
    if iptc_caption or iptc_keywords:
        data = add_iptc(data, iptc_caption, iptc_keywords or [])
    return data


def add_iptc(jpeg: bytes, caption: str | None, keywords: list[str]) -> bytes:
    """Insert a Photoshop APP13 segment with IPTC Caption-Abstract (2:120) and Keywords (2:25)."""
    records = b""
    if caption:
        records += _iptc_record(120, caption)
    for keyword in keywords:
        records += _iptc_record(25, keyword)
    resource = b"8BIM" + struct.pack(">H", 0x0404) + b"\x00\x00" + struct.pack(">I", len(records)) + records
    if len(records) % 2:
        resource += b"\x00"
    payload = b"Photoshop 3.0\x00" + resource
    segment = b"\xff\xed" + struct.pack(">H", len(payload) + 2) + payload
    assert jpeg[:2] == b"\xff\xd8"
    return jpeg[:2] + segment + jpeg[2:]


def _iptc_record(dataset: int, value: str) -> bytes:
    raw = value.encode("utf-8")
    return b"\x1c\x02" + bytes([dataset]) + struct.pack(">H", len(raw)) + raw


def _dms(value: float) -> tuple[float, float, float]:
    value = abs(value)
    degrees = int(value)
    minutes = int((value - degrees) * 60)
    seconds = round(((value - degrees) * 60 - minutes) * 60, 4)
    return (float(degrees), float(minutes), seconds)
