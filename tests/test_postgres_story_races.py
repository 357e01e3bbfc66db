"""Near copies of one story stored at once into a PostgreSQL archive, a crawl's and an import's, each
in its own session and transaction: the second to look for copies waits for the first's commit and
links to it, so both join one cluster (crawler/archive/postgres/races.py, `hold_story_keys`). An
article updated while a copy links to its old text: the two wait for each other, PostgreSQL ends
one as deadlocked, and it runs again."""

from __future__ import annotations

import json
import threading
from pathlib import Path

from sqlalchemy import create_engine, text

from crawler import exit_status
from crawler.archive import Archive
from crawler.archive.postgres.connection import engine_url
from crawler.research.importing import import_record
from tests.helpers import text_capture
from tests.test_crawl_workers import archive_rows, until
from tests.test_dedup import BUDGET
from tests.test_import_races import counted, importer
from tests.test_postgres_beside_crawls import waiting_for_a_lock

CRAWLED = "https://www.cna.com.tw/news/aipl/202612030001.aspx"
IMPORTED = "https://udn.com/news/story/7315/9100001"
# The same wire story, one figure edited and a sentence lengthened: near, not exact, copies.
EDITED = BUDGET.replace("百分之五", "百分之四點八").replace(
    "以利國會監督。", "以利國會監督，預算案隨後咨請總統公布。"
)
# The crawled article as its outlet changed it later.
UPDATED = BUDGET.replace("三個月內", "兩個月內")
# An exact copy of it on another site, before its change.
WIRED = "https://news.ltn.com.tw/news/politics/breakingnews/9100002"


def record(url: str, body: str) -> bytes:
    """A JSON line for `sourcevault import`."""
    line = {
        "url": url,
        "title": "總預算案三讀通過",
        "body": body,
        "published_at": "2026-12-03T11:00:00+08:00",
    }
    return json.dumps(line, ensure_ascii=False).encode()


def edited_copy(folder: Path) -> Path:
    """The near copy, as a file to import."""
    path = folder / "records.jsonl"
    path.write_bytes(record(IMPORTED, EDITED) + b"\n")
    return path


def test_near_copies_stored_at_once_by_a_crawl_and_an_import_join_one_cluster(
    postgres_url, registry, tmp_path
):
    # Search indexing left for later: its totals are kept in rows that sessions share (one in
    # sixteen would share this one's with the import's, which would wait for this commit for it).
    crawl = Archive(postgres_url, defer_search_index=True)
    crawl.sync_outlets(registry)
    capture = text_capture(registry, CRAWLED, "預算三讀", BUDGET)
    with crawl.db.atomic():
        (holder,) = crawl.connection.execute("SELECT pg_backend_pid()").fetchone() or (0,)
        crawled = crawl.store(capture, run_id=None, outlet=registry.get(capture.outlet))
        # The crawl's copy stored, not committed: the import stores its own meanwhile, or waits.
        importing = importer(edited_copy(tmp_path), postgres_url)
        until(lambda: waiting_for_a_lock(postgres_url, holder) or importing.poll() is not None)
    crawl.close()
    out, err = importing.communicate(timeout=300)
    assert importing.returncode == exit_status.OK, err
    assert counted(out) == (1, 0, 0)
    assert crawled.change == "new" and crawled.links == ()
    assert archive_rows(postgres_url, "SELECT url FROM articles WHERE cluster_id IS NULL") == []
    assert archive_rows(postgres_url, "SELECT count(*), count(DISTINCT cluster_id) FROM articles") == [(2, 1)]
    assert archive_rows(
        postgres_url, "SELECT l.reason, a.url FROM cluster_links l JOIN articles a ON a.id = l.linked_article"
    ) == [("near_duplicate", CRAWLED)]


def test_an_article_updated_while_a_copy_links_to_its_old_text_deadlocks_once_then_both_join_one_cluster(
    postgres_url, registry
):
    before = Archive(postgres_url)
    before.sync_outlets(registry)
    for url, body in ((CRAWLED, BUDGET), (WIRED, BUDGET)):
        import_record(before, registry, record(url, body), url)
    # Search indexing left for later, as in the test above.
    copying, updating = Archive(postgres_url), Archive(postgres_url, defer_search_index=True)
    (updater,) = updating.connection.execute("SELECT pg_backend_pid()").fetchone() or (0,)
    changes: dict[str, str] = {}

    def store(archive: Archive, url: str, body: str) -> threading.Thread:
        storing = threading.Thread(
            target=lambda: changes.__setitem__(url, import_record(archive, registry, record(url, body), url))
        )
        storing.start()
        return storing

    engine = create_engine(engine_url(postgres_url))
    with engine.connect() as holding:
        # The update, its article's row locked, waits here to take the article out of its cluster;
        # the copy takes its story keys and, linking to the article's old text, waits for that row.
        holding.execute(text("SELECT 1 FROM clusters FOR UPDATE"))
        holder = holding.execute(text("SELECT pg_backend_pid()")).scalar_one()
        update = store(updating, CRAWLED, UPDATED)
        until(lambda: waiting_for_a_lock(postgres_url, holder) or not update.is_alive())
        copy = store(copying, IMPORTED, EDITED)
        until(lambda: waiting_for_a_lock(postgres_url, updater) or not copy.is_alive())
        # Let go: the update then waits for the copy's story keys.
        holding.rollback()
    engine.dispose()
    for storing in (copy, update):
        storing.join(timeout=60)
    assert changes == {IMPORTED: "new", CRAWLED: "updated"}
    assert archive_rows(postgres_url, "SELECT count(*), count(DISTINCT cluster_id) FROM articles") == [(3, 1)]
    assert archive_rows(postgres_url, "SELECT url FROM articles WHERE cluster_id IS NULL") == []
    for archive in (before, copying, updating):
        archive.close()
