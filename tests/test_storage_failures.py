"""A full disk, for real: the archive on a small tmpfs that a test fills up in the middle of a crawl.

The crawl stops with exit status 1 and one line saying why; its run is recorded as failed with
that reason (in the room the crawl keeps free beside the archive: on a full disk SQLite cannot
write even that); nothing archived is lost, and the pages it could not store stay queued. Killed
with SIGKILL while it fails, it leaves the same; the next crawl, with room again, completes.

Mounting a tmpfs needs root (CAP_SYS_ADMIN): elsewhere these tests are skipped, saying so.
"""

from __future__ import annotations

import errno
import random
import shutil
import sqlite3
import subprocess
import threading
from collections.abc import Iterator
from contextlib import closing, contextmanager, suppress
from pathlib import Path

import pytest

from crawler import exit_status
from crawler.archive import Archive
from crawler.cli import DEMO_SNAPSHOT
from tests.helpers import SOURCEVAULT, invoke, run_sourcevault
from tests.loopback import FAST_CRAWL, LoopbackSite, outlet_toml
from tests.test_resume import wait

pytestmark = pytest.mark.slow

DISK_BYTES = 64 << 20
ARTICLES = 24
CONCURRENCY = 4
# The crawl's next articles, one per request it may have in flight, are held unanswered: the disk is
# filled while the crawl waits for them (and has stored every article answered before), so that the
# crawl meets the full disk only after, and nothing else takes the room it frees then. The first
# stays held until the test lets go, so the crawl is still failing (waiting for it to close) when
# the test looks, or kills it.
HELD = tuple(f"/daily/a/{number}" for number in range(10, 10 + CONCURRENCY))
# Common characters, drawn at random into long articles: each adds hundreds of kilobytes to the
# archive (its text, versions, search index, original), far more than the write-ahead log can
# take back once the disk is full.
CHARACTERS = (
    "的一是在不了有和人這中大為上個國我以要他時來用們生到作地於出就分對成會可主發年動同工也能下過子說產種"
    "面而方後多定行學法所民得經十三之進著等部度家電力裡如水化高自二理起小物現實加量都兩體制機當使點從業本"
    "去把性好應開它合還因由其些然前外天政四日那社義事平形相全表間樣與關各重新線內數正心反你明看原又麼利比"
    "或但質氣第向道命此變條只沒結解問意建月公無系軍很情者最立代想已通並提直題黨程展五果料象員革位入常文總"
    "次品式活設及管特件長求老頭基資邊流路級少圖山統接知較將組見計別她手角期根論運農指幾九區強放決西被幹做"
    "必戰先回則任取據處理府研質"
)
PARAGRAPHS_PER_ARTICLE = 80
PARAGRAPH_CHARACTERS = 250


def article_page(number: int, rng: random.Random, paragraphs_per_article: int) -> bytes:
    paragraphs = "".join(
        "<p>" + "".join(rng.choice(CHARACTERS) for _ in range(PARAGRAPH_CHARACTERS)) + "。</p>"
        for _ in range(paragraphs_per_article)
    )
    return (
        f"<!DOCTYPE html><html lang='zh-Hant'><head><meta charset='utf-8'><title>第{number}則</title></head>"
        f"<body><h1 class='headline'>第{number}則長篇報導</h1><span class='author'>王小明</span>"
        f"<time datetime='2026-11-01T08:00:00+08:00'>2026-11-01 08:00</time>"
        f"<article>{paragraphs}</article></body></html>"
    ).encode()


@contextmanager
def small_disk(folder: Path, size: int = DISK_BYTES) -> Iterator[Path]:
    """A tmpfs of `size` bytes mounted on `folder`, unmounted after."""
    folder.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)],
        capture_output=True,
        text=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (needs root): {mounted.stderr.strip()}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "--lazy", str(folder)], check=True)


def fill_up(path: Path) -> None:
    """Write `path` until the disk holding it has no byte left (in ever smaller pieces)."""
    with path.open("wb", buffering=0) as filler:
        for piece in (1 << 20, 4096, 1):
            with suppress(OSError):
                while True:
                    filler.write(bytes(piece))
    one_more = path.parent / "one-more-byte"
    with pytest.raises(OSError) as full:
        one_more.write_bytes(b"x")
    one_more.unlink()
    assert full.value.errno == errno.ENOSPC


class CrawlWatch:
    """A crawl in its own process, its stderr read line by line as it comes."""

    def __init__(self, registry: Path, database: Path):
        command = [str(SOURCEVAULT), "crawl", "--registry", str(registry), "--db", str(database), *FAST_CRAWL]
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.lines: list[str] = []
        self._changed = threading.Condition()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            with self._changed:
                self.lines.append(line.rstrip("\n"))
                self._changed.notify_all()
        with self._changed:
            self._changed.notify_all()

    def wait_for_line(self, part: str, timeout: float = 240) -> str:
        """The first stderr line holding `part`, once the crawl has printed it."""
        with self._changed:
            self._changed.wait_for(
                lambda: any(part in line for line in self.lines) or not self._reader.is_alive(), timeout
            )
            found = [line for line in self.lines if part in line]
        assert found, f"the crawl never said {part!r}: {self.lines}"
        return found[0]

    def finish(self) -> int:
        status = self.process.wait(timeout=300)
        self._reader.join(timeout=30)
        return status


def serve_articles(
    site: LoopbackSite, folder: Path, paragraphs_per_article: int = PARAGRAPHS_PER_ARTICLE
) -> Path:
    rng = random.Random(13)
    paths = [f"/daily/a/{number}" for number in range(1, ARTICLES + 1)]
    for number, path in enumerate(paths, start=1):
        site.add(path, article_page(number, rng, paragraphs_per_article))
    site.add_feed("/daily/feed.xml", paths)
    for path in HELD:
        site.fault(path, "hold")
    registry = folder / "outlets.toml"
    registry.write_text(
        outlet_toml("daily", site.base_url, feeds=["/daily/feed.xml"], concurrency=CONCURRENCY),
        encoding="utf-8",
    )
    return registry


def articles_stored(database: Path) -> int:
    with closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True)) as connection:
        return connection.execute("SELECT count(*) FROM captures WHERE page_kind = 'article'").fetchone()[0]


def crawl_until_the_disk_is_full(site: LoopbackSite, registry: Path, disk: Path) -> tuple[CrawlWatch, str]:
    """Start a crawl, fill the disk while it waits for HELD; the crawl and the reason it logged."""
    database = disk / "archive.db"
    crawl = CrawlWatch(registry, database)
    for path in HELD:
        site.wait_for_request(path)

    # The disk is filled once every article the site has answered is stored: the crawl then waits on
    # HELD alone. Which articles came first varies (on a busy machine the crawl may fetch all the
    # others before the last of HELD), the crawl commits them in batches, and a page counts once.
    def answered() -> int:
        return len({hit.path for hit in site.requests if hit.path.startswith("/daily/a/")} - set(HELD))

    assert wait(lambda: articles_stored(database) == answered()), (
        f"{articles_stored(database)} articles stored, {answered()} answered"
    )
    # The write-ahead log is emptied into the archive and cut to nothing first. A log that a
    # checkpoint has rewound is written again from its start, in room it already holds: the crawl
    # would store a dozen more articles in it on the full disk before it needed a byte more.
    with closing(sqlite3.connect(database)) as connection:
        assert wait(lambda: connection.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0] == 0)
    assert Path(f"{database}-wal").stat().st_size == 0
    fill_up(disk / "filler")
    for path in HELD[1:]:
        site.release(path)
    logged = crawl.wait_for_line(": the crawl stops")
    reason = logged.split("ERROR: ", 1)[1].split(f" ({disk / 'archive.db'})", 1)[0]
    assert reason.startswith("the archive cannot be written: "), logged
    return crawl, reason


def check_failed_run(database: Path, reason: str) -> sqlite3.Connection:
    connection = sqlite3.connect(database)
    assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert connection.execute("SELECT id, status, finish_reason, exit_status FROM crawl_runs").fetchall() == [
        (1, "failed", reason, exit_status.FAILED)
    ]
    # The pages it could not store are still queued; none was stored twice.
    (stored,) = connection.execute("SELECT count(*) FROM articles").fetchone()
    (waiting,) = connection.execute(
        "SELECT count(*) FROM article_fetch_queue WHERE state = 'waiting'"
    ).fetchone()
    assert stored > 0 and waiting > 0 and stored + waiting >= ARTICLES - 1
    assert not connection.execute(
        "SELECT url FROM captures WHERE outcome = 'article' GROUP BY url HAVING count(*) > 1"
    ).fetchall()
    return connection


def rerun_completes(registry: Path, disk: Path) -> None:
    """With room again, the next crawl archives every article, each once."""
    (disk / "filler").unlink()
    database = disk / "archive.db"
    result = run_sourcevault("crawl", "--registry", str(registry), "--db", str(database), *FAST_CRAWL)
    assert result.returncode == 0, result.stderr
    connection = sqlite3.connect(database)
    assert connection.execute("SELECT count(*), count(DISTINCT article_id) FROM articles").fetchone() == (
        ARTICLES,
        ARTICLES,
    )
    assert not connection.execute(
        "SELECT url FROM captures WHERE outcome = 'article' GROUP BY url HAVING count(*) > 1"
    ).fetchall()
    assert [status for (status,) in connection.execute("SELECT status FROM crawl_runs ORDER BY id")] == [
        "failed",
        "finished",
    ]
    assert connection.execute(
        "SELECT count(*) FROM article_fetch_queue WHERE state != 'done'"
    ).fetchone() == (0,)
    assert not Path(f"{database}.reserve").exists() and not Path(f"{database}.lock").exists()


def test_a_full_disk_stops_the_crawl_in_one_line_and_records_the_run_as_failed(tmp_path):
    site = LoopbackSite()
    with site.running(), small_disk(tmp_path / "disk") as disk:
        registry = serve_articles(site, tmp_path)
        crawl, reason = crawl_until_the_disk_is_full(site, registry, disk)
        site.release(HELD[0])
        assert crawl.finish() == exit_status.FAILED
        assert not any("Traceback" in line for line in crawl.lines), crawl.lines
        assert crawl.lines[-1] == f"Error: crawl ended early: {reason}"
        check_failed_run(disk / "archive.db", reason)
        report = invoke("report", "--db", str(disk / "archive.db"))
        assert f"ALERT crawl: run 1 ended early ({reason})" in report.stdout
        assert "its process died" not in report.stdout
        rerun_completes(registry, disk)


def test_a_crawl_killed_while_the_disk_is_full_leaves_a_run_the_next_completes(tmp_path):
    site = LoopbackSite()
    with site.running(), small_disk(tmp_path / "disk") as disk:
        registry = serve_articles(site, tmp_path)
        crawl, reason = crawl_until_the_disk_is_full(site, registry, disk)
        # Still failing: it waits for the first of HELD before it can close.
        assert crawl.process.poll() is None
        crawl.process.kill()
        crawl.finish()
        check_failed_run(disk / "archive.db", reason)
        site.release(HELD[0])
        rerun_completes(registry, disk)


@pytest.mark.parametrize(
    ("room", "line"),
    [
        (0, "Error: {db}: cannot take the write lock {db}.lock (No space left on device)"),
        (
            512 << 10,
            "Error: crawl ended early: {db}: no room for the archive: cannot keep 1,048,576 bytes free"
            " beside it (No space left on device)",
        ),
    ],
    ids=["no room at all", "less room than the reserve"],
)
def test_a_crawl_with_no_room_to_start_says_so_in_one_line(tmp_path, room, line):
    with small_disk(tmp_path / "disk", 4 << 20) as disk:
        database = disk / "archive.db"
        Archive(database).close()
        before = database.read_bytes()
        fill_up(disk / "filler")
        if room:
            (disk / "filler").unlink()
            with (disk / "filler").open("wb") as filler:
                filler.truncate(0)
                filler.write(bytes(shutil.disk_usage(disk).free - room))
        result = run_sourcevault("crawl", "--replay", str(DEMO_SNAPSHOT), "--db", str(database))
        assert "Traceback" not in result.stderr
        assert (result.returncode, result.stderr.strip()) == (exit_status.FAILED, line.format(db=database))
        assert database.read_bytes() == before
        assert sorted(path.name for path in disk.iterdir()) == ["archive.db", "filler"]
