"""The feedback buttons under each paper of a Discord post: sent with the post, clicked through discord.py."""

from __future__ import annotations

from typing import Any

from adapters.discord.sender import DiscordSender
from bot.chat import commands as c
from bot.chat import replies as r
from bot.feedback.paper_kinds import Kind
from tests.discord_api import Call, DiscordStandIn
from tests.discord_chat import Chat, chat_test, sent
from tests.test_discord_sender import CHANNEL, api, digest, paper, sender

__all__ = ["api", "sender"]  # fixtures shared with tests/test_discord_sender.py


def buttons(body: dict[str, Any]) -> list[list[tuple[str, str]]]:
    return [[(b["label"], b["custom_id"]) for b in row["components"]] for row in body.get("components", [])]


def test_each_paper_of_a_post_gets_a_row_of_more_less_save(api: DiscordStandIn, sender: DiscordSender) -> None:
    sender.send(CHANNEL, digest(5), "mark1")
    parent, *replies = [call for call in api.posts("/messages") if call.path.endswith("/messages")]
    assert buttons(parent.body) == []  # the headline lists titles; the buttons sit under the papers themselves
    first = buttons(replies[0].body)
    assert len(first) == 4 and first[0] == [
        ("👍 More like this", "papers:fb:like:2401.00001"),
        ("👎 Less like this", "papers:fb:dislike:2401.00001"),
        ("🔖 Save", "papers:fb:save:2401.00001"),
    ]
    assert [row[0][1] for row in buttons(replies[1].body)] == ["papers:fb:like:2401.00005"]


@chat_test
async def test_a_click_is_the_clickers_feedback_answered_to_them_alone(chat: Chat) -> None:
    chat.core.replies[c.Feedback] = r.FeedbackNoted("save", paper(7), "Ada", True)
    rows = [
        {
            "type": 1,
            "components": [{"type": 2, "style": 2, "label": "🔖 Save", "custom_id": "papers:fb:save:2401.00007"}],
        }
    ]
    message = chat.api.message_from(Call("POST", "/channels/200/messages", {"content": "", "components": rows}, {}))
    [answer] = await chat.click(message, "🔖 Save")

    channel, actor, command = chat.core.seen[-1]
    assert command == c.Feedback("save", "2401.00007") and actor.id == "300" and str(channel) == "discord:100:200"
    assert answer.body["type"] == 4 and sent(answer)["flags"] & 64  # ephemeral
    assert sent(answer)["content"].startswith("Saved **Go-Explore number 7** for this channel")


@chat_test
async def test_like_dislike_save_and_forget_are_slash_commands_that_suggest_papers(chat: Chat) -> None:
    for kind in ("like", "dislike", "save", "forget"):
        [choice] = await chat.type_ahead(kind, "paper", "go explor")
        assert choice["value"] == "1901.10996"
        await chat.say(kind, paper="2401.00001")
        assert chat.core.seen[-1][2] == c.Feedback(kind, "2401.00001")
    await chat.say("saved")
    assert chat.core.seen[-1][2] == c.ListSaved()


@chat_test
async def test_the_warmup_offers_its_kinds_in_a_select_and_a_choice_is_the_pickers_pick(chat: Chat) -> None:
    kinds = tuple(Kind(("portfolio", "trading", f"stocks {n}"), (), 40) for n in range(1, 8))
    chat.core.replies[c.WarmUp] = r.WarmUpKinds(kinds, "1a2b3c4d")
    [answer] = await chat.say("warmup")
    [row] = sent(answer)["components"]
    [menu] = row["components"]
    assert menu["custom_id"] == "papers:kinds:1a2b3c4d" and (menu["min_values"], menu["max_values"]) == (0, 7)
    first = menu["options"][0]
    assert (first["label"], first["value"]) == ("1. portfolio, trading, stocks 1 (40 papers)", "1")
    chat.core.replies[c.WarmUp] = r.KindsPicked("Ada", (kinds[0].words, kinds[2].words), 6, 15)
    message = chat.api.message_from(Call("POST", "/channels/200/messages", sent(answer), {}))
    [picked] = await chat.pick(message, ["1", "3"])
    assert chat.core.seen[-1][2] == c.WarmUp(True, (1, 3), "1a2b3c4d")
    assert sent(picked)["content"].startswith("**Ada** picked 2 kinds (portfolio, trading, stocks 1;")
