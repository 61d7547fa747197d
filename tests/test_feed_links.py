"""`/papers feed`: a private link to the asker alone, kept only as a hash; each ask works, reset revokes the older."""

from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import select
from starlette.testclient import TestClient

from adapters.discord.replies import render as discord_render
from adapters.slack.replies import render as slack_render
from bot.app import App
from bot.chat import commands as c
from bot.chat import replies as r
from bot.domain import Actor
from bot.errors import BadCommand
from storage.tables import FeedTokenRow
from storage.uow import UnitOfWork
from tests.chat import Chat
from tests.discord_chat import EPHEMERAL, EVERYONE, api, sent  # noqa: F401 (api: a fixture)
from tests.discord_chat import Chat as DiscordChat
from tests.discord_chat import chat_test as discord_test
from tests.feed_site import ANA, LAB, NOW, PUBLIC, client, feed_path, paper, post, site_app  # noqa: F401 (fixtures)


@pytest.mark.parametrize(
    ("typed", "command"),
    [
        ("/papers feed", c.FeedUrl()),
        ("/papers feed for me", c.FeedUrl(personal=True)),
        ("/papers feed mine", c.FeedUrl(personal=True)),
        ("/papers feed reset", c.FeedUrl(reset=True)),
        ("/papers feed RESET for me", c.FeedUrl(reset=True, personal=True)),
    ],
)
def test_the_words_of_feed(typed: str, command: c.Command) -> None:
    assert c.parse_command(typed) == command


def test_anything_else_after_feed_is_refused_with_the_usage() -> None:
    with pytest.raises(BadCommand, match="feed takes nothing or reset, not `please`"):
        c.parse_command("/papers feed please")


def test_the_link_goes_to_the_asker_alone_and_only_its_hash_is_stored(site_app: App) -> None:
    reply = site_app.service.answer(LAB, ANA, "/papers feed")
    assert isinstance(reply, r.FeedLink) and reply.ephemeral  # anyone in the channel may ask; only they see it
    token = reply.page.removeprefix(f"{PUBLIC}/feeds/")
    assert len(token) == 43 and reply.atom == reply.page + ".atom" and reply.json == reply.page + ".json"

    with UnitOfWork(site_app.engine) as uow:
        rows = [tuple(row) for row in uow.session.execute(select(FeedTokenRow.__table__))]  # type: ignore[attr-defined]
    assert len(rows) == 1 and hashlib.sha256(token.encode()).hexdigest() in rows[0]
    assert not any(token in str(value) for value in rows[0])  # a database leak leaks no feed

    assert slack_render(reply)["response_type"] == "ephemeral"
    said = discord_render(reply)
    assert said.ephemeral and f"<{reply.page}>" in said.content  # <…>: Discord does not preview it


def test_every_ask_gives_a_working_link_and_reset_revokes_the_older_ones(site_app: App, client: TestClient) -> None:
    first, second = feed_path(site_app), feed_path(site_app)
    assert first != second and client.get(first).status_code == client.get(second).status_code == 200
    someone_else = feed_path(site_app, actor=Actor("U2", "bea", is_admin=False))

    said = Chat(site_app, LAB, ANA).say("/papers feed reset")
    assert "your older links no longer work" in said
    newest = feed_path(site_app)
    assert client.get(first).status_code == client.get(first + ".atom").status_code == 404
    assert client.get(second + ".json").status_code == 404
    assert client.get(newest).status_code == 200
    assert client.get(someone_else).status_code == 200  # Bea's link is hers: Ana's reset leaves it


def test_a_link_to_your_own_feed_shows_your_posts_not_the_channels(site_app: App, client: TestClient) -> None:
    post(site_app, LAB, [paper(1)], NOW)
    post(site_app, LAB.person(LAB.platform, LAB.workspace, ANA.id), [paper(2)], NOW)
    reply = site_app.service.answer(LAB, ANA, "/papers feed for me")
    assert isinstance(reply, r.FeedLink) and reply.where == "your feed"
    page = client.get(reply.page.removeprefix(PUBLIC)).text
    assert "Paper 2 on reward shaping" in page and "Paper 1 on reward shaping" not in page
    assert "papers-bot: your papers" in page


def test_without_public_url_the_reply_says_it_is_needed(chat: Chat) -> None:
    said = chat.say("/papers feed")
    assert said.startswith("Feeds need the address the bot's web pages are served at")
    assert "PUBLIC_URL" in said and "Usage: /papers feed [reset] [for me]" in said


@discord_test
async def test_discord_feed_answers_the_asker_alone_with_links_discord_does_not_preview(chat: DiscordChat) -> None:
    page = f"{PUBLIC}/feeds/{'A' * 43}"
    chat.core.replies[c.FeedUrl] = r.FeedLink(page, page + ".atom", page + ".json", revoked=1)
    [answer] = await chat.say("feed", perms=EVERYONE, reset=True)

    assert chat.core.seen[0][2] == c.FeedUrl(reset=True)  # anyone may ask: no Manage Channels needed
    message = sent(answer)
    assert message["flags"] & EPHEMERAL and f"Atom: <{page}.atom>" in message["content"]
    assert "your older link no longer works" in message["content"]
    await chat.say("feed", perms=EVERYONE, for_me=True)
    assert chat.core.seen[1][2] == c.FeedUrl(personal=True)
