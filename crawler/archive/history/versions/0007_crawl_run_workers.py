"""The crawl worker whose run a crawl run is (`crawl_runs.crawl_worker`; NULL: a single crawl): a
worker's run of a briefing's citations lists no outlet, so when its worker is killed, the next
worker's run tells it lost by its worker, which holds no lease any more (crawler/archive/runs.py).

Both backends. Written by Alembic's autogenerate from the model; never edit it once applied.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("crawl_runs", sa.Column("crawl_worker", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("crawl_runs") as table:
        table.drop_column("crawl_worker")
