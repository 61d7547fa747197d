"""Subscribing as people type it: acronyms and aliases name their topic, repeats are refused, `all` asks first."""

from __future__ import annotations

from bot.domain import Subscription
from storage.uow import UnitOfWork
from tests.chat import Chat


def test_an_acronym_or_alias_names_its_topic_and_a_quoted_one_is_a_phrase(chat: Chat) -> None:
    assert "subscribed this channel to rl (topic reinforcement-learning)" in chat.say("/papers subscribe rl")
    assert "(topic large-language-models)" in chat.say("/papers subscribe llm")
    assert "(topic graph-neural-networks)" in chat.say("/papers subscribe gnn")
    assert 'subscribed this channel to "rl" ("rl").' in chat.say('/papers subscribe "rl"')  # the phrase


def test_a_hyphenated_alias_names_its_topic_and_a_typo_gets_a_suggestion(chat: Chat) -> None:
    assert "(topic multi-agent-reinforcement-learning)" in chat.say("/papers subscribe multi-agent-RL")
    typo = chat.say("/papers subscribe multi-agnt-rl")
    assert "Did you mean multi-agent-reinforcement-learning?" in typo


def test_a_repeat_or_a_topic_inside_one_followed_is_refused_with_a_pointer(chat: Chat) -> None:
    chat.say("/papers subscribe reinforcement-learning")
    same = chat.say("/papers subscribe rl")
    assert same.startswith("This channel already follows `reinforcement-learning`, which asks the same.")
    inside = chat.say("/papers subscribe offline-reinforcement-learning")
    assert inside.startswith(
        "This channel already follows `reinforcement-learning`, which covers offline-reinforcement-learning;"
    )
    assert "1. reinforcement-learning" in chat.say("/papers list") and "2." not in chat.say("/papers list")


def test_unsubscribe_all_asks_for_confirmation_first(chat: Chat) -> None:
    for topic in ("robotics", "speech-and-audio", "time-series"):
        chat.say(f"/papers subscribe {topic}")
    asked = chat.say("/papers unsubscribe all")
    assert asked.startswith(
        "That removes all 3 subscriptions of this channel (`robotics`, `speech-and-audio`, `time-series`)"
    )
    assert "/papers unsubscribe all confirm" in asked
    assert "3. time-series" in chat.say("/papers list")

    assert "unsubscribed this channel from" in chat.say("/papers unsubscribe all confirm")
    assert "time-series" not in chat.say("/papers list")


def test_unsubscribe_reads_an_acronym_or_alias_as_subscribe_does(chat: Chat) -> None:
    chat.say("/papers subscribe reinforcement-learning")
    assert "already follows `reinforcement-learning`" in chat.say("/papers subscribe rl")
    assert "unsubscribed this channel from reinforcement-learning." in chat.say("/papers unsubscribe rl")
    chat.say("/papers subscribe llm -survey")
    gone = chat.say("/papers unsubscribe large-language-models -survey")
    assert "unsubscribed this channel from llm -survey." in gone
    assert "This channel follows nothing yet" in chat.say("/papers list") or "1." not in chat.say("/papers list")


def test_unsubscribe_still_says_what_it_does_not_follow(chat: Chat) -> None:
    chat.say("/papers subscribe robotics")
    assert chat.say("/papers unsubscribe rl").startswith(
        "This channel does not follow `rl`; /papers list shows what it follows."
    )
    assert "1. robotics" in chat.say("/papers list")


def test_for_me_counts_only_at_the_end_and_words_after_it_are_refused(chat: Chat) -> None:
    refused = chat.say("/papers subscribe robotics for me please")
    assert refused.startswith("`for me` goes at the end, with nothing after it: /papers subscribe robotics for me.")
    assert "Usage: /papers subscribe" in refused
    assert chat.say("/papers schedule 07:30 for me now").startswith("`for me` goes at the end, with nothing after it:")
    assert chat.say("/papers list for me please").startswith("`for me` goes at the end, with nothing after it:")
    assert "robotics" not in chat.say("/papers list") and "robotics" not in chat.say("/papers list mine")
    assert 'subscribed this channel to "tools for me" ("tools for me").' in chat.say('/papers subscribe "tools for me"')


def test_a_category_arxiv_does_not_have_is_refused_with_a_guess(chat: Chat) -> None:
    assert chat.say("/papers subscribe cat:cs.XX").startswith(
        "`cs.XX` is not an arXiv category; arXiv lists them at https://arxiv.org/category_taxonomy.\n"
        "Usage: /papers subscribe"
    )
    assert chat.say("/papers subscribe robotics OR cat:cs.ROB").startswith(
        "`cs.ROB` is not an arXiv category; did you mean cs.RO?"
    )
    assert "(category stat.ML)" in chat.say("/papers subscribe cat:stat.ml")
    imported = chat.say('/papers import {"channel": "terminal:lab", "query": "cat:cs.XX"}')
    assert "line 1: `cs.XX` is not an arXiv category" in imported
    assert "cs.XX" not in chat.say("/papers list")


def test_a_subscription_kept_before_its_category_was_checked_is_listed_and_can_go(chat: Chat) -> None:
    with UnitOfWork(chat.app.engine) as uow:
        uow.subscriptions.add(Subscription(chat.channel, "cat:cs.XX", 0, created_by="U1"))
        uow.commit()
    listed = chat.say("/papers list")
    assert "1. cat:cs.XX  (not understood any more: `cs.XX` is not an arXiv category;" in listed
    assert "unsubscribed this channel from cat:cs.XX." in chat.say("/papers unsubscribe cat:cs.XX")
