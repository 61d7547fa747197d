"""Benchmark: channels that teach the bot; precision@10 of a hidden interest before and after feedback; prints tables.

    python bench/feedback.py [--test-days 20] [--dislikes 2] [--channels all|NAME,...]

Each simulated channel subscribes to a broad topic but wants a narrower part of it (its hidden
interest: a pattern in title or abstract, e.g. offline RL within reinforcement-learning). The
20k-paper arXiv corpus (tests use none of it) is split by announcement date: the last TEST_DAYS
days are held out. Over the days before them the channel gets its daily post (the top 10 of its
subscription's matches that day, re-ranked by what it taught so far, as a real pass would), likes
the shown papers that fit its hidden interest and dislikes up to DISLIKES that do not
(bench/feedback_replay.py). Then, for N = 0 (no feedback), 5, 10 and 20 signals, a model trained on
its first N signals (and the papers it was shown and ignored until then) ranks the held-out matches;
the table gives precision@10 of the hidden interest two ways (bench/feedback_measures.py): per day,
the mean over held-out days with at least 10 matches of that day's post; and the whole window, the
top 10 of all the held-out window's matches ranked together by the same model.

The last table times what a post costs a channel with feedback: training on 100 and 1,000
labelled papers (features included) and scoring 200 candidates, on this machine: cold (no paper
counted), stored (a fresh process reading the papers' word counts from the database) and warm.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from collections import defaultdict
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from feedback_measures import Held, fits
from feedback_replay import (
    CHANNELS,
    CORPUS,
    PAIRS,
    WARMUP_DAYS,
    Channel,
    Replay,
    evidence_of,
    labels_at,
    labels_of,
    load,
    pair,
)
from feedback_timings import timings
from feedback_warmup import warmup

from bot.feedback.signals import Labels
from bot.relevance.matching import Matcher
from bot.relevance.paper_text import PaperText
from bot.relevance.topics import Taxonomy

COUNTS = (0, 5, 10, 20)  # signals the main table's models learned from
SCENARIOS = {
    "10 likes": (10, 0),
    "7 likes, 3 dislikes": (7, 3),
}  # (likes, dislikes): does a channel that only likes learn?


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
    ordinary(chosen, replay)
    timings(papers, evidence)


def _pair(day: float, window: float, bold: bool = False) -> str:
    cell = f"{day:.2f} / {window:.2f}"
    return f"**{cell}**" if bold else cell


def ordinary(chosen: list[Channel], replay: Replay) -> None:
    """The main table (each channel before and after 5 / 10 / 20 signals of its ordinary posts, per day and over
    the whole window), then the likes-only table."""
    print(
        "| channel (subscription → hidden interest) | interest share of matches "
        "| best possible p@10, per day / window | before | after 5 | after 10 | after 20 | signals given (likes) |"
    )
    print("|---|---|---|---|---|---|---|---|")
    worse = []
    cells: dict[int, list[tuple[float, float]]] = defaultdict(list)
    scenario: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for channel in chosen:
        found = replay.matches(channel)
        held = Held.of(replay, found)
        run = replay.simulate(channel, held.by_day)
        share = fits(channel, found) / max(len(found), 1)
        row = []
        for count in COUNTS:
            labels = labels_at(run, min(count, len(run.signals)))
            row.append((held.per_day(channel, labels), held.whole(channel, labels)))
            cells[count].append(row[-1])
            for figure, value, without in zip(("per day", "window"), row[-1], row[0], strict=True):
                if count and value < without - 1e-9:
                    worse.append(f"{channel.name} after {count} ({figure}): {value:.3f} < {without:.3f}")
        taught = {name: labels_of(run, *counts) for name, counts in SCENARIOS.items()}
        only = taught["10 likes"]
        taught["10 likes, nothing posted"] = None if only is None else replace(only, ignored=())  # previews only
        for name, given in taught.items():
            if all(taught.values()) and given is not None:  # the same channels on both sides
                scenario[name].append((held.per_day(channel, given), held.whole(channel, given)))
        likes = sum(v > 0 for _, v in run.signals)
        print(
            f"| {channel.name} ({channel.subscription}) | {share:.0%} | {_pair(*held.best(channel))} | "
            + " | ".join(_pair(*cell) for cell in row)
            + f" | {len(run.signals)} ({likes}) |"
        )
    means = {count: _means(values) for count, values in cells.items()}
    print(f"| **mean of {len(chosen)}** | | | " + " | ".join(_pair(*means[n], bold=True) for n in COUNTS) + " | |")
    for at, figure in enumerate(("per day", "window")):
        ratio = means[10][at] / means[0][at] if means[0][at] else float("inf")
        print(f"\nafter 10 signals, {figure}: {ratio:.2f}x the precision without feedback")
    print(f"worse than without: {worse or 'none'}")
    likes_only(scenario)


def _means(pairs: list[tuple[float, float]]) -> tuple[float, float]:
    day, window = zip(*pairs, strict=True)
    return statistics.mean(day), statistics.mean(window)


def likes_only(scenario: dict[str, list[tuple[float, float]]]) -> None:
    """Likes only against 7 likes and 3 dislikes, per day and over the window (target: within 80 %)."""
    mixed = _means(scenario["7 likes, 3 dislikes"])
    print(
        f"\n| labels ({len(scenario['7 likes, 3 dislikes'])} channels) | mean p@10, per day / window "
        "| against 7 likes, 3 dislikes, per day / window (target ≥ 0.80) |"
    )
    print("|---|---|---|")
    for name, shown in (
        ("7 likes, 3 dislikes", "shown-and-ignored"),
        ("10 likes", "shown-and-ignored"),
        ("10 likes, nothing posted", "nothing posted (previews only)"),
    ):
        got = _means(scenario[name])
        ratio = [g / m if m else float("inf") for g, m in zip(got, mixed, strict=True)]
        print(f"| {name.split(',')[0]}, {shown} | {_pair(*got)} | {_pair(*ratio)} |")


def warmups(chosen: list[Channel], replay: Replay) -> None:
    """A warm-up's 5 clicks (`/papers warmup` on the matches of the last WARMUP_DAYS days before the held-out
    ones, each paper liked if it fits the hidden interest, else disliked) against 5 and 8 ordinary signals."""
    print(
        "\n| channel | warm-up papers that fit (of 5) | p@10 before | after the 5 warm-up clicks "
        "| after 5 ordinary signals | after 8 |"
    )
    print("|---|---|---|---|---|---|")
    rows = []
    for channel in chosen:
        found = replay.matches(channel)
        held = Held.of(replay, found)
        run = replay.simulate(channel, held.by_day)
        recent = set(replay.train_days[-WARMUP_DAYS:])
        picked = warmup([m for m in found if replay.days[m.paper.key] in recent], None, replay.evidence)
        fit = [channel.wants(m.paper) for m in picked]
        taught = Labels(
            tuple(m.paper for m, ok in zip(picked, fit, strict=True) if ok),
            tuple(m.paper for m, ok in zip(picked, fit, strict=True) if not ok),
            (),
        )
        given = [Labels((), (), ()), taught, labels_at(run, 5), labels_at(run, 8)]
        row = [held.per_day(channel, labels) for labels in given]
        rows.append(row)
        print(f"| {channel.name} | {sum(fit)} | " + " | ".join(f"{v:.2f}" for v in row) + " |")
    means = [statistics.mean(column) for column in zip(*rows, strict=True)]
    print(f"| **mean of {len(rows)}** | | " + " | ".join(f"**{v:.2f}**" for v in means) + " |")


def two_interests(replay: Replay) -> None:
    """Channels that want two of the interests above: how many of each its posts hold (mean per day) and how many
    the whole window's top 10 holds, before and after 10 and 20 signals."""
    named = {c.name: c for c in CHANNELS}
    print(
        "\n| channel with two interests (subscriptions) | first / second in the day's matches / in the window's "
        "| per day: top 10 before | after 10 signals | after 20 | days both hold ≥ 3 after 10 / 20 (of days both could) "
        "| window's top 10: before | after 10 | after 20 |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for first, second in PAIRS:
        a, b = named[first], named[second]
        both = pair(a, b)
        held = Held.of(replay, replay.matches(both))
        run = replay.simulate(both, held.by_day)
        could = [d for d in held.days if all(fits(c, held.by_day[d]) >= 3 for c in (a, b))]
        supply = [statistics.mean(fits(c, held.by_day[d]) for d in held.days) for c in (a, b)]
        per_day, window, kept = [], [], []
        for count in (0, 10, 20):
            labels = labels_at(run, min(count, len(run.signals)))
            posts = dict(zip(held.days, held.posts(labels), strict=True))
            places = [statistics.mean(fits(c, post) for post in posts.values()) for c in (a, b)]
            per_day.append(f"{places[0]:.1f} / {places[1]:.1f}")
            kept.append(sum(all(fits(c, posts[d]) >= 3 for c in (a, b)) for d in could))
            top = held.top(labels)
            window.append(f"{fits(a, top)} / {fits(b, top)}")
        print(
            f"| {both.name} ({both.subscription}) | {supply[0]:.1f} / {supply[1]:.1f} / "
            f"{fits(a, held.window)} / {fits(b, held.window)} | {' | '.join(per_day)} "
            f"| {kept[1]} / {kept[2]} of {len(could)} | {' | '.join(window)} |"
        )


if __name__ == "__main__":
    main()
