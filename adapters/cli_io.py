"""What every `papers-bot` command shares: settings, the app, consoles, JSON lines, one-sentence failures."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Annotated, NoReturn

import typer
from rich.console import Console
from rich.markup import escape

from bot.app import App, build_app
from bot.config import BadSettings, Settings, load_settings
from bot.domain import ChannelRef, start_of_day
from bot.errors import PapersError

# No emoji codes (`terminal:a: 10 papers` is a channel, not `:a:`); stderr wrapped by rich on a terminal only.
err = Console(stderr=True, emoji=False)
err.soft_wrap = not err.is_terminal
out = Console(highlight=False, soft_wrap=True, emoji=False)

JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")]


def settings_or_exit() -> Settings:
    try:
        return load_settings()
    except BadSettings as bad:
        refuse(bad.problems)


@contextmanager
def database_answers(settings: Settings) -> Iterator[None]:
    """A database that cannot be reached is one sentence (its URL without the password) and status 1."""
    from sqlalchemy.exc import OperationalError

    from adapters.health import shown_url

    try:
        yield
    except OperationalError as error:
        reason = str(error.orig or error).strip().splitlines()[0][:200]
        fail(f"the database at {shown_url(settings.database_url)} does not answer: {reason}", code=1)


def app_or_exit(seed: bool = True) -> App:
    from storage.migrations import SchemaBehind

    settings = settings_or_exit()
    try:
        with database_answers(settings):
            app = build_app(settings, seed=seed)
    except SchemaBehind as behind:
        fail(str(behind))
    return app


def refuse(problems: list[str]) -> NoReturn:
    """Settings that cannot work: one sentence a line, each naming its variable; status 2, before anything starts."""
    sys.stderr.write("".join(f"{problem}\n" for problem in problems))  # unwrapped: one sentence, one line
    raise typer.Exit(2)


def emit(data: object) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def fail(message: str, code: int = 2, usage: str = "") -> NoReturn:
    err.print(f"[red]error:[/red] {escape(message)}", markup=True, highlight=False, soft_wrap=True)
    if usage:
        err.print(usage, markup=False, highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def at_least_one(ctx: typer.Context, param: typer.CallbackParam, value: int) -> int:
    """A count option (`--limit`): 1 or more, else one sentence naming the option, status 2."""
    if value < 1:
        name = param.opts[0] if param.opts else param.name
        fail(f"{name} must be 1 or more, not {value}.", usage=ctx.get_usage())
    return value


def channel_arg(text: str) -> ChannelRef:
    try:
        return ChannelRef.parse(text)
    except PapersError as error:
        fail(error.message)
        raise


def date_arg(text: str | None) -> datetime | None:
    try:
        return start_of_day(text)
    except PapersError as error:
        fail(error.message)
