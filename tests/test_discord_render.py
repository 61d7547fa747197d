"""Discord rendering: every reply within Discord's limits, and hostile text from anywhere shown as harmless text."""

from __future__ import annotations

import re
from datetime import UTC, datetime, time
from typing import Any

import discord
import pytest

from adapters.discord.marks import read_mark
from adapters.discord.render import Message, escape, fit
from adapters.discord.replies import render
from adapters.discord.sender import digest_part
from bot.chat import replies as r
from bot.delivery.senders import parts
from bot.domain import ChannelRef, Digest, Found, Match, Paper, Schedule

HOSTILE_TITLES = [
    "@everyone **free** [click](https://x)",
    "@here <@&123456789012345678> <@!42> <#123456789> </papers subscribe:1> <t:1:R> <a:pog:1>",
    "\u202eevil\u202c reversed \u2066isolate\u2069 zero\u0000byte\u200b bell\x07",
    "```code block``` `span` ||spoiler|| ~~strike~~ __under__",
    "# heading\n-# tiny\n> quote\n1. list\n- bullet",
    "a] [b]](https://evil.example) \\]( nested [x](y)",
    "\\" * 300 + "*" * 300,
    "@" * 5000,
    "Ünïcödé 🚀 title — with dashes",
]
MENTION = re.compile(r"@(everyone|here)|<@[!&]?\d|<#\d|</[\w -]+:\d|<t:-?\d|<a?:\w+:\d")
BIDI = re.compile(r"[\u0000-\u0008\u000b-\u001f\u202a-\u202e\u2066-\u2069]")
LINK_FROM_TEXT = re.compile(r"(?<!\\)\[[^\]]*(?<!\\)\]\((?!https://(arxiv\.org|huggingface\.co|github\.com))")


def paper(title: str) -> Paper:
    return Paper(
        title=title,
        abstract=title * 3,
        arxiv_id="2401.01234",
        authors=(title, title, title, title),
        upvotes=7,
        code_url="https://github.com/x/y",
        on_hf=True,
        thumbnail_url="javascript:alert(1)",
        ai_summary=title,
        published_at=datetime(2026, 11, 24, tzinfo=UTC),
    )


def every_reply(text: str) -> list[r.Reply]:
    match = Match(paper(text), 0.9, (text,))
    digest = Digest(ChannelRef("discord", "1", "2"), (match,) * 7, 3, text)
    return [
        r.Problem(text, text),
        r.HelpText(((text, text),) * 9),
        r.Subscribed(text, text, text, 1.5, 7, (match,) * 3, text),
        r.Unsubscribed((text,) * 3, text),
        r.SubscriptionList(((text, text),) * 25, Schedule(), text, None),
        r.FindResults(text, (Found(paper(text), 90.0, text),) * 5, text),
        r.DigestPreview(digest),
        r.ScheduleSet(Schedule(time(8, 30), "Europe/Berlin"), text, None),
        r.TopicList(text, ((text[:60], text, 1),) * 80, 200),
        r.StatusReport(
            (r.SourceState(text, None, 3, text),), (text,) * 25, Schedule(), text, None, None, 9, (text,) * 30
        ),
        r.LookedUp((r.PaperCard(paper(text), (text,) * 3),) * 5, (text,) * 3),
        r.LookedUp((), (text,)),
        r.ExportFile(text, text, 3),
        r.Imported(2, 1, Schedule(), ((1, text),) * 200, text),
        r.FeedbackNoted("like", paper(text), text, True, 3),
        r.SavedList(((paper(text), datetime(2026, 1, 5, tzinfo=UTC), text),) * 40),
        r.Explained(paper(text), ((text, (text, text)),) * 25),
    ]


def visible(message: Message) -> list[str]:
    """Every text Discord would render, with where it sits."""
    texts = [message.content]
    for embed in message.embeds:
        data: dict[str, Any] = embed.to_dict()
        texts += [
            data.get("title", ""),
            data.get("description", ""),
            (data.get("footer") or {}).get("text", ""),
            (data.get("author") or {}).get("name", ""),
        ]
        texts += [f["name"] + f["value"] for f in data.get("fields", [])]
    return texts


def within_limits(message: Message) -> None:
    assert len(message.content) <= 2000 and len(message.embeds) <= 10
    assert sum(len(e) for e in message.embeds) <= 6000
    for embed in message.embeds:
        data = embed.to_dict()
        assert len(data.get("title", "")) <= 256 and len(data.get("description", "")) <= 4096
        assert len((data.get("footer") or {}).get("text", "")) <= 2048
        assert len(data.get("fields", [])) <= 25
        assert all(len(f["name"]) <= 256 and len(f["value"]) <= 1024 for f in data.get("fields", []))
        assert "thumbnail" not in data  # javascript: is no image URL


@pytest.mark.parametrize("title", HOSTILE_TITLES)
def test_hostile_text_in_every_reply_is_harmless_and_fits(title: str) -> None:
    for reply in every_reply(title):
        for page in (0, 1, 5):
            message = render(reply, page)
            within_limits(message)
            for text in visible(message):
                assert not MENTION.search(text), (type(reply).__name__, text[:120])
                assert not BIDI.search(text), type(reply).__name__
            for embed in message.embeds:
                assert not LINK_FROM_TEXT.search(embed.title or ""), embed.title


@pytest.mark.parametrize("title", HOSTILE_TITLES)
def test_hostile_text_in_a_posted_digest_is_harmless_and_fits(title: str) -> None:
    for count in (2, 7):
        digest = Digest(
            ChannelRef("discord", "1", "2"), tuple(Match(paper(title), 1.0, (title,)) for _ in range(count)), 1, title
        )
        for part in parts(digest):
            message = digest_part(digest, "mark", part)
            within_limits(message)
            assert not any(MENTION.search(text) or BIDI.search(text) for text in visible(message))
            assert read_mark(message) == ("mark", part.index, part.count)  # type: ignore[arg-type]


def test_the_hostile_title_reads_as_typed() -> None:
    assert escape("@everyone **free** [click](https://x)") == "@\u200beveryone \\*\\*free\\*\\* \\[click\\](https://x)"


@pytest.mark.parametrize("limit", range(1, 120, 7))
def test_truncation_never_cuts_an_escape_in_half(limit: int) -> None:
    for text in ("*_" * 80, "\\" * 80, "a*" * 80, "@x " * 60):
        out = fit(text, limit)
        assert len(out) <= limit
        body = out.removesuffix("…")
        trailing = len(body) - len(body.rstrip("\\"))
        assert trailing % 2 == 0, out  # an odd backslash would escape the ellipsis, or be half an escape


def test_a_paper_embed_has_everything_a_reader_needs() -> None:
    found = Found(
        paper("Go-Explore").with_changes(
            authors=("Adrien Ecoffet", "Joost Huizinga", "Joel Lehman", "Ken Stanley"),
            thumbnail_url="https://cdn.example/thumb.png",
        ),
        97.0,
        "title, 3 typos",
    )
    [embed] = render(r.FindResults("go explor", (found,))).embeds
    data = embed.to_dict()

    assert data["title"] == "Go-Explore" and data["url"] == "https://arxiv.org/abs/2401.01234"
    fields = {f["name"]: f["value"] for f in data["fields"]}
    assert fields["Authors"] == "Adrien Ecoffet, Joost Huizinga, Joel Lehman et al."
    assert fields["Upvotes"] == "▲ 7"
    assert fields["Links"] == (
        "[arXiv](https://arxiv.org/abs/2401.01234) · [PDF](https://arxiv.org/pdf/2401.01234) · "
        "[HF](https://huggingface.co/papers/2401.01234) · [code](https://github.com/x/y)"
    )
    assert data["thumbnail"]["url"] == "https://cdn.example/thumb.png"
    assert data["footer"]["text"] == "title, 3 typos" and data["author"]["name"] == "find: go explor"


def test_every_message_is_sent_with_mentions_off() -> None:
    assert render(r.Problem("x")).kwargs()["allowed_mentions"].to_dict() == {"parse": []}
    assert discord.AllowedMentions.none().to_dict() == {"parse": []}
