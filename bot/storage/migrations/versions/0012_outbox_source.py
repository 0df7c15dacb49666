"""outbox_source: the message a relay copies, as indexed columns of its outbox row

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01 05:00:00
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

_outbox = sa.table(
    "support_outbox",
    sa.column("id", sa.Integer),
    sa.column("state", sa.String),
    sa.column("payload", sa.JSON),
    sa.column("source_chat_id", sa.BigInteger),
    sa.column("source_message_id", sa.BigInteger),
)


def _first_source(payload: Any) -> tuple[int, int] | None:
    sources = payload.get("sources") if isinstance(payload, dict) else None
    if not isinstance(sources, list) or not sources:
        return None
    first = sources[0]
    if not isinstance(first, list | tuple) or len(first) != 2:
        return None
    return int(first[0]), int(first[1])


def upgrade() -> None:
    with op.batch_alter_table("support_outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("source_chat_id", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("source_message_id", sa.BigInteger(), nullable=True))
        batch_op.create_index(
            "ix_support_outbox_source",
            ["source_chat_id", "state", "source_message_id"],
            unique=False,
        )
    # rows still on their way get their source (those sent or given up are never in flight)
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(_outbox.c.id, _outbox.c.payload).where(
            _outbox.c.state.in_(("pending", "sending"))
        )
    ).all()
    for row_id, payload in rows:
        source = _first_source(payload)
        if source is not None:
            connection.execute(
                sa.update(_outbox)
                .where(_outbox.c.id == row_id)
                .values(source_chat_id=source[0], source_message_id=source[1])
            )


def downgrade() -> None:
    with op.batch_alter_table("support_outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_support_outbox_source")
        batch_op.drop_column("source_message_id")
        batch_op.drop_column("source_chat_id")
