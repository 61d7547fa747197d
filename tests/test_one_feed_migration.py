"""Migration 0009 on SQLite and PostgreSQL: a person's per-server Discord feeds become one, nothing lost or doubled."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Engine, text

from bot.domain import ChannelRef
from storage.uow import UnitOfWork
from tests.test_migrations import empty, upgrade_to

__all__ = ["empty"]  # a fixture: a database with no tables

ONE = "discord:users:@300"
T0 = datetime(2026, 11, 1, 9, 0)


def rows(engine: Engine, sql: str, **values: object) -> list[tuple[object, ...]]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text(sql), values)]


def add(engine: Engine, sql: str, many: list[dict[str, object]]) -> None:
    with engine.begin() as conn:
        conn.execute(text(sql), many)


def channel(ref: str, at: str, created: datetime, last_slot: datetime | None = None) -> dict[str, object]:
    return {"ref": ref, "at": at, "created": created, "slot": last_slot}


def test_a_persons_feeds_of_two_servers_become_one_with_everything_they_held(empty: Engine) -> None:
    upgrade_to(empty, "0006")
    add(
        empty,
        "INSERT INTO channel (ref, platform, at, tz, cadence, weekday, created_at, last_slot_at, upvotes) "
        "VALUES (:ref, 'discord', :at, 'UTC', 'weekdays', 0, :created, :slot, 'normal')",
        [
            channel("discord:1:@300", "07:00", T0, T0 + timedelta(days=3)),
            channel("discord:2:@300", "18:00", T0 + timedelta(days=1), T0 + timedelta(days=5)),
            channel("discord:2:@300/top", "10:00", T0),
            channel("discord:1:200", "09:00", T0),  # a channel, not a person's feed
            channel("slack:T1:@U1", "09:00", T0),  # a Slack user's feed is per workspace, as before
        ],
    )
    subscriptions = [("discord:1:@300", "robotics"), ("discord:1:@300", "nlp")]
    subscriptions += [("discord:2:@300", "nlp"), ("discord:2:@300", "vision")]  # nlp in both
    subscriptions += [("discord:2:@300", f"topic-{i:02}") for i in range(23)]  # 26 distinct in all: one too many
    subscriptions += [("discord:1:200", "robotics"), ("slack:T1:@U1", "robotics")]
    add(
        empty,
        "INSERT INTO subscription (channel, query, min_upvotes, created_at) VALUES (:c, :q, 0, :at)",
        [{"c": c, "q": q, "at": T0 + timedelta(minutes=i)} for i, (c, q) in enumerate(subscriptions)],
    )
    add(
        empty,
        "INSERT INTO delivery (channel, mark, status, title, message_ids, attempts, created_at) "
        "VALUES (:c, :m, 'sent', 't', '[]', 1, :at)",
        [{"c": "discord:1:@300", "m": "m1", "at": T0}, {"c": "discord:2:@300", "m": "m2", "at": T0}],
    )
    add(
        empty,
        "INSERT INTO delivered (channel, paper_key, delivery_id, position, score, why) VALUES (:c, :k, :d, 0, 1, '')",
        [
            {"c": "discord:1:@300", "k": "2401.00001", "d": 1},
            {"c": "discord:2:@300", "k": "2401.00001", "d": 2},  # sent by both: once from now on
            {"c": "discord:2:@300", "k": "2401.00002", "d": 2},
        ],
    )
    add(
        empty,
        "INSERT INTO feedback (channel, paper_key, actor, kind, at) VALUES (:c, :k, '300', 'save', :at)",
        [{"c": "discord:1:@300", "k": "2401.00001", "at": T0}, {"c": "discord:2:@300", "k": "2401.00001", "at": T0}],
    )

    upgrade_to(empty, "head")

    refs = [r[0] for r in rows(empty, "SELECT ref FROM channel ORDER BY ref")]
    assert refs == ["discord:1:200", ONE, ONE + "/top", "slack:T1:@U1"]
    with UnitOfWork(empty) as uow:
        mine = [s.query for s in uow.subscriptions.for_channel(ChannelRef.parse(ONE))]
        assert len(mine) == 25 and len(set(mine)) == 25  # the limit of a feed, no query twice
        assert mine[:3] == ["robotics", "nlp", "vision"] and "topic-22" not in mine  # oldest first
        assert uow.channels.schedule(ChannelRef.parse(ONE)).at.hour == 18  # the feed that followed the most
    [(slot,)] = rows(empty, "SELECT last_slot_at FROM channel WHERE ref = :r", r=ONE)
    assert str(slot).startswith("2026-11-06 09:00")  # the latest slot handled: none comes twice
    assert rows(empty, "SELECT paper_key FROM delivered WHERE channel = :r ORDER BY paper_key", r=ONE) == [
        ("2401.00001",),
        ("2401.00002",),
    ]
    assert rows(empty, "SELECT count(*) FROM delivery WHERE channel = :r", r=ONE) == [(2,)]
    assert rows(empty, "SELECT paper_key FROM feedback WHERE channel = :r", r=ONE) == [("2401.00001",)]
    notes = [r[0] for r in rows(empty, "SELECT action FROM audit WHERE channel = :r ORDER BY id", r=ONE)]
    assert notes == [
        "merged your feeds of 2 server(s) into this one: 25 subscription(s)",
        "left out, over the limit of 25: topic-22",  # nothing lost: said, word for word
    ]
    assert rows(empty, "SELECT count(*) FROM subscription WHERE channel LIKE 'discord:_:@%'") == [(0,)]
    assert rows(empty, "SELECT channel FROM subscription WHERE query = 'robotics' ORDER BY channel") == [
        ("discord:1:200",),
        (ONE,),
        ("slack:T1:@U1",),
    ]


def test_run_again_it_changes_nothing(empty: Engine) -> None:
    upgrade_to(empty, "0006")
    add(
        empty,
        "INSERT INTO subscription (channel, query, min_upvotes, created_at) VALUES (:c, 'robotics', 0, :at)",
        [{"c": "discord:1:@300", "at": T0}],
    )
    upgrade_to(empty, "head")
    before = rows(empty, "SELECT channel, query FROM subscription")
    with empty.connect() as conn:
        from alembic import command

        from storage.migrations import alembic_config

        command.downgrade(alembic_config(conn), "0006")
        conn.commit()
    upgrade_to(empty, "head")
    assert rows(empty, "SELECT channel, query FROM subscription") == before == [(ONE, "robotics")]
