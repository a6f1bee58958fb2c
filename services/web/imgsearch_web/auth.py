"""Signing in and out (pages); scripts use API tokens instead (imgsearch token create)."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for

from imgsearch.limits import LimitReached
from imgsearch_web.security import current_user, sign_in, sign_out

bp = Blueprint("auth", __name__)


@bp.get("/login")
def login():
    root = current_app.extensions["imgsearch"]
    if not root.settings.accounts_required or current_user() is not None:
        return redirect(_next_page())
    no_accounts = not root.accounts.users()
    return render_template("auth/login.html", next=_next_page(), no_accounts=no_accounts)


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
