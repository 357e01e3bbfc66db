"""How a post vanished, read from an answer: the table of each platform's messages and statuses
(removals.toml, shipped with the package, each entry with where it was recorded) and the
classifier over it. An answer is ok, one of the removal kinds, or an answer that says nothing
about the post (rate limited, a login wall, a transient error: ask again later)."""

from __future__ import annotations

import functools
import re
import tomllib
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from crawler.posts.post import Endpoint, Outcome, Platform, Removal
from crawler.posts.recorded import RecordedAnswer

TABLE_PATH = Path(__file__).with_name("removals.toml")
# How much of a placeholder's text evidence quotes, its markup dropped.
QUOTED_CHARACTERS = 80
TAG = re.compile(r"<[^>]*>")


class AnswerEntry(BaseModel):
    """One way a whole answer reads (removals.toml [[answer]]); every condition given must hold."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    platform: Platform
    endpoints: tuple[Endpoint, ...] | None = None
    status: tuple[int, ...] | None = None
    body: Literal["json", "html", "empty"] | None = None
    json_fields: dict[str, int | str] | None = Field(default=None, alias="json")
    json_has: tuple[str, ...] | None = None
    body_is: str | None = None
    contains: tuple[str, ...] | None = None
    outcome: Outcome
    source: str = Field(min_length=1)
    note: str = ""

    @model_validator(mode="after")
    def _endpoints_of_the_platform(self) -> AnswerEntry:
        if self.endpoints and any(endpoint.platform is not self.platform for endpoint in self.endpoints):
            raise ValueError(f"endpoints {self.endpoints} are not all {self.platform}'s")
        conditions = (self.status, self.body, self.json_fields, self.json_has, self.body_is, self.contains)
        if all(condition is None for condition in conditions):
            raise ValueError("an entry needs at least one condition")
        return self

    def evidence(self, endpoint: Endpoint, answer: RecordedAnswer) -> str | None:
        """What in `answer` this entry matched, in a few words; None when it does not match."""
        if (self.endpoints and endpoint not in self.endpoints) or (
            self.status and answer.status not in self.status
        ):
            return None
        if self.body and answer.kind != self.body:
            return None
        if self.body_is is not None and answer.text.strip() != self.body_is:
            return None
        found = [f"HTTP {answer.status}", f"{answer.kind} body"]
        for name, expected in (self.json_fields or {}).items():
            value = answer.field(name)
            if value is None or isinstance(value, dict | list) or str(value) != str(expected):
                return None
            found.append(f"{name}={value!r}")
        for name in self.json_has or ():
            if answer.field(name) is None:
                return None
            found.append(f"with {name}")
        if self.contains:
            text = next((text for text in self.contains if text in answer.searchable), None)
            if text is None:
                return None
            found.append(f"containing {text!r}")
        if self.body_is is not None:
            found.append(f"reading {self.body_is}")
        return ", ".join(found)


class PlaceholderEntry(BaseModel):
    """Texts that stand in a vanished post's place (removals.toml [[placeholder]])."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    platform: Platform
    texts: tuple[str, ...] = Field(min_length=1)
    outcome: Outcome
    source: str = Field(min_length=1)
    note: str = ""

    @model_validator(mode="after")
    def _a_removal_kind(self) -> PlaceholderEntry:
        if not self.outcome.is_removal:
            raise ValueError(f"a placeholder's outcome must be a removal kind, not {self.outcome}")
        return self


class RetryRule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    default_seconds: int = Field(gt=0)
    longest_seconds: int = Field(gt=0)
    source: str = Field(min_length=1)


class RemovalTable(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    retry: dict[Platform, RetryRule]
    answer: tuple[AnswerEntry, ...]
    placeholder: tuple[PlaceholderEntry, ...]

    @model_validator(mode="after")
    def _every_platform_has_a_retry_rule(self) -> RemovalTable:
        missing = set(Platform) - set(self.retry)
        if missing:
            raise ValueError(f"[retry.{sorted(missing)[0]}] missing")
        return self


@functools.cache
def removal_table() -> RemovalTable:
    """removals.toml, validated (a mistake in it fails every test that reads an answer)."""
    return RemovalTable.model_validate(tomllib.loads(TABLE_PATH.read_text(encoding="utf-8")))


@dataclass(frozen=True)
class Verdict:
    """What an answer says about the post asked for, the evidence it matched and where that wording
    was recorded. `retry_header` is the Retry-After or x-rate-limit-reset header as sent, if any."""

    platform: Platform
    outcome: Outcome
    evidence: str
    source: str
    retry_header: tuple[str, str] | None = None

    @property
    def removal(self) -> Removal | None:
        return Removal(self.outcome, self.evidence, self.source) if self.outcome.is_removal else None

    def retry_at(self, received_at: datetime) -> datetime | None:
        """When to ask again (for an answer that means retry): as the answer asked, else the
        platform's default wait, never later than its longest (removals.toml [retry])."""
        if received_at.tzinfo is None:
            raise ValueError("received_at needs its offset (UTC)")
        if not self.outcome.means_retry:
            return None
        rule = removal_table().retry[self.platform]
        wait = _asked_wait(self.retry_header, received_at)
        if wait is None:
            wait = timedelta(seconds=rule.default_seconds)
        return received_at + min(max(wait, timedelta(0)), timedelta(seconds=rule.longest_seconds))


def classify_answer(endpoint: Endpoint, answer: RecordedAnswer) -> Verdict:
    """What `answer` to a request of `endpoint` says about the post: first the post's own text
    against the placeholders, then the table's answer entries in order."""
    platform = endpoint.platform
    own_text = _own_text(endpoint, answer)
    removal = placeholder_removal(platform, own_text) if own_text else None
    if removal is not None:
        return Verdict(platform, removal.kind, removal.evidence, removal.source)
    for entry in removal_table().answer:
        if entry.platform is not platform:
            continue
        evidence = entry.evidence(endpoint, answer)
        if evidence is not None:
            retry_header = _retry_header(answer) if entry.outcome.means_retry else None
            if retry_header is not None:
                evidence += f", {retry_header[0]}: {retry_header[1]}"
            return Verdict(platform, entry.outcome, evidence, entry.source, retry_header)
    evidence = f"HTTP {answer.status}, {answer.kind} body: no entry of the table matches"
    return Verdict(platform, Outcome.UNRECOGNISED, evidence, "")


def placeholder_removal(platform: Platform, text: str) -> Removal | None:
    """The removal a post's text stands for, when it is one of the platform's placeholders."""
    begins = _comparable(text).lstrip()
    for entry in removal_table().placeholder:
        if entry.platform is platform and any(begins.startswith(_comparable(known)) for known in entry.texts):
            quoted = TAG.sub("", text).strip()[:QUOTED_CHARACTERS]
            return Removal(entry.outcome, f"the post's text reads {quoted!r}", entry.source)
    return None


def _own_text(endpoint: Endpoint, answer: RecordedAnswer) -> str | None:
    """The text standing for the post asked for: a Weibo status's text, an X tombstone's text."""
    if endpoint is Endpoint.WEIBO_STATUS and answer.field("ok") == 1:
        return _path(answer.json, "data", "text")
    if endpoint is Endpoint.X_SYNDICATION and answer.field("__typename") == "TweetTombstone":
        return _path(answer.json, "tombstone", "text", "text")
    return None


def _path(document: Any, *keys: str) -> str | None:
    for key in keys:
        document = document.get(key) if isinstance(document, dict) else None
    return document if isinstance(document, str) else None


def _comparable(text: str) -> str:
    return unicodedata.normalize("NFKC", text).replace("\u2019", "'")


def _retry_header(answer: RecordedAnswer) -> tuple[str, str] | None:
    for name in ("retry-after", "x-rate-limit-reset"):
        if answer.headers.get(name):
            return name, answer.headers[name].strip()
    return None


def _asked_wait(header: tuple[str, str] | None, received_at: datetime) -> timedelta | None:
    if header is None:
        return None
    name, value = header
    if value.isdigit() and len(value) <= 12:
        if name != "x-rate-limit-reset":
            return timedelta(seconds=int(value))
        try:
            return datetime.fromtimestamp(int(value), UTC) - received_at
        except (OverflowError, OSError, ValueError):
            return None
    try:
        asked = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return asked - received_at if asked.tzinfo is not None else None
