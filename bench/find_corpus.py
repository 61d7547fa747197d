"""The find benchmark's corpus and queries: real arXiv papers, realistic variations, half-remembered typo queries."""

from __future__ import annotations

import json
import random
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.domain import Paper, normalise_title

# The shared data folder sits beside the working copy (`../shared/data`); each benchmark takes a flag for another place.
SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
ARXIV = SHARED_DATA / "arxiv" / "daily-arxiv-cs-2026Q2.jsonl"

# Words a half-remembering person drops first, and never typos into something distinctive.
SMALL = frozenset(
    [
        "a",
        "an",
        "the",
        "of",
        "for",
        "and",
        "in",
        "on",
        "with",
        "to",
        "via",
        "from",
        "by",
        "at",
        "is",
        "are",
        "as",
        "its",
        "into",
        "towards",
        "toward",
    ]
)
KEYBOARD = "qwertyuiopasdfghjklzxcvbnm"


def load_real(path: Path = ARXIV) -> list[Paper]:
    papers = []
    start = datetime(2026, 4, 5, tzinfo=UTC)
    for line in path.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        papers.append(
            Paper(
                title=" ".join(record["title"].split()),
                abstract=" ".join(record["summary"].split()),
                arxiv_id=record["id"],
                authors=tuple(record["authors"]),
                categories=tuple(record["categories"]),
                published_at=start,
                source="arxiv",
            )
        )
    return papers


def _sentences(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=[.!?])\s+", text) if s]


def _split_title(title: str) -> tuple[str, str] | None:
    head, sep, tail = title.partition(": ")
    return (head, tail) if sep and head and tail else None


class Variations:
    """New papers made from real ones: recombined titles and abstracts, shuffled author lists.

    Titles are crossovers: thirds of three real titles, the first part of one and the last of
    another, one paper's name with another's subtitle (one word changed); a few are a real
    title with a prefix or suffix ("Towards ...", "...: A Survey") or with one word changed,
    so near-duplicates exist as on arXiv, without every real title having dozens of them.
    """

    PREFIXES = ("Towards ", "On ", "Rethinking ", "Revisiting ", "Scaling ", "Efficient ", "Robust ", "Learning ")
    SUFFIXES = (" Revisited", ": A Survey", ": An Empirical Study", " at Scale", ": A Benchmark", " in the Wild")

    def __init__(self, real: list[Paper], seed: int = 7) -> None:
        self.real = real
        self.rng = random.Random(seed)
        self.authors = sorted({a for p in real for a in p.authors})
        self.words = [w for p in real for w in p.title.split() if w.lower() not in SMALL and w.isalpha()]
        self.seen = {normalise_title(p.title) for p in real}
        self.ids = {p.arxiv_id for p in real}
        self.number = 0
        self.sentences = [_sentences(p.abstract) for p in real]

    def title(self) -> str:
        rng, real = self.rng, self.real
        a, b, c = (rng.choice(real).title.split() for _ in range(3))
        kind = rng.random()
        if kind < 0.25 and (sa := _split_title(" ".join(a))) and (sb := _split_title(" ".join(b))):
            tail = sb[1].split()  # another paper's subtitle, one word changed
            tail[rng.randrange(len(tail))] = rng.choice(self.words)
            return f"{sa[0]}: {' '.join(tail)}"
        if kind < 0.65 and min(len(a), len(b), len(c)) > 5:  # thirds of three titles
            return " ".join(a[: len(a) // 3] + b[len(b) // 3 : 2 * len(b) // 3] + c[2 * len(c) // 3 :])
        if kind < 0.92 and min(len(a), len(b)) > 3:  # first part of one, last part of another
            cut = rng.uniform(0.35, 0.65)
            return " ".join(a[: round(len(a) * cut)] + b[round(len(b) * cut) :])
        title = " ".join(a)
        if kind < 0.97:
            if rng.random() < 0.5:
                first = title[0].lower() + title[1:] if title[1:2].islower() else title
                return rng.choice(self.PREFIXES) + first
            return title.rstrip(".") + rng.choice(self.SUFFIXES)
        a[rng.randrange(len(a))] = rng.choice(self.words)  # a near-duplicate: one word changed
        return " ".join(a)

    def paper(self) -> Paper:
        rng = self.rng
        while True:
            title = self.title()
            key = normalise_title(title)
            if key not in self.seen:
                self.seen.add(key)
                break
        one, two = rng.randrange(len(self.real)), rng.randrange(len(self.real))
        first, second = self.sentences[one], self.sentences[two]
        one = self.real[one]
        abstract = " ".join(first[: max(1, len(first) // 2)] + second[len(second) // 2 :])
        while True:  # synthetic ids from months the real corpus does not use
            self.number += 1
            month, number = divmod(self.number, 99_999)
            arxiv_id = f"{15 + month // 12}{1 + month % 12:02d}.{number + 1:05d}"
            if arxiv_id not in self.ids:
                break
        return Paper(
            title=title,
            abstract=abstract,
            arxiv_id=arxiv_id,
            authors=tuple(rng.sample(self.authors, rng.randint(1, 8))),
            categories=one.categories,
            published_at=one.published_at - timedelta(days=rng.randint(1, 3000)) if one.published_at else None,
            source="arxiv",
        )


def corpus(size: int, real: list[Paper], seed: int = 7) -> list[Paper]:
    """`size` papers: every real one (or the first `size`), then variations."""
    papers = list(real[:size])
    variations = Variations(real, seed)
    papers.extend(variations.paper() for _ in range(size - len(papers)))
    return papers


@dataclass(frozen=True)
class Query:
    text: str
    target: str  # the arXiv id of the paper meant
    kind: str


def typo(word: str, rng: random.Random) -> str:
    """One realistic slip: a missed, doubled, swapped or neighbouring key."""
    if len(word) < 4:
        return word
    at = rng.randrange(1, len(word) - 1)
    kind = rng.randrange(4)
    if kind == 0:
        return word[:at] + word[at + 1 :]
    if kind == 1:
        return word[:at] + word[at] + word[at:]
    if kind == 2:
        return word[:at] + word[at + 1] + word[at] + word[at + 2 :]
    return word[:at] + rng.choice(KEYBOARD) + word[at + 1 :]


def _with_typos(words: list[str], rng: random.Random, count: int) -> list[str]:
    words = list(words)
    spots = [i for i, w in enumerate(words) if len(w) >= 4 and w.lower() not in SMALL]
    for at in rng.sample(spots, min(count, len(spots))):
        words[at] = typo(words[at], rng)
    return words


def queries(targets: list[Paper], count: int, seed: int = 11) -> list[Query]:
    """Half-remembered queries: typos, dropped words, swapped order, partial titles, authors."""
    rng = random.Random(seed)
    kinds = ("typos", "dropped", "swapped", "partial", "typos", "dropped", "partial", "author")
    out: list[Query] = []
    pool = [p for p in targets if len(p.title.split()) >= 4 and p.arxiv_id]
    for number, paper in enumerate(rng.sample(pool, count)):
        kind = kinds[number % len(kinds)]
        words = re.findall(r"[\w'*-]+", paper.title)
        if rng.random() < 0.7:
            words = [w.lower() for w in words]
        if kind == "typos":
            words = _with_typos(words, rng, rng.randint(1, 2))
        elif kind == "dropped":
            keep = sorted(rng.sample(range(len(words)), max(3, round(len(words) * rng.uniform(0.55, 0.8)))))
            words = _with_typos([words[i] for i in keep], rng, rng.randint(1, 2))
        elif kind == "swapped":
            words = _with_typos(words, rng, 1)
            i, j = rng.sample(range(len(words)), 2)
            words[i], words[j] = words[j], words[i]
            if rng.random() < 0.5:
                rng.shuffle(words)
        elif kind == "partial":
            words = _with_typos(words[: max(3, round(len(words) * rng.uniform(0.6, 0.8)))], rng, rng.randint(0, 1))
        else:  # an author's surname and a few distinctive title words
            surname = rng.choice(paper.authors[:3]).split()[-1] if paper.authors else ""
            content = [w for w in words if w.lower() not in SMALL]
            words = [surname, *_with_typos(rng.sample(content, min(len(content), rng.randint(2, 3))), rng, 1)]
        out.append(Query(" ".join(words), paper.arxiv_id or "", kind))
    return out
