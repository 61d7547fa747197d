"""What a journal club shows: its ballot (papers, counts, closing time) and what a voter's click did."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.domain import Match
from bot.wording import plural

QUESTION = "Journal club: which paper shall we read?"


@dataclass(frozen=True)
class ClubBallot:
    """The vote as everyone sees it: numbered papers, their counts so far (Slack; Discord counts itself)."""

    club_id: int
    matches: tuple[Match, ...]
    closes_at: datetime  # in the channel's time zone
    hours: int
    actor: str = ""
    counts: tuple[int, ...] = ()
    closed: bool = False
    ephemeral: bool = False

    @property
    def voters(self) -> int:
        return sum(self.counts)

    def question(self) -> str:
        """The poll's question (Discord allows 300 characters; this is well within)."""
        return f"{QUESTION} (vote closes in {plural(self.hours, 'hour')})"

    def numbered(self) -> list[str]:
        """`1. Title` for each paper: the number is how the winner is named."""
        return [f"{i}. {m.paper.title}" for i, m in enumerate(self.matches, 1)]

    def count(self, index: int) -> int:
        return self.counts[index] if index < len(self.counts) else 0


@dataclass(frozen=True)
class VoteNoted:
    """What one click did, said to the voter alone; `ballot` is the vote as it stands now, for the message."""

    message: str
    ballot: ClubBallot | None = None
    ephemeral: bool = True
