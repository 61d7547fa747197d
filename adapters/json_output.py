"""The `--json` shapes of the command line: papers with id, title, score and why; replies by type."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any

from bot.chat import replies as r
from bot.domain import Digest, Found, Match, Paper


def paper_json(paper: Paper) -> dict[str, Any]:
    return {
        "id": paper.arxiv_id or paper.key,
        "title": paper.title,
        "authors": list(paper.authors),
        "upvotes": paper.upvotes,
        "published_at": paper.published_at.isoformat() if paper.published_at else None,
        "categories": list(paper.categories),
        "url": paper.abs_url,
        "pdf": paper.pdf_url,
        "hf": paper.hf_url,
        "code": paper.code_url,
    }


def found_json(found: Found) -> dict[str, Any]:
    return paper_json(found.paper) | {"score": round(found.score, 4), "how": found.how}


def match_json(match: Match) -> dict[str, Any]:
    return paper_json(match.paper) | {
        "score": round(match.score, 4),
        "why": list(match.why),
        "subscription": match.subscription,
    }


def digest_json(digest: Digest) -> list[dict[str, Any]]:
    return [match_json(m) for m in digest.matches]


def reply_json(reply: r.Reply) -> dict[str, Any]:
    """Any reply as a JSON object with its `type`; papers in it keep the shapes above."""
    if isinstance(reply, r.FindResults):
        body: dict[str, Any] = {
            "text": reply.text,
            "results": [found_json(f) for f in reply.results],
            "note": reply.note,
        }
    elif isinstance(reply, r.DigestPreview):
        body = {"title": reply.digest.title, "papers": digest_json(reply.digest), "more": reply.digest.more}
    elif isinstance(reply, r.Subscribed):
        body = {
            "query": reply.query,
            "understood": reply.understood,
            "per_day": round(reply.per_day, 2),
            "top": [match_json(m) for m in reply.top],
            "warning": reply.warning,
        }
    else:
        body = {k: _plain(v) for k, v in dataclasses.asdict(reply).items()}
    return {"type": type(reply).__name__} | body


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value
