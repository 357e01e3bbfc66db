"""Post ids: Weibo's mid and its base62 form (the bid), X's snowflake status ids.

Weibo writes one post's id two ways: the numeric mid its JSON answers carry (`4910815147462302`)
and the base62 bid of its permalinks (`N4xlMvjhI`). The mid's decimal digits, in groups of 7 from
the right, are the bid's base62 groups of 4 characters from the right (nghuyong/WeiboSpider,
dataabc/weiboSpider, psubnwell/arsenal: docs/posts.md). X's status ids are snowflakes: the id
carries the moment it was minted, in milliseconds since X's epoch, above 22 bits of sequence.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime

# 0-9a-zA-Z in that order: a helper with 0-9A-Za-z swaps the case of every bid it writes.
BASE62_ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
BASE62_VALUES = {character: value for value, character in enumerate(BASE62_ALPHABET)}
MID_GROUP_DIGITS = 7
BID_GROUP_CHARACTERS = 4
# Both platforms' ids are signed 64-bit integers; kept as text, they still fit an SQLite INTEGER.
LARGEST_POST_ID = 2**63 - 1
LONGEST_POST_ID_DIGITS = len(str(LARGEST_POST_ID))
# The bid of LARGEST_POST_ID has 11 characters (3 + 4 + 4).
LONGEST_BID = 11

# X's epoch (2010-11-04T01:42:54.657Z) and the shift above the sequence bits
# (fionapigott/conversation-builder snowflake2utc.py; client9/snowflake2time).
SNOWFLAKE_EPOCH_MS = 1288834974657
SNOWFLAKE_TIME_SHIFT = 22
# Ids below the first snowflake were handed out in sequence and carry no time
# (oduwsdl/tweetedat script/TimestampEstimator.py).
FIRST_SNOWFLAKE_ID = 29700859247


class PostIdError(ValueError):
    """An id that is no post id of its platform; the message says why, in one line."""


def numeric_post_id(text: str, what: str = "post id") -> str:
    """`text` as a platform's numeric id (no leading zeros), or PostIdError saying why it is none."""
    if not text.isascii() or not text.isdigit():
        raise PostIdError(f"{what} {text!r} is not a number")
    digits = text.lstrip("0")
    if not digits:
        raise PostIdError(f"{what} {text!r} is zero")
    if len(digits) > LONGEST_POST_ID_DIGITS or int(digits) > LARGEST_POST_ID:
        raise PostIdError(f"{what} {_shortened(text)} is out of range (above 2^63 - 1)")
    return digits


def bid_to_mid(bid: str) -> str:
    """The numeric mid a base62 bid writes (`N4xlMvjhI` -> `4910815147462302`)."""
    if not bid or not bid.isascii() or not all(character in BASE62_VALUES for character in bid):
        raise PostIdError(f"Weibo post id {_shortened(bid)} is neither a numeric mid nor a base62 bid")
    if len(bid) > LONGEST_BID:
        raise PostIdError(f"Weibo bid {_shortened(bid)} is too long (more than {LONGEST_BID} characters)")
    groups = _groups_from_right(bid, BID_GROUP_CHARACTERS)
    decimal = []
    for position, group in enumerate(groups):
        value = 0
        for character in group:
            value = value * 62 + BASE62_VALUES[character]
        if position and value >= 10**MID_GROUP_DIGITS:
            raise PostIdError(f"Weibo bid {bid!r}: its group {group!r} is out of range")
        decimal.append(str(value).zfill(MID_GROUP_DIGITS if position else 0))
    return numeric_post_id("".join(decimal), f"Weibo bid {bid!r} gives a mid that")


def mid_to_bid(mid: str) -> str:
    """The base62 bid of a numeric mid (`4910815147462302` -> `N4xlMvjhI`)."""
    digits = numeric_post_id(mid, "Weibo mid")
    encoded = []
    for position, group in enumerate(_groups_from_right(digits, MID_GROUP_DIGITS)):
        value, characters = int(group), ""
        while value:
            value, remainder = divmod(value, 62)
            characters = BASE62_ALPHABET[remainder] + characters
        encoded.append(characters.rjust(BID_GROUP_CHARACTERS if position else 1, "0"))
    return "".join(encoded)


def snowflake_time(status_id: str) -> datetime | None:
    """When X minted `status_id` (UTC, to the millisecond); None for ids older than snowflakes."""
    number = int(numeric_post_id(status_id, "X status id"))
    if number < FIRST_SNOWFLAKE_ID:
        return None
    milliseconds = (number >> SNOWFLAKE_TIME_SHIFT) + SNOWFLAKE_EPOCH_MS
    return datetime.fromtimestamp(milliseconds / 1000, UTC).replace(microsecond=(milliseconds % 1000) * 1000)


def syndication_token(status_id: str) -> str:
    """The `token` X's syndication endpoint expects for a status id (react-tweet's getToken):
    `((Number(id) / 1e15) * Math.PI).toString(36)` with every `0` and `.` dropped."""
    value = int(numeric_post_id(status_id, "X status id")) / 1e15 * math.pi
    return _javascript_radix_string(value, 36).replace("0", "").replace(".", "")


def _javascript_radix_string(value: float, radix: int) -> str:
    """Number.prototype.toString(radix) of a positive double below 2^53, digit for digit as V8
    writes it (src/numbers/conversions.cc DoubleToRadixCString): fraction digits only as far as the
    double's precision reaches, the last one rounded half to even. Python's own formatting of the
    same double gives other digits, so the token would not match."""
    integer = math.floor(value)
    fraction = value - integer
    # Half the gap to the next double: digits finer than that say nothing about `value`.
    delta = max(0.5 * (math.nextafter(value, math.inf) - value), math.nextafter(0.0, 1.0))
    fraction_digits: list[int] = []
    if fraction >= delta:
        while True:
            fraction *= radix
            delta *= radix
            digit = int(fraction)
            fraction_digits.append(digit)
            fraction -= digit
            if (fraction > 0.5 or (fraction == 0.5 and digit & 1)) and fraction + delta > 1:
                while fraction_digits:
                    last = fraction_digits.pop()
                    if last + 1 < radix:
                        fraction_digits.append(last + 1)
                        break
                else:
                    integer += 1
                break
            if fraction < delta:
                break
    integer_digits = []
    while True:
        integer, remainder = divmod(integer, radix)
        integer_digits.append(remainder)
        if not integer:
            break
    written = "".join(BASE62_ALPHABET[digit] for digit in reversed(integer_digits))
    if fraction_digits:
        written += "." + "".join(BASE62_ALPHABET[digit] for digit in fraction_digits)
    return written


def _groups_from_right(text: str, size: int) -> list[str]:
    head = len(text) % size
    return ([text[:head]] if head else []) + [
        text[start : start + size] for start in range(head, len(text), size)
    ]


def _shortened(text: str) -> str:
    return repr(text if len(text) <= 40 else text[:40] + "…")
