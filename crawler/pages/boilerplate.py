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
    r"^[-※◆\s]*[【\[]?(?:分享到|分享至|分享|字號|字号|字級設定|字体|字體|調整字體|调整字体|打印|列印|關閉|关闭|返回首頁|返回首页"
    r"|返回列表|舉報|举报|收藏|上一篇|下一篇|上一頁|上一页|下一頁|下一页|點擊進入|点击进入|掃碼|扫码|長按|长按"
    r"|相關新聞|相关新闻|延伸閱讀|延伸阅读|推薦閱讀|推荐阅读|更多新聞|更多新闻|看更多|相關閱讀|相关阅读|圖集|图集"
    r"|相關資訊請關注|相关资讯请关注|正文已結束|正文已结束|您的瀏覽器|您的浏览器|Your browser"
    r"|請繼續往下閱讀|请继续往下阅读|看其他文章|你可能還想看|你可能还想看|熱門點閱|热门点阅|留言數|留言数|我要評比|發表意見"
    r"|轉播到騰訊微博|转播到腾讯微博|精彩視頻推薦|精彩视频推荐|正在加載|正在加载|自動播放|自动播放|追蹤更多|\d\.用\w+追蹤"
    r"|此前報導[：:]|此前报道[：:]|相關報導[：:]|相关报道[：:])"
)
# Whole paragraphs that are a button or a counter: 推薦, (0).
FURNITURE_WORDS = frozenset({"推薦", "推荐", "(0)", "-", "分享", "留言", "讚", "赞"})
# Headings of the lists of other stories that follow a text (【熱門點閱】 ●…, 延伸閱讀).
LIST_HEADING = re.compile(
    r"^[-※◆\s]*[【\[]?(?:熱門點閱|热门点阅|延伸閱讀|延伸阅读|相關新聞|相关新闻|推薦閱讀|推荐阅读|你可能還想看|你可能还想看|更多新聞|更多新闻)"
)
MAX_LISTED_STORIES = 8
MAX_LISTED_STORY_CHARS = 60
# Promotions and legal notices, read as a whole paragraph.
NOTICE = re.compile(
    # A site's call for contributions and its channels, closing every story (upmedia).
    r"(?:徵稿|征稿)】|歡迎各界投書|欢迎各界投书|新聞不漏接|新闻不漏接|"
    r"下載.{0,12}(?:APP|App|app|客戶端)|下载.{0,12}(?:APP|App|app|客户端)|加入.{0,12}粉絲團|加入.{0,12}粉丝团"
    r"|關注.{0,12}(?:公眾號|粉絲專頁|微信|臉書)|关注.{0,12}(?:公众号|微信|微博)|訂閱.{0,12}電子報|订阅.{0,12}电子报"
    r"|版權所有|版权所有|未經.{0,8}授權|未经.{0,8}授权|禁止.{0,12}轉載|禁止.{0,12}转载|不得.{0,6}轉載|不得.{0,6}转载"
    r"|Copyright|All rights reserved|©|特別聲明|特别声明|免責聲明|免责声明|本文僅代表|本文仅代表"
    r"|已過查詢時效|已过查询时效|下載.{0,12}(?:應用程序|應用程式)|下载.{0,12}应用程序|訂閱.{0,16}專頁|订阅.{0,16}专页"
    r"|都在《[^》]{1,12}》粉絲團|新浪众测|免费试玩"
    # Taiwan's drinking warnings, printed under every picture of alcohol.
    r"|[＊*]飲酒過量|飲酒過量，有害健康"
    # Taiwan's suicide-prevention notices, appended to every story of a suicide.
    r"|自殺防治|自杀防治|自殺諮詢|自杀咨询|安心專線|生命線|張老師專線|珍惜生命|再給自己一次機會|關心(?:你|您)|請給自己機會",
    re.IGNORECASE,
)
# Photo captions: ▲台南市永康分局… / ▼… / 圖為… / 图注：… (圖／記者林悅翻攝) / …（記者廖耀東攝）/
# 新华社记者李鑫 摄 /
# …。資料照片 / …知事。法新社 / 圖像來源，Getty Images
CAPTION = re.compile(
    r"^[▲▼△▽►]|^[（(]?(?:圖|图)(?:為|为|注|說|说|／|/)|^(?:圖像來源|图像来源|圖片來源|图片来源)"
    r"|[（(](?:圖|图|照片|相片)[^（）()]{0,30}[）)]$|[（(][^（）()]{0,24}(?:攝|摄|攝影|摄影)[）)]$"
    r"|(?:記者|记者)\s*[\u3400-\u9fff·]{2,8}\s*翻?(?:攝|摄)$"
    r"|(?:資料照片?|资料照片?)[）)]?$|[。）)](?:法新社|美聯社|美联社|路透社?|歐新社|欧新社|共同社)$"
    r"|^(?:圖片|图片)(?:均|皆|全部)?(?:來自|来自|來源於|来源于)(?:網絡|网络|網路)"
)


def is_boilerplate(paragraph: str) -> bool:
    """True when a whole paragraph is page furniture, a notice, or a photo caption."""
    text = paragraph.strip()
    if not text or text in FURNITURE_WORDS:
        return True
    if len(text) <= MAX_FURNITURE_CHARS and FURNITURE.match(text):
        return True
    if len(text) <= MAX_NOTICE_CHARS and NOTICE.search(text):
        return True
    return len(text) <= MAX_NOTICE_CHARS and bool(CAPTION.search(text))


def drop_boilerplate(paragraphs: list[str]) -> list[str]:
    """The paragraphs without furniture, notices and captions, and without the list of other
    stories a list heading closing the text announces."""
    # A list heading is itself boilerplate: it is kept until the list it announces is found.
    kept = [
        paragraph
        for paragraph in paragraphs
        if LIST_HEADING.match(paragraph) or not is_boilerplate(paragraph)
    ]
    for position in range(max(0, len(kept) - MAX_LISTED_STORIES - 1), len(kept)):
        listed = kept[position + 1 :]
        if LIST_HEADING.match(kept[position]) and all(len(item) <= MAX_LISTED_STORY_CHARS for item in listed):
            kept = kept[:position]
            break
    # The others kept were judged above; only the list headings are judged again.
    return [
        paragraph for paragraph in kept if not LIST_HEADING.match(paragraph) or not is_boilerplate(paragraph)
    ]
