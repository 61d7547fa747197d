"""Discord embeds for every reply and for digests: escaped, inside Discord's limits, mentions inert."""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import quote, urlsplit

import discord

from bot.chat import replies as r
from bot.domain import Found, Match, Paper

TITLE, DESCRIPTION, FIELD, FOOTER, AUTHOR, CONTENT, TOTAL, EMBEDS = 256, 4096, 1024, 2048, 256, 2000, 6000, 10
SUMMARY = 400  # per paper: with the caps below, three paper embeds always fit the 6,000 total
PAGE = 3  # papers per page of find results and digest previews
COLOUR = discord.Colour(0xFFD21E)
NO_MENTIONS = discord.AllowedMentions.none()

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")
_MENTION_OPENER = re.compile(r"<(?=[@#:/a-zA-Z])")  # <@id> <@&id> <#id> </cmd:id> <t:..> <a:emoji:id>


@dataclass
class Message:
    """What one Discord message (or interaction answer) holds; `pages` > 1 means it wants paging buttons."""

    content: str = ""
    embeds: list[discord.Embed] = field(default_factory=list)
    ephemeral: bool = True
    page: int = 0
    pages: int = 1
    attachment: tuple[str, bytes] | None = None  # (file name, content): an export
    feedback: tuple[str, ...] = ()  # paper keys that get More / Less / Save buttons (views.feedback_view)

    def kwargs(self) -> dict[str, Any]:
        files = {"files": [discord.File(io.BytesIO(self.attachment[1]), self.attachment[0])]} if self.attachment else {}
        return {"content": self.content or None, "embeds": self.embeds, "allowed_mentions": NO_MENTIONS} | files


# --- untrusted text ---------------------------------------------------------------------------


def plain(text: str | None) -> str:
    """Control and bidi characters out, lines kept: for footers and author names (no markdown there)."""
    return _CONTROL.sub("", text or "").replace("\r", "")


def inert(text: str | None) -> str:
    """For text Discord shows without markdown (footers, author lines, names): still no mention forms."""
    return _MENTION_OPENER.sub("<\u200b", plain(text).replace("@", "@\u200b"))


def escape(text: str | None) -> str:
    """Markdown shown as typed, and no `@`/`<@&id>`/`<#id>` form that Discord could turn into a mention."""
    # escape_markdown treats a whole `[text](url)` as one unit and leaves the markup inside it live, and
    # a lone `]` could close a link we build around the text: escape each piece between brackets on its
    # own, and every bracket.
    pieces = re.split(r"([\[\]])", plain(text))
    text = "".join("\\" + p if p in ("[", "]") else discord.utils.escape_markdown(p) for p in pieces)
    text = re.sub(r"(?m)^(\s*\d+)\.", r"\1\\.", text)  # "1. " would start a list
    return _MENTION_OPENER.sub("<\u200b", text.replace("@", "@\u200b"))


def code(text: str | None) -> str:
    """User input shown as inline code: nothing inside renders; a backtick could end it, so it is replaced."""
    inner = inert(text).replace("`", "ˋ").replace("\n", " ").strip()
    return f"`{inner}`" if inner else "` `"


def core_text(text: str | None) -> str:
    """A sentence from the core, whose `spans` are meant as code: escape the rest, keep the spans as code."""
    pieces = re.split(r"`([^`\n]*)`", text or "")
    return "".join(code(p) if i % 2 else escape(p) for i, p in enumerate(pieces))


def fit(text: str | None, limit: int, render: Callable[[str], str] = escape) -> str:
    """Render, then cut the *raw* text until the rendered form fits: an escape is never cut in half."""
    raw = text or ""
    longer = len(raw) > 2 * limit + 64  # more than can ever show: rendering all of it would only cost time
    raw = raw[: 2 * limit + 64]
    out = render(raw)
    cut = len(raw)
    while longer or len(out) > limit:
        longer = False
        cut = max(0, min(cut - 1, cut * (limit - 1) // max(len(out), 1)))  # escapes make the rendered form longer
        out = render(raw[:cut].rstrip()) + "…"
    return out


def safe_url(url: str | None) -> str | None:
    """Only http(s) links with a host; characters that could end a markdown link are percent-encoded."""
    if not url or len(url) > 1000 or _CONTROL.search(url):
        return None
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return quote(url.strip(), safe=":/?#[]@!$&'*+,;=%~")


def when(moment: datetime | None) -> str:
    """A Discord timestamp: every reader sees it in their own time zone."""
    return f"<t:{int(moment.timestamp())}:f>" if moment else "never"


# --- papers -----------------------------------------------------------------------------------


def authors(paper: Paper) -> str:
    names = ", ".join(paper.authors[:3])
    return names + (" et al." if len(paper.authors) > 3 else "")


def links(paper: Paper, limit: int = FIELD) -> str:
    """The paper's links as markdown, whole links only, as many as fit in a field (long code or project URLs do not)."""
    named = (
        ("arXiv", paper.abs_url),
        ("PDF", paper.pdf_url),
        ("HF", paper.hf_url),
        ("code", paper.code_url),
        ("project", paper.project_url),
    )
    kept: list[str] = []
    for name, raw in named:
        url = safe_url(raw)
        link = f"[{name}]({url})" if url else ""
        if link and len(" · ".join([*kept, link])) <= limit:
            kept.append(link)
    return " · ".join(kept)


def paper_embed(paper: Paper, why: str = "", footer: str = "") -> discord.Embed:
    embed = discord.Embed(
        title=fit(" ".join(plain(paper.title).split()), TITLE),
        url=safe_url(paper.abs_url),
        description=fit(paper.ai_summary or paper.abstract, SUMMARY),
        colour=COLOUR,
        timestamp=paper.published_at,
    )
    if paper.authors:
        embed.add_field(name="Authors", value=fit(authors(paper), 200), inline=True)
    if paper.upvotes:
        embed.add_field(name="Upvotes", value=f"▲ {paper.upvotes}", inline=True)
    if text := links(paper):
        embed.add_field(name="Links", value=text, inline=False)
    if thumbnail := safe_url(paper.thumbnail_url):
        embed.set_thumbnail(url=thumbnail)
    lines = [fit(why, 300, inert)] if why else []
    embed.set_footer(text="\n".join(lines + ([footer] if footer else [])) or None)
    return embed


def match_embed(match: Match, footer: str = "") -> discord.Embed:
    return paper_embed(match.paper, "Why: " + "\n".join(match.why) if match.why else "", footer)


def found_embed(found: Found) -> discord.Embed:
    return paper_embed(found.paper, found.how)


def size(embeds: Sequence[discord.Embed]) -> int:
    """What counts against the 6,000 characters of one message."""
    return sum(len(e) for e in embeds)


def pages_of(count: int) -> int:
    return max(1, -(-count // PAGE))


def fit_lines(lines: Sequence[str], limit: int) -> str:
    """Whole lines only, as many as fit, then an ellipsis line."""
    kept: list[str] = []
    used = 0
    for line in lines:
        if used + len(line) + 1 > limit - 2:
            kept.append("…")
            break
        kept.append(line)
        used += len(line) + 1
    return "\n".join(kept)


def paged(embeds: list[discord.Embed], page: int) -> tuple[list[discord.Embed], int, int]:
    """The embeds of one page, the page shown (clamped) and the number of pages."""
    pages = pages_of(len(embeds))
    page = min(max(page, 0), pages - 1)
    return embeds[page * PAGE : (page + 1) * PAGE], page, pages


# --- replies, one renderer per type -----------------------------------------------------------


def _problem(reply: r.Problem, page: int) -> Message:
    usage = f"\n{code(reply.usage)}" if reply.usage else ""
    return Message(fit(reply.message, 1500, core_text) + usage, ephemeral=reply.ephemeral)


def _help(reply: r.HelpText, page: int) -> Message:
    lines = [f"{code(usage)} {escape(what)}" for usage, what in reply.commands]
    lines += ["For example:", *(code(e) for e in reply.examples)] if reply.examples else []
    embed = discord.Embed(title="papers-bot", description=fit_lines(lines, DESCRIPTION), colour=COLOUR)
    return Message(embeds=[embed], ephemeral=reply.ephemeral)


def _cap(where: str) -> str:
    return where[:1].upper() + where[1:]


def _subscribed(reply: r.Subscribed, page: int) -> Message:
    lines = [
        f"**{fit(reply.actor, 100)}** subscribed {reply.where} to {code(reply.query[:300])} "
        f"({fit(reply.understood, 300, core_text)}).",
        f"Over the last {reply.days} days that would have been about {reply.per_day:.1f} papers a day.",
    ]
    if reply.warning:
        lines.append(fit(reply.warning, 400, core_text))
    return Message("\n".join(lines), [match_embed(m) for m in reply.top[:PAGE]], ephemeral=reply.ephemeral)


def _unsubscribed(reply: r.Unsubscribed, page: int) -> Message:
    if not reply.queries:
        return Message(f"{_cap(reply.where)} had no subscriptions.", ephemeral=reply.ephemeral)
    what = fit_lines([code(q[:200]) for q in reply.queries], 1500).replace("\n", ", ")
    return Message(f"**{fit(reply.actor, 100)}** unsubscribed {reply.where} from {what}.", ephemeral=reply.ephemeral)


def _list(reply: r.SubscriptionList, page: int) -> Message:
    if not reply.subscriptions:
        return Message(
            f"{_cap(reply.where)} has no subscriptions yet. Try `/papers subscribe reinforcement-learning`.",
            ephemeral=reply.ephemeral,
        )
    lines = [
        f"{i}\\. {code(q[:300])} {fit(understood, 300, core_text)}"
        for i, (q, understood) in enumerate(reply.subscriptions, 1)
    ]
    embed = discord.Embed(
        title=f"{_cap(reply.where)} follows", description=fit_lines(lines, DESCRIPTION), colour=COLOUR
    )
    embed.add_field(
        name="Posts", value=f"{escape(reply.schedule.describe())}; next {when(reply.next_post)}", inline=False
    )
    if reply.weekly_best:
        embed.add_field(name="The week's best", value=escape(reply.weekly_best.describe()), inline=False)
    if reply.paused:
        embed.add_field(name="Paused", value=fit(reply.paused, FIELD, core_text), inline=False)
    return Message(embeds=[embed], ephemeral=reply.ephemeral)


def _found(reply: r.FindResults, page: int) -> Message:
    if not reply.results:
        return Message(fit(reply.note or "Nothing found.", 1500, core_text), ephemeral=reply.ephemeral)
    embeds, page, pages = paged([found_embed(f) for f in reply.results], page)
    # The query rides in the first embed's author line (plain text, never rendered), so that the
    # paging buttons can run it again after a restart; see adapters/discord/views.py FindPage.
    embeds[0].set_author(name=fit(FIND_PREFIX + reply.text, AUTHOR, inert))
    note = f" · page {page + 1}/{pages}" if pages > 1 else ""
    return Message(f"Results for {code(reply.text[:200])}{note}", embeds, reply.ephemeral, page, pages)


FIND_PREFIX = "find: "


def _preview(reply: r.DigestPreview, page: int) -> Message:
    digest = reply.digest
    if not reply.has_subscriptions:
        return Message(
            f"{_cap(reply.where)} has no subscriptions, so its digest is empty. "
            "Try `/papers subscribe reinforcement-learning`.",
            ephemeral=reply.ephemeral,
        )
    if not digest.matches:
        return Message(f"Nothing new matches {reply.where}'s subscriptions yet.", ephemeral=reply.ephemeral)
    embeds, page, pages = paged([match_embed(m) for m in digest.matches], page)
    note = f" · page {page + 1}/{pages}" if pages > 1 else ""
    more = f"\n… and {digest.more} more after these." if digest.more and page == pages - 1 else ""
    return Message(f"**Preview: {fit(digest.title, 300)}**{note}{more}", embeds, reply.ephemeral, page, pages)


def _schedule(reply: r.ScheduleSet, page: int) -> Message:
    return Message(
        f"**{fit(reply.actor, 100)}** set {reply.where}'s {reply.post} to {escape(reply.schedule.describe())}; "
        f"next {when(reply.next_post)}.",
        ephemeral=reply.ephemeral,
    )


def _topics(reply: r.TopicList, page: int) -> Message:
    lines = ["\u2003" * depth + f"{code(slug)} {escape(name)}" for slug, name, depth in reply.topics]
    embed = discord.Embed(
        title="Topics" + (f" starting with {fit(reply.prefix, 60)}" if reply.prefix else ""),
        description=fit_lines(lines, DESCRIPTION),
        colour=COLOUR,
    )
    embed.set_footer(text=f"{len(reply.topics)} of {reply.total} topics · /papers subscribe <slug>")
    return Message(embeds=[embed], ephemeral=reply.ephemeral)


def _status(reply: r.StatusReport, page: int) -> Message:
    embed = discord.Embed(title="papers-bot status", description=f"{reply.papers:,} papers stored.", colour=COLOUR)
    sources = [
        f"**{escape(s.source)}**: last fetch {when(s.last_success)}, {s.added} added"
        + (f"; last error: {fit(s.last_error, 200)}" if s.last_error else "")
        for s in reply.sources
    ]
    sources = sources or ["none fetched yet; the papers came from files or the bundled set"]
    embed.add_field(name="Sources", value=fit_lines(sources, FIELD), inline=False)
    follows = fit_lines([code(q[:200]) for q in reply.subscriptions], FIELD) or "nothing yet"
    embed.add_field(name="Subscriptions", value=follows, inline=False)
    embed.add_field(
        name="Posts",
        value=f"{escape(reply.schedule.describe())}; last {when(reply.last_post)}; next {when(reply.next_post)}",
        inline=False,
    )
    if reply.paused:
        embed.add_field(name="Paused", value=fit(reply.paused, FIELD, core_text), inline=False)
    if reply.changes:
        embed.add_field(name="Recent changes", value=fit_lines([escape(c) for c in reply.changes], FIELD), inline=False)
    return Message(embeds=[embed], ephemeral=reply.ephemeral)


def card_embed(card: r.PaperCard) -> discord.Embed:
    """A paper named by a link: the paper's embed, with the topics it belongs to."""
    embed = paper_embed(card.paper)
    if card.topics:
        embed.add_field(name="Topics", value=fit(", ".join(card.topics), 300), inline=False)
    return embed


def _looked_up(reply: r.LookedUp, page: int) -> Message:
    missing = f"Neither stored nor known to arXiv: {', '.join(code(i) for i in reply.missing)}" if reply.missing else ""
    if not reply.cards:
        return Message(missing or "That message links to no paper (arXiv, Hugging Face or alphaXiv).", ephemeral=True)
    return Message(missing, [card_embed(card) for card in reply.cards[:PAGE]], ephemeral=reply.ephemeral)


def _export(reply: r.ExportFile, page: int) -> Message:
    if not reply.count:
        return Message("This channel has no subscriptions to export.", ephemeral=reply.ephemeral)
    text = f"This channel's {reply.count} subscriptions and schedule; `/papers import` with this file follows the same."
    return Message(text, ephemeral=reply.ephemeral, attachment=(reply.filename, reply.content.encode()))


def _imported(reply: r.Imported, page: int) -> Message:
    lines = [f"**{fit(reply.actor, 100)}** imported into this channel: {escape(reply.describe())}"]
    lines += [f"line {number}: {fit(why, 300, core_text)}" for number, why in reply.refused]
    return Message(fit_lines(lines, 1800), ephemeral=reply.ephemeral)


def _explained(reply: r.Explained, page: int) -> Message:
    title = fit(" ".join(reply.paper.title.split()), 300)
    lines = [f"{code(query[:300])} {fit(why, 900, core_text)}" for query, why in reply.lines()]
    return Message(fit_lines([f"Why **{title}** would be posted here:", *lines], 1900), ephemeral=reply.ephemeral)


def _feedback(reply: r.FeedbackNoted, page: int) -> Message:
    return Message(
        reply.sentence("**" + fit(" ".join(reply.paper.title.split()), 300) + "**"), ephemeral=reply.ephemeral
    )


def _saved(reply: r.SavedList, page: int) -> Message:
    if not reply.papers:
        return Message(
            "This channel has saved no papers yet: `/papers save <arXiv id>` keeps one.", ephemeral=reply.ephemeral
        )
    shown = reply.papers[:PAGE]
    cards = [paper_embed(paper, footer=fit(f"saved by {who} on {at:%d %b %Y}", 200, inert)) for paper, at, who in shown]
    note = f" (the {len(shown)} saved last shown)" if len(reply.papers) > len(shown) else ""
    return Message(f"**{len(reply.papers)} saved papers in this channel**{note}", cards, reply.ephemeral)


RENDERERS: dict[type, Callable[[Any, int], Message]] = {
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
}


def render(reply: r.Reply, page: int = 0) -> Message:
    """The Discord message for any reply, chosen by its type; `page` picks a page of paged replies."""
    message = RENDERERS[type(reply)](reply, page)
    message.content = fit(message.content, CONTENT, lambda text: text)  # already escaped; a last guard
    return message
