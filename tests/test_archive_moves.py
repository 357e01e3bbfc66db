"""Moving an archive between SQLite and a real PostgreSQL server: `migrate-archive` there and back,
interrupted and resumed, refusing another archive; `export --format sqlite` for `serve`; every other
command refusing a postgresql:// archive in one line."""

from __future__ import annotations

import json
import os
import re
import signal
import sqlite3
import stat
import subprocess
import sys
import time
from pathlib import Path

import click
import pytest
from sqlalchemy import create_engine, func, select, text

from crawler.archive import Archive
from crawler.archive.model import raw_bodies
from crawler.archive.postgres.connection import PostgresArchive, engine_url
from crawler.cli import main
from crawler.posts.post import Endpoint
from tests.doc_commands import DOCS, matches, output_shown_after
from tests.helpers import ROOT, SOURCEVAULT, run_sourcevault
from tests.post_fixtures import fetched
from tests.test_postgres_beside_crawls import waiting_for_a_lock
from tests.test_serve import _get, start_serving, stop_serving

# The FTS5 index's own tables: compared through what `search` finds, not byte for byte.
SEARCH_SHADOW_TABLES = tuple(
    f"{index}_search_{part}" for index in ("article", "post") for part in ("data", "idx", "docsize")
)
QUERIES = ("颱風", "台湾", '"東部多所學校"', "北部 山區", "桃機")
# A post citing another that is stored after it (a later id): the copy checks that reference at commit.
REPOST_OF_DELETED = "https://m.weibo.cn/detail/4189191225395228"
ORDINARY_WEIBO = "https://weibo.com/7827771738/N4xlMvjhI"
DOCS_URL = "postgresql://sourcevault@db.example.org/archive"
# Rows per transaction in the interrupted copy: the demo's 49 raw originals take five.
SMALL_BATCH = 10
# The server is asked up to this many times, this far apart, while the copy reaches its third batch:
# a bound, not a wait (the copy's start and first tables took over 60 s once with the machine loaded).
COUNTER_POLLS = 6_000
POLL_SECONDS = 0.05


@pytest.fixture(scope="module")
def demo_with_posts(demo_run, tmp_path_factory, registry) -> Path:
    """The demo archive, plus posts checked from the synthetic answers of tests/fixtures/posts/."""
    path = demo_run.copy_to(tmp_path_factory.mktemp("demo"))
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
        if name not in (*SEARCH_SHADOW_TABLES, "_sqlite_migrations", "alembic_version")
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
    # The summary docs/postgresql.md shows, but for where the archives are.
    shown = output_shown_after(DOCS / "postgresql.md", "the summary goes to stdout")
    printed = there.stdout.replace(str(demo_with_posts), "data/archive.db").replace(postgres_url, DOCS_URL)
    assert matches(shown, printed), printed
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


def wait_until_the_copy_waits_on(url: str, holder: int, copy: subprocess.Popen[bytes]) -> None:
    """Poll the server (bounded) until the copy waits on the test's uncommitted row, held by the
    session `holder`. The server is shared: other tests' sessions wait on locks of their own."""
    for _ in range(COUNTER_POLLS):
        if waiting_for_a_lock(url, holder) or copy.poll() is not None:
            break
        time.sleep(POLL_SECONDS)
    assert copy.poll() is None, copy.communicate()
    assert waiting_for_a_lock(url, holder)


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
        holding = blocking.execute(text("SELECT pg_backend_pid()")).scalar_one()
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
        wait_until_the_copy_waits_on(postgres_url, holding, copy)
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


def test_a_destination_holding_another_archive_is_refused_before_anything_is_written(
    demo_with_posts, postgres_url, tmp_path, registry
):
    assert migrate(str(demo_with_posts), postgres_url).returncode == 0
    other = tmp_path / "other.db"
    with Archive(other) as archive:
        archive.sync_outlets(registry)
    refused = migrate(str(other), postgres_url)
    assert refused.returncode == 1
    assert refused.stderr.splitlines()[-1].startswith("Error: postgresql://postgres@")
    assert "holds another archive (article_urls differs from" in refused.stderr
    assert "Traceback" not in refused.stderr
    # And the other way: a copy of it in SQLite, edited since, is another archive.
    edited = tmp_path / "edited.db"
    assert migrate(postgres_url, str(edited)).returncode == 0
    with Archive(edited) as archive:
        archive.connection.execute("UPDATE crawl_runs SET status = 'edited' WHERE id = 2")
        archive.connection.commit()
    refused = migrate(postgres_url, str(edited))
    assert (refused.returncode, refused.stdout) == (1, "")
    assert f"Error: {edited}: holds another archive (crawl_runs differs" in refused.stderr


def test_sqlite_to_sqlite_and_a_copy_onto_itself_are_refused_in_one_line(demo_with_posts, tmp_path):
    between_files = migrate(str(demo_with_posts), str(tmp_path / "copy.db"))
    assert between_files.returncode == 1
    assert "`sourcevault export --format sqlite`" in between_files.stderr
    assert not (tmp_path / "copy.db").exists()


# The commands that work on a PostgreSQL archive: search, show and stats (tests/test_search_backends.py),
# crawl (tests/test_postgres_writing.py), workers (tests/test_work_leases.py), the others
# (tests/test_postgres_commands.py).
ON_POSTGRESQL = {
    *(("briefing", name) for name in ("add", "attach", "list", "recheck", "report")),
    *(("posts", name) for name in ("add", "list", "recheck", "search", "show")),
    *((name,) for name in ("clusters", "crawl", "demo", "duplicates", "export", "import", "reextract")),
    *((name,) for name in ("report", "search", "show", "stats", "workers")),
}


def commands_with_a_db_option(group: click.Group, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found = []
    for name, command in sorted(group.commands.items()):
        if isinstance(command, click.Group):
            found += commands_with_a_db_option(command, (*path, name))
        elif any(parameter.name == "db_path" for parameter in command.params):
            found.append((*path, name))
    return found


@pytest.mark.parametrize(
    "command",
    [found for found in commands_with_a_db_option(main) if found not in ON_POSTGRESQL],
    ids=" ".join,
)
def test_every_other_command_refuses_a_postgresql_archive_in_one_line(command, cli):
    result = cli(*command, "--db", "postgresql://sourcevault@127.0.0.1:1/archive")
    typed = " ".join(["sourcevault", *command])
    assert (result.exit_code, result.output) == (
        1,
        f"Error: {typed} reads SQLite archives only: serve a read-only copy,"
        " `sourcevault export --format sqlite -o FILE`\n",
    )


def test_every_command_with_an_archive_is_checked_for_refusing_postgresql():
    assert {("search",), ("serve",), ("crawl",), ("briefing", "add"), ("posts", "list")} <= set(
        commands_with_a_db_option(main)
    )


@pytest.mark.parametrize(
    "arguments",
    [
        ["migrate-archive", "data/archive.db", "postgresql://sourcevault@127.0.0.1:1/archive"],
        ["export", "--format", "sqlite", "-o", "copy.db", "--db", "postgresql://sourcevault@127.0.0.1:1/a"],
    ],
)
def test_without_the_postgresql_extra_a_postgresql_url_names_the_extra_to_install(arguments, tmp_path):
    # psycopg as if not installed: an import of it fails as a missing package's does.
    script = (
        "import sys\nsys.modules['psycopg'] = None\nfrom crawler.cli import main\n"
        f"main({arguments!r}, prog_name='sourcevault')\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True, timeout=60, check=False
    )
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr == (
        "Error: a postgresql:// archive needs the 'postgresql' extra (psycopg is missing):"
        " pip install 'sourcevault[postgresql]'\n"
    )


def test_export_sqlite_of_a_postgresql_archive_is_a_read_only_copy_serve_opens(
    demo_with_posts, postgres_url, tmp_path, cli
):
    assert migrate(str(demo_with_posts), postgres_url).returncode == 0
    served = tmp_path / "served.db"
    result = cli("export", "--format", "sqlite", "-o", str(served), "--db", postgres_url)
    assert result.exit_code == 0, result.output
    assert f"to {served} (`sourcevault serve --db {served}`)" in result.output
    assert stat.S_IMODE(served.stat().st_mode) == 0o444
    assert sorted(path.name for path in tmp_path.iterdir()) == ["served.db"]  # no -wal, -shm, .part
    original, copy = every_row(demo_with_posts), every_row(served)
    assert all(copy[table] == original[table] for table in original)
    assert what_commands_say(cli, served) == what_commands_say(cli, demo_with_posts)
    refused = cli("export", "--format", "sqlite", "--query", "颱風", "-o", str(served), "--db", postgres_url)
    assert refused.exit_code == 1
    process, base, _ = start_serving(served, dict(os.environ))
    try:
        status, _, page = _get(f"{base}/archive/articles.json?_shape=array&_col=title&id=3")
    finally:
        stop_serving(process)
    assert status == 200
    assert json.loads(page)[0]["title"] == "血濺桃機 他把老婆丟下樓再跳樓"


def test_export_sqlite_of_an_sqlite_archive_is_its_backup(demo_with_posts, tmp_path, cli):
    copy = tmp_path / "copy.db"
    result = cli("export", "--format", "sqlite", "-o", str(copy), "--db", str(demo_with_posts))
    assert result.exit_code == 0, result.output
    assert every_row(copy) == every_row(demo_with_posts)
    assert stat.S_IMODE(copy.stat().st_mode) == 0o444
    onto_itself = cli(
        "export", "--format", "sqlite", "-o", str(demo_with_posts), "--db", str(demo_with_posts)
    )
    assert onto_itself.exit_code == 1
    assert "the copy cannot replace the archive it copies" in onto_itself.output
