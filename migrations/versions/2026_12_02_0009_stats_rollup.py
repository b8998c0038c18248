"""stats rollup: request outcomes and decision times of settled shelter-months

Revision ID: 0009_stats_rollup
Revises: 0008_search
Create Date: 2026-12-02 13:00:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009_stats_rollup"
down_revision: str | Sequence[str] | None = "0008_search"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COUNTS = ("requests", "accepted", "declined", "withdrawn", "expired")


def upgrade() -> None:
    """Nullable columns: NULL means the month's requests are not stored (yet)."""
    with op.batch_alter_table("shelter_months", schema=None) as batch_op:
        for name in COUNTS:
            batch_op.add_column(sa.Column(name, sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("decision_seconds", sa.Text(), nullable=True))


def downgrade() -> None:
    """Drop them."""
    with op.batch_alter_table("shelter_months", schema=None) as batch_op:
        batch_op.drop_column("decision_seconds")
        for name in reversed(COUNTS):
            batch_op.drop_column(name)
