"""Per run and outlet, what a crawl did: counted from the captures and articles it stored.

Counting from the archive itself (not from counters kept by the crawl) makes the records agree
with the archive, and lets the next run write the record of a run that was killed.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, fields
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlite_utils import Database

from crawler.article_fields import ARTICLE_FIELDS
from crawler.items import NOT_MODIFIED
from crawler.network_policy import BLOCKED_PREFIX
from crawler.page_verdict import Verdict, stored_reason_pattern

# Fields whose share among a run's extracted articles is recorded; a drop means a layout change.
# (field, SQL that is true when an article has it)
COVERAGE_FIELDS: tuple[tuple[str, str], ...] = tuple(
    (f.name, f"a.{f.name} != '[]'" if f.json_encoded else f"coalesce(a.{f.name}, '') != ''")
    for f in ARTICLE_FIELDS
    if f.watched
)
BLOCKING_STATUSES = (403, 429)
# Captures refused by the outlet: an HTTP status saying so, or a block page served with 200.
BLOCKED = f"http_status IN {BLOCKING_STATUSES} OR outcome_reason LIKE :blocked"
BLOCKED_REASONS = stored_reason_pattern(Verdict.BLOCKED)


@dataclass
class OutletRecord:
    """One outlet's part of one run (a row of `crawl_run_outlets`)."""

    discovery_fetched: int = 0
    discovery_not_modified: int = 0
    discovery_failed: int = 0
    discovered: int = 0
    fetched: int = 0
    revisited: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    not_article: int = 0
    failed: int = 0
    blocked: int = 0
    off_policy: int = 0
    failures: dict[str, int] = field(default_factory=dict)
    articles_extracted: int = 0
    field_coverage: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


# Columns of crawl_run_outlets that hold a count (the others hold JSON).
COUNT_COLUMNS = tuple(column.name for column in fields(OutletRecord) if column.type == "int")


def failure_group(page_kind: str, reason: str | None) -> str:
    """A failure reason without its particulars (URL, parser message), for counting alike ones.

    A refusal of the network policy is kept whole: it names no URL, and what it refused matters.
    """
    if reason and reason.startswith(BLOCKED_PREFIX):
        return f"{page_kind}: {reason}"
    return f"{page_kind}: {(reason or 'unknown').split(':', 1)[0]}"


# (column of crawl_run_outlets, how to count it over one outlet's captures of the run)
CAPTURE_COUNTS: tuple[tuple[str, str], ...] = (
    ("discovery_fetched", "page_kind != 'article'"),
    ("discovery_not_modified", "page_kind != 'article' AND outcome_reason = :not_modified"),
    (
        "discovery_failed",
        "page_kind != 'article' AND (outcome IN ('failed', 'blocked') OR (DISCOVERY_PROBLEM))",
    ),
    ("discovered", "article_links_new"),
    ("fetched", "page_kind = 'article'"),
    ("revisited", "page_kind = 'article' AND revisit = 1"),
    ("new", "outcome = 'article' AND article_change = 'new'"),
    ("updated", "outcome = 'article' AND article_change = 'updated'"),
    ("unchanged", "outcome = 'article' AND article_change = 'unchanged'"),
    ("removed", "outcome = 'removed'"),
    ("not_article", "outcome = 'not_article'"),
    ("failed", "page_kind = 'article' AND outcome = 'failed'"),
    ("blocked", BLOCKED),
    ("off_policy", "outcome = 'blocked'"),
)
DISCOVERY_PROBLEM = "outcome = 'discovery' AND outcome_reason IS NOT NULL AND outcome_reason != :not_modified"


def _ones(condition: str) -> str:
    """1 where `condition` holds, else 0: PostgreSQL sums no booleans (SQLite's are 1 and 0)."""
    return f"CASE WHEN {condition} THEN 1 ELSE 0 END"


def count_run(db: sqlite3.Connection | Database, run_id: int) -> dict[str, OutletRecord]:
    """Each outlet's record of a run, counted from what the archive holds."""
    records: dict[str, OutletRecord] = {}
    parameters = {"run": run_id, "not_modified": NOT_MODIFIED, "blocked": BLOCKED_REASONS}
    sums = ", ".join(
        f"coalesce(sum({expression if name == 'discovered' else _ones(expression)}), 0)".replace(
            "DISCOVERY_PROBLEM", DISCOVERY_PROBLEM
        )
        for name, expression in CAPTURE_COUNTS
    )
    rows = db.execute(
        f"SELECT outlet, {sums} FROM captures WHERE crawl_run_id = :run GROUP BY outlet", parameters
    )
    for outlet, *counts in rows:
        records[outlet] = OutletRecord(**dict(zip((name for name, _ in CAPTURE_COUNTS), counts, strict=True)))
    failures = db.execute(
        f"""SELECT outlet, page_kind, outcome_reason, count(*) FROM captures
        WHERE crawl_run_id = :run AND (outcome IN ('failed', 'blocked') OR ({DISCOVERY_PROBLEM}))
        GROUP BY outlet, page_kind, outcome_reason""",
        parameters,
    )
    for outlet, page_kind, reason, count in sorted(failures, key=_in_sqlite_order):
        _count_failure(records[outlet].failures, page_kind, reason, count)
    # Summed here, not by GROUP BY: SQLite's grouping sorter would copy every column the sums read,
    # each article's whole body among them, for all the run's articles at once (32 MiB at 6,000).
    flags = ", ".join(_ones(condition) for _, condition in COVERAGE_FIELDS)
    coverage: dict[str, list[int]] = {}
    for outlet, *having in db.execute(
        f"""SELECT a.outlet, {flags} FROM articles a JOIN captures c ON c.id = a.capture_id
        WHERE c.crawl_run_id = :run""",
        parameters,
    ):
        counts = coverage.setdefault(outlet, [0] * (1 + len(COVERAGE_FIELDS)))
        counts[0] += 1
        for position, has in enumerate(having, start=1):
            counts[position] += has
    for outlet in sorted(coverage):  # in the order GROUP BY gave them
        extracted, *having_counts = coverage[outlet]
        record = records.setdefault(outlet, OutletRecord())
        record.articles_extracted = extracted
        record.field_coverage = {
            name: round(count / extracted, 4)
            for (name, _), count in zip(COVERAGE_FIELDS, having_counts, strict=True)
        }
    return records


def _in_sqlite_order(row: Sequence[Any]) -> tuple[tuple[bool, Any], ...]:
    """A grouped row's place in SQLite's order of groups (NULL first), which PostgreSQL does not
    keep: the failures' JSON names them in that order on both backends."""
    return tuple((value is not None, value) for value in row)


def _count_failure(counted: dict[str, int], page_kind: str, reason: str | None, count: int) -> None:
    group = failure_group(page_kind, reason)
    counted[group] = counted.get(group, 0) + count


def blocked_failures(db: sqlite3.Connection | Database, run_id: int, outlet: str) -> dict[str, int]:
    """The captures of an outlet's run that were refused (BLOCKED), counted by failure group."""
    rows = db.execute(
        f"""SELECT page_kind, outcome_reason, count(*) FROM captures
        WHERE crawl_run_id = :run AND outlet = :outlet AND ({BLOCKED})
        GROUP BY page_kind, outcome_reason""",
        {"run": run_id, "outlet": outlet, "blocked": BLOCKED_REASONS},
    )
    counted: dict[str, int] = {}
    for page_kind, reason, count in sorted(rows, key=_in_sqlite_order):
        _count_failure(counted, page_kind, reason, count)
    return counted


def nothing_fetched(records: dict[str, OutletRecord]) -> bool:
    """Whether every outlet's discovery failed and no article page answered (no network, say)."""
    return bool(records) and all(
        record.discovery_fetched
        and record.discovery_failed == record.discovery_fetched
        and record.failed == record.fetched
        for record in records.values()
    )


def write_run_records(connection: sqlite3.Connection, run_id: int) -> None:
    """Store (or replace) every outlet's record of a run in `crawl_run_outlets`."""
    connection.execute("DELETE FROM crawl_run_outlets WHERE crawl_run_id = ?", [run_id])
    for outlet, record in count_run(connection, run_id).items():
        connection.execute(
            f"""INSERT INTO crawl_run_outlets (crawl_run_id, outlet, {", ".join(COUNT_COLUMNS)},
                failures, field_coverage)
            VALUES (?, ?, {", ".join("?" for _ in COUNT_COLUMNS)}, ?, ?)""",
            [
                run_id,
                outlet,
                *(getattr(record, column) for column in COUNT_COLUMNS),
                json.dumps(record.failures, ensure_ascii=False),
                json.dumps(record.field_coverage),
            ],
        )


def stored_run_records(db: sqlite3.Connection | Database, run_id: int) -> dict[str, OutletRecord]:
    rows = db.execute(
        f"""SELECT outlet, {", ".join(COUNT_COLUMNS)}, failures, field_coverage FROM crawl_run_outlets
        WHERE crawl_run_id = ? ORDER BY outlet""",
        [run_id],
    )
    records = {}
    for outlet, *values in rows:
        counts = dict(zip(COUNT_COLUMNS, values[: len(COUNT_COLUMNS)], strict=True))
        failures, coverage = values[len(COUNT_COLUMNS) :]
        records[outlet] = OutletRecord(
            **counts, failures=json.loads(failures), field_coverage=json.loads(coverage)
        )
    return records


def recent_coverage(
    db: sqlite3.Connection | Database, outlet: str, before_run: int, runs: int, min_articles: int
) -> list[dict[str, float]]:
    """The field coverage of an outlet's latest `runs` runs before `before_run` with enough articles."""
    rows = db.execute(
        """SELECT field_coverage FROM crawl_run_outlets
        WHERE outlet = ? AND crawl_run_id < ? AND articles_extracted >= ?
        ORDER BY crawl_run_id DESC LIMIT ?""",
        [outlet, before_run, min_articles, runs],
    )
    return [json.loads(coverage) for (coverage,) in rows]
