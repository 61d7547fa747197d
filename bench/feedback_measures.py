"""The feedback benchmark's measures of a channel's held-out matches: each day's post, and the whole window at once.

*Per day* is what a channel reads: each held-out day's post (the top 10 of that day's matches, re-ranked by its
model), averaged over the days with a full post. *Window* asks the same model to rank all the held-out window's
matches together (20 days, as a post ranks a day, only over more candidates): the top 10 of them. A day holds a
handful of papers of a narrow interest at most, so its post's best possible share is low; the window's is 1.0
wherever it holds 10 fitting papers, and it tells whether the model puts what the channel wants first.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass

from feedback_replay import POST, Channel, Replay, ranked

from bot.domain import Match
from bot.feedback.signals import Labels


@dataclass(frozen=True)
class Held:
    """A channel's held-out matches: by day (its days with a full post) and the whole window, best first."""

    by_day: dict[str, list[Match]]
    days: list[str]
    window: list[Match]
    evidence: dict

    @classmethod
    def of(cls, replay: Replay, found: list[Match]) -> Held:
        """The held-out part of `found` (a channel's matches over the corpus, best first)."""
        by_day = replay.by_day(found)
        return cls(by_day, replay.held(by_day), replay.window(found), replay.evidence)

    def posts(self, labels: Labels) -> list[list[Match]]:
        """Each held-out day's post, as the model trained on `labels` ranks it."""
        return [ranked(self.by_day[d], labels, self.evidence)[:POST] for d in self.days]

    def top(self, labels: Labels) -> list[Match]:
        """The window's top POST, as the same model ranks all its matches together."""
        return ranked(self.window, labels, self.evidence)[:POST]

    def per_day(self, channel: Channel, labels: Labels) -> float:
        """Mean p@10 of the held-out days' posts."""
        return statistics.mean(fits(channel, post) / POST for post in self.posts(labels))

    def whole(self, channel: Channel, labels: Labels) -> float:
        """p@10 of the window's top 10."""
        return fits(channel, self.top(labels)) / POST

    def best(self, channel: Channel) -> tuple[float, float]:
        """The best possible p@10, per day and of the window: the fitting matches first."""
        day = statistics.mean(min(POST, fits(channel, self.by_day[d])) / POST for d in self.days)
        return day, min(POST, fits(channel, self.window)) / POST


def fits(channel: Channel, matches: Sequence[Match]) -> int:
    """How many of the matches fit the channel's hidden interest."""
    return sum(channel.wants(m.paper) for m in matches)
