"""Post search: post_search (a GIN-indexed tsvector of each post's tokens, its search texts and
length), kept by crawler/search/postgres_posts.py.

PostgreSQL's alone: nothing on SQLite. Written by Alembic's autogenerate from the model (then
crawler/archive/postgres/tables.py); never edit it once applied.
An archive's posts are indexed by the command that writes or copies them; those already archived
when this revision is applied are indexed by `migrate-archive` of a copy (a PostgreSQL archive held
no post before it: the posts commands refused one).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.create_table(
        "post_search",
        sa.Column("post", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("lexemes", postgresql.TSVECTOR(), nullable=False),
        sa.Column("title_text", sa.Text(), nullable=True),
        sa.Column("body_text", sa.Text(), nullable=True),
        sa.Column("token_count", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["post"], ["posts.id"]),
        sa.PrimaryKeyConstraint("post"),
    )
    op.create_index("post_search_by_lexeme", "post_search", ["lexemes"], postgresql_using="gin")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.drop_index("post_search_by_lexeme", table_name="post_search")
    op.drop_table("post_search")
