"""A briefing file to lines of text: its format told from its content (and its name), then read.

Each format has one reader, a plain function from the file's bytes to a `ReadDocument`: the
plain text read and its lines, each with its number and what the format says of it (a heading,
the first or last line of a block). Text and Markdown lines are the file's lines; HTML lines
carry the line of the file their text starts on; a PDF's lines are those of the text read from it.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass
from pathlib import PurePath
from typing import Literal

from crawler.exit_status import BadInput

Format = Literal["text", "markdown", "html", "pdf"]
# A briefing is a few pages; a file far larger is something else (and bounds the work a file sets).
MAX_BRIEFING_BYTES = 20_000_000
_HTML_START = re.compile(
    rb"\s*(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html|head|body|meta|title)\b", re.I | re.S
)
_HTML_TAG = re.compile(r"<(?:h[1-6]|p|div|a\s[^>]*href|ul|ol|li|br)\b", re.I)
_MARKDOWN_SIGNS = re.compile(r"^#{1,6}\s+\S|\[[^\]\n]+\]\(https?://|^\s*[-*]\s+\[", re.M)
_NOT_TEXT = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")
_MAGIC: dict[bytes, str] = {
    b"\x89PNG\r\n\x1a\n": "a PNG image",
    b"\xff\xd8\xff": "a JPEG image",
    b"GIF8": "a GIF image",
    b"PK\x03\x04": "a ZIP archive (a .docx? save the briefing as PDF, HTML or text)",
    b"\xd0\xcf\x11\xe0": "an old Office document (save the briefing as PDF, HTML or text)",
    b"\x1f\x8b": "a gzip file",
}
_BOMS = ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
_ENCODINGS_TO_SNIFF = ["utf_8", "gb18030", "big5hkscs", "cp950", "utf_16", "shift_jis", "euc_kr", "cp1252"]


class BriefingError(BadInput, ValueError):
    """A file that cannot be read as a briefing; the message is one line naming the file."""


@dataclass(frozen=True)
class Line:
    number: int
    text: str
    # True: the format marks it an item's headline (<h2>, ##, a larger font); False: it marks it
    # otherwise; None: a plain-text line, whose role its shape must tell.
    heading: bool | None
    # The first and last line of a block (a paragraph: lines between blank lines, a <p>, a list item).
    block_start: bool = False
    block_end: bool = False


@dataclass(frozen=True)
class ReadDocument:
    format: Format
    text: str
    lines: list[Line]
    # What reading found amiss (an image-only PDF), for the parse warnings.
    problems: list[str]


def detect_format(data: bytes, name: str) -> Format:
    """The format of a briefing file: PDF and HTML by their content, text or Markdown by the name
    (.md) or, failing that, by Markdown's marks (`## headline`, `[text](https://…)`)."""
    suffix = PurePath(name).suffix.lower()
    head = data[:1024].removeprefix(codecs.BOM_UTF8)
    if head.lstrip().startswith(b"%PDF-"):
        return "pdf"
    if suffix == ".pdf":
        raise BriefingError(f"{name}: not a PDF (it does not start with %PDF-)")
    if _HTML_START.match(head):
        return "html"
    sample = data[:65536].decode("utf-8", "replace")
    if suffix in (".html", ".htm", ".xhtml") and _HTML_TAG.search(sample):
        return "html"
    if suffix in (".md", ".markdown", ".mdown") or _MARKDOWN_SIGNS.search(sample):
        return "markdown"
    return "text"


def _refuse_binary(data: bytes, name: str) -> None:
    for magic, what in _MAGIC.items():
        if data.startswith(magic):
            raise BriefingError(f"{name}: {what}, not a briefing")


def decode_text(data: bytes, name: str, declared: str | None = None) -> str:
    """The text of a text, Markdown or HTML briefing: by its byte-order mark, the encoding it
    declares, UTF-8, else the encoding charset-normalizer finds; BriefingError for binary data."""
    _refuse_binary(data, name)
    for bom, encoding in (
        (codecs.BOM_UTF8, "utf-8"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
    ):
        if data.startswith(bom):
            return data.decode(encoding, "replace").removeprefix("\ufeff")
    for encoding in (declared, "utf-8"):
        if encoding is None:
            continue
        try:
            text = data.decode(encoding)
        except (UnicodeDecodeError, LookupError):
            continue
        break
    else:
        import charset_normalizer

        match = charset_normalizer.from_bytes(data, cp_isolation=_ENCODINGS_TO_SNIFF).best()
        if match is None:
            raise BriefingError(f"{name}: binary data, not a briefing (no text encoding reads it)")
        text = str(match)
    if len(_NOT_TEXT.findall(text[:65536])) > max(8, len(text[:65536]) // 100):
        raise BriefingError(f"{name}: binary data, not a briefing (control characters throughout)")
    return text


def read_text(data: bytes, name: str) -> ReadDocument:
    """A plain-text briefing: every non-blank line, blocks between blank lines."""
    text = decode_text(data, name)
    raw = text.splitlines()
    lines = []
    for index, content in enumerate(raw):
        if not content.strip():
            continue
        before = raw[index - 1] if index else ""
        after = raw[index + 1] if index + 1 < len(raw) else ""
        lines.append(
            Line(
                index + 1, content.strip(), None, block_start=not before.strip(), block_end=not after.strip()
            )
        )
    return ReadDocument("text", text, lines, [])


def read_document(data: bytes, name: str) -> ReadDocument:
    """Read a briefing file in whichever format it is; BriefingError if it is none of them."""
    if len(data) > MAX_BRIEFING_BYTES:
        raise BriefingError(
            f"{name}: {len(data):,} bytes, over the {MAX_BRIEFING_BYTES:,} a briefing may have"
        )
    briefing_format = detect_format(data, name)
    if briefing_format == "pdf":
        from crawler.briefings.pdf_text import read_pdf

        return read_pdf(data, name)
    if briefing_format == "html":
        from crawler.briefings.markup import read_html

        return read_html(data, name)
    if briefing_format == "markdown":
        from crawler.briefings.markup import read_markdown

        return read_markdown(data, name)
    return read_text(data, name)
