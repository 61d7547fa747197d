"""A channel with two interests keeps both in its post, and a new channel is offered the warm-up once."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import numpy as np
import pytest
from scipy import sparse

from adapters.discord import replies as discord_replies
from adapters.slack import replies as slack_replies
from bot.app import App, build_app
from bot.chat import replies as r
from bot.config import Settings
from bot.delivery.passes import deliver_due
from bot.delivery.senders import RecordingSender
from bot.domain import Paper
from bot.feedback import kept
from bot.feedback.interests import belongs, kinds, share, voices
from bot.feedback.taste import Idf, Taste
from storage.uow import UnitOfWork
from tests.chat import Chat
from tests.test_learned_ranking import NOW, locomotion, preview, trading


def games(i: int, days_ago: int) -> Paper:
    return Paper(
        f"Reinforcement learning agents that master Atari video games, benchmark {i}",
        "We evaluate deep reinforcement learning agents on Atari video games and report human-normalised "
        f"scores across the suite of arcade games with sticky actions (suite {i}).",
        f"2605.{90 + i:05d}",
        published_at=NOW - timedelta(days=days_ago),
        upvotes=50,  # the incoming order puts these first, ahead of both interests
    )


@pytest.fixture
def lab(settings: Settings) -> Iterator[Chat]:
    """A lab on reinforcement-learning that wants trading and locomotion, not games, which come first."""
    app: App = build_app(settings, seed=False)
    with UnitOfWork(app.engine) as uow:
        uow.papers.merge([f(i, 100) for f in (trading, locomotion, games) for i in range(6)])
        uow.papers.merge([f(i, 1) for f in (trading, locomotion, games) for i in range(10, 18)])
        uow.commit()
    chat = Chat(app)
    chat.say("/papers subscribe reinforcement-learning")
    yield chat
    app.engine.dispose()


def kind_of(title: str) -> str:
    return "trading" if "portfolio" in title else "locomotion" if "locomotion" in title else "games"


def test_two_interests_each_keep_places_in_the_post_and_say_whose(lab: Chat) -> None:
    """Five likes of trading papers and two of locomotion papers: the one model would show trading alone."""
    for i in range(5):
        lab.say(f"/papers like 2605.{10 + i:05d}")
    lab.say("/papers like 2605.00050")
    lab.say("/papers like 2605.00051")
    for i in range(3):
        lab.say(f"/papers dislike 2605.{90 + i:05d}")
    post = preview(lab)[:10]
    held = [kind_of(title) for title, _ in post]
    assert held.count("trading") >= 3 and held.count("locomotion") >= 3, held
    whys = {kind_of(title): why[0] for title, why in post if why and why[0].startswith("ranked up")}
    assert whys["locomotion"].startswith(
        "ranked up: like your 👍 on “Reinforcement learning for legged robot locomotion"
    )
    assert whys["trading"].startswith("ranked up: like your 👍 on “Deep reinforcement learning for portfolio trading")


def test_likes_of_one_kind_are_one_interest_and_distinct_kinds_are_two() -> None:
    alike = np.array([[1.0, 0.1, 0.0], [0.9, 0.2, 0.0], [1.0, 0.0, 0.1]])
    assert kinds(_sparse(alike)).tolist() == [0, 0, 0]
    two = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.95, 0.05, 0.0], [0.05, 0.95, 0.0], [1.0, 0.0, 0.1]])
    assert kinds(_sparse(two)).tolist() == [0, 1, 0, 1, 0]  # the kind with most likes first
    assert kinds(_sparse(two[[0, 1, 2, 4]])).tolist() == [0, -1, 0, 0]  # one like is no interest yet


def test_each_interest_keeps_three_places_taken_from_the_one_that_holds_most() -> None:
    order = np.arange(12)
    interest = np.array([0] * 9 + [1] * 3)
    shared = share(order, interest, shown=5)
    assert shared[:5].tolist() == [0, 1, 2, 9, 10] and sorted(shared.tolist()) == list(range(12))
    assert share(order, np.zeros(12, dtype=int), shown=5).tolist() == list(range(12))  # one interest: as it was


def test_likes_little_alike_within_a_kind_and_not_at_all_across_are_two_interests() -> None:
    """As the model's words have them, one interest's likes are 0.10-0.25 alike: they stay one interest, not
    single likes that no interest keeps."""
    rows = np.zeros((5, 7))
    rows[[0, 2, 4], 0] = 0.37  # what the first kind's likes share: 0.12 alike, each with words of its own
    rows[[1, 3], 1] = 0.37
    rows[np.arange(5), np.arange(2, 7)] = 1.0
    assert kinds(_sparse(rows)).tolist() == [0, 1, 0, 1, 0]


def test_a_paper_belongs_to_the_interest_whose_likes_words_speak_for_it() -> None:
    """Columns: trading, locomotion, games, reinforcement (held by every like). Each interest speaks with the
    model less the words only the other's likes hold; a games paper, whose own word counts against it, belongs to
    no interest."""
    taste = _taste(coef=[2.0, 1.5, -1.0, 0.1], liked=[[1, 0, 0, 1], [1, 0, 0, 1], [0, 1, 0, 1]], kind=[0, 0, 1])
    papers = _sparse(np.array([[1.0, 0, 0, 1], [0, 1.0, 0, 1], [0, 0, 1.0, 1], [0.2, 0, 0, 0]]))
    voice = voices(papers, taste)
    assert voice.tolist() == [[2.1, 0.1], [0.1, 1.6], [-0.9, -0.9], [0.4, 0.0]]
    assert belongs(voice).tolist() == [0, 1, -1, 0]


def test_an_interests_places_go_to_its_best_papers_by_its_own_voice() -> None:
    """The one model places papers 9 and 10 first of the second interest; its own likes speak most for 11."""
    order = np.arange(12)
    interest = np.array([0] * 9 + [1] * 3)
    own = [order, np.array([11, 3, 10, 9, 0, 1, 2, 4, 5, 6, 7, 8])]
    shared = share(order, interest, shown=5, own=own)
    assert shared[:5].tolist() == [0, 1, 2, 11, 10] and sorted(shared.tolist()) == list(range(12))


def _taste(coef: list[float], liked: list[list[float]], kind: list[int]) -> Taste:
    count = len(coef)
    return Taste(
        np.array(coef),
        0.0,
        Idf(np.arange(count), np.ones(count), 1.0),
        tuple(f"liked {i}" for i in range(len(liked))),
        tuple(f"Liked paper {i}" for i in range(len(liked))),
        np.arange(count),
        _sparse(np.array(liked)),
        len(liked),
        np.array(kind),
    )


def test_the_first_subscription_offers_the_warmup_once(settings: Settings) -> None:
    app = build_app(settings, seed=False)
    chat = Chat(app)
    first = chat.reply("/papers subscribe reinforcement-learning")
    assert isinstance(first, r.Subscribed) and first.offers_warmup
    assert chat.say("/papers subscribe robotics").count("/papers warmup") == 0
    chat.say("/papers unsubscribe reinforcement-learning")
    chat.say("/papers unsubscribe robotics")
    again = chat.reply("/papers subscribe reinforcement-learning")
    assert isinstance(again, r.Subscribed) and not again.offers_warmup  # never repeated unasked
    app.engine.dispose()


def test_every_platform_offers_the_warmup_as_a_line(settings: Settings) -> None:
    app = build_app(settings, seed=False)
    chat = Chat(app)
    said = chat.say("/papers subscribe reinforcement-learning")
    offer = "Teach me what you like: /papers warmup shows the kinds of papers this channel gets, to pick from."
    assert said.splitlines()[-1] == offer
    offered = r.Subscribed("robotics", "robotics", "ana", 1.0, 7, (), offers_warmup=True)
    *_, line, button = slack_replies.render(offered, "U1")["blocks"]
    assert line["elements"][0]["text"] == ":mortar_board: " + offer
    assert button["elements"][0]["text"]["text"] == "Pick the kinds you want"  # tests/test_slack_feedback.py clicks it
    assert discord_replies.render(offered, 0).content.splitlines()[-1] == offer
    app.engine.dispose()


def _sparse(rows: np.ndarray) -> sparse.csr_matrix:
    return sparse.csr_matrix(rows)  # as the model's vectors are


def test_a_new_process_reads_the_words_a_post_counted_instead_of_counting_them_again(
    lab: Chat, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Stemming is most of a model's cost: a restart (or another worker) reads each paper's counts back."""
    from bot.feedback import learned

    for i in range(5):
        lab.say(f"/papers like 2605.{10 + i:05d}")
    lab.say("/papers dislike 2605.00090")
    sender = RecordingSender(delay=0)
    learned.WORD_COUNTS.clear()
    assert deliver_due(lab.app.engine, lab.app.matcher, {"terminal": sender}, NOW, force=True, cap=10).posted == 1
    posted = [line for message in sender.messages for line in str(message).splitlines()]
    counted: list[int] = []
    transform = learned.WORDS.transform
    monkeypatch.setattr(learned.WORDS, "transform", lambda texts: counted.append(len(texts)) or transform(texts))
    learned.WORD_COUNTS.clear()  # the restart
    kept.TASTES.forget(lab.channel)
    again = preview(lab)
    assert counted == [] and again and posted
    with UnitOfWork(lab.app.engine) as uow:
        stored = uow.words.load(["2605.00010", "2605.00090", "2605.00027"])
    assert set(stored) == {"2605.00010", "2605.00090", "2605.00027"}
