"""A crawl against a fault-injecting loopback server: every page archived once or failed with why.

The server (tests/loopback.py) answers with 5xx, 429 with Retry-After, connection resets,
truncated bodies, slow drips, redirect loops, 403 and a challenge page served with 200; other
outlets have broken discovery (unreachable host, a feed that is not XML, a sitemap index
listing itself, a list API answering HTML). The crawls are real `sourcevault crawl` processes.

Timeouts get a crawl of their own, beside the other: the server holds those requests until the
test ends, so the client's timeout fires whatever the load, and only that crawl has a short one
(a short timeout would also cut off ordinary pages of a crawl stalled by a busy machine).
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
from datetime import UTC, datetime
from itertools import pairwise

import pytest

from crawler.block_pages import challenge_page
from crawler.middlewares.retry import retry_after_seconds
from tests.helpers import SOURCEVAULT, invoke, run_sourcevault
from tests.loopback import (
    CLOUDFLARE_CHALLENGE,
    FAST_CRAWL,
    LoopbackSite,
    outlet_toml,
    refused_port,
    sitemap_index,
)

# path -> (what the server does, the capture outcome and reason expected after the crawl)
FAULTS = {
    "/faulty/a/1": ("plain", "article", None),
    "/faulty/a/2": ("503 twice, then the page", "article", None),
    "/faulty/a/3": ("503 always", "failed", "HTTP 503"),
    "/faulty/a/4": ("429 with Retry-After: 1, once", "article", None),
    "/stalled/a/1": ("no answer within the timeout, once", "article", None),
    "/stalled/a/2": ("no answer within the timeout, always", "failed", "DownloadTimeoutError"),
    "/faulty/a/7": ("connection reset, once", "article", None),
    "/faulty/a/8": ("connection reset, always", "failed", "DownloadFailedError"),
    "/faulty/a/9": ("truncated body, once", "article", None),
    "/faulty/a/10": ("truncated body, always", "failed", "ResponseDataLossError"),
    "/faulty/a/11": ("body dripped over 0.5 s", "article", None),
    "/faulty/a/12": ("redirect loop", "failed", "max redirections reached"),
    "/faulty/a/13": ("403", "failed", "HTTP 403"),
    "/faulty/a/14": (
        "Cloudflare challenge served with 200",
        "failed",
        "blocked by Cloudflare challenge page",
    ),
    "/faulty/a/15": ("429 asking to come back in an hour", "failed", "HTTP 429"),
}


# The stalled crawl's timeout: each held request costs this long, four times for the one never answered.
STALLED_TIMEOUT = "2"


@pytest.fixture(scope="module")
def faulty_site(tmp_path_factory):
    folder = tmp_path_factory.mktemp("faults")
    site = LoopbackSite()
    with site.running(), refused_port() as unreachable_port:
        for path in FAULTS:
            site.add_article(path, f"新聞 {path}")
        site.fault("/faulty/a/2", "status", times=2, status=503)
        site.fault("/faulty/a/3", "status", status=503)
        site.fault("/faulty/a/4", "status", times=1, status=429, headers=[("Retry-After", "1")])
        site.fault("/stalled/a/1", "hold", times=1)
        site.fault("/stalled/a/2", "hold")
        site.fault("/faulty/a/7", "reset", times=1)
        site.fault("/faulty/a/8", "reset")
        site.fault("/faulty/a/9", "truncate", times=1)
        site.fault("/faulty/a/10", "truncate")
        site.fault("/faulty/a/11", "slow", seconds=0.5)
        site.redirect("/faulty/a/12", "/faulty/a/12?again")
        site.redirect("/faulty/a/12?again", "/faulty/a/12")
        site.add("/faulty/a/13", "<html><title>Forbidden</title></html>", status=403)
        site.add("/faulty/a/14", CLOUDFLARE_CHALLENGE)
        site.fault("/faulty/a/15", "status", status=429, headers=[("Retry-After", "3600")])
        site.add_feed("/faulty/feed.xml", [path for path in FAULTS if path.startswith("/faulty/")])
        site.add_feed("/stalled/feed.xml", [path for path in FAULTS if path.startswith("/stalled/")])
        site.add("/notxml/feed.xml", "<html><body>this is { not xml</body></html>")
        site.add(
            "/selfindex/sitemap.xml",
            sitemap_index([f"{site.base_url}/selfindex/sitemap.xml"]),
            content_type="application/xml",
        )
        site.add("/htmlapi/list", "<html><body>Service Unavailable</body></html>")
        unreachable = f"http://127.0.0.1:{unreachable_port}"
        registry = folder / "outlets.toml"
        registry.write_text(
            outlet_toml("faulty", site.base_url, feeds=["/faulty/feed.xml"], concurrency=8)
            + outlet_toml("unreachable", unreachable, feeds=["/unreachable/feed.xml"])
            + outlet_toml("notxml", site.base_url, feeds=["/notxml/feed.xml"])
            + outlet_toml("selfindex", site.base_url, sitemaps=["/selfindex/sitemap.xml"])
            + outlet_toml("htmlapi", site.base_url, json_apis=["/htmlapi/list"])
            + outlet_toml("stalled", site.base_url, feeds=["/stalled/feed.xml"], concurrency=2),
            encoding="utf-8",
        )
        database, stalled_database = folder / "archive.db", folder / "stalled.db"
        command = [str(SOURCEVAULT), "crawl", "--registry", str(registry), *FAST_CRAWL]
        stalled = subprocess.Popen(
            [*command, "stalled", "--db", str(stalled_database), "-s", f"DOWNLOAD_TIMEOUT={STALLED_TIMEOUT}"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        outlets = ("faulty", "unreachable", "notxml", "selfindex", "htmlapi")
        result = run_sourcevault(
            "crawl", *outlets, "--registry", str(registry), "--db", str(database), *FAST_CRAWL
        )
        _, stalled_errors = stalled.communicate(timeout=300)
        assert result.returncode == 0, result.stderr
        assert stalled.returncode == 0, stalled_errors
        yield site, sqlite3.connect(database), database, sqlite3.connect(stalled_database)


@pytest.mark.slow
def test_every_page_is_archived_once_or_recorded_as_failed_with_its_reason(faulty_site):
    site, faulty, _, stalled = faulty_site
    for path, (fault, outcome, reason) in FAULTS.items():
        connection = stalled if path.startswith("/stalled/") else faulty
        captures = connection.execute(
            "SELECT outcome, outcome_reason FROM captures WHERE url = ?", [site.base_url + path]
        ).fetchall()
        assert len(captures) == 1, f"{path} ({fault}): {captures}"
        got_outcome, got_reason = captures[0]
        assert got_outcome == outcome, f"{path} ({fault}): {got_reason}"
        if reason is None:
            assert got_reason is None
        else:
            assert got_reason.startswith(reason), f"{path} ({fault}): {got_reason}"
    articles = faulty.execute("SELECT count(*), count(DISTINCT url) FROM articles").fetchone()
    assert articles == (6, 6)
    assert stalled.execute("SELECT count(*) FROM articles").fetchone() == (1,)
    # The page held once was asked again (a starved crawl may time out on that answer too, and ask
    # once more); the one never answered, once and three retries more.
    assert len(site.hits("/stalled/a/1")) >= 2 and len(site.hits("/stalled/a/2")) == 4


@pytest.mark.slow
def test_retries_back_off_and_honour_retry_after(faulty_site):
    site, *_ = faulty_site

    def gaps(path: str) -> list[float]:
        times = [hit.at for hit in site.hits(path)]
        return [later - earlier for earlier, later in pairwise(times)]

    # RETRY_BACKOFF_BASE=0.1: 0.1 s, then 0.2 s, then 0.4 s; three retries and no more. A retry is
    # sent only after the answer that it follows, so a loaded machine can only make a gap longer.
    backoff = gaps("/faulty/a/3")
    assert len(backoff) == 3
    assert [gap >= wait for gap, wait in zip(backoff, (0.1, 0.2, 0.4), strict=True)] == [True] * 3
    assert gaps("/faulty/a/4")[0] >= 1.0
    # An hour's Retry-After is not waited for in this run (the page stays queued for the next).
    assert len(site.hits("/faulty/a/15")) == 1


@pytest.mark.slow
def test_broken_outlets_are_recorded_with_their_reason_and_the_others_go_on(faulty_site):
    _, connection, database, _ = faulty_site
    failures = {
        outlet: json.loads(recorded)
        for outlet, recorded in connection.execute("SELECT outlet, failures FROM crawl_run_outlets")
    }
    assert list(failures["unreachable"]) == ["feed: DownloadConnectionRefusedError"]
    assert list(failures["notxml"]) == ["feed: not a feed"]
    assert list(failures["selfindex"]) == ["sitemap: sitemap index lists itself"]
    assert list(failures["htmlapi"]) == ["list_api: not JSON"]
    assert failures["faulty"]["article: HTTP 503"] == 1
    new = connection.execute("SELECT new FROM crawl_run_outlets WHERE outlet = 'faulty'").fetchone()[0]
    assert new == 6

    report = invoke("report", "--db", str(database))
    assert report.exit_code == 3, report.stdout
    alerts = [line for line in report.stdout.splitlines() if line.startswith("ALERT")]
    assert sorted(alert.split(":")[0] for alert in alerts) == [
        "ALERT faulty",
        "ALERT htmlapi",
        "ALERT notxml",
        "ALERT selfindex",
        "ALERT unreachable",
    ]
    blocked = next(alert for alert in alerts if alert.startswith("ALERT faulty"))
    assert "HTTP 403 ×1" in blocked and "blocked by Cloudflare challenge page ×1" in blocked
    assert "HTTP 429 ×1" in blocked


def test_retry_after_reads_seconds_and_http_dates():
    now = datetime(2026, 11, 2, 2, 30, tzinfo=UTC)
    assert retry_after_seconds(b"120") == 120.0
    assert retry_after_seconds(b"Mon, 02 Nov 2026 02:31:00 GMT", now) == 60.0
    assert retry_after_seconds(b"soon") is None
    assert retry_after_seconds(None) is None


def test_challenge_pages_are_told_from_articles():
    assert challenge_page(CLOUDFLARE_CHALLENGE.encode()) == "Cloudflare challenge page"
    # A real article carrying a captcha script for its comment box is far larger than an interstitial.
    article = (
        b"<html><body>" + "新聞內文".encode() * 20_000 + b"<script src='https://static.geetest.com/x.js'>"
    )
    assert challenge_page(article) is None
