"""stats version: a change counter for the kept statistics answers

Revision ID: 0011_stats_version
Revises: 0010_stats_speed
Create Date: 2026-12-03 07:00:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011_stats_version"
down_revision: str | Sequence[str] | None = "0010_stats_speed"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """`cache_versions.stats`: bumped by every write to what the statistics count."""
    with op.batch_alter_table("cache_versions") as batch:
        batch.add_column(sa.Column("stats", sa.BigInteger(), server_default="0", nullable=False))


def downgrade() -> None:
    """Drop the counter."""
    with op.batch_alter_table("cache_versions") as batch:
        batch.drop_column("stats")
