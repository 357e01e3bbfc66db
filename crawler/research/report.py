"""The morning report of a crawl run: what each outlet yielded, and an alert for each problem.

News crawlers mostly fail silently: a layout change or a block page served with status 200
leaves a crawl that "succeeds" with nothing worth keeping. The alerts look for exactly that.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from crawler.archive import Archive
from crawler.archive.connection import ArchiveError
from crawler.archive.run_records import (
    OutletRecord,
    blocked_failures,
    count_run,
    recent_coverage,
    stored_run_records,
)
from crawler.items import STAGES
from crawler.network_policy import BLOCKED_PREFIX

# A field's share among an outlet's extracted articles this far below its recent median (0.25 =
# 25 percentage points) means its selectors no longer match: the layout changed.
COVERAGE_DROP_ALERT = 0.25
# Fewer articles than this in a run say nothing about coverage, in the run or in the baseline.
COVERAGE_MIN_ARTICLES = 5
# The baseline: the median over the outlet's latest runs, given at least the minimum of them.
COVERAGE_BASELINE_RUNS = 7
COVERAGE_BASELINE_MIN_RUNS = 3
# The failure groups of captures a stage after the fetch failed on (`Capture.fail_stage`).
STAGE_ERRORS = frozenset(f"{stage}_error" for stage in STAGES)
TABLE_COLUMNS = (
    ("discovery_failed", "discovery failed"),
    ("discovered", "discovered"),
    ("fetched", "fetched"),
    ("revisited", "revisited"),
    ("new", "new"),
    ("updated", "updated"),
    ("removed", "removed"),
    ("not_article", "not article"),
    ("failed", "failed"),
    ("blocked", "blocked"),
    ("off_policy", "off policy"),
)


@dataclass(frozen=True)
class Alert:
    # run_unfinished, discovery_broken, no_new_articles, blocked, off_policy, stage_error, coverage_drop
    kind: str
    outlet: str | None
    message: str

    @property
    def line(self) -> str:
        return f"ALERT {self.outlet or 'crawl'}: {self.message}"


@dataclass
class RunReport:
    run: dict[str, Any]
    outlets: dict[str, OutletRecord]
    alerts: list[Alert]

    def to_dict(self) -> dict[str, Any]:
        return {
            "run": self.run,
            "outlets": {slug: record.to_dict() for slug, record in self.outlets.items()},
            "alerts": [asdict(alert) for alert in self.alerts],
        }


def build_report(archive: Archive, run_id: int | None = None) -> RunReport:
    """The report of one run (the latest when `run_id` is None)."""
    run = archive.runs.get(run_id)
    if run is None:
        raise ArchiveError(
            f"{archive.path}: no crawl run {run_id}"
            if run_id is not None
            else f"{archive.path}: no crawl run yet"
        )
    if run["status"] == "running":
        # Not closed yet (still running, or killed): counted from what it has stored so far.
        records = count_run(archive.connection, run["id"])
        if not archive.runs.is_held(run["id"]):
            run["status"] = "interrupted"
    else:
        records = stored_run_records(archive.connection, run["id"])
    alerts = _run_alerts(run)
    for slug in run["outlets"]:
        record = records.setdefault(slug, OutletRecord())
        alerts += _outlet_alerts(archive, run, slug, record)
    return RunReport(run, records, alerts)


def _run_alerts(run: dict[str, Any]) -> list[Alert]:
    if run["status"] == "interrupted":
        message = (
            f"run {run['id']} did not finish: its process died (killed?); the next crawl resumes its queue"
        )
        return [Alert("run_unfinished", None, message)]
    if run["status"] == "failed":
        return [Alert("run_unfinished", None, f"run {run['id']} ended early ({run['finish_reason']})")]
    return []


def _outlet_alerts(archive: Archive, run: dict[str, Any], slug: str, record: OutletRecord) -> list[Alert]:
    alerts = []
    finished = run["status"] == "finished"
    if finished and record.discovery_fetched == record.discovery_failed:
        problems = (
            _failures(record.failures, lambda group: not group.startswith("article: ")) or "nothing fetched"
        )
        alerts.append(Alert("discovery_broken", slug, f"no discovery document worked ({problems})"))
    # A run still going may yet archive what it found.
    if record.discovered and not record.new and run["status"] != "running":
        alerts.append(
            Alert(
                "no_new_articles",
                slug,
                f"no new article, though discovery listed {record.discovered} not yet archived "
                f"(fetched {record.fetched}: {record.not_article} not articles, {record.failed} failed)",
            )
        )
    if record.blocked:
        blocks = _failures(blocked_failures(archive.connection, run["id"], slug))
        alerts.append(Alert("blocked", slug, f"blocked: {record.blocked} pages refused ({blocks})"))
    if record.off_policy:
        refusals = _failures(record.failures, lambda group: f": {BLOCKED_PREFIX}" in group)
        alerts.append(
            Alert("off_policy", slug, f"off policy: {record.off_policy} requests not sent ({refusals})")
        )
    if stage_errors := _failures(record.failures, lambda group: group.split(": ", 1)[-1] in STAGE_ERRORS):
        alerts.append(
            Alert(
                "stage_error",
                slug,
                f"pages kept without their article: a stage after the fetch failed ({stage_errors});"
                " once it is fixed, `sourcevault reextract` makes their articles",
            )
        )
    alerts += _coverage_alerts(archive, run["id"], slug, record)
    return alerts


def _failures(failures: dict[str, int], wanted: Callable[[str], bool] = lambda _: True) -> str:
    groups = sorted(failures.items(), key=lambda item: -item[1])
    return ", ".join(f"{group} ×{count}" for group, count in groups if wanted(group))


def _coverage_alerts(archive: Archive, run_id: int, slug: str, record: OutletRecord) -> list[Alert]:
    if record.articles_extracted < COVERAGE_MIN_ARTICLES:
        return []
    baseline = recent_coverage(
        archive.connection, slug, run_id, COVERAGE_BASELINE_RUNS, COVERAGE_MIN_ARTICLES
    )
    if len(baseline) < COVERAGE_BASELINE_MIN_RUNS:
        return []
    alerts = []
    for field, share in record.field_coverage.items():
        usual = statistics.median(coverage.get(field, 0.0) for coverage in baseline)
        if usual - share >= COVERAGE_DROP_ALERT:
            alerts.append(
                Alert(
                    "coverage_drop",
                    slug,
                    f"layout change? {field!r} found in {share:.0%} of {record.articles_extracted} articles, "
                    f"against a median of {usual:.0%} over its previous {len(baseline)} runs",
                )
            )
    return alerts


def run_table(records: dict[str, OutletRecord], outlets: list[str]) -> list[str]:
    """The per-outlet counts of a run as text lines."""
    lines = ["outlet      " + "".join(f"{title:>{len(title) + 2}}" for _, title in TABLE_COLUMNS)]
    for slug in outlets:
        record = records.get(slug, OutletRecord())
        cells = "".join(f"{getattr(record, name):>{len(title) + 2}}" for name, title in TABLE_COLUMNS)
        lines.append(f"{slug:<12}{cells}")
    return lines


def report_lines(report: RunReport) -> list[str]:
    run = report.run
    ended = f" → {run['finished_at']}" if run["finished_at"] else ""
    exit_status = f", exit {run['exit_status']}" if run["exit_status"] is not None else ""
    lines = [f"run {run['id']}: {run['status']}{exit_status}, {run['started_at']}{ended}"]
    lines += run_table(report.outlets, run["outlets"])
    for slug in run["outlets"]:
        record = report.outlets[slug]
        if record.failures:
            lines.append(f"{slug} failures: {_failures(record.failures)}")
    lines += [alert.line for alert in report.alerts] or ["no alerts"]
    return lines
