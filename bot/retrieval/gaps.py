"""Papers the meaning index lacks below its last id: those committed out of id order.

The index adds "the papers after the last id it holds". On PostgreSQL two transactions inserting at
once take ids N and N+1 from the sequence and may commit N+1 first: the index then moves past N, and
N, committed a moment later, would never be read. No paper is ever deleted, so the database and the
index hold as many papers in any id range unless one is missing: counting both over the newest ids
(every few seconds) or all of them (hourly) finds it, and halving the ranges that differ finds which.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlmodel import Session

from storage import meaning as stored
from storage import search

if TYPE_CHECKING:
    from bot.retrieval.lexical import LexicalIndex

RECENT = 20_000  # ids re-counted every few seconds: out-of-order commits land among the newest papers
RECOUNT_EVERY = 10.0  # seconds: the two counts over 20,000 ids take 5-30 ms, too much for every search
LISTED = 512  # a range this small is listed on both sides rather than halved again


def missing(index: LexicalIndex, session: Session, after_id: int, upto_id: int) -> list[int]:
    """The ids of stored papers after `after_id` and up to `upto_id` that the index lacks, in order."""
    if upto_id <= after_id or search.count_between(session, after_id, upto_id) <= index.count_between(
        after_id, upto_id
    ):
        return []
    if upto_id - after_id <= LISTED:
        return sorted(search.ids_between(session, after_id, upto_id) - index.ids_between(after_id, upto_id))
    middle = (after_id + upto_id) // 2
    return missing(index, session, after_id, middle) + missing(index, session, middle, upto_id)


def fill(index: LexicalIndex, session: Session, after_id: int) -> int:
    """Index the papers missing after `after_id` up to the index's last; how many."""
    ids = missing(index, session, max(after_id, 0), index.last_id())
    return index.replace(stored.rows_of(session, ids)) if ids else 0


__all__ = ["LISTED", "RECENT", "RECOUNT_EVERY", "fill", "missing"]
