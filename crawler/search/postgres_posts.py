"""Searching posts on a PostgreSQL archive: the SQLite `post_search` index's answers, as
crawler/search/postgres.py gives the article index's.

`post_search` (crawler/archive/model/postgres_only.py) holds, per post with a text, what `article_search`
holds per article: the tokens of its author's names and of its text and its filter tokens,
GIN-indexed, with its length as bm25 counts it; `post_search_texts` the search texts of its
author's names (`title_text`, as SQLite's post index calls that column `title`) and of its text
(`body_text`). `index_post` writes a post's row in the transaction that writes the
post; `migrate-archive` indexes the posts it copied (`index_unindexed_posts`).

A search matches as an article search does and ranks every match by FTS5's bm25 (author 3,
text 1), ties newest post first, as SQLite's `posts search` does. Posts are few next to articles
(those briefings cite), so the index's totals for bm25 are summed from it at each search.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, text

from crawler.search.matching import bm25, idf, query_phrases
from crawler.search.postgres import (
    Statement,
    delete_search_rows,
    insert_search_rows,
    match_condition,
    phrase_idfs,
    search_row,
    through_the_index,
)
from crawler.search.postgres_ranking import searched
from crawler.search.query import NO_FILTERS, SearchQuery
from crawler.search.tokens import filter_tokens

POST_INDEX_TABLE = "post_search"
SEARCHED_POSTS = searched(POST_INDEX_TABLE, "post")


def index_post(connection: Connection, post: int) -> None:
    """The post's row in the index (again, or none when it has no text), in the caller's transaction."""
    delete_search_rows(connection, POST_INDEX_TABLE, "post", [post])
    row = connection.execute(
        text(
            "SELECT author_name, author_screen_name, coalesce(text_simplified, text), platform,"
            " language_tag, created_at FROM posts WHERE id = :post"
        ),
        {"post": post},
    ).one_or_none()
    if row is None or row[2] is None:
        return
    names = " ".join(name for name in row[:2] if name) or None
    values = {"post": post, **search_row(names, row[2], filter_tokens(row[3], row[4], row[5]))}
    insert_search_rows(connection, POST_INDEX_TABLE, "post", [values])


def index_unindexed_posts(connection: Connection) -> int:
    """Index every post with a text the index lacks (after a copy into the archive); return how many."""
    posts = (
        connection.execute(
            text(
                f"SELECT p.id FROM posts p WHERE p.text IS NOT NULL AND NOT EXISTS"
                f" (SELECT 1 FROM {POST_INDEX_TABLE} s WHERE s.post = p.id) ORDER BY p.id"
            )
        )
        .scalars()
        .all()
    )
    for post in posts:
        index_post(connection, post)
    return len(posts)


def search_posts(connection: Connection, query: SearchQuery, limit: int) -> tuple[int, list[int]]:
    """How many posts match, and the ids of the best `limit`, best first."""
    scored = scored_posts(connection, query)
    return len(scored), [post for _, post in scored[:limit]]


def scored_posts(connection: Connection, query: SearchQuery) -> list[tuple[float, int]]:
    """Every post the query matches with its bm25 score (FTS5's rank negated), best first."""
    with through_the_index(connection):
        statement = Statement()
        condition = match_condition(connection, query, NO_FILTERS, statement)
        ranked_rows: list[Any] = []
        if condition is not None:
            phrases = query_phrases(query)
            counted = ", ".join(
                statement.occurrences(phrase, part) for phrase in phrases for part in ("title", "body")
            )
            ranked_rows = connection.execute(
                text(f"SELECT s.post, s.token_count, {counted} FROM {SEARCHED_POSTS} WHERE {condition}"),
                statement.parameters,
            ).all()
        if not ranked_rows:
            return []
        posts, tokens = connection.execute(
            text(f"SELECT count(*), sum(token_count) FROM {POST_INDEX_TABLE}")
        ).one()
        idfs = (
            [idf(posts, len(ranked_rows))]
            if len(phrases) == 1
            else phrase_idfs(connection, posts, phrases, SEARCHED_POSTS)
        )
    # FTS5: (double) tokens / (double) rows.
    average_tokens = float(tokens) / float(posts)
    return sorted(
        (
            (bm25(list(counts[0::2]), list(counts[1::2]), post_tokens, idfs, average_tokens), post)
            for post, post_tokens, *counts in ranked_rows
        ),
        key=lambda scored_post: (-scored_post[0], -scored_post[1]),
    )


def newest_articles_holding(connection: Connection, query: SearchQuery, limit: int) -> list[tuple[int, str]]:
    """The newest `limit` articles the query matches: their ids and bodies, newest first."""
    statement = Statement()
    with through_the_index(connection):
        condition = match_condition(connection, query, NO_FILTERS, statement)
        if condition is None:
            return []
        return [
            (article, body)
            for article, body in connection.execute(
                text(
                    f"SELECT a.id, a.body FROM {searched()} JOIN articles a ON a.id = s.article"
                    f" WHERE {condition} ORDER BY a.id DESC LIMIT {statement.bind(limit)}"
                ),
                statement.parameters,
            )
        ]
