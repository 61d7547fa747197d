"""Slack's text rules (escape, fit, links) and Block Kit for digests: a thread's parent, one paper, one message."""

from __future__ import annotations

import re
from urllib.parse import quote, urlsplit

from bot.delivery.senders import THREAD_ABOVE, Part
from bot.domain import Digest, Match

# Slack's limits, a little under where a "…" or our own words are added to untrusted text.
MAX_SECTION = 2900  # a section's text may hold 3,000 characters
MAX_CONTEXT = 1900  # 2,000 in a context element
MAX_HEADER = 150  # a header's plain_text
MAX_BUTTON = 75  # a button's plain_text
MAX_BLOCKS = 50  # per message
MAX_FALLBACK = 3000  # a message's `text` may hold 40,000; a notification shows far less
# Raw characters of untrusted paper text per field: with these a paper always fits one section.
MAX_TITLE, MAX_NAME, MAX_WHY, MAX_URL = 250, 60, 300, 300
SUMMARY = 280  # about two lines in a Slack client
AUTHORS = 4
MAX_PAPERS = (MAX_BLOCKS - 1) // 2  # a divider and a section each, under the title's section

# C0 and C1 controls but newline (tab becomes a space), bidi overrides and marks, zero-width characters:
# a U+202E in a title would show the rest of the line reversed. The same set as adapters/discord/render.py.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")
_ENTITY_TAIL = re.compile(r"&[a-z]{0,4}$")  # a cut `&amp;`, `&lt;` or `&gt;`
_OPEN_LINK_TAIL = re.compile(r"<[^>]*$")  # our own `<url|label>` or `<@U1>`: escaped text has no other `<`


def escape(text: str) -> str:
    """Untrusted text as mrkdwn that is only text: `&`, `<`, `>` escaped (no `<!channel>`), controls and bidi out."""
    text = _CONTROL.sub("", text.replace("\t", " "))
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def fit(mrkdwn: str, limit: int) -> str:
    """Escaped mrkdwn in `limit` characters: cut at a space if one is near, never inside `&amp;` or a `<link>`."""
    if len(mrkdwn) <= limit:
        return mrkdwn
    cut = mrkdwn[: limit - 1]
    head, space, _ = cut.rpartition(" ")
    if space and len(head) >= limit * 3 // 4:
        cut = head
    return _OPEN_LINK_TAIL.sub("", _ENTITY_TAIL.sub("", cut)).rstrip() + "…"


def text(raw: str, limit: int = MAX_SECTION) -> str:
    """Untrusted text as harmless mrkdwn: escaped, then shortened at a safe place."""
    return fit(escape(raw), limit)


def line(raw: str, limit: int) -> str:
    """`text` on one line: a title, a name, a summary; newlines in them would break `*bold*` or start a quote."""
    return text(" ".join(raw.split()), limit)


def safe_url(url: str | None) -> str | None:
    """An http(s) link with a host, percent-encoded so that no `|`, `>` or space ends `<url|label>` early."""
    url = (url or "").strip()
    if not url or len(url) > MAX_URL or _CONTROL.search(url):
        return None  # a link cut short would lead somewhere else: no link at all
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return escape(quote(url, safe=":/?#[]@!$&'*+,;=%~"))


def link(url: str, label: str) -> str:
    """`<url|label>` from a `safe_url` and an escaped label."""
    return f"<{url}|{label}>"


def paper_text(match: Match, compact: bool) -> str:
    """One paper as mrkdwn, the layout of digests, previews and search results; every field bounded before escaping."""
    paper = match.paper
    title, url = line(paper.title, MAX_TITLE), safe_url(paper.abs_url)
    lines = [f"*{link(url, title) if url else title}*"]
    names = [line(name, MAX_NAME) for name in paper.authors[:AUTHORS] if name.strip()]
    meta = [", ".join(names) + (" et al." if len(paper.authors) > AUTHORS else "")] if names else []
    if paper.upvotes:
        meta.append(f"▲ {paper.upvotes}")
    if meta:
        lines.append(" · ".join(meta))
    summary = paper.ai_summary or paper.abstract
    if summary:
        lines.append(line(summary, SUMMARY // 2 if compact else SUMMARY))
    links = [
        link(url, label)
        for label, raw in (
            ("arXiv", paper.abs_url),
            ("PDF", paper.pdf_url),
            ("Hugging Face", paper.hf_url),
            ("code", paper.code_url),
        )
        if (url := safe_url(raw))
    ]
    if links:
        lines.append(" · ".join(links))
    lines += ["_why: " + line(why, MAX_WHY) + "_" for why in match.why[:3]]  # one line per subscription
    return fit("\n".join(lines), MAX_SECTION)


def _section(mrkdwn: str) -> dict[str, object]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": fit(mrkdwn, MAX_SECTION)}}


# Feedback on each paper of a post; adapters/slack/app.py answers the clicks (`papers_like` ...).
FEEDBACK_BUTTONS = (("like", "👍 More like this"), ("dislike", "👎 Less like this"), ("save", "🔖 Save"))
MAX_VALUE = 150  # a paper key this long (a title key) gets no buttons: button values hold 2,000, block ids 255


def feedback_buttons(key: str) -> list[dict[str, object]]:
    """An actions block under one paper: more like this, less like this, save (its value is the paper key)."""
    if len(key) > MAX_VALUE:
        return []
    buttons = [
        {
            "type": "button",
            "action_id": f"papers_{kind}",
            "text": {"type": "plain_text", "text": label, "emoji": True},
            "value": key,
        }
        for kind, label in FEEDBACK_BUTTONS
    ]
    return [{"type": "actions", "block_id": f"papers_feedback:{key}", "elements": buttons}]


WARMUP_ACTION = "papers_warmup"  # the first subscription's "Pick the kinds you want" (adapters/slack/app.py)


def warmup_button(label: str) -> dict[str, object]:
    button = {"type": "button", "action_id": WARMUP_ACTION, "text": {"type": "plain_text", "text": label}}
    return {"type": "actions", "block_id": WARMUP_ACTION, "elements": [{**button, "value": "warmup"}]}


KINDS_BLOCK, KINDS_PICK, KINDS_DONE = "papers_kinds", "papers_kinds_pick", "papers_kinds_done"  # the warm-up's


def kinds_picker(kinds: list[str], offer: str) -> dict[str, object]:
    """Checkboxes, one a kind (its number and words), and a Done button that sends the ticked ones."""
    options = [
        {"text": {"type": "plain_text", "text": fit(label, 75)}, "value": str(number)}
        for number, label in enumerate(kinds, 1)
    ]
    done = {"type": "button", "action_id": KINDS_DONE, "text": {"type": "plain_text", "text": "Done"}, "value": offer}
    picks = {"type": "checkboxes", "action_id": KINDS_PICK, "options": options[:10]}  # Slack's most
    return {"type": "actions", "block_id": KINDS_BLOCK, "elements": [picks, {**done, "style": "primary"}]}


def picked_command(body: dict) -> str:
    """The command a Done click stands for: `warmup pick` with the ticked kinds' numbers and the offer's name."""
    ticked = (((body.get("state") or {}).get("values") or {}).get(KINDS_BLOCK) or {}).get(KINDS_PICK) or {}
    numbers = [str(option.get("value", "")) for option in ticked.get("selected_options") or []]
    offer = next((str(a.get("value", "")) for a in body.get("actions") or [] if a.get("action_id") == KINDS_DONE), "")
    return " ".join(["warmup pick", *numbers, f"#{offer}" if offer else ""]).strip()


PAGE_ACTION = "papers_digest_page"  # action_id prefix of the preview's page buttons (adapters/slack/app.py)
SHOW_REST = f"{PAGE_ACTION}_show"  # a post's "Show the other N": the preview's first page, to the clicker alone


def _more(more: int) -> str:
    return f"\n_and {more} more: `/papers digest` shows the list_" if more else ""


def _show_rest(more: int) -> list[dict[str, object]]:
    """Under a post cut at its cap, a button that shows the rest to whoever asks (as `/papers digest` would)."""
    if not more:
        return []
    label = f"Show the other {more} ▸"
    button = {"type": "button", "action_id": SHOW_REST, "text": {"type": "plain_text", "text": label}, "value": "0"}
    return [{"type": "actions", "block_id": "papers_show_rest", "elements": [button]}]


def render_part(digest: Digest, part: Part) -> tuple[str, list[dict[str, object]]]:
    """(fallback text, blocks) for one message of a post, as `bot.delivery.senders.parts` cut it; within Slack's limits."""
    title = line(digest.title or f"{len(digest.matches)} new papers", MAX_TITLE)
    if part.is_parent:
        return title, [
            _section(f"*{title}*{_more(digest.more)}\n_The papers are in the thread._"),
            *_show_rest(digest.more),
        ]
    if part.count > 1:  # papers in a thread reply, each in full
        by_key = {m.paper.key: m for m in digest.matches}
        cards: list[dict[str, object]] = []
        for paper in part.papers:
            cards += [{"type": "divider"}] if cards else []
            cards.append(_section(paper_text(by_key[paper.key], compact=False)))
            cards += feedback_buttons(paper.key)
        return line(part.papers[0].title, MAX_TITLE) or title, cards
    shown = digest.matches[:MAX_PAPERS]  # only a preview holds more than a thread's three
    blocks: list[dict[str, object]] = [_section(f"*{title}*{_more(digest.more + len(digest.matches) - len(shown))}")]
    buttons = len(shown) <= THREAD_ABOVE  # a post of a few papers; a long preview has no room under 50 blocks
    for match in shown:
        blocks += [{"type": "divider"}, _section(paper_text(match, compact=True))]
        blocks += feedback_buttons(match.paper.key) if buttons else []
    return title, blocks
