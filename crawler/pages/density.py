"""The main text of a page of a site nobody configured, found by where its prose is densest.

A Readability-style scorer tuned for Chinese: a text block counts as prose by its sentence
punctuation (，。！？；、 as well as ,.!?;), which Readability — counting only ASCII commas —
never sees in Chinese; link text counts against it (lists of related headlines are all
links). Each block's score goes to its parent and half of it to its grandparent; the element
with the best score, discounted by its share of link text, is the article, and its blocks in
document order are the body. Containers named like comments, share bars, related lists or
footers never compete. Nothing here changes the tree.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import lxml.html

from crawler.pages.document import SKIPPED_TAGS, clean_text

BLOCK_TAGS = frozenset(
    {
        "p", "div", "section", "article", "main", "li", "ul", "ol", "td", "tr", "table", "tbody",
        "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "dd", "dt", "dl", "figure",
        "figcaption", "header", "footer", "center", "form",
    }
)  # fmt: skip
# Never article text, whatever their content.
NEVER_CONTENT_TAGS = frozenset({"nav", "aside", "footer", "button", "header", "figcaption"})
HEADING_TAGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
# Items of lists (references, headlines, definitions) never make a container the article:
# a long list of cited sources would out-score a short story.
LIST_ITEM_TAGS = frozenset({"li", "dt", "dd"})
# Class or id of containers that hold no article text (Readability's list, plus the Chinese
# sites' own words: 相关/推荐/热门 written in pinyin, and their share bars and rankings).
UNLIKELY_CONTAINER = re.compile(
    r"comment|disqus|share|social|sns|related|relate|recommend|tuijian|xiangguan|footer|foot\b|"
    r"sidebar|side[-_]|aside|breadcrumb|crumb|menu|\bnav|navbar|pagination|pager|popup|banner|"
    r"sponsor|advert|\bads?\b|[-_]ads?\b|\bads?[-_]|\bgg\b|hot|rank|copyright|login|subscribe|"
    r"qrcode|download|toolbar|tool[-_]?bar|keyword|tags\b|reply|replies|remark",
    re.IGNORECASE,
)
# Photo captions, whatever else their names say (LTN's <div class="pic_text">, BBC's <p class="caption">).
CAPTION_CONTAINER = re.compile(
    r"caption|img[-_]?desc|pic[-_]?(?:text|desc)|photo[-_]?(?:text|desc)|image[-_]?desc", re.IGNORECASE
)
LIKELY_CONTAINER = re.compile(
    r"article|content|body|main|text|detail|post|story|entry|zw|para", re.IGNORECASE
)
# Sentence punctuation: what makes a block prose rather than a menu or a list of titles.
PUNCTUATION = re.compile(r"[，。！？；、：,.!?;:「」“”]")
# A line break in the HTML source between two Chinese characters is not a space.
SOURCE_LINE_BREAK = re.compile(
    r"(?<=[\u3000-\u9fff\uff00-\uffef])[ \t\r]*\n\s*(?=[\u3000-\u9fff\uff00-\uffef])"
)
WHITESPACE = re.compile(r"\s+")
MIN_BLOCK_CHARS = 10
# Characters of the meta description that must recur in a block for it to be the standfirst.
STANDFIRST_KEY_CHARS = 24
# How far above the first paragraph the article's heading is looked for, and how many lines
# are read around the text when no heading is found or for closing credits.
HEADER_MAX_LINES = 40
HEADER_FALLBACK_LINES = 12
# Lines just above the headline that still head the text (a blog's date badge).
LINES_ABOVE_HEADLINE = 2
TRAILER_MAX_LINES = 8
MAX_LINK_SHARE = 0.5
SIBLING_SHARE = 0.2
# A container named like an ad slot or a sidebar that holds this share of the page's text is the
# page's own wrapper (China Times' <div class="page_container newspapers_ad">), not a sidebar.
WRAPPER_TEXT_SHARE = 0.5


@dataclass
class TextBlock:
    """A run of text between block boundaries, with how much of it is link text."""

    text: str
    link_chars: int
    owner: lxml.html.HtmlElement

    @property
    def link_share(self) -> float:
        return self.link_chars / max(1, len(self.text))

    @property
    def is_title(self) -> bool:
        return self.owner.tag in ("h1", "h2")

    @property
    def score(self) -> float:
        # Headings and list items are kept inside an article but never make a container one.
        if self.owner.tag in HEADING_TAGS or self.owner.tag in LIST_ITEM_TAGS:
            return 0.0
        if len(self.text) < MIN_BLOCK_CHARS or self.link_share > MAX_LINK_SHARE:
            return 0.0
        prose = self.text if not self.link_chars else self.text[: len(self.text) - self.link_chars]
        return 1 + len(PUNCTUATION.findall(prose)) + min(len(self.text) / 100, 3)


def _class_and_id(element: lxml.html.HtmlElement) -> str:
    return f"{element.get('class') or ''} {element.get('id') or ''}"


def _is_unlikely(element: lxml.html.HtmlElement, page_chars: int) -> bool:
    if element.tag in NEVER_CONTENT_TAGS:
        return True
    if element.tag in ("body", "html", "article", "main"):
        return False
    names = _class_and_id(element)
    if CAPTION_CONTAINER.search(names):
        return True
    if not UNLIKELY_CONTAINER.search(names) or LIKELY_CONTAINER.search(names):
        return False
    return _visible_chars(element) < page_chars * WRAPPER_TEXT_SHARE


def _visible_chars(element: lxml.html.HtmlElement) -> int:
    """Characters of text a reader sees in `element` (scripts and styles left out)."""
    if not isinstance(element.tag, str) or element.tag in SKIPPED_TAGS:
        return 0
    return len((element.text or "").strip()) + sum(
        _visible_chars(child) + len((child.tail or "").strip()) for child in element
    )


def _closing_link(text: str, link: str) -> re.Match[str] | None:
    """A link in brackets closing a paragraph after its last sentence: another story's headline
    (upmedia: …謹慎才是。（<a>中職二度延賽至4月11日</a>）), not the paragraph's words."""
    return re.search(rf"(?<=[。！？」』”])\s*[（(]\s*{re.escape(link)}\s*[）)]$", text)


def _blocks(root: lxml.html.HtmlElement, *, skip_unlikely: bool) -> Iterator[TextBlock]:
    """Text blocks in document order; a block ends at every block element and every <br>."""
    parts: list[str] = []
    link_chars = 0
    owners: list[lxml.html.HtmlElement] = [root]
    page_chars = _visible_chars(root) if skip_unlikely else 0

    last_link = ""

    def flush() -> Iterator[TextBlock]:
        nonlocal parts, link_chars, last_link
        text = clean_text(SOURCE_LINE_BREAK.sub("", "".join(parts)))
        if last_link and (see_also := _closing_link(text, last_link)):
            text, link_chars = text[: see_also.start()], link_chars - len(last_link)
        if text:
            yield TextBlock(text, max(0, min(link_chars, len(text))), owners[-1])
        parts, link_chars, last_link = [], 0, ""

    def walk(node: lxml.html.HtmlElement, in_link: bool) -> Iterator[TextBlock]:
        nonlocal link_chars, last_link
        tag = node.tag if isinstance(node.tag, str) else ""
        if not tag or tag in SKIPPED_TAGS or (skip_unlikely and _is_unlikely(node, page_chars)):
            return
        is_block = tag in BLOCK_TAGS
        if is_block or tag == "br":
            yield from flush()
        if is_block:
            owners.append(node)
        inside_link = in_link or tag == "a"
        if node.text:
            parts.append(node.text)
            if inside_link:
                link_chars += len(node.text.strip())
        for child in node:
            yield from walk(child, inside_link)
            if child.tail:
                parts.append(child.tail)
                if inside_link:
                    link_chars += len(child.tail.strip())
        if tag == "a" and not in_link:
            last_link = clean_text(node.text_content())
        if is_block:
            yield from flush()
            owners.pop()

    yield from walk(root, False)
    yield from flush()


def _within(element: lxml.html.HtmlElement, containers: set[lxml.html.HtmlElement]) -> bool:
    return element in containers or any(ancestor in containers for ancestor in element.iterancestors())


@dataclass
class MainText:
    """The article's paragraphs, and the short lines printed around them (credits, times)."""

    paragraphs: list[str]
    # Lines from the article's heading down to its first paragraph: where times and credits sit.
    lines_before: list[TextBlock]
    # The first few lines after its last paragraph: where closing credits sit.
    lines_after: list[TextBlock]


def _same_kind(element: lxml.html.HtmlElement, other: lxml.html.HtmlElement) -> bool:
    """Two elements of the same tag and (named) class: pieces of one column cut apart."""
    return (
        element.tag == other.tag and bool(element.get("class")) and element.get("class") == other.get("class")
    )


def _best_containers(blocks: list[TextBlock]) -> set[lxml.html.HtmlElement]:
    scores: dict[lxml.html.HtmlElement, float] = {}
    for block in blocks:
        score = block.score
        if not score:
            continue
        parent = block.owner if block.owner.tag not in ("p", "li") else block.owner.getparent()
        if parent is None:
            continue
        scores[parent] = scores.get(parent, 0.0) + score
        grandparent = parent.getparent()
        if grandparent is not None:
            scores[grandparent] = scores.get(grandparent, 0.0) + score / 2
    if not scores:
        return set()
    text_chars: dict[lxml.html.HtmlElement, int] = {}
    link_chars: dict[lxml.html.HtmlElement, int] = {}
    for block in blocks:
        for element in (block.owner, *block.owner.iterancestors()):
            text_chars[element] = text_chars.get(element, 0) + len(block.text)
            link_chars[element] = link_chars.get(element, 0) + block.link_chars
    ranked = {
        element: score * (1 - link_chars.get(element, 0) / max(1, text_chars.get(element, 0)))
        for element, score in scores.items()
    }
    top = max(ranked, key=ranked.__getitem__)
    chosen = {top}
    parent = top.getparent()
    if parent is not None:
        threshold = max(10.0, ranked[top] * SIBLING_SHARE)
        # The text column can be cut into sections of the same kind between ad slots (NYT Chinese:
        # <div class="article-partial"> after each ad): the sections' own blocks count too.
        grandparent = parent.getparent()
        sections = [parent]
        if grandparent is not None:
            sections += [other for other in grandparent if other is not parent and _same_kind(other, parent)]
        # Containers of the same kind as the best one (the other paragraphs' <div>s) are text
        # however short; others must score well.
        for section in sections:
            chosen.update(
                child
                for child in section
                if ranked.get(child, 0.0) >= threshold
                or (ranked.get(child, 0.0) > 0 and _same_kind(child, top))
            )
    return chosen


def _standfirst(
    blocks: list[TextBlock], chosen: set[lxml.html.HtmlElement], paragraphs: list[str], description: str
) -> str | None:
    """A summary printed above the text column that the page's description confirms is its lead."""
    key = WHITESPACE.sub("", description)[:STANDFIRST_KEY_CHARS]
    if len(key) < STANDFIRST_KEY_CHARS or any(key in WHITESPACE.sub("", text) for text in paragraphs):
        return None
    for block in blocks:
        if _within(block.owner, chosen):
            return None
        is_heading = block.owner.tag in HEADING_TAGS
        if not is_heading and block.link_share <= MAX_LINK_SHARE and key in WHITESPACE.sub("", block.text):
            return block.text
    return None


def find_main_text(
    tree: lxml.html.HtmlElement, description: str | None = None, headline: str | None = None
) -> MainText | None:
    """The page's main text, or None when no block of it reads as prose.

    `description` (the page's meta description) identifies a standfirst printed outside the
    text column, which then leads the text; `headline` is where the head of the text starts
    (else the nearest <h1>/<h2> above it, which may be a photo caption).
    """
    body = tree.find("body")
    root = body if body is not None else tree
    blocks = list(_blocks(root, skip_unlikely=True))
    chosen = _best_containers(blocks)
    paragraphs = [
        block.text for block in blocks if block.link_share <= MAX_LINK_SHARE and _within(block.owner, chosen)
    ]
    if not paragraphs:
        return None
    if description and (lead := _standfirst(blocks, chosen, paragraphs, description)):
        paragraphs.insert(0, lead)
    lines = list(_blocks(root, skip_unlikely=False))
    inside = [index for index, line in enumerate(lines) if _within(line.owner, chosen)]
    first, last = inside[0], inside[-1]
    above = range(first - 1, max(-1, first - HEADER_MAX_LINES), -1)
    compact_headline = WHITESPACE.sub("", headline or "")
    heading = next(
        (
            index
            for index in above
            if compact_headline and WHITESPACE.sub("", lines[index].text) == compact_headline
        ),
        next((index for index in above if lines[index].is_title), max(0, first - HEADER_FALLBACK_LINES)),
    )
    head_start = max(0, heading - LINES_ABOVE_HEADLINE)
    return MainText(paragraphs, lines[head_start:first], lines[last + 1 : last + 1 + TRAILER_MAX_LINES])
