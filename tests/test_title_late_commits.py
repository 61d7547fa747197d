"""Find by title sees every stored paper, also one committed after a paper with a higher id.

The title index reads "the papers after the last id it holds"; on PostgreSQL a paper whose id was
taken first may commit last. The same case for find by meaning: tests/test_meaning_late_commits.py.
"""

from __future__ import annotations

from sqlalchemy import Engine

from bot.domain import Paper
from bot.find import title_index
from bot.find.finder import Finder
from tests.test_meaning_late_commits import store_as

OTTERS = Paper("Tool Use in Sea Otters", "Sea otters crack shellfish open on stones.", arxiv_id="2501.00002")
SLOTHS = Paper("Arboreal Locomotion of Sloths", "Three-toed sloths hang from branches.", arxiv_id="2501.00001")


def first_title(finder: Finder, text: str) -> str | None:
    found = finder.find(text, mode="title")
    return found[0].paper.title if found else None


def seconds_later(finder: Finder) -> None:
    finder.index._recounted_at -= title_index.RECOUNT_EVERY + 1


def test_a_paper_committed_after_a_higher_id_is_found_by_its_title(engine: Engine) -> None:
    finder = Finder(engine)
    store_as(engine, 11, OTTERS)
    assert first_title(finder, "tool use in sea otters") == "Tool Use in Sea Otters"
    store_as(engine, 10, SLOTHS)  # id 10 commits after id 11 was read
    seconds_later(finder)
    assert first_title(finder, "arboreal locomotion of slots") == "Arboreal Locomotion of Sloths"
    assert finder.index.papers == 2 and finder.index.last_id == 11  # counted once, the last id kept
