"""Helpers shared by the tests. Nothing here touches the network: crawls replay WARC snapshots."""

from __future__ import annotations

import gzip
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from crawler.identity import article_key
from crawler.items import Capture
from crawler.pages import Article, Extraction
from crawler.registry import Registry
from crawler.snapshot import RecordedExchange, write_snapshot

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
SOURCEVAULT = Path(sys.executable).parent / "sourcevault"


def fixture_page(relative: str) -> bytes:
    """A stored fixture page (gzipped under tests/fixtures), as the server sent it."""
    return gzip.decompress((FIXTURES / relative).read_bytes())


def run_sourcevault(*args: str, cwd: Path = ROOT, timeout: int = 120) -> subprocess.CompletedProcess[str]:
    """The installed `sourcevault` command in its own process, as a user runs it."""
    return subprocess.run(
        [str(SOURCEVAULT), *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )


def exchange(
    url: str,
    body: bytes | str,
    *,
    status: int = 200,
    content_type: str = "text/html; charset=utf-8",
    headers: list[tuple[str, str]] | None = None,
    method: str = "GET",
    request_body: bytes = b"",
) -> RecordedExchange:
    """A synthetic recorded response, made by a test."""
    return RecordedExchange(
        url=url,
        status=status,
        headers=[("Content-Type", content_type), *(headers or [])],
        body=body.encode("utf-8") if isinstance(body, str) else body,
        fetched_at=datetime(2026, 11, 1, tzinfo=UTC),
        method=method,
        request_body=request_body,
        origin="synthetic: made by a test",
    )


def make_snapshot(path: Path, exchanges: list[RecordedExchange]) -> Path:
    with path.open("wb") as stream:
        write_snapshot(exchanges, stream)
    return path


def text_capture(
    registry: Registry,
    url: str,
    title: str,
    body: str,
    *,
    fetched_at: datetime = datetime(2026, 11, 1, tzinfo=UTC),
    canonical_url: str | None = None,
    final_url: str | None = None,
) -> Capture:
    """A fetched article page of a registry outlet, as extraction would hand it on (synthetic text)."""
    outlet = registry.for_url(url)
    assert outlet is not None, url
    key = article_key(outlet, final_url or url)
    assert key is not None, url
    article = Article(
        url=final_url or url,
        canonical_url=canonical_url,
        outlet=outlet.slug,
        article_id=key.article_id,
        edition=key.edition,
        title=title,
        body=body,
        published_at=None,
        modified_at=None,
        authors=[],
        editors=[],
        source=None,
        section=None,
        tags=[],
        image=None,
        bylines=[],
        partial_reason=None,
        declared_language=None,
        extractor="test",
    )
    return Capture(
        outlet=outlet.slug,
        page_kind="article",
        url=url,
        final_url=final_url or url,
        fetched_at=fetched_at,
        http_status=200,
        body=f"<html><title>{title}</title><body>{body}</body></html>".encode(),
        extraction=Extraction(article, None, "utf-8"),
    )
