"""Paragraphs that sit inside Chinese-language article text without being any of it.

A page's text column holds more than the article: photo captions, share and font-size bars,
app and fan-page promotions, copyright notices, Taiwan's suicide-prevention hotlines appended
to every story of that kind, "related news" headings, video-player fallbacks. Generic
extraction (text density, trafilatura) takes them all, and an outlet's body selector often
cannot tell them from the text (they are <p> elements like the rest). A paragraph is dropped
only when it is short and one of these patterns describes it as a whole.
"""

from __future__ import annotations

import re

# Notices run longer than buttons; past these lengths a paragraph is taken to be text.
MAX_FURNITURE_CHARS = 40
MAX_NOTICE_CHARS = 160

# Buttons and bars: 分享到：, 字級設定：小中大特, 【打印本页】【关闭窗口】, 上一篇：…
FURNITURE = re.compile(
    r"^[【\[]?(?:分享到|分享至|分享|字號|字号|字級設定|字体|字體|調整字體|调整字体|打印|列印|關閉|关闭|返回首頁|返回首页"
    r"|返回列表|舉報|举报|收藏|上一篇|下一篇|上一頁|上一页|下一頁|下一页|點擊進入|点击进入|掃碼|扫码|長按|长按"
    r"|相關新聞|相关新闻|延伸閱讀|延伸阅读|推薦閱讀|推荐阅读|更多新聞|更多新闻|看更多|相關閱讀|相关阅读|圖集|图集"
    r"|相關資訊請關注|相关资讯请关注|正文已結束|正文已结束|您的瀏覽器|您的浏览器|Your browser)"
)
# Promotions and legal notices, read as a whole paragraph.
NOTICE = re.compile(
    r"下載.{0,12}(?:APP|App|app|客戶端)|下载.{0,12}(?:APP|App|app|客户端)|加入.{0,12}粉絲團|加入.{0,12}粉丝团"
    r"|關注.{0,12}(?:公眾號|粉絲專頁|微信|臉書)|关注.{0,12}(?:公众号|微信|微博)|訂閱.{0,12}電子報|订阅.{0,12}电子报"
    r"|版權所有|版权所有|未經.{0,8}授權|未经.{0,8}授权|禁止.{0,12}轉載|禁止.{0,12}转载|不得.{0,6}轉載|不得.{0,6}转载"
    r"|Copyright|All rights reserved|©|特別聲明|特别声明|免責聲明|免责声明|本文僅代表|本文仅代表"
    r"|已過查詢時效|已过查询时效"
    # Taiwan's suicide-prevention notices, appended to every story of a suicide.
    r"|自殺防治|自杀防治|自殺諮詢|自杀咨询|安心專線|生命線|張老師專線|珍惜生命|再給自己一次機會|關心(?:你|您)|請給自己機會",
    re.IGNORECASE,
)
# Photo captions: ▲台南市永康分局… / ▼… / 圖為… (圖／記者林悅翻攝)
CAPTION = re.compile(r"^[▲▼△▽►]|^[（(]?(?:圖|图)(?:為|为|／|/)|[（(](?:圖|图)(?:／|/|：|:)[^）)]{1,30}[）)]$")


def is_boilerplate(paragraph: str) -> bool:
    """True when a whole paragraph is page furniture, a notice, or a photo caption."""
    text = paragraph.strip()
    if not text:
        return True
    if len(text) <= MAX_FURNITURE_CHARS and FURNITURE.match(text):
        return True
    if len(text) <= MAX_NOTICE_CHARS and NOTICE.search(text):
        return True
    return len(text) <= MAX_NOTICE_CHARS and bool(CAPTION.search(text))


def drop_boilerplate(paragraphs: list[str]) -> list[str]:
    return [paragraph for paragraph in paragraphs if not is_boilerplate(paragraph)]
