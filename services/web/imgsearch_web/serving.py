"""Serving the app on this machine (waitress), with a line in the log for every request."""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from imgsearch.config import Settings

log = logging.getLogger("imgsearch.web")

THREADS = 8


def serve(settings: Settings, host: str, port: int) -> None:
    """Build the app, say what it serves and how it describes photos, and serve until stopped."""
    from waitress import serve as waitress_serve

    from imgsearch_web import create_app

    app = create_app(settings=settings)
    library = app.extensions["imgsearch"]
    where = settings.data_dir.resolve()
    print(f"imgsearch is serving at http://{host}:{port}  (data in {where})", flush=True)
    for line in library.describe_setup():
        log.info("%s", line)
    waitress_serve(AccessLog(app), host=host, port=port, threads=THREADS, ident="imgsearch")


class AccessLog:
    """WSGI middleware: one INFO line per request (method, path without its query, status, time).

    The query string is left out: it holds what people search for, which is theirs, not the log's.
    """

    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        started = time.monotonic()
        status: list[str] = ["-"]

        def record(code: str, headers: list, exc_info: Any = None) -> Any:
            status[0] = code.split(" ", 1)[0]
            return start_response(code, headers, exc_info) if exc_info else start_response(code, headers)

        try:
            return self.app(environ, record)
        finally:
            took_ms = (time.monotonic() - started) * 1000
            path = environ.get("PATH_INFO", "")
            log.info("%s %s %s %.0f ms", environ.get("REQUEST_METHOD", "-"), path, status[0], took_ms)
