"""The ``tracker`` command line: a thin shell over :class:`tracker.api.Tracker`.

Subcommands live in ``tracker.commands.*`` and are imported only when invoked, so that a query
does not pay for modules it does not use. Library errors (``TrackerError``) become one-line
messages with exit status 1; bad arguments are usage errors with exit status 2.
"""

from __future__ import annotations

import importlib
import sqlite3
import sys
from typing import Any

import click

from events.errors import TrackerError
from tracker.params import STORE

# name -> "module:attribute"; the order here is the order of `tracker --help`
COMMANDS: dict[str, str] = {
    "demo": "tracker.commands.demo:demo_cmd",
    "append": "tracker.commands.log:append_cmd",
    "log": "tracker.commands.log:log_cmd",
    "types": "tracker.commands.log:types_cmd",
    "parties": "tracker.commands.parties:parties_cmd",
    "import": "tracker.commands.importing:import_cmd",
    "state": "tracker.commands.state:state_cmd",
    "explain": "tracker.commands.query:explain_cmd",
    "timeline": "tracker.commands.query:timeline_cmd",
    "chart": "tracker.commands.charts:chart_cmd",
    "report": "tracker.commands.charts:report_cmd",
    "dyads": "tracker.commands.query:dyads_cmd",
    "model": "tracker.commands.query:model_group",
    "rebuild": "tracker.commands.query:rebuild_cmd",
    "retract": "tracker.commands.audit:retract_cmd",
    "correct": "tracker.commands.audit:correct_cmd",
    "verify": "tracker.commands.audit:verify_cmd",
    "replay": "tracker.commands.audit:replay_cmd",
    "export": "tracker.commands.audit:export_cmd",
    "info": "tracker.commands.info:info_cmd",
    "init-db": "tracker.commands.postgres:init_db_cmd",
    "keygen": "tracker.commands.proof:keygen_cmd",
    "checkpoint": "tracker.commands.proof:checkpoint_cmd",
    "prove": "tracker.commands.proof:prove_cmd",
}


FLAGS = {"store": "--db", "against": "--against", "report": "--report", "search": "--search"}
"""The option that supplies what a library error names (``field``): the CLI says the flag."""


def _hint(exc: TrackerError) -> str:
    """What to do next, in the CLI's terms (the library does not know the flags)."""
    name = type(exc).__name__
    if name == "StoreNotFoundError":
        return " (append or import events first, or run `tracker demo`)"
    if name == "ImportAbortedError" and getattr(exc, "skippable", False):
        return "; --skip-invalid imports the other rows and reports the bad ones"
    if name == "ImportFormatError" and exc.field == "format":
        return " (--format)"
    if name == "AuditError" and "broken log" in exc.message:
        return ": run `tracker verify`"
    return ""


def render_error(exc: TrackerError) -> str:
    """A library error as the CLI shows it: the object it names becomes the flag that gave it
    (``store 'x.db': ...`` -> ``--db 'x.db': ...``), plus a hint of what to run."""
    text = str(exc)
    flag = FLAGS.get(exc.field or "")
    if flag is not None and exc.message.startswith(f"{exc.field} "):
        text = text.replace(exc.message, flag + exc.message[len(exc.field or "") :], 1)
    return text + _hint(exc)


class LazyGroup(click.Group):
    def main(self, *args: Any, **kwargs: Any) -> Any:
        _defer_collection()
        try:
            return super().main(*args, **kwargs)
        finally:
            _resume_collection()

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None:
            return None
        module, attr = target.split(":")
        command: click.Command = getattr(importlib.import_module(module), attr)
        return command

    def invoke(self, ctx: click.Context) -> Any:
        from tracker import crashes

        crashes.install_signal_handlers()
        _no_collection_at_exit()
        before = crashes.commits()
        from tracker.store import sqlite as sqlite_store

        sqlite_store.wait_notice = _notice
        try:
            result = super().invoke(ctx)
            sys.stdout.flush()  # a reader that went away is seen here, not at interpreter exit
            return result
        except TrackerError as exc:
            raise click.ClickException(render_error(exc)) from None
        except sqlite3.DatabaseError as exc:
            raise click.ClickException(f"database error: {exc}") from None
        except (click.exceptions.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except BrokenPipeError:
            # The reader of our output stopped early: not an error of ours, and nothing to say.
            crashes.silence_stdout()
            raise click.exceptions.Exit(crashes.EXIT_BROKEN_PIPE) from None
        except KeyboardInterrupt:
            click.echo(f"interrupted; {crashes.log_state(before)}", err=True)
            raise click.exceptions.Exit(crashes.EXIT_INTERRUPTED) from None
        except crashes.Terminated:
            click.echo(f"terminated; {crashes.log_state(before)}", err=True)
            raise click.exceptions.Exit(crashes.EXIT_TERMINATED) from None
        except OSError as exc:
            command = ctx.invoked_subcommand or ""
            if exc.filename is None or ctx.params.get("debug"):
                raise _crash(ctx, exc, command, before) from None
            raise click.ClickException(
                f"{exc.filename}: {exc.strerror or exc}; {crashes.log_state(before)}"
            ) from None
        except Exception as exc:
            raise _crash(ctx, exc, ctx.invoked_subcommand or "", before) from None


STARTUP_THRESHOLD = 100_000
"""The collector's first threshold during start-up: more allocations than any command's
start-up makes (``tracker state``: some 5,000)."""
_saved_threshold: tuple[int, int, int] | None = None


def _defer_collection() -> None:
    """No young collection during start-up (until the command's own code runs: the group's
    callback). Until then the process only imports (the command's module, the store ...):
    modules, classes and functions, alive until exit, which each young collection would
    traverse for nothing (issue 16: 2M instructions of ``tracker state``). Then
    :func:`_resume_collection` puts back the thresholds."""
    global _saved_threshold
    import gc

    if _saved_threshold is None:
        _saved_threshold = gc.get_threshold()
        gc.set_threshold(STARTUP_THRESHOLD, *_saved_threshold[1:])


def _resume_collection() -> None:
    """The collector's thresholds as they were, after moving what start-up built to the oldest
    generation untraversed (:func:`gc.freeze`, then :func:`gc.unfreeze`: collectable as
    before, only not traversed by the next young collection). Objects frozen by the caller
    stay frozen. Called once the command runs, and again (a no-op then) when it ends."""
    global _saved_threshold
    import gc

    if _saved_threshold is None:
        return
    if gc.get_freeze_count() == 0:
        gc.freeze()
        gc.unfreeze()
    gc.set_threshold(*_saved_threshold)
    _saved_threshold = None


def _no_collection_at_exit() -> None:
    """Spare the process the interpreter's garbage collection at exit: it walks every object
    the imports built (some 16,000 for a query, 3–4 ms, a tenth of ``tracker state``; issue
    16) only to free memory the system takes back anyway. At exit, after the command has
    closed what it opened (the store, output files: each in its own ``with``), everything
    alive is frozen (:func:`gc.freeze`), which that collection skips. Registered once, so
    that a test runner invoking the CLI many times freezes nothing before its own exit."""
    import atexit
    import gc

    atexit.unregister(gc.freeze)
    atexit.register(gc.freeze)


def _notice(message: str) -> None:
    click.echo(message, err=True)


def _crash(ctx: click.Context, exc: Exception, command: str, before: int) -> click.exceptions.Exit:
    """The last resort for an unexpected error: one line (or, with --debug, the traceback)."""
    from tracker import crashes

    if ctx.params.get("debug"):
        import traceback

        click.echo("".join(traceback.format_exception(exc)), err=True, nl=False)
        click.echo(f"internal error; {crashes.log_state(before)}", err=True)
    else:
        saved = crashes.save_traceback(exc, command)
        click.echo(crashes.crash_message(exc, command, before, saved), err=True)
    return click.exceptions.Exit(crashes.EXIT_INTERNAL)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="relations-tracker", prog_name="tracker")
@click.option(
    "--db",
    "db",
    type=STORE,
    default=None,
    help="The store (an SQLite file, or a postgresql:// URL) for the command that follows "
    "(a --db after the command wins). "
    "Default: $TRACKER_DB, else ./tracker.db (./tracker-demo.db for `demo`).",
)
@click.option(
    "--debug",
    is_flag=True,
    envvar="TRACKER_DEBUG",
    help="Show the full traceback of an internal error instead of saving it to a file.",
)
def main(db: str | None, debug: bool) -> None:
    """Keep an append-only, tamper-evident log of diplomatic events and ask how any two
    countries get along on any date, and why.

    The store is an SQLite file or a PostgreSQL schema (postgresql://USER@HOST/DB, see
    init-db): --db before or after the command (the later one wins), else TRACKER_DB, else
    ./tracker.db.
    """
    _resume_collection()  # start-up is over: the command runs next
