"""Markdown and HTML briefings to lines: headings, paragraphs, list items, and the links in them.

`<h2>`/`<h3>` (`##`/`###`) are items' headlines. A link is written as its URL: in place of its
text when that text is the URL itself or a word such as "link", after its text otherwise, so a
source block reads the same whichever way it was marked up. A list item is written with its
number ("2. ") or a dash, as the plain-text briefing would have it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

import lxml.etree
import lxml.html
from lxml.html import HtmlElement
from markdown_it import MarkdownIt
from w3lib.encoding import html_body_declared_encoding

from crawler.briefings.documents import Line, ReadDocument, decode_text

ITEM_HEADINGS = {"h2", "h3"}
# Link texts that stand for the link itself: the URL goes in their place.
LINK_WORDS = {"link", "here", "source", "original", "連結", "链接", "原文", "網址", "网址"}
_BLOCK_TAGS = {
    "address", "article", "blockquote", "center", "dd", "div", "dl", "dt", "figcaption", "figure",
    "h1", "h2", "h3", "h4", "h5", "h6", "hr", "li", "main", "ol", "p", "pre", "section", "table",
    "td", "th", "tr", "ul",
}  # fmt: skip
# Never a briefing's words: code, page furniture, and header/footer bars outside an item.
_SKIPPED_TAGS = {
    "script",
    "style",
    "noscript",
    "template",
    "nav",
    "form",
    "button",
    "select",
    "svg",
    "iframe",
}
# A link text that is the address itself, with or without its scheme: "finance.sina.com.cn/…".
_URL_LIKE = re.compile(r"(?:https?://\S+|(?:[\w-]+\.)+[a-z]{2,}(?:/\S*)?)$", re.IGNORECASE)
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")


@dataclass
class _Lines:
    """Lines put together from pieces of text, each piece knowing the line of the file it is on."""

    lines: list[Line] = field(default_factory=list)
    _parts: list[str] = field(default_factory=list)
    _number: int | None = None
    _heading: bool = False
    _block_start: bool = True
    # The line of the last element met: where the text after an element (its tail) starts.
    last_element_line: int = 1

    def add(self, text: str, number: int) -> None:
        if not text:
            return
        if self._number is None and text.strip():
            self._number = number + text[: len(text) - len(text.lstrip())].count("\n")
        self._parts.append(text)

    def end_line(self, *, block_end: bool = False) -> None:
        text = " ".join("".join(self._parts).split())
        if text and self._number is not None:
            self.lines.append(Line(self._number, text, self._heading, self._block_start, block_end))
            self._block_start = False
        self._parts, self._number = [], None

    def end_block(self, *, heading: bool = False) -> None:
        """End the block under way; the next one is a heading if `heading`."""
        self.end_line(block_end=True)
        if self.lines and not self.lines[-1].block_end:
            self.lines[-1] = replace(self.lines[-1], block_end=True)
        self._heading, self._block_start = heading, True


def link_text(text: str, href: str | None) -> str:
    """A link as the briefing's words: its URL for a bare URL or "link", else text and URL."""
    words = " ".join(text.split())
    if not href or not re.match(r"https?://", href, re.I):
        return words
    bare = words.strip(" []()<>.:：")
    if not bare or bare.casefold() in LINK_WORDS or _URL_LIKE.match(bare):
        return f" {href} "
    return f"{words} {href}"


# Markdown ----------------------------------------------------------------------------------


def read_markdown(data: bytes, name: str) -> ReadDocument:
    text = decode_text(data, name)
    built = _Lines()
    list_kinds: list[str] = []
    # A list item's number ("2. ") or dash, written before its first words.
    marker = ""
    for token in MarkdownIt("commonmark").parse(text):
        if token.type in ("heading_open", "paragraph_open", "code_block", "fence", "html_block"):
            built.end_block(heading=token.type == "heading_open" and token.tag in ITEM_HEADINGS)
        if token.type in ("bullet_list_open", "ordered_list_open"):
            list_kinds.append(token.type)
        elif token.type in ("bullet_list_close", "ordered_list_close"):
            list_kinds.pop()
        elif token.type == "list_item_open" and token.map:
            built.end_block()
            marker = f"{token.info}{token.markup} " if list_kinds[-1] == "ordered_list_open" else "- "
        elif token.type in ("code_block", "fence", "html_block") and token.map:
            for offset, content in enumerate(token.content.splitlines()):
                built.add(content, token.map[0] + 1 + offset)
                built.end_line()
        elif token.type == "inline" and token.map:
            number = token.map[0] + 1
            built.add(marker, number)
            marker = ""
            link: tuple[str | None, list[str]] | None = None
            for child in token.children or []:
                if child.type in ("softbreak", "hardbreak"):
                    built.end_line()
                    number += 1
                elif child.type == "link_open":
                    link = (str(child.attrs.get("href") or ""), [])
                elif child.type == "link_close" and link is not None:
                    built.add(link_text("".join(link[1]), link[0]), number)
                    link = None
                elif child.type in ("text", "code_inline") and link is not None:
                    link[1].append(child.content)
                elif child.type in ("text", "code_inline"):
                    built.add(child.content, number)
        if token.type in ("heading_close", "paragraph_close", "list_item_close"):
            built.end_block()
    built.end_block()
    return ReadDocument("markdown", text, built.lines, [])


# HTML --------------------------------------------------------------------------------------


def _content_root(document: HtmlElement) -> HtmlElement:
    for path in ("//main", "//body"):
        found = document.xpath(path)
        if found:
            return found[0]
    return document


def _skipped(element: HtmlElement, tag: str) -> bool:
    if tag in ("header", "footer"):
        return not any(ancestor.tag in ("article", "section") for ancestor in element.iterancestors())
    return not tag or tag in _SKIPPED_TAGS


def _list_marker(element: HtmlElement) -> str:
    parent = element.getparent()
    if parent is None or parent.tag != "ol":
        return "- "
    start = parent.get("start", "1")
    position = [child for child in parent if child.tag == "li"].index(element)
    return f"{(int(start) if start.isdigit() else 1) + position}. "


def _walk(element: HtmlElement, built: _Lines) -> None:
    tag = element.tag if isinstance(element.tag, str) else ""
    number = element.sourceline or built.last_element_line
    built.last_element_line = number
    if not _skipped(element, tag):
        if tag in _BLOCK_TAGS:
            built.end_block(heading=tag in ITEM_HEADINGS)
        if tag == "li":
            built.add(_list_marker(element), number)
        if tag == "br":
            built.end_line()
        elif tag == "a":
            built.add(link_text(element.text_content(), element.get("href")), number)
        else:
            built.add(element.text or "", number)
            for child in element:
                _walk(child, built)
        if tag in _BLOCK_TAGS:
            built.end_block()
    built.add(element.tail or "", built.last_element_line)


def read_html(data: bytes, name: str) -> ReadDocument:
    source = _XML_DECLARATION.sub("", decode_text(data, name, html_body_declared_encoding(data)))
    built = _Lines()
    try:
        document = lxml.html.document_fromstring(source)
    except (lxml.etree.ParserError, ValueError):
        return ReadDocument("html", "", [], [])
    _walk(_content_root(document), built)
    built.end_block()
    return ReadDocument("html", "\n".join(line.text for line in built.lines), built.lines, [])
