"""The full-text index on SQLite and PostgreSQL: kept in step with papers, never parsing user text."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from bot.domain import Paper
from storage.search import candidates, find_candidates, last_paper_id, title_rows, tokens, words_of
from storage.uow import UnitOfWork

PAPERS = [
    Paper("Go-Explore: a New Approach for Hard-Exploration Problems", "Intelligent exploration with sparse rewards.",
          arxiv_id="1901.10995", authors=("Adrien Ecoffet", "Jeff Clune")),
    Paper("Graph Networks", "Message passing between nodes.", arxiv_id="2001.00001", authors=("Zorah Lähner",)),
    Paper("Deep Graph Exploration", "Curiosity on graphs.", arxiv_id="2001.00002"),
]


@pytest.fixture
def stored(engine: Engine) -> Engine:
    with UnitOfWork(engine) as uow:
        uow.papers.merge(PAPERS)
        uow.commit()
    return engine


def ids(engine: Engine, words: list[str], **kwargs: object) -> list[str]:
    with UnitOfWork(engine) as uow:
        found = candidates(uow.session, words, **kwargs)  # type: ignore[arg-type]
        papers = uow.papers.by_ids([i for i, _ in found])
        return [papers[i].arxiv_id or "" for i, _ in found]


def test_words_of_keeps_words_and_nothing_else() -> None:
    assert words_of('))) AND NOT ((( "explor*" NEAR(go, 2) -x: Lähner_2') == ["and", "not", "explor", "near", "go", "2", "lahner"]
    assert words_of("") == [] and words_of('"" * ^ :') == []
    assert len(words_of("word " * 100)) == 1 and len(words_of(" ".join(f"w{i}" for i in range(100)))) == 32
    assert tokens("Go-Explore: Hard-Exploration") == ["go", "explore", "hard", "exploration"]


def test_candidates_search_titles_abstracts_and_authors_best_first(stored: Engine) -> None:
    assert ids(stored, ["exploration"])[0] == "1901.10995"  # stemmed: Exploration, exploration
    assert ids(stored, ["passing"]) == ["2001.00001"]  # abstract only
    assert ids(stored, ["lahner"]) == ["2001.00001"]  # author, accent folded
    assert ids(stored, ["graph", "exploration"])[0] == "2001.00002"  # holds both words
    assert ids(stored, ["zzzz"]) == [] and ids(stored, []) == []


def test_find_candidates_pair_common_words_and_keep_rare_ones_alone(stored: Engine) -> None:
    with UnitOfWork(stored) as uow:
        both = find_candidates(uow.session, [["graph"], ["exploration"]], singles=0, paired=2, limit=10)
        either = find_candidates(uow.session, [["graph"], ["exploration"]], singles=2, paired=2, limit=10)
        repaired = find_candidates(uow.session, [["exploraton", "exploration"]], singles=1, paired=1, limit=10)
        abstracts = find_candidates(uow.session, [["curiosity"]], singles=1, paired=1, limit=10, titles_only=False)
        assert len(both) == 1 and len(either) == 3
        assert len(repaired) == 2 and len(abstracts) == 1


def test_the_index_follows_changed_and_deleted_papers(stored: Engine) -> None:
    with UnitOfWork(stored) as uow:
        uow.papers.merge([PAPERS[1].with_changes(title="Message Passing Networks", source="arxiv")])
        uow.commit()
    assert ids(stored, ["graph"]) == ["2001.00002"]
    assert ids(stored, ["message"]) == ["2001.00001"]
    with UnitOfWork(stored) as uow:
        last = last_paper_id(uow.session)
        assert [row[1] for row in title_rows(uow.session, last - 1)] == ["Deep Graph Exploration"]
        assert len(list(title_rows(uow.session, 0, batch=2))) == 3
