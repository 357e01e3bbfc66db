"""Bytes to text for HTML pages whose declared charset is missing or wrong.

Order, as a browser would: byte-order mark, HTTP header, <meta> declaration (w3lib maps
GB2312/GBK to GB18030 and Big5 to Big5-HKSCS). A declaration is not believed when it does not
decode cleanly, nor when it decodes into a misreading: the page's markup (ASCII) gone, as
UTF-16 makes of UTF-8 bytes, or ideographs almost none of which are common ones, as GB18030
makes of UTF-8 (鏂伴椈 for 新闻). The text between the tags is then sniffed with
charset-normalizer, restricted to the encodings Chinese-language pages actually use, so a Big5
page labelled UTF-8, a UTF-8 page labelled UTF-16, or a GBK page with no label at all, still
reads; the declaration overruled is kept (`DecodedText.rejected_declaration`; a capture's
`text_encoding` then reads `utf-8 (declared utf-16 overruled)`).
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

import charset_normalizer
from w3lib.encoding import (
    html_body_declared_encoding,
    http_content_type_encoding,
    read_bom,
    resolve_encoding,
)

# Encodings worth guessing between for pages of this archive; a wider set makes
# charset-normalizer pick exotic single-byte codecs for short CJK samples.
CANDIDATE_ENCODINGS = ["utf_8", "gb18030", "big5hkscs", "cp950", "shift_jis", "euc_kr", "cp1252"]
SNIFF_BYTES = 200_000
# Scripts, styles and tags are ASCII: left in, they drown the few thousand bytes of text that
# tell GB18030 from Big5 (charset-normalizer then prefers cp1252 for a GBK page).
IDEOGRAPH = re.compile("[\u4e00-\u9fff]")
MARKUP = re.compile(rb"<script\b.*?</script\s*>|<style\b.*?</style\s*>|<!--.*?-->|<[^>]*>", re.S | re.I)
# When charset-normalizer names none: the encodings Chinese pages use, told apart by how many
# of the decoded characters are among the most frequent ones (a wrong double-byte reading
# decodes cleanly too, into rare characters).
CHINESE_ENCODINGS = ("utf-8", "gb18030", "big5hkscs")
FREQUENT_CHARACTERS = frozenset(
    "的一是不了在人有我他这這个個们們中来來上大为為和国國地到以说說时時要就出会會可也你对對生能而子那得于於着著"
    "下自之年过過发發后後作里裡用道行所然家种種事成方多经經么麼去法学學如都同现現当當没沒动動面起看定天分还還进進"
    "好小部其些主样樣理心她本前开開但因只从從想实實日军軍者意无無力它与與长長把机機十民第公此已工使情明性知全三又关關"
    "点點正业業外将將两兩高间間由问問很最重并並物手应應战戰向头頭文体體政美相见見被利什二等产產或新己制身果加西斯月话話"
)
FREQUENT_SHARE_SAMPLE = 20_000
# Below this share of FREQUENT_CHARACTERS among its ideographs a text is a misreading: the real
# pages of tests/fixtures measure 0.21 to 0.62, their UTF-8 bytes read as GB18030, Big5 or
# UTF-16 at most 0.05. Judged on texts of MIN_IDEOGRAPHS_JUDGED ideographs or more.
MISREAD_FREQUENT_SHARE = 0.1
MIN_IDEOGRAPHS_JUDGED = 50
_UTF8_REPLACEMENT = "\ufffd".encode()


@dataclass(frozen=True)
class DecodedText:
    text: str
    encoding: str
    # bom | header | meta | detected | default: where the encoding came from
    encoding_source: str
    # Declared encoding that failed to decode the bytes, if any.
    rejected_declaration: str | None = None


def _normalise(name: str) -> str | None:
    resolved = resolve_encoding(name)
    return codecs.lookup(resolved).name if resolved else None


def _replacement_count(body: bytes, encoding: str) -> int:
    """How many undecodable sequences `encoding` meets in `body` (a huge number if unknown)."""
    try:
        errors = body.decode(encoding, "replace").count("\ufffd")
    except LookupError:
        return len(body) + 1
    # U+FFFD written in the page itself is text, not an error.
    return errors - body.count(_UTF8_REPLACEMENT) if encoding == "utf-8" else errors


def _tolerable(errors: int, body: bytes) -> bool:
    # A truncated response cuts its last multibyte character: a handful of errors is damage, not a
    # wrong label.
    return errors <= max(3, len(body) // 2000)


def _frequent_share(ideographs: list[str]) -> float:
    return sum(map(FREQUENT_CHARACTERS.__contains__, ideographs)) / max(1, len(ideographs))


def _misread(text: str, body: bytes) -> bool:
    """Whether a text decoded with few errors still misreads its bytes: the markup (ASCII, so
    read alike by every encoding a page uses) mostly gone, or ideographs nearly all rare ones."""
    if body.count(b"<") > 2 * text.count("<") + 2:
        return True
    ideographs = IDEOGRAPH.findall(text, 0, FREQUENT_SHARE_SAMPLE)
    return len(ideographs) >= MIN_IDEOGRAPHS_JUDGED and _frequent_share(ideographs) < MISREAD_FREQUENT_SHARE


def _most_chinese(text: bytes) -> str | None:
    readable = [
        encoding for encoding in CHINESE_ENCODINGS if _tolerable(_replacement_count(text, encoding), text)
    ]
    if not readable:
        return None
    return max(
        readable,
        key=lambda encoding: _frequent_share(
            IDEOGRAPH.findall(text[:FREQUENT_SHARE_SAMPLE].decode(encoding, "replace"))
        ),
    )


def _sniff(body: bytes) -> str | None:
    text = MARKUP.sub(b" ", body[: SNIFF_BYTES * 4])[:SNIFF_BYTES]
    match = charset_normalizer.from_bytes(
        text, cp_isolation=CANDIDATE_ENCODINGS, preemptive_behaviour=False
    ).best()
    return _normalise(match.encoding) if match else _most_chinese(text)


def decode_html(body: bytes, content_type: str | None = None) -> DecodedText:
    """Decode an HTML body; never raises, undecodable bytes become U+FFFD."""
    bom_encoding, bom = read_bom(body)
    if bom_encoding and bom:
        return DecodedText(body[len(bom) :].decode(bom_encoding, "replace"), bom_encoding, "bom")

    declared, source = http_content_type_encoding(content_type), "header"
    if declared is None:
        declared, source = html_body_declared_encoding(body), "meta"
    declared = _normalise(declared) if declared else None
    if declared is None:
        declared, source = "utf-8", "default"

    declared_errors = _replacement_count(body, declared)
    misread = False
    if _tolerable(declared_errors, body):
        text = body.decode(declared, "replace")
        # Bytes that are valid UTF-8 are UTF-8: only a declaration can misread them.
        misread = source != "default" and _misread(text, body)
        if not misread:
            return DecodedText(text, declared, source)

    sniffed = _sniff(body)
    if sniffed and sniffed != declared:
        sniffed_errors = _replacement_count(body, sniffed)
        if (
            not _misread(body.decode(sniffed, "replace"), body) and _tolerable(sniffed_errors, body)
            if misread
            else sniffed_errors < declared_errors
        ):
            rejected = declared if source != "default" else None
            return DecodedText(body.decode(sniffed, "replace"), sniffed, "detected", rejected)
    return DecodedText(body.decode(declared, "replace"), declared, source)
