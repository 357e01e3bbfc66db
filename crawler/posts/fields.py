"""Reading a JSON answer that may have changed shape: each reader returns what is there or None,
and notes a problem naming the field (`data.user.screen_name missing`, `data.pics: a string, not
a list`). Nothing here raises on the answer's content."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from crawler.posts.ids import PostIdError, numeric_post_id

# The `Thu Oct 02 14:39:33 +0800 2025` form Weibo (and X's older APIs) write; read without
# strptime, whose %a and %b follow the process's locale.
PLATFORM_TIME = re.compile(
    r"(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) (?P<month>[A-Z][a-z]{2}) (?P<day>\d{1,2}) "
    r"(?P<hour>\d{2}):(?P<minute>\d{2}):(?P<second>\d{2}) (?P<sign>[+-])(?P<hours>\d{2})(?P<minutes>\d{2}) "
    r"(?P<year>\d{4})"
)
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
# Feed-style relative times (刚刚, 5分钟前, 昨天 12:00, 06-27) need the moment they were read.
RELATIVE_TIME = re.compile(r"刚刚|分钟前|小时前|昨天|^\d{1,2}-\d{1,2}$")
# Weibo's floors for large counts: 1万+ = at least 10,000; 1.2亿 = 120,000,000.
CHINESE_COUNT = re.compile(r"(?P<number>\d+(?:\.\d+)?)\s*(?P<unit>[万亿]?)\s*(?P<plus>\+?)")
CHINESE_UNITS = {"": 1, "万": 10**4, "亿": 10**8}


class Fields:
    """The problems met while reading one answer, and readers that record them."""

    def __init__(self) -> None:
        self.problems: list[str] = []

    def note(self, problem: str) -> None:
        self.problems.append(problem)

    def value(self, parent: Any, key: str, path: str, *, required: bool = True) -> Any:
        """parent[key], or None (a problem noted if `required`) when missing or null."""
        if not isinstance(parent, dict):
            return None
        value = parent.get(key)
        if value is None and required:
            self.note(f"{field_path(path, key)} missing")
        return value

    def mapping(self, parent: Any, key: str, path: str, *, required: bool = True) -> dict[str, Any] | None:
        return self._typed(parent, key, path, dict, "an object", required=required)

    def items(self, parent: Any, key: str, path: str, *, required: bool = False) -> list[Any] | None:
        return self._typed(parent, key, path, list, "a list", required=required)

    def string(self, parent: Any, key: str, path: str, *, required: bool = True) -> str | None:
        return self._typed(parent, key, path, str, "a string", required=required)

    def identifier(self, parent: Any, key: str, path: str, *, required: bool = True) -> str | None:
        """An id given as a string or (older APIs) as an integer, as text."""
        value = self.value(parent, key, path, required=required)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, str | int):
            self.note(f"{field_path(path, key)}: {_kind(value)}, not an id")
            return None
        return str(value)

    def post_id(self, parent: dict[str, Any], key: str, path: str, asked_id: str | None) -> str:
        """A post's numeric id from `key`; the id asked for when the answer has no usable one (noted),
        or "" for a post nobody asked for (a reposted or quoted one) without an id."""
        given = self.identifier(parent, key, path, required=asked_id is None)
        if given is not None:
            try:
                post_id = numeric_post_id(given, field_path(path, key))
            except PostIdError as error:
                self.note(str(error))
            else:
                if asked_id is not None and post_id != asked_id:
                    self.note(f"{field_path(path, key)} {post_id} is not the post asked for ({asked_id})")
                return post_id
        return asked_id or ""

    def count(self, parent: Any, key: str, path: str, name: str, floors: list[str]) -> int | None:
        """A count given as a number or as Weibo's text ("1万+", adding `name` to `floors`)."""
        value = self.value(parent, key, path, required=False)
        if value is None:
            return None
        if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
            return value
        if isinstance(value, str):
            match = CHINESE_COUNT.fullmatch(value.strip())
            if match:
                if match["plus"]:
                    floors.append(name)
                number = float(match["number"]) * CHINESE_UNITS[match["unit"]]
                return int(number) if number < 2**63 else None
        self.note(f"{field_path(path, key)}: {value!r} is not a count")
        return None

    def time(self, parent: Any, key: str, path: str, *, required: bool = True) -> datetime | None:
        """An answer's time: `Thu Oct 02 14:39:33 +0800 2025` or ISO 8601, its offset kept."""
        value = self.string(parent, key, path, required=required)
        if value is None:
            return None
        moment = parse_time(value)
        if moment is None:
            relative = (
                " (a relative time, which needs the moment it was read)"
                if RELATIVE_TIME.search(value)
                else ""
            )
            self.note(f"{field_path(path, key)}: {value[:60]!r} is not a time{relative}")
        return moment

    def _typed(self, parent: Any, key: str, path: str, kind: type, kind_name: str, *, required: bool) -> Any:
        value = self.value(parent, key, path, required=required)
        if value is None or isinstance(value, kind):
            return value
        self.note(f"{field_path(path, key)}: {_kind(value)}, not {kind_name}")
        return None


def parse_time(value: str) -> datetime | None:
    """`Thu Oct 02 14:39:33 +0800 2025` or an ISO 8601 time with its offset; None for anything else."""
    match = PLATFORM_TIME.fullmatch(value.strip())
    if match:
        if match["month"] not in MONTHS:
            return None
        offset = timedelta(hours=int(match["hours"]), minutes=int(match["minutes"]))
        try:
            return datetime(
                int(match["year"]),
                MONTHS.index(match["month"]) + 1,
                int(match["day"]),
                int(match["hour"]),
                int(match["minute"]),
                int(match["second"]),
                tzinfo=UTC if not offset else timezone(offset if match["sign"] == "+" else -offset),
            )
        except ValueError:
            return None
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def field_path(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _kind(value: Any) -> str:
    names = {dict: "an object", list: "a list", str: "a string", bool: "a boolean", int: "a number"}
    return names.get(type(value), "a number" if isinstance(value, float) else type(value).__name__)
