"""The vote's rules: one vote a person, moved by a click on another paper, taken back by a click on the same;
counting, and the winner (or the tie) in words."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from bot.wording import plural


def cast(votes: Mapping[str, int], person: str, choice: int) -> tuple[dict[str, int], str]:
    """The votes after `person` clicked paper `choice` (0-based), and what that did, in words to them."""
    changed = dict(votes)
    before = changed.pop(person, None)
    if before == choice:
        return changed, f"You took back your vote for paper {choice + 1}."
    changed[person] = choice
    if before is None:
        return changed, f"You voted for paper {choice + 1}."
    return changed, f"You moved your vote from paper {before + 1} to paper {choice + 1}."


def counts(votes: Mapping[str, int], papers: int) -> tuple[int, ...]:
    """Votes per paper, in the papers' order (a vote for a paper that is not there is not counted)."""
    tally = [0] * papers
    for choice in votes.values():
        if 0 <= choice < papers:
            tally[choice] += 1
    return tuple(tally)


@dataclass(frozen=True)
class Outcome:
    """How a vote ended: the winners' positions (several: a tie; none: nobody voted) and the headline."""

    winners: tuple[int, ...]
    total: int
    headline: str


def outcome(tally: Sequence[int]) -> Outcome:
    """The winner is the paper with most votes; equal most is a tie, said as one and naming every tied paper."""
    total = sum(tally)
    if total == 0:
        return Outcome((), 0, "Journal club: the vote closed with no votes, so there is no winner.")
    best = max(tally)
    winners = tuple(i for i, n in enumerate(tally) if n == best)
    if len(winners) == 1:
        return Outcome(
            winners,
            total,
            f"Journal club: paper {winners[0] + 1} won with {plural(best, 'vote')} of {total}.",
        )
    named = ", ".join(str(i + 1) for i in winners[:-1]) + f" and {winners[-1] + 1}"
    return Outcome(
        winners,
        total,
        f"Journal club: a tie between papers {named}, {plural(best, 'vote')} each ({total} in all).",
    )
