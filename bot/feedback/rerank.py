"""The learned step of a channel's post: its ranked digest re-ordered by its taste, blended with the incoming order.

Whatever ranks the digest first, this step only reads its order: each paper's place becomes a
score (first = 1, last = 0); the channel's model places the same papers by how likely the channel
is to like them, and the two places are blended, the model's share growing with the signals and
likes it learned from. A channel with few signals, or a model that cannot tell the papers apart,
keeps the incoming order. Places rather than scores: the digest's scores may change meaning, its
order stays an order.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING

from sqlalchemy import Engine

from bot.domain import ChannelRef, Digest, Match
from bot.feedback.kept import TASTES, Learned, Points, store_counts, taste_for
from bot.feedback.signals import MIN_SIGNALS, SIGNALS_KEPT, Labels, labels
from bot.wording import plural
from storage.uow import UnitOfWork

if TYPE_CHECKING:
    import numpy as np

    from bot.feedback.candidates import Candidates
    from bot.feedback.taste import Taste

log = logging.getLogger(__name__)

# Tuned with bench/feedback.py: lower and the model's effect comes later; higher (or sure from fewer likes)
# and a channel that taught the bot only a little can get a worse post than without feedback.
PULL = 0.9  # the model's share of a paper's place once it learned from SURE_AT signals, SURE_LIKES of them likes
SURE_AT = 10
SURE_LIKES = 4
UNSURE = 0.02  # probabilities that span less than this across the candidates: the model cannot tell them apart
MOVED_UP = 2  # places a paper must climb before its why says feedback moved it


def weight(signals: int, likes: int) -> float:
    """How much the model counts: nothing below MIN_SIGNALS, then growing to PULL at SURE_AT signals of
    which SURE_LIKES are likes (what a channel wants is learned from its likes: one like is an anecdote)."""
    if signals < MIN_SIGNALS or not likes:
        return 0.0
    return PULL * min(1.0, (signals + 1) / (SURE_AT + 1)) * min(1.0, likes / SURE_LIKES)


def blend(liking: np.ndarray, signals: int, likes: int) -> np.ndarray:
    """The new order (indexes into the incoming order) from the model's probabilities of a like."""
    import numpy as np  # here: a channel without a model (and every command that builds no digest) never needs it

    count = len(liking)
    place = 1.0 - np.arange(count) / max(count - 1, 1)
    if count < 2 or np.ptp(liking) < UNSURE:
        return np.arange(count)  # the model tells these papers apart no better than a coin
    model_place = (np.argsort(np.argsort(liking, kind="stable"), kind="stable")) / (count - 1)
    share = weight(signals, likes)
    score = (1.0 - share) * place + share * model_place
    return np.argsort(-score, kind="stable")


def rerank(
    matches: Sequence[Match], taste: Taste, evidence: dict, shown: int, candidates: Candidates | None = None
) -> list[Match]:
    """The matches in the blended order, each of the channel's interests keeping places in the first `shown`;
    those that climbed into them say which likes moved them. `candidates`: the rows a pass shares."""
    if not matches:
        return []
    from bot.feedback.candidates import Candidates

    papers = [m.paper for m in matches]
    words, topical = rows = (candidates or Candidates()).rows(papers, evidence)
    liking, voice = taste.liking(rows)  # and each interest's own say: `voice`, a column each
    order = blend(liking, taste.signals, taste.likes)
    interest = None
    if taste.interests > 1 and weight(taste.signals, taste.likes) > 0:
        from bot.feedback.interests import belongs, share

        interest = belongs(voice)  # its best papers keep places, not the larger interest's
        own = [blend(voice[:, k], taste.signals, taste.likes) for k in range(taste.interests)]
        order = share(order, interest, shown, own=own)
    climbed = [i for new, i in enumerate(order) if new < shown and i - new >= MOVED_UP]
    alike = {}
    if climbed:  # only these say which likes moved them: only their vectors are built
        alike = dict(zip(climbed, taste.alike(taste.weighed((words[climbed], topical[climbed]))), strict=True))
    result = []
    for i in order:
        match = matches[i]
        if alike.get(i):
            why = _why(taste, alike[i]) if interest is None else _interest_why(taste, alike[i], int(interest[i]))
            match = Match(match.paper, match.score, (why, *match.why), match.subscription)
        result.append(match)
    return result


def _cut(title: str) -> str:
    title = " ".join(title.split())
    return title if len(title) <= 80 else title[:79] + "…"


def _why(taste: Taste, alike: list[int]) -> str:
    title = _cut(taste.liked_titles[alike[0]])
    if len(alike) == 1:
        return f"ranked up: like “{title}”, which this channel liked"
    return f"ranked up: like {plural(len(alike), 'paper')} this channel liked, such as “{title}”"


def _interest_why(taste: Taste, alike: list[int], interest: int) -> str:
    """Which of the channel's interests placed the paper: the liked paper of that interest it is most like."""
    own = [i for i in alike if taste.kind[i] == interest] or alike
    return f"ranked up: like your 👍 on “{_cut(taste.liked_titles[own[0]])}”"


def warm(engine: Engine) -> bool:
    """Import scikit-learn now (`papers-bot run` calls this in a thread at start) when some channel has taught
    the bot enough to re-rank its posts, so that its first post or preview does not wait seconds for it."""
    with UnitOfWork(engine) as uow:
        signals = uow.feedback.signals([str(channel) for channel in uow.subscriptions.channels()])
    if max(signals.values(), default=0) < MIN_SIGNALS:
        return False  # no model to train: the import would only cost memory
    import bot.feedback.learned  # noqa: F401

    return True


def learned_digest(
    uow: UnitOfWork,
    channel: ChannelRef,
    digest: Callable[[int | None], Digest],
    cap: int | None,
    learned: Learned | None,
    kept: int = SIGNALS_KEPT,
    upvotes: str = "normal",
    points: Points | None = None,
    candidates: Candidates | None = None,
) -> Digest:
    """The channel's digest re-ranked by its feedback (`digest(cap)` builds the incoming one, scored again
    with the channel's `upvotes` level when it set one), learned from its `kept` most recent signals (`learned`:
    how many it has and when the latest came); with fewer than MIN_SIGNALS likes and dislikes, or no model to
    train, exactly the incoming digest. `points` gives the topic points a pass already holds (the rest are read),
    `candidates` the rows of the candidates' vectors it already built (bot/feedback/candidates.py)."""
    if upvotes != "normal":
        digest = _reweighed(digest, upvotes)
    if learned is None or learned[0] < MIN_SIGNALS:
        return digest(cap)
    full = digest(None)  # every match: a paper the model likes may sit below the cap
    taste, evidence = taste_for(uow, channel, full, kept, learned, points, candidates)
    if taste is None:
        return digest(cap)
    matches = rerank(full.matches, taste, evidence, cap or len(full.matches), candidates)
    store_counts(uow)
    shown = matches if cap is None else matches[:cap]
    log.debug("%s: digest re-ranked by %d signals", channel, taste.signals)
    return Digest(channel, tuple(shown), full.more + len(matches) - len(shown), full.title, full.created_at)


def _reweighed(digest: Callable[[int | None], Digest], upvotes: str) -> Callable[[int | None], Digest]:
    """`digest` in the order the channel's upvotes level gives (bot/delivery/ranking.py): all of it is scored."""
    from bot.delivery.ranking import reweigh

    full: list[Digest] = []

    def build(cap: int | None) -> Digest:
        if not full:
            full.append(digest(None))
        every = full[0]
        at = every.created_at  # the fan-out's `now`: ages are counted from it
        matches = reweigh(every.matches, upvotes, at) if at is not None else list(every.matches)
        kept = matches if cap is None else matches[:cap]
        return Digest(every.channel, tuple(kept), every.more + len(matches) - len(kept), every.title, every.created_at)

    return build


def channel_taste(
    uow: UnitOfWork,
    channel: ChannelRef,
    digest: Callable[[int | None], Digest],
    learned: Learned | None,
    kept: int = SIGNALS_KEPT,
) -> tuple[Taste | None, Labels, Mapping]:
    """The model the channel's next post is re-ranked by (None: it keeps the incoming order), what it learned
    from and their topic evidence: what `/papers taste` shows."""
    taught = labels(uow, channel, kept)
    if learned is None or learned[0] < MIN_SIGNALS:
        return None, taught, {}
    taste, evidence = taste_for(uow, channel, digest(None), kept, learned)
    said = [p.key for p in (*taught.liked, *taught.disliked, *taught.ignored) if p.key not in evidence]
    evidence.update(uow.evidence.points(said))  # a kept model's candidates came with theirs: what it weighs
    return taste, taught, evidence


__all__ = ["MIN_SIGNALS", "TASTES", "blend", "channel_taste", "learned_digest", "rerank", "weight"]
