"""Sources feed the database through one path, by hand or on schedule; a failing source is recorded."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.app import App
from bot.errors import PapersError
from bot.sources.fetching import ingest_from_source, scheduled_ingest
from storage.uow import UnitOfWork
from tests.chat import Chat
from tests.sources_server import Reply, SourcesServer

SOURCES = Path(__file__).parent / "data" / "sources"
DAY = datetime(2026, 6, 18, tzinfo=UTC)


@pytest.fixture
def hf_server() -> Iterator[SourcesServer]:
    with SourcesServer() as server:
        yield server


@pytest.fixture
def fed_app(app: App, hf_server: SourcesServer) -> App:
    app.settings.hf_api_url = hf_server.url
    return app


def test_a_day_from_hugging_face_goes_in_and_shows_in_status(fed_app: App, hf_server: SourcesServer) -> None:
    hf_server.script("/api/daily_papers", Reply(200, (SOURCES / "hf-2026-06-18.json").read_bytes()))
    summary = ingest_from_source(fed_app.engine, fed_app.settings, "hf", on=DAY)
    assert summary.result.added > 0
    assert hf_server.requests[0].query["date"] == "2026-06-18"
    again = ingest_from_source(fed_app.engine, fed_app.settings, "hf", on=DAY)
    assert again.result.added == 0
    assert "hf: last fetch" in Chat(fed_app).say("/papers status")


def test_a_failing_source_is_recorded_and_the_scheduled_job_survives(fed_app: App, hf_server: SourcesServer) -> None:
    hf_server.script("/api/daily_papers", Reply(404, b'{"error": "gone"}'))
    with pytest.raises(PapersError):
        ingest_from_source(fed_app.engine, fed_app.settings, "hf", on=DAY)
    scheduled_ingest(fed_app.engine, fed_app.settings, "hf", now=DAY.replace(hour=7))  # logs, never raises
    assert "last error: Hugging Face answered 404" in Chat(fed_app).say("/papers status")


def test_an_unknown_source_is_one_sentence(fed_app: App) -> None:
    with pytest.raises(PapersError, match=re.escape("I know the sources hf and arxiv, not `rss`.")):
        ingest_from_source(fed_app.engine, fed_app.settings, "rss")


def test_a_refused_source_leaves_nothing_in_status(fed_app: App) -> None:
    with pytest.raises(PapersError):
        ingest_from_source(fed_app.engine, fed_app.settings, "foo")
    assert "foo" not in Chat(fed_app).say("/papers status")


def test_a_source_an_older_version_recorded_by_mistake_is_not_shown(fed_app: App) -> None:
    with UnitOfWork(fed_app.engine) as uow:
        uow.sources.failed("foo", "I know the sources hf and arxiv, not `foo`.")
        uow.commit()
    assert "foo" not in Chat(fed_app).say("/papers status")


def test_a_category_arxiv_does_not_have_is_refused_before_anything_is_fetched(
    fed_app: App, hf_server: SourcesServer
) -> None:
    fed_app.settings.arxiv_api_url = fed_app.settings.arxiv_rss_url = hf_server.url  # never the network
    with pytest.raises(PapersError, match=re.escape("`cs.LGG` is not an arXiv category; did you mean cs.LG?")):
        ingest_from_source(fed_app.engine, fed_app.settings, "arxiv", categories=["cs.LGG"])
    assert "arxiv" not in Chat(fed_app).say("/papers status") and not hf_server.requests
