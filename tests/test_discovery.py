"""Discovery documents read as plain functions, without a crawl: feeds, sitemaps, listings, list APIs.

The listings are real saved pages (tests/fixtures/outlets, provenance in /work/shared/fixtures/SOURCES.md);
the feeds, sitemaps and API answers are synthetic, written here in the formats the outlets serve.
"""

from __future__ import annotations

import gzip
import json
from urllib.parse import urlsplit

from crawler.discovery import (
    Discovered,
    article_urls,
    read_feed,
    read_json_api,
    read_listing,
    read_sitemap,
    redirect_stub_links,
)
from crawler.registry import JsonApiSource, ListingSource
from tests.helpers import fixture_page
from tests.loopback import sitemap_index, urlset

CNA_LIST = "https://www.cna.com.tw/list/aipl.aspx"
UDN_INDEX = "https://udn.com/news/index"

# Synthetic: an RSS 2.0 feed as feedburner serves CNA's, one entry also giving an Atom link.
RSS = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom"><channel><title>中央社 政治</title>
<item><title>一</title><link>https://www.cna.com.tw/news/aipl/202611280001.aspx?utm_source=rss</link></item>
<item><title>二</title><link>https://www.cna.com.tw/news/aipl/202611280002.aspx</link>
  <atom:link rel="alternate" href="https://www.cna.com.tw/news/aipl/202611280002-1.aspx"/></item>
</channel></rss>"""
# Synthetic: an Atom feed.
ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>自由時報</title>
<entry><title>一</title><link href="https://news.ltn.com.tw/news/politics/breakingnews/4800001"/></entry>
</feed>"""


def test_a_feed_lists_each_entry_link_once():
    found = read_feed(RSS.encode())
    assert sorted(found.links) == [
        "https://www.cna.com.tw/news/aipl/202611280001.aspx?utm_source=rss",
        "https://www.cna.com.tw/news/aipl/202611280002-1.aspx",
        "https://www.cna.com.tw/news/aipl/202611280002.aspx",
    ]
    assert found.problem is None
    assert read_feed(ATOM.encode()).links == ("https://news.ltn.com.tw/news/politics/breakingnews/4800001",)


def test_a_feed_that_lists_nothing_says_why():
    assert read_feed(b'<rss version="2.0"><channel><title>t</title></channel></rss>').problem == (
        "feed lists no entries"
    )
    for not_a_feed in (b"<html><body>Service Unavailable</body></html>", b""):
        assert read_feed(not_a_feed) == Discovered(problem="not a feed: no RSS, Atom or RDF root")


def test_the_feed_links_become_the_outlets_articles_once_each(registry):
    cna = registry.get("cna")
    found = article_urls(cna, read_feed(RSS.encode()).links, "https://feeds.feedburner.com/rsscna/politics")
    # The tracking parameter and the old "-1" suffix make no second article.
    assert [link.url for link in found.articles] == [
        "https://www.cna.com.tw/news/aipl/202611280001.aspx",
        "https://www.cna.com.tw/news/aipl/202611280002.aspx",
    ]
    assert found.articles[0].listed_url == "https://www.cna.com.tw/news/aipl/202611280001.aspx?utm_source=rss"
    assert found.other_links == 0
    others = article_urls(cna, ["/about.aspx", "https://example.com/news/aipl/202611280003.aspx"], CNA_LIST)
    assert (others.articles, others.other_links) == ([], 2)


def test_a_sitemap_lists_its_pages_gzipped_or_not():
    body = urlset(["https://udn.com/news/story/7331/8000001", "/news/story/7331/8000002"])
    for document in (body, gzip.compress(body)):
        found = read_sitemap(document, "https://udn.com/sitemap/gnews/2")
        assert found.links == (
            "https://udn.com/news/story/7331/8000001",
            "https://udn.com/news/story/7331/8000002",
        )
        assert (found.documents, found.problem) == ((), None)


def test_a_sitemap_index_leads_to_its_sitemaps():
    index = "https://news.ltn.com.tw/sitemap.xml"
    children = ("https://news.ltn.com.tw/sitemap/1.xml", "https://news.ltn.com.tw/sitemap/2.xml")
    found = read_sitemap(sitemap_index(children), index)
    assert (found.links, found.documents, found.problem) == ((), children, None)
    itself = read_sitemap(sitemap_index([index]), index)
    assert itself.problem == "sitemap index lists itself"


def test_what_is_not_a_sitemap_says_why():
    url = "https://www.cna.com.tw/sitemap_fromremote_cfp.xml"
    assert read_sitemap(b"<html><body>{ not xml</body></html>", url).problem == (
        "not a sitemap: root element <html>"
    )
    assert read_sitemap(urlset([]), url).problem == "sitemap (urlset) lists no URLs"
    assert read_sitemap(b"\x1f\x8b not really gzip", url).problem.startswith("not a sitemap: ")
    assert read_sitemap(b"", url).problem.startswith("not a sitemap")


def test_a_real_listing_page_gives_the_articles_its_selector_picks(registry):
    page = fixture_page("outlets/cna/cna_list_aipl_politics_digital_news_crawl_2021.html.gz").decode()
    found = read_listing(page, ListingSource(url=CNA_LIST, links="ul#jsMainList li > a"))
    links = article_urls(registry.get("cna"), found.links, CNA_LIST)
    assert found.problem is None
    # The list's hundred stories; the three ads among them (beap.gemini.yahoo.com) are no articles.
    assert (len(links.articles), links.other_links) == (100, 3)
    assert {urlsplit(article.url).path.split("/")[2] for article in links.articles} == {"aipl", "firstnews"}


def test_a_listing_with_the_default_selector_keeps_only_article_links(registry):
    page = fixture_page("outlets/udn/udn_homepage_news_index_python_charts_2021.html.gz").decode()
    found = read_listing(page, ListingSource(url=UDN_INDEX))
    links = article_urls(registry.get("udn"), found.links, UDN_INDEX)
    assert links.other_links > 0
    assert links.articles and all("/story/" in article.url for article in links.articles)
    # Its sister sites' stories too: money.udn, global.udn, opinion.udn … (the registry's hosts).
    sister_hosts = {urlsplit(a.url).hostname for a in links.articles if a.pattern == "sister-story"}
    assert {"money.udn.com", "global.udn.com", "opinion.udn.com"} <= sister_hosts
    # Listed with tracking parameters, archived under the canonical URL.
    assert all("?" not in article.url for article in links.articles)


def test_a_listing_that_gives_no_links_says_why():
    source = ListingSource(url=UDN_INDEX, links="div.story-list a")
    assert read_listing("<html><body><p>維護中</p></body></html>", source).problem == (
        "no links match 'div.story-list a'"
    )
    assert read_listing(None, source).problem == "listing is not an HTML page"


def test_a_list_api_gives_urls_or_ids_through_its_template():
    # Synthetic answers in the shapes UDN's and Huanqiu's list APIs use.
    udn = JsonApiSource(url="https://udn.com/api/more", links="lists[*].titleLink")
    answer = {"lists": [{"titleLink": "/news/story/7331/8000001"}, {"titleLink": ""}, {"title": "no link"}]}
    assert read_json_api(json.dumps(answer).encode(), udn).links == ("/news/story/7331/8000001",)
    ids = JsonApiSource(
        url="https://world.huanqiu.com/api/list",
        links="list[*].aid",
        link_template="https://world.huanqiu.com/article/{}",
    )
    found = read_json_api('\ufeff{"list": [{"aid": "4MSVE1DOKy3"}, {"aid": 42}]}'.encode(), ids)
    assert found.links == (
        "https://world.huanqiu.com/article/4MSVE1DOKy3",
        "https://world.huanqiu.com/article/42",
    )


def test_a_list_api_that_gives_no_links_says_why():
    udn = JsonApiSource(url="https://udn.com/api/more", links="lists[*].titleLink")
    assert read_json_api(b'{"lists": []}', udn).problem == "no links at 'lists[*].titleLink'"
    html = read_json_api(b"<html><body>Service Unavailable</body></html>", udn)
    assert html.problem is not None and html.problem.startswith("not JSON: ")
    assert read_json_api(b"\xff\xfe\x00", udn).problem.startswith("not JSON: ")


def test_a_script_redirect_stub_leads_to_the_outlets_own_page_only(registry):
    udn = registry.get("udn")
    url = "https://udn.com/news/story/7331/8000001"
    stub = b'<html><script>window.location.href = "/news/story/7331/8000002";</script></html>'
    assert redirect_stub_links(stub, url, udn) == ["https://udn.com/news/story/7331/8000002"]
    elsewhere = b'<script>location = "https://example.com/landing";</script>'
    assert redirect_stub_links(elsewhere, url, udn) == []
    # A whole article page that happens to set location is no stub.
    assert redirect_stub_links(stub + b" " * 5000, url, udn) == []
