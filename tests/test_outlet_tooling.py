"""Adding an outlet: `outlets new`, `outlets fixture`, `outlets check`, on temporary copies.

Pages are real saved pages (tests/fixtures) or written here; a URL is fetched only from a
server this test runs on 127.0.0.1.
"""

from __future__ import annotations

import gzip
import json
import re
import shutil
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest

import crawler.outlet_tools.fixtures as fixtures_module
import crawler.outlet_tools.page_fetch as fetch_module
from crawler.cli import outlet_tools
from crawler.outlet_tools.fixtures import discover_fixtures
from crawler.registry import load_registry, match_article_url
from crawler.registry_file import DEFAULT_REGISTRY_PATH
from tests.helpers import FIXTURES, fixture_page, run_sourcevault
from tests.test_crawl import check_demo, check_demo_rerun_and_reextraction
from tests.test_outlet_fixtures import (
    check_provenance,
    extraction_differences,
    outlets_without_a_fixture_article,
)
from tests.test_registry import GOOD_ENTRY, write

CHINATIMES_URL = "https://www.chinatimes.com/realtimenews/20180916001767-260402"
CHINATIMES_PAGE = "generic/twnews/chinatimes.html.gz"


@pytest.fixture
def registry_copy(tmp_path: Path) -> Path:
    path = tmp_path / "outlets.toml"
    shutil.copy(DEFAULT_REGISTRY_PATH, path)
    return path


@pytest.fixture
def small_registry(tmp_path: Path) -> Path:
    """A registry of one outlet (example.org), so China Times is new whatever the shipped one holds."""
    return write(tmp_path, GOOD_ENTRY)


@pytest.fixture
def saved_page(tmp_path: Path) -> Path:
    # A real China Times page, as a user would have it after "Save page as…".
    path = tmp_path / "chinatimes-article.html"
    path.write_bytes(fixture_page(CHINATIMES_PAGE))
    return path


def new_chinatimes(cli, registry: Path, fixtures: Path, *extra: str):
    return cli(
        "outlets", "new", "chinatimes", "--home", "https://www.chinatimes.com/",
        "--registry", str(registry), "--fixtures", str(fixtures), *extra,
    )  # fmt: skip


# --- outlets new ----------------------------------------------------------------------------------


def test_new_appends_a_commented_entry_that_validates(cli, small_registry, tmp_path):
    original = small_registry.read_text(encoding="utf-8")
    fixtures = tmp_path / "fixtures"
    result = new_chinatimes(
        cli, small_registry, fixtures, "--language", "zh", "--script", "Hant", "--timezone", "Asia/Taipei"
    )
    assert result.exit_code == 0, result.output
    text = small_registry.read_text(encoding="utf-8")
    # Existing entries, comments and formatting are untouched: the new entry is appended.
    assert text.startswith(original.rstrip("\n"))
    assert text.count("TODO") >= 6
    outlet = load_registry(small_registry).get("chinatimes")
    assert (outlet.domains, outlet.timezone, outlet.script) == (["chinatimes.com"], "Asia/Taipei", "Hant")
    assert outlet.discovery.listings[0].url == "https://www.chinatimes.com/"
    assert "sourcevault outlets fixture chinatimes" in (fixtures / "chinatimes" / "README.md").read_text()
    # Its guessed article pattern takes an article id-like number, not the home page.
    found = match_article_url(outlet, "https://www.chinatimes.com/realtimenews/20180916001767-260402")
    assert found is not None and found.article_id == "20180916001767"
    assert match_article_url(outlet, "https://www.chinatimes.com/") is None


def test_new_guesses_language_and_zone_from_a_country_domain(cli, small_registry, tmp_path):
    result = cli(
        "outlets", "new", "rthk", "--home", "https://news.rthk.hk/", "--name", "RTHK",
        "--registry", str(small_registry), "--fixtures", str(tmp_path),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    outlet = load_registry(small_registry).get("rthk")
    assert (outlet.name, outlet.language, outlet.script, outlet.timezone) == (
        "RTHK",
        "zh",
        "Hant",
        "Asia/Hong_Kong",
    )
    assert outlet.domains == ["rthk.hk"]


def test_new_writes_an_outlet_module_only_when_asked(cli, small_registry, tmp_path, monkeypatch):
    pages = tmp_path / "outlets"
    pages.mkdir()
    monkeypatch.setattr(outlet_tools, "OUTLETS_DIR", pages)
    result = new_chinatimes(
        cli, small_registry, tmp_path, "--timezone", "Asia/Taipei", "--language", "zh", "--script", "Hant"
    )
    assert result.exit_code == 0 and not (pages / "chinatimes.py").exists()
    result = cli(
        "outlets", "new", "setn", "--home", "https://www.setn.com/", "--language", "zh", "--script", "Hant",
        "--timezone", "Asia/Taipei", "--parser", "--registry", str(small_registry),
        "--fixtures", str(tmp_path),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    module = (pages / "setn.py").read_text(encoding="utf-8")
    assert "class Page(ArticlePage):" in module and 'name = "setn"' in module
    compile(module, "setn.py", "exec")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("example", "--home", "https://example.net/"), "outlet 'example' exists already"),
        (("example2", "--home", "https://news.example.org/a"),
         "belongs to outlet 'example' already (field 'domains')"),
        (("x", "--home", "udn.com"), "--home 'udn.com': not the absolute http(s) URL of a site"),
        (("x", "--home", "ftp://example.com/"), "not the absolute http(s) URL"),
        (("Bad-Slug", "--home", "https://example.com/"), "slug 'Bad-Slug': use lowercase letters"),
        (("x", "--home", "https://example.com/"),
         "cannot tell the language, script and time zone of example.com"),
        (("x", "--home", "https://example.com/", "--language", "zh", "--script", "Hant",
          "--timezone", "Mars/Base"),
         "field 'timezone': unknown IANA time zone 'Mars/Base'"),
    ],
)  # fmt: skip
def test_new_refuses_with_one_line(cli, small_registry, tmp_path, args, message):
    original = small_registry.read_text(encoding="utf-8")
    result = cli("outlets", "new", *args, "--registry", str(small_registry), "--fixtures", str(tmp_path))
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ") and message in lines[0]
    assert small_registry.read_text(encoding="utf-8") == original


# --- outlets fixture ------------------------------------------------------------------------------


def test_fixture_from_a_saved_page_stores_it_with_its_extraction(cli, tmp_path, saved_page):
    fixtures = tmp_path / "fixtures"
    result = cli(
        "outlets", "fixture", "udn", str(FIXTURES / "outlets/udn/udn_story_7315_3004543_twnews_2018.html.gz"),
        "--captured-at", "2018-10-31", "--fixtures", str(fixtures),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    (record_path,) = (fixtures / "udn").glob("*.json")
    record = json.loads(record_path.read_text(encoding="utf-8"))
    # The page names its own URL (canonical link); the date picks the layout before 2020.
    assert record["page"] == {
        "url": "https://udn.com/news/story/7315/3004543",
        "captured_at": "2018-10-31T00:00:00+00:00",
        "kind": "raw",
        "origin": "saved page udn_story_7315_3004543_twnews_2018.html.gz",
    }
    assert record_path.name == "udn_story_7315_3004543_20181031.json"
    assert record["expected"]["article"]["title"] == "澎湖重度殘障男子 陳屍馬公水仙宮旁空屋"
    stored = record_path.with_name(record_path.name.replace(".json", ".html.gz"))
    assert gzip.decompress(stored.read_bytes()) == fixture_page(
        "outlets/udn/udn_story_7315_3004543_twnews_2018.html.gz"
    )
    assert '"title": "澎湖重度殘障男子' in result.output
    # A second store under the same name is refused, not overwritten.
    again = cli("outlets", "fixture", "udn", str(stored), "--url", "https://udn.com/news/story/7315/3004543",
                "--captured-at", "2018-10-31", "--fixtures", str(fixtures))  # fmt: skip
    assert again.exit_code == 1 and "exists: give another --name, or --force" in again.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("udn", "{page}", "--url", CHINATIMES_URL),
         f"Error: fixture URL {CHINATIMES_URL} does not belong to outlet 'udn' (field 'domains': udn.com"),
        (("udn", "https://www.chinatimes.com/realtimenews/1"),
         "does not belong to outlet 'udn' (field 'domains': udn.com"),
        (("nosuch", "{page}"), "no outlet 'nosuch'"),
        (("udn", "{missing}"), "No such file or directory"),
        (("udn", "{nourl}"), "the page names no URL of its own: give --url"),
    ],
)  # fmt: skip
def test_fixture_refuses_with_one_line(cli, tmp_path, saved_page, args, message):
    nourl = tmp_path / "nourl.html"
    nourl.write_text("<html><body><p>一段沒有網址的文字。</p></body></html>", encoding="utf-8")
    paths = {"page": saved_page, "missing": tmp_path / "missing.html", "nourl": nourl}
    args = tuple(arg.format(**paths) for arg in args)
    result = cli("outlets", "fixture", *args, "--fixtures", str(tmp_path / "fixtures"))
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and message in lines[0]
    assert not (tmp_path / "fixtures" / "udn").exists()


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"", "empty body"),
        ("<html><body><p>短</p></body></html>".encode("big5"), "no article text"),
        # Big5 bytes with neither header nor <meta>: sniffed, not a crash.
        (("<html><head><title>颱風來襲</title></head><body><article><p>"
          + "中央氣象署今天發布海上颱風警報，提醒民眾注意強風豪雨與海浪。" * 3
          + "</p></article></body></html>").encode("big5"), None),
    ],
)  # fmt: skip
def test_pages_with_no_body_or_an_odd_charset_are_stored_with_the_reason(cli, tmp_path, body, reason):
    page = tmp_path / "page.html"
    page.write_bytes(body)
    result = cli("outlets", "fixture", "udn", str(page), "--url", "https://udn.com/news/story/7266/7000001",
                 "--captured-at", "2024-01-01", "--fixtures", str(tmp_path))  # fmt: skip
    assert result.exit_code == 0, result.output
    (record_path,) = (tmp_path / "udn").glob("*.json")
    expected = json.loads(record_path.read_text(encoding="utf-8"))["expected"]
    if reason:
        assert reason in expected["not_article"]
    else:
        assert expected["article"]["title"] == "颱風來襲"


class _Site(BaseHTTPRequestHandler):
    """Pages served on 127.0.0.1: a path maps to answers given in turn (the last one repeats)."""

    answers: ClassVar[dict[str, list[tuple[int, dict[str, str], bytes]]]] = {}
    requests: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        self.requests.append(self.path)
        answers = self.answers.get(self.path, [(404, {}, b"not here")])
        status, headers, body = answers.pop(0) if len(answers) > 1 else answers[0]
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        return


@pytest.fixture
def local_site(monkeypatch) -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Site)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _Site.requests = []
    # The local server stands in for udn.com: its address is no outlet's domain, so the
    # source URL's ownership check (tested on its own above) is set aside, and retries wait
    # hundredths of a second instead of seconds.
    monkeypatch.setattr(fixtures_module, "url_problem", lambda outlet, url: None)
    monkeypatch.setattr(fetch_module, "fetch_page", _quick(fetch_module.fetch_page))
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def _quick(fetch):
    def quick(url: str, **options: object):
        return fetch(url, backoff_seconds=0.01, **options)

    return quick


def test_fixture_from_a_url_fetches_it_with_retries(cli, tmp_path, local_site):
    page = fixture_page("outlets/udn/udn_story_7315_3004543_twnews_2018.html.gz")
    _Site.answers = {
        "/busy": [(503, {}, b"busy"), (200, {"Content-Type": "text/html; charset=utf-8"}, page)],
        "/moved": [(301, {"Location": "/busy"}, b"")],
    }
    result = cli(
        "outlets", "fixture", "udn", f"{local_site}/moved", "--url", "https://udn.com/news/story/7315/3004543",
        "--captured-at", "2018-10-31", "--fixtures", str(tmp_path),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    # The redirect is followed; the 503 is retried from the start.
    assert _Site.requests == ["/moved", "/busy", "/moved", "/busy"]
    (record_path,) = (tmp_path / "udn").glob("*.json")
    record = json.loads(record_path.read_text(encoding="utf-8"))
    assert record["page"]["content_type"] == "text/html; charset=utf-8"
    assert record["page"]["origin"] == f"fetched by `sourcevault outlets fixture` from {local_site}/moved"
    assert record["expected"]["article"]["article_id"] == "3004543"


def test_a_url_that_keeps_failing_is_one_line(cli, tmp_path, local_site):
    _Site.answers = {"/gone": [(410, {}, b"gone")], "/down": [(503, {}, b"down")]}
    result = cli("outlets", "fixture", "udn", f"{local_site}/gone", "--fixtures", str(tmp_path))
    assert result.exit_code == 1 and result.output.strip() == f"Error: {local_site}/gone: HTTP 410"
    result = cli("outlets", "fixture", "udn", f"{local_site}/down", "--fixtures", str(tmp_path))
    assert result.exit_code == 1
    assert result.output.strip() == f"Error: {local_site}/down: HTTP 503 (gave up after 3 attempts)"
    assert _Site.requests.count("/down") == 3
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{unused.getsockname()[1]}/page"
    result = cli("outlets", "fixture", "udn", closed, "--fixtures", str(tmp_path))
    assert result.exit_code == 1 and len(result.output.strip().splitlines()) == 1
    assert result.output.startswith(f"Error: {closed}: ") and "(gave up after 3 attempts)" in result.output


# --- outlets check --------------------------------------------------------------------------------


def copy_fixture(root: Path, slug: str, name: str) -> Path:
    (root / slug).mkdir(parents=True, exist_ok=True)
    for suffix in (".html.gz", ".json"):
        shutil.copy(FIXTURES / "outlets" / slug / f"{name}{suffix}", root / slug / f"{name}{suffix}")
    return root / slug / f"{name}.json"


def test_check_reports_differences_coverage_and_dead_selectors(cli, tmp_path, registry_copy):
    root = tmp_path / "fixtures"
    record = copy_fixture(root, "cna", "cna_article_201603190029_twnews_2019")
    copy_fixture(root, "cna", "cna_list_aipl_politics_digital_news_crawl_2021")
    registry_copy.write_text(
        registry_copy.read_text(encoding="utf-8").replace(
            'title = ["div.centralContent h1"]', 'title = ["div.centralContent h1", "h1.headline-gone"]'
        ),
        encoding="utf-8",
    )
    result = cli("outlets", "check", "cna", "--registry", str(registry_copy), "--fixtures", str(root))
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    header = next(line for line in lines if line.startswith("outlet "))
    assert header.split() == [
        "outlet", "pages", "title", "body", "published", "modified", "authors", "editors",
        "source", "section", "tags", "image", "canonical",
    ]  # fmt: skip
    assert next(line for line in lines if line.startswith("cna ")).split()[:4] == ["cna", "1", "100%", "100%"]
    assert (
        "  outlet 'cna': field 'selectors.title': 'h1.headline-gone' matched nothing on 1 article page(s)"
        in lines
    )
    assert lines[-1] == "2 fixture pages, 0 failing"

    # A reviewed value that extraction no longer gives is a regression: exit 1, field named.
    data = json.loads(record.read_text(encoding="utf-8"))
    data["expected"]["article"]["title"] = "another title"
    record.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    result = cli("outlets", "check", "cna", "--registry", str(registry_copy), "--fixtures", str(root))
    assert result.exit_code == 1
    assert "FAIL     cna/cna_article_201603190029_twnews_2019" in result.output
    assert "title: expected 'another title', got '平鎮輪胎行惡火 疏散7人1女命喪'" in result.output
    assert result.output.strip().endswith("2 fixture pages, 1 failing")

    # --update writes what extraction gives now, for a person to review.
    result = cli(
        "outlets", "check", "cna", "--update", "--registry", str(registry_copy), "--fixtures", str(root)
    )
    assert "updated  cna/cna_article_201603190029_twnews_2019" in result.output
    assert (
        json.loads(record.read_text(encoding="utf-8"))["expected"]["article"]["title"]
        == "平鎮輪胎行惡火 疏散7人1女命喪"
    )


def test_check_fails_a_fixture_whose_url_is_not_the_outlets(cli, tmp_path):
    root = tmp_path / "fixtures"
    record = copy_fixture(root, "cna", "cna_article_201603190029_twnews_2019")
    data = json.loads(record.read_text(encoding="utf-8"))
    data["page"]["url"] = CHINATIMES_URL
    record.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    result = cli("outlets", "check", "cna", "--fixtures", str(root))
    assert result.exit_code == 1
    assert (
        f"fixture URL {CHINATIMES_URL} does not belong to outlet 'cna' (field 'domains': cna.com.tw;"
        in result.output
    )


# --- the whole routine, as README's "Add an outlet" walks it -------------------------------------


@pytest.fixture
def project_copy(tmp_path: Path) -> tuple[Path, Path]:
    """A copy of the shipped registry and outlet fixtures: what an operator's checkout holds."""
    registry = tmp_path / "config" / "outlets.toml"
    registry.parent.mkdir()
    shutil.copy(DEFAULT_REGISTRY_PATH, registry)
    fixtures = tmp_path / "fixtures" / "outlets"
    shutil.copytree(FIXTURES / "outlets", fixtures)
    return registry, fixtures


def remove_outlet(registry: Path, fixtures: Path, slug: str) -> None:
    """Remove an outlet as an operator would: its registry entry and its fixture folder."""
    text = registry.read_text(encoding="utf-8")
    head, *entries = re.split(r"(?m)^(?=\[\[outlet\]\]$)", text)
    kept = [entry for entry in entries if not re.search(rf'(?m)^slug = "{slug}"$', entry)]
    assert len(kept) == len(entries) - 1, slug
    registry.write_text(head + "".join(kept), encoding="utf-8")
    shutil.rmtree(fixtures / slug)


def check_registry_driven_tests(registry_path: Path, fixtures: Path, tmp_path: Path) -> None:
    """What test_outlet_fixtures.py and the demo's tests check, on this registry and these fixtures."""
    registry = load_registry(registry_path)
    found = discover_fixtures(fixtures)
    failing = {
        fixture.name: problems for fixture in found if (problems := extraction_differences(registry, fixture))
    }
    assert failing == {}
    assert outlets_without_a_fixture_article(registry, found) == []
    for fixture in found:
        check_provenance(fixture)
    database = tmp_path / "demo.db"
    demo = run_sourcevault("demo", "--db", str(database), "--registry", str(registry_path))
    assert demo.returncode == 0, demo.stderr
    check_demo(database, demo.stdout, registry)
    check_demo_rerun_and_reextraction(database, registry)


def test_adding_an_outlet_as_readme_walks_it_and_removing_one_leave_the_suite_green(
    cli, tmp_path, project_copy
):
    registry, fixtures = project_copy
    if "chinatimes" in load_registry(registry):
        remove_outlet(registry, fixtures, "chinatimes")
    where = ("--registry", str(registry), "--fixtures", str(fixtures))
    # 1. Save an article page.
    saved = tmp_path / "saved"
    saved.mkdir()
    (saved / "chinatimes-article.html").write_bytes(fixture_page(CHINATIMES_PAGE))
    # 2. Scaffold the outlet.
    result = cli(
        "outlets", "new", "chinatimes", "--home", "https://www.chinatimes.com/", "--name", "China Times",
        "--native-name", "中時新聞網", "--language", "zh", "--script", "Hant", "--timezone", "Asia/Taipei",
        *where,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    # 3. Store the page as a fixture.
    result = cli(
        "outlets", "fixture", "chinatimes", str(saved / "chinatimes-article.html"),
        "--captured-at", "2018-10-31", *where,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "matched nothing" not in result.output
    # 4. Fill in the entry as README shows (the new entry is the last: its lines are replaced).
    fill_in = {
        "# aliases = ": 'aliases = ["中時", "中國時報", "中時電子報"]',
        "url_pattern = ": "url_pattern = '^https?://www\\.chinatimes\\.com/(?:realtimenews|newspapers)/"
        "(?P<id>\\d{14})-\\d{6}$'",
        "title = ": 'title = ["h1.article-title"]',
        "body = ": 'body = ["div.article-body > p"]',
        "authors = ": 'authors = ["header.article-header div.author a::text"]',
        "remove = ": 'remove = ["div.ad"]',
    }
    head, entry = registry.read_text(encoding="utf-8").rsplit('slug = "chinatimes"', 1)
    lines = entry.splitlines()
    for start, line in fill_in.items():
        lines[next(i for i, old in enumerate(lines) if old.startswith(start))] = line
    registry.write_text(head + 'slug = "chinatimes"' + "\n".join(lines) + "\n", encoding="utf-8")
    # 5. Check, update, review.
    result = cli("outlets", "check", "chinatimes", *where)
    assert result.exit_code == 1 and "authors: expected ['陳昱光'], got ['謝明俊']" in result.output
    assert cli("outlets", "check", "chinatimes", "--update", *where).exit_code == 0
    result = cli("outlets", "check", "chinatimes", *where)
    assert result.exit_code == 0 and result.output.strip().endswith("1 fixture pages, 0 failing")
    (record_path,) = (fixtures / "chinatimes").glob("*.json")
    article = json.loads(record_path.read_text(encoding="utf-8"))["expected"]["article"]
    assert (article["title"], article["authors"], article["published_at"]) == (
        "悲慟！北市士林年邁母子 住處上吊自殺身亡",
        ["謝明俊"],
        "2018-09-16T15:31:57+08:00",
    )
    # 6. Crawl it offline.
    (saved / "chinatimes-snapshot.toml").write_text(CHINATIMES_MANIFEST, encoding="utf-8")
    snapshot = saved / "chinatimes.warc.gz"
    assert (
        cli("snapshot", "build", str(saved / "chinatimes-snapshot.toml"), "-o", str(snapshot)).exit_code == 0
    )
    crawl = run_sourcevault(
        "crawl", "chinatimes", "--replay", str(snapshot), "--registry", str(registry),
        "--db", str(tmp_path / "archive.db"),
    )  # fmt: skip
    assert crawl.returncode == 0, crawl.stderr
    # discovery failed, discovered, fetched, revisited, new, updated, removed, not article, failed, blocked
    counts = crawl.stdout.splitlines()[1].split()
    assert counts == ["chinatimes", "0", "1", "1", "0", "1", "0", "0", "0", "0", "0"]
    # 7. Commit: the registry and fixtures are the project's now. And an outlet the briefings no
    # longer cite goes. The tests that follow the registry pass on both changes.
    remove_outlet(registry, fixtures, load_registry(registry).slugs[0])
    check_registry_driven_tests(registry, fixtures, tmp_path)


# The replay manifest of README's step 6: a hand-written robots.txt and home page, and the saved page.
CHINATIMES_HOME = (
    '<html><body><a href="/realtimenews/20180916001767-260402">'
    "悲慟！北市士林年邁母子 住處上吊自殺身亡</a></body></html>"
)
CHINATIMES_MANIFEST = f"""
[[response]]
url = "https://www.chinatimes.com/robots.txt"
fetched_at = 2018-10-31T00:00:00Z
content_type = "text/plain"
origin = "synthetic"
body = "User-agent: *\\nDisallow: /search\\n"

[[response]]
url = "https://www.chinatimes.com/"
fetched_at = 2018-10-31T00:00:00Z
content_type = "text/html; charset=utf-8"
origin = "synthetic: a home page linking the saved article"
body = '{CHINATIMES_HOME}'

[[response]]
url = "https://www.chinatimes.com/realtimenews/20180916001767-260402"
fetched_at = 2018-10-31T00:00:00Z
content_type = "text/html; charset=utf-8"
origin = "saved from the browser"
file = "chinatimes-article.html"
"""
