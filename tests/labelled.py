"""The hand-labelled relevance set (tests/data/relevance) and bench/relevance.py's scoring of it, for tests."""

from __future__ import annotations

import json
import zlib
from pathlib import Path

from bot.domain import Paper
from bot.relevance.matching import Matcher
from bot.relevance.query import parse_query

LABELLED = Path(__file__).parent / "data" / "relevance" / "labelled.jsonl"
Rows = list[tuple[Paper, dict[str, str]]]


def labelled() -> Rows:
    """Each labelled paper with its label per topic (`relevant`, `partial`, `not`)."""
    rows = []
    for line in LABELLED.read_text(encoding="utf-8").splitlines():
        d = json.loads(line)
        paper = Paper(
            d["title"],
            d["abstract"],
            arxiv_id=d["id"],
            categories=tuple(d["categories"] or ()),
            ai_keywords=tuple(d["ai_keywords"] or ()),
        )
        rows.append((paper, d["labels"]))
    return rows


def held_out(rows: Rows) -> Rows:
    """The quarter rules are never tuned on (by id's CRC-32, as bench/relevance.py splits)."""
    return [row for row in rows if zlib.crc32((row[0].arxiv_id or "").encode()) % 4 == 0]


def tune_part(rows: Rows) -> Rows:
    return [row for row in rows if zlib.crc32((row[0].arxiv_id or "").encode()) % 4 != 0]


def macro_f1(matcher: Matcher, rows: Rows) -> float:
    """bench/relevance.py's scoring: a partial label is neither required nor penalised."""
    f1s = []
    for topic in sorted({t for _, labels in rows for t in labels}):
        query = parse_query(topic, matcher.taxonomy)
        hits = [(matcher.match(query, paper) is not None, labels.get(topic, "not")) for paper, labels in rows]
        tp = sum(hit and label != "not" for hit, label in hits)
        fp = sum(hit and label == "not" for hit, label in hits)
        relevant = sum(label == "relevant" for _, label in hits)
        found = sum(hit and label == "relevant" for hit, label in hits)
        precision = tp / (tp + fp) if tp + fp else 1.0
        recall = found / relevant if relevant else 1.0
        f1s.append(2 * precision * recall / (precision + recall) if precision + recall else 0.0)
    return sum(f1s) / len(f1s)
