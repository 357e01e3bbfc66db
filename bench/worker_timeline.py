"""When the workers of a bench case (bench/workers.py) crawled: each worker's start-up, its units'
crawls and its wait after its last one, from the archive's crawl_runs (a row per unit crawled, its
worker, started_at and finished_at to the second) and the processes' launch and exit (the bench's
clock, the same machine's). Where the cores the workers left idle went, measured.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Crawled:
    """One unit's crawl: by which worker process, from when to when (epoch seconds)."""

    pid: int
    started: float
    finished: float


def crawls_of_workers(connection: object) -> list[Crawled]:
    """The units the workers crawled, from crawl_runs (a worker's id is host:pid:start)."""
    from sqlalchemy import text  # noqa: PLC0415

    rows = connection.execute(  # type: ignore[attr-defined]
        text("SELECT crawl_worker, started_at, finished_at FROM crawl_runs WHERE crawl_worker IS NOT NULL")
    ).all()
    return [
        Crawled(
            int(worker.rsplit(":", 2)[1]),
            datetime.fromisoformat(started).timestamp(),
            datetime.fromisoformat(finished).timestamp(),
        )
        for worker, started, finished in rows
    ]


def seconds_at_once(crawled: list[Crawled], start: float, end: float) -> dict[int, float]:
    """Seconds of [start, end] during which 0, 1, 2, … crawls ran at once."""
    changes = sorted(
        [(max(start, crawl.started), 1) for crawl in crawled]
        + [(min(end, crawl.finished), -1) for crawl in crawled]
    )
    spent: dict[int, float] = {}
    running, moment = 0, start
    for at, change in changes:
        spent[running] = spent.get(running, 0.0) + max(0.0, at - moment)
        running, moment = running + change, max(moment, at)
    spent[running] = spent.get(running, 0.0) + max(0.0, end - moment)
    return spent


def timeline(launched: float, exits: dict[int, float], crawled: list[Crawled]) -> str:
    """One line: per worker (in launch order) its start-up (launch to first unit; - if it had none),
    units, seconds crawling, and seconds from its last unit's end (its launch, if none) to its exit;
    then how long 3, 2, 1 and no crawls ran at once between the launch and the last exit."""
    starts: list[str] = []
    counts, busy, after = [], [], []
    for pid, exited in exits.items():
        own = [crawl for crawl in crawled if crawl.pid == pid]
        counts.append(len(own))
        starts.append(f"{min(crawl.started for crawl in own) - launched:.0f}" if own else "-")
        busy.append(sum(crawl.finished - crawl.started for crawl in own))
        after.append(exited - max((crawl.finished for crawl in own), default=launched))
    end = max(exits.values())
    at_once = seconds_at_once(crawled, launched, end)
    listed = ", ".join(f"{running} for {at_once[running]:.0f} s" for running in sorted(at_once, reverse=True))

    def each(values: list[float]) -> str:
        return " ".join(f"{value:.0f}" for value in values)

    return (
        f"{len(exits)} workers' timeline (s, crawl_runs to the second):"
        f" start-up to first unit {' '.join(starts)};"
        f" units {' '.join(map(str, counts))}; crawling {each(busy)}; last unit's end to exit {each(after)};"
        f" crawls at once over {end - launched:.0f} s: {listed}"
    )
