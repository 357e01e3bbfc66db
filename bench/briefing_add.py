"""Cost of `briefing add`: citations archived per second, and parse cost per 1,000 citations.

A synthetic briefing of 200 citations (every tenth a short link answering with two redirects)
over synthetic article pages on 127.0.0.1 (tests/loopback.py), fetched with politeness off (no
delay, no AutoThrottle, 16 requests at a time), the Wayback Machine off. Against a reference
run, side by side:

- sourcevault: `sourcevault briefing add` — parse, store, fetch every hop through the crawl's
  Scrapy engine and pipelines, extract, archive, resolve each citation;
- bare Scrapy: a plain Spider fetching the same 200 URLs (redirects followed) and doing
  nothing with them.

Each is a process of its own, timed whole (start-up included) on a fresh archive, `--rounds`
times in turn; medians. The parse alone: `parse_briefing` over the same briefing repeated to
over 1,000 citations, against reading its text and finding its URLs with one regular expression.

    python -m bench.briefing_add [--citations 200] [--rounds 3]
"""

from __future__ import annotations

import argparse
import json
import re
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.crawl import NAVIGATION, POLITENESS_OFF, ROOT, SOURCEVAULT, measured
from tests.loopback import PARAGRAPHS, LoopbackSite, article_html, outlet_toml

SHORT_LINK_EVERY = 10
URL = re.compile(r"https?://\S+")


def briefing_text(base_url: str, citations: int) -> str:
    """A synthetic briefing: one item per five citations, numbered sources with their URLs."""
    lines = ["CHINA WATCH - SYNTHETIC BENCHMARK BRIEFING", ""]
    for position in range(1, citations + 1):
        if position % 5 == 1:
            lines += [
                "",
                f"Synthetic Item Number {position // 5 + 1}",
                "",
                "A summary of a report.",
                "",
                "Sources:",
            ]
        path = f"/s/{position}" if position % SHORT_LINK_EVERY == 0 else f"/bench/a/{position}"
        lines += [f"{(position - 1) % 5 + 1}. Loopback bench, November 1, 2026", f"{base_url}{path}"]
    return "\n".join(lines) + "\n"


def cited_urls(base_url: str, citations: int) -> list[str]:
    return [
        f"{base_url}/s/{n}" if n % SHORT_LINK_EVERY == 0 else f"{base_url}/bench/a/{n}"
        for n in range(1, citations + 1)
    ]


def run_site(citations: int) -> None:
    """In a child process: serve the cited pages, print the site's address, stop at end of input."""
    site = LoopbackSite()
    with site.running():
        base = site.base_url
        for number in range(1, citations + 1):
            body = article_html(f"第{number}則新聞", PARAGRAPHS * 4)
            site.add(
                f"/bench/a/{number}",
                body.replace(b"<body>", f"<body><nav><ul>{NAVIGATION}</ul></nav>".encode()),
            )
            if number % SHORT_LINK_EVERY == 0:
                site.redirect(f"/s/{number}", f"{base}/t/{number}", 301)
                site.redirect(f"/t/{number}", f"{base}/bench/a/{number}", 302)
        site.add("/robots.txt", "User-agent: *\nAllow: /\n", content_type="text/plain")
        print(json.dumps({"base_url": base}), flush=True)
        sys.stdin.read()


def run_bare(urls_file: str) -> None:
    """In a child process: fetch the URLs with a plain Spider, print how many answered as JSON."""
    import scrapy  # noqa: PLC0415
    from scrapy.crawler import CrawlerProcess  # noqa: PLC0415

    class BareSpider(scrapy.Spider):
        """Fetches every URL given, and does nothing with the answer."""

        name = "bare"

        def parse(self, response: object) -> None:
            """Nothing: the reference only downloads."""

    urls = Path(urls_file).read_text().split()
    process = CrawlerProcess(
        {**POLITENESS_OFF, "LOG_LEVEL": "WARNING", "TELNETCONSOLE_ENABLED": False, "ROBOTSTXT_OBEY": True}
    )
    crawler = process.create_crawler(BareSpider)
    process.crawl(crawler, start_urls=urls)
    process.start()
    assert crawler.stats is not None
    print(json.dumps({"pages": crawler.stats.get_value("response_received_count", 0)}))


def measure_add(folder: Path, base_url: str, briefing: Path, round_number: int) -> tuple[float, int]:
    registry = folder / "outlets.toml"
    registry.write_text(outlet_toml("bench", base_url, feeds=["/bench/feed.xml"], concurrency=16))
    database = folder / f"archive-{round_number}.db"
    settings = {**POLITENESS_OFF, "NETWORK_ALLOW_LOOPBACK": "True", "WAYBACK_ENABLED": "False"}
    overrides = [argument for name, value in settings.items() for argument in ("-s", f"{name}={value}")]
    command = [str(SOURCEVAULT), "briefing", "add", str(briefing), "--registry", str(registry)]
    seconds, _, _ = measured([*command, "--db", str(database), *overrides])
    archived = (
        sqlite3.connect(database)
        .execute("SELECT count(*) FROM citations WHERE status = 'archived'")
        .fetchone()[0]
    )
    return seconds, archived


def parse_cost(briefing_bytes: bytes, rounds: int) -> tuple[int, float, float]:
    """Citations, and medians in ms per 1,000 citations: parse_briefing, and read + scan."""
    from crawler.briefings import LinkKinds, parse_briefing  # noqa: PLC0415
    from crawler.registry import load_registry  # noqa: PLC0415

    registry, kinds = load_registry(), LinkKinds()
    count = len(parse_briefing(briefing_bytes, "briefing.txt", registry=registry, link_kinds=kinds).citations)
    mine, reference = [], []
    for _ in range(rounds):
        started = time.perf_counter()
        parse_briefing(briefing_bytes, "briefing.txt", registry=registry, link_kinds=kinds)
        mine.append(time.perf_counter() - started)
        started = time.perf_counter()
        URL.findall(briefing_bytes.decode())
        reference.append(time.perf_counter() - started)
    per_thousand = 1000 * 1000 / count
    return count, statistics.median(mine) * per_thousand, statistics.median(reference) * per_thousand


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--citations", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--bare", metavar="URLS_FILE", help=argparse.SUPPRESS)
    parser.add_argument("--serve", type=int, metavar="CITATIONS", help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.bare:
        run_bare(arguments.bare)
        return
    if arguments.serve:
        run_site(arguments.serve)
        return

    citations = arguments.citations
    ours, bare = [], []
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        command = [sys.executable, "-m", "bench.briefing_add", "--serve", str(citations)]
        with subprocess.Popen(
            command, cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        ) as site:
            assert site.stdout is not None and site.stdin is not None
            base_url = json.loads(site.stdout.readline())["base_url"]
            briefing = folder / "briefing.txt"
            briefing.write_text(briefing_text(base_url, citations), encoding="utf-8")
            urls = folder / "urls.txt"
            urls.write_text("\n".join(cited_urls(base_url, citations)))
            for round_number in range(arguments.rounds):
                seconds, archived = measure_add(folder, base_url, briefing, round_number)
                assert archived == citations, f"{archived} of {citations} citations archived"
                ours.append(seconds)
                seconds, _, output = measured(
                    [sys.executable, "-m", "bench.briefing_add", "--bare", str(urls)]
                )
                assert json.loads(output.strip().splitlines()[-1])["pages"] >= citations
                bare.append(seconds)
            site.stdin.close()
        big = briefing_text("http://127.0.0.1:8000", max(citations, 1000 + SHORT_LINK_EVERY)).encode()
    ours_s, bare_s = statistics.median(ours), statistics.median(bare)
    print(
        f"briefing add, {citations} citations over loopback (1 in {SHORT_LINK_EVERY} a two-hop short link),"
    )
    print(f"politeness off, {arguments.rounds} rounds, medians of whole processes (start-up included)")
    print(f"{'run':<14}{'seconds':>9}{'citations/s':>13}")
    print(f"{'sourcevault':<14}{ours_s:>9.1f}{citations / ours_s:>13.1f}")
    print(f"{'bare Scrapy':<14}{bare_s:>9.1f}{citations / bare_s:>13.1f}")
    print(f"ratio sourcevault / bare: throughput {bare_s / ours_s:.2f}x")
    count, parse_ms, reference_ms = parse_cost(big, 7)
    print(f"parse alone, {count} citations, median of 7: {parse_ms:.1f} ms per 1,000 citations")
    print(
        f"reference (read the text, find its URLs): {reference_ms:.2f} ms per 1,000;"
        f" ratio {parse_ms / reference_ms:.0f}x"
    )


if __name__ == "__main__":
    main()
