"""What the bot sends Discord, recorded by the stand-in and replayed through Discord's published OpenAPI spec."""

from __future__ import annotations

from collections.abc import Iterator

import discord
import pytest

from adapters.discord import forums
from adapters.discord.sender import DiscordSender
from adapters.discord.sync import sync_commands
from bot.chat import commands as c
from bot.chat import replies as r
from bot.domain import ChannelRef, Found
from tests.discord_api import Call, DiscordStandIn
from tests.discord_chat import Chat, api, chat_test, paper  # noqa: F401  # api: chat_test's fixture
from tests.discord_forum_api import FORUM, ForumStandIn
from tests.discord_openapi import TAG_NAME, assert_calls_valid, assert_valid, problems, schema
from tests.test_discord_forums import FORUM_FEED, TITLES, digest
from tests.test_discord_sender import CHANNEL
from tests.test_discord_sender import digest as channel_digest

THREADS, CHANNEL_PATCH = "/channels/{channel_id}/threads", "/channels/{channel_id}"
MESSAGES, CALLBACK = "/channels/{channel_id}/messages", "/interactions/{interaction_id}/{interaction_token}/callback"
COMMANDS = "/applications/{application_id}/commands"


@pytest.fixture
def forum_api() -> Iterator[ForumStandIn]:
    with ForumStandIn(spec_checked=False) as api:  # this module checks the calls itself
        yield api


def test_posts_threads_forum_posts_tags_and_direct_messages_are_as_the_spec_says(forum_api: ForumStandIn) -> None:
    sender = DiscordSender.standalone("test-token", timeout=10)
    try:
        sender.send(CHANNEL, channel_digest(3), "one")  # one message: embeds and buttons
        sender.send(CHANNEL, channel_digest(5), "thread")  # a headline, its thread, the papers in it
        sender.send(ChannelRef.person("discord", "100", "300"), channel_digest(2), "dm")
        sender.send(FORUM_FEED, digest(TITLES["rl"], TITLES["vision"]), "forum")  # tags, posts, the summary
    finally:
        sender.close()

    checked = assert_calls_valid(forum_api.calls)

    assert checked[f"POST {MESSAGES}"] == 5 and checked["POST /users/@me/channels"] == 1
    assert checked["POST /channels/{channel_id}/messages/{message_id}/threads"] == 1
    assert checked[f"POST {THREADS}"] == 3 and checked[f"PATCH {CHANNEL_PATCH}"] == 1
    [post] = [c for c in forum_api.calls if c.path == f"/channels/{FORUM}/threads" and c.body.get("applied_tags")][:1]
    assert post.body["message"]["components"] and len(post.body["name"]) <= 100


@chat_test
async def test_interaction_answers_and_command_registration_are_as_the_spec_says(chat: Chat) -> None:
    chat.core.replies[c.Find] = r.FindResults("go explor", tuple(Found(paper(n), 90 - n, "title") for n in range(5)))
    [first] = await chat.say("find", text="go explor")  # a message with paging buttons
    await chat.click(chat.api.message_from(first), "Next ▶")  # the message updated
    await chat.type_ahead("find", "text", "go explor")  # autocomplete
    chat.slow_core()
    await chat.say("find", text="go explor")  # deferred, then a follow-up
    await sync_commands(chat.client, None, None)

    checked = assert_calls_valid(chat.api.calls)

    for kind in (4, 5, 7, 8):
        assert checked[f"POST {CALLBACK} type {kind}"] >= 1, kind
    assert checked["POST /webhooks/{webhook_id}/{webhook_token}"] == 1 and checked[f"PUT {COMMANDS}"] == 1


def test_the_validator_refuses_what_discord_would() -> None:
    post = {"name": "A paper", "message": {"content": "card"}, "applied_tags": ["1"]}
    assert_valid("POST", THREADS, post)
    assert problems("POST", THREADS, post | {"name": "x" * 101})
    assert problems("POST", THREADS, post | {"applied_tags": [str(n) for n in range(6)]})
    assert problems("PATCH", CHANNEL_PATCH, {"available_tags": [{"name": f"t{n}"} for n in range(21)]})
    assert problems("PATCH", CHANNEL_PATCH, {"available_tags": [{"name": "t", "id": "not a snowflake"}]})
    assert problems("PATCH", CHANNEL_PATCH, {"available_tags": [{"name": "t" * 21}]})
    assert problems("POST", MESSAGES, {"content": "x" * 2001})
    assert problems("POST", CALLBACK, {"type": 4, "data": {"components": [{"type": 2, "label": "no row"}]}})


def poll(question: str = "Which paper this week?", answers: int = 3, answer: str = "1. A paper") -> dict[str, object]:
    return {"poll": {"question": {"text": question}, "answers": [{"poll_media": {"text": answer}}] * answers}}


def test_poll_limits_for_the_journal_club() -> None:
    assert_valid("POST", MESSAGES, poll() | {"poll": poll()["poll"] | {"duration": 24, "allow_multiselect": False}})
    assert problems("POST", MESSAGES, poll(question="q" * 301))
    assert problems("POST", MESSAGES, poll(answer="a" * 56))
    assert problems("POST", MESSAGES, poll(answers=11))
    assert not problems("POST", MESSAGES, poll(question="q" * 300, answers=10, answer="a" * 55))


def test_the_limits_the_forum_code_keeps_are_the_specs() -> None:
    post = schema("CreateForumThreadRequest")["properties"]
    assert post["name"]["maxLength"] == forums.POST_NAME == 100
    assert post["applied_tags"]["maxItems"] == forums.APPLIED == 5
    assert schema("UpdateGuildChannelRequestPartial")["properties"]["available_tags"]["maxItems"] == forums.TAGS == 20
    assert forums.TAG_NAME == TAG_NAME < schema("UpdateThreadTagRequest")["properties"]["name"]["maxLength"]
    assert schema("PollCreateRequest")["properties"]["answers"]["maxItems"] == 10
    assert schema("PollMediaCreateRequest")["properties"]["text"]["maxLength"] == 300  # answers: 55, documented


def test_user_installed_commands_and_modals_are_in_the_kept_spec() -> None:
    command = {"name": "papers", "description": "Papers", "type": 1, "integration_types": [0, 1], "contexts": [0, 1, 2]}
    assert_valid("PUT", COMMANDS, [command])
    assert problems("PUT", COMMANDS, [command | {"contexts": [7]}])
    modal = discord.ui.Modal(title="Subscribe", custom_id="subscribe")
    modal.add_item(discord.ui.TextInput(label="Query", custom_id="query", max_length=400))
    assert_valid("POST", CALLBACK, {"type": 9, "data": modal.to_dict()})
    assert problems("POST", CALLBACK, {"type": 9, "data": modal.to_dict() | {"title": "t" * 46}})


def test_a_stand_in_that_received_a_bad_body_says_so_when_the_test_leaves_it() -> None:
    with pytest.raises(AssertionError, match="breaks Discord's OpenAPI spec"), DiscordStandIn() as stand_in:
        stand_in.calls.append(Call("POST", f"/channels/{FORUM}/threads", {"name": "x" * 101, "message": {}}, {}))
