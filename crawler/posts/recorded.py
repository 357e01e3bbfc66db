"""An answer as recorded (status, headers, body bytes), read once for everything that looks at it:
the body's text, what it is (JSON, HTML, empty), its JSON. Bounded: a post's JSON is tens of
kilobytes, so a larger body is neither parsed nor searched beyond its first megabytes."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

LARGEST_READ_BODY = 4 * 1024 * 1024
# The JSON strings searched for a message: enough for any post, bounded for a hostile answer.
MOST_JSON_STRINGS = 20_000


@dataclass(frozen=True)
class RecordedAnswer:
    """`kind` is read from the body itself, not its Content-Type (a login page is served as JSON's
    stand-in): "json" (parsed into `json`), "html", "empty" or "text" (anything else, broken JSON too).
    `searchable`: the body's text and, for JSON, its strings with escapes decoded."""

    status: int
    headers: Mapping[str, str]
    text: str
    kind: str
    json: Any
    searchable: str
    oversized: bool

    @classmethod
    def read(
        cls, status: int, headers: Mapping[str, str] | Iterable[tuple[str, str]], body: bytes
    ) -> RecordedAnswer:
        pairs = headers.items() if isinstance(headers, Mapping) else headers
        names = {str(name).lower(): str(value) for name, value in pairs}
        oversized = len(body) > LARGEST_READ_BODY
        text = body[:LARGEST_READ_BODY].decode("utf-8", errors="replace").lstrip("\ufeff")
        stripped = text.strip()
        kind, parsed = "text", None
        if not stripped:
            kind = "empty"
        elif stripped[0] in "{[" and not oversized:
            try:
                parsed, kind = json.loads(stripped), "json"
            except (ValueError, RecursionError):
                kind = "text"
        elif stripped.startswith("<") or "html" in names.get("content-type", "").lower():
            kind = "html"
        searchable = text if parsed is None else text + "\n" + "\n".join(_strings(parsed))
        return cls(status, names, text, kind, parsed, searchable, oversized)

    def field(self, name: str) -> Any:
        """A top-level JSON field, or None when the body is no JSON object or lacks it."""
        return self.json.get(name) if isinstance(self.json, dict) else None


def _strings(document: Any) -> list[str]:
    found: list[str] = []
    pending = [document]
    while pending and len(found) < MOST_JSON_STRINGS:
        value = pending.pop()
        if isinstance(value, str):
            found.append(value)
        elif isinstance(value, dict):
            pending.extend(value.values())
        elif isinstance(value, list):
            pending.extend(value)
    return found
