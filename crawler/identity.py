"""Which article a URL names, and when an article's content has changed.

The same article reaches the crawler under many URLs: tracking parameters (UDN's ?from=,
utm_*, Huanqiu's ?re=nextnews), a mobile host (m.ltn.com.tw), an old suffix (CNA's -1), any
category segment (CNA, UDN). `canonical_url` writes each such URL one way, using courlan's
normalisation and the outlet's registry rules; `article_key` reads the article's identity
from it: (outlet, the outlet's own article id, edition). Epoch Times' /gb/ and /b5/ pages of
`n<id>` share a story key and are two editions, kept as two articles.

A page given by URL (`extract`, `import`, `reextract`) is archived whatever its URL: `identify`
keys it by the outlet's URL patterns when its URL (or its canonical link, on the same outlet)
matches one, else by its canonical URL (`key_source` "canonical"); a page of a host no outlet
owns belongs to its site outlet, `site:<registered domain>` (crawler/sites.py).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlsplit, urlunsplit

from courlan import normalize_url
from w3lib.url import url_query_cleaner

from crawler.registry import Outlet, match_article_url
from crawler.sites import same_site, site_outlet_slug

WHITESPACE = re.compile(r"\s+")
# How an article's key was read: by one of the outlet's URL patterns; from its canonical URL
# (no pattern matches it, or its site has no outlet entry); or as an imported record gave it.
KeySource = Literal["pattern", "canonical", "record"]


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
    for pattern in outlet.article.patterns:
        match = pattern.match_start(f"{parts.scheme}://{netloc}{path}")
        if match is not None:
            if pattern.canonical_path is not None:
                path = pattern.canonical_path.format(**match.groupdict(default=""))
            break
    return urlunsplit((parts.scheme, netloc, path, parts.query, ""))


def article_key(outlet: Outlet, url: str) -> ArticleKey | None:
    """The article `url` names, if it is one of the outlet's article URLs."""
    match = match_article_url(outlet, canonical_url(url, outlet))
    if match is None:
        return None
    return ArticleKey(outlet.slug, match.article_id, match.edition)


@dataclass(frozen=True)
class ArticleIdentity:
    """The key an article is archived under, and how it was read."""

    key: ArticleKey
    source: KeySource
    # The outlet's URL pattern that read the id (None for a canonical key).
    pattern: str | None = None


def canonical_key(url: str, outlet: Outlet | None) -> str:
    """An article id from a URL no pattern reads: its canonical form without the scheme
    (`udn.com/NEWS/x.shtml`, `www.rfa.org/mandarin/…`), so http and https name one article."""
    parts = urlsplit(canonical_url(url, outlet))
    return urlunsplit(("", parts.netloc, parts.path or "/", parts.query, "")).removeprefix("//")


def names_same_site(outlet: Outlet | None, url: str, other: str) -> bool:
    """Whether `other` (a page's canonical link) is on the site of `url`: a host of the same outlet,
    or, for a site outlet, of the same registered domain."""
    if outlet is not None:
        return outlet.owns_host(urlsplit(other).hostname or "")
    return same_site(url, other)


def _canonical_on_site(outlet: Outlet | None, url: str, page_canonical: str | None) -> bool:
    """A page's canonical link can key it: on its own site, and not the site's front page (a
    template's default, which would make every such page one article)."""
    if not page_canonical or not names_same_site(outlet, url, page_canonical):
        return False
    parts = urlsplit(page_canonical)
    front = parts.path in ("", "/") and not parts.query
    return not (front or (outlet is not None and outlet.is_home_page(page_canonical)))


def identify(outlet: Outlet | None, url: str, page_canonical: str | None = None) -> ArticleIdentity | None:
    """The key of the article at `url` (None for a URL that is no absolute http(s) URL).

    The outlet's patterns read it from `url`, else from the page's own canonical link when that
    is on the same outlet; else the key is the canonical URL (the page's canonical link on the
    same site, else `url`). A canonical link to another site is never followed: the page stays
    the article of the site it was fetched from. Without an outlet, the site outlet of `url`.
    """
    slug = outlet.slug if outlet is not None else site_outlet_slug(url)
    if slug is None:
        return None
    own_canonical = page_canonical if _canonical_on_site(outlet, url, page_canonical) else None
    for candidate in (url, own_canonical) if outlet is not None else ():
        if candidate is None:
            continue
        found = match_article_url(outlet, candidate) or match_article_url(
            outlet, canonical_url(candidate, outlet)
        )
        if found is not None:
            return ArticleIdentity(
                ArticleKey(slug, found.article_id, found.edition), "pattern", found.pattern
            )
    keyed_by = own_canonical or url
    return ArticleIdentity(ArticleKey(slug, canonical_key(keyed_by, outlet)), "canonical")


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
