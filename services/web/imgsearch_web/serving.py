"""Serving the app on this machine (waitress), with a line in the log for every request."""

from __future__ import annotations

import logging
import threading
import time
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator

    from imgsearch.config import Settings

log = logging.getLogger("imgsearch.web")

THREADS = 8


def serve(settings: Settings, host: str, port: int) -> None:
    """Build the app, say what it serves, who may use it and how it describes photos; serve until stopped."""
    from imgsearch_web import create_app

    settings = settings.with_overrides(host=host, port=port)
    app = create_app(settings=settings)
    library = app.extensions["imgsearch"]
    where = settings.data_dir.resolve()
    print(f"imgsearch is serving at http://{host}:{port}  (data in {where})", flush=True)
    for line in access_lines(settings, library):
        print(line, flush=True)
    for line in library.describe_setup():
        log.info("%s", line)
    server = create_server(app, host, port)
    server.run()


def access_lines(settings: Settings, library) -> list[str]:
    """Who can use the server: accounts on (and whether there are any yet), or the one local library."""
    hosts = ", ".join(settings.host_allow_list)
    if not settings.accounts_required:
        return [
            "accounts are OFF (IMGSEARCH_AUTH=off): whoever can reach this address on this machine uses "
            f"the one local library (answering to {hosts})"
        ]
    lines = [f"accounts are on: sign in to see your photos (answering to {hosts})"]
    if not settings.auth:
        lines[0] += "; IMGSEARCH_AUTH=off applies only to a local library served on a loopback address"
    if not library.accounts.users():
        from imgsearch.config import is_loopback

        if settings.storage == "local" and is_loopback(settings.host):
            lines.append(
                f"no accounts yet: open http://{settings.host}:{settings.port}/ to create yours "
                "(it takes over the photos already here)"
            )
        else:
            lines.append(
                "no accounts yet: create the first with `imgsearch user add NAME --password-stdin` "
                "(it takes over the photos already here)"
            )
    return lines


def create_server(app, host: str, port: int):
    """waitress, refusing a body over the app's limit from its Content-Length, before reading it."""
    from waitress import create_server as waitress_server
    from waitress.channel import HTTPChannel
    from waitress.task import ErrorTask
    from werkzeug.exceptions import RequestEntityTooLarge

    class TooLargeFirst(ErrorTask):
        """waitress's own answer to a body over the limit, in the app's words (JSON under /api)."""

        def execute(self) -> None:
            if type(self.request.error).__name__ != "RequestEntityTooLarge":
                return super().execute()
            environ = {
                "PATH_INFO": self.request.path,
                "REQUEST_METHOD": self.request.command,
                "SERVER_NAME": host,
            }
            with app.test_request_context(environ_base=environ, path=self.request.path):
                response = app.handle_user_exception(RequestEntityTooLarge())
                response = app.make_response(response)
            body = response.get_data()
            self.status = response.status
            self.response_headers.extend((k, v) for k, v in response.headers.items() if k != "Content-Length")
            self.set_close_on_finish()
            self.content_length = len(body)
            self.write(body)
            return None

    class Channel(HTTPChannel):
        error_task_class = TooLargeFirst

    server = waitress_server(
        AccessLog(app),
        host=host,
        port=port,
        threads=THREADS,
        ident="imgsearch",
        max_request_body_size=app.config["MAX_CONTENT_LENGTH"],
    )
    server.channel_class = Channel
    return server


@contextmanager
def in_background(app: Callable[..., Iterable[bytes]]) -> Iterator[str]:
    """The app over real HTTP on a free loopback port, in a thread (browser tests, screenshots);
    yields its base URL."""
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)


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
