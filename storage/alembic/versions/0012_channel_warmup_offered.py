"""channel.warmup_offered_at: when the channel's first subscription offered it the warm-up (never again unasked)

Revision ID: 0012
Revises: 0006
Create Date: 2026-12-07 18:05:00
"""

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision = "0012"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if "warmup_offered_at" in {column["name"] for column in sa.inspect(op.get_bind()).get_columns("channel")}:
        return  # made by create_all in a database that was stamped at an older revision
    op.add_column("channel", sa.Column("warmup_offered_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))


def downgrade() -> None:
    op.drop_column("channel", "warmup_offered_at")
