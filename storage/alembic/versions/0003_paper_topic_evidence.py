"""paper topic evidence, decided once per paper; request budgets shared by delivery workers

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29 17:40:57.705827
"""

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A database that create_all made before migrations existed is stamped at 0001 and brought up
    # from there: with the models of today it may hold these tables already.
    if sa.inspect(op.get_bind()).has_table("paper_evidence"):
        return
    op.create_table(
        "paper_evidence",
        sa.Column("paper_key", sqlmodel.sql.sqltypes.AutoString(length=256), nullable=False),
        sa.Column("version", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("text_crc", sa.BigInteger(), nullable=False),
        sa.Column("computed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("paper_key"),
    )
    op.create_table(
        "paper_topic",
        sa.Column("paper_key", sqlmodel.sql.sqltypes.AutoString(length=256), nullable=False),
        sa.Column("topic", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("points", sa.Float(), nullable=False),
        sa.Column("why", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("paper_key", "topic"),
    )
    op.create_table(
        "rate_budget",
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("next_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )


def downgrade() -> None:
    op.drop_table("rate_budget")
    op.drop_table("paper_topic")
    op.drop_table("paper_evidence")
