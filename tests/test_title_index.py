"""The in-memory title index: which papers hold the words of a text, rarest words weighing most."""

from __future__ import annotations

import pytest

from bot.find import title_index
from bot.find.title_index import TitleIndex, crude_stem

TITLES = [
    "Go-Explore: a New Approach for Hard-Exploration Problems",
    "Exploration by Random Network Distillation",
    "Learning to Explore with Meta-Policy Gradient",
    "Agents that Explore: a Survey",
    "Modelling Curiosity in Reinforcement Learning Agents",
]


def index_of(titles: list[str], authors: dict[int, str] | None = None, first_id: int = 1) -> TitleIndex:
    index = TitleIndex()
    index._read((first_id + n, title, "", (authors or {}).get(n, "")) for n, title in enumerate(titles))
    index.spelling.reindex()
    return index


def found(index: TitleIndex, *groups: list[str], limit: int = 10) -> list[int]:
    return [paper_id for paper_id, _ in index.candidates(list(groups), limit)]


def test_spellings_that_share_a_stem_are_one_word() -> None:
    assert crude_stem("agents") == crude_stem("agent") and crude_stem("modelling") == crude_stem("modeling")
    assert crude_stem("exploration") == crude_stem("explore") == crude_stem("exploring")
    index = index_of(TITLES)
    assert found(index, ["modeling"]) == [5]
    assert set(found(index, ["agent"])) == {4, 5}


def test_papers_holding_more_and_rarer_words_come_first() -> None:
    index = index_of(TITLES)
    assert found(index, ["curiosity"], ["explore"])[0] == 5  # curiosity is in one title, explore in four
    assert found(index, ["random"], ["distillation"], ["network"]) == [2]
    assert found(index, ["zebra"]) == [] and found(index) == []


def test_of_papers_holding_the_same_words_the_shorter_title_comes_first() -> None:
    index = index_of(["Deep Learning: A Survey of Methods and Open Problems", "Deep Learning"])
    assert found(index, ["deep"], ["learning"]) == [2, 1]


def test_a_paper_holding_two_spellings_of_one_group_counts_once() -> None:
    index = index_of(["Explore and Exploit", "Exploit the Arm", "Bandit Arm Zebra"])
    scores = dict(index.candidates([["explore", "exploit"]], 10))
    assert scores[1] == scores[2]  # `explore` and `exploit` are one word of the text: holding both is no better


def test_authors_are_words_of_a_paper_too() -> None:
    index = index_of(TITLES, authors={0: "Adrien Ecoffet; Jeff Clune"})
    assert found(index, ["ecoffet"]) == [1]


def test_the_commonest_words_beyond_the_budget_are_left_to_the_rerank(monkeypatch: pytest.MonkeyPatch) -> None:
    index = index_of(["Learning to Learn"] * 50 + ["Learning Quokka Routes"])
    monkeypatch.setattr(title_index, "POSTINGS", 10)
    assert found(index, ["learning"], ["quokka"]) == [51]  # `quokka` is read; 51 postings of `learning` are not


def test_thousands_of_equal_scores_still_give_the_limit_shortest_first() -> None:
    index = index_of(["Graph Neural Networks for Molecules"] * 3000 + ["Graph Neural Networks"])
    chosen = found(index, ["graph"], ["neural"], ["networks"], limit=25)
    assert len(chosen) == 25 and chosen[0] == 3001 and chosen[1:] == list(range(1, 25))


def test_papers_read_later_join_the_index_in_id_order() -> None:
    index = index_of(TITLES)
    index._read([(40, "Quokka Exploration", "", ""), (41, "Quokka Curiosity", "", "")])
    assert found(index, ["quokka"]) == [40, 41] and index.last_id == 41 and index.papers == 7


def test_a_slip_on_the_first_letter_is_repaired_too() -> None:
    index = index_of(["Visual Instruction Tuning", "Vision Transformers"])
    for typed in ("ovisual", "isual", "bisual", "ivsual"):
        assert index.spelling.close_words(typed, first_letter_only=True) == ["visual"], typed
    assert index.spelling.close_words("qzxv", first_letter_only=False) == []


def test_reading_again_skips_papers_whose_words_did_not_change() -> None:
    index = index_of(TITLES)
    assert index._read([(2, TITLES[1], "", ""), (3, "Learning to Explore Quokka Burrows", "", "")], again=True) == 1
    assert found(index, ["quokka"]) == [3] and index.papers == 5  # read again, not counted again
    assert index.spelling.df["quokka"] == 1 and index.spelling.df["exploration"] == 2
