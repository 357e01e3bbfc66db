"""Which article a URL names, and when an article's content has changed.

The same article reaches the crawler under many URLs: tracking parameters (UDN's ?from=,
utm_*, Huanqiu's ?re=nextnews), a mobile host (m.ltn.com.tw), an old suffix (CNA's -1), any
category segment (CNA, UDN). `canonical_url` writes each such URL one way, using courlan's
normalisation and the outlet's registry rules; `article_key` reads the article's identity
from it: (outlet, the outlet's own article id, edition). Epoch Times' /gb/ and /b5/ pages of
`n<id>` share a story key and are two editions, kept as two articles.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

from courlan import normalize_url
from w3lib.url import url_query_cleaner

from crawler.registry import Outlet, match_article_url

WHITESPACE = re.compile(r"\s+")


@dataclass(frozen=True, order=True)
class ArticleKey:
    """One article of one outlet, in one edition (script variant)."""

    outlet: str
    article_id: str
    edition: str = ""


def canonical_url(url: str, outlet: Outlet | None = None) -> str:
    """The one way of writing `url`: host lowercased, default port, fragment and tracking dropped.

    With the outlet, its rules apply: only `keep_query` parameters stay, a mobile host becomes
    the desktop host, and `canonical_path` rewrites the path from the URL pattern's groups.
    Without one, courlan's list of tracking parameters decides. A URL that cannot be parsed
    comes back stripped of surrounding space, as it was.
    """
    url = url.strip()
    try:
        normalised = normalize_url(url, strict=outlet is None)
    except ValueError:
        return url
    if outlet is None:
        return normalised
    parts = urlsplit(url_query_cleaner(normalised, outlet.article.keep_query))
    host = parts.hostname or ""
    netloc = outlet.article.mobile_hosts.get(host, parts.netloc)
    path = parts.path
    template = outlet.article.canonical_path
    if template is not None:
        match = outlet.url_match(f"{parts.scheme}://{netloc}{path}")
        if match is not None:
            path = template.format(**match.groupdict(default=""))
    return urlunsplit((parts.scheme, netloc, path, parts.query, ""))


def article_key(outlet: Outlet, url: str) -> ArticleKey | None:
    """The article `url` names, if it is one of the outlet's article URLs."""
    match = match_article_url(outlet, canonical_url(url, outlet))
    if match is None:
        return None
    return ArticleKey(outlet.slug, match.article_id, match.edition)


def content_hash(title: str | None, body: str | None) -> str:
    """What makes two fetches of one article the same version.

    The text a reader reads: title and body, NFKC-normalised (full-width and half-width forms
    alike) with runs of whitespace folded. Bylines, tags, images, times and whatever the
    selectors drop (ads, related links) are not content, so a re-rendered page is no new
    version; a corrected sentence or headline is.
    """
    text = "\n".join(
        WHITESPACE.sub(" ", unicodedata.normalize("NFKC", part or "")).strip() for part in (title, body)
    )
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
