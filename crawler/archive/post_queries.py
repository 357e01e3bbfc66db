"""The read side of the posts tables: a post by id, `platform:id` or URL, with its checks, versions
and reposts; every post listed; the watched posts and those due for a check."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime
from typing import Any

from crawler.archive.captures import seen_at
from crawler.archive.post_index import NoSuchPost, all_rows, one_row
from crawler.posts.post import Platform
from crawler.posts.urls import PostRef, read_post_url


class PostQueries:
    """Reads over `posts`, `post_checks` and `post_versions` (with the articles posts quote)."""

    def __init__(self, connection: sqlite3.Connection):
        self.connection = connection

    def row_id(self, ref: PostRef) -> int:
        row = self.connection.execute(
            "SELECT id FROM posts WHERE platform = ? AND post_id = ?", [ref.platform.value, ref.post_id]
        ).fetchone()
        if row is None:
            raise NoSuchPost(f"no {ref.platform} post {ref.post_id} in the archive")
        return int(row[0])

    def find(self, identifier: str) -> int:
        """The row of a post named by its row id, `platform:post_id`, or any URL of it."""
        identifier = identifier.strip()
        if identifier.isdigit():
            if self.connection.execute("SELECT 1 FROM posts WHERE id = ?", [int(identifier)]).fetchone():
                return int(identifier)
            raise NoSuchPost(f"no post {identifier} in the archive (`sourcevault posts list` shows them)")
        platform, colon, post_id = identifier.partition(":")
        if colon and platform in {member.value for member in Platform} and post_id.isdigit():
            return self.row_id(PostRef(Platform(platform), post_id))
        found = read_post_url(identifier)
        if isinstance(found, PostRef):
            return self.row_id(found)
        raise NoSuchPost(f"{identifier!r} is no post id, platform:id or post URL")

    def get(self, post: int) -> dict[str, Any]:
        """The post's row, its checks, versions, the post it reposts and the posts reposting it."""
        row = self._row("SELECT * FROM posts WHERE id = ?", [post])
        for name in ("counts_at_least", "image_urls", "video_urls", "links", "problems"):
            row[name] = json.loads(row[name])
        row["checks"] = self._rows("SELECT * FROM post_checks WHERE post = ? ORDER BY checked_at, id", [post])
        row["versions"] = self._rows("SELECT * FROM post_versions WHERE post = ? ORDER BY version", [post])
        row["reposts"] = self.repost_chain(post)
        row["reposted_by"] = [
            reposting
            for (reposting,) in self.connection.execute(
                "SELECT id FROM posts WHERE reposted_post = ? ORDER BY id", [post]
            )
        ]
        row["quoted_in_articles"] = self._rows(
            """SELECT links.article, articles.outlet, articles.url, articles.title, links.similarity
            FROM post_article_links AS links JOIN articles ON articles.id = links.article
            WHERE links.post = ? ORDER BY links.similarity DESC""",
            [post],
        )
        return row

    def repost_chain(self, post: int) -> list[dict[str, Any]]:
        """The posts this one reposts, nearest first (bounded: a chain never loops)."""
        chain: list[dict[str, Any]] = []
        seen = {post}
        current = self.connection.execute("SELECT reposted_post FROM posts WHERE id = ?", [post]).fetchone()
        while current and current[0] is not None and current[0] not in seen:
            seen.add(current[0])
            chain.append(
                self._row(
                    "SELECT id, platform, post_id, author_screen_name, status, text FROM posts WHERE id = ?",
                    [current[0]],
                )
            )
            current = self.connection.execute(
                "SELECT reposted_post FROM posts WHERE id = ?", [current[0]]
            ).fetchone()
        return chain

    def listing(self, *, platform: str | None = None, status: str | None = None) -> list[dict[str, Any]]:
        """Every post, newest first checked last: id, platform, post id, author, status, times, text."""
        where, params = ["1 = 1"], []
        if platform:
            where.append("platform = ?")
            params.append(platform)
        if status:
            where.append("status = ?")
            params.append(status)
        return self._rows(
            f"""SELECT id, platform, post_id, author_screen_name, created_at, status, watched,
                last_checked_at, next_check_at, text FROM posts WHERE {" AND ".join(where)} ORDER BY id""",
            params,
        )

    def due(self, now: datetime, *, watched_only: bool = True) -> list[PostRef]:
        """Watched posts whose next check is due at `now` (all watched ones when `watched_only` is off
        and none is due: never)."""
        rows = self.connection.execute(
            "SELECT platform, post_id FROM posts WHERE watched = 1 AND next_check_at IS NOT NULL"
            " AND next_check_at <= ? ORDER BY next_check_at, id",
            [seen_at(now.astimezone(UTC))],
        )
        return [PostRef(Platform(platform), post_id) for platform, post_id in rows]

    def watched(self) -> list[tuple[PostRef, str | None]]:
        rows = self.connection.execute(
            "SELECT platform, post_id, cited_url FROM posts WHERE watched = 1 ORDER BY id"
        )
        return [(PostRef(Platform(platform), post_id), cited) for platform, post_id, cited in rows]

    def _row(self, sql: str, params: list[Any]) -> dict[str, Any]:
        return one_row(self.connection, sql, params)

    def _rows(self, sql: str, params: list[Any]) -> list[dict[str, Any]]:
        return all_rows(self.connection, sql, params)
