"""Relevance decided once per paper: stored when papers arrive, never used stale, read again when topics change."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from bot.delivery.fanout import assess_news
from bot.domain import Paper
from bot.relevance.matching import Matcher
from bot.relevance.paper_topics import PaperTopics
from bot.relevance.query import parse_query
from bot.relevance.topics import Taxonomy, default_taxonomy
from storage.tables import PaperEvidenceRow, PaperTopicRow
from storage.uow import UnitOfWork

NOW = datetime.now(UTC)
RL = Paper(
    "Offline reinforcement learning with sparse rewards",
    "We study offline RL where the reward signal is sparse, and learn a policy from logged data.",
    arxiv_id="2611.00001",
    published_at=NOW - timedelta(days=1),
)
VISION = Paper(
    "A vision transformer for crop disease detection",
    "Images of leaves are classified by a transformer.",
    arxiv_id="2611.00002",
    published_at=NOW - timedelta(days=1),
)


def store(engine: Engine, *papers: Paper) -> None:
    with UnitOfWork(engine) as uow:
        uow.papers.merge(papers)
        uow.commit()


def stored_topics(engine: Engine, key: str) -> dict[str, float]:
    with UnitOfWork(engine) as uow:
        rows = uow.session.execute(
            select(PaperTopicRow.topic, PaperTopicRow.points).where(PaperTopicRow.paper_key == key)
        )
        return dict(rows.all())


def test_arriving_papers_get_their_topics_stored_once(engine: Engine) -> None:
    store(engine, RL, VISION)
    topics = PaperTopics(engine, Matcher(default_taxonomy()))
    assert assess_news(engine, topics, NOW) == 2

    assert stored_topics(engine, RL.key)["reinforcement-learning"] >= 2.0
    assert "offline-reinforcement-learning" in stored_topics(engine, RL.key)
    assert "reinforcement-learning" not in stored_topics(engine, VISION.key)


def test_arriving_papers_get_their_word_counts_stored_so_no_model_stems_them(engine: Engine) -> None:
    """A channel's model trains from each paper's word counts: counted when the paper arrives, not by a post."""
    from bot.feedback.kept import count_words
    from bot.feedback.word_counts import WORD_COUNTS

    store(engine, RL, VISION)
    WORD_COUNTS.clear()
    assess_news(engine, PaperTopics(engine, Matcher(default_taxonomy())), NOW)
    with UnitOfWork(engine) as uow:
        assert set(uow.words.load([RL.key, VISION.key])) == {RL.key, VISION.key}
        WORD_COUNTS.clear()  # another process
        assert count_words(uow, [RL, VISION]) == 0  # read back, none counted again
        changed = Paper(RL.title, "A new abstract: offline RL from logged trades.", arxiv_id=RL.arxiv_id)
        assert count_words(uow, [changed, VISION]) == 1  # a changed text is counted again


def test_a_large_arrival_has_every_papers_words_stored(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    """A process keeps a bounded number of counts to store: a large ingest counts and stores a batch at a time."""
    from bot.feedback import kept
    from bot.feedback.word_counts import WORD_COUNTS

    monkeypatch.setattr(WORD_COUNTS, "size", 1)  # as 10,000 against an ingest of 20,000 recent papers
    monkeypatch.setattr(kept, "COUNT_BATCH", 1)
    WORD_COUNTS.clear()
    with UnitOfWork(engine) as uow:
        assert kept.count_words(uow, [RL, VISION]) == 2
        uow.commit()
    with UnitOfWork(engine) as uow:
        assert set(uow.words.load([RL.key, VISION.key])) == {RL.key, VISION.key}


def test_matching_from_stored_evidence_reads_no_paper_again(engine: Engine) -> None:
    store(engine, RL, VISION)
    topics = PaperTopics(engine, Matcher(default_taxonomy()))
    assess_news(engine, topics, NOW)
    fresh = PaperTopics(engine, Matcher(default_taxonomy()))  # another process: nothing in memory
    texts = fresh.texts([RL, VISION])

    assert all(text._keys is None for text in texts.values())  # topics need no text: only a phrase reads it
    found = fresh.evaluate(parse_query("reinforcement-learning", fresh.matcher.taxonomy), [RL, VISION])
    assert [m.paper.key for m in found] == [RL.key]
    assert (
        found[0].why
        == Matcher(default_taxonomy()).match(parse_query("reinforcement-learning", default_taxonomy()), RL).why
    )


def test_a_changed_abstract_is_read_again_before_it_is_matched(engine: Engine) -> None:
    store(engine, VISION)
    topics = PaperTopics(engine, Matcher(default_taxonomy()))
    topics.texts([VISION])
    rewritten = VISION.with_changes(
        abstract="We cast leaf photography as reinforcement learning: an RL agent learns "
        "a policy from a sparse reward, and deep reinforcement learning beats the heuristics."
    )

    found = topics.evaluate(parse_query("reinforcement-learning", topics.matcher.taxonomy), [rewritten])

    assert [m.paper.key for m in found] == [VISION.key]
    assert "reinforcement-learning" in stored_topics(engine, VISION.key)


def test_new_topics_make_stored_evidence_stale_and_it_is_read_again(engine: Engine, tmp_path: Path) -> None:
    store(engine, VISION)
    bundled = PaperTopics(engine, Matcher(default_taxonomy()))
    bundled.texts([VISION])
    extra = tmp_path / "topics.toml"
    extra.write_text(
        '[plant-pathology]\nname = "plant pathology"\naliases = ["crop disease"]\nparent = "computer-vision"\n'
    )
    deployment = PaperTopics(engine, Matcher(Taxonomy.load(extra)))
    assert deployment.version != bundled.version

    found = deployment.evaluate(parse_query("plant-pathology", deployment.matcher.taxonomy), [VISION])

    assert found and found[0].why[0].startswith('plant-pathology: "crop disease" in title')
    with UnitOfWork(engine) as uow:
        version = uow.session.execute(select(PaperEvidenceRow.version)).scalar_one()
    assert version == deployment.version


def test_the_background_job_reads_every_stale_paper_again(engine: Engine, tmp_path: Path) -> None:
    old = [
        Paper(
            f"Reinforcement learning paper {n}",
            "A policy and a reward.",
            arxiv_id=f"2401.{n:05d}",
            published_at=NOW - timedelta(days=400),
        )
        for n in range(30)
    ]
    store(engine, RL, *old)
    topics = PaperTopics(engine, Matcher(default_taxonomy()))

    assert topics.refresh_all(batch=7) == 31  # old papers too, a batch at a time, newest first
    assert topics.refresh_all() == 0
    with UnitOfWork(engine) as uow:
        assert uow.session.execute(select(func.count()).select_from(PaperEvidenceRow)).scalar_one() == 31


def test_two_processes_assessing_the_same_paper_store_it_once(engine: Engine) -> None:
    store(engine, RL)
    first, second = (PaperTopics(engine, Matcher(default_taxonomy())) for _ in range(2))
    first._assess([RL], {RL.key: 1})
    second._assess([RL], {RL.key: 1})  # the same rows again: yields, never a duplicate key

    with UnitOfWork(engine) as uow:
        assert uow.session.execute(select(func.count()).select_from(PaperEvidenceRow)).scalar_one() == 1
