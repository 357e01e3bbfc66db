"""A briefing's citations, in order: which item each belongs to, the source it names, the date
it claims, the URL it gives, and what that URL is.

A citation is a line of a source block: the block opens with `Source:` / `Sources:` (the
citation may sit on that line) or `Related postings on <site>:`, and holds numbered or plain
lines `Label, date` with their URLs on the same line or alone on the next. A block ends at an
item's headline or at a line of prose. What cannot be read is said in a warning naming its
line, and the citation keeps what could be read, with null for the rest.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal
from urllib.parse import urlsplit

from crawler.briefings.citation_text import ClaimedDate, find_date, find_urls, fragment_after, label_and_date
from crawler.briefings.documents import Format, Line, read_document
from crawler.briefings.links import LinkKinds
from crawler.registry import Registry, load_registry

CitationKind = Literal["page", "short_link", "social_post", "missing_url"]

SOURCE_HEADING = re.compile(
    r"^[*_\s]*(?:Sources?|References?|來源|来源|資料來源|资料来源|消息來源|消息来源|出處|出处)[*_\s]*"
    r"(?:[:：][*_\s]*(?P<rest>.*))?$",
    re.IGNORECASE,
)
RELATED_POSTINGS = re.compile(
    r"^[*_\s]*Related (?:postings?|posts?|reports?|coverage) (?:on|from|in) "
    r"(?P<site>[^:：]+?)[*_\s]*[:：]\s*(?P<rest>.*)$",
    re.IGNORECASE,
)
NUMBERED = re.compile(r"^\s*(?:\(?\d{1,3}[.)]|[-*•·●▪◦])\s+")
# Beside a URL alone on its line: list marks, brackets and punctuation, no words.
_NO_WORDS = " \t-–—•*·●,;:.。，；：()（）[]【】<>"
_SENTENCE_END = ".。!?！？"
MAX_LABEL_CHARS = 100


@dataclass(frozen=True)
class Item:
    """One item of the briefing: its headline and the line it is on."""

    headline: str
    line: int


@dataclass(frozen=True)
class Citation:
    position: int
    item: str | None
    label: str | None
    claimed_date: date | None
    url: str | None
    kind: CitationKind
    platform: str | None
    outlet: str | None
    line: int
    post_id: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "position": self.position,
            "item": self.item,
            "label": self.label,
            "claimed_date": self.claimed_date.isoformat() if self.claimed_date else None,
            "url": self.url,
            "kind": self.kind,
            "platform": self.platform,
            "outlet": self.outlet,
            "post_id": self.post_id,
            "line": self.line,
        }


@dataclass(frozen=True)
class ParseWarning:
    """Something the parser could not read as written; `line` is None for the whole file."""

    line: int | None
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}" if self.line is not None else self.message


@dataclass(frozen=True)
class ParsedBriefing:
    format: Format
    text: str
    items: tuple[Item, ...]
    citations: tuple[Citation, ...]
    warnings: tuple[ParseWarning, ...]


@dataclass
class _Draft:
    """A citation as read, before its URL says what it is."""

    item: str | None
    label: str | None
    claimed: date | None
    url: str | None
    line: int


@dataclass
class _SourceBlock:
    # The label of citations that give only a URL (`Related postings on Weibo:` → "Weibo").
    label: str | None
    # The citations of the block's last line of words, for the URLs on the lines after it.
    last_line: list[_Draft] = field(default_factory=list)


def _without_urls(text: str) -> str:
    """The words of a line: its URLs taken out, with what a space cut off their ends."""
    for found in reversed(find_urls(text)):
        fragment = fragment_after(text, found)
        end = text.index(fragment, found.end) + len(fragment) if fragment else found.end
        text = text[: found.start] + " " + text[end:]
    return text


def _only_urls(text: str) -> bool:
    """Whether the line holds URLs and no words (list marks and brackets aside)."""
    return "://" in text and bool(find_urls(text)) and not _without_urls(text).strip(_NO_WORDS)


def _headline_like(text: str) -> bool:
    return (
        len(text) <= 200
        and text[-1] not in _SENTENCE_END + ":：;；,，"
        and not find_urls(text)
        and not NUMBERED.match(text)
        and not SOURCE_HEADING.match(text)
        and not RELATED_POSTINGS.match(text)
    )


class _Reader:
    """Walks a briefing's lines once, keeping the item and the source block it is in."""

    def __init__(self) -> None:
        self.items: list[Item] = []
        self.drafts: list[_Draft] = []
        self.warnings: list[ParseWarning] = []
        self.block: _SourceBlock | None = None
        self._after_headline = False

    def read(self, lines: list[Line]) -> None:
        for line in lines:
            headline = self._is_headline(line)
            if headline:
                self._headline(line)
            else:
                self._line(line)
            self._after_headline = headline

    @property
    def item(self) -> str | None:
        return self.items[-1].headline if self.items else None

    def _is_headline(self, line: Line) -> bool:
        if line.heading is False:
            return False
        if line.heading is None:
            in_block_with_date = self.block is not None and find_date(line.text) is not None
            return (
                line.block_start and line.block_end and _headline_like(line.text) and not in_block_with_date
            )
        return not SOURCE_HEADING.match(line.text) and not find_urls(line.text)

    def _headline(self, line: Line) -> None:
        self.block = None
        if self._after_headline and not line.block_start:
            # A headline set on two lines (a PDF wraps long ones).
            last = self.items.pop()
            self.items.append(Item(f"{last.headline} {line.text}", last.line))
        else:
            self.items.append(Item(line.text, line.number))

    def _line(self, line: Line) -> None:
        text = line.text
        if source := SOURCE_HEADING.match(text):
            self.block = _SourceBlock(None)
            if (source["rest"] or "").strip():
                self._citations(source["rest"], line)
        elif related := RELATED_POSTINGS.match(text):
            self.block = _SourceBlock(related["site"].strip())
            for found in find_urls(related["rest"]):
                self._url_alone(found.url, line)
        elif self.block is None:
            if _only_urls(text):
                self.warn(
                    line, "a URL alone on its line outside any source block (no 'Source:' line before it)"
                )
        elif _only_urls(text) and not NUMBERED.match(text):
            for found in find_urls(text):
                self._url_alone(found.url, line)
            self._warn_cut_urls(text, line)
        elif self._is_citation_line(line):
            self._citations(text, line)
        else:
            self.block = None

    def _is_citation_line(self, line: Line) -> bool:
        assert self.block is not None
        text = line.text
        if NUMBERED.match(text):
            return True
        label, claimed = label_and_date(_without_urls(text))
        if len(label or "") > MAX_LABEL_CHARS:
            return False
        if claimed is not None or find_urls(text):
            return True
        # A name alone: right under the block's heading or a citation, never a paragraph of its own
        # nor a line introducing what follows.
        follows_on = not line.block_start or not self.block.last_line
        return follows_on and len(text.split()) <= 12 and text[-1] not in _SENTENCE_END + ":："

    def _citations(self, text: str, line: Line) -> None:
        assert self.block is not None
        text = NUMBERED.sub("", text, count=1)
        segments = re.split(r"[;；]", text)
        if len(segments) > 1 and sum(find_date(_without_urls(part)) is not None for part in segments) < 2:
            segments = [text]
        drafts = []
        for segment in segments:
            urls = find_urls(segment)
            label, claimed = label_and_date(_without_urls(segment))
            if label is None and claimed is None:
                if not urls:
                    continue
                # A URL alone in a list item: of the block's site (`Related postings on X:`), if it names one.
                label, claimed_date = self.block.label, None
            else:
                claimed_date = self._claimed_date(claimed, label, line)
            for url in urls or [None]:
                drafts.append(_Draft(self.item, label, claimed_date, url.url if url else None, line.number))
        self._warn_cut_urls(text, line)
        self.drafts.extend(drafts)
        self.block.last_line = drafts

    def _claimed_date(self, claimed: ClaimedDate | None, label: str | None, line: Line) -> date | None:
        if claimed is None:
            self.warn(line, f"no date for {label!r}: its claimed date is null")
            return None
        if claimed.problem:
            self.warn(line, f"{claimed.problem}; its claimed date is null")
        return claimed.value

    def _url_alone(self, url: str, line: Line) -> None:
        """A URL on a line of its own: the last citation's, if it has none yet, else one more."""
        assert self.block is not None
        waiting = next((draft for draft in self.block.last_line if draft.url is None), None)
        if waiting is not None:
            waiting.url = url
            return
        model = self.block.last_line[-1] if self.block.last_line else None
        label = model.label if model else self.block.label
        claimed = model.claimed if model else None
        self.drafts.append(_Draft(self.item, label, claimed, url, line.number))

    def _warn_cut_urls(self, text: str, line: Line) -> None:
        for found in find_urls(text):
            fragment = fragment_after(text, found)
            if fragment is not None:
                self.warn(
                    line,
                    f"{fragment!r} follows the URL {found.url} after a space: a URL holds no space, "
                    "so it is read up to the space",
                )

    def warn(self, line: Line, message: str) -> None:
        self.warnings.append(ParseWarning(line.number, message))


def _citation(
    position: int, draft: _Draft, registry: Registry, kinds: LinkKinds
) -> tuple[Citation, str | None]:
    """The citation a draft makes, and a warning about it if any."""
    by_label = registry.cited_as(draft.label) if draft.label else None
    if draft.url is None:
        platform = kinds.platform_named(draft.label) if draft.label else None
        slug = by_label.slug if by_label else None
        return Citation(
            position, draft.item, draft.label, draft.claimed, None, "missing_url", platform, slug, draft.line
        ), None
    problem = None
    try:
        host = urlsplit(draft.url).hostname
        by_host = registry.for_url(draft.url) if host else None
    except ValueError:
        host, by_host = None, None
    if not host:
        problem = f"the URL {draft.url} names no valid host"
    elif by_host and by_label and by_host.slug != by_label.slug:
        problem = (
            f"the label {draft.label!r} names outlet {by_label.slug!r} but the URL is {by_host.slug!r}'s"
        )
    link = kinds.of_url(draft.url)
    outlet = by_host or by_label
    citation = Citation(
        position,
        draft.item,
        draft.label,
        draft.claimed,
        draft.url,
        link.kind,
        link.platform,
        outlet.slug if outlet else None,
        draft.line,
        link.post_id,
    )
    return citation, problem


def parse_briefing(
    data: bytes, name: str, *, registry: Registry | None = None, link_kinds: LinkKinds | None = None
) -> ParsedBriefing:
    """Read the citations of a briefing file (text, Markdown, HTML or PDF). No network.

    BriefingError when the file is not a briefing at all (binary data, a broken PDF); an empty
    file, or one with no citation, reads as none, with a warning saying so.
    """
    registry = registry or load_registry()
    link_kinds = link_kinds or LinkKinds()
    document = read_document(data, name)
    reader = _Reader()
    reader.read(document.lines)
    citations, warnings = [], [ParseWarning(None, problem) for problem in document.problems]
    for position, draft in enumerate(reader.drafts, start=1):
        citation, problem = _citation(position, draft, registry, link_kinds)
        citations.append(citation)
        if problem:
            warnings.append(ParseWarning(draft.line, problem))
    warnings.extend(reader.warnings)
    if not citations and not document.problems:
        why = (
            "an empty file" if not data.strip() else "no 'Source:' or 'Sources:' line with a source after it"
        )
        warnings.append(ParseWarning(None, f"no citations: {why}"))
    warnings.sort(key=lambda warning: warning.line or 0)
    return ParsedBriefing(
        document.format, document.text, tuple(reader.items), tuple(citations), tuple(warnings)
    )
