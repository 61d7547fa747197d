"""Reciprocal rank fusion: several rankings of the same papers into one, by where each puts a paper."""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import TypeVar

K = 60  # the constant of Cormack et al. (2009): ranks past the first few weigh about the same

T = TypeVar("T", bound=Hashable)


def reciprocal_rank(rankings: Sequence[Sequence[T]], weights: Sequence[float] | None = None) -> list[T]:
    """Every item of the rankings, best first by the sum of weight / (K + rank) over the rankings holding it."""
    weights = weights or [1.0] * len(rankings)
    score: dict[T, float] = {}
    for ranking, weight in zip(rankings, weights, strict=True):
        for rank, item in enumerate(ranking, 1):
            score[item] = score.get(item, 0.0) + weight / (K + rank)
    return sorted(score, key=lambda item: -score[item])
