"""search: one row of cache versions (search, auth) bumped by every relevant write

Revision ID: 0008_search
Revises: 0007_security
Create Date: 2026-12-02 08:00:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_search"
down_revision: str | Sequence[str] | None = "0007_security"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create the one-row table and its row."""
    table = op.create_table(
        "cache_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("search", sa.BigInteger(), nullable=False),
        sa.Column("auth", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("id = 1", name=op.f("ck_cache_versions_one_row")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cache_versions")),
    )
    op.bulk_insert(table, [{"id": 1, "search": 0, "auth": 0}])


def downgrade() -> None:
    """Drop it."""
    op.drop_table("cache_versions")
