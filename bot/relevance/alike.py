"""`like:2401.12345`: how much a paper resembles a reference paper, by the words and topics they share."""

from __future__ import annotations

import math
import re
from collections.abc import Callable

from bot.domain import Paper
from bot.relevance.paper_text import PaperText

Scorer = Callable[[PaperText], tuple[float, tuple[str, ...]]]
# A paper's (title, keywords, abstract) -> how much it resembles the reference (0-1), the words they share:
# the measure find by meaning ranks with (bot/retrieval/similar.py), where the wiring provides it.
Resemblance = Callable[[str, str, str], tuple[float, tuple[str, ...]]]

WORD = re.compile(r"[a-z][a-z0-9\-]{2,}")
# Words every abstract uses: sharing them says nothing about two papers being alike.
COMMON = frozenset(
    WORD.findall(
        """about above across after again against also among an and any approach approaches are based because been
    before being between both but can could data demonstrate demonstrates different does during each effective
    efficient existing experiments extensive first from further furthermore has have however improve improved
    improves including into its key large learning less made make method methods model models more most new not
    novel our over paper performance present propose proposed provide results several show shows significant
    significantly such than that the their them then there these they this those through under use used uses
    using various via well what when where which while with within without work works yet task tasks framework
    state-of-the-art achieve achieves address benchmark benchmarks challenge challenges code available
    representative perspective outperform outperforms effectiveness experimental promising systematically
    robust across high-level low-level remains remain enable enables enabling often limited however for all
    how two one can end way"""
    )
)
WORDS_WEIGHT = 5.0  # a cosine of 0.2 between word sets (closely related abstracts) is one threshold's worth
SHARE_WEIGHT = 3.5  # holding 0.29 of the reference's typical words is one threshold's worth (nearest: 0.36)
TOPIC_POINTS = 0.2  # each topic both papers are clearly about (broad ones too: a nudge, not a match)
TOPIC_FLOOR = 1.2


def content_words(title: str, abstract: str) -> frozenset[str]:
    """The words that say what a paper is about: lower-cased, common ones out, a plural `s` off."""
    found = set()
    for word in WORD.findall(f"{title} {title} {abstract}".lower()):
        if word in COMMON:
            continue
        plural = word.endswith("s") and not word.endswith(("ss", "ies", "us", "is")) and len(word) > 4
        found.add(word[:-1] if plural else word)
    return frozenset(found)


def alike(
    reference: Paper,
    topics: dict[str, tuple[float, tuple[str, ...]]],
    label: str,
    resemblance: Resemblance | None = None,
) -> Scorer:
    """A scorer: points for the words (`resemblance` where given, else the cosine of the word sets) and the
    clear topics a paper shares with `reference`."""
    words = content_words(reference.title, reference.abstract)
    title = content_words(reference.title, "")
    clear = {slug for slug, (points, _) in topics.items() if points >= TOPIC_FLOOR}

    def similarity(text: PaperText) -> tuple[float, list[str]]:
        if resemblance is not None:
            share, held = resemblance(*text.texts)
            return SHARE_WEIGHT * share, sorted(held[:6], key=lambda w: w not in reference.title.lower())
        theirs = content_words(text.texts[0], text.texts[2])
        common = words & theirs
        cosine = len(common) / math.sqrt(len(words) * len(theirs)) if common else 0.0
        return WORDS_WEIGHT * cosine, sorted(common, key=lambda w: (w not in title, -len(w), w))

    def score(text: PaperText) -> tuple[float, tuple[str, ...]]:
        if text.texts[0] == reference.title and text.texts[2] == reference.abstract:
            return 0.0, ()  # the paper itself is not news to a channel following it
        points, common = similarity(text)
        if not common:
            return 0.0, ()
        shared = sorted(slug for slug in clear if text.evidence.get(slug, (0.0,))[0] >= TOPIC_FLOOR)
        points += TOPIC_POINTS * len(shared)
        shown = common[:3]  # the reference's title words first
        parts = [f"topics {', '.join(shared[:3])}"] if shared else []
        parts.append("words " + ", ".join(f'"{w}"' for w in shown))
        return points, (f"like {label}: " + "; ".join(parts),)

    return score
