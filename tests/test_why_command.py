"""`/papers why <paper>`: every reason behind the one short line a post shows, per subscription of the channel."""

from __future__ import annotations

from tests.chat import Chat


def test_why_lists_each_subscription_with_every_reason_or_that_it_does_not_match(chat: Chat) -> None:
    chat.say("/papers subscribe large-language-models")
    chat.say("/papers subscribe robotics")

    answer = chat.say("/papers why https://arxiv.org/abs/2608.19880v1")

    assert answer.splitlines() == [
        "EnvHarness: Awakening Static Worlds for Agent Learning",
        '  large-language-models: acronym "LLM" in keywords; acronym "LLM" in abstract',
        "  robotics: does not match",
    ]


def test_why_names_the_problem_in_one_sentence(chat: Chat) -> None:
    assert (
        chat.say("/papers why 2608.19880")
        == "This channel follows nothing yet.\nUsage: /papers subscribe <query> [min-upvotes=N] [for me]"
    )
    chat.say("/papers subscribe robotics")
    assert chat.say("/papers why 9999.99999").startswith("I have no paper `9999.99999`; /papers find looks papers up.")
    assert chat.say("/papers why the one about worlds").startswith("Name the paper by its arXiv id or link")
