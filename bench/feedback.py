"""Benchmark: channels that teach the bot; precision@10 of a hidden interest before and after feedback; prints tables.

    python bench/feedback.py [--test-days 20] [--dislikes 2] [--channels all|NAME,...]

Each simulated channel subscribes to a broad topic but wants a narrower part of it (its hidden
interest: a pattern in title or abstract, e.g. offline RL within reinforcement-learning). The
20k-paper arXiv corpus (tests use none of it) is split by announcement date: the last TEST_DAYS
days are held out. Over the days before them the channel gets its daily post (the top 10 of its
subscription's matches that day, re-ranked by what it taught so far, as a real pass would), likes
the shown papers that fit its hidden interest and dislikes up to DISLIKES that do not. Then, for
N = 0 (no feedback), 5, 10 and 20 signals, a model trained on its first N signals (and the papers
it was shown and ignored until then) ranks each held-out day's matches; the table gives the mean
precision@10 of the hidden interest over held-out days with at least 10 matches.

The second table times what a post costs a channel with feedback: training on 100 and 1,000
labelled papers (features included) and scoring 200 candidates, on this machine: cold (no paper
counted), stored (a fresh process reading the papers' word counts from the database) and warm.
"""

from __future__ import annotations

import argparse
import json
import pickle
import re
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from feedback_timings import timings  # noqa: E402
from feedback_warmup import warmup  # noqa: E402

from bot.domain import Match, Paper  # noqa: E402
from bot.feedback.learned import train  # noqa: E402
from bot.feedback.rerank import rerank  # noqa: E402
from bot.feedback.signals import Labels, with_background  # noqa: E402
from bot.relevance.matching import Matcher, rank_key  # noqa: E402
from bot.relevance.paper_text import PaperText  # noqa: E402
from bot.relevance.query import parse_query  # noqa: E402
from bot.relevance.topics import Taxonomy  # noqa: E402

CORPUS = ROOT.parent / "shared" / "data" / "arxiv" / "daily-arxiv-cs-2026Q2.jsonl"  # ../shared/data, or --corpus
CACHE = Path(tempfile.gettempdir()) / "papers-bot-bench-feedback-evidence.pickle"
POST = 10
WARMUP_DAYS = 14  # the warm-up's papers: the matches of the last two weeks before the held-out days
SCENARIOS = {
    "10 likes": (10, 0),
    "7 likes, 3 dislikes": (7, 3),
}  # (likes, dislikes): does a channel that only likes learn?


@dataclass(frozen=True)
class Channel:
    name: str
    subscription: str
    interest: str  # a regular expression over the lowercased title and abstract

    def wants(self, paper: Paper) -> bool:
        return re.search(self.interest, f"{paper.title} {paper.abstract}".lower()) is not None


CHANNELS = [
    Channel("multi-agent RL", "reinforcement-learning", r"multi-agent|multiagent|\bmarl\b"),
    Channel("robot manipulation", "robotics", r"grasp|dexterous|manipulat"),
    Channel("vision-language-action", "robotics", r"vision-language-action|\bvla\b"),
    Channel(
        "code LLM agents",
        "large-language-models",
        r"(\bcode\b|coding|software|repositor).*\bagent|\bagent.*(\bcode\b|coding|software|repositor)",
    ),
    Channel("math reasoning LLMs", "large-language-models", r"\bmath|theorem|olympiad"),
    Channel("video diffusion", "diffusion-models", r"\bvideo"),
    Channel("gaussian splatting", "computer-vision", r"gaussian splatting|3dgs|\bnerf\b|neural radiance"),
    Channel(
        "medical segmentation",
        "computer-vision",
        r"(medical|clinical|patholog|radiolog|\bmri\b|\bct\b).*segment|segment.*(medical|clinical|patholog|radiolog|\bmri\b|\bct\b)",
    ),
]


# Labs with two interests (issue 28): each pair's channels wanted together, on both subscriptions.
PAIRS = [
    ("robot manipulation", "vision-language-action"),
    ("code LLM agents", "math reasoning LLMs"),
    ("gaussian splatting", "medical segmentation"),
    ("multi-agent RL", "video diffusion"),
]


@dataclass(frozen=True)
class Replay:
    """The corpus replayed: its matcher, its papers' texts and days, the days learnt from and those held out."""

    matcher: Matcher
    texts: list
    days: dict[str, str]
    train_days: list[str]
    test_days: list[str]
    evidence: dict
    dislikes: int

    def matches(self, channel: Channel) -> list[Match]:
        """The channel's matches over the whole corpus, best first."""
        query = parse_query(channel.subscription, self.matcher.taxonomy)
        return sorted(self.matcher.evaluate(query, self.texts), key=rank_key)

    def by_day(self, matches: list[Match]) -> dict[str, list[Match]]:
        """The matches (best first) by the day they were announced."""
        by_day: dict[str, list[Match]] = defaultdict(list)
        for match in matches:
            by_day[self.days[match.paper.key]].append(match)
        return by_day

    def held(self, by_day: dict[str, list[Match]]) -> list[str]:
        """The held-out days with a full post of matches."""
        return [d for d in self.test_days if len(by_day[d]) >= POST]

    def simulate(self, channel: Channel, by_day: dict[str, list[Match]], start: tuple = ()) -> Run:
        return simulate(channel, by_day, self.train_days, self.evidence, self.dislikes, start)


def pair(first: Channel, second: Channel) -> Channel:
    """A channel that wants both interests, on both subscriptions."""
    a, b = first, second
    subscription = a.subscription if a.subscription == b.subscription else f"{a.subscription} OR {b.subscription}"
    return Channel(f"{a.name} + {b.name}", subscription, f"(?:{a.interest})|(?:{b.interest})")


def load(corpus: Path = CORPUS) -> tuple[list[Paper], dict[str, str]]:
    papers, days = [], {}
    for line in corpus.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        day = record["_date"]
        paper = Paper(
            " ".join(record["title"].split()),
            " ".join(record["summary"].split()),
            record["id"],
            tuple(record["authors"]),
            datetime.fromisoformat(day).replace(tzinfo=UTC),
            tuple(record["categories"]),
            source="arxiv",
        )
        papers.append(paper)
        days[paper.key] = day
    return papers, days


def evidence_of(matcher: Matcher, papers: list[Paper]) -> dict[str, dict[str, tuple[float, tuple[str, ...]]]]:
    """Every paper's topic evidence as ingest stores it (cached between runs: it takes a few minutes)."""
    version = matcher.taxonomy.fingerprint
    if CACHE.exists():
        cached_version, evidence = pickle.loads(CACHE.read_bytes())
        if cached_version == version and len(evidence) == len(papers):
            return evidence
    started = time.perf_counter()
    evidence = {paper.key: matcher.own_evidence(paper) for paper in papers}
    print(f"(topic evidence of {len(papers):,} papers: {time.perf_counter() - started:.0f} s)", file=sys.stderr)
    CACHE.write_bytes(pickle.dumps((version, evidence)))
    return evidence


@dataclass
class Run:
    """One channel's simulation: its feedback in the order given, and what it had been shown by then."""

    signals: list[tuple[Paper, int]] = field(default_factory=list)  # (paper, +1 like / -1 dislike)
    shown_before: list[list[Paper]] = field(default_factory=list)  # papers shown up to each signal


def labels_at(run: Run, count: int) -> Labels:
    given = run.signals[:count]
    liked = tuple(p for p, v in given if v > 0)
    disliked = tuple(p for p, v in given if v < 0)
    said = {p.key for p, _ in given}
    shown = run.shown_before[count - 1] if count else []
    return Labels(liked, disliked, tuple(p for p in shown if p.key not in said))


def labels_of(run: Run, likes: int, dislikes: int) -> Labels | None:
    """The channel's labels once it gave its first `likes` likes and first `dislikes` dislikes (None: it never did)."""
    taken, counts = [], {1: 0, -1: 0}
    wanted = {1: likes, -1: dislikes}
    for i, (_paper, vote) in enumerate(run.signals):
        if counts[vote] < wanted[vote]:
            counts[vote] += 1
            taken.append(i)
        if counts == wanted:
            break
    if counts != wanted:
        return None
    given = [run.signals[i] for i in taken]
    said = {p.key for p, _ in run.signals[: taken[-1] + 1]}
    shown = run.shown_before[taken[-1]]
    return Labels(
        tuple(p for p, v in given if v > 0),
        tuple(p for p, v in given if v < 0),
        tuple(p for p in shown if p.key not in said),
    )


def ranked(matches: list[Match], labels: Labels, evidence: dict) -> list[Match]:
    """As a post does (`learned_digest`): the day's other candidates are the background of a channel shown nothing."""
    taught = with_background(labels, [m.paper for m in matches])
    taste = train(taught, evidence) if labels.signals >= 5 else None
    return rerank(matches, taste, evidence, POST) if taste else matches


def simulate(
    channel: Channel,
    by_day: dict[str, list[Match]],
    train_days: list[str],
    evidence: dict,
    dislikes: int,
    start: tuple[tuple[Paper, int], ...] = (),
) -> Run:
    """`start`: votes given before the first post (a warm-up's); a paper voted on is not voted on again."""
    run, shown = Run(list(start), [[] for _ in start]), []
    for day in train_days:
        matches = by_day.get(day, [])
        post = ranked(matches, labels_at(run, len(run.signals)), evidence)[:POST]
        shown = shown + [m.paper for m in post]
        disliked = 0
        for match in post:
            if any(match.paper.key == p.key for p, _ in start):
                continue
            if channel.wants(match.paper):
                run.signals.append((match.paper, 1))
            elif disliked < dislikes:
                run.signals.append((match.paper, -1))
                disliked += 1
            else:
                continue
            run.shown_before.append(shown)
    return run


def precision(channel: Channel, matches: list[Match], labels: Labels, evidence: dict) -> float:
    post = ranked(matches, labels, evidence)[:POST]
    return sum(channel.wants(m.paper) for m in post) / POST


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--test-days", type=int, default=20)
    parser.add_argument("--dislikes", type=int, default=2)
    parser.add_argument("--channels", default="all")
    parser.add_argument("--corpus", type=Path, default=CORPUS, help="arXiv JSONL (default: ../shared/data/arxiv/…)")
    parser.add_argument("--two-interests", action="store_true", help="only the table of channels with two interests")
    parser.add_argument("--warmup", action="store_true", help="only the table of warm-ups against ordinary signals")
    parser.add_argument("--kinds", action="store_true", help="only the tables of warm-ups that ask for kinds")
    parser.add_argument("--timings", action="store_true", help="only the table of what a channel's model costs")
    args = parser.parse_args()
    papers, days = load(args.corpus)
    matcher = Matcher(Taxonomy.load(None))
    evidence = evidence_of(matcher, papers)
    if args.timings:
        timings(papers, evidence)
        return
    texts = [(paper, PaperText.stored(paper, evidence[paper.key])) for paper in papers]
    all_days = sorted(set(days.values()))
    train_days, test_days = all_days[: -args.test_days], all_days[-args.test_days :]
    chosen = CHANNELS if args.channels == "all" else [c for c in CHANNELS if c.name in args.channels.split(",")]
    replay = Replay(matcher, texts, days, train_days, test_days, evidence, args.dislikes)
    if args.warmup:
        warmups(chosen, replay)
        return
    if args.kinds:
        from feedback_kinds import kinds_tables  # its own module: this one holds the ordinary signals

        kinds_tables(chosen, replay)
        return
    if args.two_interests:
        two_interests(replay)
        return

    print(
        "| channel (subscription → hidden interest) | interest share of matches | best possible p@10 "
        "| p@10 before | after 5 | after 10 | after 20 | signals given (likes) |"
    )
    print("|---|---|---|---|---|---|---|---|")
    worse = []
    before, after = defaultdict(list), defaultdict(list)
    scenario: dict[str, list[float]] = defaultdict(list)
    for channel in chosen:
        found = replay.matches(channel)
        by_day = replay.by_day(found)
        run = replay.simulate(channel, by_day)
        share = sum(channel.wants(m.paper) for m in found) / max(len(found), 1)
        held = replay.held(by_day)
        best = statistics.mean(min(POST, sum(channel.wants(m.paper) for m in by_day[d])) / POST for d in held)
        row = []
        for count in (0, 5, 10, 20):
            labels = labels_at(run, min(count, len(run.signals)))
            value = statistics.mean(precision(channel, by_day[d], labels, evidence) for d in held)
            (before if count == 0 else after)[count].append(value)
            row.append(value)
            if count and value < row[0] - 1e-9:
                worse.append(f"{channel.name} after {count}: {value:.3f} < {row[0]:.3f}")
        taught = {name: labels_of(run, *counts) for name, counts in SCENARIOS.items()}
        only = taught["10 likes"]
        taught["10 likes, nothing posted"] = None if only is None else replace(only, ignored=())  # previews only
        for name, given in taught.items():
            if all(taught.values()) and given is not None:  # the same channels on both sides
                scenario[name].append(statistics.mean(precision(channel, by_day[d], given, evidence) for d in held))
        likes = sum(v > 0 for _, v in run.signals)
        print(
            f"| {channel.name} ({channel.subscription}) | {share:.0%} | {best:.2f} | "
            + " | ".join(f"{v:.2f}" for v in row)
            + f" | {len(run.signals)} ({likes}) |"
        )
    mean0 = statistics.mean(before[0])
    means = [statistics.mean(after[n]) for n in (5, 10, 20)]
    print(f"| **mean of {len(chosen)}** | | | **{mean0:.2f}** | " + " | ".join(f"**{v:.2f}**" for v in means) + " | |")
    ratio = means[1] / mean0 if mean0 else float("inf")
    print(f"\nafter 10 signals: {ratio:.2f}x the precision without feedback; worse than without: {worse or 'none'}")
    mixed = statistics.mean(scenario["7 likes, 3 dislikes"])
    for name in ("10 likes", "10 likes, nothing posted"):
        likes_only = statistics.mean(scenario[name])
        print(
            f"\n{name} (0 dislikes): mean p@10 {likes_only:.2f}; 7 likes and 3 dislikes: {mixed:.2f}; "
            f"ratio {likes_only / mixed if mixed else float('inf'):.2f} (target ≥ 0.80; {len(scenario[name])} channels)"
        )
    timings(papers, evidence)


def warmups(chosen: list[Channel], replay: Replay) -> None:
    """A warm-up's 5 clicks (`/papers warmup` on the matches of the last WARMUP_DAYS days before the held-out
    ones, each paper liked if it fits the hidden interest, else disliked) against 5 and 8 ordinary signals."""
    print(
        "\n| channel | warm-up papers that fit (of 5) | p@10 before | after the 5 warm-up clicks "
        "| after 5 ordinary signals | after 8 |"
    )
    print("|---|---|---|---|---|---|")
    rows = []
    evidence = replay.evidence
    for channel in chosen:
        found = replay.matches(channel)
        by_day = replay.by_day(found)
        run = replay.simulate(channel, by_day)
        held = replay.held(by_day)
        recent = set(replay.train_days[-WARMUP_DAYS:])
        picked = warmup([m for m in found if replay.days[m.paper.key] in recent], None, evidence)
        fits = [channel.wants(m.paper) for m in picked]
        taught = Labels(
            tuple(m.paper for m, ok in zip(picked, fits, strict=True) if ok),
            tuple(m.paper for m, ok in zip(picked, fits, strict=True) if not ok),
            (),
        )
        given = [Labels((), (), ()), taught, labels_at(run, 5), labels_at(run, 8)]
        row = [statistics.mean(precision(channel, by_day[d], labels, evidence) for d in held) for labels in given]
        rows.append(row)
        print(f"| {channel.name} | {sum(fits)} | " + " | ".join(f"{v:.2f}" for v in row) + " |")
    means = [statistics.mean(column) for column in zip(*rows, strict=True)]
    print(f"| **mean of {len(rows)}** | | " + " | ".join(f"**{v:.2f}**" for v in means) + " |")


def two_interests(replay: Replay) -> None:
    """Channels that want two of the interests above: how many of each its post holds, before and after 10."""
    named = {c.name: c for c in CHANNELS}
    print(
        "\n| channel with two interests (subscriptions) | first / second in the day's matches "
        "| in the top 10 before | after 10 signals | after 20 | days both hold ≥ 3 after 10 / 20 (of days both could) |"
    )
    print("|---|---|---|---|---|---|")
    for first, second in PAIRS:
        a, b = named[first], named[second]
        both = pair(a, b)
        by_day = replay.by_day(replay.matches(both))
        run = replay.simulate(both, by_day)
        held = replay.held(by_day)
        could = [d for d in held if all(sum(c.wants(m.paper) for m in by_day[d]) >= 3 for c in (a, b))]
        supply = [statistics.mean(sum(c.wants(m.paper) for m in by_day[d]) for d in held) for c in (a, b)]
        cells, kept = [], []
        for count in (0, 10, 20):
            labels = labels_at(run, min(count, len(run.signals)))
            posts = {d: ranked(by_day[d], labels, replay.evidence)[:POST] for d in held}
            held_a = statistics.mean(sum(a.wants(m.paper) for m in posts[d]) for d in held)
            held_b = statistics.mean(sum(b.wants(m.paper) for m in posts[d]) for d in held)
            cells.append(f"{held_a:.1f} / {held_b:.1f}")
            kept.append(sum(all(sum(c.wants(m.paper) for m in posts[d]) >= 3 for c in (a, b)) for d in could))
        print(
            f"| {both.name} ({both.subscription}) | {supply[0]:.1f} / {supply[1]:.1f} | {' | '.join(cells)} "
            f"| {kept[1]} / {kept[2]} of {len(could)} |"
        )


if __name__ == "__main__":
    main()
