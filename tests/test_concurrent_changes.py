"""Twenty people (or imports) changing one channel at the same moment: its limits hold and every change is made, and
told, once."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor

import pytest

from adapters.terminal.render import render
from bot.app import App
from bot.chat import commands as c
from bot.chat import replies as r
from bot.chat.limits import CommandRate
from bot.chat.service import MAX_SUBSCRIPTIONS
from bot.chat.transfer import import_lines
from bot.domain import Actor, ChannelRef
from storage.bulk import BulkRepository
from storage.uow import UnitOfWork

CHANNEL = ChannelRef("terminal", "local", "busy")
AT_ONCE = 20


@pytest.fixture
def busy(app: App) -> App:
    app.service.rate = CommandRate(per_minute=10**9)  # the flood limit is not what is tested here
    return app


def all_at_once(app: App, texts: list[str]) -> list[str]:
    """Each text typed by a different person, all released together; the replies as the channel reads them."""
    start = threading.Barrier(len(texts))

    def say(number: int) -> str:
        start.wait()
        return render(app.service.answer(CHANNEL, Actor(f"U{number}", f"person{number}"), texts[number]))

    with ThreadPoolExecutor(len(texts)) as pool:
        return list(pool.map(say, range(len(texts))))


def slugs(app: App, count: int) -> list[str]:
    """Topics none of which covers another (a subscription inside one the channel has is refused)."""
    return sorted(topic.slug for topic in app.taxonomy if not app.taxonomy.children(topic.slug))[:count]


def stored(app: App) -> tuple[list[str], list[str]]:
    with UnitOfWork(app.engine) as uow:
        queries = [s.query for s in uow.subscriptions.for_channel(CHANNEL)]
        return queries, [a.action for a in uow.audit.recent(CHANNEL, 1000)]


def count(replies: list[str], holds: Callable[[str], bool]) -> int:
    return sum(1 for reply in replies if holds(reply))


def test_twenty_subscribes_at_once_never_pass_the_limit(busy: App) -> None:
    topics = slugs(busy, MAX_SUBSCRIPTIONS - 5 + AT_ONCE)
    for slug in topics[: MAX_SUBSCRIPTIONS - 5]:
        assert "subscribed" in render(busy.service.answer(CHANNEL, Actor("U0", "ana"), f"/papers subscribe {slug}"))

    replies = all_at_once(busy, [f"/papers subscribe {slug}" for slug in topics[MAX_SUBSCRIPTIONS - 5 :]])

    assert not [reply for reply in replies if "Something went wrong" in reply]
    assert count(replies, lambda reply: "subscribed this channel to" in reply) == 5
    assert count(replies, lambda reply: f"at most {MAX_SUBSCRIPTIONS} subscriptions" in reply) == AT_ONCE - 5
    queries, _ = stored(busy)
    assert len(queries) == MAX_SUBSCRIPTIONS


def test_twenty_identical_subscribes_make_one_and_the_rest_hear_already_follows(busy: App) -> None:
    replies = all_at_once(busy, ["/papers subscribe robotics"] * AT_ONCE)

    assert not [reply for reply in replies if "Something went wrong" in reply]
    assert count(replies, lambda reply: "subscribed this channel to" in reply) == 1
    assert count(replies, lambda reply: "This channel already follows `robotics`." in reply) == AT_ONCE - 1
    assert stored(busy) == (["robotics"], ["subscribed to robotics"])


def test_twenty_unsubscribe_alls_remove_each_subscription_once_and_say_so_once(busy: App) -> None:
    topics = slugs(busy, 10)
    for slug in topics:
        busy.service.answer(CHANNEL, Actor("U0", "ana"), f"/papers subscribe {slug}")

    replies = all_at_once(busy, ["/papers unsubscribe all confirm"] * AT_ONCE)

    removing = [reply for reply in replies if "unsubscribed this channel from" in reply]
    assert len(removing) == 1 and all(slug in removing[0] for slug in topics)
    assert count(replies, lambda reply: reply == "This channel had no subscriptions.") == AT_ONCE - 1
    queries, actions = stored(busy)
    assert queries == []
    removals = sorted(a for a in actions if a.startswith("unsubscribed"))
    assert removals == sorted(f"unsubscribed from {s}" for s in topics)


@pytest.fixture
def imports_meet(monkeypatch: pytest.MonkeyPatch) -> None:
    """An import that has read what its channel follows goes on only once the other import has read it too,
    or is waiting for the channel's lock: without the lock both count the channel as it was before either
    wrote; with it the second reads what the first committed. States, not a clock, decide who goes on."""
    state = threading.Condition()
    have_read, waiting = [0], [0]
    lock, queries_of = BulkRepository.lock, BulkRepository.queries_of

    def locking(self: BulkRepository, refs: Iterable[str]) -> None:
        with state:
            waiting[0] += 1
            state.notify_all()
        lock(self, refs)
        with state:
            waiting[0] -= 1

    def reading(self: BulkRepository, refs: Iterable[str]) -> dict[str, list[str]]:
        found = queries_of(self, refs)
        with state:
            have_read[0] += 1
            state.notify_all()
            assert state.wait_for(lambda: have_read[0] >= 2 or waiting[0] > 0, timeout=60), "the other import is stuck"
        return found

    monkeypatch.setattr(BulkRepository, "lock", locking)
    monkeypatch.setattr(BulkRepository, "queries_of", reading)


def test_two_chat_imports_and_three_subscribes_at_once_never_pass_the_limit(busy: App, imports_meet: None) -> None:
    topics = slugs(busy, 2 * MAX_SUBSCRIPTIONS + 3)
    files = [tuple(json.dumps({"query": slug}) for slug in topics[n * 25 : n * 25 + 25]) for n in (0, 1)]
    start = threading.Barrier(5)

    def typed(number: int) -> r.Reply:
        start.wait()
        actor = Actor(f"U{number}", f"person{number}")
        if number < 2:
            return busy.service.run(CHANNEL, actor, c.Import(files[number]))
        return busy.service.answer(CHANNEL, actor, f"/papers subscribe {topics[2 * MAX_SUBSCRIPTIONS + number - 2]}")

    with ThreadPoolExecutor(5) as pool:
        replies = list(pool.map(typed, range(5)))

    imported = [reply for reply in replies if isinstance(reply, r.Imported)]
    subscribed = [reply for reply in replies if isinstance(reply, r.Subscribed)]
    assert len(imported) == 2, [render(reply) for reply in replies]  # no "Something went wrong"
    assert sum(reply.added for reply in imported) + len(subscribed) == MAX_SUBSCRIPTIONS
    assert all(f"already has {MAX_SUBSCRIPTIONS} subscriptions" in why for i in imported for _, why in i.refused)
    queries, _ = stored(busy)
    assert len(queries) == MAX_SUBSCRIPTIONS


def test_two_command_line_imports_at_once_never_pass_the_limit(busy: App, imports_meet: None) -> None:
    topics = slugs(busy, 2 * MAX_SUBSCRIPTIONS)
    files = [[json.dumps({"channel": str(CHANNEL), "query": slug}) for slug in topics[n::2]] for n in (0, 1)]

    with ThreadPoolExecutor(2) as pool:
        reports = list(pool.map(lambda lines: import_lines(busy.engine, busy.taxonomy, lines), files))

    assert sum(report.added for report in reports) == MAX_SUBSCRIPTIONS
    assert sum(len(report.refused) for report in reports) == MAX_SUBSCRIPTIONS
    queries, _ = stored(busy)
    assert len(queries) == MAX_SUBSCRIPTIONS
