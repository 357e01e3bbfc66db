"""The outlet registry: the shipped one is valid, and a bad entry is one clear line."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from crawler.registry import RegistryError, load_registry, match_article_url

GOOD_ENTRY = """
[[outlet]]
slug = "example"
name = "Example News"
home = "https://news.example.org/"
domains = ["example.org"]
language = "zh"
script = "Hant"
timezone = "Asia/Taipei"

[outlet.discovery]
feeds = ["https://news.example.org/feed.xml"]

[outlet.article]
url_pattern = '^https://news\\.example\\.org/a/(?P<id>\\d+)$'

[outlet.selectors]
title = ["h1"]
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "outlets.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_shipped_registry_has_the_eight_outlets(registry):
    # Outlets an operator adds come after these.
    assert registry.slugs[:8] == ["epochtimes", "udn", "ltn", "sina", "huanqiu", "cna", "hket", "statedept"]
    for outlet in registry:
        assert outlet.discovery and outlet.article.patterns


@pytest.mark.parametrize(
    ("url", "slug", "article_id", "edition"),
    [
        ("https://www.epochtimes.com/b5/12/12/28/n3763175.htm", "epochtimes", "n3763175", "b5"),
        ("https://www.epochtimes.com/gb/5/7/23/n995027.htm", "epochtimes", "n995027", "gb"),
        ("https://udn.com/news/story/120911/3705102", "udn", "3705102", ""),
        ("https://udn.com/news/story/7315/3705102?from=udn-ch1_breaknews-1-0-news", "udn", "3705102", ""),
        ("https://m.ltn.com.tw/news/life/breakingnews/2504351", "ltn", "2504351", ""),
        (
            "https://finance.sina.com.cn/stock/usstock/c/2019-09-09/doc-iicezzrq4681677.shtml",
            "sina",
            "iicezzrq4681677",
            "",
        ),
        ("https://world.huanqiu.com/article/4MSVE1DOKy3?re=nextnews", "huanqiu", "4MSVE1DOKy3", ""),
        ("https://www.cna.com.tw/news/aipl/201308130087-1.aspx", "cna", "201308130087", ""),
        ("https://inews.hket.com/article/3999001/港鐵東涌綫延線工程展開", "hket", "3999001", ""),
        ("https://china.hket.com/article/3765432", "hket", "3765432", ""),
        (
            "https://www.state.gov/briefings/department-press-briefing-january-3-2024/",
            "statedept",
            "department-press-briefing-january-3-2024",
            "",
        ),
        (
            "https://www.state.gov/releases/office-of-the-spokesperson/2025/02/secretary-rubios-call-with-x/",
            "statedept",
            "secretary-rubios-call-with-x",
            "",
        ),
    ],
)
def test_article_urls_give_their_id(registry, url, slug, article_id, edition):
    outlet = registry.for_url(url)
    assert outlet is not None and outlet.slug == slug
    match = match_article_url(outlet, url)
    assert match is not None
    assert (match.article_id, match.edition) == (article_id, edition)


@pytest.mark.parametrize(
    "url",
    [
        "https://www.cna.com.tw/list/aipl.aspx",
        "https://udn.com/news/index",
        "https://www.epochtimes.com/b5/nf4311_30.htm",
        "https://news.ltn.com.tw/list/breakingnews/politics",
        "https://evil.example.org/news/story/7315/3705102",
        "https://inews.hket.com/sran001",
        "https://www.state.gov/briefings/",
        "https://www.state.gov/rss-feeds/",
    ],
)
def test_other_pages_are_not_article_urls(registry, url):
    outlet = registry.for_url(url)
    assert outlet is None or match_article_url(outlet, url) is None


def test_a_good_entry_loads(tmp_path):
    registry = load_registry(write(tmp_path, GOOD_ENTRY))
    assert registry.get("example").zone.key == "Asia/Taipei"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            ("url_pattern = '^https://news\\.example\\.org/a/(?P<id>\\d+)$'", "url_pattern = '(unclosed'"),
            "field 'article.url_pattern': invalid regular expression",
        ),
        (("(?P<id>\\d+)$'", "\\d+$'"), "field 'article.url_pattern': regular expression"),
        (('timezone = "Asia/Taipei"', 'timezone = "Asia/Taipe"'), "field 'timezone': unknown IANA time zone"),
        (('title = ["h1"]', 'title = ["h1[[["]'), "field 'selectors.title': invalid CSS selector"),
        (('title = ["h1"]', 'titel = ["h1"]'), "field 'selectors.titel': unknown field"),
        (
            ('feeds = ["https://news.example.org/feed.xml"]', 'feeds = ["feed.xml"]'),
            "field 'discovery.feeds': not an absolute http(s) URL",
        ),
        (
            ('feeds = ["https://news.example.org/feed.xml"]', "feeds = []"),
            "field 'discovery': no discovery source",
        ),
        (('script = "Hant"', 'script = "Traditional"'), "field 'script'"),
        (
            ('domains = ["example.org"]', 'domains = ["https://example.org/"]'),
            "field 'domains': not a bare domain",
        ),
        (('name = "Example News"\n', ""), "field 'name': required field is missing"),
        (('title = ["h1"]', 'title = ["h1"]\n[outlet.crawl]\ndelay = -1'), "field 'crawl.delay'"),
        (('title = ["h1"]', 'title = ["h1"]\n[outlet.crawl]\nconcurrency = 0'), "field 'crawl.concurrency'"),
    ],
)
def test_a_bad_entry_names_file_outlet_and_field(tmp_path, change, message):
    old, new = change
    assert old in GOOD_ENTRY, old
    path = write(tmp_path, GOOD_ENTRY.replace(old, new))
    with pytest.raises(RegistryError) as error:
        load_registry(path)
    text = str(error.value)
    assert "\n" not in text
    assert text.startswith(f"{path}: outlet 'example': ")
    assert message in text


def test_hosts_may_be_ip_addresses_or_localhost_and_politeness_is_optional(tmp_path):
    entry = GOOD_ENTRY.replace('domains = ["example.org"]', 'domains = ["127.0.0.1", "::1", "localhost"]')
    outlet = load_registry(write(tmp_path, entry + "[outlet.crawl]\ndelay = 2.5\n")).get("example")
    assert (
        outlet.owns_host("127.0.0.1") and outlet.owns_host("localhost") and not outlet.owns_host("127.0.0.2")
    )
    assert (outlet.crawl.delay, outlet.crawl.concurrency) == (2.5, None)


def test_the_home_page_is_told_apart(registry):
    udn, cna = registry.get("udn"), registry.get("cna")
    assert udn.is_home_page("https://udn.com/news/index") and udn.is_home_page("https://udn.com/")
    assert cna.is_home_page("https://www.cna.com.tw/")
    assert not cna.is_home_page("https://www.cna.com.tw/list/aipl.aspx")
    assert not cna.is_home_page("https://www.cna.com.tw/?page=2")
    assert not cna.is_home_page("https://example.org/")


def test_invalid_toml_and_duplicates_and_missing_files(tmp_path):
    with pytest.raises(RegistryError, match=re.escape("invalid TOML")):
        load_registry(write(tmp_path, GOOD_ENTRY + "\n[[outlet]\n"))
    with pytest.raises(RegistryError, match="field 'slug': duplicate slug"):
        load_registry(write(tmp_path, GOOD_ENTRY + GOOD_ENTRY))
    with pytest.raises(RegistryError, match="registry file not found"):
        load_registry(tmp_path / "missing.toml")
    with pytest.raises(RegistryError, match=r"no \[\[outlet\]\] entries"):
        load_registry(write(tmp_path, "title = 'nothing here'\n"))


def test_json_api_and_editions_are_checked(tmp_path):
    api = (
        GOOD_ENTRY
        + '\n[[outlet.discovery.json_apis]]\nurl = "https://news.example.org/api"\nlinks = "lists[*"\n'
    )
    with pytest.raises(RegistryError, match=r"field 'discovery.json_apis.0.links': invalid JMESPath"):
        load_registry(write(tmp_path, api))
    editions = GOOD_ENTRY.replace(
        'timezone = "Asia/Taipei"',
        'timezone = "Asia/Taipei"\neditions = [{ id = "gb", script = "Hans", language = "zh" }]',
    )
    with pytest.raises(RegistryError, match=r"has no \(\?P<edition>"):
        load_registry(write(tmp_path, editions))


def test_cli_reports_a_bad_registry_in_one_line(tmp_path, cli):
    path = write(tmp_path, GOOD_ENTRY.replace('timezone = "Asia/Taipei"', 'timezone = "Mars/Olympus"'))
    result = cli("outlets", "--registry", str(path))
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert lines == [
        f"Error: {path}: outlet 'example': field 'timezone': unknown IANA time zone 'Mars/Olympus'"
    ]


def test_platforms_are_registry_entries_with_their_hosts_and_pace(registry, tmp_path):
    weibo, x = registry.platform("weibo"), registry.platform("x")
    assert weibo.owns_host("m.weibo.cn") and weibo.owns_host("passport.weibo.com") and weibo.owns_host("t.cn")
    assert (
        x.owns_host("cdn.syndication.twimg.com")
        and x.owns_host("publish.twitter.com")
        and x.owns_host("t.co")
    )
    assert (weibo.crawl.delay, weibo.crawl.concurrency) == (10.0, 1)
    platform = "\n".join(
        [
            "",
            "[[platform]]",
            'slug = "weibo"',
            'name = "Weibo"',
            'home = "https://m.weibo.cn/"',
            'timezone = "UTC"',
            "",
        ]
    )
    with pytest.raises(RegistryError, match=r"platform 'weibo': field 'domains': required field is missing"):
        load_registry(write(tmp_path, GOOD_ENTRY + platform))
    overlapping = platform + 'domains = ["example.org"]\n'
    with pytest.raises(
        RegistryError,
        match=re.escape("platform 'weibo': field 'domains': 'example.org' belongs to outlet 'example'"),
    ):
        load_registry(write(tmp_path, GOOD_ENTRY + overlapping))
    with pytest.raises(RegistryError, match=r"no \[\[platform\]\] 'x': posts of it cannot be fetched"):
        load_registry(write(tmp_path, GOOD_ENTRY)).platform("x")
