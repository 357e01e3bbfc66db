"""Briefings: the China-watch digests whose cited sources the archive keeps.

`parse_briefing` reads a briefing file (text, Markdown, HTML or PDF) into its items and
citations, with no network and no archive; the commands of `sourcevault briefing` build on it.
"""

from crawler.briefings.documents import BriefingError, Format
from crawler.briefings.links import LinkKinds
from crawler.briefings.parsing import (
    Citation,
    CitationKind,
    Item,
    ParsedBriefing,
    ParseWarning,
    parse_briefing,
)

__all__ = [
    "BriefingError",
    "Citation",
    "CitationKind",
    "Format",
    "Item",
    "LinkKinds",
    "ParseWarning",
    "ParsedBriefing",
    "parse_briefing",
]
