"""Which path a query takes: an id, a link or a (misspelt) title to the title finder, a description or a
question to meaning, a query that is a bit of both to both, fused."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace

from bot.domain import Found
from bot.retrieval.fusion import reciprocal_rank
from storage.search import words_of

MODES = ("auto", "title", "meaning")
# The title finder's best score says what the text is. From `TITLE` up it names a title (typos and all),
# and the title finder's answer stands, as it always did. Below `MIXED` the text only shares words with
# titles (descriptions of the 20k arXiv papers score 55 at most): meaning answers. Between, both are fused.
TITLE = 70.0
MIXED = 60.0
NAME = 4  # words at most of a text that names an author (longer ones share a word with a name by chance)
QUESTION = re.compile(
    r"^\W*(?:is there|are there|any(?:one|body)?\b|what|which|where|who|how|does|do|did|has|have|can|could"
    r"|i'?m looking|looking for|i need|need|find me|show me|papers? (?:on|about|that|which|where|with))\b"
    r"|\?\W*$",
    re.I,
)

Search = Callable[[str, int], list[Found]]


def is_question(text: str) -> bool:
    return bool(QUESTION.search(text))


def choose(text: str, limit: int, by_title: Search, by_meaning: Search) -> list[Found]:
    """`auto`: a title stands (many start as questions do: "Can LLMs ...?"); a question or words shared with
    titles go to meaning; between, both are fused."""
    titles = by_title(text, limit)
    if titles and (titles[0].score >= TITLE or (titles[0].how == "author" and len(words_of(text)) <= NAME)):
        return titles  # a title, or a name: as always
    meanings = by_meaning(text, limit)
    if not titles or titles[0].score < MIXED or is_question(text):
        return meanings
    found = {f.paper.key: f for f in [*meanings, *titles]}  # the title finder's line where both found it
    order = reciprocal_rank([[f.paper.key for f in titles], [f.paper.key for f in meanings]])
    fused, ceiling = [], 100.0
    for key in order[:limit]:  # the two scales differ: scores are capped so that the list reads best first
        ceiling = min(ceiling, found[key].score)
        fused.append(replace(found[key], score=ceiling))
    return fused
