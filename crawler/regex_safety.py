"""Registry regular expressions that cannot hang a crawl: nested quantifiers are refused at load.

Python's `re` backtracks: a repetition inside a repetition, `(a+)+` or `(\\w*)*`, can split a
string between its two loops in exponentially many ways, and a crawl matching a long URL against
it never finishes. A repetition whose every round must cross a character the inner one cannot
match is safe, and common in URL patterns: `(?:[a-z0-9_]+/)*` (each round ends at a "/"),
`(?:-[a-z0-9]+){2,}`. So are possessive repetitions and atomic groups, which never backtrack.

`nested_quantifier` reads the pattern as `re` parses it (its `_parser`, the only parser of the
exact syntax `re` accepts) and finds the rest. What matching costs beyond that is bounded by the
length of what is matched (`url_patterns.PATTERN_INPUT_MAX_CHARS`).
"""

from __future__ import annotations

from collections.abc import Iterator
from re import _constants as sre  # type: ignore[attr-defined]
from re import _parser  # type: ignore[attr-defined]
from typing import Any

BACKTRACKING_REPEATS = (sre.MAX_REPEAT, sre.MIN_REPEAT)
SINGLE_CHARACTERS = (sre.LITERAL, sre.NOT_LITERAL, sre.IN, sre.ANY)
# Characters tried when a delimiter is a class: ASCII, where URL delimiters are, and a few others.
SAMPLE_CHARACTERS = [chr(code) for code in range(128)] + ["é", "中", "\u3000", "／"]
CATEGORIES = {
    sre.CATEGORY_DIGIT: str.isdecimal,
    sre.CATEGORY_WORD: lambda char: char.isalnum() or char == "_",
    sre.CATEGORY_SPACE: str.isspace,
    sre.CATEGORY_NOT_DIGIT: lambda char: not char.isdecimal(),
    sre.CATEGORY_NOT_WORD: lambda char: not (char.isalnum() or char == "_"),
    sre.CATEGORY_NOT_SPACE: lambda char: not char.isspace(),
}

Item = tuple[Any, Any]


def nested_quantifier(pattern: str) -> bool:
    """Whether `pattern` repeats a variable-length repetition with no delimiter between rounds."""
    return any(_unsafe_repeat(item) for item in _walk(list(_parser.parse(pattern))))


def _walk(items: list[Item]) -> Iterator[Item]:
    """Every item of a parsed pattern, nested ones included."""
    for op, argument in items:
        yield op, argument
        for inner in _inner_sequences(op, argument):
            yield from _walk(inner)


def _inner_sequences(op: Any, argument: Any) -> list[list[Item]]:
    if op in (*BACKTRACKING_REPEATS, sre.POSSESSIVE_REPEAT):
        return [list(argument[2])]
    if op == sre.SUBPATTERN:
        return [list(argument[3])]
    if op == sre.BRANCH:
        return [list(branch) for branch in argument[1]]
    if op in (sre.ASSERT, sre.ASSERT_NOT):
        return [list(argument[1])]
    if op == sre.ATOMIC_GROUP:
        return [list(argument)]
    if op == sre.GROUPREF_EXISTS:
        return [list(branch) for branch in argument[1:] if branch]
    return []


def _unsafe_repeat(item: Item) -> bool:
    op, argument = item
    if op not in BACKTRACKING_REPEATS or argument[1] <= 1:
        return False
    body = list(argument[2])
    variable = [inner for inner in _backtracking_items(body) if _is_variable(inner)]
    if not variable:
        return False
    repeated = [char_item for inner in variable for char_item in _character_items(list(inner[1][2]))]
    return not any(
        not any(_matches(char_item, char) for char_item in repeated for char in _characters(delimiter))
        for delimiter in _mandatory_characters(body)
    )


def _is_variable(item: Item) -> bool:
    op, argument = item
    return op in BACKTRACKING_REPEATS and argument[0] < argument[1]


def _backtracking_items(items: list[Item]) -> Iterator[Item]:
    """Items that backtracking can re-enter: all but those inside possessive or atomic parts."""
    for op, argument in items:
        if op in (sre.POSSESSIVE_REPEAT, sre.ATOMIC_GROUP):
            continue
        yield op, argument
        for inner in _inner_sequences(op, argument):
            yield from _backtracking_items(inner)


def _character_items(items: list[Item]) -> list[Item]:
    """The single-character items a sequence is made of; ANY for anything else it may match."""
    found: list[Item] = []
    for op, argument in items:
        if op in SINGLE_CHARACTERS:
            found.append((op, argument))
        elif op in (sre.AT, sre.ASSERT, sre.ASSERT_NOT):
            continue
        elif (inner := _inner_sequences(op, argument)) and op != sre.GROUPREF_EXISTS:
            found += [char_item for sequence in inner for char_item in _character_items(sequence)]
        else:
            found.append((sre.ANY, None))
    return found


def _mandatory_characters(items: list[Item]) -> Iterator[Item]:
    """Single-character items every match of the sequence crosses at least once."""
    for op, argument in items:
        if op in SINGLE_CHARACTERS:
            yield op, argument
        elif op == sre.SUBPATTERN:
            yield from _mandatory_characters(list(argument[3]))
        elif op in (*BACKTRACKING_REPEATS, sre.POSSESSIVE_REPEAT) and argument[0] >= 1:
            yield from _mandatory_characters(list(argument[2]))


def _characters(item: Item) -> list[str]:
    op, argument = item
    if op == sre.LITERAL:
        return [chr(argument)]
    return [char for char in SAMPLE_CHARACTERS if _matches(item, char)]


def _matches(item: Item, char: str) -> bool:
    """Whether a single-character item matches `char` (flags such as IGNORECASE set aside)."""
    op, argument = item
    if op == sre.ANY:
        return True
    if op == sre.LITERAL:
        return ord(char) == argument
    if op == sre.NOT_LITERAL:
        return ord(char) != argument
    negated = bool(argument) and argument[0][0] == sre.NEGATE
    members = argument[1:] if negated else argument
    found = any(_in_member(member, char) for member in members)
    return found != negated


def _in_member(member: Item, char: str) -> bool:
    op, argument = member
    if op == sre.LITERAL:
        return ord(char) == argument
    if op == sre.RANGE:
        return argument[0] <= ord(char) <= argument[1]
    if op == sre.CATEGORY:
        test = CATEGORIES.get(argument)
        return test(char) if test else True
    return True
