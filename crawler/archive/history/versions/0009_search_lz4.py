"""Search texts and counts in lz4: the columns of article_search_texts, post_search_texts,
article_search_counts and post_search_counts compressed with lz4 instead of pglz, their values
rewritten so (SET COMPRESSION alone compresses only the values written after it). A search reads a
lone character's occurrences off 5,000 rows of counts, most of them compressed: lz4 decompresses
them faster (docs/benchmarks.md).

PostgreSQL's alone: nothing on SQLite, nor on a server built without lz4 (before 14, or without
`--with-lz4`), where the revision is recorded all the same. Never edit it once applied.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03
"""

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

# Each table, its columns' type, the columns, and an expression of the type that leaves a value as
# it is: `ALTER COLUMN … TYPE` with it rewrites every value, compressed as the column says.
COMPRESSED = (
    ("article_search_texts", "text", ("title_text", "body_text"), "{} || ''"),
    ("post_search_texts", "text", ("title_text", "body_text"), "{} || ''"),
    ("article_search_counts", "jsonb", ("title_counts", "body_counts"), "{} || '{{}}'::jsonb"),
    ("post_search_counts", "jsonb", ("title_counts", "body_counts"), "{} || '{{}}'::jsonb"),
)


def _lz4_offered() -> bool:
    """Whether the server can compress with lz4: one of default_toast_compression's values."""
    return bool(
        op.get_bind()
        .exec_driver_sql(
            "SELECT 'lz4' = ANY(enumvals) FROM pg_settings WHERE name = 'default_toast_compression'"
        )
        .scalar()
    )


def _compress(method: str) -> None:
    """Every search text and count compressed with `method` from now on, and rewritten with it."""
    for table, type_, columns, unchanged in COMPRESSED:
        changes = ", ".join(
            f"ALTER COLUMN {column} SET COMPRESSION {method},"
            f" ALTER COLUMN {column} TYPE {type_} USING {unchanged.format(column)}"
            for column in columns
        )
        op.execute(f"ALTER TABLE {table} {changes}")
        # Changing a column's type drops its statistics.
        op.execute(f"ANALYZE {table}")


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql" and _lz4_offered():
        _compress("lz4")


def downgrade() -> None:
    # The server's default, as revision 0008 left them (pglz unless the server says otherwise).
    if op.get_bind().dialect.name == "postgresql" and _lz4_offered():
        _compress("default")
