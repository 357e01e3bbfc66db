"""The synthetic replay answers of tests/fixtures/posts/ (README.md there): each file one HTTP
answer as the server would send it, responses.toml saying which URL and endpoint it answers."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

POST_FIXTURES = Path(__file__).resolve().parent / "fixtures" / "posts"


@dataclass(frozen=True)
class RecordedResponse:
    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes


def recorded_response(relative: str) -> RecordedResponse:
    """A fixture file: a status line, header lines, a blank line, the body (without its final newline)."""
    head, _, body = (POST_FIXTURES / relative).read_bytes().partition(b"\n\n")
    status_line, *header_lines = head.decode("utf-8").split("\n")
    headers = tuple(tuple(part.strip() for part in line.split(":", 1)) for line in header_lines)
    return RecordedResponse(int(status_line.split()[1]), headers, body.removesuffix(b"\n"))


def fixture_manifest() -> list[dict[str, str]]:
    return tomllib.loads((POST_FIXTURES / "responses.toml").read_text(encoding="utf-8"))["response"]
