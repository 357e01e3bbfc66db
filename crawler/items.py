"""The one item the spider yields: a capture, i.e. one fetch attempt and what it returned."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from crawler.dedup import Fingerprint
from crawler.pages import Extraction

PageKind = Literal["article", "feed", "sitemap", "listing", "list_api"]
Outcome = Literal["article", "not_article", "discovery", "failed"]


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
    # Snapshot file the response was replayed from; None for a live fetch.
    replayed_from: str | None = None
    # What went wrong with a discovery document that arrived (not XML, not JSON, no links).
    discovery_problem: str | None = None
    # Filled by the extraction stage for article pages.
    extraction: Extraction | None = None
    # Filled by the deduplication stage for articles: what their copies are found by.
    dedup: Fingerprint | None = None

    @property
    def outcome(self) -> tuple[Outcome, str | None]:
        """What this capture amounts to, and why, as recorded in the archive."""
        if self.fetch_error:
            return "failed", self.fetch_error
        if self.http_status is None or not 200 <= self.http_status < 300:
            return "failed", f"HTTP {self.http_status}"
        if self.page_kind != "article":
            return "discovery", self.discovery_problem
        if self.extraction is None:
            return "failed", "not extracted"
        if self.extraction.article is None:
            return "not_article", self.extraction.reason
        return "article", None

    def header(self, name: str) -> str | None:
        wanted = name.lower()
        return next((value for key, value in self.response_headers if key.lower() == wanted), None)
