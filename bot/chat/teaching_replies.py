"""The replies to what a channel teaches the bot: a like noted, why a paper matches, saved papers, the
channel's taste and its reset, how much upvotes weigh, the warm-up (bot/chat/replies.py holds the rest)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from bot.domain import Paper
from bot.wording import plural

if TYPE_CHECKING:
    from bot.feedback.paper_kinds import Kind  # numpy's and scikit-learn's: loaded by the warm-up alone


@dataclass(frozen=True)
class FeedbackNoted:
    """A like, dislike, save or forget taken; `changed` is false when it changed nothing (a repeated click)."""

    kind: str  # like | dislike | save | forget
    paper: Paper
    actor: str
    changed: bool
    signals: int = 0  # the channel's likes and dislikes so far
    learns_from: int = 5  # how many of them the channel's posts start following
    likes: int = 1  # the channel's liked papers: without one its posts cannot follow the dislikes
    ephemeral: bool = True

    def sentence(self, title: str) -> str:
        """What to say, around `title` as the renderer wrote it (escaped for its platform)."""
        if self.kind == "forget":
            return f"Forgot what you said about {title}." if self.changed else f"You had said nothing about {title}."
        if not self.changed:
            return f"You had already {_PAST[self.kind]} {title}."
        if self.kind == "save":
            return f"Saved {title} for this channel; /papers saved lists them."
        more = "more" if self.kind == "like" else "fewer"
        if self.signals >= self.learns_from and not self.likes:
            return f"Noted: {more} papers like {title}. This channel's posts follow its feedback once it has liked a paper too."
        if self.signals >= self.learns_from:
            return f"Noted: {more} papers like {title} in this channel's posts."
        return (
            f"Noted: {more} papers like {title}. This channel's posts follow its likes and dislikes "
            f"from {self.learns_from} on ({self.signals} so far)."
        )


_PAST = {"like": "liked", "dislike": "disliked", "save": "saved"}


@dataclass(frozen=True)
class Explained:
    """Why one paper would be posted here: each subscription with every reason it found, or none when it does not."""

    paper: Paper
    reasons: tuple[tuple[str, tuple[str, ...]], ...]  # (subscription, its full why); empty: it does not match
    ephemeral: bool = True

    def lines(self) -> list[tuple[str, str]]:
        """(subscription, every reason it found joined, or that it does not match), the same on every platform."""
        return [
            (query, "; ".join(reason.removeprefix(f"{query}: ") for reason in why) if why else "does not match")
            for query, why in self.reasons
        ]


@dataclass(frozen=True)
class SavedList:
    """The channel's saved papers, most recently saved first: (paper, when, who saved it)."""

    papers: tuple[tuple[Paper, datetime, str], ...]
    ephemeral: bool = True


UPVOTES_SAID = {
    "off": "nothing",
    "low": "half as much as usual",
    "normal": "as usual",
    "high": "twice as much as usual",
}


def upvotes_line(level: str) -> str | None:
    """What list and status say of the post's upvotes level; nothing when it is the usual one."""
    if level == "normal" or level not in UPVOTES_SAID:
        return None
    return f"Hugging Face upvotes weigh {UPVOTES_SAID[level]} in the post (/papers ranking upvotes {level})."


@dataclass(frozen=True)
class RankingSet:
    """How much Hugging Face upvotes weigh in the channel's post: set (`actor`), or shown (no actor)."""

    upvotes: str
    actor: str = ""
    ephemeral: bool = False  # the channel should see who changed how its post is ranked

    def describe(self) -> str:
        """The sentence, after who changed it when someone did (the renderer writes the name)."""
        said = UPVOTES_SAID[self.upvotes]
        if not self.actor:
            return (
                f"Hugging Face upvotes weigh {said} in this channel's post; "
                "/papers ranking upvotes off|low|normal|high changes it."
            )
        return f"set Hugging Face upvotes to weigh {said} in this channel's post ({self.upvotes})."


@dataclass(frozen=True)
class WarmUpKinds:
    """The kinds of the channel's recent papers (`/papers warmup`), each named by its words and shown by its
    typical papers, for the channel to pick the ones it wants (bench/feedback.py --kinds: that teaches its posts
    more than rating five papers or eight ordinary likes and dislikes)."""

    kinds: tuple[Kind, ...]
    offer: str = ""  # which kinds these are (bot/feedback/paper_kinds.py: offer_of), for a pick to name
    has_subscriptions: bool = True
    ephemeral: bool = True

    def heading(self) -> str:
        if not self.has_subscriptions:
            return "This channel follows nothing yet: /papers subscribe a topic first, then /papers warmup."
        if not self.kinds:
            return "No new paper matches this channel's subscriptions to learn from yet."
        return f"This channel's recent papers are of {plural(len(self.kinds), 'kind')}: which does it want?"

    def kind_line(self, number: int, kind: Kind) -> str:
        return f"{number}. {', '.join(kind.words)} ({plural(kind.size, 'paper')})"

    def how_to_pick(self, how: str) -> str:
        return f"{how}: each kind picked counts its three most typical papers as likes, each other kind its three as dislikes."


@dataclass(frozen=True)
class KindsPicked:
    """The kinds someone picked (`/papers warmup pick`), recorded as their likes and dislikes of the kinds' papers."""

    actor: str
    picked: tuple[tuple[str, ...], ...]  # each picked kind's words
    likes: int
    dislikes: int
    ephemeral: bool = False  # the channel sees what its posts will follow

    def describe(self) -> str:
        """The sentence, after who picked (the renderer writes the name)."""
        if not self.picked:
            return f"picked none of the kinds: {plural(self.dislikes, 'dislike')} noted for this channel's posts."
        kinds = "; ".join(", ".join(words) for words in self.picked)
        return (
            f"picked {plural(len(self.picked), 'kind')} ({kinds}): {plural(self.likes, 'like')} and "
            f"{plural(self.dislikes, 'dislike')} noted; this channel's posts follow them."
        )


@dataclass(frozen=True)
class TasteShown:
    """What the channel's posts learned from its likes and dislikes (`/papers taste`), for and against; no words,
    topics or papers when they learned nothing yet."""

    likes: int
    dislikes: int
    learns_from: int = 5
    words_for: tuple[str, ...] = ()
    words_against: tuple[str, ...] = ()
    topics_for: tuple[str, ...] = ()
    topics_against: tuple[str, ...] = ()
    liked: tuple[Paper, ...] = ()
    disliked: tuple[Paper, ...] = ()
    ephemeral: bool = True

    def lines(self, word: Callable[[str], str], title: Callable[[Paper], str]) -> list[str]:
        """The message, each word or topic written by `word` and each paper by `title` (escaped for the platform)."""
        said = f"{plural(self.likes, 'like')} and {plural(self.dislikes, 'dislike')}"
        if not (self.words_for or self.topics_for or self.liked):
            if self.likes + self.dislikes < self.learns_from:
                return [
                    f"This channel's posts follow its likes and dislikes from {self.learns_from} on ({said} so far); "
                    "/papers like with a paper's arXiv id teaches them."
                ]
            if not self.likes:
                return [f"This channel's posts follow its feedback once it has liked a paper ({said} so far)."]
            return [f"This channel's posts have no new papers to rank by its {said} yet."]
        lines = [f"What this channel's posts learned from its {said}:"]
        sides = (
            ("For", self.words_for, self.topics_for, "liked", self.liked),
            ("Against", self.words_against, self.topics_against, "disliked", self.disliked),
        )
        for side, words, topics, verb, papers in sides:
            parts = [f"{kind} {', '.join(map(word, items))}" for kind, items in (("words", words), ("topics", topics))]
            parts = [part for part, items in zip(parts, (words, topics), strict=True) if items]
            if papers:
                parts.append(f"{verb} {', '.join(map(title, papers))}")
            if parts:
                lines.append(f"{side}: " + "; ".join(parts))
        lines.append("/papers taste reset forgets it (saved papers stay).")
        return lines


@dataclass(frozen=True)
class TasteReset:
    """The channel's likes and dislikes forgotten, and the model learned from them (`/papers taste reset confirm`)."""

    actor: str
    likes: int
    dislikes: int
    ephemeral: bool = False  # the channel should see who reset what its posts had learned

    def describe(self) -> str:
        """What happened, after who did it (the renderer writes the name as its platform shows one)."""
        said = f"{plural(self.likes, 'like')} and {plural(self.dislikes, 'dislike')}"
        return (
            f"reset this channel's taste: its {said} are forgotten, and its posts keep their own "
            "order until they are taught again. Saved papers stay."
        )
