"""Articles and their versions: one row per outlet, article id and edition, every content it had,
and every URL it was seen under.

An article stored again is new, updated (its content changed: a new version is stored and linked
to the previous one) or unchanged (only its last-seen time moves). Every new or changed article is
indexed for search (`crawler.search.index.catch_up`) and linked to the archived copies of its
story (`crawler.archive.story_index`) in the same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import TYPE_CHECKING, Literal

from crawler.archive.connection import ArchiveConnection, extreme, marks, on_postgres, to_json, utc_now
from crawler.archive.postgres.races import hold_rows
from crawler.article_fields import ARTICLE_FIELDS

if TYPE_CHECKING:
    from crawler.archive.story_index import StoryIndex
    from crawler.identity import ArticleKey
    from crawler.pages import Article
    from crawler.registry import Outlet
    from crawler.story_matching import Fingerprint, StoryLink

ARTICLE_JSON_COLUMNS = frozenset(f.name for f in ARTICLE_FIELDS if f.json_encoded)
# An article is one per outlet, article id and edition; a newer capture updates the rest.
ARTICLE_IDENTITY_COLUMNS = ("outlet", "article_id", "edition")
# Revisits of a new article, in hours after it was first seen: edits and takedowns come early.
DEFAULT_REVISIT_AFTER_HOURS = (1.0, 24.0, 168.0)
# What a stored capture did to its article: first seen, a new version, or the same content again.
ArticleChange = Literal["new", "updated", "unchanged"]
# How an article URL was met: in a feed or listing, as the URL fetched, as where a fetch was
# redirected to, or as the page's own rel=canonical / og:url.
UrlSeenAs = Literal["link", "requested", "redirect", "page_canonical"]
IDENTITY_MATCHES = "outlet = ? AND article_id = ? AND edition = ?"


@cache
def article_content_columns() -> tuple[str, ...]:
    """What an extraction produces, as opposed to bookkeeping (ids, capture, time of extraction)."""
    return tuple(f.name for f in ARTICLE_FIELDS if f.column == "content")


def next_revisit(first_seen_at: str, now: str, after_hours: tuple[float, ...]) -> str | None:
    """The first revisit of the schedule still ahead of `now` (ISO 8601 UTC), or None once it is over."""
    first, current = datetime.fromisoformat(first_seen_at), datetime.fromisoformat(now)
    for hours in after_hours:
        due = first + timedelta(hours=hours)
        if due > current:
            return due.isoformat(timespec="seconds")
    return None


def _on_the_articles_site(article: Article, outlet: Outlet | None) -> bool:
    from crawler.identity import names_same_site

    return bool(article.canonical_url and article.url) and names_same_site(
        outlet, article.url or "", article.canonical_url or ""
    )


@dataclass(frozen=True)
class StoreResult:
    """What storing a capture did: the capture's row, and its article's (if the page was one)."""

    capture_id: int
    article: int | None = None
    change: ArticleChange | None = None
    links: tuple[StoryLink, ...] = ()


@dataclass(frozen=True)
class ArchivedArticle:
    """An article already in the archive, as a URL lookup finds it."""

    id: int
    key: ArticleKey
    url: str
    current_version: int | None
    last_seen_at: str | None


class Articles:
    """The `articles`, `article_versions` and `article_urls` tables of one archive.

    `store`, `record_url`, `remove`, `mark_removed` and `count_revisit` join the caller's
    transaction; the other writes open their own.
    """

    def __init__(
        self,
        archive: ArchiveConnection,
        revisit_after_hours: tuple[float, ...],
        *,
        dedup_max_verified: int | None = None,
        index_search: bool = True,
    ):
        self.archive = archive
        self.connection = archive.connection
        self.revisit_after_hours = revisit_after_hours
        self.dedup_max_verified = dedup_max_verified
        # False: stored articles wait in article_search_pending for the caller's batch.
        self.index_search = index_search

    def _story_index(self) -> StoryIndex:
        # Deduplication's maths (numpy, OpenCC) is loaded by the commands that write articles only.
        from crawler.archive.story_index import StoryIndex

        if self.dedup_max_verified is None:
            return StoryIndex(self.connection)
        return StoryIndex(self.connection, self.dedup_max_verified)

    def store(
        self,
        capture_id: int,
        seen_at: str,
        article: Article,
        *,
        urls: tuple[str | None, ...],
        outlet: Outlet | None,
        dedup: Fingerprint | None,
        crawled_at: str | None = None,
    ) -> StoreResult:
        """Insert the article or update its row, version it, record its URLs, index it and link its copies.

        `crawled_at` (a crawl storing it, not a re-extraction) plans a new article's revisits and
        marks a taken-down article live again.
        """
        from crawler.identity import ArticleKey, canonical_url, content_hash
        from crawler.story_matching import fingerprint

        key = ArticleKey(article.outlet or "", article.article_id or "", article.edition)
        new_hash = content_hash(article.title, article.body)
        # Another writer storing this article (a crawl, an import) commits first; then it is read.
        hold_rows(self.connection, "articles", IDENTITY_MATCHES, [key.outlet, key.article_id, key.edition])
        current = self.connection.execute(
            "SELECT a.id, a.current_version, v.id, v.content_hash FROM articles a"
            " LEFT JOIN article_versions v ON v.article = a.id AND v.version = a.current_version"
            " WHERE a.outlet = ? AND a.article_id = ? AND a.edition = ?",
            [key.outlet, key.article_id, key.edition],
        ).fetchone()
        columns = ("capture_id", *article_content_columns(), "key_source", "extractor", "extracted_at")
        values = [
            capture_id,
            *(
                to_json(getattr(article, name)) if name in ARTICLE_JSON_COLUMNS else getattr(article, name)
                for name in article_content_columns()
            ),
            article.key_source,
            article.extractor,
            utc_now(),
        ]
        change: ArticleChange
        if current is None:
            # Revisits are planned from when the article was first seen, so an old article a
            # replay or an import brings in is not revisited.
            first_revisit = (
                next_revisit(seen_at, crawled_at, self.revisit_after_hours) if crawled_at else None
            )
            inserted = (*ARTICLE_IDENTITY_COLUMNS, *columns)
            cursor = self.connection.execute(
                f"INSERT INTO articles ({', '.join(inserted)}, current_version, first_seen_at, last_seen_at,"
                f" revisit_due_at) VALUES ({marks(inserted)}, 1, ?, ?, ?)",
                [key.outlet, key.article_id, key.edition, *values, seen_at, seen_at, first_revisit],
            )
            article_row = int(cursor.lastrowid or 0)
            self._add_version(
                article_row,
                1,
                previous_version_row=None,
                capture_id=capture_id,
                version_hash=new_hash,
                article=article,
                seen_at=seen_at,
            )
            change = "new"
        else:
            article_row, version, version_row, current_hash = current
            if current_hash == new_hash:
                latest = extreme(self.connection, "max", "last_seen_at", "?")
                self.connection.execute(
                    f"UPDATE article_versions SET last_seen_at = {latest} WHERE id = ?",
                    [seen_at, version_row],
                )
                change = "unchanged"
            else:
                version = (version or 0) + 1
                self._add_version(
                    article_row,
                    version,
                    previous_version_row=version_row,
                    capture_id=capture_id,
                    version_hash=new_hash,
                    article=article,
                    seen_at=seen_at,
                )
                change = "updated"
            # A page a revisit found taken down and a crawl then finds back is live again (the
            # capture that saw it gone stays on record); re-extracting an old capture says nothing.
            revived = ", removed_at = NULL, removed_reason = NULL" if crawled_at else ""
            first = extreme(self.connection, "min", "coalesce(first_seen_at, ?)", "?")
            last = extreme(self.connection, "max", "coalesce(last_seen_at, ?)", "?")
            self.connection.execute(
                f"UPDATE articles SET {', '.join(f'{name} = ?' for name in columns)}, current_version = ?,"
                f" first_seen_at = {first}, last_seen_at = {last}{revived} WHERE id = ?",
                [*values, version, seen_at, seen_at, seen_at, seen_at, article_row],
            )
        if self.index_search:
            self._index_for_search(article_row)
        # A canonical link to another site is the page's claim, not one of this article's URLs.
        page_canonical = article.canonical_url if _on_the_articles_site(article, outlet) else None
        for url, seen_as in (
            (urls[0], "requested"),
            *((url, "redirect") for url in urls[1:]),
            (page_canonical, "page_canonical"),
        ):
            if url:
                self.record_url(key, url, canonical_url(url, outlet), seen_as, seen_at)
        links: list[StoryLink] = []
        if change != "unchanged":
            links = self._story_index().index(article_row, dedup or fingerprint(article.body))
        return StoreResult(capture_id, article_row, change, tuple(links))

    def _add_version(
        self,
        article_row: int,
        version: int,
        *,
        previous_version_row: int | None,
        capture_id: int,
        version_hash: str,
        article: Article,
        seen_at: str,
    ) -> None:
        self.connection.execute(
            """INSERT INTO article_versions (article, version, previous_version_id, capture_id, content_hash,
                title, body, published_at, modified_at, first_seen_at, last_seen_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
            [
                article_row,
                version,
                previous_version_row,
                capture_id,
                version_hash,
                article.title,
                article.body,
                article.published_at,
                article.modified_at,
                seen_at,
                seen_at,
            ],
        )

    def current_content(self, key: ArticleKey) -> tuple[str | None, str | None, str | None] | None:
        """An archived article's title, body and publication time (None: not archived)."""
        return self.connection.execute(
            f"SELECT title, body, published_at FROM articles WHERE {IDENTITY_MATCHES}",
            [key.outlet, key.article_id, key.edition],
        ).fetchone()

    def remove(self, capture_id: int, *, keeping: ArticleKey | None = None) -> None:
        """Delete the article a capture made: re-extraction found no article in it any more, or
        one under another key than `keeping`."""
        stale = self.connection.execute(
            "SELECT id, outlet, article_id, edition FROM articles WHERE capture_id = ?", [capture_id]
        ).fetchone()
        if stale is None or (
            keeping is not None and tuple(stale[1:]) == (keeping.outlet, keeping.article_id, keeping.edition)
        ):
            return
        self._story_index().unindex(stale[0])
        if on_postgres(self.connection):
            from crawler.search.postgres import unindex_articles

            unindex_articles(self.connection.sa, [stale[0]])  # type: ignore[attr-defined]
        self.connection.execute("DELETE FROM article_versions WHERE article = ?", [stale[0]])
        self.connection.execute("DELETE FROM articles WHERE id = ?", [stale[0]])
        if not on_postgres(self.connection):
            from crawler.search.index import catch_up

            catch_up(self.connection)

    def _index_for_search(self, article_row: int) -> None:
        """Index an article just written, in its transaction: on SQLite, what the triggers noted
        (crawler/search/index.py); on PostgreSQL, the article itself (crawler/search/postgres.py)."""
        if on_postgres(self.connection):
            from crawler.search.postgres import index_articles

            index_articles(self.connection.sa, [article_row])  # type: ignore[attr-defined]
        else:
            from crawler.search.index import catch_up

            catch_up(self.connection)

    def mark_removed(self, key: ArticleKey, seen_at: str, reason: str | None) -> None:
        """The first time a revisit saw the article gone; the article and its originals stay."""
        self.connection.execute(
            "UPDATE articles SET removed_at = coalesce(removed_at, ?),"
            f" removed_reason = coalesce(removed_reason, ?) WHERE {IDENTITY_MATCHES}",
            [seen_at, reason, key.outlet, key.article_id, key.edition],
        )

    def count_revisit(self, key: ArticleKey, now: str) -> None:
        """One revisit of the article done: plan the next one of its schedule, if any is left."""
        identity = [key.outlet, key.article_id, key.edition]
        row = self.connection.execute(
            f"SELECT first_seen_at FROM articles WHERE {IDENTITY_MATCHES}", identity
        ).fetchone()
        due = next_revisit(row[0], now, self.revisit_after_hours) if row and row[0] else None
        self.connection.execute(
            "UPDATE articles SET revisits_done = revisits_done + 1, revisit_due_at = ?"
            f" WHERE {IDENTITY_MATCHES}",
            [due, *identity],
        )

    def forget_versions_and_links(self, outlets: list[str] | None = None) -> None:
        """Before re-extraction: drop the versions and story links that the replay will rebuild."""
        where, params = "", []
        if outlets:
            where, params = f"WHERE outlet IN ({marks(outlets)})", list(outlets)
        with self.archive.db.atomic():
            index = self._story_index()
            for (article_row,) in self.connection.execute(
                f"SELECT id FROM articles {where}", params
            ).fetchall():
                index.unindex(article_row)
            self.connection.execute(
                f"DELETE FROM article_versions WHERE article IN (SELECT id FROM articles {where})", params
            )
            self.connection.execute(
                "UPDATE articles SET current_version = NULL, first_seen_at = NULL, last_seen_at = NULL"
                f" {where}",
                params,
            )

    # --- URLs --------------------------------------------------------------------------------------

    def record_url(self, key: ArticleKey, url: str, canonical: str, seen_as: UrlSeenAs, seen_at: str) -> None:
        """Remember that `url` (in its `canonical` form) names this article."""
        latest = extreme(self.connection, "max", "article_urls.last_seen_at", "excluded.last_seen_at")
        self.connection.execute(
            f"""INSERT INTO article_urls (url, canonical_url, outlet, article_id, edition, seen_as,
                first_seen_at, last_seen_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT(url) DO UPDATE SET last_seen_at = {latest}""",
            [url, canonical, key.outlet, key.article_id, key.edition, seen_as, seen_at, seen_at],
        )

    def record_article_url(self, outlet: Outlet, url: str, seen_as: UrlSeenAs = "link") -> ArticleKey | None:
        """Remember that `url` names one of the outlet's articles (None: it names none)."""
        from crawler.identity import article_key, canonical_url

        key = article_key(outlet, url)
        if key is not None:
            with self.archive.db.atomic():
                self.record_url(key, url, canonical_url(url, outlet), seen_as, utc_now())
        return key

    def archived_article_for(self, outlet: Outlet | None, url: str) -> ArchivedArticle | None:
        """The archived article `url` names, by its canonical form or the key it carries.

        Two indexed lookups, whatever the archive's size: the URL aliases (which also know where
        redirects led), then the article identity (outlet, article id, edition) the URL carries:
        the outlet's pattern's, else its canonical key. Without an outlet, its site outlet's.
        """
        from crawler.identity import ArticleKey, canonical_url, identify

        identity = identify(outlet, url)
        if identity is None:
            return None
        key = identity.key
        query = (
            "SELECT a.id, a.outlet, a.article_id, a.edition, a.url, a.current_version, a.last_seen_at"
            " FROM articles a"
        )
        row = self.connection.execute(
            f"{query} JOIN article_urls u USING (outlet, article_id, edition)"
            " WHERE u.canonical_url = ? AND u.outlet = ? LIMIT 1",
            [canonical_url(url, outlet), key.outlet],
        ).fetchone()
        if row is None:
            row = self.connection.execute(
                f"{query} WHERE a.outlet = ? AND a.article_id = ? AND a.edition = ?",
                [key.outlet, key.article_id, key.edition],
            ).fetchone()
        if row is None:
            return None
        article_row, slug, article_id, edition, article_url, version, last_seen_at = row
        return ArchivedArticle(
            article_row, ArticleKey(slug, article_id, edition), article_url, version, last_seen_at
        )
