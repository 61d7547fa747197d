"""The command line's groups: `subscriptions export|import`, `db upgrade` and `discord sync` (cli.py adds them)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from adapters.cli_io import app_or_exit, channel_arg, database_answers, err, fail, settings_or_exit

db_cli = typer.Typer(no_args_is_help=True, help="Database schema commands.")
subscriptions_cli = typer.Typer(no_args_is_help=True, help="Subscriptions in and out as JSON Lines.")
discord_cli = typer.Typer(no_args_is_help=True, help="Discord commands.")


@subscriptions_cli.command("export")
def subscriptions_export(
    channels: Annotated[list[str] | None, typer.Argument(help="Only these channels (default: all).")] = None,
) -> None:
    """One subscription a line: {"channel": ..., "query": ..., "schedule": "09:00 UTC weekdays"}."""
    from bot.chat.transfer import export_lines

    refs = [channel_arg(text) for text in channels or []]
    for line in export_lines(app_or_exit(seed=False).engine, refs):
        sys.stdout.write(line + "\n")


@subscriptions_cli.command("import")
def subscriptions_import(
    path: Annotated[Path, typer.Argument(help="JSON Lines as export writes them; - for standard input.")],
) -> None:
    """Check every line as chat would and store it; a refused line is reported with its number (exit 1)."""
    from bot.chat.transfer import import_lines

    if str(path) != "-" and not path.is_file():
        fail(f"There is no file {path}.")
    app = app_or_exit(seed=False)
    stream = sys.stdin if str(path) == "-" else path.open(encoding="utf-8", errors="replace")
    with stream:
        report = import_lines(app.engine, app.taxonomy, stream, default_schedule=app.default_schedule)
    for number, problem in report.refused:
        err.print(f"line {number}: {problem}", markup=False, highlight=False)
    err.print(report.line(), markup=False, highlight=False)
    if report.refused:
        raise typer.Exit(1)


@db_cli.command("upgrade")
def db_upgrade() -> None:
    """Bring the database schema up to date."""
    from storage.migrations import upgrade

    settings = settings_or_exit()
    with database_answers(settings):
        upgrade(settings.database_url)
    err.print("database is up to date")


@discord_cli.command("sync")
def discord_sync() -> None:
    """Send the /papers commands to Discord now (`run` sends them only when they changed)."""
    import asyncio

    from adapters.discord.app import sync_now

    app = app_or_exit(seed=False)
    if app.settings.discord_token is None:
        fail("papers-bot discord sync needs DISCORD_TOKEN.")
    scope = f"to guild {app.settings.discord_guild_id}" if app.settings.discord_guild_id else "globally"
    asyncio.run(sync_now(app))
    err.print(f"commands synced {scope}")
