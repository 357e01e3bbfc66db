"""Bounds on what a remote or a file controls: discovery documents, replayed and manifest bodies,
registry patterns, names given on the command line. Each hostile input ends as a recorded reason
or a one-line error, never a traceback, a hang or a read past its bound.

Everything served or written here is synthetic; crawls run against tests/loopback.py's site.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import sqlite3
from pathlib import Path

import pytest
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from crawler.discovery import JSON_TOO_DEEP, Discovered, read_feed, read_json_api, read_sitemap
from crawler.outlets.huanqiu import read_channel_tree
from crawler.pages import DEFAULT_MAX_PAGE_BYTES
from crawler.registry import JsonApiSource, load_registry, match_article_url
from crawler.registry_file import RegistryError
from crawler.settings import DOWNLOAD_MAXSIZE
from crawler.url_patterns import PATTERN_INPUT_MAX_CHARS
from crawler.warc_snapshots import write_exchange
from tests.helpers import exchange, run_sourcevault
from tests.loopback import FAST_CRAWL, LoopbackSite, outlet_toml, sitemap_index, urlset
from tests.test_registry import GOOD_ENTRY, write

# --- discovery documents ----------------------------------------------------------------------------

API = JsonApiSource(url="https://udn.com/api/more", links="items[*].url")


def test_json_nested_beyond_the_recursion_limit_is_the_documents_problem():
    deep = b'{"items": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    assert read_json_api(deep, API).problem == "not read: JSON nested too deep"


def test_a_channel_tree_nested_too_deep_is_the_documents_problem():
    deep = b'{"children": [' * 100_000 + b'{"node": "1"}' + b"]}" * 100_000
    assert read_channel_tree(deep, "world").problem == JSON_TOO_DEEP


def test_a_number_longer_than_python_reads_is_the_documents_problem():
    digits = b'{"items": [{"url": ' + b"1" * 5000 + b"}]}"
    assert read_json_api(digits, API).problem.startswith("not JSON: Exceeds the limit (4300 digits)")


def test_a_gzipped_sitemap_is_read_to_its_bound_once_decompressed():
    bomb = gzip.compress(urlset(["https://udn.com/news/story/1/2"]) + b" " * 2_000_000)
    problem = read_sitemap(bomb, "https://udn.com/sitemap.xml.gz", max_bytes=1_000_000).problem
    assert problem.startswith("not a sitemap: The number of bytes decompressed so far")
    assert read_sitemap(bomb, "https://udn.com/sitemap.xml.gz", max_bytes=3_000_000).problem is None


def test_a_sitemap_location_that_is_no_url_is_counted_not_raised():
    found = read_sitemap(urlset(["http://[", "https://udn.com/news/story/1/2"]), "https://udn.com/s.xml")
    assert found.links == ("https://udn.com/news/story/1/2",)
    assert found.problem == "not URLs: 1 of its <loc> entries"


# Entity definitions 10 deep, each ten of the one before: 10**15 "lol"s if expanded; and an
# external entity naming a local file.
LAUGHS = '<!ENTITY lol0 "lol">' + "".join(f'<!ENTITY lol{n} "{f"&lol{n - 1};" * 10}">' for n in range(1, 16))
XXE = '<!ENTITY xxe SYSTEM "file:///etc/hostname">'


def test_feeds_expand_no_entity_bomb_and_read_no_local_file():
    feed = (
        f'<?xml version="1.0"?><!DOCTYPE rss [{LAUGHS}{XXE}]><rss version="2.0"><channel>'
        "<title>&lol15;</title><item><title>&xxe;</title><link>https://udn.com/news/story/1/2&xxe;</link></item>"
        "</channel></rss>"
    )
    # expat refuses the bomb; feedparser's lenient parser then leaves the references unexpanded.
    assert read_feed(feed.encode()).links == ("https://udn.com/news/story/1/2&xxe",)


def test_sitemaps_expand_no_entity_bomb_and_read_no_local_file():
    sitemap = (
        f'<?xml version="1.0"?><!DOCTYPE urlset [{LAUGHS}{XXE}]>'
        "<urlset xmlns='http://www.sitemaps.org/schemas/sitemap/0.9'><url><loc>https://udn.com/&lol15;</loc></url>"
        "<url><loc>https://udn.com/&xxe;</loc></url></urlset>"
    )
    found = read_sitemap(sitemap.encode(), "https://udn.com/sitemap.xml")
    assert found == Discovered(problem="sitemap (urlset) lists no URLs")


@pytest.fixture(scope="module")
def bounded_crawl(tmp_path_factory):
    """One crawl with small discovery bounds against documents that exceed them."""
    folder = tmp_path_factory.mktemp("bounded")
    site = LoopbackSite()
    with site.running():
        base = site.base_url
        # A sitemap index chain that never ends: ?n=1 lists ?n=2, which lists ?n=3 ...
        for n in range(1, 21):
            site.add(f"/chain/index?n={n}", sitemap_index([f"{base}/chain/index?n={n + 1}"]))
        # An index of 5 sitemaps of 10 articles each.
        site.add("/wide/index.xml", sitemap_index(f"{base}/wide/s{i}.xml" for i in range(5)))
        for i in range(5):
            site.add(f"/wide/s{i}.xml", urlset(f"{base}/wide/a/{i * 10 + j}" for j in range(10)))
        for n in range(50):
            site.add_article(f"/wide/a/{n}", f"新聞 {n}")
        # A gzipped sitemap, and an article sent gzip-encoded, each 2 MB once decompressed.
        site.add(
            "/api/bomb.xml.gz", gzip.compress(urlset([]) + b" " * 2_000_000), content_type="application/gzip"
        )
        site.add(
            "/api/a/1",
            gzip.compress(b"<html>" + b" " * 2_000_000 + b"</html>"),
            headers=[("Content-Encoding", "gzip")],
        )
        site.add(
            "/api/list.json",
            json.dumps({"items": [{"url": f"{base}/api/a/1"}]}),
            content_type="application/json",
        )
        site.add("/api/deep.json", b'{"items": ' + b"[" * 100_000 + b"]" * 100_000 + b"}")
        registry = folder / "outlets.toml"
        registry.write_text(
            outlet_toml("chain", base, sitemaps=["/chain/index?n=1"])
            + outlet_toml("wide", base, sitemaps=["/wide/index.xml"])
            + outlet_toml(
                "api", base, sitemaps=["/api/bomb.xml.gz"], json_apis=["/api/list.json", "/api/deep.json"]
            ),
            encoding="utf-8",
        )
        database = folder / "archive.db"
        result = run_sourcevault(
            "crawl", "--registry", str(registry), "--db", str(database), *FAST_CRAWL,
            "-s", "DISCOVERY_MAX_DEPTH=2", "-s", "DISCOVERY_MAX_DOCUMENTS=2", "-s", "DISCOVERY_MAX_LINKS=3",
            "-s", "DOWNLOAD_MAXSIZE=1000000",
        )  # fmt: skip
    with sqlite3.connect(database) as db:
        found = dict(db.execute("SELECT url, coalesce(outcome_reason, outcome) FROM captures").fetchall())
    return result, found, {hit.path for hit in site.requests}, base


def test_a_sitemap_index_chain_stops_at_its_depth(bounded_crawl):
    result, found, requested, base = bounded_crawl
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr
    assert {path for path in requested if path.startswith("/chain/")} == {
        f"/chain/index?n={n}" for n in (1, 2, 3)
    }
    assert found[f"{base}/chain/index?n=3"] == (
        "3 levels deep, more than DISCOVERY_MAX_DEPTH (2): the documents it lists (1) not read"
    )


def test_an_index_is_read_to_its_document_bound_and_a_sitemap_to_its_url_bound(bounded_crawl):
    _, found, requested, base = bounded_crawl
    assert {path for path in requested if path.startswith("/wide/s")} == {"/wide/s0.xml", "/wide/s1.xml"}
    assert found[f"{base}/wide/index.xml"] == "lists 5 documents: the first 2 read (DISCOVERY_MAX_DOCUMENTS)"
    assert found[f"{base}/wide/s0.xml"] == "lists 10 URLs: the first 3 taken (DISCOVERY_MAX_LINKS)"
    articles = {path for path in requested if path.startswith("/wide/a/")}
    assert articles == {f"/wide/a/{n}" for n in (0, 1, 2, 10, 11, 12)}


def test_decompressed_bodies_stop_at_the_download_bound(bounded_crawl):
    _, found, _, base = bounded_crawl
    assert found[f"{base}/api/bomb.xml.gz"].startswith(
        "not a sitemap: The number of bytes decompressed so far"
    )
    assert "exceeded DOWNLOAD_MAXSIZE (1000000 B) during decompression" in found[f"{base}/api/a/1"]
    assert found[f"{base}/api/deep.json"] == "not read: JSON nested too deep"


# --- registry patterns ------------------------------------------------------------------------------


@pytest.mark.parametrize("pattern", [r"(a+)+", r"(\w*)*", r"(?:\d+\s?)+", r"(?:[^/]+/?)+", r"(.*a){12}"])
def test_a_pattern_that_can_backtrack_forever_is_refused_at_load(tmp_path, pattern):
    nested = f"^https://news\\.example\\.org/{pattern}/(?P<id>\\d+)$"
    entry = GOOD_ENTRY.replace(
        "url_pattern = '^https://news\\.example\\.org/a/(?P<id>\\d+)$'", f"url_pattern = '{nested}'"
    )
    with pytest.raises(RegistryError) as refused:
        load_registry(write(tmp_path, entry))
    [line] = str(refused.value).splitlines()
    assert "outlet 'example': field 'article.url_pattern': regular expression" in line
    assert "nests quantifiers, as (a+)+ does" in line


def test_each_of_several_url_patterns_is_checked_and_named(tmp_path):
    several = (
        "[[outlet.article.url_patterns]]\nname = 'story'\nregex = '^https://news\\.example\\.org/a/(?P<id>\\d+)$'\n"
        "[[outlet.article.url_patterns]]\nname = 'old'\nregex = '^https://news\\.example\\.org/(\\w+)+/(?P<id>\\d+)$'\n"
    )
    entry = GOOD_ENTRY.replace("url_pattern = '^https://news\\.example\\.org/a/(?P<id>\\d+)$'\n", "")
    entry = entry.replace("[outlet.selectors]", several + "\n[outlet.selectors]")
    with pytest.raises(RegistryError) as refused:
        load_registry(write(tmp_path, entry))
    [line] = str(refused.value).splitlines()
    assert "outlet 'example': field 'article.url_patterns.1.regex': regular expression" in line
    assert "nests quantifiers, as (a+)+ does" in line


@pytest.mark.parametrize(
    "pattern",
    [r"(?:[a-z0-9_]+/)*", r"(?:-[a-z0-9]+){2,}", r"(?:/[^/]+)+", r"(\d{4}/)+", r"(?>a+)+", r"(?:a++)+"],
)
def test_repetitions_each_round_of_which_ends_at_a_delimiter_are_accepted(tmp_path, pattern):
    safe = f"^https://news\\.example\\.org/{pattern}/(?P<id>\\d+)$"
    entry = GOOD_ENTRY.replace(
        "url_pattern = '^https://news\\.example\\.org/a/(?P<id>\\d+)$'", f"url_pattern = '{safe}'"
    )
    assert load_registry(write(tmp_path, entry)).slugs == ["example"]


def test_the_command_line_says_which_outlet_and_field_in_one_line(cli, tmp_path):
    entry = GOOD_ENTRY.replace("/a/(?P<id>\\d+)$'", "/(\\w+)+/(?P<id>\\d+)$'")
    result = cli("outlets", "--registry", str(write(tmp_path, entry)))
    assert result.exit_code == 1 and len(result.output.strip().splitlines()) == 1
    assert "outlet 'example': field 'article.url_pattern'" in result.output


def test_patterns_see_no_more_than_a_url_can_be(registry):
    udn = registry.get("udn")
    url = "https://udn.com/news/story/7315/3004543"
    assert match_article_url(udn, url) is not None
    longest = url.replace("7315", "7" * (PATTERN_INPUT_MAX_CHARS - len(url) + 4))
    assert len(longest) == PATTERN_INPUT_MAX_CHARS and match_article_url(udn, longest) is not None
    assert match_article_url(udn, longest.replace("/77", "/777")) is None


# --- replayed bodies ----------------------------------------------------------------------------------


def foreign_record(writer: WARCWriter, url: str, gzipped: bytes) -> None:
    """A response record as another archiving tool may keep it: the body still gzip-encoded."""
    record = writer.create_warc_record(
        url,
        "response",
        payload=io.BytesIO(gzipped),
        length=len(gzipped),
        http_headers=StatusAndHeaders(
            "200 OK",
            [("Content-Type", "text/html; charset=utf-8"), ("Content-Encoding", "gzip")],
            protocol="HTTP/1.1",
        ),
        warc_headers_dict={"WARC-Date": "2026-11-01T00:00:00Z"},
    )
    writer.write_record(record)


def test_replayed_bodies_stop_at_the_download_bound(tmp_path):
    base = "https://news.example.org"
    snapshot = tmp_path / "snapshot.warc.gz"
    with snapshot.open("wb") as stream:
        writer = WARCWriter(stream, gzip=True)
        feed = "".join(f"<item><link>{base}/a/{n}</link></item>" for n in (1, 2, 3))
        write_exchange(writer, exchange(f"{base}/robots.txt", "", status=404))
        write_exchange(
            writer, exchange(f"{base}/feed.xml", f"<rss version='2.0'><channel>{feed}</channel></rss>")
        )
        write_exchange(writer, exchange(f"{base}/a/1", "<html><h1>一</h1>" + "中" * 1000 + "</html>"))
        write_exchange(writer, exchange(f"{base}/a/2", b"<html>" + b" " * 300_000 + b"</html>"))
        foreign_record(writer, f"{base}/a/3", gzip.compress(b"<html>" + b" " * 3_000_000 + b"</html>"))
    registry = write(tmp_path, GOOD_ENTRY)
    database = tmp_path / "archive.db"
    result = run_sourcevault(
        "crawl", "--replay", str(snapshot), "--registry", str(registry), "--db", str(database),
        "-s", "DOWNLOAD_MAXSIZE=200000",
    )  # fmt: skip
    assert "Traceback" not in result.stderr, result.stderr
    with sqlite3.connect(database) as db:
        found = dict(db.execute("SELECT url, coalesce(outcome_reason, outcome) FROM captures").fetchall())
    too_large = "is larger than 200,000 bytes (DOWNLOAD_MAXSIZE)"
    assert found[f"{base}/a/2"].endswith(f"the response to GET {base}/a/2 {too_large}")
    assert found[f"{base}/a/3"].endswith(f"the response to GET {base}/a/3 {too_large}")


# --- snapshot build -----------------------------------------------------------------------------------


def manifest_naming(folder: Path, name: str) -> Path:
    manifest = folder / "manifest.toml"
    manifest.write_text(
        f"""[[response]]
url = "https://news.example.org/a/1"
fetched_at = 2026-11-01T00:00:00Z
file = "{name}"
""",
        encoding="utf-8",
    )
    return manifest


def build(cli, manifest: Path, *options: str):
    output = manifest.parent / "out.warc.gz"
    result = cli("snapshot", "build", str(manifest), "-o", str(output), *options)
    lines = result.output.strip().splitlines()
    assert result.exit_code == 1 and len(lines) == 1 and not output.exists(), result.output
    return lines[0]


def test_manifest_files_stay_inside_the_manifests_folder(cli, tmp_path):
    folder = tmp_path / "saved"
    folder.mkdir()
    (tmp_path / "outside.html").write_text("<html>secret</html>", encoding="utf-8")
    (folder / "link.html").symlink_to(tmp_path / "outside.html")
    assert build(cli, manifest_naming(folder, "/etc/hostname")).endswith(
        f"response #1: /etc/hostname: an absolute path; give a path relative to {folder}"
    )
    assert build(cli, manifest_naming(folder, "../outside.html")).endswith(
        f"../outside.html: leads out of {folder}"
    )
    assert build(cli, manifest_naming(folder, "link.html")).endswith(f"link.html: leads out of {folder}")
    # Unless the command line names a wider folder.
    result = cli(
        "snapshot",
        "build",
        str(folder / "manifest.toml"),
        "-o",
        str(folder / "out.warc.gz"),
        "--within",
        str(tmp_path),
    )
    assert result.exit_code == 0 and result.output.startswith("wrote 1 responses")


def test_fifos_devices_and_oversized_files_are_refused_without_reading_them(cli, tmp_path):
    os.mkfifo(tmp_path / "pipe.html")
    assert build(cli, manifest_naming(tmp_path, "pipe.html")).endswith(
        "pipe.html: a FIFO (named pipe), not a regular file"
    )
    (tmp_path / "zero.html").symlink_to("/dev/zero")
    assert build(cli, manifest_naming(tmp_path, "zero.html"), "--within", "/").endswith(
        "zero.html: a character device, not a regular file"
    )
    with (tmp_path / "huge.html").open("wb") as huge:
        huge.truncate(DOWNLOAD_MAXSIZE + 1)
    assert build(cli, manifest_naming(tmp_path, "huge.html")).endswith(
        f"larger than {DOWNLOAD_MAXSIZE:,} bytes"
    )
    (tmp_path / "bomb.html.gz").write_bytes(gzip.compress(bytes(DOWNLOAD_MAXSIZE + 1)))
    assert build(cli, manifest_naming(tmp_path, "bomb.html.gz")).endswith(
        f"bomb.html.gz: larger than {DOWNLOAD_MAXSIZE:,} bytes once decompressed"
    )
    os.mkfifo(tmp_path / "manifest-pipe.toml")
    assert "not a regular file" in build(cli, tmp_path / "manifest-pipe.toml")


def test_a_saved_page_is_read_to_the_page_bound_once_gunzipped(cli, tmp_path):
    bomb = tmp_path / "udn-article.html.gz"
    bomb.write_bytes(gzip.compress(b"<html>" + b" " * DEFAULT_MAX_PAGE_BYTES + b"</html>"))
    result = cli(
        "outlets", "fixture", "udn", str(bomb), "--url", "https://udn.com/news/story/7266/8000001",
        "--fixtures", str(tmp_path / "fixtures"),
    )  # fmt: skip
    assert result.exit_code == 1 and len(result.output.strip().splitlines()) == 1
    assert result.output.strip().endswith(f"larger than {DEFAULT_MAX_PAGE_BYTES:,} bytes once decompressed")
    assert not (tmp_path / "fixtures").exists()
