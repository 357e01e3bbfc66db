"""The search index: keeping `article_search` (SQLite FTS5) in step with the articles.

The index is contentless and holds each article's tokens (`crawler.search.tokens`). SQLite
triggers, in built-in SQL only so that any SQLite tool can write to the archive, note every
article written in `article_search_pending` with the values the index holds for it (migration
m006); `catch_up` then indexes those articles again. sourcevault runs it in the transaction of
each of its own article writes, and when it opens an archive another tool wrote to.
"""

from __future__ import annotations

import sqlite3

from crawler.search.tokens import filter_tokens, index_text

INDEX_TABLE = "article_search"
PENDING_TABLE = "article_search_pending"
# What the index holds of an article: title and body in Simplified (as written when not
# Chinese), and what its filter tokens are made of.
INDEXED_VALUES = (
    "coalesce(title_simplified, title), coalesce(body_simplified, body), outlet, language_tag, published_at"
)
# Pending articles indexed per query: an edit of the whole archive is not read into memory at once.
CATCH_UP_BATCH = 500


def _tokens(
    title: str | None,
    body: str | None,
    outlet: str | None,
    language_tag: str | None,
    published_at: str | None,
) -> tuple[str | None, str | None, str]:
    return index_text(title), index_text(body), filter_tokens(outlet, language_tag, published_at)


def unindexed_edits(connection: sqlite3.Connection) -> int:
    """How many articles were written since the index last took them in."""
    return connection.execute(f"SELECT count(*) FROM {PENDING_TABLE}").fetchone()[0]


def catch_up(connection: sqlite3.Connection) -> int:
    """Index every pending article again, inside the caller's transaction; return how many.

    An article is taken out of the index with the tokens of the values noted when it was first
    written (what the index holds), and put back with those of its row now, if it still has one.
    A Chinese title or body another tool changed gets its Simplified copy made again first.
    """
    done = 0
    while pending := connection.execute(
        f"SELECT article, indexed, indexed_title, indexed_body, indexed_outlet, indexed_language_tag,"
        f" indexed_published_at, simplified_outdated FROM {PENDING_TABLE} ORDER BY article LIMIT ?",
        [CATCH_UP_BATCH],
    ).fetchall():
        for article, indexed, *indexed_values, simplified_outdated in pending:
            if indexed:
                connection.execute(
                    f"INSERT INTO {INDEX_TABLE} ({INDEX_TABLE}, rowid, title, body, filters)"
                    " VALUES ('delete', ?, ?, ?, ?)",
                    [article, *_tokens(*indexed_values)],
                )
            if simplified_outdated:
                _make_simplified_copies(connection, article)
            row = connection.execute(
                f"SELECT {INDEXED_VALUES} FROM articles WHERE id = ?", [article]
            ).fetchone()
            if row is not None:
                connection.execute(
                    f"INSERT INTO {INDEX_TABLE} (rowid, title, body, filters) VALUES (?, ?, ?, ?)",
                    [article, *_tokens(*row)],
                )
            connection.execute(f"DELETE FROM {PENDING_TABLE} WHERE article = ?", [article])
        done += len(pending)
    return done


def _make_simplified_copies(connection: sqlite3.Connection, article: int) -> None:
    # OpenCC is loaded only when another tool changed a Chinese text: opening an archive stays quick.
    from crawler.chinese import simplified_copies  # noqa: PLC0415

    row = connection.execute("SELECT language, title, body FROM articles WHERE id = ?", [article]).fetchone()
    if row is not None:
        connection.execute(
            "UPDATE articles SET title_simplified = ?, body_simplified = ? WHERE id = ?",
            [*simplified_copies(*row), article],
        )
