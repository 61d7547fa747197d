"""The HF and arXiv clients against a local server: paging, pacing, retries, failures. No network."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from bot.errors import BadInput
from bot.sources import (
    ArxivClient,
    HFClient,
    PoliteHTTP,
    SourceFailing,
    announces_today,
    last_announcement,
    rss_has_announcements,
)
from bot.sources.http import server_wait
from tests.sources_server import Reply, SourcesServer

DATA = Path(__file__).parent / "data" / "sources"
HF_DAY = (DATA / "hf-2026-08-21.json").read_bytes()


class FakeClock:
    """A monotonic clock that only moves when someone sleeps; records every sleep."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []
        self.requests_at: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(round(seconds, 3))
        self.now += seconds


@pytest.fixture
def server() -> Iterator[SourcesServer]:
    with SourcesServer() as running:
        yield running


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def http(clock: FakeClock) -> Iterator[PoliteHTTP]:
    with PoliteHTTP("ops@lab.example", timeout=0.3, attempts=3, sleep=clock.sleep, clock=clock) as polite:
        yield polite


def hf(server: SourcesServer, http: PoliteHTTP) -> HFClient:
    return HFClient(server.url, http=http)


def arxiv(server: SourcesServer, http: PoliteHTTP) -> ArxivClient:
    return ArxivClient(server.url + "/api/query", server.url + "/rss", "ops@lab.example", http=http)


def test_hf_day_is_fetched_with_a_contact_user_agent(server: SourcesServer, http: PoliteHTTP) -> None:
    server.script("/api/daily_papers", Reply(body=HF_DAY))
    parsed = hf(server, http).fetch_day(date(2026, 8, 21))

    assert [p.arxiv_id for p in parsed.papers][:1] == ["2608.19880"] and len(parsed.papers) == 3
    (request,) = server.requests
    assert request.query == {"date": "2026-08-21", "limit": "100", "p": "0"}
    assert "papers-bot" in request.headers["user-agent"] and "ops@lab.example" in request.headers["user-agent"]


def test_hf_pages_through_full_pages(server: SourcesServer, http: PoliteHTTP, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("bot.sources.hf.PAGE_SIZE", 2)
    entries = json.loads(HF_DAY)
    server.script(
        "/api/daily_papers", Reply(body=json.dumps(entries[:2])), Reply(body=json.dumps(entries[1:3])), Reply(body="[]")
    )
    parsed = hf(server, http).fetch_day(date(2026, 8, 21))

    assert len(parsed.papers) == 3
    assert [r.query["p"] for r in server.requests] == ["0", "1", "2"]


def test_hf_empty_day_and_range(server: SourcesServer, http: PoliteHTTP) -> None:
    server.script("/api/daily_papers", Reply(body="[]"))
    parsed = hf(server, http).fetch_range(date(2026, 8, 22), date(2026, 8, 24))

    assert parsed.papers == [] and parsed.problems == []
    assert [r.query["date"] for r in server.requests] == ["2026-08-22", "2026-08-23", "2026-08-24"]


def test_hf_malformed_json_and_anomaly_are_problems_not_crashes(server: SourcesServer, http: PoliteHTTP) -> None:
    server.script("/api/daily_papers", Reply(body='[{"paper": '))
    broken = hf(server, http).fetch_day(date(2026, 8, 21))
    server.script("/api/daily_papers", Reply(body=(DATA / "hf-anomaly-python-repr-strings.json").read_bytes()))
    anomaly = hf(server, http).fetch_day(date(2025, 1, 6))

    assert broken.papers == [] and broken.problems[0].startswith("2026-08-21 page 0: unusable response (not JSON")
    assert anomaly.papers == [] and "Python repr() strings" in anomaly.problems[0]
    server.script("/api/daily_papers", Reply(body="[" * 100_000))  # deeper than Python recurses
    deep = hf(server, http).fetch_day(date(2026, 8, 21))
    assert deep.papers == [] and deep.problems[0].startswith("2026-08-21 page 0: unusable response (not JSON")


def test_429_with_retry_after_is_waited_out(server: SourcesServer, http: PoliteHTTP, clock: FakeClock) -> None:
    server.script("/api/daily_papers", Reply(429, "slow down", {"Retry-After": "7"}), Reply(body=HF_DAY))
    parsed = hf(server, http).fetch_day(date(2026, 8, 21))

    assert len(parsed.papers) == 3
    assert 7.0 in clock.sleeps and len(server.requests) == 2


def test_hf_ratelimit_header_sets_the_wait(server: SourcesServer, http: PoliteHTTP, clock: FakeClock) -> None:
    limited = Reply(429, "", {"RateLimit": '"api";r=0;t=42', "RateLimit-Policy": '"fixed window";"api";q=500;w=300'})
    server.script("/api/daily_papers", limited, Reply(body=HF_DAY))
    hf(server, http).fetch_day(date(2026, 8, 21))

    assert 42.0 in clock.sleeps


def test_503_backs_off_exponentially_then_the_source_is_failing(
    server: SourcesServer, http: PoliteHTTP, clock: FakeClock
) -> None:
    server.script("/api/daily_papers", Reply(503, "down"))
    with pytest.raises(SourceFailing) as caught:
        hf(server, http).fetch_day(date(2026, 8, 21))

    assert len(server.requests) == 3  # the bound
    assert [s for s in clock.sleeps if s >= 1] == [2.0, 4.0]
    assert "503" in caught.value.message and caught.value.source == "huggingface"


def test_a_timeout_is_retried(server: SourcesServer, http: PoliteHTTP) -> None:
    server.script("/api/daily_papers", Reply(body=HF_DAY, delay=1.0), Reply(body=HF_DAY))
    parsed = hf(server, http).fetch_day(date(2026, 8, 21))

    assert len(parsed.papers) == 3 and len(server.requests) == 2


def test_a_wait_longer_than_the_bound_fails_at_once(server: SourcesServer, http: PoliteHTTP) -> None:
    server.script("/api/daily_papers", Reply(429, "", {"Retry-After": "3600"}))
    with pytest.raises(SourceFailing) as caught:
        hf(server, http).fetch_day(date(2026, 8, 21))

    assert caught.value.retry_after == 3600.0 and len(server.requests) == 1


def test_arxiv_requests_are_at_least_three_seconds_apart(
    server: SourcesServer, http: PoliteHTTP, clock: FakeClock
) -> None:
    times: list[float] = []
    original = http.pacer.wait

    def spy(key: str, interval: float) -> None:
        original(key, interval)
        times.append(clock.now)

    http.pacer.wait = spy  # type: ignore[method-assign]
    server.script(
        "/api/query", Reply(body=(DATA / "atom-old-1111.2011v2.xml").read_bytes(), content_type="application/atom+xml")
    )
    server.script(
        "/rss/cs.LG", Reply(body=(DATA / "rss-cs.LG.synthetic.xml").read_bytes(), content_type="application/rss+xml")
    )
    client = arxiv(server, http)
    client.fetch_ids(["1111.2011v2"])
    client.fetch_rss(["cs.LG"])
    client.fetch_ids(["1111.2011"])

    assert len(times) == 3
    assert all(later - earlier >= 3.0 for earlier, later in itertools.pairwise(times))
    assert server.requests[0].query["id_list"] == "1111.2011"


def test_arxiv_rss_marks_replacements_and_checks_categories(server: SourcesServer, http: PoliteHTTP) -> None:
    server.script("/rss/cs.LG+cs.AI", Reply(body=(DATA / "rss-cs.LG.synthetic.xml").read_bytes()))
    parsed = arxiv(server, http).fetch_rss(["cs.LG", "cs.AI"])

    assert len(parsed.papers) == 4 and parsed.replaced == {"2303.00788", "2306.07886"}
    with pytest.raises(BadInput):
        arxiv(server, http).fetch_rss(["cs.LG/../../etc"])


def test_arxiv_400_error_entry_is_a_problem(server: SourcesServer, http: PoliteHTTP) -> None:
    server.script("/api/query", Reply(400, (DATA / "atom-error-abc.xml").read_bytes()))
    parsed = arxiv(server, http).fetch_ids(["abc", "2202.12139"])

    assert parsed.papers == []
    assert "'abc' is not an arXiv id" in parsed.problems
    assert any("incorrect id format" in problem for problem in parsed.problems)


def test_arxiv_backfill_pages_until_the_total(
    server: SourcesServer, http: PoliteHTTP, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("bot.sources.arxiv_client.PAGE_SIZE", 5)
    ten = (DATA / "atom-new-testing-10.xml").read_text()
    head, _, rest = ten.partition("<entry>")
    entries = ["<entry>" + e for e in rest.split("<entry>")]
    entries[-1] = entries[-1].replace("</feed>", "")
    head = head.replace("<opensearch:totalResults>214881", "<opensearch:totalResults>10")
    server.script(
        "/api/query",
        Reply(body=head + "".join(entries[:5]) + "</feed>"),
        Reply(body=head + "".join(entries[5:]) + "</feed>"),
    )
    parsed = arxiv(server, http).fetch_since(date(2022, 1, 1), ["cs.LG", "cs.SE"], until=date(2022, 12, 31))

    assert len(parsed.papers) == 10 and len({p.arxiv_id for p in parsed.papers}) == 10
    first, second = server.requests
    assert first.query["search_query"] == "(cat:cs.LG OR cat:cs.SE) AND submittedDate:[202201010000 TO 202212312359]"
    assert (first.query["start"], second.query["start"]) == ("0", "5")


def test_arxiv_5xx_after_the_bound_is_source_failing(server: SourcesServer, http: PoliteHTTP) -> None:
    server.script("/api/query", Reply(502, "bad gateway"))
    with pytest.raises(SourceFailing) as caught:
        arxiv(server, http).fetch_ids(["2202.12139"])
    assert caught.value.source == "arxiv"


@pytest.mark.parametrize(
    ("utc", "expected"),
    [
        (datetime(2026, 8, 20, 23, 59, tzinfo=UTC), False),  # Thu 19:59 EDT
        (datetime(2026, 8, 21, 0, 1, tzinfo=UTC), True),  # Thu 20:01 EDT
        (datetime(2026, 8, 22, 1, 30, tzinfo=UTC), False),  # Fri night
        (datetime(2026, 8, 23, 1, 30, tzinfo=UTC), False),  # Sat night
        (datetime(2026, 8, 24, 1, 30, tzinfo=UTC), True),  # Sun night
        (datetime(2026, 12, 8, 1, 30, tzinfo=UTC), True),  # Mon 20:30 EST
        (datetime(2026, 12, 8, 0, 30, tzinfo=UTC), False),  # Mon 19:30 EST
    ],
)
def test_announces_today_follows_the_us_eastern_calendar(utc: datetime, expected: bool) -> None:
    assert announces_today(utc) is expected


def test_last_announcement_skips_friday_and_saturday() -> None:
    monday_morning = datetime(2026, 8, 24, 12, 0, tzinfo=UTC)
    assert last_announcement(monday_morning) == datetime(2026, 8, 24, 0, 0, tzinfo=UTC)  # Sun 20:00 EDT
    saturday = datetime(2026, 8, 22, 18, 0, tzinfo=UTC)
    assert last_announcement(saturday) == datetime(2026, 8, 21, 0, 0, tzinfo=UTC)  # Thu 20:00 EDT


def test_server_wait_reads_retry_after_dates_and_ignores_ratelimit_on_5xx() -> None:
    import httpx

    assert server_wait(httpx.Headers({"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"})) == 0.0
    assert server_wait(httpx.Headers({"RateLimit-Reset": "12"})) == 12.0
    assert server_wait(httpx.Headers({"RateLimit": "limit=10, remaining=0, reset=5"})) == 5.0
    assert server_wait(httpx.Headers({"RateLimit": '"api";r=0;t=9'}), rate_limited=False) is None


def test_rss_feeds_carry_announcements_monday_to_friday_us_eastern() -> None:
    assert rss_has_announcements(datetime(2026, 8, 24, 5, 30, tzinfo=UTC))  # Mon 01:30 EDT
    assert not rss_has_announcements(datetime(2026, 8, 24, 3, 30, tzinfo=UTC))  # still Sun 23:30 EDT
    assert not rss_has_announcements(datetime(2026, 8, 22, 12, 0, tzinfo=UTC))  # Saturday


def test_arxiv_backfill_asks_again_for_a_page_that_came_back_empty(server: SourcesServer, http: PoliteHTTP) -> None:
    full = (DATA / "atom-new-testing-10.xml").read_text().replace("totalResults>214881", "totalResults>10")
    empty = (DATA / "atom-empty.xml").read_text().replace("totalResults>0", "totalResults>10")
    server.script("/api/query", Reply(body=empty), Reply(body=full))
    parsed = arxiv(server, http).fetch_since(date(2022, 1, 1), ["cs.LG"], until=date(2022, 12, 31))

    assert len(parsed.papers) == 10 and parsed.problems == []
    assert [r.query["start"] for r in server.requests] == ["0", "0"]
