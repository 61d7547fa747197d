"""A forum channel's feed: a post per paper with its card, buttons and topic tags, through discord.py's real client."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
from sqlalchemy import Engine

from adapters.discord.forum_channels import UNTAGGED
from adapters.discord.forums import TAGS
from adapters.discord.sender import DiscordSender
from bot.chat import commands as c
from bot.chat import replies as r
from bot.domain import ChannelRef, Digest, Match, Paper, Schedule
from bot.feedback.reactions import papers_on
from storage.uow import UnitOfWork
from tests.discord_chat import MANAGE_CHANNELS, Chat, chat_test, interaction, sent
from tests.discord_forum_api import FORUM, ForumStandIn
from tests.test_reactions import KEYS, post

FORUM_FEED = ChannelRef("discord", "100", FORUM)
TITLES = {
    "rl": "Deep reinforcement learning for robot grasping",
    "vision": "Image segmentation with vision transformers",
    "speech": "Speech recognition for low-resource languages",
}


def paper(n: int, title: str) -> Paper:
    return Paper(title=title, abstract="We study this. " * 5, arxiv_id=f"2401.{n:05d}", authors=("A. Author",))


def digest(*titles: str, summary: bool = True) -> Digest:
    matches = tuple(Match(paper(i, t), 0.9, ("topic (title)",)) for i, t in enumerate(titles, 1))
    return Digest(FORUM_FEED, matches, title=f"{len(titles)} new papers, Tue 24 Nov", summary=summary)


@pytest.fixture
def api() -> Iterator[ForumStandIn]:
    with ForumStandIn() as api:
        yield api


@pytest.fixture
def sender(api: ForumStandIn) -> Iterator[DiscordSender]:
    sender = DiscordSender.standalone("test-token", timeout=10)
    yield sender
    sender.close()


def tags_of(api: ForumStandIn, post: dict[str, object]) -> list[str]:
    names = {t["id"]: t["name"] for t in api.forums[FORUM]}
    return [names[i] for i in post["applied_tags"]]  # type: ignore[attr-defined]


def test_each_paper_is_a_forum_post_with_its_card_buttons_and_topics(api: ForumStandIn, sender: DiscordSender) -> None:
    ids = sender.send(FORUM_FEED, digest(TITLES["rl"], TITLES["vision"]), "mark1")

    first, second, summary = api.forum_posts()
    assert ids == [summary["id"], first["id"], second["id"]]  # the summary is part 0, posted last
    assert first["name"] == TITLES["rl"] and second["name"] == TITLES["vision"]
    card = first["message"]["embeds"][0]
    assert card["url"] == "https://arxiv.org/abs/2401.00001" and "papers-bot mark1 · part 2/3" in card["footer"]["text"]
    [row] = first["message"]["components"]
    assert [b["label"] for b in row["components"]] == ["👍 More like this", "👎 Less like this", "🔖 Save"]
    assert tags_of(api, first) == ["Machine learning", "Robotics"]
    assert tags_of(api, second) == ["Computer vision", "Machine learning"]
    assert summary["name"] == "2 new papers, Tue 24 Nov"
    assert f"<#{first['id']}>" in summary["message"]["embeds"][0]["description"]
    assert first["message"]["allowed_mentions"] == {"parse": []}


def test_tags_are_made_once_and_reused_and_peoples_tags_are_kept(api: ForumStandIn, sender: DiscordSender) -> None:
    api.forums[FORUM] = [{"id": "7", "name": "Reading group", "moderated": True, "emoji_id": None, "emoji_name": "📚"}]
    sender.send(FORUM_FEED, digest(TITLES["rl"]), "mark1")
    sender.send(FORUM_FEED, digest(TITLES["rl"]), "mark2")

    assert len(api.posts(f"/channels/{FORUM}")) - len(api.posts("/threads")) == 1  # one PATCH for both posts
    assert api.tag_names() == ["Reading group", "Machine learning", "Robotics"]
    assert api.forums[FORUM][0] == {
        "id": "7",
        "name": "Reading group",
        "moderated": True,
        "emoji_id": None,
        "emoji_name": "📚",
    }


def test_a_full_forum_gets_the_most_frequent_topics_that_fit(api: ForumStandIn, sender: DiscordSender) -> None:
    api.forums[FORUM] = [
        {"id": str(i), "name": f"ours {i}", "moderated": False, "emoji_id": None, "emoji_name": None}
        for i in range(TAGS - 1)
    ]
    sender.send(FORUM_FEED, digest(TITLES["speech"], TITLES["vision"], TITLES["vision"].lower()), "mark1")

    assert len(api.tag_names()) == TAGS and api.tag_names()[-1] == "Computer vision"
    assert api.tag_names()[: TAGS - 1] == [f"ours {i}" for i in range(TAGS - 1)]


def test_without_manage_channels_posts_go_untagged_and_the_change_is_tried_once(
    api: ForumStandIn, sender: DiscordSender
) -> None:
    api.cannot_manage.add(FORUM)
    sender.send(FORUM_FEED, digest(TITLES["rl"]), "mark1")
    sender.send(FORUM_FEED, digest(TITLES["vision"]), "mark2")

    assert [p["applied_tags"] for p in api.forum_posts()] == [[], [], [], []]
    assert api.statuses(f"/channels/{FORUM}").count(403) == 1


def test_a_post_cut_short_is_finished_without_repeating_a_paper(api: ForumStandIn, sender: DiscordSender) -> None:
    post = digest(TITLES["rl"], TITLES["vision"], TITLES["speech"])
    ids = sender.send(FORUM_FEED, post, "mark1")
    assert sender.find_sent(FORUM_FEED, "mark1") == ids
    lost = ids[2]
    del api.threads[lost], api.messages[lost]  # as if the process died before that post
    assert sender.find_sent(FORUM_FEED, "mark1") is None

    again = sender.resume(FORUM_FEED, post, "mark1")

    assert again[:2] == ids[:2] and again[3] == ids[3] and again[2] != lost
    assert sorted(p["name"] for p in api.forum_posts()) == sorted([*TITLES.values(), "3 new papers, Tue 24 Nov"])


def test_summary_off_posts_only_the_papers(api: ForumStandIn, sender: DiscordSender) -> None:
    post = digest(TITLES["rl"], TITLES["vision"], summary=False)
    ids = sender.send(FORUM_FEED, post, "mark1")

    assert [p["name"] for p in api.forum_posts()] == [TITLES["rl"], TITLES["vision"]] and len(ids) == 2
    assert sender.resume(FORUM_FEED, post, "mark1") == ids  # found again, nothing posted twice
    assert len(api.forum_posts()) == 2


def test_a_long_hostile_title_is_cut_to_100_and_pings_no_one(api: ForumStandIn, sender: DiscordSender) -> None:
    title = "@everyone <@&1> " + "very long title " * 20
    sender.send(FORUM_FEED, replace(digest(title), summary=False), "mark1")

    [post] = api.forum_posts()
    assert len(post["name"]) <= 100 and post["name"].endswith("…")
    assert "@everyone" not in post["name"] and "<@&" not in post["name"]


# --- /papers typed in one of the forum's posts means the forum ------------------------------------


def in_forum_post(chat: Chat, payload: dict[str, Any], app_permissions: int = MANAGE_CHANNELS) -> dict[str, Any]:
    """The interaction as Discord sends it from a post (a thread) of forum 300, in a server the bot has cached."""
    forum = ForumStandIn.forum(ForumStandIn(), FORUM)  # the forum as the Guilds intent delivers it
    chat.client._connection._add_guild_from_data(  # type: ignore[arg-type]
        {"id": "100", "name": "lab", "channels": [forum], "roles": [], "emojis": [], "stickers": [], "features": []}
    )
    thread = {"id": "555", "type": 11, "guild_id": "100", "parent_id": FORUM, "name": "a post", "flags": 0}
    thread |= {"owner_id": "300", "last_message_id": None, "message_count": 1, "member_count": 1}
    thread["thread_metadata"] = {
        "archived": False,
        "auto_archive_duration": 1440,
        "locked": False,
        "archive_timestamp": "2026-12-01T00:00:00+00:00",
    }
    return payload | {"channel_id": "555", "channel": thread, "app_permissions": str(app_permissions)}


def subscribe(query: str) -> dict[str, Any]:
    options = [{"type": 3, "name": "query", "value": query}]
    return {"id": "1", "name": "papers", "type": 1, "options": [{"type": 1, "name": "subscribe", "options": options}]}


@chat_test
async def test_subscribing_in_a_forum_post_subscribes_the_forum(chat: Chat) -> None:
    chat.core.replies[c.Subscribe] = r.Subscribed("speech", "topic speech", "Ada", 1.0, 14, ())
    [answer] = await chat._inject(in_forum_post(chat, interaction(2, subscribe("speech"), MANAGE_CHANNELS)))

    [(where, _, command)] = chat.core.seen
    assert where == FORUM_FEED and command == c.Subscribe("speech")
    assert "no tags" not in sent(answer)["content"]


@chat_test
async def test_without_manage_channels_the_subscribe_reply_says_the_posts_go_untagged(chat: Chat) -> None:
    chat.core.replies[c.Subscribe] = r.Subscribed("speech", "topic speech", "Ada", 1.0, 14, ())
    payload = in_forum_post(chat, interaction(2, subscribe("speech"), MANAGE_CHANNELS), app_permissions=1 << 11)
    [answer] = await chat._inject(payload)

    assert sent(answer)["content"].endswith(UNTAGGED) and "Manage Channels" in UNTAGGED


@chat_test
async def test_a_thread_of_a_text_channel_stays_its_own_feed(chat: Chat) -> None:
    await chat.say("list")
    [(where, _, _)] = chat.core.seen
    assert where == ChannelRef("discord", "100", "200")


# --- a thumbs up on a forum post counts for that post's paper ------------------------------------


@pytest.mark.parametrize("summary", [True, False])
def test_a_reaction_on_a_forum_post_names_its_own_paper(engine: Engine, summary: bool) -> None:
    keys = KEYS[:5]
    ids = ["9000"] * summary + [f"900{n + 1}" for n in range(5)]  # the summary post, then one post a paper
    post(engine, FORUM_FEED, keys, ids)

    with UnitOfWork(engine) as uow:
        assert papers_on(uow, [FORUM_FEED], "9003") == (FORUM_FEED, (keys[2],))
        assert papers_on(uow, [FORUM_FEED], "9005") == (FORUM_FEED, (keys[4],))
        if summary:
            assert papers_on(uow, [FORUM_FEED], "9000") == (FORUM_FEED, ())


def test_a_forum_that_requires_a_tag_gets_one_on_every_post(api: ForumStandIn, sender: DiscordSender) -> None:
    api.tag_required.add(FORUM)
    sender.send(FORUM_FEED, digest(TITLES["rl"], "Notes on nothing in particular"), "mark1")

    assert [tags_of(api, p) for p in api.forum_posts()] == [["Machine learning", "Robotics"], ["Papers"], ["Papers"]]
    assert api.refused() == []


def test_a_media_channel_gets_a_post_per_paper_too(api: ForumStandIn, sender: DiscordSender) -> None:
    api.media.add(FORUM)
    sender.send(FORUM_FEED, digest(TITLES["rl"], summary=False), "mark1")

    [post] = api.forum_posts()
    assert post["name"] == TITLES["rl"] and post["message"]["components"]


@chat_test
async def test_the_schedule_commands_summary_option_becomes_its_words(chat: Chat) -> None:
    chat.core.replies[c.SetSchedule] = r.ScheduleSet(Schedule(), "Ada", None, post="", summary=False)
    [answer] = await chat.say("schedule", time="08:30", summary="summary off")

    assert chat.core.seen[0][2] == c.SetSchedule("08:30 summary off")
    assert "turned this channel's summary post off" in sent(answer)["content"]
