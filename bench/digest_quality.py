"""Digest quality: does the post put first what researchers value? Prints markdown tables.

    python bench/digest_quality.py [--hf ../shared/data/hf-daily] [--days 2026-06-15:2026-06-26]

Replays weekday mornings from the saved Hugging Face daily responses (they carry upvotes and
publication dates): on each day D at 09:00 UTC the papers of D's response are new, those of the
week before still in the window (NEW_FOR) unless posted. The week before the first measured day is
replayed first, unmeasured, so that the first post measured is not a week's backlog. Channels:
- one channel per topic of the taxonomy (181), subscribed to that topic alone;
- five lab channels with four subscriptions each (LABS), for agreement.
Each channel gets the day's post (DIGEST cap 10) and what it posted is not posted again. The same
replay runs twice: with the order before issue 18 (best subscription's score, then upvotes, then
date) and with the current one (bot/delivery/ranking.py). Reported:
- top 3: on how many (channel, day) the day's most upvoted matching paper is in the post's first 3,
  over the days where the channel had 4 or more candidates (fewer make the question empty); and
  how many topic channels reach it on at least 80 % of their days (the target: 4 of 5);
- agreement: the mean rank (1 = first) and mean percentile of papers that match two or more of a
  lab's subscriptions, against those matching one, in the full order of each lab's post;
- why lines: the lines the terminal prints after "why:", their length (max, p95) in the posts;
- relevance: macro precision / recall / F1 on tests/data/relevance/labelled.jsonl (bench/relevance.py's
  scoring).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from relevance import load as load_labelled  # noqa: E402  (beside this file)

from adapters.terminal.render import match_block  # noqa: E402
from bot.delivery.fanout import NEW_FOR, FanOut  # noqa: E402
from bot.domain import ChannelRef, Digest, Match, Paper, Subscription  # noqa: E402
from bot.relevance.matching import Matcher  # noqa: E402
from bot.relevance.paper_text import PaperText  # noqa: E402
from bot.relevance.query import parse_query  # noqa: E402
from bot.relevance.topics import default_taxonomy  # noqa: E402
from bot.sources.hf import parse_hf_daily  # noqa: E402

HF = ROOT.parent / "shared" / "data" / "hf-daily"  # ../shared/data beside the working copy, or --hf
CAP = 10
LABS = {
    "rl-lab": ("reinforcement-learning", "robotics", "world-models", "llm-agents"),
    "vision-lab": ("computer-vision", "diffusion-models", "video-generation", "3d-vision"),
    "llm-lab": ("large-language-models", "llm-reasoning", "retrieval-augmented-generation", "llm-evaluation"),
    "safety-lab": ("ai-safety", "alignment", "interpretability", "jailbreaks-and-red-teaming"),
    "robot-lab": ("robotics", "vision-language-action-models", "embodied-ai", "navigation"),
}
Order = Callable[[Digest], list[Match]]


def before_order(digest: Digest) -> list[Match]:
    """The order before issue 18: the best subscription's score, then upvotes, then the newest."""

    def key(match: Match) -> tuple[float, int, float]:
        when = match.paper.published_at.timestamp() if match.paper.published_at else float("-inf")
        return (-match.score, -(match.paper.upvotes or 0), -when)

    return sorted(digest.matches, key=key)


def current_order(digest: Digest) -> list[Match]:
    return list(digest.matches)


def days_of(folder: Path, first: date, last: date) -> dict[date, list[Paper]]:
    """Each saved day's papers, from a week before `first` (the window) to `last`."""
    found = {}
    for path in sorted(folder.glob("*.json")):
        day = date.fromisoformat(path.stem)
        if first - NEW_FOR <= day <= last:
            found[day] = parse_hf_daily(json.loads(path.read_text(encoding="utf-8"))).papers
    return found


def replay(
    days: dict[date, list[Paper]], first: date, channels: dict[str, Sequence[str]], order: Order, matcher: Matcher
) -> list[tuple[date, str, list[Match], set[str]]]:
    """Each (day, channel): the post's full order and the keys new that day."""
    evidence: dict[str, PaperText] = {}
    sent: dict[str, set[str]] = {name: set() for name in channels}
    out = []
    for day in sorted(days):  # the week before `first` is posted too, so that no backlog is measured
        now = datetime(day.year, day.month, day.day, 9, tzinfo=UTC)
        window: dict[str, Paper] = {}
        for seen in sorted(d for d in days if day - NEW_FOR < d <= day):
            window.update((p.key, p) for p in days[seen])
        for paper in window.values():
            if paper.key not in evidence:
                evidence[paper.key] = PaperText.stored(paper, matcher.own_evidence(paper))
        papers = list(window.values())
        fanout = FanOut(matcher, papers, {p.key: evidence[p.key] for p in papers}, now)
        fresh = {p.key for p in days[day]}
        for name, queries in channels.items():
            ref = ChannelRef("terminal", "local", name)
            subscriptions = [Subscription(ref, q) for q in queries]
            full = order(fanout.digest(ref, subscriptions, sent[name], now, cap=None))
            sent[name].update(m.paper.key for m in full[:CAP])
            if day >= first:
                out.append((day, name, full, fresh))
    return out


def top3(rows: list[tuple[date, str, list[Match], set[str]]]) -> tuple[int, int, int, int]:
    """(channel-days with the most upvoted new paper in the first 3, channel-days asked, channels at 80 %, channels)."""
    hits = asked = 0
    per_channel: dict[str, list[bool]] = {}
    for _, name, full, fresh in rows:
        new = [m for m in full if m.paper.key in fresh]
        if len(full) < 4 or not new:
            continue
        best = max(m.paper.upvotes or 0 for m in new)
        first = {m.paper.key for m in full[:3]}
        hit = any(m.paper.key in first for m in new if (m.paper.upvotes or 0) == best)
        hits, asked = hits + hit, asked + 1
        per_channel.setdefault(name, []).append(hit)
    good = sum(sum(h) >= 0.8 * len(h) for h in per_channel.values())
    return hits, asked, good, len(per_channel)


def agreement(rows: list[tuple[date, str, list[Match], set[str]]], matcher: Matcher) -> dict[str, list[float]]:
    """Rank and percentile of each lab paper, by how many of the lab's subscriptions match it."""
    taxonomy = matcher.taxonomy
    found: dict[str, list[float]] = {"one rank": [], "two+ rank": [], "one pct": [], "two+ pct": []}
    for _, name, full, _ in rows:
        queries = [parse_query(q, taxonomy) for q in LABS[name]]
        for rank, match in enumerate(full, 1):
            hits = sum(matcher.match(q, match.paper) is not None for q in queries)
            kind = "two+" if hits >= 2 else "one"
            found[f"{kind} rank"].append(rank)
            found[f"{kind} pct"].append(100.0 * (rank - 1) / max(len(full) - 1, 1))
    return found


def why_lengths(rows: list[tuple[date, str, list[Match], set[str]]]) -> list[int]:
    """The length of every why line the terminal prints for the posted papers."""
    lengths = []
    for _, _, full, _ in rows:
        for match in full[:CAP]:
            block = match_block(match, 1).splitlines()
            start = next(i for i, line in enumerate(block) if line.strip().startswith("why:"))
            lengths += [len(line.strip().removeprefix("why:").strip()) for line in block[start:]]
    return lengths


def relevance(matcher: Matcher) -> tuple[float, float, float]:
    """Macro precision, recall and F1 over the labelled topics (bench/relevance.py's scoring)."""
    rows = load_labelled(ROOT / "tests" / "data" / "relevance" / "labelled.jsonl")
    topics = sorted({t for _, labels in rows for t in labels})
    ps, rs, fs = [], [], []
    for topic in topics:
        query = parse_query(topic, matcher.taxonomy)
        tp = fp = fn = 0
        for paper, labels in rows:
            label = labels.get(topic, "not")
            hit = matcher.match(query, paper) is not None
            tp, fp = tp + (hit and label != "not"), fp + (hit and label == "not")
            fn += not hit and label == "relevant"
        support = sum(labels.get(topic) == "relevant" for _, labels in rows)
        p = tp / (tp + fp) if tp + fp else 1.0
        r = (support - fn) / support if support else 1.0
        ps.append(p)
        rs.append(r)
        fs.append(2 * p * r / (p + r) if p + r else 0.0)
    return statistics.mean(ps), statistics.mean(rs), statistics.mean(fs)


def p95(values: list[int]) -> int:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--hf", type=Path, default=HF)
    parser.add_argument("--days", default="2026-06-15:2026-06-26", help="first:last weekday replayed")
    args = parser.parse_args()
    first, last = (date.fromisoformat(d) for d in args.days.split(":"))
    days = days_of(args.hf, first, last)
    matcher = Matcher(default_taxonomy())
    topics = {t.slug: (t.slug,) for t in matcher.taxonomy}
    print(f"{len([d for d in days if d >= first])} days replayed ({first} to {last}), {len(topics)} topic channels\n")
    print(
        "| order | top-3 channel-days | share | topic channels at >= 80 % of days | lab papers 2+ subs: mean rank / pct | 1 sub: mean rank / pct | why max | why p95 |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for label, order in (("before", before_order), ("current", current_order)):
        singles = replay(days, first, topics, order, matcher)
        hits, asked, good, channels = top3(singles)
        labs = agreement(replay(days, first, LABS, order, matcher), matcher)
        why = why_lengths(singles)
        print(
            f"| {label} | {hits}/{asked} | {hits / asked:.2f} | {good}/{channels} "
            f"| {statistics.mean(labs['two+ rank']):.1f} / {statistics.mean(labs['two+ pct']):.0f} "
            f"| {statistics.mean(labs['one rank']):.1f} / {statistics.mean(labs['one pct']):.0f} "
            f"| {max(why)} | {p95(why)} |"
        )
    p, r, f1 = relevance(matcher)
    print(f"\nrelevance on the labelled set: macro P {p:.3f}, R {r:.3f}, F1 {f1:.3f}")


if __name__ == "__main__":
    main()
