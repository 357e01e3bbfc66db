"""Pages saved from the Wayback Machine: its additions taken off, the original URL and capture time read.

The Wayback Machine serves a capture with additions of its own (the shape of its real 2021
capture in tests/fixtures/generic/trafilatura-zh/archive.org.he.xinhuanet.com.25340717.html.gz,
and of the toolbar in pages saved from it with a browser):

- a block of scripts and styles opening <head>, ending `<!-- End Wayback Rewrite JS Include -->`,
  whose `__wm.wombat("<original URL>", "<14-digit timestamp>", …)` names the capture;
- a toolbar after <body>, between `<!-- BEGIN WAYBACK TOOLBAR INSERT -->` and
  `<!-- END WAYBACK TOOLBAR INSERT -->`, whose `__wm.bt(…, "web", "<original URL>", "<timestamp>",
  …)` and `The Wayback Machine - https://web.archive.org/web/<timestamp>/<original URL>` name it too;
- every link and resource rewritten to `https://web.archive.org/web/<timestamp>[im_|js_|cs_|if_]/<URL>`;
- closing comments (`FILE ARCHIVED ON 02:42:52 Jun 11, 2012 AND RETRIEVED FROM THE …`).

Extraction reads the page as its site served it; the original bytes stay in the archive as they
were fetched.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlsplit, urlunsplit

# The capture's own name for itself, in the order they are trusted.
SNAPSHOT_URL = re.compile(
    r"^https?://web\.archive\.org/web/(?P<timestamp>\d{14})(?:[a-z]{2}_)?/(?P<url>(?:https?:)?//.+)$", re.I
)
WOMBAT_CALL = re.compile(r'__wm\.wombat\(\s*"(?P<url>[^"]+)"\s*,\s*"(?P<timestamp>\d{14})"')
TOOLBAR_CALL = re.compile(r'__wm\.bt\([^)]*?"web"\s*,\s*"(?P<url>[^"]+)"\s*,\s*"(?P<timestamp>\d{14})"')
PRINTED_NAME = re.compile(
    r"The Wayback Machine - https?://web\.archive\.org/web/(?P<timestamp>\d{14})(?:[a-z]{2}_)?/(?P<url>[^<\"\s]+)"
)
# The additions.
HEAD_INCLUDE = re.compile(
    r"<script\b[^>]*(?:archive\.org/includes/|/_static/js/)[^>]*>.*?<!-- End Wayback Rewrite JS Include -->",
    re.S | re.I,
)
TOOLBAR = re.compile(r"<!-- BEGIN WAYBACK TOOLBAR INSERT -->.*?<!-- END WAYBACK TOOLBAR INSERT -->", re.S)
ARCHIVE_SCRIPT = re.compile(
    r"<script\b[^>]*\bsrc=[\"'][^\"']*(?:/_static/|/static/js/|archive\.org/includes/)[^\"']*[\"'][^>]*>\s*</script>"
    r"|<script\b[^>]*>(?:(?!</script>).)*?(?:__wm\.|archive_analytics)(?:(?!</script>).)*?</script>"
    r"|<link\b[^>]*\bhref=[\"'][^\"']*/_static/[^\"']*[\"'][^>]*>",
    re.S | re.I,
)
# The prefix of a rewritten address, up to the original it points to.
REWRITTEN = re.compile(
    r"(?:(?:https?:)?//web\.archive\.org)?/web/\d{1,14}(?:[a-z]{2}_)?/(?=(?:https?:)?//)", re.I
)
DEFAULT_PORTS = {"http": 80, "https": 443}


@dataclass(frozen=True)
class WaybackCapture:
    """Which page the Wayback Machine captured, and when."""

    original_url: str
    captured_at: datetime


def _without_default_port(url: str) -> str:
    """http://www.he.xinhuanet.com:80/news/… → http://www.he.xinhuanet.com/news/…"""
    parts = urlsplit(url if "://" in url else "http:" + url)
    if parts.port is not None and parts.port == DEFAULT_PORTS.get(parts.scheme):
        parts = parts._replace(netloc=parts.netloc.rsplit(":", 1)[0])
    return urlunsplit(parts)


def _capture(url: str, timestamp: str) -> WaybackCapture:
    captured_at = datetime.strptime(timestamp, "%Y%m%d%H%M%S").replace(tzinfo=UTC)
    return WaybackCapture(_without_default_port(url), captured_at)


def find_capture(html: str, url: str | None = None) -> WaybackCapture | None:
    """The capture a page saved from the Wayback Machine names (from its URL or its additions)."""
    if url and (match := SNAPSHOT_URL.match(url)):
        return _capture(match["url"], match["timestamp"])
    for pattern in (WOMBAT_CALL, TOOLBAR_CALL, PRINTED_NAME):
        if match := pattern.search(html):
            return _capture(match["url"], match["timestamp"])
    return None


def without_wayback_additions(html: str) -> str:
    """The page as its site served it: the archive's scripts, toolbar and rewritten links undone."""
    html = TOOLBAR.sub("", HEAD_INCLUDE.sub("", html))
    return REWRITTEN.sub("", ARCHIVE_SCRIPT.sub("", html))


def read_wayback(html: str, url: str | None = None) -> tuple[str, WaybackCapture | None]:
    """(the page's own HTML, the capture) for a page saved from the Wayback Machine; else (html, None)."""
    capture = find_capture(html, url)
    if capture is None:
        return html, None
    return without_wayback_additions(html), capture
