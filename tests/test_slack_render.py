"""Slack digests and replies for hostile paper text: escaped, inside every Block Kit limit, never cut mid-escape."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from slack_sdk.oauth.installation_store.models.installation import Installation

from adapters.slack import render as slack_render
from adapters.slack import replies as slack_replies
from adapters.slack.app import installation_store
from adapters.slack.render import escape, fit, paper_text, render_part, text
from adapters.slack.sender import SlackSender
from bot.chat import replies as r
from bot.config import Settings
from bot.delivery.senders import parts
from bot.domain import ChannelRef, Digest, Found, Match, Paper
from storage.engine import make_engine
from tests.slack_server import TOKEN, SlackServer

LAB = ChannelRef("slack", "T1", "C1")
HOSTILE = [
    "<!channel>",
    "<!here>",
    "<@U123>",
    "<#C1>",
    "<!subteam^S1>",
    "<https://x|click>",
    "&amp;",
    "*bold*",
    "_it_",
    "~s~",
    "`c`",
    "> quote",
    "abc\u202edef",
    "nul\x00here",
    "x" * 20_000,
    "&&&&" * 2_000,
    "word " * 4_000 + "<!channel>",
    "\u200e\u200f\u202a\u202b\u202c\u202d\u2066\u2067\u2068\u2069\u061c\x85\x1b[31m",
]
UNSAFE_URLS = ["javascript:alert(1)", "https://" + "a" * 5_000 + ".org", "https://a b/\x00", "http://["]
OUR_LINK = re.compile(r"<https?://[^\s|<>]+\|[^<>]*>")  # the only `<...>` the renderer writes for paper text
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def hostile_digest(value: str, count: int, url: str | None = None) -> Digest:
    papers = [
        Paper(
            title=value,
            abstract=value,
            arxiv_id=None if url else f"2611.{n:05d}",
            url=url,
            authors=(value,) * 6,
            ai_summary=value,
            code_url=url or value,
            upvotes=3,
        )
        for n in range(count)
    ]
    return Digest(LAB, tuple(Match(p, 1.0, (value, value, value, value)) for p in papers), 2, value)


def texts(blocks: list[dict[str, Any]]) -> Iterator[tuple[str, str, str]]:
    """(block type, text type, text) of every text object in the blocks."""
    for block in blocks:
        for obj in [block.get("text"), *block.get("fields", []), *block.get("elements", [])]:
            if isinstance(obj, dict) and "text" in obj:
                yield block["type"], obj["type"], obj["text"] if isinstance(obj["text"], str) else obj["text"]["text"]


def assert_within_limits(fallback: str, blocks: list[dict[str, Any]]) -> None:
    assert len(fallback) <= 3000 and len(blocks) <= 50
    for block in blocks:
        if block["type"] == "context":
            assert len(block["elements"]) <= 10
        for element in block.get("elements", []):
            if element.get("type") == "button":
                assert len(element["text"]["text"]) <= 75
    limits = {"section": 3000, "header": 150, "context": 2000, "actions": 75}
    for kind, _, value in texts(blocks):
        assert len(value) <= limits[kind], (kind, len(value))
    for value in [fallback] + [value for _, kind, value in texts(blocks) if kind == "mrkdwn"]:
        inert = OUR_LINK.sub("", re.sub(r"<@U1>", "", value))
        assert "<" not in inert and ">" not in inert, inert[:200]
        assert not re.search(r"&(?!(amp|lt|gt);)", value), value[-200:]  # also every cut entity: `&am`, `&l`
        assert not CONTROL.search(value)
        for label in re.findall(r"\|([^<>]*)>", value):
            assert "<" not in label


@pytest.mark.parametrize("value", HOSTILE, ids=lambda v: repr(v[:14]) + f"[{len(v)}]")
@pytest.mark.parametrize("count", [1, 3, 5])
def test_hostile_paper_text_posts_inside_every_limit(value: str, count: int) -> None:
    digest = hostile_digest(value, count)
    for part in parts(digest):
        fallback, blocks = render_part(digest, part)
        assert_within_limits(fallback, blocks)
        assert fallback


@pytest.mark.parametrize("url", UNSAFE_URLS)
def test_unsafe_links_are_left_out(url: str) -> None:
    digest = hostile_digest("<!here>", 1, url)
    fallback, blocks = render_part(digest, parts(digest)[0])
    assert_within_limits(fallback, blocks)
    assert not OUR_LINK.search(str(blocks))


def test_a_url_cannot_end_its_link_early() -> None:
    digest = hostile_digest("t", 1, "https://x.org/a b|<!channel>&c")
    _, [_, _, block, _] = render_part(digest, parts(digest)[0])  # title, divider, the paper, its buttons
    assert "<https://x.org/a%20b%7C%3C!channel%3E&amp;c|code>" in block["text"]["text"]


@pytest.mark.parametrize("value", HOSTILE, ids=lambda v: repr(v[:14]) + f"[{len(v)}]")
def test_replies_with_hostile_papers_stay_inside_every_limit(value: str) -> None:
    digest = hostile_digest(value, 30)
    found = tuple(Found(m.paper, 1.0, value) for m in digest.matches)
    for reply in (r.DigestPreview(digest), r.FindResults(value, found, value)):
        message = slack_replies.render(reply, "U1")
        assert_within_limits(message["text"], message["blocks"])


def test_a_huge_title_is_shortened_and_a_title_of_ampersands_fits_escaped() -> None:
    long = hostile_digest("x" * 20_000, 5)
    _, [parent, *_show_rest] = render_part(long, parts(long)[0])  # the rest of a cut post: a button
    assert len(parent["text"]["text"]) < 400
    amps = hostile_digest("&&&&" * 2_000, 1)
    fallback, blocks = render_part(amps, parts(amps)[0])
    assert fallback.endswith("&amp;…") and 200 < len(fallback) <= slack_render.MAX_TITLE
    assert all(value.count("&amp;") > 20 for _, _, value in texts(blocks[:1]))


def test_papers_in_a_thread_reply_show_the_whole_layout() -> None:
    digest = hostile_digest("<!channel> & friends", 5)
    fallback, [block, buttons, divider, *rest] = render_part(digest, parts(digest)[1])  # four papers a reply
    assert fallback == "&lt;!channel&gt; &amp; friends"
    assert block["text"]["text"].startswith("*<https://arxiv.org/abs/2611.00000|&lt;!channel&gt; &amp; friends>*\n")
    assert block["text"]["text"] == paper_text(digest.matches[0], compact=False)
    assert divider == {"type": "divider"} and len(rest) == 8  # three more papers, each after a divider
    assert [b["action_id"] for b in buttons["elements"]] == ["papers_like", "papers_dislike", "papers_save"]
    assert {b["value"] for b in buttons["elements"]} == {digest.matches[0].paper.key}
    _, [last, _] = render_part(digest, parts(digest)[2])
    assert last["text"]["text"] == paper_text(digest.matches[4], compact=False)


def test_escape_drops_control_and_bidi_characters_but_keeps_lines() -> None:
    assert escape("a\u202eb\x00c\u2066d\u200fe\x9bf\u061cg\n<h>\t&") == "abcdefg\n&lt;h&gt; &amp;"


def test_fit_cuts_before_an_entity_or_a_link_never_inside() -> None:
    assert fit("abc &amp; def", 8) == "abc…"
    assert fit("abc&amp;def", 6) == "abc…"
    assert fit("see <https://arxiv.org/abs/1|the paper> now", 30) == "see…"
    assert fit("short", 5) == "short"
    assert text("&" * 100, 12) == "&amp;&amp;…"
    assert text("one two three four five six seven", 20) == "one two three four…"


def test_replies_share_the_renderers_text_helpers() -> None:
    assert slack_replies.paper_text is paper_text and slack_replies.text is text and slack_replies.fit is fit
    assert not hasattr(slack_render, "_paper_text") and not hasattr(slack_replies, "clip")


def test_with_oauth_the_sender_posts_with_the_installation_not_slack_bot_token(tmp_path: Any) -> None:
    with SlackServer() as slack:
        settings = Settings(
            _env_file=None,
            database_url=f"sqlite:///{tmp_path / 'p.db'}",
            slack_api_url=slack.url,
            slack_bot_token="xoxb-env-token-slack-rejects",
            slack_client_id="1111.2222",
            slack_client_secret="secret",
            discord_token=None,
        )  # type: ignore[call-arg]
        engine = make_engine(settings.database_url)
        installation_store(settings, engine).save(
            Installation(
                app_id="A1",
                enterprise_id=None,
                team_id="T1",
                user_id="U1",
                bot_token=TOKEN,
                bot_id="B1",
                bot_user_id="UBOT",
            )
        )
        sender = SlackSender.from_settings(settings, engine)
        digest = hostile_digest("<!channel>", 1)
        [ts] = sender.send(LAB, digest, "mark-oauth")
        assert [m["ts"] for m in slack.state.messages["C1"]] == [ts]
        with pytest.raises(Exception, match="no installation"):
            sender.send(ChannelRef("slack", "T2", "C1"), digest, "mark-other")
        engine.dispose()


def test_with_only_a_bot_token_the_sender_uses_it(tmp_path: Any) -> None:
    with SlackServer() as slack:
        settings = Settings(
            _env_file=None,
            database_url=f"sqlite:///{tmp_path / 'p.db'}",
            slack_api_url=slack.url,
            slack_bot_token=TOKEN,
            slack_client_id=None,
            slack_client_secret=None,
            discord_token=None,
        )  # type: ignore[call-arg]
        [ts] = SlackSender.from_settings(settings).send(LAB, hostile_digest("x", 2), "mark-token")
        assert [m["ts"] for m in slack.state.messages["C1"]] == [ts]
