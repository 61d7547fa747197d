"""A pasted arXiv id the bot does not store: asked of arXiv once, an unknown one not again for a day, an outage not held."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from bot.app import App
from bot.domain import Paper
from bot.errors import PapersError
from bot.find.lookup import UNKNOWN_FOR, PaperLookup
from bot.sources.parsed import Parsed

KNOWN = Paper("Go-Explore: a New Approach for Hard-Exploration Problems", "Sparse rewards.", arxiv_id="1901.10995")


class Arxiv:
    """arXiv as the lookup sees it: it knows KNOWN, may be down, and counts what it is asked."""

    def __init__(self) -> None:
        self.asked: list[str] = []
        self.down = False
        self.hold = threading.Event()
        self.hold.set()

    def __call__(self, ids: list[str]) -> Parsed:
        self.asked += ids
        self.hold.wait(10)
        if self.down:
            raise PapersError("arXiv answered 503")
        return Parsed([KNOWN] if KNOWN.arxiv_id in ids else [])


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def lookup_on(app: App, arxiv: Arxiv, clock: Clock) -> PaperLookup:
    return PaperLookup(app.engine, app.lookup.paper_topics, app.lookup.taxonomy, arxiv, clock=clock)


def test_an_id_arxiv_does_not_know_is_not_asked_again_until_the_next_day(app: App) -> None:
    arxiv, clock = Arxiv(), Clock()
    lookup = lookup_on(app, arxiv, clock)
    assert lookup.paper("2612.99991") is None and lookup.paper("2612.99991") is None
    assert arxiv.asked == ["2612.99991"]
    clock.now += UNKNOWN_FOR + 1  # a day later it may have appeared
    assert lookup.paper("2612.99991") is None and arxiv.asked == ["2612.99991", "2612.99991"]


def test_an_id_asked_while_arxiv_is_down_is_asked_again_next_time(app: App) -> None:
    arxiv, clock = Arxiv(), Clock()
    lookup = lookup_on(app, arxiv, clock)
    arxiv.down = True
    assert lookup.paper("1901.10995") is None
    arxiv.down = False
    found = lookup.paper("1901.10995")
    assert found is not None and found.title == KNOWN.title and arxiv.asked == ["1901.10995", "1901.10995"]


def test_the_same_link_pasted_in_many_messages_at_once_is_asked_once(app: App) -> None:
    arxiv, clock = Arxiv(), Clock()
    lookup = lookup_on(app, arxiv, clock)
    arxiv.hold.clear()  # arXiv is slow: every paste arrives while the first is being asked
    with ThreadPoolExecutor(6) as pastes:
        answers = [pastes.submit(lookup.paper, "1901.10995") for _ in range(6)]
        while not arxiv.asked:
            threading.Event().wait(0.01)
        arxiv.hold.set()
        titles = {future.result().title for future in answers}  # type: ignore[union-attr]
    assert titles == {KNOWN.title} and arxiv.asked == ["1901.10995"]


def test_a_paste_that_looked_before_another_paste_stored_the_paper_does_not_ask_again(
    app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    arxiv, clock = Arxiv(), Clock()
    lookup = lookup_on(app, arxiv, clock)
    claim = lookup._to_ask

    def claim_after_another_paste_is_answered(ids: list[str]) -> tuple[list[str], list[threading.Event]]:
        monkeypatch.setattr(lookup, "_to_ask", claim)
        assert lookup.paper("1901.10995") is not None  # the other paste asks, stores and lets go in between
        return claim(ids)

    monkeypatch.setattr(lookup, "_to_ask", claim_after_another_paste_is_answered)
    found = lookup.paper("1901.10995")
    assert found is not None and found.title == KNOWN.title and arxiv.asked == ["1901.10995"]
