"""The worker pool and batched writes change how fast a crawl goes, never what it archives.

The same crawl is run twice, each in a `sourcevault` process of its own: with extraction in worker
processes and captures and their search rows committed in batches, and with both switched off by
settings (EXTRACT_WORKERS=0, ARCHIVE_COMMIT_PAGES=1). Both archives must hold the same articles,
versions, story clusters, captures and search results: on the bundled demo snapshot, with the
defaults (a crawl that short never starts the pool: its articles and captures keep their ids), and
on the crawl benchmark's loopback site (real paragraphs recombined, exact and near copies across
outlets) with the pool from the first page.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sqlite3
import threading
from multiprocessing.connection import Connection
from pathlib import Path

import pytest
from scrapy.exceptions import NotConfigured
from scrapy.utils.test import get_crawler

from bench.crawl_site import build, registry_toml
from crawler import settings as project_settings
from crawler.archive import Archive
from crawler.cli.crawling import DEMO_SNAPSHOT
from crawler.registry import Registry
from crawler.search.query import parse_query
from crawler.search.results import search
from crawler.warc_snapshots import Snapshot
from pipelines.worker_pool import WorkerPoolPipeline, _start_worker, default_workers
from tests.helpers import run_sourcevault
from tests.loopback import FAST_CRAWL, LoopbackSite
from tests.test_resume import crawl_process, serve_articles, wait

pytestmark = pytest.mark.slow
SWITCHED_OFF = ("-s", "EXTRACT_WORKERS=0", "-s", "ARCHIVE_COMMIT_PAGES=1")
# The pool as configured by default on a machine of three cores, started after its first pages.
DEFAULTS = ("-s", "EXTRACT_WORKERS=2", "-s", "ARCHIVE_COMMIT_PAGES=50")
SWITCHED_ON = (*DEFAULTS, "-s", "EXTRACT_POOL_AFTER_PAGES=0")
KEY = "a.outlet, a.article_id, a.edition"
# Everything an extraction and the language stage put in an article, and its story fingerprint.
ARTICLE_COLUMNS = (
    "url, canonical_url, title, body, published_at, modified_at, authors, tags, language, script,"
    " language_tag, script_mismatch, title_simplified, body_simplified, body_hash, current_version,"
    " removed_at"
)
QUERIES = ("台灣", "颱風", "政府", "中", "經濟", '"新聞"', "的")
SITE_PAGES = 150


def archived(database: Path) -> dict[str, object]:
    """What a crawl archived, by article key: articles, versions, clusters, captures, search results.

    Not which links a cluster is made of: an article finds the copies archived before it, so the
    links follow the order pages happened to arrive in, with or without the pool; the clusters do not.
    """
    connection = sqlite3.connect(database)
    articles = connection.execute(
        f"SELECT {KEY}, {', '.join(f'a.{c.strip()}' for c in ARTICLE_COLUMNS.split(','))}"
        f" FROM articles a ORDER BY {KEY}"
    ).fetchall()
    versions = connection.execute(
        f"SELECT {KEY}, v.version, v.content_hash, v.title, v.body FROM article_versions v"
        f" JOIN articles a ON a.id = v.article ORDER BY {KEY}, v.version"
    ).fetchall()
    keys = {row[0]: tuple(row[1:]) for row in connection.execute(f"SELECT a.id, {KEY} FROM articles a")}
    clusters: dict[int, set[tuple[str, ...]]] = {}
    for article, cluster in connection.execute(
        "SELECT id, cluster_id FROM articles WHERE cluster_id IS NOT NULL"
    ):
        clusters.setdefault(cluster, set()).add(keys[article])
    reasons = {reason for (reason,) in connection.execute("SELECT DISTINCT reason FROM cluster_links")}
    captures = connection.execute(
        "SELECT url, page_kind, outcome, outcome_reason, body_sha256 FROM captures ORDER BY url, page_kind"
    ).fetchall()
    capture_ids = connection.execute("SELECT id, url, page_kind FROM captures ORDER BY id").fetchall()
    connection.close()
    with Archive(database, readonly=True) as archive:
        results = {}
        for query in QUERIES:
            found = search(archive.connection, parse_query(query), limit=50)
            results[query] = (found.total, sorted((keys[hit.id], round(hit.score, 6)) for hit in found.hits))
    return {
        "article ids": sorted(keys.items()),
        "capture ids": capture_ids,
        "articles": articles,
        "versions": versions,
        "clusters": sorted(sorted(cluster) for cluster in clusters.values()),
        "link reasons": reasons,
        "captures": captures,
        "search": results,
    }


def crawl_both_ways(
    tmp_path: Path, *arguments: str, switched_on: tuple[str, ...] = SWITCHED_ON
) -> tuple[dict[str, object], dict[str, object]]:
    made = []
    for name, settings in (("on", switched_on), ("off", SWITCHED_OFF)):
        database = tmp_path / f"{name}.db"
        result = run_sourcevault("crawl", *arguments, "--db", str(database), *settings, timeout=600)
        assert result.returncode == 0, result.stderr
        made.append(archived(database))
    return made[0], made[1]


def assert_same(on: dict[str, object], off: dict[str, object], *, ids: bool = True) -> None:
    for part, archived_off in off.items():
        if ids or part not in ("article ids", "capture ids"):
            assert on[part] == archived_off, part


def test_the_demo_archives_the_same_with_the_pool_and_batches_as_without(tmp_path, registry):
    hosts = Snapshot(DEMO_SNAPSHOT).hosts()
    recorded = [outlet.slug for outlet in registry if any(outlet.owns_host(host) for host in hosts)]
    on, off = crawl_both_ways(tmp_path, *recorded, "--replay", str(DEMO_SNAPSHOT), switched_on=DEFAULTS)
    assert on["articles"] and on["clusters"] and any(total for total, _ in on["search"].values())  # type: ignore[union-attr]
    assert_same(on, off)


def test_the_benchmark_site_archives_the_same_with_the_pool_and_batches_as_without(tmp_path):
    site = LoopbackSite()
    with site.running():
        build(site, SITE_PAGES, seed=17)
        registry = tmp_path / "outlets.toml"
        registry.write_text(registry_toml(site.base_url, concurrency=8), encoding="utf-8")
        on, off = crawl_both_ways(tmp_path, "--registry", str(registry), *FAST_CRAWL)
    assert len(on["articles"]) == SITE_PAGES  # type: ignore[arg-type]
    # The site's exact and near copies across outlets are found both ways.
    assert {"exact_body_hash", "near_duplicate"} <= on["link reasons"]  # type: ignore[operator]
    # Not the ids: which of eight concurrent loopback fetches answers first varies between any
    # two crawls, pool or not, and the archive stores pages in the order they were fetched (with
    # the pool too: in the order they entered it, whichever worker finishes first).
    assert_same(on, off, ids=False)


def children(pid: int) -> set[int]:
    try:
        return {int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()}
    except FileNotFoundError:
        return set()


def running(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def test_a_crawl_killed_leaves_no_worker_process_behind(tmp_path):
    """The workers are the fork server's children, not the crawl's: they end with the crawl all the same."""
    site = LoopbackSite()
    with site.running():
        registry = serve_articles(site, tmp_path, count=3, concurrency=4)
        site.fault("/daily/a/3", "hold")
        crawl = crawl_process(registry, tmp_path / "archive.db", *SWITCHED_ON)
        try:
            site.wait_for_request("/daily/a/3")
            # The pool's fork server (the crawl's child) and its workers (the fork server's).
            assert wait(lambda: any(children(server) for server in children(crawl.pid)))
            pool = {pid for server in children(crawl.pid) for pid in {server, *children(server)}}
            os.kill(crawl.pid, signal.SIGKILL)
            crawl.wait()
            assert wait(lambda: not any(running(pid) for pid in pool)), "the pool outlived its crawl"
        finally:
            site.release("/daily/a/3")
            if crawl.poll() is None:
                crawl.kill()


def test_a_worker_killed_mid_crawl_loses_no_page_and_the_crawl_goes_on_to_its_end(tmp_path):
    """The pages sent to a pool whose worker died are processed in the crawl's own process, and a new
    pool takes the next ones: the crawl ends, every page archived once, none failed.

    Until the broken pool's workers had a lifeline, about one run in twenty hung at exit: the worker
    submit() was starting as the pool broke was never terminated, and its executor joined it for ever.
    """
    site = LoopbackSite()
    with site.running():
        # One request at a time: the pages after the held one reach the pool after the kill.
        registry = serve_articles(site, tmp_path, count=12, concurrency=1)
        site.fault("/daily/a/3", "hold")
        database = tmp_path / "archive.db"
        crawl = crawl_process(registry, database, *SWITCHED_ON)
        try:
            site.wait_for_request("/daily/a/3")
            assert wait(lambda: any(children(server) for server in children(crawl.pid)))
            for worker in {pid for server in children(crawl.pid) for pid in children(server)}:
                os.kill(worker, signal.SIGKILL)
        finally:
            site.release("/daily/a/3")
        try:
            _, errors = crawl.communicate(timeout=300)
        finally:
            if crawl.poll() is None:
                crawl.kill()
    assert crawl.returncode == 0, errors
    connection = sqlite3.connect(database)
    articles = connection.execute("SELECT url, count(*) FROM articles GROUP BY url").fetchall()
    failed = connection.execute(
        "SELECT url, outcome_reason FROM captures WHERE outcome = 'failed' AND url LIKE '%/daily/a/%'"
    ).fetchall()
    connection.close()
    # The held page's connection closed on it is fetched again (Scrapy's retry), as any page is.
    assert failed == []
    assert sorted(int(url.rsplit("/", 1)[1]) for url, count in articles if count == 1) == list(range(1, 13))
    assert ": worker pool: BrokenProcessPool: " in errors


def serve_until_the_lifeline_ends(lifeline: Connection) -> None:
    """A pool worker as its executor starts it, then idle: waiting for work that never comes."""
    _start_worker(Registry([], Path("synthetic.toml")), 0, lifeline)
    threading.Event().wait()


def test_a_worker_ends_once_its_pools_lifeline_does():
    """What ends a worker its broken pool's executor missed (`WorkerPoolPipeline._shut_down`)."""
    context = multiprocessing.get_context("forkserver")
    workers_end, lifeline = context.Pipe(duplex=False)
    worker = context.Process(target=serve_until_the_lifeline_ends, args=(workers_end,))
    worker.start()
    workers_end.close()
    try:
        lifeline.close()
        worker.join(timeout=120)
        assert worker.exitcode == 1
    finally:
        if worker.exitcode is None:
            worker.kill()


@pytest.mark.parametrize("setting", [0, "0", -1])
def test_extract_workers_0_switches_the_pool_off(setting):
    with pytest.raises(NotConfigured):
        WorkerPoolPipeline.from_crawler(get_crawler(settings_dict={"EXTRACT_WORKERS": setting}))


def test_by_default_one_worker_per_core_but_the_crawls_own_and_none_on_one_core(monkeypatch):
    assert default_workers() == len(os.sched_getaffinity(0)) - 1
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0})
    default = {"EXTRACT_WORKERS": project_settings.EXTRACT_WORKERS}
    with pytest.raises(NotConfigured):
        WorkerPoolPipeline.from_crawler(get_crawler(settings_dict=default))
