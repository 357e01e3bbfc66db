"""The network policy (crawler/network_policy.py) applied by Scrapy to every request it sends.

Two parts, so that no request escapes it and a refused one says why:

- `NetworkPolicyMiddleware`, first of the downloader middlewares: every request, including
  each redirect hop (RedirectMiddleware and MetaRefreshMiddleware send those through the
  downloader middlewares again) and robots.txt, is checked before it is sent: scheme, length,
  the outlet's hosts, and the address its host resolves to. A refused request raises
  `PolicyBlocked`, which the spider records as a capture with outcome `blocked`.
- `PolicyResolver`, Scrapy's caching DNS resolver (TWISTED_DNS_RESOLVER) refusing any address
  the policy refuses, for the connection itself: a name that resolved to a public address for
  the check and to a private one a moment later (DNS rebinding) still connects nowhere.

Offline replay (REPLAY_SNAPSHOT) connects nowhere: its requests are checked without addresses.
"""

from __future__ import annotations

import logging
from functools import cache
from ipaddress import ip_address
from typing import TYPE_CHECKING, Any

from scrapy.exceptions import CannotResolveHostError, IgnoreRequest
from scrapy.resolver import CachingThreadedResolver
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.httpobj import urlparse_cached
from scrapy.utils.misc import load_object
from twisted.internet.error import DNSLookupError
from twisted.internet.interfaces import IResolverSimple
from zope.interface import implementer

from crawler.network_policy import (
    BLOCKED_PREFIX,
    EXPLICIT_HOSTS_META,
    AllowedHosts,
    address_problem,
    explicit_hosts,
    literal_address,
    outlet_hosts,
    platform_hosts,
    registry_urls,
    url_problem,
)
from crawler.sites import is_site_outlet

if TYPE_CHECKING:
    from collections.abc import Sequence

    from scrapy.crawler import Crawler
    from scrapy.http import Request
    from twisted.internet.base import ReactorBase
    from twisted.internet.defer import Deferred

    from crawler.registry import Outlet, Registry

logger = logging.getLogger(__name__)


class PolicyBlocked(IgnoreRequest):
    """The network policy refused the request: it was never sent. The message is the stored reason."""


class ForbiddenAddress(DNSLookupError):
    """A host resolved to an address the policy refuses. A DNSLookupError, so that a connection
    given it fails as for a name that does not resolve (Twisted drops other errors' types)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@implementer(IResolverSimple)
class PolicyResolver(CachingThreadedResolver):
    """Scrapy's default resolver (cached, IPv4) that refuses addresses the network policy refuses.

    Settings: NETWORK_ALLOW_LOOPBACK, and DNSCACHE_ENABLED, DNSCACHE_SIZE, DNS_TIMEOUT as for
    Scrapy's. Every connection resolves its host through it, IP literals included.
    """

    allow_loopback: bool = False

    @classmethod
    def from_crawler(cls, crawler: Crawler, reactor: ReactorBase) -> PolicyResolver:
        resolver = super().from_crawler(crawler, reactor)
        resolver.allow_loopback = crawler.settings.getbool("NETWORK_ALLOW_LOOPBACK")
        return resolver

    def getHostByName(self, name: str, timeout: Sequence[int] = ()) -> Deferred[str]:  # noqa: N802
        return super().getHostByName(name, timeout).addCallback(self._allowed, name)

    def _allowed(self, address: str, name: str) -> str:
        # socket.gethostbyname answers a dotted-quad IPv4 address or fails: never a name.
        problem = address_problem(ip_address(address), allow_loopback=self.allow_loopback)
        if problem is None:
            return address
        raise ForbiddenAddress(problem if literal_address(name) else f"{problem} (the address of {name})")


class NetworkPolicyMiddleware:
    """Downloader middleware refusing every request the network policy does not allow.

    A request of an outlet (meta `outlet`: a post platform's slug for the posts spider's requests)
    may reach that outlet's (or platform's) hosts, and the hosts its meta EXPLICIT_HOSTS_META
    allows; any other (robots.txt) the hosts of the crawl's outlets and those the spider's
    `explicit_hosts` lists (the hosts the user's requests named).
    A site outlet (`site:rfa.org`, crawler/sites.py) has no hosts of its own: its requests reach
    only the hosts the user's request named.
    Replaces Scrapy's OffsiteMiddleware, whose allow-all (`dont_filter`, `allow_offsite`, a spider
    without `allowed_domains`) and silent drops the policy cannot have.

    Settings: URLLENGTH_LIMIT, NETWORK_ALLOW_LOOPBACK, TWISTED_DNS_RESOLVER (must be a
    PolicyResolver), REPLAY_SNAPSHOT. The spider provides `registry` and `outlets`.
    """

    def __init__(self, crawler: Crawler):
        settings = crawler.settings
        self.crawler = crawler
        self.max_url_length = settings.getint("URLLENGTH_LIMIT")
        self.allow_loopback = settings.getbool("NETWORK_ALLOW_LOOPBACK")
        # A replay answers from a file: there is no connection whose address could be checked.
        self.check_addresses = not settings.get("REPLAY_SNAPSHOT")
        self.outlet_hosts = cache(self._outlet_hosts)
        self.crawl_hosts = cache(self._crawl_hosts)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> NetworkPolicyMiddleware:
        resolver = crawler.settings.get("TWISTED_DNS_RESOLVER")
        if not issubclass(load_object(resolver), PolicyResolver):
            raise ValueError(
                f"TWISTED_DNS_RESOLVER = {resolver!r}: the network policy needs"
                f" {PolicyResolver.__module__}.{PolicyResolver.__name__} (or a subclass)"
            )
        return cls(crawler)

    async def process_request(self, request: Request) -> None:
        problem = url_problem(request.url, self.allowed_hosts(request), self.max_url_length)
        host = urlparse_cached(request).hostname or ""
        # A replay connects nowhere, but a host written as an address says where it would.
        if problem is None and (self.check_addresses or literal_address(host) is not None):
            problem = await self.resolved_address_problem(host)
        if problem is not None:
            assert self.crawler.stats is not None
            self.crawler.stats.inc_value("network_policy/blocked")
            logger.info("blocked by the network policy: %s (%s)", request.url, problem)
            raise PolicyBlocked(BLOCKED_PREFIX + problem)

    def allowed_hosts(self, request: Request) -> AllowedHosts:
        slug = request.meta.get("outlet")
        allowed = self.outlet_hosts(slug) if slug else self.crawl_hosts().with_explicit(self.asked_hosts())
        explicit = request.meta.get(EXPLICIT_HOSTS_META)
        return allowed.with_explicit(explicit) if explicit else allowed

    async def resolved_address_problem(self, host: str) -> str | None:
        """Why the host's address is refused. A name that does not resolve fails the request here,
        as the download would (CannotResolveHostError, retried as such): robots.txt is not tried."""
        literal = literal_address(host)
        if literal is not None:
            return address_problem(literal, allow_loopback=self.allow_loopback)
        # Scrapy installs the reactor it runs: imported before, this would install another.
        from twisted.internet import reactor  # noqa: PLC0415

        try:
            await maybe_deferred_to_future(reactor.resolver.getHostByName(host))  # type: ignore[attr-defined]
        except ForbiddenAddress as refused:
            return refused.reason
        except DNSLookupError as error:
            raise CannotResolveHostError(str(error)) from error
        return None

    def asked_hosts(self) -> tuple[tuple[str, int], ...]:
        """The hosts the user's requests named so far in this crawl (a spider's `explicit_hosts`,
        such as the cited URLs of a briefing): their robots.txt may be asked too."""
        return tuple(getattr(self._spider(), "explicit_hosts", ()))

    def _spider(self) -> Any:
        spider = self.crawler.spider
        assert spider is not None and hasattr(spider, "registry"), "the spider names the crawl's registry"
        return spider

    def _outlet_hosts(self, slug: str) -> AllowedHosts:
        if is_site_outlet(slug):
            return AllowedHosts(f"site outlet {slug}")
        registry: Registry = self._spider().registry
        # A post's request names its platform (crawler/spiders/posts.py): the platform's hosts.
        if slug in registry.platforms:
            return platform_hosts(registry.platform(slug))
        return outlet_hosts(registry.get(slug))

    def _crawl_hosts(self) -> AllowedHosts:
        outlets: list[Outlet] = self._spider().outlets
        allowed = AllowedHosts.union("the crawl's outlets", map(outlet_hosts, outlets))
        named = [url for outlet in outlets for url in registry_urls(outlet)]
        return allowed.with_explicit(explicit_hosts(named))
