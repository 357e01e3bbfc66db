"""Issue 18's reliability test: three `sourcevault crawl --worker` processes crawl a loopback site of
3,000 pages over 6 outlets (the issue's size) into one PostgreSQL archive while the test kills a
worker with SIGKILL at random moments (6 times, each when the archive has reached a random count of
articles) and starts another in its place. At the end every page is archived exactly once, no lease
is held, and the archive copies out whole and verified (`migrate-archive`: row counts and every raw
original's sha256), its copy passing SQLite's integrity and foreign key checks.

The test waits on the archive's state (its count of articles, polled a bounded number of times),
never on the clock; the random moments come from a seeded generator, printed for a rerun.
"""

from __future__ import annotations

import random
import signal
import sqlite3
import subprocess
import time

import pytest
from sqlalchemy import Engine, create_engine, text

from crawler.archive.postgres.connection import PostgresArchive, engine_url
from tests.helpers import SOURCEVAULT, run_sourcevault
from tests.loopback import FAST_CRAWL, LoopbackSite, outlets_site

OUTLETS = [f"outlet{number}" for number in range(1, 7)]
# The 3,000 pages, 500 an outlet: 149 s and 152 s on 2 cores at load 10 and 5, 97 s at load 4
# (other engineers' runs), the test's processes and the server spending 97 and 117 CPU seconds in the
# first two, 49 and 59 s of 2 idle cores; each kill adds its lease's wait (docs/benchmarks.md).
PAGES_PER_OUTLET = 500
WORKERS = 3
KILLS = 6
# Long enough that a worker stalled by a busy machine keeps its lease; a killed one loses it after this.
LEASE_SECONDS = "15"
POLL_SECONDS = 0.1
POLLS = 3000


def article_count(engine: Engine) -> int:
    with engine.connect() as connection:
        return connection.execute(text("SELECT count(*) FROM articles")).scalar_one()


def start_worker(registry: str, url: str) -> subprocess.Popen[str]:
    options = ["--lease", LEASE_SECONDS, *FAST_CRAWL, "--registry", registry, "--db", url]
    return subprocess.Popen(
        [str(SOURCEVAULT), "crawl", "--worker", *options],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.slow
def test_three_workers_killed_at_random_moments_archive_every_page_exactly_once(postgres_url, tmp_path):
    seed = random.randrange(2**32)
    moments = sorted(random.Random(seed).sample(range(100, len(OUTLETS) * PAGES_PER_OUTLET - 300), KILLS))
    print(f"seed {seed}: kills at {moments} articles")
    with LoopbackSite().running() as site:
        registry = tmp_path / "outlets.toml"
        registry.write_text(outlets_site(site, OUTLETS, PAGES_PER_OUTLET), encoding="utf-8")
        assert run_sourcevault("outlets", "--registry", str(registry)).returncode == 0
        PostgresArchive(postgres_url).close()
        workers = [start_worker(str(registry), postgres_url) for _ in range(WORKERS)]
        # One engine for every poll: its connection is kept between them.
        polling = create_engine(engine_url(postgres_url))
        killed = 0
        for moment in moments:
            for _ in range(POLLS):
                if article_count(polling) >= moment:
                    break
                time.sleep(POLL_SECONDS)
            alive = [worker for worker in workers if worker.poll() is None]
            if not alive:
                break
            victim = random.Random(seed + moment).choice(alive)
            victim.send_signal(signal.SIGKILL)
            victim.wait(timeout=60)
            killed += 1
            workers.remove(victim)
            workers.append(start_worker(str(registry), postgres_url))
        polling.dispose()
        for worker in workers:
            out, err = worker.communicate(timeout=600)
            assert worker.returncode == 0, f"{out}\n{err}"
    assert killed >= 5
    engine = create_engine(engine_url(postgres_url))
    with engine.connect() as connection:
        urls = connection.execute(text("SELECT url, count(*) FROM articles GROUP BY url")).all()
        fetched = connection.execute(
            text("SELECT url, count(*) FROM captures WHERE page_kind = 'article' GROUP BY url")
        ).all()
        assert connection.execute(text("SELECT count(*) FROM work_leases")).scalar_one() == 0
        undone = connection.execute(text("SELECT count(*) FROM work_units WHERE due_at <= now()"))
        assert undone.scalar_one() == 0
    engine.dispose()
    assert len(urls) == len(OUTLETS) * PAGES_PER_OUTLET
    assert {count for _, count in urls} == {1}
    assert sorted(fetched) == sorted(urls)
    copy = tmp_path / "copy.db"
    moved = run_sourcevault("migrate-archive", postgres_url, str(copy), timeout=600)
    assert moved.returncode == 0, moved.stderr
    assert "verified: every table's row count matches" in moved.stdout
    checked = sqlite3.connect(copy)
    assert checked.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    assert checked.execute("PRAGMA foreign_key_check").fetchall() == []
    checked.close()
