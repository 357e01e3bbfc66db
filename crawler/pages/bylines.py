"""Bylines that Chinese-language outlets write inside the article text.

CNA opens with （中央社記者邱俊欽桃園19日電） and closes with （編輯：…）1080804, LTN opens
with 〔記者…／台北報導〕, Epoch Times with （大紀元記者…報導） and closes with 責任編輯：…,
mainland wires with 新京报快讯（记者 裴剑飞）. These are lifted out of the body: the names
go to `authors` / `editors`, the byline text is kept verbatim in `bylines`, and the body
keeps only the article's own words (language tagging and near-duplicate hashing then see
the same text whoever filed it).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

CJK = r"\u3400-\u9fff\uf900-\ufaff"

# Reporter datelines; the place is where the dispatch was filed.
PLACES = [
    "台北",
    "臺北",
    "新北",
    "桃園",
    "台中",
    "臺中",
    "台南",
    "臺南",
    "高雄",
    "基隆",
    "新竹",
    "苗栗",
    "彰化",
    "南投",
    "雲林",
    "嘉義",
    "屏東",
    "宜蘭",
    "花蓮",
    "台東",
    "臺東",
    "澎湖",
    "金門",
    "馬祖",
    "連江",
    "綠島",
    "蘭嶼",
    "北京",
    "上海",
    "天津",
    "重慶",
    "廣州",
    "广州",
    "深圳",
    "香港",
    "澳門",
    "澳门",
    "武漢",
    "武汉",
    "南京",
    "杭州",
    "成都",
    "西安",
    "華盛頓",
    "华盛顿",
    "紐約",
    "纽约",
    "洛杉磯",
    "洛杉矶",
    "舊金山",
    "旧金山",
    "芝加哥",
    "休士頓",
    "波士頓",
    "東京",
    "东京",
    "大阪",
    "首爾",
    "首尔",
    "新加坡",
    "吉隆坡",
    "曼谷",
    "河內",
    "河内",
    "胡志明市",
    "雅加達",
    "馬尼拉",
    "新德里",
    "雪梨",
    "悉尼",
    "墨爾本",
    "倫敦",
    "伦敦",
    "巴黎",
    "柏林",
    "布魯塞爾",
    "日內瓦",
    "莫斯科",
    "羅馬",
    "馬德里",
    "維也納",
    "布拉格",
    "華沙",
    "基輔",
    "耶路撒冷",
    "開羅",
    "多倫多",
    "溫哥華",
    "渥太華",
    "聖保羅",
    "墨西哥城",
    "布宜諾斯艾利斯",
]
PLACE_SUFFIXES = ("縣", "县", "市")
# Words that name a desk or a role, never a person.
NOT_NAMES = frozenset(
    [
        "即時新聞",
        "即时新闻",
        "綜合報導",
        "综合报道",
        "國際新聞中心",
        "国际新闻中心",
        "編譯",
        "编译",
        "記者",
        "记者",
        "特派員",
        "特派员",
        "實習記者",
        "特約記者",
        "本報",
        "本报",
        "外電",
        "外电",
        "綜合",
        "综合",
        "報導",
        "报道",
        "專電",
        "电",
        "電",
        "訊",
        "讯",
        "整合",
        "整理",
        "未知",
        "佚名",
        "本站",
        "原創",
        "原创",
        "網路",
        "网络",
        "小編",
        "小编",
        "供稿",
        # Buttons printed beside an author's name.
        "關注",
        "关注",
        "訂閱",
        "订阅",
    ]
)
# Tokens holding a role word are a desk or a title ("南都见习记者"), never a name.
ROLE_WORD = re.compile(r"記者|记者|編輯|编辑|作者|通訊員|通讯员|特派|專欄|专栏|報導|报道|整理|供稿|編譯|编译")
# Names of organisations, not persons: 三立新聞網, 中央通訊社, 医技药剂党支部, 社會中心.
ORGANISATION = re.compile(
    r"(?:網|网|社|報|报|臺|台|中心|部|局|處|处|廳|厅|委|協會|协会|委員會|委员会|院|所|站|頻道|频道|公司|集團|集团"
    r"|新聞|新闻|時報|时报|週刊|周刊|雜誌|杂志|傳媒|传媒|媒體|媒体|辦公室|办公室)$"
)
AGENCIES = [
    "中央社",
    "聯合報",
    "聯合晚報",
    "經濟日報",
    "自由時報",
    "中國時報",
    "蘋果日報",
    "大紀元",
    "新唐人",
    "自由亞洲電台",
    "美國之音",
    "新華社",
    "新华社",
    "中新社",
    "中新网",
    "人民日报",
    "人民網",
    "人民网",
    "央视网",
    "新京报",
    "澎湃新闻",
    "环球网",
    "環球網",
    "环球时报",
    "參考消息",
    "参考消息",
    "路透",
    "路透社",
    "法新社",
    "美聯社",
    "美联社",
    "共同社",
    "韓聯社",
]

ROLE = (
    r"(?:記者|记者|特派員|特派员|實習記者|实习记者|特約記者|特约记者"
    r"|駐[^記）]{1,8}?特派員|駐[^記）]{1,8}?記者)"
)

# （中央社記者邱俊欽桃園19日電） （中央社華盛頓3日綜合外電報導） （中央社記者王承中、陳家倫台北4日電）
CNA_LEAD = re.compile(r"^（中央社(?P<inner>[^）]{0,60}?)\d{1,2}日(?:綜合外電報導|綜合外電|專電|電)）")
# 〔記者王冠仁／台北報導〕 〔即時新聞／綜合報導〕 [編譯盧永山／綜合報導]
BRACKET_LEAD = re.compile(
    r"^[〔［\[](?P<who>[^／/〕］\]]{1,40})[／/](?P<place>[^〕］\]]{0,20}?)(?:報導|报道|電|电)?[〕］\]]"
)
# 【大紀元2022年12月28日訊】（大紀元記者李辰綜合報導）
EPOCH_LEAD = re.compile(
    r"^(?P<dateline>【大紀元[^】]{0,20}訊】|【大纪元[^】]{0,20}讯】)?"
    r"(?:（(?P<agency>大紀元|大纪元|新唐人)(?P<inner>[^）]{0,40}?)(?:綜合|综合)?(?:報導|报导|报道)）)?"
)
# 执笔/叨叨姐、胡一刀&李小飞刀 — a whole first paragraph that only credits the writers.
CREDIT_PARAGRAPH = re.compile(
    r"^(?:执笔|執筆|撰文|作者|文|記者|记者)\s*[/／:：]\s*(?P<who>[^。，,！？]{1,40})$"
)
# 新京报快讯（记者 裴剑飞） / 新华社北京9月7日电（记者张三、李四） / 本报讯（记者 王五）
WIRE_LEAD = re.compile(
    rf"^(?P<agency>[{CJK}]{{2,8}}?(?:快讯|快訊|消息|(?:[{CJK}]{{0,6}}\d{{1,2}}月\d{{1,2}}日)?(?:电|電|讯|訊)))"
    r"[（(](?:记者|記者|通讯员|通訊員)\s*(?P<who>[^）)]{1,40})[）)]"
)
# （編輯：陳承功）1080804 — CNA's editor with the ROC date.
CNA_EDITOR_TAIL = re.compile(r"[（(](?:編輯|编辑)[：:](?P<who>[^）)]{1,30})[）)]\s*\d{7}\s*$")
# 責任編輯：李欣 / 责任编辑：张申 / 责编：郭姝婷, as the last paragraph
EDITOR_TAIL = re.compile(r"^(?:責任編輯|责任编辑|責編|责编|編輯|编辑)\s*[：:]\s*(?P<who>.{1,30}?)\s*$")
# （轉自自由亞洲電台） — Epoch Times' note of the outlet it reposts.
REPOST_TAIL = re.compile(r"[（(](?:轉自|转自|本文轉自|本文转自)(?P<source>[^）)]{1,30})[）)]\s*$")

# 記者林悅／南市報導, 社會中心／綜合報導 — a dateline credit in a paragraph of its own.
BARE_DATELINE = re.compile(
    r"^(?P<who>[^／/\s（）()〔〕]{2,24})[／/](?P<place>[^／/\s（）()]{0,10}?)(?:報導|报道|電|电)$"
)
# …釐清死因。（王煌忠／台中報導） — a closing dateline credit ending the last paragraph (a
# slogan run into it after, like Apple Daily's 《蘋果》關心你, goes with it).
CLOSING_DATELINE = re.compile(
    r"[（(](?P<who>[^（）()／/]{2,24})[／/](?P<place>[^（）()／/]{0,10}?)(?:報導|报道)[）)][^。！？]{0,12}$"
)
# 澎湃新闻记者 段彦超 廖艳 / 扬子晚报记者 张楠 — a reporter line of its own.
REPORTER_LINE = re.compile(
    rf"^(?P<agency>[{CJK}]{{2,10}}?)?(?:見習|见习|實習|实习|特約|特约)?(?:記者|记者)\s*"
    rf"(?P<who>[{CJK}·‧]{{2,4}}(?:[\s、,，][{CJK}·‧]{{2,4}})*)$"
)

# Labelled credits, the way mainland and Taiwanese pages print them around or inside the
# text: 来源：新京报 / 本文来源：证券市场红周刊责任编辑：杨倩_NF4425 / 作者：记者王敬照 /
# 【编辑：姚昊】 / (责编：汤诗瑶、丁涛) / 编辑 刘晓阳 校对 李铭 / 摄影/张艳 编辑/苏芳.
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
# Credits of no one we record (photographers, cited material), read only so their value is skipped.
IGNORED_LABELS = ("資料來源", "资料来源", "攝影", "摄影", "圖片", "图片", "圖", "图", "視頻", "视频")
_LABELS = sorted(AUTHOR_LABELS + EDITOR_LABELS + SOURCE_LABELS + IGNORED_LABELS, key=len, reverse=True)
CREDIT_LABEL_AT = re.compile(rf"(?P<label>{'|'.join(_LABELS)})\s*(?P<separator>[：:]|[／/]|\s)")
LABEL_BOUNDARY = re.compile(r"[\s（(【\[〔|｜,，;；]")
# Editor codes and page furniture glued to a credit: 杨倩_NF4425, 韩保林 PK155, 新京报举报.
CREDIT_VALUE_TAIL = re.compile(r"(?:[_\s]+[A-Za-z]{1,4}\d{2,}|举报|舉報)$")
CREDIT_VALUE_BRACKETS = "（）()【】[]〔〕 \t\n|｜,，;；。"
MAX_CREDIT_LINE_CHARS = 80
# How many paragraphs at each end of a text are read for credits of their own.
LEAD_CREDIT_PARAGRAPHS = 3
TAIL_CREDIT_PARAGRAPHS = 4
# Sources that name no outlet: "the web", "this site", "original".
NOT_SOURCES = frozenset(
    {"本站", "本站原創", "本站原创", "原創", "原创", "網路", "网络", "網絡", "网络整理", "未知"}
)
# A value ends at a line break, a bar, or the next "word：" label (来源：当代商报 时间：…).
CREDIT_VALUE_END = re.compile(r"[\n|｜]|\s+[^\s：:]{1,6}[：:]")
# A space separates names, except inside a Latin-script name (责编：Demi Xia).
NAME_SEPARATORS = re.compile(
    r"[、,，；;&＆]+|\s+(?![A-Za-z])|(?<![A-Za-z.])\s+|(?<=[" + CJK + r"])(?:及|和|與|与)(?=[" + CJK + r"])"
)
CREDIT_LABEL = re.compile(
    r"^(?:責任編輯|责任编辑|責編|责编|編輯|编辑|作者|撰文|文|圖|图|記者|记者|編譯|编译)\s*[：:／/]\s*"
)
DATELINE_TAIL = re.compile(r"[／/].*$|\S*\d{1,2}日(?:電|电|專電|专电)\s*$|(?:即時|即时)?(?:報導|报道)$")
LEADING_TIMESTAMP = re.compile(r"^\d{4}[-/.]\d{1,2}[-/.]\d{1,2}(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?\s*")
PERSON_NAME = re.compile(rf"^(?:[{CJK}·‧]{{2,6}}|[A-Z][A-Za-z.'-]+(?: [A-Z][A-Za-z.'-]+)*)$")


@dataclass
class Credits:
    """Who wrote and edited a text, as lifted from it."""

    authors: list[str] = field(default_factory=list)
    editors: list[str] = field(default_factory=list)
    agency: str | None = None
    source: str | None = None
    bylines: list[str] = field(default_factory=list)

    def merge(self, other: Credits) -> None:
        self.authors += [name for name in other.authors if name not in self.authors]
        self.editors += [name for name in other.editors if name not in self.editors]
        self.agency = self.agency or other.agency
        self.source = self.source or other.source
        self.bylines += other.bylines


def _split_place(segment: str) -> str:
    """'邱俊欽桃園' → '邱俊欽': drop a trailing dispatch place from the last name."""
    for place in sorted(PLACES, key=len, reverse=True):
        for suffix in ("", *PLACE_SUFFIXES):
            tail = place + suffix
            if segment.endswith(tail) and len(segment) > len(tail):
                return segment[: -len(tail)]
    # An unknown place: Chinese personal names are mostly three characters.
    return segment[:3] if len(segment) > 4 else segment


def _names(text: str) -> list[str]:
    names = []
    for raw_token in NAME_SEPARATORS.split(text.strip()):
        token = re.sub(rf"^{ROLE}", "", raw_token.strip())
        if (
            token
            and token not in NOT_NAMES
            and PERSON_NAME.match(token)
            and not ROLE_WORD.search(token)
            and not ORGANISATION.search(token)
            and token not in names
        ):
            names.append(token)
    return names


def _reporters_with_place(inner: str) -> list[str]:
    """'記者邱俊欽桃園' → ['邱俊欽']; without a role word ('華盛頓') there is no reporter."""
    role = re.match(ROLE, inner.strip())
    if role is None:
        return []
    segments = NAME_SEPARATORS.split(inner.strip()[role.end() :])
    segments[-1] = _split_place(segments[-1])
    return _names("、".join(segments))


# The dateline a wire lead glues to the agency: 新华社巴黎12月9日电, 新京报快讯, 长江网10月4日讯.
AGENCY_DATELINE = re.compile(r"(?:\d{1,2}月\d{1,2}日)?(?:快讯|快訊|讯|訊|电|電|消息)$")


def agency_name(agency: str) -> str:
    """'新华社巴黎12月9日电' → '新华社': the agency without the dateline of one dispatch."""
    known = next((name for name in sorted(AGENCIES, key=len, reverse=True) if agency.startswith(name)), None)
    if known:
        return known
    bare = AGENCY_DATELINE.sub("", agency)
    for place in sorted(PLACES, key=len, reverse=True):
        if bare.endswith(place) and len(bare) > len(place) + 1:
            return bare[: -len(place)]
    return bare or agency


def parse_credit_line(text: str) -> Credits:
    """Read a credit written in its own element: '聯合報 記者陳嘉寧／即時報導', '责任编辑：张申'."""
    credits = Credits()
    text = LEADING_TIMESTAMP.sub("", re.sub(r"\s+", " ", text)).strip()
    for agency in AGENCIES:
        if text.startswith(agency):
            credits.agency = agency
            text = text[len(agency) :].strip()
            break
    text = CREDIT_LABEL.sub("", text)
    text = DATELINE_TAIL.sub("", text).strip()
    credits.authors = _names(text)
    return credits


def parse_editor_line(text: str) -> list[str]:
    """'责任编辑：张申 ' → ['张申']."""
    match = EDITOR_TAIL.match(text.strip())
    return _names(match["who"]) if match else _names(CREDIT_LABEL.sub("", text.strip()))


def _label_positions(line: str) -> list[re.Match[str]]:
    """Where credit labels start in `line`, as labels (not as words inside a value)."""
    found = []
    for match in CREDIT_LABEL_AT.finditer(line):
        label, separator = match["label"], match["separator"]
        at_boundary = match.start() == 0 or bool(LABEL_BOUNDARY.match(line[match.start() - 1]))
        # A one-character label (文, 图) or a label without a colon must start a word of its own.
        if separator in "：:":
            is_label = len(label) > 1 or at_boundary
        else:
            is_label = at_boundary and (len(label) > 1 or separator in "／/")
        if is_label:
            found.append(match)
    return found


def parse_labelled_credits(line: str, *, whole_line: bool = True) -> Credits | None:
    """Read labelled credits; None if there are none, or (`whole_line`) if the line holds more."""
    line = line.strip().strip(CREDIT_VALUE_BRACKETS)
    if not line or len(line) > MAX_CREDIT_LINE_CHARS:
        return None
    positions = _label_positions(line)
    if not positions or (whole_line and line[: positions[0].start()].strip(CREDIT_VALUE_BRACKETS)):
        return None
    credits = Credits(bylines=[line])
    for position, match in enumerate(positions):
        end = positions[position + 1].start() if position + 1 < len(positions) else len(line)
        value = CREDIT_VALUE_END.split(line[match.end() : end].lstrip(), 1)[0]
        value = CREDIT_VALUE_TAIL.sub("", value.strip(CREDIT_VALUE_BRACKETS)).strip(CREDIT_VALUE_BRACKETS)
        label = match["label"]
        if not value:
            continue
        if label in AUTHOR_LABELS:
            credits.authors += [name for name in _names(value) if name not in credits.authors]
        elif label in EDITOR_LABELS:
            credits.editors += [name for name in _names(value) if name not in credits.editors]
        elif label in SOURCE_LABELS and not credits.source and value not in NOT_SOURCES:
            credits.source = value
    return credits


def parse_credit_paragraph(paragraph: str) -> Credits | None:
    """A paragraph that only credits people (a dateline, a reporter line, labelled credits)."""
    text = paragraph.strip()
    if match := BARE_DATELINE.match(text):
        credits = Credits(bylines=[text])
        who = match["who"]
        for agency in AGENCIES:
            if who.startswith(agency):
                credits.agency, who = agency, who[len(agency) :]
        credits.authors = _names(who)
        return credits
    if match := REPORTER_LINE.match(text):
        return Credits(authors=_names(match["who"]), agency=match["agency"], bylines=[text])
    return parse_labelled_credits(text)


def _lift_lead(paragraph: str, credits: Credits) -> str:
    if match := CNA_LEAD.match(paragraph):
        credits.agency = "中央社"
        credits.authors += _reporters_with_place(match["inner"])
    elif match := BRACKET_LEAD.match(paragraph):
        who = match["who"].strip()
        for agency in AGENCIES:
            if who.startswith(agency):
                credits.agency, who = agency, who[len(agency) :]
        credits.authors += _names(who)
    elif (match := EPOCH_LEAD.match(paragraph)) and match.group(0):
        if match["agency"]:
            credits.agency = match["agency"]
            credits.authors += _reporters_with_place(match["inner"] or "")
    elif match := CREDIT_PARAGRAPH.match(paragraph):
        credits.authors += _names(match["who"])
    elif match := WIRE_LEAD.match(paragraph):
        credits.agency = match["agency"]
        credits.authors += _names(match["who"])
    else:
        return paragraph
    credits.bylines.append(match.group(0))
    return paragraph[match.end() :].lstrip()


def _lift_tail(paragraph: str, credits: Credits) -> str:
    if whole := parse_credit_paragraph(paragraph):
        credits.merge(whole)
        return ""
    for pattern, role in (
        (CNA_EDITOR_TAIL, "editors"),
        (EDITOR_TAIL, "editors"),
        (REPOST_TAIL, "source"),
        (CLOSING_DATELINE, "authors"),
    ):
        if match := pattern.search(paragraph):
            if role == "source":
                credits.source = match["source"].strip()
            else:
                names = getattr(credits, role)
                names += [name for name in _names(match["who"]) if name not in names]
            credits.bylines.append(match.group(0).strip())
            return paragraph[: match.start()].rstrip()
    return paragraph


def lift_bylines(paragraphs: list[str]) -> tuple[list[str], Credits]:
    """Remove lead and closing bylines from a body given as paragraphs."""
    credits = Credits()
    paragraphs = [paragraph for paragraph in paragraphs if paragraph]
    # Credits can stand in paragraphs of their own before the text (記者林悅／南市報導).
    for _ in range(min(LEAD_CREDIT_PARAGRAPHS, len(paragraphs) - 1)):
        whole = parse_credit_paragraph(paragraphs[0])
        if whole is None:
            break
        credits.merge(whole)
        del paragraphs[0]
    if paragraphs:
        paragraphs[0] = _lift_lead(paragraphs[0], credits)
    # Closing credits can be stacked: （轉自…） on one line, 責任編輯：… on the last.
    for _ in range(TAIL_CREDIT_PARAGRAPHS):
        if not paragraphs:
            break
        lifted = _lift_tail(paragraphs[-1], credits)
        if lifted == paragraphs[-1]:
            break
        paragraphs[-1] = lifted
        if not lifted:
            paragraphs.pop()
    return [paragraph for paragraph in paragraphs if paragraph], credits
