"""The abstracts' full-text index on SQLite and PostgreSQL: kept in step with papers, never parsing user text."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, text

from bot.domain import Paper
from storage.search import FEW, abstract_candidates, last_paper_id, title_rows, tokens, words_of
from storage.uow import UnitOfWork

PAPERS = [
    Paper(
        "Go-Explore: a New Approach for Hard-Exploration Problems",
        "Intelligent exploration with sparse rewards.",
        arxiv_id="1901.10995",
        authors=("Adrien Ecoffet", "Jeff Clune"),
    ),
    Paper("Graph Networks", "Message passing between nodes.", arxiv_id="2001.00001", authors=("Zorah Lähner",)),
    Paper("Deep Graph Exploration", "Curiosity on graphs.", arxiv_id="2001.00002"),
]


@pytest.fixture
def stored(engine: Engine) -> Engine:
    with UnitOfWork(engine) as uow:
        uow.papers.merge(PAPERS)
        uow.commit()
    return engine


def ids(engine: Engine, groups: list[list[str]], limit: int = 10) -> list[str]:
    with UnitOfWork(engine) as uow:
        found = abstract_candidates(uow.session, groups, limit)
        papers = uow.papers.by_ids([i for i, _ in found])
        return [papers[i].arxiv_id or "" for i, _ in found]


def test_words_of_keeps_words_and_nothing_else() -> None:
    assert words_of('))) AND NOT ((( "explor*" NEAR(go, 2) -x: Lähner_2') == [
        "and",
        "not",
        "explor",
        "near",
        "go",
        "2",
        "lahner",
    ]
    assert words_of("") == [] and words_of('"" * ^ :') == []
    assert len(words_of("word " * 100)) == 1 and len(words_of(" ".join(f"w{i}" for i in range(100)))) == 32
    assert tokens("Go-Explore: Hard-Exploration") == ["go", "explore", "hard", "exploration"]


def test_abstracts_holding_every_word_come_first_stemmed_and_repaired(stored: Engine) -> None:
    assert ids(stored, [["passing"]]) == ["2001.00001"]
    assert ids(stored, [["rewarded"]]) == ["1901.10995"]  # stemmed: rewards
    assert ids(stored, [["exploraton", "intelligent"], ["sparse"]]) == [
        "1901.10995"
    ]  # one spelling of a group is enough
    assert ids(stored, [["curiosity"], ["message"]]) == []  # two words: both are needed
    assert ids(stored, [["zzzz"]]) == [] and ids(stored, []) == [] and ids(stored, [[]]) == []


def test_with_three_words_or_more_one_may_be_missing(stored: Engine) -> None:
    assert ids(stored, [["curiosity"], ["graphs"], ["zzzz"]]) == ["2001.00002"]
    assert ids(stored, [["intelligent"], ["exploration"], ["sparse"], ["graphs"]]) == ["1901.10995"]


def test_words_too_common_to_rank_bring_the_newest_papers(engine: Engine) -> None:
    many = [Paper(f"Paper {i}", "A common abstract.", arxiv_id=f"2002.{i:05d}") for i in range(FEW + 20)]
    with UnitOfWork(engine) as uow:
        uow.papers.merge(many)
        uow.commit()
    assert ids(engine, [["common"], ["abstract"]], limit=3) == ["2002.00319", "2002.00318", "2002.00317"]


def test_the_index_follows_changed_and_deleted_papers(stored: Engine) -> None:
    with UnitOfWork(stored) as uow:
        uow.papers.merge([PAPERS[1].with_changes(title="Message Passing Networks", source="arxiv")])
        uow.commit()
    with UnitOfWork(stored) as uow:
        uow.papers.merge([PAPERS[2].with_changes(abstract="Novelty search on graphs.", source="arxiv")])
        uow.commit()
    assert ids(stored, [["curiosity"]]) == [] and ids(stored, [["novelty"]]) == ["2001.00002"]
    with UnitOfWork(stored) as uow:
        uow.session.execute(text("DELETE FROM paper WHERE arxiv_id = '2001.00002'"))
        uow.commit()
    assert ids(stored, [["novelty"]]) == []


def test_title_rows_come_in_batches_after_an_id(stored: Engine) -> None:
    with UnitOfWork(stored) as uow:
        last = last_paper_id(uow.session)
        assert [row[1] for row in title_rows(uow.session, last - 1)] == ["Deep Graph Exploration"]
        assert len(list(title_rows(uow.session, 0, batch=2))) == 3
