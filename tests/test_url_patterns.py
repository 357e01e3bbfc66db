"""An outlet's hosts and URL schemes in the registry: several patterns, namespaces, examples checked
on load, and no host owned by two outlets. Entries here are written for the test."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from crawler.identity import article_key, canonical_url
from crawler.registry import RegistryError, load_registry, match_article_url
from tests.test_registry import GOOD_ENTRY, write

SINGLE = "url_pattern = '^https://news\\.example\\.org/a/(?P<id>\\d+)$'"
SEVERAL = """[[outlet.article.url_patterns]]
name = "a"
regex = '^https://news\\.example\\.org/a/(?P<id>\\d+)$'
examples = ["https://news.example.org/a/1"]

[[outlet.article.url_patterns]]
name = "old"
regex = '^https?://old\\.example\\.org/news/(?P<id>\\d+)\\.html$'
id_namespace = "old"
examples = ["http://old.example.org/news/1.html"]
"""
# The second pattern's example is read by the first: the order would hide the second's scheme.
SHADOWED = """[[outlet.article.url_patterns]]
name = "a"
regex = '^https://news\\.example\\.org/a/(?P<id>\\d+)$'

[[outlet.article.url_patterns]]
name = "any"
regex = '^https://news\\.example\\.org/\\w+/(?P<id>\\d+)$'
examples = ["https://news.example.org/a/2"]
"""
DOCS = Path(__file__).resolve().parent.parent / "docs" / "outlets-and-urls.md"


def entry(patterns: str, **replacements: str) -> str:
    text = GOOD_ENTRY.replace(f"[outlet.article]\n{SINGLE}\n", patterns)
    for old, new in replacements.items():
        text = text.replace(old, new)
    return text


def test_several_patterns_read_ids_each_in_its_namespace(tmp_path):
    outlet = load_registry(write(tmp_path, entry(SEVERAL))).get("example")
    new, old = (
        article_key(outlet, "https://news.example.org/a/1"),
        article_key(outlet, "http://old.example.org/news/1.html?ref=rss"),
    )
    assert new is not None and old is not None
    # One number, two numberings: two articles.
    assert (new.article_id, old.article_id) == ("1", "old:1")
    found = match_article_url(outlet, "http://old.example.org/news/1.html")
    assert found is not None and found.pattern == "old"
    assert match_article_url(outlet, "https://other.example.net/news/1.html") is None


def test_the_single_url_pattern_is_one_pattern_named_main(tmp_path):
    outlet = load_registry(write(tmp_path, GOOD_ENTRY)).get("example")
    assert [(p.name, p.id_namespace) for p in outlet.article.patterns] == [("main", "")]


def test_canonical_path_is_written_by_the_pattern_that_matches(tmp_path):
    several = SEVERAL.replace('id_namespace = "old"', 'id_namespace = "old"\ncanonical_path = "/n/{id}.html"')
    outlet = load_registry(write(tmp_path, entry(several))).get("example")
    assert (
        canonical_url("http://old.example.org/news/7.html?utm_source=x", outlet)
        == "http://old.example.org/n/7.html"
    )
    assert canonical_url("https://news.example.org/a/7", outlet) == "https://news.example.org/a/7"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            entry(
                SEVERAL.replace(
                    'examples = ["http://old.example.org/news/1.html"]',
                    'examples = ["http://old.example.org/x"]',
                )
            ),
            "field 'article.url_patterns.1': example 'http://old.example.org/x' does not match regex",
        ),
        (
            entry(SHADOWED),
            "field 'article.url_patterns.1.examples': 'https://news.example.org/a/2'"
            " is read by the earlier pattern 'a'",
        ),
        (
            entry(
                SEVERAL.replace("old\\.example\\.org", "old\\.example\\.net").replace(
                    "old.example.org", "old.example.net"
                )
            ),
            "field 'article.url_patterns.1.examples': 'http://old.example.net/news/1.html'"
            " is not in the outlet's domains",
        ),
        (
            entry(SEVERAL.replace('name = "old"', 'name = "a"')),
            "field 'article': two url_patterns are named 'a'",
        ),
        (
            GOOD_ENTRY.replace(SINGLE, SINGLE + "\n" + SEVERAL),
            "give url_pattern or [[outlet.article.url_patterns]], not both",
        ),
        (
            GOOD_ENTRY.replace(SINGLE, "keep_query = []"),
            "no article URLs: give url_pattern, or [[outlet.article.url_patterns]]",
        ),
        (entry(SEVERAL.replace('id_namespace = "old"', 'id_namespace = "Old:"')), "id_namespace"),
        (
            entry(
                SEVERAL,
                **{'domains = ["example.org"]': 'domains = ["example.org"]\nhosts = ["news.example.net"]'},
            ),
            "field 'hosts': 'news.example.net' is not in the outlet's domains",
        ),
        (
            entry(
                SEVERAL,
                **{
                    'timezone = "Asia/Taipei"': 'timezone = "Asia/Taipei"\n'
                    'editions = [{ id = "gb", script = "Hans", language = "zh" }]'
                },
            ),
            "article url pattern 'a' has no (?P<edition>...) group",
        ),
    ],
)
def test_bad_patterns_are_one_line_naming_the_field(tmp_path, text, message):
    with pytest.raises(RegistryError) as raised:
        load_registry(write(tmp_path, text))
    assert message in str(raised.value) and "\n" not in str(raised.value)
    assert "outlet 'example'" in str(raised.value)


def test_two_outlets_owning_one_host_are_refused_naming_both(tmp_path):
    sister = GOOD_ENTRY.replace('slug = "example"', 'slug = "sister"').replace(
        'domains = ["example.org"]', 'domains = ["money.example.org"]'
    )
    with pytest.raises(RegistryError) as raised:
        load_registry(write(tmp_path, GOOD_ENTRY + sister))
    assert str(raised.value) == (
        f"{tmp_path / 'outlets.toml'}: outlet 'sister': field 'domains': 'money.example.org' overlaps"
        " 'example.org' of outlet 'example': a host belongs to one outlet (list a sister site under its"
        " owner's hosts)"
    )


def test_outlets_of_the_offline_tests_may_share_an_address_told_apart_by_their_patterns(tmp_path):
    one = GOOD_ENTRY.replace('domains = ["example.org"]', 'domains = ["127.0.0.1"]').replace(
        "https://news\\.example\\.org/a/", "http://127\\.0\\.0\\.1:\\d+/one/"
    )
    two = one.replace('slug = "example"', 'slug = "two"').replace("/one/", "/two/")
    registry = load_registry(write(tmp_path, one + two))
    owners = [registry.for_url(f"http://127.0.0.1:8080/{path}/1") for path in ("one", "two", "three")]
    assert [outlet.slug if outlet else None for outlet in owners] == ["example", "two", "example"]


def test_a_url_two_outlets_patterns_would_match_cannot_exist(registry):
    # A host belongs to one outlet, and a pattern reads only its outlet's hosts.
    for url in (
        "https://money.udn.com/money/story/5603/4909425",
        "https://ec.ltn.com.tw/article/breakingnews/3119452",
    ):
        owners = [outlet.slug for outlet in registry if match_article_url(outlet, url)]
        assert len(owners) == 1, (url, owners)


def test_the_shipped_registry_lists_the_issues_sister_sites_and_earlier_schemes(registry):
    hosts = {outlet.slug: set(outlet.hosts) for outlet in registry}
    assert {
        "global.udn.com",
        "money.udn.com",
        "vip.udn.com",
        "health.udn.com",
        "opinion.udn.com",
        "stars.udn.com",
    } <= hosts["udn"]
    assert {
        f"{sub}.ltn.com.tw" for sub in ("ec", "ent", "sports", "talk", "def", "3c", "estate", "partners")
    } <= hosts["ltn"]
    assert {f"{sub}.sina.com.cn" for sub in ("finance", "tech", "k", "sports", "ent", "mil.news")} <= hosts[
        "sina"
    ]
    assert {f"{sub}.huanqiu.com" for sub in ("world", "china", "mil", "taiwan", "opinion", "3w")} <= hosts[
        "huanqiu"
    ]
    assert {f"{sub}.hket.com" for sub in ("inews", "china", "wealth", "topick", "ps")} <= hosts["hket"]
    assert {"2017-2021.state.gov", "2009-2017.state.gov"} <= hosts["statedept"]
    read = {
        "https://china.huanqiu.com/hot/2016-09/9501178.html": ("huanqiu", "cms:9501178"),
        "http://china.huanqiu.com/article/2016-11/9738273.html": ("huanqiu", "cms:9738273"),
        "http://www.cna.com.tw/News/FirstNews/201306290064-1.aspx": ("cna", "201306290064"),
        "https://www.cna.com.tw/news/firstnews/201306290064.aspx": ("cna", "201306290064"),
        "https://www.epochtimes.com/gb/16/10/27/n8434215.htm": ("epochtimes", "n8434215"),
        "https://www.state.gov/r/pa/prs/ps/2015/07/244820.htm": ("statedept", "prs:244820"),
        "https://2009-2017.state.gov/r/pa/prs/ps/2015/07/244820.htm": ("statedept", "prs:244820"),
        "https://2017-2021.state.gov/communist-chinas-aggression-threatens-our-democracy/": (
            "statedept",
            "communist-chinas-aggression-threatens-our-democracy",
        ),
        "https://k.sina.com.cn/article_6105713761_16bedcc6102001otd2.html?from=news": (
            "sina",
            "k:6105713761_16bedcc6102001otd2",
        ),
        "https://sports.ltn.com.tw/news/breakingnews/4405889": ("ltn", "4405889"),
        "https://news.ltn.com.tw/news/politics/paper/1600975": ("ltn", "paper:1600975"),
        "https://inews.hket.com/article/3999001/港鐵": ("hket", "3999001"),
    }
    for url, (slug, article_id) in read.items():
        key = article_key(registry.get(slug), url)
        assert key is not None and key.article_id == article_id, url


def test_the_docs_show_the_registry_as_it_is(registry):
    text = DOCS.read_text(encoding="utf-8")
    shipped = (Path(__file__).resolve().parent.parent / "config" / "outlets.toml").read_text(encoding="utf-8")
    blocks = re.findall(r"```toml\n(.*?)```", text, flags=re.DOTALL)
    verbatim = [block for block in blocks if "…" not in block]
    assert verbatim and all(block in shipped for block in verbatim)
    for block in blocks:
        for line in block.splitlines():
            if line.strip() != "…":
                assert line in shipped, line
