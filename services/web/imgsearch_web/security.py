"""Who is asking, and may they: Host allow-list, body size, origin checks, sign-in and CSRF tokens.

Every request passes these guards, in this order, before a view runs:
1. its Host is one the site answers to (a DNS-rebinding page reaches us under a foreign name): else 400;
2. its body, by Content-Length, is within the limit (refused before a byte of it is read): else 413;
3. an unsafe method (POST, DELETE, ...) comes from this site (Origin or Referer, Sec-Fetch-Site): else 403;
4. its account: a bearer token (scripts, the CLI's tokens), else the signed session cookie (people);
   with accounts off, the local library;
5. an unsafe request made with the session cookie carries the session's CSRF token (a form field
   or the X-CSRF-Token header): else 403. A bearer token cannot be sent by another site's page, so
   requests that carry one need no CSRF token;
6. a view that needs an account gets one: else 401 JSON under /api, and the sign-in page elsewhere.
"""

from __future__ import annotations

import hmac
import secrets
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from flask import abort, current_app, g, redirect, request, session, url_for
from flask.sessions import SecureCookieSessionInterface
from markupsafe import Markup

if TYPE_CHECKING:
    from flask import Flask

    from imgsearch.accounts import User
    from imgsearch.library import Library

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Reachable without an account: signing in, the health check, static files, the API's description.
PUBLIC_ENDPOINTS = frozenset(
    {"auth.login", "auth.submit", "auth.setup", "auth.logout", "static", "healthz", "api.openapi"}
)
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
# Sec-Fetch-Site values of requests a person made on this site (or typed in).
OWN_SITE = frozenset({"same-origin", "none"})


class SessionCookies(SecureCookieSessionInterface):
    """The signed session cookie, HttpOnly and SameSite=Lax always, Secure whenever served over HTTPS."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(app.config["SESSION_COOKIE_SECURE"] or request.scheme == "https")


def register(app: Flask) -> None:
    """Install the guards, the session cookie's settings and the templates' csrf_field()."""
    settings = app.extensions["imgsearch"].settings
    allowed_hosts = settings.host_allow_list
    public_origin = _origin(settings.public_url)
    app.session_interface = SessionCookies()
    app.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_NAME="imgsearch_session",
        PERMANENT_SESSION_LIFETIME=14 * 24 * 3600,
    )
    app.add_template_global(csrf_token, "csrf_token")
    app.add_template_global(csrf_field, "csrf_field")
    app.add_template_global(current_user, "current_user")
    app.add_template_global(lambda: settings.accounts_required, "accounts_on")

    @app.before_request
    def guard():
        if not host_allowed(request.host, allowed_hosts):
            abort(400, description="This site does not answer to that host name.")
        limit = current_app.config.get("MAX_CONTENT_LENGTH")
        if limit and (request.content_length or 0) > limit:
            abort(413)
        unsafe = request.method not in SAFE_METHODS
        if unsafe:
            _refuse_other_sites(public_origin)
        via = _identify(settings.accounts_required)
        # Signing in needs the token too, so another site cannot sign a visitor in to its own account.
        if unsafe and (via == "session" or request.endpoint == "auth.submit") and not _csrf_ok():
            abort(
                403,
                description="This form has expired or did not come from this site: "
                "reload the page and try again.",
            )
        if g.library is None and request.endpoint not in PUBLIC_ENDPOINTS:
            return _sign_in_first()
        return None


def host_allowed(host: str, allowed: tuple[str, ...]) -> bool:
    """Whether a Host header names this site: an allowed name alone matches it on any port."""
    host = (host or "").strip().lower()
    if not host:
        return False
    name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
    return host in allowed or name in allowed


def current_user() -> User | None:
    """The signed-in account (None with accounts off, or before sign-in)."""
    return g.get("user")


def csrf_token() -> str:
    """The session's CSRF token, made on first use."""
    token = session.get("csrf")
    if not token:
        token = session["csrf"] = secrets.token_urlsafe(32)
    return token


def csrf_field() -> Markup:
    """The hidden form field every form that changes something carries."""
    return Markup('<input type="hidden" name="{}" value="{}">').format(CSRF_FIELD, csrf_token())


def sign_in(user: User) -> None:
    """Start a session for the account (a fresh session: nothing from before sign-in carries over)."""
    session.clear()
    session.permanent = True
    session["uid"] = user.id
    session["v"] = user.session_version
    csrf_token()


def sign_out() -> None:
    session.clear()


def _identify(required: bool) -> str | None:
    """Set g.user and g.library from the request's credentials; returns how they came ("token", "session")."""
    root: Library = current_app.extensions["imgsearch"]
    g.user, g.library = None, None
    header = request.headers.get("Authorization")
    if header is not None:
        scheme, _, secret = header.partition(" ")
        user = root.accounts.user_for_token(secret.strip()) if scheme.lower() == "bearer" else None
        if user is None:
            abort(401, description="The API token is not valid (unknown or revoked).")
        g.user, g.library = user, root.for_owner(user.id)
        return "token"
    if not required:
        g.library = root
        return "session" if session.get("csrf") else None
    user_id = session.get("uid")
    if user_id:
        user = root.accounts.user_by_id(user_id)
        if user is None or user.session_version != session.get("v"):
            session.clear()  # the account is gone, or its password changed since
        else:
            g.user, g.library = user, root.for_owner(user.id)
            return "session"
    return None


def _csrf_ok() -> bool:
    expected = session.get("csrf")
    sent = request.headers.get(CSRF_HEADER) or request.form.get(CSRF_FIELD) or ""
    return bool(expected) and hmac.compare_digest(str(sent), str(expected))


def _refuse_other_sites(public_origin: str) -> None:
    """Another site must not make a visitor's browser upload, delete or retry here."""
    fetch_site = request.headers.get("Sec-Fetch-Site")
    if fetch_site is not None and fetch_site not in OWN_SITE:
        abort(403, description="Requests from other sites may not change the library.")
    own = {f"{request.scheme}://{request.host}".lower()}
    if public_origin:
        own.add(public_origin)
    origin = request.headers.get("Origin")
    if origin is not None:
        if origin.strip().lower().rstrip("/") not in own:
            abort(403, description="Requests from other sites may not change the library.")
        return
    referer = request.headers.get("Referer")
    if referer and _origin(referer) not in own:
        abort(403, description="Requests from other sites may not change the library.")


def _sign_in_first():
    if request.path == "/api" or request.path.startswith("/api/"):
        return (
            {
                "error": "Sign in first: send Authorization: Bearer TOKEN "
                "(imgsearch token create NAME makes one)."
            },
            401,
            {"WWW-Authenticate": 'Bearer realm="imgsearch"'},
        )
    target = request.full_path if request.query_string else request.path
    return redirect(url_for("auth.login", next=target))


def _origin(url: str) -> str:
    parts = urlsplit(url or "")
    return f"{parts.scheme}://{parts.netloc}".lower() if parts.scheme and parts.netloc else ""
