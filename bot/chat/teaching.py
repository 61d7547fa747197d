"""What a channel teaches the bot and what it learned: like, dislike, save and forget, why, saved papers,
its taste and its reset, how much upvotes weigh, the warm-up; the service's handlers for them."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.chat import commands as c
from bot.chat import feeds
from bot.chat import replies as r
from bot.delivery.digest import build_digest, taste_now
from bot.delivery.schedule import local
from bot.domain import Actor, ChannelRef
from bot.errors import BadCommand, echo
from bot.feedback.kept import TASTES
from bot.feedback.signals import MIN_SIGNALS, paper_named, saved_papers
from bot.relevance.query import parse_query
from bot.wording import plural

if TYPE_CHECKING:
    from bot.chat.service import Service


def feedback(service: Service, channel: ChannelRef, actor: Actor, command: c.Feedback) -> r.Reply:
    key = paper_named(command.paper)
    if key is None:
        raise BadCommand("Name the paper by its arXiv id or link, such as 2401.12345.", usage=command.kind)
    with service.uow() as uow:
        paper = uow.papers.get(key)
        if paper is None:
            raise BadCommand(
                f"I have no paper {echo(command.paper)}; /papers find looks papers up.", usage=command.kind
            )
        if command.kind == "forget":
            changed = uow.feedback.forget(str(channel), key, actor.id) > 0
        else:
            changed = uow.feedback.give(str(channel), key, actor.id, command.kind, service.clock())
        signals = uow.feedback.signals([str(channel)]).get(str(channel), 0)
        likes = sum(net > 0 for net in uow.feedback.votes(str(channel)).values())
        uow.commit()
    return r.FeedbackNoted(command.kind, paper, actor.name, changed, signals, MIN_SIGNALS, likes)


def explain(service: Service, channel: ChannelRef, actor: Actor, command: c.Explain) -> r.Reply:
    key = paper_named(command.paper)
    if key is None:
        raise BadCommand("Name the paper by its arXiv id or link, such as 2401.12345.", usage="why")
    with service.uow() as uow:
        paper = uow.papers.get(key)
        subscriptions = uow.subscriptions.for_channel(channel)
    if paper is None:
        raise BadCommand(f"I have no paper {echo(command.paper)}; /papers find looks papers up.", usage="why")
    if not subscriptions:
        raise BadCommand(f"{feeds.where(channel).capitalize()} follows nothing yet.", usage="subscribe")
    reasons = []
    for sub in subscriptions:
        found = service.paper_topics.evaluate(parse_query(sub.query, service.taxonomy), [paper])
        reasons.append((sub.query, tuple(found[0].why) if found else ()))
    return r.Explained(paper, tuple(reasons))


def saved(service: Service, channel: ChannelRef, actor: Actor, command: c.ListSaved) -> r.Reply:
    with service.uow() as uow:
        tz = uow.channels.schedule(channel).tz  # each day as the channel's clock showed it
        return r.SavedList(tuple((paper, local(at, tz), who) for paper, at, who in saved_papers(uow, channel)))


def taste(service: Service, channel: ChannelRef, actor: Actor, command: c.ShowTaste) -> r.Reply:
    with service.uow() as uow:
        taste, taught, evidence = taste_now(uow, service.matcher, channel, service.clock(), service.signals_kept)
        uow.commit()  # a model trained for it is kept for the next post
    likes, dislikes = len(taught.liked), len(taught.disliked)
    if taste is None:
        return r.TasteShown(likes, dislikes, MIN_SIGNALS)
    from bot.feedback.weighing import weighing  # scikit-learn's: loaded already, since a model was trained

    found = weighing(taste, taught, evidence)
    return r.TasteShown(
        likes,
        dislikes,
        MIN_SIGNALS,
        found.words_for,
        found.words_against,
        found.topics_for,
        found.topics_against,
        found.liked,
        found.disliked,
    )


def show_ranking(service: Service, channel: ChannelRef, actor: Actor, command: c.ShowRanking) -> r.Reply:
    with service.uow() as uow:
        row = uow.channels.get(channel)
    return r.RankingSet(row.upvotes if row is not None else "normal", ephemeral=True)


def ranking(service: Service, channel: ChannelRef, actor: Actor, command: c.SetRanking) -> r.Reply:
    with service.uow() as uow:
        uow.channels.lock(channel).upvotes = command.upvotes
        reply = r.RankingSet(command.upvotes, actor.name)
        uow.audit.record(channel, actor.name, f"set upvotes to weigh {command.upvotes}")
        uow.commit()
    return reply


def warmup(service: Service, channel: ChannelRef, actor: Actor, command: c.WarmUp) -> r.Reply:
    """The kinds of the channel's recent matches it has not voted on, or (`pick`) its picks of them as votes."""
    with service.uow() as uow:
        if not uow.subscriptions.count(channel):
            return r.WarmUpKinds((), has_subscriptions=False)
        digest = build_digest(uow, service.matcher, channel, service.clock(), cap=None)
        said = set(uow.feedback.votes(str(channel)))
    from bot.feedback.paper_kinds import offer_of, paper_kinds  # scikit-learn's: only for this command

    kinds = tuple(paper_kinds([m for m in digest.matches if m.paper.key not in said]))
    if not command.picking:
        return r.WarmUpKinds(kinds, offer_of(kinds))
    if command.offer and command.offer != offer_of(kinds):
        raise BadCommand("Those kinds were answered or have changed since: /papers warmup shows them anew.")
    wrong = [n for n in command.picked if not 1 <= n <= len(kinds)]
    if wrong or not kinds:
        raise BadCommand(
            f"There is no kind {wrong[0] if wrong else ''} to pick: /papers warmup shows them.", usage="warmup"
        )
    votes = [
        (m.paper.key, "like" if number in command.picked else "dislike")
        for number, kind in enumerate(kinds, 1)
        for m in kind.typical
    ]
    with service.uow() as uow:  # the buttons' path: each vote is the picker's, once (a repeated pick adds none)
        for key, vote in votes:
            uow.feedback.give(str(channel), key, actor.id, vote, service.clock())
        uow.commit()
    likes = sum(vote == "like" for _, vote in votes)
    return r.KindsPicked(actor.name, tuple(kinds[n - 1].words for n in command.picked), likes, len(votes) - likes)


def forget_taste(service: Service, channel: ChannelRef, actor: Actor, command: c.ResetTaste) -> r.Reply:
    with service.uow() as uow:
        votes = uow.feedback.votes(str(channel))
        likes, dislikes = sum(v > 0 for v in votes.values()), sum(v < 0 for v in votes.values())
        if not command.confirm:
            raise BadCommand(
                f"That forgets this channel's {plural(likes, 'like')} and {plural(dislikes, 'dislike')} and "
                "what its posts learned from them (saved papers stay); to do it, type /papers taste reset confirm.",
                usage="taste",
            )
        uow.feedback.forget_votes(str(channel))
        uow.models.forget(str(channel))
        uow.audit.record(channel, actor.name, "reset the channel's taste")
        uow.commit()
    TASTES.forget(channel)
    return r.TasteReset(actor.name, likes, dislikes)
