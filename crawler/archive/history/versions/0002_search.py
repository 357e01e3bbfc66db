"""Chinese search: article_search (a GIN-indexed tsvector of each article's tokens, its search texts
and length) and article_search_totals, kept by crawler/search/postgres.py.

PostgreSQL's alone: nothing on SQLite. Written by Alembic's autogenerate from the model (then
crawler/archive/postgres/tables.py); never edit it once applied.
An archive's articles are indexed by the command that writes or copies them.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.create_table(
        "article_search",
        sa.Column("article", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("lexemes", postgresql.TSVECTOR(), nullable=False),
        sa.Column("title_text", sa.Text(), nullable=True),
        sa.Column("body_text", sa.Text(), nullable=True),
        sa.Column("token_count", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["article"], ["articles.id"]),
        sa.PrimaryKeyConstraint("article"),
    )
    op.create_index("article_search_by_lexeme", "article_search", ["lexemes"], postgresql_using="gin")
    op.create_table(
        "article_search_totals",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("articles", sa.BigInteger(), nullable=False),
        sa.Column("tokens", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.drop_table("article_search_totals")
    op.drop_index("article_search_by_lexeme", table_name="article_search")
    op.drop_table("article_search")
