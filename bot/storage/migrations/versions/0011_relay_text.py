"""relay_text: what a relayed message said (its kind and its text or caption)

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30 07:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("support_message_links", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True)
        )
        batch_op.add_column(
            sa.Column("text", sqlmodel.sql.sqltypes.AutoString(length=4096), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("support_message_links", schema=None) as batch_op:
        batch_op.drop_column("text")
        batch_op.drop_column("kind")
