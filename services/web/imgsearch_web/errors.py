"""Errors as JSON {"error": ...} under /api, as a page everywhere else; and the app's safety headers."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask import current_app, render_template, request
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from imgsearch.errors import BackendError
from imgsearch.limits import LimitReached

if TYPE_CHECKING:
    from flask import Flask, Response


def register(app: Flask) -> None:
    """Install the error handlers and the request guards."""
    settings = app.extensions["imgsearch"].settings
    per_file_mb = settings.max_upload_mb
    total_mb = (app.config.get("MAX_CONTENT_LENGTH") or 0) / (1024 * 1024)
    too_large = (
        f"The upload is too large: at most {total_mb:.0f} MB can be sent at once "
        f"({per_file_mb:g} MB per photo). Send fewer photos at a time."
    )
    from imgsearch_web import FILES_PER_REQUEST

    max_parts = app.config.get("MAX_FORM_PARTS") or 1000
    too_many = (
        f"The upload has too many parts: at most {max_parts:,} files and fields can be sent at once "
        f"(send {FILES_PER_REQUEST} photos or so at a time), and form fields "
        "other than files are small."
    )
    media_origin = _origin(settings.aws_endpoint_url)
    # blob: lets the upload page preview the files chosen (object URLs only its own script can make).
    policy = (
        "default-src 'self'; "
        f"img-src 'self' data: blob: https:{media_origin}; "
        f"connect-src 'self' https:{media_origin}; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'self'; object-src 'none'"
    )

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        message = exc.description
        if isinstance(exc, RequestEntityTooLarge):
            # Over the byte limit, or the multipart parser's own limits (parts, field memory).
            limit = app.config.get("MAX_CONTENT_LENGTH") or 0
            message = (
                too_large if (request.content_length or 0) > limit or not request.content_length else too_many
            )
        code = exc.code or 500
        if wants_json():
            response = {"error": message}
            return response, code, _allow(exc)
        page = render_template("errors/error.html", code=code, title=exc.name, message=message)
        return page, code, _allow(exc)

    @app.errorhandler(BackendError)
    def backend_error(exc: BackendError):
        # A back end (Bedrock, Pinecone, the database) failed: say so, and that trying again may help.
        current_app.logger.warning("back end failed: %s", exc)
        message = f"A back end is not answering right now ({exc}). Please try again in a moment."
        if wants_json():
            return {"error": message}, 503
        return render_template("errors/error.html", code=503, title="Unavailable", message=message), 503

    @app.errorhandler(LimitReached)
    def limit_reached(exc: LimitReached):
        message = str(exc)[:1].upper() + str(exc)[1:] + "."
        headers = {"Retry-After": str(exc.retry_after)}
        if wants_json():
            return {"error": message}, 429, headers
        page = render_template("errors/error.html", code=429, title="Too many requests", message=message)
        return page, 429, headers

    @app.after_request
    def safety_headers(response: Response) -> Response:
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if response.mimetype == "text/html":
            response.headers.setdefault("Content-Security-Policy", policy)
        return response


def wants_json() -> bool:
    return request.path == "/api" or request.path.startswith("/api/")


def _allow(exc: HTTPException) -> dict[str, str]:
    allow = getattr(exc, "valid_methods", None)
    return {"Allow": ", ".join(allow)} if allow else {}


def _origin(url: str) -> str:
    """' scheme://host' of an emulator endpoint (local S3), so pages may load from it; else ''."""
    if not url:
        return ""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    return f" {parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""
