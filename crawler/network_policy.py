"""The network policy: which URLs and which addresses sourcevault may fetch, as plain functions.

Every fetch goes through it: crawls, revisits and `outlets fixture URL` (all through Scrapy,
where crawler/middlewares/network_policy.py applies it to every request and every redirect hop,
and its resolver to every address a connection is about to use). A URL is fetched only if

- its scheme is http or https, it is at most URLLENGTH_LIMIT characters long, and it carries no
  credentials (`user:password@`);
- its host and port are the outlet's: one of its registry `domains` or a subdomain (which
  holds every host its `hosts` list names: sister sites, earlier sites), on the scheme's default
  port or a port the outlet's registry URLs name; or a host the user's explicit request allows
  for that request and its redirects (a discovery URL written in the registry, such as a feed on
  feedburner; the URL given for a site outlet, `site:rfa.org`, which has no hosts of its own);
- the address its host resolves to is public: never loopback, private, link-local, shared
  (CGNAT), multicast, reserved or unspecified, nor an IPv6 address embedding such an IPv4
  address, unless NETWORK_ALLOW_LOOPBACK lets tests reach 127.0.0.0/8 and ::1 (nothing else).

Each function returns None when the policy allows, else the reason it does not, worded to be
stored after "blocked: ".
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address
from typing import TYPE_CHECKING
from urllib.parse import SplitResult, urlsplit

if TYPE_CHECKING:
    from crawler.registry import Outlet, PostPlatform

FETCHED_SCHEMES = ("http", "https")
DEFAULT_PORTS = {"http": 80, "https": 443}
# How the archive words a refusal (captures.outcome_reason, after outcome 'blocked').
BLOCKED_PREFIX = "blocked: "
# A request's meta key: the (host, port) pairs the user's explicit request allows it and its
# redirects to reach besides the outlet's hosts. Only code sets it, from the registry or the
# command line; what a fetched document lists never carries it.
EXPLICIT_HOSTS_META = "network_policy_hosts"

SHARED_ADDRESS_SPACE = IPv4Network("100.64.0.0/10")
NAT64_PREFIXES = (IPv6Network("64:ff9b::/96"), IPv6Network("64:ff9b:1::/48"))
IPV6_LOOPBACK = IPv6Address("::1")

Address = IPv4Address | IPv6Address
HostPort = tuple[str, int]


@dataclass(frozen=True)
class AllowedHosts:
    """Hosts a request may reach: `domains` and their subdomains on `ports` (besides the scheme's
    default port), and the exact `explicit` host and port pairs. `owner` names whose they are."""

    owner: str
    domains: tuple[str, ...] = ()
    ports: frozenset[int] = frozenset()
    explicit: frozenset[HostPort] = frozenset()

    def with_explicit(self, pairs: Iterable[HostPort]) -> AllowedHosts:
        return AllowedHosts(self.owner, self.domains, self.ports, self.explicit | frozenset(pairs))

    @classmethod
    def union(cls, owner: str, parts: Iterable[AllowedHosts]) -> AllowedHosts:
        parts = list(parts)
        return cls(
            owner,
            tuple(domain for part in parts for domain in part.domains),
            frozenset(port for part in parts for port in part.ports),
            frozenset(pair for part in parts for pair in part.explicit),
        )


def host_port(parts: SplitResult) -> HostPort:
    """The host (lower case, no trailing dot) and port a URL connects to; ValueError for a bad port."""
    host = (parts.hostname or "").rstrip(".")
    return host, parts.port or DEFAULT_PORTS.get(parts.scheme, 0)


def registry_urls(outlet: Outlet) -> list[str]:
    """The URLs the registry names for an outlet: its home page and its discovery documents."""
    discovery = outlet.discovery
    return [
        outlet.home,
        *discovery.feeds,
        *discovery.sitemaps,
        *(listing.url for listing in discovery.listings),
        *(api.url for api in discovery.json_apis),
    ]


def outlet_hosts(outlet: Outlet) -> AllowedHosts:
    """The outlet's hosts: its domains, on the ports its registry URLs name for them.

    The registry's discovery URLs on other hosts are not among them: the spider allows each for
    its own request (EXPLICIT_HOSTS_META), not for whatever a document lists.
    """
    templates = [api.link_template for api in outlet.discovery.json_apis if api.link_template]
    ports = set()
    for url in [*registry_urls(outlet), *templates]:
        parts = urlsplit(url)
        if parts.port and outlet.owns_host(parts.hostname or ""):
            ports.add(parts.port)
    return AllowedHosts(f"outlet {outlet.slug}", tuple(outlet.domains), frozenset(ports))


def platform_hosts(platform: PostPlatform) -> AllowedHosts:
    """A post platform's hosts: its registry `domains` (API hosts and short-link hosts), on the
    schemes' default ports. A post request and each of its redirects may reach these only."""
    return AllowedHosts(f"platform {platform.slug}", tuple(platform.domains))


def explicit_hosts(urls: Iterable[str]) -> tuple[HostPort, ...]:
    """The host and port of each URL, as EXPLICIT_HOSTS_META holds them."""
    return tuple(host_port(urlsplit(url)) for url in urls)


def url_problem(url: str, allowed: AllowedHosts, max_length: int) -> str | None:
    """Why the policy refuses to fetch `url` for `allowed`'s owner, before any address is known."""
    if len(url) > max_length:
        return f"URL of {len(url):,} characters, longer than {max_length:,} (URLLENGTH_LIMIT)"
    try:
        parts = urlsplit(url)
        host, port = host_port(parts)
    except ValueError as error:
        return f"not a valid URL ({error})"
    if parts.scheme not in FETCHED_SCHEMES:
        return f"{parts.scheme or 'scheme-less'}:// not allowed"
    if not host:
        return "URL names no host"
    if parts.username is not None or parts.password is not None:
        return "credentials in the URL (user name or password)"
    if (host, port) in allowed.explicit:
        return None
    owned = any(host == domain or host.endswith("." + domain) for domain in allowed.domains)
    if not owned:
        return f"host {host} is not {allowed.owner}'s"
    if port != DEFAULT_PORTS[parts.scheme] and port not in allowed.ports:
        return f"port {port} of {host} is not {allowed.owner}'s"
    return None


def literal_address(host: str) -> Address | None:
    """The IP address a URL's host is written as, or None for a name."""
    try:
        return ip_address(host.strip("[]"))
    except ValueError:
        return None


def address_problem(address: Address, *, allow_loopback: bool) -> str | None:
    """Why a connection to `address` is refused: the kind of non-public address it is, else None."""
    embedded = embedded_ipv4(address) if isinstance(address, IPv6Address) else None
    if embedded is not None:
        kind = address_kind(embedded)
        return f"{address} embeds {embedded}, {kind}" if kind else None
    loopback = address == IPV6_LOOPBACK or (isinstance(address, IPv4Address) and address.is_loopback)
    if loopback:
        return None if allow_loopback else f"{address} is a loopback address (NETWORK_ALLOW_LOOPBACK is off)"
    kind = address_kind(address)
    return f"{address} is {kind}" if kind else None


def address_kind(address: Address) -> str | None:
    """What kind of non-public address this is ("a private address"), None for a public one."""
    if address.is_loopback:
        kind = "a loopback address"
    elif address.is_unspecified:
        kind = "the unspecified address"
    elif address.is_link_local:
        kind = "a link-local address"
    elif isinstance(address, IPv4Address) and address in SHARED_ADDRESS_SPACE:
        kind = "a shared (CGNAT) address"
    elif address.is_multicast:
        kind = "a multicast address"
    elif address.is_reserved:
        kind = "a reserved address"
    elif address.is_private or (isinstance(address, IPv6Address) and address.is_site_local):
        kind = "a private address"
    elif not address.is_global:
        kind = "not a public address"
    else:
        return None
    return kind


def embedded_ipv4(address: IPv6Address) -> IPv4Address | None:
    """The IPv4 address an IPv6 one carries (IPv4-mapped, 6to4, Teredo client, NAT64), if any."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    if any(address in prefix for prefix in NAT64_PREFIXES):
        return IPv4Address(int(address) & 0xFFFFFFFF)
    return None
