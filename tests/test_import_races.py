"""Imports of one file at once, as users start them (processes of their own): into one PostgreSQL
archive, three store each record once (crawler/archive/postgres/races.py, `hold_import`); into one
SQLite archive, the second exits 75 at once, naming the first."""

from __future__ import annotations

import json
import re
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy import Engine, create_engine, text

from crawler import exit_status
from crawler.archive import Archive
from crawler.archive.lock import CrawlLock
from crawler.archive.postgres.connection import engine_url
from tests.helpers import SOURCEVAULT, run_sourcevault
from tests.test_crawl_workers import archive_rows, until

RECORDS = 3
IMPORTERS = 3


def records(folder: Path) -> Path:
    """Synthetic JSON lines, one article each."""
    path = folder / "records.jsonl"
    lines = [
        {
            "url": f"https://udn.com/news/story/7315/{900000 + number}",
            "title": f"同時匯入的第{number}則新聞",
            "body": f"同時匯入的第{number}則內文，提到臺灣。" * 10,
            "published_at": "2026-11-01T08:00:00+08:00",
        }
        for number in range(1, RECORDS + 1)
    ]
    path.write_text("".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines), encoding="utf-8")
    return path


def importer(path: Path, db: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [str(SOURCEVAULT), "import", str(path), "--db", db],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def until_waiting_for_locks(engine: Engine, processes: list[subprocess.Popen[str]]) -> None:
    """Wait until a session of each process waits for a lock in the engine's database (or one of
    them has ended)."""
    waiting = text(
        "SELECT count(*) FROM pg_stat_activity"
        " WHERE datname = current_database() AND wait_event_type = 'Lock'"
    )
    # Each look a transaction of its own: one sees the sessions as they were at its first.
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as looking:
        until(
            lambda: (
                any(process.poll() is not None for process in processes)
                or looking.execute(waiting).scalar_one() == len(processes)
            )
        )


def counted(output: str) -> tuple[int, int, int]:
    """An import's new, updated and unchanged articles, from its last line."""
    found = re.search(r": (\d+) new, (\d+) updated, (\d+) unchanged, 0 rejected$", output.strip())
    assert found, output
    new, updated, unchanged = found.groups()
    return int(new), int(updated), int(unchanged)


def test_three_imports_of_one_file_at_once_into_postgresql_store_each_record_once(postgres_url, tmp_path):
    Archive(postgres_url).close()
    path = records(tmp_path)
    engine = create_engine(engine_url(postgres_url))
    with engine.connect() as holding:
        # No capture is written until every importer waits: each has read that the record's capture
        # is missing (or waits for the one that will write it) by then.
        holding.execute(text("LOCK TABLE captures IN EXCLUSIVE MODE"))
        importers = [importer(path, postgres_url) for _ in range(IMPORTERS)]
        until_waiting_for_locks(engine, importers)
        holding.rollback()
    engine.dispose()
    outputs = [process.communicate(timeout=300) for process in importers]
    for process, (_, err) in zip(importers, outputs, strict=True):
        assert process.returncode == exit_status.OK, err
    totals = [sum(column) for column in zip(*(counted(out) for out, _ in outputs), strict=True)]
    assert totals == [RECORDS, 0, RECORDS * (IMPORTERS - 1)]
    captures = archive_rows(
        postgres_url, "SELECT url, count(*) FROM captures GROUP BY url HAVING count(*) > 1"
    )
    assert captures == []
    assert archive_rows(postgres_url, "SELECT count(*) FROM captures") == [(RECORDS,)]
    assert archive_rows(postgres_url, "SELECT count(*) FROM article_versions") == [(RECORDS,)]


def test_a_second_import_into_an_sqlite_archive_exits_75_naming_the_first_which_goes_on(tmp_path):
    database = tmp_path / "archive.db"
    Archive(database).close()
    path = records(tmp_path)
    # SQLite's own write lock, held here: the first import, its archive lock taken, waits for it.
    holding = sqlite3.connect(database, isolation_level=None)
    holding.execute("BEGIN IMMEDIATE")
    first = importer(path, str(database))
    until(lambda: first.poll() is not None or CrawlLock(database).is_taken())
    second = run_sourcevault("import", str(path), "--db", str(database))
    holding.rollback()
    holding.close()
    out, err = first.communicate(timeout=300)
    assert first.returncode == exit_status.OK, err
    assert counted(out) == (RECORDS, 0, 0)
    assert second.returncode == exit_status.ARCHIVE_BUSY
    [line] = second.stderr.strip().splitlines()
    assert line.startswith(
        f"Error: {database}: busy, another sourcevault writes to it (import, pid {first.pid},"
    )
    assert line.endswith("; exiting with status 75")
    with Archive(database, readonly=True) as archive:
        assert archive.db.execute("SELECT count(*) FROM captures").fetchone() == (RECORDS,)
