"""The delivery outbox: digests recorded before they are sent, each (channel, paper) once."""

from __future__ import annotations

from sqlalchemy import select
from sqlmodel import Session

from bot.domain import ChannelRef
from storage.tables import DeliveredRow


class OutboxRepository:
    """Deliveries and the (channel, paper) pairs they hold."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def delivered_keys(self, channel: ChannelRef) -> set[str]:
        query = select(DeliveredRow.paper_key).where(DeliveredRow.channel == str(channel))
        return {row[0] for row in self.session.execute(query)}
