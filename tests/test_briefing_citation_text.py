"""One line of a source block: its URLs, its date, its label; what a URL's host makes it; the
outlet a label names through the registry's `cited_as`."""

from __future__ import annotations

from datetime import date

import pytest

from crawler.briefings.citation_text import find_urls, label_and_date
from crawler.briefings.links import BriefingLinksError, LinkKind, LinkKinds
from crawler.registry import RegistryError, load_registry


@pytest.mark.parametrize(
    ("written", "label", "claimed"),
    [
        ("Liberty Times, April 2, 2024", "Liberty Times", date(2024, 4, 2)),
        ("Central News Agency (Taiwan), May 6, 2024", "Central News Agency (Taiwan)", date(2024, 5, 6)),
        ("UDN, 28 March 2022", "UDN", date(2022, 3, 28)),
        ("Sina, 2022-03-28", "Sina", date(2022, 3, 28)),
        ("LTN, 2022/3/28", "LTN", date(2022, 3, 28)),
        ("自由時報，2022年3月28日", "自由時報", date(2022, 3, 28)),
        ("CNA (Sept. 3rd, 2024)", "CNA", date(2024, 9, 3)),
        ("CNA, 13/04/2024", "CNA", date(2024, 4, 13)),
        ("CNA, 04/13/2024", "CNA", date(2024, 4, 13)),
        ("CNA, 03/04/2024", "CNA", None),
        ("CNA, February 30, 2024", "CNA", None),
        ("Twitter", "Twitter", None),
    ],
)
def test_label_and_claimed_date(written, label, claimed):
    read_label, read_date = label_and_date(written)
    assert read_label == label
    assert (read_date.value if read_date else None) == claimed


@pytest.mark.parametrize(
    ("written", "url"),
    [
        (
            "https://news.ltn.com.tw/news/world/breakingnews/4630001 ",
            "https://news.ltn.com.tw/news/world/breakingnews/4630001",
        ),
        ("https://www.state.gov/statement/.", "https://www.state.gov/statement/"),
        (
            "(https://ec.ltn.com.tw/article/breakingnews/3872001)",
            "https://ec.ltn.com.tw/article/breakingnews/3872001",
        ),
        ("https://x.com/user/status/1，轉載", "https://x.com/user/status/1"),
        ("https://m.weibo.cn/status/5074123456789012。", "https://m.weibo.cn/status/5074123456789012"),
        ("【https://news.sina.com.cn/c/doc-i1.shtml】", "https://news.sina.com.cn/c/doc-i1.shtml"),
        ("https://en.wikipedia.org/wiki/A_(b)", "https://en.wikipedia.org/wiki/A_(b)"),
        ("https://a.example/p?utm_source=x&id=2", "https://a.example/p?utm_source=x&id=2"),
    ],
)
def test_what_is_glued_to_a_url_is_not_part_of_it(written, url):
    assert [found.url for found in find_urls(written)] == [url]


def test_link_kinds_come_from_the_links_file():
    kinds = LinkKinds()
    assert kinds.of_url("https://bit.ly/4sYnThX") == LinkKind("short_link")
    assert kinds.of_url("https://t.cn/A6abcdE") == LinkKind("short_link")
    assert kinds.of_url("https://m.weibo.cn/detail/5074123456789012") == LinkKind(
        "social_post", "weibo", "5074123456789012"
    )
    assert kinds.of_url("https://mobile.twitter.com/u/status/1") == LinkKind("social_post", "x", "1")
    assert kinds.of_url("https://www.state.gov/x/") == LinkKind("page")
    assert kinds.of_url("https://[broken/") == LinkKind("page")
    assert [
        kinds.platform_named(label) for label in ("微博", "twitter", "Weibo post by @user", "Xinhua")
    ] == [
        "weibo",
        "x",
        "weibo",
        None,
    ]


def test_a_shortener_added_to_the_links_file_is_a_short_link(tmp_path):
    links = tmp_path / "links.toml"
    links.write_text('short_link_hosts = ["sho.rt"]\n[platforms.threads]\nhosts = ["threads.net"]\n')
    kinds = LinkKinds(links)
    assert kinds.of_url("https://sho.rt/a") == LinkKind("short_link")
    assert kinds.of_url("https://bit.ly/a") == LinkKind("page")
    assert kinds.of_url("https://www.threads.net/@u/post/1") == LinkKind("social_post", "threads")


def test_a_bad_links_file_is_one_line_naming_the_field(tmp_path):
    links = tmp_path / "links.toml"
    links.write_text('[platforms.weibo]\nhost = ["weibo.com"]\n')
    with pytest.raises(
        BriefingLinksError, match=r"links.toml: field 'platforms.weibo.hosts': Field required"
    ):
        LinkKinds(links)


@pytest.mark.parametrize(
    ("label", "slug"),
    [
        ("Global Times", "huanqiu"),
        ("HKET", "hket"),
        ("Hong Kong Economic Times", "hket"),
        ("Central News Agency (Taiwan)", "cna"),
        ("Department of State website", "statedept"),
        ("liberty  times", "ltn"),
        ("ＣＮＡ", "cna"),
        ("Weibo", None),
        ("Times", None),
    ],
)
def test_a_label_names_the_outlet_that_lists_it_in_cited_as(registry, label, slug):
    outlet = registry.cited_as(label)
    assert (outlet.slug if outlet else None) == slug


def test_a_name_cited_as_two_outlets_fails_the_registry(tmp_path):
    text = (load_registry().path).read_text(encoding="utf-8")
    registry = tmp_path / "outlets.toml"
    registry.write_text(
        text.replace('cited_as = ["HKET",', 'cited_as = ["Global Times", "HKET",'), encoding="utf-8"
    )
    with pytest.raises(
        RegistryError, match=r"outlet 'hket': field 'cited_as': 'Global Times' already names outlet 'huanqiu'"
    ):
        load_registry(registry)
