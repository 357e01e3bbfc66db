"""Moving an archive between SQLite and a real PostgreSQL server: `migrate-archive` there and back,
interrupted and resumed, refusing another archive; `export --format sqlite` for `serve`; every other
command refusing a postgresql:// archive in one line."""

from __future__ import annotations

import re
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select, text

from crawler.archive import Archive
from crawler.archive.postgres.connection import PostgresArchive, engine_url
from crawler.archive.postgres.tables import raw_bodies
from crawler.posts.post import Endpoint
from tests.helpers import ROOT, SOURCEVAULT, run_sourcevault
from tests.post_fixtures import fetched

# The FTS5 index's own tables: compared through what `search` finds, not byte for byte.
SEARCH_SHADOW_TABLES = tuple(
    f"{index}_search_{part}" for index in ("article", "post") for part in ("data", "idx", "docsize")
)
QUERIES = ("颱風", "台湾", '"東部多所學校"', "北部 山區", "桃機")
# A post citing another that is stored after it (a later id): the copy checks that reference at commit.
REPOST_OF_DELETED = "https://m.weibo.cn/detail/4189191225395228"
ORDINARY_WEIBO = "https://weibo.com/7827771738/N4xlMvjhI"
# Rows per transaction in the interrupted copy: the demo's 49 raw originals take five.
SMALL_BATCH = 10
# The lock table is read up to this many times, this far apart, while the copy reaches its third batch.
COUNTER_POLLS = 1_200
POLL_SECONDS = 0.05


@pytest.fixture(scope="module")
def demo_with_posts(tmp_path_factory, registry) -> Path:
    """The demo archive, plus posts checked from the synthetic answers of tests/fixtures/posts/."""
    path = tmp_path_factory.mktemp("demo") / "demo.db"
    result = run_sourcevault("demo", "--db", str(path))
    assert result.returncode == 0, result.stderr
    with Archive(path) as archive:
        archive.posts.register_platforms(list(registry.platforms.values()))
        archive.posts.record(fetched(ORDINARY_WEIBO, "weibo/show-ordinary.http", Endpoint.WEIBO_STATUS))
        archive.posts.record(
            fetched(REPOST_OF_DELETED, "weibo/show-repost-of-deleted.http", Endpoint.WEIBO_STATUS)
        )
    return path


def every_row(path: Path) -> dict[str, list[tuple]]:
    """Every row of every table but the FTS5 index's own, in key order."""
    connection = sqlite3.connect(path)
    names = [
        name
        for (name,) in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        if name not in SEARCH_SHADOW_TABLES and name != "_sqlite_migrations"
    ]
    rows = {name: connection.execute(f'SELECT * FROM "{name}" ORDER BY 1, 2').fetchall() for name in names}
    connection.close()
    return rows


def what_commands_say(cli, path: Path) -> list[str]:
    said = [cli("search", query, "--db", str(path), "--json").output for query in QUERIES]
    said += [cli("stats", "--db", str(path), "--json").output, cli("show", "3", "--db", str(path)).output]
    said.append(cli("posts", "search", "微博", "--db", str(path), "--json").output)
    return said


def summary_row(printed: str, table: str) -> tuple[int, int, str]:
    """A table's line of the summary `migrate-archive` prints: its rows, those copied now, ok or not."""
    found = re.search(rf"(?m)^  {table} +(\d+) rows +(\d+) copied now  (\w+)$", printed)
    assert found, printed
    return int(found[1]), int(found[2]), found[3]


def migrate(*args: str) -> subprocess.CompletedProcess[str]:
    return run_sourcevault("migrate-archive", *args)


def test_sqlite_to_postgresql_and_back_is_the_same_archive_row_for_row(
    demo_with_posts, postgres_url, tmp_path, cli
):
    there = migrate(str(demo_with_posts), postgres_url)
    assert there.returncode == 0, there.stderr
    assert "verified: every table's row count matches" in there.stdout
    originals = len(every_row(demo_with_posts)["raw_bodies"])
    assert f"raw originals read back, sha256 checked: {originals}" in there.stdout
    assert "copying" in there.stderr  # the progress bar
    back = tmp_path / "back.db"
    again = migrate(postgres_url, str(back))
    assert again.returncode == 0, again.stderr
    original, copy = every_row(demo_with_posts), every_row(back)
    assert original.keys() == copy.keys()
    assert len(original["posts"]) == 3
    for table in original:
        assert copy[table] == original[table], table
    said = what_commands_say(cli, demo_with_posts)
    assert all(output.strip() for output in said)
    assert what_commands_say(cli, back) == said


def row_count(url: str) -> int:
    engine = create_engine(engine_url(url))
    with engine.connect() as connection:
        count = connection.execute(select(func.count()).select_from(raw_bodies)).scalar_one()
    engine.dispose()
    return count


def waiting_on_a_lock(url: str) -> int:
    """How many sessions of the server wait on a lock another holds (the copy on the test's row)."""
    engine = create_engine(engine_url(url))
    with engine.connect() as connection:
        count = connection.execute(text("SELECT count(*) FROM pg_locks WHERE NOT granted")).scalar_one()
    engine.dispose()
    return count


def wait_until_the_copy_waits_on(url: str, copy: subprocess.Popen[bytes]) -> None:
    """Poll the server's lock table (bounded) until the copy waits on the test's uncommitted row."""
    for _ in range(COUNTER_POLLS):
        if waiting_on_a_lock(url) or copy.poll() is not None:
            break
        time.sleep(POLL_SECONDS)
    assert copy.poll() is None, copy.communicate()
    assert waiting_on_a_lock(url) == 1


def test_a_copy_killed_mid_table_goes_on_when_run_again_and_writes_no_row_twice(
    demo_with_posts, postgres_url
):
    source = sqlite3.connect(demo_with_posts)
    ordered = source.execute("SELECT sha256, size_bytes, compression, compressed FROM raw_bodies ORDER BY 1")
    bodies = ordered.fetchall()
    source.close()
    PostgresArchive(postgres_url).close()
    # The test's own uncommitted copy of the 26th original: the copy's third batch waits on it, so
    # the copy is surely mid-table (two batches committed) when it is killed.
    holder = create_engine(engine_url(postgres_url))
    with holder.connect() as blocking:
        blocking.execute(
            raw_bodies.insert(),
            dict(zip(("sha256", "size_bytes", "compression", "compressed"), bodies[25], strict=True)),
        )
        copy = subprocess.Popen(
            [
                str(SOURCEVAULT),
                "migrate-archive",
                str(demo_with_posts),
                postgres_url,
                "--batch-rows",
                str(SMALL_BATCH),
            ],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        wait_until_the_copy_waits_on(postgres_url, copy)
        assert row_count(postgres_url) == 2 * SMALL_BATCH
        assert copy.poll() is None
        copy.send_signal(signal.SIGKILL)
        copy.wait(timeout=60)
        blocking.rollback()
    holder.dispose()
    assert row_count(postgres_url) == 2 * SMALL_BATCH
    resumed = migrate(str(demo_with_posts), postgres_url, "--batch-rows", str(SMALL_BATCH))
    assert resumed.returncode == 0, resumed.stderr
    assert summary_row(resumed.stdout, "raw_bodies") == (len(bodies), len(bodies) - 2 * SMALL_BATCH, "ok")
    assert "verified: every table's row count matches" in resumed.stdout
    assert row_count(postgres_url) == len(bodies)
