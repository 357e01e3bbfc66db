"""Search texts apart: article_search_texts and post_search_texts hold the search texts that
article_search and post_search held, each row's in the row (toast_tuple_target 8160);
article_search_counts and post_search_counts how many times each character occurs in them; and the
index tables keep their tokens and lengths alone (crawler/archive/model/postgres_only.py says why).

PostgreSQL's alone: nothing on SQLite. The tables as the model has them (tests compare the two), the
texts moved, and each index table rewritten without them; never edit it once applied.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

# Each index table, its key and the table it indexes.
INDEXES = (("article_search", "article", "articles"), ("post_search", "post", "posts"))


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, key, indexed in INDEXES:
        op.create_table(
            f"{table}_texts",
            sa.Column(key, sa.BigInteger(), autoincrement=False, nullable=False),
            sa.Column("title_text", sa.Text(), nullable=True),
            sa.Column("body_text", sa.Text(), nullable=True),
            sa.ForeignKeyConstraint([key], [f"{indexed}.id"]),
            sa.PrimaryKeyConstraint(key),
            postgresql_with={"toast_tuple_target": 8160},
        )
        op.create_table(
            f"{table}_counts",
            sa.Column(key, sa.BigInteger(), autoincrement=False, nullable=False),
            sa.Column("title_counts", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
            sa.Column("body_counts", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
            sa.ForeignKeyConstraint([key], [f"{indexed}.id"]),
            sa.PrimaryKeyConstraint(key),
            postgresql_with={"toast_tuple_target": 8160},
        )
        op.execute(
            f"INSERT INTO {table}_texts ({key}, title_text, body_text)"
            f" SELECT {key}, title_text, body_text FROM {table} ORDER BY {key}"
        )
        # As crawler/search/postgres.py's character_counts counts them: each character but spaces.
        counts = (
            "(SELECT jsonb_object_agg(c, n) FROM (SELECT c, count(*) AS n FROM regexp_split_to_table({}, '')"
            " AS c WHERE c NOT IN (' ', '') GROUP BY c) AS counted)"
        )
        op.execute(
            f"INSERT INTO {table}_counts ({key}, title_counts, body_counts)"
            f" SELECT {key}, {counts.format('title_text')}, {counts.format('body_text')} FROM {table}"
            f" ORDER BY {key}"
        )
        op.drop_column(table, "body_text")
        op.drop_column(table, "title_text")
        # A dropped column's values stay in the rows (and in TOAST) until the table is rewritten.
        op.execute(f"CLUSTER {table} USING {table}_pkey")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, key, _ in INDEXES:
        op.add_column(table, sa.Column("title_text", sa.Text(), nullable=True))
        op.add_column(table, sa.Column("body_text", sa.Text(), nullable=True))
        op.execute(
            f"UPDATE {table} s SET title_text = t.title_text, body_text = t.body_text"
            f" FROM {table}_texts t WHERE t.{key} = s.{key}"
        )
        op.drop_table(f"{table}_counts")
        op.drop_table(f"{table}_texts")
