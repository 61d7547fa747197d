"""Each channel's trained model, kept between passes under what it learned from (bot/feedback/kept.py)."""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session

from storage.tables import ChannelModelRow, table_of


class ModelRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def load(self, channel: str) -> tuple[str, bytes] | None:
        """The channel's kept model: (what it learned from, its bytes); None when it has none."""
        table = table_of(ChannelModelRow)
        query = select(table.c.learned_from, table.c.model).where(table.c.channel == channel)
        found = self.session.execute(query).first()
        return None if found is None else (str(found[0]), bytes(found[1]))

    def store(self, channel: str, learned_from: str, model: bytes) -> None:
        """Keep the model, replacing the channel's last (two workers training it at once store the same)."""
        table = table_of(ChannelModelRow)
        insert = pg_insert if self.session.get_bind().dialect.name == "postgresql" else sqlite_insert
        statement = insert(table).values(channel=channel, learned_from=learned_from, model=model)
        changed = {"learned_from": statement.excluded.learned_from, "model": statement.excluded.model}
        self.session.execute(statement.on_conflict_do_update(index_elements=["channel"], set_=changed))

    def forget(self, channel: str) -> None:
        """Drop the channel's model (`/papers taste reset`): nothing of it may outlive its signals."""
        table = table_of(ChannelModelRow)
        self.session.execute(delete(table).where(table.c.channel == channel))
