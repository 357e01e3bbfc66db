"""`sourcevault outlets explain URL`: which outlet, which URL pattern and which article key a URL gets.

The same functions a crawl, an import and `extract` use decide it (crawler/identity.py): the
outlet owning the URL's host (else the site outlet of its registered domain), the first of the
outlet's URL patterns that matches its canonical form, and the key read by it, or the canonical
URL when none matches. A page's own canonical link can still key it differently: a URL alone
cannot say what its page will name.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any
from urllib.parse import urlsplit

from crawler.exit_status import BadInput
from crawler.identity import canonical_url, identify
from crawler.registry import Registry


class NotAUrl(BadInput, ValueError):
    """What was given is no absolute http(s) URL."""


@dataclass(frozen=True)
class UrlExplanation:
    url: str
    host: str
    outlet: str
    # The registry outlet's name; None for a site outlet.
    outlet_name: str | None
    # Whether the host is one the outlet lists (None for a site outlet).
    host_listed: bool | None
    canonical_url: str
    # The pattern that read the id, and its regular expression (None: none matched).
    pattern: str | None
    regex: str | None
    # The outlet's patterns, in the order they are tried.
    patterns: tuple[str, ...]
    article_id: str
    edition: str
    key_source: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def explain_url(registry: Registry, url: str) -> UrlExplanation:
    """What sourcevault makes of `url`; NotAUrl for anything but an absolute http(s) URL."""
    outlet = registry.for_url(url)
    identity = identify(outlet, url)
    host = (urlsplit(url).hostname or "").lower()
    if identity is None or not host:
        raise NotAUrl(f"{url!r}: not an absolute http(s) URL")
    pattern = (
        next((p for p in outlet.article.patterns if p.name == identity.pattern), None) if outlet else None
    )
    return UrlExplanation(
        url=url,
        host=host,
        outlet=identity.key.outlet,
        outlet_name=outlet.name if outlet else None,
        host_listed=(host in outlet.hosts) if outlet else None,
        canonical_url=canonical_url(url, outlet),
        pattern=pattern.name if pattern else None,
        regex=pattern.regex if pattern else None,
        patterns=tuple(p.name for p in outlet.article.patterns) if outlet else (),
        article_id=identity.key.article_id,
        edition=identity.key.edition,
        key_source=identity.source,
    )


def explanation_lines(explained: UrlExplanation) -> list[str]:
    """The explanation as `outlets explain` prints it, one fact a line."""
    if explained.outlet_name is None:
        outlet = (
            f"{explained.outlet}: no outlet owns {explained.host}; the site outlet of its registered domain"
        )
        pattern = "none: a site outlet has no URL patterns"
    else:
        listed = "one of its hosts" if explained.host_listed else "under its domains, not one of its hosts"
        outlet = f"{explained.outlet} ({explained.outlet_name}), host {explained.host}: {listed}"
        if explained.pattern is None:
            tried = ", ".join(explained.patterns)
            pattern = f"none of its {len(explained.patterns)} ({tried}) matches: the crawl does not fetch it"
        else:
            pattern = f"{explained.pattern}  {explained.regex}"
    edition = f" edition {explained.edition}" if explained.edition else ""
    key = f"{explained.outlet} {explained.article_id}{edition} (key_source {explained.key_source})"
    if explained.key_source == "canonical":
        key += "; its page's own canonical link, on the same site, would key it instead"
    return [
        f"url          {explained.url}",
        f"outlet       {outlet}",
        f"canonical    {explained.canonical_url}",
        f"pattern      {pattern}",
        f"article key  {key}",
    ]
