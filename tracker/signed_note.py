"""Signed tree heads: C2SP signed notes (c2sp.org/signed-note) whose text is a C2SP
tlog-checkpoint (c2sp.org/tlog-checkpoint), signed with Ed25519 keys.

A checkpoint says "the log ORIGIN had SIZE records with Merkle root ROOT", signed::

    relations-tracker/example
    1042
    Qq3wJ0Y0Y6pJb1mH7o0bJ2qk3n8bMlwb6c3q1kUQ2wQ=

    — relations-tracker/example AbCdEf...base64(key ID || Ed25519 signature)...

Key texts are those of Go's ``golang.org/x/mod/sumdb/note``, so keys and notes interoperate
with the transparency-log tools built on it: a verifier (public) key is
``NAME+KEYID+base64(0x01 || public key)``, a signer (private) key
``PRIVATE+KEY+NAME+KEYID+base64(0x01 || seed)``, where KEYID is the hex of
``SHA-256(NAME || 0x0A || 0x01 || public key)[:4]``.

``cryptography`` is imported only when signing, verifying or generating.

This module is over 400 lines because the note format, the key texts and Ed25519 signing and
verification are one specification.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from events.errors import TrackerError

EM_DASH = "\u2014"
ED25519 = 0x01
"""The signature type byte of Ed25519 note signatures."""
MAX_SIGNATURES = 64
_SPACE = re.compile(r"\s")
_SIZE = re.compile(r"0|[1-9][0-9]*")
_HEX8 = re.compile(r"[0-9a-f]{8}")


class NoteError(TrackerError):
    """A key, note or checkpoint that is malformed, or whose signature does not verify."""


# -- keys ------------------------------------------------------------------------------------


def _check_name(name: str, what: str = "key name") -> None:
    if not name or _SPACE.search(name) or "+" in name or not name.isprintable():
        raise NoteError(
            f"{what} {name!r}: must be non-empty, without spaces or '+'",
            field=what.replace(" ", "_"),
            value=name,
        )


def key_id(name: str, public: bytes) -> int:
    """The C2SP key ID of an Ed25519 key: the first four bytes of
    ``SHA-256(name || 0x0A || 0x01 || public key)``, big-endian."""
    digest = hashlib.sha256(name.encode() + b"\n" + bytes([ED25519]) + public).digest()
    return int.from_bytes(digest[:4], "big")


def _b64decode(text: str, what: str) -> bytes:
    try:
        return base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError):
        raise NoteError(f"{what}: not base64", field=what, value=text) from None


@dataclass(frozen=True, slots=True)
class VerifierKey:
    """A public key with the name and key ID its signature lines carry."""

    name: str
    public: bytes

    @property
    def key_id(self) -> int:
        return key_id(self.name, self.public)

    def text(self) -> str:
        blob = base64.b64encode(bytes([ED25519]) + self.public).decode()
        return f"{self.name}+{self.key_id:08x}+{blob}"

    @classmethod
    def parse(cls, text: str) -> VerifierKey:
        parts = text.strip().split("+", 2)  # base64 may hold "+": split off name and ID only
        if len(parts) != 3:
            raise NoteError(
                f"verifier key {text.strip()[:80]!r}: expected NAME+KEYID+KEY",
                field="key",
                value=text.strip()[:80],
            )
        name, hex_id, blob = parts
        key = _parse_key_parts(name, hex_id, blob, "verifier key")
        return cls(name, key)

    def verify(self, message: bytes, signature: bytes) -> bool:
        from cryptography.exceptions import InvalidSignature
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

        try:
            Ed25519PublicKey.from_public_bytes(self.public).verify(signature, message)
        except InvalidSignature:
            return False
        return True


@dataclass(frozen=True, slots=True)
class SignerKey:
    """A private key (its 32-byte Ed25519 seed) with its name."""

    name: str
    seed: bytes = field(repr=False)

    def verifier(self) -> VerifierKey:
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
        from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

        public = (
            Ed25519PrivateKey.from_private_bytes(self.seed)
            .public_key()
            .public_bytes(Encoding.Raw, PublicFormat.Raw)
        )
        return VerifierKey(self.name, public)

    def text(self) -> str:
        blob = base64.b64encode(bytes([ED25519]) + self.seed).decode()
        return f"PRIVATE+KEY+{self.name}+{self.verifier().key_id:08x}+{blob}"

    @classmethod
    def parse(cls, text: str) -> SignerKey:
        parts = text.strip().split("+", 4)
        if len(parts) != 5 or parts[:2] != ["PRIVATE", "KEY"]:
            raise NoteError(
                "signer key: expected PRIVATE+KEY+NAME+KEYID+KEY", field="key", value="(private)"
            )
        name, hex_id, blob = parts[2:]
        seed = _parse_key_parts(name, hex_id, blob, "signer key", private=True)
        signer = cls(name, seed)
        if signer.verifier().key_id != int(hex_id, 16):
            raise NoteError(
                f"signer key {name!r}: key ID {hex_id} does not match the key",
                field="key_id",
                value=hex_id,
            )
        return signer

    def sign(self, message: bytes) -> bytes:
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

        return Ed25519PrivateKey.from_private_bytes(self.seed).sign(message)


def _parse_key_parts(
    name: str, hex_id: str, blob: str, what: str, *, private: bool = False
) -> bytes:
    _check_name(name)
    if not _HEX8.fullmatch(hex_id):
        raise NoteError(
            f"{what} {name!r}: key ID {hex_id!r} is not 8 lowercase hex digits",
            field="key_id",
            value=hex_id,
        )
    raw = _b64decode(blob, "key")
    if len(raw) != 33 or raw[0] != ED25519:
        raise NoteError(
            f"{what} {name!r}: not an Ed25519 key (type 0x01 and 32 bytes)",
            field="key",
            value=name,
        )
    key = raw[1:]
    if not private and key_id(name, key) != int(hex_id, 16):
        raise NoteError(
            f"{what} {name!r}: key ID {hex_id} does not match the key", field="key_id", value=hex_id
        )
    return key


def generate_key(name: str) -> SignerKey:
    """A new random Ed25519 key named ``name`` (by convention the log's origin)."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import (
        Encoding,
        NoEncryption,
        PrivateFormat,
    )

    _check_name(name)
    seed = Ed25519PrivateKey.generate().private_bytes(
        Encoding.Raw, PrivateFormat.Raw, NoEncryption()
    )
    return SignerKey(name, seed)


def key_paths(out: str | Path) -> tuple[Path, Path]:
    """Where ``keygen --out NAME`` writes: ``NAME.key`` (private) and ``NAME.pub``."""
    base = Path(out)
    return base.with_name(base.name + ".key"), base.with_name(base.name + ".pub")


def write_key_pair(signer: SignerKey, out: str | Path) -> tuple[Path, Path]:
    """Write the private key (mode 0600 from the moment it exists, never over an existing
    file) and the public key beside it, both through :mod:`tracker.outputs` (checked first,
    put in place only when both are written); return both paths."""
    from tracker.outputs import AtomicOutput, OutputError, OutputExistsError

    private, public = key_paths(out)
    try:
        with (
            AtomicOutput(private, field="key file", replace=False, mode=0o600) as secret,
            AtomicOutput(public, field="key file", replace=False) as shared,
        ):
            secret.stream.write(signer.text() + "\n")
            shared.stream.write(signer.verifier().text() + "\n")
            secret.publish()
            try:
                shared.publish()
            except BaseException:
                secret.retract()
                raise
    except OutputError as exc:
        hint = " (refusing to overwrite a key)" if isinstance(exc, OutputExistsError) else ""
        raise NoteError(exc.message + hint, field="out", value=exc.value) from None
    return private, public


def read_key_text(path: str | Path, what: str) -> str:
    """The text of a key file, with a clear error naming it if it cannot be read."""
    try:
        return Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        raise NoteError(
            f"{what} {str(path)!r}: cannot read it ({reason})", field=what, value=str(path)
        ) from None


# -- notes -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Signature:
    name: str
    key_id: int
    signature: bytes


@dataclass(frozen=True, slots=True)
class Note:
    """A note's text (ending in a newline) and its signature lines, not yet verified."""

    text: str
    signatures: tuple[Signature, ...] = ()


def _check_text(text: str) -> None:
    if not text.endswith("\n"):
        raise NoteError("note text: must end with a newline", field="note", value=text[-40:])
    bad = next((c for c in text if c < " " and c != "\n"), None)
    if bad is not None:
        raise NoteError(
            f"note text: control character {bad!r} is not allowed", field="note", value=repr(bad)
        )


def sign_note(text: str, signers: Sequence[SignerKey]) -> str:
    """The signed note: the text, a blank line, one signature line per signer."""
    _check_text(text)
    lines = []
    for signer in signers:
        verifier = signer.verifier()
        blob = verifier.key_id.to_bytes(4, "big") + signer.sign(text.encode())
        lines.append(f"{EM_DASH} {signer.name} {base64.b64encode(blob).decode()}\n")
    return text + "\n" + "".join(lines)


def parse_note(note: str) -> Note:
    """Split a note into text and signatures (a note without a blank line has none: an
    unsigned checkpoint)."""
    _check_text(note)
    cut = note.rfind("\n\n")
    if cut < 0:
        return Note(note)
    text, block = note[: cut + 1], note[cut + 2 :]
    if not block:
        raise NoteError(
            "note: a blank line must be followed by signature lines", field="note", value=""
        )
    signatures = []
    for number, line in enumerate(block.splitlines(), start=text.count("\n") + 2):
        prefix, _, rest = line.partition(" ")
        name, _, blob = rest.partition(" ")
        if prefix != EM_DASH or not name or not blob or " " in blob:
            raise NoteError(
                f"note line {number}: not a signature line ('— NAME SIGNATURE')",
                field="signature",
                value=line[:80],
                line=number,
            )
        _check_name(name)
        raw = _b64decode(blob, "signature")
        if len(raw) < 5:
            raise NoteError(
                f"note line {number}: signature too short", field="signature", line=number
            )
        signatures.append(Signature(name, int.from_bytes(raw[:4], "big"), raw[4:]))
    if len(signatures) > MAX_SIGNATURES:
        raise NoteError(
            f"note: {len(signatures)} signatures (at most {MAX_SIGNATURES} are read)",
            field="signature",
            value=len(signatures),
        )
    return Note(text, tuple(signatures))


def open_note(note: str, known: Iterable[VerifierKey]) -> Note:
    """Parse a note and check it is signed by one of ``known`` keys (C2SP rules: signatures of
    unknown keys are ignored; one from a known key that fails rejects the note; at least one
    known key must have signed)."""
    parsed = parse_note(note)
    keys = {(k.name, k.key_id): k for k in known}
    verified = 0
    for sig in parsed.signatures:
        key = keys.get((sig.name, sig.key_id))
        if key is None:
            continue
        if not key.verify(parsed.text.encode(), sig.signature):
            raise NoteError(
                f"note: the signature of {sig.name!r} (key {sig.key_id:08x}) does not verify: "
                "the note was altered or signed by another key",
                field="signature",
                value=sig.name,
            )
        verified += 1
    if not verified:
        names = ", ".join(sorted({f"{k.name}+{k.key_id:08x}" for k in keys.values()}))
        raise NoteError(
            f"note: not signed by the key given ({names})", field="signature", value=names
        )
    return parsed


# -- checkpoints (tree heads) ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TreeHead:
    """A log's Merkle tree head: its origin (the log's name), size and root hash."""

    origin: str
    size: int
    root: bytes
    extensions: tuple[str, ...] = ()

    def text(self) -> str:
        """The tlog-checkpoint note text."""
        _check_name(self.origin, "origin")
        lines = [self.origin, str(self.size), base64.b64encode(self.root).decode()]
        return "\n".join([*lines, *self.extensions]) + "\n"

    @classmethod
    def parse(cls, text: str) -> TreeHead:
        lines = text.split("\n")
        if lines[-1] != "" or len(lines) < 4 or "" in lines[:-1]:
            raise NoteError(
                "checkpoint: expected the lines ORIGIN, TREE SIZE, ROOT HASH (then signatures)",
                field="checkpoint",
                value=text[:80],
            )
        origin, size, root_b64, *extensions = lines[:-1]
        if not origin:
            raise NoteError("checkpoint line 1: empty origin", field="origin", line=1)
        if not _SIZE.fullmatch(size):
            raise NoteError(
                f"checkpoint line 2: tree size {size!r} is not a decimal number",
                field="tree_size",
                value=size,
                line=2,
            )
        root = _b64decode(root_b64, "root")
        if len(root) != 32:
            raise NoteError(
                f"checkpoint line 3: root hash has {len(root)} bytes, not 32",
                field="root",
                value=root_b64,
                line=3,
            )
        return cls(origin, int(size), root, tuple(extensions))


def sign_checkpoint(head: TreeHead, signers: Sequence[SignerKey]) -> str:
    """The checkpoint as a note: signed by ``signers``, or unsigned (the text alone)."""
    return sign_note(head.text(), signers) if signers else head.text()


@dataclass(frozen=True, slots=True)
class OpenedCheckpoint:
    head: TreeHead
    signed_by: tuple[str, ...]
    """Names of the keys whose signatures were verified (empty: signature not checked)."""
    signatures: int


def read_checkpoint(note: str, known: Sequence[VerifierKey] = ()) -> OpenedCheckpoint:
    """Parse a checkpoint note; with ``known`` keys, also require a valid signature by one."""
    parsed = open_note(note, known) if known else parse_note(note)
    head = TreeHead.parse(parsed.text)
    names = {(k.name, k.key_id) for k in known}
    signed_by = tuple(s.name for s in parsed.signatures if (s.name, s.key_id) in names)
    return OpenedCheckpoint(head, signed_by, len(parsed.signatures))
