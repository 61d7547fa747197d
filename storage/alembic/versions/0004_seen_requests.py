"""request ids already acted on (Slack event_id, trigger_id), shared by every web process

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30 10:00:00

Slack delivers an event again when an ack was late (X-Slack-Retry-Num), and a signed slash
command can be replayed within its five minutes; each web process records the ids it acted
on here, and the primary key lets exactly one of them act.
"""

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if sa.inspect(op.get_bind()).has_table("seen_request"):
        return  # made by create_all in a database that was stamped at an older revision
    op.create_table(
        "seen_request",
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("seen_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    with op.batch_alter_table("seen_request", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_seen_request_seen_at"), ["seen_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("seen_request", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_seen_request_seen_at"))
    op.drop_table("seen_request")
