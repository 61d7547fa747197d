"""A paper's top-level topics: the roots of the taxonomy under which the paper clears the match threshold."""

from __future__ import annotations

from bot.domain import Paper
from bot.relevance.matching import THRESHOLD, Matcher


def top_level_topics(matcher: Matcher, paper: Paper) -> list[str]:
    """The names of the paper's top-level topics, strongest evidence first (Discord forum tags use them)."""
    taxonomy = matcher.taxonomy
    best: dict[str, float] = {}
    for slug, (points, _) in matcher.own_evidence(paper).items():
        if points < THRESHOLD:
            continue
        root = ([slug, *taxonomy.ancestors(slug)])[-1]
        best[root] = max(best.get(root, 0.0), points)
    return [taxonomy.require(slug).name for slug in sorted(best, key=lambda slug: (-best[slug], slug))]
