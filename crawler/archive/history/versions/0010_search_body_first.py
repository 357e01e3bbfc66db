"""Search index body first: article_search and post_search made again with their columns in the order
(body, title, filters), and every article and post indexed again in the upgrade's one transaction.

Why the order: in an FTS5 position list, the offsets of column 0 come first as they are, and every
other column's start with a 0x01 byte and the column's number (ext/fts5/fts5_index.c, "poslist
format"). Nearly all of an article's tokens are its body's: with the body in column 0 the index no
longer spends those two bytes on each (token, article) of it. The rank is `bm25(1.0, 3.0, 0.0)`, its
weights in the columns' new order: title 3, body 1, filters 0 as before, the same scores bit for bit;
post_search gets the same rank (its searches ordered by an explicit bm25 of the old order before).

SQLite's alone: nothing on PostgreSQL. The tables in SQLite's own DDL (the model does not hold them);
never edit it once applied. Indexing takes minutes for a large archive: a line on stderr says so first.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03
"""

import sys

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

INDEXES = ("article_search", "post_search")
TOKENIZER = "tokenize=\"unicode61 categories 'L* N* Co Cn'\""
BODY_FIRST = "body, title, filters"
BODY_FIRST_RANK = "bm25(1.0, 3.0, 0.0)"
# As revision 0001 made them: post_search without a rank of its own.
TITLE_FIRST = "title, body, filters"
TITLE_FIRST_RANKS = {"article_search": "bm25(3.0, 1.0, 0.0)", "post_search": None}


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    ranks = dict.fromkeys(INDEXES, BODY_FIRST_RANK)
    _index_again(BODY_FIRST, ranks, notice=True)


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    _index_again(TITLE_FIRST, TITLE_FIRST_RANKS, notice=False)


def _index_again(columns: str, ranks: dict[str, str | None], *, notice: bool) -> None:
    """Make both search indexes again with `columns` and `ranks`, and index every article and post."""
    from crawler.archive.post_index import PostIndex
    from crawler.search.index import PENDING_TABLE, catch_up

    connection = op.get_bind().connection.driver_connection
    (articles,) = connection.execute("SELECT count(*) FROM articles").fetchone()
    posts = [post for (post,) in connection.execute("SELECT id FROM posts ORDER BY id")]
    if notice and (articles or posts):
        print(
            f"sourcevault: upgrading the search index of {articles:,} articles and {len(posts):,} posts;"
            " this can take several minutes",
            file=sys.stderr,
            flush=True,
        )
    for table in INDEXES:
        connection.execute(f"DROP TABLE {table}")
        # Laid out as revision 0001 wrote it: a downgraded archive's schema reads as that revision's.
        connection.execute(
            f"CREATE VIRTUAL TABLE {table} USING fts5(\n    {columns}, content='', prefix='1', {TOKENIZER}\n)"
        )
        if ranks[table] is not None:
            connection.execute(f"INSERT INTO {table} ({table}, rank) VALUES ('rank', ?)", [ranks[table]])
    # The new index holds nothing: no article is to be taken out of it, every one put in.
    connection.execute(
        f"UPDATE {PENDING_TABLE} SET indexed = 0, indexed_title = NULL, indexed_body = NULL,"
        " indexed_outlet = NULL, indexed_language_tag = NULL, indexed_published_at = NULL"
    )
    connection.execute(
        f"INSERT INTO {PENDING_TABLE} (article, indexed) SELECT id, 0 FROM articles WHERE true"
        " ON CONFLICT (article) DO NOTHING"
    )
    catch_up(connection)
    index = PostIndex(connection)
    for post in posts:
        index.add(post)
