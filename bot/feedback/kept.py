"""Each channel's model kept between passes: in this process, and in the database for every process.

A model learns from the channel's likes, its dislikes and the papers it was shown before the latest of them
(bot/feedback/signals.py), so it changes only with its signals: it is trained once after they change (by the
first pass or preview after) and stored, and every later pass, in any process, loads and scores it (numpy,
no scikit-learn). `learned_from` names what it learned from: how many likes and dislikes the channel has and
when the latest came. A model that learned against a sample of the candidates (a channel that only liked and
was shown nothing before) depends on them too, and its name adds theirs. A labelled paper whose text or topic
evidence is assessed again does not retrain the model: its next signal does.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from bot.domain import ChannelRef, Digest, Paper
from bot.feedback.signals import Labels, labels, with_background
from storage.uow import UnitOfWork

if TYPE_CHECKING:  # numpy and scipy: a command that builds no digest (`say … /papers list`) never imports them
    from bot.feedback.candidates import Candidates
    from bot.feedback.taste import Taste

FORMAT = "2"  # what a stored model holds: another value when that changes, and every model is trained again
COUNT_BATCH = 2_000  # papers counted and stored at a time when they arrive (bot/feedback/word_counts.py keeps 10,000)
Learned = tuple[int, datetime]  # a channel's number of likes and dislikes, and when the latest came
Points = Callable[[Iterable[str]], dict]  # paper keys -> the topic points a pass already holds (bot/delivery/fanout.py)


class Tastes:
    """The last model of each channel in this process, by what it learned from."""

    def __init__(self, size: int = 512) -> None:
        self.size = size
        self._kept: OrderedDict[str, tuple[str, Taste | None]] = OrderedDict()
        self._guard = threading.Lock()
        self.trained = 0  # how many models this process trained (a test reads it)

    def kept(self, channel: str, name: str) -> tuple[bool, Taste | None]:
        with self._guard:
            found = self._kept.get(channel)
            if found is None or found[0] != name:
                return False, None
            self._kept.move_to_end(channel)
            return True, found[1]

    def keep(self, channel: str, name: str, taste: Taste | None) -> None:
        with self._guard:
            self._kept[channel] = (name, taste)
            self._kept.move_to_end(channel)
            while len(self._kept) > self.size:
                self._kept.popitem(last=False)

    def train(self, taught: Labels, evidence: Mapping) -> Taste | None:
        from bot.feedback.learned import train  # scikit-learn takes most of a second to import: only when needed

        with self._guard:
            self.trained += 1
        return train(taught, evidence)

    def forget(self, channel: ChannelRef) -> None:
        """Drop the channel's model (`/papers taste reset`): nothing of it may outlive its signals."""
        with self._guard:
            self._kept.pop(str(channel), None)


TASTES = Tastes()  # one per process: every pass and preview of a channel shares its model


def learned_from(learned: Learned | None, kept: int) -> str | None:
    """The name of what the channel's model learns from (None: no like or dislike, no model): its number of likes
    and dislikes and when the latest came (`uow.feedback.learned_from`, which a pass reads a batch at a time)."""
    return None if learned is None else f"{FORMAT}:{kept}:{learned[0]}:{learned[1].isoformat()}"


def taste_for(
    uow: UnitOfWork,
    channel: ChannelRef,
    full: Digest,
    kept: int,
    learned: Learned | None,
    points: Points | None = None,
    candidates: Candidates | None = None,
) -> tuple[Taste | None, dict]:
    """The channel's model (kept, stored, or trained now and stored with the caller's transaction) and the topic
    points of the candidates (and, when it trained, of its labelled papers); of a kept model's candidates, only
    those whose rows `candidates` (the pass's) has not built yet."""
    name = learned_from(learned, kept)
    if name is None or not full.matches:
        return None, {}
    found, taste = _kept(uow, str(channel), name)
    if found:
        return taste, _scored(uow, full.papers, points, candidates)
    taught = with_background(labels(uow, channel, kept), full.papers)
    if not (taught.disliked or taught.ignored):  # learned against the candidates: it holds for these only
        name += ":" + hashlib.blake2b(" ".join(p.key for p in taught.background).encode(), digest_size=8).hexdigest()
        found, taste = _kept(uow, str(channel), name)
        if found:
            return taste, _scored(uow, full.papers, points, candidates)
    said = [*taught.liked, *taught.disliked, *taught.ignored]
    evidence = _points(uow, [p.key for p in (*said, *full.papers)], points)
    _recall_counts(uow, [*said, *full.papers])
    taste = TASTES.train(taught, evidence)
    TASTES.keep(str(channel), name, taste)
    uow.models.store(str(channel), name, taste.dump() if taste is not None else b"")
    return taste, evidence


def _kept(uow: UnitOfWork, channel: str, name: str) -> tuple[bool, Taste | None]:
    """The model learned from `name`, from this process or else the database (found, the model or None)."""
    found, taste = TASTES.kept(channel, name)
    if found:
        return found, taste
    stored = uow.models.load(channel)
    if stored is None or stored[0] != name:
        return False, None
    from bot.feedback.taste import Taste

    taste = Taste.load(stored[1]) if stored[1] else None  # empty: nothing to tell apart, nothing to train
    TASTES.keep(channel, name, taste)
    return True, taste


def _scored(uow: UnitOfWork, papers: Sequence[Paper], points: Points | None, candidates: Candidates | None) -> dict:
    papers = candidates.missing(papers) if candidates is not None else papers  # the rest are built: nothing to read
    _recall_counts(uow, papers)
    return _points(uow, [p.key for p in papers], points)


def _points(uow: UnitOfWork, keys: Sequence[str], points: Points | None) -> dict:
    """The papers' topic points: those the pass holds from it, the rest read (without their reasons)."""
    keys = list(dict.fromkeys(keys))
    found = points(keys) if points is not None else {}
    rest = [key for key in keys if key not in found]
    if rest:
        found.update(uow.evidence.points(rest))
    return found


def _recall_counts(uow: UnitOfWork, papers: Sequence[Paper]) -> None:
    """Read the stored word counts of the papers this process has not counted: a new process (a restart, another
    worker) then trains and scores without stemming them again, which was most of its first post's cost."""
    from bot.feedback.word_counts import WORD_COUNTS

    missing = list(dict.fromkeys(p.key for p in WORD_COUNTS.missing(papers)))
    if missing:
        WORD_COUNTS.recall(uow.words.load(missing))


def count_words(uow: UnitOfWork, papers: Sequence[Paper]) -> int:
    """Count the words of those of `papers` whose counts are not stored yet and store them with what the caller
    commits (after a fetch, beside their topic evidence): a channel's model then trains and scores from stored
    counts, and no post waits for a paper to be stemmed (0.2 ms a paper, most of what a cold model cost).
    Returns how many papers were counted."""
    from bot.feedback.word_counts import WORD_COUNTS

    counted = 0
    for start in range(0, len(papers), COUNT_BATCH):  # what a process keeps to store is bounded: a batch at a time
        batch = papers[start : start + COUNT_BATCH]
        _recall_counts(uow, batch)
        missing = WORD_COUNTS.missing(batch)
        if missing:
            WORD_COUNTS.counts(missing)
            store_counts(uow)
            counted += len(missing)
    return counted


def store_counts(uow: UnitOfWork) -> None:
    """Store the counts this process made, with whatever the caller commits (a post and a preview commit); a
    transaction of their own could wait on the caller's on SQLite."""
    from bot.feedback.word_counts import WORD_COUNTS

    uow.words.store(WORD_COUNTS.fresh().items())


__all__ = ["TASTES", "Learned", "Tastes", "count_words", "learned_from", "store_counts", "taste_for"]
