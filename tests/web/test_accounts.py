"""Private libraries on the web: two accounts side by side on every endpoint (on SQLite and PostgreSQL),
requests without credentials, sign-in, sessions and their cookie."""

from __future__ import annotations

import io
import re

import pytest

from .samples import KITTEN_QUERY

PASSWORD = "correct horse battery staple"
MULTIPART = "multipart/form-data"


def upload(client, *files: tuple[str, bytes]) -> dict[str, str]:
    response = client.post(
        "/api/images", data={"files": [(io.BytesIO(d), n) for n, d in files]}, content_type=MULTIPART
    )
    assert response.status_code == 201, response.json
    return {f["filename"]: f["id"] for f in response.json["files"]}


def gallery_ids(html: str) -> set[str]:
    return set(re.findall(r'data-image-id="([0-9a-f]{32})"', html))


@pytest.fixture
def two(make_app, web_settings, database_url, client_for, cat_jpeg, bike_png, boat_jpeg):
    """Alice and bob on one server: alice has a cat; bob has the same cat (same bytes), a bike, a boat."""
    app = make_app(settings=web_settings.with_overrides(database_url=database_url, page_size=48))
    alice, bob = client_for(app, "alice"), client_for(app, "bob")
    cat = upload(alice, ("cat.jpg", cat_jpeg))["cat.jpg"]
    theirs = upload(bob, ("my-cat.jpg", cat_jpeg), ("bike.png", bike_png), ("boat.jpg", boat_jpeg))
    assert app.extensions["imgsearch_worker"].join(timeout=60)
    return app, alice, bob, cat, theirs


def test_two_accounts_never_see_find_fetch_or_change_each_others_photos(two):
    app, alice, bob, cat, theirs = two
    missing = bob.get(f"/api/images/{'0' * 32}")

    # The same bytes from two accounts are two photos.
    assert theirs["my-cat.jpg"] != cat
    # Every way of reaching alice's photo answers bob exactly as a photo that does not exist.
    for path in (f"/api/images/{cat}", f"/api/images/{cat}/similar", f"/api/images/{cat}/duplicates"):
        response = bob.get(path)
        assert response.status_code == 404, path
        assert response.json == {"error": f"No image with id {cat}."}
    assert missing.json == {"error": f"No image with id {'0' * 32}."}
    for path in (f"/api/images/{cat}/retry", f"/api/images/{cat}/redescribe"):
        assert bob.post(path).status_code == 404, path
    assert bob.delete(f"/api/images/{cat}").status_code == 404
    for path in (f"/images/{cat}", f"/images/{cat}/thumbnail", f"/images/{cat}/original"):
        assert bob.get(path).status_code == 404, path
    for action in ("delete", "retry", "redescribe"):
        assert bob.post(f"/images/{cat}/{action}").status_code == 404, action

    # Listing, ids, search, similar photos and near-duplicate groups stay inside each library.
    listed = bob.get("/api/images").json
    assert {i["id"] for i in listed["images"]} == set(theirs.values()) and listed["total"] == 3
    assert bob.get(f"/api/images?ids={cat},{theirs['bike.png']}").json["missing"] == [cat]
    assert alice.get("/api/images").json["total"] == 1
    found = bob.get("/api/search", query_string={"q": KITTEN_QUERY, "all": 1}).json["results"]
    assert cat not in {r["id"] for r in found} and found[0]["id"] == theirs["my-cat.jpg"]
    found = alice.get("/api/search", query_string={"q": "a bicycle against a brick wall", "all": 1}).json
    assert {r["id"] for r in found["results"]} <= {cat}
    similar = bob.get(f"/api/images/{theirs['my-cat.jpg']}/similar").json["results"]
    assert cat not in {r["id"] for r in similar}
    for client in (alice, bob):
        groups = client.get("/api/duplicates").json["groups"]
        assert not any(
            cat in {i["id"] for i in g} and theirs["my-cat.jpg"] in {i["id"] for i in g} for g in groups
        )
    assert gallery_ids(bob.get("/").text) == set(theirs.values())
    assert cat not in bob.get("/search", query_string={"q": "grey cat on a sofa"}).text
    assert f"/images/{cat}" not in bob.get(f"/images/{theirs['my-cat.jpg']}").text

    # Down to the storage keys and the vectors.
    root = app.extensions["imgsearch"]
    bob_library = root.for_owner(bob.user.id)
    mine = root.for_owner(alice.user.id).repository.get(cat)
    assert mine.storage_key.startswith(f"originals/{alice.user.id}/")
    assert mine.thumbnail_key.startswith(f"thumbnails/{alice.user.id}/")
    assert bob_library.repository.get(theirs["bike.png"]).storage_key.startswith(f"originals/{bob.user.id}/")
    assert bob_library.index.count() >= 3 and root.for_owner(alice.user.id).index.count() >= 1
    assert not bob_library.index.fetch([f"{cat}#0"])

    # After all that, alice's photo is whole and still hers.
    assert alice.get(f"/api/images/{cat}").json["status"] == "indexed"
    assert alice.get(f"/images/{cat}/original").data
    assert alice.delete(f"/api/images/{cat}").status_code == 204
    assert bob.get(f"/api/images/{theirs['my-cat.jpg']}").json["status"] == "indexed"


def test_without_credentials_nothing_answers_and_nothing_changes(app, client, indexed, cat_jpeg):
    cat = indexed(("cat.jpg", cat_jpeg))["cat.jpg"]
    anonymous = app.test_client()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/") or rule.endpoint == "api.openapi":
            continue
        path = rule.rule.replace("<image_id>", cat)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            response = anonymous.open(path, method=method, data={"files": [(io.BytesIO(cat_jpeg), "x.jpg")]})
            assert response.status_code == 401, (method, path)
            assert "Sign in first" in response.json["error"]
            assert response.headers["WWW-Authenticate"].startswith("Bearer")
    for path in ("/", "/upload", f"/images/{cat}", f"/images/{cat}/original", "/search?q=cat"):
        response = anonymous.get(path)
        assert response.status_code == 302, path
        assert response.headers["Location"].startswith("/login?next=")
    assert anonymous.post(f"/images/{cat}/delete").status_code == 302
    for header in ("Bearer imgs_not-a-token", "Bearer", "Basic YWxpY2U6cGFzc3dvcmQ="):
        response = anonymous.delete(f"/api/images/{cat}", headers={"Authorization": header})
        assert response.status_code == 401, header
    assert client.get("/api/images").json["total"] == 1  # nothing changed
    assert client.get(f"/api/images/{cat}").json["status"] == "indexed"


def test_a_revoked_token_stops_working(app, client):
    assert client.get("/api/images").status_code == 200
    accounts = app.extensions["imgsearch"].accounts
    for token in accounts.tokens(client.user):
        accounts.revoke_token(client.user, token.name)
    assert client.get("/api/images").status_code == 401


def sign_in(client, name: str = "alice", password: str = PASSWORD, next_page: str = "/"):
    """Sign in through the form, as a browser does (the form's CSRF token included)."""
    page = client.get(f"/login?next={next_page}").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    return client.post(
        "/login",
        data={"name": name, "password": password, "csrf_token": token, "next": next_page},
        headers={"Origin": "http://localhost"},
    )


def csrf_of(client) -> str:
    return re.search(r'<meta name="csrf-token" content="([^"]+)"', client.get("/").text).group(1)


def test_signing_in_and_out_with_a_session_cookie(app, client, indexed, cat_jpeg):
    cat = indexed(("cat.jpg", cat_jpeg))["cat.jpg"]
    browser = app.test_client()

    assert "There are no accounts yet" not in browser.get("/login").text
    wrong = sign_in(browser, password="not the password")
    assert wrong.status_code == 401 and "do not match an account" in wrong.text
    response = sign_in(browser, next_page="/upload")
    assert response.status_code == 302 and response.headers["Location"] == "/upload"
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    assert cat in browser.get("/").text and "alice · Sign out" in browser.get("/").text
    assert browser.get("/api/images").json["total"] == 1  # the API takes the session too

    logout = browser.post("/logout", data={"csrf_token": csrf_of(browser)})
    assert logout.status_code == 302
    assert browser.get("/").status_code == 302
    assert browser.get("/api/images").status_code == 401


def test_the_cookie_is_secure_over_https_and_after_sign_in_only_this_site_is_a_destination(app, client):
    browser = app.test_client()
    page = browser.get("/login", base_url="https://localhost").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = browser.post(
        "/login",
        base_url="https://localhost",
        data={"name": "alice", "password": PASSWORD, "csrf_token": token, "next": "//evil.example/x"},
        headers={"Origin": "https://localhost"},
    )
    assert "Secure" in response.headers["Set-Cookie"]
    assert response.headers["Location"] == "/"


def test_a_new_password_signs_out_every_session(app, client):
    browser = app.test_client()
    sign_in(browser)
    assert browser.get("/").status_code == 200
    app.extensions["imgsearch"].accounts.set_password("alice", "a brand new password")
    assert browser.get("/").status_code == 302


def test_the_first_account_is_made_from_the_sign_in_page_of_a_library_on_this_machine(
    make_app, web_settings, cat_jpeg
):
    # GIVEN a library from before accounts, served on 127.0.0.1 with no account yet
    with_photo = make_app(settings=web_settings.with_overrides(auth=False))
    assert upload(with_photo.test_client(), ("cat.jpg", cat_jpeg))
    app = make_app()
    browser = app.test_client()
    assert browser.get("/").headers["Location"].startswith("/login")
    page = browser.get("/login").text
    assert "Create your account" in page and 'action="/setup"' in page
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)

    def setup(name, password, confirm=None, client=browser):
        form = {"name": name, "password": password, "confirm": confirm or password, "csrf_token": token}
        return client.post("/setup", data=form, headers={"Origin": "http://localhost"})

    assert setup("alice", PASSWORD, "something else").status_code == 400
    assert setup("alice", "short").status_code == 400
    made = setup("alice", PASSWORD)
    # THEN alice is signed in and owns the photos already there
    assert made.status_code == 302 and made.headers["Location"] == "/"
    assert browser.get("/api/images").json["total"] == 1
    assert "Create your account" not in browser.get("/login", follow_redirects=True).text
    # and nobody can make a "first" account again
    other = app.test_client()
    page = other.get("/login").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    assert "Create your account" not in page
    again = setup("mallory", PASSWORD, client=other)
    assert again.status_code == 400 and "there is an account already" in again.text
    assert [u.name for u in app.extensions["imgsearch"].accounts.users()] == ["alice"]


def test_elsewhere_the_first_account_is_made_on_the_command_line(make_app, web_settings):
    app = make_app(settings=web_settings.with_overrides(host="0.0.0.0", allowed_hosts="localhost"))
    browser = app.test_client()
    page = browser.get("/login").text
    assert "There are no accounts yet" in page and "imgsearch user add NAME --password-stdin" in page
    assert 'action="/setup"' not in page
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    form = {"name": "mallory", "password": PASSWORD, "confirm": PASSWORD, "csrf_token": token}
    assert browser.post("/setup", data=form, headers={"Origin": "http://localhost"}).status_code == 404
    assert app.extensions["imgsearch"].accounts.users() == []


def test_with_accounts_off_the_local_library_is_served_without_sign_in(make_app, web_settings, cat_jpeg):
    app = make_app(settings=web_settings.with_overrides(auth=False))
    anonymous = app.test_client()
    assert upload(anonymous, ("cat.jpg", cat_jpeg))
    assert anonymous.get("/api/images").json["total"] == 1
    assert anonymous.get("/login").status_code == 302
    # A page's own form still needs its CSRF token once the browser holds a session.
    csrf = csrf_of(anonymous)
    assert anonymous.post("/upload", data={}).status_code == 403
    assert anonymous.post("/upload", data={"csrf_token": csrf}).status_code == 302


def test_accounts_are_on_wherever_the_server_is_not_only_this_machines(web_settings):
    assert not web_settings.with_overrides(auth=False).accounts_required
    assert web_settings.with_overrides(auth=False, host="0.0.0.0").accounts_required
    assert web_settings.with_overrides(auth=False, storage="s3", s3_bucket="b").accounts_required
    assert web_settings.accounts_required  # the default


def test_the_server_says_who_may_use_it(make_app, web_settings):
    from imgsearch_web.serving import access_lines

    off = web_settings.with_overrides(auth=False)
    assert "accounts are OFF" in access_lines(off, make_app(settings=off).extensions["imgsearch"])[0]
    lines = access_lines(web_settings, make_app().extensions["imgsearch"])
    assert lines[0].startswith("accounts are on") and "no accounts yet" in lines[1]


def test_two_accounts_and_the_routes_that_act_on_several_photos(two):
    app, alice, bob, cat, theirs = two
    key = app.extensions["imgsearch"].for_owner(alice.user.id).repository.get(cat).storage_key

    assert bob.post("/api/images/delete", json={"ids": [cat]}).json == {
        "deleted": [],
        "refused": [],
        "missing": [cat],
    }
    assert bob.post("/api/images/redescribe", json={"ids": [cat]}).json["missing"] == [cat]
    form = {"action": "delete", "ids": [cat], "confirm": "yes"}
    assert bob.post("/images/bulk", data=form, follow_redirects=True).status_code == 200
    assert (
        bob.post("/images/bulk", data={"action": "delete", "ids": [cat]}).status_code == 404
    )  # no page to confirm
    assert bob.get("/api/images", query_string={"keys": key}).json == {
        "images": [],
        "total": 0,
        "missing": [key],
    }
    assert bob.get("/api/library").json["photos"] == 3 and alice.get("/api/library").json["photos"] == 1
    assert alice.get(f"/api/images/{cat}").json["status"] == "indexed"
    # A photo page links to the photos next to it in the gallery: the same account's only.
    page = bob.get(f"/images/{theirs['bike.png']}").text
    linked = set(re.findall(r'rel="(?:prev|next)" href="/images/([0-9a-f]{32})"', page))
    assert linked == {theirs["my-cat.jpg"], theirs["boat.jpg"]}
    assert 'rel="prev"' not in alice.get(f"/images/{cat}").text
