"""The imgsearch command line, run as a user would (in-process for speed, once as the real script)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from imgsearch.cli import main
from photos import photo

CAT = "a grey cat asleep on a red sofa"
BIKE = "a bicycle leaning on a brick wall"


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("IMGSEARCH_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.chdir(tmp_path)  # no stray .env from the checkout
    return tmp_path / "data"


@pytest.fixture
def album(tmp_path) -> Path:
    folder = tmp_path / "album"
    (folder / "nested").mkdir(parents=True)
    (folder / "cat.jpg").write_bytes(photo(caption=CAT))
    (folder / "nested" / "bike.png").write_bytes(photo(fmt="PNG", xmp_description=BIKE, colour=(150, 60, 40)))
    (folder / "notes.txt").write_text("shopping list, not a photo")
    (folder / ".hidden.jpg").write_bytes(photo(caption="hidden", seed=5))
    return folder


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_ingest_a_folder_indexes_photos_and_reports_bad_files(data_dir, album, capsys):
    code, out, err = run(capsys, "ingest", str(album))
    assert code == 1  # something failed
    assert "2 indexed, 0 skipped (already in the library), 1 failed" in out
    assert "notes.txt: not an image" in err

    code, out, _ = run(capsys, "ingest", str(album / "cat.jpg"))
    assert code == 0
    assert "0 indexed, 1 skipped" in out


def test_search_json_is_best_first_with_the_documented_fields(data_dir, album, capsys):
    run(capsys, "ingest", str(album))
    code, out, _ = run(capsys, "search", "kitten napping on the couch", "--json", "--limit", "5")
    assert code == 0
    results = json.loads(out)
    assert [r["filename"] for r in results] == ["cat.jpg"]  # the bike is below the cut-off
    _, out, _ = run(capsys, "search", "kitten napping on the couch", "--json", "--all")
    everything = json.loads(out)
    assert [r["filename"] for r in everything] == ["cat.jpg", "bike.png"]
    assert everything[0]["score"] > everything[1]["score"]
    for field in ("id", "filename", "score", "description", "snippet"):
        assert field in results[0]
    assert results[0]["snippet"] == CAT + "."


def test_list_show_delete(data_dir, album, capsys):
    run(capsys, "ingest", str(album))
    _, out, _ = run(capsys, "list", "--json")
    images = json.loads(out)
    assert [i["filename"] for i in images] == ["bike.png", "cat.jpg"]  # newest first
    cat_id = images[1]["id"]

    code, out, _ = run(capsys, "show", cat_id)
    assert code == 0 and CAT in out

    code, out, _ = run(capsys, "delete", cat_id)
    assert code == 0 and f"deleted {cat_id} (cat.jpg)" in out
    _, out, _ = run(capsys, "search", "kitten", "--json", "--all")
    assert [r["filename"] for r in json.loads(out)] == ["bike.png"]

    code, _, err = run(capsys, "delete", cat_id)
    assert code == 1 and f"no image with id {cat_id}" in err


def test_reindex_and_missing_path(data_dir, album, capsys):
    run(capsys, "ingest", str(album / "cat.jpg"))
    code, out, _ = run(capsys, "reindex", "--quiet")
    assert code == 0 and "1 images reindexed with local:all-MiniLM-L6-v2" in out
    code, out, err = run(capsys, "ingest", str(album / "nope.jpg"))
    assert code == 1 and "nope.jpg: no such file or folder" in err


def test_configuration_errors_are_reported(monkeypatch, capsys):
    monkeypatch.setenv("IMGSEARCH_INDEX", "faiss")
    code, _, err = run(capsys, "list")
    assert code == 2 and "IMGSEARCH_INDEX='faiss' is not one of: local, pinecone" in err


def test_the_installed_console_script(tmp_path, album):
    script = Path(sys.executable).parent / "imgsearch"
    env = {**os.environ, "IMGSEARCH_DATA_DIR": str(tmp_path / "d"), "IMGSEARCH_OCR": "false"}
    done = subprocess.run(
        [str(script), "ingest", str(album / "cat.jpg")], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    done = subprocess.run(
        [str(script), "search", "sleeping kitty", "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert json.loads(done.stdout)[0]["filename"] == "cat.jpg"


def test_redescribe_all_upgrades_photos_described_before_and_resumes(data_dir, album, capsys):
    from imgsearch.config import load_settings
    from imgsearch.library import Library

    run(capsys, "ingest", str(album))
    library = Library(load_settings(env_file=None))
    for image in library.repository.list():
        image.details["describer"] = "local"  # as an earlier version of the describer left them
        library.repository.update(image)

    code, _, err = run(capsys, "redescribe")
    assert code == 2 and "--all" in err
    code, out, _ = run(capsys, "redescribe", "--all", "--quiet")
    assert code == 0 and out.startswith("2 described again by local")
    code, out, _ = run(capsys, "redescribe", "--all", "--quiet")
    assert code == 0 and "every photo is already described by" in out
    cat_id = next(i.id for i in library.repository.list() if i.filename == "cat.jpg")
    code, out, _ = run(capsys, "redescribe", cat_id, "--quiet")
    assert code == 0 and out.startswith("1 described again")


def test_retry_says_why_an_indexed_or_unknown_photo_cannot_be_retried(data_dir, album, capsys):
    run(capsys, "ingest", str(album / "cat.jpg"))
    _, out, _ = run(capsys, "list", "--json")
    cat_id = json.loads(out)[0]["id"]
    code, _, err = run(capsys, "retry", cat_id)
    assert code == 1 and "is indexed, so there is nothing to retry" in err
    assert f"imgsearch redescribe {cat_id}" in err
    code, _, err = run(capsys, "retry", "f" * 32)
    assert code == 1 and "no image with id" in err
    code, out, _ = run(capsys, "retry")
    assert code == 0 and "nothing to retry" in out


def test_a_failed_ingest_is_one_tidy_line_without_a_traceback(data_dir, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("IMGSEARCH_DESCRIBER", "openai")
    monkeypatch.setenv("IMGSEARCH_OPENAI_BASE_URL", "http://127.0.0.1:9/v1")  # nothing listens there
    monkeypatch.setenv("IMGSEARCH_OPENAI_MODEL", "llava")
    path = tmp_path / "cat.jpg"
    path.write_bytes(photo(caption=CAT))
    code, out, err = run(capsys, "ingest", str(path), "--quiet")
    assert code == 1 and "0 indexed, 0 skipped (already in the library), 1 failed" in out
    assert "failed: " in err and "Traceback" not in err
    assert err.count("cat.jpg") == 1


def test_a_reader_that_goes_away_ends_the_output_quietly(tmp_path, album):
    script = Path(sys.executable).parent / "imgsearch"
    env = {**os.environ, "IMGSEARCH_DATA_DIR": str(tmp_path / "d"), "IMGSEARCH_OCR": "false"}
    subprocess.run([str(script), "ingest", str(album), "-q"], env=env, capture_output=True, timeout=120)
    child = subprocess.Popen(
        [str(script), "list", "--json"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    child.stdout.close()  # like `| head` exiting before the list is written
    _, err = child.communicate(timeout=60)
    assert b"Traceback" not in err and b"BrokenPipeError" not in err
