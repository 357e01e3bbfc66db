"""Snippets: a stretch of an article's own text, in its original script, with the query's matches marked."""

from __future__ import annotations

import re
from dataclasses import dataclass

SNIPPET_CHARS_BEFORE = 30
SNIPPET_CHARS = 120
WHITESPACE = re.compile(r"\s+")
ELLIPSIS = "…"


@dataclass(frozen=True)
class Snippet:
    """A stretch of an article's own text (its original script) with the matches marked."""

    parts: tuple[tuple[str, bool], ...]

    def marked(self, start: str = "«", end: str = "»") -> str:
        return "".join(f"{start}{text}{end}" if match else text for text, match in self.parts)


def make_snippet(original: str, simplified: str | None, highlighter: re.Pattern[str]) -> Snippet:
    """The stretch of `original` around its first match, every match in it marked.

    Matching runs on the Simplified copy (the text the index holds); OpenCC's tw2s maps every
    character and phrase to one of the same length, so positions carry over and a Traditional
    article shows its own Traditional text. Were a copy ever of another length, the snippet
    would come from the copy instead.
    """
    shown = original if simplified is None or len(simplified) == len(original) else simplified
    searched = simplified if simplified is not None else original
    spans = [match.span() for match in highlighter.finditer(searched) if match.end() > match.start()]
    start = max(spans[0][0] - SNIPPET_CHARS_BEFORE, 0) if spans else 0
    end = min(start + SNIPPET_CHARS, len(shown))
    parts: list[tuple[str, bool]] = [(ELLIPSIS, False)] if start > 0 else []
    position = start
    for span_start, span_end in spans:
        if span_end <= position or span_start >= end:
            continue
        if span_start > position:
            parts.append((shown[position:span_start], False))
        parts.append((shown[max(span_start, position) : min(span_end, end)], True))
        position = min(span_end, end)
    if position < end:
        parts.append((shown[position:end], False))
    if end < len(shown):
        parts.append((ELLIPSIS, False))
    return Snippet(tuple((WHITESPACE.sub(" ", text), match) for text, match in parts))
