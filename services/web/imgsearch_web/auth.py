"""Signing in and out (pages); scripts use API tokens instead (imgsearch token create)."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for

from imgsearch.accounts import AccountError
from imgsearch.limits import LimitReached
from imgsearch_web.security import current_user, sign_in, sign_out

bp = Blueprint("auth", __name__)


@bp.get("/login")
def login():
    root = current_app.extensions["imgsearch"]
    if not root.settings.accounts_required or current_user() is not None:
        return redirect(_next_page())
    no_accounts = not root.accounts.users()
    return render_template(
        "auth/login.html", next=_next_page(), no_accounts=no_accounts, setup=no_accounts and _setup_allowed()
    )


@bp.post("/setup")
def setup():
    """The first account, made from the sign-in page of a library served on this machine only."""
    root = current_app.extensions["imgsearch"]
    if not root.settings.accounts_required or not _setup_allowed():
        abort(404)
    name = request.form.get("name", "").strip()
    password = request.form.get("password", "")
    if password != request.form.get("confirm", ""):
        error = "The two passwords differ."
        page = render_template("auth/login.html", next=_next_page(), setup=True, name=name, error=error)
        return page, 400
    try:
        user = root.accounts.add_first_user(name, password)
    except AccountError as exc:
        page = render_template(
            "auth/login.html", next=_next_page(), setup=not root.accounts.users(), name=name, error=str(exc)
        )
        return page, 400
    sign_in(user)
    flash(f"Welcome, {user.name}: this library is yours. Add photos to get started.", "success")
    return redirect(url_for("gallery.index"))


@bp.post("/login")
def submit():
    root = current_app.extensions["imgsearch"]
    if not root.settings.accounts_required:
        return redirect(url_for("gallery.index"))
    name = request.form.get("name", "").strip()
    password = request.form.get("password", "")
    try:
        root.limits.login(name)
    except LimitReached as exc:
        message = f"Too many attempts to sign in as {name[:64]!r}: try again in {exc.retry_after} s."
        page = render_template("auth/login.html", next=_next_page(), name=name, error=message)
        return page, 429, {"Retry-After": str(exc.retry_after)}
    user = root.accounts.authenticate(name, password) if name and password else None
    if user is None:
        error = "That name and password do not match an account."
        return render_template("auth/login.html", next=_next_page(), name=name, error=error), 401
    sign_in(user)
    flash(f"Signed in as {user.name}.", "success")
    return redirect(_next_page())


@bp.post("/logout")
def logout():
    sign_out()
    flash("Signed out.", "success")
    return redirect(url_for("auth.login"))


def _setup_allowed() -> bool:
    """Only a local library on a loopback address may make its first account from the browser:
    anywhere else (AWS, a shared address), the first visitor could take it, so the command line does."""
    from imgsearch.config import is_loopback

    settings = current_app.extensions["imgsearch"].settings
    return settings.storage == "local" and is_loopback(settings.host)


def _next_page() -> str:
    """Where to go after signing in: a path on this site only (never another site's URL)."""
    target = request.values.get("next", "")
    if (
        not target.startswith("/")
        or target.startswith("//")
        or "\\" in target
        or any(not ch.isprintable() for ch in target)
    ):
        return url_for("gallery.index")
    return target
