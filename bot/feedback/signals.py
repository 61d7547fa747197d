"""A channel's feedback as the core uses it: which paper a command names, saved papers, labels to learn from."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from bot.domain import ChannelRef, Paper
from bot.paper_links import arxiv_key
from storage.uow import UnitOfWork

MIN_SIGNALS = 5  # likes and dislikes before a channel's posts follow them
SHOWN_FOR = 500  # the most recent papers shown to a channel that count as "shown and ignored"
SIGNALS_KEPT = 500  # the most recent likes and dislikes a channel's model learns from (FEEDBACK_SIGNALS_KEPT)
BACKGROUND = 200  # at most this many of a post's candidates serve as the weakest negatives


def paper_named(text: str) -> str | None:
    """The paper key an arXiv id or link names (`2401.12345v2`, `https://arxiv.org/abs/...`, a `title:` key)."""
    text = text.strip()
    if text.startswith("title:"):
        return text  # a paper without an arXiv id, as the buttons name it
    return arxiv_key(text)


def saved_papers(uow: UnitOfWork, channel: ChannelRef) -> list[tuple[Paper, datetime, str]]:
    """The channel's saved papers, most recently saved first: (paper, when, who saved it)."""
    saved = uow.feedback.saved(str(channel))
    papers = {paper.key: paper for paper in uow.papers.by_keys([key for key, _, _ in saved])}
    return [(papers[key], at, actor) for key, at, actor in saved if key in papers]


@dataclass(frozen=True)
class Labels:
    """What a channel's model learns from: liked, disliked, and shown but ignored papers."""

    liked: tuple[Paper, ...]
    disliked: tuple[Paper, ...]
    ignored: tuple[Paper, ...]
    background: tuple[Paper, ...] = ()  # recent papers it said nothing about: everything else, as arxiv-sanity has it

    @property
    def signals(self) -> int:
        return len(self.liked) + len(self.disliked)


def labels(uow: UnitOfWork, channel: ChannelRef, kept: int = SIGNALS_KEPT) -> Labels:
    """The channel's labelled papers: net likes are liked, net dislikes disliked (of its `kept` most recent
    signals: training costs grow with them, and tastes change); the rest it was shown before its latest
    signal, ignored."""
    votes = uow.feedback.votes(str(channel), kept)
    learned = uow.feedback.learned_from(str(channel))
    # Posted after the latest like or dislike, a paper was not ignored but not read yet: left out, the model
    # depends on the signals alone and is kept until they change (bot/feedback/kept.py).
    shown = uow.outbox.recent_keys(channel, SHOWN_FOR, until=learned[1]) if learned is not None else []
    keys = list(dict.fromkeys([*votes, *shown]))
    papers = {paper.key: paper for paper in uow.papers.by_keys(keys)}
    liked = tuple(papers[k] for k, v in votes.items() if v > 0 and k in papers)
    disliked = tuple(papers[k] for k, v in votes.items() if v < 0 and k in papers)
    ignored = tuple(papers[k] for k in shown if k not in votes and k in papers)
    return Labels(liked, disliked, ignored)


def with_background(taught: Labels, candidates: Sequence[Paper]) -> Labels:
    """The labels with a sample of the post's candidates it gave no vote on as background: a channel that only
    likes (most only ever click 👍), and that nothing was posted to yet, still has papers to tell its likes from."""
    said = {p.key for p in (*taught.liked, *taught.disliked, *taught.ignored)}
    others = [p for p in {p.key: p for p in candidates}.values() if p.key not in said]
    step = max(1, math.ceil(len(others) / BACKGROUND))  # evenly over the incoming order: the same sample each pass
    return replace(taught, background=tuple(others[::step]))
