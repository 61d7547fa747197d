"""Storage contract, run on SQLite and PostgreSQL: papers merge once, repositories round-trip."""

from __future__ import annotations

from datetime import UTC, datetime, time

from sqlalchemy import Engine

from bot.domain import ChannelRef, Paper, Schedule, Subscription
from storage.search import abstract_candidates, words_of
from storage.uow import UnitOfWork

LAB = ChannelRef("slack", "T1", "C1")
GO_EXPLORE = Paper(
    "Go-Explore: a New Approach for Hard-Exploration Problems",
    "A grand challenge in reinforcement learning is intelligent exploration.",
    arxiv_id="1901.10995",
    authors=("Adrien Ecoffet", "Joost Huizinga"),
    categories=("cs.LG",),
    published_at=datetime(2019, 1, 30, tzinfo=UTC),
    source="arxiv",
)


def test_a_paper_round_trips_with_every_field(engine: Engine) -> None:
    paper = GO_EXPLORE.with_changes(
        upvotes=7,
        code_url="https://github.com/uber-research/go-explore",
        ai_keywords=("exploration", "Atari"),
        ai_summary="Remember, return, explore.",
        on_hf=True,
        thumbnail_url="https://x/thumb.png",
    )
    with UnitOfWork(engine) as uow:
        assert uow.papers.merge([paper]).added == 1
        uow.commit()
    with UnitOfWork(engine) as uow:
        assert uow.papers.get("1901.10995") == paper


def test_the_same_paper_twice_is_one_row_and_changes_nothing(engine: Engine) -> None:
    with UnitOfWork(engine) as uow:
        uow.papers.merge([GO_EXPLORE])
        again = uow.papers.merge([GO_EXPLORE])
        uow.commit()
        assert (again.added, again.updated, again.unchanged) == (0, 0, 1)
        assert uow.papers.count() == 1


def test_hugging_face_adds_upvotes_and_arxiv_keeps_its_categories(engine: Engine) -> None:
    from_hf = GO_EXPLORE.with_changes(
        upvotes=12, categories=(), source="hf", on_hf=True, ai_summary="Go-Explore remembers states."
    )
    with UnitOfWork(engine) as uow:
        uow.papers.merge([GO_EXPLORE])
        assert uow.papers.merge([from_hf]).updated == 1
        assert uow.papers.merge([GO_EXPLORE.with_changes(categories=("cs.AI", "cs.LG"))]).updated == 1
        uow.commit()
        stored = uow.papers.get("1901.10995")
    assert stored is not None
    assert (stored.upvotes, stored.on_hf, stored.ai_summary) == (12, True, "Go-Explore remembers states.")
    assert stored.categories == ("cs.LG", "cs.AI")
    assert stored.source == "arxiv+hf"


def test_a_paper_without_an_id_is_keyed_by_its_title(engine: Engine) -> None:
    untitled = Paper("Attention Is All You Need!", "Transformers.")
    with UnitOfWork(engine) as uow:
        uow.papers.merge([untitled, Paper("attention is  all you need", "Transformers.")])
        uow.commit()
        assert uow.papers.count() == 1
        assert uow.papers.get("title:attention is all you need") is not None


def test_full_text_candidates_ignore_syntax_in_user_text(engine: Engine) -> None:
    with UnitOfWork(engine) as uow:
        uow.papers.merge([GO_EXPLORE, Paper("Graph networks", "Message passing.", arxiv_id="2001.00001")])
        uow.commit()
        groups = [[w] for w in words_of('))) "challenge" AND ((( grand*')]
        assert abstract_candidates(uow.session, groups, 5) != []  # `and` is a plain word, left out as missing
        assert abstract_candidates(uow.session, [[w] for w in words_of('"" OR')], 5) == []


def test_subscriptions_schedules_and_audit_round_trip(engine: Engine) -> None:
    berlin = Schedule(time(8, 30), "Europe/Berlin", "weekly", 2)
    with UnitOfWork(engine) as uow:
        uow.subscriptions.add(Subscription(LAB, "reinforcement-learning", created_by="U1"))
        uow.subscriptions.add(Subscription(LAB, "cat:cs.RO min-upvotes=3", 3))
        uow.channels.set_schedule(LAB, berlin)
        uow.audit.record(LAB, "ana", "subscribed to reinforcement-learning")
        uow.commit()
    with UnitOfWork(engine) as uow:
        subs = uow.subscriptions.for_channel(LAB)
        assert [(s.query, s.min_upvotes) for s in subs] == [
            ("reinforcement-learning", 0),
            ("cat:cs.RO min-upvotes=3", 3),
        ]
        assert uow.channels.schedule(LAB) == berlin
        assert uow.subscriptions.channels() == [LAB]
        assert [a.action for a in uow.audit.recent(LAB)] == ["subscribed to reinforcement-learning"]


def test_an_older_upvote_snapshot_read_later_does_not_undo_a_newer_one(engine: Engine) -> None:
    with UnitOfWork(engine) as uow:
        uow.papers.merge([GO_EXPLORE.with_changes(upvotes=30, source="hf")])
        assert uow.papers.merge([GO_EXPLORE.with_changes(upvotes=12, source="hf")]).unchanged == 1
        uow.commit()
        assert uow.papers.get("1901.10995").upvotes == 30  # type: ignore[union-attr]
