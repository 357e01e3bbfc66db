"""Crawl throughput and memory: sourcevault's whole crawl against a bare Scrapy spider, same run.

Serves synthetic article pages (about 20 KB each, tests/loopback.py) from 127.0.0.1 behind a
sitemap index of 1,000-URL sitemaps, and crawls them with politeness off (no delay, no
AutoThrottle, 16 requests at a time per site, 32 in all), at two sizes, each size twice:

- sourcevault: `sourcevault crawl` — registry spider, fetch queue, extraction, SQLite archive;
- bare Scrapy: a SitemapSpider that fetches the same pages and does nothing with them.

Each crawl is a process of its own: its wall time and its peak RSS (os.wait4) are printed,
with the ratios. Peak memory at both sizes shows whether it stays flat as pages grow. The site
runs in a process of its own too, and this one imports neither Scrapy nor the pages: Linux
counts a child's resident memory from before its exec into its peak, so the parent stays small.

    python -m bench.crawl [--pages 1000 6000]
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from tests.loopback import (
    ALLOW_LOOPBACK,
    PARAGRAPHS,
    LoopbackSite,
    article_html,
    outlet_toml,
    sitemap_index,
    urlset,
)

ROOT = Path(__file__).resolve().parent.parent
SOURCEVAULT = Path(sys.executable).parent / "sourcevault"
SITEMAP_SIZE = 1000
# Both crawlers get these; CONCURRENT_ITEMS as crawler/settings.py sets it, so the bare spider
# does not pay for the 100 item workers Scrapy would start per response by default.
POLITENESS_OFF = {
    "CONCURRENT_ITEMS": "1",
    "CONCURRENT_REQUESTS": "32",
    "CONCURRENT_REQUESTS_PER_DOMAIN": "16",
    "DOWNLOAD_DELAY": "0",
    "AUTOTHROTTLE_ENABLED": "False",
}
# A news page carries far more navigation than text: 150 links around ten paragraphs.
NAVIGATION = "".join(f"<li><a href='/bench/section/{n}'>分類頻道 {n}</a></li>" for n in range(150))


@dataclass(frozen=True)
class Measure:
    seconds: float
    peak_rss_mib: float
    pages: int

    @property
    def pages_per_second(self) -> float:
        return self.pages / self.seconds


def run_bare(index_url: str) -> None:
    """In a child process: crawl with a bare SitemapSpider, print the pages it fetched as JSON."""
    from scrapy.crawler import CrawlerProcess  # noqa: PLC0415
    from scrapy.spiders import SitemapSpider  # noqa: PLC0415

    class BareSpider(SitemapSpider):
        """Fetches every page the sitemaps list, and does nothing with it."""

        name = "bare"

        def parse(self, response: object) -> None:
            """Nothing: the reference only downloads."""

    process = CrawlerProcess(
        {**POLITENESS_OFF, "LOG_LEVEL": "WARNING", "TELNETCONSOLE_ENABLED": False, "ROBOTSTXT_OBEY": True}
    )
    crawler = process.create_crawler(BareSpider)
    process.crawl(crawler, sitemap_urls=[index_url])
    process.start()
    assert crawler.stats is not None
    print(json.dumps({"pages": crawler.stats.get_value("response_received_count", 0)}))


def run_site(pages: int) -> None:
    """In a child process: serve `pages` articles, print the site's addresses, stop at end of input."""
    site = LoopbackSite()
    with site.running():
        print(json.dumps({"base_url": site.base_url, "index_url": serve(site, pages)}), flush=True)
        sys.stdin.read()


def measured(command: list[str]) -> tuple[float, float, str]:
    """Run a command; its wall time in seconds, its own peak RSS in MiB, its standard output."""
    with tempfile.TemporaryFile("w+") as output:
        started = time.perf_counter()
        child = subprocess.Popen(command, cwd=ROOT, stdout=output, stderr=subprocess.PIPE, text=True)
        _, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - started
        assert child.stderr is not None
        errors = child.stderr.read()
        if status != 0:
            raise SystemExit(f"{command[0]} failed ({status}): {errors[-2000:]}")
        output.seek(0)
        return seconds, usage.ru_maxrss / 1024, output.read()


def serve(site: LoopbackSite, pages: int) -> str:
    """Put `pages` articles on the site under a sitemap index; return the index's URL."""
    paths = [f"/bench/a/{n}" for n in range(1, pages + 1)]
    for path in paths:
        body = article_html(f"第{path.rsplit('/', 1)[1]}則新聞", PARAGRAPHS * 4)
        site.add(path, body.replace(b"<body>", f"<body><nav><ul>{NAVIGATION}</ul></nav>".encode()))
    sitemaps = []
    for start in range(0, pages, SITEMAP_SIZE):
        sitemap = f"/bench/sitemap-{start // SITEMAP_SIZE}.xml"
        site.add(sitemap, urlset(site.base_url + path for path in paths[start : start + SITEMAP_SIZE]))
        sitemaps.append(site.base_url + sitemap)
    site.add("/bench/sitemap.xml", sitemap_index(sitemaps), content_type="application/xml")
    site.add("/robots.txt", "User-agent: *\nAllow: /\n", content_type="text/plain")
    return f"{site.base_url}/bench/sitemap.xml"


def measure_sourcevault(base_url: str, folder: Path, pages: int) -> Measure:
    registry = folder / f"outlets-{pages}.toml"
    registry.write_text(outlet_toml("bench", base_url, sitemaps=["/bench/sitemap.xml"], concurrency=16))
    database = folder / f"archive-{pages}.db"
    overrides = [argument for name, value in POLITENESS_OFF.items() for argument in ("-s", f"{name}={value}")]
    arguments = ["--registry", str(registry), "--db", str(database), *ALLOW_LOOPBACK, *overrides]
    command = [str(SOURCEVAULT), "crawl", *arguments]
    seconds, peak, _ = measured(command)
    archived = sqlite3.connect(database).execute("SELECT count(*) FROM articles").fetchone()[0]
    return Measure(seconds, peak, archived)


def measure_bare(index_url: str) -> Measure:
    seconds, peak, output = measured([sys.executable, "-m", "bench.crawl", "--bare", index_url])
    return Measure(seconds, peak, json.loads(output.strip().splitlines()[-1])["pages"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, nargs=2, default=[1000, 6000], metavar=("SMALL", "LARGE"))
    parser.add_argument("--bare", metavar="SITEMAP_URL", help=argparse.SUPPRESS)
    parser.add_argument("--serve", type=int, metavar="PAGES", help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.bare:
        run_bare(arguments.bare)
        return
    if arguments.serve:
        run_site(arguments.serve)
        return

    results: dict[int, tuple[Measure, Measure]] = {}
    with tempfile.TemporaryDirectory() as folder:
        for pages in arguments.pages:
            command = [sys.executable, "-m", "bench.crawl", "--serve", str(pages)]
            with subprocess.Popen(
                command, cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
            ) as site:
                assert site.stdout is not None and site.stdin is not None
                addresses = json.loads(site.stdout.readline())
                ours = measure_sourcevault(addresses["base_url"], Path(folder), pages)
                results[pages] = (ours, measure_bare(addresses["index_url"]))
                site.stdin.close()

    print("loopback crawl, politeness off; wall time and peak RSS of each crawl process")
    print(f"{'pages':>6}  {'crawler':<12}{'fetched':>9}{'seconds':>9}{'pages/s':>9}{'peak MiB':>10}")
    for pages, (ours, bare) in results.items():
        for name, measure in (("sourcevault", ours), ("bare Scrapy", bare)):
            print(
                f"{pages:>6}  {name:<12}{measure.pages:>9}{measure.seconds:>9.1f}"
                f"{measure.pages_per_second:>9.0f}{measure.peak_rss_mib:>10.1f}"
            )
        throughput = ours.pages_per_second / bare.pages_per_second
        memory = ours.peak_rss_mib / bare.peak_rss_mib
        print(f"{'':>6}  ratio sourcevault / bare: throughput {throughput:.2f}x, peak memory {memory:.2f}x")
    (small, (ours_small, bare_small)), (large, (ours_large, bare_large)) = results.items()
    ours_growth = ours_large.peak_rss_mib - ours_small.peak_rss_mib
    bare_growth = bare_large.peak_rss_mib - bare_small.peak_rss_mib
    print(
        f"peak memory from {small} to {large} pages: sourcevault {ours_growth:+.1f} MiB, "
        f"bare Scrapy {bare_growth:+.1f} MiB"
    )


if __name__ == "__main__":
    main()
