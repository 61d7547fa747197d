"""Benchmark part: a warm-up that asks which kinds of paper a channel wants (`bench/feedback.py --kinds`).

The candidates are the warm-up's (the subscription's matches of the last WARMUP_DAYS days before the held-out
ones), split in K kinds (bot/feedback/paper_kinds.py). The simulated channel reads each kind's SHOWN typical
titles and picks the kind when at least PICK of them fit its hidden interest (two of three: most of what the
kind shows is what it wants); each picked kind's typical papers count as likes, the other kinds' as dislikes.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence

import feedback_replay as fb

from bot.domain import Paper
from bot.feedback.paper_kinds import KINDS, SHOWN, Kind, paper_kinds
from bot.feedback.signals import Labels

COUNTS = (6, 7, 8, 9, 10)  # K tried
PICK = 2  # typical papers of a kind (of SHOWN) that must fit for the channel to pick it
LOOSE = 1  # a looser reader: one of three will do
SHOWN_KINDS = ("gaussian splatting", "code LLM agents")  # channels whose kinds are printed, as a reader sees them


def picks(channel: fb.Channel, kinds: Sequence[Kind], least: int) -> tuple[tuple[Paper, int], ...]:
    """The votes a channel gives by picking kinds: +1 for each picked kind's typical papers, -1 for the others'."""
    return tuple(
        (m.paper, 1 if sum(channel.wants(t.paper) for t in kind.typical) >= least else -1)
        for kind in kinds
        for m in kind.typical
    )


def as_labels(votes: Sequence[tuple[Paper, int]]) -> Labels:
    return Labels(tuple(p for p, v in votes if v > 0), tuple(p for p, v in votes if v < 0), ())


def kinds_tables(chosen: list[fb.Channel], replay: fb.Replay, count: int = KINDS) -> None:
    evidence = replay.evidence
    recent = replay.train_days[-fb.WARMUP_DAYS :]
    print(
        f"\n| channel | p@10 before | after kinds, K = {' / '.join(map(str, COUNTS))} (kinds picked) "
        f"| K = {count}, one of {SHOWN} fits (picked) | after 5 ordinary signals | after 8 |"
    )
    print("|---|---|---|---|---|---|")
    rows: list[list[float]] = []
    for channel in chosen:
        by_day = replay.by_day(replay.matches(channel))
        held = replay.held(by_day)
        pool = [m for d in recent for m in by_day[d]]
        run = replay.simulate(channel, by_day)

        def p10(labels: Labels, days_: list[str] = held, by: dict = by_day, who: fb.Channel = channel) -> float:
            return statistics.mean(fb.precision(who, by[d], labels, evidence) for d in days_)

        cells, row = [], [p10(Labels((), (), ()))]
        found = {k: paper_kinds(pool, k) for k in COUNTS}
        for k in COUNTS:
            votes = picks(channel, found[k], PICK)
            row.append(p10(as_labels(votes)))
            cells.append(f"{row[-1]:.2f} ({sum(v > 0 for _, v in votes) // SHOWN})")
        loose = picks(channel, found[count], LOOSE)
        row += [p10(as_labels(loose)), p10(fb.labels_at(run, 5)), p10(fb.labels_at(run, 8))]
        rows.append(row)
        print(
            f"| {channel.name} | {row[0]:.2f} | {' / '.join(cells)} "
            f"| {row[-3]:.2f} ({sum(v > 0 for _, v in loose) // SHOWN}) | {row[-2]:.2f} | {row[-1]:.2f} |"
        )
        if channel.name in SHOWN_KINDS:
            show(channel, found[count])
    means = [statistics.mean(column) for column in zip(*rows, strict=True)]
    print(
        f"| **mean of {len(rows)}** | **{means[0]:.2f}** | **{' / '.join(f'{v:.2f}' for v in means[1:-3])}** "
        f"| **{means[-3]:.2f}** | **{means[-2]:.2f}** | **{means[-1]:.2f}** |"
    )
    two_interests(replay, count)


def show(channel: fb.Channel, kinds: Sequence[Kind]) -> None:
    """A channel's kinds as the warm-up would offer them, to stderr-free notes below the table."""
    for number, kind in enumerate(kinds, 1):
        fits = sum(channel.wants(m.paper) for m in kind.typical)
        print(
            f"|   {number}. {', '.join(kind.words)} ({kind.size} papers; {fits} of {SHOWN} fit"
            f"{', picked' if fits >= PICK else ''}): “{kind.typical[0].paper.title[:70]}” | | | | | |"
        )


def two_interests(replay: fb.Replay, count: int) -> None:
    """Channels with two interests: each interest's places in the top 10 after the kinds, and after the kinds and
    10 / 20 ordinary signals (posts re-ranked by what it taught from the kinds on), against 10 ordinary signals."""
    named = {c.name: c for c in fb.CHANNELS}
    print(
        f"\n| channel with two interests | kinds picked (of {count}): first / second / neither "
        "| top 10 before | 10 ordinary signals | kinds | kinds + 10 signals | kinds + 20 "
        "| days both hold ≥ 3: 10 signals / kinds / kinds + 10 (of days both could) |"
    )
    print("|---|---|---|---|---|---|---|---|")
    recent = replay.train_days[-fb.WARMUP_DAYS :]
    for first, second in fb.PAIRS:
        a, b = named[first], named[second]
        both = fb.pair(a, b)
        by_day = replay.by_day(replay.matches(both))
        held = replay.held(by_day)
        could = [d for d in held if all(sum(c.wants(m.paper) for m in by_day[d]) >= 3 for c in (a, b))]
        kinds = paper_kinds([m for d in recent for m in by_day[d]], count)
        votes = picks(both, kinds, PICK)
        picked = [k for k in kinds if sum(both.wants(m.paper) for m in k.typical) >= PICK]
        fits = [[sum(c.wants(m.paper) for m in k.typical) >= PICK for c in (a, b)] for k in picked]
        sorts = [sum(f[0] for f in fits), sum(f[1] for f in fits), sum(not any(f) for f in fits)]
        plain = replay.simulate(both, by_day)
        taught = replay.simulate(both, by_day, votes)
        start = len(votes)
        given = [
            Labels((), (), ()),
            fb.labels_at(plain, 10),
            fb.labels_at(taught, start),
            fb.labels_at(taught, min(start + 10, len(taught.signals))),
            fb.labels_at(taught, min(start + 20, len(taught.signals))),
        ]
        cells, kept = [], []
        for labels in given:
            posts = {d: fb.ranked(by_day[d], labels, replay.evidence)[: fb.POST] for d in held}
            places = [statistics.mean(sum(c.wants(m.paper) for m in posts[d]) for d in held) for c in (a, b)]
            cells.append(f"{places[0]:.1f} / {places[1]:.1f}")
            kept.append(sum(all(sum(c.wants(m.paper) for m in posts[d]) >= 3 for c in (a, b)) for d in could))
        print(
            f"| {both.name} | {' / '.join(map(str, sorts))} | {' | '.join(cells)} "
            f"| {kept[1]} / {kept[2]} / {kept[3]} of {len(could)} |"
        )
