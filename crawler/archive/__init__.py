"""The SQLite archive: raw originals and the articles extracted from them.

`Archive` opens the file (`connection`: pragmas, schema check, migrations) and gives its rooms,
one per concern, each over the same connection:

- `captures`: every fetch and the exact bytes it returned (`captures`, `raw_bodies`);
- `articles`: articles, their versions and URL aliases, and the story links made as they are stored;
- `runs`: crawl runs (`crawl_runs`; per-outlet records in `run_records`);
- `queue`: the article pages waiting to be fetched (`fetch_queue`);
- `posts`: cited Weibo and X posts, their checks and versions (`posts`, `post_checks`, ...);
- `queries`: the read side, across tables: stats, story clusters, article records, digests;
- `briefings`: briefings, their versions and citations, and which citations to fetch;
- `citation_checks`: what each fetch of a cited URL or post made of its citations, and the
  redirect hops of cited URLs.

The writes that span rooms are `Archive`'s own: a capture, its raw body, its article and what it
means for the fetch queue are stored in one transaction, so a crash never leaves an article without
its original or the reverse.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Generator
from datetime import datetime
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from crawler.archive.articles import (
    DEFAULT_REVISIT_AFTER_HOURS,
    ArticleChange,
    Articles,
    StoreResult,
)
from crawler.archive.briefings import Briefings
from crawler.archive.captures import Captures, StoredCapture, seen_at
from crawler.archive.citation_checks import CitationChecks
from crawler.archive.connection import DEFAULT_ARCHIVE_PATH, ArchiveConnection, to_json, utc_now
from crawler.archive.fetch_queue import FetchQueue
from crawler.archive.postgres.races import hold_import, retried
from crawler.archive.posts import Posts
from crawler.archive.queries import Queries
from crawler.archive.runs import Runs

if TYPE_CHECKING:
    from crawler.items import Capture
    from crawler.pages import Article, Extraction
    from crawler.registry import Outlet, Registry

# Article URLs a capture lists queued per step of `Archive.storing`: some tens of milliseconds.
LINKS_PER_STEP = 1000


class CommitRefused(Exception):
    """A commit guard's refusal: the capture's transaction is rolled back, none of it stored."""


# Called with the archive's connection in a capture's transaction, just before its commit; raises
# CommitRefused to roll it back (a crawl worker's lease fence: pipelines/lease_fence.py).
CommitGuard = Callable[[object], None]


def _article_urls(article: Article, url: str, final_url: str | None) -> tuple[str | None, ...]:
    """The URLs an article was fetched under; for a Wayback Machine copy, the page it captured
    (the archive's own address names no article)."""
    return (article.url,) if article.wayback_original_url else (url, final_url)


class Archive(ArchiveConnection):
    """An archive file, opened (and created or migrated) on construction, and its rooms."""

    def __init__(
        self,
        path: Path | str = DEFAULT_ARCHIVE_PATH,
        *,
        readonly: bool = False,
        revisit_after_hours: tuple[float, ...] = DEFAULT_REVISIT_AFTER_HOURS,
        dedup_max_verified: int | None = None,
        defer_search_index: bool = False,
        commit_guard: CommitGuard | None = None,
    ):
        """`dedup_max_verified`: candidates compared exactly per stored article (None: the story
        index's MAX_VERIFIED). `defer_search_index`: articles stored stay noted in
        `article_search_pending` until `index_pending_search` (a crawl's batches) instead of being
        indexed for search in the transaction that stores them; any open for writing indexes
        what a killed writer left pending. `commit_guard`: checks each capture's transaction before
        its commit (`storing`)."""
        super().__init__(path, readonly=readonly)
        self.revisit_after_hours = revisit_after_hours
        self.dedup_max_verified = dedup_max_verified
        self.defer_search_index = defer_search_index
        self.commit_guard = commit_guard

    @cached_property
    def captures(self) -> Captures:
        return Captures(self.connection, self.path)

    @cached_property
    def articles(self) -> Articles:
        return Articles(
            self,
            self.revisit_after_hours,
            dedup_max_verified=self.dedup_max_verified,
            index_search=not self.defer_search_index,
        )

    @cached_property
    def queue(self) -> FetchQueue:
        return FetchQueue(self.connection)

    @cached_property
    def runs(self) -> Runs:
        return Runs(self, self.queue)

    @cached_property
    def briefings(self) -> Briefings:
        return Briefings(self)

    @cached_property
    def citation_checks(self) -> CitationChecks:
        return CitationChecks(self)

    @cached_property
    def posts(self) -> Posts:
        return Posts(self, self.captures)

    @cached_property
    def queries(self) -> Queries:
        return Queries(self.connection)

    def index_pending_search(self) -> int:
        """Index for search, in the caller's transaction or one of its own, the articles stored
        since the last call; how many."""
        from crawler.search.index import catch_up

        with self.db.atomic():
            return catch_up(self.connection)

    def sync_outlets(self, registry: Registry) -> None:
        """Mirror the registry into the `outlets` table, for joins in any SQLite tool."""
        with self.db.atomic():
            for outlet in registry:
                self.connection.execute(
                    """INSERT INTO outlets
                        (slug, name, native_name, home, domains, language, script, timezone)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                    ON CONFLICT(slug) DO UPDATE SET name=excluded.name, native_name=excluded.native_name,
                        home=excluded.home, domains=excluded.domains, language=excluded.language,
                        script=excluded.script, timezone=excluded.timezone""",
                    [
                        outlet.slug,
                        outlet.name,
                        outlet.native_name,
                        outlet.home,
                        to_json(outlet.domains),
                        outlet.language,
                        outlet.script,
                        outlet.timezone,
                    ],
                )

    def add_site_outlet(self, slug: str) -> None:
        """A row in `outlets` for a site outlet (`site:rfa.org`) the first time it is archived.

        Nothing is configured for such a site: its language and script are undetermined (und,
        Zyyy) and its time zone empty; each of its pages is tagged, and its clock guessed, alone.
        Joins the caller's transaction.
        """
        from crawler.sites import is_site_outlet, site_domain

        if not is_site_outlet(slug):
            return
        domain = site_domain(slug)
        self.connection.execute(
            """INSERT INTO outlets (slug, name, native_name, home, domains, language, script, timezone, kind)
            VALUES (?, ?, '', ?, ?, 'und', 'Zyyy', '', 'site') ON CONFLICT(slug) DO NOTHING""",
            [slug, domain, f"https://{domain}/", to_json([domain])],
        )

    def store(self, capture: Capture, run_id: int | None, *, outlet: Outlet | None = None) -> StoreResult:
        """Write a capture, its raw body, its article, and what it means for the fetch queue, at once.

        One transaction: a crawl killed at any moment leaves either all of it or none, so the
        next run neither loses a page (it is still queued) nor archives it twice (it is done).
        The article is new, updated or unchanged (`Articles.store`); a new or changed article
        is linked to the archived copies of its story. `outlet` gives the registry rules that
        write the article's URLs canonically (without it, only generic tracking is dropped).
        """
        steps = self.storing(capture, run_id, outlet=outlet)
        while True:
            try:
                next(steps)
            except StopIteration as stored:
                return stored.value

    def storing(
        self, capture: Capture, run_id: int | None, *, outlet: Outlet | None = None
    ) -> Generator[None, None, StoreResult]:
        """`store` in steps: it pauses after each LINKS_PER_STEP article URLs the capture lists,
        so that a crawl's reactor runs between them (a sitemap lists up to DISCOVERY_MAX_LINKS).
        Still one transaction: nothing else may use this connection until the last step. The commit
        guard, if any, has the last word on it (CommitRefused)."""
        from crawler.identity import ArticleKey

        outcome, reason = capture.outcome
        extraction = capture.extraction
        article = extraction.article if extraction and outcome == "article" else None
        links = capture.article_links
        steps = range(0, len(links), LINKS_PER_STEP)
        now = utc_now()
        with self.db.atomic():
            self.add_site_outlet(capture.outlet)
            links_new = None
            if links:
                links_new = 0
                for start in steps:
                    links_new += self.queue.enqueue(
                        capture.outlet, links[start : start + LINKS_PER_STEP], run_id, now
                    )
                    if len(links) > LINKS_PER_STEP:
                        yield
            capture_id = self.captures.insert_fetched(capture, run_id, links_new)
            result = StoreResult(capture_id)
            for start in steps:
                for link in links[start : start + LINKS_PER_STEP]:
                    key = ArticleKey(capture.outlet, link.article_id, link.edition)
                    self.articles.record_url(key, link.listed_url or link.url, link.url, "link", now)
                if start + LINKS_PER_STEP < len(links):
                    yield
            if article:
                result = self.articles.store(
                    capture_id,
                    seen_at(capture.fetched_at),
                    article,
                    urls=_article_urls(article, capture.url, capture.final_url),
                    outlet=outlet,
                    dedup=capture.dedup,
                    crawled_at=now,
                )
                self.captures.record_article_change(capture_id, result.change)
            if capture.page_kind != "article":
                self.captures.keep_validators(capture, capture_id, now)
            if capture.fetch_queue_id is not None:
                self._settle_fetch(capture, outcome, reason, now)
            if self.commit_guard is not None:
                self.commit_guard(self.connection)
        return result

    def _settle_fetch(self, capture: Capture, outcome: str, reason: str | None, now: str) -> None:
        from crawler.identity import ArticleKey

        assert capture.fetch_queue_id is not None
        # A page the network policy refused is tried again next run, as a failed one: the
        # registry may have been given its host meanwhile.
        failure = reason if outcome in ("failed", "blocked") else None
        entry = self.queue.settle(capture.fetch_queue_id, failure)
        if entry is None:
            return
        key = ArticleKey(entry.outlet, entry.article_id, entry.edition)
        if outcome == "removed":
            self.articles.mark_removed(key, seen_at(capture.fetched_at), reason)
        if entry.purpose == "revisit" and entry.finished:
            self.articles.count_revisit(key, now)

    def store_import(
        self, record: bytes, article: Article, fetched_at: datetime, imported_from: str, outlet: Outlet | None
    ) -> ArticleChange:
        """Archive an article read from a JSON-lines record, the record kept as its original.

        The article goes through the store path of a crawled one (versions, URL aliases, story
        clusters). A record imported before, or an article whose title, body and publication time
        the archive already holds, adds nothing; a changed article gets the record as its newer
        original and a new version, as a refetch would. Run again when it lost a race for a row
        to a crawl writing beside it (crawler/archive/postgres/races.py).
        """
        return retried(
            self.connection, lambda: self._store_import(record, article, fetched_at, imported_from, outlet)
        )

    def _store_import(
        self, record: bytes, article: Article, fetched_at: datetime, imported_from: str, outlet: Outlet | None
    ) -> ArticleChange:
        from crawler.identity import ArticleKey

        key = ArticleKey(article.outlet or "", article.article_id or "", article.edition)
        with self.db.atomic():
            self.add_site_outlet(key.outlet)
            # The same record imported at once by another process waits here, then finds this capture.
            sha256 = hashlib.sha256(record).hexdigest()
            hold_import(self.connection, sha256)
            if self.captures.holds_import(sha256):
                return "unchanged"
            if self.articles.current_content(key) == (article.title, article.body, article.published_at):
                return "unchanged"
            capture_id = self.captures.insert_imported(record, article, fetched_at, imported_from)
            stored = self.articles.store(
                capture_id, seen_at(fetched_at), article, urls=(article.url,), outlet=outlet, dedup=None
            )
            self.captures.record_article_change(capture_id, stored.change)
        return stored.change or "unchanged"

    def record_stage_failure(self, capture: StoredCapture, reason: str) -> None:
        """A stage raised on a stored capture extracted again: say so; its article stays as it was."""
        with self.db.atomic():
            self.captures.record_stage_failure(capture.id, reason)

    def record_reextraction(
        self, capture: StoredCapture, extraction: Extraction, *, outlet: Outlet | None = None
    ) -> StoreResult:
        """Replace what an earlier extraction made of a stored capture.

        The article may now have another key than the capture gave before (the registry gained
        a URL pattern, or an outlet for what was a site outlet's page): the article under the old
        key goes, and the capture moves to the article's outlet.
        """
        from crawler.identity import ArticleKey

        article = extraction.article
        outcome = "article" if article is not None else "not_article"
        with self.db.atomic():
            self.captures.record_outcome(capture.id, outcome, extraction)
            if article is not None:
                key = ArticleKey(article.outlet or "", article.article_id or "", article.edition)
                self.articles.remove(capture.id, keeping=key)
                if key.outlet != capture.outlet:
                    self.add_site_outlet(key.outlet)
                    self.captures.move_to_outlet(capture.id, key.outlet)
                return self.articles.store(
                    capture.id,
                    seen_at(capture.fetched_at),
                    article,
                    urls=_article_urls(article, capture.url, capture.final_url),
                    outlet=outlet,
                    dedup=None,
                )
            self.articles.remove(capture.id)
        return StoreResult(capture.id)
