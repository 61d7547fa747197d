"""feed_token: private feed URLs, each token kept only as its SHA-256

Revision ID: 0011
Revises: 0006
Create Date: 2026-12-07 18:20:00
"""

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if sa.inspect(op.get_bind()).has_table("feed_token"):
        return  # made by create_all in a database that was stamped at an older revision
    op.create_table(
        "feed_token",
        sa.Column("token_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("feed", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("owner", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("revoked_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("token_hash"),
    )
    op.create_index("ix_feed_token_feed_owner", "feed_token", ["feed", "owner"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_feed_token_feed_owner", table_name="feed_token")
    op.drop_table("feed_token")
