"""`/papers find 2202.12139` for a paper not stored: asked of arXiv as a pasted link's card is, or said plainly."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from adapters.cli import cli
from bot.app import App, build_app
from bot.config import Settings
from tests.chat import Chat
from tests.sources_server import Reply, SourcesServer

SOURCES = Path(__file__).parent / "data" / "sources"
TITLE = "Testing Deep Learning Models: A First Comparative Study of Multiple Testing Techniques"


@pytest.fixture
def arxiv() -> Iterator[SourcesServer]:
    with SourcesServer() as server:
        yield server


def app_asking(tmp_path: Path, arxiv: SourcesServer) -> App:
    """The real core on a fresh SQLite file, asking the stand-in arXiv for what it does not have."""
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=f"sqlite:///{tmp_path / 'papers.db'}",
        slack_bot_token=None,
        discord_token=None,
        arxiv_api_url=arxiv.url + "/api/query",
    )
    return build_app(settings)


@pytest.fixture
def app(tmp_path: Path, arxiv: SourcesServer) -> Iterator[App]:
    # One database: what is looked at here is the arXiv path (arXiv's pacing makes each test take seconds);
    # finding by id in either database is test_find's.
    built = app_asking(tmp_path, arxiv)
    yield built
    built.engine.dispose()


def test_an_id_not_stored_is_asked_of_arxiv_and_kept(app: App, arxiv: SourcesServer) -> None:
    arxiv.script("/api/query", Reply(200, (SOURCES / "atom-id-2202.12139.xml").read_bytes()))
    chat = Chat(app)
    answer = chat.say("/papers find https://arxiv.org/abs/2202.12139v1")
    assert answer.startswith(f"1. {TITLE}") or f"1. {TITLE}" in answer
    assert arxiv.requests[0].query["id_list"] == "2202.12139"
    assert TITLE in chat.say("/papers find 2202.12139")  # kept: the second time from the database
    assert len(arxiv.requests) == 1


def test_an_id_arxiv_does_not_know_is_said_plainly_with_how_to_add_it(app: App, arxiv: SourcesServer) -> None:
    arxiv.script("/api/query", Reply(200, (SOURCES / "atom-empty.xml").read_bytes()))
    answer = Chat(app).say("/papers find 2401.12345")
    assert answer.startswith("I have no paper 2401.12345, and arXiv gave none for it")
    assert "papers-bot ingest" in answer
    assert "try fewer or different words" not in answer


def test_an_arxiv_outage_says_the_paper_is_not_stored(app: App, arxiv: SourcesServer) -> None:
    arxiv.script("/api/query", Reply(503, b"down", headers={"Retry-After": "0"}))
    answer = Chat(app).say("/papers find 2401.12345")
    assert answer.startswith("I have no paper 2401.12345, and arXiv gave none for it")


def test_the_command_line_finds_it_through_arxiv_too(app: App, arxiv: SourcesServer) -> None:
    arxiv.script("/api/query", Reply(200, (SOURCES / "atom-id-2202.12139.xml").read_bytes()))
    assert [found.paper.title for found in app.finder.find("arXiv:2202.12139")] == [TITLE]
    assert app.finder.suggest("2401.12345") == [] and len(arxiv.requests) == 1  # typing never asks arXiv


def test_papers_bot_find_says_the_same_as_the_chat(
    tmp_path: Path, arxiv: SourcesServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    arxiv.script("/api/query", Reply(200, (SOURCES / "atom-empty.xml").read_bytes()))
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("ARXIV_API_URL", arxiv.url + "/api/query")
    monkeypatch.chdir(tmp_path)  # no .env of the working copy
    result = CliRunner().invoke(cli, ["find", "2401.12345"])
    assert "I have no paper 2401.12345, and arXiv gave none for it" in result.output
    assert "Nothing stored matches" not in result.output
