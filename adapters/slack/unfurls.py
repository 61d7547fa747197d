"""Link unfurls: arXiv, Hugging Face and alphaXiv links pasted in a channel become compact paper cards."""

from __future__ import annotations

import logging
from typing import Any

import slack_bolt
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from adapters.slack.jobs import Jobs
from adapters.slack.render import MAX_CONTEXT, fit, paper_text, text
from adapters.slack.replays import request_key
from bot.app import App
from bot.chat.replies import PaperCard
from bot.domain import Match
from bot.find.lookup import MAX_LINKS, linked_id

log = logging.getLogger(__name__)

Block = dict[str, Any]
# The domains slack/manifest.yml lists under unfurl_domains: Slack sends link_shared only for these.
UNFURL_DOMAINS = ("arxiv.org", "huggingface.co", "alphaxiv.org")


def card_blocks(card: PaperCard) -> list[Block]:
    """Title, authors, upvotes, a two-line summary and links (the digest's layout), then date and topics."""
    blocks: list[Block] = [
        {"type": "section", "text": {"type": "mrkdwn", "text": paper_text(Match(card.paper, 0.0, ()), compact=False)}}
    ]
    facts = [f"{card.paper.dated:%d %b %Y}"] if card.paper.dated else []
    if card.topics:
        facts.append("topics: " + ", ".join(text(name, 100) for name in card.topics))
    if facts:
        blocks.append(
            {"type": "context", "elements": [{"type": "mrkdwn", "text": fit(" · ".join(facts), MAX_CONTEXT)}]}
        )
    return blocks


def unfurls_for(app: App, links: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """`chat.unfurl`'s `unfurls`: each link that names a known paper (stored, or fetched from arXiv) -> its card."""
    wanted: dict[str, str] = {}  # url -> arXiv id
    for item in links:
        url = str(item.get("url", ""))[:2000]
        paper_id = linked_id(url)  # the whole url, read as one: a paper named inside another link is not this one's
        if paper_id and len(set(wanted.values()) | {paper_id}) <= MAX_LINKS:
            wanted[url] = paper_id
    cards = app.lookup.cards(list(dict.fromkeys(wanted.values())))
    return {url: {"blocks": card_blocks(cards[paper_id])} for url, paper_id in wanted.items() if paper_id in cards}


def register_unfurls(bolt: slack_bolt.App, app: App, jobs: Jobs) -> None:
    """`link_shared` -> one `chat.unfurl` with a card per link we know (none when we know none), in the unfurl pool."""

    @bolt.event("link_shared")
    def on_link_shared(body: dict[str, Any]) -> None:
        team = str(body.get("team_id") or "")
        jobs.defer("unfurl", "unfurl", request_key(body), team, {"event": body["event"]})

    @jobs.job("unfurl")
    def unfurl(payload: dict[str, Any], client: WebClient) -> None:
        event = payload["event"]
        unfurls = unfurls_for(app, list(event.get("links") or []))
        if not unfurls:
            return
        # A link in the message composer is unfurled by its unfurl_id and source; a posted one by channel and ts.
        where: dict[str, Any] = (
            {"unfurl_id": event["unfurl_id"], "source": event["source"]}
            if event.get("source") == "composer" and event.get("unfurl_id")
            else {"channel": event.get("channel"), "ts": event.get("message_ts")}
        )
        try:
            client.chat_unfurl(unfurls=unfurls, **where)
        except SlackApiError as error:
            log.warning("chat.unfurl failed in %s: %s", event.get("channel"), error.response.get("error"))


__all__ = ["UNFURL_DOMAINS", "card_blocks", "register_unfurls", "unfurls_for"]
