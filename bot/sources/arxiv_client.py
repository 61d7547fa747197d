"""Fetching from arXiv within its terms: RSS for daily announcements, the Atom API for ids and backfill."""

from __future__ import annotations

import logging
import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import httpx

from bot.errors import BadInput
from bot.sources.arxiv import parse_arxiv_rss, parse_atom_page
from bot.sources.http import PoliteHTTP, SourceFailing
from bot.sources.parsed import Parsed, arxiv_id

log = logging.getLogger(__name__)

EASTERN = ZoneInfo("America/New_York")
ANNOUNCED_AT = time(20, 0)  # US Eastern, Sunday to Thursday
NO_ANNOUNCEMENT = (4, 5)  # Friday and Saturday nights
PACE_SECONDS = 3.0  # arXiv's terms: one request every three seconds, across the process
IDS_PER_REQUEST = 100
PAGE_SIZE = 200
EMPTY_PAGE_RETRIES = 2  # the API sometimes answers a page with no entries; asking again helps
_CATEGORY = re.compile(r"^[a-z][a-z\-]*(?:\.[A-Za-z\-]+)?$")


def announces_today(now: datetime) -> bool:
    """Whether arXiv has made an announcement today (US Eastern) by `now`: 20:00, never Fri/Sat."""
    local = _eastern(now)
    return local.weekday() not in NO_ANNOUNCEMENT and local.time() >= ANNOUNCED_AT


def rss_has_announcements(now: datetime) -> bool:
    """Whether today's RSS feed (rebuilt at midnight US Eastern) carries last night's announcement:
    Monday to Friday; on Saturday and Sunday the feeds are empty."""
    return _eastern(now).weekday() < 5


def last_announcement(now: datetime) -> datetime:
    """The moment (aware UTC) of the latest announcement at or before `now`; ignores arXiv holidays."""
    local = _eastern(now)
    day = local.date() if local.time() >= ANNOUNCED_AT else local.date() - timedelta(days=1)
    while day.weekday() in NO_ANNOUNCEMENT:
        day -= timedelta(days=1)
    return datetime.combine(day, ANNOUNCED_AT, EASTERN).astimezone(UTC)


def _eastern(now: datetime) -> datetime:
    return (now if now.tzinfo else now.replace(tzinfo=UTC)).astimezone(EASTERN)


class ArxivClient:
    """arXiv's RSS and query API behind one polite, paced HTTP client."""

    def __init__(self, api_url: str, rss_url: str, contact: str, http: PoliteHTTP | None = None) -> None:
        self.api_url = api_url
        self.rss_url = rss_url.rstrip("/")
        self.http = http or PoliteHTTP(contact)

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> ArxivClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _get(self, url: str, params: dict | None = None) -> httpx.Response:
        return self.http.get(url, params=params, pace="arxiv", min_interval=PACE_SECONDS, source="arxiv")

    def fetch_rss(self, categories: list[str]) -> Parsed:
        """Today's announcements for `categories` (new, cross-lists, and replacements in `replaced`)."""
        response = self._get(f"{self.rss_url}/{'+'.join(_checked(categories))}")
        if response.status_code != 200:
            raise SourceFailing(f"arXiv RSS answered {response.status_code}", source="arxiv")
        try:
            parsed = parse_arxiv_rss(response.content)
        except BadInput as error:
            raise SourceFailing(f"arXiv RSS: {error.message}", source="arxiv") from None
        log.info(
            "arXiv RSS %s: %d papers (%d replaced)", "+".join(categories), len(parsed.papers), len(parsed.replaced)
        )
        return parsed

    def fetch_ids(self, ids: list[str]) -> Parsed:
        """The papers with these arXiv ids; an id arXiv does not know is simply absent."""
        result = Parsed()
        wanted = list(dict.fromkeys(i for i in map(arxiv_id, ids) if i))
        result.problems.extend(f"{raw!r} is not an arXiv id" for raw in ids if arxiv_id(raw) is None)
        for start in range(0, len(wanted), IDS_PER_REQUEST):
            chunk = wanted[start : start + IDS_PER_REQUEST]
            params = {"id_list": ",".join(chunk), "start": 0, "max_results": len(chunk)}
            result.extend(self._atom(params)[0])
        return result

    def fetch_since(self, since: date, categories: list[str], until: date | None = None, limit: int = 10_000) -> Parsed:
        """Papers submitted in `categories` from `since` on (newest first), page by page, at most `limit`."""
        until = until or datetime.now(UTC).date() + timedelta(days=1)
        cats = " OR ".join(f"cat:{category}" for category in _checked(categories))
        query = f"({cats}) AND submittedDate:[{since:%Y%m%d}0000 TO {until:%Y%m%d}2359]"
        result = Parsed()
        start, empty_pages = 0, 0
        while start < limit:
            params = {
                "search_query": query,
                "start": start,
                "max_results": min(PAGE_SIZE, limit - start),
                "sortBy": "submittedDate",
                "sortOrder": "descending",
            }
            page, total = self._atom(params)
            result.extend(page)
            seen = len(page.papers) + len(page.problems)
            if seen == 0 and total is not None and start < total:
                if empty_pages < EMPTY_PAGE_RETRIES:
                    empty_pages += 1
                    continue
                result.problems.append(f"arXiv gave no entries at {start} of {total}; backfill stopped there")
            # Short pages happen mid-result on arXiv: the total, not the page size, says when to stop.
            if seen == 0 or total is None or start + seen >= total:
                break
            start, empty_pages = start + seen, 0
        log.info("arXiv backfill since %s: %d papers", since, len(result.papers))
        return result

    def _atom(self, params: dict) -> tuple[Parsed, int | None]:
        response = self._get(self.api_url, params)
        # A 400 carries an Atom feed whose one "Error" entry says what was wrong: report it as a problem.
        if response.status_code not in (200, 400):
            raise SourceFailing(f"arXiv API answered {response.status_code}", source="arxiv")
        try:
            return parse_atom_page(response.content)
        except BadInput as error:
            if response.status_code == 400:
                return Parsed(problems=[f"arXiv API refused the query ({error.message})"]), None
            raise SourceFailing(f"arXiv API: {error.message}", source="arxiv") from None


def _checked(categories: list[str]) -> list[str]:
    """Categories safe to put in a URL or query (`cs.LG`, `eess.AS`, `hep-th`)."""
    bad = [c for c in categories if not _CATEGORY.match(c)]
    if bad or not categories:
        raise BadInput(f"not arXiv categories: {', '.join(bad)[:80] or '(none given)'}")
    return categories
