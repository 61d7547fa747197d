"""Block Kit for every chat reply, chosen by the reply's type, with a plain `text` fallback."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from adapters.slack.club import ballot_blocks
from adapters.slack.limits import MAX_PAGES, pages
from adapters.slack.render import (  # one escape, one cut, one paper layout
    MAX_CONTEXT,
    MAX_FALLBACK,
    MAX_HEADER,
    MAX_SECTION,
    MAX_TITLE,
    PAGE_ACTION,
    fit,
    kinds_picker,
    paper_text,
    render_part,
    text,
    warmup_button,
)
from adapters.slack.render import line as one_line
from adapters.slack.unfurls import card_blocks
from bot.chat import replies as r
from bot.delivery.senders import Part
from bot.domain import Digest, Match
from bot.wording import clock_time, plural

Block = dict[str, Any]

PREVIEW_PAPERS = 10  # a page of the preview: one section and one divider each, and the page buttons
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
    return clock_time(moment, never="not scheduled")  # in the channel's (or person's) zone, which the core chose


def _problem(reply: r.Problem, who: str) -> list[Block]:
    blocks = [section(":warning: " + text(reply.message))]
    usage = reply.usage.removeprefix("Usage: ")  # the core writes the label; we set the command in code
    return blocks + ([context("Usage: " + code(usage))] if usage else [])


def _help(reply: r.HelpText, who: str) -> list[Block]:
    return [
        header("papers-bot commands"),
        *sections(f"{code(usage)}  {text(what, 500)}" for usage, what in reply.commands),
        *([context("For example: " + "  ".join(code(e) for e in reply.examples))] if reply.examples else []),
    ]


def _papers(matches: Iterable[Match], compact: bool = False) -> list[Block]:
    blocks: list[Block] = []
    for match in matches:
        blocks += [{"type": "divider"}, section(paper_text(match, compact))]
    return blocks


def _cap(where: str) -> str:
    return where[:1].upper() + where[1:]


def _subscribed(reply: r.Subscribed, who: str) -> list[Block]:
    blocks = [
        section(f"{who} subscribed {reply.where} to {code(reply.query)} ({text(reply.understood, 500)})."),
        context(reply.estimate()),
    ]
    if reply.warning:
        blocks.append(section(":bulb: " + text(reply.warning)))
    if reply.top:
        blocks += [context("Top matches of the last days:"), *_papers(reply.top, compact=True)]
    if reply.offers_warmup:
        blocks += [context(":mortar_board: " + r.WARMUP_OFFER), warmup_button(r.WARMUP_BUTTON)]
    return blocks


def _unsubscribed(reply: r.Unsubscribed, who: str) -> list[Block]:
    if not reply.queries:
        return [section(f"{_cap(reply.where)} had no subscriptions.")]
    return [section(f"{who} unsubscribed {reply.where} from " + ", ".join(code(q) for q in reply.queries) + ".")]


def _list(reply: r.SubscriptionList, who: str) -> list[Block]:
    if not reply.subscriptions:
        return [
            section(f"{_cap(reply.where)} has no subscriptions yet. Try `/papers subscribe reinforcement-learning`.")
        ]
    lines = [
        f"{i}. {code(query)}  {text(understood, 300)}" for i, (query, understood) in enumerate(reply.subscriptions, 1)
    ]
    blocks = [*sections(lines), context(f"Posts {text(reply.schedule.describe())}; next {when(reply.next_post)}.")]
    if reply.weekly_best:
        blocks.append(context(f"The week's best, most upvoted first: {text(reply.weekly_best.describe())}."))
    blocks += [context(text(line)) for line in filter(None, [reply.upvotes_line()])]
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
    return preview_page(reply, 0)


def preview_page(reply: r.DigestPreview, page: int) -> list[Block]:
    """One page of the preview, as the post lays papers out, with buttons to the pages before and after."""
    if not reply.has_subscriptions:
        return [
            section(
                f"{_cap(reply.where)} has no subscriptions, so its digest is empty. "
                "Try `/papers subscribe reinforcement-learning`."
            )
        ]
    if not reply.digest.matches:
        return [section(f"Nothing new matches {reply.where}'s subscriptions yet.")]
    digest, total = reply.digest, len(reply.digest.matches) + reply.digest.more
    pages = -(-len(digest.matches) // PREVIEW_PAPERS)
    page = min(max(page, 0), pages - 1)
    shown = digest.matches[page * PREVIEW_PAPERS : (page + 1) * PREVIEW_PAPERS]
    one_page = Digest(digest.channel, shown, 0, digest.title, digest.created_at)
    _, blocks = render_part(one_page, Part(0, 1, one_page.papers))  # as the sender lays a post out
    first = page * PREVIEW_PAPERS + 1
    where = f"Papers {first}–{first + len(shown) - 1} of {total}"
    buttons = [
        _button(f"{PAGE_ACTION}_previous", "◀ Previous", page - 1) if page > 0 else None,
        _button(
            f"{PAGE_ACTION}_next",
            f"Next {min(PREVIEW_PAPERS, len(digest.matches) - first - len(shown) + 1)} ▶",
            page + 1,
        )
        if page < pages - 1
        else None,
    ]
    actions = [{"type": "actions", "elements": [b for b in buttons if b]}] if any(buttons) else []
    return [context(f"Preview: only you see this; nothing was posted. {where}."), *blocks, *actions]


def _button(action_id: str, label: str, page: int) -> dict[str, Any]:
    return {"type": "button", "action_id": action_id, "text": {"type": "plain_text", "text": label}, "value": str(page)}


def _schedule(reply: r.ScheduleSet, who: str) -> list[Block]:
    next_post = f"; next {when(reply.next_post)}" if reply.next_post else ""
    return [section(" ".join(x for x in (f"{who} {text(reply.change())}{next_post}.", reply.silence()) if x))]


def _topics(reply: r.TopicList, who: str) -> list[Block]:
    lines = ["\u2003" * depth + f"• {code(slug)} {text(name, 200)}" for slug, name, depth in reply.topics]
    return [
        *sections(lines),
        context(f"{reply.count()} · subscribe with `/papers subscribe &lt;slug&gt;`"),
    ]


def _status(reply: r.StatusReport, who: str) -> list[Block]:
    lines = [f"*{plural(reply.papers, 'paper')} stored.*"]
    if not reply.sources:
        lines.append("Sources: none fetched yet; the papers came from files or the bundled set.")
    for s in reply.sources:
        error = f"; last error: {text(s.last_error, 300)}" if s.last_error else ""
        lines.append(f"{text(s.source, 100)}: last fetch {when(s.last_success)}, {s.added} added{error}")
    if reply.subscriptions:
        lines.append("Subscriptions: " + ", ".join(code(q) for q in reply.subscriptions))
        lines.append(
            f"Posts {text(reply.schedule.describe())}; last {when(reply.last_post)}; next {when(reply.next_post)}."
        )
    else:
        lines.append(f"{_cap(reply.where)} has no subscriptions.")
    lines += [text(line) for line in filter(None, [reply.upvotes_line()])]
    if reply.paused:
        lines.append("Delivery is paused: " + text(reply.paused))
    blocks = sections(lines)
    if reply.changes:
        blocks += [context("Recent changes:"), *sections(text(change, 500) for change in reply.changes)]
    return blocks


def _looked_up(reply: r.LookedUp, who: str) -> list[Block]:
    blocks: list[Block] = []
    for card in reply.cards:
        blocks += [{"type": "divider"}] if blocks else []
        blocks += card_blocks(card)
    if reply.missing:
        blocks.append(context("Neither stored nor known to arXiv: " + ", ".join(code(i) for i in reply.missing)))
    return blocks or [section("That names no paper: paste an arXiv, Hugging Face or alphaXiv link.")]


def _export(reply: r.ExportFile, who: str) -> list[Block]:
    # Shown only when the file could not be uploaded: the lines themselves, to copy.
    if not reply.count:
        return [section("This channel has no subscriptions to export.")]
    body = text(reply.content.replace("`", "'"), MAX_SECTION - 10)
    return [section(f"*{text(reply.filename, 100)}* ({plural(reply.count, 'subscription')})"), section(f"```{body}```")]


def _imported(reply: r.Imported, who: str) -> list[Block]:
    blocks = [section(f"{who} imported into this channel: {text(reply.describe(), 500)}")]
    refused = [f"line {number}: {text(why, 300)}" for number, why in reply.refused]
    return blocks + sections(refused)


def _feedback(reply: r.FeedbackNoted, who: str) -> list[Block]:
    return [section(reply.sentence("*" + one_line(reply.paper.title, MAX_TITLE) + "*"))]


def _explained(reply: r.Explained, who: str) -> list[Block]:
    head = section("Why *" + one_line(reply.paper.title, MAX_TITLE) + "* would be posted here:")
    return [head, *sections(f"{code(query)}  {text(why, 2500)}" for query, why in reply.lines())]


def _taste(reply: r.TasteShown, who: str) -> list[Block]:
    return sections(reply.lines(code, lambda paper: "*" + one_line(paper.title, 100) + "*"))


def _taste_reset(reply: r.TasteReset, who: str) -> list[Block]:
    return [section(f"{who} {text(reply.describe(), 500)}")]


def _warmup(reply: r.WarmUpKinds, who: str) -> list[Block]:
    blocks = [section(text(reply.heading(), 500))]
    for number, kind in enumerate(reply.kinds, 1):
        shown = "".join(f"\n“{text(one_line(m.paper.title, 150))}”" for m in kind.typical)
        blocks.append(section(f"*{text(reply.kind_line(number, kind), 300)}*{shown}"))
    if reply.kinds:
        labels = [reply.kind_line(number, kind) for number, kind in enumerate(reply.kinds, 1)]
        blocks += [
            kinds_picker(labels, reply.offer),
            context(text(reply.how_to_pick("Tick the ones it wants, then Done"))),
        ]
    return blocks


def _kinds_picked(reply: r.KindsPicked, who: str) -> list[Block]:
    return [section(f"{who} {text(reply.describe(), 1000)}")]


def _ranking(reply: r.RankingSet, who: str) -> list[Block]:
    return [section(f"{who} {text(reply.describe())}" if reply.actor else text(reply.describe()))]


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


def _feed_link(reply: r.FeedLink, who: str) -> list[Block]:
    return sections(text(line, 500) for line in reply.lines())  # the URLs are the bot's own: Slack links them


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
    r.ClubBallot: lambda reply, who: ballot_blocks(reply),
    r.VoteNoted: lambda reply, who: [section(text(reply.message))],
    r.FeedLink: _feed_link,
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
