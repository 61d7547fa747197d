"""Plain-text rendering of replies and digests for the terminal channel and `papers-bot say`."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from datetime import datetime
from typing import Any

from bot.chat import replies as r
from bot.domain import Digest, Found, Match, Paper
from bot.wording import clock_time, plural

WIDTH = 100


def _when(moment: datetime | None) -> str:
    return clock_time(moment)  # in the channel's (or person's) zone, which the core chose


def _authors(paper: Paper) -> str:
    if not paper.authors:
        return ""
    names = ", ".join(paper.authors[:3])
    return names + (" et al." if len(paper.authors) > 3 else "")


def _summary(paper: Paper, lines: int = 2) -> str:
    text = paper.ai_summary or paper.abstract
    return "\n".join(textwrap.wrap(text, WIDTH - 6, max_lines=lines, placeholder=" …"))


def paper_block(paper: Paper, number: int, extra: str = "") -> str:
    head = f"{number}. {paper.title}"
    facts = " · ".join(x for x in (_authors(paper), f"▲ {paper.upvotes}" if paper.upvotes else "") if x)
    links = "  ".join(
        f"{name}: {url}"
        for name, url in (
            ("arXiv", paper.abs_url),
            ("PDF", paper.pdf_url),
            ("HF", paper.hf_url),
            ("code", paper.code_url),
        )
        if url
    )
    parts = [head, facts, textwrap.indent(_summary(paper), "   "), links, extra]
    return "\n".join("   " + p if i and p and not p.startswith("   ") else p for i, p in enumerate(parts) if p)


def match_block(match: Match, number: int) -> str:
    why = "\n".join(("why: " if i == 0 else "        ") + line for i, line in enumerate(match.why))
    return paper_block(match.paper, number, why)  # one line per subscription that found it


def render_digest(digest: Digest) -> str:
    if not digest.matches:
        return "Nothing new matches this channel's subscriptions yet."
    blocks = [digest.title, ""] + [match_block(m, i) + "\n" for i, m in enumerate(digest.matches, 1)]
    if digest.more:
        blocks.append(f"… and {digest.more} more: /papers digest shows them.")
    return "\n".join(blocks).rstrip()


def _problem(reply: r.Problem) -> str:
    return "\n".join(x for x in (reply.message, reply.usage) if x)


def _help(reply: r.HelpText) -> str:
    width = max(len(usage) for usage, _ in reply.commands)
    lines = [f"{usage.ljust(width)}  {what}" for usage, what in reply.commands]
    return "\n".join(lines + (["For example:"] + ["  " + e for e in reply.examples] if reply.examples else []))


def _subscribed(reply: r.Subscribed) -> str:
    lines = [
        f"{reply.actor} subscribed {reply.where} to {reply.query} ({reply.understood}).",
        reply.estimate(),
    ]
    if reply.warning:
        lines.append(reply.warning)
    if reply.top:
        lines.append("Top matches:")
        lines += [match_block(m, i) for i, m in enumerate(reply.top, 1)]
    if reply.offers_warmup:
        lines.append(r.WARMUP_OFFER)
    return "\n".join(lines)


def _unsubscribed(reply: r.Unsubscribed) -> str:
    if not reply.queries:
        return f"{_cap(reply.where)} had no subscriptions."
    return f"{reply.actor} unsubscribed {reply.where} from " + ", ".join(reply.queries) + "."


def _list(reply: r.SubscriptionList) -> str:
    if not reply.subscriptions:
        return f"{_cap(reply.where)} has no subscriptions yet. Try /papers subscribe reinforcement-learning."
    lines = [f"{i}. {query}  ({understood})" for i, (query, understood) in enumerate(reply.subscriptions, 1)]
    lines.append(f"Posts {reply.schedule.describe()}; next {_when(reply.next_post)}.")
    if reply.weekly_best:
        lines.append(f"The week's best, most upvoted first: {reply.weekly_best.describe()}.")
    lines += filter(None, [reply.upvotes_line()])
    if reply.paused:
        lines.append(f"Delivery is paused: {reply.paused}")
    return "\n".join(lines)


def _found(reply: r.FindResults) -> str:
    if not reply.results:
        return reply.note or "Nothing found."
    return "\n\n".join(
        paper_block(f.paper, i, f"found by {f.how}" if f.how else "") for i, f in enumerate(reply.results, 1)
    )


def _preview(reply: r.DigestPreview) -> str:
    if not reply.has_subscriptions:
        return f"{_cap(reply.where)} has no subscriptions, so its digest is empty. Try /papers subscribe reinforcement-learning."
    return render_digest(reply.digest)


def _schedule(reply: r.ScheduleSet) -> str:
    next_post = f"; next {_when(reply.next_post)}" if reply.next_post else ""
    return " ".join(x for x in (f"{reply.actor} {reply.change()}{next_post}.", reply.silence()) if x)


def _topics(reply: r.TopicList) -> str:
    lines = [("  " * depth) + f"{slug}  {name}" for slug, name, depth in reply.topics]
    return "\n".join([*lines, f"({reply.count()})"])


def _status(reply: r.StatusReport) -> str:
    lines = [f"{plural(reply.papers, 'paper')} stored."]
    if not reply.sources:
        lines.append("Sources: none fetched yet; the papers came from files or the bundled set.")
    for s in reply.sources:
        error = f"; last error: {s.last_error}" if s.last_error else ""
        lines.append(f"{s.source}: last fetch {_when(s.last_success)}, {s.added} added{error}")
    if reply.subscriptions:
        lines.append("Subscriptions: " + ", ".join(reply.subscriptions))
        lines.append(
            f"Posts {reply.schedule.describe()}; last {_when(reply.last_post)}; next {_when(reply.next_post)}."
        )
    else:
        lines.append(f"{_cap(reply.where)} has no subscriptions.")
    lines += filter(None, [reply.upvotes_line()])
    if reply.paused:
        lines.append(f"Delivery is paused: {reply.paused}")
    lines += ["Recent changes:"] + ["  " + c for c in reply.changes] if reply.changes else []
    return "\n".join(lines)


def _card(card: r.PaperCard, number: int) -> str:
    dated = f"{card.paper.dated:%d %b %Y}" if card.paper.dated else ""
    topics = "topics: " + ", ".join(card.topics) if card.topics else ""
    return paper_block(card.paper, number, " · ".join(x for x in (dated, topics) if x))


def _looked_up(reply: r.LookedUp) -> str:
    parts = [_card(card, i) for i, card in enumerate(reply.cards, 1)]
    if reply.missing:
        parts.append("Neither stored nor known to arXiv: " + ", ".join(reply.missing))
    return "\n\n".join(parts) or "That names no paper: paste an arXiv, Hugging Face or alphaXiv link."


def _export(reply: r.ExportFile) -> str:
    if not reply.count:
        return "This channel has no subscriptions to export."
    return f"{reply.filename} ({plural(reply.count, 'subscription')}):\n{reply.content.rstrip()}"


def _imported(reply: r.Imported) -> str:
    lines = [f"{reply.actor} imported into this channel: {reply.describe()}"]
    lines += [f"line {number}: {why}" for number, why in reply.refused]
    return "\n".join(lines)


def _feedback(reply: r.FeedbackNoted) -> str:
    return reply.sentence(f"“{reply.paper.title}” ({reply.paper.arxiv_id or reply.paper.key})")


def _saved(reply: r.SavedList) -> str:
    if not reply.papers:
        return "This channel has saved no papers yet: /papers save <arXiv id> keeps one."
    blocks = [
        paper_block(paper, i, f"saved by {who} on {at:%d %b %Y}") for i, (paper, at, who) in enumerate(reply.papers, 1)
    ]
    return "\n\n".join(blocks)


def _explained(reply: r.Explained) -> str:
    return "\n".join([reply.paper.title, *(f"  {query}: {why}" for query, why in reply.lines())])


def _taste(reply: r.TasteShown) -> str:
    return "\n".join(reply.lines(str, lambda paper: f"“{_short(paper.title)}”"))


def _taste_reset(reply: r.TasteReset) -> str:
    return f"{reply.actor} {reply.describe()}"


def _short(title: str) -> str:
    title = " ".join(title.split())
    return title if len(title) <= 80 else title[:79] + "…"


def _warmup(reply: r.WarmUpKinds) -> str:
    if not reply.kinds:
        return reply.heading()
    lines = [reply.heading(), ""]
    for number, kind in enumerate(reply.kinds, 1):
        lines += [reply.kind_line(number, kind), *(f"   “{_short(m.paper.title)}”" for m in kind.typical), ""]
    return "\n".join([*lines, reply.how_to_pick("Pick the ones it wants with /papers warmup pick 1 3")])


def _kinds_picked(reply: r.KindsPicked) -> str:
    return f"{reply.actor} {reply.describe()}"


def _ranking(reply: r.RankingSet) -> str:
    return f"{reply.actor} {reply.describe()}" if reply.actor else reply.describe()


def _club(reply: r.ClubBallot) -> str:
    """The terminal has one person and no poll: it lists the candidates and says so, rather than hold a vote."""
    papers = "\n\n".join(paper_block(m.paper, i) for i, m in enumerate(reply.matches, 1))
    return (
        f"Journal club: this week's top {len(reply.matches)} papers\n\n{papers}\n\n"
        "A vote needs a Slack or Discord channel (a poll there, the winner announced when it closes); "
        "here, read the one you like."
    )


def _feed_link(reply: r.FeedLink) -> str:
    return "\n".join(reply.lines())


RENDERERS: dict[type, Callable[[Any], str]] = {
    r.Problem: _problem,
    r.HelpText: _help,
    r.Subscribed: _subscribed,
    r.Unsubscribed: _unsubscribed,
    r.SubscriptionList: _list,
    r.FindResults: _found,
    r.DigestPreview: _preview,
    r.ScheduleSet: _schedule,
    r.TopicList: _topics,
    r.StatusReport: _status,
    r.LookedUp: _looked_up,
    r.ExportFile: _export,
    r.Imported: _imported,
    r.FeedbackNoted: _feedback,
    r.SavedList: _saved,
    r.Explained: _explained,
    r.TasteShown: _taste,
    r.TasteReset: _taste_reset,
    r.RankingSet: _ranking,
    r.WarmUpKinds: _warmup,
    r.KindsPicked: _kinds_picked,
    r.ClubBallot: _club,
    r.VoteNoted: lambda reply: reply.message,
    r.FeedLink: _feed_link,
}


def _cap(where: str) -> str:
    return where[:1].upper() + where[1:]


def render(reply: r.Reply) -> str:
    """The text of any reply, chosen by its type."""
    return RENDERERS[type(reply)](reply)


def found_line(found: Found) -> str:
    return f"{found.score:6.1f}  {found.paper.arxiv_id or '-':<12} {found.paper.title}"
