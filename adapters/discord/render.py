"""Discord's building blocks: messages, escaping that keeps mentions inert, paper embeds within the limits."""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import quote, urlsplit

import discord

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
    kinds: tuple[str, ...] = ()  # the warm-up's kinds, a select to pick them from (views.kinds_view)
    offer: str = ""  # which kinds those are, for the pick to name

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
