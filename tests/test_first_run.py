"""A fresh database's first hour: the bundled papers are real, dated, upvoted and linked, and count as new."""

from __future__ import annotations

import json
import re

from bot.sources.ingest import SEED
from tests.chat import Chat


def test_the_bundled_papers_carry_ids_authors_dates_upvotes_and_summaries() -> None:
    records = [json.loads(line) for line in SEED.read_text(encoding="utf-8").splitlines()]
    full = [r for r in records if {"id", "authors", "published_at", "upvotes", "ai_summary"} <= r.keys()]
    assert len(full) >= 100 and len(records) == len({r["title"] for r in records})


def test_the_first_digest_is_full_and_clickable(chat: Chat) -> None:
    answer = chat.say("/papers subscribe reinforcement-learning")
    per_day = float(re.search(r"about ([\d.]+) papers a day", answer)[1])
    assert per_day > 0 and "may suit better" not in answer

    post = chat.say("/papers digest")
    count = int(re.match(r"(\d+) new papers for reinforcement-learning", post)[1])
    assert count >= 10
    assert (
        post.count("arXiv: https://arxiv.org/abs/") >= 10
        and "▲" in post
        and "HF: https://huggingface.co/papers/" in post
    )


def test_an_author_subscription_says_what_is_missing_when_no_paper_has_authors(chat: Chat) -> None:
    with chat.app.engine.begin() as connection:  # a database of papers from a bare JSONL file
        connection.exec_driver_sql("UPDATE paper SET authors = ''")
    answer = chat.say('/papers subscribe author:"Sergey Levine"')
    assert "No paper of the last 7 days has authors stored, so this cannot match yet" in answer
    assert "broader topic" not in answer
