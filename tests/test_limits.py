"""Abuse limits, as a channel meets them: each refusal one clear sentence, and nobody else is affected."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from adapters.terminal.render import render_digest
from bot.chat import replies as r
from bot.chat.commands import MAX_COMMAND_CHARS
from bot.chat.limits import CommandRate
from bot.chat.service import MAX_SUBSCRIPTIONS
from bot.delivery.digest import build_digest
from bot.delivery.passes import deliver_due
from bot.delivery.senders import RecordingSender
from bot.domain import Actor
from bot.relevance.query import MAX_LENGTH
from storage.uow import UnitOfWork
from tests.chat import Chat


class FakeClock:
    """Seconds that pass only when a test says so."""

    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


def first_line(answer: str) -> str:
    return answer.split("\n", 1)[0]


def test_a_query_over_300_characters_is_refused_with_its_length(chat: Chat) -> None:
    answer = chat.say("/papers subscribe " + "robot " * 50 + "a")
    assert first_line(answer) == f"That query is 301 characters long; keep it under {MAX_LENGTH}."
    assert "no subscriptions" in chat.say("/papers list")


def test_a_command_over_1000_characters_is_refused_before_it_is_read(chat: Chat) -> None:
    answer = chat.say("/papers find " + "x" * 1_000)
    assert first_line(answer) == f"That command is 1,013 characters long; the limit is {MAX_COMMAND_CHARS:,}."


def test_the_26th_subscription_is_refused(chat: Chat) -> None:
    chat.app.service.rate = CommandRate(per_minute=1_000)  # this test is about subscriptions, not flooding
    slugs = sorted(t.slug for t in chat.app.taxonomy if not chat.app.taxonomy.children(t.slug))[: MAX_SUBSCRIPTIONS + 1]
    for slug in slugs[:MAX_SUBSCRIPTIONS]:
        assert isinstance(chat.reply(f"/papers subscribe {slug}"), r.Subscribed), slug

    answer = chat.say(f"/papers subscribe {slugs[-1]}")
    assert first_line(answer) == "A channel can have at most 25 subscriptions; remove one first."
    assert "Usage: /papers unsubscribe" in answer
    listed = chat.say("/papers list")
    assert f"{MAX_SUBSCRIPTIONS}. {slugs[MAX_SUBSCRIPTIONS - 1]}" in listed and slugs[-1] not in listed

    chat.say("/papers unsubscribe 1")  # room again
    assert isinstance(chat.reply(f"/papers subscribe {slugs[-1]}"), r.Subscribed)


def test_find_answers_at_most_five_papers(chat: Chat) -> None:
    reply = chat.reply("/papers find learning")
    assert isinstance(reply, r.FindResults) and len(reply.results) == 5
    answer = chat.say("/papers find learning")
    assert re.search(r"(?m)^5\. ", answer) and not re.search(r"(?m)^6\. ", answer)


def test_the_21st_command_in_a_minute_is_refused_and_others_are_unaffected(chat: Chat) -> None:
    clock = FakeClock()
    chat.app.service.rate = CommandRate(per_minute=20, clock=clock)
    bea = Chat(chat.app, chat.channel, Actor("U2", "bea"))

    for _ in range(20):
        assert isinstance(chat.reply("/papers help"), r.HelpText)
    refusal = chat.reply("/papers help")
    assert refusal == r.Problem("That is more than 20 commands in a minute; please wait a moment.")
    assert chat.say("/papers subscribe robotics") == "That is more than 20 commands in a minute; please wait a moment."

    assert "no subscriptions" in bea.say("/papers list")  # another person in the same channel; nothing subscribed
    clock.now += 61
    assert isinstance(chat.reply("/papers help"), r.HelpText)  # a minute later, ana may again


def test_the_post_holds_its_cap_and_the_preview_holds_everything(chat: Chat) -> None:
    chat.say("/papers subscribe reinforcement-learning")
    preview = chat.reply("/papers digest")
    assert isinstance(preview, r.DigestPreview)
    assert len(preview.digest.matches) > 10 and preview.digest.more == 0
    sender = RecordingSender()
    deliver_due(
        chat.app.engine,
        chat.app.matcher,
        {"terminal": sender},
        datetime.now(UTC),
        force=True,
        cap=chat.app.settings.digest_cap,
    )
    assert len(sender.posted_keys()) == chat.app.settings.digest_cap == 10


def test_a_capped_post_says_how_many_more_and_where(chat: Chat) -> None:
    chat.say("/papers subscribe reinforcement-learning")
    with UnitOfWork(chat.app.engine) as uow:
        post = build_digest(uow, chat.app.matcher, chat.channel, datetime.now(UTC), cap=3)
    answer = render_digest(post)
    assert post.more > 0 and answer.endswith(f"… and {post.more} more: /papers digest shows them.")
    assert re.search(r"(?m)^3\. ", answer) and not re.search(r"(?m)^4\. ", answer)
