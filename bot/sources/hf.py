"""Hugging Face Daily Papers: the `/api/daily_papers` payload (every schema era) and its client."""

from __future__ import annotations

import json
import logging
from datetime import date, timedelta

from bot.domain import Paper
from bot.errors import BadInput
from bot.sources.http import PoliteHTTP, SourceFailing
from bot.sources.parsed import Parsed, arxiv_id, clean_names, clean_text, parse_time

log = logging.getLogger(__name__)

PAGE_SIZE = 100  # entries asked for per request; a full page means there may be another
MAX_PAGES = 20
PACE_SECONDS = 0.5  # HF has no stated per-request limit (429s come per 5-minute window)


def parse_hf_daily(data: object) -> Parsed:
    """Papers from a decoded `/api/daily_papers` response; raises BadInput when it is not one at all."""
    if not isinstance(data, list):
        raise BadInput(f"a Hugging Face daily payload is a JSON list of entries, not a {type(data).__name__}")
    if data and all(isinstance(entry, str) for entry in data):
        # A real broken archive format (2024-12 .. 2025-01): each entry is a Python repr() string.
        raise BadInput(
            "this is a JSON list of Python repr() strings, not Hugging Face daily entries "
            "(a known broken archive format); nothing was read"
        )
    parsed = Parsed()
    for number, entry in enumerate(data, start=1):
        parsed.add(f"entry {number}", _paper(entry))
    return parsed


def _paper(entry: object) -> Paper | str:
    """One daily entry as a Paper, or the reason it cannot be one."""
    if not isinstance(entry, dict):
        return f"a JSON {type(entry).__name__}, not an entry object"
    paper = entry.get("paper")
    if not isinstance(paper, dict):
        return "no `paper` object"
    paper_id = arxiv_id(paper.get("id"))
    if paper_id is None:
        return f"no arXiv id (id {str(paper.get('id'))[:40]!r})"
    title = paper.get("title") or entry.get("title")
    if not isinstance(title, str) or not (title := clean_text(title)):
        return f"{paper_id}: no title"
    abstract = paper.get("summary") or entry.get("summary") or ""
    upvotes = paper.get("upvotes")
    ai_summary = paper.get("ai_summary")
    return Paper(
        title=title,
        abstract=clean_text(abstract) if isinstance(abstract, str) else "",
        arxiv_id=paper_id,
        # Hidden authors are hidden from HF's author *profile links*, not from the paper: keep the names.
        authors=clean_names(paper.get("authors")),
        published_at=parse_time(paper.get("publishedAt")) or parse_time(entry.get("publishedAt")),
        upvotes=upvotes if type(upvotes) is int and upvotes >= 0 else None,
        code_url=_link(paper.get("githubRepo")),
        project_url=_link(paper.get("projectPage")),
        thumbnail_url=_link(entry.get("thumbnail")),
        ai_summary=clean_text(ai_summary) if isinstance(ai_summary, str) and ai_summary else None,
        ai_keywords=clean_names(paper.get("ai_keywords")),
        on_hf=True,
        source="hf",
    )


def _link(value: object) -> str | None:
    return value if isinstance(value, str) and value.startswith(("https://", "http://")) else None


class HFClient:
    """Fetches daily papers from the Hugging Face API, a day or a range of days at a time."""

    def __init__(self, base_url: str, http: PoliteHTTP | None = None) -> None:
        self.url = base_url.rstrip("/") + "/api/daily_papers"
        self.http = http or PoliteHTTP()

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> HFClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def fetch_day(self, day: date) -> Parsed:
        """Every entry listed for `day`, paging while pages come back full; raises SourceFailing."""
        result = Parsed()
        seen: set[str] = set()
        for page in range(MAX_PAGES):
            params = {"date": day.isoformat(), "limit": PAGE_SIZE, "p": page}
            response = self.http.get(self.url, params=params, pace="huggingface", min_interval=PACE_SECONDS)
            if response.status_code != 200:
                raise SourceFailing(f"Hugging Face answered {response.status_code} for {day}", source="hf")
            try:
                data = json.loads(response.content)
                parsed = parse_hf_daily(data)
            except (ValueError, RecursionError, BadInput) as error:  # RecursionError: a reply nested too deep
                problem = f"{day} page {page}: unusable response ({_reason(error)})"
                log.warning("Hugging Face daily papers: %s", problem)
                result.problems.append(problem)
                break
            result.problems.extend(f"{day}: {problem}" for problem in parsed.problems)
            fresh = [p for p in parsed.papers if p.arxiv_id not in seen]
            seen.update(p.arxiv_id for p in fresh if p.arxiv_id)
            result.papers.extend(fresh)
            if len(data) < PAGE_SIZE or not fresh:
                break
        log.info("Hugging Face %s: %d papers", day, len(result.papers))
        return result

    def fetch_range(self, start: date, end: date) -> Parsed:
        """Every day from `start` to `end` inclusive (weekends included: they are just empty)."""
        result = Parsed()
        day = start
        while day <= end:
            result.extend(self.fetch_day(day))
            day += timedelta(days=1)
        return result


def _reason(error: Exception) -> str:
    text = error.message if isinstance(error, BadInput) else f"not JSON: {error}"
    return text[:120]
