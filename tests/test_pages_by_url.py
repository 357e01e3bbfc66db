"""A page given by URL is archived whatever its URL: the page decides whether it is an article,
its outlet's URL patterns (sister sites, earlier schemes) or its canonical URL key it, and a site
no outlet owns is archived as its own site outlet (`site:<registered domain>`).

The real pages are in tests/fixtures/urls (see SOURCES.md there); pages written here for one
case are marked synthetic.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from crawler.archive import Archive
from crawler.extraction import extract_article
from crawler.outlet_tools.explain import explain_url
from crawler.pages import extract_page
from crawler.registry import load_registry
from crawler.research.reextraction import reextract
from crawler.sites import registered_domain, site_outlet_slug
from tests.helpers import FIXTURES, fixture_page, page_capture
from tests.test_extraction import FOLLOW_UP, PARAGRAPH, page
from tests.test_registry import GOOD_ENTRY, write
from tests.test_url_patterns import entry as with_patterns

PAGES = json.loads((FIXTURES / "urls" / "pages.json").read_text(encoding="utf-8"))["pages"]
SITE_URL = "https://www.rfa.org/mandarin/yataibaodao/renquanfazhi/synthetic-1.html"
# Synthetic: an article page of the test registry's outlet (example.org, /a/<id>) with a head.
ARTICLE_BODY = f"<h1>輪胎行大火</h1><p>{PARAGRAPH}</p><p>{FOLLOW_UP}</p>"


def urls_page(name: str) -> bytes:
    return fixture_page(f"urls/{name}")


@pytest.mark.parametrize("case", PAGES, ids=[case["file"].removesuffix(".html.gz") for case in PAGES])
def test_each_real_page_gets_its_outlet_and_key_or_is_judged_no_article(registry, case):
    extraction = extract_article(urls_page(case["file"]), url=case["url"], registry=registry)
    expected = case["expected"]
    if "not_article" in expected:
        assert extraction.article is None and expected["not_article"] in (extraction.reason or "")
        return
    article = extraction.article
    assert article is not None, extraction.reason
    assert (article.outlet, article.article_id, article.key_source) == (
        expected["outlet"],
        expected["article_id"],
        expected["key_source"],
    )
    assert article.title and len(article.body or "") > 200


def test_the_crawl_still_refuses_what_its_patterns_do_not_match(registry):
    # city.udn.com has no pattern: the crawl, which wants one, says so before reading the page.
    page_body = urls_page("udn_city_67926_6950016_htmldate_2020.html.gz")
    url = "http://city.udn.com/67926/6950016"
    crawled = extract_page(page_body, url=url, outlet=registry.get("udn"), require_article_url=True)
    assert crawled.reason == f"not an article: {url} is not an article URL of outlet 'udn'"


def test_one_article_under_two_schemes_has_one_key(registry):
    keys = set()
    for name, url in [
        ("ltn_iservice_liveNews_829851_2013.html.gz", PAGES[6]["url"]),
        ("ltn_news_society_breakingnews_829851_2014.html.gz", PAGES[7]["url"]),
        (
            "ltn_ec_article_breakingnews_3119452_htmldate_2020.html.gz",
            "https://ec.ltn.com.tw/article/breakingnews/3119452",
        ),
        ("ltn_ec_article_breakingnews_3119452_htmldate_2020.html.gz", PAGES[4]["listed_url"]),
    ]:
        article = extract_article(urls_page(name), url=url, registry=registry).article
        assert article is not None
        keys.add((article.outlet, article.article_id))
    # 2013's live news and 2014's breaking news page; ec.ltn and the news.ltn URL it was listed as.
    assert keys == {("ltn", "829851"), ("ltn", "3119452")}


@pytest.mark.parametrize(
    "case",
    [
        ("udn_NEWS_NATIONAL_NAT4_7996060_2013_big5.html.gz", PAGES[0]["url"], "udn", "shtml:7996060"),
        ("cna_News_FirstNews_201306290064-1_2013.html.gz", PAGES[8]["url"], "cna", "201306290064"),
        ("udn_money_story_5603_4909425_htmldate_2020.html.gz", PAGES[2]["url"], "udn", "4909425"),
        (
            "ltn_ec_article_breakingnews_3119452_htmldate_2020.html.gz",
            "https://ec.ltn.com.tw/article/breakingnews/3119452",
            "ltn",
            "3119452",
        ),
    ],
)
def test_extract_takes_sister_sites_and_earlier_schemes(cli, tmp_path, case):
    name, url, outlet, article_id = case
    saved = tmp_path / "page.html"
    saved.write_bytes(urls_page(name))
    result = cli("extract", str(saved), "--url", url)
    assert result.exit_code == 0, result.output
    article = json.loads(result.output)
    assert (article["outlet"], article["article_id"], article["key_source"]) == (
        outlet,
        article_id,
        "pattern",
    )


# --- canonical links (synthetic pages on the test registry's outlet) ------------------------------


@pytest.fixture
def example(tmp_path):
    return load_registry(write(tmp_path, GOOD_ENTRY))


def canonical_page(link: str) -> bytes:
    """Synthetic: an article page whose head names `link` as its canonical URL."""
    return page(ARTICLE_BODY, head=f'<link rel="canonical" href="{link}">').encode()


OWN_URL_KEY = "news.example.org/world/today"
FOREIGN = "https://www.cna.com.tw/news/aipl/201603190029.aspx"


@pytest.mark.parametrize(
    ("link", "canonical_url", "article_id", "key_source"),
    [
        # Relative: resolved against the page's URL; an article URL of the outlet's, it keys the page.
        ("/a/7", "https://news.example.org/a/7", "7", "pattern"),
        # Empty, or a script: no canonical link at all; the page's own URL keys it.
        ("", None, OWN_URL_KEY, "canonical"),
        ("javascript:void(0)", None, OWN_URL_KEY, "canonical"),
        # On the site, not an article URL: its canonical form keys the page.
        (
            "https://news.example.org/world/today-final",
            "https://news.example.org/world/today-final",
            "news.example.org/world/today-final",
            "canonical",
        ),
        # The site's front page (a template's default): kept as said, but it keys nothing.
        ("https://news.example.org/", "https://news.example.org/", OWN_URL_KEY, "canonical"),
        # Another site: kept as the page says, never followed.
        (FOREIGN, FOREIGN, OWN_URL_KEY, "canonical"),
    ],
)
def test_a_canonical_link_keys_a_page_only_on_its_own_site(
    example, link, canonical_url, article_id, key_source
):
    url = "https://news.example.org/world/today?utm_source=x"
    article = extract_article(canonical_page(link), url=url, registry=example).article
    assert article is not None
    assert (article.outlet, article.article_id, article.key_source) == ("example", article_id, key_source)
    assert article.canonical_url == canonical_url


def test_a_canonical_link_to_another_site_is_recorded_not_followed(example, tmp_path):
    url = "https://news.example.org/a/12"
    capture = page_capture(example, url, canonical_page(FOREIGN), outlet="example")
    with Archive(tmp_path / "archive.db") as archive:
        archive.sync_outlets(example)
        archive.store(capture, run_id=None, outlet=example.get("example"))
        row = archive.db.execute("SELECT outlet, article_id, canonical_url FROM articles").fetchone()
        aliases = [url for (url,) in archive.db.execute("SELECT url FROM article_urls ORDER BY url")]
    assert row == ("example", "12", FOREIGN)
    # Not an alias of this article: the other site's URL stays free for its own article.
    assert aliases == [url]


# --- sites no outlet owns ----------------------------------------------------------------------------


def site_record(**fields: Any) -> str:
    record = {
        "url": SITE_URL + "?utm_source=rss",
        "title": "自由亞洲電台報導",
        "body": "這是一篇自由亞洲電台的報導，提到臺灣與颱風，也提到香港的新聞自由。",
        "published_at": "2026-11-01 08:30",
        "declared_language": "zh-TW",
    }
    return json.dumps(record | fields, ensure_ascii=False)


def test_a_site_no_outlet_owns_is_imported_counted_searched_and_listed(cli, tmp_path):
    archive_path = tmp_path / "archive.db"
    records = tmp_path / "records.jsonl"
    records.write_text(site_record() + "\n" + site_record(outlet="site:bbc.co.uk") + "\n", encoding="utf-8")
    result = cli("import", str(records), "--db", str(archive_path))
    assert result.exit_code == 1
    assert f"{records}:2: \"outlet\": 'site:bbc.co.uk' is not the site of" in result.output
    assert result.output.strip().endswith("1 new, 0 updated, 0 unchanged, 1 rejected")
    with Archive(archive_path, readonly=True) as archive:
        article = archive.db.execute(
            "SELECT outlet, article_id, key_source, language_tag, published_at FROM articles"
        ).fetchone()
        outlet = archive.db.execute(
            "SELECT slug, name, kind, language FROM outlets WHERE kind = 'site'"
        ).fetchall()
    # Keyed by its canonical URL (tracking dropped); zh-TW says Taipei's clock for a time without offset.
    assert article == (
        "site:rfa.org",
        "www.rfa.org/mandarin/yataibaodao/renquanfazhi/synthetic-1.html",
        "canonical",
        "zh-Hant",
        "2026-11-01T08:30:00+08:00",
    )
    assert outlet == [("site:rfa.org", "rfa.org", "site", "und")]
    stats = cli("stats", "--db", str(archive_path)).output.splitlines()
    assert stats[-2].split() == ["site:rfa.org", "1", "1", "0"]
    found = cli("search", "颱風", "--outlet", "site:rfa.org", "--db", str(archive_path), "--count")
    assert found.exit_code == 0 and found.output.strip() == "1"
    none = cli("search", "颱風", "--outlet", "site:bbc.co.uk", "--db", str(archive_path), "--count")
    assert none.exit_code == 0 and none.output.strip() == "0"
    bad = cli("search", "颱風", "--outlet", "rfa", "--db", str(archive_path))
    assert bad.exit_code == 1 and "no outlet 'rfa'" in bad.output and "site:<domain>" in bad.output
    exported = cli("export", "--outlet", "site:rfa.org", "--db", str(archive_path))
    assert [json.loads(line)["outlet"] for line in exported.stdout.splitlines()] == ["site:rfa.org"]
    # Imports are no pages to read again; the command takes the site outlet all the same.
    reextracted = cli("reextract", "--outlet", "site:rfa.org", "--db", str(archive_path))
    assert reextracted.exit_code == 0 and "captures re-extracted: 0" in reextracted.output
    duplicates = cli("duplicates", SITE_URL, "--db", str(archive_path))
    assert duplicates.output.startswith("article 1 (site:rfa.org www.rfa.org/mandarin/")
    # Imported again: nothing new (the same record), and no second site row.
    again = cli("import", str(records), "--db", str(archive_path))
    assert again.output.strip().endswith("0 new, 0 updated, 1 unchanged, 1 rejected")


def test_a_site_outlets_pages_reextract_the_generic_way_and_move_to_an_outlet_added_later(registry, tmp_path):
    url = "https://china.chinadaily.com.cn/a/202311/17/WS65571297a310d5acd876f404.html"
    body = urls_page("site_chinadaily_china_a_202311_17_WS65571297_newspaper4k_2023.html.gz")
    path = tmp_path / "archive.db"
    with Archive(path) as archive:
        archive.sync_outlets(registry)
        archive.store(page_capture(registry, url, body, outlet="site:chinadaily.com.cn"), run_id=None)
        counts = reextract(archive, registry)
        row = archive.db.execute("SELECT outlet, article_id, key_source, extractor FROM articles").fetchone()
    assert counts["captures re-extracted"] == 1 and counts["articles unchanged"] == 1
    assert row[:3] == ("site:chinadaily.com.cn", url.removeprefix("https://"), "canonical")
    assert row[3].endswith("generic")
    # An operator adds China Daily: its archived page moves to the new outlet, keyed by its pattern.
    chinadaily = """[[outlet.article.url_patterns]]
name = "a"
regex = '^https://china\\.chinadaily\\.com\\.cn/a/\\d{6}/\\d{2}/(?P<id>WS[0-9a-f]{24})\\.html$'
"""
    entry = (
        with_patterns(chinadaily)
        .replace('"example"', '"chinadaily"')
        .replace("example.org", "chinadaily.com.cn")
    )
    added = load_registry(write(tmp_path, entry))
    assert added.get("chinadaily").article.patterns[0].match(url)
    with Archive(path) as archive:
        archive.sync_outlets(added)
        counts = reextract(archive, added)
        rows = archive.db.execute("SELECT outlet, article_id, key_source FROM articles").fetchall()
        capture_outlets = archive.db.execute("SELECT DISTINCT outlet FROM captures").fetchall()
    assert rows == [("chinadaily", "WS65571297a310d5acd876f404", "pattern")]
    assert capture_outlets == [("chinadaily",)]
    assert (counts["articles new"], counts["articles removed"]) == (1, 1)


def test_reextract_rekeys_an_article_whose_pattern_changed(tmp_path):
    # Synthetic: archived under the single pattern's id, then the outlet's ids get a namespace.
    registry = load_registry(write(tmp_path, GOOD_ENTRY))
    url = "https://news.example.org/a/41"
    path = tmp_path / "archive.db"
    with Archive(path) as archive:
        archive.sync_outlets(registry)
        for day in (1, 2):
            capture = page_capture(registry, url, page(ARTICLE_BODY).encode(), outlet="example")
            capture.fetched_at = datetime(2026, 11, day, tzinfo=UTC)
            archive.store(capture, run_id=None, outlet=registry.get("example"))
    namespaced = """[[outlet.article.url_patterns]]
name = "a"
regex = '^https://news\\.example\\.org/a/(?P<id>\\d+)$'
id_namespace = "a"
"""
    namespaced = with_patterns(namespaced)
    changed = load_registry(write(tmp_path, namespaced))
    with Archive(path) as archive:
        reextract(archive, changed)
        rows = archive.db.execute("SELECT article_id, current_version FROM articles").fetchall()
    assert rows == [("a:41", 1)]


def test_reextract_lets_the_page_decide(registry, tmp_path):
    """A capture the crawl refused for its URL (redirected off the patterns) is an article now."""
    url = "https://money.udn.com/money/story/5603/4909425"
    moved_to = "https://money.udn.com/money/story/5603/4909425/amp-less"
    body = urls_page("udn_money_story_5603_4909425_htmldate_2020.html.gz")
    capture = page_capture(registry, url, body, outlet="udn")
    capture.final_url = moved_to
    capture.extraction = extract_page(
        body, url=moved_to, outlet=registry.get("udn"), require_article_url=True
    )
    assert capture.extraction.article is None
    with Archive(tmp_path / "archive.db") as archive:
        archive.sync_outlets(registry)
        archive.store(capture, run_id=None, outlet=registry.get("udn"))
        reextract(archive, registry)
        row = archive.db.execute("SELECT outlet, article_id, key_source FROM articles").fetchone()
    # Its canonical link (udn.com/news/story/7331/4909425) reads the group's id.
    assert row == ("udn", "4909425", "pattern")


def test_a_site_outlet_slug_is_read_from_the_registered_domain():
    assert site_outlet_slug("https://www.rfa.org/mandarin/") == "site:rfa.org"
    assert site_outlet_slug("http://news.bbc.co.uk/chinese/") == "site:bbc.co.uk"
    assert site_outlet_slug("https://stevenhgm.pixnet.net/blog/post/39926056") == "site:pixnet.net"
    # The suffix list's private section: two blogs on one blogging host are two sites.
    assert registered_domain("someone.blogspot.com") == "someone.blogspot.com"
    assert site_outlet_slug("http://127.0.0.1:8080/a") == "site:127.0.0.1"
    assert site_outlet_slug("ftp://example.org/a") is None and site_outlet_slug("/a/1") is None


def test_explain_says_outlet_pattern_and_key_or_why_none(cli):
    result = cli(
        "outlets",
        "explain",
        "https://money.udn.com/money/story/5603/4909425?from=udn-ch1",
        "https://udn.com/news/story/7315/7996060",
        "http://udn.com/NEWS/NATIONAL/NAT4/7996060.shtml",
        "--json",
    )
    assert result.exit_code == 0
    explained = [json.loads(line) for line in result.output.splitlines()]
    assert [(e["outlet"], e["pattern"], e["article_id"]) for e in explained] == [
        ("udn", "sister-story", "4909425"),
        ("udn", "story", "7996060"),
        # The old site's numbering never names the new site's articles.
        ("udn", "shtml", "shtml:7996060"),
    ]
    assert explained[0]["canonical_url"] == "https://money.udn.com/money/story/5603/4909425"
    bad = cli("outlets", "explain", "udn.com/news/story/7315/1")
    assert bad.exit_code == 1
    assert bad.output == "Error: 'udn.com/news/story/7315/1': not an absolute http(s) URL\n"


def test_every_registry_example_is_explained_by_its_own_pattern(registry):
    for outlet in registry:
        for pattern in outlet.article.patterns:
            for example in pattern.examples:
                explained = explain_url(registry, example)
                assert (explained.outlet, explained.pattern) == (outlet.slug, pattern.name), example
                assert explained.key_source == "pattern"


def docs_console_blocks() -> list[tuple[str, list[str]]]:
    """The `outlets explain` commands docs/outlets-and-urls.md shows, each with what it prints."""
    text = (Path(__file__).resolve().parent.parent / "docs" / "outlets-and-urls.md").read_text("utf-8")
    blocks = []
    for block in text.split("```console\n")[1:]:
        lines = block.split("```", 1)[0].rstrip("\n").splitlines()
        if lines and lines[0].startswith("$ sourcevault outlets explain "):
            blocks.append((lines[0], lines[1:]))
    return blocks


@pytest.mark.parametrize("command, printed", docs_console_blocks(), ids=lambda value: str(value)[:60])
def test_the_docs_explain_examples_print_what_the_docs_show(cli, command, printed):
    arguments = [argument.strip("'") for argument in command.removeprefix("$ sourcevault ").split()]
    result = cli(*arguments)
    assert result.output.rstrip("\n").splitlines() == printed
