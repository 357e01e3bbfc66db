"""The one item the spider yields: a capture, i.e. one fetch attempt and what it returned."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Literal

from crawler.page_verdict import PageVerdict, Verdict

if TYPE_CHECKING:
    from crawler.archive.articles import StoreResult
    from crawler.pages import Extraction
    from crawler.registry import ArticleUrl
    from crawler.story_matching import Fingerprint

# redirect: a hop of a cited URL's redirects (kept whole, the next hop fetched by the citation
# spider); lookup: a web archive's answer on whether it holds a copy of a page.
PageKind = Literal["article", "feed", "sitemap", "listing", "list_api", "redirect", "lookup"]
Outcome = Literal["article", "not_article", "discovery", "failed", "removed", "blocked", "redirect"]

NOT_MODIFIED = "not modified since the last fetch"
# The stages after the fetch whose exceptions a capture records (`Capture.fail_stage`) as its
# reason, `<stage>_error: <exception>`: the capture is archived without an article, and
# `sourcevault reextract` makes one of it once the stage is fixed.
STAGES = ("extract", "language", "dedup", "store")
STAGE_ERROR_CHARS = 300
# HTTP answers that say an archived article was taken down.
TAKEDOWN_STATUSES = (404, 410)


@dataclass(frozen=True)
class CitedFetch:
    """Why a citation spider fetched a URL: for which citations, at which hop of its redirects."""

    citation_ids: tuple[int, ...]
    # 1 for the URL as cited, 2 for where it redirected, ...
    hop: int = 1
    # The URL as cited (the first hop's), whatever this fetch's URL, and the date the briefing
    # gives it (a web archive's copy closest to it is the one wanted).
    cited_url: str = ""
    claimed_date: date | None = None


def stage_error(stage: str, error: BaseException) -> str:
    """The reason a capture records when `stage` raised `error` on it: `extract_error: RecursionError: …`."""
    message = " ".join(str(error).split())[:STAGE_ERROR_CHARS]
    return f"{stage}_error: {type(error).__name__}" + (f": {message}" if message else "")


@dataclass
class Capture:
    """One fetch of one URL, kept whole: the raw original is what researchers cite."""

    outlet: str
    page_kind: PageKind
    url: str
    fetched_at: datetime
    request_method: str = "GET"
    request_body: bytes = b""
    final_url: str | None = None
    http_status: int | None = None
    # Header names and values in the order received; repeated headers stay repeated.
    response_headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""
    # Why no response arrived (DNS, timeout, refused, too large); None when one did.
    fetch_error: str | None = None
    # Why the network policy refused the request ("blocked: …", crawler/network_policy.py): never sent.
    blocked: str | None = None
    # Snapshot file the response was replayed from; None for a live fetch.
    replayed_from: str | None = None
    # What went wrong with a discovery document that arrived (not XML, not JSON, no links).
    discovery_problem: str | None = None
    # Filled by the extraction stage for article pages.
    extraction: Extraction | None = None
    # The archive's fetch-queue entry this fetch settles, and whether it re-fetches an archived article.
    fetch_queue_id: int | None = None
    revisit: bool = False
    # Article URLs the page lists (discovery documents, redirect stubs), for the fetch queue.
    article_links: list[ArticleUrl] = field(default_factory=list)
    # The next fetch of this document may be conditional: it was read whole, and it is not a
    # sitemap index (whose children a killed run may not have fetched yet).
    conditional_get: bool = False
    # A 200 answer that is a bot challenge or block page (which marker), not the page asked for.
    block_page: str | None = None
    # Redirected to the outlet's home page: how some outlets take an article down.
    redirected_home: bool = False
    # Filled by the deduplication stage for articles: what their copies are found by.
    dedup: Fingerprint | None = None
    # The briefing citations this fetch is for (crawler/briefings/fetching.py): the page decides
    # whether it is an article, whatever its URL; None for a crawl's fetch.
    cited: CitedFetch | None = None
    # A copy fetched from a web archive: the URL it is a copy of and the snapshot's time (UTC).
    web_archive_of: str | None = None
    web_archive_snapshot_at: datetime | None = None
    # Filled by the archive stage: the rows the capture (and its article) went into.
    stored: StoreResult | None = None
    # Why a stage after the fetch failed on this page (`fail_stage`); the later ones skip it.
    stage_error: str | None = None

    @property
    def outcome(self) -> tuple[Outcome, str | None]:
        """What this capture amounts to, and why, as recorded in the archive."""
        if self.blocked:
            return "blocked", self.blocked
        if self.fetch_error:
            return "failed", self.fetch_error
        if self.block_page:
            return "failed", PageVerdict(Verdict.BLOCKED, self.block_page).reason
        if self.revisit and (takedown := self.takedown_reason):
            return "removed", takedown
        if self.page_kind == "redirect":
            return "redirect", f"HTTP {self.http_status} to {self.header('Location')}"
        if self.http_status == 304 and self.page_kind != "article":
            return "discovery", NOT_MODIFIED
        if self.http_status is None or not 200 <= self.http_status < 300:
            return "failed", f"HTTP {self.http_status}"
        if self.stage_error:
            return "failed", self.stage_error
        if self.page_kind != "article":
            return "discovery", self.discovery_problem
        if self.extraction is None:
            return "failed", "not extracted"
        if self.extraction.article is None:
            return "not_article", self.extraction.reason
        return "article", None

    @property
    def discovery_failed(self) -> bool:
        """A feed, sitemap, listing or list API that failed or could not be read (not a 304)."""
        outcome, reason = self.outcome
        unread = outcome == "discovery" and reason not in (None, NOT_MODIFIED)
        return self.page_kind != "article" and (outcome in ("failed", "blocked") or unread)

    @property
    def takedown_reason(self) -> str | None:
        """Why this answer means the article is gone, or None."""
        if self.http_status in TAKEDOWN_STATUSES:
            return f"HTTP {self.http_status}"
        if self.redirected_home:
            return "redirected to the home page"
        judged = self.extraction.not_article if self.extraction else None
        if judged is not None and judged.kind is Verdict.SOFT_404:
            return judged.reason
        return None

    def fail_stage(self, stage: str, error: BaseException) -> None:
        """A stage raised on this page: keep the capture, drop what the stages made of it, say why."""
        self.stage_error = stage_error(stage, error)
        self.extraction = None
        self.dedup = None

    def header(self, name: str) -> str | None:
        wanted = name.lower()
        return next((value for key, value in self.response_headers if key.lower() == wanted), None)
