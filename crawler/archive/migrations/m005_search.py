"""Chinese full-text search (`article_search`, FTS5), and where an imported article came from."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlite_utils import Database


def m005_search(db: Database) -> None:
    # Contentless: the index keeps no copy of the text, so a row is removed by giving FTS5 the
    # tokens it was indexed with again. The triggers made here called sourcevault's own SQL
    # functions, so no other SQLite tool could write to articles: m006 replaced them.
    from crawler.search.tokens import filter_tokens, index_text

    db.conn.create_function("sourcevault_search_text", 1, index_text, deterministic=True)
    db.conn.create_function("sourcevault_search_filters", 3, filter_tokens, deterministic=True)

    def indexed(row: str) -> str:
        # Title and body in Simplified (as written when not Chinese) as character pairs; filter tokens.
        return (
            f"{row}.id, sourcevault_search_text(coalesce({row}.title_simplified, {row}.title)),"
            f" sourcevault_search_text(coalesce({row}.body_simplified, {row}.body)),"
            f" sourcevault_search_filters({row}.outlet, {row}.language_tag, {row}.published_at)"
        )

    indexed_columns = (
        "title",
        "body",
        "title_simplified",
        "body_simplified",
        "outlet",
        "language_tag",
        "published_at",
    )
    insert_new = f"INSERT INTO article_search (rowid, title, body, filters) VALUES ({indexed('new')})"
    delete_old = (
        "INSERT INTO article_search (article_search, rowid, title, body, filters)"
        f" VALUES ('delete', {indexed('old')})"
    )
    changed = " OR ".join(f"old.{name} IS NOT new.{name}" for name in indexed_columns)
    for statement in (
        # prefix='1': single-character queries read a one-character prefix index of the pairs.
        # Cn: characters newer than SQLite's Unicode tables (CJK extension G, ...) stay letters.
        """CREATE VIRTUAL TABLE article_search USING fts5(
            title, body, filters, content='', prefix='1', tokenize="unicode61 categories 'L* N* Co Cn'"
        )""",
        "INSERT INTO article_search (article_search, rank) VALUES ('rank', 'bm25(3.0, 1.0, 0.0)')",
        f"INSERT INTO article_search (rowid, title, body, filters)"
        f" SELECT {indexed('articles')} FROM articles",
        f"CREATE TRIGGER article_search_insert AFTER INSERT ON articles BEGIN {insert_new}; END",
        f"CREATE TRIGGER article_search_delete AFTER DELETE ON articles BEGIN {delete_old}; END",
        f"CREATE TRIGGER article_search_update AFTER UPDATE OF {', '.join(indexed_columns)} ON articles"
        f" WHEN {changed} BEGIN {delete_old}; {insert_new}; END",
        # Imported articles: the JSON-lines file and line the record was read from.
        "ALTER TABLE captures ADD COLUMN imported_from TEXT",
    ):
        db.execute(statement)
