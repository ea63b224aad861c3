"""Proof to a third party: keygen, checkpoint, prove.

``verify --checkpoint`` (in :mod:`tracker.commands.audit`) checks a checkpoint against the log;
the work is in :mod:`tracker.transparency` (from a store) and :mod:`tracker.proofs` (without
one). Every command here reads the store read-only.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from tracker.params import db_option
from tracker.render import Output, dumps, output_options

F = TypeVar("F", bound=Callable[..., Any])


def write_output(
    text: str,
    out: Path | None,
    db: str,
    force: bool,
    inputs: tuple[Path | None, ...] = (),
    *,
    printed: bool = True,
) -> None:
    """Print ``text`` (if ``printed``), or write it to ``out`` (never over the store or its
    sidecars, nor an input such as the signing key; an existing file only with ``force``)."""
    if out is None:
        if printed:
            click.echo(text, nl=False)
        return
    from tracker.outputs import AtomicOutput

    readers = [p for p in inputs if p is not None]
    with AtomicOutput(out, field="out", store=db, inputs=readers, replace=force) as output:
        output.stream.write(text)
        output.publish()


def out_options(what: str) -> Callable[[F], F]:
    """``--out FILE`` (instead of standard output) and ``--force`` (replace it)."""

    def decorate(f: F) -> F:
        f = click.option("--force", is_flag=True, help="Replace an existing --out file.")(f)
        return click.option(
            "--out",
            "out",
            type=click.Path(dir_okay=False, path_type=Path),
            help=f"Write the {what} to this file instead of printing it.",
        )(f)

    return decorate


@click.command("keygen")
@click.option(
    "--out",
    "out",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Base name of the key files: writes NAME.key (private, mode 0600) and NAME.pub.",
)
@click.option(
    "--name",
    "name",
    help="The key's name, which signed checkpoints carry as their origin (the log's identity,"
    " e.g. example.org/relations). Default: the file name of --out.",
)
@output_options("keygen", csv=False, name="out_format")
def keygen_cmd(out: Path, name: str | None, out_format: Output) -> None:
    """Write a new Ed25519 key pair for signing checkpoints.

    NAME.key holds the private key (created with mode 0600; keep it secret), NAME.pub the
    public key to hand to whoever checks your checkpoints. Existing files are never
    overwritten. Key texts are those of Go's sumdb/note package.

    \b
    Example:
      tracker keygen --out ourlog --name example.org/relations
    """
    from tracker.signed_note import generate_key, write_key_pair

    signer = generate_key(name or out.name)
    private, public = write_key_pair(signer, out)
    verifier = signer.verifier().text()
    if not out_format.emit({"private": str(private), "public": str(public), "verifier": verifier}):
        click.echo(f"private key: {private} (mode 0600)\npublic key:  {public}\n{verifier}")


@click.command("checkpoint")
@click.option(
    "--sign",
    "key",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="Sign with this private key (a NAME.key from `tracker keygen`).",
)
@click.option(
    "--origin",
    help="The origin line (the log's identity). Default: the signing key's name, else "
    "'relations-tracker'.",
)
@out_options("checkpoint")
@output_options("checkpoint", csv=False, name="out_format")
@db_option
def checkpoint_cmd(
    key: Path | None,
    origin: str | None,
    out: Path | None,
    force: bool,
    out_format: Output,
    db: str,
) -> None:
    """Print the log's tree head as a checkpoint: origin, tree size, Merkle root.

    The text is a C2SP tlog-checkpoint (a signed note when --sign is given): publish it, and
    anyone can later check that the log they are shown extends it (`tracker verify
    --checkpoint`) or that an event is in it (`tracker prove`).

    --json prints {"format_version", "command": "checkpoint", "file", "origin", "size", "root"
    (hex), "signed_by", "note" (the checkpoint's text)} (and still writes --out).

    \b
    Example:
      tracker checkpoint --sign ourlog.key --out 2026-12-01.checkpoint
    """
    from tracker.signed_note import SignerKey, read_checkpoint, read_key_text
    from tracker.transparency import checkpoint_file

    signer = SignerKey.parse(read_key_text(key, "key")) if key else None
    note = checkpoint_file(db, signer=signer, origin=origin)
    write_output(note, out, db, force, (key,), printed=out_format.text)
    head = read_checkpoint(note).head
    out_format.emit(
        {
            "file": None if out is None else str(out),
            "origin": head.origin,
            "size": head.size,
            "root": head.root.hex(),
            "signed_by": [] if signer is None else [signer.name],
            "note": note,
        }
    )


@click.command("prove")
@click.argument("event_id")
@click.option(
    "--checkpoint",
    "checkpoint_file",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="Prove inclusion in the tree of this checkpoint (which the log must extend) instead "
    "of the current one.",
)
@out_options("proof")
@output_options("prove", csv=False, name="out_format")
@db_option
def prove_cmd(
    event_id: str,
    checkpoint_file: Path | None,
    out: Path | None,
    force: bool,
    out_format: Output,
    db: str,
) -> None:
    """Print the inclusion proof of event EVENT_ID (JSON).

    Keys: event_id, leaf_index (seq - 1), tree_size, root (hex), leaf_hash, record (the bytes
    hashed into the leaf: the event as the chain hashes it), audit_path (hex hashes, leaf side
    first), and origin with --checkpoint. `tracker.proofs.check_inclusion` checks it without
    the store.
    """
    from tracker.signed_note import read_checkpoint, read_key_text
    from tracker.transparency import prove_file

    head = None
    if checkpoint_file is not None:
        head = read_checkpoint(read_key_text(checkpoint_file, "checkpoint")).head
    proof = prove_file(db, event_id, head)
    write_output(dumps(proof) + "\n", out, db, force, (checkpoint_file,), printed=out_format.text)
    out_format.emit({"file": None if out is None else str(out), "proof": proof})
