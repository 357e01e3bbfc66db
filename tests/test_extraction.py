"""Extraction on bad and tricky input. Every HTML snippet here is synthetic, written for the test."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from crawler.extraction import extract_article
from crawler.pages import extract_page
from crawler.pages.bylines import lift_bylines
from crawler.pages.credit_lines import parse_credit_line
from crawler.pages.dates import find_visible_times, parse_datetime
from crawler.pages.decoding import decode_html
from crawler.registry import load_registry
from tests.helpers import fixture_page
from tests.test_registry import GOOD_ENTRY, write

TAIPEI = ZoneInfo("Asia/Taipei")
PARAGRAPH = "桃園市平鎮區一家輪胎行今天清晨發生大火，7人從火場中疏散，消防局派員前往搶救。"
FOLLOW_UP = "消防局表示，起火原因仍在調查中，所幸其他住戶都已平安撤離。"


def page(body: str, title: str = "測試新聞標題", head: str = "") -> str:
    return f"<html><head><meta charset='utf-8'><title>{title}</title>{head}</head><body>{body}</body></html>"


# --- bylines ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("byline", "authors", "agency"),
    [
        ("（中央社記者邱俊欽桃園19日電）", ["邱俊欽"], "中央社"),
        ("（中央社記者王承中、陳家倫台北4日電）", ["王承中", "陳家倫"], "中央社"),
        ("（中央社華盛頓3日綜合外電報導）", [], "中央社"),
        ("〔記者王冠仁／台北報導〕", ["王冠仁"], None),
        ("【記者王冠仁／台北報導】", ["王冠仁"], None),
        # Unbracketed, the text running on after it.
        ("記者王冠仁／台北報導", ["王冠仁"], None),
        ("駐美特派員張宗智／華盛頓報導", ["張宗智"], None),
        ("（中央社駐東京特派員楊明珠5日專電）", ["楊明珠"], "中央社"),
        ("〔即時新聞／綜合報導〕", [], None),
        ("（大紀元記者林文華台北報導）", ["林文華"], "大紀元"),
        ("【大紀元2022年12月28日訊】（大紀元記者李辰綜合報導）", ["李辰"], "大紀元"),
        ("新京报快讯（记者 裴剑飞）", ["裴剑飞"], "新京报快讯"),
        # UDN 2013-2014, Apple Daily 2005-2014, LTN 2013: full-width brackets and the ╱ bar.
        ("【聯合晚報╱記者邱瓊平/台北報導】", ["邱瓊平"], "聯合晚報"),
        ("【聯合報╱本報記者古硯偉】", ["古硯偉"], "聯合報"),
        ("【王家俊／台北報導】", ["王家俊"], None),
        ("【丁牧群╱台北報導】", ["丁牧群"], None),
        ("【陳怡妏╱綜合外電報導】", ["陳怡妏"], None),
        ("〔本報訊〕", [], None),
        ("〔綜合報導〕", [], None),
        ("〔體育中心／綜合報導〕", [], None),
        ("〔駐美特派員張宗智／華盛頓報導〕", ["張宗智"], None),
        ("〔編譯盧永山／綜合報導〕", ["盧永山"], None),
        ("（記者王小明／台北報導）", ["王小明"], None),
        ("（本報記者王小明）", ["王小明"], None),
        ("撰文／王小明、李大華\n", ["王小明", "李大華"], None),
        # A wire's dateline naming no one, then a space: the agency only.
        ("新华社北京11月17日电 ", [], "新华社北京11月17日电"),
        ("新浪科技讯 ", [], "新浪科技讯"),
    ],
)
def test_lead_bylines_are_lifted(byline, authors, agency):
    # A byline in a paragraph of its own (ending in a line break here) or leading the first one.
    paragraphs, credits = lift_bylines([*byline.split("\n")[:-1], PARAGRAPH, PARAGRAPH])
    if "\n" not in byline:
        paragraphs, credits = lift_bylines([byline + PARAGRAPH, PARAGRAPH])
    assert paragraphs == [PARAGRAPH, PARAGRAPH]
    assert credits.bylines == [byline.strip()]
    assert credits.authors == authors
    assert credits.agency == agency


@pytest.mark.parametrize(
    ("last", "editors", "source"),
    [
        (PARAGRAPH + "（編輯：陳承功）1080804", ["陳承功"], None),
        ("責任編輯：李欣", ["李欣"], None),
        ("责任编辑：张申 ", ["张申"], None),
        ("（轉自自由亞洲電台）", [], "自由亞洲電台"),
        ("[责任编辑:肖春芳]", ["肖春芳"], None),
        # A source, not an author.
        ("来源：新华网", [], "新华网"),
        ("來源：中央社", [], "中央社"),
    ],
)
def test_closing_credits_are_lifted(last, editors, source):
    paragraphs, credits = lift_bylines([PARAGRAPH, last])
    assert credits.editors == editors
    assert credits.source == source
    assert all("編輯" not in p and "编辑" not in p and "轉自" not in p for p in paragraphs)


@pytest.mark.parametrize(
    ("last", "lifted", "authors"),
    [
        (PARAGRAPH + "1020629", "1020629", []),  # CNA's ROC date ending the text
        (PARAGRAPH + "（编译/林靖东）", "（编译/林靖东）", ["林靖东"]),
        (PARAGRAPH + "(李楠)", "(李楠)", []),  # a name closing the text, its role unsaid
        ("（羅森）", "（羅森）", []),
        ("作者︱春春", "作者︱春春", ["春春"]),
        ("(作者：方敏北京大学经济学院教授)", "作者：方敏北京大学经济学院教授", ["方敏"]),
        ("原标题：最强“中国芯”本月商用", "原标题：最强“中国芯”本月商用", []),
    ],
)
def test_closing_credits_of_every_form_leave_the_text(last, lifted, authors):
    paragraphs, credits = lift_bylines([PARAGRAPH, last])
    assert paragraphs == [PARAGRAPH] * (2 if last.startswith(PARAGRAPH) else 1)
    assert credits.bylines == [lifted] and credits.authors == authors


def test_an_end_mark_and_a_closing_bracket_that_names_no_one_stay_apart():
    paragraphs, credits = lift_bylines([PARAGRAPH, PARAGRAPH + "（完）"])
    assert paragraphs == [PARAGRAPH, PARAGRAPH] and credits.bylines == []
    paragraphs, credits = lift_bylines([PARAGRAPH, PARAGRAPH + "（資料照）"])
    assert paragraphs == [PARAGRAPH, PARAGRAPH + "（資料照）"] and credits.bylines == []


def test_photo_credits_leave_the_text_and_name_no_author():
    html = page(
        "<h1>測試新聞標題</h1><p>江坤宇敲出再見全壘打。（記者廖耀東攝）</p>"
        f"<p>〔體育中心／綜合報導〕{PARAGRAPH}</p><p>{FOLLOW_UP}</p><p>▲消防人員在現場搶救。（圖／讀者提供）</p>"
    )
    article = extract_page(html.encode()).article
    assert article is not None
    assert article.body == f"{PARAGRAPH}\n\n{FOLLOW_UP}"
    assert article.authors == [] and article.bylines == ["〔體育中心／綜合報導〕"]


def test_simplified_photo_credits_leave_the_text_and_name_no_author():
    html = page(
        "<h1>测试新闻标题</h1><p>新华社记者 李鑫 摄</p><p>图为会议现场。（新华社记者李鑫 摄）</p>"
        f"<p>新华社北京11月17日电 {PARAGRAPH}</p><p>{FOLLOW_UP}</p><p>来源：新华网</p>",
        title="测试新闻标题",
    )
    article = extract_page(html.encode()).article
    assert article is not None
    assert article.body == f"{PARAGRAPH}\n\n{FOLLOW_UP}"
    assert article.authors == [] and article.source == "新华网"


def test_credit_lines_name_people_not_desks():
    assert parse_credit_line("聯合報 記者陳嘉寧／桃園機場報導").authors == ["陳嘉寧"]
    assert parse_credit_line("聯合報 記者陳嘉寧／桃園機場報導").agency == "聯合報"
    assert parse_credit_line("2018-02-28 14:31 中央社 澎湖縣28日電").authors == []
    assert parse_credit_line("文／王小明、李大華").authors == ["王小明", "李大華"]
    assert parse_credit_line("上報快訊／范姜佳鈺").authors == ["范姜佳鈺"]
    assert parse_credit_line("中廣溫蘭魁").authors == ["溫蘭魁"]
    assert parse_credit_line("彭佳芸 黃翊真 報導 地區：台北市報導").authors == ["彭佳芸", "黃翊真"]
    assert parse_credit_line("〔本報訊〕").authors == []


# --- dates --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "local_z", "expected"),
    [
        ("2016/03/19 08:15", False, "2016-03-19T08:15:00+08:00"),
        ("2019年09月07日 04:04", False, "2019-09-07T04:04:00+08:00"),
        ("最新更新：2016/03/19 10:48", False, "2016-03-19T10:48:00+08:00"),
        ("2018-07-31T08:19:35Z", True, "2018-07-31T08:19:35+08:00"),
        ("2018-07-31T08:19:35Z", False, "2018-07-31T08:19:35+00:00"),
        ("2019-08-13T14:42:46+08:00", True, "2019-08-13T14:42:46+08:00"),
        ("1602123420000", False, "2020-10-08T10:17:00+08:00"),
    ],
)
def test_times_get_the_outlet_offset(text, local_z, expected):
    moment = parse_datetime(text, TAIPEI, utc_designator_is_local=local_z)
    assert moment is not None and moment.isoformat() == expected


@pytest.mark.parametrize(
    ("line", "published"),
    [
        ("2013.06.29 04:17 pm", "2013-06-29 16:17"),  # UDN 2013
        ("2014.09.22 10:29 am", "2014-09-22 10:29"),
        ("2013.06.29 12:05 AM", "2013-06-29 00:05"),
        ("2013年6月29日 下午4:17", "2013-06-29 16:17"),
        ("Dec 28 Sat 2013 00:28", "2013-12-28 00:28"),  # a PIXNET blog's date badge
        ("December 28, 2013 12:28 pm", "2013-12-28 12:28"),
        ("2014年\n03月\n21日\n20:36", "2014-03-21 20:36"),  # NOWnews 2014
    ],
)
def test_datelines_are_read_on_a_24_hour_clock(line, published):
    assert find_visible_times([line]).published == published


def test_a_time_given_with_another_offset_is_read_in_the_outlet_zone():
    ld = '{"@type": "NewsArticle", "datePublished": "2023-08-23T23:31:03Z"}'
    head = f'<script type="application/ld+json">{ld}</script>'
    html = page(f"<h1>測試新聞標題</h1><p>{PARAGRAPH}</p><p>{FOLLOW_UP}</p>", head=head).encode()
    # A site on .tw prints Taipei time; one whose country is unknown keeps the offset it gives.
    article = extract_page(html, url="https://news.example.org.tw/article/1").article
    assert article is not None and article.published_at == "2023-08-24T07:31:03+08:00"
    article = extract_page(html, url="https://news.example.com/article/1").article
    assert article is not None and article.published_at == "2023-08-23T23:31:03+00:00"


@pytest.mark.parametrize(
    ("title", "headline"),
    [
        ("自由電子報 - 果汁？啤酒？難分", "果汁？啤酒？難分"),  # the site first: the headline is printed
        ("果汁？啤酒？難分 | 生活 | 自由電子報", "果汁？啤酒？難分"),
        ("果汁？啤酒？難分--上報", "果汁？啤酒？難分"),
        ("又傳酒駕釀禍 少婦被撞陷昏迷 【17:52】 - 自由電子報 即時新聞", "又傳酒駕釀禍 少婦被撞陷昏迷"),
    ],
)
def test_the_headline_is_never_the_site_name(title, headline):
    html = page(f"<div><b>{headline}</b></div><p>{PARAGRAPH}</p><p>{FOLLOW_UP}</p>", title=title).encode()
    article = extract_page(html, url="http://www.libertytimes.com.tw/2013/new/jun/29/today-t2.htm").article
    assert article is not None and article.title == headline


def test_the_head_of_a_text_is_read_not_kept():
    title = "義光禁食》林義雄宣布停止禁食"
    html = page(
        f"<h1>{title}</h1><div class='content'><p>{title} 2014-04-30 14:49</p><p>2014/04/30 李欣芳</p>"
        f"<p>前民進黨主席林義雄宣布停止禁食。（記者方賓照攝）</p><p>停止禁食 願再為台奮鬥</p>"
        f"<p>〔記者李欣芳／台北報導〕{PARAGRAPH}</p><p>{FOLLOW_UP}</p></div>",
        title=f"{title} - 政治 - 自由時報電子報",
    ).encode()
    article = extract_page(html, url="http://news.example.com.tw/news/politics/breakingnews/998126").article
    assert article is not None
    assert article.body == f"{PARAGRAPH}\n\n{FOLLOW_UP}"
    assert article.published_at == "2014-04-30T14:49:00+08:00" and article.authors == ["李欣芳"]


@pytest.mark.parametrize("text", ["23:39", "", "昨天", "2099-01-01 00:00", "1970-01-01"])
def test_implausible_or_partial_times_are_none(text):
    assert parse_datetime(text, TAIPEI, now=datetime(2026, 11, 28, tzinfo=TAIPEI)) is None


# --- charsets -----------------------------------------------------------------------------------


def test_undeclared_big5_is_detected():
    body = page(f"<p>{PARAGRAPH}</p>").replace("<meta charset='utf-8'>", "").encode("big5")
    decoded = decode_html(body)
    assert PARAGRAPH in decoded.text
    assert decoded.encoding_source == "detected"


def test_gb2312_label_decodes_as_gb18030():
    # 镕 is outside GB2312 but inside GBK/GB18030; pages labelled gb2312 use it anyway.
    text = "朱镕基今天在北京出席会议，发表讲话。" * 3
    body = f"<html><head><meta charset='gb2312'></head><body><p>{text}</p></body></html>".encode("gb18030")
    decoded = decode_html(body)
    assert decoded.encoding == "gb18030" and text in decoded.text


def test_a_wrong_declaration_is_not_believed():
    body = page(f"<p>{PARAGRAPH * 3}</p>").encode("big5")
    decoded = decode_html(body, "text/html; charset=utf-8")
    assert PARAGRAPH in decoded.text
    assert decoded.rejected_declaration == "utf-8"


def test_a_truncated_multibyte_tail_keeps_the_declared_charset():
    body = page(f"<p>{PARAGRAPH * 5}</p>").encode("utf-8")[:-20] + "桃".encode()[:2]
    decoded = decode_html(body, "text/html; charset=utf-8")
    assert decoded.encoding == "utf-8" and PARAGRAPH in decoded.text


# Real pages (tests/fixtures) in the encodings Chinese pages use, each labelled with another that
# decodes their bytes with few errors, into mojibake: the label is overruled, and said to be.
MISLABELLED = [
    ("outlets/udn/udn_story_7315_3705102_twnews_2019.html.gz", "utf-8", "utf-16", "utf-16"),
    ("outlets/udn/udn_story_7315_3705102_twnews_2019.html.gz", "utf-8", "utf-16le", "utf-16-le"),
    ("outlets/udn/udn_story_7315_3705102_twnews_2019.html.gz", "utf-8", "gbk", "gb18030"),
    ("outlets/udn/udn_story_7315_3705102_twnews_2019.html.gz", "utf-8", "big5", "big5hkscs"),
    ("outlets/sina/sina_news_c_2019-09-07_iicezzrq4076655_gne.html.gz", "utf-8", "utf-32", "utf-32"),
]


@pytest.mark.parametrize(("fixture", "encoding", "label", "overruled"), MISLABELLED)
def test_a_label_that_misreads_the_bytes_is_overruled_and_recorded(fixture, encoding, label, overruled):
    body = fixture_page(fixture)
    truth = decode_html(body)
    assert truth.encoding == encoding and truth.rejected_declaration is None
    decoded = decode_html(body, f"text/html; charset={label}")
    assert (decoded.encoding, decoded.rejected_declaration, decoded.text) == (encoding, overruled, truth.text)
    extraction = extract_article(body, content_type=f"text/html; charset={label}")
    assert extraction.encoding_record == f"{encoding} (declared {overruled} overruled)"


@pytest.mark.parametrize("encoding", ["gb18030", "big5hkscs"])
def test_a_right_label_in_another_encoding_is_followed(encoding):
    text = decode_html(fixture_page(MISLABELLED[0][0])).text.replace("charset=utf-8", f"charset={encoding}")
    body = text.encode(encoding, "replace")
    decoded = decode_html(body, f"text/html; charset={encoding}")
    assert (decoded.encoding, decoded.encoding_source, decoded.rejected_declaration) == (
        encoding,
        "header",
        None,
    )


# --- whole pages --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "content_type", "reason"),
    [
        (b"", "text/html", "empty body"),
        (b"   \n  ", "text/html", "empty body"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(200), "image/png", "not HTML (image/png)"),
        (b"%PDF-1.4\x00\x00\x01" + bytes(100), None, "binary content"),
    ],
)
def test_bodies_that_hold_no_page_say_why(body, content_type, reason):
    extraction = extract_page(body, url="https://example.org/a/1", content_type=content_type)
    assert extraction.article is None and reason in (extraction.reason or "")


def test_an_oversized_page_is_refused_before_parsing():
    extraction = extract_page(b"<p>" + b"x" * 2000, max_bytes=1000)
    assert extraction.article is None and "page too large" in (extraction.reason or "")


def test_broken_markup_still_extracts():
    second = "消防局表示，火勢在一小時後撲滅，起火原因仍在調查中，詳細損失金額尚待估算。"
    html = "<html><head><title>標題</title><body><div><p>" + PARAGRAPH + "<p>" + second + "<div></span>"
    extraction = extract_page(html.encode(), url="https://example.org/a/1")
    assert extraction.article is not None and PARAGRAPH in (extraction.article.body or "")


@pytest.mark.parametrize(
    ("slug", "url", "html", "reason"),
    [
        (
            "ltn",
            "https://news.ltn.com.tw/news/life/breakingnews/1",
            page("<div class='whitecon'>無此則新聞</div>"),
            "soft 404: page says '無此則新聞'",
        ),
        (
            "udn",
            "https://udn.com/news/story/7315/1",
            page("<p>找不到</p>", head="<link rel='canonical' href='https://udn.com/news/e404'>"),
            "soft 404: URL contains '/news/e404'",
        ),
        (
            "cna",
            "https://www.cna.com.tw/news/aipl/202001010001.aspx",
            page("<p>oops</p>", title="404"),
            "soft 404: page title '404'",
        ),
        (
            "udn",
            "https://udn.com/news/story/7315/2",
            "<script language=javascript>window.location.href='https://vip.udn.com/vip/story/121160/2';</script>",
            "script redirect stub to https://vip.udn.com/vip/story/121160/2",
        ),
        ("cna", "https://www.cna.com.tw/news/aipl/202001010002.aspx", page("<p>短</p>"), "no article text"),
        (
            "statedept",
            "https://www.state.gov/briefings/department-press-briefing-moved-away/",
            page(
                "<div class='entry-content'><p>" + "We are sorry, that page has moved. " * 4 + "</p></div>"
            ).replace("<body>", "<body class='error404 wp-theme'>"),
            "soft 404: page has body.error404",
        ),
    ],
)
def test_pages_served_with_200_that_are_not_articles(registry, slug, url, html, reason):
    extraction = extract_page(html.encode(), url=url, outlet=registry.get(slug))
    assert extraction.article is None
    assert reason in (extraction.reason or "")


def test_a_page_of_an_unconfigured_site_goes_the_generic_path(tmp_path):
    # A real China Times page (twnews fixture, see tests/fixtures/generic/SOURCES.md), with a
    # registry that has no China Times entry whatever outlets config/outlets.toml gains.
    registry = load_registry(write(tmp_path, GOOD_ENTRY))
    extraction = extract_page(fixture_page("generic/twnews/chinatimes.html.gz"), registry=registry)
    article = extraction.article
    # Archived under its site: the registered domain of its own canonical link.
    assert article is not None and article.outlet == "site:chinatimes.com"
    assert (article.article_id, article.key_source) == (
        "www.chinatimes.com/realtimenews/20180916001767-260402",
        "canonical",
    )
    assert article.title == "悲慟！北市士林年邁母子 住處上吊自殺身亡"
    assert article.published_at == "2018-09-16T15:31:57+08:00"
    assert "北市士林區葫蘆街一處民宅" in (article.body or "")
    assert article.authors == ["謝明俊"] and article.field_methods["authors"] == "page"
    assert article.field_methods["body"] == "text-density"
    assert article.extractor.endswith("generic")


def test_a_saved_page_without_url_uses_its_canonical_link(registry):
    extraction = extract_page(
        fixture_page("outlets/udn/udn_story_7315_3004543_twnews_2018.html.gz"), registry=registry
    )
    assert extraction.article is not None
    assert (extraction.article.outlet, extraction.article.article_id) == ("udn", "3004543")
