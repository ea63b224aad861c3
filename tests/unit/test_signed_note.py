"""Signed notes and checkpoints follow C2SP signed-note / tlog-checkpoint byte for byte.

Known answers: the key pair and signed note of the package documentation of Go's
``golang.org/x/mod/sumdb/note`` (golang/mod, ``sumdb/note/note.go``), and the example of the
C2SP signed-note specification (C2SP/C2SP ``signed-note.md``, commit
d4c16da5e7687a016619074e78dad84b2c7238cc, section "Example").
"""

from __future__ import annotations

import base64
import stat
from pathlib import Path

import pytest

from tracker.signed_note import (
    EM_DASH,
    NoteError,
    SignerKey,
    TreeHead,
    VerifierKey,
    generate_key,
    key_id,
    open_note,
    parse_note,
    read_checkpoint,
    sign_checkpoint,
    sign_note,
    write_key_pair,
)

GO_SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
GO_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
GO_TEXT = (
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
)
GO_NOTE = (
    GO_TEXT + f"\n{EM_DASH} PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgY"
    "N1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
)
C2SP_VKEY = "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k"
C2SP_NOTE = (
    f"This is an example message.\n\n{EM_DASH} example.com/foo Uw2QOkn8srV1yJGh2VYRlL1Tnagv1"
    "YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n"
)
ROOT = bytes(range(32))


def test_signer_key_derives_the_published_verifier_key() -> None:
    signer = SignerKey.parse(GO_SKEY)
    assert signer.verifier().text() == GO_VKEY
    assert signer.text() == GO_SKEY
    assert f"{key_id('PeterNeumann', signer.verifier().public):08x}" == "c74f20a3"


def test_signing_reproduces_the_published_note() -> None:
    assert sign_note(GO_TEXT, [SignerKey.parse(GO_SKEY)]) == GO_NOTE


@pytest.mark.parametrize(("note", "key"), [(GO_NOTE, GO_VKEY), (C2SP_NOTE, C2SP_VKEY)])
def test_published_notes_open_with_their_keys(note: str, key: str) -> None:
    opened = open_note(note, [VerifierKey.parse(key)])
    assert note.startswith(opened.text)
    assert len(opened.signatures) == 1


def test_an_altered_text_is_rejected() -> None:
    with pytest.raises(NoteError, match="does not verify"):
        open_note(GO_NOTE.replace("problem,", "problem;"), [VerifierKey.parse(GO_VKEY)])


def test_a_note_signed_only_by_unknown_keys_is_rejected() -> None:
    with pytest.raises(NoteError, match="not signed by the key given"):
        open_note(C2SP_NOTE, [VerifierKey.parse(GO_VKEY)])


def test_unknown_signatures_are_ignored_beside_a_known_one() -> None:
    other = generate_key("someone.else")
    note = sign_note(GO_TEXT, [other, SignerKey.parse(GO_SKEY)])
    assert open_note(note, [VerifierKey.parse(GO_VKEY)]).text == GO_TEXT


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("PeterNeumann+c74f20a3", "expected NAME\\+KEYID\\+KEY"),
        ("PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "does not match"),
        ("PeterNeumann+C74F20A3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "8 lowercase hex"),
        ("PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "not an Ed25519"),
        ("Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "without spaces"),
        ("PeterNeumann+c74f20a3+!!!!", "not base64"),
    ],
    ids=["too few parts", "wrong key id", "uppercase id", "unknown type", "space", "bad base64"],
)
def test_malformed_verifier_keys_are_refused(text: str, message: str) -> None:
    with pytest.raises(NoteError, match=message):
        VerifierKey.parse(text)


def test_a_signer_key_with_a_wrong_id_is_refused() -> None:
    with pytest.raises(NoteError, match="does not match"):
        SignerKey.parse(GO_SKEY.replace("c74f20a3", "c74f20a4"))


def test_checkpoint_text_is_origin_size_and_base64_root() -> None:
    head = TreeHead("example.org/log", 42, ROOT)
    assert head.text() == f"example.org/log\n42\n{base64.b64encode(ROOT).decode()}\n"
    assert TreeHead.parse(head.text()) == head


def test_signed_checkpoint_round_trips_and_names_its_signer() -> None:
    signer = generate_key("example.org/log")
    note = sign_checkpoint(TreeHead("example.org/log", 7, ROOT), [signer])
    lines = note.split("\n")
    assert lines[3] == "" and lines[4].startswith(f"{EM_DASH} example.org/log ")
    opened = read_checkpoint(note, [signer.verifier()])
    assert opened.head == TreeHead("example.org/log", 7, ROOT)
    assert opened.signed_by == ("example.org/log",)


def test_unsigned_checkpoint_is_only_the_text() -> None:
    note = sign_checkpoint(TreeHead("example.org/log", 0, ROOT), [])
    assert parse_note(note).signatures == ()
    assert read_checkpoint(note).signed_by == ()
    with pytest.raises(NoteError, match="not signed"):
        read_checkpoint(note, [generate_key("example.org/log").verifier()])


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("log\n42\n", "expected the lines"),
        ("log\n042\n" + base64.b64encode(ROOT).decode() + "\n", "tree size '042'"),
        ("log\n-1\n" + base64.b64encode(ROOT).decode() + "\n", "tree size '-1'"),
        ("log\n4\n" + base64.b64encode(ROOT[:31]).decode() + "\n", "31 bytes"),
        ("log\n4\nnot base64\n", "not base64"),
        ("log\n4\n" + base64.b64encode(ROOT).decode(), "end with a newline"),
        ("log\n4\n" + base64.b64encode(ROOT).decode() + "\n\nnot a signature\n", "line 5"),
        ("log\t\n4\n" + base64.b64encode(ROOT).decode() + "\n", "control character"),
    ],
    ids=[
        "no root",
        "leading zero",
        "negative",
        "short root",
        "bad base64",
        "no final newline",
        "bad signature line",
        "control character",
    ],
)
def test_malformed_checkpoints_are_refused(text: str, message: str) -> None:
    with pytest.raises(NoteError, match=message):
        read_checkpoint(text)


def test_key_pair_files_private_mode_0600(tmp_path: Path) -> None:
    signer = generate_key("example.org/log")
    private, public = write_key_pair(signer, tmp_path / "log")
    assert (private.name, public.name) == ("log.key", "log.pub")
    assert stat.S_IMODE(private.stat().st_mode) == 0o600
    assert SignerKey.parse(private.read_text()) == signer
    assert VerifierKey.parse(public.read_text()) == signer.verifier()


def test_key_files_are_never_overwritten(tmp_path: Path) -> None:
    write_key_pair(generate_key("a"), tmp_path / "log")
    before = (tmp_path / "log.key").read_bytes()
    with pytest.raises(NoteError, match="already exists"):
        write_key_pair(generate_key("b"), tmp_path / "log")
    assert (tmp_path / "log.key").read_bytes() == before
