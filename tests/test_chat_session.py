"""The terminal channel's session, end to end through the real service and storage."""

from __future__ import annotations

import pytest

from bot.chat import replies as r
from tests.chat import Chat

RL_ONLY_BY_WORD = (
    "Exploration of Interpretability Techniques for Deep COVID-19 Classification",
    "DendroMap: Visual Exploration of Large-Scale Image Datasets",
)


def test_a_typo_in_a_topic_gets_did_you_mean(chat: Chat) -> None:
    answer = chat.say("/papers subscribe reinforcment-learning")
    assert "Did you mean reinforcement-learning?" in answer
    assert "Usage: /papers subscribe" in answer
    assert "no subscriptions" in chat.say("/papers list")


def test_subscribing_shows_a_dry_run_and_announces_who(chat: Chat) -> None:
    reply = chat.reply("/papers subscribe reinforcement-learning")
    assert isinstance(reply, r.Subscribed)
    assert reply.actor == "ana" and not reply.ephemeral
    assert reply.per_day > 0 and len(reply.top) == 3
    assert "1. reinforcement-learning" in chat.say("/papers list")


def test_the_digest_holds_rl_papers_and_says_why(chat: Chat) -> None:
    chat.say("/papers subscribe reinforcement-learning")
    reply = chat.reply("/papers digest")
    assert isinstance(reply, r.DigestPreview)
    titles = [m.paper.title for m in reply.digest.matches] + ["(more)"] * reply.digest.more
    assert len(titles) >= 10
    assert all(m.why for m in reply.digest.matches)
    assert not any(t.startswith(RL_ONLY_BY_WORD) for t in titles)


def test_find_puts_go_explore_first_despite_typos(chat: Chat) -> None:
    reply = chat.reply("/papers find go explor hard exploraton")
    assert isinstance(reply, r.FindResults)
    assert reply.results[0].paper.title.startswith("Go-Explore")


def test_unsubscribe_by_number_and_all(chat: Chat) -> None:
    chat.say("/papers subscribe robotics")
    chat.say("/papers subscribe reinforcement-learning")
    assert "unsubscribed this channel from robotics" in chat.say("/papers unsubscribe 1")
    assert "there is no number 5" in chat.say("/papers unsubscribe 5")
    assert "from reinforcement-learning" in chat.say("/papers unsubscribe all")
    assert "no subscriptions" in chat.say("/papers list")


def test_the_same_subscription_twice_is_refused(chat: Chat) -> None:
    chat.say("/papers subscribe robotics")
    assert "already follows `robotics`" in chat.say("/papers subscribe robotics")


def test_schedule_in_a_time_zone(chat: Chat) -> None:
    answer = chat.say("/papers schedule 08:30 Europe/Berlin weekdays")
    assert "ana scheduled this channel's post on weekdays at 08:30 Europe/Berlin" in answer


@pytest.mark.parametrize("name", ["PST", "localtime", "posixrules", "Factory", "posix/Europe/Paris"])
def test_a_zone_that_names_no_place_is_refused(chat: Chat, name: str) -> None:
    # `localtime` is whatever zone the host is in: two processes on two hosts would post at different hours.
    answer = chat.say(f"/papers schedule 09:00 {name}")
    assert f"`{name}` is not a time zone I know." in answer and "Usage: /papers schedule" in answer
    assert "09:00" not in chat.say("/papers status")


def test_topics_and_help(chat: Chat) -> None:
    assert "reinforcement-learning" in chat.say("/papers topics reinf")
    assert "offline-reinforcement-learning" in chat.say("/papers topics reinforcement")
    help_text = chat.say("/papers help")
    assert "/papers subscribe <query> [min-upvotes=N]" in help_text and "/papers status" in help_text


def test_status_shows_papers_and_changes(chat: Chat) -> None:
    chat.say("/papers subscribe robotics")
    answer = chat.say("/papers status")
    assert "184 papers stored" in answer and "ana subscribed to robotics" in answer


BAD_INPUT = [
    "/papers",
    "/papers frobnicate",
    '/papers subscribe "unclosed quote',
    "/papers subscribe " + "a" * 5000,
    "/papers schedule 25:99 Mars/Olympus",
    "/papers find \x07bell",
    "/papers find ))) AND NOT (((",
    "/papers subscribe ))) AND NOT (((",
    "/papers unsubscribe nothing-here",
    "/papers help nonsense",
]


def test_bad_input_gets_one_sentence_and_usage(chat: Chat) -> None:
    for typed in BAD_INPUT:
        reply = chat.reply(typed)
        text = chat.say(typed)
        assert "Traceback" not in text and "Error" not in text.split("\n")[0][:6], typed
        if isinstance(reply, r.Problem):
            assert reply.message.endswith((".", "?")), typed
            assert reply.usage.startswith("Usage: /papers"), typed
        else:
            assert isinstance(reply, r.FindResults), typed
