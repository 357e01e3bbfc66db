"""Pages saved from the Wayback Machine: read as their site served them, their capture recorded.

One capture is real (trafilatura's evaluation page of he.xinhuanet.com, captured 2012-06-11,
saved 2021 with the Wayback Machine's head include, rewritten links and closing comments). The
others are made here, labelled synthetic: real pages wrapped the way the Wayback Machine serves a
capture, after that real capture (head include, link rewriting, comments) and after the toolbar
block of pages saved from it with a browser (`<!-- BEGIN WAYBACK TOOLBAR INSERT -->` …
`__wm.bt(…)` … `The Wayback Machine - https://web.archive.org/web/<timestamp>/<URL>` …
`<!-- END WAYBACK TOOLBAR INSERT -->`).
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from crawler.archive import Archive
from crawler.items import Capture
from crawler.pages import extract_page
from crawler.pages.decoding import decode_html
from crawler.pages.wayback import find_capture, read_wayback
from crawler.registry import load_registry
from tests.helpers import fixture_page

CAPTURE_TIME = "20130629091700"
UDN_2013 = "generic/cited-pages/udn_NEWS_NATIONAL_NAT4_7996060_2013_big5.shtml.html.gz"
UDN_2013_URL = "http://udn.com/NEWS/NATIONAL/NAT4/7996060.shtml"
MONEY_UDN = "generic/cited-pages/money_udn_money_story_5603_4909425_htmldate.html.gz"
MONEY_UDN_URL = "https://money.udn.com/money/story/5603/4909425"
REAL_CAPTURE = "generic/trafilatura-zh/archive.org.he.xinhuanet.com.25340717.html.gz"


def as_wayback_capture(page: bytes, url: str, timestamp: str = CAPTURE_TIME) -> bytes:
    """Synthetic: `page` (any charset: only ASCII is added) as the Wayback Machine serves a capture."""
    prefix = f"https://web.archive.org/web/{timestamp}"
    host = re.match(rb"https?://[^/]+", url.encode())
    assert host is not None
    head_include = (
        '<script src="//archive.org/includes/analytics.js?v=cf34f82" type="text/javascript"></script>\n'
        '<script type="text/javascript" src="/_static/js/bundle-playback.js?v=UfTkgsKx" charset="utf-8">'
        "</script>\n"
        '<script type="text/javascript" src="/_static/js/wombat.js?v=UHAOicsW" charset="utf-8"></script>\n'
        f'<script type="text/javascript">__wm.init("https://web.archive.org/web");\n'
        f'  __wm.wombat("{url}","{timestamp}","https://web.archive.org/","web","/_static/","1372497420");</script>\n'
        '<link rel="stylesheet" type="text/css" href="/_static/css/banner-styles.css?v=omkqRugM" />\n'
        "<!-- End Wayback Rewrite JS Include -->\n"
    ).encode()
    toolbar = (
        "<!-- BEGIN WAYBACK TOOLBAR INSERT -->\n<script>__wm.rw(0);</script>\n"
        '<div id="wm-ipp-base" lang="en" style="display: block; direction: ltr;">\n</div>'
        f'<div id="wm-ipp-print">The Wayback Machine - {prefix}/{url}</div>\n'
        f'<script type="text/javascript">//<![CDATA[\n__wm.bt(700,27,25,2,"web","{url}","{timestamp}",1996,'
        '"/_static/",["/_static/css/banner-styles.css?v=S1zqJCYt"], false);\n  __wm.rw(1);\n//]]></script>\n'
        "<!-- END WAYBACK TOOLBAR INSERT -->\n"
    ).encode()
    closing = (
        f"\n<!--\n     FILE ARCHIVED ON {datetime.strptime(timestamp, '%Y%m%d%H%M%S'):%H:%M:%S %b %d, %Y} AND"
        " RETRIEVED FROM THE\n     INTERNET ARCHIVE ON 11:06:02 Sep 22, 2021.\n"
        "     JAVASCRIPT APPENDED BY WAYBACK MACHINE, COPYRIGHT INTERNET ARCHIVE.\n-->\n"
    ).encode()
    page = re.sub(rb"(<head[^>]*>)", lambda m: m[1] + b"\n" + head_include, page, count=1, flags=re.I)
    page = re.sub(rb"(<body[^>]*>)", lambda m: m[1] + toolbar, page, count=1, flags=re.I)
    page = re.sub(
        rb'\b(src|href)="(https?://|/(?!/))',
        lambda m: (
            m[1]
            + b'="'
            + prefix.encode()
            + (b"im_/" if m[1] == b"src" else b"/")
            + (m[2] if m[2] != b"/" else host[0] + b"/")
        ),
        page,
    )
    return page + closing


def test_a_real_capture_names_the_page_it_captured_and_when():
    article = extract_page(fixture_page(REAL_CAPTURE)).article
    assert article is not None
    assert article.wayback_original_url == "http://www.he.xinhuanet.com/news/2012-06/04/content_25340717.htm"
    assert article.wayback_captured_at == "2012-06-11T02:42:52+00:00"
    # The page's own address, not the archive's: its time, its source, and nothing of the archive.
    assert article.url == article.wayback_original_url
    assert (article.title, article.published_at, article.source) == (
        "话剧《约定无期限》河北各市巡演结束",
        "2012-06-04T09:20:26+08:00",
        "河北日报",
    )
    assert "archive.org" not in (article.body or "") and "Wayback" not in (article.body or "")


def test_the_archive_additions_are_taken_off_before_reading():
    html, capture = read_wayback(fixture_page(REAL_CAPTURE).decode("gb18030"))
    assert capture is not None
    assert "web.archive.org/web/" not in html and "__wm." not in html and "/_static/" not in html
    assert 'src="http://www.he.xinhuanet.com/images/xinhualogo.gif"' in html


def test_a_wrapped_big5_page_reads_as_the_page_itself_plus_its_capture():
    """Synthetic wrapping of a real 2013 UDN page (Big5, declared), read on the generic path."""
    page = fixture_page(UDN_2013)
    own = extract_page(page, url=UDN_2013_URL).article
    snapshot_url = f"https://web.archive.org/web/{CAPTURE_TIME}/{UDN_2013_URL}"
    wrapped = extract_page(as_wayback_capture(page, UDN_2013_URL), url=snapshot_url)
    assert own is not None and wrapped.article is not None
    assert wrapped.encoding == "big5hkscs"
    assert wrapped.article.wayback_original_url == UDN_2013_URL
    assert wrapped.article.wayback_captured_at == "2013-06-29T09:17:00+00:00"
    assert replace(wrapped.article, wayback_original_url=None, wayback_captured_at=None) == own
    assert (own.title, own.authors, own.published_at) == (
        "國光免費去宜蘭第二天 零星衝突",
        ["邱瓊平"],
        "2013-06-29T16:17:00+08:00",
    )


@pytest.mark.parametrize(
    "url",
    [None, f"https://web.archive.org/web/20201005000000/{MONEY_UDN_URL}", MONEY_UDN_URL],
    ids=["saved file", "snapshot URL", "original URL"],
)
def test_a_capture_of_an_outlet_page_is_that_outlet_article(url):
    """Synthetic wrapping of a real money.udn page: the outlet, id and layout of the page captured."""
    registry = load_registry()
    page = as_wayback_capture(fixture_page(MONEY_UDN), MONEY_UDN_URL, "20201005000000")
    now = datetime(2026, 11, 1, tzinfo=UTC)
    extraction = extract_page(page, url=url, registry=registry, fetched_at=now)
    article = extraction.article
    assert article is not None, extraction.reason
    assert (article.outlet, article.article_id, article.url) == ("udn", "4909425", MONEY_UDN_URL)
    assert article.wayback_captured_at == "2020-10-05T00:00:00+00:00"
    # The layout in force when the Wayback Machine captured the page, not when it was fetched from it.
    assert article.extractor.endswith("layout 2020-02-01")
    assert article.published_at == "2020-10-04T15:05:21+08:00" and article.authors == ["林宸誼"]


def test_a_page_not_from_the_wayback_machine_is_left_alone():
    page = decode_html(fixture_page(UDN_2013)).text
    assert find_capture(page, UDN_2013_URL) is None
    assert read_wayback(page, UDN_2013_URL) == (page, None)


def test_the_archive_keeps_the_capture_as_fetched_and_records_what_it_captured(tmp_path):
    registry = load_registry()
    page = as_wayback_capture(fixture_page(MONEY_UDN), MONEY_UDN_URL, "20201005000000")
    snapshot_url = f"https://web.archive.org/web/20201005000000/{MONEY_UDN_URL}"
    capture = Capture(
        outlet="udn",
        page_kind="article",
        url=snapshot_url,
        final_url=snapshot_url,
        fetched_at=datetime(2026, 11, 1, tzinfo=UTC),
        http_status=200,
        response_headers=[("Content-Type", "text/html; charset=utf-8")],
        body=page,
    )
    capture.extraction = extract_page(
        page, url=snapshot_url, registry=registry, fetched_at=capture.fetched_at
    )
    with Archive(tmp_path / "archive.db") as archive:
        archive.sync_outlets(registry)
        archive.store(capture, run_id=None, outlet=registry.get("udn"))
        row = archive.db.execute(
            "SELECT a.url, a.wayback_original_url, a.wayback_captured_at, c.body_sha256"
            " FROM articles a JOIN captures c ON c.id = a.capture_id"
        ).fetchone()
        original = archive.captures.raw_body(row[3])
        requested = archive.db.execute("SELECT url FROM captures").fetchone()[0]
    assert row[:3] == (MONEY_UDN_URL, MONEY_UDN_URL, "2020-10-05T00:00:00+00:00")
    # The bytes as fetched from the Wayback Machine, under the address they were fetched from.
    assert original == page and requested == snapshot_url
