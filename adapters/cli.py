"""The `papers-bot` command line: the stable contract of DESIGN.md, each command a thin shell."""

from __future__ import annotations

import logging
import sys
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from adapters import json_output as jo
from adapters.cli_groups import db_cli, discord_cli, subscriptions_cli
from adapters.cli_io import (
    JsonFlag,
    app_or_exit,
    at_least_one,
    channel_arg,
    date_arg,
    emit,
    err,
    fail,
    out,
    refuse,
    settings_or_exit,
)
from adapters.logs import level_for, setup_logging
from bot.app import App
from bot.config import BadSettings, Settings, load_settings
from bot.domain import Actor
from bot.errors import PapersError

# No pretty tracebacks: at some typer versions they print every frame's local variables, tokens included.
cli = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="papers-bot: new research papers in chat channels.",
    pretty_exceptions_enable=False,
    pretty_exceptions_show_locals=False,
)
cli.add_typer(db_cli, name="db")
cli.add_typer(subscriptions_cli, name="subscriptions")
cli.add_typer(discord_cli, name="discord")
log = logging.getLogger(__name__)


@cli.callback()
def main_options(
    ctx: typer.Context,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log progress to stderr (INFO).")] = False,
) -> None:
    """Logging first: LOG_LEVEL and LOG_FORMAT when the settings can be read (the command itself says when not)."""
    try:
        settings: Settings | None = load_settings()
    except BadSettings:
        settings = None
    configured = settings.log_level if settings else None
    setup_logging(level_for(ctx.invoked_subcommand, verbose, configured), settings.log_format if settings else "text")


@cli.command()
def run(
    only: Annotated[str | None, typer.Option(help="Run one part: slack, discord or scheduler (Procfile).")] = None,
) -> None:
    """Start every adapter whose credentials are set, plus the scheduler; else a terminal channel."""
    from adapters.logs import log_to_file
    from adapters.wiring import PARTS, NotConfigured, check_parts, run_everything, terminal_log, terminal_mode

    if only is not None and only not in PARTS:
        fail(f"--only takes {', '.join(PARTS)}, not `{only}`.")
    try:
        settings = settings_or_exit()
        check_parts(settings, only)  # before the database is touched
        if terminal_mode(settings, only):  # from the start: a first run's schema creation logs too
            log_to_file(terminal_log(settings))
        run_everything(app_or_exit(), only)
    except NotConfigured as missing:
        refuse([missing.message])
    except PapersError as error:
        fail(error.message)


@cli.command()
def ingest(
    paths: Annotated[
        list[Path] | None, typer.Argument(help="JSONL, saved HF daily JSON, arXiv Atom/RSS files.")
    ] = None,
    source: Annotated[str | None, typer.Option(help="Fetch from a source: hf or arxiv.")] = None,
    on: Annotated[str | None, typer.Option("--date", help="One day, YYYY-MM-DD.")] = None,
    since: Annotated[str | None, typer.Option(help="Every day from YYYY-MM-DD to today.")] = None,
    category: Annotated[list[str] | None, typer.Option(help="arXiv category, e.g. cs.LG (repeatable).")] = None,
) -> None:
    """Put papers in from files or from a source; a summary line at the end."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from bot.delivery.fanout import assess_news
    from bot.sources.fetching import ingest_from_source
    from bot.sources.ingest import ingest_files

    if bool(paths) == bool(source):
        fail("Give either files to ingest or --source hf|arxiv.")
    missing = [str(path) for path in paths or [] if not path.is_file()]
    if missing:  # one line, however long the paths (a wrapped sentence is two to a script reading it)
        named = escape(", ".join(missing)[:300])
        err.print(f"[red]error:[/red] No such file: {named}; nothing was ingested.", highlight=False, soft_wrap=True)
        raise typer.Exit(2)
    app = app_or_exit(seed=False)
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
    ) as bar:
        task = bar.add_task("ingesting", total=None)

        def progress(done: int, total: int | None) -> None:
            bar.update(task, completed=done, total=total)

        def report(problem: str) -> None:  # as it is found: a long file's first problems show at once
            err.print(f"skipped: {problem}", markup=False, highlight=False, soft_wrap=True)

        try:
            if source:
                summary = ingest_from_source(
                    app.engine, app.settings, source, date_arg(on), date_arg(since), category or [], progress, report
                )
            else:
                summary = ingest_files(app.engine, paths or [], progress, report)
        except PapersError as error:
            fail(error.message)
            raise
    err.print(summary.line(), markup=False, highlight=False, soft_wrap=True)
    assess_news(app.engine, app.service.paper_topics, app.service.clock())  # relevance decided once, now
    if summary.skipped:
        raise typer.Exit(1)  # scripts learn that something was left out; the summary says what


@cli.command()
def find(
    query: Annotated[
        str | None, typer.Argument(help="A half-remembered title, an arXiv id or URL, or what the paper is about.")
    ] = None,
    limit: Annotated[int, typer.Option(help="How many results (1 or more).", callback=at_least_one)] = 5,
    stdin: Annotated[
        bool, typer.Option("--stdin", help="One query per input line, one answer per output line.")
    ] = False,
    as_json: JsonFlag = False,
    mode: Annotated[
        str, typer.Option(help="title: by title, id or author; meaning: by what papers are about; auto: per query.")
    ] = "auto",
) -> None:
    """Lookup of stored papers by title or by meaning, best first."""
    from adapters.terminal.render import found_line
    from bot.find.modes import MODES

    if mode not in MODES:
        fail(f"--mode is one of {', '.join(MODES)}.")
    app = app_or_exit()
    if stdin:
        for line in sys.stdin.buffer:  # bytes: a line that is not UTF-8 gets its answer too
            emit(_found_or_error(app, line.decode("utf-8", "replace").strip(), limit, mode))
        return
    if not query:
        fail("Give some text to find, or --stdin.")
    results = app.finder.find(query or "", limit=limit, mode=mode)
    if as_json:
        emit([jo.found_json(f) for f in results])
        return
    for found in results:
        out.print(found_line(found), markup=False)
    if not results:
        err.print(app.service.nothing_found(query), markup=False, highlight=False, soft_wrap=True)


def _found_or_error(app: App, query: str, limit: int, mode: str) -> object:
    """One line's answer: its results, or `{"error": ...}` so that every later line still gets its own."""
    try:
        return [jo.found_json(f) for f in app.finder.find(query, limit=limit, mode=mode)]
    except PapersError as error:
        return {"error": error.message}
    except Exception:
        ref = uuid.uuid4().hex[:8]
        log.exception("find failed (ref %s) for %r", ref, query[:200])
        return {"error": f"Something went wrong on my side; it is logged as ref {ref}."}


@cli.command()
def match(
    query: Annotated[str, typer.Argument(help="A subscription query, e.g. reinforcement-learning -survey.")],
    since: Annotated[str | None, typer.Option(help="Only papers published or stored since YYYY-MM-DD.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Every stored paper the subscription would get, best first, each with why."""
    from adapters.terminal.render import match_block
    from bot.relevance.query import parse_query
    from storage.uow import UnitOfWork

    app = app_or_exit()
    try:
        parsed = parse_query(query, app.taxonomy)
    except PapersError as error:
        fail(error.message)
        raise
    with UnitOfWork(app.engine) as uow:
        moment = date_arg(since)
        papers = uow.papers.recent(moment) if moment else uow.papers.recent(datetime.min.replace(tzinfo=UTC))
    found = app.service.paper_topics.evaluate(parsed, papers)
    if as_json:
        emit([jo.match_json(m) for m in found])
        return
    out.print(
        "\n\n".join(match_block(m, i) for i, m in enumerate(found, 1)) or "No stored paper matches.", markup=False
    )


@cli.command()
def say(
    channel: Annotated[str, typer.Argument(help="terminal:NAME, slack:TEAM:CHANNEL or discord:GUILD:CHANNEL")],
    text: Annotated[str, typer.Argument(help='The chat command, e.g. "/papers list".')],
    user: Annotated[str, typer.Option("--as", help="Who types it.")] = "cli",
    as_json: JsonFlag = False,
) -> None:
    """Run one chat command as that channel and print the reply (never calls the platform)."""
    from adapters.terminal.render import render
    from bot.chat.replies import Problem

    ref = channel_arg(channel)
    reply = app_or_exit().service.answer(ref, Actor(user, user), text)
    if as_json:
        emit(jo.reply_json(reply))
    else:
        out.print(render(reply), markup=False)
    if isinstance(reply, Problem):
        raise typer.Exit(1)  # refused or failed: a script must not read the sentence as success


@cli.command()
def digest(channel: Annotated[str, typer.Argument(help="The channel to preview.")], as_json: JsonFlag = False) -> None:
    """Preview the channel's next digest (sends nothing, records nothing)."""
    from adapters.terminal.render import render_digest
    from bot.delivery.digest import build_digest
    from storage.uow import UnitOfWork

    ref = channel_arg(channel)
    app = app_or_exit()
    with UnitOfWork(app.engine, app.default_schedule) as uow:
        preview = build_digest(uow, app.matcher, ref, app.service.clock(), cap=None, kept=app.service.signals_kept)
    if as_json:
        emit(jo.digest_json(preview))
    else:
        out.print(render_digest(preview), markup=False)


@cli.command()
def mcp(
    allow_changes: Annotated[
        bool, typer.Option("--allow-changes", help="Add the subscribe and unsubscribe tools.")
    ] = False,
) -> None:
    """Serve the stored papers to AI assistants over MCP on stdio: find, match, digest, why, list, paper://ID."""
    try:
        from adapters.mcp import serve
    except ModuleNotFoundError as missing:
        if (missing.name or "").partition(".")[0] != "mcp":
            raise
        fail("papers-bot mcp needs the `mcp` extra, which is not installed: pip install 'papers-bot[mcp]'.")
    serve(app_or_exit(), allow_changes)


@cli.command()
def saved(
    channel: Annotated[str, typer.Argument(help="The channel whose saved papers to list.")],
    as_bibtex: Annotated[bool, typer.Option("--bibtex", help="As BibTeX entries, one per paper.")] = False,
    as_json: JsonFlag = False,
) -> None:
    """The channel's saved papers, most recently saved first (`/papers save` adds one)."""
    from adapters.terminal.render import render
    from bot.chat.replies import SavedList
    from bot.feedback.bibtex import bibtex
    from bot.feedback.signals import saved_papers
    from storage.uow import UnitOfWork

    ref = channel_arg(channel)
    app = app_or_exit(seed=False)
    with UnitOfWork(app.engine, app.default_schedule) as uow:
        papers = saved_papers(uow, ref)
    if as_bibtex:
        sys.stdout.write(bibtex(paper for paper, _, _ in papers) if papers else "")
    elif as_json:
        emit(
            [
                {"id": p.arxiv_id or p.key, "title": p.title, "score": 1.0, "saved_at": at.isoformat(), "saved_by": who}
                for p, at, who in papers
            ]
        )
    else:
        out.print(render(SavedList(tuple(papers))), markup=False)


@cli.command()
def deliver(now: Annotated[bool, typer.Option("--now", help="Every channel, due or not.")] = False) -> None:
    """One delivery pass: every channel that is due (all with --now) gets its digest."""
    from adapters.wiring import delivery_pass

    report = delivery_pass(app_or_exit(seed=False), force=now)
    err.print(report.summary(), markup=False, highlight=False)
    if report.failed:
        raise typer.Exit(1)  # the summary says which channels; the outbox retries them on the next pass


@cli.command()
def health(
    process: Annotated[
        str | None,
        typer.Argument(
            help="web, worker, clock or delivery (or slack, discord, "
            "scheduler); none: every part this configuration runs"
        ),
    ] = None,
) -> None:
    """Exit 0 when the database answers and the process's loop beat recently; else 1 and one sentence."""
    from adapters.health import PROCESSES, health_problem, part_of
    from adapters.modes import configured_parts

    part = part_of(process) if process else None
    if process and part is None:
        fail(f"health takes {', '.join(PROCESSES)}, not `{process[:20]}`.")
    settings = settings_or_exit()
    parts = [part] if part else [*configured_parts(settings), "scheduler"]
    problem = health_problem(settings, parts)
    if problem:
        sys.stderr.write(problem + "\n")
        raise typer.Exit(1)
    err.print("healthy", highlight=False)


def main() -> None:
    cli()


if __name__ == "__main__":
    main()
