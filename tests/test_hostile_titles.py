"""One table of hostile paper text, ingested and then shown by every renderer: no ping, no markup, no broken escape."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import Engine

from adapters.discord import render as discord_render
from adapters.discord import replies as discord_replies
from adapters.discord import sender as discord_sender
from adapters.slack import render as slack_render
from adapters.slack import replies as slack_replies
from adapters.terminal import render as terminal_render
from bot.chat import replies as r
from bot.delivery.senders import Part, parts
from bot.domain import ChannelRef, Digest, Found, Match, Paper
from bot.sources import parse_jsonl
from bot.sources.ingest import merge_papers
from storage.engine import create_schema, make_engine
from storage.uow import UnitOfWork

# Titles, abstracts and author names as a source could send them (arXiv, Hugging Face, a file).
HOSTILE = {
    "slack-channel": "<!channel> Attention is all you need",
    "slack-here": "<!here> please read",
    "slack-everyone": "<!everyone> new results",
    "slack-user": "Thanks to <@U123> for the data",
    "slack-channel-link": "Discussed in <#C1>",
    "slack-subteam": "cc <!subteam^S1> reviewers",
    "slack-link": "<https://x|click> for the code",
    "discord-everyone": "@everyone look at this",
    "discord-here": "@here world models",
    "discord-role": "<@&123456789012345678> ping",
    "discord-user": "<@!123456789012345678> and <@123>",
    "markdown-link": "**free** [click](https://x)",
    "markup-inside-link": "[a **bold** ||spoiler|| `code` b](https://x)",
    "code": "`code` in a `span`",
    "spoiler": "||spoiler|| ending",
    "entities": "&amp; and &lt;script&gt; literally",
    "rtl-override": "\u202eevil\u202c reversed \u2066isolate\u2069 title",
    "zero-width": "zero\u200bwidth\u200djoiner\u200c\ufeff title",
    "huge": ("<!here> &amp; **x** @everyone " * 700)[:20_000],
    "only-a-star": "*",
    "emoji": "🚀 Rocket 👨\u200d👩\u200d👧 family 🤖",
    "markdown-header": "# Heading title",
    "quote": "> quoted title",
    "strike": "~strike~ and ~~double~~",
    "newlines": "first line\nsecond line\r\nthird\u2028fourth",
    "nul": "zero\x00byte\x07bell\x1b[31mred",
}
ARXIV = "2601.00042"
CONTROL_OR_BIDI = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
# Slack: after our own links (`<url|label>` to the paper's pages) and the actor's mention are taken
# out, no `<` or `>` may remain, and every `&` must begin a whole entity.
SLACK_OWN_LINK = re.compile(r"<https://(?:arxiv\.org|huggingface\.co|github\.com)/[^<>|]*\|[^<>]*>|<@U1>")
SLACK_BROKEN_ENTITY = re.compile(r"&(?!(?:amp|lt|gt);)")
DISCORD_MENTION = re.compile(r"@(?:everyone|here)|<@|<#|<@&|</|<t:|<a?:\w+:\d")
# Discord: our own links are the named ones of a paper and, in a digest's parent, `N\. [title](arXiv URL)` lines.
DISCORD_OWN_LINK = re.compile(
    r"\[(?:arXiv|PDF|HF|code|project)\]\(https://(?:arxiv\.org|huggingface\.co|github\.com)/"
    r"|^\d+\\\. \[|\]\(https://arxiv\.org/abs/[\d.]+\)$",
    re.M,
)
UNESCAPED_MARKDOWN = re.compile(r"(?<!\\)(?:\*|_|`|\[|\]|~~|\|\|)")  # a lone | or ~ is no markdown


def record(text: str, arxiv_id: str) -> str:
    """A JSONL line with the text as title, in the abstract, as author names and as a keyword."""
    return json.dumps(
        {
            "id": arxiv_id,
            "title": text,
            "abstract": f"We study {text} in a world model. " * 20,
            "authors": [text, "Ana <@U999> Lima", "Eve & Mallory", text],
            "upvotes": 7,
            "on_hf": True,
            "code_url": "https://github.com/x/y",
            "published_at": "2026-01-05T00:00:00Z",
            "ai_keywords": [text],
        }
    )


def ingest_all(engine: Engine) -> dict[str, Paper]:
    """Every hostile text through the JSONL parser and the merge, read back from the database."""
    ids = {name: f"2601.{i:05d}" for i, name in enumerate(HOSTILE, 100)}
    parsed = parse_jsonl([record(HOSTILE[name], ids[name]) for name in HOSTILE])
    assert not parsed.problems, parsed.problems
    merge_papers(engine, parsed.papers)
    with UnitOfWork(engine) as uow:
        stored = {name: uow.papers.get(ids[name]) for name in HOSTILE}
    assert all(stored.values())
    return stored  # type: ignore[return-value]


def matches(paper: Paper, count: int) -> tuple[Match, ...]:
    # Distinct keys, so that a thread holds `count` papers; the why quotes the hostile title too.
    return tuple(
        Match(paper.with_changes(arxiv_id=f"2601.{i:05d}"), 1.0 - i / 100, (f'"{paper.title}"', "topic robotics"))
        for i in range(1, count + 1)
    )


def replies(paper: Paper) -> list[r.Reply]:
    single = Digest(ChannelRef("terminal", "local", "lab"), matches(paper, 2), 0, "2 new papers for robotics")
    thread = Digest(ChannelRef("terminal", "local", "lab"), matches(paper, 7), 4, "7 new papers for robotics")
    return [
        r.FindResults("attention", tuple(Found(m.paper, 90.0, m.why[0]) for m in matches(paper, 5))),
        r.DigestPreview(single),
        r.DigestPreview(thread),
        r.Subscribed("robotics", "topic robotics", "ana", 2.0, 7, matches(paper, 3)),
    ]


def digests(paper: Paper) -> list[Digest]:
    return [
        Digest(ChannelRef("slack", "T1", "C1"), matches(paper, n), more, f"{n} new papers for robotics")
        for n, more in ((2, 0), (7, 4))
    ]


@pytest.fixture(scope="module")
def stored(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Paper]]:
    """The table ingested once (SQLite) for the renderer tests; the ingest test runs on both databases."""
    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('hostile-titles') / 'papers.db'}")
    create_schema(engine)
    yield ingest_all(engine)
    engine.dispose()


@pytest.fixture(params=list(HOSTILE))
def paper(request: pytest.FixtureRequest, stored: dict[str, Paper]) -> Paper:
    return stored[request.param]


# --- ingest --------------------------------------------------------------------------------------


def test_ingest_keeps_the_words_and_drops_controls_and_bidi(engine: Engine) -> None:
    for name, paper in ingest_all(engine).items():
        for text in (paper.title, paper.abstract, *paper.authors, *paper.ai_keywords):
            assert text and not CONTROL_OR_BIDI.search(text) and "\n" not in text, (name, text[:80])
        assert len(paper.title) <= 1_000, name


# --- terminal ------------------------------------------------------------------------------------


def test_the_terminal_shows_it_as_plain_text(paper: Paper) -> None:
    texts = [terminal_render.render(reply) for reply in replies(paper)]
    texts += [terminal_render.render_digest(digest) for digest in digests(paper)]
    for text in texts:
        assert not CONTROL_OR_BIDI.search(text), repr(text[:200])
    assert paper.title[:50] in texts[0]


# --- Slack ---------------------------------------------------------------------------------------


def slack_texts(blocks: list[dict[str, Any]]) -> list[str]:
    """Every mrkdwn and plain_text string of a message, each checked against Block Kit's limits."""
    assert 1 <= len(blocks) <= 50
    texts = []
    for block in blocks:
        if block["type"] == "section":
            assert len(block["text"]["text"]) <= 3_000
            texts.append(block["text"]["text"])
        elif block["type"] == "context":
            assert all(len(e["text"]) <= 2_000 for e in block["elements"])
            texts += [e["text"] for e in block["elements"]]
        elif block["type"] == "header":
            assert len(block["text"]["text"]) <= 150
            texts.append(block["text"]["text"])
    return texts


def assert_harmless_in_slack(text: str) -> None:
    rest = SLACK_OWN_LINK.sub("", text)
    assert "<" not in rest and ">" not in rest, rest[:300]  # no <!channel>, <@U…>, <#C…>, <url|label> from text
    assert not SLACK_BROKEN_ENTITY.search(text), text[-300:]  # no `&am` left by a cut, no raw `&`
    assert not CONTROL_OR_BIDI.search(text), repr(text[:200])


def test_slack_replies_are_harmless_and_within_block_kit_limits(paper: Paper) -> None:
    for reply in replies(paper):
        message = slack_replies.render(reply, "U1")
        assert len(message["text"]) <= 40_000
        for text in [message["text"], *slack_texts(message["blocks"])]:
            assert_harmless_in_slack(text)


def test_slack_digest_posts_are_harmless_and_within_block_kit_limits(paper: Paper) -> None:
    for digest in digests(paper):
        for part in parts(digest):
            fallback, blocks = slack_render.render_part(digest, part)
            assert len(fallback) <= 40_000
            for text in [fallback, *slack_texts(blocks)]:
                assert_harmless_in_slack(text)


# --- Discord -------------------------------------------------------------------------------------


def discord_texts(message: discord_render.Message) -> tuple[list[str], list[str]]:
    """(every text Discord shows, the ones it renders as markdown from paper text), within Discord's limits."""
    assert len(message.content) <= 2_000 and len(message.embeds) <= 10
    assert sum(len(embed) for embed in message.embeds) <= 6_000
    assert message.kwargs()["allowed_mentions"].to_dict() == {"parse": []}
    shown, markdown = [message.content], []
    for embed in message.embeds:
        data = embed.to_dict()
        title, description = data.get("title", ""), data.get("description", "")
        footer, author = (data.get("footer") or {}).get("text", ""), (data.get("author") or {}).get("name", "")
        fields = data.get("fields", [])
        assert len(title) <= 256 and len(description) <= 4_096 and len(footer) <= 2_048 and len(author) <= 256
        assert len(fields) <= 25 and all(len(f["name"]) <= 256 and len(f["value"]) <= 1_024 for f in fields)
        shown += [title, description, footer, author] + [f["value"] for f in fields]
        markdown += [title, description] + [f["value"] for f in fields if f["name"] == "Authors"]
    return shown, markdown


def assert_harmless_on_discord(message: discord_render.Message) -> None:
    shown, _ = discord_texts(message)
    for text in shown:
        assert not DISCORD_MENTION.search(text), text[:300]
        assert not CONTROL_OR_BIDI.search(text), repr(text[:200])
        body = text.removesuffix("…")
        assert (len(body) - len(body.rstrip("\\"))) % 2 == 0, text[-80:]  # no lone `\` left by a cut


def assert_markdown_shown_as_typed(message: discord_render.Message) -> None:
    for text in discord_texts(message)[1]:
        assert not UNESCAPED_MARKDOWN.search(DISCORD_OWN_LINK.sub("", text)), text[:300]


def discord_messages(paper: Paper) -> Iterator[discord_render.Message]:
    for reply in replies(paper):
        for page in (0, 1, 2):
            yield discord_replies.render(reply, page)
    for digest in digests(paper):
        for part in parts(digest):
            yield discord_sender.digest_part(digest, "mark1", part)


def test_discord_replies_and_posts_are_harmless_and_within_embed_limits(paper: Paper) -> None:
    for message in discord_messages(paper):
        assert_harmless_on_discord(message)


# discord.utils.escape_markdown alone treats a whole `[...](...)` span as one unit and leaves bold,
# spoilers and code inside it live (the markdown-link and markup-inside-link rows).
@pytest.mark.parametrize("name", list(HOSTILE))
def test_discord_shows_paper_markdown_as_typed(stored: dict[str, Paper], name: str) -> None:
    for message in discord_messages(stored[name]):
        assert_markdown_shown_as_typed(message)


def test_a_title_right_at_a_cut_keeps_its_escapes_whole() -> None:
    """Titles of every length around the cut points, so that a cut lands inside `&amp;` or `\\*` at least once."""
    when = datetime(2026, 1, 5, tzinfo=UTC)
    for length in range(140, 320, 3):
        title = ("&<*_" * 200)[:length]
        paper = Paper(title=title, abstract=title * 3, arxiv_id=ARXIV, authors=(title,) * 5, published_at=when)
        for reply in replies(paper):
            message = slack_replies.render(reply, "U1")
            for text in [message["text"], *slack_texts(message["blocks"])]:
                assert_harmless_in_slack(text)
            assert_harmless_on_discord(discord_replies.render(reply))
        for digest in digests(paper):
            for part in parts(digest):
                assert_harmless_on_discord(discord_sender.digest_part(digest, "mark1", part))
                for text in slack_texts(slack_render.render_part(digest, part)[1]):
                    assert_harmless_in_slack(text)


def test_parts_cover_every_paper() -> None:
    # The digest tests above rely on the thread layout for 7 papers and one message for 2.
    paper = Paper(title="t", abstract="a", arxiv_id=ARXIV)
    assert [(p.index, len(p.papers)) for p in parts(digests(paper)[1])] == [(0, 0), (1, 4), (2, 3)]
    assert parts(digests(paper)[0]) == [Part(0, 1, digests(paper)[0].papers)]
