"""The JSON API over the real pipeline: batch uploads, listing, search (same as the CLI), delete, retry."""

from __future__ import annotations

import io
import json

import pytest

from imgsearch import cli

from .samples import KITTEN_QUERY


def test_a_batch_keeps_the_good_files_and_explains_the_bad_one(
    post_files, worker, client, cat_jpeg, bike_png
):
    response = post_files(("cat.jpg", cat_jpeg), ("notes.txt", b"not an image"), ("bike.png", bike_png))

    assert response.status_code == 207
    files = response.json["files"]
    assert [f["filename"] for f in files] == ["cat.jpg", "notes.txt", "bike.png"]
    assert files[1] == {
        "filename": "notes.txt",
        "status": "rejected",
        "created": False,
        "error": "not an image (its contents are not a format we can read)",
    }
    assert all(f["created"] and f["status"] == "pending" and f["id"] for f in (files[0], files[2]))

    assert worker.join(timeout=30)
    cat = client.get(f"/api/images/{files[0]['id']}").json
    bike = client.get(f"/api/images/{files[2]['id']}").json
    assert cat["status"] == bike["status"] == "indexed"
    assert "a grey cat asleep on a red sofa" in cat["description"]
    assert bike["content_type"] == "image/png" and bike["orientation"] == "portrait"
    assert client.get("/api/images").json["total"] == 2


def test_the_same_photo_again_is_not_a_new_image(post_files, worker, cat_jpeg):
    first = post_files(("cat.jpg", cat_jpeg)).json["files"][0]
    assert worker.join(timeout=30)

    again = post_files(("copy-of-cat.jpg", cat_jpeg))

    assert again.status_code == 201
    assert again.json["files"] == [
        {"filename": "cat.jpg", "status": "indexed", "created": False, "id": first["id"]}
    ]


def test_a_request_where_every_file_fails_answers_400(post_files, client):
    response = post_files(("notes.txt", b"not an image"), ("empty.jpg", b""))

    assert response.status_code == 400
    assert response.json["error"] == "None of the files could be added."
    assert [(f["filename"], f["error"]) for f in response.json["files"]] == [
        ("notes.txt", "not an image (its contents are not a format we can read)"),
        ("empty.jpg", "the file is empty"),
    ]
    assert client.get("/api/images").json["total"] == 0


def test_a_request_without_files_answers_400(client):
    response = client.post("/api/images", data={}, content_type="multipart/form-data")
    assert response.status_code == 400
    assert "files" in response.json["error"]


def test_listing_is_newest_first_paged_and_filtered(
    indexed, client, failed_image, cat_jpeg, bike_png, boat_jpeg
):
    ids = indexed(("cat.jpg", cat_jpeg), ("bike.png", bike_png))
    broken, _ = failed_image(boat_jpeg, "boat.jpg")

    first = client.get("/api/images?per_page=2").json
    second = client.get("/api/images?per_page=2&page=2").json
    assert [i["filename"] for i in first["images"]] == ["boat.jpg", "bike.png"]
    assert [i["filename"] for i in second["images"]] == ["cat.jpg"]
    assert first["total"] == second["total"] == 3
    assert (first["page"], first["per_page"], second["page"]) == (1, 2, 2)

    failed = client.get("/api/images?status=failed").json
    assert [i["id"] for i in failed["images"]] == [broken.id]
    assert failed["total"] == 1
    assert failed["images"][0]["error"].startswith("FileNotFoundError")

    by_id = client.get(f"/api/images?ids={ids['cat.jpg']},nope,{broken.id}").json
    assert [i["id"] for i in by_id["images"]] == [ids["cat.jpg"], broken.id]
    assert by_id["missing"] == ["nope"]
    assert by_id["total"] == 2


@pytest.mark.parametrize(
    "query",
    ["page=0", "page=two", "per_page=0", "per_page=101", "per_page=x", "status=lost"],
)
def test_listing_refuses_bad_parameters(client, query):
    response = client.get(f"/api/images?{query}")
    assert response.status_code == 400
    assert response.json["error"]


def test_search_ranks_the_cat_first_and_matches_the_cli(
    indexed, client, web_settings, monkeypatch, capsys, cat_jpeg, bike_png, boat_jpeg
):
    indexed(("cat.jpg", cat_jpeg), ("bike.png", bike_png), ("boat.jpg", boat_jpeg))

    response = client.get("/api/search", query_string={"q": KITTEN_QUERY, "limit": 5, "all": 1})

    assert response.status_code == 200
    results = response.json["results"]
    # The cat first; the order of the two photos that do not answer the query means nothing.
    assert results[0]["filename"] == "cat.jpg"
    assert sorted(r["filename"] for r in results) == ["bike.png", "boat.jpg", "cat.jpg"]
    assert results[0]["snippet"] == "a grey cat asleep on a red sofa."
    assert results[0]["score"] > results[1]["score"]
    cut = client.get("/api/search", query_string={"q": KITTEN_QUERY}).json
    assert [r["filename"] for r in cut["results"]] == ["cat.jpg"] and cut["hidden"] == 2

    monkeypatch.setenv("IMGSEARCH_DATA_DIR", str(web_settings.data_dir))
    assert cli.main(["search", KITTEN_QUERY, "--json", "--limit", "5", "--all"]) == 0
    assert json.loads(capsys.readouterr().out) == results


@pytest.mark.parametrize(
    "query",
    [
        "q=",
        "q=%20%20",
        "",
        "q=cat&limit=0",
        "q=cat&limit=101",
        "q=cat&limit=ten",
        "q=cat&people=lots",
        "q=cat&from=yesterday",
        "q=cat&sort=size",
    ],
)
def test_search_refuses_bad_input(client, query):
    response = client.get(f"/api/search?{query}")
    assert response.status_code == 400
    assert response.json["error"]


def test_delete_removes_the_image_its_files_and_its_vectors(indexed, client, library, cat_jpeg, bike_png):
    ids = indexed(("cat.jpg", cat_jpeg), ("bike.png", bike_png))
    cat = library.repository.get(ids["cat.jpg"])

    assert client.delete(f"/api/images/{cat.id}").status_code == 204

    assert client.get(f"/api/images/{cat.id}").status_code == 404
    assert client.get(f"/api/images/{cat.id}").json == {"error": f"No image with id {cat.id}."}
    assert client.delete(f"/api/images/{cat.id}").status_code == 404
    assert not library.storage.exists(cat.storage_key)
    assert not library.storage.exists(cat.thumbnail_key)
    hits = client.get("/api/search", query_string={"q": KITTEN_QUERY, "all": 1}).json["results"]
    assert [h["filename"] for h in hits] == ["bike.png"]


def test_retry_processes_a_failed_image_again(client, worker, failed_image, cat_jpeg):
    image, restore = failed_image(cat_jpeg, "cat.jpg")
    restore()

    response = client.post(f"/api/images/{image.id}/retry")

    assert response.status_code == 202
    assert response.json["status"] == "pending"
    assert worker.join(timeout=30)
    assert client.get(f"/api/images/{image.id}").json["status"] == "indexed"
    again = client.post(f"/api/images/{image.id}/retry")
    assert again.status_code == 409
    assert "indexed" in again.json["error"]
    assert client.post("/api/images/nope/retry").status_code == 404


def test_retry_without_a_worker_runs_at_once(make_app, client_for, failed_image, cat_jpeg):
    app = make_app({"START_WORKER": False})
    image, restore = failed_image(cat_jpeg, "cat.jpg")
    restore()

    response = client_for(app).post(f"/api/images/{image.id}/retry")

    assert response.status_code == 200
    assert response.json["status"] == "indexed"


def test_describe_again_queues_an_indexed_photo_and_it_stays_findable(indexed, client, worker, cat_jpeg):
    ids = indexed(("cat.jpg", cat_jpeg))
    image_id = ids["cat.jpg"]

    response = client.post(f"/api/images/{image_id}/redescribe")

    assert response.status_code == 202
    assert response.json["status"] == "pending"
    assert worker.join(timeout=30)
    after = client.get(f"/api/images/{image_id}").json
    assert after["status"] == "indexed" and after["error"] is None
    assert client.get("/api/search", query_string={"q": KITTEN_QUERY}).json["results"][0]["id"] == image_id
    assert client.post("/api/images/nope/redescribe").status_code == 404


def test_an_oversize_request_answers_413_json(make_app, web_settings):
    app = make_app(settings=web_settings.with_overrides(max_upload_mb=0.05))
    too_big = b"x" * (app.config["MAX_CONTENT_LENGTH"] + 1)

    response = app.test_client().post("/api/images", data={"files": [(io.BytesIO(too_big), "big.jpg")]})

    assert response.status_code == 413
    assert response.json["error"].startswith("The upload is too large")


def test_a_photo_over_the_size_limit_is_refused_on_its_own(make_app, client_for, web_settings, cat_jpeg):
    app = make_app(settings=web_settings.with_overrides(max_upload_mb=0.5))

    response = client_for(app).post(
        "/api/images",
        data={
            "files": [
                (io.BytesIO(b"\xff\xd8" + b"x" * 700_000), "huge.jpg"),
                (io.BytesIO(cat_jpeg), "cat.jpg"),
            ]
        },
    )

    assert response.status_code == 207
    assert response.json["files"][0]["error"] == "the file is 0.7 MB, over the 0.5 MB limit for one photo"
    assert response.json["files"][1]["status"] == "pending"


def test_errors_are_json_under_api(client):
    assert client.get("/api/images/nope").json == {"error": "No image with id nope."}
    assert client.get("/api/nothing-here").status_code == 404
    assert "error" in client.get("/api/nothing-here").json
    wrong_method = client.get("/api/uploads")
    assert wrong_method.status_code == 405
    assert "error" in wrong_method.json


def test_direct_uploads_are_cloud_only(client):
    response = client.post(
        "/api/uploads", json={"files": [{"filename": "a.jpg", "size": 10, "type": "image/jpeg"}]}
    )
    assert response.status_code == 404
    assert "cloud mode" in response.json["error"]


def test_cross_site_writes_are_refused(client, cat_jpeg):
    response = client.post("/api/images", headers={"Sec-Fetch-Site": "cross-site"}, data={})
    assert response.status_code == 403
    assert client.get("/api/images").json["total"] == 0


def test_healthz(client):
    assert client.get("/healthz").json == {"status": "ok", "storage": "local"}


def test_a_failing_back_end_answers_503_with_a_reason(app, client, monkeypatch):
    from imgsearch.errors import BackendError

    def unavailable(*args, **kwargs):
        raise BackendError("Pinecone query failed: ServiceUnavailable")

    monkeypatch.setattr(app.extensions["imgsearch"].search, "find", unavailable)
    response = client.get("/api/search?q=cat")
    assert response.status_code == 503
    assert "Pinecone query failed" in response.json["error"]
    page = client.get("/search?q=cat")
    assert page.status_code == 503 and b"try again" in page.data


def test_several_photos_are_deleted_at_once(indexed, client, library, cat_jpeg, bike_png, boat_jpeg):
    ids = indexed(("cat.jpg", cat_jpeg), ("bike.png", bike_png), ("boat.jpg", boat_jpeg))

    response = client.post("/api/images/delete", json={"ids": [ids["cat.jpg"], "nope", ids["boat.jpg"]]})

    assert response.status_code == 200
    assert [i["filename"] for i in response.json["deleted"]] == ["cat.jpg", "boat.jpg"]
    assert response.json["missing"] == ["nope"] and response.json["refused"] == []
    assert [i.filename for i in library.repository.list()] == ["bike.png"]
    assert library.index.count() == library.repository.get(ids["bike.png"]).vector_count
    assert client.get(f"/api/images/{ids['cat.jpg']}").status_code == 404


def test_several_photos_are_described_again_at_once(indexed, client, worker, cat_jpeg, bike_png):
    ids = indexed(("cat.jpg", cat_jpeg), ("bike.png", bike_png))

    response = client.post("/api/images/redescribe", json={"ids": list(ids.values())})

    assert response.status_code == 202
    assert {i["status"] for i in response.json["images"]} == {"pending"}
    assert worker.join(timeout=30)
    assert client.get("/api/library").json == {
        "photos": 2,
        "pending": 0,
        "processing": 0,
        "indexed": 2,
        "failed": 0,
    }


@pytest.mark.parametrize(
    "body",
    [None, {}, {"ids": []}, {"ids": "abc"}, {"ids": [1, 2]}, {"ids": ["x"] * 201}],
)
def test_bulk_actions_refuse_bad_bodies(client, body):
    for path in ("/api/images/delete", "/api/images/redescribe"):
        response = client.post(path, json=body) if body is not None else client.post(path)
        assert response.status_code == 400, (path, body)
        assert "ids" in response.json["error"] or "At most" in response.json["error"]


def test_photos_are_found_by_their_storage_key(indexed, client, library, cat_jpeg):
    image_id = indexed(("cat.jpg", cat_jpeg))["cat.jpg"]
    key = library.repository.get(image_id).storage_key

    body = client.get("/api/images", query_string={"keys": f"{key},originals/nothing.jpg"}).json

    assert [(i["id"], i["key"], i["status"]) for i in body["images"]] == [(image_id, key, "indexed")]
    assert body["missing"] == ["originals/nothing.jpg"]
