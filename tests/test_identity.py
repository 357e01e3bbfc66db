"""One article, many URLs: canonical URLs and article keys per outlet, and what makes a new version."""

from __future__ import annotations

import pytest

from crawler.identity import ArticleKey, article_key, canonical_url, content_hash
from crawler.registry import RegistryError, load_registry
from tests.test_registry import GOOD_ENTRY, write


@pytest.mark.parametrize(
    ("slug", "seen", "canonical", "key"),
    [
        # UDN: ?from= and utm_ tracking go; the category segment varies but the id is the key.
        (
            "udn",
            "https://udn.com/news/story/7315/3705102?from=udn-ch1_breaknews-1-0-news&utm_source=line#x",
            "https://udn.com/news/story/7315/3705102",
            ("udn", "3705102", ""),
        ),
        (
            "udn",
            "https://UDN.com:443/news/story/11315/3705102",
            "https://udn.com/news/story/11315/3705102",
            ("udn", "3705102", ""),
        ),
        # LTN's mobile site serves the same article: the desktop host is its address.
        (
            "ltn",
            "https://m.ltn.com.tw/news/life/breakingnews/2504351",
            "https://news.ltn.com.tw/news/life/breakingnews/2504351",
            ("ltn", "2504351", ""),
        ),
        # CNA: the old -1 suffix is not part of the address; any category names the same article.
        (
            "cna",
            "https://www.cna.com.tw/news/asoc/201603190029-1.aspx",
            "https://www.cna.com.tw/news/asoc/201603190029.aspx",
            ("cna", "201603190029", ""),
        ),
        (
            "cna",
            "https://www.cna.com.tw/news/aall/201603190029.aspx?utm_medium=rss",
            "https://www.cna.com.tw/news/aall/201603190029.aspx",
            ("cna", "201603190029", ""),
        ),
        # Huanqiu's "next news" tracking.
        (
            "huanqiu",
            "https://world.huanqiu.com/article/4MSVE1DOKy3?re=nextnews",
            "https://world.huanqiu.com/article/4MSVE1DOKy3",
            ("huanqiu", "4MSVE1DOKy3", ""),
        ),
        # Epoch Times: one story key n<id>, two editions.
        (
            "epochtimes",
            "https://www.epochtimes.com/gb/24/5/20/n14250000.htm?utm_campaign=share",
            "https://www.epochtimes.com/gb/24/5/20/n14250000.htm",
            ("epochtimes", "n14250000", "gb"),
        ),
        (
            "epochtimes",
            "https://www.epochtimes.com/b5/24/5/20/n14250000.htm",
            "https://www.epochtimes.com/b5/24/5/20/n14250000.htm",
            ("epochtimes", "n14250000", "b5"),
        ),
        (
            "sina",
            "https://news.sina.com.cn/c/2019-10-23/doc-iicezuev4202091.shtml?utm_source=weibo&cre=tianyi",
            "https://news.sina.com.cn/c/2019-10-23/doc-iicezuev4202091.shtml",
            ("sina", "iicezuev4202091", ""),
        ),
    ],
)
def test_every_url_of_an_article_gives_its_canonical_url_and_key(registry, slug, seen, canonical, key):
    outlet = registry.get(slug)
    assert canonical_url(seen, outlet) == canonical
    assert canonical_url(canonical, outlet) == canonical
    assert article_key(outlet, seen) == ArticleKey(*key)


def test_pages_that_are_not_articles_have_no_key(registry):
    assert article_key(registry.get("udn"), "https://udn.com/news/index") is None
    assert article_key(registry.get("ltn"), "https://news.ltn.com.tw/list/breakingnews") is None


def test_without_an_outlet_only_generic_tracking_goes():
    assert (
        canonical_url("HTTPS://Example.COM/a/b?utm_source=x&fbclid=1&page=2#top")
        == "https://example.com/a/b?page=2"
    )


def test_a_version_is_the_text_a_reader_reads():
    base = content_hash("標題", "第一段。\n\n第二段。")
    assert content_hash("標題 ", "第一段。\n\n\n第二段。 ") == base
    assert content_hash("標題", "第一段。\n\n第二段。") == base
    # Full-width and half-width forms are one text.
    assert content_hash("ＡＢＣ", "１２３") == content_hash("ABC", "123")
    assert content_hash("標題", "第一段。\n\n第二段有更正。") != base
    assert content_hash("新標題", "第一段。\n\n第二段。") != base


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        (
            "mobile_hosts = { 'm.other.org' = 'news.example.org' }",
            "'m.other.org' is not in the outlet's domains",
        ),
        ("mobile_hosts = { 'M.example.org/' = 'news.example.org' }", "not a bare domain name"),
        ("canonical_path = '/a/{category}'", "names {category}, which is not a named group"),
        ("canonical_path = 'a/{id}'", "must start with '/'"),
    ],
)
def test_bad_url_rules_are_one_line_errors(tmp_path, rule, message):
    entry = GOOD_ENTRY.replace("[outlet.selectors]", f"{rule}\n\n[outlet.selectors]")
    path = write(tmp_path, entry)
    with pytest.raises(RegistryError) as raised:
        load_registry(path)
    assert message in str(raised.value)
    assert "outlet 'example'" in str(raised.value) and "\n" not in str(raised.value)
