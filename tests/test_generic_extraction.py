"""Pages of sites with no outlet entry: real pages from tests/fixtures/generic (SOURCES.md there).

bench/generic.py scores the same sets against bare trafilatura; these tests pin what the
generic path must keep finding, page by page.
"""

from __future__ import annotations

import json
import re
from zoneinfo import ZoneInfo

import pytest

from crawler.pages import extract_page
from crawler.pages.boilerplate import is_boilerplate
from crawler.pages.bylines import lift_bylines
from crawler.pages.credit_lines import agency_name, parse_credit_paragraph, parse_labelled_credits
from crawler.pages.dates import find_visible_times, guess_zone
from crawler.pages.decoding import decode_html
from crawler.sites import site_outlet_slug
from tests.helpers import FIXTURES, fixture_page

TWNEWS = json.loads((FIXTURES / "generic" / "twnews" / "expected.json").read_text(encoding="utf-8"))["cases"]
CHARSET_DECLARATION = re.compile(rb"<meta[^>]*charset[^>]*>", re.IGNORECASE)


def compact(text: str) -> str:
    return re.sub(r"\s+", "", text)


@pytest.mark.parametrize("case", TWNEWS, ids=[case["channel"] for case in TWNEWS])
def test_taiwanese_pages_give_title_byline_time_and_text(case):
    name = case["fixture"].split("/")[-1].removesuffix(".html")
    # Saved without their URL, and read as pages of no configured outlet (even CNA, LTN, UDN):
    # each its site's, named by the page's own canonical link.
    article = extract_page(fixture_page(f"generic/twnews/{name}.html.gz")).article
    assert article is not None and article.outlet == site_outlet_slug(article.url or "")
    assert compact(case["title_contains"]) in compact(article.title or "")
    assert article.authors == ([case["author"]] if case["author"] else [])
    assert all(compact(snippet) in compact(article.body or "") for snippet in case["content_includes"])
    # twnews gives times to the minute, in Taipei time.
    minute = case["date"].replace(" ", "T")[:16]
    if case["channel"] == "cna":
        # twnews expects the time CNA prints, which its label says is the last update.
        assert (article.modified_at or "").startswith(minute)
        assert article.published_at == "2016-03-19T08:15:00+08:00"
    else:
        assert (article.published_at or "").startswith(minute) and article.published_at.endswith("+08:00")


CITED = [
    case
    for case in json.loads(
        (FIXTURES / "generic" / "cited-pages" / "expected.json").read_text(encoding="utf-8")
    )["cases"]
    if "page" in case
]
# Pages still read wrong, and why (the tests fail if they come right, so that this list is kept true).
STILL_WRONG = {
    # Its only date is the site's header bar of the day it was served; the time is in the headline.
    "libertytimes_iservice_liveNews_829851_2013.html.gz": "published",
}


def stamp(published: str | None) -> str | None:
    """2013-06-29T16:17:00+08:00 → 2013-06-29T16:17+08:00; a bare date as it is."""
    return f"{published[:16]}{published[19:]}" if published and len(published) > 10 else published


@pytest.mark.parametrize(
    "case",
    [
        pytest.param(case, marks=pytest.mark.xfail(strict=True, reason=STILL_WRONG[case["page"]]))
        if case["page"] in STILL_WRONG
        else case
        for case in CITED
    ],
    ids=[case["page"].removesuffix(".html.gz") for case in CITED],
)
def test_cited_pages_of_any_year_and_site_read_as_reviewed(case):
    # Read as the page of its URL, with no outlet entry (bench/generic.py scores the same pages).
    article = extract_page(fixture_page(f"generic/cited-pages/{case['page']}"), url=case["url"]).article
    assert article is not None
    body = compact(article.body or "")
    assert compact(article.title or "") == compact(case["title"])
    assert case["authors"] is None or sorted(article.authors) == sorted(case["authors"])
    assert body.startswith(compact(case["body_start"]))
    assert stamp(article.published_at) == case["published"]
    assert body.endswith(compact(case["body_end"]))


def test_a_mainland_page_loses_its_furniture_and_keeps_its_credits():
    # people.com.cn, 2024 (fundus); Fundus counts the 责编 as authors, sourcevault as editors.
    expected = json.loads(
        (FIXTURES / "generic" / "fundus-people" / "People.json").read_text(encoding="utf-8")
    )
    paragraphs = [p for section in expected["V1"]["body"]["sections"] for p in section["paragraphs"]]
    article = extract_page(fixture_page("generic/fundus-people/People_2024_04_24.html.gz")).article
    assert article is not None
    body = article.body or ""
    # Fundus keeps the wire's dateline in the text; sourcevault lifts it like any byline.
    dateline = "新华社北京4月24日电"
    assert paragraphs[0].startswith(dateline) and article.bylines[0] == dateline
    assert body.startswith(paragraphs[0].removeprefix(dateline).strip()[:30]) and paragraphs[-1][:30] in body
    assert "客户端下载" not in body and "(责编" not in body
    assert article.editors == expected["V1"]["authors"]
    assert article.published_at == "2024-04-24T23:52:00+08:00"
    assert article.field_methods["body"] == "text-density"


def test_a_standfirst_outside_the_text_column_leads_the_text():
    # Baidu Baike: the lemma summary sits apart from the article; the meta description names it.
    article = extract_page(fixture_page("generic/trafilatura-zh/baike.baidu.com.tanya.html.gz")).article
    assert article is not None
    assert (article.body or "").startswith("蔡健雅（Tanya Chua），1975年1月28日出生于新加坡")
    assert "网友印象" not in (article.body or "")


@pytest.mark.parametrize(
    ("page", "encoding"),
    [
        # Each of these was misread before the text between the tags alone was sniffed.
        ("generic/gne/163_8.html.gz", "gb2312"),
        ("generic/gne/gzggw_1.html.gz", "gbk"),
        ("generic/gne/wechat_1.html.gz", "gb18030"),
        ("generic/gne/njxfhn_1.html.gz", "gb2312"),
        ("outlets/sina/sina_finance_roll_2018-12-28_ihqfskcn2160999_gne.html.gz", "big5"),
        ("outlets/cna/cna_list_aipl_politics_digital_news_crawl_2021.html.gz", "cp950"),
        ("generic/twnews/udn.html.gz", "big5"),
    ],
)
def test_real_pages_without_a_charset_declaration_are_read_right(page, encoding):
    text = fixture_page(page).decode("utf-8")
    body = CHARSET_DECLARATION.sub(b"", text.encode(encoding, "xmlcharrefreplace"))
    decoded = decode_html(body)
    sample = max(re.findall(r"[\u4e00-\u9fff，。]{8,}", body.decode(encoding)), key=len)
    assert sample in decoded.text
    assert decoded.encoding_source == "detected"
    assert decoded.encoding in ({"gb18030"} if encoding.startswith("gb") else {"big5hkscs", "cp950"})


@pytest.mark.parametrize(
    ("line", "authors", "editors", "source"),
    [
        ("本文来源：证券市场红周刊责任编辑：杨倩_NF4425", [], ["杨倩"], "证券市场红周刊"),
        ("【编辑：姚昊】", [], ["姚昊"], None),
        ("(责编：汤诗瑶、丁涛)", [], ["汤诗瑶", "丁涛"], None),
        ("编辑 刘晓阳 校对 李铭", [], ["刘晓阳", "李铭"], None),
        ("作者：记者王敬照", ["王敬照"], [], None),
        ("采写：南都见习记者 林子沛", ["林子沛"], [], None),
        ("【文/观察者网专栏作者 王文】", ["王文"], [], None),
        ("责编：Demi Xia", [], ["Demi Xia"], None),
        ("來源：中央社", [], [], "中央社"),
        ("記者林悅／南市報導", ["林悅"], [], None),
        ("社會中心／綜合報導", [], [], None),
        ("澎湃新闻记者 段彦超 廖艳", ["段彦超", "廖艳"], [], None),
        ("来源：本站原创 作者：医技药剂党支部", [], [], None),
    ],
)
def test_credit_paragraphs_name_people_not_desks(line, authors, editors, source):
    credits = parse_credit_paragraph(line)
    assert credits is not None
    assert (credits.authors, credits.editors, credits.source) == (authors, editors, source)


@pytest.mark.parametrize(
    "line", ["原文：我说了", "记者了解到，昨天的会议已经结束。", "新华社记者", "文化部今天宣布"]
)
def test_sentences_are_not_credit_paragraphs(line):
    assert parse_credit_paragraph(line) is None


def test_labelled_credits_around_the_text_can_share_a_line_with_other_things():
    credits = parse_labelled_credits("2019-09-26 12:11来源：证券时报网作者：李在山", whole_line=False)
    assert credits is not None and (credits.source, credits.authors) == ("证券时报网", ["李在山"])
    credits = parse_labelled_credits("版权声明 来源：当代商报 时间：2019-09-23 作者：", whole_line=False)
    assert credits is not None and (credits.source, credits.authors) == ("当代商报", [])


def test_closing_datelines_and_credit_paragraphs_are_lifted():
    text = "警方已勘驗現場並報請相驗，將進一步釐清死因。"
    paragraphs, credits = lift_bylines(
        [
            text + "（王煌忠／台中報導）《蘋果》關心你",
            "编辑 刘晓阳 校对 李铭",
            "本文来源：新京报责任编辑：姚立伟_NT6056",
        ]
    )
    assert paragraphs == [text]
    assert credits.authors == ["王煌忠"] and credits.editors == ["姚立伟", "刘晓阳", "李铭"]
    assert credits.bylines[0] == "本文来源：新京报责任编辑：姚立伟_NT6056"
    assert credits.source == "新京报"


@pytest.mark.parametrize(
    ("agency", "name"),
    [("新华社巴黎12月9日电", "新华社"), ("长江网10月4日讯", "长江网"), ("新京报快讯", "新京报")],
)
def test_an_agency_loses_the_dateline_of_its_dispatch(agency, name):
    assert agency_name(agency) == name


@pytest.mark.parametrize(
    ("lines", "published", "modified"),
    [
        (["2019-09-07 13:43:45 来源: 证券市场红周刊"], "2019-09-07 13:43:45", None),
        (["2019年06月15日08:18 来源：人民网"], "2019-06-15 08:18", None),
        (["最新更新：2016/03/19 10:48"], None, "2016-03-19 10:48"),
        (
            ["2019-09-07 15:10:53", "最后更新: 2019-09-07 15:14:21"],
            "2019-09-07 15:10:53",
            "2019-09-07 15:14:21",
        ),
        (["15:312018/09/16", "2018-09-16 15:31 +08:00"], "2018-09-16 15:31+08:00", None),
        (["发布时间：10-0812:00"], None, None),
    ],
)
def test_printed_times_are_found_with_their_label(lines, published, modified):
    times = find_visible_times(lines)
    assert (times.published, times.modified) == (published, modified)


@pytest.mark.parametrize(
    ("host", "language", "chinese", "zone"),
    [
        ("www.chinatimes.com.tw", None, True, "Asia/Taipei"),
        ("www.setn.com", "zh-Hant-TW", True, "Asia/Taipei"),
        ("news.example.com", "zh-HK", True, "Asia/Hong_Kong"),
        ("www.guancha.cn", None, True, "Asia/Shanghai"),
        ("www.163.com", "zh-cmn-Hans", True, "Asia/Shanghai"),
        ("www.qq.com", None, True, "Asia/Shanghai"),
        ("www.example.org", "en", False, "UTC"),
    ],
)
def test_pages_of_unconfigured_sites_get_the_zone_of_their_country(host, language, chinese, zone):
    assert guess_zone(host, language, chinese) == ZoneInfo(zone)


@pytest.mark.parametrize(
    "paragraph",
    [
        "分享到：",
        "字級設定：小中大特",
        "下載「蘋果新聞網APP」",
        "本新聞文字、照片、影片專供蘋果《好蘋友》壹會員閱覽，版權所有，禁止任何媒體轉貼分享，違者必究。",
        "自殺防治諮詢安心專線：0800-788995（24小時）",
        "▲▼警消到場時高姓男子已無生命跡象。（圖／翻攝畫面）",
        "您的浏览器暂时无法播放此视频.",
    ],
)
def test_page_furniture_is_not_text(paragraph):
    assert is_boilerplate(paragraph)


@pytest.mark.parametrize(
    "paragraph",
    [
        "新北市新店區中正路今（21）日下午3時許發生墜樓案件，一名49歲高姓男子疑似與母親發生爭吵。",
        "法院認定被告違反著作權法，判處有期徒刑六個月，全案仍可上訴。",
    ],
)
def test_sentences_are_not_furniture(paragraph):
    assert not is_boilerplate(paragraph)
