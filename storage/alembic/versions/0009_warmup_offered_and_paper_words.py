"""channel.warmup_offered_at: when the channel's first subscription offered it the warm-up (never again unasked);
paper_words: each paper's hashed word counts for the learned re-ranker, counted once

Revision ID: 0012
Revises: 0006
Create Date: 2026-12-07 18:05:00
"""

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    found = sa.inspect(op.get_bind())  # either may have been made by create_all in a database stamped older
    if "warmup_offered_at" not in {column["name"] for column in found.get_columns("channel")}:
        op.add_column("channel", sa.Column("warmup_offered_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
    if not found.has_table("paper_words"):
        op.create_table(
            "paper_words",
            sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
            sa.Column("text_hash", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
            sa.Column("columns", sa.LargeBinary(), nullable=False),
            sa.Column("counts", sa.LargeBinary(), nullable=False),
            sa.PrimaryKeyConstraint("key"),
        )


def downgrade() -> None:
    op.drop_table("paper_words")
    op.drop_column("channel", "warmup_offered_at")
