"""Crawl workers' archive write rate: one crawl into SQLite and into PostgreSQL, one and three
`sourcevault crawl --worker` processes into PostgreSQL, on the same loopback site, same run.

The site (issue 18's reliability test's: tests/loopback.py's `outlets_site`, synthetic articles
over 6 outlets, 8 requests at a time per outlet) runs in a process of its own, and so does each
crawl; the PostgreSQL server is the run's own (.ci/postgres, no fsync). Each case starts from an
empty archive (a new SQLite file, a new database with its tables made before the clock starts):

- sqlite: `sourcevault crawl` of the 6 outlets into an SQLite file;
- postgresql: the same into PostgreSQL;
- 1 worker: one `sourcevault crawl --worker` into PostgreSQL (it takes the outlets one after another);
- 3 workers: three of them at once, sharing the outlets through their leases.

For each: articles archived (every page checked archived exactly once, one article capture each),
wall seconds, articles/s, CPU seconds of the crawl processes (os.wait4 of each and of every process
they started, orphans included), of the PostgreSQL server (its postmaster and every backend, from
/proc) and of the site, and how many cores that kept busy; then the ratios PostgreSQL/SQLite and
3 workers/1 worker, and the most 3 workers could gain on this machine's cores at the CPU per
article they spent (what bounds the ratio on a machine with few cores).

After each worker case, its timeline (bench/worker_timeline.py): each worker's start-up, units and
seconds crawling, its wait from its last unit's end to its exit, and how long 3, 2, 1, 0 crawls ran
at once. `--archive-from DATABASE_URL` runs the PostgreSQL cases on that database's server, each in
a copy of it (bench/worker_servers.py): the write rate at the size of that archive (issue 18: at
100,000 articles).

    python -m bench.workers [--pages 1200] [--archive-from DATABASE_URL]   (issue 18: --pages 3000)
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from bench.crawl import ROOT, SOURCEVAULT, become_subreaper, children
from bench.worker_servers import TemplateServer, cpu_seconds, own_server
from bench.worker_timeline import Crawled, crawls_of_workers, timeline
from tests.loopback import FAST_CRAWL

OUTLETS = [f"outlet{number}" for number in range(1, 7)]
WORKERS = 3
CASES = ("sqlite", "postgresql", "1 worker", f"{WORKERS} workers")


@dataclass(frozen=True)
class Measure:
    articles: int
    seconds: float
    crawl_cpu: float
    server_cpu: float
    site_cpu: float
    size_bytes: int

    @property
    def articles_per_second(self) -> float:
        return self.articles / self.seconds

    @property
    def cpu_ms_per_article(self) -> float:
        return (self.crawl_cpu + self.server_cpu + self.site_cpu) * 1000 / self.articles

    @property
    def cores_busy(self) -> float:
        return (self.crawl_cpu + self.server_cpu + self.site_cpu) / self.seconds


class Together(NamedTuple):
    """Commands run at once: wall and CPU seconds, their launch and each one's exit (epoch seconds)."""

    seconds: float
    cpu: float
    launched: float
    exits: dict[int, float]


def run_together(commands: list[list[str]]) -> Together:
    """Start the commands at once, wait for all: wall seconds and CPU seconds of them and all they
    started, and when each exited."""
    others = children()
    with tempfile.TemporaryFile("w+") as errors:
        launched, started = time.time(), time.perf_counter()
        running = [
            subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=errors, text=True)
            for command in commands
        ]
        usages: dict[int, tuple[int, float, float]] = {}

        def wait(pid: int) -> None:
            _, status, usage = os.wait4(pid, 0)
            usages[pid] = (os.waitstatus_to_exitcode(status), usage.ru_utime + usage.ru_stime, time.time())

        waiting = [threading.Thread(target=wait, args=(process.pid,)) for process in running]
        for thread in waiting:
            thread.start()
        for thread in waiting:
            thread.join()
        seconds = time.perf_counter() - started
        cpu = sum(used for _, used, _ in usages.values())
        failed = [status for status, _, _ in usages.values() if status != 0]
        for process in running:
            process.returncode = usages[process.pid][0]
        for orphan in children() - others - {process.pid for process in running}:
            _, _, usage = os.wait4(orphan, 0)
            cpu += usage.ru_utime + usage.ru_stime
        if failed:
            errors.seek(0)
            raise SystemExit(f"crawl failed ({failed}): {errors.read()[-2000:]}")
    return Together(seconds, cpu, launched, {process.pid: usages[process.pid][2] for process in running})


def archived_once(url: str, expected: set[str], site: str = "") -> int:
    """Check every page was archived exactly once (one article, one article capture); the count. Only
    the articles of the `site` (a URL prefix) are looked at: an archive copied holds others."""
    from sqlalchemy import create_engine, text  # noqa: PLC0415

    from crawler.archive.postgres.connection import engine_url  # noqa: PLC0415

    engine = create_engine(engine_url(url) if url.startswith("postgresql") else f"sqlite:///{url}")
    of_site = {"site": f"{site}%"}
    with engine.connect() as connection:
        articles = connection.execute(
            text("SELECT url, count(*) FROM articles WHERE url LIKE :site GROUP BY url"), of_site
        ).all()
        captures = connection.execute(
            text(
                "SELECT url, count(*) FROM captures"
                " WHERE page_kind = 'article' AND url LIKE :site GROUP BY url"
            ),
            of_site,
        ).all()
    engine.dispose()
    if {url for url, _ in articles} != expected or {count for _, count in articles} != {1}:
        missing, extra = len(expected - {url for url, _ in articles}), sum(count - 1 for _, count in articles)
        raise SystemExit(f"{url}: {missing} pages not archived, {extra} archived more than once")
    if sorted(captures) != sorted(articles):
        raise SystemExit(f"{url}: article captures do not match the articles one to one")
    return len(articles)


def size_and_crawls(url: str) -> tuple[int, list[Crawled]]:
    """The archive's size in bytes (an SQLite file with its WAL; a PostgreSQL database) and the units
    its workers crawled."""
    if not url.startswith("postgresql"):
        return sum(path.stat().st_size for path in Path(url).parent.glob(f"{Path(url).name}*")), []
    from sqlalchemy import create_engine, text  # noqa: PLC0415

    from crawler.archive.postgres.connection import engine_url  # noqa: PLC0415

    engine = create_engine(engine_url(url))
    with engine.connect() as connection:
        size = connection.execute(text("SELECT pg_database_size(current_database())")).scalar_one()
        crawled = crawls_of_workers(connection)
    engine.dispose()
    return size, crawled


def measure_all(pages_per_outlet: int, archive_from: str | None) -> tuple[dict[str, Measure], list[str]]:
    """Serve the site, start the server (or reach --archive-from's), and crawl the site once per
    case, each into an archive of its own; the measures, and each worker case's timeline."""
    command = [sys.executable, "-m", "bench.workers", "--serve", str(pages_per_outlet)]
    pipes = {"stdin": subprocess.PIPE, "stdout": subprocess.PIPE, "text": True}
    measures, timelines = {}, []
    with (
        tempfile.TemporaryDirectory(prefix="sourcevault-workers-bench-") as temporary,
        subprocess.Popen(command, cwd=ROOT, **pipes) as site,  # type: ignore[call-overload]
    ):
        folder = Path(temporary)
        assert site.stdout is not None and site.stdin is not None
        served = json.loads(site.stdout.readline())
        registry = folder / "outlets.toml"
        registry.write_text(served["registry"], encoding="utf-8")
        expected = {
            f"{served['base_url']}/{slug}/a/{number}"
            for slug in OUTLETS
            for number in range(1, pages_per_outlet + 1)
        }
        with nullcontext(TemplateServer(archive_from)) if archive_from else own_server(folder) as server:
            # Orphans of the crawls (the extraction pool's processes) become this process's children.
            become_subreaper()
            for number, case in enumerate(CASES):
                database = f"workers_bench_{os.getpid()}_{number}"
                archive = str(folder / "archive.db") if case == "sqlite" else server.archive(database)
                crawl = [str(SOURCEVAULT), "crawl", *FAST_CRAWL, "--registry", str(registry), "--db", archive]
                count = WORKERS if case == f"{WORKERS} workers" else 1
                commands = [[*crawl, "--worker"] if "worker" in case else crawl] * count
                site_before = cpu_seconds(site.pid)
                with server.measuring(database) as server_used:
                    together = run_together(commands)
                site_used = cpu_seconds(site.pid) - site_before
                articles = archived_once(archive, expected, served["base_url"])
                size, crawled = size_and_crawls(archive)
                measures[case] = Measure(
                    articles, together.seconds, together.cpu, server_used.seconds, site_used, size
                )
                if "worker" in case:
                    timelines.append(timeline(together.launched, together.exits, crawled))
                if case != "sqlite":
                    server.drop(archive)
        site.stdin.close()
    return measures, timelines


def print_results(
    pages: int, measures: dict[str, Measure], timelines: list[str], archive_from: str | None
) -> None:
    print(
        f"loadavg {' '.join(f'{load:.2f}' for load in os.getloadavg())} at the end; {os.cpu_count()} cores;"
        f" {pages} pages over {len(OUTLETS)} outlets, each archived exactly once in every case"
    )
    if archive_from:
        from sqlalchemy import make_url  # noqa: PLC0415

        print(
            f"PostgreSQL cases each into a copy of {make_url(archive_from).database}"
            f" ({measures['postgresql'].size_bytes / 1e6:.0f} MB after the case);"
            " server CPU: the backends of the case's database; sqlite into an empty file"
        )
    header = (
        "archived",
        "seconds",
        "articles/s",
        "crawl CPU s",
        "server CPU s",
        "site CPU s",
        "CPU ms/art",
        "cores",
        "size MB",
    )
    print(f"{'case':<12}" + "".join(f"{name:>13}" for name in header))
    for case, measure in measures.items():
        print(
            f"{case:<12}{measure.articles:>13}{measure.seconds:>13.1f}{measure.articles_per_second:>13.1f}"
            f"{measure.crawl_cpu:>13.1f}{measure.server_cpu:>13.1f}{measure.site_cpu:>13.1f}"
            f"{measure.cpu_ms_per_article:>13.1f}{measure.cores_busy:>13.2f}{measure.size_bytes / 1e6:>13.1f}"
        )
    for line in timelines:
        print(line)
    sqlite, postgresql, one, many = (measures[case] for case in CASES)
    for name, ours, reference in (
        ("postgresql/sqlite", postgresql, sqlite),
        (f"{WORKERS} workers/1 worker", many, one),
    ):
        print(
            f"{name}: articles/s {ours.articles_per_second / reference.articles_per_second:.2f}x,"
            f" CPU/article {ours.cpu_ms_per_article / reference.cpu_ms_per_article:.2f}x"
        )
    cores = os.cpu_count() or 1
    ceiling = cores * 1000 / many.cpu_ms_per_article
    print(
        f"bound: {WORKERS} workers spent {many.cpu_ms_per_article:.1f} CPU ms per article"
        f" (crawl + server + site): {cores} cores archive at most {ceiling:.1f} articles/s,"
        f" {ceiling / one.articles_per_second:.2f}x 1 worker's {one.articles_per_second:.1f};"
        f" they kept {many.cores_busy:.2f} of {cores} cores busy"
    )
    print(
        f"worker ratios at {pages} pages: {WORKERS} workers/1 worker"
        f" {many.articles_per_second / one.articles_per_second:.2f},"
        f" postgresql/sqlite {postgresql.articles_per_second / sqlite.articles_per_second:.2f}"
    )


def serve(pages_per_outlet: int) -> None:
    """Serve the site until standard input ends; first print its base URL and registry as JSON."""
    from tests.loopback import LoopbackSite, outlets_site  # noqa: PLC0415

    site = LoopbackSite()
    with site.running():
        registry = outlets_site(site, OUTLETS, pages_per_outlet)
        print(json.dumps({"base_url": site.base_url, "registry": registry}), flush=True)
        sys.stdin.read()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--pages",
        type=int,
        default=1200,
        metavar="N",
        help="Pages of the site, a multiple of 6 (issue 18: 3000).",
    )
    parser.add_argument(
        "--archive-from",
        metavar="DATABASE_URL",
        help="Run the PostgreSQL cases on this database's server (on this machine), each in a copy of it"
        " (CREATE DATABASE … TEMPLATE; the original never written), e.g. an archive of 100,000 articles.",
    )
    parser.add_argument("--serve", type=int, metavar="PAGES_PER_OUTLET", help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.serve:
        serve(arguments.serve)
        return
    if arguments.pages <= 0 or arguments.pages % len(OUTLETS):
        parser.error(f"--pages: {arguments.pages} is not a positive multiple of {len(OUTLETS)}")
    print_results(
        arguments.pages,
        *measure_all(arguments.pages // len(OUTLETS), arguments.archive_from),
        arguments.archive_from,
    )


if __name__ == "__main__":
    main()
