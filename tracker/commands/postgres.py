"""``tracker init-db``: set up a PostgreSQL store for a team (schema, roles, grants)."""

from __future__ import annotations

import click

from tracker.render import Output, output_options


@click.command("init-db")
@click.option(
    "--db",
    "db",
    required=True,
    envvar="TRACKER_DB",
    metavar="URL",
    help="postgresql://ADMIN@HOST[:PORT]/DB[?schema=NAME]: a superuser login; the store goes "
    "in schema NAME (default tracker). Default: $TRACKER_DB.",
)
@click.option(
    "--roles",
    "prefix",
    default="tracker",
    show_default=True,
    help="Prefix of the three roles created: PREFIX_owner, PREFIX_append, PREFIX_read.",
)
@click.option(
    "--show-sql",
    is_flag=True,
    help="Print the whole set-up as SQL (to run by hand) instead of running anything.",
)
@output_options("init-db", csv=False)
def init_db_cmd(db: str, prefix: str, show_sql: bool, out: Output) -> None:
    """Create a PostgreSQL store whose database enforces append-only.

    Creates (if missing) a NOLOGIN owner role that owns the schema and every table and
    trigger in it, an append role that may read, INSERT into the log and maintain the
    derived tables (no UPDATE, DELETE or TRUNCATE on the log, no DDL: it cannot drop or
    disable a trigger), and a read role that may only read. Give the team's writers the
    append role (GRANT PREFIX_append TO alice) and everyone else the read role. Running it
    again re-applies the grants.

    \b
    Example:
      tracker init-db --db 'postgresql://postgres@db.example/news?schema=relations'
      tracker import events.jsonl --db 'postgresql://alice@db.example/news?schema=relations'
    """
    from tracker.store import is_url
    from tracker.store.postgres_setup import init_db, parse_location, role_names, setup_sql

    if not is_url(db):
        raise click.BadParameter(
            f"{db!r} is not a postgresql:// URL (an SQLite store needs no set-up)",
            param_hint="'--db'",
        )
    if show_sql:
        click.echo(setup_sql(parse_location(db).schema, role_names(prefix)), nl=False)
        return
    roles = init_db(db, prefix=prefix)
    schema = parse_location(db).schema
    if out.emit(
        {"schema": schema, "owner": roles.owner, "append": roles.append, "read": roles.read}
    ):
        return
    click.echo(
        f"store ready in schema {schema!r}: owner {roles.owner} (no login), "
        f"append {roles.append}, read {roles.read}"
    )
