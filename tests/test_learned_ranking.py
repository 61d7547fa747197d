"""A channel's likes re-rank its post: the papers like the liked ones come first and say so; few signals change nothing."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from sqlmodel import select

from bot.app import App, build_app
from bot.chat import replies as r
from bot.config import Settings
from bot.delivery.passes import deliver_due
from bot.delivery.senders import RecordingSender
from bot.domain import Paper
from bot.feedback import kept
from bot.feedback.kept import Tastes
from bot.feedback.rerank import blend, weight
from bot.feedback.signals import Labels
from bot.feedback.taste import Taste
from storage.tables import DeliveryRow
from storage.uow import UnitOfWork
from tests.chat import Chat

NOW = datetime.now(UTC)


def trading(i: int, days_ago: int) -> Paper:
    return Paper(
        f"Deep reinforcement learning for portfolio trading in stock markets, part {i}",
        "We train a reinforcement learning agent that trades stocks and manages a portfolio; the reward is "
        f"the return of the portfolio over market episodes with transaction costs (variant {i}).",
        f"2605.{10 + i:05d}",
        published_at=NOW - timedelta(days=days_ago),
        upvotes=1,
    )


def locomotion(i: int, days_ago: int) -> Paper:
    return Paper(
        f"Reinforcement learning for legged robot locomotion, study {i}",
        "A reinforcement learning policy makes a quadruped robot walk over rough terrain; we train it in "
        f"simulation with a reward for forward velocity and transfer it to hardware (setting {i}).",
        f"2605.{50 + i:05d}",
        published_at=NOW - timedelta(days=days_ago),
        upvotes=20,  # the incoming order puts these first
    )


@pytest.fixture
def lab(settings: Settings) -> Iterator[Chat]:
    """A channel on reinforcement-learning: older papers it can give feedback on, and this week's news."""
    app: App = build_app(settings, seed=False)
    with UnitOfWork(app.engine) as uow:
        uow.papers.merge([trading(i, 100) for i in range(6)] + [locomotion(i, 100) for i in range(6)])
        uow.papers.merge([trading(i, 1) for i in range(10, 16)] + [locomotion(i, 1) for i in range(10, 16)])
        uow.commit()
    chat = Chat(app)
    chat.say("/papers subscribe reinforcement-learning")
    yield chat
    app.engine.dispose()


def preview(chat: Chat) -> list[tuple[str, tuple[str, ...]]]:
    reply = chat.reply("/papers digest")
    assert isinstance(reply, r.DigestPreview)
    return [(m.paper.title, m.why) for m in reply.digest.matches]


def teach(chat: Chat, likes: int, dislikes: int) -> None:
    for i in range(likes):
        chat.say(f"/papers like 2605.{10 + i:05d}")
    for i in range(dislikes):
        chat.say(f"/papers dislike 2605.{50 + i:05d}")


def test_without_enough_feedback_the_post_keeps_todays_order(lab: Chat) -> None:
    before = preview(lab)
    assert [title.startswith("Reinforcement learning for legged") for title, _ in before[:6]] == [True] * 6
    teach(lab, likes=2, dislikes=2)
    assert preview(lab) == before


def test_likes_bring_papers_like_them_up_and_say_so(lab: Chat) -> None:
    teach(lab, likes=5, dislikes=2)
    after = preview(lab)
    top = [title for title, _ in after[:6]]
    assert all(title.startswith("Deep reinforcement learning for portfolio trading") for title in top)
    moved = [why for _, why in after if why and why[0].startswith("ranked up:")]
    assert moved and moved[0][0].startswith("ranked up: like 3 papers this channel liked, such as “Deep reinforcement")
    assert all(any("reinforcement" in reason for reason in why[1:]) for why in moved)  # its own reasons stay


def test_the_delivery_pass_posts_the_learned_order(lab: Chat) -> None:
    teach(lab, likes=5, dislikes=2)
    sender = RecordingSender(delay=0)
    with UnitOfWork(lab.app.engine) as uow:
        uow.channels.set_schedule(lab.channel, uow.channels.schedule(lab.channel))
        uow.commit()
    report = deliver_due(lab.app.engine, lab.app.matcher, {"terminal": sender}, NOW, force=True, cap=4)
    assert report.posted == 1 and sender.messages
    with UnitOfWork(lab.app.engine) as uow:
        (delivery,) = uow.session.exec(select(DeliveryRow)).all()
        recorded = uow.outbox.papers_of(delivery.id or 0)
        titles = [paper.title for paper in uow.papers.by_keys([item.paper_key for item in recorded])]
    assert len(recorded) == 4 and all(t.startswith("Deep reinforcement learning for portfolio") for t in titles)
    assert recorded[0].why[0].startswith("ranked up:")
    assert delivery.title.startswith("12 new papers")


def test_an_unsure_model_or_a_new_channel_keeps_the_incoming_order() -> None:
    assert list(blend(np.full(5, 0.5), signals=20, likes=10)) == [0, 1, 2, 3, 4]
    assert list(blend(np.array([0.1, 0.2, 0.3, 0.9]), signals=4, likes=4)) == [0, 1, 2, 3]
    assert int(blend(np.array([0.1, 0.2, 0.3, 0.9]), signals=12, likes=6)[0]) == 3
    assert weight(5, 0) == 0 and weight(5, 1) < weight(10, 4) == weight(30, 20)


def test_a_channels_model_is_trained_once_and_again_only_when_its_feedback_changes(
    lab: Chat, monkeypatch: pytest.MonkeyPatch
) -> None:
    tastes = Tastes()
    monkeypatch.setattr(kept, "TASTES", tastes)
    teach(lab, likes=4, dislikes=4)
    first = preview(lab)
    assert tastes.trained == 1
    assert preview(lab) == first and tastes.trained == 1  # the next preview (or pass) reuses the model
    lab.say("/papers like 2605.00014")
    assert preview(lab)[0][0].startswith("Deep reinforcement learning for portfolio")
    assert tastes.trained == 2


def test_a_process_imports_the_model_ahead_only_once_some_channel_has_one(lab: Chat) -> None:
    """`papers-bot run` warms scikit-learn in a thread at start: seconds saved on the first re-ranked post,
    memory spent only where some channel has taught the bot enough to have a model."""
    probe = (
        "import sys; from storage.engine import make_engine; from bot.feedback.rerank import warm; "
        "print(warm(make_engine(sys.argv[1])), 'sklearn' in sys.modules)"
    )

    def warmed() -> str:
        url = lab.app.settings.database_url
        run = subprocess.run([sys.executable, "-c", probe, url], capture_output=True, text=True, timeout=120)
        assert run.returncode == 0, run.stderr[-2000:]
        return run.stdout.strip()

    assert warmed() == "False False"
    teach(lab, likes=4, dislikes=4)
    assert warmed() == "True True"


def test_a_channel_learns_from_its_most_recent_signals_only(
    lab: Chat, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Training costs grow with the signals (18 s a post at 20,000), and a taste from years ago is no guide."""
    assert build_app(settings.model_copy(update={"feedback_signals_kept": 6}), seed=False).service.signals_kept == 6
    lab.app.service.signals_kept = 6
    ticks = iter(range(1_000))
    lab.app.service.clock = lambda: NOW + timedelta(seconds=next(ticks))  # each signal a second after the last
    taught: list[Labels] = []
    tastes = Tastes()
    train = tastes.train

    def training(labels: Labels, evidence: Mapping) -> Taste | None:
        taught.append(labels)
        return train(labels, evidence)

    monkeypatch.setattr(tastes, "train", training)
    monkeypatch.setattr(kept, "TASTES", tastes)
    for i in range(6):  # long ago: locomotion
        lab.say(f"/papers like 2605.{50 + i:05d}")
    teach(lab, likes=4, dislikes=0)  # lately: trading, and two trading papers it did not want
    lab.say("/papers dislike 2605.00014")
    lab.say("/papers dislike 2605.00015")

    preview(lab)
    deliver_due(
        lab.app.engine, lab.app.matcher, {"terminal": RecordingSender(delay=0)}, NOW, force=True, signals_kept=6
    )

    assert len(taught) == 1  # the preview trained it; the post loaded it
    for labels in taught:
        assert sorted(p.arxiv_id or "" for p in labels.liked) == [f"2605.{10 + i:05d}" for i in range(4)]
        assert sorted(p.arxiv_id or "" for p in labels.disliked) == ["2605.00014", "2605.00015"]


def test_the_model_reads_stored_topic_points_alone_and_posts_the_same_order(lab: Chat) -> None:
    """A pass with feedback reads each candidate's topic points without decoding their reasons (its costliest
    read): the order is the one the full evidence gives."""
    from bot.delivery.digest import build_digest
    from bot.feedback.learned import train
    from bot.feedback.rerank import rerank as reranked
    from bot.feedback.signals import labels, with_background

    teach(lab, likes=5, dislikes=2)
    with UnitOfWork(lab.app.engine) as uow:
        digest = build_digest(uow, lab.app.matcher, lab.channel, NOW, cap=None)
        taught = with_background(labels(uow, lab.channel), digest.papers)
        keys = [p.key for p in (*taught.liked, *taught.disliked, *digest.papers)]
        full, points = uow.evidence.load(keys), uow.evidence.points(keys)
    assert points == {k: {t: (found, ()) for t, (found, _) in topics.items()} for k, topics in full.items()}
    assert any(points.values())
    orders = []
    for evidence in (full, points):
        taste = train(taught, evidence)
        assert taste is not None
        orders.append([(m.paper.key, m.why) for m in reranked(digest.matches, taste, evidence, 10)])
    assert orders[0] == orders[1]
