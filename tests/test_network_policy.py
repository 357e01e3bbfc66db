"""The network policy: what a hostile outlet, document or redirect can make a crawl fetch (nothing).

Crawls are real `sourcevault crawl` processes against synthetic sites on 127.0.0.1
(tests/loopback.py). "Another host" is `localhost` (a name resolving to loopback that no test
outlet owns), a second site on another port, or an address no outlet may reach: whatever the
policy refuses must be recorded as a `blocked` capture with its reason, and never requested.
"""

from __future__ import annotations

import json
import sqlite3
from ipaddress import ip_address
from pathlib import Path

import pytest
from scrapy import Request
from scrapy.utils.test import get_crawler

from crawler.middlewares.network_policy import NetworkPolicyMiddleware
from crawler.network_policy import (
    EXPLICIT_HOSTS_META,
    AllowedHosts,
    address_problem,
    explicit_hosts,
    outlet_hosts,
    url_problem,
)
from tests.helpers import run_sourcevault
from tests.loopback import ALLOW_LOOPBACK, FAST_CRAWL, LoopbackSite, outlet_toml, rss, sitemap_index, urlset

# --- the policy's functions -------------------------------------------------------------------------

PUBLIC = ("93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946")


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("127.0.0.1", "127.0.0.1 is a loopback address (NETWORK_ALLOW_LOOPBACK is off)"),
        ("127.8.9.10", "127.8.9.10 is a loopback address (NETWORK_ALLOW_LOOPBACK is off)"),
        ("::1", "::1 is a loopback address (NETWORK_ALLOW_LOOPBACK is off)"),
        ("10.0.0.5", "10.0.0.5 is a private address"),
        ("172.16.3.4", "172.16.3.4 is a private address"),
        ("192.168.1.1", "192.168.1.1 is a private address"),
        ("fd00::1", "fd00::1 is a private address"),
        ("fec0::1", "fec0::1 is a private address"),
        ("169.254.169.254", "169.254.169.254 is a link-local address"),
        ("fe80::1", "fe80::1 is a link-local address"),
        ("100.64.0.1", "100.64.0.1 is a shared (CGNAT) address"),
        ("224.0.0.1", "224.0.0.1 is a multicast address"),
        ("ff02::1", "ff02::1 is a multicast address"),
        ("240.0.0.1", "240.0.0.1 is a reserved address"),
        ("0.0.0.0", "0.0.0.0 is the unspecified address"),
        ("::", ":: is the unspecified address"),
        ("192.0.2.1", "192.0.2.1 is a private address"),
        ("::ffff:10.0.0.5", "::ffff:a00:5 embeds 10.0.0.5, a private address"),
        ("::ffff:127.0.0.1", "::ffff:7f00:1 embeds 127.0.0.1, a loopback address"),
        ("2002:a00:5::1", "2002:a00:5::1 embeds 10.0.0.5, a private address"),
        ("64:ff9b::a9fe:a9fe", "64:ff9b::a9fe:a9fe embeds 169.254.169.254, a link-local address"),
        ("64:ff9b::7f00:1", "64:ff9b::7f00:1 embeds 127.0.0.1, a loopback address"),
    ],
)
def test_non_public_addresses_are_refused_with_their_kind(address, reason):
    assert address_problem(ip_address(address), allow_loopback=False) == reason
    for public in PUBLIC:
        assert address_problem(ip_address(public), allow_loopback=False) is None


def test_allowing_loopback_allows_127_8_and_ipv6_loopback_and_nothing_else():
    for address in ("127.0.0.1", "127.255.0.9", "::1"):
        assert address_problem(ip_address(address), allow_loopback=True) is None
    for address in ("10.0.0.5", "0.0.0.0", "::ffff:127.0.0.1", "64:ff9b::7f00:1", "169.254.169.254"):
        assert address_problem(ip_address(address), allow_loopback=True) is not None


UDN = AllowedHosts("outlet udn", ("udn.com",), frozenset({8443}))


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("https://udn.com/news/story/1/2", None),
        ("http://vip.udn.com/x", None),
        ("https://udn.com:8443/x", None),
        ("file:///proc/self/environ", "file:// not allowed"),
        ("file:///etc/hostname", "file:// not allowed"),
        ("data:text/plain,secret", "data:// not allowed"),
        ("ftp://udn.com/x", "ftp:// not allowed"),
        ("gopher://udn.com/x", "gopher:// not allowed"),
        ("https://evil.example/admin", "host evil.example is not outlet udn's"),
        ("https://udn.com.evil.example/", "host udn.com.evil.example is not outlet udn's"),
        ("https://eviludn.com/", "host eviludn.com is not outlet udn's"),
        # A user name that looks like the outlet's host: refused as credentials before the host is read.
        ("https://udn.com@evil.example/", "credentials in the URL (user name or password)"),
        ("https://editor:secret@udn.com/x", "credentials in the URL (user name or password)"),
        ("http://udn.com:6379/", "port 6379 of udn.com is not outlet udn's"),
        ("https://udn.com:99999/", "not a valid URL (Port out of range 0-65535)"),
        ("http:///nohost", "URL names no host"),
        ("https://udn.com/" + "x" * 5000, "URL of 5,016 characters, longer than 4,096 (URLLENGTH_LIMIT)"),
    ],
)
def test_urls_are_checked_for_scheme_host_port_and_length(url, reason):
    assert url_problem(url, UDN, 4096) == reason


def test_a_host_the_user_named_is_allowed_exactly_for_that_request():
    feed_host = UDN.with_explicit([("feeds.feedburner.com", 443)])
    assert url_problem("https://feeds.feedburner.com/udn", feed_host, 4096) is None
    assert url_problem("http://feeds.feedburner.com/udn", feed_host, 4096) is not None
    assert url_problem("https://other.feedburner.com/udn", feed_host, 4096) is not None


def test_an_outlets_hosts_are_its_domains_on_the_ports_its_registry_urls_name(registry):
    for outlet in registry:
        allowed = outlet_hosts(outlet)
        assert allowed.domains == tuple(outlet.domains) and allowed.ports == frozenset()
    sina = outlet_hosts(registry.get("sina"))
    # Sina's feed is on feed.mix.sina.com.cn: its own domain; feedburner-like hosts are not.
    assert url_problem(registry.get("sina").discovery.feeds[0], sina, 4096) is None


def test_the_hosts_an_outlet_publishes_under_are_its_own_and_no_other_outlets(registry):
    listed = [(outlet, host) for outlet in registry for host in outlet.hosts]
    assert ("udn", "money.udn.com") in {(outlet.slug, host) for outlet, host in listed}
    for outlet, host in listed:
        for other in registry:
            problem = url_problem(f"https://{host}/a/1", outlet_hosts(other), 4096)
            assert (problem is None) == (other is outlet), (other.slug, host, problem)


def test_a_site_outlet_reaches_only_the_host_the_user_named():
    crawler = get_crawler(settings_dict={"URLLENGTH_LIMIT": 4096})
    middleware = NetworkPolicyMiddleware(crawler)
    given = "https://www.rfa.org/mandarin/yataibaodao/2024/01/02/a.html"
    request = Request(given, meta={"outlet": "site:rfa.org", EXPLICIT_HOSTS_META: explicit_hosts([given])})
    assert url_problem(given, middleware.allowed_hosts(request), 4096) is None
    # A redirect keeps the request's meta: another host, even of the same site, was not named.
    for hop in ("https://rfa.org/a.html", "https://evil.example/a.html", "http://www.rfa.org/a.html"):
        problem = url_problem(hop, middleware.allowed_hosts(request.replace(url=hop)), 4096)
        assert problem is not None and problem.endswith("is not site outlet site:rfa.org's"), problem
    unnamed = Request(given, meta={"outlet": "site:rfa.org"})
    assert url_problem(given, middleware.allowed_hosts(unnamed), 4096) == (
        "host www.rfa.org is not site outlet site:rfa.org's"
    )


# --- crawls ---------------------------------------------------------------------------------------


def captures(database: Path) -> dict[str, tuple[str, str | None, str | None]]:
    """url -> (outcome, reason, final URL) of every capture of the archive."""
    with sqlite3.connect(database) as db:
        rows = db.execute("SELECT url, outcome, outcome_reason, final_url FROM captures").fetchall()
    return {url: (outcome, reason, final_url) for url, outcome, reason, final_url in rows}


def outlet_on(slug: str, base_url: str, host: str, **sources: list[str]) -> str:
    """A loopback outlet entry whose domain (and URLs) are `host` instead of 127.0.0.1."""
    entry = outlet_toml(slug, base_url, **sources)  # type: ignore[arg-type]
    return entry.replace('domains = ["127.0.0.1"]', f'domains = ["{host.strip("[]")}"]')


@pytest.fixture(scope="module")
def hostile_crawl(tmp_path_factory):
    """One crawl of a hostile outlet (every trick below at once) and of outlets on forbidden hosts."""
    folder = tmp_path_factory.mktemp("hostile")
    site, other = LoopbackSite(), LoopbackSite()
    with site.running(), other.running():
        base, port = site.base_url, site.base_url.rsplit(":", 1)[1]
        elsewhere = f"http://localhost:{port}"
        long_url = f"{base}/loop/{'x' * 5000}"
        children = [
            "file:///proc/self/environ",
            "file:///etc/hostname",
            "file:///dev/zero",
            f"{elsewhere}/admin/secret",
            f"{other.base_url}/admin/secret",
            f"http://[::1]:{port}/admin/v6",
            f"http://0.0.0.0:{port}/admin/zero",
            "data:text/plain,hello",
            long_url,
            "http://[::1",
            f"{base}/loop/sitemap.xml",
        ]
        site.add("/loop/index.xml", sitemap_index(children), content_type="application/xml")
        site.add(
            "/loop/sitemap.xml",
            urlset(f"{base}/loop/a/{n}" for n in range(1, 7)),
            content_type="application/xml",
        )
        site.add_article("/loop/a/1", "市府舉行防災演習")
        # Feeds the registry names on another host (as CNA's on feedburner) are fetched, and
        # their redirects on that host followed; what they list must still be the outlet's.
        site.add(
            "/feeds/loop.xml",
            rss([f"{elsewhere}/loop/a/7", f"{base}/loop/a/1"]),
            content_type="application/rss+xml",
        )
        site.add("/feeds/loop2.xml", rss([]), content_type="application/rss+xml")
        site.redirect("/feeds/moved.xml", f"{elsewhere}/feeds/loop2.xml")
        feeds = json.dumps([f"{elsewhere}/feeds/{name}.xml" for name in ("loop", "moved", "away")])
        site.redirect("/feeds/away.xml", f"{other.base_url}/feeds/loop.xml")
        site.redirect("/loop/a/2", f"{elsewhere}/elsewhere/2")
        refresh = (
            f"<html><head><meta http-equiv='refresh' content='0;url={elsewhere}/elsewhere/3'></head></html>"
        )
        site.add("/loop/a/3", refresh)
        site.redirect("/loop/a/4", f"{other.base_url}/elsewhere/4")
        site.redirect("/loop/a/5", "file:///etc/hostname")
        site.redirect("/loop/a/6", "http://169.254.169.254/latest/meta-data/")
        for path in ("/elsewhere/2", "/elsewhere/3", "/admin/secret", "/admin/v6", "/admin/zero"):
            site.add_article(path, "不該抓取的頁面")
        other.add_article("/elsewhere/4", "不該抓取的頁面")
        registry = folder / "outlets.toml"
        registry.write_text(
            outlet_toml("loop", base, sitemaps=["/loop/index.xml"]).replace("feeds = []", f"feeds = {feeds}")
            + outlet_on("zero", f"http://0.0.0.0:{port}", "0.0.0.0", feeds=["/zero/feed.xml"])
            + outlet_on(
                "mapped", f"http://[::ffff:127.0.0.1]:{port}", "::ffff:127.0.0.1", feeds=["/m/feed.xml"]
            )
            + outlet_on("metadata", "http://169.254.169.254", "169.254.169.254", feeds=["/latest/feed.xml"])
            + outlet_on("intranet", "http://10.0.0.5", "10.0.0.5", feeds=["/feed.xml"]),
            encoding="utf-8",
        )
        database = folder / "archive.db"
        result = run_sourcevault("crawl", "--registry", str(registry), "--db", str(database), *FAST_CRAWL)
        report = run_sourcevault("report", "--db", str(database), "--json")
    return result, json.loads(report.stdout), captures(database), site, other, database


def test_nothing_off_policy_is_requested(hostile_crawl):
    result, _, _, site, other, _ = hostile_crawl
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    requested = {hit.path for hit in site.requests}
    feeds = {"/feeds/loop.xml", "/feeds/moved.xml", "/feeds/loop2.xml", "/feeds/away.xml"}
    documents = {"/loop/index.xml", "/loop/sitemap.xml", *feeds}
    assert requested == {"/robots.txt", *documents} | {f"/loop/a/{n}" for n in range(1, 7)}
    assert other.requests == []


def test_each_refusal_is_a_blocked_capture_with_its_reason(hostile_crawl):
    _, _, found, site, other, _ = hostile_crawl
    port = site.base_url.rsplit(":", 1)[1]
    blocked = {url: reason for url, (outcome, reason, _) in found.items() if outcome == "blocked"}
    assert blocked["file:///proc/self/environ"] == "blocked: file:// not allowed"
    assert blocked["file:///etc/hostname"] == "blocked: file:// not allowed"
    assert blocked["file:///dev/zero"] == "blocked: file:// not allowed"
    assert blocked["data:text/plain,hello"] == "blocked: data:// not allowed"
    assert blocked[f"http://localhost:{port}/admin/secret"] == "blocked: host localhost is not outlet loop's"
    other_port = other.base_url.rsplit(":", 1)[1]
    assert (
        blocked[f"{other.base_url}/admin/secret"]
        == f"blocked: port {other_port} of 127.0.0.1 is not outlet loop's"
    )
    assert blocked[f"http://[::1]:{port}/admin/v6"] == "blocked: host ::1 is not outlet loop's"
    assert blocked[f"http://0.0.0.0:{port}/admin/zero"] == "blocked: host 0.0.0.0 is not outlet loop's"
    (too_long,) = [url for url in blocked if len(url) > 5000]
    assert (
        blocked[too_long]
        == f"blocked: URL of {len(too_long):,} characters, longer than 4,096 (URLLENGTH_LIMIT)"
    )
    # Outlets whose own hosts are addresses no crawl may reach, loopback allowed or not.
    assert blocked[f"http://0.0.0.0:{port}/zero/feed.xml"] == "blocked: 0.0.0.0 is the unspecified address"
    assert blocked[f"http://[::ffff:127.0.0.1]:{port}/m/feed.xml"] == (
        "blocked: ::ffff:7f00:1 embeds 127.0.0.1, a loopback address"
    )
    assert (
        blocked["http://169.254.169.254/latest/feed.xml"]
        == "blocked: 169.254.169.254 is a link-local address"
    )
    assert blocked["http://10.0.0.5/feed.xml"] == "blocked: 10.0.0.5 is a private address"
    assert (
        blocked[f"http://localhost:{port}/feeds/away.xml"]
        == f"blocked: port {other_port} of 127.0.0.1 is not outlet loop's"
    )
    assert found[f"http://localhost:{port}/feeds/loop.xml"][0] == "discovery"
    assert found[f"http://localhost:{port}/feeds/moved.xml"][0] == "discovery"


def test_redirects_to_other_hosts_are_blocked_at_the_hop(hostile_crawl):
    _, _, found, site, other, _ = hostile_crawl
    base, port = site.base_url, site.base_url.rsplit(":", 1)[1]
    other_port = other.base_url.rsplit(":", 1)[1]
    assert found[f"{base}/loop/a/1"][0] == "article"
    # A 302 and a meta refresh: the capture keeps the article's URL, and the hop it refused.
    assert found[f"{base}/loop/a/2"] == (
        "blocked",
        "blocked: host localhost is not outlet loop's",
        f"http://localhost:{port}/elsewhere/2",
    )
    assert found[f"{base}/loop/a/3"] == (
        "blocked",
        "blocked: host localhost is not outlet loop's",
        f"http://localhost:{port}/elsewhere/3",
    )
    assert found[f"{base}/loop/a/4"][:2] == (
        "blocked",
        f"blocked: port {other_port} of 127.0.0.1 is not outlet loop's",
    )
    assert found[f"{base}/loop/a/6"][:2] == ("blocked", "blocked: host 169.254.169.254 is not outlet loop's")
    # Scrapy follows no redirect to another scheme: the 302 itself is what was answered.
    assert found[f"{base}/loop/a/5"][:2] == ("failed", "HTTP 302")


def test_nothing_read_from_local_files_is_archived(hostile_crawl):
    *_, database = hostile_crawl
    with sqlite3.connect(database) as db:
        file_bodies = db.execute(
            "SELECT count(*) FROM captures WHERE url LIKE 'file:%' AND body_sha256 IS NOT NULL"
        )
        assert file_bodies.fetchone() == (0,)
        largest = db.execute("SELECT max(size_bytes) FROM raw_bodies").fetchone()[0]
    assert largest < 100_000


def test_the_run_counts_and_reports_refusals_apart_from_blocking_outlets(hostile_crawl):
    result, report, *_ = hostile_crawl
    loop = report["outlets"]["loop"]
    # 9 sitemap-index children, 4 redirect hops, a configured feed's redirect to another host;
    # the unparseable "http://[::1" is no request.
    assert loop["off_policy"] == 14 and loop["blocked"] == 0
    assert loop["failures"]["sitemap: blocked: file:// not allowed"] == 3
    assert loop["failures"]["article: blocked: host localhost is not outlet loop's"] == 2
    for slug in ("zero", "mapped", "metadata", "intranet"):
        assert report["outlets"][slug]["off_policy"] == report["outlets"][slug]["discovery_failed"] == 1
    alerts = {(alert["kind"], alert["outlet"]): alert["message"] for alert in report["alerts"]}
    assert alerts[("off_policy", "loop")].startswith("off policy: 14 requests not sent (sitemap: blocked: ")
    assert ("discovery_broken", "metadata") in alerts
    assert "off policy" in result.stdout.splitlines()[0]


def test_by_default_a_crawl_reaches_no_loopback_address(tmp_path):
    site = LoopbackSite()
    with site.running():
        base, port = site.base_url, site.base_url.rsplit(":", 1)[1]
        site.add_feed("/loop/feed.xml", ["/loop/a/1"])
        site.add_article("/loop/a/1", "市府舉行防災演習")
        registry = tmp_path / "outlets.toml"
        registry.write_text(
            outlet_toml("loop", base, feeds=["/loop/feed.xml"])
            + outlet_on("named", f"http://localhost:{port}", "localhost", feeds=["/named/feed.xml"]),
            encoding="utf-8",
        )
        database = tmp_path / "archive.db"
        fast = FAST_CRAWL[len(ALLOW_LOOPBACK) :]
        assert "NETWORK_ALLOW_LOOPBACK=True" not in fast
        result = run_sourcevault("crawl", "--registry", str(registry), "--db", str(database), *fast)
        assert site.requests == []
    assert result.returncode == 4 and "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines() == [
        "Error: nothing could be fetched: every outlet's discovery failed"
        " (no network? their failures: `sourcevault report`)"
    ]
    found = captures(database)
    loopback = "blocked: 127.0.0.1 is a loopback address (NETWORK_ALLOW_LOOPBACK is off)"
    assert found[f"{base}/loop/feed.xml"][:2] == ("blocked", loopback)
    # A name is refused for the address it resolves to.
    assert found[f"http://localhost:{port}/named/feed.xml"][:2] == (
        "blocked",
        f"{loopback} (the address of localhost)",
    )
    report = run_sourcevault("report", "--db", str(database))
    assert f"ALERT loop: no discovery document worked (feed: {loopback} ×1)" in report.stdout


def test_the_resolver_refuses_what_the_middleware_would_have(tmp_path):
    # DNS rebinding: a name may resolve to a public address for the check and to a private one
    # for the connection. The connection resolves through the policy's resolver, which refuses
    # on its own: with the middleware switched off, nothing reaches the loopback site either.
    site = LoopbackSite()
    with site.running():
        site.add_feed("/loop/feed.xml", ["/loop/a/1"])
        registry = tmp_path / "outlets.toml"
        registry.write_text(outlet_toml("loop", site.base_url, feeds=["/loop/feed.xml"]), encoding="utf-8")
        database = tmp_path / "archive.db"
        without_middleware = json.dumps({"crawler.middlewares.network_policy.NetworkPolicyMiddleware": None})
        result = run_sourcevault(
            "crawl", "--registry", str(registry), "--db", str(database),
            "-s", f"DOWNLOADER_MIDDLEWARES={without_middleware}", "-s", "RETRY_BACKOFF_BASE=0.01",
        )  # fmt: skip
        assert site.requests == []
    assert result.returncode == 4, result.stderr
    outcome, reason, _ = captures(database)[f"{site.base_url}/loop/feed.xml"]
    assert outcome == "failed" and reason.endswith(
        "DNS lookup failed: no results for hostname lookup: 127.0.0.1."
    )


def test_a_crawl_refuses_to_start_without_the_policys_resolver(tmp_path):
    registry = tmp_path / "outlets.toml"
    registry.write_text(outlet_toml("loop", "http://127.0.0.1:9", feeds=["/loop/feed.xml"]), encoding="utf-8")
    result = run_sourcevault(
        "crawl", "--registry", str(registry), "--db", str(tmp_path / "archive.db"),
        "-s", "TWISTED_DNS_RESOLVER=scrapy.resolver.CachingThreadedResolver",
    )  # fmt: skip
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "the network policy needs crawler.middlewares.network_policy.PolicyResolver" in result.stderr
