"""Find by meaning, as a chat session reads it: a question or a description finds the paper it is about."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine

from bot.app import App, build_app
from bot.chat import replies as r
from bot.config import Settings
from bot.domain import Paper
from bot.find.finder import Finder
from bot.retrieval import meaning
from bot.retrieval.meaning import MeaningIndex
from bot.sources.ingest import ingest_files
from storage.uow import UnitOfWork
from tests.chat import Chat

CORPUS = Path(__file__).parent / "data" / "find" / "meaning.jsonl"  # 124 papers of the 20k arXiv corpus
QUERIES = Path(__file__).parents[1] / "bench" / "find_meaning_queries.jsonl"
HALLUCITE = "HalluCiteChecker: A Lightweight Toolkit for Hallucinated Citation Detection and Verification"


@pytest.fixture
def arxiv(settings: Settings) -> Iterator[App]:
    """The real wiring on a database holding the bundled papers and the test corpus."""
    app = build_app(settings)
    ingest_files(app.engine, [CORPUS])
    yield app
    app.engine.dispose()


@pytest.fixture
def chat(arxiv: App) -> Chat:
    return Chat(arxiv)


def first_title(chat: Chat, typed: str) -> str:
    reply = chat.reply(typed)
    assert isinstance(reply, r.FindResults) and reply.results, typed
    return reply.results[0].paper.title


def test_a_question_finds_the_paper_it_is_about(chat: Chat) -> None:
    assert first_title(chat, "/papers find is there a paper on detecting made-up citations").startswith(HALLUCITE)
    text = chat.say("/papers find is there a paper on detecting made-up citations?")
    assert text.startswith("1. HalluCiteChecker")
    assert text.split("\n\n")[0].endswith("\n   found by meaning: detecting, citations in the title")


def test_descriptions_and_questions_written_from_abstracts_find_their_paper(arxiv: App) -> None:
    """The bench's queries for the 12 of its papers in the test corpus: each among the first 10 (hit@10)."""
    stored = {json.loads(line)["id"] for line in CORPUS.read_text().splitlines()}
    cases = [q for q in map(json.loads, QUERIES.read_text().splitlines()) if q["id"] in stored]
    assert len(cases) == 12
    missed = [
        (case["id"], kind)
        for case in cases
        for kind in ("description", "question")
        if case["id"] not in [f.paper.arxiv_id for f in arxiv.finder.find(case[kind], limit=10)]
    ]
    assert missed == []


def test_the_line_shows_on_the_terminal_in_slack_and_in_discord(chat: Chat) -> None:
    from adapters.discord.replies import render as on_discord
    from adapters.slack.replies import render as on_slack

    typed = "/papers find is there a paper on detecting made-up citations"
    reply = chat.reply(typed)
    assert isinstance(reply, r.FindResults)
    line = reply.results[0].how
    assert line == "meaning: detecting, citations in the title"
    assert f"found by {line}" in chat.say(typed)
    assert line in json.dumps(on_slack(reply))
    assert on_discord(reply).embeds[0].footer.text == line


def test_every_answer_by_meaning_says_in_one_short_line_what_matched(chat: Chat, arxiv: App) -> None:
    reply = chat.reply("/papers find frontier models lose accuracy when threatened; obedience causes the collapse")
    assert isinstance(reply, r.FindResults) and len(reply.results) == 5
    for found in reply.results:
        assert found.how.startswith("meaning: ") and len(found.how) <= 100 and "\n" not in found.how
    long = " ".join(f"accuracy{n} frontier models collapsing extraordinarily" for n in range(60))
    found = arxiv.finder.find(long, mode="meaning", limit=20)
    assert found and all(f.how.startswith("meaning: ") and len(f.how) <= 100 for f in found)


def test_a_title_an_id_or_an_author_keeps_the_title_finders_answer(chat: Chat) -> None:
    title = first_title(chat, "/papers find halucitechecker lightweight toolkit")
    assert title.startswith(HALLUCITE)
    reply = chat.reply("/papers find halucitechecker lightweight toolkit")
    assert isinstance(reply, r.FindResults) and reply.results[0].how == "title"
    reply = chat.reply("/papers find https://arxiv.org/abs/2604.26835v2")
    assert isinstance(reply, r.FindResults) and [f.how for f in reply.results] == ["arXiv id"]


def test_modes_choose_the_path(arxiv: App) -> None:
    text = "toolkit verifying fabricated references in manuscripts written with AI assistants"
    assert arxiv.finder.find(text, mode="meaning")[0].paper.title.startswith(HALLUCITE)
    assert all(not f.how.startswith("meaning") for f in arxiv.finder.find(text, mode="title"))
    assert arxiv.finder.find(text)[0].how.startswith("meaning: ")


# -- the index and the database ----------------------------------------------------------------


def paper(n: int, title: str, abstract: str) -> Paper:
    return Paper(title, abstract, arxiv_id=f"2501.{n:05d}", source="arxiv")


@pytest.fixture
def on_disk(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Every database indexed in a folder (this test's own), as one of 20,000 papers or more is."""
    monkeypatch.setattr(meaning, "SMALL", 0)
    monkeypatch.setattr(meaning, "file_beside", lambda engine, name: tmp_path / name)


def store(engine: Engine, papers: list[Paper]) -> None:
    with UnitOfWork(engine) as uow:
        uow.papers.merge(papers)
        uow.commit()


SLOTHS = paper(1, "Arboreal Locomotion", "Three-toed sloths hang upside down from branches to save energy.")
OTTERS = paper(2, "Tool Use in Mustelids", "Sea otters crack shellfish open on stones they carry.")


def test_papers_stored_later_are_found_by_meaning(engine: Engine) -> None:
    store(engine, [SLOTHS])
    finder = Finder(engine)
    assert finder.find("animals that crack shells with rocks", mode="meaning") == []
    store(engine, [OTTERS])
    assert [f.paper.title for f in finder.find("animals that crack shells with rocks", mode="meaning")] == [
        "Tool Use in Mustelids"
    ]


def test_a_restart_reopens_the_index_on_disk_without_building_it(
    engine: Engine, on_disk: None, caplog: pytest.LogCaptureFixture
) -> None:
    store(engine, [SLOTHS, OTTERS])
    first = MeaningIndex(engine)
    with caplog.at_level(logging.INFO, logger="bot.retrieval.meaning"):
        assert [h.paper_id for h in first.search("upside down on branches", 5)] != []
    assert first.folder is not None and first.folder.is_dir()
    assert "built" in caplog.text
    caplog.clear()
    store(engine, [paper(3, "Echolocation", "Bats find moths in the dark by their echoes.")])
    with caplog.at_level(logging.INFO, logger="bot.retrieval.meaning"):
        again = MeaningIndex(engine)  # another process, or the same one restarted
        assert len(again.search("how bats hunt moths at night", 5)) == 1
    assert "built" not in caplog.text and "1 papers added" in caplog.text


def test_an_index_of_another_database_at_the_same_place_is_built_again(engine: Engine, on_disk: None) -> None:
    store(engine, [SLOTHS])
    MeaningIndex(engine).warm()
    with UnitOfWork(engine) as uow:  # the database recreated: other papers under the same ids
        uow.session.exec(text_("DELETE FROM paper"))  # type: ignore[call-overload]
        uow.commit()
    store(engine, [OTTERS])
    assert [h.why for h in MeaningIndex(engine).search("sea otters and stones", 5)] != []
    assert MeaningIndex(engine).search("three-toed sloths", 5) == []


def test_text_changed_in_place_is_found_within_the_hour(engine: Engine) -> None:
    store(engine, [SLOTHS])
    index = MeaningIndex(engine)
    assert index.search("koalas sleeping in eucalyptus", 5) == []
    store(engine, [SLOTHS.with_changes(abstract="Koalas sleep twenty hours a day in eucalyptus trees.")])
    index._checked_at -= meaning.RECHECK_EVERY + 1  # an hour later
    assert len(index.search("koalas sleeping in eucalyptus", 5)) == 1


def test_a_writer_in_another_process_leaves_searches_answering(engine: Engine, on_disk: None) -> None:
    store(engine, [SLOTHS])
    index = MeaningIndex(engine)
    index.warm()
    assert index._index is not None
    held = index._index.index.writer(15_000_000, 1)  # what another process holds while it adds papers
    store(engine, [OTTERS])
    assert index.search("sloths on branches", 5) != []  # answered from what is committed
    held.rollback()
    del held
    assert len(index.search("otters and shellfish", 5)) == 1


def text_(sql: str) -> object:
    from sqlalchemy import text

    return text(sql)


# -- bad input ---------------------------------------------------------------------------------

HOSTILE = [
    "a" * 2000,
    "is there a paper on " + "citation " * 220,  # about 2,000 characters
    " ".join(f"word{n}" for n in range(300)),
    "is there a paper on the of and to in",  # nothing but function words
    "🦜🔥🚀 📄❓",
    "هل هناك ورقة عن الاستشهادات المختلقة؟",  # right to left
    "\u202eseitilibaborp detcetED",  # a right-to-left override
    '"',
    "'",
    "is there a paper on",
    "?",
]


@pytest.mark.parametrize("text", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_text_gets_a_sentence_or_an_answer_within_a_second(chat: Chat, text: str) -> None:
    chat.reply("/papers find warm up")  # the indexes are read once per process, not per question
    started = time.perf_counter()
    reply = chat.reply(f"/papers find {text}")
    seconds = time.perf_counter() - started
    assert isinstance(reply, r.FindResults | r.Problem) and seconds < 1.0, (type(reply), seconds)
    shown = chat.say(f"/papers find {text}")
    assert shown and "Traceback" not in shown
    if isinstance(reply, r.Problem):
        assert reply.message.endswith((".", "?"))


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(max_size=2000), mode=st.sampled_from(["auto", "meaning"]))
def test_arbitrary_text_by_meaning_never_raises(arxiv: App, text: str, mode: str) -> None:
    for found in arxiv.finder.find(text, mode=mode):
        assert 0 <= found.score <= 100 and len(found.how) <= 100


def test_a_text_between_a_title_and_a_description_gets_both_answers_best_first() -> None:
    from bot.domain import Found
    from bot.find.modes import choose

    def found(n: int, score: float, how: str) -> Found:
        return Found(paper(n, f"Paper {n}", "Text."), score, how)

    titles = [found(1, 65.0, "title"), found(2, 61.0, "title")]
    meanings = [found(3, 80.0, "meaning: x in the abstract"), found(1, 70.0, "meaning: y in the title")]
    answer = choose("go explore robots that return", 5, lambda t, n: titles, lambda t, n: meanings)
    assert [f.paper.title for f in answer] == ["Paper 1", "Paper 3", "Paper 2"]
    assert answer[0].how == "title"  # the title finder's line where both found it
    assert [f.score for f in answer] == sorted((f.score for f in answer), reverse=True)
