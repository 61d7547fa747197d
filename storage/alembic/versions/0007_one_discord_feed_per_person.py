"""one Discord feed per person: the per-server feeds `discord:G:@U` merged into `discord:users:@U`

A Discord user id is the same in every server, and the user-installed app follows its person into
servers the bot is not in and into direct messages: a person's own feed is one feed, delivered by
direct message as before. Per person: the union of the subscriptions (one per query, oldest first, at
most 25, the limit of a feed; any over it are written to the feed's audit trail word for word, where
`/papers status for me` shows them), the schedule of the feed that followed the most, what was sent
(never sent twice), likes, dislikes and saves, the outbox and the audit trail. The weekly best-of
feeds (`.../top`) are merged the same way. Run again, it finds nothing to do.

Revision ID: 0009
Revises: 0006
Create Date: 2026-12-07 18:10:00
"""

from collections import defaultdict
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

PEOPLE = "users"  # adapters.discord.install.PEOPLE when this was written
MAX_SUBSCRIPTIONS = 25  # bot.chat.limits.MAX_SUBSCRIPTIONS when this was written
MERGER = "papers-bot"
KEYED = {"delivered": ("channel", "paper_key"), "feedback": ("channel", "paper_key", "actor", "kind")}
RENAMED = ("delivery", "audit")  # rows of their own (an id): only the channel they name changes


def table(conn: sa.Connection, name: str) -> sa.Table:
    """As the database has it (reflected): every column, whatever later migrations add, with its type."""
    return sa.Table(name, sa.MetaData(), autoload_with=conn)


def one_feed(ref: str) -> str | None:
    """`discord:G:@U` (or `.../top`) -> `discord:users:@U` (or `.../top`); None for anything else."""
    parts = ref.split(":")
    if len(parts) != 3 or parts[0] != "discord" or parts[1] == PEOPLE or not parts[2].startswith("@"):
        return None
    return f"discord:{PEOPLE}:{parts[2]}"


def moves(conn: sa.Connection) -> dict[str, str]:
    """Every per-server personal feed named anywhere -> the person's one feed."""
    refs: set[str] = set()
    for name in ("channel", "subscription", *KEYED, *RENAMED):
        t = table(conn, name)
        column = t.c.ref if name == "channel" else t.c.channel
        refs |= set(conn.execute(sa.select(column).where(column.like("discord:%@%"))).scalars())
    return {ref: new for ref in refs if (new := one_feed(ref))}


def by_target(found: dict[str, str]) -> dict[str, list[str]]:
    groups: dict[str, list[str]] = defaultdict(list)
    for old, new in sorted(found.items()):
        groups[new].append(old)
    return groups


def aware(value: datetime | None) -> datetime:
    """Comparable whatever the database gave back (SQLite: naive UTC)."""
    if value is None:
        return datetime(1970, 1, 1, tzinfo=UTC)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def merge_subscriptions(conn: sa.Connection, target: str, olds: list[str]) -> tuple[int, list[str]]:
    """The union, oldest first, one per query, at most MAX_SUBSCRIPTIONS; returns (kept, the queries over it)."""
    t = table(conn, "subscription")
    rows = conn.execute(
        sa.select(t.c.id, t.c.query)
        .where(t.c.channel.in_([*olds, target]))
        .order_by(t.c.channel != target, t.c.created_at, t.c.id)
    ).all()
    kept: list[int] = []
    seen: set[str] = set()
    over: list[str] = []
    for row_id, query in rows:
        if query not in seen and len(kept) < MAX_SUBSCRIPTIONS:
            seen.add(query)
            kept.append(row_id)
            continue
        if query not in seen:
            over.append(query)
        conn.execute(sa.delete(t).where(t.c.id == row_id))
    # Moved one by one after the duplicates went, so that (channel, query) never holds a query twice.
    for row_id in kept:
        conn.execute(sa.update(t).where(t.c.id == row_id).values(channel=target))
    return len(kept), over


def merge_channel_rows(conn: sa.Connection, target: str, olds: list[str]) -> None:
    """One row: the schedule of the feed that followed the most (the older on a tie), the latest post and slot."""
    t, subs = table(conn, "channel"), table(conn, "subscription")
    rows = [r._asdict() for r in conn.execute(sa.select(t).where(t.c.ref.in_([*olds, target])))]
    if not rows:
        return
    counted = sa.select(subs.c.channel, sa.func.count()).where(subs.c.channel.in_(olds)).group_by(subs.c.channel)
    counts = {str(ref): int(n) for ref, n in conn.execute(counted)}
    chosen = min(rows, key=lambda r: (r["ref"] != target, -counts.get(r["ref"], 0), aware(r["created_at"])))
    merged = dict(chosen, ref=target)
    merged["paused_reason"] = None if any(r["paused_reason"] is None for r in rows) else chosen["paused_reason"]
    for name in ("last_post_at", "last_slot_at"):
        merged[name] = max((r[name] for r in rows if r[name] is not None), key=aware, default=None)
    conn.execute(sa.delete(t).where(t.c.ref.in_([*olds, target])))
    conn.execute(sa.insert(t).values(**merged))


def merge_keyed(conn: sa.Connection, name: str, target: str, olds: list[str]) -> None:
    """Rows keyed by (channel, ...): each key once in the target (the first met kept), the old feeds' rows gone."""
    t, key = table(conn, name), KEYED[name]
    have = {tuple(r) for r in conn.execute(sa.select(*(t.c[k] for k in key)).where(t.c.channel == target))}
    for row in conn.execute(sa.select(t).where(t.c.channel.in_(olds)).order_by(*(t.c[k] for k in key))).all():
        values = row._asdict() | {"channel": target}
        identity = tuple(values[k] for k in key)
        if identity not in have:
            have.add(identity)
            conn.execute(sa.insert(t).values(**values))
    conn.execute(sa.delete(t).where(t.c.channel.in_(olds)))


def upgrade() -> None:
    conn = op.get_bind()
    for target, olds in by_target(moves(conn)).items():
        best_of = target.endswith("/top")  # follows the feed's subscriptions: holds none of its own
        merge_channel_rows(conn, target, olds)  # first: it counts each old feed's subscriptions
        kept, over = (0, []) if best_of else merge_subscriptions(conn, target, olds)
        for name in KEYED:
            merge_keyed(conn, name, target, olds)
        for name in RENAMED:
            t = table(conn, name)
            conn.execute(sa.update(t).where(t.c.channel.in_(olds)).values(channel=target))
        if best_of:
            continue
        servers = len({old.split(":")[1] for old in olds})
        notes = [f"merged your feeds of {servers} server(s) into this one: {kept} subscription(s)"]
        notes += [f"left out, over the limit of {MAX_SUBSCRIPTIONS}: {query}" for query in over]
        audit, now = table(conn, "audit"), datetime.now(UTC)
        for note in notes:
            conn.execute(sa.insert(audit).values(channel=target, actor=MERGER, action=note[:400], at=now))


def downgrade() -> None:
    """Nothing to undo: a feed merged from several servers cannot be told apart again, and the code of
    0006 delivers `discord:users:@U` by direct message as it did each server's."""
