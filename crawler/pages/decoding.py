"""Bytes to text for HTML pages whose declared charset is missing or wrong.

Order, as a browser would: byte-order mark, HTTP header, <meta> declaration (w3lib maps
GB2312/GBK to GB18030 and Big5 to Big5-HKSCS). A declaration that does not decode cleanly
is not believed: the bytes are then sniffed with charset-normalizer, restricted to the
encodings Chinese-language pages actually use, so a Big5 page labelled UTF-8 still reads.
"""

from __future__ import annotations

import codecs
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


def _sniff(body: bytes) -> str | None:
    match = charset_normalizer.from_bytes(
        body[:SNIFF_BYTES], cp_isolation=CANDIDATE_ENCODINGS, preemptive_behaviour=False
    ).best()
    return _normalise(match.encoding) if match else None


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
    if _tolerable(declared_errors, body):
        return DecodedText(body.decode(declared, "replace"), declared, source)

    sniffed = _sniff(body)
    if sniffed and _replacement_count(body, sniffed) < declared_errors:
        rejected = declared if source != "default" else None
        return DecodedText(body.decode(sniffed, "replace"), sniffed, "detected", rejected)
    return DecodedText(body.decode(declared, "replace"), declared, source)
