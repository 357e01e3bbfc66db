"""Bylines that Chinese-language outlets write inside the article text, lifted out of it.

CNA opens with （中央社記者邱俊欽桃園19日電） and closes with （編輯：…）1080804, LTN opens with
〔記者…／台北報導〕 (〔本報訊〕 in 2013), UDN in 2013 with 【聯合晚報╱記者…/台北報導】, Apple Daily with
【王家俊／台北報導】, Epoch Times with （大紀元記者…報導） and closes with 責任編輯：…, mainland wires with
新京报快讯（记者 裴剑飞） or 新华社北京11月17日电 and close with （编辑：…）, （完） or the writer's
name in brackets. These are lifted out of the body: the names go to `authors` / `editors`, the
byline text is kept verbatim in `bylines`, and the body keeps only the article's own words
(language tagging and near-duplicate hashing then see the same text whoever filed it). Reading
one credit is crawler/pages/credit_lines.py.
"""

from __future__ import annotations

import re

from crawler.pages.credit_lines import (
    Credits,
    names,
    parse_bracketed_credit,
    parse_credit_paragraph,
    reporters_with_place,
)
from crawler.pages.credit_words import CJK, DATELINE_END, ROLE

# （中央社記者邱俊欽桃園19日電） （中央社華盛頓3日綜合外電報導） （中央社記者王承中、陳家倫台北4日電）
CNA_LEAD = re.compile(r"^（中央社(?P<inner>[^）]{0,60}?)\d{1,2}日(?:綜合外電報導|綜合外電|專電|電)）")
# 〔記者王冠仁／台北報導〕 〔本報訊〕 【聯合報╱本報記者古硯偉】 [編譯盧永山／綜合報導]
BRACKET_LEAD = re.compile(r"^[〔［\[【](?P<inner>[^〔〕［］\[\]【】]{1,40})[〕］\]】]")
# （記者王五／台北報導） （記者王五台北報導） （本報記者王五）
PAREN_REPORTER_LEAD = re.compile(rf"^[（(](?P<inner>{ROLE}[^（）()]{{1,30}}?)[）)]")
# 記者王冠仁／台北報導 / 駐美特派員張宗智／華盛頓報導 — unbracketed, the text run on after it.
BARE_REPORTER_LEAD = re.compile(
    rf"^(?P<inner>(?:本報|本报)?(?:駐[{CJK}]{{1,6}})?(?:記者|记者|特派員|特派员|特派記者|特派记者)"
    rf"[^／/╱。，,\s]{{1,20}}[／/╱][{CJK}]{{0,10}}?(?:報導|报道|報道))\s*"
)
# 【大紀元2022年12月28日訊】（大紀元記者李辰綜合報導）
EPOCH_LEAD = re.compile(
    r"^(?P<dateline>【大紀元[^】]{0,20}訊】|【大纪元[^】]{0,20}讯】)?"
    r"(?:（(?P<agency>大紀元|大纪元|新唐人)(?P<inner>[^）]{0,40}?)(?:綜合|综合)?(?:報導|报导|报道)）)?"
)
# 执笔/叨叨姐、胡一刀&李小飞刀 — a whole first paragraph that only credits the writers.
CREDIT_PARAGRAPH = re.compile(
    r"^(?:执笔|執筆|撰文|作者|文|記者|记者)\s*[/／:：︱]\s*(?P<who>[^。，,！？]{1,40})$"
)
# 新京报快讯（记者 裴剑飞） / 新华社北京9月7日电（记者张三、李四） / 本报讯（记者 王五）
WIRE_LEAD = re.compile(
    rf"^(?P<agency>[{CJK}]{{2,8}}?(?:快讯|快訊|消息|(?:[{CJK}]{{0,6}}\d{{1,2}}月\d{{1,2}}日)?(?:电|電|讯|訊)))"
    r"[（(](?:记者|記者|通讯员|通訊員)\s*(?P<who>[^）)]{1,40})[）)]"
)
# 新华社北京11月17日电 记者17日从… / 新浪科技讯 北京时间… — a dateline naming no one, then a space.
DATELINE_LEAD = re.compile(
    rf"^(?P<agency>[{CJK}A-Za-z]{{2,8}}?(?:[{CJK}]{{0,8}}\d{{1,2}}月\d{{1,2}}日)?(?:电|電|讯|訊))"
    r"[ \u3000]+(?=\S)"
)
# TNW中文站 10月14日报道 — a dateline in a paragraph of its own.
DATELINE_PARAGRAPH = re.compile(
    rf"^(?P<agency>[{CJK}A-Za-z]{{2,12}})\s*\d{{1,2}}月\d{{1,2}}日{DATELINE_END}$"
)
# （編輯：陳承功）1080804 — CNA's editor with the ROC date.
CNA_EDITOR_TAIL = re.compile(r"[（(](?:編輯|编辑)[：:](?P<who>[^）)]{1,30})[）)]\s*\d{7}\s*$")
# 1020629 — CNA's ROC date (year 102, June 29) ending the text.
ROC_DATE_TAIL = re.compile(r"(?<=[。！？」』）)])\s*[01]\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\s*$")
# 責任編輯：李欣 / 责任编辑：张申 / 责编：郭姝婷, as the last paragraph
EDITOR_TAIL = re.compile(r"^(?:責任編輯|责任编辑|責編|责编|編輯|编辑)\s*[：:]\s*(?P<who>.{1,30}?)\s*$")
# （轉自自由亞洲電台） — Epoch Times' note of the outlet it reposts.
REPOST_TAIL = re.compile(r"[（(](?:轉自|转自|本文轉自|本文转自)(?P<source>[^）)]{1,30})[）)]\s*$")
# …釐清死因。（王煌忠／台中報導） — a closing dateline credit ending the last paragraph (a
# slogan run into it after, like Apple Daily's 《蘋果》關心你, goes with it).
CLOSING_DATELINE = re.compile(
    r"[（(](?P<who>[^（）()／/]{2,24})[／/](?P<place>[^（）()／/]{0,10}?)(?:報導|报道)[）)][^。！？]{0,12}$"
)
# …（Nature）上。（编译/林靖东） / …的紀錄。（羅森） — the writer (or editor) named last, in brackets.
CLOSING_NAME = re.compile(
    rf"(?:^|(?<=[。！？」』”]))\s*[（(](?:(?P<label>编译|編譯|记者|記者|作者|文|编辑|編輯|责编|責編)\s*[／/:：]?\s*)?"
    rf"(?P<who>[{CJK}]{{2,4}})[）)]\s*$"
)
# Words in brackets at the end of a text that are not a name: （完）, （待續）, （資料照）.
NOT_CLOSING_NAMES = re.compile(r"完|續|续|圖|图|照|攝|摄|稿|見|见|下同|全文")
END_MARK = re.compile(r"\s*[（(]完[）)]\s*$")
CLOSING_EDITOR_LABELS = ("编辑", "編輯", "责编", "責編")
# How many paragraphs at each end of a text are read for credits of their own.
LEAD_CREDIT_PARAGRAPHS = 3
TAIL_CREDIT_PARAGRAPHS = 4


def _lead_credit(paragraph: str) -> tuple[re.Match[str], Credits] | None:
    """The byline a text's first paragraph opens with, and what it credits."""
    credits = Credits()
    if match := CNA_LEAD.match(paragraph):
        credits.agency = "中央社"
        credits.authors = reporters_with_place(match["inner"])
    elif (match := EPOCH_LEAD.match(paragraph)) and match.group(0):
        if match["agency"]:
            credits.agency = match["agency"]
            credits.authors = reporters_with_place(match["inner"] or "")
    elif (match := BRACKET_LEAD.match(paragraph)) and (bracketed := parse_bracketed_credit(match["inner"])):
        credits = bracketed
    elif match := PAREN_REPORTER_LEAD.match(paragraph):
        credits = parse_bracketed_credit(match["inner"]) or Credits(
            authors=reporters_with_place(re.sub(rf"{DATELINE_END}$", "", match["inner"]))
        )
    elif (match := BARE_REPORTER_LEAD.match(paragraph)) and (bare := parse_bracketed_credit(match["inner"])):
        credits = bare
    elif match := CREDIT_PARAGRAPH.match(paragraph):
        credits.authors = names(match["who"])
    elif match := WIRE_LEAD.match(paragraph):
        credits.agency = match["agency"]
        credits.authors = names(match["who"])
    elif (match := DATELINE_LEAD.match(paragraph)) or (match := DATELINE_PARAGRAPH.match(paragraph)):
        credits.agency = match["agency"]
    else:
        return None
    return match, credits


def opens_with_byline(paragraph: str) -> bool:
    """Whether `paragraph` opens with a lead byline (so that the article's text starts there)."""
    return _lead_credit(paragraph) is not None


def _lift_lead(paragraph: str, credits: Credits) -> str:
    found = _lead_credit(paragraph)
    if found is None:
        return paragraph
    match, lead = found
    lead.bylines.append(match.group(0).strip())
    credits.merge(lead)
    return paragraph[match.end() :].lstrip()


def _lift_closing_name(paragraph: str, credits: Credits) -> str | None:
    match = CLOSING_NAME.search(paragraph)
    if match is None or NOT_CLOSING_NAMES.search(match["who"]):
        return None
    label = match["label"]
    if label:
        role = credits.editors if label in CLOSING_EDITOR_LABELS else credits.authors
        role += [name for name in names(match["who"]) if name not in role]
    credits.bylines.append(match.group(0).strip())
    return paragraph[: match.start()].rstrip()


def _lift_tail(paragraph: str, credits: Credits) -> str:
    if whole := parse_credit_paragraph(paragraph):
        credits.merge(whole)
        return ""
    if END_MARK.search(paragraph):
        return END_MARK.sub("", paragraph)
    for pattern, role in (
        (CNA_EDITOR_TAIL, "editors"),
        (ROC_DATE_TAIL, None),
        (EDITOR_TAIL, "editors"),
        (REPOST_TAIL, "source"),
        (CLOSING_DATELINE, "authors"),
    ):
        if match := pattern.search(paragraph):
            if role == "source":
                credits.source = match["source"].strip()
            elif role:
                people = getattr(credits, role)
                people += [name for name in names(match["who"]) if name not in people]
            credits.bylines.append(match.group(0).strip())
            return paragraph[: match.start()].rstrip()
    lifted = _lift_closing_name(paragraph, credits)
    return paragraph if lifted is None else lifted


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
        if not paragraphs[0]:
            del paragraphs[0]
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
