"""channel_model: each channel's trained model, kept between passes until its signals change

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 21:30:00

A pass loaded and scored a channel's model instead of training it again (issue 28: a pass with
feedback within 10 % of one without); the model is numpy arrays saved with np.savez, no pickle.
"""

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if sa.inspect(op.get_bind()).has_table("channel_model"):
        return  # made by create_all in a database that was stamped at an older revision
    op.create_table(
        "channel_model",
        sa.Column("channel", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("learned_from", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("model", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("channel"),
    )


def downgrade() -> None:
    op.drop_table("channel_model")
