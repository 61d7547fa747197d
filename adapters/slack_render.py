"""Block Kit for digests: the parent of a thread, one paper per reply, or one compact message."""

from __future__ import annotations

from bot.domain import Digest, Match
from bot.senders import Part

MAX_TEXT = 2900  # a section's text may hold 3,000 characters
SUMMARY = 280  # about two lines in a Slack client


def escape(text: str) -> str:
    """Slack's three control characters, so that `<!channel>` in a title is only text."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _link(url: str, label: str) -> str:
    # In `<url|label>` a `|` or `>` in the url would end it early; Slack reads %-escapes fine.
    safe = escape(url).replace("|", "%7C")
    return f"<{safe}|{escape(label)}>"


def _short(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"


def _paper_text(match: Match, compact: bool) -> str:
    paper = match.paper
    title = _link(paper.abs_url, paper.title) if paper.abs_url else escape(paper.title)
    lines = [f"*{title}*"]
    byline = ", ".join(paper.authors[:4]) + (" et al." if len(paper.authors) > 4 else "")
    meta = [escape(byline)] if byline else []
    if paper.upvotes:
        meta.append(f"▲ {paper.upvotes}")
    if meta:
        lines.append(" · ".join(meta))
    summary = paper.ai_summary or paper.abstract
    if summary:
        lines.append(escape(_short(summary, SUMMARY // 2 if compact else SUMMARY)))
    links = [(label, url) for label, url in (
        ("arXiv", paper.abs_url), ("PDF", paper.pdf_url), ("Hugging Face", paper.hf_url), ("code", paper.code_url),
    ) if url]
    if links:
        lines.append(" · ".join(_link(url, label) for label, url in links))
    if match.why:
        lines.append("_why: " + escape("; ".join(match.why[:3])) + "_")
    return _short_lines("\n".join(lines))


def _short_lines(text: str) -> str:
    return text if len(text) <= MAX_TEXT else text[: MAX_TEXT - 1] + "…"


def _section(text: str) -> dict[str, object]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def _more(digest: Digest) -> str:
    return f"\n_and {digest.more} more: `/papers digest` shows the list_" if digest.more else ""


def render_part(digest: Digest, part: Part) -> tuple[str, list[dict[str, object]]]:
    """(fallback text, blocks) for one message of a post, as `bot.senders.parts` cut it."""
    title = escape(digest.title or f"{len(digest.matches)} new papers")
    if part.is_parent:
        text = f"*{title}*{_more(digest)}\n_The papers are in the thread._"
        return title, [_section(text)]
    if part.count > 1:  # one paper in a thread reply
        match = digest.matches[part.index - 1]
        return escape(match.paper.title), [_section(_paper_text(match, compact=False))]
    blocks: list[dict[str, object]] = [_section(f"*{title}*{_more(digest)}")]
    for match in digest.matches:
        blocks += [{"type": "divider"}, _section(_paper_text(match, compact=True))]
    return title, blocks
