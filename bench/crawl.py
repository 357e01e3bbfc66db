"""Crawl throughput, CPU and memory: sourcevault against a hand-written pipeline and bare Scrapy, same run.

The loopback site (bench/crawl_site.py: three outlets, news pages recombined from real paragraphs,
both scripts, about 5 % exact and 5 % near copies across outlets) runs in a process of its own,
and each crawler crawls it in a process of its own, politeness off (no delay, no AutoThrottle, at
most 32 requests at a time):

- bare Scrapy: a SitemapSpider fetching every article and doing nothing with it;
- hand-written: the pipeline a user would write by hand, a SitemapSpider whose parse() calls
  `trafilatura.bare_extraction` and inserts the page's URL, title, date and text into SQLite with
  sqlite-utils, one row per page;
- sourcevault: `sourcevault crawl` of the three outlets (fetch queue, raw originals, extraction,
  language and script, deduplication, search index);
- with `--reference DIR`, the same crawl by the sourcevault of another checkout (an older commit:
  `git worktree add /tmp/before REV`), run by this Python, so a change is measured against what
  came before it on the same pages in the same run.

For each crawl: pages fetched, wall seconds, pages/s, CPU ms per page (user + system of the crawl
and every process it started, orphans included, from os.wait4), peak RSS (the largest process,
os.wait4) and the peak of the whole process tree's RSS (sampled every 200 ms). Then sourcevault's
ratios to the others. This process imports neither Scrapy nor the pages, so its own memory does not count.

    python -m bench.crawl [--pages 1000 6000] [--reference DIR]
"""

from __future__ import annotations

import argparse
import ctypes
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from tests.loopback import ALLOW_LOOPBACK

ROOT = Path(__file__).resolve().parent.parent
SOURCEVAULT = Path(sys.executable).parent / "sourcevault"
SEED = 17
CONCURRENCY = 32
# All three crawlers: as many requests at a time, CONCURRENT_ITEMS as crawler/settings.py sets it
# (Scrapy's default of 100 item workers per response costs the Scrapy spiders CPU for nothing).
POLITENESS_OFF = {
    "CONCURRENT_ITEMS": "1",
    "CONCURRENT_REQUESTS": str(CONCURRENCY),
    "CONCURRENT_REQUESTS_PER_DOMAIN": str(CONCURRENCY),
    "DOWNLOAD_DELAY": "0",
    "AUTOTHROTTLE_ENABLED": "False",
}
CRAWLERS = ("bare Scrapy", "hand-written", "sourcevault")
REFERENCE = "reference"
# The reference checkout's command line; -P keeps the bench's working directory (this checkout)
# from coming before it on sys.path.
REFERENCE_CLI = "import sys; from crawler.cli import main; sys.argv[0] = 'sourcevault'; main()"
SAMPLE_SECONDS = 0.2
# prctl's option that makes a process the reaper of its descendants' orphans (linux/prctl.h).
PR_SET_CHILD_SUBREAPER = 36


@dataclass(frozen=True)
class Measure:
    pages: int
    seconds: float
    cpu_seconds: float
    peak_rss_mib: float
    peak_tree_mib: float

    @property
    def pages_per_second(self) -> float:
        return self.pages / self.seconds

    @property
    def cpu_ms_per_page(self) -> float:
        return self.cpu_seconds * 1000 / self.pages


def run_scrapy(kind: str, sitemaps: list[str], database: str) -> None:
    """In a child process: the bare or hand-written crawl; print the pages it fetched as JSON."""
    from scrapy.crawler import CrawlerProcess  # noqa: PLC0415
    from scrapy.http import Response  # noqa: PLC0415
    from scrapy.spiders import SitemapSpider  # noqa: PLC0415

    class BareSpider(SitemapSpider):
        """Fetches every page the sitemaps list, and does nothing with it."""

        name = "bare"
        fetched = 0

        def parse(self, response: Response) -> None:
            """Nothing but counting: the reference only downloads."""
            self.fetched += 1

    class HandWrittenSpider(SitemapSpider):
        """What a user would write: trafilatura on each page, a row per page with sqlite-utils."""

        name = "hand_written"
        fetched = 0

        def __init__(self, *args: object, **kwargs: object) -> None:
            import sqlite_utils  # noqa: PLC0415

            super().__init__(*args, **kwargs)
            self.pages = sqlite_utils.Database(database)["pages"]

        def parse(self, response: Response) -> None:
            import trafilatura  # noqa: PLC0415

            self.fetched += 1
            document = trafilatura.bare_extraction(response.text, url=response.url, with_metadata=True)
            found = document.as_dict() if document is not None else {}
            self.pages.insert(  # type: ignore[union-attr]
                {
                    "url": response.url,
                    "title": found.get("title"),
                    "date": found.get("date"),
                    "text": found.get("text"),
                    "fetched_at": time.time(),
                },
            )

    quiet = {"LOG_LEVEL": "WARNING", "TELNETCONSOLE_ENABLED": False, "ROBOTSTXT_OBEY": True}
    process = CrawlerProcess({**POLITENESS_OFF, **quiet})
    crawler = process.create_crawler(BareSpider if kind == "bare" else HandWrittenSpider)
    process.crawl(crawler, sitemap_urls=sitemaps)
    process.start()
    print(json.dumps({"pages": crawler.spider.fetched}))  # type: ignore[union-attr]


def processes() -> dict[int, tuple[int, int]]:
    """Every process's parent and resident pages, from /proc."""
    found = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
            fields = stat[stat.rindex(")") + 2 :].split()
        except (OSError, ValueError):
            continue
        found[int(entry)] = (int(fields[1]), int(fields[21]))
    return found


def tree_rss_mib(root: int) -> float:
    """The resident memory of a process and all its descendants."""
    table = processes()
    tree = {root}
    grew = True
    while grew:
        found = {pid for pid, (parent, _) in table.items() if parent in tree} - tree
        grew = bool(found)
        tree |= found
    return sum(table[pid][1] for pid in tree if pid in table) * os.sysconf("SC_PAGE_SIZE") / 2**20


def children() -> set[int]:
    return {pid for pid, (parent, _) in processes().items() if parent == os.getpid()}


def become_subreaper() -> None:
    """Orphans of a crawl become this process's children, not init's, so that their CPU time counts.

    sourcevault's worker processes are forked by a fork server, which outlives the crawl by a
    moment: os.wait4 of the crawl counts only the descendants it waited for itself.
    """
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_CHILD_SUBREAPER)")


def measured(command: list[str], env: dict[str, str] | None = None) -> tuple[float, float, float, float, str]:
    """Run a command: wall seconds, CPU seconds, peak RSS and peak tree RSS in MiB, standard output.

    CPU seconds are those of the command and of every process it started (its orphans included).
    """
    others = children()
    with tempfile.TemporaryFile("w+") as output, tempfile.TemporaryFile("w+") as errors:
        started = time.perf_counter()
        child = subprocess.Popen(command, cwd=ROOT, env=env, stdout=output, stderr=errors, text=True)
        peak_tree = 0.0
        done = threading.Event()

        def sample() -> None:
            nonlocal peak_tree
            while not done.wait(SAMPLE_SECONDS):
                peak_tree = max(peak_tree, tree_rss_mib(child.pid))

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        _, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - started
        done.set()
        sampler.join()
        cpu = usage.ru_utime + usage.ru_stime
        for orphan in children() - others - {child.pid}:
            _, _, orphan_usage = os.wait4(orphan, 0)
            cpu += orphan_usage.ru_utime + orphan_usage.ru_stime
        child.returncode = os.waitstatus_to_exitcode(status)
        if child.returncode != 0:
            errors.seek(0)
            raise SystemExit(f"{command[0]} failed ({child.returncode}): {errors.read()[-2000:]}")
        output.seek(0)
        return seconds, cpu, usage.ru_maxrss / 1024, max(peak_tree, usage.ru_maxrss / 1024), output.read()


def measure_scrapy(kind: str, sitemaps: list[str], folder: Path) -> Measure:
    database = folder / f"{kind}.db"
    command = [sys.executable, "-m", "bench.crawl", f"--{kind}", str(database), *sitemaps]
    seconds, cpu, peak, tree, output = measured(command)
    return Measure(json.loads(output.strip().splitlines()[-1])["pages"], seconds, cpu, peak, tree)


def measure_sourcevault(
    base_url: str, folder: Path, settings: list[str], checkout: Path | None = None
) -> Measure:
    """`sourcevault crawl` of the site's outlets: this checkout's, or another `checkout`'s."""
    from bench.crawl_site import OUTLETS, registry_toml  # noqa: PLC0415

    registry = folder / "outlets.toml"
    # Each outlet its share of the requests at a time; together the same as the Scrapy spiders'.
    registry.write_text(registry_toml(base_url, concurrency=CONCURRENCY // len(OUTLETS) + 1))
    database = folder / "sourcevault.db"
    overrides = [
        argument
        for setting in [*(f"{name}={value}" for name, value in POLITENESS_OFF.items()), *settings]
        for argument in ("-s", setting)
    ]
    arguments = ["--registry", str(registry), "--db", str(database), *ALLOW_LOOPBACK, *overrides]
    if checkout is None:
        command, env = [str(SOURCEVAULT), "crawl", *arguments], None
    else:
        command = [sys.executable, "-P", "-c", REFERENCE_CLI, "crawl", *arguments]
        env = {**os.environ, "PYTHONPATH": str(checkout)}
    seconds, cpu, peak, tree, _ = measured(command, env)
    with sqlite3.connect(database) as archive:
        (pages,) = archive.execute("SELECT count(*) FROM captures WHERE page_kind = 'article'").fetchone()
    return Measure(pages, seconds, cpu, peak, tree)


def crawl_all(pages: int, settings: list[str], reference: Path | None = None) -> dict[str, Measure]:
    """Serve a site of `pages` articles and crawl it with each crawler in turn, each in a fresh folder."""
    command = [sys.executable, "-m", "bench.crawl", "--serve", str(pages)]
    measures: dict[str, Measure] = {}
    pipes = {"stdin": subprocess.PIPE, "stdout": subprocess.PIPE, "text": True}
    with subprocess.Popen(command, cwd=ROOT, **pipes) as site:  # type: ignore[call-overload]
        assert site.stdout is not None and site.stdin is not None
        addresses = json.loads(site.stdout.readline())
        for name in (*CRAWLERS, REFERENCE) if reference else CRAWLERS:
            with tempfile.TemporaryDirectory(prefix="sourcevault-crawl-bench-") as folder:
                if name == REFERENCE:
                    measures[name] = measure_sourcevault(
                        addresses["base_url"], Path(folder), settings, reference
                    )
                elif name == "sourcevault":
                    measures[name] = measure_sourcevault(addresses["base_url"], Path(folder), settings)
                else:
                    kind = "bare" if name == "bare Scrapy" else "hand-written"
                    measures[name] = measure_scrapy(kind, addresses["sitemaps"], Path(folder))
        site.stdin.close()
    return measures


def print_results(results: dict[int, dict[str, Measure]]) -> None:
    print(f"loadavg {' '.join(f'{load:.2f}' for load in os.getloadavg())} at the end; {os.cpu_count()} cores")
    header = ("pages", "crawler", "fetched", "seconds", "pages/s", "CPU ms/page", "peak MiB", "tree MiB")
    print(f"{header[0]:>6}  {header[1]:<13}" + "".join(f"{name:>12}" for name in header[2:]))
    for pages, measures in results.items():
        for name, measure in measures.items():
            print(
                f"{pages:>6}  {name:<13}{measure.pages:>12}{measure.seconds:>12.1f}"
                f"{measure.pages_per_second:>12.1f}{measure.cpu_ms_per_page:>12.2f}"
                f"{measure.peak_rss_mib:>12.1f}{measure.peak_tree_mib:>12.1f}"
            )
        ours = measures["sourcevault"]
        for name in ("hand-written", "bare Scrapy", REFERENCE):
            if (other := measures.get(name)) is None:
                continue
            print(
                f"{'':>6}  sourcevault/{name}: pages/s {ours.pages_per_second / other.pages_per_second:.2f}x,"
                f" CPU/page {ours.cpu_ms_per_page / other.cpu_ms_per_page:.2f}x,"
                f" peak tree RSS {ours.peak_tree_mib / other.peak_tree_mib:.2f}x"
            )
    if len(results) > 1:
        (small, first), *_, (large, last) = results.items()
        growth = ", ".join(
            f"{name} {last[name].peak_tree_mib - first[name].peak_tree_mib:+.1f} MiB" for name in last
        )
        print(f"peak tree RSS from {small} to {large} pages: {growth}")
    largest = max(results)
    ours, hand, bare = (results[largest][name] for name in ("sourcevault", "hand-written", "bare Scrapy"))
    print(
        f"crawl ratios at {largest} pages: sourcevault/hand-written"
        f" {ours.pages_per_second / hand.pages_per_second:.2f},"
        f" sourcevault/bare {ours.pages_per_second / bare.pages_per_second:.2f}"
    )


def reference_checkout(given: Path) -> Path:
    """The reference checkout, checked, and said first with its commit when it is a git checkout."""
    checkout = given.resolve()
    if not (checkout / "crawler" / "__init__.py").is_file():
        raise SystemExit(f"--reference {given}: not a sourcevault checkout (no crawler package in it)")
    commit = subprocess.run(
        ["git", "-C", str(checkout), "log", "-1", "--format=%h %cs"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    print(f"reference: the sourcevault of {checkout}" + (f", commit {commit}" if commit else ""), flush=True)
    return checkout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, nargs="+", default=[1000, 6000], metavar="N")
    parser.add_argument(
        "--setting", "-s", action="append", default=[], metavar="NAME=VALUE", help="For sourcevault's crawl."
    )
    parser.add_argument(
        "--reference",
        type=Path,
        metavar="DIR",
        help="Also crawl with the sourcevault of this checkout (e.g. an older commit's git worktree).",
    )
    parser.add_argument("--bare", nargs="+", metavar=("DB", "SITEMAP_URL"), help=argparse.SUPPRESS)
    parser.add_argument("--hand-written", nargs="+", metavar=("DB", "SITEMAP_URL"), help=argparse.SUPPRESS)
    parser.add_argument("--serve", type=int, metavar="PAGES", help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    for kind in ("bare", "hand_written"):
        if given := getattr(arguments, kind):
            run_scrapy(kind.replace("_", "-"), given[1:], given[0])
            return
    if arguments.serve:
        from bench.crawl_site import serve  # noqa: PLC0415

        serve(arguments.serve, SEED)
        return
    become_subreaper()
    reference = reference_checkout(arguments.reference) if arguments.reference else None
    results = {pages: crawl_all(pages, arguments.setting, reference) for pages in sorted(arguments.pages)}
    print_results(results)


if __name__ == "__main__":
    main()
