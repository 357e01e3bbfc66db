"""What a page is (crawler/page_verdict.py): code decides on the verdict's kind, never on its wording.

Every page here is synthetic, written for the test, on the registry entry of tests/test_registry.py.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from crawler.items import Capture
from crawler.page_verdict import PageVerdict, Verdict
from crawler.pages import extract_page
from crawler.registry import load_registry
from tests.test_extraction import FOLLOW_UP, PARAGRAPH, page
from tests.test_registry import GOOD_ENTRY, write

RULES = """
[outlet.page_rules]
not_found_text = ["查無此新聞"]
partial_text = ["訂閱後閱讀全文"]
"""
ARTICLE_URL = "https://news.example.org/a/1"
ARTICLE = page(f"<h1>輪胎行大火</h1><p>{PARAGRAPH}</p><p>{FOLLOW_UP}</p>")
LISTING = page(
    "<ul>"
    + "".join(f"<li><a href='/a/{n}'>桃園市平鎮區一家輪胎行今天清晨發生大火{n}</a></li>" for n in range(12))
    + "</ul>"
)


def article_capture(**fields: Any) -> Capture:
    """An article page of the test outlet answered with status 200."""
    return Capture(
        outlet="example",
        page_kind="article",
        url=ARTICLE_URL,
        fetched_at=datetime(2024, 6, 1, tzinfo=UTC),
        http_status=200,
        **fields,
    )


@pytest.fixture
def outlet(tmp_path):
    return load_registry(write(tmp_path, GOOD_ENTRY + RULES)).get("example")


@pytest.mark.parametrize(
    ("url", "html", "kind", "reason"),
    [
        (ARTICLE_URL, ARTICLE.replace("<p>", "<p>查無此新聞", 1), Verdict.SOFT_404, "soft 404: page says"),
        (ARTICLE_URL, page("<p>oops</p>", title="404 Not Found"), Verdict.SOFT_404, "soft 404: page title"),
        (
            ARTICLE_URL,
            page("", head="<meta http-equiv='refresh' content='0; url=/404.html'>"),
            Verdict.SOFT_404,
            "soft 404: meta refresh to /404.html",
        ),
        (
            ARTICLE_URL,
            "<script>location.href='/a/2';</script>",
            Verdict.REDIRECT_STUB,
            "script redirect stub to https://news.example.org/a/2",
        ),
        (
            "https://news.example.org/world",
            ARTICLE,
            Verdict.NOT_ARTICLE_URL,
            "https://news.example.org/world is not an article URL of outlet 'example'",
        ),
        (ARTICLE_URL, LISTING, Verdict.LISTING, "listing page (100% of its text is link titles)"),
        (ARTICLE_URL, page("<p>短文。訂閱後閱讀全文</p>"), Verdict.PAYWALL_STUB, "paywall stub: page says"),
        (
            ARTICLE_URL,
            page("<p>短文。</p>"),
            Verdict.NO_TEXT,
            "no article text (3 characters after extraction)",
        ),
    ],
)
def test_a_page_that_is_no_article_says_which_kind(outlet, url, html, kind, reason):
    # As the crawl judges it: a page at a URL none of the outlet's patterns matches is refused.
    extraction = extract_page(html.encode(), url=url, outlet=outlet, require_article_url=True)
    assert extraction.article is None and extraction.not_article is not None
    assert extraction.not_article.kind is kind
    assert (extraction.reason or "").startswith(f"not an article: {reason}")


@pytest.mark.parametrize(
    ("body", "content_type", "verdict", "reason"),
    [
        (
            b"<html>" + b"x" * 200,
            None,
            PageVerdict(Verdict.TOO_LARGE, "206 bytes > 100 limit"),
            "page too large (206 bytes > 100 limit)",
        ),
        (
            b"\x89PNG\r\n\x1a\n",
            "image/png",
            PageVerdict(Verdict.NOT_HTML, "image/png"),
            "not HTML (image/png)",
        ),
        (
            b"<html>\x00\x00</html>",
            None,
            PageVerdict(Verdict.UNPARSEABLE, "binary content (NUL bytes), not HTML"),
            "binary content (NUL bytes), not HTML",
        ),
    ],
)
def test_a_page_extraction_cannot_read_says_why(body, content_type, verdict, reason):
    extraction = extract_page(body, url=ARTICLE_URL, content_type=content_type, max_bytes=100)
    assert extraction.not_article == verdict and extraction.reason == reason


def test_an_article_cut_short_is_kept_and_flagged_partial(outlet):
    whole = extract_page(ARTICLE.encode(), url=ARTICLE_URL, outlet=outlet)
    assert whole.article is not None and whole.article.partial_reason is None and whole.reason is None
    cut = extract_page(
        ARTICLE.replace("</p>", "訂閱後閱讀全文</p>", 1).encode(), url=ARTICLE_URL, outlet=outlet
    )
    assert cut.article is not None and cut.reason is None
    assert cut.article.partial_reason == "page says '訂閱後閱讀全文'"


@pytest.mark.parametrize(
    ("html", "taken_down"),
    [
        (ARTICLE.replace("<p>", "<p>查無此新聞", 1), True),
        # Its reason quotes the words "soft 404:", but the page is a redirect stub.
        ("<script>location.href='/error?message=soft 404: gone';</script>", False),
        (LISTING, False),
        (page("<p>短文。</p>"), False),
        (ARTICLE, False),
    ],
)
def test_a_revisit_finds_an_article_taken_down_only_on_a_soft_404(outlet, html, taken_down):
    capture = article_capture(body=html.encode(), revisit=True)
    capture.extraction = extract_page(capture.body, url=ARTICLE_URL, outlet=outlet)
    outcome, reason = capture.outcome
    assert (outcome == "removed") is taken_down
    if taken_down:
        assert reason == capture.extraction.reason and capture.takedown_reason == reason


def test_a_block_page_is_a_failure_worded_by_its_kind():
    capture = article_capture(block_page="Cloudflare challenge page")
    assert capture.outcome == ("failed", "blocked by Cloudflare challenge page")
