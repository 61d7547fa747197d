"""The fan-out benchmark's --feedback rows: a pass without feedback, the first one after N channels gave S
signals each (it trains their models), and a later one that finds them kept (bench/fanout.py's docstring)."""

from __future__ import annotations

import random
import shutil
import tempfile
import uuid
from datetime import UTC, datetime, timedelta

from fanout import pairs, pass_worker, prepare, spawn  # beside this file
from scratch import drop_database, fresh_database, server_of

from bot.domain import Subscription
from storage.engine import make_engine


def show_history(url: str, feedback: int, signals: int, seed: int = 11) -> list[tuple[str, list[str]]]:
    """N channels' earlier posts: each chosen channel was sent its first S + 10 matches (the same ones a digest
    built now ranks first), in posts of 10. Returns each chosen channel and the keys it was shown."""
    from bot.delivery.passes import shared_fanout
    from bot.relevance.matching import Matcher
    from bot.relevance.paper_topics import PaperTopics
    from bot.relevance.topics import Taxonomy
    from storage.uow import UnitOfWork

    engine = make_engine(url)
    now = datetime.now(UTC)
    fanout = shared_fanout(engine, PaperTopics(engine, Matcher(Taxonomy.load())), now)
    shown_each = signals + 10
    chosen: list[tuple[str, list[str]]] = []
    with UnitOfWork(engine) as uow:
        channels = uow.subscriptions.channels()
        random.Random(seed).shuffle(channels)
        following = uow.bulk.queries_of([str(c) for c in channels])
        for channel in channels:
            subscriptions = [Subscription(channel, q) for q in following.get(str(channel), ())]
            matches = fanout.digest(channel, subscriptions, set(), now, None).matches
            if len(matches) < shown_each + 10:
                continue  # a channel that would have little left to post today
            keys = [m.paper.key for m in matches[:shown_each]]
            for start in range(0, shown_each, 10):
                post = [(m.paper.key, m.score, tuple(m.why)) for m in matches[start : start + 10]]
                mark = uuid.uuid4().hex
                delivery = uow.outbox.record(channel, mark, "earlier post", post)
                uow.outbox.sent(delivery, [f"{mark}:1"], now - timedelta(days=1))
            chosen.append((str(channel), keys))
            if len(chosen) == feedback:
                break
        uow.commit()
    engine.dispose()
    assert len(chosen) == feedback, f"only {len(chosen)} channels have {shown_each + 10} matches"
    return chosen


def give_signals(url: str, chosen: list[tuple[str, list[str]]], signals: int, now: datetime, seed: int = 13) -> None:
    """Each chosen channel likes or dislikes `signals` of the papers it was shown (about two likes to a dislike,
    at least one of each); the rest of what it was shown it ignored."""
    from storage.uow import UnitOfWork

    rng = random.Random(seed)
    engine = make_engine(url)
    with UnitOfWork(engine) as uow:
        for channel, keys in chosen:
            said = rng.sample(keys, signals)
            kinds = ["like", "dislike"] + [rng.choice(("like", "like", "dislike")) for _ in said[2:]]
            for key, kind in zip(said, kinds, strict=True):
                uow.feedback.give(channel, key, "U-bench", kind, now)
        uow.commit()
    engine.dispose()


def copy_database(url: str, database: str, folder: str, papers: int, channels: int) -> tuple[str, str | None]:
    """A second database like `url`: the SQLite file copied, or on PostgreSQL one prepared the same way."""
    if database == "sqlite":
        copy = f"{folder}/fanout-{uuid.uuid4().hex[:6]}.db"
        shutil.copyfile(url.removeprefix("sqlite:///"), copy)
        return f"sqlite:///{copy}", None
    other, schema = fresh_database(server_of(database), folder, "fanout")
    prepare(other, papers, channels)
    return other, schema


def pass_row(url: str, folder: str) -> dict[str, float]:
    out = f"{folder}/posted-{uuid.uuid4().hex[:6]}"
    result = spawn(pass_worker, url, out, count=1)[0]
    posted = pairs(out, 1)
    return {**result, "pairs": sum(posted.values()), "repeats": sum(n - 1 for n in posted.values() if n > 1)}


def keep_models(source: str, target: str) -> None:
    """Copy the kept models and word counts a pass stored into a database as it was before that pass."""
    from sqlalchemy import delete, insert, select

    from storage.tables import ChannelModelRow, PaperWordsRow, table_of

    reading, writing = make_engine(source), make_engine(target)
    with reading.connect() as read, writing.begin() as write:
        for table in (table_of(ChannelModelRow), table_of(PaperWordsRow)):
            rows = [dict(row._mapping) for row in read.execute(select(table))]
            write.execute(delete(table))  # the papers' counts, stored when they arrived: the same rows again
            if rows:
                write.execute(insert(table), rows)
    reading.dispose()
    writing.dispose()


def with_feedback(database: str, channels: int, papers: int, feedback: int, signals: int) -> None:
    """A pass over the same database without feedback and with it (N channels with S signals each)."""
    folder = tempfile.mkdtemp(prefix="fanout-")
    print(
        "| database | channels | papers | feedback | wall s | ms/channel | peak RSS MB | pairs posted | repeats "
        "| with / without |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    url, schema = fresh_database(server_of(database), folder, "fanout")
    other, other_schema, later_schema = None, None, None
    try:
        prepare(url, papers, channels)
        chosen = show_history(url, feedback, signals)
        other, other_schema = copy_database(url, database, folder, papers, channels)
        if other_schema is not None:
            assert show_history(other, feedback, signals) == chosen
        given = datetime.now(UTC)  # one moment for both: a model's name holds its latest signal's
        give_signals(other, chosen, signals, given)
        later, later_schema = copy_database(other, database, folder, papers, channels)
        if later_schema is not None:
            assert show_history(later, feedback, signals) == chosen
            give_signals(later, chosen, signals, given)
        dialect = make_engine(url).dialect.name
        taught = f"{feedback} channels x {signals} signals"
        rows = [("none", pass_row(url, folder)), (f"{taught}, models trained", pass_row(other, folder))]
        keep_models(other, later)  # as the trained pass left them: a later pass finds every model kept
        rows.append((f"{taught}, models kept (only scored)", pass_row(later, folder)))
        for name, row in rows:
            ratio = row["wall"] / rows[0][1]["wall"]
            print(
                f"| {dialect} | {channels} | {papers} | {name} | {row['wall']:.1f} | {row['wall'] * 1000 / channels:.2f} "
                f"| {row['rss']:.0f} | {int(row['pairs'])} | {int(row['repeats'])} | {ratio:.2f} |",
                flush=True,
            )
    finally:
        drop_database(server_of(database), schema)
        drop_database(server_of(database), other_schema)
        drop_database(server_of(database), later_schema)
