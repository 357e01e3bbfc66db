"""Reading one credit line: who wrote (authors), who edited (editors), whose text it is (source).

A credit line stands on its own (`聯合報 記者陳嘉寧／即時報導`, `责任编辑：张申`, `記者林悅／南市報導`),
in brackets at the head of a text (`〔記者王冠仁／台北報導〕`, `【聯合晚報╱記者邱瓊平/台北報導】`), or
around it (`2019-09-26 12:11来源：证券时报网作者：李在山`). Names are people only: a desk (即時新聞,
體育中心), an organisation or an outlet is never an author. Where credits sit in a text is
crawler/pages/bylines.py's business; the words they are made of are crawler/pages/credit_words.py.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from crawler.pages.credit_words import (
    AFFILIATION,
    AFFILIATION_STARTS,
    AGENCIES_LONGEST_FIRST,
    AUTHOR_LABELS,
    CJK,
    DATELINE_END,
    EDITOR_LABELS,
    IGNORED_LABELS,
    NOT_NAMES,
    NOT_SOURCES,
    ORGANISATION,
    OWN_PAPER,
    PLACE_SUFFIXES,
    PLACES_LONGEST_FIRST,
    ROLE,
    ROLE_WORD,
    SOURCE_LABELS,
)

_LABELS = sorted(AUTHOR_LABELS + EDITOR_LABELS + SOURCE_LABELS + IGNORED_LABELS, key=len, reverse=True)
# A label and what separates it from its value: 作者：, 文／, 编辑 , 作者︱ (a full-width bar).
CREDIT_LABEL_AT = re.compile(rf"(?P<label>{'|'.join(_LABELS)})\s*(?P<separator>[：:]|[／/︱丨]|\s)")
LABEL_BOUNDARY = re.compile(r"[\s（(【\[〔|｜,，;；]")
# Editor codes and page furniture glued to a credit: 杨倩_NF4425, 韩保林 PK155, 新京报举报.
CREDIT_VALUE_TAIL = re.compile(r"(?:[_\s]+[A-Za-z]{1,4}\d{2,}|举报|舉報)$")
CREDIT_VALUE_BRACKETS = "（）()【】[]〔〕 \t\n|｜,，;；。"
MAX_CREDIT_LINE_CHARS = 80
# A value ends at a line break, a bar, or the next "word：" label (来源：当代商报 时间：…).
CREDIT_VALUE_END = re.compile(r"[\n|｜]|\s+[^\s：:]{1,6}[：:]")
# A space separates names, except inside a Latin-script name (责编：Demi Xia).
NAME_SEPARATORS = re.compile(
    r"[、,，；;&＆]+|\s+(?![A-Za-z])|(?<![A-Za-z.])\s+|(?<=[" + CJK + r"])(?:及|和|與|与)(?=[" + CJK + r"])"
)
CREDIT_LABEL = re.compile(
    r"^(?:責任編輯|责任编辑|責編|责编|編輯|编辑|作者|撰文|文|圖|图|記者|记者|編譯|编译)\s*[：:／/︱]\s*"
)
DATELINE_TAIL = re.compile(r"[／/╱].*$|\S*\d{1,2}日(?:電|电|專電|专电)\s*$|(?:即時|即时)?(?:報導|报道)$")
LEADING_TIMESTAMP = re.compile(r"^\d{4}[-/.]\d{1,2}[-/.]\d{1,2}(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?\s*")
PERSON_NAME = re.compile(rf"^(?:[{CJK}·‧]{{2,6}}|[A-Z][A-Za-z.'-]+(?: [A-Z][A-Za-z.'-]+)*)$")
# The parts of a bracketed or slashed credit: 聯合晚報╱記者邱瓊平/台北報導.
CREDIT_PARTS = re.compile(r"[／/╱]")
# The last part of a dateline credit: where (if anywhere) and how it was filed: 台北報導, 綜合外電報導.
DATELINE_PART = re.compile(
    rf"^[^\d]{{0,12}}?(?:綜合外電|综合外电|外電|外电|綜合|综合|即時|即时)?{DATELINE_END}$"
)
# A credit of the paper's own newsroom with no one named: 本報訊, 新浪科技訊.
NEWSROOM_CREDIT = re.compile(rf"^[{CJK}A-Za-z]{{2,10}}(?:訊|讯)$")
# Names followed by 報導 on a byline bar: 彭佳芸 黃翊真 報導.
NAMES_REPORTED = re.compile(rf"^(?P<who>[{CJK}]{{2,4}}(?:[\s、，,][{CJK}]{{2,4}})*)\s+(?:報導|报道)(?:\s|$)")
# Reporter datelines of a paragraph of its own: 記者林悅／南市報導, 社會中心／綜合報導.
BARE_DATELINE = re.compile(
    r"^(?P<who>[^／/╱\s（）()〔〕]{2,24})[／/╱](?P<place>[^／/╱\s（）()]{0,10}?)(?:報導|报道|電|电)$"
)
# 澎湃新闻记者 段彦超 廖艳 / 扬子晚报记者 张楠 — a reporter line of its own.
REPORTER_LINE = re.compile(
    rf"^(?P<agency>[{CJK}]{{2,10}}?)?(?:見習|见习|實習|实习|特約|特约)?(?:記者|记者)\s*"
    rf"(?P<who>[{CJK}·‧]{{2,4}}(?:[\s、,，][{CJK}·‧]{{2,4}})*)$"
)
# The dateline a wire lead glues to the agency: 新华社巴黎12月9日电, 新京报快讯, 长江网10月4日讯.
AGENCY_DATELINE = re.compile(r"(?:\d{1,2}月\d{1,2}日)?(?:快讯|快訊|讯|訊|电|電|消息)$")


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


def split_place(segment: str) -> str:
    """'邱俊欽桃園' → '邱俊欽': drop a trailing dispatch place from the last name."""
    for place in PLACES_LONGEST_FIRST:
        for suffix in ("", *PLACE_SUFFIXES):
            tail = place + suffix
            if segment.endswith(tail) and len(segment) > len(tail):
                return segment[: -len(tail)]
    # An unknown place: Chinese personal names are mostly three characters.
    return segment[:3] if len(segment) > 4 else segment


def _without_affiliation(token: str) -> str:
    """'方敏北京大学经济学院教授' → '方敏': a name followed by where the person works."""
    for length in (2, 3, 4):
        rest = token[length:]
        if rest.startswith(AFFILIATION_STARTS) and AFFILIATION.match(rest):
            return token[:length]
    return token


def names(text: str) -> list[str]:
    """The people a credit value names, in order; desks, roles and organisations left out."""
    found: list[str] = []
    for raw_token in NAME_SEPARATORS.split(text.strip()):
        token = _without_affiliation(re.sub(rf"^{ROLE}", "", raw_token.strip()))
        if (
            token
            and token not in NOT_NAMES
            and PERSON_NAME.match(token)
            and not ROLE_WORD.search(token)
            and not ORGANISATION.search(token)
            and token not in found
        ):
            found.append(token)
    return found


def reporters_with_place(inner: str) -> list[str]:
    """'記者邱俊欽桃園' → ['邱俊欽']; without a role word ('華盛頓') there is no reporter."""
    role = re.match(ROLE, inner.strip())
    if role is None:
        return []
    segments = NAME_SEPARATORS.split(inner.strip()[role.end() :])
    segments[-1] = split_place(segments[-1])
    return names("、".join(segments))


def agency_name(agency: str) -> str:
    """'新华社巴黎12月9日电' → '新华社': the agency without the dateline of one dispatch."""
    known = next((name for name in AGENCIES_LONGEST_FIRST if agency.startswith(name)), None)
    if known:
        return known
    bare = AGENCY_DATELINE.sub("", agency)
    for place in PLACES_LONGEST_FIRST:
        if bare.endswith(place) and len(bare) > len(place) + 1:
            return bare[: -len(place)]
    return bare or agency


def _take_agency(text: str, credits: Credits) -> str:
    """Move a leading agency (聯合報, 中廣) or the paper's own desk (本報) from `text` to `credits`."""
    for agency in (*AGENCIES_LONGEST_FIRST, *OWN_PAPER):
        if text.startswith(agency) and not re.match(ROLE, text):
            if agency not in OWN_PAPER:
                credits.agency = credits.agency or agency
            return text[len(agency) :].strip()
    return text


def parse_credit_line(text: str) -> Credits:
    """Read a credit written in its own element: '聯合報 記者陳嘉寧／即時報導', '上報快訊／范姜佳鈺'."""
    credits = Credits()
    text = LEADING_TIMESTAMP.sub("", re.sub(r"\s+", " ", text)).strip()
    text = CREDIT_LABEL.sub("", _take_agency(text, credits))
    parts = CREDIT_PARTS.split(text, 1)
    if len(parts) == 2 and ORGANISATION.search(parts[0].strip()) and names(parts[1]):
        # A desk before the slash, the reporter after it.
        credits.authors = names(parts[1])
        return credits
    if match := NAMES_REPORTED.match(text):
        credits.authors = names(match["who"])
        return credits
    credits.authors = names(DATELINE_TAIL.sub("", text).strip())
    return credits


def parse_bracketed_credit(inner: str) -> Credits | None:
    """Read the inside of a bracketed lead credit; None if it is not one.

    '記者王冠仁／台北報導', '聯合晚報╱記者邱瓊平/台北報導', '聯合報╱本報記者古硯偉', '王家俊／台北報導',
    '即時新聞／綜合報導', '本報訊'.
    """
    inner = inner.strip()
    credits = Credits()
    if NEWSROOM_CREDIT.match(inner) and not CREDIT_PARTS.search(inner):
        # 本報訊 is the paper's own newsroom, not an agency it reposts.
        credits.agency = None if inner.startswith(OWN_PAPER) else inner[:-1]
        return credits
    parts = [part.strip() for part in CREDIT_PARTS.split(inner)]
    if len(parts) < 2:
        # 〔綜合報導〕, 【台北報導】: a dateline naming no one.
        return credits if DATELINE_PART.match(inner) else None
    if DATELINE_PART.match(parts[-1]):
        people = parts[:-1]
    elif any(re.search(ROLE, part) for part in parts):
        people = parts
    else:
        return None
    for part in people:
        credits.authors += [
            name for name in names(_take_agency(part, credits)) if name not in credits.authors
        ]
    return credits


def parse_editor_line(text: str) -> list[str]:
    """'责任编辑：张申 ' → ['张申']."""
    match = re.match(
        r"^(?:責任編輯|责任编辑|責編|责编|編輯|编辑)\s*[：:]\s*(?P<who>.{1,30}?)\s*$", text.strip()
    )
    return names(match["who"]) if match else names(CREDIT_LABEL.sub("", text.strip()))


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
            is_label = at_boundary and (len(label) > 1 or separator in "／/︱丨")
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
            credits.authors += [name for name in names(value) if name not in credits.authors]
        elif label in EDITOR_LABELS:
            credits.editors += [name for name in names(value) if name not in credits.editors]
        elif label in SOURCE_LABELS and not credits.source and value not in NOT_SOURCES:
            credits.source = value
    return credits


# A credit in brackets standing alone: 【聯合晚報╱記者邱瓊平/台北報導】, 〔記者王冠仁／台北報導〕.
BRACKETED_CREDIT = re.compile(r"^[〔［\[【(（](?P<inner>[^〔〕［］\[\]【】()（）]{2,40})[〕］\]】)）]$")


def parse_credit_paragraph(paragraph: str) -> Credits | None:
    """A paragraph that only credits people (a dateline, a reporter line, labelled credits)."""
    text = paragraph.strip()
    if (match := BRACKETED_CREDIT.match(text)) and (credits := parse_bracketed_credit(match["inner"])):
        credits.bylines = [text]
        return credits
    if match := BARE_DATELINE.match(text):
        credits = Credits(bylines=[text])
        credits.authors = names(_take_agency(match["who"], credits))
        return credits
    if match := REPORTER_LINE.match(text):
        return Credits(authors=names(match["who"]), agency=match["agency"], bylines=[text])
    if (match := NAMES_REPORTED.match(text)) and names(match["who"]):
        return Credits(authors=names(match["who"]), bylines=[text])
    return parse_labelled_credits(text)
