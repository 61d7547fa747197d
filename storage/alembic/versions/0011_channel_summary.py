"""channel.summary: whether a forum channel's feed posts the day's summary besides a post per paper

Revision ID: 0008
Revises: 0006
Create Date: 2026-12-07 18:20:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if "summary" in {column["name"] for column in sa.inspect(op.get_bind()).get_columns("channel")}:
        return  # made by create_all in a database that was stamped at an older revision
    op.add_column("channel", sa.Column("summary", sa.Boolean(), nullable=False, server_default=sa.true()))


def downgrade() -> None:
    op.drop_column("channel", "summary")
