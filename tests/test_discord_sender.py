"""The Discord sender with discord.py's real HTTP client against the local REST stand-in."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from adapters.discord.sender import DiscordSender
from bot.domain import ChannelRef, Digest, Match, Paper
from bot.errors import SendFailed
from tests.discord_api import DiscordStandIn

HOSTILE = "@everyone **free** [click](https://x)"
CHANNEL = ChannelRef("discord", "100", "200")


def paper(n: int, title: str = "") -> Paper:
    return Paper(
        title=title or f"Go-Explore number {n}",
        abstract="We explore hard-exploration games. " * 5,
        arxiv_id=f"2401.{n:05d}",
        authors=("Adrien Ecoffet", "Joost Huizinga", "Joel Lehman", "Ken Stanley"),
        upvotes=40 + n,
        code_url="https://github.com/uber-research/go-explore",
        on_hf=True,
        published_at=datetime(2026, 11, 24, tzinfo=UTC),
    )


def digest(count: int, first_title: str = "") -> Digest:
    matches = tuple(
        Match(paper(i, first_title if i == 1 else ""), 1.0 - i / 100, ("topic reinforcement-learning (title)",))
        for i in range(1, count + 1)
    )
    return Digest(CHANNEL, matches, more=2, title=f"{count} new papers for reinforcement-learning, Tue 24 Nov")


@pytest.fixture
def api() -> Iterator[DiscordStandIn]:
    with DiscordStandIn() as api:
        yield api


@pytest.fixture
def sender(api: DiscordStandIn) -> Iterator[DiscordSender]:
    sender = DiscordSender.standalone("test-token", timeout=10)
    yield sender
    sender.close()


def test_three_papers_are_one_message_with_embeds_and_a_nonce(api: DiscordStandIn, sender: DiscordSender) -> None:
    ids = sender.send(CHANNEL, digest(3), "mark1")

    [post] = api.posts("/channels/200/messages")
    assert ids == [api.messages["200"][0]["id"]]
    assert post.body["content"].startswith("**3 new papers for reinforcement-learning")
    assert len(post.body["embeds"]) == 3
    assert post.body["enforce_nonce"] is True and len(post.body["nonce"]) <= 25
    assert post.body["allowed_mentions"] == {"parse": []}
    first = post.body["embeds"][0]
    assert first["url"] == "https://arxiv.org/abs/2401.00001"
    assert "papers-bot mark1 · part 1/1" in first["footer"]["text"]
    assert "Why: topic reinforcement-learning (title)" in first["footer"]["text"]


def test_more_than_three_papers_go_into_a_thread_under_the_headline(api: DiscordStandIn, sender: DiscordSender) -> None:
    ids = sender.send(CHANNEL, digest(5), "mark2")

    parent = api.messages["200"][0]
    assert ids[0] == parent["id"] and len(ids) == 3  # a headline, then four papers a reply
    assert parent["thread"]["name"].startswith("5 new papers")
    assert [m["id"] for m in api.messages[parent["id"]]] == ids[1:]
    assert "2401.00003" in api.messages[parent["id"]][0]["embeds"][2]["url"]
    assert [len(m["embeds"]) for m in api.messages[parent["id"]]] == [4, 1]
    assert "and 2 more" in parent["content"]


def test_a_429_is_waited_out_by_discord_py_itself(api: DiscordStandIn, sender: DiscordSender) -> None:
    api.rate_limit_next(1)

    ids = sender.send(CHANNEL, digest(2), "mark3")

    assert api.statuses("/channels/200/messages") == [429, 200]
    assert len(ids) == 1 and len(api.messages["200"]) == 1


def test_missing_access_and_unknown_channel_are_permanent(api: DiscordStandIn, sender: DiscordSender) -> None:
    api.forbidden.add("201")
    with pytest.raises(SendFailed) as forbidden:
        sender.send(ChannelRef("discord", "100", "201"), digest(1), "m")
    with pytest.raises(SendFailed) as unknown:
        sender.send(ChannelRef("discord", "100", "999"), digest(1), "m")

    assert forbidden.value.permanent and "403" in forbidden.value.message
    assert unknown.value.permanent and "404" in unknown.value.message


def test_find_sent_recognises_its_own_post_and_nothing_else(api: DiscordStandIn, sender: DiscordSender) -> None:
    ids = sender.send(CHANNEL, digest(5), "mark4")

    assert sender.find_sent(CHANNEL, "mark4") == ids
    assert sender.find_sent(CHANNEL, "another-mark") is None


def test_resume_posts_only_the_parts_a_crash_left_out(api: DiscordStandIn, sender: DiscordSender) -> None:
    ids = sender.send(CHANNEL, digest(5), "mark5")
    thread = api.messages[ids[0]]
    del thread[1:]  # the process died after the parent and its first reply

    assert sender.find_sent(CHANNEL, "mark5") is None
    resumed = sender.resume(CHANNEL, digest(5), "mark5")

    assert resumed[:2] == ids[:2] and len(resumed) == 3
    assert len(api.messages[ids[0]]) == 2
    assert len(api.messages["200"]) == 1  # the headline was not posted again


def test_the_same_nonce_twice_is_one_message(api: DiscordStandIn, sender: DiscordSender) -> None:
    first = sender.send(CHANNEL, digest(2), "mark6")
    again = sender.send(CHANNEL, digest(2), "mark6")  # an answer lost on the way back, sent again

    assert first == again and len(api.messages["200"]) == 1


def test_a_hostile_title_is_posted_as_harmless_text(api: DiscordStandIn, sender: DiscordSender) -> None:
    sender.send(CHANNEL, digest(5, first_title=HOSTILE), "mark7")

    posts = api.posts("/messages")
    assert all(p.body["allowed_mentions"] == {"parse": []} for p in posts if "threads" not in p.path)
    harmless = "@\u200beveryone \\*\\*free\\*\\* \\[click\\](https://x)"
    assert f"1\\. [{harmless}](https://arxiv.org/abs/2401.00001)" in posts[0].body["embeds"][0]["description"]
    thread = api.messages[api.messages["200"][0]["id"]]
    assert thread[0]["embeds"][0]["title"] == harmless
    assert "@everyone" not in str([p.body for p in posts])


def test_a_person_s_feed_goes_to_their_direct_messages_without_a_thread(
    api: DiscordStandIn, sender: DiscordSender
) -> None:
    ada = ChannelRef.person("discord", "100", "300")
    ids = sender.send(ada, digest(5), "mark-dm")

    [opened] = [call for call in api.calls if call.path == "/users/@me/channels"]
    assert opened.body == {"recipient_id": 300}
    assert [m["id"] for m in api.messages["9300"]] == ids and len(ids) == 3  # a DM has no threads: the parts follow
    assert not [call for call in api.calls if call.path.endswith("/threads")]
    assert sender.find_sent(ada, "mark-dm") == ids  # found again in the DM after a crash
    sender.send(ada, digest(1), "mark-dm-2")
    assert len([call for call in api.calls if call.path == "/users/@me/channels"]) == 1


def test_a_channel_s_weekly_best_goes_to_the_channel(api: DiscordStandIn, sender: DiscordSender) -> None:
    sender.send(CHANNEL.weekly_best(), digest(2), "mark-top")

    assert len(api.messages["200"]) == 1
