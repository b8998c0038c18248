"""stats speed: packed decision times, turn-aways per shelter-month, the month so far

Revision ID: 0010_stats_speed
Revises: 0009_stats_rollup
Create Date: 2026-12-02 18:00:00

"""

from array import array
from collections.abc import Sequence
import sys

import sqlalchemy as sa
from alembic import op

revision: str = "0010_stats_speed"
down_revision: str | Sequence[str] | None = "0009_stats_rollup"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MONTHS = sa.table(
    "shelter_months",
    sa.column("shelter_id", sa.Integer()),
    sa.column("month", sa.String()),
    sa.column("decision_seconds", sa.Text()),
    sa.column("decision_times", sa.LargeBinary()),
)


def _pack(text: str) -> bytes:
    values = array("i", (int(s) for s in text.split()))
    if sys.byteorder == "big":
        values.byteswap()
    return values.tobytes()


def _unpack(data: bytes) -> str:
    values = array("i")
    values.frombytes(data)
    if sys.byteorder == "big":
        values.byteswap()
    return " ".join(str(v) for v in values)


def _convert(source: str, target: str, change) -> None:  # noqa: ANN001
    conn = op.get_bind()
    rows = conn.execute(
        sa.select(MONTHS.c.shelter_id, MONTHS.c.month, MONTHS.c[source]).where(
            MONTHS.c[source].is_not(None)
        )
    ).all()
    for shelter_id, month, value in rows:
        conn.execute(
            MONTHS.update()
            .where(MONTHS.c.shelter_id == shelter_id, MONTHS.c.month == month)
            .values({target: change(value)})
        )


def upgrade() -> None:
    """Decision times as packed 32-bit integers (parsing text was most of a requests answer);
    refusals and episodes of final months; how far a running month's row is counted."""
    with op.batch_alter_table("shelter_months", schema=None) as batch_op:
        batch_op.add_column(sa.Column("decision_times", sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column("refusals", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("episodes", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("counted_until", sa.DateTime(timezone=True), nullable=True)
        )
    _convert("decision_seconds", "decision_times", _pack)
    with op.batch_alter_table("shelter_months", schema=None) as batch_op:
        batch_op.drop_column("decision_seconds")
        batch_op.create_index(
            "ix_shelter_months_month_shelter", ["month", "shelter_id"], unique=False
        )
    with op.batch_alter_table("turn_aways", schema=None) as batch_op:
        batch_op.create_index(
            "ix_turn_aways_occurred_episode", ["occurred_at", "episode_id"], unique=False
        )
        batch_op.drop_index("ix_turn_aways_occurred_at")


def downgrade() -> None:
    """Back to text decision times; drop the rest."""
    with op.batch_alter_table("turn_aways", schema=None) as batch_op:
        batch_op.create_index("ix_turn_aways_occurred_at", ["occurred_at"], unique=False)
        batch_op.drop_index("ix_turn_aways_occurred_episode")
    # A running month's partial row is not a month's figures in 0009's terms.
    op.execute(sa.text("DELETE FROM shelter_months WHERE counted_until IS NOT NULL"))
    with op.batch_alter_table("shelter_months", schema=None) as batch_op:
        batch_op.drop_index("ix_shelter_months_month_shelter")
        batch_op.add_column(sa.Column("decision_seconds", sa.Text(), nullable=True))
    _convert("decision_times", "decision_seconds", _unpack)
    with op.batch_alter_table("shelter_months", schema=None) as batch_op:
        batch_op.drop_column("counted_until")
        batch_op.drop_column("episodes")
        batch_op.drop_column("refusals")
        batch_op.drop_column("decision_times")
