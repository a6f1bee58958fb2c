"""Reconcile on the local back ends: a photo file with no row is ingested where it lies."""

from __future__ import annotations

from imgsearch.cli import main
from imgsearch.models import Status
from photos import photo


def test_a_file_with_no_row_is_ingested_in_place(library, ingest_bytes):
    kept = ingest_bytes(photo(caption="a red bicycle by a brick wall", seed=1))
    # A crash between storing a file and recording it leaves the file alone on disk.
    library.storage.put("originals/lost.jpg", photo(caption="a blue boat on a lake", seed=2), "image/jpeg")

    assert library.ingest.reconcile().orphan_originals == ["originals/lost.jpg"]
    library.ingest.reconcile(fix=True)

    found = library.repository.by_key("originals/lost.jpg")
    assert found.status == Status.INDEXED
    assert library.search.search("boat on a lake")[0].image.id == found.id
    assert library.repository.get(kept.id).status == Status.INDEXED
    assert library.ingest.reconcile().clean


def test_the_command_reports_and_exits_1_until_fixed(settings, monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("IMGSEARCH_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("IMGSEARCH_OCR", "false")
    monkeypatch.chdir(tmp_path)
    folder = settings.data_dir / "media" / "originals"
    folder.mkdir(parents=True)
    (folder / "lost.jpg").write_bytes(photo(caption="a lighthouse"))

    assert main(["reconcile"]) == 1
    assert "     1  originals with no row" in capsys.readouterr().out
    assert main(["reconcile", "--fix"]) == 0
    assert main(["reconcile"]) == 0
    assert "storage, rows and vectors agree" in capsys.readouterr().out
    assert main(["redrive"]) == 0  # no queue locally: it says so
    assert "no dead-letter queue" in capsys.readouterr().out
