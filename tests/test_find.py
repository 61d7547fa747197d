"""Find, on SQLite and PostgreSQL: ids and links go straight to the paper, typos and all find the rest."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine

from bot.domain import Paper
from bot.find.finder import Finder
from storage.uow import UnitOfWork

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT / "bot" / "data" / "seed.jsonl"
TYPOS = Path(__file__).parent / "data" / "find" / "typos.jsonl"
GO_EXPLORE = "Go-Explore: a New Approach for Hard-Exploration Problems"
WITH_IDS = [
    Paper(
        GO_EXPLORE,
        "A grand challenge in reinforcement learning is intelligent exploration.",
        arxiv_id="1901.10995",
        authors=("Adrien Ecoffet", "Joost Huizinga", "Jeff Clune"),
        published_at=datetime(2019, 1, 30, tzinfo=UTC),
        source="arxiv",
    ),
    Paper(
        "Attention Is All You Need",
        "The dominant sequence transduction models are based on recurrent networks.",
        arxiv_id="1706.03762",
        authors=("Ashish Vaswani", "Noam Shazeer"),
        on_hf=True,
        source="arxiv",
    ),
    Paper(
        "Graph networks for Lähner surfaces",
        "Message passing on non-rigid shapes.",
        arxiv_id="hep-th/9901001",
        authors=("Zorah Lähner",),
        source="arxiv",
    ),
]


def seed_papers() -> list[Paper]:
    lines = SEED.read_text(encoding="utf-8").splitlines()
    return [Paper(title=r["title"], abstract=r["abstract"]) for r in map(json.loads, lines) if r["title"] != GO_EXPLORE]


@pytest.fixture
def finder(engine: Engine) -> Finder:
    with UnitOfWork(engine) as uow:
        uow.papers.merge(seed_papers() + WITH_IDS)
        uow.commit()
    return Finder(engine)


def titles(found: list) -> list[str]:
    return [f.paper.title for f in found]


@pytest.mark.parametrize(
    "text",
    [
        "1901.10995",
        "1901.10995v2",
        "arXiv:1901.10995",
        "  arxiv: 1901.10995v1 ",
        "https://arxiv.org/abs/1901.10995",
        "https://arxiv.org/abs/1901.10995v3",
        "http://arxiv.org/pdf/1901.10995v1.pdf",
        "https://arxiv.org/pdf/1901.10995",
        "arxiv.org/abs/1901.10995",
        "https://export.arxiv.org/abs/1901.10995",
        "https://huggingface.co/papers/1901.10995",
        "<https://arxiv.org/abs/1901.10995|arxiv.org/abs/1901.10995>",
    ],
)
def test_an_id_or_a_link_goes_straight_to_the_paper(finder: Finder, text: str) -> None:
    found = finder.find(text)
    assert [(f.paper.arxiv_id, f.how) for f in found] == [("1901.10995", "arXiv id")]


def test_old_style_ids_work_too(finder: Finder) -> None:
    assert titles(finder.find("https://arxiv.org/abs/hep-th/9901001v2")) == ["Graph networks for Lähner surfaces"]


def test_an_unknown_id_finds_nothing_rather_than_something_else(finder: Finder) -> None:
    assert finder.find("2401.01234v2") == []
    assert finder.find("https://huggingface.co/papers/2401.01234") == []


def test_go_explore_comes_first_typos_and_all(finder: Finder) -> None:
    found = finder.find("go explor hard exploraton")
    assert found[0].paper.title == GO_EXPLORE
    assert found[0].how == "title"
    assert [f.score for f in found] == sorted((f.score for f in found), reverse=True)


@pytest.mark.parametrize(
    "case", [json.loads(line) for line in TYPOS.read_text().splitlines()], ids=lambda c: c["query"]
)
def test_held_in_typo_queries_find_their_paper_first(finder: Finder, case: dict[str, str]) -> None:
    assert titles(finder.find(case["query"]))[:1] == [case["title"]]


@pytest.mark.parametrize(
    "text",
    [
        "hard exploration problems go explore",  # word order
        "go-explore: a new approach",  # the start of the title
        "approach hard-exploration",  # two words from the middle
        "ecoffet go explore",  # an author and the title
        "GO EXPLORE HARD EXPLORATION",
        "goexplore",  # words run together
    ],
)
def test_word_order_partial_titles_and_authors(finder: Finder, text: str) -> None:
    assert titles(finder.find(text))[:1] == [GO_EXPLORE]


def test_an_author_alone_finds_their_papers(finder: Finder) -> None:
    found = finder.find("huizinga")
    assert titles(found)[:1] == [GO_EXPLORE] and found[0].how == "author"
    assert titles(finder.find("Zorah Lahner")) == ["Graph networks for Lähner surfaces"]  # accents folded


def test_words_from_the_abstract_find_a_paper_whose_title_lacks_them(finder: Finder) -> None:
    assert titles(finder.find("sequence transduction recurrent"))[:1] == ["Attention Is All You Need"]


def test_limit_is_respected(finder: Finder) -> None:
    assert len(finder.find("reinforcement learning", limit=3)) == 3
    assert finder.find("reinforcement learning", limit=0) == []


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "!!!",
        "\x00\x1b[31m",
        "a",
        "qzxv wkpj",
        "zzzzzzzzzz",
    ],
)
def test_empty_or_junk_text_finds_nothing(finder: Finder, text: str) -> None:
    assert finder.find(text) == []


@pytest.mark.parametrize(
    "text",
    [
        "))) AND NOT (((",
        '"',
        '""',
        "*",
        "explor*",
        "NEAR(go explore)",
        "NEAR(go, 2)",
        "-exploration",
        "go:explore",
        "title:go",
        "{title}: go",
        "^go",
        "go AND",
        "OR OR OR",
        "'; DROP TABLE paper; --",
        "go & explore | !hard",
        "go <-> explore",
        "explore:*",
        "(go) (explore)",
        "go\\explore",
        "x" * 5000,
        "ü" * 300,
        "e\u0301xploration",
    ],
)
def test_query_syntax_in_user_text_is_harmless(finder: Finder, text: str) -> None:
    found = finder.find(text)
    assert isinstance(found, list)
    assert finder.suggest(text) is not None


def test_fts_operators_are_words_not_syntax(finder: Finder) -> None:
    assert titles(finder.find("NEAR(go explore) AND NOT hard*"))[:1] == [GO_EXPLORE]


def test_suggest_completes_the_word_being_typed(finder: Finder) -> None:
    assert titles(finder.suggest("explore until conf"))[:1] == [
        "Explore until Confident: Efficient Exploration for Embodied Question Answering"
    ]
    assert titles(finder.suggest("go explo"))[:1] == [GO_EXPLORE]
    assert len(finder.suggest("learning", limit=25)) <= 25


def test_papers_added_later_are_found(finder: Finder, engine: Engine) -> None:
    assert finder.find("zygomorphic flowers") == []
    with UnitOfWork(engine) as uow:
        uow.papers.merge([Paper("Zygomorphic Flowers Attract Bees", "Pollination.", arxiv_id="2502.00001")])
        uow.commit()
    assert titles(finder.find("zygomorfic flowers"))[:1] == ["Zygomorphic Flowers Attract Bees"]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(max_size=300))
def test_arbitrary_text_never_raises(finder: Finder, text: str) -> None:
    for found in (finder.find(text), finder.suggest(text)):
        assert all(0 <= f.score <= 100 for f in found)


def test_titles_changed_in_place_are_found_by_their_new_words_within_the_hour(finder: Finder, engine: Engine) -> None:
    finder.warm()
    with UnitOfWork(engine) as uow:
        uow.papers.merge([WITH_IDS[0].with_changes(title="Go-Explore: Quokkas Remember and Return")])
        uow.commit()
    index = finder.index
    assert "quokkas" not in index.spelling.df
    index.loaded_at -= index.RELOAD_EVERY + 1  # an hour later
    finder.find("anything")
    for _ in range(100):
        if not index._rereading:
            break
        time.sleep(0.05)
    assert index.spelling.df["quokkas"] == 1
    assert titles(finder.find("quokas remember"))[:1] == ["Go-Explore: Quokkas Remember and Return"]


def test_of_near_duplicate_titles_the_one_whose_abstract_is_about_the_text_comes_first(
    finder: Finder, engine: Engine
) -> None:
    with UnitOfWork(engine) as uow:
        uow.papers.merge(
            [
                Paper(
                    "Quokka Memory Networks for Sparse Routing",
                    "Traffic forecasting with recurrent cells on road graphs.",
                    arxiv_id="2502.00011",
                ),
                Paper(
                    "Quokka Memory Networks for Dense Retrieval",
                    "Quokka memory networks store passages for retrieval.",
                    arxiv_id="2502.00012",
                ),
            ]
        )
        uow.commit()
    assert [f.paper.arxiv_id for f in finder.find("quokka memory netwroks")][:1] == ["2502.00012"]
