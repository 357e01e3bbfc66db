"""Cost of `briefing parse` per 1,000 citations, beside reading the same file's text alone.

The synthetic weekly briefing of tests/fixtures/briefings, repeated to over 1,000 citations, in
each format (the PDF set in type by fpdf2 as the tests do). For each, the parse (format told
from content, text read, citations and their outlets found; registry and links file loaded
once, outside the timing) runs against a reference that only reads the file's text with the
same library and finds its URLs with one regular expression: decoding for text and Markdown,
lxml's text_content() for HTML, pypdf's extract_text() for PDF. The two run in turn, round after
round, so a machine that slows down slows both; figures are medians, per 1,000 citations.

    python -m bench.briefing_parse [--rounds 7]
"""

from __future__ import annotations

import argparse
import io
import re
import statistics
import time
from collections.abc import Callable

import lxml.html
import pypdf
from markdown_it import MarkdownIt

from crawler.briefings import LinkKinds, parse_briefing
from crawler.registry import load_registry
from tests.briefing_files import BRIEFINGS, WEEKLY_CITATIONS, pdf_of_text

COPIES = 1000 // len(WEEKLY_CITATIONS) + 1
URL = re.compile(r"https?://\S+")


def _repeated(name: str) -> str:
    """The weekly briefing's items COPIES times, in the format of fixture NAME."""
    text = (BRIEFINGS / name).read_text(encoding="utf-8")
    if name.endswith(".html"):
        head, _, rest = text.partition("<h2>")
        items, _, tail = rest.rpartition("</article>")
        return head + "".join("<h2>" + items for _ in range(COPIES)) + "</article>" + tail
    marker = "\n## " if name.endswith(".md") else "\nTaiwan Reports"
    head, _, items = text.partition(marker)
    return head + "".join(marker + items.rstrip("\n") + "\n" for _ in range(COPIES))


def briefings() -> dict[str, bytes]:
    text = _repeated("weekly.txt")
    headlines = {citation["item"] for citation in WEEKLY_CITATIONS} | {text.splitlines()[0]}
    return {
        "text": text.encode(),
        "markdown": _repeated("weekly.md").encode(),
        "html": _repeated("weekly.html").encode(),
        "pdf": pdf_of_text(text, headlines),
    }


def _read_text(format_name: str, data: bytes) -> str:
    if format_name == "html":
        return lxml.html.document_fromstring(data).text_content()
    if format_name == "pdf":
        return "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(data)).pages)
    if format_name == "markdown":
        MarkdownIt("commonmark").parse(data.decode())
    return data.decode()


def _read_and_scan(format_name: str, data: bytes) -> list[str]:
    return URL.findall(_read_text(format_name, data))


def _seconds(work: Callable[..., object], *arguments: object, **options: object) -> float:
    start = time.perf_counter()
    work(*arguments, **options)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    rounds = parser.parse_args().rounds
    registry, kinds = load_registry(), LinkKinds()
    files = briefings()
    print(f"briefing parse, {rounds} rounds, medians in ms per 1,000 citations")
    print(f"{'format':<10}{'citations':>10}{'bytes':>11}{'parse':>10}{'read+scan':>11}{'ratio':>8}")
    for format_name, data in files.items():
        name = f"briefing.{'txt' if format_name == 'text' else format_name}"
        parsed = parse_briefing(data, name, registry=registry, link_kinds=kinds)
        count = len(parsed.citations)
        assert count == COPIES * len(WEEKLY_CITATIONS), (format_name, count)
        mine, reference = [], []
        for _ in range(rounds):
            mine.append(_seconds(parse_briefing, data, name, registry=registry, link_kinds=kinds))
            reference.append(_seconds(_read_and_scan, format_name, data))
        per_thousand = 1000 * 1000 / count
        parse_ms = statistics.median(mine) * per_thousand
        reference_ms = statistics.median(reference) * per_thousand
        print(
            f"{format_name:<10}{count:>10}{len(data):>11,}{parse_ms:>10.1f}{reference_ms:>11.1f}"
            f"{parse_ms / reference_ms:>8.2f}"
        )


if __name__ == "__main__":
    main()
