"""The web site in a test: the app with PUBLIC_URL and a fixed clock, posts made by the real delivery pass, a client."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from adapters.terminal.render import render
from adapters.web import site_routes
from bot.app import App, build_app
from bot.config import Settings
from bot.delivery.passes import deliver_due
from bot.delivery.senders import RecordingSender
from bot.domain import Actor, ChannelRef, Digest, Match, Paper, Subscription
from storage.uow import UnitOfWork

PUBLIC = "https://papers.example.org"
NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)  # the app's clock: nothing here reads the real one
LAB = ChannelRef("slack", "T0TEAM", "C0SECRETPLANS")  # a private channel: neither id may show in its feed
ANA = Actor("U1", "ana", is_admin=False)


def paper(n: int, title: str = "", **fields: object) -> Paper:
    return Paper(
        title=title or f"Paper {n} on reward shaping",
        abstract=f"Abstract {n} about reinforcement learning.",
        arxiv_id=f"2611.{n:05d}",
        authors=(f"Author {n}", "Ada Lovelace"),
        ai_summary=f"Summary {n}: rewards, shaped.",
        on_hf=True,
        **fields,  # type: ignore[arg-type]
    )


def post(app: App, channel: ChannelRef, papers: list[Paper], at: datetime, why: str = "reward in title") -> None:
    """One post of these papers to the channel, by the delivery pass (the outbox records it as any post)."""
    with UnitOfWork(app.engine) as uow:
        uow.papers.merge(papers)
        if not uow.subscriptions.find(channel, "anything"):
            uow.subscriptions.add(Subscription(channel, "anything"))
        uow.commit()
    app.service.paper_topics.refresh()  # each paper's topic evidence, as ingest stores it

    def build(uow: UnitOfWork, matcher: object, to: ChannelRef, now: datetime, cap: int = 10) -> Digest:
        matches = tuple(Match(p, 1.0, (why,)) for p in papers) if to == channel else ()
        return Digest(to, matches, 0, f"{len(matches)} new papers", now)

    report = deliver_due(app.engine, None, {channel.platform: RecordingSender()}, at, force=True, build=build)
    assert report.posted >= 1, report.summary()


def feed_path(app: App, channel: ChannelRef = LAB, actor: Actor = ANA, text: str = "/papers feed") -> str:
    """Ask for a feed in the channel; the page's path from the link the reply gives."""
    said = render(app.service.answer(channel, actor, text))
    url = next(word for word in said.split() if word.startswith(PUBLIC + "/feeds/"))
    return url.removeprefix(PUBLIC)


def site(database_url: str) -> App:
    """The app as the web process builds it, with both install buttons set up."""
    settings = Settings(
        _env_file=None,
        database_url=database_url,
        slack_bot_token=None,
        discord_token=None,
        public_url=PUBLIC,
        discord_client_id=123456789012345678,
        slack_client_id="1234.5678",
        slack_client_secret="s3cret",
    )
    return build_app(settings, seed=False, clock=lambda: NOW)


@pytest.fixture
def site_app(database_url: str) -> Iterator[App]:
    """On SQLite and on PostgreSQL: for what reads and writes feeds' tokens and posts."""
    built = site(database_url)
    yield built
    built.engine.dispose()


@pytest.fixture
def sqlite_app(tmp_path: Path) -> Iterator[App]:
    """On SQLite alone: for what the pages and formats look like, which the database does not change."""
    built = site(f"sqlite:///{tmp_path / 'papers.db'}")
    yield built
    built.engine.dispose()


def web_client(app: App, feed_state_for: float = 0.0, clock: Callable[[], float] = time.monotonic) -> TestClient:
    """A client of the site; each request reads its feed's state anew unless `feed_state_for` says otherwise."""
    return TestClient(Starlette(routes=site_routes(app, feed_state_for, clock)), base_url=PUBLIC)


@pytest.fixture
def client(site_app: App) -> Iterator[TestClient]:
    with web_client(site_app) as test_client:
        yield test_client


@pytest.fixture
def sqlite_client(sqlite_app: App) -> Iterator[TestClient]:
    with web_client(sqlite_app) as test_client:
        yield test_client
