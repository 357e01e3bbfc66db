"""Crawl workers' leases: crawl_workers, work_units and work_leases, kept by
crawler/archive/postgres/leases.py; PostgreSQL's alone (an SQLite archive has no workers).

PostgreSQL's alone: nothing on SQLite. Written by Alembic's autogenerate from the model (then
crawler/archive/postgres/tables.py); never edit it once applied.

Revision ID: 0004
Revises: 0002
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0004"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.create_table(
        "crawl_workers",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("host", sa.Text(), nullable=False),
        sa.Column("pid", sa.BigInteger(), nullable=False),
        sa.Column("started_at", postgresql.TIMESTAMP(timezone=True), nullable=False),
        sa.Column("heartbeat_at", postgresql.TIMESTAMP(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "work_units",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("holds", sa.Text(), nullable=False),
        sa.Column("due_at", postgresql.TIMESTAMP(timezone=True), nullable=False),
        sa.Column("last_finished_at", postgresql.TIMESTAMP(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("kind", "subject"),
    )
    op.create_index("work_units_by_due_at", "work_units", ["due_at"], unique=False)
    op.create_table(
        "work_leases",
        sa.Column("holds", sa.Text(), nullable=False),
        sa.Column("unit", sa.BigInteger(), nullable=False),
        sa.Column("worker", sa.Text(), nullable=False),
        sa.Column("taken_at", postgresql.TIMESTAMP(timezone=True), nullable=False),
        sa.Column("leased_until", postgresql.TIMESTAMP(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["unit"], ["work_units.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["worker"], ["crawl_workers.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("holds"),
        sa.UniqueConstraint("unit"),
    )
    op.create_index("work_leases_by_worker", "work_leases", ["worker"], unique=False)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.drop_index("work_leases_by_worker", table_name="work_leases")
    op.drop_table("work_leases")
    op.drop_index("work_units_by_due_at", table_name="work_units")
    op.drop_table("work_units")
    op.drop_table("crawl_workers")
