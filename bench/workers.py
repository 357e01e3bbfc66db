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

    python -m bench.workers [--pages 1200]   (issue 18's size: --pages 3000)
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from bench.crawl import ROOT, SOURCEVAULT, become_subreaper, children
from tests.loopback import FAST_CRAWL

OUTLETS = [f"outlet{number}" for number in range(1, 7)]
WORKERS = 3
CASES = ("sqlite", "postgresql", "1 worker", f"{WORKERS} workers")
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Measure:
    articles: int
    seconds: float
    crawl_cpu: float
    server_cpu: float
    site_cpu: float

    @property
    def articles_per_second(self) -> float:
        return self.articles / self.seconds

    @property
    def cpu_ms_per_article(self) -> float:
        return (self.crawl_cpu + self.server_cpu + self.site_cpu) * 1000 / self.articles

    @property
    def cores_busy(self) -> float:
        return (self.crawl_cpu + self.server_cpu + self.site_cpu) / self.seconds


def cpu_seconds(pid: int, *, reaped: bool = True) -> float:
    """A process's CPU seconds (user + system), with those of the children it reaped if `reaped`."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    fields = stat[stat.rindex(")") + 2 :].split()
    ticks = int(fields[11]) + int(fields[12]) + (int(fields[13]) + int(fields[14]) if reaped else 0)
    return ticks / CLOCK_TICKS


def server_cpu(postmaster: int) -> float:
    """The PostgreSQL server's CPU seconds so far: postmaster, backends that ended and those alive."""
    alive = []
    for entry in os.listdir("/proc"):
        try:
            stat = Path(f"/proc/{entry}/stat").read_text() if entry.isdigit() else ""
        except OSError:
            continue
        if stat and int(stat[stat.rindex(")") + 2 :].split()[1]) == postmaster:
            alive.append(int(entry))
    return cpu_seconds(postmaster) + sum(map(cpu_seconds, alive))


def run_together(commands: list[list[str]]) -> tuple[float, float]:
    """Start the commands at once, wait for all: wall seconds and CPU seconds of them and all they started."""
    others = children()
    with tempfile.TemporaryFile("w+") as errors:
        started = time.perf_counter()
        running = [
            subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=errors, text=True)
            for command in commands
        ]
        cpu = 0.0
        failed = []
        for process in running:
            _, status, usage = os.wait4(process.pid, 0)
            process.returncode = os.waitstatus_to_exitcode(status)
            cpu += usage.ru_utime + usage.ru_stime
            failed += [process.returncode] if process.returncode != 0 else []
        seconds = time.perf_counter() - started
        for orphan in children() - others - {process.pid for process in running}:
            _, _, usage = os.wait4(orphan, 0)
            cpu += usage.ru_utime + usage.ru_stime
        if failed:
            errors.seek(0)
            raise SystemExit(f"crawl failed ({failed}): {errors.read()[-2000:]}")
    return seconds, cpu


def archived_once(url: str, expected: set[str]) -> int:
    """Check every page was archived exactly once (one article, one article capture); the count."""
    from sqlalchemy import create_engine, text  # noqa: PLC0415

    from crawler.archive.postgres.connection import engine_url  # noqa: PLC0415

    engine = create_engine(engine_url(url) if url.startswith("postgresql") else f"sqlite:///{url}")
    with engine.connect() as connection:
        articles = connection.execute(text("SELECT url, count(*) FROM articles GROUP BY url")).all()
        captures = connection.execute(
            text("SELECT url, count(*) FROM captures WHERE page_kind = 'article' GROUP BY url")
        ).all()
    engine.dispose()
    if {url for url, _ in articles} != expected or {count for _, count in articles} != {1}:
        missing, extra = len(expected - {url for url, _ in articles}), sum(count - 1 for _, count in articles)
        raise SystemExit(f"{url}: {missing} pages not archived, {extra} archived more than once")
    if sorted(captures) != sorted(articles):
        raise SystemExit(f"{url}: article captures do not match the articles one to one")
    return len(articles)


@contextmanager
def postgres_server(folder: Path) -> Iterator[tuple[str, int]]:
    """The run's own PostgreSQL server (.ci/postgres): its URL and its postmaster's pid."""
    home = folder / "postgres"
    home.mkdir()
    for reached in (folder, home):
        reached.chmod(0o755)  # run as root, the server is the `postgres` user: it must reach its folder
    script = str(ROOT / ".ci" / "postgres")
    url = subprocess.run([script, "start", str(home / "server")], check=False, capture_output=True, text=True)
    if url.returncode != 0:
        raise SystemExit(f".ci/postgres start failed ({url.returncode}): {url.stderr.strip()}")
    try:
        postmaster = int((home / "server" / "data" / "postmaster.pid").read_text().split()[0])
        yield url.stdout.strip(), postmaster
    finally:
        subprocess.run([script, "stop", str(home / "server")], check=True)


def new_database(server: str, name: str) -> str:
    """An empty database with the archive's tables: its URL."""
    import psycopg  # noqa: PLC0415
    from sqlalchemy import make_url  # noqa: PLC0415

    from crawler.archive.postgres.connection import PostgresArchive  # noqa: PLC0415

    with psycopg.connect(server, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    url = make_url(server).set(database=name).render_as_string(hide_password=False)
    PostgresArchive(url).close()
    return url


def measure_all(pages_per_outlet: int) -> dict[str, Measure]:
    """Serve the site, start the server, and crawl the site once per case, each into an empty archive."""
    command = [sys.executable, "-m", "bench.workers", "--serve", str(pages_per_outlet)]
    pipes = {"stdin": subprocess.PIPE, "stdout": subprocess.PIPE, "text": True}
    measures = {}
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
        with postgres_server(folder) as (server, postmaster):
            # Orphans of the crawls (the extraction pool's processes) become this process's children.
            become_subreaper()
            for number, case in enumerate(CASES):
                if case == "sqlite":
                    archive = str(folder / "archive.db")
                else:
                    archive = new_database(server, f"workers_bench_{number}")
                crawl = [str(SOURCEVAULT), "crawl", *FAST_CRAWL, "--registry", str(registry), "--db", archive]
                count = WORKERS if case == f"{WORKERS} workers" else 1
                commands = [[*crawl, "--worker"] if "worker" in case else crawl] * count
                server_before, site_before = server_cpu(postmaster), cpu_seconds(site.pid)
                seconds, crawl_cpu = run_together(commands)
                server_used = server_cpu(postmaster) - server_before
                site_used = cpu_seconds(site.pid) - site_before
                articles = archived_once(archive, expected)
                measures[case] = Measure(articles, seconds, crawl_cpu, server_used, site_used)
        site.stdin.close()
    return measures


def print_results(pages: int, measures: dict[str, Measure]) -> None:
    print(
        f"loadavg {' '.join(f'{load:.2f}' for load in os.getloadavg())} at the end; {os.cpu_count()} cores;"
        f" {pages} pages over {len(OUTLETS)} outlets, each archived exactly once in every case"
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
    )
    print(f"{'case':<12}" + "".join(f"{name:>13}" for name in header))
    for case, measure in measures.items():
        print(
            f"{case:<12}{measure.articles:>13}{measure.seconds:>13.1f}{measure.articles_per_second:>13.1f}"
            f"{measure.crawl_cpu:>13.1f}{measure.server_cpu:>13.1f}{measure.site_cpu:>13.1f}"
            f"{measure.cpu_ms_per_article:>13.1f}{measure.cores_busy:>13.2f}"
        )
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
    parser.add_argument("--serve", type=int, metavar="PAGES_PER_OUTLET", help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.serve:
        serve(arguments.serve)
        return
    if arguments.pages <= 0 or arguments.pages % len(OUTLETS):
        parser.error(f"--pages: {arguments.pages} is not a positive multiple of {len(OUTLETS)}")
    print_results(arguments.pages, measure_all(arguments.pages // len(OUTLETS)))


if __name__ == "__main__":
    main()
