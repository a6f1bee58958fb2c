"""Multipart uploads whose part headers are not UTF-8 (a file name in Latin-1 or CP1252).

Werkzeug decodes each part's headers as UTF-8 and, when that fails, drops the whole request body,
so every file of such an upload vanished with "No files". Undecodable header bytes are read as
Latin-1 instead (every byte is a character), so the files arrive and keep a readable name.
"""

from __future__ import annotations

from werkzeug import formparser
from werkzeug.datastructures import Headers
from werkzeug.sansio.multipart import MultipartDecoder


class LenientDecoder(MultipartDecoder):
    """MultipartDecoder that reads part headers as UTF-8, else Latin-1."""

    def _parse_headers(self, data: bytes | bytearray) -> Headers:
        try:
            bytes(data).decode("utf-8")
        except UnicodeDecodeError:
            data = bytes(data).decode("latin-1").encode("utf-8")
        return super()._parse_headers(data)


def install() -> None:
    """Use the lenient decoder for every multipart body this process parses (idempotent)."""
    formparser.MultipartDecoder = LenientDecoder
