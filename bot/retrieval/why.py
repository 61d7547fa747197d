"""The one short line that says what a paper found by meaning has of the text: which words, and where."""

from __future__ import annotations

from typing import Protocol

from bot.retrieval.question import terms

MAX_WHY = 100
WHERE = ("title", "abstract", "AI summary", "keywords")


class Stems(Protocol):
    def stems(self, text: str) -> list[str]: ...


def matched(index: Stems, text: str, fields: tuple[str, str, str, str]) -> str:
    """`meaning: detecting, citations in the abstract`: the words of the text the paper holds (as stems do,
    so `detect` holds `detecting`), and the fields that hold them; words only near in meaning say so."""
    held = [set(index.stems(field)) for field in fields]
    words: list[str] = []
    places: list[str] = []
    for word in dict.fromkeys(terms(text)):
        stems = index.stems(word)
        where = [name for name, stems_of in zip(WHERE, held, strict=True) if stems and stems[0] in stems_of]
        if where:
            words.append(word)
            places += [w for w in where[:1] if w not in places]
    if not words:
        return "meaning: related words in the abstract"
    tail = " in the " + " and ".join(sorted(places, key=WHERE.index))
    line = "meaning: " + words[0]
    for word in words[1:]:
        if len(line) + len(word) + 2 + len(tail) > MAX_WHY:
            break
        line += ", " + word
    return (line + tail)[:MAX_WHY]
