"""``tracker info``: what a store holds (tables, row counts, head, tree root, model, size)."""

from __future__ import annotations

from typing import Any

import click

from tracker.params import db_option
from tracker.render import Output, output_options, table
from tracker.terminal import echo

COLUMNS = ("name", "rows")
"""The CSV header of ``info --csv``: one row per table."""


@click.command("info")
@output_options("info", jsonl=True)
@db_option
def info_cmd(out: Output, db: str) -> None:
    """Describe the store: its tables and their rows, the log head (seq, hash, time), the
    root of the Merkle tree, the scoring model's fingerprint, the schema version and the
    size on disk. Reads only; the store is never changed.

    --json prints {"format_version": 1, "command": "info", "store", "backend",
    "schema_version", "size_bytes", "tables": [{"name", "rows"}], "head": {"seq", "hash",
    "recorded_at"}, "tree": {"size", "root"}, "model_fingerprint", "derived_layout"};
    --jsonl and --csv print the tables (name, rows).
    """
    from tracker.info import info

    doc = info(db).to_dict()
    if not out.emit(doc, doc["tables"], COLUMNS):
        echo(_text(doc))


def _text(doc: dict[str, Any]) -> str:
    from tabulate import tabulate

    head, tree, size = doc["head"], doc["tree"], doc["size_bytes"]
    about = [
        ("store", doc["store"]),
        ("backend", f"{doc['backend']}, schema version {doc['schema_version']}"),
        ("size", "unknown" if size is None else f"{size:,} bytes"),
        ("log head", f"seq {head['seq']}, hash {head['hash']}"),
        ("recorded", head["recorded_at"] or "(empty log)"),
        ("tree root", f"{tree['root']} ({tree['size']} events)"),
        ("model", doc["model_fingerprint"] or "(no checkpoints yet)"),
        ("derived", f"layout {doc['derived_layout']}" if doc["derived_layout"] else "none yet"),
    ]
    listing = table(
        ("table", "rows"), [(t["name"], f"{t['rows']:,}") for t in doc["tables"]], right=(1,)
    )
    return str(tabulate(about, tablefmt="plain", disable_numparse=True)) + "\n\n" + listing
