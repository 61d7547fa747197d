"""SIGTERM on the Discord worker: a command being answered gets its answer before the client closes."""

from __future__ import annotations

import asyncio

from adapters.discord.app import close_gracefully
from bot.chat import commands as c
from bot.chat import replies as r
from bot.domain import Found
from tests.discord_chat import EPHEMERAL, Chat, api, chat_test, interaction, options, paper, sent

__all__ = ["api"]  # the stand-in fixture, shared with the command tests

FIND = {
    "id": "1",
    "name": "papers",
    "type": 1,
    "options": [{"type": 1, "name": "find", "options": options({"text": "go explor"}, None)}],
}


@chat_test
async def test_a_slow_find_in_hand_is_answered_before_the_client_closes(chat: Chat) -> None:
    chat.slow_core()  # deferred first, then followed up: two calls, both after the stop request
    chat.core.replies[c.Find] = r.FindResults("go explor", tuple(Found(paper(n), 90 - n, "title") for n in range(2)))
    chat.client._connection.parse_interaction_create(interaction(2, FIND, 0))
    await asyncio.sleep(0)  # the command task has started; SIGTERM arrives now

    await close_gracefully(chat.client)

    assert chat.client.is_closed()
    defer, follow_up = chat.api.answers()
    assert defer.body == {"type": 5, "data": {"flags": EPHEMERAL}}
    assert len(sent(follow_up)["embeds"]) == 2  # the answer went out before the connection closed


@chat_test
async def test_the_stop_waits_for_the_commands_being_answered_and_nothing_else(chat: Chat) -> None:
    chat.slow_core()
    chat.core.replies[c.Find] = r.FindResults("go explor", ())
    chat.client._connection.parse_interaction_create(interaction(2, FIND, 0))
    await asyncio.sleep(0)
    [in_hand] = chat.client.tree.answering  # type: ignore[attr-defined]
    other = asyncio.create_task(asyncio.Event().wait(), name="CommandTree-invoker")  # a task's name is no command

    await close_gracefully(chat.client)

    assert in_hand.done() and not other.done() and chat.client.is_closed()
    assert chat.client.tree.answering == set()  # type: ignore[attr-defined]
    other.cancel()
