"""``tracker info``: what a store holds (tables, row counts, head, tree root, model, size)."""

from __future__ import annotations

from pathlib import Path

import click

from tracker.outputs import echo
from tracker.params import db_option, dumps, json_option


@click.command("info")
@json_option
@click.option("--csv", "as_csv", is_flag=True, help="CSV output: key,value per line.")
@db_option
def info_cmd(as_json: bool, as_csv: bool, db: Path) -> None:
    """Describe the store: its tables and their rows, the log head (seq, hash, time), the
    root of the Merkle tree, the scoring model's fingerprint, the schema version and the
    size on disk. Reads only; the store is never changed.

    --json prints {"format_version": 1, "command": "info", "store", "backend",
    "schema_version", "size_bytes", "tables": [{"name", "rows"}], "head": {"seq", "hash",
    "recorded_at"}, "tree": {"size", "root"}, "model_fingerprint", "derived_layout"};
    --csv prints the same values as key,value lines (rows.TABLE for each table).
    """
    from tracker.info import info

    if as_json and as_csv:
        raise click.UsageError("--json and --csv cannot be combined")
    found = info(db)
    if as_json:
        click.echo(dumps(found.to_dict()))
    elif as_csv:
        import csv
        import io

        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(["key", "value"])
        writer.writerows(found.fields())
        echo(buffer.getvalue(), nl=False)
    else:
        echo(_text(found.to_dict()))


def _text(doc: dict[str, object]) -> str:
    from tabulate import tabulate

    head = doc["head"]
    tree = doc["tree"]
    tables = doc["tables"]
    assert isinstance(head, dict) and isinstance(tree, dict) and isinstance(tables, list)
    size = doc["size_bytes"]
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
    listing = tabulate(
        [(t["name"], t["rows"]) for t in tables],
        headers=["table", "rows"],
        intfmt=",",
        colalign=("left", "right"),
    )
    return str(tabulate(about, tablefmt="plain")) + "\n\n" + str(listing)
