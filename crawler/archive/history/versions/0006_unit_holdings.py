"""Unit holdings: a unit of work holds several things (a briefing's citations hold the briefing and
every outlet they are fetched from), a lease per holding, all taken together
(crawler/archive/postgres/leases.py). work_units.holds becomes an array (each unit's one holding its
only element); work_leases.unit is no longer unique.

PostgreSQL's alone: nothing on SQLite. Written by Alembic's autogenerate from the model (then
crawler/archive/postgres/tables.py); the change of holds' type,
which autogenerate does not compare, written by hand after it. Never edit it once applied.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.drop_constraint(op.f("work_leases_unit_key"), "work_leases", type_="unique")
    op.create_index("work_leases_by_unit", "work_leases", ["unit"], unique=False)
    op.alter_column(
        "work_units",
        "holds",
        type_=postgresql.ARRAY(sa.Text()),
        existing_nullable=False,
        postgresql_using="ARRAY[holds]",
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.alter_column(
        "work_units", "holds", type_=sa.Text(), existing_nullable=False, postgresql_using="holds[1]"
    )
    op.drop_index("work_leases_by_unit", table_name="work_leases")
    op.create_unique_constraint(op.f("work_leases_unit_key"), "work_leases", ["unit"])
