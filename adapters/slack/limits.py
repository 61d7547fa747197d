"""Slack's limits for one message, checked before anything is sent: a reply too big is cut into pages that fit."""

from __future__ import annotations

import json
from typing import Any

from adapters.slack.render import MAX_BLOCKS, MAX_CONTEXT, MAX_FALLBACK, MAX_HEADER, MAX_SECTION, fit

Block = dict[str, Any]
Message = dict[str, Any]

# chat.postMessage refuses (msg_blocks_too_long) blocks holding much more than 12,000 characters of text,
# with an undocumented allowance for their containers; counting the blocks' whole JSON against 12,000 stays under it.
MAX_BLOCK_CHARS = 12_000
MAX_PAGES = 4  # a response_url takes five messages; a mention's answer should not flood the thread either


def size(blocks: list[Block]) -> int:
    """What counts against MAX_BLOCK_CHARS: the blocks as Slack receives them."""
    return len(json.dumps(blocks, ensure_ascii=False, separators=(",", ":")))


def problems(message: Message) -> list[str]:
    """Every way `message` breaks Slack's limits; empty when it may be sent."""
    found = []
    blocks = message.get("blocks") or []
    if len(blocks) > MAX_BLOCKS:
        found.append(f"{len(blocks)} blocks, over {MAX_BLOCKS}")
    if size(blocks) > MAX_BLOCK_CHARS:
        found.append(f"blocks of {size(blocks):,} characters, over {MAX_BLOCK_CHARS:,}")
    if len(message.get("text") or "") > MAX_FALLBACK:
        found.append(f"text of {len(message['text']):,} characters, over {MAX_FALLBACK:,}")
    for i, block in enumerate(blocks):
        for text, limit in _texts(block):
            if len(text) > limit:
                found.append(f"block {i} ({block.get('type')}) holds {len(text):,} characters, over {limit:,}")
    return found


def _texts(block: Block) -> list[tuple[str, int]]:
    kind = block.get("type")
    if kind == "section":
        return [((block.get("text") or {}).get("text", ""), MAX_SECTION)]
    if kind == "context":
        return [(e.get("text", ""), MAX_CONTEXT) for e in block.get("elements", [])]
    if kind == "header":
        return [((block.get("text") or {}).get("text", ""), MAX_HEADER)]
    return []


def fit_block(block: Block) -> Block:
    """One block within its own limits (our renderers already keep them; this is the last guard)."""
    kind = block.get("type")
    if kind == "section" and len(block["text"]["text"]) > MAX_SECTION:
        return {**block, "text": {**block["text"], "text": fit(block["text"]["text"], MAX_SECTION)}}
    if kind == "context":
        return {
            **block,
            "elements": [{**e, "text": fit(e["text"], MAX_CONTEXT)} if "text" in e else e for e in block["elements"]],
        }
    if kind == "header":
        return {**block, "text": {**block["text"], "text": block["text"]["text"][:MAX_HEADER]}}
    return block


def _note(left: int) -> Block:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": f"… and {left} more not shown."}]}


def pages(message: Message, max_pages: int = MAX_PAGES) -> list[Message]:
    """`message` as one or more messages that each pass `problems`, blocks in order, never one cut in two.

    Past `max_pages` the last page says how much is left out. Each page keeps the message's other
    fields (`response_type`, ...) and gets a `text` fallback of its own.
    """
    blocks = [fit_block(b) for b in message.get("blocks") or []]
    reserve = size([_note(len(blocks))]) + 1  # room for the "and N more" note on the last page
    cut: list[list[Block]] = [[]]
    used = size([])  # the page's JSON so far: `[`, its blocks with a comma between, `]`
    for block in blocks:
        page, weight = cut[-1], size([block]) - size([])
        last = len(cut) == max_pages
        room_blocks = MAX_BLOCKS - (1 if last else 0)
        room_chars = MAX_BLOCK_CHARS - (reserve if last else 0)
        grown = used + weight + (1 if page else 0)
        if page and (len(page) + 1 > room_blocks or grown > room_chars):
            if last:
                break
            cut.append([])
            grown = size([]) + weight
        cut[-1].append(block)
        used = grown
    left = len(blocks) - sum(len(page) for page in cut)
    if left:
        cut[-1].append(_note(left))
    first = fit(message.get("text") or "", MAX_FALLBACK) or _fallback(cut[0])
    return [{**message, "text": first if i == 0 else _fallback(page), "blocks": page} for i, page in enumerate(cut)]


def _fallback(blocks: list[Block]) -> str:
    for block in blocks:
        if block.get("type") == "section":
            return fit(block["text"]["text"], MAX_FALLBACK)
    return "papers-bot"


MAX_TEXT = 3_900  # a message's `text` without blocks: Slack advises 4,000 at most


def as_text(blocks: list[Block]) -> str:
    """The words of `blocks` as one plain mrkdwn text: what is posted when Slack refuses the blocks themselves."""
    texts = [text for block in blocks for text, _ in _texts(block) if text]
    return fit("\n\n".join(texts), MAX_TEXT) or "papers-bot"


def fitted(message: Message) -> Message:
    """One message within the limits: the first page, saying what is left out."""
    return pages(message, max_pages=1)[0]
