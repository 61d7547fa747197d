"""The feedback benchmark's replay: simulated channels with hidden interests, the corpus by day, their posts and votes.

Each simulated channel subscribes to a broad topic but wants a narrower part of it (its hidden interest: a
pattern over title and abstract). Over the days before the held-out ones it gets its daily post, re-ranked by
what it taught so far as a pass would, likes the shown papers that fit and dislikes up to a few that do not.
"""

from __future__ import annotations

import json
import pickle
import re
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from bot.domain import Match, Paper
from bot.feedback.learned import train
from bot.feedback.rerank import rerank
from bot.feedback.signals import Labels, with_background
from bot.relevance.matching import Matcher, rank_key
from bot.relevance.paper_topics import evidence_version
from bot.relevance.query import parse_query

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "data" / "arxiv" / "daily-arxiv-cs-2026Q2.jsonl"  # ../shared/data, or --corpus
CACHE = Path(tempfile.gettempdir()) / "papers-bot-bench-feedback-evidence.pickle"
POST = 10
WARMUP_DAYS = 14  # the warm-up's papers: the matches of the last two weeks before the held-out days


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

    def window(self, matches: list[Match]) -> list[Match]:
        """The matches (best first) of the whole held-out window: every day's, ranked together."""
        held = set(self.test_days)
        return [m for m in matches if self.days[m.paper.key] in held]

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
    version = evidence_version(matcher)  # as stored evidence is: a rule or model change is not measured on old evidence
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
    """The share of the post (the top POST of `matches` as the channel's model ranks them) that fits its interest."""
    post = ranked(matches, labels, evidence)[:POST]
    return sum(channel.wants(m.paper) for m in post) / POST
