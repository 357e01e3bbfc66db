"""Language and script tagging measured on labelled real text, beside bare seeded langdetect.

Text (all under tests/fixtures, see tests/fixtures/langid/SOURCES.md):
- lingua-sentences: one sentence a line per language; zh.txt is all Simplified.
- opencc-testcases: the hand-written expected outputs of OpenCC's tests, labelled by the
  script they convert to (their inputs mix scripts on purpose and are left out).
- zhtw-test-corpus: Simplified inputs and their hand-made Taiwan Traditional translations.
- the outlet fixture pages: sentences of their article bodies and the headlines their links
  carry (≥ 8 Han characters), labelled by the outlet's (edition's) script; synthetic pages out.
- derived, reported apart: lingua's Simplified sentences converted by OpenCC s2tw.

Prints script accuracy on sentences holding a character of only one script, cross-language
errors, a confusion table, every fixture article's tag, the same sentences through bare
langdetect (seed 0) and the cost per 2,000-character article against bare langdetect on the
same texts, interleaved in one run.

    python bench/language.py [--rounds 5] [--skip-langdetect]
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from pathlib import Path

import opencc
from langdetect import DetectorFactory, detect
from langdetect.lang_detect_exception import LangDetectException

from crawler.chinese import script_evidence
from crawler.extraction import extract_article
from crawler.language import expected_script, tag_article, tag_text
from crawler.outlet_tools.fixtures import discover_fixtures
from crawler.pages import Article
from crawler.pages.document import HtmlDocument, element_text
from crawler.registry import Outlet, Registry, load_registry

ROOT = Path(__file__).resolve().parent.parent
LANGID = ROOT / "tests" / "fixtures" / "langid"
LINGUA_LANGUAGES = ("zh", "ja", "ko", "en", "vi", "th", "ms", "id")
# Only outputs of conversions from one script to the other are labelled: OpenCC's test inputs
# mix scripts on purpose, and same-script conversions (t2tw, hk2t, …) keep what was mixed in.
LABEL_OF_CONVERSION = {
    **dict.fromkeys(("s2t", "s2tw", "s2twp", "s2hk", "s2hkp"), "zh-Hant"),
    **dict.fromkeys(("t2s", "tw2s", "tw2sp", "hk2s", "hk2sp"), "zh-Hans"),
}
# OpenCC's test file has trailing commas, which strict JSON refuses.
TRAILING_COMMA = re.compile(r",(\s*[}\]])")
SENTENCE_END = re.compile(r"(?<=[。！？!?])|\n+")
HAN = re.compile(r"[\u3400-\u9fff]")
MIN_HEADLINE_HAN = 8
ARTICLE_CHARS = 2_000
ARTICLES_PER_LABEL = 10
# Tags no label has that get a column of their own in the confusion table (the rest: "other").
EXTRA_CONFUSION_COLUMNS = 3
ACCURACY_TARGET = 0.995
COST_TARGET_MS = 2.0


@dataclass(frozen=True)
class Sample:
    """A text and what it is written in: `label` is a BCP 47 tag (zh-Hans, zh-Hant, en, …)."""

    text: str
    label: str
    source: str

    @property
    def is_chinese(self) -> bool:
        return self.label.startswith("zh")


def _lines(path: Path) -> list[str]:
    return [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def lingua_sentences(root: Path = LANGID) -> list[Sample]:
    samples = []
    for language in LINGUA_LANGUAGES:
        label = "zh-Hans" if language == "zh" else language
        samples += [
            Sample(line, label, "lingua") for line in _lines(root / "lingua-sentences" / f"{language}.txt")
        ]
    return samples


def opencc_outputs(root: Path = LANGID) -> list[Sample]:
    text = (root / "opencc-testcases" / "testcases.json").read_text(encoding="utf-8")
    samples: dict[tuple[str, str], Sample] = {}
    for case in json.loads(TRAILING_COMMA.sub(r"\1", text))["cases"]:
        for config, output in case["expected"].items():
            label = LABEL_OF_CONVERSION.get(config)
            if label:
                samples.setdefault((output, label), Sample(output, label, "opencc"))
    return list(samples.values())


def zhtw_pairs(root: Path = LANGID) -> list[Sample]:
    samples = []
    for path in sorted((root / "zhtw-test-corpus").glob("*/samples.json")):
        for case in json.loads(path.read_text(encoding="utf-8"))["corpus"]:
            samples += [Sample(case["input"], "zh-Hans", "zhtw"), Sample(case["expected"], "zh-Hant", "zhtw")]
    return samples


def fixture_sentences(registry: Registry) -> list[Sample]:
    """Article sentences and link headlines of the real outlet fixture pages."""
    samples: dict[str, Sample] = {}
    for fixture in discover_fixtures():
        if fixture.record["page"]["kind"] == "synthetic":
            continue
        outlet = registry.get(fixture.slug)
        label = f"zh-{outlet.script}"
        extraction = extract_article(
            fixture.body(), url=fixture.url, outlet=outlet, fetched_at=fixture.captured_at
        )
        if extraction.article and extraction.article.body:
            for sentence in SENTENCE_END.split(extraction.article.body):
                if len(HAN.findall(sentence)) >= MIN_HEADLINE_HAN:
                    samples.setdefault(sentence.strip(), Sample(sentence.strip(), label, "fixture text"))
        document = HtmlDocument(fixture.body(), None, fixture.url)
        for anchor in document.tree.iter("a"):
            headline = element_text(anchor)
            if len(HAN.findall(headline)) >= MIN_HEADLINE_HAN:
                samples.setdefault(headline, Sample(headline, label, "fixture links"))
    return list(samples.values())


def labelled_sentences(registry: Registry) -> list[Sample]:
    """Every real labelled text of the measurement."""
    return lingua_sentences() + opencc_outputs() + zhtw_pairs() + fixture_sentences(registry)


def derived_traditional() -> list[Sample]:
    converter = opencc.OpenCC("s2tw")
    return [
        Sample(converter.convert(sample.text), "zh-Hant", "lingua zh via OpenCC s2tw")
        for sample in lingua_sentences()
        if sample.label == "zh-Hans"
    ]


@dataclass
class Scores:
    """What a tagger made of a set of labelled samples."""

    confusion: Counter[tuple[str, str]]
    script_right: int = 0
    script_judged: int = 0
    chinese_as_japanese_or_korean: int = 0
    other_as_chinese: int = 0

    @property
    def script_accuracy(self) -> float:
        return self.script_right / self.script_judged if self.script_judged else 1.0


def score(samples: Iterable[Sample], tagger: Callable[[str], str]) -> tuple[Scores, list[tuple[Sample, str]]]:
    """Tag every sample; return the scores and the samples tagged wrong."""
    scores = Scores(Counter())
    wrong = []
    for sample in samples:
        tag = tagger(sample.text)
        scores.confusion[sample.label, tag] += 1
        language = tag.split("-")[0]
        if sample.is_chinese:
            if language in ("ja", "ko"):
                scores.chinese_as_japanese_or_korean += 1
            if script_evidence(sample.text).total:
                scores.script_judged += 1
                scores.script_right += tag == sample.label
        elif language == "zh":
            scores.other_as_chinese += 1
        if tag != sample.label and not (sample.is_chinese and tag == "zh"):
            wrong.append((sample, tag))
    return scores, wrong


def sourcevault_tag(text: str) -> str:
    return tag_text(text).tag


def langdetect_tagger() -> Callable[[str], str]:
    """Bare langdetect as most pipelines use it: seed fixed, zh-cn/zh-tw read as the script."""
    DetectorFactory.seed = 0
    names = {"zh-cn": "zh-Hans", "zh-tw": "zh-Hant"}

    def tag(text: str) -> str:
        try:
            language = detect(text)
        except LangDetectException:
            return "und"
        return names.get(language, language)

    return tag


def print_scores(title: str, scores: Scores) -> None:
    print(
        f"{title}: script right on {scores.script_right}/{scores.script_judged} Chinese sentences with a "
        f"one-script character = {scores.script_accuracy:.2%} (target >= {ACCURACY_TARGET:.1%}); "
        f"Chinese tagged ja/ko: {scores.chinese_as_japanese_or_korean}; "
        f"other languages tagged zh: {scores.other_as_chinese}"
    )


def print_confusion(scores: Scores) -> None:
    labels = sorted({label for label, _ in scores.confusion})
    totals: Counter[str] = Counter()
    for (_, tag), count in scores.confusion.items():
        totals[tag] += count
    named = [*labels, "zh"]
    others = [tag for tag, _ in totals.most_common() if tag not in named]
    columns = [tag for tag in named if tag in totals] + others[:EXTRA_CONFUSION_COLUMNS]
    print(f"{'label/tag':<10}" + "".join(f"{column:>9}" for column in columns) + f"{'other':>9}")
    for label in labels:
        row = {tag: n for (want, tag), n in scores.confusion.items() if want == label}
        other = sum(n for tag, n in row.items() if tag not in columns)
        print(f"{label:<10}" + "".join(f"{row.get(column, 0):>9}" for column in columns) + f"{other:>9}")


def fixture_articles(registry: Registry) -> list[tuple[str, str, str, Article]]:
    """(fixture, expected tag, tag given, article) for every fixture page that is an article."""
    rows = []
    for fixture in discover_fixtures():
        outlet = registry.get(fixture.slug)
        extraction = extract_article(
            fixture.body(), url=fixture.url, outlet=outlet, fetched_at=fixture.captured_at
        )
        article = extraction.article
        if article is not None:
            script = expected_script(outlet, article.edition)
            expected = f"zh-{script}" if outlet.language == "zh" else outlet.language
            rows.append((f"{fixture.slug}/{fixture.name}", expected, article.language_tag or "", article))
    return rows


def articles_of(samples: list[Sample], label: str, count: int) -> list[str]:
    """`count` texts of exactly ARTICLE_CHARS characters made of consecutive samples with `label`."""
    texts: list[str] = []
    pool = [sample.text for sample in samples if sample.label == label]
    position = 0
    while len(texts) < count and pool:
        text = ""
        while len(text) < ARTICLE_CHARS:
            text += pool[position % len(pool)] + "\n"
            position += 1
        texts.append(text[:ARTICLE_CHARS])
    return texts


def cost(
    articles: list[Article], outlet: Outlet, rounds: int, reference: Callable[[str], str]
) -> tuple[float, float]:
    """Median ms per article of sourcevault's whole tagging stage (`tag_article`: tag, declared
    language, Simplified copies) and of `reference` on the body alone, interleaved."""
    ours: list[float] = []
    theirs: list[float] = []
    for _ in range(rounds):
        for article in articles:
            started = time.perf_counter()
            tag_article(article, outlet)
            ours.append(time.perf_counter() - started)
            started = time.perf_counter()
            reference(article.body or "")
            theirs.append(time.perf_counter() - started)
    return statistics.median(ours) * 1000, statistics.median(theirs) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--skip-langdetect", action="store_true", help="Only sourcevault's figures.")
    arguments = parser.parse_args()
    registry = load_registry()

    samples = labelled_sentences(registry)
    by_label = Counter(sample.label for sample in samples)
    by_source = Counter(f"{sample.source} {sample.label}" for sample in samples if sample.is_chinese)
    print(
        f"{len(samples)} labelled real texts: "
        + ", ".join(f"{n} {label}" for label, n in sorted(by_label.items()))
    )
    print("  Chinese by source: " + ", ".join(f"{n} {name}" for name, n in sorted(by_source.items())))
    scores, wrong = score(samples, sourcevault_tag)
    print_scores("sourcevault", scores)
    print_confusion(scores)
    print(f"wrong tags ({len(wrong)}), first 15:")
    for sample, tag in wrong[:15]:
        print(f"  {sample.source:<14}{sample.label:>8} -> {tag:<8}{sample.text[:60]}")

    derived, _ = score(derived_traditional(), sourcevault_tag)
    print_scores("sourcevault, derived Traditional (lingua zh via OpenCC s2tw)", derived)

    rows = fixture_articles(registry)
    right = sum(want == got for _, want, got, _ in rows)
    print(f"fixture articles right: {right}/{len(rows)}")
    for name, want, got, _ in rows:
        print(f"  {'ok' if want == got else 'WRONG':<6}{name:<58}{want:>9}{got:>9}")

    if arguments.skip_langdetect:
        return
    reference = langdetect_tagger()
    theirs, _ = score(samples, reference)
    print_scores("bare langdetect (seed 0)", theirs)
    print_confusion(theirs)

    print(f"cost per {ARTICLE_CHARS:,}-character article, median of {arguments.rounds} rounds, ms")
    print(f"{'article body':<34}{'sourcevault':>12}{'langdetect':>12}{'ratio':>8}")
    for label, slug in (("zh-Hant", "udn"), ("zh-Hans", "sina"), ("en", "sina")):
        outlet = registry.get(slug)
        base = next(article for name, _, _, article in fixture_articles(registry) if name.startswith(slug))
        articles = [replace(base, body=text) for text in articles_of(samples, label, ARTICLES_PER_LABEL)]
        mine, bare = cost(articles, outlet, arguments.rounds, reference)
        print(f"{label + ' on ' + slug:<34}{mine:>12.3f}{bare:>12.3f}{mine / bare:>8.2f}")
    print(f"target: <= {COST_TARGET_MS} ms per article")


if __name__ == "__main__":
    main()
