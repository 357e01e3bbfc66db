"""Generic extraction (pages of sites with no outlet entry) against bare trafilatura, side by side.

Scores sourcevault's generic path (`extract_page` with no outlet) and bare
`trafilatura.bare_extraction(..., with_metadata=True)` on the same bytes, in the same run, on
every set of pages under tests/fixtures/generic/ (provenance in its SOURCES.md):

- trafilatura-zh: share of the `with` snippets found in the text, share of the `without`
  snippets (boilerplate) kept out of it — trafilatura's own evaluation data for Chinese;
- twnews: title, author, publication time (to the minute, in Taipei time) and body snippet
  accuracy against twnews' test assertions — CNA, LTN and UDN are configured outlets, but
  every page here goes the generic path;
- fundus-people: character 4-gram F1 of the body against Fundus' expected paragraphs;
- cited-pages: 43 pages of the kind briefings cite (sister sites and older URL schemes of
  configured outlets, Taiwanese pages 2005–2014, mainland and foreign Chinese sites), each
  reviewed: the article recognised, its headline, its authors (people only), its publication
  time (the minute and the offset, or a bare date), and the first and last words of its text.
  `--unlicensed-pages DIR` adds the 10 reviewed pages of a repository without a licence, which
  this repository does not hold (DIR: a copy laid out as `unlicensed_page` says), as a set apart;
- gne: agreement with GeneralNewsExtractor's own 2019 output, which is NOT gold (nobody
  checked it): printed apart, as a sanity check on 56 more mainland pages.

sourcevault's text is its body plus the credit lines it lifted out of it (kept verbatim in
`bylines`), since both are kept in the archive. Prints one table and the ratios.

    python bench/generic.py [--pages] [--unlicensed-pages DIR]
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from pathlib import Path
from zoneinfo import ZoneInfo

import trafilatura
from trafilatura.settings import Document as TrafilaturaDocument

from crawler.pages import extract_page

GENERIC = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "generic"
TAIPEI = ZoneInfo("Asia/Taipei")
NGRAM = 4
SPACES = re.compile(r"\s+")


@dataclass
class Extracted:
    """What one extractor made of one page, reduced to what the sets score."""

    title: str
    authors: list[str]
    published: datetime | None
    # The body and the credit lines lifted out of it.
    text: str
    # The article's text alone.
    body: str


def ours(body: bytes, url: str | None) -> Extracted:
    article = extract_page(body, url=url).article
    if article is None:
        return Extracted("", [], None, "", "")
    published = datetime.fromisoformat(article.published_at) if article.published_at else None
    text = "\n".join([*article.bylines, article.body or ""])
    return Extracted(article.title or "", article.authors, published, text, article.body or "")


def bare_trafilatura(body: bytes, url: str | None) -> Extracted:
    document = trafilatura.bare_extraction(body, url=url, with_metadata=True, include_comments=False)
    if not isinstance(document, TrafilaturaDocument):
        return Extracted("", [], None, "", "")
    published = None
    if document.date:
        try:
            published = datetime.fromisoformat(document.date)
        except ValueError:
            published = None
    authors = [name.strip() for name in re.split(r"[;,]", document.author or "") if name.strip()]
    return Extracted(document.title or "", authors, published, document.text or "", document.text or "")


EXTRACTORS: dict[str, Callable[[bytes, str | None], Extracted]] = {
    "sourcevault": ours,
    "trafilatura": bare_trafilatura,
}


def compact(text: str) -> str:
    return SPACES.sub("", text)


def ngram_f1(candidate: str, reference: str) -> float:
    """Character n-gram F1 (whitespace ignored), the usual body score for Chinese text."""
    a, b = compact(candidate), compact(reference)
    grams_a = Counter(a[i : i + NGRAM] for i in range(len(a) - NGRAM + 1))
    grams_b = Counter(b[i : i + NGRAM] for i in range(len(b) - NGRAM + 1))
    overlap = sum((grams_a & grams_b).values())
    if not overlap:
        return 0.0
    precision, recall = overlap / sum(grams_a.values()), overlap / sum(grams_b.values())
    return 2 * precision * recall / (precision + recall)


def page(path: Path) -> bytes:
    return gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()


def stamp(moment: datetime | None) -> str | None:
    """A time as its wall clock to the minute and its offset (2013-06-29T16:17+08:00); a naive
    time (a bare date) as the day only."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        return moment.strftime("%Y-%m-%d")
    return moment.strftime("%Y-%m-%dT%H:%M") + moment.isoformat()[-6:]


def minute(moment: datetime | None, zone: ZoneInfo) -> str | None:
    """The time as a wall clock in `zone`, to the minute; a naive time (a bare date) is only a day."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        return moment.strftime("%Y-%m-%d")
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M")


# --- the sets ----------------------------------------------------------------------------------


def score_trafilatura_zh(extract: Callable[[bytes, str | None], Extracted], show: bool) -> dict[str, float]:
    folder = GENERIC / "trafilatura-zh"
    cases = json.loads((folder / "evaldata-zh.json").read_text(encoding="utf-8"))
    found = kept_out = with_total = without_total = 0
    for url, case in cases.items():
        text = compact(extract(page(folder / f"{case['file']}.gz"), url).text)
        hits = [compact(snippet) in text for snippet in case["with"]]
        clean = [compact(snippet) not in text for snippet in case["without"]]
        found, with_total = found + sum(hits), with_total + len(hits)
        kept_out, without_total = kept_out + sum(clean), without_total + len(clean)
        if show:
            print(
                f"    {case['file'][:48]:<50} with {sum(hits)}/{len(hits)} without {sum(clean)}/{len(clean)}"
            )
    return {"with snippets found": found / with_total, "boilerplate kept out": kept_out / without_total}


def score_twnews(extract: Callable[[bytes, str | None], Extracted], show: bool) -> dict[str, float]:
    folder = GENERIC / "twnews"
    cases = json.loads((folder / "expected.json").read_text(encoding="utf-8"))["cases"]
    totals: Counter[str] = Counter()
    for case in cases:
        name = Path(case["fixture"]).stem
        # The pages were saved without their URL: the generic path reads the page's own links.
        result = extract(page(folder / f"{name}.html.gz"), None)
        want_date = datetime.fromisoformat(case["date"]).strftime("%Y-%m-%d %H:%M")
        checks = {
            "title": compact(case["title_contains"]) in compact(result.title),
            "author": (
                not result.authors
                if case["author"] is None
                else any(case["author"] in a for a in result.authors)
            ),
            "date (day)": (minute(result.published, TAIPEI) or "")[:10] == want_date[:10],
            "time (minute, zone)": minute(result.published, TAIPEI) == want_date,
            "snippets": all(compact(s) in compact(result.text) for s in case["content_includes"]),
        }
        totals.update({field: int(ok) for field, ok in checks.items()})
        if show:
            marks = " ".join(f"{field.split()[0]}={'ok' if ok else 'NO'}" for field, ok in checks.items())
            got = f"{result.title[:16]!r} {result.authors} {minute(result.published, TAIPEI)}"
            print(f"    {name:<12}{marks}  {got}")
    return {field: count / len(cases) for field, count in totals.items()}


def score_cited(
    extract: Callable[[bytes, str | None], Extracted], show: bool, pages: Path | None = None
) -> dict[str, float]:
    """The reviewed pages of cited-pages/ (or, given `pages`, those kept out of this repository)."""
    folder = GENERIC / "cited-pages"
    cases = json.loads((folder / "expected.json").read_text(encoding="utf-8"))["cases"]
    cases = [case for case in cases if bool(pages) == ("unlicensed_page" in case)]
    totals: Counter[str] = Counter()
    scored: Counter[str] = Counter()
    for case in cases:
        path = pages / case["unlicensed_page"] if pages else folder / case["page"]
        result = extract(page(path), case["url"])
        text = compact(result.body)
        checks = {
            "article": bool(text),
            "title": compact(result.title) == compact(case["title"]),
            "authors": None if case["authors"] is None else sorted(result.authors) == sorted(case["authors"]),
            "time (minute, offset)": stamp(result.published) == case["published"],
            "body start": text.startswith(compact(case["body_start"])),
            "body end": text.endswith(compact(case["body_end"])),
        }
        for field, ok in checks.items():
            if ok is not None:
                scored[field] += 1
                totals[field] += int(ok)
        if show:
            marks = " ".join(
                f"{f.split(' (')[0].replace(' ', '-')}={'ok' if ok else 'NO'}"
                for f, ok in checks.items()
                if ok is not None
            )
            got = f"{result.title[:14]!r} {result.authors} {stamp(result.published)}"
            print(f"    {Path(case.get('page') or case['unlicensed_page']).name[:36]:<38}{marks}  {got}")
    return {**{field: totals[field] / scored[field] for field in scored}, "pages": len(cases)}


def score_fundus_people(extract: Callable[[bytes, str | None], Extracted], show: bool) -> dict[str, float]:
    folder = GENERIC / "fundus-people"
    meta = json.loads((folder / "meta.info").read_text(encoding="utf-8"))
    expected = json.loads((folder / "People.json").read_text(encoding="utf-8"))["V1"]
    reference = "\n".join(
        paragraph for section in expected["body"]["sections"] for paragraph in section["paragraphs"]
    )
    scores = []
    for file, info in meta.items():
        result = extract(page(folder / file), info["url"])
        scores.append(ngram_f1(result.text, reference))
        if show:
            print(f"    {file:<50} body F1 {scores[-1]:.3f}  authors {result.authors}")
    return {"body 4-gram F1": sum(scores) / len(scores)}


def gne_reference() -> dict[str, dict[str, str]]:
    """GNE's 2019 output per page file name (its blocks are headed by the test file path)."""
    text = (GENERIC / "gne" / "gne-2019-output.txt").read_text(encoding="utf-8")
    results = {}
    for match in re.finditer(r">{5,}(?P<path>[^>\n]+)>{5,}\n(?P<json>.*?)\n<{5,}", text, re.S):
        parts = Path(match["path"]).parts
        name = f"{parts[-2]}_{Path(parts[-1]).stem}.html"
        try:
            results[name] = json.loads(match["json"])
        except json.JSONDecodeError:
            continue
    return results


def score_gne(extract: Callable[[bytes, str | None], Extracted], show: bool) -> dict[str, float]:
    reference = gne_reference()
    shanghai = ZoneInfo("Asia/Shanghai")
    totals: Counter[str] = Counter()
    f1s = []
    names = sorted(name for name in reference if (GENERIC / "gne" / f"{name}.gz").exists())
    for name in names:
        gne = reference[name]
        result = extract(page(GENERIC / "gne" / f"{name}.gz"), None)
        gne_minute = (gne.get("publish_time") or "")[:16]
        got_minute = minute(result.published, shanghai) or ""
        totals["title same"] += compact(gne.get("title", "")) == compact(result.title)
        totals["time same (minute)"] += bool(gne_minute) and got_minute == gne_minute
        f1s.append(ngram_f1(result.text, gne.get("content", "")))
        if show:
            print(f"    {name:<26} F1 {f1s[-1]:.2f} gne {gne_minute!r:<20} got {got_minute!r}")
    return {
        **{field: count / len(names) for field, count in totals.items()},
        "body 4-gram F1 vs GNE": sum(f1s) / len(f1s),
        "pages": len(names),
    }


SETS = {
    "trafilatura-zh": score_trafilatura_zh,
    "twnews": score_twnews,
    "cited-pages": score_cited,
    "fundus-people": score_fundus_people,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", action="store_true", help="Print the score of every page too.")
    parser.add_argument(
        "--unlicensed-pages",
        type=Path,
        metavar="DIR",
        help="Score also the reviewed pages of cited-pages/expected.json kept out of this repository.",
    )
    arguments = parser.parse_args()

    sets = list(SETS.items())
    if arguments.unlicensed_pages:
        sets.append(("cited-unlicensed", partial(score_cited, pages=arguments.unlicensed_pages)))
    print(f"{'set':<18}{'measure':<24}{'sourcevault':>12}{'trafilatura':>12}{'ratio':>8}")
    for set_name, score in [*sets, ("gne (NOT gold)", score_gne)]:
        results = {}
        for extractor_name, extract in EXTRACTORS.items():
            if arguments.pages:
                print(f"  {set_name} / {extractor_name}")
            results[extractor_name] = score(extract, arguments.pages)
        for measure, mine in results["sourcevault"].items():
            reference = results["trafilatura"][measure]
            if measure == "pages":
                print(f"{set_name:<18}{measure:<24}{mine:>12}")
                continue
            ratio = f"{mine / reference:>8.2f}" if reference else f"{'-':>8}"
            print(f"{set_name:<18}{measure:<24}{mine:>12.3f}{reference:>12.3f}{ratio}")


if __name__ == "__main__":
    main()
