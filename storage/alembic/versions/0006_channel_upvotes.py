"""channel.upvotes: how much Hugging Face upvotes weigh in the channel's post (off, low, normal, high)

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07 16:30:00
"""

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if "upvotes" in {column["name"] for column in sa.inspect(op.get_bind()).get_columns("channel")}:
        return  # made by create_all in a database that was stamped at an older revision
    op.add_column(
        "channel",
        sa.Column("upvotes", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False, server_default="normal"),
    )


def downgrade() -> None:
    op.drop_column("channel", "upvotes")
