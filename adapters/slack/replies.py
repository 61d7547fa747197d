"""Block Kit for every chat reply, chosen by the reply's type, with a plain `text` fallback."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from adapters.slack.limits import MAX_PAGES, pages
from adapters.slack.render import (  # one escape, one cut, one paper layout
    MAX_CONTEXT,
    MAX_FALLBACK,
    MAX_HEADER,
    MAX_SECTION,
    MAX_TITLE,
    fit,
    paper_text,
    render_part,
    text,
)
from adapters.slack.render import line as one_line
from bot.chat import replies as r
from bot.delivery.senders import Part
from bot.domain import Digest, Match

Block = dict[str, Any]

PREVIEW_PAPERS = 20  # one section and one divider each, under the 50-block limit with room to spare
USER_ID = re.compile(r"^[UW][A-Z0-9]+$")


def section(mrkdwn: str) -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": fit(mrkdwn, MAX_SECTION)}}


def context(mrkdwn: str) -> Block:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": fit(mrkdwn, MAX_CONTEXT)}]}


def header(plain: str) -> Block:
    # Only our own words go into headers: plain_text is not escaped by Slack's rules.
    return {"type": "header", "text": {"type": "plain_text", "text": plain[:MAX_HEADER], "emoji": True}}


def sections(lines: Iterable[str]) -> list[Block]:
    """Escaped lines packed into as few sections as fit; a line is never split across two."""
    blocks: list[Block] = []
    current = ""
    for line in lines:
        line = fit(line, MAX_SECTION)
        if current and len(current) + 1 + len(line) > MAX_SECTION:
            blocks.append(section(current))
            current = ""
        current = f"{current}\n{line}" if current else line
    return blocks + ([section(current)] if current else [])


def code(raw: str) -> str:
    return "`" + text(raw.replace("`", "'"), 300) + "`"


def when(moment: datetime | None) -> str:
    return f"{moment:%a %d %b %H:%M} UTC" if moment else "not scheduled"


def _problem(reply: r.Problem, who: str) -> list[Block]:
    blocks = [section(":warning: " + text(reply.message))]
    usage = reply.usage.removeprefix("Usage: ")  # the core writes the label; we set the command in code
    return blocks + ([context("Usage: " + code(usage))] if usage else [])


def _help(reply: r.HelpText, who: str) -> list[Block]:
    return [
        header("papers-bot commands"),
        *sections(f"{code(usage)}  {text(what, 500)}" for usage, what in reply.commands),
    ]


def _papers(matches: Iterable[Match], compact: bool = False) -> list[Block]:
    blocks: list[Block] = []
    for match in matches:
        blocks += [{"type": "divider"}, section(paper_text(match, compact))]
    return blocks


def _subscribed(reply: r.Subscribed, who: str) -> list[Block]:
    blocks = [
        section(f"{who} subscribed this channel to {code(reply.query)} ({text(reply.understood, 500)})."),
        context(f"Over the last {reply.days} days that would have been about {reply.per_day:.1f} papers a day."),
    ]
    if reply.warning:
        blocks.append(section(":bulb: " + text(reply.warning)))
    if reply.top:
        blocks += [context("Top matches of the last days:"), *_papers(reply.top, compact=True)]
    return blocks


def _unsubscribed(reply: r.Unsubscribed, who: str) -> list[Block]:
    if not reply.queries:
        return [section("This channel had no subscriptions.")]
    return [section(f"{who} unsubscribed this channel from " + ", ".join(code(q) for q in reply.queries) + ".")]


def _list(reply: r.SubscriptionList, who: str) -> list[Block]:
    if not reply.subscriptions:
        return [section("This channel has no subscriptions yet. Try `/papers subscribe reinforcement-learning`.")]
    lines = [
        f"{i}. {code(query)}  {text(understood, 300)}" for i, (query, understood) in enumerate(reply.subscriptions, 1)
    ]
    blocks = [*sections(lines), context(f"Posts {text(reply.schedule.describe())}; next {when(reply.next_post)}.")]
    return blocks + ([section(":pause_button: Delivery is paused: " + text(reply.paused))] if reply.paused else [])


def _found(reply: r.FindResults, who: str) -> list[Block]:
    if not reply.results:
        return [section(text(reply.note or "Nothing found."))]
    matches = [Match(f.paper, f.score, (f.how,) if f.how else ()) for f in reply.results]
    return (
        [section(f"Papers for {code(reply.text)}")]
        + _papers(matches)
        + ([context(text(reply.note))] if reply.note else [])
    )


def _preview(reply: r.DigestPreview, who: str) -> list[Block]:
    if not reply.has_subscriptions:
        return [
            section(
                "This channel has no subscriptions, so its digest is empty. "
                "Try `/papers subscribe reinforcement-learning`."
            )
        ]
    if not reply.digest.matches:
        return [section("Nothing new matches this channel's subscriptions yet.")]
    digest, shown = reply.digest, reply.digest.matches[:PREVIEW_PAPERS]
    digest = Digest(
        digest.channel, shown, digest.more + len(digest.matches) - len(shown), digest.title, digest.created_at
    )
    _, blocks = render_part(digest, Part(0, 1, digest.papers))  # the post as one message, as the sender lays it out
    return [context("Preview: only you see this; nothing was posted."), *blocks]


def _schedule(reply: r.ScheduleSet, who: str) -> list[Block]:
    return [
        section(f"{who} set this channel's post to {text(reply.schedule.describe())}; next {when(reply.next_post)}.")
    ]


def _topics(reply: r.TopicList, who: str) -> list[Block]:
    lines = ["\u2003" * depth + f"• {code(slug)} {text(name, 200)}" for slug, name, depth in reply.topics]
    return [
        *sections(lines),
        context(f"{len(reply.topics)} of {reply.total} topics · subscribe with `/papers subscribe &lt;slug&gt;`"),
    ]


def _status(reply: r.StatusReport, who: str) -> list[Block]:
    lines = [f"*{reply.papers:,} papers stored.*"]
    for s in reply.sources:
        error = f"; last error: {text(s.last_error, 300)}" if s.last_error else ""
        lines.append(f"{text(s.source, 100)}: last fetch {when(s.last_success)}, {s.added} added{error}")
    if reply.subscriptions:
        lines.append("Subscriptions: " + ", ".join(code(q) for q in reply.subscriptions))
        lines.append(
            f"Posts {text(reply.schedule.describe())}; last {when(reply.last_post)}; next {when(reply.next_post)}."
        )
    else:
        lines.append("This channel has no subscriptions.")
    if reply.paused:
        lines.append("Delivery is paused: " + text(reply.paused))
    blocks = sections(lines)
    if reply.changes:
        blocks += [context("Recent changes:"), *sections(text(change, 500) for change in reply.changes)]
    return blocks


def _feedback(reply: r.FeedbackNoted, who: str) -> list[Block]:
    return [section(reply.sentence("*" + one_line(reply.paper.title, MAX_TITLE) + "*"))]


def _saved(reply: r.SavedList, who: str) -> list[Block]:
    if not reply.papers:
        return [
            section(
                "This channel has saved no papers yet: `/papers save <arXiv id>` keeps one.".replace(
                    "<", "&lt;"
                ).replace(">", "&gt;")
            )
        ]
    shown = reply.papers[:PREVIEW_PAPERS]
    matches = [Match(paper, 0.0, (f"saved by {saver} on {at:%d %b %Y}",)) for paper, at, saver in shown]
    left = len(reply.papers) - len(shown)
    return (
        [section(f"*{len(reply.papers)} saved papers in this channel*")]
        + _papers(matches)
        + ([context(f"and {left} more: `papers-bot saved CHANNEL --bibtex` exports them all")] if left else [])
    )


RENDERERS: dict[type, Callable[[Any, str], list[Block]]] = {
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
    r.FeedbackNoted: _feedback,
    r.SavedList: _saved,
}


def fallback(blocks: list[Block]) -> str:
    """The notification text: the first text of the message, already escaped, within limits."""
    for block in blocks:
        if block["type"] == "section":
            return fit(block["text"]["text"], MAX_FALLBACK)
    return "papers-bot"


def render_pages(reply: r.Reply, actor_id: str | None = None, max_pages: int = MAX_PAGES) -> list[dict[str, Any]]:
    """The reply as one or more messages (`text`, `blocks`, `response_type`), each within Slack's limits."""
    actor = getattr(reply, "actor", "")
    who = f"<@{actor_id}>" if actor_id and USER_ID.match(actor_id) else "*" + text(actor or "someone", 80) + "*"
    blocks = RENDERERS[type(reply)](reply, who)
    message = {
        "text": fallback(blocks),
        "blocks": blocks,
        "response_type": "ephemeral" if reply.ephemeral else "in_channel",
    }
    return pages(message, max_pages)


def render(reply: r.Reply, actor_id: str | None = None) -> dict[str, Any]:
    """One message for `ack`, `respond` or `chat.postMessage`: the first page, saying what is left out."""
    return render_pages(reply, actor_id, max_pages=1)[0]
