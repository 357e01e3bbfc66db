"""What finds a post: the search index over posts (`post_search`) and the links from a post to the
archived articles it quotes (`post_article_links`). Writes join the caller's transaction."""

from __future__ import annotations

import sqlite3
from typing import Any

from crawler.archive.connection import on_postgres

# An article a post quotes is looked for by this many characters of the post's longest run of words,
# among the newest this many articles holding them.
QUOTE_PROBE_CHARS = 30
QUOTE_CANDIDATES = 50


class NoSuchPost(LookupError):
    """A post asked for by an id, platform:id or URL the archive does not hold."""


def one_row(connection: sqlite3.Connection, sql: str, params: list[Any]) -> dict[str, Any]:
    cursor = connection.execute(sql, params)
    names = [column[0] for column in cursor.description]
    row = cursor.fetchone()
    if row is None:
        raise NoSuchPost("no such post in the archive")
    return dict(zip(names, row, strict=True))


def all_rows(connection: sqlite3.Connection, sql: str, params: list[Any]) -> list[dict[str, Any]]:
    cursor = connection.execute(sql, params)
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


class PostIndex:
    """Search and quote links of the posts of one archive."""

    def __init__(self, connection: sqlite3.Connection):
        self.connection = connection

    def indexed(self, post: int) -> tuple[str | None, str | None, str] | None:
        """What the index holds for a post: its author's names, its text, its filters (tokens)."""
        from crawler.search.tokens import filter_tokens, index_text

        row = self.connection.execute(
            "SELECT author_name, author_screen_name, coalesce(text_simplified, text), platform, language_tag,"
            " created_at FROM posts WHERE id = ?",
            [post],
        ).fetchone()
        if row is None or row[2] is None:
            return None
        names = " ".join(name for name in row[:2] if name) or None
        return index_text(names), index_text(row[2]), filter_tokens(row[3], row[4], row[5])

    def remove(self, post: int) -> None:
        if on_postgres(self.connection):
            return  # `add` replaces the post's row.
        indexed = self.indexed(post)
        if indexed is not None:
            self.connection.execute(
                "INSERT INTO post_search (post_search, rowid, title, body, filters)"
                " VALUES ('delete', ?, ?, ?, ?)",
                [post, *indexed],
            )

    def add(self, post: int) -> None:
        if on_postgres(self.connection):
            from crawler.search.postgres_posts import index_post

            index_post(self.connection.sa, post)  # type: ignore[attr-defined]
            return
        indexed = self.indexed(post)
        if indexed is not None:
            self.connection.execute(
                "INSERT INTO post_search (rowid, title, body, filters) VALUES (?, ?, ?, ?)", [post, *indexed]
            )

    def search(self, text: str, *, limit: int = 20) -> tuple[int, list[dict[str, Any]]]:
        """Posts matching a query as `sourcevault search` reads one (crawler/search/query.py), best
        first by bm25 (author 3, text 1): how many match, and the best `limit` with a snippet."""
        from crawler.search.query import parse_query
        from crawler.search.snippets import make_snippet

        query = parse_query(text)
        if on_postgres(self.connection):
            from crawler.search.postgres_posts import search_posts

            with self.connection.atomic():  # type: ignore[attr-defined]
                total, ranked = search_posts(self.connection.sa, query, limit)  # type: ignore[attr-defined]
        else:
            expression = query.expression()
            (total,) = self.connection.execute(
                "SELECT count(*) FROM post_search WHERE post_search MATCH ?", [expression]
            ).fetchone()
            ranked = [
                post
                for (post,) in self.connection.execute(
                    "SELECT rowid FROM post_search WHERE post_search MATCH ?"
                    " ORDER BY rank, rowid DESC LIMIT ?",
                    [expression, limit],
                )
            ]
        highlighter = query.highlighter()
        hits = []
        for post in ranked:
            row = one_row(
                self.connection,
                "SELECT id, platform, post_id, author_screen_name, created_at, status, url, language_tag,"
                " text, text_simplified FROM posts WHERE id = ?",
                [post],
            )
            snippet = make_snippet(row.pop("text") or "", row.pop("text_simplified"), highlighter)
            hits.append({**row, "snippet": snippet.marked()})
        return total, hits

    def link_quoted_articles(self, post: int, text: str | None, now: str) -> None:
        """Link the post to the archived articles it quotes (crawler.story_matching.quoted_share):
        candidates are the articles the search index finds its longest run of words in."""
        from crawler.search.query import QueryError, parse_query
        from crawler.search.tokens import WORD_RUN
        from crawler.story_matching import NEAR_DUPLICATE_SIMILARITY, quoted_share

        self.connection.execute("DELETE FROM post_article_links WHERE post = ?", [post])
        runs = WORD_RUN.findall(text or "")
        if not runs:
            return
        longest = max(runs, key=len)[:QUOTE_PROBE_CHARS]
        try:
            query = parse_query(f'"{longest}"')
        except QueryError:
            return
        if on_postgres(self.connection):
            from crawler.search.postgres_posts import newest_articles_holding

            candidates = newest_articles_holding(self.connection.sa, query, QUOTE_CANDIDATES)  # type: ignore[attr-defined]
        else:
            candidates = self.connection.execute(
                "SELECT articles.id, articles.body FROM article_search"
                " JOIN articles ON articles.id = article_search.rowid"
                " WHERE article_search MATCH ? ORDER BY articles.id DESC LIMIT ?",
                [query.expression(), QUOTE_CANDIDATES],
            ).fetchall()
        for article, body in candidates:
            share = quoted_share(text or "", body)
            if share >= NEAR_DUPLICATE_SIMILARITY:
                self.connection.execute(
                    "INSERT INTO post_article_links (post, article, similarity, linked_at)"
                    " VALUES (?, ?, ?, ?)",
                    [post, article, round(share, 4), now],
                )
