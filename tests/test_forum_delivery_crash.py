"""Forum delivery killed (SIGKILL) at random moments under 15 % 429s: each paper one forum post, none lost or repeated."""

from __future__ import annotations

import os
import random
import re
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime
from typing import Any

import pytest

from adapters.discord.forums import post_name
from bot.domain import ChannelRef, Subscription
from storage.uow import UnitOfWork
from tests.discord_forum_api import ForumStandIn
from tests.test_deliver_crash import QUERIES, ROOT, _pending

FORUMS = [f"30{i}" for i in range(len(QUERIES))]
SUMMARY_OFF = FORUMS[0]  # one forum posts the papers alone (`/papers schedule summary off`)
# The stand-in's address, set in the child the way tests set it in-process (production has no such knob).
BOOT = (
    "import os, sys, discord.http; discord.http.Route.BASE = os.environ['PAPERS_TEST_DISCORD_BASE']; "
    "from adapters.cli import main; sys.argv[0] = 'papers-bot'; main()"
)


def _prepare(database_url: str) -> dict[str, set[str]]:
    """Bundled papers, one subscription per forum; returns the posts (by title) each forum should get."""
    from bot.app import build_app
    from bot.config import Settings
    from bot.delivery.digest import build_digest
    from bot.sources.ingest import load_seed_if_empty

    app = build_app(Settings(database_url=database_url, digest_cap=100), seed=False)
    load_seed_if_empty(app.engine)
    expected: dict[str, set[str]] = {}
    forums = [ChannelRef("discord", "100", forum) for forum in FORUMS]
    with UnitOfWork(app.engine) as uow:
        for forum, query in zip(forums, QUERIES, strict=True):
            uow.subscriptions.add(Subscription(forum, query))
            uow.channels.row(forum).summary = forum.channel != SUMMARY_OFF
        uow.commit()
        now = datetime.now(UTC)
        for forum in forums:
            matches = build_digest(uow, app.matcher, forum, now, cap=100).matches
            expected[forum.channel] = {post_name(m.paper.title) for m in matches}
    app.engine.dispose()
    assert sum(len(keys) for keys in expected.values()) >= 20 and any(len(k) > 3 for k in expected.values())
    return expected


def _deliver(database_url: str, api: ForumStandIn) -> subprocess.Popen[bytes]:
    env = os.environ | {
        "DATABASE_URL": database_url,
        "DISCORD_TOKEN": "test-token",
        "PAPERS_TEST_DISCORD_BASE": f"http://127.0.0.1:{api.port}/api/v10",
        "DIGEST_CAP": "100",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
    }
    for name in ("SLACK_BOT_TOKEN", "SLACK_CLIENT_ID"):
        env.pop(name, None)
    return subprocess.Popen(
        [sys.executable, "-c", BOOT, "deliver", "--now"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def _kill_mid_pass(process: subprocess.Popen[bytes], api: ForumStandIn, chance: random.Random) -> bool:
    """SIGKILL once the process has made a random number of Discord calls; whether it was still running."""
    target = len(api.calls) + chance.randint(3, 20)  # login, the forum, its tags, then the posts
    deadline = time.monotonic() + 30
    while len(api.calls) < target and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.002)
    time.sleep(chance.uniform(0, 0.03))  # sometimes between Discord's answer and the outbox commit
    running = process.poll() is None
    process.kill()
    process.wait()
    return running


def _finish(database_url: str, api: ForumStandIn, seed: int) -> None:
    """Full passes until nothing is pending: up to three in the storm, then one after it has calmed."""
    for calm in (False, False, False, True):
        if calm:
            api.rate_429 = 0.0
        process = _deliver(database_url, api)
        _, err = process.communicate(timeout=120)
        failed = re.search(r" [1-9]\d* failed,", err.decode())
        assert process.returncode == (1 if failed else 0), err.decode()[-2000:]
        if _pending(database_url) == 0:
            return
    raise AssertionError(f"seed {seed}: deliveries still pending after three passes in the storm and one after it")


def is_summary(post: dict[str, Any]) -> bool:
    return "each paper is a post of its own" in post["message"]["embeds"][0]["footer"]["text"]


def posted(api: ForumStandIn) -> Counter[tuple[str, str]]:
    """(forum, title) of every forum post of a paper, duplicates included."""
    return Counter((forum, p["name"]) for forum in FORUMS for p in api.forum_posts(forum) if not is_summary(p))


@pytest.mark.slow
def test_kill_9_and_429s_during_forum_delivery_lose_nothing_and_repeat_nothing(database_url: str) -> None:
    expected = _prepare(database_url)
    seed = int(os.environ.get("PAPERS_CRASH_SEED", random.randrange(1 << 30)))
    chance = random.Random(seed)
    forums: dict[str, list[dict[str, object]]] = {forum: [] for forum in FORUMS}
    with ForumStandIn(forums=forums, rate_429=0.15, chance=random.Random(seed)) as api:  # type: ignore[arg-type]
        killed = [_kill_mid_pass(_deliver(database_url, api), api, chance) for _ in range(5)]
        assert sum(killed) >= 3, f"seed {seed}: most kills came too late to interrupt anything"
        _finish(database_url, api, seed)

        want = Counter({(forum, key): 1 for forum, keys in expected.items() for key in keys})
        counts = posted(api)
        lost, doubled = want - counts, {pair: n for pair, n in counts.items() if n > 1}
        assert not lost and not doubled, f"seed {seed}: lost {sorted(lost)}, posted twice {sorted(doubled)}"
        assert set(counts) == set(want), f"seed {seed}: unexpected posts {sorted(set(counts) - set(want))}"
        summaries = [p["parent_id"] for forum in FORUMS for p in api.forum_posts(forum) if is_summary(p)]
        assert sorted(summaries) == sorted(set(FORUMS) - {SUMMARY_OFF}), f"seed {seed}: summaries in {summaries}"
        assert api.statuses("/threads").count(429) >= 1  # the storm reached the forum posts
        threads = len(api.threads)
        _finish(database_url, api, seed)  # a second pass posts nothing
        assert len(api.threads) == threads
