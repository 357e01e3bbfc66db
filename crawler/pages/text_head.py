"""The lines at the head of a text block that are not the article's text.

Generic extraction takes the article's whole column, and on many pages that column starts with
the headline repeated, a dateline (2014-04-30 14:49), a byline bar (2023/08/25 徐子軒), the
reporter's name or the site's own, or photo captions and subheads above the lead byline
(江坤宇敲出再見全壘打。（記者廖耀東攝） then 〔體育中心／綜合報導〕…). These are the page's head,
not its text: they are taken off the body, and read for the time and the credits instead.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from crawler.pages.bylines import opens_with_byline
from crawler.pages.credit_lines import PERSON_NAME, parse_labelled_credits
from crawler.pages.dates import printed_times, without_times

WHITESPACE = re.compile(r"\s+")
# What may stand beside a time on a dateline: labels, separators, a name or two.
DATELINE_REST_CHARS = 12
SENTENCE_PUNCTUATION = re.compile(r"[，。！？；]")
MAX_HEAD_LINES = 6
# A lead byline this many paragraphs down still marks where the text starts …
LEAD_BYLINE_WITHIN = 4
# … when what stands above it is short enough to be captions and subheads.
MAX_CAPTION_CHARS = 160


def _compact(text: str) -> str:
    return WHITESPACE.sub("", text)


def _is_dateline(line: str) -> bool:
    """A time, alone or with a name, a label or labelled credits (来源：网易科学人作者：…)."""
    if not printed_times(line):
        return False
    rest = without_times(line)
    short = len(_compact(rest)) <= DATELINE_REST_CHARS and not SENTENCE_PUNCTUATION.search(rest)
    return short or parse_labelled_credits(rest, whole_line=False) is not None


def _is_head_line(line: str, title: str, is_site_name: Callable[[str], bool], after_head: bool) -> bool:
    compact = _compact(line)
    headline = re.match(r"\s*".join(map(re.escape, _compact(title))), line.strip()) if title.strip() else None
    if headline:
        rest = line.strip()[headline.end() :]
        return not rest.strip() or _is_dateline(rest)
    if _is_dateline(line) or is_site_name(line):
        return True
    # A name alone under the headline or the dateline is the byline (BBC: 呂嘉鴻).
    return after_head and bool(PERSON_NAME.match(line.strip())) and len(compact) <= 4


def split_head(
    paragraphs: list[str], title: str, is_site_name: Callable[[str], bool]
) -> tuple[list[str], list[str]]:
    """(the head lines, the text): what opens `paragraphs` without being the article's text."""
    head: list[str] = []
    rest = list(paragraphs)
    while rest and len(head) < MAX_HEAD_LINES and _is_head_line(rest[0], title, is_site_name, bool(head)):
        head.append(rest.pop(0))
    for position in range(1, min(LEAD_BYLINE_WITHIN, len(rest))):
        if not all(len(line) <= MAX_CAPTION_CHARS for line in rest[:position]):
            break
        if opens_with_byline(rest[position]):
            head += rest[:position]
            rest = rest[position:]
            break
    return head, rest
