"""The private feeds and pages over HTTP: last 30 days newest first, 304s, 404s without a scan, headers, no names."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import discord
import httpx
import pytest
from sqlalchemy import event
from starlette.applications import Starlette
from starlette.testclient import TestClient

from adapters.web import feed_routes, site_routes
from bot.app import App
from bot.delivery.private_feed import read_feed
from tests.feed_site import (  # noqa: F401 (fixtures)
    LAB,
    NOW,
    PUBLIC,
    client,
    feed_path,
    paper,
    post,
    site_app,
    sqlite_app,
    sqlite_client,
    web_client,
)

PAGES = ["/", "/privacy", "/robots.txt", "/static/site.css", "/static/search.js"]


def test_a_feed_shows_the_last_30_days_of_posts_newest_first(site_app: App, client: TestClient) -> None:
    post(site_app, LAB, [paper(1)], NOW - timedelta(days=40))  # too old
    post(site_app, LAB, [paper(2), paper(3)], NOW - timedelta(days=3), why="reinforcement-learning: reward")
    post(site_app, LAB, [paper(4)], NOW - timedelta(days=1))
    path = feed_path(site_app)

    items = client.get(path + ".json").json()["items"]
    assert [item["_papers_bot"]["arxiv_id"] for item in items] == ["2611.00004", "2611.00002", "2611.00003"]
    second = items[1]
    assert second["title"] == "Paper 2 on reward shaping" and second["authors"][1] == {"name": "Ada Lovelace"}
    assert second["summary"] == "Summary 2: rewards, shaped." and second["url"] == "https://arxiv.org/abs/2611.00002"
    assert second["_papers_bot"]["why"] == ["reinforcement-learning: reward"]
    assert "Reinforcement learning" in second["tags"]  # its topics, by name
    assert second["_papers_bot"]["links"]["PDF"] == "https://arxiv.org/pdf/2611.00002"

    page = client.get(path)
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    assert page.text.index("Paper 4 on") < page.text.index("Paper 2 on") < page.text.index("Paper 3 on")
    assert "Paper 1 on" not in page.text and "Why: reinforcement-learning: reward" in page.text
    assert (
        f'<link rel="alternate" type="application/atom+xml" title="papers-bot: a Slack channel&#39;s papers (Atom)" href="https://papers.example.org{path}.atom">'
        in page.text
    )
    assert (
        f'type="application/feed+json" title="papers-bot: a Slack channel&#39;s papers (JSON Feed)" href="https://papers.example.org{path}.json"'
        in page.text
    )


def test_the_search_box_filters_on_the_server_without_javascript(site_app: App, client: TestClient) -> None:
    post(site_app, LAB, [paper(1), paper(2, "Diffusion models for molecules")], NOW)
    path = feed_path(site_app)
    page = client.get(path, params={"q": "  DIFFUSION   molecules "}).text
    assert "Diffusion models for molecules" in page and "Paper 1 on" not in page
    assert "1 paper matching “DIFFUSION molecules”" in page
    assert "0 papers matching" in client.get(path, params={"q": "lovelace zebra"}).text


def test_conditional_gets_answer_304_until_a_new_post(site_app: App, client: TestClient) -> None:
    post(site_app, LAB, [paper(1)], NOW - timedelta(days=2))
    path = feed_path(site_app)
    for suffix in ("", ".atom", ".json"):
        first = client.get(path + suffix)
        assert first.headers["cache-control"] == "private, max-age=300"
        etag, modified = first.headers["etag"], first.headers["last-modified"]
        again = client.get(path + suffix, headers={"If-None-Match": etag})
        assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == etag
        assert client.get(path + suffix, headers={"If-Modified-Since": modified}).status_code == 304
        assert client.get(path + suffix, headers={"If-None-Match": '"other"'}).status_code == 200
    tags = {client.get(path + suffix).headers["etag"] for suffix in ("", ".atom", ".json")}
    assert len(tags) == 3  # one per representation

    post(site_app, LAB, [paper(2)], NOW)
    newer = client.get(path + ".atom", headers={"If-None-Match": client.get(path + ".atom").headers["etag"]})
    assert newer.status_code == 304  # the same request a moment ago: still the same feed
    fresh = client.get(path + ".atom", headers={"If-None-Match": etag})
    assert fresh.status_code == 200 and "Paper 2 on reward shaping" in fresh.text  # rendered anew, not the old one


def test_unknown_and_revoked_tokens_are_404_after_one_key_lookup(site_app: App, client: TestClient) -> None:
    path = feed_path(site_app)
    statements: list[str] = []
    event.listen(site_app.engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    assert client.get("/feeds/not-a-token").status_code == 404
    assert client.get("/feeds/not-a-token.atom").status_code == 404
    assert statements == []  # not even the database is asked about a token of the wrong shape

    unknown = "/feeds/" + "A" * 43
    answer = client.get(unknown + ".json")
    assert answer.status_code == 404 and "revoked with /papers feed reset" in answer.text
    assert answer.headers["cache-control"] == "no-store"
    [lookup] = statements
    assert "FROM feed_token" in lookup and "WHERE feed_token.token_hash =" in lookup  # the primary key: no scan

    feed_path(site_app, text="/papers feed reset")
    assert client.get(path).status_code == 404


def test_a_poll_within_a_second_of_another_is_answered_from_memory(site_app: App) -> None:
    seconds = [100.0]
    post(site_app, LAB, [paper(1)], NOW - timedelta(days=2))
    path = feed_path(site_app)
    with web_client(site_app, feed_state_for=1.0, clock=lambda: seconds[0]) as client:
        etag = client.get(path + ".atom").headers["etag"]
        statements: list[str] = []
        event.listen(site_app.engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
        assert client.get(path + ".atom", headers={"If-None-Match": etag}).status_code == 304 and statements == []

        post(site_app, LAB, [paper(2)], NOW)
        assert client.get(path + ".atom", headers={"If-None-Match": etag}).status_code == 304  # the same second
        seconds[0] += 1.0
        fresh = client.get(path + ".atom", headers={"If-None-Match": etag})
        assert fresh.status_code == 200 and "Paper 2 on reward shaping" in fresh.text

        feed_path(site_app, text="/papers feed reset")
        seconds[0] += 1.0
        assert client.get(path + ".atom").status_code == 404  # revoked: within a second in every web process


def test_a_private_channel_never_shows_in_its_feed(site_app: App, client: TestClient) -> None:
    post(site_app, LAB, [paper(1)], NOW)
    path = feed_path(site_app)
    for suffix in ("", ".atom", ".json"):
        answer = client.get(path + suffix)
        shown = answer.text + str(answer.headers)
        assert "papers-bot: a Slack channel's papers" in answer.text.replace("&#39;", "'")
        assert LAB.channel not in shown and LAB.workspace not in shown and "SECRET" not in shown.upper()


@pytest.mark.parametrize("path", PAGES)
def test_every_page_carries_the_security_headers(sqlite_client: TestClient, path: str) -> None:
    headers = sqlite_client.get(path).headers
    policy = headers["content-security-policy"]
    assert "frame-ancestors 'none'" in policy and "script-src 'self';" in policy and "unsafe-inline" not in policy
    assert headers["x-content-type-options"] == "nosniff" and headers["referrer-policy"] == "no-referrer"


def test_feeds_carry_them_too_and_robots_keeps_feeds_out(site_app: App, client: TestClient) -> None:
    path = feed_path(site_app)
    for answer in (client.get(path), client.get("/feeds/" + "A" * 43)):
        assert answer.headers["referrer-policy"] == "no-referrer"  # a click on arXiv does not send the token along
        assert "frame-ancestors 'none'" in answer.headers["content-security-policy"]
    assert client.get(path).headers["x-robots-tag"] == "noindex, nofollow"
    assert client.get("/robots.txt").text == "User-agent: *\nDisallow: /feeds/\n"


def test_the_landing_page_installs_the_bot_on_slack_and_discord(sqlite_client: TestClient) -> None:
    page = sqlite_client.get("/").text
    assert 'id="add-to-slack" href="/slack/install"' in page
    discord_url = page.split('id="add-to-discord" href="')[1].split('"')[0].replace("&amp;", "&")
    parts = urlsplit(discord_url)
    query = parse_qs(parts.query)
    assert (parts.netloc, parts.path) == ("discord.com", "/oauth2/authorize")
    assert query["client_id"] == ["123456789012345678"] and query["scope"] == ["bot applications.commands"]
    allowed = discord.Permissions(int(query["permissions"][0]))
    assert allowed.send_messages and allowed.embed_links and allowed.read_message_history
    assert not (allowed.administrator or allowed.manage_messages or allowed.mention_everyone)
    for guide in (Path("README.md"), Path("docs/discord.md")):  # the invite the set-up guides give is this one
        assert f"permissions={allowed.value}" in (Path(__file__).parents[1] / guide).read_text()
    assert 'href="/privacy"' in page and "/papers subscribe &lt;query&gt;" in page  # the commands, escaped


def test_hostile_titles_and_links_stay_text(sqlite_app: App, sqlite_client: TestClient) -> None:
    hostile = paper(1, "<script>alert(1)</script> Attention\x0b", code_url="javascript:alert(2)")
    post(sqlite_app, LAB, [hostile], NOW)
    path = feed_path(sqlite_app)
    page, atom = sqlite_client.get(path).text, sqlite_client.get(path + ".atom").text
    assert "<script>alert" not in page and "&lt;script&gt;alert(1)&lt;/script&gt; Attention" in page
    json_text = sqlite_client.get(path + ".json").text
    assert "javascript:" not in page and "javascript:" not in atom and "javascript:" not in json_text
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Attention</title>" in atom  # the vertical tab is gone: XML 1.0


def test_fifty_readers_of_a_new_version_at_once_have_it_read_and_rendered_once(
    site_app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    post(site_app, LAB, [paper(1)], NOW)
    path = feed_path(site_app)
    reads: list[str] = []

    def counted(*args: object) -> object:
        reads.append("read")
        return read_feed(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(feed_routes, "read_feed", counted)
    site = Starlette(routes=site_routes(site_app))

    async def fifty_readers() -> list[httpx.Response]:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=site), base_url=PUBLIC) as readers:
            return await asyncio.gather(*(readers.get(path + ".atom") for _ in range(50)))

    answers = asyncio.run(fifty_readers())
    assert {answer.status_code for answer in answers} == {200} and len({a.content for a in answers}) == 1
    assert reads == ["read"]
