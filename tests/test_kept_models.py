"""A channel's model is kept in the database between passes: loaded and scored, trained again only after a new signal.

Each test runs on SQLite and PostgreSQL (the `lab` fixture's database)."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from sqlmodel import delete, select

from bot.delivery.passes import deliver_due
from bot.delivery.senders import RecordingSender
from bot.domain import ChannelRef
from bot.feedback import candidates, kept
from bot.feedback.candidates import Candidates
from bot.feedback.kept import Tastes
from bot.feedback.taste import Taste, topic_column
from bot.feedback.word_counts import WORD_COUNTS
from storage.tables import DeliveredRow, DeliveryRow
from storage.uow import UnitOfWork
from tests.chat import Chat
from tests.test_learned_ranking import NOW, lab, preview, teach  # noqa: F401  (lab: the fixture)


def fresh_process(monkeypatch: pytest.MonkeyPatch) -> Tastes:
    """What a process that starts now holds: no model and no paper's word counts in memory."""
    tastes = Tastes()
    monkeypatch.setattr(kept, "TASTES", tastes)
    WORD_COUNTS.clear()
    return tastes


@pytest.fixture(autouse=True)
def starting(monkeypatch: pytest.MonkeyPatch) -> None:
    fresh_process(monkeypatch)  # the suite's earlier tests counted these papers, for another database


def kept_name(chat: Chat) -> str | None:
    with UnitOfWork(chat.app.engine) as uow:
        stored = uow.models.load(str(chat.channel))
    return None if stored is None else stored[0]


def post(chat: Chat) -> list[tuple[str, tuple[str, ...]]]:
    """What a pass at NOW posts (its first four papers), then the outbox as it was: the same post can be made again."""
    sender = RecordingSender(delay=0)
    report = deliver_due(chat.app.engine, chat.app.matcher, {"terminal": sender}, NOW, force=True, cap=4)
    assert report.posted == 1
    with UnitOfWork(chat.app.engine) as uow:
        (delivery,) = uow.session.exec(select(DeliveryRow)).all()
        recorded = uow.outbox.papers_of(delivery.id or 0)
        papers = {p.key: p for p in uow.papers.by_keys([item.paper_key for item in recorded])}
        uow.session.execute(delete(DeliveredRow))
        uow.session.execute(delete(DeliveryRow))
        uow.commit()
    return [(papers[item.paper_key].title, item.why) for item in recorded]


def test_the_post_a_kept_model_orders_is_the_one_a_freshly_trained_model_orders(
    lab: Chat,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    teach(lab, likes=5, dislikes=2)
    trained = fresh_process(monkeypatch)
    fresh = post(lab)  # the first pass after the signals trains the model and keeps it
    assert trained.trained == 1 and kept_name(lab) is not None and len(fresh) == 4
    assert fresh[0][1][0].startswith("ranked up:")

    loading = fresh_process(monkeypatch)  # another process: the stored model, not trained again
    assert post(lab) == fresh and loading.trained == 0
    assert [title for title, _ in preview(lab)] and loading.trained == 0  # a preview loads it too


def test_a_pass_builds_each_candidates_vector_once_for_every_channel_that_scores_it(
    lab: Chat,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Two channels taught the bot and share this week's 12 papers: the pass builds each paper's rows once, and
    each channel only weighs them by its own model's idf."""
    office = Chat(lab.app, ChannelRef("terminal", "local", "office"))
    office.say("/papers subscribe reinforcement-learning")
    teach(lab, likes=5, dislikes=2)
    teach(office, likes=4, dislikes=3)
    passes: list[Candidates] = []
    monkeypatch.setattr(candidates, "Candidates", lambda: passes.append(Candidates()) or passes[-1])
    for chat in (lab, office):
        with UnitOfWork(chat.app.engine) as uow:
            uow.channels.set_schedule(chat.channel, uow.channels.schedule(chat.channel))
            uow.commit()

    report = deliver_due(lab.app.engine, lab.app.matcher, {"terminal": RecordingSender(delay=0)}, NOW, force=True)
    assert report.posted == 2
    assert len(passes) == 1 and passes[0].built == 12  # not 24: the second channel found every row built


def test_a_new_like_trains_the_model_again_under_another_name(
    lab: Chat,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    tastes = fresh_process(monkeypatch)
    teach(lab, likes=4, dislikes=4)
    preview(lab)
    first = kept_name(lab)
    preview(lab)
    assert tastes.trained == 1 and kept_name(lab) == first
    lab.say("/papers like 2605.00014")
    assert preview(lab)[0][0].startswith("Deep reinforcement learning for portfolio")
    assert tastes.trained == 2 and kept_name(lab) not in (None, first)


def test_taste_reset_forgets_the_kept_model(lab: Chat) -> None:
    teach(lab, likes=5, dislikes=2)
    preview(lab)
    assert kept_name(lab) is not None
    lab.say("/papers taste reset confirm")
    assert kept_name(lab) is None


def test_a_process_that_starts_fresh_scores_the_stored_model_without_scikit_learn(lab: Chat) -> None:
    teach(lab, likes=5, dislikes=2)
    order = [title for title, _ in preview(lab)]
    probe = (
        "import sys; from datetime import datetime, UTC; from bot.app import build_app; from bot.config import Settings;"
        "from bot.delivery.digest import build_digest; from bot.domain import ChannelRef; from bot.feedback import kept;"
        "from storage.uow import UnitOfWork\n"
        "app = build_app(Settings(_env_file=None, database_url=sys.argv[1]), seed=False)\n"
        "with UnitOfWork(app.engine) as uow:\n"
        "    digest = build_digest(uow, app.matcher, ChannelRef.parse(sys.argv[2]), datetime.now(UTC), cap=None)\n"
        "print(kept.TASTES.trained, 'sklearn' in sys.modules)\n"
        "print('\\n'.join(m.paper.title for m in digest.matches))"
    )
    url = lab.app.settings.database_url
    run = subprocess.run(
        [sys.executable, "-c", probe, url, str(lab.channel)], capture_output=True, text=True, timeout=120
    )
    assert run.returncode == 0, run.stderr[-2000:]
    said, *titles = run.stdout.strip().split("\n")
    assert said == "0 False" and titles == order


def test_a_kept_model_is_stored_as_arrays_and_hashes_topics_as_scikit_learn() -> None:
    from sklearn.feature_extraction import FeatureHasher

    topics = ["reinforcement-learning", "a", "ab", "abc", "robotics/legged-locomotion", "llm-hallucination", "ñ", ""]
    hasher = FeatureHasher(n_features=2**10, input_type="dict", alternate_sign=False)
    assert [topic_column(t) for t in topics] == [int(hasher.transform([{t: 1.0}]).indices[0]) for t in topics]

    from scipy import sparse

    from bot.feedback.taste import Idf

    liked = sparse.csr_matrix(np.array([[0.5, 0.0, 0.5], [0.0, 1.0, 0.0]], dtype=np.float32))
    taste = Taste(
        np.array([0.1, -0.2, 0.3]),
        -0.5,
        Idf(np.array([1, 7]), np.array([1.5, 2.0]), 2.5),
        ("2605.00010", "2605.00011"),
        ("Deep reinforcement learning for portfolio trading", "Trading “agents”"),
        np.array([1, 7, 262145]),
        liked,
        7,
        np.array([0, 1]),
    )
    again = Taste.load(taste.dump())
    assert again.liked_keys == taste.liked_keys and again.liked_titles == taste.liked_titles
    assert again.intercept == taste.intercept and again.signals == 7 and again.weights.absent == 2.5
    assert again.interests == 2 and again.spoken.shape == (3, 2)  # each interest's weights, made when trained
    for name in ("coef", "columns", "kind", "spoken"):
        assert np.array_equal(getattr(again, name), getattr(taste, name))
    assert (again.liked_vectors != liked).nnz == 0
