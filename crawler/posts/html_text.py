"""A post's HTML as plain text: line breaks kept, emoji images as their alt text (`[doge]`), links
as the text they show, each link's target listed apart.

Weibo writes a post's text as HTML: topics and links as `<a>` around `<span class="surl-text">`,
emoji as `<img alt=[doge]>`, short links in `data-url` (zhangfaliang/koa2 data.js;
reddonkey-greencarp/fans starPost.js), and a truncated post ends in a `全文` ("whole text") link to
the post, which is not text (DIYgod/RSSHub weibo/utils.ts strips it). X's oEmbed `<blockquote>`
uses the same plain markup.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

from lxml import etree
from lxml import html as lxml_html

from crawler.posts.post import Link
from crawler.posts.urls import SHORT_LINK_HOSTS, unwrap_link

WHOLE_TEXT_LINK = "全文"
POST_PATH = re.compile(r"/status/|/detail/")
# The platforms' own pages (topics, mentions, hashtags) are not links a post cites.
PLATFORM_DOMAINS = ("weibo.com", "weibo.cn", "twitter.com", "x.com")
NOT_TEXT = frozenset({"script", "style"})
BLOCKS = frozenset({"p", "div", "li", "blockquote"})
TAG = re.compile(r"<[^>]*>")


@dataclass(frozen=True)
class RenderedText:
    """Plain text of an HTML fragment; `cut`: it ended in a link to the whole text, dropped."""

    text: str
    links: tuple[Link, ...]
    cut: bool


def render_html(fragment: str, base_url: str) -> RenderedText:
    """The plain text of a post's HTML `fragment`, its links' relative targets read against `base_url`."""
    if not fragment.strip():
        return RenderedText("", (), False)
    try:
        root = lxml_html.fragment_fromstring(fragment, create_parent="div")
    except (etree.ParserError, ValueError):
        return RenderedText(html.unescape(TAG.sub("", fragment)).strip(), (), False)
    parts: list[str] = []
    links: list[Link] = []
    anchors: list[tuple[int, etree._Element]] = []
    cut = False
    for event, element in etree.iterwalk(root, events=("start", "end")):
        tag = element.tag if isinstance(element.tag, str) else None
        if event == "start":
            if tag == "br":
                parts.append("\n")
            elif tag == "img" and element.get("alt"):
                parts.append(element.get("alt"))
            elif tag == "a":
                anchors.append((len(parts), element))
            if tag is not None and tag not in NOT_TEXT and element.text:
                parts.append(element.text)
            continue
        if tag == "a" and anchors:
            start, anchor = anchors.pop()
            shown = "".join(parts[start:]).strip()
            if shown == WHOLE_TEXT_LINK and POST_PATH.search(anchor.get("href") or ""):
                del parts[start:]
                cut = True
            else:
                link = _cited_link(shown, anchor, base_url)
                if link is not None:
                    links.append(link)
        if tag in BLOCKS and element is not root and parts and not parts[-1].endswith("\n"):
            parts.append("\n")
        if element is not root and element.tail:
            parts.append(element.tail)
    return RenderedText("".join(parts).strip(), tuple(links), cut)


def _cited_link(shown: str, anchor: etree._Element, base_url: str) -> Link | None:
    """The link an `<a>` cites: one the platform shortened (`data-url`), or one off the platforms."""
    short = anchor.get("data-url") or None
    href = anchor.get("href") or ""
    target = unwrap_link(urljoin(base_url, href)) if href else (short or "")
    try:
        host = (urlsplit(target).hostname or "").lower()
    except ValueError:
        return None
    if not target.startswith(("http://", "https://")):
        return None
    if host in SHORT_LINK_HOSTS:
        short = short or target
    elif short is None and any(host == domain or host.endswith("." + domain) for domain in PLATFORM_DOMAINS):
        return None
    return Link(shown, target, short)


@dataclass(frozen=True)
class EmbeddedPost:
    """The parts of X's oEmbed `<blockquote>`: the post's text, its language, the status link."""

    text: RenderedText
    language: str | None
    status_url: str | None


def read_embedded_post(embed_html: str) -> EmbeddedPost | None:
    """The post in an oEmbed answer's `html`: `<blockquote class="twitter-tweet"><p lang=…>text</p>
    &mdash; Name (@handle) <a href=…/status/<id>>date</a></blockquote>` (gohugoio/hugo
    embedded_shortcodes_test.go); None when there is no such paragraph."""
    try:
        root = lxml_html.fragment_fromstring(embed_html, create_parent="div")
    except (etree.ParserError, ValueError):
        return None
    paragraph = next(iter(root.iter("p")), None)
    if paragraph is None:
        return None
    status_url = next((href for href in root.xpath("//blockquote//a/@href") if POST_PATH.search(href)), None)
    paragraph.tail = None
    text = render_html(lxml_html.tostring(paragraph, encoding="unicode"), "https://twitter.com/")
    return EmbeddedPost(text, paragraph.get("lang") or None, status_url)
