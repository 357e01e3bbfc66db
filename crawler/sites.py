"""Site outlets: the sites no registry entry owns, each archived under its registered domain.

A briefing cites what it cites. A page from a host that no outlet of config/outlets.toml owns is
archived all the same, under the outlet `site:<registered domain>` (`site:rfa.org` for
www.rfa.org, `site:bbc.co.uk` for news.bbc.co.uk), with language, script, deduplication and search
like any other. The registered domain is read with the Public Suffix List as tldextract bundles it
(no download; its private section too, so that two blogs under one blogging host are two sites).
Nothing about these sites goes into the registry: an operator who wants one crawled adds an outlet.
"""

from __future__ import annotations

import ipaddress
import re
from functools import cache
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from tldextract import TLDExtract

SITE_PREFIX = "site:"
# What follows "site:": a host name's letters, digits, dots and hyphens, or an IPv4 address.
SITE_SLUG = re.compile(r"^site:[a-z0-9]([a-z0-9.-]*[a-z0-9])?$")


@cache
def _public_suffixes() -> TLDExtract:
    # tldextract pulls in requests: loaded only by the commands that meet an unconfigured site.
    import tldextract  # noqa: PLC0415

    return tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None, include_psl_private_domains=True)


def registered_domain(host: str) -> str:
    """The domain a host was registered under: www.rfa.org → rfa.org; an IP address or a
    name without a public suffix (localhost) stands for itself."""
    host = host.lower().rstrip(".")
    try:
        ipaddress.ip_address(host)
        return host
    except ValueError:
        pass
    return _public_suffixes()(host).top_domain_under_public_suffix or host


def site_outlet_slug(url: str) -> str | None:
    """`site:<registered domain>` of an absolute http(s) URL; None for anything else."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    return SITE_PREFIX + registered_domain(parts.hostname)


def is_site_outlet(slug: str) -> bool:
    """Whether `slug` names a site outlet (registry slugs hold no colon)."""
    return bool(SITE_SLUG.match(slug))


def site_domain(slug: str) -> str:
    return slug.removeprefix(SITE_PREFIX)


def same_site(url: str, other: str) -> bool:
    """Whether two absolute URLs are on hosts of one registered domain."""
    return site_outlet_slug(url) == site_outlet_slug(other) is not None
