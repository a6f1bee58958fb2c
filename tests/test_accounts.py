"""Accounts from the command line and in the pipeline: passwords, tokens, private libraries, --user."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from datetime import timedelta

import pytest

from imgsearch import passwords
from imgsearch.accounts import AccountError
from imgsearch.cli import main
from imgsearch.index.local import LocalVectorIndex
from imgsearch.models import LOCAL_OWNER, Status, VectorRecord
from photos import photo

PASSWORD = "correct horse battery staple"
CAT = "a grey cat asleep on a red sofa"
BIKE = "a bicycle leaning on a brick wall"


def test_passwords_are_hashed_with_scrypt_at_the_documented_cost():
    stored = passwords.hash_password(PASSWORD, passwords.Cost())

    assert stored.startswith("scrypt$32768$8$3$")
    assert PASSWORD not in stored
    assert passwords.verify_password(PASSWORD, stored)
    assert not passwords.verify_password(PASSWORD + "!", stored)
    assert not passwords.verify_password(PASSWORD, "md5$abc")
    assert stored != passwords.hash_password(PASSWORD, passwords.Cost())  # salted
    assert passwords.needs_rehash(passwords.hash_password(PASSWORD, passwords.Cost(n=2**11, r=8, p=1)))
    assert not passwords.needs_rehash(passwords.hash_password(PASSWORD))  # at today's cost


def test_the_first_account_adopts_the_local_library(library, ingest_bytes):
    cat = ingest_bytes(photo(caption=CAT), "cat.jpg")  # added before any account existed
    accounts = library.accounts

    alice = accounts.add_user("alice", PASSWORD)
    bob = accounts.add_user("bob", PASSWORD)

    assert alice.id == LOCAL_OWNER
    assert library.for_owner(alice.id).repository.get(cat.id).filename == "cat.jpg"
    assert library.for_owner(bob.id).repository.get(cat.id) is None
    assert accounts.authenticate("alice", PASSWORD) == alice
    assert accounts.authenticate("ALICE ", PASSWORD) == alice
    assert accounts.authenticate("alice", "wrong password") is None
    assert accounts.authenticate("nobody", PASSWORD) is None


@pytest.mark.parametrize(
    ("name", "password", "message"),
    [
        ("", PASSWORD, "an account name is"),
        ("al ice", PASSWORD, "an account name is"),
        ("../etc", PASSWORD, "an account name is"),
        ("alice", "short", "at least 8 characters"),
        ("alice", "x" * 2000, "at most 1024"),
    ],
)
def test_bad_names_and_passwords_are_refused(library, name, password, message):
    with pytest.raises(AccountError, match=message):
        library.accounts.add_user(name, password)
    assert library.accounts.users() == []


def test_a_name_is_taken_once_and_a_new_password_signs_out_sessions(library):
    alice = library.accounts.add_user("alice", PASSWORD)
    with pytest.raises(AccountError, match="already an account named 'alice'"):
        library.accounts.add_user("Alice", PASSWORD)
    changed = library.accounts.set_password("alice", "another good password")
    assert changed.session_version == alice.session_version + 1
    assert library.accounts.authenticate("alice", PASSWORD) is None
    assert library.accounts.authenticate("alice", "another good password") is not None


def test_two_owners_share_the_vector_file_but_never_each_others_vectors(tmp_path):
    alice = LocalVectorIndex(tmp_path / "v.sqlite", 3)
    bob = alice.for_owner("b" * 32)
    alice.upsert([VectorRecord("a#0", "a", 0, [1.0, 0.0, 0.0], "e")])
    bob.upsert([VectorRecord("b#0", "b", 0, [1.0, 0.1, 0.0], "e", owner=bob.owner)])

    assert [m.image_id for m in alice.query([1, 0, 0], top_k=10)] == ["a"]
    assert [m.image_id for m in bob.query([1, 0, 0], top_k=10)] == ["b"]
    assert bob.query([1, 0, 0], top_k=10, within=["a"]) == []
    assert bob.fetch(["a#0"]) == {} and alice.count() == bob.count() == 1
    bob.delete(["a#0"])  # another owner's id: nothing happens
    assert alice.count() == 1
    with pytest.raises(ValueError, match="another owner"):
        bob.upsert([VectorRecord("c#0", "c", 0, [0.0, 1.0, 0.0], "e")])


def test_a_vector_file_from_before_accounts_belongs_to_the_local_library(tmp_path):
    import sqlite3

    path = tmp_path / "old.sqlite"
    conn = sqlite3.connect(path)
    conn.executescript(
        "CREATE TABLE vectors (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, "
        "image_id TEXT NOT NULL, chunk INTEGER NOT NULL, embedder TEXT NOT NULL, embedding BLOB NOT NULL);"
    )
    import numpy as np

    conn.execute(
        "INSERT INTO vectors (id, image_id, chunk, embedder, embedding) VALUES ('x#0', 'x', 0, 'e', ?)",
        (np.asarray([0.0, 1.0, 0.0], dtype=np.float32).tobytes(),),
    )
    conn.commit()
    conn.close()

    index = LocalVectorIndex(path, 3)
    assert [m.image_id for m in index.query([0, 1, 0], top_k=5)] == ["x"]
    assert index.for_owner("b" * 32).count() == 0


def test_a_photo_held_by_a_process_that_died_is_taken_over_at_once(library, tmp_path):
    from imgsearch.worker import IngestWorker

    image = library.ingest.add(photo(caption=CAT), "cat.jpg").image
    # A process that took the photo, left its mark and was killed (its lock ends with it).
    code = (
        "import sys; from imgsearch.liveness import ProcessMarks; "
        "m = ProcessMarks(sys.argv[1]); print(m.hold())"
    )
    mark = subprocess.run(
        [sys.executable, "-c", code, str(library.settings.data_dir / "run")],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    library.repository.worker = mark
    assert library.repository.claim(image.id).status == Status.PROCESSING
    assert library.repository.lease == timedelta(seconds=300)  # far longer than this test waits

    worker = IngestWorker(library).start()
    try:
        assert worker.join(timeout=60)
    finally:
        worker.stop()

    assert library.repository.get(image.id).status == Status.INDEXED


def test_a_live_process_keeps_its_photos(library):
    marks = library.marks
    mark = marks.hold()
    assert marks.alive(mark)
    image = library.ingest.add(photo(caption=CAT), "cat.jpg").image
    library.repository.claim(image.id)

    assert library.everyone.release_abandoned(marks.alive) == 0
    assert library.repository.get(image.id).status == Status.PROCESSING


# ---------------------------------------------------------------------------- the command line


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("IMGSEARCH_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("IMGSEARCH_OCR", "false")
    monkeypatch.chdir(tmp_path)
    return tmp_path / "data"


def run(capsys, monkeypatch, *args: str, stdin: str | None = None) -> tuple[int, str, str]:
    if stdin is not None:
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_two_accounts_side_by_side_on_the_command_line(data_dir, tmp_path, capsys, monkeypatch):
    cat, bike = tmp_path / "cat.jpg", tmp_path / "bike.png"
    cat.write_bytes(photo(caption=CAT))
    bike.write_bytes(photo(fmt="PNG", xmp_description=BIKE, colour=(150, 60, 40)))
    assert run(capsys, monkeypatch, "ingest", "-q", str(cat))[0] == 0  # before any account

    code, out, _ = run(capsys, monkeypatch, "user", "add", "alice", "--password-stdin", stdin=PASSWORD + "\n")
    assert code == 0 and "alice owns the local library (1 photo already in it)" in out
    assert run(capsys, monkeypatch, "user", "add", "bob", "--password-stdin", stdin=PASSWORD + "\n")[0] == 0
    assert run(capsys, monkeypatch, "ingest", "-q", "--user", "bob", str(bike), str(cat))[0] == 0

    _, out, _ = run(capsys, monkeypatch, "list", "--json", "--user", "alice")
    alice = json.loads(out)
    _, out, _ = run(capsys, monkeypatch, "list", "--json", "--user", "bob")
    bob = json.loads(out)
    assert [i["filename"] for i in alice] == ["cat.jpg"]
    assert sorted(i["filename"] for i in bob) == ["bike.png", "cat.jpg"]  # the same bytes: two photos
    assert alice[0]["id"] not in {i["id"] for i in bob}
    _, out, _ = run(capsys, monkeypatch, "list", "--json")  # no --user: the local library, alice's
    assert json.loads(out) == alice

    _, out, _ = run(capsys, monkeypatch, "search", "bicycle against bricks", "--json", "--all", "-u", "alice")
    assert [r["filename"] for r in json.loads(out)] == ["cat.jpg"]  # never bob's bike
    code, _, err = run(capsys, monkeypatch, "show", bob[0]["id"], "--user", "alice")
    assert code == 1 and f"no image with id {bob[0]['id']}" in err
    code, _, err = run(capsys, monkeypatch, "delete", alice[0]["id"], "--user", "bob")
    assert code == 1 and "no image with id" in err
    _, out, _ = run(capsys, monkeypatch, "list", "--json", "--user", "alice")
    assert json.loads(out) == alice  # still there

    code, _, err = run(capsys, monkeypatch, "list", "--user", "carol")
    assert code == 1 and "no account named 'carol' (accounts: alice, bob)" in err

    _, out, _ = run(capsys, monkeypatch, "user", "list")
    assert "alice" in out and "bob" in out and "2 photos" in out
    code, _, err = run(capsys, monkeypatch, "user", "remove", "bob")
    assert code == 1 and "--delete-photos" in err
    code, out, _ = run(capsys, monkeypatch, "user", "remove", "bob", "--delete-photos")
    assert code == 0 and "removed account bob and its 2 photos" in out
    assert not any((data_dir / "media" / "originals").glob("*/*.png"))


def test_tokens_from_the_command_line(data_dir, capsys, monkeypatch):
    code, _, err = run(capsys, monkeypatch, "token", "create", "script")
    assert code == 1 and "no account owns the local library yet" in err
    run(capsys, monkeypatch, "user", "add", "alice", "--password-stdin", stdin=PASSWORD + "\n")

    code, out, err = run(capsys, monkeypatch, "token", "create", "backup script")
    secret = out.strip()
    assert code == 0 and secret.startswith("imgs_") and "shown only now" in err
    code, _, err = run(capsys, monkeypatch, "token", "create", "backup script")
    assert code == 1 and "already has a token named 'backup script'" in err
    _, out, _ = run(capsys, monkeypatch, "token", "list", "--user", "alice")
    assert "backup script" in out and secret not in out
    assert run(capsys, monkeypatch, "token", "revoke", "backup script")[0] == 0
    code, _, err = run(capsys, monkeypatch, "token", "revoke", "backup script")
    assert code == 1 and "has no token named" in err


def test_a_password_is_never_taken_from_a_pipe_without_saying_so(data_dir, capsys, monkeypatch):
    code, _, err = run(capsys, monkeypatch, "user", "add", "alice", stdin=PASSWORD + "\n")
    assert code == 1 and "--password-stdin" in err
    code, _, err = run(capsys, monkeypatch, "user", "add", "alice", "--password-stdin", stdin="short\n")
    assert code == 1 and "at least 8 characters" in err
    code, _, err = run(capsys, monkeypatch, "user", "passwd", "nobody", "--password-stdin", stdin=PASSWORD)
    assert code == 1 and "no account named 'nobody'" in err
