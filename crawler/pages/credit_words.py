"""The words Chinese-language credits are made of: places, desks, agencies, roles and labels.

Data only, read by crawler/pages/credit_lines.py (one credit line) and crawler/pages/bylines.py
(credits inside the text).
"""

from __future__ import annotations

import re

CJK = r"\u3400-\u9fff\uf900-\ufaff"

# Reporter datelines; the place is where the dispatch was filed.
PLACES = (
    "台北", "臺北", "新北", "桃園", "台中", "臺中", "台南", "臺南", "高雄", "基隆", "新竹", "苗栗", "彰化",
    "南投", "雲林", "嘉義", "屏東",
    "宜蘭", "花蓮", "台東", "臺東", "澎湖", "金門", "馬祖", "連江", "綠島", "蘭嶼", "北京", "上海", "天津",
    "重慶", "廣州", "广州", "深圳",
    "香港", "澳門", "澳门", "武漢", "武汉", "南京", "杭州", "成都", "西安", "華盛頓", "华盛顿", "紐約",
    "纽约", "洛杉磯", "洛杉矶", "舊金山",
    "旧金山", "芝加哥", "休士頓", "波士頓", "東京", "东京", "大阪", "首爾", "首尔", "新加坡", "吉隆坡",
    "曼谷", "河內", "河内", "胡志明市",
    "雅加達", "馬尼拉", "新德里", "雪梨", "悉尼", "墨爾本", "倫敦", "伦敦", "巴黎", "柏林", "布魯塞爾",
    "日內瓦", "莫斯科", "羅馬", "馬德里",
    "維也納", "布拉格", "華沙", "基輔", "耶路撒冷", "開羅", "多倫多", "溫哥華", "渥太華", "聖保羅",
    "墨西哥城", "布宜諾斯艾利斯",
)  # fmt: skip
PLACES_LONGEST_FIRST = tuple(sorted(PLACES, key=len, reverse=True))
PLACE_SUFFIXES = ("縣", "县", "市")
# Words that name a desk or a role, never a person.
NOT_NAMES = frozenset(
    (
        "即時新聞", "即时新闻", "綜合報導", "综合报道", "國際新聞中心", "国际新闻中心", "編譯", "编译",
        "記者", "记者", "特派員", "特派员",
        "實習記者", "特約記者", "本報", "本报", "外電", "外电", "綜合", "综合", "報導", "报道", "專電",
        "电", "電", "訊", "讯", "整合",
        "整理", "未知", "佚名", "本站", "原創", "原创", "網路", "网络", "小編", "小编", "供稿", "完",
        # Buttons printed beside an author's name.
        "關注", "关注", "訂閱", "订阅",
    )
)  # fmt: skip
# Tokens holding a role word are a desk or a title ("南都见习记者"), never a name.
ROLE_WORD = re.compile(
    r"記者|记者|編輯|编辑|作者|通訊員|通讯员|特派|專欄|专栏|報導|报道|整理|供稿|編譯|编译|發表|发表"
)
# Names of organisations, not persons: 三立新聞網, 中央通訊社, 医技药剂党支部, 社會中心, 上報快訊.
ORGANISATION = re.compile(
    r"(?:網|网|社|報|报|臺|台|中心|部|局|處|处|廳|厅|委|協會|协会|委員會|委员会|院|所|站|頻道|频道|公司|集團|集团"
    r"|新聞|新闻|時報|时报|週刊|周刊|雜誌|杂志|傳媒|传媒|媒體|媒体|辦公室|办公室|快訊|快讯|組|组)$"
)
# Outlets that file or repost dispatches, as a byline names them before the reporter.
AGENCIES = (
    "中央社", "聯合報", "聯合晚報", "經濟日報", "自由時報", "中國時報", "中時電子報", "工商時報", "旺報",
    "蘋果日報", "中廣", "華視",
    "台視", "中視", "公視", "民視", "東森", "今日新聞", "上報", "大紀元", "新唐人", "自由亞洲電台",
    "美國之音", "新華社", "新华社",
    "中新社", "中新网", "人民日报", "人民網", "人民网", "央视网", "新京报", "澎湃新闻", "环球网", "環球網",
    "环球时报", "參考消息",
    "参考消息", "中国日报", "路透", "路透社", "法新社", "美聯社", "美联社", "共同社", "韓聯社",
)  # fmt: skip
AGENCIES_LONGEST_FIRST = tuple(sorted(AGENCIES, key=len, reverse=True))
# The paper's own desk: 本報記者, 〔本報訊〕.
OWN_PAPER = ("本報", "本报")

# A role before a reporter's name; 編譯 (who translated and wrote a foreign story) is one too.
ROLE = (
    r"(?:(?:本報|本报)?(?:記者|记者|特派員|特派员|實習記者|实习记者|特約記者|特约记者|編譯|编译)"
    r"|駐[^記）]{1,8}?特派員|駐[^記）]{1,8}?記者)"
)
# The end of a dateline: where the dispatch was filed and how (報導, 電, 專電, 綜合外電報導).
DATELINE_END = r"(?:報導|报道|專電|专电|電|电|訊|讯)"

# Labels of credits, the way mainland and Taiwanese pages print them around or inside the
# text: 来源：新京报 / 责任编辑：杨倩 / 作者：记者王敬照 / 摄影/张艳 编辑/苏芳 / 作者︱春春.
AUTHOR_LABELS = (
    "特約記者", "特约记者", "實習記者", "实习记者", "見習記者", "见习记者", "專欄作者", "专栏作者",
    "記者", "记者", "作者", "撰文", "撰稿", "執筆", "执笔", "採寫", "采写", "通訊員", "通讯员",
    "文",
)  # fmt: skip
EDITOR_LABELS = (
    "責任編輯", "责任编辑", "本文編輯", "本文编辑", "值班編輯", "值班编辑", "編輯", "编辑", "責編",
    "责编", "主編", "主编", "編審", "编审", "審核", "审核", "審校", "审校", "校對", "校对",
    "監製", "监制",
)  # fmt: skip
SOURCE_LABELS = (
    "本文來源", "本文来源", "文章來源", "文章来源", "新聞來源", "新闻来源", "信息來源", "信息来源",
    "稿件來源", "稿件来源", "來源於", "来源于", "來源", "来源", "稿源", "出處", "出处", "轉自",
    "转自",
)  # fmt: skip
# Credits of no one we record (photographers, producers, cited material, the original
# headline of a reposted text), read only so that their value is skipped.
IGNORED_LABELS = (
    "資料來源", "资料来源", "攝影", "摄影", "圖片", "图片", "圖", "图", "視頻", "视频", "出品", "原創",
    "原创", "原標題", "原标题",
)  # fmt: skip
# Sources that name no outlet: "the web", "this site", "original".
NOT_SOURCES = frozenset(
    {"本站", "本站原創", "本站原创", "原創", "原创", "網路", "网络", "網絡", "网络整理", "未知"}
)
# What follows a person's name in a credit that also gives their post: 方敏北京大学经济学院教授.
AFFILIATION = re.compile(
    rf"^[{CJK}]{{0,16}}(?:大学|大學|学院|學院|研究院|研究所|研究中心|教授|研究员|研究員|院长|院長|主任|学者|學者|博士)"
)
AFFILIATION_STARTS = ("中国", "中國", "国家", "國家", "全国", "全國", "清华", "清華", "复旦", "復旦", *PLACES)
