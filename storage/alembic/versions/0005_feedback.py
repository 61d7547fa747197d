"""feedback per channel: likes, dislikes and saves, one row per person, paper and kind

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29 21:30:00
"""

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if sa.inspect(op.get_bind()).has_table("feedback"):
        return  # made by create_all in a database that was stamped at an older revision
    op.create_table(
        "feedback",
        sa.Column("channel", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("paper_key", sqlmodel.sql.sqltypes.AutoString(length=256), nullable=False),
        sa.Column("actor", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("channel", "paper_key", "actor", "kind"),
    )
    op.create_index("ix_feedback_channel_kind", "feedback", ["channel", "kind"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_feedback_channel_kind", table_name="feedback")
    op.drop_table("feedback")
